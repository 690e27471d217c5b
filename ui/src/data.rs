//! What the pages read: the alert index, the rollups (through SQL), the rule catalog, hunts,
//! the SQL console and reports. Everything here is blocking; handlers call it off the async
//! workers. SQL runs on a runtime of its own so a heavy query cannot stall page serving, and the
//! console's queries are stopped at their time limit.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use canhgac_engine::index::{QueryContext, SearchRequest, SearchResults};
use canhgac_parsers::time::Zone;
use canhgac_rules::{Alert, Engine, Evaluator};
use serde::Serialize;

use crate::App;
use crate::error::{Error, Result};
use crate::view::{AlertRow, micros_time};

/// Events per second from the daemon's accepted counter, measured between two looks.
#[derive(Debug, Default)]
pub struct RateSampler {
    last: Option<(Instant, u64)>,
    rate: f64,
}

impl RateSampler {
    /// The rate now, given the counter's value now.
    pub fn sample(&mut self, accepted: u64) -> f64 {
        let now = Instant::now();
        match self.last {
            Some((at, seen)) if now.duration_since(at) >= Duration::from_millis(500) => {
                self.rate =
                    accepted.saturating_sub(seen) as f64 / now.duration_since(at).as_secs_f64();
                self.last = Some((now, accepted));
            }
            Some(_) => {}
            None => self.last = Some((now, accepted)),
        }
        self.rate
    }
}

fn sql_runtime() -> Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> =
        OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("canhgac-ui-sql")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| Error::Internal(format!("SQL runtime: {e}")))
}

/// A query's result as text cells.
#[derive(Debug, Default, Serialize)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub truncated: bool,
    pub elapsed_ms: u128,
}

/// Runs read-only SQL with a row limit and a time limit (the query is stopped when it passes).
pub fn sql(data_dir: &Path, text: &str, max_rows: usize, limit: Duration) -> Result<Table> {
    let started = Instant::now();
    let runtime = sql_runtime()?;
    let dir = data_dir.to_owned();
    let text = text.to_owned();
    // Waited for on this thread, not in the runtime: a query keeps the runtime's workers busy,
    // and a timer there could fire only when the query let go of them.
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel(1);
    let task = runtime.spawn(async move {
        let result = canhgac_engine::sql::query_limited(&dir, &text, max_rows).await;
        let _ = done_tx.send(result);
    });
    let (batches, truncated) = match done_rx.recv_timeout(limit) {
        Ok(result) => result?,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            // Dropping the query's stream at its next yield stops its partitions' tasks too.
            task.abort();
            return Err(Error::Timeout(format!(
                "the query ran past {} s and was stopped; narrow it (a time range on ts, a LIMIT)",
                limit.as_secs_f64()
            )));
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            return Err(Error::Internal(
                "the SQL task ended without an answer".to_owned(),
            ));
        }
    };
    let mut table = table_of(&batches)?;
    table.truncated = truncated;
    table.elapsed_ms = started.elapsed().as_millis();
    Ok(table)
}

fn table_of(batches: &[RecordBatch]) -> Result<Table> {
    let mut table = Table::default();
    let options = FormatOptions::default().with_null("");
    for batch in batches {
        if table.columns.is_empty() {
            table.columns = batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
        }
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(|e| Error::Internal(e.to_string()))?;
        for row in 0..batch.num_rows() {
            table.rows.push(
                formatters
                    .iter()
                    .map(|f| f.value(row).to_string())
                    .collect(),
            );
        }
    }
    Ok(table)
}

/// Internal queries (rollups): the same engine, a generous limit.
fn rollup_query(data_dir: &Path, text: &str) -> Result<Table> {
    sql(data_dir, text, 10_000, Duration::from_secs(30))
}

fn number(cell: &str) -> u64 {
    cell.parse::<f64>().map_or(0, |v| v.max(0.0) as u64)
}

/// Searches the index (reloaded first, so it shows what the daemon has committed).
pub fn search(
    app: &App,
    query: &str,
    limit: usize,
    offset: usize,
    facets: bool,
    zone: Zone,
) -> Result<SearchResults> {
    app.index.reload()?;
    let ctx = QueryContext {
        now_micros: chrono::Utc::now().timestamp_micros(),
        zone: zone.offset_at(chrono::Utc::now().timestamp_micros()),
    };
    Ok(app.index.search(&SearchRequest {
        query,
        limit,
        offset,
        facets,
        ctx,
    })?)
}

