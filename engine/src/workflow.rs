//! Alert triage: statuses, resolutions, and the append-only audit trail of every change.
//!
//! An alert starts `new` and moves forward through `acknowledged` and `investigating` to
//! `closed`; steps may be skipped (a false positive is closed straight from `new`), and a closed
//! alert may be reopened with a comment saying why. Closing needs a resolution.
//!
//! Every change is one line of `alerts/audit.jsonl`: who, when, the status before and after, the
//! resolution, the assignee before and after, the comment. A record carries the whole new state,
//! so an alert's state is simply its last record (no record: `new`, unassigned). The file is only
//! ever appended to, and each append is synced before it returns.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::jsonl;

/// The audit trail, relative to the data directory.
pub const AUDIT_FILE: &str = "alerts/audit.jsonl";

/// Where an alert is in triage.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Raised, nobody has looked yet.
    #[default]
    New,
    /// Someone has seen it.
    Acknowledged,
    /// Someone is working on it.
    Investigating,
    /// Done, with a resolution.
    Closed,
}

impl Status {
    /// Every status, in workflow order.
    pub const ALL: [Status; 4] = [
        Status::New,
        Status::Acknowledged,
        Status::Investigating,
        Status::Closed,
    ];

    /// The status as it is written and queried.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Acknowledged => "acknowledged",
            Status::Investigating => "investigating",
            Status::Closed => "closed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = Error;
    fn from_str(s: &str) -> Result<Status> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::Workflow(format!(
                    "unknown status {s:?}: use new, acknowledged, investigating or closed"
                ))
            })
    }
}

/// Why an alert was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// A real attack or policy violation.
    TruePositive,
    /// The rule fired on something it should not have.
    FalsePositive,
    /// Real activity, but expected and harmless.
    Benign,
}

impl Resolution {
    /// Every resolution.
    pub const ALL: [Resolution; 3] = [
        Resolution::TruePositive,
        Resolution::FalsePositive,
        Resolution::Benign,
    ];

    /// The resolution as it is written and queried.
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::TruePositive => "true_positive",
            Resolution::FalsePositive => "false_positive",
            Resolution::Benign => "benign",
        }
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Resolution {
    type Err = Error;
    fn from_str(s: &str) -> Result<Resolution> {
        let wanted = s.trim().replace('-', "_");
        Resolution::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| {
                Error::Workflow(format!(
                    "unknown resolution {s:?}: use true_positive, false_positive or benign"
                ))
            })
    }
}

/// The triage state of one alert.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertState {
    /// Status.
    pub status: Status,
    /// Resolution (closed alerts only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// Who works on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

/// One change to one alert: a line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// When (RFC 3339, UTC).
    pub at: String,
    /// The alert changed.
    pub alert_id: String,
    /// Who changed it.
    pub who: String,
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
    /// Resolution after (set when `to` is `closed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<Resolution>,
    /// Assignee before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_from: Option<String>,
    /// Assignee after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_to: Option<String>,
    /// What the analyst wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl AuditRecord {
    /// The alert's state after this change.
    pub fn state_after(&self) -> AlertState {
        AlertState {
            status: self.to,
            resolution: self.resolution.filter(|_| self.to == Status::Closed),
            assignee: self.assignee_to.clone(),
        }
    }
}

/// What an analyst asks to change; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct ChangeRequest {
    /// New status.
    pub status: Option<Status>,
    /// Resolution (required when closing).
    pub resolution: Option<Resolution>,
    /// New assignee; `Some("")` unassigns.
    pub assignee: Option<String>,
    /// A comment (alone, it is a comment with no other change).
    pub comment: Option<String>,
    /// Who asks.
    pub who: String,
}

