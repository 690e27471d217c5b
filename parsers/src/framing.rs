//! Splitting a byte stream into records: RFC 6587 octet counting (`LEN SP MSG`) or newline
//! delimiting, chosen per stream from its first byte and re-checked at every frame, since relays mix
//! them. A frame longer than the limit is cut at the limit, kept, and flagged; the bytes past the
//! limit are skipped up to the frame's end and counted, never buffered without bound.

/// Default cap on one frame, 64 KiB.
pub const DEFAULT_MAX_FRAME: usize = 64 * 1024;

/// How a frame was delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// RFC 6587 3.4.1 octet counting.
    OctetCounted,
    /// RFC 6587 3.4.2 non-transparent framing with LF (a trailing CR is dropped too).
    Newline,
}

/// One record cut from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The record's bytes (at most the configured maximum).
    pub bytes: Vec<u8>,
    /// How it was delimited.
    pub framing: Framing,
    /// Whether the record was longer than the maximum and was cut.
    pub truncated: bool,
}

/// Incremental frame decoder: push bytes as they arrive, pull frames.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    start: usize,
    max_frame: usize,
    /// Bytes still to skip of an over-long frame: `Some(n)` for octet counting, `None` with
    /// `skipping_line` for a newline frame.
    skip_octets: usize,
    skipping_line: bool,
    discarded: u64,
    octet_counting: bool,
}

impl FrameDecoder {
    /// A decoder that detects the framing of each frame and cuts frames at `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        FrameDecoder {
            buf: Vec::new(),
            start: 0,
            max_frame: max_frame.max(1),
            skip_octets: 0,
            skipping_line: false,
            discarded: 0,
            octet_counting: true,
        }
    }

    /// A decoder for newline-delimited input only (a file or stdin of one record per line).
    pub fn newline_only(max_frame: usize) -> Self {
        FrameDecoder {
            octet_counting: false,
            ..FrameDecoder::new(max_frame)
        }
    }

    /// Bytes dropped from over-long frames so far.
    pub fn discarded_bytes(&self) -> u64 {
        self.discarded
    }

    /// Bytes buffered that do not yet form a whole frame.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Adds bytes from the stream.
    pub fn push(&mut self, data: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        } else if self.start > 64 * 1024 && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// The next whole frame, if the buffer holds one.
    pub fn next_frame(&mut self) -> Option<Frame> {
        loop {
            if !self.skip_pending() {
                return None;
            }
            let avail = &self.buf[self.start..];
            if avail.is_empty() {
                return None;
            }
            match if self.octet_counting {
                octet_count(avail)
            } else {
                OctetCount::No
            } {
                OctetCount::Complete(len, header) => {
                    let body_start = self.start + header;
                    let take = len.min(self.max_frame);
                    let have = self.buf.len() - body_start;
                    if have < take {
                        // Wait for the rest, but never hold more than the cap.
                        return None;
                    }
                    let bytes = self.buf[body_start..body_start + take].to_vec();
                    self.start = body_start + take;
                    let truncated = len > take;
                    if truncated {
                        self.skip_octets = len - take;
                    }
                    return Some(Frame {
                        bytes,
                        framing: Framing::OctetCounted,
                        truncated,
                    });
                }
                OctetCount::NeedMore => return None,
                OctetCount::No => {}
            }
            let limit = avail.len().min(self.max_frame);
            match memchr::memchr(b'\n', &avail[..limit]) {
                Some(0) => {
                    self.start += 1; // empty line between records
                    continue;
                }
                Some(end) => {
                    let mut body = &avail[..end];
                    if body.last() == Some(&b'\r') {
                        body = &body[..body.len() - 1];
                    }
                    let bytes = body.to_vec();
                    self.start += end + 1;
                    if bytes.is_empty() {
                        continue;
                    }
                    return Some(Frame {
                        bytes,
                        framing: Framing::Newline,
                        truncated: false,
                    });
                }
                None if avail.len() >= self.max_frame => {
                    let bytes = avail[..self.max_frame].to_vec();
                    self.start += self.max_frame;
                    self.skipping_line = true;
                    return Some(Frame {
                        bytes,
                        framing: Framing::Newline,
                        truncated: true,
                    });
                }
                None => return None,
            }
        }
    }

    /// At the end of the stream: the last record if it had no delimiter.
    pub fn finish(&mut self) -> Option<Frame> {
        if let Some(frame) = self.next_frame() {
            return Some(frame);
        }
        if !self.skip_pending() {
            return None;
        }
        let avail = &self.buf[self.start..];
        let mut body = avail;
        while matches!(body.last(), Some(b'\r' | b'\n' | b'\0')) {
            body = &body[..body.len() - 1];
        }
        // A stream that ends inside an octet-counted frame still yields what arrived.
        let mut framing = Framing::Newline;
        if let (true, OctetCount::Complete(_, header)) = (self.octet_counting, octet_count(body)) {
            body = &body[header..];
            framing = Framing::OctetCounted;
        }
        // The cap holds for the last record too: the rest is cut off and counted.
        let truncated = body.len() > self.max_frame;
        if truncated {
            self.discarded += (body.len() - self.max_frame) as u64;
            body = &body[..self.max_frame];
        }
        let frame = (!body.is_empty()).then(|| Frame {
            bytes: body.to_vec(),
            framing,
            truncated,
        });
        self.start = self.buf.len();
        frame
    }

    /// Skips the tail of an over-long frame. Returns false while more input is needed.
    fn skip_pending(&mut self) -> bool {
        if self.skip_octets > 0 {
            let n = self.skip_octets.min(self.buf.len() - self.start);
            self.start += n;
            self.skip_octets -= n;
            self.discarded += n as u64;
            if self.skip_octets > 0 {
                return false;
            }
        }
        if self.skipping_line {
            let avail = &self.buf[self.start..];
            match memchr::memchr(b'\n', avail) {
                Some(end) => {
                    self.discarded += end as u64;
                    self.start += end + 1;
                    self.skipping_line = false;
                }
                None => {
                    self.discarded += avail.len() as u64;
                    self.start = self.buf.len();
                    return false;
                }
            }
        }
        true
    }
}

