//! Daily alert counts, kept beside the alert log so reports never read the whole log.
//!
//! `alerts/rollup.json` holds, per UTC day of each alert's first event: alerts per hour, by level,
//! rule, ATT&CK tactic and technique, department and source type, the suppressed repeats, and how
//! many alerts involved each source address, host and account. It also holds the byte offset of
//! the alert log it has read up to: [`refresh`] folds in only the lines after it and replaces the
//! file atomically, so the counts and the offset always agree, a crash costs nothing but a re-read,
//! and two processes refreshing at once both write a correct file. Ingest, the daemon (with each
//! index catch-up) and the report refresh it.
//!
//! A day keeps at most [`KEEP_DISTINCT`] addresses, hosts and accounts each (the most frequent);
//! past that, a month's top lists are exact only for values that stayed in every day's list, and
//! the day records that it was trimmed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use canhgac_rules::Alert;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The rollup, relative to the data directory.
pub const ROLLUP_FILE: &str = "alerts/rollup.json";

/// Distinct addresses, hosts and accounts a day keeps, each.
pub const KEEP_DISTINCT: usize = 5000;

const DAY_MICROS: i64 = 86_400_000_000;
const HOUR_MICROS: i64 = 3_600_000_000;

/// The alert log, counted by day.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AlertRollup {
    /// Bytes of the alert log folded in.
    pub log_offset: u64,
    /// Lines of the log that were not alerts.
    #[serde(default)]
    pub unreadable: u64,
    /// Per day (`YYYY-MM-DD`, UTC, of the alert's first event).
    pub days: BTreeMap<String, DayAlerts>,
}

/// One day's alerts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DayAlerts {
    /// Alerts by hour of the day (UTC).
    pub per_hour: [u64; 24],
    /// By level.
    pub by_level: BTreeMap<String, u64>,
    /// By rule id.
    pub by_rule: BTreeMap<String, RuleDay>,
    /// By ATT&CK tactic (an alert counts once under each of its tactics).
    pub by_tactic: BTreeMap<String, u64>,
    /// By ATT&CK technique.
    #[serde(default)]
    pub by_technique: BTreeMap<String, u64>,
    /// By department of the evidence (`-` for none).
    pub by_department: BTreeMap<String, u64>,
    /// By source type of the first evidence event.
    pub by_source_type: BTreeMap<String, u64>,
    /// Alerts involving each source address (once per alert).
    pub source_ips: BTreeMap<String, u64>,
    /// Alerts involving each host.
    pub hosts: BTreeMap<String, u64>,
    /// Alerts involving each account.
    pub users: BTreeMap<String, u64>,
    /// Whether a distinct-value map was trimmed to [`KEEP_DISTINCT`].
    #[serde(default)]
    pub trimmed: bool,
}

/// One rule's alerts in a day.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleDay {
    /// Title (as of its latest alert).
    pub title: String,
    /// Level.
    pub level: String,
    /// Alerts.
    pub count: u64,
    /// Repeats held back by suppression before these alerts.
    #[serde(default)]
    pub suppressed: u64,
}

impl DayAlerts {
    /// Alerts in the day.
    pub fn total(&self) -> u64 {
        self.per_hour.iter().sum()
    }

    fn add(&mut self, alert: &Alert) {
        let hour = alert.first_micros.rem_euclid(DAY_MICROS) / HOUR_MICROS;
        self.per_hour[hour as usize] += 1;
        *self.by_level.entry(alert.level.clone()).or_default() += 1;
        let rule = self.by_rule.entry(alert.rule_id.clone()).or_default();
        rule.title.clone_from(&alert.title);
        rule.level.clone_from(&alert.level);
        rule.count += 1;
        rule.suppressed += alert.suppressed_before;
        for t in &alert.tactics {
            *self.by_tactic.entry(t.clone()).or_default() += 1;
        }
        for t in &alert.techniques {
            *self.by_technique.entry(t.clone()).or_default() += 1;
        }
        let dept = crate::notify::route::department(alert).unwrap_or("-");
        *self.by_department.entry(dept.to_owned()).or_default() += 1;
        let source_type = alert
            .evidence
            .first()
            .map_or("-", |e| e.source_type.as_str());
        *self
            .by_source_type
            .entry(source_type.to_owned())
            .or_default() += 1;
        // Each alert counts once per distinct value it involves.
        let once = |map: &mut BTreeMap<String, u64>, values: BTreeSet<&str>| {
            for v in values.into_iter().filter(|v| !v.is_empty()) {
                *map.entry(v.to_owned()).or_default() += 1;
            }
        };
        let evidence = &alert.evidence;
        once(
            &mut self.source_ips,
            evidence
                .iter()
                .filter_map(|e| e.src_ip.as_deref())
                .collect(),
        );
        once(
            &mut self.hosts,
            evidence.iter().filter_map(|e| e.host.as_deref()).collect(),
        );
        once(
            &mut self.users,
            evidence.iter().filter_map(|e| e.user.as_deref()).collect(),
        );
    }

