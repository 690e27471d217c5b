//! sudo: `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls`, with the failures
//! sudo puts before the pairs (`user NOT in sudoers`, `3 incorrect password attempts`).

use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use crate::firewall::StaticFinder;
use crate::pattern::split_literal;
use crate::payload::PayloadParser;

// Searchers built once: a headerless record is searched for these before other formats get it.
static TTY: StaticFinder = StaticFinder::new(b" : TTY=");
static COMMAND: StaticFinder = StaticFinder::new(b" ; COMMAND=");

/// sudo command records.
pub struct Sudo;

impl PayloadParser for Sudo {
    fn source_type(&self) -> SourceType {
        SourceType::LinuxAuth
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        match app {
            Some(app) => app == "sudo" && !message.trim_start().starts_with("pam_"),
            // `alice : TTY=...`: the user name is one word, so the `:` comes right after it.
            None => {
                let (_, after_user) = crate::syslog::token(message.trim_start());
                after_user.starts_with(": ")
                    && TTY.find(message.as_bytes()).is_some()
                    && COMMAND.find(message.as_bytes()).is_some()
            }
        }
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let m = message.trim();
        let Some((user, rest)) = split_literal(m, " : ") else {
            // sudo also logs free-text lines (e.g. "unable to resolve host"); keep them whole.
            return Ok(());
        };
        if user.contains(' ') {
            return Ok(());
        }
        crate::payload::set_user(ev, user);
        let mut failure: Option<&'a str> = None;
        let mut parts = Some(rest);
        while let Some(list) = parts {
            let part = match split_literal(list, " ; ") {
                Some((part, more)) => {
                    parts = Some(more);
                    part
                }
                None => {
                    parts = None;
                    list
                }
            };
            match part.split_once('=') {
                Some((key, value)) if key.bytes().all(|c| c.is_ascii_uppercase() || c == b'_') => {
                    match key {
                        "TTY" => ev.field("tty", value),
                        "PWD" => ev.field("pwd", value),
                        "USER" => ev.field("target_user", value),
                        "GROUP" => ev.field("target_group", value),
                        "COMMAND" => ev.field("command", value),
                        _ => ev.field(key.to_ascii_lowercase(), value),
                    }
                }
                _ => failure = Some(part.trim()),
            }
        }
        ev.field("event", "sudo_command");
        match failure {
            Some(reason) => {
                ev.outcome = Some(FAILURE);
                ev.field("reason", reason);
            }
            None => ev.outcome = Some(SUCCESS),
        }
        Ok(())
    }
}
