//! The alert log: `alerts/alerts.jsonl` in the data directory, one alert per line, append-only.
//!
//! It is the record of what detection raised, and the source the search index is built from.
//! Appending skips alerts whose id is already in the log, so ingesting or replaying the same
//! events twice never duplicates an alert (ids are deterministic, see `canhgac_rules::alert`).
//! Each append is synced before it returns; one process appends at a time (an open log holds a
//! lock on the file). For SQL, the log is read into the `alerts` table with flat columns (lists
//! as comma-separated text, group-by values and evidence as JSON text) and each alert's latest
//! triage state from the audit trail.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    ArrayRef, RecordBatch, StringBuilder, TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use canhgac_rules::Alert;

use crate::error::{Error, Result};
use crate::jsonl;
use crate::workflow::AuditLog;

/// The alert log, relative to the data directory.
pub const ALERTS_FILE: &str = "alerts/alerts.jsonl";

/// An open alert log.
pub struct AlertLog {
    path: PathBuf,
    file: File,
    known: HashSet<String>,
}

impl AlertLog {
    /// Opens (or creates) the data directory's alert log, reading the ids it holds.
    pub fn open(data_dir: &Path) -> Result<AlertLog> {
        let path = data_dir.join(ALERTS_FILE);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        }
        let mut known = HashSet::new();
        jsonl::read_lines(&path, 0, jsonl::file_end(&path)?, |line| {
            if let Some(id) = serde_json::from_str::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_owned))
            {
                known.insert(id);
            }
        })?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(Error::io(&path))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(Error::Busy(format!(
                    "{} is being written by another canhgac process (is `canhgac serve` running?)",
                    path.display()
                )));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path)(e)),
        }
        jsonl::repair_tail(&path)?;
        Ok(AlertLog { path, file, known })
    }

    /// Appends the alerts not yet in the log and syncs; returns how many were new.
    pub fn append(&mut self, alerts: &[Alert]) -> Result<usize> {
        let mut text = String::new();
        let mut added = 0;
        for alert in alerts {
            if self.known.insert(alert.id.clone()) {
                text.push_str(&alert.to_json());
                text.push('\n');
                added += 1;
            }
        }
        if added > 0 {
            self.file
                .write_all(text.as_bytes())
                .map_err(Error::io(&self.path))?;
            self.file.sync_data().map_err(Error::io(&self.path))?;
        }
        Ok(added)
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Alerts in the log.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    /// Whether the log is empty.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}

/// Reads the complete alert lines of the data directory's log between byte `offset` and `end`;
/// returns them with the offset after the last one read. A line that is not an alert (damaged
/// by hand, say) is counted in the third value, not silently skipped.
pub fn read_alerts(data_dir: &Path, offset: u64, end: u64) -> Result<(Vec<Alert>, u64, usize)> {
    let path = data_dir.join(ALERTS_FILE);
    let mut alerts = Vec::new();
    let mut unreadable = 0;
    let next = jsonl::read_lines(&path, offset, end, |line| {
        if line.trim().is_empty() {
            return;
        }
        match Alert::from_json(line) {
            Ok(a) => alerts.push(a),
            Err(_) => unreadable += 1,
        }
    })?;
    Ok((alerts, next, unreadable))
}

/// The length of the data directory's alert log (0 when there is none).
pub fn alerts_end(data_dir: &Path) -> Result<u64> {
    jsonl::file_end(&data_dir.join(ALERTS_FILE))
}

/// The columns of the `alerts` table.
pub fn alerts_schema() -> SchemaRef {
    let ts = DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC")));
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        text("rule_id"),
        text("title"),
        text("level"),
        Field::new("first_ts", ts.clone(), true),
        Field::new("last_ts", ts, true),
        Field::new("count", DataType::UInt64, true),
        text("tactics"),
        text("techniques"),
        text("tags"),
        text("group_by"),
        text("src_ip"),
        text("host"),
        text("user"),
        text("evidence"),
        text("dst_ip"),
        Field::new("status", DataType::Utf8, false),
        text("resolution"),
        text("assignee"),
    ]))
}

/// The alert log as one batch of the `alerts` table (empty when there is no log).
pub fn alerts_batch(data_dir: &Path) -> Result<RecordBatch> {
    let path = data_dir.join(ALERTS_FILE);
    let states = AuditLog::new(data_dir).states()?;
    let mut id = StringBuilder::new();
    let mut strings: Vec<StringBuilder> = (0..15).map(|_| StringBuilder::new()).collect();
    let mut first = TimestampMicrosecondBuilder::new().with_timezone("UTC");
    let mut last = TimestampMicrosecondBuilder::new().with_timezone("UTC");
    let mut count = UInt64Builder::new();
    {
        let mut lines = Vec::new();
        jsonl::read_lines(&path, 0, jsonl::file_end(&path)?, |line| {
            lines.push(line.to_owned())
        })?;
        for line in lines {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
            let joined = |k: &str| {
                v.get(k).and_then(|x| x.as_array()).map(|items| {
                    items
                        .iter()
                        .filter_map(|i| i.as_str())
                        .collect::<Vec<_>>()
                        .join(",")
                })
            };
            let evidence = v.get("evidence").and_then(|e| e.as_array());
            let first_evidence = |k: &str| {
                evidence
                    .and_then(|e| e.first())
                    .and_then(|e| e.get(k))
                    .and_then(|x| x.as_str())
                    .map(str::to_owned)
            };
            let micros = |k: &str| {
                s(k).and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                    .map(|t| t.timestamp_micros())
            };
            let alert_id = s("id").unwrap_or_default();
            let state = states.get(&alert_id).cloned().unwrap_or_default();
            id.append_value(&alert_id);
            first.append_option(micros("first_ts"));
            last.append_option(micros("last_ts"));
            count.append_option(v.get("count").and_then(|c| c.as_u64()));
            let group_by = v.get("group_by").map(|g| g.to_string());
            let src_ip = v
                .get("group_by")
                .and_then(|g| g.get("src_ip"))
                .and_then(|x| x.as_str())
                .map(str::to_owned)
                .or_else(|| first_evidence("src_ip"));
            let values = [
                s("rule_id"),
                s("title"),
                s("level"),
                joined("tactics"),
                joined("techniques"),
                joined("tags"),
                group_by,
                src_ip,
                first_evidence("host"),
                first_evidence("user"),
                v.get("evidence").map(|e| e.to_string()),
                first_evidence("dst_ip"),
                Some(state.status.to_string()),
                state.resolution.map(|r| r.to_string()),
                state.assignee,
            ];
            for (builder, value) in strings.iter_mut().zip(values) {
                builder.append_option(value);
            }
        }
    }
    let mut it = strings
        .into_iter()
        .map(|mut b| Arc::new(b.finish()) as ArrayRef);
    let mut next = || {
        it.next()
            .ok_or_else(|| Error::Internal("alerts columns".to_owned()))
    };
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        next()?,
        next()?,
        next()?,
        Arc::new(first.finish()),
        Arc::new(last.finish()),
        Arc::new(count.finish()),
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
        next()?,
    ];
    Ok(RecordBatch::try_new(alerts_schema(), columns)?)
}
