//! Linux system and authentication payloads inside syslog records, and Linux audit records.
//!
//! Each submodule is one [`PayloadParser`](crate::payload::PayloadParser). Authentication parsers
//! fill `user`, `outcome` (`success`/`failure`), `src_ip`/`src_port` where the message names them,
//! and put the event's kind in `fields.event` (e.g. `ssh_login`, `sudo_command`, `user_created`).

pub mod accounts;
pub mod auditd;
pub mod cron;
pub mod kernel;
pub mod pam;
pub mod sshd;
pub mod su;
pub mod sudo;

use crate::event::Event;
use crate::pattern::match_template;
use crate::payload::apply;

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

/// Tries each sentence in order; the first that matches fills the event.
pub(crate) fn match_sentences<'a>(
    sentences: &[Sentence],
    message: &'a str,
    ev: &mut Event<'a>,
) -> bool {
    for sentence in sentences {
        if let Some(caps) = match_template(sentence.template, message) {
            apply(&caps, ev);
            ev.field("event", sentence.event);
            if let Some(outcome) = sentence.outcome {
                ev.outcome = Some(outcome);
            }
            return true;
        }
    }
    false
}
