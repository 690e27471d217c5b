//! Append-only JSON-lines files (the alert log, the audit trail): synced appends, reads of
//! complete lines from an offset, and repair of a line torn by a crash.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// A file's length, 0 when it does not exist.
pub(crate) fn file_end(path: &Path) -> Result<u64> {
    match std::fs::metadata(path) {
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(Error::io(path)(e)),
    }
}

/// Calls `each` with every complete (newline-terminated) line between `offset` and `end`;
/// returns the offset just after the last complete line, so a line still being written is read
/// next time, whole.
pub(crate) fn read_lines(
    path: &Path,
    offset: u64,
    end: u64,
    mut each: impl FnMut(&str),
) -> Result<u64> {
    if end <= offset {
        return Ok(offset);
    }
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(offset),
        Err(e) => return Err(Error::io(path)(e)),
    };
    file.seek(SeekFrom::Start(offset))
        .map_err(Error::io(path))?;
    let mut reader = BufReader::new(file.take(end - offset));
    let mut line = Vec::new();
    let mut next = offset;
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(Error::io(path))?;
        if n == 0 || line.last() != Some(&b'\n') {
            return Ok(next);
        }
        next += n as u64;
        each(String::from_utf8_lossy(&line[..n - 1]).trim_end_matches('\r'));
    }
}

/// Cuts a torn last line (one without its newline) off the file. Appends are one write that
/// ends in a newline and are acknowledged only after a sync, so such a line was never
/// acknowledged; left there, the next append would be glued to it and both would be unreadable.
/// Returns how many bytes were cut.
pub(crate) fn repair_tail(path: &Path) -> Result<u64> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io(path)(e)),
    };
    let len = file.metadata().map_err(Error::io(path))?.len();
    let mut keep = len;
    let mut block = [0u8; 4096];
    while keep > 0 {
        let start = keep.saturating_sub(block.len() as u64);
        let n = (keep - start) as usize;
        file.seek(SeekFrom::Start(start)).map_err(Error::io(path))?;
        file.read_exact(&mut block[..n]).map_err(Error::io(path))?;
        match memchr::memrchr(b'\n', &block[..n]) {
            Some(i) => {
                keep = start + i as u64 + 1;
                break;
            }
            None => keep = start,
        }
    }
    if keep < len {
        file.set_len(keep).map_err(Error::io(path))?;
        file.sync_all().map_err(Error::io(path))?;
    }
    Ok(len - keep)
}

/// Appends `bytes` (whole lines) after repairing a torn tail, then syncs.
pub(crate) fn append_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    }
    repair_tail(path)?;
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(Error::io(path))?;
    file.write_all(bytes).map_err(Error::io(path))?;
    file.sync_data().map_err(Error::io(path))
}
