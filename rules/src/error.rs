//! The rules crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong loading rules or evaluating them.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule file or directory could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The built-in log-source mapping is malformed (a bug, caught by a unit test).
    #[error("log-source mapping: {0}")]
    Mapping(String),
    /// A checkpoint could not be read back.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// A batch does not have the event schema's columns.
    #[error("batch: {0}")]
    Batch(String),
}

/// Result with the rules crate's error.
pub type Result<T> = std::result::Result<T, Error>;
