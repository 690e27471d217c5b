//! Alerts: what a rule or correlation raised, with its evidence, under a deterministic id.
//!
//! The id is a hash of what the alert is about (rule id and, for a single event, the event's time
//! and raw text; for a correlation, its group values and first and last match time), so replaying
//! the same events yields the same ids and never duplicates an alert.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::correlation::{Correlation, Fired};
use crate::detect::BatchView;
use crate::load::{DetectionRule, Meta};
use crate::logsource::FieldRef;

/// The key columns and raw text of one matching event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Event time (RFC 3339, UTC).
    pub ts: String,
    /// `ts` in microseconds (for ids and ordering; kept in checkpoints, not shown in alerts).
    #[serde(default, skip_serializing)]
    pub ts_micros: i64,
    /// `host`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// `src_ip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_ip: Option<String>,
    /// `dst_ip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_ip: Option<String>,
    /// `src_port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub src_port: Option<u16>,
    /// `dst_port`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dst_port: Option<u16>,
    /// `user`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `source_type`.
    pub source_type: String,
    /// `asset_group`: the department the record's sender belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asset_group: Option<String>,
    /// The raw record (cut at 2 KiB).
    pub raw: String,
}

/// How much of a raw record evidence keeps.
const RAW_LIMIT: usize = 2048;

impl Evidence {
    /// The evidence of a row.
    pub fn of(view: &BatchView<'_>, row: usize) -> Evidence {
        let col = |n: &str| {
            view.text(row, &FieldRef::Column(n.to_owned()))
                .map(|v| v.into_owned())
        };
        let ts_micros = view.ts(row);
        let mut raw = view.raw(row).into_owned();
        if raw.len() > RAW_LIMIT {
            let mut cut = RAW_LIMIT;
            while !raw.is_char_boundary(cut) {
                cut -= 1;
            }
            raw.truncate(cut);
        }
        Evidence {
            ts: rfc3339(ts_micros),
            ts_micros,
            host: col("host"),
            src_ip: col("src_ip"),
            dst_ip: col("dst_ip"),
            src_port: col("src_port").and_then(|p| p.parse().ok()),
            dst_port: col("dst_port").and_then(|p| p.parse().ok()),
            user: col("user"),
            source_type: col("source_type").unwrap_or_default(),
            asset_group: col("asset_group"),
            raw,
        }
    }
}

/// Microseconds since the epoch as alerts write times: RFC 3339, UTC, six decimals (empty when
/// out of range).
pub fn rfc3339(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string())
        .unwrap_or_default()
}

/// Microseconds of an RFC 3339 time (0 when it is not one).
pub fn micros_of(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).map_or(0, |t| t.timestamp_micros())
}