impl ChangeRequest {
    /// The audit record this request makes of an alert in `current` state at time `at`, or why
    /// the change is not allowed.
    pub fn apply(&self, alert_id: &str, current: &AlertState, at: &str) -> Result<AuditRecord> {
        let refuse = |why: String| Error::Workflow(format!("alert {alert_id}: {why}"));
        let who = self.who.trim();
        if who.is_empty() {
            return Err(refuse("a change needs who made it".to_owned()));
        }
        let comment = self
            .comment
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        let to = self.status.unwrap_or(current.status);
        let from = current.status;
        if to != from {
            let reopening = from == Status::Closed;
            if reopening && comment.is_none() {
                return Err(refuse(format!(
                    "reopening a closed alert (to {to}) needs a comment saying why"
                )));
            }
            if !reopening && to < from {
                return Err(refuse(format!(
                    "cannot go back from {from} to {to}; the workflow is new, acknowledged, \
                     investigating, closed"
                )));
            }
        }
        if from == Status::Closed
            && to == Status::Closed
            && self
                .resolution
                .is_some_and(|r| Some(r) != current.resolution)
            && comment.is_none()
        {
            return Err(refuse(
                "changing the resolution of a closed alert needs a comment saying why".to_owned(),
            ));
        }
        let resolution = match (to, self.resolution) {
            (Status::Closed, Some(r)) => Some(r),
            (Status::Closed, None) if from == Status::Closed => current.resolution,
            (Status::Closed, None) => {
                return Err(refuse(
                    "closing needs a resolution: true_positive, false_positive or benign"
                        .to_owned(),
                ));
            }
            (_, Some(_)) => {
                return Err(refuse(format!(
                    "a resolution is given only when closing (status would be {to})"
                )));
            }
            (_, None) => None,
        };
        let assignee_to = match &self.assignee {
            Some(a) if a.trim().is_empty() => None,
            Some(a) => Some(clean_name(a)),
            None => current.assignee.clone(),
        };
        let changed =
            to != from || resolution != current.resolution || assignee_to != current.assignee;
        if !changed && comment.is_none() {
            return Err(refuse(format!(
                "nothing to change (it is already {from}{})",
                current
                    .assignee
                    .as_deref()
                    .map(|a| format!(", assigned to {a}"))
                    .unwrap_or_default()
            )));
        }
        Ok(AuditRecord {
            at: at.to_owned(),
            alert_id: alert_id.to_owned(),
            who: clean_name(who),
            from,
            to,
            resolution,
            assignee_from: current.assignee.clone(),
            assignee_to,
            comment,
        })
    }
}

/// A name as recorded: trimmed, control characters removed (they would let a name forge lines
/// in a terminal or a report).
fn clean_name(name: &str) -> String {
    name.trim().chars().filter(|c| !c.is_control()).collect()
}

