//! The write-ahead log: parsed batches on disk before anything else happens to them.
//!
//! `wal/` holds segments named by the sequence number of their first batch
//! (`00000000000000000042.wal`). A segment is an 8-byte magic followed by frames:
//!
//! ```text
//! u32 LE payload length | u32 LE CRC-32 of payload | payload
//! payload = u64 LE sequence | u32 LE meta length | meta (JSON) | Arrow IPC stream (one batch)
//! ```
//!
//! The meta carries the file-tail positions reached by the batch's records, so "these records are
//! stored" and "the tail may resume after them" become durable in the same write: a crash can
//! never leave one without the other. A frame counts once it is complete, its checksum matches,
//! and (under the default policy) it has been synced. A crash mid-write leaves a torn last frame,
//! which [`recover`] cuts off: it was never acknowledged.
//!
//! The writer only ever appends to the segment it created; every other segment is sealed. Sealed
//! segments are compacted into Parquet day partitions (deterministic file names, so compacting
//! one twice overwrites rather than duplicates) and then deleted.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use serde::{Deserialize, Serialize};

use crate::config::{FsyncPolicy, WalConfig};
use crate::error::{Error, Result};

/// Directory of the WAL inside a data directory.
pub const WAL_DIR: &str = "wal";
const MAGIC: &[u8; 8] = b"CGWAL01\n";
const EXTENSION: &str = "wal";
/// A frame larger than this is damage, not data (batches are far smaller).
const MAX_FRAME: u32 = 1 << 30;

/// How far each tailed file has been read, by file identity (`dev:inode`).
pub type Positions = BTreeMap<String, TailPosition>;

/// A tailed file's read position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TailPosition {
    /// The path the file had when it was read (for people; identity is the key).
    pub path: PathBuf,
    /// Bytes consumed: every complete line before this offset is in the WAL.
    pub offset: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct FrameMeta {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    positions: Positions,
}

/// One batch read back from the WAL.
pub struct WalFrame {
    /// Its sequence number.
    pub seq: u64,
    /// Tail positions reached with it.
    pub positions: Positions,
    /// The records.
    pub batch: RecordBatch,
}

/// A segment file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The sequence number of its first batch.
    pub id: u64,
    /// Its path.
    pub path: PathBuf,
}

/// Appends batches to the WAL.
pub struct WalWriter {
    dir: PathBuf,
    config: WalConfig,
    current: Option<OpenSegment>,
    next_seq: u64,
    /// `next_seq`, shared with the compactor.
    shared_next: Arc<AtomicU64>,
    /// Id of the segment being written (`u64::MAX` when none): segments below it are sealed.
    active: Arc<AtomicU64>,
    bytes_total: Arc<AtomicU64>,
    encode_buffer: Vec<u8>,
}

struct OpenSegment {
    id: u64,
    file: File,
    path: PathBuf,
    bytes: u64,
    opened: Instant,
    last_sync: Instant,
    dirty: bool,
}

impl WalWriter {
    /// A writer whose first batch gets `next_seq`. It starts a new segment on the first append,
    /// never reopening an old one.
    pub fn new(data_dir: &Path, config: WalConfig, next_seq: u64) -> Result<WalWriter> {
        let dir = data_dir.join(WAL_DIR);
        std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
        let bytes: u64 = segments(data_dir)?
            .iter()
            .filter_map(|s| std::fs::metadata(&s.path).ok())
            .map(|m| m.len())
            .sum();
        Ok(WalWriter {
            dir,
            config,
            current: None,
            next_seq,
            shared_next: Arc::new(AtomicU64::new(next_seq)),
            active: Arc::new(AtomicU64::new(u64::MAX)),
            bytes_total: Arc::new(AtomicU64::new(bytes)),
            encode_buffer: Vec::new(),
        })
    }

