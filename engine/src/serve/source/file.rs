//! Tailing files that match a glob pattern, through rotation.
//!
//! Files are known by identity (device and inode), not by name, so a file renamed by logrotate is
//! read to its end under its new name and the new file at the old name is read from its start:
//! nothing is read twice, nothing is skipped. A file that shrinks below the read position was
//! truncated (`copytruncate`) and is read again from 0. Compressed rotations (`.gz` and friends)
//! are never read. The position reached travels with each chunk into the WAL, so a restart
//! resumes exactly after the last record that was accepted.
//!
//! Reading is blocking file I/O on a blocking thread; sending waits when the pipeline is full.

use std::collections::HashMap;
use std::fs::File;
use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use canhgac_parsers::framing::FrameDecoder;

use super::{Source, SourceContext};
use crate::config::{SourceConfig, StartAt};
use crate::error::{Error, Result};
use crate::wal::TailPosition;

/// Extensions of rotated, compressed files: already read before they were compressed.
const COMPRESSED: &[&str] = &["gz", "bz2", "xz", "zst", "zip", "lz4"];
/// How long a file that left the pattern (renamed away, deleted) is still read, for writers that
/// keep appending to the old file until they reopen.
const ROTATED_GRACE: Duration = Duration::from_secs(5);
/// Bytes read from one file per read call.
const READ_SIZE: usize = 256 * 1024;

/// Tails the files matching a pattern.
pub struct FileSource {
    pattern: String,
    poll: Duration,
    start_at: StartAt,
}

impl FileSource {
    /// A tail of `config.path`.
    pub fn new(config: &SourceConfig) -> FileSource {
        FileSource {
            pattern: config.path.clone().unwrap_or_default(),
            poll: Duration::from_millis(config.poll_interval_ms.max(10)),
            start_at: config.start_at,
        }
    }
}

impl Source for FileSource {
    fn run(
        self: Box<Self>,
        ctx: SourceContext,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + Send>> {
        Box::pin(async move {
            tokio::task::spawn_blocking(move || Tail::new(*self, ctx).run())
                .await
                .map_err(|e| Error::Internal(format!("file tail task: {e}")))?
        })
    }
}

struct Tracked {
    path: PathBuf,
    file: File,
    decoder: FrameDecoder,
    /// File offset of the first byte not yet pushed into the decoder.
    read_at: u64,
    /// Last time the file grew or was seen under the pattern.
    last_activity: Instant,
    matched: bool,
}

struct Tail {
    source: FileSource,
    ctx: SourceContext,
    files: HashMap<String, Tracked>,
    first_scan: bool,
    buf: Vec<u8>,
}

/// A file's identity: device and inode.
fn identity(meta: &std::fs::Metadata) -> String {
    format!("{}:{}", meta.dev(), meta.ino())
}

fn compressed(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| COMPRESSED.contains(&e.to_ascii_lowercase().as_str()))
}

impl Tail {
    fn new(source: FileSource, ctx: SourceContext) -> Tail {
        Tail {
            source,
            ctx,
            files: HashMap::new(),
            first_scan: true,
            buf: vec![0; READ_SIZE],
        }
    }

    fn stopping(&self) -> bool {
        *self.ctx.shutdown.borrow()
    }

    fn run(mut self) -> Result<()> {
        while !self.stopping() {
            self.scan();
            let keys: Vec<String> = self.files.keys().cloned().collect();
            for key in keys {
                if !self.read_file(&key) {
                    return Ok(());
                }
            }
            self.retire();
            std::thread::sleep(self.source.poll);
        }
        Ok(())
    }

