//! Rules an administrator turned off: `state/disabled_rules.json`, a list of rule ids. A
//! disabled rule raises no alerts, in the daemon (which reads the file again whenever it changes)
//! and in hunts; it is still evaluated, so correlations built on it keep working (turning off a
//! noisy failed-login rule must not blind the brute-force correlation that counts its matches).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Result};

/// The list, relative to the data directory.
pub const DISABLED_RULES_FILE: &str = "state/disabled_rules.json";

/// The ids of the disabled rules.
pub fn load(data_dir: &Path) -> Result<BTreeSet<String>> {
    let path = data_dir.join(DISABLED_RULES_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map_err(|e| Error::Config(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeSet::new()),
        Err(e) => Err(Error::io(&path)(e)),
    }
}

/// Turns a rule on or off; returns the new list.
pub fn set(data_dir: &Path, rule_id: &str, enabled: bool) -> Result<BTreeSet<String>> {
    let mut disabled = load(data_dir)?;
    if enabled {
        disabled.remove(rule_id);
    } else {
        disabled.insert(rule_id.to_owned());
    }
    let text = serde_json::to_vec_pretty(&disabled).map_err(|e| Error::Internal(e.to_string()))?;
    crate::serve::replace_file(&data_dir.join(DISABLED_RULES_FILE), &text)?;
    Ok(disabled)
}

/// The disabled set as the daemon sees it: read again when the file's modification time changes,
/// looked at no more than once a second.
pub struct Watcher {
    path: PathBuf,
    data_dir: PathBuf,
    seen: Option<SystemTime>,
    checked: Option<Instant>,
    disabled: BTreeSet<String>,
}

impl Watcher {
    /// Watches the data directory's list.
    pub fn new(data_dir: &Path) -> Watcher {
        Watcher {
            path: data_dir.join(DISABLED_RULES_FILE),
            data_dir: data_dir.to_owned(),
            seen: None,
            checked: None,
            disabled: BTreeSet::new(),
        }
    }

    /// The current set. A file that cannot be read keeps the last set (and is logged).
    pub fn current(&mut self) -> &BTreeSet<String> {
        if self
            .checked
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1))
        {
            self.checked = Some(Instant::now());
            let modified = std::fs::metadata(&self.path)
                .and_then(|m| m.modified())
                .ok();
            if modified != self.seen {
                match load(&self.data_dir) {
                    Ok(set) => {
                        self.disabled = set;
                        self.seen = modified;
                    }
                    Err(e) => tracing::warn!("disabled rules not reloaded: {e}"),
                }
            }
        }
        &self.disabled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_persist_and_the_watcher_sees_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut watcher = Watcher::new(dir.path());
        assert!(watcher.current().is_empty());
        set(dir.path(), "rule-a", false).expect("off");
        set(dir.path(), "rule-b", false).expect("off");
        set(dir.path(), "rule-b", true).expect("on");
        let loaded = load(dir.path()).expect("load");
        assert_eq!(loaded.into_iter().collect::<Vec<_>>(), vec!["rule-a"]);
        watcher.checked = None;
        assert!(watcher.current().contains("rule-a"));
    }
}
