//! cron daemons: `(root) CMD (run-parts /etc/cron.hourly)` and friends.

use crate::event::{Event, SourceType};
use std::sync::LazyLock;

use crate::linux::{Sentence, Sentences, s};
use crate::payload::PayloadParser;

/// cron, crond, anacron.
pub struct Cron;

pub(crate) const SENTENCES: &[Sentence] = &[
    s("({user}) CMD ({command})", "cron_command", None),
    s("({user}) RELOAD ({file})", "cron_reload", None),
    s("({user}) REPLACE ({target})", "cron_replace", None),
    s("({user}) BEGIN EDIT ({target})", "cron_edit", None),
    s("({user}) END EDIT ({target})", "cron_edit", None),
    s("({user}) LIST ({target})", "cron_list", None),
    s("({user}) DELETE ({target})", "cron_delete", None),
    s("({user}) MAIL ({detail})", "cron_mail", None),
];

pub(crate) static SET: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(SENTENCES));

impl PayloadParser for Cron {
    fn source_type(&self) -> SourceType {
        SourceType::LinuxCron
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        app.is_some_and(|a| {
            a.eq_ignore_ascii_case("cron") || a == "crond" || a == "anacron" || a == "crontab"
        }) && !message.trim_start().starts_with("pam_")
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        SET.apply(message.trim(), ev);
        Ok(())
    }
}
