//! What pages and the API show of alerts: rows, times in the user's zone.

use canhgac_engine::index::Hit;
use canhgac_parsers::time::Zone;
use canhgac_rules::Alert;
use serde::Serialize;

/// An alert as a row of a list.
#[derive(Debug, Serialize)]
pub struct AlertRow {
    pub id: String,
    pub level: String,
    pub title: String,
    pub subject: String,
    pub group: String,
    pub status: String,
    pub resolution: String,
    pub assignee: String,
    pub time: String,
    pub count: usize,
    pub rule_id: String,
}

impl AlertRow {
    /// The row of a search hit.
    pub fn of(hit: &Hit, zone: Zone) -> AlertRow {
        let a = &hit.alert;
        AlertRow {
            id: a.id.clone(),
            level: a.level.clone(),
            title: a.title.clone(),
            subject: subject(a),
            group: a
                .evidence
                .iter()
                .find_map(|e| e.asset_group.clone())
                .unwrap_or_default(),
            status: hit.state.status.as_str().to_owned(),
            resolution: hit
                .state
                .resolution
                .map(|r| r.as_str().to_owned())
                .unwrap_or_default(),
            assignee: hit.state.assignee.clone().unwrap_or_default(),
            time: local_time(&a.first_ts, zone),
            count: a.count,
            rule_id: a.rule_id.clone(),
        }
    }
}

/// What an alert is about, in a few words (its group-by values, else its first event's host,
/// address and user).
pub fn subject(a: &Alert) -> String {
    a.involved().join(", ")
}

/// The user's zone, UTC when the setting is unusable.
pub fn zone(tz: &str) -> Zone {
    Zone::parse(tz).unwrap_or(Zone::Utc)
}

/// An RFC 3339 time in a zone, to the second.
pub fn local_time(rfc3339: &str, zone: Zone) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => micros_time(t.timestamp_micros(), zone),
        Err(_) => rfc3339.to_owned(),
    }
}

/// Microseconds since the epoch in a zone, to the second.
pub fn micros_time(micros: i64, zone: Zone) -> String {
    zone.local_of(micros)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}