/// The dashboard's figures.
#[derive(Debug, Serialize)]
pub struct Dashboard {
    pub rate: String,
    pub events_24h: u64,
    pub events_per_hour: Vec<u64>,
    pub alerts_24h: usize,
    pub open_alerts: usize,
    pub levels: Vec<&'static str>,
    pub alerts_by_hour: Vec<HourLevels>,
    pub top_rules: Vec<RuleCount>,
    pub top_sources: Vec<SourceLoad>,
    pub silent: Vec<Silent>,
    pub recent: Vec<AlertRow>,
}

/// Alerts of one hour by level.
#[derive(Debug, Serialize)]
pub struct HourLevels {
    pub hour: String,
    pub counts: Vec<u64>,
}

/// Alerts of one rule.
#[derive(Debug, Serialize)]
pub struct RuleCount {
    pub id: String,
    pub title: String,
    pub count: u64,
}

/// A sender's volume.
#[derive(Debug, Serialize)]
pub struct SourceLoad {
    pub host: String,
    pub events: u64,
    pub failure_rate: String,
}

/// A sender gone quiet.
#[derive(Debug, Serialize)]
pub struct Silent {
    pub host: String,
    pub last_seen: String,
}

/// Which alerts are open.
pub const OPEN_QUERY: &str = "(status:new OR status:acknowledged OR status:investigating)";

const LEVELS: [&str; 5] = ["critical", "high", "medium", "low", "informational"];

/// Figures for the dashboard.
pub fn dashboard(app: &App, zone: Zone) -> Result<Dashboard> {
    let rate = match app.metrics.get() {
        Some(m) => {
            let accepted = m
                .pipeline
                .accepted
                .load(std::sync::atomic::Ordering::Relaxed);
            let mut sampler = app
                .rate
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            format!("{:.1}", sampler.sample(accepted))
        }
        None => "—".to_owned(),
    };
    let now = chrono::Utc::now().timestamp_micros();
    let hour_micros = 3_600_000_000i64;
    let this_hour = now - now.rem_euclid(hour_micros);

    let per_hour = rollup_query(
        &app.data_dir,
        "SELECT CAST(hour AS BIGINT) AS h, sum(events) AS n FROM event_rollup \
         WHERE hour >= now() - INTERVAL '24 hours' GROUP BY hour",
    )?;
    let mut events_per_hour = vec![0u64; 24];
    for row in &per_hour.rows {
        let h = row[0].parse::<i64>().unwrap_or(0);
        let back = (this_hour - h).div_euclid(hour_micros);
        if (0..24).contains(&back) {
            events_per_hour[23 - back as usize] += number(&row[1]);
        }
    }
    let sources = rollup_query(
        &app.data_dir,
        "SELECT coalesce(host, '-') AS host, sum(events) AS n, \
         sum(CASE WHEN parse_status = 'failed' THEN events ELSE 0 END) AS failed \
         FROM event_rollup WHERE hour >= now() - INTERVAL '24 hours' \
         GROUP BY 1 ORDER BY n DESC LIMIT 10",
    )?;
    let top_sources = sources
        .rows
        .iter()
        .map(|r| SourceLoad {
            host: r[0].clone(),
            events: number(&r[1]),
            failure_rate: percent(number(&r[2]), number(&r[1])),
        })
        .collect();
    let silent = silent_hosts(app, zone)?;

    let day = search(app, "last 24h", 0, 0, true, zone)?;
    let top_rules = day
        .facets
        .iter()
        .find(|(name, _)| name == "rule")
        .map(|(_, counts)| {
            counts
                .iter()
                .map(|(title, n)| RuleCount {
                    id: title.clone(),
                    title: title.clone(),
                    count: *n,
                })
                .collect()
        })
        .unwrap_or_default();
    let open = search(app, OPEN_QUERY, 0, 0, false, zone)?;
    let recent = search(app, "", 8, 0, false, zone)?
        .hits
        .iter()
        .map(|h| AlertRow::of(h, zone))
        .collect();

    let rollup = canhgac_engine::alert_rollup::load(&app.data_dir);
    let mut alerts_by_hour = Vec::new();
    for back in (0..12).rev() {
        let start = this_hour - back * hour_micros;
        let day_key = chrono::DateTime::from_timestamp_micros(start)
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        let hour_of_day = (start.rem_euclid(86_400_000_000) / hour_micros) as usize;
        let total = rollup
            .days
            .get(&day_key)
            .map_or(0, |d| d.per_hour.get(hour_of_day).copied().unwrap_or(0));
        // The rollup keeps levels per day; an hour's split is estimated from its day's shares
        // only when the hour has alerts at all.
        let counts = LEVELS
            .iter()
            .map(|l| {
                let Some(d) = rollup.days.get(&day_key) else {
                    return 0;
                };
                let day_total: u64 = d.by_level.values().sum();
                let of_level = d.by_level.get(*l).copied().unwrap_or(0);
                (total * of_level + day_total / 2)
                    .checked_div(day_total)
                    .unwrap_or(0)
            })
            .collect();
        alerts_by_hour.push(HourLevels {
            hour: micros_time(start, zone)[11..16].to_owned(),
            counts,
        });
    }
    Ok(Dashboard {
        rate,
        events_24h: events_per_hour.iter().sum(),
        events_per_hour,
        alerts_24h: day.total,
        open_alerts: open.total,
        levels: LEVELS.to_vec(),
        alerts_by_hour,
        top_rules,
        top_sources,
        silent,
        recent,
    })
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        "0%".to_owned()
    } else {
        format!("{:.1}%", part as f64 * 100.0 / whole as f64)
    }
}

