//! `canhgac search`, `canhgac alert show|set|history` and `canhgac index rebuild`: the terminal
//! side of alert search and triage. Everything shown in a table comes from logs an attacker may
//! have written, so control characters are made visible instead of reaching the terminal.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use canhgac_engine::index::{AlertIndex, Hit, QueryContext, SearchRequest};
use canhgac_engine::text::visible;
use canhgac_engine::workflow::{AuditLog, AuditRecord, ChangeRequest};
use canhgac_parsers::time::Zone;
use serde_json::{Value, json};

/// Options of `canhgac search`.
#[derive(clap::Args)]
pub struct SearchArgs {
    /// Data directory.
    #[arg(long, default_value = "./canhgac-data")]
    data_dir: PathBuf,
    /// One JSON object per alert (with its status, resolution and assignee) instead of a table.
    #[arg(long)]
    json: bool,
    /// Alerts per page.
    #[arg(long, default_value_t = 50)]
    limit: usize,
    /// Page number, from 1.
    #[arg(long, default_value_t = 1)]
    page: usize,
    /// Only alerts of this recent period (e.g. 24h, 7d); the same as `last 24h` in the query.
    #[arg(long)]
    since: Option<String>,
    /// Also count the result set by level, rule, host, status and source type.
    #[arg(long)]
    facets: bool,
    /// Zone for times shown and for dates in the query: UTC, +07:00 or an IANA name.
    #[arg(long, default_value = "UTC")]
    tz: String,
    /// The query, e.g. `level:high AND src_ip:10.0.0.0/8`, `"Failed password" last 24h`,
    /// `ts:[2026-10-01 TO 2026-10-31] status:new`. Empty: every alert.
    #[arg(default_value = "")]
    query: String,
}

/// `canhgac alert ...`.
#[derive(clap::Subcommand)]
pub enum AlertCommand {
    /// Show one alert: what fired, on what evidence, its state and its history.
    Show {
        /// Data directory.
        #[arg(long, default_value = "./canhgac-data")]
        data_dir: PathBuf,
        /// As JSON.
        #[arg(long)]
        json: bool,
        /// The alert id.
        id: String,
    },
    /// Change the status, resolution or assignee of alerts, or comment on them. Every change is
    /// recorded in the audit trail.
    Set {
        /// Data directory.
        #[arg(long, default_value = "./canhgac-data")]
        data_dir: PathBuf,
        /// new, acknowledged, investigating or closed.
        #[arg(long)]
        status: Option<String>,
        /// true_positive, false_positive or benign (when closing).
        #[arg(long)]
        resolution: Option<String>,
        /// Who works on it (`""` unassigns).
        #[arg(long)]
        assignee: Option<String>,
        /// A comment (needed to reopen a closed alert).
        #[arg(long)]
        comment: Option<String>,
        /// Who makes the change (default: $USER).
        #[arg(long)]
        by: Option<String>,
        /// Change every alert this query matches, instead of the ids given; alerts the change
        /// does not apply to (already closed, say) are counted and left as they are.
        #[arg(long, conflicts_with = "ids")]
        query: Option<String>,
        /// Zone for dates in `--query`.
        #[arg(long, default_value = "UTC")]
        tz: String,
        /// Alert ids.
        #[arg(required_unless_present = "query")]
        ids: Vec<String>,
    },
    /// The audit trail of one alert, oldest change first.
    History {
        /// Data directory.
        #[arg(long, default_value = "./canhgac-data")]
        data_dir: PathBuf,
        /// One JSON object per change.
        #[arg(long)]
        json: bool,
        /// The alert id.
        id: String,
    },
}

/// `canhgac index ...`.
#[derive(clap::Subcommand)]
pub enum IndexCommand {
    /// Rebuild the alert search index from the alert log and the audit trail.
    Rebuild {
        /// Data directory.
        #[arg(long, default_value = "./canhgac-data")]
        data_dir: PathBuf,
    },
}

fn context(tz: &str) -> Result<(QueryContext, Zone)> {
    let zone = Zone::parse(tz)?;
    let mut ctx = QueryContext::utc_now();
    ctx.zone = zone.offset_at(ctx.now_micros);
    Ok((ctx, zone))
}

/// Prints the first page of a query as a table (used by `demo`).
pub fn print_search(data_dir: &Path, query: &str, limit: usize) -> Result<()> {
    search(&SearchArgs {
        data_dir: data_dir.to_owned(),
        json: false,
        limit,
        page: 1,
        since: None,
        facets: true,
        tz: "UTC".to_owned(),
        query: query.to_owned(),
    })
}

