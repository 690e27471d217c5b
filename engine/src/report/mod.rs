//! The monthly security report: figures computed from the data directory, then rendered.
//!
//! Figures come from the rollups kept at ingest ([`crate::rollup`], read with DataFusion), the
//! alert log and the audit trail, never from a scan of the month's raw events, so the time to make
//! a report does not grow with event volume. Everything is computed as of the end of the period
//! (triage changes made later do not change a past month's report), in a fixed order, so the same
//! data gives the same report; `figures_sha256` is the SHA-256 of the figures' canonical JSON.
//!
//! [`render`] turns the figures into JSON, CSV, HTML or PDF (Vietnamese or English, charts).

mod assess;
mod pdf;
mod render;
pub mod schedule;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;

use arrow::array::AsArray;
use arrow::datatypes::{Int64Type, UInt64Type};
use canhgac_rules::Alert;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sha2::Digest;

use crate::alert_rollup::AlertRollup;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::workflow::{AuditLog, AuditRecord, Resolution, Status};

pub use assess::{
    Advice, Compliance, ComplianceLine, DEFAULT_MAPPING, Localized, Posture, Recommendation,
    RuleRef, TacticCoverage, Verdict, load_mapping,
};
pub use render::{Format, mail, render};

/// Entries kept in each top list.
pub const TOP: usize = 10;

/// Settings of one report.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// Year and month.
    pub year: i32,
    /// 1..=12: the first month of the period.
    pub month: u32,
    /// Months in the period: 1 for the monthly report, 6 for the six-monthly roll-up of the
    /// national monitoring report (Circular 31/2017).
    pub months: u32,
    /// A source with no events for at least this many hours in a row is reported silent.
    pub silent_hours: u32,
    /// Report time (µs): a period still running is cut here (its alert figures count whole
    /// days, which differs only for alerts stamped later today than the report: clock skew).
    pub now_micros: i64,
}

/// All the figures of a monthly report.
#[derive(Debug, Clone, Serialize)]
pub struct MonthlyReport {
    /// Organisation name (config `report.organization`, else empty).
    pub organization: String,
    /// The period.
    pub period: Period,
    /// What was monitored.
    pub scope: Scope,
    /// Evidence of continuous monitoring.
    pub continuity: Continuity,
    /// Firewall denies.
    pub firewall: Firewall,
    /// Authentication failures and privileged activity.
    pub access: Access,
    /// What fired.
    pub alerts: AlertFigures,
    /// How alerts were handled.
    pub handling: Handling,
    /// Rules enabled, added, changed; ATT&CK coverage.
    pub posture: Posture,
    /// The compliance mapping, judged.
    pub compliance: Compliance,
    /// Generated from the figures.
    pub recommendations: Vec<Recommendation>,
    /// The security office's own notes (config `report.notes`).
    pub notes: Vec<String>,
    /// SHA-256 of the figures above (canonical JSON, this field empty).
    pub figures_sha256: String,
}

/// The month.
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    /// `YYYY-MM`: the first month.
    pub month: String,
    /// Months covered (1: monthly; 6: six-monthly).
    pub months: u32,
    /// First instant (RFC 3339).
    pub start: String,
    /// End (exclusive; the report time for a month still running).
    pub end: String,
}

/// Sources and departments.
#[derive(Debug, Clone, Serialize)]
pub struct Scope {
    /// Collectors that delivered events in the month.
    pub sources: Vec<String>,
    /// Source types seen.
    pub source_types: Vec<String>,
    /// Departments from the configuration.
    pub departments: Vec<Department>,
}

/// A department.
#[derive(Debug, Clone, Serialize)]
pub struct Department {
    /// Group name.
    pub name: String,
    /// Display name.
    pub label: String,
    /// Security level (cấp độ).
    pub security_level: Option<u8>,
    /// Events from it in the month.
    pub events: u64,
}

