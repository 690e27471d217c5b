//! Any byte stream, cut into arbitrary chunks, through the frame decoder: no panic, frames bounded.
#![no_main]

use canhgac_parsers::framing::FrameDecoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, stream)) = data.split_first() else { return };
    let max = 64;
    let mut decoder = FrameDecoder::new(max);
    for part in stream.chunks(usize::from(chunk).max(1)) {
        decoder.push(part);
        while let Some(frame) = decoder.next_frame() {
            assert!(frame.bytes.len() <= max && !frame.bytes.is_empty());
        }
    }
    if let Some(frame) = decoder.finish() {
        assert!(frame.bytes.len() <= max);
    }
});