/// `canhgac search`.
pub fn search(args: &SearchArgs) -> Result<()> {
    let (ctx, zone) = context(&args.tz)?;
    let mut query = args.query.clone();
    if let Some(since) = &args.since {
        query = format!("last {since} {query}");
    }
    let index = AlertIndex::open_for_search(&args.data_dir)?;
    let limit = args.limit.max(1);
    let req = SearchRequest {
        query: &query,
        limit,
        offset: args.page.saturating_sub(1).saturating_mul(limit),
        facets: args.facets,
        ctx,
    };
    let results = index.search(&req)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    if args.json {
        for hit in &results.hits {
            writeln!(out, "{}", hit_json(hit))?;
        }
        if args.facets {
            let facets: serde_json::Map<String, Value> = results
                .facets
                .iter()
                .map(|(name, counts)| (name.clone(), json!(counts)))
                .collect();
            writeln!(out, "{}", json!({"total": results.total, "facets": facets}))?;
        }
    } else {
        let rows: Vec<Vec<String>> = results
            .hits
            .iter()
            .map(|h| {
                let e = h.alert.evidence.first();
                vec![
                    local_time(&h.alert.first_ts, zone),
                    h.alert.level.clone(),
                    h.state.status.to_string(),
                    cut(&h.alert.title, 48),
                    e.and_then(|e| e.host.clone()).unwrap_or_default(),
                    h.alert
                        .group_by
                        .get("src_ip")
                        .cloned()
                        .or_else(|| e.and_then(|e| e.src_ip.clone()))
                        .unwrap_or_default(),
                    h.alert.count.to_string(),
                    h.alert.id.clone(),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "time", "level", "status", "rule", "host", "src_ip", "count", "id",
            ],
            &rows,
        )?;
        let shown_from = req.offset + 1;
        writeln!(
            out,
            "{} alert(s) match; showing {}-{}",
            results.total,
            shown_from.min(results.total),
            req.offset + results.hits.len()
        )?;
        for (name, counts) in &results.facets {
            let parts: Vec<String> = counts
                .iter()
                .map(|(v, n)| format!("{} {n}", visible(v)))
                .collect();
            writeln!(out, "  by {name}: {}", parts.join(", "))?;
        }
    }
    out.flush().context("writing to stdout")?;
    Ok(())
}

/// `canhgac alert ...`.
pub fn alert(command: AlertCommand) -> Result<()> {
    match command {
        AlertCommand::Show { data_dir, json, id } => show(&data_dir, json, &id),
        AlertCommand::History { data_dir, json, id } => history(&data_dir, json, &id),
        AlertCommand::Set {
            data_dir,
            status,
            resolution,
            assignee,
            comment,
            by,
            query,
            tz,
            ids,
        } => {
            let req = ChangeRequest {
                status: status.as_deref().map(str::parse).transpose()?,
                resolution: resolution.as_deref().map(str::parse).transpose()?,
                assignee,
                comment,
                who: by
                    .or_else(|| std::env::var("USER").ok())
                    .unwrap_or_else(|| "cli".to_owned()),
            };
            let mut index = open_for_change(&data_dir)?;
            let bulk = query.is_some();
            let ids = match &query {
                Some(q) => index.ids_matching(q, &context(&tz)?.0)?,
                None => ids,
            };
            let at = canhgac_rules::alert::rfc3339(chrono::Utc::now().timestamp_micros());
            let outcome = index.change(&ids, &req, &at)?;
            index.close()?;
            println!(
                "changed {} alert(s); {} left as they were",
                outcome.applied.len(),
                outcome.refused.len()
            );
            for (id, why) in outcome.refused.iter().take(20) {
                eprintln!("canhgac: {id}: {}", visible(&why.to_string()));
            }
            if !bulk && !outcome.refused.is_empty() {
                bail!("{} alert(s) not changed", outcome.refused.len());
            }
            Ok(())
        }
    }
}

/// `canhgac index rebuild`.
pub fn index(command: IndexCommand) -> Result<()> {
    match command {
        IndexCommand::Rebuild { data_dir } => {
            let done = AlertIndex::rebuild(&data_dir)?;
            println!(
                "indexed {} alert(s); {} unreadable line(s) in the alert log; {} change(s) about unknown alerts",
                done.added, done.unreadable, done.orphan_changes
            );
            Ok(())
        }
    }
}

fn find(data_dir: &Path, id: &str) -> Result<Hit> {
    let index = AlertIndex::open_for_search(data_dir)?;
    index
        .get(id)?
        .with_context(|| format!("no alert with id {}", visible(id)))
}

fn show(data_dir: &Path, as_json: bool, id: &str) -> Result<()> {
    let hit = find(data_dir, id)?;
    let changes = AuditLog::new(data_dir).history(id)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    if as_json {
        let mut v = hit_json(&hit);
        v["history"] = json!(changes);
        writeln!(out, "{v}")?;
        out.flush()?;
        return Ok(());
    }
    let a = &hit.alert;
    let s = &hit.state;
    let line = |out: &mut BufWriter<_>, k: &str, v: &str| writeln!(out, "{k:<13}{}", visible(v));
    line(&mut out, "id", &a.id)?;
    line(&mut out, "rule", &format!("{} ({})", a.title, a.rule_id))?;
    line(&mut out, "level", &a.level)?;
    let mut status = s.status.to_string();
    if let Some(r) = s.resolution {
        status.push_str(&format!(" ({r})"));
    }
    line(&mut out, "status", &status)?;
    line(&mut out, "assignee", s.assignee.as_deref().unwrap_or("-"))?;
    line(&mut out, "first", &a.first_ts)?;
    line(&mut out, "last", &a.last_ts)?;
    line(&mut out, "count", &a.count.to_string())?;
    if !a.group_by.is_empty() {
        let g: Vec<String> = a.group_by.iter().map(|(k, v)| format!("{k}={v}")).collect();
        line(&mut out, "group", &g.join(" "))?;
    }
    if !a.techniques.is_empty() || !a.tactics.is_empty() {
        line(
            &mut out,
            "att&ck",
            &format!("{} {}", a.tactics.join(","), a.techniques.join(",")),
        )?;
    }
    if let Some(d) = &a.description {
        line(&mut out, "description", d)?;
    }
    if !a.falsepositives.is_empty() {
        line(&mut out, "false pos.", &a.falsepositives.join("; "))?;
    }
    writeln!(out, "evidence")?;
    for e in &a.evidence {
        writeln!(out, "  {}  {}", e.ts, visible(&e.raw))?;
    }
    writeln!(out, "history")?;
    write_history(&mut out, &changes)?;
    out.flush()?;
    Ok(())
}

fn history(data_dir: &Path, as_json: bool, id: &str) -> Result<()> {
    // The id must exist: a typo should not look like an alert nobody touched.
    find(data_dir, id)?;
    let changes = AuditLog::new(data_dir).history(id)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    if as_json {
        for c in &changes {
            writeln!(out, "{}", serde_json::to_string(c)?)?;
        }
    } else {
        write_history(&mut out, &changes)?;
    }
    out.flush()?;
    Ok(())
}

fn write_history(out: &mut impl Write, changes: &[AuditRecord]) -> Result<()> {
    if changes.is_empty() {
        writeln!(out, "  (no changes: new since it was raised)")?;
    }
    for c in changes {
        let mut what = if c.from == c.to {
            format!("{}", c.to)
        } else {
            format!("{} -> {}", c.from, c.to)
        };
        if let Some(r) = c.resolution {
            what.push_str(&format!(" ({r})"));
        }
        if c.assignee_from != c.assignee_to {
            what.push_str(&format!(
                "; assignee {} -> {}",
                c.assignee_from.as_deref().unwrap_or("-"),
                c.assignee_to.as_deref().unwrap_or("-")
            ));
        }
        if let Some(comment) = &c.comment {
            what.push_str(&format!("; \"{comment}\""));
        }
        writeln!(out, "  {}  {}  {}", c.at, visible(&c.who), visible(&what))?;
    }
    Ok(())
}

fn hit_json(hit: &Hit) -> Value {
    let mut v = serde_json::to_value(&hit.alert).unwrap_or(Value::Null);
    v["status"] = json!(hit.state.status);
    v["resolution"] = json!(hit.state.resolution);
    v["assignee"] = json!(hit.state.assignee);
    v
}

fn local_time(rfc3339: &str, zone: Zone) -> String {
    match chrono::DateTime::parse_from_rfc3339(rfc3339) {
        Ok(t) => t
            .with_timezone(&zone.offset_at(t.timestamp_micros()))
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => rfc3339.to_owned(),
    }
}

fn cut(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(chars - 1).collect();
    s.push('…');
    s
}

fn table(out: &mut impl Write, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| visible(c)).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let write_row = |out: &mut dyn Write, cells: &mut dyn Iterator<Item = &str>| -> Result<()> {
        let mut line = String::new();
        for (cell, w) in cells.zip(&widths) {
            line.push_str(cell);
            line.push_str(&" ".repeat(w.saturating_sub(cell.chars().count()) + 2));
        }
        writeln!(out, "{}", line.trim_end())?;
        Ok(())
    };
    write_row(out, &mut header.iter().copied())?;
    for row in &rows {
        write_row(out, &mut row.iter().map(String::as_str))?;
    }
    Ok(())
}

/// Opens the index for a change. A running daemon holds the index writer for a moment each second
/// while it indexes new alerts; wait for it rather than fail.
fn open_for_change(data_dir: &Path) -> Result<AlertIndex> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match AlertIndex::open(data_dir) {
            Err(canhgac_engine::Error::Busy(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            other => return Ok(other?),
        }
    }
}
