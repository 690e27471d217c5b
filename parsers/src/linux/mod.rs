//! Linux system and authentication payloads inside syslog records, and Linux audit records.
//!
//! Each submodule is one [`PayloadParser`](crate::payload::PayloadParser). Authentication parsers
//! fill `user`, `outcome` (`success`/`failure`), `src_ip`/`src_port` where the message names them,
//! and put the event's kind in `fields.event` (e.g. `ssh_login`, `sudo_command`, `user_created`).

pub mod accounts;
pub mod auditd;
pub mod bans;
pub mod cron;
pub mod dns;
pub mod ftp;
pub mod haproxy;
pub mod kernel;
pub mod logind;
pub mod mail;
pub mod openvpn;
pub mod pam;
pub mod proxy;
pub mod sshd;
pub mod su;
pub mod sudo;
pub mod web;

use std::sync::LazyLock;

use crate::event::{Event, SourceType};
use crate::pattern::{Captures, TemplateSet};
use crate::payload::{PayloadParser, apply};

/// A sentence a parser recognises: the template, the kind of event, and its outcome.
pub(crate) struct Sentence {
    pub template: &'static str,
    pub event: &'static str,
    pub outcome: Option<&'static str>,
}

pub(crate) const fn s(
    template: &'static str,
    event: &'static str,
    outcome: Option<&'static str>,
) -> Sentence {
    Sentence {
        template,
        event,
        outcome,
    }
}

/// A parser's sentences, compiled (each parser holds them in a `LazyLock`, so once on first use).
pub(crate) struct Sentences {
    sentences: &'static [Sentence],
    set: TemplateSet,
}

impl Sentences {
    pub(crate) fn new(sentences: &'static [Sentence]) -> Self {
        Sentences {
            sentences,
            set: TemplateSet::new(sentences.iter().map(|s| &s.template)),
        }
    }

    /// Whether one of the first `limit` sentences matches.
    pub(crate) fn matches(&self, message: &str, limit: usize) -> bool {
        self.set.find(message, limit).is_some()
    }

    /// The first sentence that matches fills the event; false when none does.
    pub(crate) fn apply<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> bool {
        let mut caps = Captures::default();
        let Some(i) = self.set.find_into(message, usize::MAX, &mut caps) else {
            return false;
        };
        let Some(sentence) = self.sentences.get(i) else {
            return false;
        };
        apply(&caps, ev);
        ev.field("event", sentence.event);
        if let Some(outcome) = sentence.outcome {
            ev.outcome = Some(outcome);
        }
        true
    }

    /// How many sentences compiled (all of them, unless one is malformed).
    #[cfg(test)]
    pub(crate) fn compiled(&self) -> usize {
        self.set.len()
    }
}

/// A program whose every line worth reading is one of a sentence table's (logind, the ban
/// daemons, OpenVPN): claims by program name, fills what the first matching sentence names,
/// keeps any other line as it is.
pub struct ProgramSentences {
    /// Whether a syslog tag (its base, without pid) names the program.
    programs: fn(&str) -> bool,
    sentences: &'static LazyLock<Sentences>,
}

impl PayloadParser for ProgramSentences {
    fn source_type(&self) -> SourceType {
        SourceType::LinuxAuth
    }

    fn claims(&self, app: Option<&str>, _message: &str) -> bool {
        app.is_some_and(self.programs)
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        self.sentences.apply(message.trim(), ev);
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use crate::event::SourceType;
    use crate::firewall::test_support::parse;

    /// A login line and what it must give: (line, user, source address, outcome, event).
    pub(crate) type LoginCase = (
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        &'static str,
    );

    pub(crate) fn check_logins(source_type: SourceType, cases: &[LoginCase]) {
        for &(line, user, src, outcome, event) in cases {
            let ev = parse(line);
            assert_eq!(ev.source_type, source_type, "{line}");
            assert_eq!(ev.user.as_deref(), user, "user: {line}");
            assert_eq!(ev.src_ip.as_deref(), src, "src: {line}");
            assert_eq!(ev.outcome, outcome, "outcome: {line}");
            assert_eq!(ev.get_field("event"), Some(event), "event: {line}");
        }
    }
}

/// Checks every parser's sentence table compiles whole.
#[cfg(test)]
mod tests {
    #[test]
    fn every_sentence_compiles() {
        for (name, table, len) in [
            ("sshd", &*super::sshd::SET, super::sshd::SENTENCES.len()),
            ("pam", &*super::pam::SET, super::pam::SENTENCES.len()),
            ("su", &*super::su::SET, super::su::SENTENCES.len()),
            (
                "accounts",
                &*super::accounts::SET,
                super::accounts::SENTENCES.len(),
            ),
            ("cron", &*super::cron::SET, super::cron::SENTENCES.len()),
            (
                "logind",
                &*super::logind::SET,
                super::logind::SENTENCES.len(),
            ),
            ("bans", &*super::bans::SET, super::bans::SENTENCES.len()),
            (
                "openvpn",
                &*super::openvpn::SET,
                super::openvpn::SENTENCES.len(),
            ),
        ]
        .into_iter()
        .chain(super::mail::sentence_tables())
        .chain(super::ftp::sentence_tables())
        {
            assert_eq!(table.compiled(), len, "a {name} sentence is malformed");
        }
    }

