//! The monthly security report: figures computed from the data directory, then rendered.
//!
//! Figures come from the rollups kept at ingest ([`crate::rollup`], read with DataFusion), the
//! alert log and the audit trail, never from a scan of the month's raw events, so the time to make
//! a report does not grow with event volume. Everything is computed as of the end of the period
//! (triage changes made later do not change a past month's report), in a fixed order, so the same
//! data gives the same report; `figures_sha256` is the SHA-256 of the figures' canonical JSON.
//!
//! [`render`] turns the figures into JSON, CSV, HTML or PDF (Vietnamese or English, charts).

mod pdf;
mod render;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use arrow::array::AsArray;
use arrow::datatypes::{Int64Type, UInt64Type};
use canhgac_rules::Alert;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use sha2::Digest;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::workflow::{AuditLog, Resolution, Status};

pub use render::{Format, mail, render};

/// Entries kept in each top list.
pub const TOP: usize = 10;

/// Settings of one report.
#[derive(Debug, Clone)]
pub struct ReportRequest {
    /// Year and month.
    pub year: i32,
    /// 1..=12.
    pub month: u32,
    /// A source with no events for at least this many hours in a row is reported silent.
    pub silent_hours: u32,
    /// Report time (µs): a period still running is cut here.
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
    /// What fired.
    pub alerts: AlertFigures,
    /// How alerts were handled.
    pub handling: Handling,
    /// SHA-256 of the figures above (canonical JSON, this field empty).
    pub figures_sha256: String,
}

/// The month.
#[derive(Debug, Clone, Serialize)]
pub struct Period {
    /// `YYYY-MM`.
    pub month: String,
    /// First instant (RFC 3339).
    pub start: String,
    /// End (exclusive; the report time for a running month).
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
    /// Events per day (all sources).
    pub events_per_day: BTreeMap<String, u64>,
    /// Per source.
    pub sources: Vec<SourceHealth>,
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
    /// (every alert raised up to then, not only this month's).
    pub open_by_age: BTreeMap<String, u64>,
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

fn next_month(year: i32, month: u32) -> (i32, u32) {
    if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    }
}

fn previous_month(year: i32, month: u32) -> (i32, u32) {
    if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    }
}

fn date_of(micros: i64) -> String {
    crate::store::day_to_date(i32::try_from(micros.div_euclid(DAY_MICROS)).unwrap_or(0))
}

/// Computes the report of a month.
pub fn monthly(config: &Config, request: &ReportRequest) -> Result<MonthlyReport> {
    let organization = config.report.organization.as_str();
    let data_dir = &config.data_dir;
    let start = month_start(request.year, request.month)?;
    let (ny, nm) = next_month(request.year, request.month);
    let end = month_start(ny, nm)?.min(request.now_micros.max(start));
    crate::rollup::repair(data_dir)?;

    let hourly = crate::sql::query_blocking(
        data_dir,
        &format!(
            "SELECT CAST(to_unixtime(hour) AS BIGINT) AS hour_s, coalesce(collector, '-') AS collector, \
             source_type, coalesce(asset_group, '-') AS asset_group, parse_status, \
             CAST(sum(events) AS BIGINT UNSIGNED) AS events, CAST(sum(denied) AS BIGINT UNSIGNED) AS denied \
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
    for batch in &hourly {
        let hour = batch.column(0).as_primitive::<Int64Type>();
        let collector = batch.column(1).as_string::<i32>();
        let source_type = batch.column(2).as_string::<i32>();
        let group = batch.column(3).as_string::<i32>();
        let status = batch.column(4).as_string::<i32>();
        let events = batch.column(5).as_primitive::<UInt64Type>();
        let denies = batch.column(6).as_primitive::<UInt64Type>();
        for row in 0..batch.num_rows() {
            let n = events.value(row);
            let h = hour.value(row) * 1_000_000;
            total += n;
            denied += denies.value(row);
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

    let (alerts, _, _) =
        crate::alerts::read_alerts(data_dir, 0, crate::alerts::alerts_end(data_dir)?)?;
    let audit = AuditLog::new(data_dir).read_all()?;
    let (py, pm) = previous_month(request.year, request.month);
    let previous_start = month_start(py, pm)?;
    let in_month: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.first_micros >= start && a.first_micros < end)
        .collect();
    let previous: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.first_micros >= previous_start && a.first_micros < start)
        .collect();

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
            events_per_day,
            sources,
        },
        firewall: Firewall {
            denied,
            top_denied_sources,
        },
        alerts: alert_figures(&in_month, &previous),
        handling: handling(&alerts, &in_month, &audit, end),
        figures_sha256: String::new(),
    };
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
        // Four decimals: stable in JSON, enough for a rate.
        ((part as f64 / whole as f64) * 10_000.0).round() / 10_000.0
    }
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

fn by_level(alerts: &[&Alert]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for a in alerts {
        *m.entry(a.level.clone()).or_default() += 1;
    }
    m
}

