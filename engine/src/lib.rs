//! The canhgac runtime: ingestion, the Parquet event store and SQL over it.
//!
//! - [`ingest`]: files (plain or gzip) -> framing -> parsers -> Arrow batches -> detection -> store.
//! - [`alerts`]: the append-only alert log and its SQL table.
//! - [`ruletest`]: rules run on their own sample records (`canhgac rules test`).
//! - [`store`]: Parquet day partitions, written atomically.
//! - [`sql`]: DataFusion over the store, read-only.
//! - [`generate`]: deterministic realistic log generator for samples and benchmarks.

pub mod alerts;
mod error;
pub mod generate;
pub mod ingest;
pub mod ruletest;
pub mod sql;
pub mod store;

pub use error::{Error, Result};