/// Senders seen in the last 7 days but not in the last 2 hours.
fn silent_hosts(app: &App, zone: Zone) -> Result<Vec<Silent>> {
    let table = rollup_query(
        &app.data_dir,
        "SELECT coalesce(host, '-') AS host, CAST(max(hour) AS BIGINT) AS last FROM event_rollup \
         WHERE hour >= now() - INTERVAL '7 days' GROUP BY 1 \
         HAVING max(hour) < now() - INTERVAL '2 hours' ORDER BY last LIMIT 50",
    )?;
    Ok(table
        .rows
        .iter()
        .map(|r| Silent {
            host: r[0].clone(),
            last_seen: micros_time(r[1].parse().unwrap_or(0), zone),
        })
        .collect())
}

/// One collector's counters.
#[derive(Debug, Serialize)]
pub struct Collector {
    pub name: String,
    pub received: u64,
    pub parse_failures: u64,
    pub dropped: u64,
    pub truncated: u64,
    pub open: u64,
    pub errors: u64,
}

/// One sender's health.
#[derive(Debug, Serialize)]
pub struct HostHealth {
    pub host: String,
    pub group: String,
    pub source_type: String,
    pub events_24h: u64,
    pub failure_rate: String,
    pub last_seen: String,
    pub health: &'static str,
}

/// The sources page: the daemon's collectors and every sender of the last 7 days.
pub fn sources(app: &App, zone: Zone) -> Result<(Vec<Collector>, Vec<HostHealth>)> {
    use std::sync::atomic::Ordering::Relaxed;
    let collectors = app
        .metrics
        .get()
        .map(|m| {
            m.names
                .iter()
                .zip(&m.sources)
                .map(|(name, s)| Collector {
                    name: name.clone(),
                    received: s.received.load(Relaxed),
                    parse_failures: s.parse_failures.load(Relaxed),
                    dropped: s.dropped_overload.load(Relaxed) + s.dropped_peer.load(Relaxed),
                    truncated: s.truncated.load(Relaxed),
                    open: s.connections_open.load(Relaxed),
                    errors: s.read_errors.load(Relaxed) + s.tls_failures.load(Relaxed),
                })
                .collect()
        })
        .unwrap_or_default();
    let table = rollup_query(
        &app.data_dir,
        "SELECT coalesce(host, '-') AS host, coalesce(max(asset_group), '') AS grp, \
         coalesce(max(source_type), '') AS st, \
         sum(CASE WHEN hour >= now() - INTERVAL '24 hours' THEN events ELSE 0 END) AS day, \
         sum(CASE WHEN parse_status = 'failed' THEN events ELSE 0 END) AS failed, \
         sum(events) AS total, CAST(max(hour) AS BIGINT) AS last \
         FROM event_rollup WHERE hour >= now() - INTERVAL '7 days' GROUP BY 1 ORDER BY 1 LIMIT 5000",
    )?;
    let two_hours_ago = chrono::Utc::now().timestamp_micros() - 2 * 3_600_000_000;
    let hosts = table
        .rows
        .iter()
        .map(|r| {
            let (failed, total) = (number(&r[4]), number(&r[5]));
            let last: i64 = r[6].parse().unwrap_or(0);
            let health = if last < two_hours_ago {
                "silent"
            } else if total > 0 && failed * 20 > total {
                "failing"
            } else {
                "ok"
            };
            HostHealth {
                host: r[0].clone(),
                group: r[1].clone(),
                source_type: r[2].clone(),
                events_24h: number(&r[3]),
                failure_rate: percent(failed, total),
                last_seen: micros_time(last, zone),
                health,
            }
        })
        .collect();
    Ok((collectors, hosts))
}

