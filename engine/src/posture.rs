//! Detection posture: which rules were enabled when, so a report can say what was enabled, added,
//! changed or removed in a month, and which ATT&CK tactics and techniques the rules cover.
//!
//! `state/rule_history.jsonl` is an append-only record of the rule set: each time canhgac loads
//! rules (the daemon at start, `ingest`, `report`), [`record`] compares them with the last state
//! the history gives and appends one line per rule added, changed (its fingerprint differs) or
//! removed. The enabled set at any instant is the history replayed up to it, so a past month's
//! posture does not move when rules change later.

use std::collections::BTreeMap;
use std::path::Path;

use canhgac_rules::RuleSet;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::jsonl;

/// The history, relative to the data directory.
pub const RULE_HISTORY: &str = "state/rule_history.jsonl";

/// What a report needs to know of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleInfo {
    /// Rule id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Level.
    pub level: String,
    /// `detection` or `correlation`.
    pub kind: String,
    /// ATT&CK tactics from its tags.
    #[serde(default)]
    pub tactics: Vec<String>,
    /// ATT&CK techniques from its tags.
    #[serde(default)]
    pub techniques: Vec<String>,
    /// A fingerprint of what the rule does (title, level, tags and logic; not where it lives).
    pub fingerprint: String,
}

/// What happened to a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// First seen.
    Added,
    /// Its fingerprint changed.
    Changed,
    /// No longer loaded.
    Removed,
}

/// One line of the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleEvent {
    /// When (RFC 3339).
    pub at: String,
    /// What happened.
    pub change: Change,
    /// The rule as it is after the change (as it was, for a removal).
    pub rule: RuleInfo,
}

/// The rules of a loaded set, in id order.
pub fn inventory(set: &RuleSet) -> Vec<RuleInfo> {
    let info = |meta: &canhgac_rules::load::Meta, kind: &str, logic: String| {
        let (tactics, techniques) = canhgac_rules::alert::attack(&meta.tags);
        let tags = meta.tags.join(",");
        RuleInfo {
            id: meta.id.clone(),
            title: meta.title.clone(),
            level: meta.level.clone(),
            kind: kind.to_owned(),
            tactics,
            techniques,
            fingerprint: canhgac_rules::alert::stable_id(&[
                meta.title.as_bytes(),
                meta.level.as_bytes(),
                tags.as_bytes(),
                logic.as_bytes(),
            ]),
        }
    };
    let mut rules: Vec<RuleInfo> = set
        .rules
        .iter()
        .map(|r| info(&r.meta, "detection", format!("{:?}", r.detection)))
        .chain(set.correlations.iter().map(|c| {
            let logic = format!(
                "{:?}|{:?}|{:?}|{:?}|{}|{:?}|{}",
                c.kind,
                c.references,
                c.group_by,
                c.field,
                c.timespan_micros,
                c.condition,
                c.generate
            );
            info(&c.meta, "correlation", logic)
        }))
        .collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    rules.dedup_by(|a, b| a.id == b.id);
    rules
}

/// Reads the history (empty when there is none).
pub fn read(data_dir: &Path) -> Result<Vec<RuleEvent>> {
    let path = data_dir.join(RULE_HISTORY);
    let mut events = Vec::new();
    let mut bad = 0usize;
    jsonl::read_lines(
        &path,
        0,
        jsonl::file_end(&path)?,
        |line| match serde_json::from_str::<RuleEvent>(line) {
            Ok(e) => events.push(e),
            Err(_) => bad += 1,
        },
    )?;
    if bad > 0 {
        tracing::warn!("{}: {bad} unreadable line(s) skipped", path.display());
    }
    Ok(events)
}

/// The rules enabled just before `end` (µs) by the history.
pub fn enabled_at(history: &[RuleEvent], end: i64) -> BTreeMap<String, RuleInfo> {
    let mut enabled = BTreeMap::new();
    for e in history {
        if canhgac_rules::alert::micros_of(&e.at) >= end {
            continue;
        }
        match e.change {
            Change::Added | Change::Changed => {
                enabled.insert(e.rule.id.clone(), e.rule.clone());
            }
            Change::Removed => {
                enabled.remove(&e.rule.id);
            }
        }
    }
    enabled
}

/// Appends to the history what differs between its latest state and `current`, stamped `at_micros`;
/// returns the changes written.
pub fn record(data_dir: &Path, current: &[RuleInfo], at_micros: i64) -> Result<Vec<RuleEvent>> {
    let known = enabled_at(&read(data_dir)?, i64::MAX);
    let at = canhgac_rules::alert::rfc3339(at_micros);
    let mut changes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for rule in current {
        seen.insert(rule.id.as_str());
        let change = match known.get(&rule.id) {
            None => Change::Added,
            Some(old) if old != rule => Change::Changed,
            Some(_) => continue,
        };
        changes.push(RuleEvent {
            at: at.clone(),
            change,
            rule: rule.clone(),
        });
    }
    for (id, old) in &known {
        if !seen.contains(id.as_str()) {
            changes.push(RuleEvent {
                at: at.clone(),
                change: Change::Removed,
                rule: old.clone(),
            });
        }
    }
    if !changes.is_empty() {
        let mut text = String::new();
        for c in &changes {
            text.push_str(
                &serde_json::to_string(c)
                    .map_err(|e| Error::Internal(format!("rule history: {e}")))?,
            );
            text.push('\n');
        }
        jsonl::append_synced(&data_dir.join(RULE_HISTORY), text.as_bytes())?;
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, fingerprint: &str) -> RuleInfo {
        RuleInfo {
            id: id.to_owned(),
            title: id.to_uppercase(),
            level: "high".to_owned(),
            kind: "detection".to_owned(),
            tactics: vec!["credential_access".to_owned()],
            techniques: vec!["T1110".to_owned()],
            fingerprint: fingerprint.to_owned(),
        }
    }

    #[test]
    fn history_records_changes_and_replays_to_any_instant() {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path();
        assert_eq!(
            record(d, &[rule("a", "1"), rule("b", "1")], 100)
                .expect("r")
                .len(),
            2
        );
        assert!(
            record(d, &[rule("a", "1"), rule("b", "1")], 200)
                .expect("r")
                .is_empty()
        );
        let second = record(d, &[rule("a", "2"), rule("c", "1")], 300).expect("r");
        let kinds: Vec<(String, Change)> = second
            .iter()
            .map(|e| (e.rule.id.clone(), e.change))
            .collect();
        assert_eq!(
            kinds,
            [
                ("a".to_owned(), Change::Changed),
                ("c".to_owned(), Change::Added),
                ("b".to_owned(), Change::Removed)
            ]
        );
        let history = read(d).expect("read");
        let before: Vec<String> = enabled_at(&history, 300).into_keys().collect();
        assert_eq!(before, ["a", "b"]);
        let after = enabled_at(&history, 301);
        assert_eq!(after.keys().collect::<Vec<_>>(), ["a", "c"]);
        assert_eq!(after["a"].fingerprint, "2");
    }
}