/// Events per source, failures, silences.
#[derive(Debug, Clone, Serialize)]
pub struct Continuity {
    /// Events in the month.
    pub events: u64,
    /// Days in the period (a running month: days begun so far).
    pub days_in_period: u64,
    /// The oldest day of events in the store.
    pub oldest_stored_day: Option<String>,
    /// Days of events held: from the oldest stored day to the end of the period.
    pub retention_days: Option<u64>,
    /// Events per day (all sources).
    pub events_per_day: BTreeMap<String, u64>,
    /// Per source.
    pub sources: Vec<SourceHealth>,
    /// Collector drops, late events, WAL and disk, from the daemon's hourly health records.
    pub collectors: crate::health::PeriodHealth,
}

/// One source's month.
#[derive(Debug, Clone, Serialize)]
pub struct SourceHealth {
    /// Collector name.
    pub source: String,
    /// Events.
    pub events: u64,
    /// Events per day.
    pub per_day: BTreeMap<String, u64>,
    /// Records no parser understood.
    pub parse_failures: u64,
    /// `parse_failures / events`.
    pub parse_failure_rate: f64,
    /// Runs of at least `silent_hours` hours without events, between its first event and the end.
    pub silent_gaps: Vec<Gap>,
}

/// A silence.
#[derive(Debug, Clone, Serialize)]
pub struct Gap {
    /// First silent hour (RFC 3339).
    pub from: String,
    /// End of the silence (RFC 3339).
    pub to: String,
    /// Hours.
    pub hours: u64,
}

/// Firewall denies.
#[derive(Debug, Clone, Serialize)]
pub struct Firewall {
    /// Denied connections (deny, drop, reject, reset).
    pub denied: u64,
    /// Source addresses with the most denies.
    pub top_denied_sources: Vec<Count>,
}

/// Access-control evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Access {
    /// Failed authentications (`outcome` = failure).
    pub auth_failures: u64,
    /// Privileged activity (see [`crate::rollup::is_privileged`]).
    pub privileged_events: u64,
}

/// A label and a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// What.
    pub key: String,
    /// How many.
    pub count: u64,
}

/// Alert counts.
#[derive(Debug, Clone, Serialize)]
pub struct AlertFigures {
    /// Alerts whose first event falls in the month.
    pub total: u64,
    /// Repeats held back by suppression (not raised again while their alert stood).
    pub suppressed: u64,
    /// By level.
    pub by_level: BTreeMap<String, u64>,
    /// By rule (id, title), most first.
    pub by_rule: Vec<RuleCount>,
    /// By ATT&CK tactic.
    pub by_tactic: BTreeMap<String, u64>,
    /// By department (`-` for none).
    pub by_department: BTreeMap<String, u64>,
    /// By source type of the first evidence event.
    pub by_source_type: BTreeMap<String, u64>,
    /// Per day.
    pub per_day: BTreeMap<String, u64>,
    /// Source addresses in the most alerts.
    pub top_source_ips: Vec<Count>,
    /// Hosts in the most alerts.
    pub top_hosts: Vec<Count>,
    /// Accounts in the most alerts.
    pub top_users: Vec<Count>,
    /// The month before.
    pub previous_month: Previous,
}

/// Alerts of one rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleCount {
    /// Rule id.
    pub rule_id: String,
    /// Title.
    pub title: String,
    /// Level.
    pub level: String,
    /// Alerts.
    pub count: u64,
    /// Repeats held back by suppression.
    pub suppressed: u64,
}

/// The previous month's totals, for comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Previous {
    /// Alerts.
    pub total: u64,
    /// By level.
    pub by_level: BTreeMap<String, u64>,
}