    fn trim(&mut self) {
        for map in [&mut self.source_ips, &mut self.hosts, &mut self.users] {
            if map.len() > KEEP_DISTINCT {
                let mut entries: Vec<(String, u64)> = std::mem::take(map).into_iter().collect();
                entries.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                entries.truncate(KEEP_DISTINCT);
                *map = entries.into_iter().collect();
                self.trimmed = true;
            }
        }
    }
}

impl AlertRollup {
    /// Adds alerts to their days.
    pub fn fold(&mut self, alerts: &[Alert]) {
        let mut touched = BTreeSet::new();
        for alert in alerts {
            self.add(alert, &mut touched);
        }
        self.trim(touched);
    }

    /// Adds one alert; `touched` collects its day for [`AlertRollup::trim`].
    fn add(&mut self, alert: &Alert, touched: &mut BTreeSet<String>) {
        let date = crate::store::day_to_date(
            i32::try_from(alert.first_micros.div_euclid(DAY_MICROS)).unwrap_or(0),
        );
        self.days.entry(date.clone()).or_default().add(alert);
        touched.insert(date);
    }

    fn trim(&mut self, touched: BTreeSet<String>) {
        for date in touched {
            if let Some(day) = self.days.get_mut(&date) {
                day.trim();
            }
        }
    }

    /// The days from `from` (inclusive) to `to` (exclusive), `YYYY-MM-DD`.
    pub fn range<'a>(
        &'a self,
        from: &'a str,
        to: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a DayAlerts)> + 'a {
        // `BTreeMap::range` panics on a reversed range; an empty one is what is meant.
        let to = to.max(from);
        self.days.range::<str, _>((
            std::ops::Bound::Included(from),
            std::ops::Bound::Excluded(to),
        ))
    }
}

fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(ROLLUP_FILE)
}

/// Reads the rollup as stored (empty when there is none or it cannot be read: it is rebuilt).
pub fn load(data_dir: &Path) -> AlertRollup {
    std::fs::read(path(data_dir))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Folds the alert log's new lines into the rollup, stores it when it changed, and returns it.
/// A rollup that claims more of the log than there is (the log was replaced) is rebuilt.
pub fn refresh(data_dir: &Path) -> Result<AlertRollup> {
    let end = crate::alerts::alerts_end(data_dir)?;
    let mut rollup = load(data_dir);
    if rollup.log_offset > end {
        rollup = AlertRollup::default();
    }
    if rollup.log_offset == end {
        return Ok(rollup);
    }
    // Line by line: a first refresh of a large log must not hold all of it in memory.
    let mut touched = BTreeSet::new();
    let mut unreadable = 0u64;
    let log = data_dir.join(crate::alerts::ALERTS_FILE);
    let next = crate::jsonl::read_lines(&log, rollup.log_offset, end, |line| {
        if line.trim().is_empty() {
            return;
        }
        match Alert::from_json(line) {
            Ok(alert) => rollup.add(&alert, &mut touched),
            Err(_) => unreadable += 1,
        }
    })?;
    if next == rollup.log_offset {
        return Ok(rollup);
    }
    rollup.trim(touched);
    rollup.unreadable += unreadable;
    rollup.log_offset = next;
    store(data_dir, &rollup)?;
    Ok(rollup)
}

fn store(data_dir: &Path, rollup: &AlertRollup) -> Result<()> {
    let bytes =
        serde_json::to_vec(rollup).map_err(|e| Error::Internal(format!("alert rollup: {e}")))?;
    crate::serve::state::replace_file(&path(data_dir), &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(id: &str, micros: i64, ip: &str) -> Alert {
        let json = format!(
            r#"{{"id":"{id}","rule_id":"r1","title":"T","level":"high","tactics":["credential_access"],
            "first_ts":"{}","last_ts":"{}","count":1,
            "evidence":[{{"ts":"{t}","source_type":"sshd","src_ip":"{ip}","raw":"x"}},{{"ts":"{t}","source_type":"sshd","src_ip":"{ip}","raw":"y"}}]}}"#,
            canhgac_rules::alert::rfc3339(micros),
            canhgac_rules::alert::rfc3339(micros),
            t = canhgac_rules::alert::rfc3339(micros)
        );
        Alert::from_json(&json.replace('\n', "")).expect("test alert")
    }

    #[test]
    fn folds_by_day_and_counts_each_value_once_per_alert() {
        let day = 20_000 * DAY_MICROS;
        let mut r = AlertRollup::default();
        r.fold(&[
            alert("a", day + 5 * HOUR_MICROS, "10.0.0.1"),
            alert("b", day + 5 * HOUR_MICROS + 1, "10.0.0.1"),
            alert("c", day + DAY_MICROS, "10.0.0.2"),
        ]);
        let first = &r.days[&crate::store::day_to_date(20_000)];
        assert_eq!(first.total(), 2);
        assert_eq!(first.per_hour[5], 2);
        assert_eq!(first.source_ips["10.0.0.1"], 2);
        assert_eq!(first.by_tactic["credential_access"], 2);
        assert_eq!(first.by_rule["r1"].count, 2);
        let from = crate::store::day_to_date(20_000);
        let to = crate::store::day_to_date(20_001);
        assert_eq!(r.range(&from, &to).count(), 1);
        assert_eq!(r.range(&to, &from).count(), 0);
    }
}
