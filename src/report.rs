//! `canhgac report`: the monthly security report.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use canhgac_engine::notify::config::Lang;
use canhgac_engine::report::{self, Format, ReportRequest};
use clap::{Args, ValueEnum};

use crate::daemon::load_config;

/// `canhgac report`.
#[derive(Args)]
pub struct ReportArgs {
    /// The month, `YYYY-MM` (default: the current month, up to now).
    #[arg(long)]
    month: Option<String>,
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
    let (year, month) = match &args.month {
        Some(m) => report::parse_month(m)?,
        None => report::this_month(),
    };
    let request = ReportRequest {
        year,
        month,
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
    match &args.out {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().write_all(&bytes)?,
    }
    Ok(())
}
