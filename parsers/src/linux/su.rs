//! su: `(to root) alice on pts/0`, `FAILED SU (to root) alice on pts/0`, `Successful su for root by
//! alice`, and the old `+ pts/0 alice:root` / `- pts/0 alice-root` forms.

use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use std::sync::LazyLock;

use crate::linux::{Sentence, Sentences, s};
use crate::payload::PayloadParser;

/// su records.
pub struct Su;

pub(crate) const SENTENCES: &[Sentence] = &[
    s(
        "FAILED SU (to {target_user}) {user} on {tty}",
        "su",
        Some(FAILURE),
    ),
    s("FAILED su for {target_user} by {user}", "su", Some(FAILURE)),
    s("(to {target_user}) {user} on {tty}", "su", Some(SUCCESS)),
    s(
        "Successful su for {target_user} by {user}",
        "su",
        Some(SUCCESS),
    ),
    s(
        "'su {target_user}' failed for {user} on {tty}",
        "su",
        Some(FAILURE),
    ),
    s(
        "'su {target_user}' succeeded for {user} on {tty}",
        "su",
        Some(SUCCESS),
    ),
];

pub(crate) static SET: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(SENTENCES));

impl PayloadParser for Su {
    fn source_type(&self) -> SourceType {
        SourceType::LinuxAuth
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        app == Some("su") && !message.trim_start().starts_with("pam_")
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let m = message.trim();
        if SET.apply(m, ev) {
            return Ok(());
        }
        // `+ pts/0 alice:root` (success) or `- pts/0 alice-root` (failure).
        let mut parts = m.split_ascii_whitespace();
        if let (Some(sign @ ("+" | "-")), Some(tty), Some(pair), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        {
            let split = if sign == "+" {
                pair.split_once(':')
            } else {
                pair.split_once('-').or_else(|| pair.split_once(':'))
            };
            if let Some((user, target)) = split {
                crate::payload::set_user(ev, user);
                ev.field("target_user", target);
                ev.field("tty", tty);
                ev.field("event", "su");
                ev.outcome = Some(if sign == "+" { SUCCESS } else { FAILURE });
            }
        }
        Ok(())
    }
}
