//! The engine crate's one error type.

use std::path::PathBuf;

/// Errors raised by the engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Parquet writing failed.
    #[error("parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Arrow rejected data.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A SQL query failed to plan or run.
    #[error("sql: {0}")]
    Sql(#[from] datafusion::error::DataFusionError),
    /// An error from the parsers crate.
    #[error(transparent)]
    Parse(#[from] canhgac_parsers::Error),
    /// Detection failed on a batch.
    #[error(transparent)]
    Rules(#[from] canhgac_rules::Error),
    /// Another process holds a file or index this one needs to write.
    #[error("{0}")]
    Busy(String),
    /// A triage change that the workflow does not allow.
    #[error("{0}")]
    Workflow(String),
    /// A search query that cannot be run; the message points at the problem.
    #[error("{0}")]
    Query(String),
    /// The search index failed.
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The configuration is invalid; the message names the setting.
    #[error("config: {0}")]
    Config(String),
    /// The write-ahead log is damaged beyond its torn tail.
    #[error("wal: {0}")]
    Wal(String),
    /// A TLS certificate or key could not be used.
    #[error("tls: {0}")]
    Tls(String),
    /// A mail could not be built or sent.
    #[error("mail: {0}")]
    Mail(String),
    /// A broken invariant: a bug in canhgac, not a problem with the input.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

/// Result alias for the engine crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