/// Triage figures, as of the end of the period.
#[derive(Debug, Clone, Serialize)]
pub struct Handling {
    /// The month's alerts by status.
    pub by_status: BTreeMap<String, u64>,
    /// Closed ones by resolution.
    pub by_resolution: BTreeMap<String, u64>,
    /// Minutes from the first event to the first triage change.
    pub time_to_acknowledge_minutes: Spread,
    /// Minutes from the first event to closing.
    pub time_to_close_minutes: Spread,
    /// Alerts not closed at the end of the period, by age: `<1d`, `1-7d`, `7-30d`, `>30d`
    /// (every alert raised up to then, not only this month's; age counted from the start of the
    /// hour the alert was raised in).
    pub open_by_age: BTreeMap<String, u64>,
    /// The same open alerts by level.
    pub open_by_level: BTreeMap<String, u64>,
    /// Per rule with closed alerts: closed, false positives, rate.
    pub false_positives: Vec<FalsePositives>,
}

/// Median and 90th percentile.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Spread {
    /// Values measured.
    pub n: u64,
    /// Median (nearest rank).
    pub median: Option<f64>,
    /// 90th percentile (nearest rank).
    pub p90: Option<f64>,
}

/// A rule's verdicts.
#[derive(Debug, Clone, Serialize)]
pub struct FalsePositives {
    /// Rule id.
    pub rule_id: String,
    /// Closed alerts.
    pub closed: u64,
    /// Closed as false positive.
    pub false_positive: u64,
    /// `false_positive / closed`.
    pub rate: f64,
}

/// One source's counts while the rollup rows are read.
#[derive(Default)]
struct SourceTally {
    events: u64,
    failures: u64,
    per_day: BTreeMap<String, u64>,
    hours: BTreeSet<i64>,
}

const DAY_MICROS: i64 = 86_400_000_000;
const HOUR_MICROS: i64 = 3_600_000_000;