/// A rule as the rules page lists it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleEntry {
    pub id: String,
    pub title: String,
    pub level: String,
    pub kind: String,
    pub path: String,
    pub techniques: Vec<String>,
    pub hits: u64,
    pub enabled: bool,
}

/// The loaded rules, with each one's YAML text.
pub struct Catalog {
    pub rules: Vec<RuleEntry>,
    yaml: BTreeMap<String, String>,
}

impl Catalog {
    /// A rule's YAML document.
    pub fn yaml(&self, id: &str) -> Option<&str> {
        self.yaml.get(id).map(String::as_str)
    }
}

/// The catalog, loaded once (rules change when the daemon restarts).
pub fn catalog(app: &App) -> Result<Arc<Catalog>> {
    let mut held = app
        .catalog
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(c) = held.as_ref() {
        return Ok(Arc::clone(c));
    }
    let set = (app.rules)().map_err(Error::Internal)?;
    let mut rules = Vec::new();
    let mut files: BTreeMap<std::path::PathBuf, String> = BTreeMap::new();
    let metas = set
        .rules
        .iter()
        .map(|r| (&r.meta, "detection"))
        .chain(set.correlations.iter().map(|c| (&c.meta, "correlation")));
    let mut yaml = BTreeMap::new();
    for (meta, kind) in metas {
        let (_, techniques) = canhgac_rules::alert::attack(&meta.tags);
        rules.push(RuleEntry {
            id: meta.id.clone(),
            title: meta.title.clone(),
            level: meta.level.clone(),
            kind: kind.to_owned(),
            path: meta.path.display().to_string(),
            techniques,
            hits: 0,
            enabled: true,
        });
        let text = files.entry(meta.path.clone()).or_insert_with(|| {
            let name = meta.path.to_string_lossy();
            canhgac_rules::PACK
                .iter()
                .find(|(pack_name, _)| *pack_name == name)
                .map(|(_, t)| (*t).to_owned())
                .or_else(|| std::fs::read_to_string(&meta.path).ok())
                .unwrap_or_default()
        });
        if let Some(doc) = text
            .split("\n---")
            .find(|doc| doc.lines().any(|l| l.trim() == format!("id: {}", meta.id)))
        {
            yaml.insert(meta.id.clone(), doc.trim_start_matches('\n').to_owned());
        }
    }
    let catalog = Arc::new(Catalog { rules, yaml });
    *held = Some(Arc::clone(&catalog));
    Ok(catalog)
}

/// The rules with their alerts of the last 30 days and whether they are on.
pub fn rule_list(app: &App) -> Result<Vec<RuleEntry>> {
    let catalog = catalog(app)?;
    let disabled = canhgac_engine::rule_switch::load(&app.data_dir)?;
    let rollup = canhgac_engine::alert_rollup::load(&app.data_dir);
    let since = (chrono::Utc::now() - chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    let mut hits: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, day) in rollup.days.range(since..) {
        for (id, r) in &day.by_rule {
            *hits.entry(id.as_str()).or_default() += r.count;
        }
    }
    let mut rules = catalog.rules.clone();
    for r in &mut rules {
        r.hits = hits.get(r.id.as_str()).copied().unwrap_or(0);
        r.enabled = !disabled.contains(&r.id);
    }
    rules.sort_by(|a, b| b.hits.cmp(&a.hits).then_with(|| a.title.cmp(&b.title)));
    Ok(rules)
}