    /// The id of the segment being written, shared with the compactor.
    pub fn active(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.active)
    }

    /// The sequence number of the next batch, shared with the compactor.
    pub fn shared_next_seq(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.shared_next)
    }

    /// Bytes in WAL segments, shared with the metrics.
    pub fn size(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.bytes_total)
    }

    /// The sequence number the next batch gets.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Appends a batch (synced per the policy before it returns) and returns its sequence number.
    pub fn append(&mut self, batch: &RecordBatch, positions: &Positions) -> Result<u64> {
        if self.current.as_ref().is_some_and(|s| {
            s.bytes >= self.config.segment_max_bytes
                || s.opened.elapsed() >= Duration::from_millis(self.config.segment_max_age_ms)
        }) {
            self.seal()?;
        }
        let seq = self.next_seq;
        encode_frame(&mut self.encode_buffer, seq, positions, batch)?;
        if self.current.is_none() {
            self.current = Some(self.open_segment(seq)?);
        }
        let Some(segment) = self.current.as_mut() else {
            return Err(Error::Internal("no open WAL segment".to_owned()));
        };
        segment
            .file
            .write_all(&self.encode_buffer)
            .map_err(Error::io(&segment.path))?;
        segment.bytes += self.encode_buffer.len() as u64;
        segment.dirty = true;
        self.bytes_total
            .fetch_add(self.encode_buffer.len() as u64, Ordering::Relaxed);
        self.next_seq += 1;
        self.shared_next.store(self.next_seq, Ordering::Release);
        match self.config.fsync {
            FsyncPolicy::Batch => self.sync()?,
            FsyncPolicy::Interval => {
                if segment.last_sync.elapsed()
                    >= Duration::from_millis(self.config.fsync_interval_ms)
                {
                    self.sync()?;
                }
            }
            FsyncPolicy::Never => {}
        }
        Ok(seq)
    }

    /// Called when idle: syncs what the interval policy owes and seals a segment past its age,
    /// so quiet periods still reach the event store.
    pub fn tick(&mut self) -> Result<()> {
        let Some(segment) = &self.current else {
            return Ok(());
        };
        if segment.opened.elapsed() >= Duration::from_millis(self.config.segment_max_age_ms) {
            return self.seal();
        }
        if self.config.fsync == FsyncPolicy::Interval
            && segment.dirty
            && segment.last_sync.elapsed() >= Duration::from_millis(self.config.fsync_interval_ms)
        {
            self.sync()?;
        }
        Ok(())
    }

    /// Syncs the open segment.
    pub fn sync(&mut self) -> Result<()> {
        if let Some(segment) = self.current.as_mut()
            && segment.dirty
        {
            segment.file.sync_data().map_err(Error::io(&segment.path))?;
            segment.dirty = false;
            segment.last_sync = Instant::now();
        }
        Ok(())
    }

    /// Syncs and closes the open segment; the next append starts a new one.
    pub fn seal(&mut self) -> Result<()> {
        if self.current.is_none() {
            return Ok(());
        }
        self.sync()?;
        self.current = None;
        self.active.store(u64::MAX, Ordering::Release);
        Ok(())
    }

    fn open_segment(&mut self, id: u64) -> Result<OpenSegment> {
        let path = self.dir.join(segment_name(id));
        let mut file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(Error::io(&path))?;
        file.write_all(MAGIC).map_err(Error::io(&path))?;
        file.sync_all().map_err(Error::io(&path))?;
        sync_dir(&self.dir)?;
        self.active.store(id, Ordering::Release);
        self.bytes_total
            .fetch_add(MAGIC.len() as u64, Ordering::Relaxed);
        Ok(OpenSegment {
            id,
            file,
            path,
            bytes: MAGIC.len() as u64,
            opened: Instant::now(),
            last_sync: Instant::now(),
            dirty: false,
        })
    }

    /// The id of the open segment, if any.
    pub fn open_segment_id(&self) -> Option<u64> {
        self.current.as_ref().map(|s| s.id)
    }
}

fn segment_name(id: u64) -> String {
    format!("{id:020}.{EXTENSION}")
}

fn encode_frame(
    out: &mut Vec<u8>,
    seq: u64,
    positions: &Positions,
    batch: &RecordBatch,
) -> Result<()> {
    out.clear();
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&seq.to_le_bytes());
    let meta = serde_json::to_vec(&FrameMeta {
        positions: positions.clone(),
    })
    .map_err(|e| Error::Internal(format!("WAL meta: {e}")))?;
    out.extend_from_slice(&(meta.len() as u32).to_le_bytes());
    out.extend_from_slice(&meta);
    {
        let mut writer = StreamWriter::try_new(&mut *out, &batch.schema())?;
        writer.write(batch)?;
        writer.finish()?;
    }
    let payload_len = out.len() - 8;
    let crc = crc32fast::hash(&out[8..]);
    out[0..4].copy_from_slice(&(payload_len as u32).to_le_bytes());
    out[4..8].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