    #[test]
    fn pam_before_0_99_names_its_module_in_parentheses() {
        use crate::event::FAILURE;
        use crate::firewall::test_support::parse;
        let ev = parse(
            "Oct 11 01:06:47 ServerJV vsftpd: (pam_unix) authentication failure; logname= uid=0 euid=0 tty= ruser= rhost=209.67.1.67",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("209.67.1.67"));
        assert_eq!(ev.outcome, Some(FAILURE));
        assert_eq!(ev.get_field("pam_module"), Some("pam_unix"));
    }

    #[test]
    fn account_changes_and_password_checks_name_the_user() {
        use crate::event::{FAILURE, SUCCESS};
        use crate::firewall::test_support::parse;
        for (line, user, outcome) in [
            (
                "Nov 28 09:10:48 web01 useradd[25494]: failed adding user 'aol', exit code: 4",
                "aol",
                FAILURE,
            ),
            (
                "Nov 28 12:54:40 web01 usermod[7730]: change user 'acris' expiration from '2001-01-01' to '2243-10-16'",
                "acris",
                SUCCESS,
            ),
            (
                "Nov 28 12:54:41 web01 usermod[7731]: change user name 'an' to 'an.nv'",
                "an.nv",
                SUCCESS,
            ),
            (
                "2026-11-28T18:01:02.000000+07:00 web01 unix_chkpwd[2345678]: password check failed for user (testuser)",
                "testuser",
                FAILURE,
            ),
        ] {
            let ev = parse(line);
            assert_eq!(ev.user.as_deref(), Some(user), "{line}");
            assert_eq!(ev.outcome, Some(outcome), "{line}");
        }
    }

    #[test]
    fn a_directory_login_name_is_split_like_a_firewall_user() {
        use crate::firewall::test_support::parse;
        for line in [
            "Nov 28 10:00:00 web01 sshd[123]: Accepted password for an.nv@sotttt.gov.vn from 10.1.1.5 port 4444 ssh2",
            "Nov 28 10:00:00 web01 sudo: an.nv@sotttt.gov.vn : TTY=pts/0 ; PWD=/home ; USER=root ; COMMAND=/bin/ls",
        ] {
            let ev = parse(line);
            assert_eq!(ev.user.as_deref(), Some("an.nv"), "{line}");
            assert_eq!(ev.get_field("user_domain"), Some("sotttt.gov.vn"), "{line}");
            assert_eq!(
                ev.get_field("user_principal"),
                Some("an.nv@sotttt.gov.vn"),
                "{line}"
            );
        }
        // Not a principal: no dotted domain, or blanks.
        let ev = parse(
            "Nov 28 10:00:00 web01 sshd[123]: Invalid user admin@123 from 203.0.113.9 port 4444",
        );
        assert_eq!(ev.user.as_deref(), Some("admin@123"));
        // The ASA's `DOMAIN\\name@upn`: the account is the UPN's name.
        let ev = parse(
            "%ASA-6-302013: Built inbound TCP connection 7 for outside:203.0.113.2/62197 (203.0.113.2/62197)(CORP\\an@corp.vn) to dmz:10.1.1.1/88 (10.1.1.1/88)",
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.get_field("user_domain"), Some("CORP"));
    }

    #[test]
    fn a_repeated_message_is_read_and_counted() {
        let ev = crate::firewall::test_support::parse(
            "Nov 28 10:00:00 web01 sshd[123]: message repeated 3 times: [ Failed password for root from 203.0.113.9 port 4444 ssh2]",
        );
        assert_eq!(ev.source_type, crate::SourceType::LinuxAuth);
        assert_eq!(ev.user.as_deref(), Some("root"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.outcome, Some(crate::event::FAILURE));
        assert_eq!(ev.get_field("repeated"), Some("3"));
        assert_eq!(
            ev.message.as_deref(),
            Some(
                "message repeated 3 times: [ Failed password for root from 203.0.113.9 port 4444 ssh2]"
            )
        );
        // Not the shape: left alone.
        let ev = crate::firewall::test_support::parse(
            "Nov 28 10:00:00 web01 app[1]: message repeated many times: [ x]",
        );
        assert_eq!(ev.get_field("repeated"), None);
    }

    #[test]
    fn old_pam_tags_go_to_the_pam_parser() {
        let line = "Nov 28 10:00:00 web01 sshd(pam_unix)[1234]: authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=root";
        let ev = crate::firewall::test_support::parse(line);
        assert_eq!(ev.source_type, crate::SourceType::LinuxAuth);
        assert_eq!(ev.user.as_deref(), Some("root"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.outcome, Some(crate::event::FAILURE));
    }
}