/// What a hunt found.
#[derive(Debug, Serialize)]
pub struct HuntResult {
    pub scanned: usize,
    pub alerts: Vec<Alert>,
    pub elapsed_ms: u128,
}

/// Most alerts a hunt keeps.
const HUNT_MAX_ALERTS: usize = 1000;

/// Runs the loaded rules over the stored events of the last `hours` hours, in time order, and
/// keeps the alerts of `rule_id` (correlations see every rule's matches, as in the daemon).
/// Nothing is written: a hunt is a test of the rule.
pub fn hunt(app: &App, rule_id: &str, hours: u32) -> Result<HuntResult> {
    let started = Instant::now();
    let set = (app.rules)().map_err(Error::Internal)?;
    let known = set.rules.iter().any(|r| r.meta.id == rule_id)
        || set.correlations.iter().any(|c| c.meta.id == rule_id);
    if !known {
        return Err(Error::NotFound(format!(
            "no loaded rule has the id `{rule_id}`"
        )));
    }
    let mut engine = Engine::new(set, Evaluator::Compiled);
    let since = chrono::Utc::now().timestamp_micros() - i64::from(hours) * 3_600_000_000;
    let mut scanned = 0;
    let mut alerts = Vec::new();
    canhgac_engine::sql::scan_events_blocking(&app.data_dir, since, |batch| {
        scanned += batch.num_rows();
        for alert in engine.process(&batch)? {
            if alert.rule_id == rule_id && alerts.len() < HUNT_MAX_ALERTS {
                alerts.push(alert);
            }
        }
        Ok(())
    })?;
    Ok(HuntResult {
        scanned,
        alerts,
        elapsed_ms: started.elapsed().as_millis(),
    })
}

/// A report file in `reports/`.
#[derive(Debug, Serialize)]
pub struct ReportFile {
    pub name: String,
    pub size: u64,
    pub time: String,
}

/// The files in `reports/`, newest first.
pub fn report_files(app: &App, zone: Zone) -> Result<Vec<ReportFile>> {
    let dir = app.data_dir.join("reports");
    let mut files: Vec<(i64, ReportFile)> = Vec::new();
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io(&dir, e)),
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_report_name(&name) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_micros() as i64);
        files.push((
            modified,
            ReportFile {
                name,
                size: meta.len(),
                time: micros_time(modified, zone),
            },
        ));
    }
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    Ok(files.into_iter().map(|(_, f)| f).collect())
}

/// A name the report download serves: made by canhgac, no path parts.
pub fn is_report_name(name: &str) -> bool {
    name.starts_with("canhgac-report-")
        && !name.contains(['/', '\\'])
        && !name.contains("..")
        && canhgac_engine::report::Format::from_name(name.rsplit('.').next().unwrap_or(""))
            .is_some()
}

/// Makes a report and writes it to `reports/`; returns the file name.
pub fn make_report(app: &App, month: &str, lang: &str, format: &str) -> Result<String> {
    use canhgac_engine::notify::config::Lang;
    use canhgac_engine::report;
    let (year, month_no) = report::parse_month(month)?;
    let format = report::Format::from_name(format)
        .ok_or_else(|| Error::BadRequest(format!("unknown report form `{format}`")))?;
    let lang_tag = if lang == "en" { "en" } else { "vi" };
    let request = report::ReportRequest {
        year,
        month: month_no,
        months: 1,
        silent_hours: app.config.report.silent_hours,
        now_micros: chrono::Utc::now().timestamp_micros(),
    };
    let figures = report::monthly(&app.config, &request)?;
    let bytes = report::render(
        &figures,
        format,
        if lang_tag == "en" { Lang::En } else { Lang::Vi },
    )?;
    let name = format!(
        "canhgac-report-{year:04}-{month_no:02}-{lang_tag}.{}",
        format.extension()
    );
    let path = app.data_dir.join("reports").join(&name);
    canhgac_engine::serve::replace_file(&path, &bytes)?;
    Ok(name)
}
