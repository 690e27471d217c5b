//! `canhgac notify ...`: check the mail setup, see what waits in the outbox, deliver it now.

use std::path::PathBuf;

use anyhow::{Context, Result};
use canhgac_engine::notify::config::Lang;
use canhgac_engine::notify::{self, Notifier, NotifyMetrics};
use clap::{Args, Subcommand, ValueEnum};

use crate::daemon::load_config;

/// `canhgac notify ...`.
#[derive(Subcommand)]
pub enum NotifyCommand {
    /// Send a test mail with the configured server, straight away (not through the outbox).
    Test {
        /// Recipient.
        #[arg(long)]
        to: String,
        /// Language of the test mail (default: the config's `notify.lang`).
        #[arg(long, value_enum)]
        lang: Option<MailLang>,
        #[command(flatten)]
        common: Common,
    },
    /// List the mails waiting in the outbox, and those the server refused for good.
    Outbox {
        #[command(flatten)]
        common: Common,
    },
    /// Route new alerts and try to deliver every pending mail now (when no daemon runs).
    Flush {
        #[command(flatten)]
        common: Common,
    },
}

/// Options every `notify` command takes.
#[derive(Args)]
pub struct Common {
    /// Configuration file (its `[notify]` section and `data_dir`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory (overrides the config file's `data_dir`).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

/// Mail language.
#[derive(Clone, Copy, ValueEnum)]
pub enum MailLang {
    /// Tiếng Việt.
    Vi,
    /// English.
    En,
}

impl Common {
    fn config(&self) -> Result<canhgac_engine::config::Config> {
        let mut config = load_config(self.config.as_deref())?;
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        Ok(config)
    }
}

/// Runs a `notify` command.
pub fn run(command: NotifyCommand) -> Result<()> {
    match command {
        NotifyCommand::Test { to, lang, common } => {
            let config = common.config()?;
            let lang = lang.map(|l| match l {
                MailLang::Vi => Lang::Vi,
                MailLang::En => Lang::En,
            });
            notify::send_test(&config, &to, lang)
                .with_context(|| format!("sending a test mail to {to}"))?;
            println!("test mail accepted by {} for {to}", config.notify.smtp.host);
        }
        NotifyCommand::Outbox { common } => {
            let config = common.config()?;
            let (pending, failed) = notify::outbox_contents(&config.data_dir)?;
            println!("{} pending, {} refused", pending.len(), failed.len());
            for (state, mails) in [("pending", &pending), ("refused", &failed)] {
                for m in mails {
                    let next = if m.next_attempt > 0 && state == "pending" {
                        format!(
                            " next try {}",
                            canhgac_rules::alert::rfc3339(m.next_attempt)
                        )
                    } else {
                        String::new()
                    };
                    println!(
                        "{state}\t{}\t{}\t{}\tto {}\tqueued {}\tattempts {}{next}\t{}",
                        m.id,
                        m.kind,
                        canhgac_engine::text::visible(&m.subject),
                        m.to.join(","),
                        m.queued_at,
                        m.attempts,
                        m.last_error
                            .as_deref()
                            .map(canhgac_engine::text::visible)
                            .unwrap_or_default()
                    );
                }
            }
        }
        NotifyCommand::Flush { common } => {
            let config = common.config()?;
            let Some(mut notifier) = Notifier::open(&config, NotifyMetrics::default().into())?
            else {
                anyhow::bail!("notify.smtp.host is not set: mail is off");
            };
            let (queued, done) = notifier.flush()?;
            println!(
                "{queued} mail(s) queued; {} sent, {} deferred (server unavailable), {} refused",
                done.sent, done.deferred, done.failed
            );
        }
    }
    Ok(())
}
