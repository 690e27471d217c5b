//! The parsers crate's one error type.
//!
//! Parsing a record never fails as a whole (a record no parser understands still becomes a row with
//! `parse_status = failed`), so these errors are about building batches and about configuration
//! values handed to the parsers, not about log content.

/// Errors raised by the parsers crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Arrow refused a batch: a broken invariant in the batch builder.
    #[error("arrow: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A time zone name or offset that is neither IANA nor `+HH:MM`.
    #[error(
        "unknown time zone {0:?}: use an IANA name such as Asia/Ho_Chi_Minh, UTC, or an offset such as +07:00"
    )]
    TimeZone(String),
    /// A `source_type` name that no parser has.
    #[error("unknown source type {0:?}")]
    SourceType(String),
}

/// Result alias for the parsers crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
