//! The scheduled monthly run: on `[report.schedule] day` at `hour` (UTC), last month's report is
//! written to `reports/` in every configured language and form, and mailed to the recipients
//! through the outbox. `reports/YYYY-MM.done.json` records that a month was made, so a restart or a
//! second check never makes or mails it twice; delete it to make the month again.

use std::path::{Path, PathBuf};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::{Format, ReportRequest, monthly, previous_month, render};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::notify::config::Lang;
use crate::notify::mail::MailAttachment;

/// Where scheduled reports go, relative to the data directory.
pub const REPORTS_DIR: &str = "reports";

/// The record of one month's scheduled run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Made {
    /// `YYYY-MM`.
    pub month: String,
    /// When (RFC 3339).
    pub at: String,
    /// Files written, relative to the data directory.
    pub files: Vec<String>,
    /// SHA-256 of the figures.
    pub figures_sha256: String,
    /// The outbox mail, when there were recipients.
    pub mail_id: Option<String>,
}

fn done_path(data_dir: &Path, month: &str) -> PathBuf {
    data_dir
        .join(REPORTS_DIR)
        .join(format!("{month}.done.json"))
}

/// The month whose report is due at `now` (µs) and not yet made, if the schedule is on.
pub fn due(config: &Config, now: i64) -> Option<(i32, u32)> {
    let s = &config.report.schedule;
    if s.day == 0 {
        return None;
    }
    let t = chrono::DateTime::from_timestamp_micros(now)?;
    let due_at = NaiveDate::from_ymd_opt(t.year(), t.month(), s.day)?
        .and_hms_opt(s.hour, 0, 0)?
        .and_utc();
    if t < due_at {
        return None;
    }
    let (year, month) = previous_month(t.year(), t.month());
    let name = format!("{year:04}-{month:02}");
    match std::fs::metadata(done_path(&config.data_dir, &name)) {
        Ok(_) => None,
        Err(_) => Some((year, month)),
    }
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    }
}

/// Makes the report of `year`-`month` as the schedule says: files under `reports/`, a mail
/// queued for the recipients, then the done record.
pub fn make(config: &Config, year: i32, month: u32, now: i64) -> Result<Made> {
    let s = &config.report.schedule;
    let figures = monthly(
        config,
        &ReportRequest {
            year,
            month,
            months: 1,
            silent_hours: config.report.silent_hours,
            now_micros: now,
        },
    )?;
    let name = figures.period.month.clone();
    let dir = config.data_dir.join(REPORTS_DIR);
    std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
    let langs = if s.languages.is_empty() {
        vec![Lang::Vi]
    } else {
        s.languages.clone()
    };
    let mut files = Vec::new();
    let mut attachments = Vec::new();
    for lang in &langs {
        for f in &s.formats {
            let format = Format::from_name(f)
                .ok_or_else(|| Error::Config(format!("report.schedule: format `{f}`")))?;
            let ext = format.extension();
            let bytes = render(&figures, format, *lang)?;
            let file = format!("canhgac-report-{name}-{}.{ext}", lang_code(*lang));
            crate::serve::state::replace_file(&dir.join(&file), &bytes)?;
            files.push(format!("{REPORTS_DIR}/{file}"));
            attachments.push(MailAttachment {
                filename: file,
                content_type: format.content_type().to_owned(),
                body: bytes,
            });
        }
    }
    let mail_id = if s.recipients.is_empty() {
        None
    } else {
        let key = format!("scheduled:{name}:{}", figures.figures_sha256);
        Some(crate::notify::enqueue_report(
            config,
            &s.recipients,
            &super::mail(&figures, langs[0]),
            &attachments,
            &key,
        )?)
    };
    let made = Made {
        month: name.clone(),
        at: canhgac_rules::alert::rfc3339(now),
        files,
        figures_sha256: figures.figures_sha256.clone(),
        mail_id,
    };
    let record = serde_json::to_vec_pretty(&made)
        .map_err(|e| Error::Internal(format!("report record: {e}")))?;
    crate::serve::state::replace_file(&done_path(&config.data_dir, &name), &record)?;
    Ok(made)
}

/// Makes the due report, if any.
pub fn run_due(config: &Config, now: i64) -> Result<Option<Made>> {
    match due(config, now) {
        Some((year, month)) => make(config, year, month, now).map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_from_the_configured_day_and_hour_until_made() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let at = |d: u32, h: u32| {
            NaiveDate::from_ymd_opt(2026, 11, d)
                .and_then(|x| x.and_hms_opt(h, 0, 0))
                .map(|t| t.and_utc().timestamp_micros())
                .expect("time")
        };
        assert_eq!(due(&config, at(5, 12)), None, "off by default");
        config.report.schedule.day = 3;
        config.report.schedule.hour = 7;
        assert_eq!(due(&config, at(3, 6)), None);
        assert_eq!(due(&config, at(3, 7)), Some((2026, 10)));
        assert_eq!(due(&config, at(20, 0)), Some((2026, 10)));
        std::fs::create_dir_all(dir.path().join(REPORTS_DIR)).expect("dir");
        std::fs::write(done_path(dir.path(), "2026-10"), "{}").expect("done");
        assert_eq!(due(&config, at(20, 0)), None);
    }
}
