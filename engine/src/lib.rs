//! The canhgac runtime: ingestion, the Parquet event store and SQL over it.
//!
//! - [`ingest`]: files (plain or gzip) -> framing -> parsers -> Arrow batches -> detection -> store.
//! - [`alerts`]: the append-only alert log and its SQL table.
//! - [`alert_rollup`]: daily alert counts beside the log (monthly figures without reading it).
//! - [`index`]: the Tantivy alert index, its query language, catch-up from the alert log.
//! - [`workflow`]: triage statuses and the append-only audit trail.
//! - [`ruletest`]: rules run on their own sample records (`canhgac rules test`).
//! - [`report`]: the monthly security report (figures, JSON/CSV/HTML).
//! - [`rollup`]: hourly counts and deny tops kept beside every event file (monthly figures).
//! - [`store`]: Parquet day partitions, written atomically.
//! - [`sql`]: DataFusion over the store, read-only.
//! - [`serve`]: the daemon: collectors ([`serve::source`]), pipeline stages, metrics.
//! - [`posture`]: the history of the enabled rules (the report's detection posture).
//! - [`notify`]: email to IT staff: routes, throttling and digests, the outbox, SMTP.
//! - [`text`]: making log text inert for terminals, mail and HTML.
//! - [`wal`]: the write-ahead log of accepted batches.
//! - [`config`]: the daemon's strict TOML configuration.
//! - [`health`]: hourly collector and storage health records (the report's continuity).
//! - [`generate`]: deterministic realistic log generator for samples and benchmarks.

pub mod alert_rollup;
pub mod alerts;
pub mod config;
mod error;
mod failpoint;
pub mod generate;
pub mod health;
pub mod index;
pub mod ingest;
mod jsonl;
pub mod notify;
pub mod posture;
pub mod report;
pub mod rollup;
pub mod rule_switch;
pub mod ruletest;
pub mod serve;
pub mod sql;
pub mod store;
pub mod text;
pub mod wal;
pub mod workflow;

pub use error::{Error, Result};
