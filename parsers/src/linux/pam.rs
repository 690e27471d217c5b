//! PAM module messages, whichever program logs them: `pam_unix(sshd:auth): authentication failure;
//! ... rhost=1.2.3.4  user=root`, `session opened for user alice by (uid=0)`, faillock, winbind.
//! Older systems tag them `sshd(pam_unix)[123]:` instead of prefixing the message.

use std::borrow::Cow;

use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use std::sync::LazyLock;

use crate::linux::{Sentence, Sentences, s};
use crate::pattern::split_literal;
use crate::payload::{PayloadParser, canonical_ip};

/// PAM messages.
pub struct Pam;

pub(crate) const SENTENCES: &[Sentence] = &[
    s(
        "session opened for user {user} by {by?}",
        "session_opened",
        Some(SUCCESS),
    ),
    s(
        "session opened for user {user}",
        "session_opened",
        Some(SUCCESS),
    ),
    s("session closed for user {user}", "session_closed", None),
    s("check pass; user unknown", "auth_failure", Some(FAILURE)),
    s(
        "auth could not identify password for [{user}]",
        "auth_failure",
        Some(FAILURE),
    ),
    s(
        "password changed for {user}",
        "password_changed",
        Some(SUCCESS),
    ),
    s(
        "password for {user} changed by {by}",
        "password_changed",
        Some(SUCCESS),
    ),
    s("User unknown", "auth_failure", Some(FAILURE)),
    s(
        "Consecutive login failures for user {user} account temporarily locked",
        "account_locked",
        Some(FAILURE),
    ),
    s(
        "user '{user}' granted access",
        "auth_success",
        Some(SUCCESS),
    ),
    s(
        "user '{user}' denied access (incorrect password or invalid membership)",
        "auth_failure",
        Some(FAILURE),
    ),
    s("user '{user}' OK", "auth_success", Some(SUCCESS)),
    s(
        "account {user} has expired (account expired)",
        "auth_failure",
        Some(FAILURE),
    ),
    s(
        "requirement \"{requirement}\" not met by user \"{user}\"",
        "auth_failure",
        Some(FAILURE),
    ),
    // `unix_chkpwd`, pam_unix's helper for screen lockers and non-root services.
    s(
        "password check failed for user ({user})",
        "auth_failure",
        Some(FAILURE),
    ),
];

pub(crate) static SET: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(SENTENCES));

impl PayloadParser for Pam {
    fn source_type(&self) -> SourceType {
        SourceType::LinuxAuth
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        let m = crate::payload::trim_start(message);
        matches!(app, Some("pam" | "unix_chkpwd"))
            || m.starts_with("pam_")
            // PAM before 0.99 put the module in parentheses: `(pam_unix) authentication ...`.
            || m.starts_with("(pam_")
            // sshd relays PAM's summary line.
            || m.starts_with("PAM ") && m.contains(" more authentication failure")
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let m = message.trim();
        // `pam_unix(sshd:auth): ...` names the module, the service and the management group.
        let text = match split_literal(m, "): ") {
            Some((head, text)) if m.starts_with("pam_") => {
                if let Some((module, svc)) = head.split_once('(') {
                    ev.field("pam_module", module);
                    if let Some((service, group)) = svc.split_once(':') {
                        ev.field("pam_service", service);
                        ev.field("pam_type", group);
                    }
                }
                text
            }
            _ => match m.strip_prefix('(').and_then(|r| r.split_once(") ")) {
                Some((module, text)) if module.starts_with("pam_") => {
                    ev.field("pam_module", module);
                    text
                }
                _ => m,
            },
        };
        parse_text(text, ev);
        Ok(())
    }
}

/// The text after the module prefix (or the whole message of `app(pam_x)` records).
pub(crate) fn parse_text<'a>(text: &'a str, ev: &mut Event<'a>) {
    let text = text.trim();
    // sshd relays PAM's summary as `PAM 2 more authentication failures; ...`.
    let summary = text.strip_prefix("PAM ").unwrap_or(text);
    if let Some(pairs) = text
        .strip_prefix("authentication failure; ")
        .or_else(|| more_failures(summary, ev))
    {
        if !ev.fields.iter().any(|(k, _)| k == "event") {
            ev.field("event", "auth_failure");
        }
        ev.outcome = Some(FAILURE);
        auth_pairs(pairs, ev);
        return;
    }
    if SET.apply(text, ev) {
        // `session opened for user alice(uid=1000) by (uid=0)` (newer PAM) names the uid too.
        if let Some(Cow::Borrowed(user)) = &ev.user {
            let user: &'a str = user;
            if let Some((name, uid)) = split_literal(user, "(uid=") {
                crate::payload::set_user(ev, name);
                ev.field("uid", uid.trim_end_matches(')'));
            }
        }
    }
}

/// `N more authentication failures; logname=...`
fn more_failures<'a>(text: &'a str, ev: &mut Event<'a>) -> Option<&'a str> {
    let (count, rest) = text.split_once(' ')?;
    count.parse::<u32>().ok()?;
    let pairs = rest
        .strip_prefix("more authentication failures; ")
        .or_else(|| rest.strip_prefix("more authentication failure; "))?;
    ev.field("failure_count", count);
    Some(pairs)
}

/// `logname= uid=0 euid=0 tty=ssh ruser= rhost=1.2.3.4  user=root`
fn auth_pairs<'a>(pairs: &'a str, ev: &mut Event<'a>) {
    for pair in pairs.split_ascii_whitespace() {
        let Some((k, v)) = pair.split_once('=') else {
            continue;
        };
        if v.is_empty() {
            continue;
        }
        match k {
            "user" => crate::payload::set_user(ev, v),
            "rhost" => match canonical_ip(v) {
                Some(ip) => ev.src_ip = Some(ip),
                None => ev.field("src_host", v),
            },
            _ => ev.field(k, v),
        }
    }
}