fn decode_payload(payload: &[u8]) -> Result<WalFrame> {
    let bad = |why: &str| Error::Wal(format!("bad frame: {why}"));
    let seq = u64::from_le_bytes(
        payload
            .get(0..8)
            .ok_or_else(|| bad("short"))?
            .try_into()
            .map_err(|_| bad("short"))?,
    );
    let meta_len = u32::from_le_bytes(
        payload
            .get(8..12)
            .ok_or_else(|| bad("short"))?
            .try_into()
            .map_err(|_| bad("short"))?,
    ) as usize;
    let meta_end = 12usize.saturating_add(meta_len);
    let meta: FrameMeta =
        serde_json::from_slice(payload.get(12..meta_end).ok_or_else(|| bad("meta"))?)
            .map_err(|e| bad(&e.to_string()))?;
    let mut reader = StreamReader::try_new(Cursor::new(&payload[meta_end..]), None)?;
    let batch = reader.next().ok_or_else(|| bad("no batch"))??;
    Ok(WalFrame {
        seq,
        positions: meta.positions,
        batch,
    })
}

/// The segments in `data_dir/wal`, oldest first.
pub fn segments(data_dir: &Path) -> Result<Vec<Segment>> {
    let dir = data_dir.join(WAL_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&dir)(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.map_err(Error::io(&dir))?.path();
        if path.extension().is_some_and(|e| e == EXTENSION)
            && let Some(id) = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<u64>().ok())
        {
            out.push(Segment { id, path });
        }
    }
    out.sort_by_key(|s| s.id);
    Ok(out)
}

/// What reading a segment found.
#[derive(Debug, Default)]
pub struct SegmentScan {
    /// Frames read.
    pub frames: usize,
    /// Bytes of valid frames (with the magic).
    pub valid_len: u64,
    /// Bytes after them that are not a complete, intact frame.
    pub torn_bytes: u64,
    /// The last sequence number read.
    pub last_seq: Option<u64>,
}

/// Calls `each` with every intact frame of a segment, in order, and stops at the first frame that
/// is incomplete or fails its checksum (a torn tail).
pub fn read_segment(
    path: &Path,
    mut each: impl FnMut(WalFrame) -> Result<()>,
) -> Result<SegmentScan> {
    let mut data = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .map_err(Error::io(path))?;
    let mut scan = SegmentScan::default();
    if data.len() < MAGIC.len() || &data[..MAGIC.len()] != MAGIC {
        // A segment created but not yet given its magic is empty; anything else is not ours.
        if MAGIC.starts_with(&data) {
            scan.torn_bytes = data.len() as u64;
            return Ok(scan);
        }
        return Err(Error::Wal(format!(
            "{}: not a canhgac WAL segment",
            path.display()
        )));
    }
    let mut at = MAGIC.len();
    while data.len() - at >= 8 {
        let len = u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
        let crc = u32::from_le_bytes([data[at + 4], data[at + 5], data[at + 6], data[at + 7]]);
        if len > MAX_FRAME || data.len() - at - 8 < len as usize {
            break;
        }
        let payload = &data[at + 8..at + 8 + len as usize];
        if crc32fast::hash(payload) != crc {
            break;
        }
        let frame = decode_payload(payload)?;
        scan.last_seq = Some(frame.seq);
        scan.frames += 1;
        each(frame)?;
        at += 8 + len as usize;
    }
    scan.valid_len = at as u64;
    scan.torn_bytes = (data.len() - at) as u64;
    Ok(scan)
}

/// What [`recover`] found in the WAL.
#[derive(Debug, Default)]
pub struct Recovered {
    /// Segments left, oldest first (all sealed now).
    pub segments: Vec<Segment>,
    /// The sequence number for the next batch.
    pub next_seq: u64,
    /// Batches in the WAL.
    pub frames: usize,
    /// Bytes of torn frames cut off.
    pub torn_bytes: u64,
}

