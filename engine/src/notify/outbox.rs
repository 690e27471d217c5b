//! The outbox: every mail is a file in `outbox/` from the moment it is decided until the server
//! has accepted it, so neither a mail server outage nor a restart loses one.
//!
//! A file is written whole (temp file, fsync, rename, fsync of the directory) and named by the
//! mail's deterministic id, so writing the same mail again (after a crash before the routing
//! checkpoint) replaces it instead of adding a second. A mail the server refuses for good (5xx for
//! the recipient or message) moves to `outbox/failed/`, where `canhgac notify outbox` still lists it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::wal::sync_dir;

/// Directory of pending mails inside a data directory.
pub const OUTBOX_DIR: &str = "outbox";
/// Mails refused for good, inside [`OUTBOX_DIR`].
pub const FAILED_DIR: &str = "failed";

/// One mail waiting to be delivered.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pending {
    /// Deterministic id (also the Message-ID's local part and the file name).
    pub id: String,
    /// `alert`, `digest`, `report` or `test`.
    pub kind: String,
    /// The route it was made for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Envelope sender.
    pub from: String,
    /// Envelope recipients.
    pub to: Vec<String>,
    /// The subject (for listing).
    pub subject: String,
    /// When it was queued (RFC 3339).
    pub queued_at: String,
    /// Delivery attempts so far.
    #[serde(default)]
    pub attempts: u32,
    /// Not before this time (µs since the epoch).
    #[serde(default)]
    pub next_attempt: i64,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The whole message as sent (RFC 5322), base64.
    pub message: String,
}

impl Pending {
    /// The message bytes.
    pub fn message_bytes(&self) -> Result<Vec<u8>> {
        base64::engine::general_purpose::STANDARD
            .decode(&self.message)
            .map_err(|e| Error::Mail(format!("outbox mail {}: {e}", self.id)))
    }
}

/// The outbox directory.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

impl Outbox {
    /// Opens (creating) `outbox/` in a data directory.
    pub fn open(data_dir: &Path) -> Result<Outbox> {
        let dir = data_dir.join(OUTBOX_DIR);
        std::fs::create_dir_all(dir.join(FAILED_DIR)).map_err(Error::io(&dir))?;
        Ok(Outbox { dir })
    }

    /// Removes temp files of writes a crash interrupted (their mail was never queued). Only for
    /// the process that holds the outbox lock.
    pub fn remove_temp_files(&self) -> Result<()> {
        for entry in std::fs::read_dir(&self.dir).map_err(Error::io(&self.dir))? {
            let path = entry.map_err(Error::io(&self.dir))?.path();
            if path.extension().is_some_and(|e| e == "tmp") {
                let _ = std::fs::remove_file(&path);
            }
        }
        Ok(())
    }

    /// Queues a mail (replacing one with the same id).
    pub fn put(&self, mail: &Pending) -> Result<()> {
        write_atomic(&self.dir, &format!("{}.json", mail.id), mail)
    }

    /// Every pending mail, oldest first.
    pub fn pending(&self) -> Result<Vec<Pending>> {
        read_all(&self.dir)
    }

    /// Mails refused for good.
    pub fn failed(&self) -> Result<Vec<Pending>> {
        read_all(&self.dir.join(FAILED_DIR))
    }

    /// Removes a delivered mail.
    pub fn remove(&self, id: &str) -> Result<()> {
        let path = self.dir.join(format!("{id}.json"));
        match std::fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(path)(e)),
        }
    }

    /// Moves a mail the server refused for good to `failed/`.
    pub fn fail(&self, mail: &Pending) -> Result<()> {
        write_atomic(
            &self.dir.join(FAILED_DIR),
            &format!("{}.json", mail.id),
            mail,
        )?;
        self.remove(&mail.id)
    }
}

fn write_atomic(dir: &Path, name: &str, mail: &Pending) -> Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(name);
    let bytes = serde_json::to_vec(mail).map_err(|e| Error::Internal(format!("outbox: {e}")))?;
    let mut file = std::fs::File::create(&tmp).map_err(Error::io(&tmp))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .map_err(Error::io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(Error::io(&path))?;
    sync_dir(dir)
}

fn read_all(dir: &Path) -> Result<Vec<Pending>> {
    let mut mails = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(mails),
        Err(e) => return Err(Error::io(dir)(e)),
    };
    for entry in entries {
        let path = entry.map_err(Error::io(dir))?.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(Error::io(&path))?;
        match serde_json::from_slice::<Pending>(&bytes) {
            Ok(mail) => mails.push(mail),
            // Never deleted: a person can look at it; it is logged each time it is seen.
            Err(e) => tracing::error!(path = %path.display(), "unreadable outbox file: {e}"),
        }
    }
    mails.sort_by(|a, b| a.queued_at.cmp(&b.queued_at).then(a.id.cmp(&b.id)));
    Ok(mails)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(id: &str, at: &str) -> Pending {
        Pending {
            id: id.to_owned(),
            kind: "alert".into(),
            route: Some("soc".into()),
            from: "soc@dc.vn".into(),
            to: vec!["it@syt.vn".into()],
            subject: "s".into(),
            queued_at: at.into(),
            attempts: 0,
            next_attempt: 0,
            last_error: None,
            message: base64::engine::general_purpose::STANDARD.encode(b"Subject: s\r\n\r\nx"),
        }
    }

    #[test]
    fn put_is_idempotent_and_failed_mails_stay_listed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let outbox = Outbox::open(dir.path()).expect("open");
        outbox.put(&mail("b", "2026-10-05T01:00:01Z")).expect("put");
        outbox.put(&mail("a", "2026-10-05T01:00:00Z")).expect("put");
        outbox
            .put(&mail("a", "2026-10-05T01:00:00Z"))
            .expect("put again");
        let ids: Vec<String> = outbox
            .pending()
            .expect("list")
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(ids, ["a", "b"]);
        outbox
            .fail(&mail("a", "2026-10-05T01:00:00Z"))
            .expect("fail");
        outbox.remove("b").expect("remove");
        assert!(outbox.pending().expect("list").is_empty());
        assert_eq!(outbox.failed().expect("failed").len(), 1);
        assert_eq!(
            outbox.failed().expect("failed")[0]
                .message_bytes()
                .expect("b64"),
            b"Subject: s\r\n\r\nx"
        );
    }
}