/// The audit trail file.
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    /// The data directory's audit trail (created on first append).
    pub fn new(data_dir: &Path) -> AuditLog {
        AuditLog {
            path: data_dir.join(AUDIT_FILE),
        }
    }

    /// Appends records (one write, then sync).
    pub fn append(&self, records: &[AuditRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
        }
        let mut text = String::new();
        for r in records {
            text.push_str(&serde_json::to_string(r).map_err(|e| Error::Internal(e.to_string()))?);
            text.push('\n');
        }
        jsonl::append_synced(&self.path, text.as_bytes())
    }

    /// The file's length: where records appended from now on start.
    pub fn end(&self) -> Result<u64> {
        jsonl::file_end(&self.path)
    }

    /// Complete records from byte `offset` up to `end`, and the offset after the last one read.
    pub fn read_range(&self, offset: u64, end: u64) -> Result<(Vec<AuditRecord>, u64)> {
        let mut records = Vec::new();
        let next = jsonl::read_lines(&self.path, offset, end, |line| {
            // A line that does not read is not a change anybody can act on; it is skipped but
            // it is never rewritten, so nothing is lost for a human to look at.
            if let Ok(r) = serde_json::from_str::<AuditRecord>(line) {
                records.push(r);
            }
        })?;
        Ok((records, next))
    }

    /// Every record, in order.
    pub fn read_all(&self) -> Result<Vec<AuditRecord>> {
        let end = self.end()?;
        Ok(self.read_range(0, end)?.0)
    }

    /// The latest state of every alert that has a record.
    pub fn states(&self) -> Result<HashMap<String, AlertState>> {
        let mut states = HashMap::new();
        for r in self.read_all()? {
            states.insert(r.alert_id.clone(), r.state_after());
        }
        Ok(states)
    }

    /// The records of one alert, in order.
    pub fn history(&self, alert_id: &str) -> Result<Vec<AuditRecord>> {
        Ok(self
            .read_all()?
            .into_iter()
            .filter(|r| r.alert_id == alert_id)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(
        status: Option<Status>,
        resolution: Option<Resolution>,
        comment: Option<&str>,
    ) -> ChangeRequest {
        ChangeRequest {
            status,
            resolution,
            assignee: None,
            comment: comment.map(str::to_owned),
            who: "lan".to_owned(),
        }
    }

    #[test]
    fn forward_moves_and_skips_are_allowed_backward_ones_are_not() {
        let new = AlertState::default();
        let r = ask(Some(Status::Investigating), None, None)
            .apply("a", &new, "t")
            .expect("skip ahead");
        assert_eq!((r.from, r.to), (Status::New, Status::Investigating));
        let investigating = r.state_after();
        let back = ask(Some(Status::Acknowledged), None, None).apply("a", &investigating, "t");
        assert!(matches!(back, Err(Error::Workflow(m)) if m.contains("cannot go back")));
    }

    #[test]
    fn closing_needs_a_resolution_and_reopening_a_comment() {
        let new = AlertState::default();
        let no_resolution = ask(Some(Status::Closed), None, None).apply("a", &new, "t");
        assert!(matches!(no_resolution, Err(Error::Workflow(m)) if m.contains("resolution")));
        let closed = ask(Some(Status::Closed), Some(Resolution::Benign), None)
            .apply("a", &new, "t")
            .expect("close")
            .state_after();
        assert_eq!(closed.resolution, Some(Resolution::Benign));
        let silent = ask(Some(Status::Investigating), None, None).apply("a", &closed, "t");
        assert!(matches!(silent, Err(Error::Workflow(m)) if m.contains("comment")));
        let reopened = ask(Some(Status::Investigating), None, Some("seen again"))
            .apply("a", &closed, "t")
            .expect("reopen")
            .state_after();
        assert_eq!(
            reopened,
            AlertState {
                status: Status::Investigating,
                resolution: None,
                assignee: None
            }
        );
    }

    #[test]
    fn a_request_that_changes_nothing_is_refused() {
        let new = AlertState::default();
        assert!(
            ask(Some(Status::New), None, None)
                .apply("a", &new, "t")
                .is_err()
        );
        let comment_only = ask(None, None, Some("looked at it"))
            .apply("a", &new, "t")
            .expect("comment");
        assert_eq!(
            (comment_only.from, comment_only.to),
            (Status::New, Status::New)
        );
    }

    #[test]
    fn names_lose_control_characters() {
        let mut req = ask(Some(Status::Acknowledged), None, None);
        req.assignee = Some("evil\r\nBcc: x".to_owned());
        let r = req.apply("a", &AlertState::default(), "t").expect("assign");
        assert_eq!(r.assignee_to.as_deref(), Some("evilBcc: x"));
    }

    use std::io::Write;

    #[test]
    fn partial_last_lines_wait_for_the_next_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = AuditLog::new(dir.path());
        let r = ask(Some(Status::Acknowledged), None, None)
            .apply("a", &AlertState::default(), "t")
            .expect("ack");
        log.append(std::slice::from_ref(&r)).expect("append");
        let path = dir.path().join(AUDIT_FILE);
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .expect("open");
        f.write_all(b"{\"at\":\"t\",\"alert").expect("write");
        let end = log.end().expect("end");
        let (records, next) = log.read_range(0, end).expect("read");
        assert_eq!(records, vec![r.clone()]);
        assert!(next < end, "the partial line is left for later");
        // The torn line was never acknowledged: the next append cuts it off instead of gluing
        // a good record to it.
        log.append(std::slice::from_ref(&r)).expect("append");
        assert_eq!(log.read_all().expect("read"), vec![r.clone(), r]);
    }
}