fn alert_figures(alerts: &[&Alert], previous: &[&Alert]) -> AlertFigures {
    let mut rules: BTreeMap<&str, RuleCount> = BTreeMap::new();
    let mut tactics = BTreeMap::new();
    let mut departments = BTreeMap::new();
    let mut source_types = BTreeMap::new();
    let mut per_day = BTreeMap::new();
    let (mut ips, mut hosts, mut users) = (HashMap::new(), HashMap::new(), HashMap::new());
    for a in alerts {
        rules
            .entry(a.rule_id.as_str())
            .or_insert_with(|| RuleCount {
                rule_id: a.rule_id.clone(),
                title: a.title.clone(),
                level: a.level.clone(),
                count: 0,
            })
            .count += 1;
        for t in &a.tactics {
            *tactics.entry(t.clone()).or_default() += 1;
        }
        let dept = crate::notify::route::department(a)
            .unwrap_or("-")
            .to_owned();
        *departments.entry(dept).or_default() += 1;
        let st = a.evidence.first().map_or("-", |e| e.source_type.as_str());
        *source_types.entry(st.to_owned()).or_default() += 1;
        *per_day.entry(date_of(a.first_micros)).or_default() += 1;
        // Each alert counts once per distinct value it involves.
        let seen = |map: &mut HashMap<String, u64>, values: Vec<&str>| {
            let distinct: BTreeSet<&str> = values.into_iter().filter(|v| !v.is_empty()).collect();
            for v in distinct {
                *map.entry(v.to_owned()).or_default() += 1;
            }
        };
        seen(
            &mut ips,
            a.evidence
                .iter()
                .filter_map(|e| e.src_ip.as_deref())
                .collect(),
        );
        seen(
            &mut hosts,
            a.evidence
                .iter()
                .filter_map(|e| e.host.as_deref())
                .collect(),
        );
        seen(
            &mut users,
            a.evidence
                .iter()
                .filter_map(|e| e.user.as_deref())
                .collect(),
        );
    }
    let mut by_rule: Vec<RuleCount> = rules.into_values().collect();
    by_rule.sort_by(|a, b| b.count.cmp(&a.count).then(a.rule_id.cmp(&b.rule_id)));
    AlertFigures {
        total: alerts.len() as u64,
        by_level: by_level(alerts),
        by_rule,
        by_tactic: tactics,
        by_department: departments,
        by_source_type: source_types,
        per_day,
        top_source_ips: top(ips),
        top_hosts: top(hosts),
        top_users: top(users),
        previous_month: Previous {
            total: previous.len() as u64,
            by_level: by_level(previous),
        },
    }
}

fn handling(
    all: &[Alert],
    in_month: &[&Alert],
    audit: &[crate::workflow::AuditRecord],
    end: i64,
) -> Handling {
    // Every alert's history up to the end of the period, in order.
    let mut history: HashMap<&str, Vec<&crate::workflow::AuditRecord>> = HashMap::new();
    for r in audit {
        if canhgac_rules::alert::micros_of(&r.at) < end {
            history.entry(r.alert_id.as_str()).or_default().push(r);
        }
    }
    let state = |id: &str| -> (Status, Option<Resolution>) {
        history
            .get(id)
            .and_then(|h| h.last())
            .map_or((Status::New, None), |r| {
                let s = r.state_after();
                (s.status, s.resolution)
            })
    };
    let mut by_status = BTreeMap::new();
    let mut by_resolution = BTreeMap::new();
    let (mut ack, mut close) = (Vec::new(), Vec::new());
    let mut verdicts: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for a in in_month {
        let (status, resolution) = state(&a.id);
        *by_status.entry(status.as_str().to_owned()).or_default() += 1;
        if let Some(r) = resolution {
            *by_resolution.entry(r.as_str().to_owned()).or_default() += 1;
        }
        if status == Status::Closed {
            let v = verdicts.entry(a.rule_id.as_str()).or_default();
            v.0 += 1;
            v.1 += u64::from(resolution == Some(Resolution::FalsePositive));
        }
        let minutes = |r: &&crate::workflow::AuditRecord| {
            (canhgac_rules::alert::micros_of(&r.at) - a.first_micros).max(0) as f64 / 60e6
        };
        if let Some(h) = history.get(a.id.as_str()) {
            if let Some(first) = h.iter().find(|r| r.to != Status::New) {
                ack.push(minutes(first));
            }
            if status == Status::Closed
                && let Some(closed) = h.iter().rev().find(|r| r.to == Status::Closed)
            {
                close.push(minutes(closed));
            }
        }
    }
    let mut open_by_age: BTreeMap<String, u64> = ["<1d", "1-7d", "7-30d", ">30d"]
        .iter()
        .map(|b| ((*b).to_owned(), 0))
        .collect();
    for a in all.iter().filter(|a| a.first_micros < end) {
        if state(&a.id).0 == Status::Closed {
            continue;
        }
        let days = (end - a.first_micros) / DAY_MICROS;
        let bucket = match days {
            0 => "<1d",
            1..=6 => "1-7d",
            7..=29 => "7-30d",
            _ => ">30d",
        };
        *open_by_age.entry(bucket.to_owned()).or_default() += 1;
    }
    Handling {
        by_status,
        by_resolution,
        time_to_acknowledge_minutes: spread(ack),
        time_to_close_minutes: spread(close),
        open_by_age,
        false_positives: verdicts
            .into_iter()
            .map(|(rule, (closed, fp))| FalsePositives {
                rule_id: rule.to_owned(),
                closed,
                false_positive: fp,
                rate: ratio(fp, closed),
            })
            .collect(),
    }
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
        assert!(parse_month("2026-13").is_err());
    }
}
