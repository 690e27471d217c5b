//! `canhgac report`: the monthly security report.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use canhgac_engine::notify::config::Lang;
use canhgac_engine::notify::mail::MailAttachment;
use canhgac_engine::notify::{Notifier, NotifyMetrics};
use canhgac_engine::report::{self, Format, ReportRequest};
use clap::{Args, ValueEnum};

use crate::daemon::load_config;

/// `canhgac report`.
#[derive(Args)]
pub struct ReportArgs {
    /// The month, `YYYY-MM` (default: the current month, up to now); with `--months`, the first
    /// month of the period.
    #[arg(long)]
    month: Option<String>,
    /// Months in the period: 6 (with `--month 2026-01` or `2026-07`) makes the six-monthly
    /// roll-up for the national monitoring report (Circular 31/2017).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=12))]
    months: u32,
    /// Language of the HTML and PDF forms.
    #[arg(long, value_enum, default_value_t = ReportLang::Vi)]
    lang: ReportLang,
    /// Output form.
    #[arg(long, value_enum, default_value_t = ReportFormat::Html)]
    format: ReportFormat,
    /// Output file (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Configuration file (departments, organisation name, `data_dir`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory (overrides the config file's `data_dir`).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Mail the report (attached) to these addresses through the outbox, with the config's mail
    /// server. Not while `canhgac serve` runs on the same data directory (it owns the outbox).
    #[arg(long)]
    mail_to: Vec<String>,
    /// Make the scheduled report if it is due (`[report.schedule]`): for setups that run it from
    /// cron instead of `canhgac serve`. Writes to `reports/` and queues the mail; other options
    /// but `--config` and `--data-dir` are ignored.
    #[arg(long)]
    due: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportLang {
    Vi,
    En,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Html,
    Pdf,
    Json,
    Csv,
}

/// Computes and writes the report.
pub fn run(args: &ReportArgs) -> Result<()> {
    let mut config = load_config(args.config.as_deref())?;
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    // The rules enabled now go into the rule history the posture section reads.
    crate::daemon::rule_set(&config)?;
    if args.due {
        let now = chrono::Utc::now().timestamp_micros();
        match report::schedule::run_due(&config, now)? {
            Some(made) => eprintln!(
                "canhgac: report of {} made: {}{}",
                made.month,
                made.files.join(", "),
                made.mail_id
                    .map(|id| format!("; mail {id} queued"))
                    .unwrap_or_default()
            ),
            None => eprintln!("canhgac: no scheduled report is due"),
        }
        return Ok(());
    }
    let (year, month) = match &args.month {
        Some(m) => report::parse_month(m)?,
        None => report::this_month(),
    };
    let request = ReportRequest {
        year,
        month,
        months: args.months,
        silent_hours: config.report.silent_hours,
        now_micros: chrono::Utc::now().timestamp_micros(),
    };
    let figures = report::monthly(&config, &request)
        .with_context(|| format!("computing the report of {year}-{month:02}"))?;

    let format = match args.format {
        ReportFormat::Html => Format::Html,
        ReportFormat::Pdf => Format::Pdf,
        ReportFormat::Json => Format::Json,
        ReportFormat::Csv => Format::Csv,
    };
    let lang = match args.lang {
        ReportLang::Vi => Lang::Vi,
        ReportLang::En => Lang::En,
    };
    let bytes = report::render(&figures, format, lang)?;
    if !args.mail_to.is_empty() {
        mail(&config, &figures, format, lang, &bytes, &args.mail_to)?;
        if args.out.is_none() {
            return Ok(());
        }
    }
    match &args.out {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(())
}

/// Queues the report for `to` in the outbox and tries to deliver it now.
fn mail(
    config: &canhgac_engine::config::Config,
    figures: &report::MonthlyReport,
    format: Format,
    lang: Lang,
    bytes: &[u8],
    to: &[String],
) -> Result<()> {
    let (extension, content_type) = (format.extension(), format.content_type());
    let Some(mut notifier) = Notifier::open(config, NotifyMetrics::default().into())? else {
        anyhow::bail!("--mail-to needs a mail server: set [notify.smtp] host in the config");
    };
    let attachment = MailAttachment {
        filename: if figures.period.months > 1 {
            format!(
                "canhgac-report-{}-{}m.{extension}",
                figures.period.month, figures.period.months
            )
        } else {
            format!("canhgac-report-{}.{extension}", figures.period.month)
        },
        content_type: content_type.to_owned(),
        body: bytes.to_vec(),
    };
    let key = format!(
        "{}:{}:{extension}:{}",
        figures.period.month,
        figures.figures_sha256,
        to.join(",")
    );
    let id = notifier.queue_report(to, &report::mail(figures, lang), &[attachment], &key)?;
    let done = notifier.deliver_now()?;
    eprintln!(
        "canhgac: report mail {id} queued for {}; {} sent, {} waiting for the server, {} refused",
        to.join(", "),
        done.sent,
        done.deferred,
        done.failed
    );
    Ok(())
}