enum OctetCount {
    /// Length and header size (digits plus the space).
    Complete(usize, usize),
    NeedMore,
    No,
}

/// `LEN SP` with LEN a non-zero decimal of at most 9 digits, followed by `<` (a syslog PRI), as
/// real senders always do; anything else is newline framing.
fn octet_count(b: &[u8]) -> OctetCount {
    let digits = b.iter().take(10).take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || b[0] == b'0' || digits > 9 {
        return OctetCount::No;
    }
    match b.get(digits) {
        None => OctetCount::NeedMore,
        Some(b' ') => match b.get(digits + 1) {
            None => OctetCount::NeedMore,
            Some(b'<') => {
                let len = b[..digits]
                    .iter()
                    .fold(0usize, |acc, c| acc * 10 + usize::from(c - b'0'));
                OctetCount::Complete(len, digits + 1)
            }
            Some(_) => OctetCount::No,
        },
        Some(_) => OctetCount::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], max: usize, chunk: usize) -> Vec<Frame> {
        let mut d = FrameDecoder::new(max);
        let mut out = Vec::new();
        for part in input.chunks(chunk.max(1)) {
            d.push(part);
            while let Some(f) = d.next_frame() {
                out.push(f);
            }
        }
        out.extend(d.finish());
        out
    }

    #[test]
    fn octet_counted_and_newline_mixed() {
        let input = b"11 <13>1 - - x\n<13>plain line\n4 <1>a";
        for chunk in [1, 3, 100] {
            let got: Vec<_> = frames(input, 1024, chunk)
                .into_iter()
                .map(|f| (f.bytes, f.framing))
                .collect();
            assert_eq!(
                got,
                vec![
                    (b"<13>1 - - x".to_vec(), Framing::OctetCounted),
                    (b"<13>plain line".to_vec(), Framing::Newline),
                    (b"<1>a".to_vec(), Framing::OctetCounted),
                ],
                "chunk size {chunk}"
            );
        }
    }

    #[test]
    fn long_frames_are_cut_and_flagged() {
        let mut input = vec![b'x'; 100];
        input.extend_from_slice(b"\nnext\n");
        let got = frames(&input, 10, 7);
        assert_eq!(got.len(), 2);
        assert!(got[0].truncated);
        assert_eq!(got[0].bytes.len(), 10);
        assert_eq!(got[1].bytes, b"next");

        let got = frames(b"19 <1>aaaaaaaaaaaaaaaa<1>b\n", 8, 3);
        assert_eq!(got[0].bytes, b"<1>aaaaa");
        assert!(got[0].truncated);
        assert_eq!(got[1].bytes, b"<1>b");
    }

    #[test]
    fn stream_ending_inside_an_octet_frame_keeps_what_arrived() {
        let got = frames(b"10 <1>ab", 100, 3);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].bytes, b"<1>ab");
        assert_eq!(got[0].framing, Framing::OctetCounted);
    }

    #[test]
    fn a_last_record_without_a_delimiter_is_cut_at_the_cap_too() {
        // Found by the property test: the tail after a cut octet frame, with no newline.
        let got = frames(b"12 <1>\0a0=414243 ", 1, 1);
        assert!(got.iter().all(|f| f.bytes.len() <= 1), "{got:?}");
        let got = frames(b"abcdef", 4, 2);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].bytes, b"abcd");
        assert!(got[0].truncated);
    }

    #[test]
    fn crlf_and_blank_lines() {
        let got = frames(b"a\r\n\r\n\nb", 100, 2);
        let bytes: Vec<_> = got.into_iter().map(|f| f.bytes).collect();
        assert_eq!(bytes, vec![b"a".to_vec(), b"b".to_vec()]);
    }
}
