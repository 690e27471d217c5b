//! The daemon's own state files in `state/`, each replaced atomically (temp file, fsync, rename,
//! fsync of the directory), so a crash leaves the old version or the new, never half of one.
//!
//! - `detection.json`: the last WAL sequence number through detection, and the correlation and
//!   suppression state after it. Replay starts after that number.
//! - `tail.json`: file-tail positions of batches already compacted out of the WAL (the positions
//!   of batches still in the WAL are in their frames).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use crate::error::{Error, Result};
use crate::wal::{Positions, sync_dir};

/// Directory of the state files inside a data directory.
pub const STATE_DIR: &str = "state";

/// What detection had done when it last wrote down its state.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct DetectionCheckpoint {
    /// The last WAL sequence number processed; `None` before the first batch.
    pub seq: Option<u64>,
    /// `canhgac_rules::Engine::checkpoint` after it.
    pub engine: Option<String>,
}

fn path(data_dir: &Path, name: &str) -> PathBuf {
    data_dir.join(STATE_DIR).join(name)
}

/// Reads a state file (the default when there is none yet).
pub(crate) fn load<T: DeserializeOwned + Default>(data_dir: &Path, name: &str) -> Result<T> {
    let path = path(data_dir, name);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Error::Wal(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(Error::io(path)(e)),
    }
}

/// Replaces a state file atomically.
pub(crate) fn store<T: Serialize>(data_dir: &Path, name: &str, value: &T) -> Result<()> {
    let path = path(data_dir, name);
    let bytes =
        serde_json::to_vec(value).map_err(|e| Error::Internal(format!("state {name}: {e}")))?;
    replace_file(&path, &bytes)
}

/// Replaces `path` with `bytes` atomically: a temporary file of this process and call beside it
/// (two processes, or two threads, replacing the same file never share one), fsync, rename, fsync
/// of the directory.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<()> {
    replace(path, bytes, false)
}

/// [`replace_file`] for secrets (password hashes): the file is readable by its owner only, from
/// the moment its temporary file is made.
pub fn replace_private(path: &Path, bytes: &[u8]) -> Result<()> {
    replace(path, bytes, true)
}

fn replace(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let dir = path
        .parent()
        .ok_or_else(|| Error::Internal(format!("{} has no directory", path.display())))?;
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(&tmp).map_err(Error::io(&tmp))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(Error::io(&tmp))?;
    std::fs::rename(&tmp, path).map_err(Error::io(path))?;
    sync_dir(dir)
}

/// Reads `state/detection.json` (the default when there is none yet).
pub fn load_detection(data_dir: &Path) -> Result<DetectionCheckpoint> {
    load(data_dir, "detection.json")
}

/// Replaces `state/detection.json`.
pub fn store_detection(data_dir: &Path, checkpoint: &DetectionCheckpoint) -> Result<()> {
    store(data_dir, "detection.json", checkpoint)
}

/// Reads `state/tail.json`.
pub fn load_tail(data_dir: &Path) -> Result<Positions> {
    load(data_dir, "tail.json")
}

/// Replaces `state/tail.json`.
pub fn store_tail(data_dir: &Path, positions: &Positions) -> Result<()> {
    store(data_dir, "tail.json", positions)
}