    /// Finds files matching the pattern and starts tracking new ones.
    fn scan(&mut self) {
        for t in self.files.values_mut() {
            t.matched = false;
        }
        let paths = match glob::glob(&self.source.pattern) {
            Ok(paths) => paths,
            Err(e) => {
                self.ctx
                    .warnings
                    .warn(&self.ctx.name, format_args!("pattern: {e}"));
                return;
            }
        };
        for path in paths.flatten() {
            if compressed(&path) {
                continue;
            }
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let key = identity(&meta);
            if let Some(t) = self.files.get_mut(&key) {
                t.matched = true;
                t.path = path;
                t.last_activity = Instant::now();
                continue;
            }
            let file = match File::open(&path) {
                Ok(f) => f,
                Err(e) => {
                    self.ctx.metrics.read_errors.fetch_add(1, Ordering::Relaxed);
                    self.ctx
                        .warnings
                        .warn(&self.ctx.name, format_args!("{}: {e}", path.display()));
                    continue;
                }
            };
            let start = match self.ctx.positions.get(&key) {
                // A saved position past the end is a reused inode or a truncation: start over.
                Some(p) if p.offset <= meta.len() => p.offset,
                Some(_) => 0,
                None if self.first_scan && self.source.start_at == StartAt::End => meta.len(),
                None => 0,
            };
            tracing::info!(source = %self.ctx.name, file = %path.display(), offset = start, "tailing");
            self.files.insert(
                key,
                Tracked {
                    path,
                    file,
                    decoder: FrameDecoder::newline_only(self.ctx.max_frame),
                    read_at: start,
                    last_activity: Instant::now(),
                    matched: true,
                },
            );
        }
        self.first_scan = false;
    }

    /// Reads what was appended to one file; false when the pipeline is gone.
    fn read_file(&mut self, key: &str) -> bool {
        let Some(t) = self.files.get_mut(key) else {
            return true;
        };
        let size = match t.file.metadata() {
            Ok(m) => m.len(),
            Err(_) => return true,
        };
        let consumed = t.read_at - t.decoder.pending() as u64;
        if size < consumed {
            tracing::info!(source = %self.ctx.name, file = %t.path.display(), "truncated; reading from the start");
            t.decoder = FrameDecoder::newline_only(self.ctx.max_frame);
            t.read_at = 0;
        }
        if size <= t.read_at {
            return true;
        }
        if t.file.seek(SeekFrom::Start(t.read_at)).is_err() {
            return true;
        }
        loop {
            if *self.ctx.shutdown.borrow() {
                return true;
            }
            let n = match t.file.read(&mut self.buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.ctx.metrics.read_errors.fetch_add(1, Ordering::Relaxed);
                    self.ctx
                        .warnings
                        .warn(&self.ctx.name, format_args!("{}: {e}", t.path.display()));
                    break;
                }
            };
            t.read_at += n as u64;
            t.last_activity = Instant::now();
            t.decoder.push(&self.buf[..n]);
            let mut frames = Vec::new();
            while let Some(frame) = t.decoder.next_frame() {
                frames.push(frame);
            }
            let position = TailPosition {
                path: t.path.clone(),
                offset: t.read_at - t.decoder.pending() as u64,
            };
            if !self
                .ctx
                .send_blocking(frames, Some((key.to_owned(), position)))
            {
                return false;
            }
        }
        true
    }

    /// Stops tracking files that left the pattern and stayed quiet past the grace period; their
    /// last line, if it had no newline, is complete now.
    fn retire(&mut self) {
        let done: Vec<String> = self
            .files
            .iter()
            .filter(|(_, t)| !t.matched && t.last_activity.elapsed() >= ROTATED_GRACE)
            .map(|(k, _)| k.clone())
            .collect();
        for key in done {
            let Some(mut t) = self.files.remove(&key) else {
                continue;
            };
            if let Some(frame) = t.decoder.finish() {
                let position = TailPosition {
                    path: t.path.clone(),
                    offset: t.read_at,
                };
                if !self.ctx.send_blocking(vec![frame], Some((key, position))) {
                    return;
                }
            }
            tracing::info!(source = %self.ctx.name, file = %t.path.display(), "rotated away; done");
        }
    }
}