/// Checks every segment after a restart, cuts torn tails (never-acknowledged writes) and deletes
/// segments left empty, calling `each` with every intact frame in order.
pub fn recover(data_dir: &Path, mut each: impl FnMut(WalFrame) -> Result<()>) -> Result<Recovered> {
    let mut out = Recovered::default();
    for segment in segments(data_dir)? {
        let scan = read_segment(&segment.path, &mut each)?;
        out.frames += scan.frames;
        out.torn_bytes += scan.torn_bytes;
        if let Some(last) = scan.last_seq {
            out.next_seq = out.next_seq.max(last + 1);
        }
        out.next_seq = out.next_seq.max(segment.id);
        if scan.frames == 0 {
            std::fs::remove_file(&segment.path).map_err(Error::io(&segment.path))?;
            continue;
        }
        if scan.torn_bytes > 0 {
            let file = OpenOptions::new()
                .write(true)
                .open(&segment.path)
                .map_err(Error::io(&segment.path))?;
            file.set_len(scan.valid_len)
                .and_then(|()| file.sync_all())
                .map_err(Error::io(&segment.path))?;
        }
        out.segments.push(segment);
    }
    Ok(out)
}

/// Fsyncs a directory so a file created or renamed in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use canhgac_parsers::{BatchBuilder, Origin, ParseContext};

    fn batch(lines: &[&str]) -> RecordBatch {
        let mut b = BatchBuilder::new();
        for l in lines {
            b.push(l.as_bytes(), &ParseContext::new(0), Origin::default());
        }
        b.finish().expect("test setup")
    }

    fn config() -> WalConfig {
        WalConfig::default()
    }

    #[test]
    fn frames_round_trip_and_a_torn_tail_is_cut() {
        let dir = tempfile::tempdir().expect("test setup");
        let mut w = WalWriter::new(dir.path(), config(), 7).expect("test setup");
        let mut pos = Positions::new();
        pos.insert(
            "1:2".into(),
            TailPosition {
                path: "/var/log/a".into(),
                offset: 42,
            },
        );
        assert_eq!(
            w.append(&batch(&["<13>a b: one", "two"]), &pos)
                .expect("test setup"),
            7
        );
        assert_eq!(
            w.append(&batch(&["three"]), &Positions::new())
                .expect("test setup"),
            8
        );
        w.seal().expect("test setup");
        let seg = segments(dir.path()).expect("test setup");
        assert_eq!(seg.len(), 1);
        assert_eq!(seg[0].id, 7);
        // A crash mid-write: half a frame at the end.
        let len = std::fs::metadata(&seg[0].path).expect("test setup").len();
        let mut f = OpenOptions::new()
            .append(true)
            .open(&seg[0].path)
            .expect("test setup");
        f.write_all(&[200, 0, 0, 0, 1, 2, 3, 4, 5])
            .expect("test setup");
        drop(f);
        let mut seen = Vec::new();
        let r = recover(dir.path(), |f| {
            seen.push((f.seq, f.batch.num_rows(), f.positions.len()));
            Ok(())
        })
        .expect("test setup");
        assert_eq!(seen, vec![(7, 2, 1), (8, 1, 0)]);
        assert_eq!(r.next_seq, 9);
        assert_eq!(r.torn_bytes, 9);
        assert_eq!(
            std::fs::metadata(&seg[0].path).expect("test setup").len(),
            len
        );
    }

    #[test]
    fn a_corrupted_frame_ends_the_segment() {
        let dir = tempfile::tempdir().expect("test setup");
        let mut w = WalWriter::new(dir.path(), config(), 0).expect("test setup");
        w.append(&batch(&["one"]), &Positions::new())
            .expect("test setup");
        w.append(&batch(&["two"]), &Positions::new())
            .expect("test setup");
        w.seal().expect("test setup");
        let path = &segments(dir.path()).expect("test setup")[0].path;
        let mut data = std::fs::read(path).expect("test setup");
        let last = data.len() - 3;
        data[last] ^= 0xff;
        std::fs::write(path, &data).expect("test setup");
        let mut n = 0;
        let r = recover(dir.path(), |_| {
            n += 1;
            Ok(())
        })
        .expect("test setup");
        assert_eq!(n, 1);
        assert!(r.torn_bytes > 0);
    }

    #[test]
    fn segments_rotate_by_size_and_the_writer_never_reopens_one() {
        let dir = tempfile::tempdir().expect("test setup");
        let mut c = config();
        c.segment_max_bytes = 1;
        let mut w = WalWriter::new(dir.path(), c, 0).expect("test setup");
        for i in 0..3 {
            w.append(&batch(&[&format!("line {i}")]), &Positions::new())
                .expect("test setup");
        }
        assert_eq!(
            segments(dir.path())
                .expect("test setup")
                .iter()
                .map(|s| s.id)
                .collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
        assert_eq!(w.active().load(Ordering::Acquire), 2);
    }
}