fn month_start(year: i32, month: u32) -> Result<i64> {
    NaiveDate::from_ymd_opt(year, month, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
        .ok_or_else(|| Error::Config(format!("{year}-{month:02} is not a month")))
}

/// The month `n` months after (or before, for a negative `n`) `year`-`month`.
fn add_months(year: i32, month: u32, n: i32) -> (i32, u32) {
    let index = year * 12 + month as i32 - 1 + n;
    (index.div_euclid(12), index.rem_euclid(12) as u32 + 1)
}

fn previous_month(year: i32, month: u32) -> (i32, u32) {
    add_months(year, month, -1)
}

/// The date after the last day that `[.., end)` touches.
fn day_after(end: i64) -> String {
    date_of(end - 1 + DAY_MICROS)
}

fn date_of(micros: i64) -> String {
    crate::store::day_to_date(i32::try_from(micros.div_euclid(DAY_MICROS)).unwrap_or(0))
}

/// Computes the report of a month.
pub fn monthly(config: &Config, request: &ReportRequest) -> Result<MonthlyReport> {
    let organization = config.report.organization.as_str();
    let data_dir = &config.data_dir;
    let start = month_start(request.year, request.month)?;
    let months = request.months.clamp(1, 12);
    let (ny, nm) = add_months(request.year, request.month, months as i32);
    let end = month_start(ny, nm)?.min(request.now_micros.max(start));
    crate::rollup::repair(data_dir)?;

    let hourly = crate::sql::query_blocking(
        data_dir,
        &format!(
            "SELECT CAST(to_unixtime(hour) AS BIGINT) AS hour_s, coalesce(collector, '-') AS collector, \
             source_type, coalesce(asset_group, '-') AS asset_group, parse_status, \
             CAST(sum(events) AS BIGINT UNSIGNED) AS events, CAST(sum(denied) AS BIGINT UNSIGNED) AS denied, \
             CAST(sum(auth_failures) AS BIGINT UNSIGNED) AS auth_failures, \
             CAST(sum(coalesce(privileged, 0)) AS BIGINT UNSIGNED) AS privileged \
             FROM event_rollup WHERE hour >= to_timestamp_micros({start}) AND hour < to_timestamp_micros({end}) \
             GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
        ),
    )?;
    let mut total = 0u64;
    let mut events_per_day: BTreeMap<String, u64> = BTreeMap::new();
    let mut per_source: BTreeMap<String, SourceTally> = BTreeMap::new();
    let mut types = BTreeSet::new();
    let mut per_group: HashMap<String, u64> = HashMap::new();
    let mut denied = 0u64;
    let mut access = Access {
        auth_failures: 0,
        privileged_events: 0,
    };
    for batch in &hourly {
        let hour = batch.column(0).as_primitive::<Int64Type>();
        let collector = batch.column(1).as_string::<i32>();
        let source_type = batch.column(2).as_string::<i32>();
        let group = batch.column(3).as_string::<i32>();
        let status = batch.column(4).as_string::<i32>();
        let events = batch.column(5).as_primitive::<UInt64Type>();
        let denies = batch.column(6).as_primitive::<UInt64Type>();
        let failed_auth = batch.column(7).as_primitive::<UInt64Type>();
        let privileged = batch.column(8).as_primitive::<UInt64Type>();
        for row in 0..batch.num_rows() {
            let n = events.value(row);
            let h = hour.value(row) * 1_000_000;
            total += n;
            denied += denies.value(row);
            access.auth_failures += failed_auth.value(row);
            access.privileged_events += privileged.value(row);
            *events_per_day.entry(date_of(h)).or_default() += n;
            types.insert(source_type.value(row).to_owned());
            *per_group.entry(group.value(row).to_owned()).or_default() += n;
            let s = per_source
                .entry(collector.value(row).to_owned())
                .or_default();
            s.events += n;
            if status.value(row) == "failed" {
                s.failures += n;
            }
            *s.per_day.entry(date_of(h)).or_default() += n;
            s.hours.insert(h / HOUR_MICROS);
        }
    }
    let last_hour = (end - 1).div_euclid(HOUR_MICROS);
    let sources: Vec<SourceHealth> = per_source
        .into_iter()
        .map(|(source, t)| SourceHealth {
            parse_failure_rate: ratio(t.failures, t.events),
            silent_gaps: gaps(&t.hours, last_hour, end, request.silent_hours),
            source,
            events: t.events,
            per_day: t.per_day,
            parse_failures: t.failures,
        })
        .collect();

    let denies = crate::sql::query_blocking(
        data_dir,
        &format!(
            "SELECT src_ip, CAST(sum(denied) AS BIGINT UNSIGNED) AS n FROM deny_rollup \
             WHERE date >= '{}' AND date < '{}' AND src_ip IS NOT NULL \
             GROUP BY src_ip ORDER BY n DESC, src_ip LIMIT {TOP}",
            date_of(start),
            date_of(month_start(ny, nm)?)
        ),
    )?;
    let mut top_denied_sources = Vec::new();
    for batch in &denies {
        let ip = batch.column(0).as_string::<i32>();
        let n = batch.column(1).as_primitive::<UInt64Type>();
        for row in 0..batch.num_rows() {
            top_denied_sources.push(Count {
                key: ip.value(row).to_owned(),
                count: n.value(row),
            });
        }
    }

    let rollup = crate::alert_rollup::refresh(data_dir)?;
    let audit = AuditLog::new(data_dir).read_all()?;
    // The comparison is with the period of the same length before.
    let (py, pm) = add_months(request.year, request.month, -(months as i32));
    // Alert days up to and including the one `end` falls in (unless `end` is its midnight).
    let (from, to) = (date_of(start), day_after(end));

    let alerts = alert_figures(&rollup, &from, &to, &date_of(month_start(py, pm)?));
    let fired: BTreeSet<&str> = alerts.by_rule.iter().map(|r| r.rule_id.as_str()).collect();
    let posture = assess::posture(&crate::posture::read(data_dir)?, start, end, &fired);
    let mapping = load_mapping(config.report.compliance.as_deref())?;
    let oldest = oldest_stored_day(data_dir, &date_of(end - 1))?;

    let departments = config
        .groups
        .iter()
        .map(|(name, g)| Department {
            name: name.clone(),
            label: if g.label.is_empty() {
                name.clone()
            } else {
                g.label.clone()
            },
            security_level: g.security_level,
            events: per_group.get(name).copied().unwrap_or(0),
        })
        .collect();

    let mut report = MonthlyReport {
        organization: organization.to_owned(),
        period: Period {
            month: format!("{:04}-{:02}", request.year, request.month),
            months,
            start: canhgac_rules::alert::rfc3339(start),
            end: canhgac_rules::alert::rfc3339(end),
        },
        scope: Scope {
            sources: sources.iter().map(|s| s.source.clone()).collect(),
            source_types: types.into_iter().collect(),
            departments,
        },
        continuity: Continuity {
            events: total,
            days_in_period: ((end - start + DAY_MICROS - 1) / DAY_MICROS) as u64,
            retention_days: oldest
                .as_ref()
                .and_then(|d| day_start(d))
                .map(|t| ((end - t + DAY_MICROS - 1) / DAY_MICROS).max(0) as u64),
            oldest_stored_day: oldest,
            events_per_day,
            sources,
            collectors: crate::health::period(data_dir, start, end)?,
        },
        firewall: Firewall {
            denied,
            top_denied_sources,
        },
        access,
        alerts,
        handling: handling(data_dir, &rollup, &audit, start, end)?,
        posture,
        compliance: Compliance::default(),
        recommendations: Vec::new(),
        notes: assess::notes(config.report.notes.as_deref())?,
        figures_sha256: String::new(),
    };
    report.compliance = assess::compliance(&mapping, &report);
    report.recommendations = assess::recommendations(&report);
    report.figures_sha256 = digest(&report)?;
    Ok(report)
}

/// SHA-256 (hex) of the report's canonical JSON with an empty `figures_sha256`.
pub fn digest(report: &MonthlyReport) -> Result<String> {
    let mut copy = report.clone();
    copy.figures_sha256 = String::new();
    let json = serde_json::to_vec(&copy).map_err(|e| Error::Internal(format!("report: {e}")))?;
    let hash = sha2::Sha256::digest(&json);
    Ok(hash.iter().map(|b| format!("{b:02x}")).collect())
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        round4(part as f64 / whole as f64)
    }
}