/// An alert. It reads back from its JSON (`to_json`) as it was, but for `first_micros`, which
/// is derived again from `first_ts`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Deterministic id (16 hex digits).
    pub id: String,
    /// The rule or correlation id.
    pub rule_id: String,
    /// Its title.
    pub title: String,
    /// `informational`, `low`, `medium`, `high` or `critical`.
    pub level: String,
    /// The rule's tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// ATT&CK tactics from `attack.<tactic>` tags.
    #[serde(default)]
    pub tactics: Vec<String>,
    /// ATT&CK techniques from `attack.tNNNN[.NNN]` tags, upper-cased.
    #[serde(default)]
    pub techniques: Vec<String>,
    /// Group-by field names and values (correlations).
    #[serde(default)]
    pub group_by: BTreeMap<String, String>,
    /// First matching event time.
    pub first_ts: String,
    /// Last matching event time.
    pub last_ts: String,
    /// Matching events.
    pub count: usize,
    /// The rule's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Known false positives.
    #[serde(default)]
    pub falsepositives: Vec<String>,
    /// The first matching events.
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    /// Matches of this group that arrived too late to be counted in their window (a note for the
    /// analyst: the count may be low).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub late_events: u64,
    /// Alerts of the same rule and group held back by suppression since the last one shown.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub suppressed_before: u64,
    /// `first_ts` in microseconds.
    #[serde(skip)]
    pub first_micros: i64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Alert {
    /// What the alert is about, as `key=value` pairs: its group-by values, or for a single-event
    /// rule the first event's host, source address and user (what lists and mails show).
    pub fn involved(&self) -> Vec<String> {
        if !self.group_by.is_empty() {
            return self
                .group_by
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
        }
        self.evidence
            .first()
            .map(|e| {
                [("host", &e.host), ("src_ip", &e.src_ip), ("user", &e.user)]
                    .into_iter()
                    .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What suppression groups by: the rule and the group-by values, or for a single-event rule
    /// the host, source address and user of the event.
    pub fn suppression_key(&self) -> String {
        let mut key = self.rule_id.clone();
        if self.group_by.is_empty() {
            if let Some(e) = self.evidence.first() {
                for part in [&e.host, &e.src_ip, &e.user] {
                    key.push('\u{1f}');
                    key.push_str(part.as_deref().unwrap_or(""));
                }
            }
        } else {
            for v in self.group_by.values() {
                key.push('\u{1f}');
                key.push_str(v);
            }
        }
        key
    }

    /// The alert as one line of JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain strings, numbers and vectors cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads an alert back from its JSON line.
    pub fn from_json(line: &str) -> Result<Alert, serde_json::Error> {
        let mut alert: Alert = serde_json::from_str(line)?;
        alert.first_micros = micros_of(&alert.first_ts);
        for e in &mut alert.evidence {
            e.ts_micros = micros_of(&e.ts);
        }
        Ok(alert)
    }

    /// An alert for one event matching a detection rule.
    pub fn for_rule(rule: &DetectionRule, evidence: &[Evidence]) -> Alert {
        let first = evidence.first();
        let ts = first.map_or(0, |e| e.ts_micros);
        let id = stable_id(&[
            rule.meta.id.as_bytes(),
            &ts.to_le_bytes(),
            first.map_or(&b""[..], |e| e.raw.as_bytes()),
        ]);
        let last = evidence.last().map_or(ts, |e| e.ts_micros);
        Alert::new(
            id,
            &rule.meta,
            BTreeMap::new(),
            (ts, last),
            evidence.len(),
            evidence.to_vec(),
        )
    }

    /// An alert for a correlation that fired.
    pub fn for_correlation(c: &Correlation, fired: &Fired) -> Alert {
        let mut parts: Vec<&[u8]> = Vec::with_capacity(3 + fired.group.len());
        let (first, last) = (fired.first_ts.to_le_bytes(), fired.last_ts.to_le_bytes());
        parts.extend([c.meta.id.as_bytes(), &first[..], &last[..]]);
        parts.extend(fired.group.iter().map(|g| g.as_bytes()));
        let group_by = c
            .group_by
            .iter()
            .cloned()
            .zip(fired.group.iter().cloned())
            .collect();
        let mut alert = Alert::new(
            stable_id(&parts),
            &c.meta,
            group_by,
            (fired.first_ts, fired.last_ts),
            fired.count,
            fired.evidence.clone(),
        );
        alert.late_events = fired.late;
        alert
    }

    fn new(
        id: String,
        meta: &Meta,
        group_by: BTreeMap<String, String>,
        (first, last): (i64, i64),
        count: usize,
        evidence: Vec<Evidence>,
    ) -> Alert {
        let (tactics, techniques) = attack(&meta.tags);
        Alert {
            id,
            rule_id: meta.id.clone(),
            title: meta.title.clone(),
            level: meta.level.clone(),
            tags: meta.tags.clone(),
            tactics,
            techniques,
            group_by,
            first_ts: rfc3339(first),
            last_ts: rfc3339(last),
            count,
            description: meta.description.clone(),
            falsepositives: meta.falsepositives.clone(),
            evidence,
            late_events: 0,
            suppressed_before: 0,
            first_micros: first,
        }
    }
}

/// ATT&CK tactics and techniques named by `attack.*` tags.
pub fn attack(tags: &[String]) -> (Vec<String>, Vec<String>) {
    let mut tactics = Vec::new();
    let mut techniques = Vec::new();
    for tag in tags {
        let Some(rest) = tag.strip_prefix("attack.") else {
            continue;
        };
        let is_technique = rest.len() > 1
            && rest.starts_with(['t', 'T'])
            && rest[1..].bytes().all(|c| c.is_ascii_digit() || c == b'.');
        if is_technique {
            techniques.push(rest.to_ascii_uppercase());
        } else if !rest.starts_with(['g', 'G', 's', 'S'])
            || rest.contains('_')
            || rest.contains('-')
        {
            tactics.push(rest.to_owned());
        }
    }
    (tactics, techniques)
}

/// FNV-1a (64 bit) over length-prefixed parts: stable across builds and platforms, unlike std's
/// hasher, which is what a deterministic id needs (it is not a security boundary).
pub fn stable_id(parts: &[&[u8]]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in (part.len() as u64).to_le_bytes().iter().chain(part.iter()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attack_tags() {
        let tags: Vec<String> = [
            "attack.credential-access",
            "attack.t1110.001",
            "attack.g0032",
            "cve.2021-1",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let (tactics, techniques) = attack(&tags);
        assert_eq!(tactics, ["credential-access"]);
        assert_eq!(techniques, ["T1110.001"]);
    }

    #[test]
    fn ids_are_stable_and_part_aware() {
        assert_eq!(stable_id(&[b"a", b"bc"]), stable_id(&[b"a", b"bc"]));
        assert_ne!(stable_id(&[b"ab", b"c"]), stable_id(&[b"a", b"bc"]));
        assert_eq!(stable_id(&[]).len(), 16);
    }
}
