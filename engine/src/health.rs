//! Collector and storage health over time, for the report's evidence of continuous monitoring.
//!
//! The daemon's counters live in memory (`/metrics`) and start again at every start. Every hour,
//! and when it stops, `canhgac serve` appends to `state/health.jsonl` what changed since its last
//! line: per source, records received, dropped (pipeline full, or a sender not allowed), cut at
//! the frame limit and read errors; events too late for their correlation window; pipeline
//! errors; and the WAL size and the free space of the data directory's disk at that moment. The
//! report sums the lines of its period; a period without lines had no daemon running to say.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::jsonl;
use crate::serve::metrics::Metrics;

/// The health log, relative to the data directory.
pub const HEALTH_FILE: &str = "state/health.jsonl";

/// One source's counts over an interval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceCounts {
    /// Records received.
    pub received: u64,
    /// Records or datagrams dropped: the pipeline was full, or the sender was not allowed.
    pub dropped: u64,
    /// Records cut at the frame limit (kept, flagged).
    pub truncated: u64,
    /// Read errors, TLS handshake failures and refused connections.
    pub errors: u64,
}

impl SourceCounts {
    fn add(&mut self, other: &SourceCounts) {
        self.received += other.received;
        self.dropped += other.dropped;
        self.truncated += other.truncated;
        self.errors += other.errors;
    }

    fn minus(&self, before: &SourceCounts) -> SourceCounts {
        SourceCounts {
            received: self.received.saturating_sub(before.received),
            dropped: self.dropped.saturating_sub(before.dropped),
            truncated: self.truncated.saturating_sub(before.truncated),
            errors: self.errors.saturating_sub(before.errors),
        }
    }
}

/// One line of the health log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthRecord {
    /// End of the interval (RFC 3339).
    pub at: String,
    /// Per source, over the interval.
    pub sources: BTreeMap<String, SourceCounts>,
    /// Events too late for their correlation window, over the interval.
    pub late_events: u64,
    /// Pipeline errors, over the interval.
    pub pipeline_errors: u64,
    /// WAL bytes at `at`.
    pub wal_bytes: u64,
    /// Free bytes on the data directory's disk at `at`.
    pub disk_free_bytes: Option<u64>,
}

/// Takes interval records from the daemon's counters.
#[derive(Debug, Default)]
pub struct HealthRecorder {
    last: BTreeMap<String, SourceCounts>,
    last_late: u64,
    last_errors: u64,
}

impl HealthRecorder {
    /// What changed since the last call (since the start for the first).
    pub fn take(&mut self, metrics: &Metrics, data_dir: &Path, at_micros: i64) -> HealthRecord {
        let load = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        let mut sources = BTreeMap::new();
        for (name, m) in metrics.names.iter().zip(&metrics.sources) {
            let now = SourceCounts {
                received: load(&m.received),
                dropped: load(&m.dropped_overload) + load(&m.dropped_peer),
                truncated: load(&m.truncated),
                errors: load(&m.read_errors) + load(&m.tls_failures) + load(&m.connections_refused),
            };
            let before = self.last.insert(name.clone(), now).unwrap_or_default();
            sources.insert(name.clone(), now.minus(&before));
        }
        let late = load(&metrics.pipeline.late_events);
        let errors = load(&metrics.pipeline.errors);
        let record = HealthRecord {
            at: canhgac_rules::alert::rfc3339(at_micros),
            sources,
            late_events: late.saturating_sub(self.last_late),
            pipeline_errors: errors.saturating_sub(self.last_errors),
            wal_bytes: load(&metrics.pipeline.wal_bytes),
            disk_free_bytes: fs4::available_space(data_dir).ok(),
        };
        self.last_late = late;
        self.last_errors = errors;
        record
    }
}

/// Appends a record (synced).
pub fn append(data_dir: &Path, record: &HealthRecord) -> Result<()> {
    let mut line = serde_json::to_string(record)
        .map_err(|e| Error::Internal(format!("health record: {e}")))?;
    line.push('\n');
    jsonl::append_synced(&data_dir.join(HEALTH_FILE), line.as_bytes())
}

/// The collector and storage health of a period, summed from the health log.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PeriodHealth {
    /// Health records in the period (about one per hour the daemon ran).
    pub records: u64,
    /// Per source.
    pub sources: BTreeMap<String, SourceCounts>,
    /// Events too late for their correlation window.
    pub late_events: u64,
    /// Pipeline errors.
    pub pipeline_errors: u64,
    /// Largest WAL seen (bytes): a WAL that grows means storage falls behind.
    pub wal_bytes_max: u64,
    /// Least free space seen on the data disk (bytes).
    pub disk_free_bytes_min: Option<u64>,
}

/// Sums the health records with `at` in `[start, end)` (µs).
pub fn period(data_dir: &Path, start: i64, end: i64) -> Result<PeriodHealth> {
    let path = data_dir.join(HEALTH_FILE);
    let mut p = PeriodHealth::default();
    jsonl::read_lines(&path, 0, jsonl::file_end(&path)?, |line| {
        let Ok(r) = serde_json::from_str::<HealthRecord>(line) else {
            return;
        };
        let at = canhgac_rules::alert::micros_of(&r.at);
        if at < start || at >= end {
            return;
        }
        p.records += 1;
        for (name, c) in &r.sources {
            p.sources.entry(name.clone()).or_default().add(c);
        }
        p.late_events += r.late_events;
        p.pipeline_errors += r.pipeline_errors;
        p.wal_bytes_max = p.wal_bytes_max.max(r.wal_bytes);
        if let Some(free) = r.disk_free_bytes {
            p.disk_free_bytes_min = Some(p.disk_free_bytes_min.map_or(free, |m| m.min(free)));
        }
    })?;
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn records_hold_deltas_and_a_period_sums_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let metrics = Metrics::new(vec!["udp".to_owned()], Arc::new(AtomicU64::new(4096)));
        let mut recorder = HealthRecorder::default();
        metrics.sources[0].received.store(100, Ordering::Relaxed);
        metrics.sources[0]
            .dropped_overload
            .store(3, Ordering::Relaxed);
        append(dir.path(), &recorder.take(&metrics, dir.path(), 1_000)).expect("append");
        metrics.sources[0].received.store(250, Ordering::Relaxed);
        metrics.pipeline.late_events.store(7, Ordering::Relaxed);
        let second = recorder.take(&metrics, dir.path(), 2_000);
        assert_eq!(second.sources["udp"].received, 150);
        assert_eq!(second.sources["udp"].dropped, 0);
        append(dir.path(), &second).expect("append");
        let p = period(dir.path(), 0, 10_000).expect("period");
        assert_eq!(p.records, 2);
        assert_eq!(p.sources["udp"].received, 250);
        assert_eq!(p.sources["udp"].dropped, 3);
        assert_eq!(p.late_events, 7);
        assert_eq!(p.wal_bytes_max, 4096);
        assert!(p.disk_free_bytes_min.is_some_and(|b| b > 0));
        assert_eq!(
            period(dir.path(), 1_500, 10_000).expect("period").records,
            1
        );
    }
}
