//! The UI's errors, and how each becomes an HTTP response.

use std::path::{Path, PathBuf};

use axum::http::StatusCode;

/// What went wrong serving a request or managing users.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The engine (index, SQL, reports, workflow) failed or refused.
    #[error("{0}")]
    Engine(#[from] canhgac_engine::Error),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A page could not be rendered.
    #[error("template: {0}")]
    Template(#[from] minijinja::Error),
    /// The request is malformed or asks for something not allowed by the data.
    #[error("{0}")]
    BadRequest(String),
    /// No session, or it ended.
    #[error("log in first")]
    Unauthenticated,
    /// The user's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// A state change without the session's CSRF token.
    #[error(
        "the form is stale or did not come from this site (CSRF token missing or wrong); reload the page"
    )]
    Csrf,
    /// No such thing.
    #[error("{0}")]
    NotFound(String),
    /// A query ran past its time limit.
    #[error("{0}")]
    Timeout(String),
    /// A fault of ours.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// An I/O error about `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// The HTTP status the error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Engine(canhgac_engine::Error::Workflow(_) | canhgac_engine::Error::Query(_)) => {
                StatusCode::BAD_REQUEST
            }
            Error::Engine(canhgac_engine::Error::Sql(_)) => StatusCode::BAD_REQUEST,
            Error::Engine(canhgac_engine::Error::Busy(_)) => StatusCode::SERVICE_UNAVAILABLE,
            Error::Unauthenticated => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) | Error::Csrf => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            Error::Engine(_) | Error::Io { .. } | Error::Template(_) | Error::Internal(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// The UI's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