/// Four decimals: stable in JSON, enough for a rate.
fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}

/// Midnight (µs) of a `YYYY-MM-DD` day.
fn day_start(date: &str) -> Option<i64> {
    NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_micros())
}

/// The oldest `events/date=D` partition up to `last` (inclusive): how far back the store goes.
fn oldest_stored_day(data_dir: &Path, last: &str) -> Result<Option<String>> {
    let dir = data_dir.join(crate::store::EVENTS_DIR);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(&dir)(e)),
    };
    let mut oldest: Option<String> = None;
    for entry in entries {
        let entry = entry.map_err(Error::io(&dir))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(date) = name.strip_prefix("date=") else {
            continue;
        };
        // A partition holding only temporary files (a write in progress) holds no events yet.
        let has_events = std::fs::read_dir(entry.path()).is_ok_and(|files| {
            files
                .flatten()
                .any(|f| f.file_name().to_string_lossy().ends_with(".parquet"))
        });
        if has_events
            && day_start(date).is_some()
            && date <= last
            && oldest.as_deref().is_none_or(|o| date < o)
        {
            oldest = Some(date.to_owned());
        }
    }
    Ok(oldest)
}

/// Runs of at least `min` empty hours after the first busy hour, up to `last_hour` inclusive (a
/// silence running at the end is cut at `end`, µs).
fn gaps(busy: &BTreeSet<i64>, last_hour: i64, end: i64, min: u32) -> Vec<Gap> {
    let mut out = Vec::new();
    let Some(&first) = busy.iter().next() else {
        return out;
    };
    let mut previous = first;
    for &h in busy.iter().skip(1).chain(std::iter::once(&(last_hour + 1))) {
        let empty = h - previous - 1;
        if min > 0 && empty >= i64::from(min) {
            out.push(Gap {
                from: canhgac_rules::alert::rfc3339((previous + 1) * HOUR_MICROS),
                to: canhgac_rules::alert::rfc3339((h * HOUR_MICROS).min(end)),
                hours: empty as u64,
            });
        }
        previous = h;
    }
    out
}

