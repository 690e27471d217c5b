//! What a parser needs to know about a record besides its bytes.

use crate::event::SourceType;
use crate::time::{YearPolicy, Zone};

/// Per-source parsing settings plus the per-record receive time.
#[derive(Debug, Clone)]
pub struct ParseContext {
    /// When the collector received the record, microseconds since the epoch (UTC).
    pub received_at: i64,
    /// Zone for timestamps that carry none.
    pub zone: Zone,
    /// How year-less timestamps get their year.
    pub year: YearPolicy,
    /// A fixed format for this source instead of auto-detection.
    pub source_type: Option<SourceType>,
}

impl ParseContext {
    /// Auto-detection, UTC, year from the receive time.
    pub fn new(received_at: i64) -> Self {
        ParseContext {
            received_at,
            zone: Zone::Utc,
            year: YearPolicy::FromReceiveTime,
            source_type: None,
        }
    }
}