fn top(counts: HashMap<String, u64>) -> Vec<Count> {
    let mut v: Vec<Count> = counts
        .into_iter()
        .map(|(key, count)| Count { key, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
    v.truncate(TOP);
    v
}

fn add_counts(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

fn add_counts_hashed(into: &mut HashMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

/// The alert section from the daily alert rollup: days `from..to`, and `previous..from` for the
/// comparison.
fn alert_figures(rollup: &AlertRollup, from: &str, to: &str, previous: &str) -> AlertFigures {
    let mut rules: BTreeMap<&str, RuleCount> = BTreeMap::new();
    let mut f = AlertFigures {
        total: 0,
        suppressed: 0,
        by_level: BTreeMap::new(),
        by_rule: Vec::new(),
        by_tactic: BTreeMap::new(),
        by_department: BTreeMap::new(),
        by_source_type: BTreeMap::new(),
        per_day: BTreeMap::new(),
        top_source_ips: Vec::new(),
        top_hosts: Vec::new(),
        top_users: Vec::new(),
        previous_month: Previous {
            total: 0,
            by_level: BTreeMap::new(),
        },
    };
    let (mut ips, mut hosts, mut users) = (HashMap::new(), HashMap::new(), HashMap::new());
    for (date, day) in rollup.range(from, to) {
        let n = day.total();
        f.total += n;
        f.per_day.insert(date.clone(), n);
        add_counts(&mut f.by_level, &day.by_level);
        add_counts(&mut f.by_tactic, &day.by_tactic);
        add_counts(&mut f.by_department, &day.by_department);
        add_counts(&mut f.by_source_type, &day.by_source_type);
        add_counts_hashed(&mut ips, &day.source_ips);
        add_counts_hashed(&mut hosts, &day.hosts);
        add_counts_hashed(&mut users, &day.users);
        for (id, r) in &day.by_rule {
            let rule = rules.entry(id.as_str()).or_insert_with(|| RuleCount {
                rule_id: id.clone(),
                title: String::new(),
                level: String::new(),
                count: 0,
                suppressed: 0,
            });
            // Days come in order: the title and level are the latest ones.
            rule.title.clone_from(&r.title);
            rule.level.clone_from(&r.level);
            rule.count += r.count;
            rule.suppressed += r.suppressed;
            f.suppressed += r.suppressed;
        }
    }
    for (_, day) in rollup.range(previous, from) {
        f.previous_month.total += day.total();
        add_counts(&mut f.previous_month.by_level, &day.by_level);
    }
    f.by_rule = rules.into_values().collect();
    f.by_rule
        .sort_by(|a, b| b.count.cmp(&a.count).then(a.rule_id.cmp(&b.rule_id)));
    f.top_source_ips = top(ips);
    f.top_hosts = top(hosts);
    f.top_users = top(users);
    f
}

/// The age bucket of an alert raised in the hour starting at `hour` (µs), at `end`.
fn age_bucket(hour: i64, end: i64) -> &'static str {
    match (end - hour) / DAY_MICROS {
        0 => "<1d",
        1..=6 => "1-7d",
        7..=29 => "7-30d",
        _ => ">30d",
    }
}

/// Triage figures: the alerts' counts come from the rollup; only alerts with a triage history
/// (a few, next to everything raised) are looked up one by one.
fn handling(
    data_dir: &Path,
    rollup: &AlertRollup,
    audit: &[AuditRecord],
    start: i64,
    end: i64,
) -> Result<Handling> {
    // Every triaged alert's history up to the end of the period, in order.
    let mut history: BTreeMap<&str, Vec<&AuditRecord>> = BTreeMap::new();
    for r in audit {
        if canhgac_rules::alert::micros_of(&r.at) < end {
            history.entry(r.alert_id.as_str()).or_default().push(r);
        }
    }
    let ids: Vec<&str> = history.keys().copied().collect();
    let facts = alert_facts(data_dir, &ids)?;
    let mut by_status = BTreeMap::new();
    let mut by_resolution = BTreeMap::new();
    let (mut ack, mut close) = (Vec::new(), Vec::new());
    let mut verdicts: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    let mut triaged_in_month = 0u64;
    let mut closed_by_hour: BTreeMap<i64, u64> = BTreeMap::new();
    let mut closed_by_level: BTreeMap<&str, u64> = BTreeMap::new();
    for (id, h) in &history {
        let Some(Facts {
            first,
            rule_id,
            level,
        }) = facts.get(*id)
        else {
            continue;
        };
        let Some(last) = h.last() else { continue };
        let state = last.state_after();
        if state.status == Status::Closed && *first < end {
            *closed_by_hour
                .entry(first.div_euclid(HOUR_MICROS) * HOUR_MICROS)
                .or_default() += 1;
            *closed_by_level.entry(level.as_str()).or_default() += 1;
        }
        if *first < start || *first >= end {
            continue;
        }
        triaged_in_month += 1;
        *by_status
            .entry(state.status.as_str().to_owned())
            .or_default() += 1;
        if let Some(r) = state.resolution {
            *by_resolution.entry(r.as_str().to_owned()).or_default() += 1;
        }
        if state.status == Status::Closed {
            let v = verdicts.entry(rule_id.as_str()).or_default();
            v.0 += 1;
            v.1 += u64::from(state.resolution == Some(Resolution::FalsePositive));
        }
        let minutes =
            |r: &AuditRecord| (canhgac_rules::alert::micros_of(&r.at) - first).max(0) as f64 / 60e6;
        if let Some(first_change) = h.iter().find(|r| r.to != Status::New) {
            ack.push(minutes(first_change));
        }
        if state.status == Status::Closed
            && let Some(closed) = h.iter().rev().find(|r| r.to == Status::Closed)
        {
            close.push(minutes(closed));
        }
    }
    let (from, to) = (date_of(start), day_after(end));
    let in_month: u64 = rollup.range(&from, &to).map(|(_, d)| d.total()).sum();
    let untouched = in_month.saturating_sub(triaged_in_month);
    if untouched > 0 {
        *by_status
            .entry(Status::New.as_str().to_owned())
            .or_default() += untouched;
    }

    // Open = raised before the end, minus closed; aged by the hour they were raised in.
    let mut open_by_age: BTreeMap<String, u64> = ["<1d", "1-7d", "7-30d", ">30d"]
        .iter()
        .map(|b| ((*b).to_owned(), 0))
        .collect();
    for (date, day) in rollup.range("", &to) {
        let Some(midnight) = day_start(date) else {
            continue;
        };
        for (h, n) in day.per_hour.iter().enumerate() {
            let hour = midnight + h as i64 * HOUR_MICROS;
            if *n > 0 && hour < end {
                *open_by_age
                    .entry(age_bucket(hour, end).to_owned())
                    .or_default() += n;
            }
        }
    }
    for (hour, n) in closed_by_hour {
        if let Some(v) = open_by_age.get_mut(age_bucket(hour, end)) {
            *v = v.saturating_sub(n);
        }
    }
    let mut open_by_level: BTreeMap<String, u64> = BTreeMap::new();
    for (_, day) in rollup.range("", &to) {
        add_counts(&mut open_by_level, &day.by_level);
    }
    for (level, n) in closed_by_level {
        if let Some(v) = open_by_level.get_mut(level) {
            *v = v.saturating_sub(n);
        }
    }
    open_by_level.retain(|_, n| *n > 0);
    Ok(Handling {
        by_status,
        by_resolution,
        time_to_acknowledge_minutes: spread(ack),
        time_to_close_minutes: spread(close),
        open_by_age,
        open_by_level,
        false_positives: verdicts
            .into_iter()
            .map(|(rule, (closed, fp))| FalsePositives {
                rule_id: rule.to_owned(),
                closed,
                false_positive: fp,
                rate: ratio(fp, closed),
            })
            .collect(),
    })
}

/// What triage figures need of an alert.
struct Facts {
    /// First event (µs).
    first: i64,
    rule_id: String,
    level: String,
}

/// First-event time, rule and level of each alert in `ids`: from the search index, and for any it
/// does not have yet (it catches up in the background), from one pass over the alert log.
fn alert_facts(data_dir: &Path, ids: &[&str]) -> Result<HashMap<String, Facts>> {
    let mut facts = HashMap::new();
    if ids.is_empty() {
        return Ok(facts);
    }
    if let Ok(index) = crate::index::AlertIndex::open_read_only(data_dir) {
        for id in ids {
            if let Ok(Some(hit)) = index.get(id) {
                facts.insert(
                    (*id).to_owned(),
                    Facts {
                        first: hit.alert.first_micros,
                        rule_id: hit.alert.rule_id,
                        level: hit.alert.level,
                    },
                );
            }
        }
    }
    let missing: HashSet<&str> = ids
        .iter()
        .copied()
        .filter(|id| !facts.contains_key(*id))
        .collect();
    if !missing.is_empty() {
        let path = data_dir.join(crate::alerts::ALERTS_FILE);
        crate::jsonl::read_lines(&path, 0, crate::alerts::alerts_end(data_dir)?, |line| {
            #[derive(serde::Deserialize)]
            struct Id<'a> {
                #[serde(borrow)]
                id: std::borrow::Cow<'a, str>,
            }
            let wanted =
                serde_json::from_str::<Id<'_>>(line).is_ok_and(|i| missing.contains(i.id.as_ref()));
            if wanted && let Ok(a) = Alert::from_json(line) {
                facts.insert(
                    a.id.clone(),
                    Facts {
                        first: a.first_micros,
                        rule_id: a.rule_id,
                        level: a.level,
                    },
                );
            }
        })?;
    }
    Ok(facts)
}

/// Median and p90 by nearest rank, rounded to a tenth of a minute.
fn spread(mut values: Vec<f64>) -> Spread {
    if values.is_empty() {
        return Spread::default();
    }
    values.sort_by(f64::total_cmp);
    let rank = |p: f64| {
        let i = ((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1;
        (values[i] * 10.0).round() / 10.0
    };
    Spread {
        n: values.len() as u64,
        median: Some(rank(0.5)),
        p90: Some(rank(0.9)),
    }
}

/// Parses `YYYY-MM`.
pub fn parse_month(text: &str) -> Result<(i32, u32)> {
    let bad = || Error::Config(format!("`{text}` is not a month like 2026-11"));
    let (y, m) = text.trim().split_once('-').ok_or_else(bad)?;
    let year: i32 = y.parse().map_err(|_| bad())?;
    let month: u32 = m.parse().map_err(|_| bad())?;
    month_start(year, month).map_err(|_| bad())?;
    Ok((year, month))
}

/// The current month in UTC, and the previous one.
pub fn this_month() -> (i32, u32) {
    let now = chrono::Utc::now();
    (now.year(), now.month())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_and_percentiles() {
        let busy: BTreeSet<i64> = [10, 11, 20, 21].into_iter().collect();
        let end = 30 * HOUR_MICROS + 600_000_000;
        let g = gaps(&busy, 30, end, 5);
        assert_eq!(g.iter().map(|g| g.hours).collect::<Vec<_>>(), [8, 9]);
        assert_eq!(g[1].to, canhgac_rules::alert::rfc3339(end));
        assert!(gaps(&busy, 30, end, 10).is_empty());
        let s = spread((1..=10).map(f64::from).collect());
        assert_eq!((s.median, s.p90), (Some(5.0), Some(9.0)));
        assert_eq!(parse_month("2026-11").expect("month"), (2026, 11));
        assert_eq!(add_months(2026, 11, 2), (2027, 1));
        assert_eq!(add_months(2026, 1, -6), (2025, 7));
        assert_eq!(add_months(2026, 12, 0), (2026, 12));
        assert!(parse_month("2026-13").is_err());
    }
}
