//! `canhgac`: the command-line entry point. It only wires the crates together: parsing lives in
//! `canhgac-parsers`, storage, ingestion and SQL in `canhgac-engine`.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use canhgac_engine::alerts::AlertLog;
use canhgac_engine::generate::{GenOptions, Kind};
use canhgac_engine::ingest::{IngestOptions, ingest_files, now_micros, parse_files, read_frames};
use canhgac_engine::ruletest::run_rule_tests;
use canhgac_engine::sql::{OutputFormat, query_blocking, render, scan_events_blocking};
use canhgac_parsers::framing::{DEFAULT_MAX_FRAME, FrameDecoder};
use canhgac_parsers::time::{YearPolicy, Zone};
use canhgac_parsers::{BatchBuilder, Origin, ParseContext, SourceType};
use canhgac_rules::{Engine, Evaluator, LoadFailure, Logsources, RuleSet};
use clap::{Parser, Subcommand, ValueEnum};

mod daemon;
mod notify;
mod report;
mod triage;
mod web;

#[derive(Parser)]
#[command(
    name = "canhgac",
    version,
    about = "SOC log analysis: parse, store and query syslog, Linux and firewall logs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Settings that say how records are parsed.
#[derive(clap::Args, Clone)]
struct ParseArgs {
    /// `auto` to detect the format of each record, or a source type: syslog, linux_auth,
    /// linux_cron, linux_kernel, auditd, netfilter, fortigate, cisco_asa, cisco_ios, pf_filterlog,
    /// panos, cef, leef, juniper_srx, sophos, stormshield, sonicwall, checkpoint, huawei_usg,
    /// mikrotik, watchguard, pfsense, ids, suricata_eve, zeek, webserver, haproxy, dns, proxy,
    /// mail, ftp.
    #[arg(long, default_value = "auto")]
    source_type: String,
    /// Zone for timestamps that carry none: UTC, an offset (+07:00) or an IANA name.
    #[arg(long, default_value = "UTC")]
    tz: String,
    /// Year for timestamps that carry none (default: inferred from the receive time).
    #[arg(long)]
    year: Option<i32>,
}

/// Settings of detection.
#[derive(clap::Args, Clone)]
struct DetectArgs {
    /// Rule files or directories (default: the built-in pack and the rules imported into the
    /// data directory). May be repeated.
    #[arg(long = "rules")]
    rules: Vec<PathBuf>,
    /// Hold back repeats of an alert (same rule and group) for this long after one is shown,
    /// counting them (e.g. `10m`); `0` shows every alert.
    #[arg(long, default_value = "0s")]
    suppress: String,
    /// How late (behind the newest match of its group) a correlation match may arrive and still
    /// count in its window; later ones are counted as late.
    #[arg(long, default_value = "1h")]
    lateness: String,
    /// Which evaluator runs the rules: `compiled` (fast) or `reference` (sigma-rust, for
    /// debugging; the same verdicts, much slower).
    #[arg(long, value_enum, default_value_t = EvaluatorArg::Compiled)]
    evaluator: EvaluatorArg,
}

/// `--evaluator`.
#[derive(Clone, Copy, clap::ValueEnum)]
enum EvaluatorArg {
    Compiled,
    Reference,
}

impl From<EvaluatorArg> for Evaluator {
    fn from(e: EvaluatorArg) -> Evaluator {
        match e {
            EvaluatorArg::Compiled => Evaluator::Compiled,
            EvaluatorArg::Reference => Evaluator::Reference,
        }
    }
}

/// A duration option (`30s`, `10m`, `1h`, `30d`) in microseconds.
fn duration(s: &str) -> Result<i64> {
    canhgac_rules::correlation::parse_timespan(s)
        .ok_or_else(|| anyhow::anyhow!("`{s}` is not a duration such as 30s, 10m, 1h or 1d"))
}

impl DetectArgs {
    fn engine(&self, data_dir: Option<&Path>) -> Result<Engine> {
        let (set, failures) = load_rules(&self.rules, data_dir)?;
        print_failures(&failures);
        Ok(Engine::new(set, self.evaluator.into())
            .with_suppression(duration(&self.suppress)?)
            .with_lateness(duration(&self.lateness)?))
    }
}

impl ParseArgs {
    fn context(&self) -> Result<ParseContext> {
        let mut ctx = ParseContext::new(now_micros());
        ctx.zone = Zone::parse(&self.tz)?;
        ctx.year = self
            .year
            .map_or(YearPolicy::FromReceiveTime, YearPolicy::Fixed);
        ctx.source_type = match self.source_type.as_str() {
            "auto" => None,
            name => Some(SourceType::from_name(name)?),
        };
        Ok(ctx)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: receive syslog over UDP, TCP and TLS and tail files; parse, detect,
    /// store and index continuously (see `samples/canhgac.toml`).
    Serve(daemon::ServeArgs),
    /// The daemon's configuration file.
    Config {
        #[command(subcommand)]
        action: daemon::ConfigCommand,
    },
    /// The monthly security report: figures from the data directory as JSON, CSV or HTML.
    Report(report::ReportArgs),
    /// Email: send a test mail, list the outbox, deliver it now.
    Notify {
        #[command(subcommand)]
        action: notify::NotifyCommand,
    },
    /// Send log files to a running daemon over TCP or UDP (one record per line).
    Send(daemon::SendArgs),
    /// Users of the web UI: add, list, remove.
    User {
        #[command(subcommand)]
        action: web::UserCommand,
    },
    /// The web UI alone over a data directory (`serve` runs it beside the daemon).
    Ui(web::UiArgs),
    /// Parse records from stdin (one per line) and print one JSON object per record.
    Parse {
        #[command(flatten)]
        parse: ParseArgs,
    },
    /// Parse log files (plain or .gz), run the rules on them and store both in the data
    /// directory (events as Parquet, alerts in the alert log).
    Ingest {
        /// Data directory.
        #[arg(long, default_value = "./canhgac-data")]
        data_dir: PathBuf,
        #[command(flatten)]
        parse: ParseArgs,
        #[command(flatten)]
        detect: DetectArgs,
        /// Store the events without running any rules.
        #[arg(long, conflicts_with = "rules")]
        no_detect: bool,
        /// Files to ingest.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run a read-only SQL query over the stored events (table `events`).
    Sql {
        /// Data directory.
        #[arg(long, default_value = "./canhgac-data")]
        data_dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// The query.
        query: String,
    },
    /// Search alerts: `canhgac search "level:high AND src_ip:10.0.0.0/8 last 24h"`.
    Search(triage::SearchArgs),
    /// Look at and triage one alert (or many, by query).
    Alert {
        #[command(subcommand)]
        action: triage::AlertCommand,
    },
    /// The alert search index.
    Index {
        #[command(subcommand)]
        action: triage::IndexCommand,
    },
    /// Sigma rules: validate or list them.
    Rules {
        #[command(subcommand)]
        action: RulesCommand,
    },
    /// Parse records and run the rules on them (correlations included), without a data
    /// directory; prints one alert per line as JSON.
    Detect {
        #[command(flatten)]
        detect: DetectArgs,
        #[command(flatten)]
        parse: ParseArgs,
        /// Files to read (plain or .gz); `-` reads standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Run rules over the events already stored (a hunt); alerts are printed as JSON lines and
    /// appended to the data directory's alert log.
    Hunt {
        /// Data directory.
        #[arg(long, default_value = "./canhgac-data")]
        data_dir: PathBuf,
        /// How far back to look (e.g. 24h, 30d).
        #[arg(long, default_value = "30d")]
        since: String,
        #[command(flatten)]
        detect: DetectArgs,
    },
    /// Ingest the bundled samples into a demo data directory and show what they contain.
    Demo {
        /// Demo data directory (recreated on each run).
        #[arg(long, default_value = "./canhgac-demo")]
        data_dir: PathBuf,
        /// Directory of sample logs.
        #[arg(long, default_value = "samples")]
        samples: PathBuf,
    },
    /// Write realistic generated logs (for samples and benchmarks).
    #[command(hide = true)]
    Generate {
        /// Kind of log.
        #[arg(long, value_enum, default_value_t = GenKind::Mixed)]
        kind: GenKind,
        /// Number of lines.
        #[arg(long, default_value_t = 1000)]
        lines: u64,
        /// Random seed: the same seed writes the same lines.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Share of attack lines (0 to 1).
        #[arg(long, default_value_t = 0.15)]
        attack_share: f64,
        /// Event time of the first line, seconds since the epoch (default 2026-11-02T00:00:00Z).
        #[arg(long)]
        start_secs: Option<i64>,
        /// Mean seconds between lines.
        #[arg(long)]
        mean_gap_secs: Option<f64>,
        /// Output file (default stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum RulesCommand {
    /// Load rules and report every one that cannot be used (exit status 1 if any).
    Validate {
        /// Rule files or directories (default: the built-in pack).
        paths: Vec<PathBuf>,
    },
    /// List the rules that load: id, level, log source, title.
    List {
        /// Rule files or directories (default: the built-in pack).
        paths: Vec<PathBuf>,
    },
    /// Run each rule on its own sample records (`canhgac_tests`) and report; exit status 1 if a
    /// rule misses a record it must match or matches one it must not.
    Test {
        /// Rule files or directories (default: the built-in pack).
        paths: Vec<PathBuf>,
    },
    /// Copy the rules of a directory (such as SigmaHQ's) that apply to the logs canhgac collects
    /// into the data directory's rule set, with their licence files; report what was skipped.
    Import {
        /// Data directory.
        #[arg(long, default_value = "./canhgac-data")]
        data_dir: PathBuf,
        /// The directory of rules.
        dir: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum GenKind {
    Auth,
    Rfc5424,
    Audit,
    Mixed,
    Fortigate,
    CiscoAsa,
    Iptables,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, so scripts and log collectors see the whole error.
            let message = format!("{e:#}");
            eprintln!(
                "canhgac: {}",
                message.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<()> {
    match command {
        Command::Serve(args) => daemon::serve(&args),
        Command::Config { action } => daemon::config(action),
        Command::Send(args) => daemon::send(&args),
        Command::User { action } => web::user(action),
        Command::Ui(args) => web::ui(&args),
        Command::Notify { action } => notify::run(action),
        Command::Report(args) => report::run(&args),
        Command::Parse { parse } => parse_stdin(&parse),
        Command::Ingest {
            data_dir,
            parse,
            detect,
            no_detect,
            files,
        } => {
            let options = IngestOptions {
                parse: parse.context()?,
                max_frame: DEFAULT_MAX_FRAME,
            };
            let mut engine = if no_detect {
                None
            } else {
                Some(detect.engine(Some(&data_dir))?)
            };
            let summary = ingest_files(&data_dir, &files, &options, engine.as_mut())?;
            let s = summary.stats;
            println!(
                "ingested {} records from {} file(s): {} ok, {} partial, {} failed, {} truncated; {} parquet file(s) written; {} alert(s), {} new; {:.0} records/s, {:.1} MB/s",
                s.records,
                summary.inputs,
                s.records - s.partial - s.failed,
                s.partial,
                s.failed,
                summary.truncated,
                summary.files_written.len(),
                summary.alerts_raised,
                summary.alerts_new,
                summary.rate(),
                s.bytes as f64 / 1e6 / summary.elapsed.as_secs_f64().max(1e-9),
            );
            Ok(())
        }
        Command::Sql {
            data_dir,
            format,
            query,
        } => {
            let batches = query_blocking(&data_dir, &query)?;
            let format = match format {
                Format::Table => OutputFormat::Table,
                Format::Csv => OutputFormat::Csv,
                Format::Json => OutputFormat::Json,
            };
            std::io::stdout()
                .lock()
                .write_all(&render(&batches, format)?)
                .context("writing to stdout")?;
            Ok(())
        }
        Command::Search(args) => triage::search(&args),
        Command::Alert { action } => triage::alert(action),
        Command::Index { action } => triage::index(action),
        Command::Demo { data_dir, samples } => demo(&data_dir, &samples),
        Command::Rules { action } => rules(action),
        Command::Hunt {
            data_dir,
            since,
            detect,
        } => hunt(&data_dir, &since, &detect),
        Command::Detect {
            detect: args,
            parse,
            files,
        } => detect(&args, &parse, &files),
        Command::Generate {
            kind,
            lines,
            seed,
            attack_share,
            start_secs,
            mean_gap_secs,
            out,
        } => {
            let kind = match kind {
                GenKind::Auth => Kind::Auth3164,
                GenKind::Rfc5424 => Kind::Syslog5424,
                GenKind::Audit => Kind::Audit,
                GenKind::Mixed => Kind::Mixed,
                GenKind::Fortigate => Kind::FortiGate,
                GenKind::CiscoAsa => Kind::CiscoAsa,
                GenKind::Iptables => Kind::Iptables,
            };
            let defaults = GenOptions::default();
            let options = GenOptions {
                kind,
                lines,
                seed,
                attack_share,
                start_secs: start_secs.unwrap_or(defaults.start_secs),
                mean_gap_secs: mean_gap_secs.unwrap_or(defaults.mean_gap_secs),
            };
            match out {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .with_context(|| format!("creating {}", path.display()))?;
                    let mut w = BufWriter::new(file);
                    canhgac_engine::generate::generate(&options, &mut w)?;
                    w.flush()?;
                }
                None => {
                    let mut w = BufWriter::new(std::io::stdout().lock());
                    canhgac_engine::generate::generate(&options, &mut w)?;
                    w.flush()?;
                }
            }
            Ok(())
        }
    }
}

/// `canhgac parse`: stdin lines to JSON lines, flushing in batches so a pipe sees output promptly.
fn parse_stdin(args: &ParseArgs) -> Result<()> {
    let mut ctx = args.context()?;
    let mut builder = BatchBuilder::new();
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut text = String::new();
    let mut flush = |builder: &mut BatchBuilder, out: &mut BufWriter<_>| -> Result<()> {
        let batch = builder.finish()?;
        for row in 0..batch.num_rows() {
            text.clear();
            canhgac_parsers::jsonl::write_row(&batch, row, &mut text);
            out.write_all(text.as_bytes())?;
        }
        Ok(())
    };
    let stdin = std::io::stdin().lock();
    read_frames(
        stdin,
        Path::new("<stdin>"),
        FrameDecoder::newline_only(DEFAULT_MAX_FRAME),
        |frame| {
            ctx.received_at = now_micros();
            builder.push(
                &frame.bytes,
                &ctx,
                Origin {
                    collector: Some("stdin"),
                    peer: None,
                    truncated: frame.truncated,
                    group: None,
                },
            );
            if builder.len() >= 1024 {
                flush(&mut builder, &mut out)
                    .map_err(|e| canhgac_engine::Error::Internal(format!("{e:#}")))?;
            }
            Ok(())
        },
    )?;
    flush(&mut builder, &mut out)?;
    out.flush().context("writing to stdout")?;
    Ok(())
}

/// Marks a directory as the demo's own, so `demo` only ever clears a directory it created.
const DEMO_MARKER: &str = ".canhgac-demo";

/// Queries the demo shows, with a heading each.
const DEMO_QUERIES: &[(&str, &str)] = &[
    (
        "Events by source type and parse status",
        "SELECT source_type, parse_status, count(*) AS events FROM events GROUP BY source_type, parse_status ORDER BY events DESC",
    ),
    (
        "SSH brute force: failed logins by source address",
        "SELECT src_ip, count(*) AS failures, count(DISTINCT \"user\") AS users_tried, count(DISTINCT host) AS hosts_hit, min(ts) AS first_seen, max(ts) AS last_seen \
         FROM events WHERE source_type = 'linux_auth' AND outcome = 'failure' AND src_ip IS NOT NULL \
         GROUP BY src_ip ORDER BY failures DESC LIMIT 10",
    ),
    (
        "sudo abuse: refused sudo attempts",
        "SELECT host, \"user\", fields['target_user'] AS target_user, fields['command'] AS command, count(*) AS attempts \
         FROM events WHERE app = 'sudo' AND outcome = 'failure' AND fields['reason'] IS NOT NULL \
         GROUP BY host, \"user\", fields['target_user'], fields['command'] ORDER BY attempts DESC LIMIT 10",
    ),
    (
        "Alerts from the built-in Sigma rules",
        "SELECT level, title, count(*) AS alerts, count(DISTINCT src_ip) AS sources, min(first_ts) AS first_seen, max(last_ts) AS last_seen \
         FROM alerts GROUP BY level, title \
         ORDER BY CASE level WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END, alerts DESC",
    ),
    (
        "Perimeter probing: denied connections by source, across FortiGate, Cisco ASA and iptables",
        "SELECT src_ip, count(*) AS denied, count(DISTINCT dst_port) AS ports_probed, count(DISTINCT dst_ip) AS targets, \
         count(DISTINCT source_type) AS firewalls, min(ts) AS first_seen, max(ts) AS last_seen \
         FROM events WHERE action IN ('deny', 'drop', 'reject', 'reset') \
         GROUP BY src_ip ORDER BY denied DESC LIMIT 10",
    ),
];

/// Where `rules import` puts rules, relative to the data directory.
pub(crate) const IMPORTED_RULES: &str = "rules";

/// The rules at `paths`; when none are given, the built-in pack plus the rules imported into
/// `data_dir` (if any). Also what failed to load.
fn load_rules(paths: &[PathBuf], data_dir: Option<&Path>) -> Result<(RuleSet, Vec<LoadFailure>)> {
    if !paths.is_empty() {
        return Ok(RuleSet::load(paths, Logsources::builtin()?));
    }
    let (mut set, mut failures) = canhgac_rules::builtin_pack()?;
    if let Some(imported) = data_dir.map(|d| d.join(IMPORTED_RULES))
        && imported.is_dir()
    {
        set.add_paths(&[imported], &mut failures);
        set.finish(&mut failures);
    }
    Ok((set, failures))
}

/// `canhgac rules import`: copies the files whose rules load, keeping licence files beside them.
fn import_rules(data_dir: &Path, dir: &Path) -> Result<()> {
    let name = dir
        .canonicalize()
        .with_context(|| format!("reading {}", dir.display()))?
        .file_name()
        .map_or_else(
            || "imported".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        );
    let target = data_dir.join(IMPORTED_RULES).join(&name);
    let (set, failures) = RuleSet::load(&[dir.to_path_buf()], Logsources::builtin()?);
    let mut files: std::collections::BTreeSet<&Path> =
        set.rules.iter().map(|r| r.meta.path.as_path()).collect();
    files.extend(set.correlations.iter().map(|c| c.meta.path.as_path()));
    for file in &files {
        let relative = file.strip_prefix(dir).unwrap_or(file);
        let dest = target.join(relative);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::copy(file, &dest).with_context(|| format!("copying {}", file.display()))?;
    }
    // The rules keep their licence and attribution (SigmaHQ's Detection Rule License sits at the
    // top of its repository, so the directory and two levels above it are searched).
    let mut licences = 0;
    for ancestor in dir.ancestors().take(3) {
        let Ok(entries) = std::fs::read_dir(ancestor) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let upper = entry.file_name().to_string_lossy().to_uppercase();
            let is_notice = ["LICENSE", "LICENCE", "README", "NOTICE"]
                .iter()
                .any(|p| upper.starts_with(p));
            if path.is_file() && is_notice {
                std::fs::create_dir_all(&target)?;
                std::fs::copy(&path, target.join(entry.file_name()))?;
                licences += 1;
            }
        }
        if licences > 0 {
            break;
        }
    }
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for f in &failures {
        let reason = if f.reason.contains("is not one canhgac collects") {
            "log source not collected".to_owned()
        } else {
            f.reason.clone()
        };
        *reasons.entry(reason).or_default() += 1;
    }
    println!(
        "imported {} file(s) with {} rules and {} correlations into {} ({licences} licence/attribution file(s)); skipped {} rule(s):",
        files.len(),
        set.rules.len(),
        set.correlations.len(),
        target.display(),
        failures.len()
    );
    for (reason, n) in reasons {
        println!("  {n:>5}  {reason}");
    }
    Ok(())
}

pub(crate) fn print_failures(failures: &[LoadFailure]) {
    for f in failures {
        eprintln!(
            "canhgac: rule {} in {}: {}",
            f.rule.as_deref().unwrap_or("-"),
            f.path.display(),
            f.reason
        );
    }
}

/// `canhgac rules validate|list`.
fn rules(action: RulesCommand) -> Result<()> {
    match action {
        RulesCommand::Import { data_dir, dir } => import_rules(&data_dir, &dir),
        RulesCommand::Test { paths } => {
            let (set, failures) = load_rules(&paths, None)?;
            print_failures(&failures);
            let mut engine = Engine::new(set, Evaluator::Compiled);
            let results = run_rule_tests(&mut engine, &ParseContext::new(now_micros()))?;
            let (mut passed, mut failed, mut untested) = (0, 0, 0);
            for r in &results {
                match &r.failures {
                    None => {
                        untested += 1;
                        println!("no tests  {}  {}", r.id, r.title);
                    }
                    Some(f) if f.is_empty() => {
                        passed += 1;
                        println!("ok        {}  {}", r.id, r.title);
                    }
                    Some(f) => {
                        failed += 1;
                        println!("FAILED    {}  {}", r.id, r.title);
                        for line in f {
                            println!("            {line}");
                        }
                    }
                }
            }
            println!("{passed} passed, {failed} failed, {untested} without tests");
            anyhow::ensure!(failed == 0, "{failed} rule(s) failed their tests");
            Ok(())
        }
        RulesCommand::Validate { paths } => {
            let (set, failures) = load_rules(&paths, None)?;
            let mut per_source: std::collections::BTreeMap<String, usize> = Default::default();
            for rule in &set.rules {
                let name = set
                    .logsources
                    .get(rule.logsource)
                    .map_or_else(String::new, |l| l.name.clone());
                *per_source.entry(name).or_default() += 1;
            }
            println!(
                "{} rules and {} correlations loaded, {} failed",
                set.rules.len(),
                set.correlations.len(),
                failures.len()
            );
            for (source, n) in per_source {
                println!("  {source:<40} {n}");
            }
            print_failures(&failures);
            anyhow::ensure!(
                failures.is_empty(),
                "{} rule(s) failed to load",
                failures.len()
            );
            Ok(())
        }
        RulesCommand::List { paths } => {
            let (set, failures) = load_rules(&paths, None)?;
            print_failures(&failures);
            let mut out = std::io::stdout().lock();
            for rule in &set.rules {
                let source = set
                    .logsources
                    .get(rule.logsource)
                    .map_or("", |l| l.name.as_str());
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    rule.meta.id, rule.meta.level, source, rule.meta.title
                )?;
            }
            for c in &set.correlations {
                writeln!(
                    out,
                    "{}\t{}\tcorrelation:{:?}\t{}",
                    c.meta.id, c.meta.level, c.kind, c.meta.title
                )?;
            }
            Ok(())
        }
    }
}

/// `canhgac detect`: parse, evaluate, print alerts as JSON lines.
fn detect(args: &DetectArgs, parse: &ParseArgs, files: &[PathBuf]) -> Result<()> {
    let mut engine = args.engine(None)?;
    let options = IngestOptions {
        parse: parse.context()?,
        max_frame: DEFAULT_MAX_FRAME,
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut failed = None;
    parse_files(files, &options, |batch| {
        match engine.process(&batch) {
            Ok(alerts) => {
                for alert in alerts {
                    if writeln!(out, "{}", alert.to_json()).is_err() {
                        failed = Some(anyhow::anyhow!("writing alerts to stdout failed"));
                    }
                }
            }
            Err(e) => failed = Some(e.into()),
        }
        Ok(())
    })?;
    out.flush()?;
    let (late, evicted) = engine.dropped();
    if late + evicted + engine.suppressed() > 0 {
        eprintln!(
            "canhgac: {} alert(s) suppressed as repeats; {late} correlation match(es) too late, {evicted} evicted from full windows",
            engine.suppressed()
        );
    }
    failed.map_or(Ok(()), Err)
}

/// `canhgac hunt`: the rules over stored events, in time order.
fn hunt(data_dir: &Path, since: &str, args: &DetectArgs) -> Result<()> {
    let span = duration(since)?;
    let mut engine = args.engine(Some(data_dir))?;
    let mut log = AlertLog::open(data_dir)?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    let (mut scanned, mut raised, mut new) = (0, 0, 0);
    let mut write_failed = false;
    scan_events_blocking(data_dir, now_micros() - span, |batch| {
        scanned += batch.num_rows();
        let alerts = engine.process(&batch)?;
        raised += alerts.len();
        new += log.append(&alerts)?;
        for alert in &alerts {
            write_failed |= writeln!(out, "{}", alert.to_json()).is_err();
        }
        Ok(())
    })?;
    out.flush()?;
    drop(log);
    canhgac_engine::index::sync(data_dir)?;
    canhgac_engine::alert_rollup::refresh(data_dir)?;
    anyhow::ensure!(!write_failed, "writing alerts to stdout failed");
    eprintln!(
        "canhgac: hunted {scanned} stored events: {raised} alert(s), {new} new in the alert log"
    );
    Ok(())
}

/// `canhgac demo`: a fresh data directory with the samples in it, and a few questions answered.
fn demo(data_dir: &Path, samples: &Path) -> Result<()> {
    match std::fs::read_dir(data_dir) {
        Ok(mut entries) => {
            let is_demo = data_dir.join(DEMO_MARKER).try_exists().unwrap_or(false);
            if entries.next().is_some() && !is_demo {
                anyhow::bail!(
                    "{} exists and was not made by `canhgac demo`; choose another --data-dir",
                    data_dir.display()
                );
            }
            std::fs::remove_dir_all(data_dir)
                .with_context(|| format!("clearing {}", data_dir.display()))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", data_dir.display())),
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    std::fs::write(data_dir.join(DEMO_MARKER), b"made by canhgac demo\n")?;

    let mut files = Vec::new();
    collect_logs(samples, &mut files)
        .with_context(|| format!("reading samples from {}", samples.display()))?;
    files.sort();
    anyhow::ensure!(
        !files.is_empty(),
        "no .log or .gz files under {}",
        samples.display()
    );
    let options = IngestOptions {
        parse: ParseContext::new(now_micros()),
        max_frame: DEFAULT_MAX_FRAME,
    };
    let (rules, failures) = canhgac_rules::builtin_pack()?;
    print_failures(&failures);
    let mut engine = Engine::new(rules, Evaluator::Compiled);
    let summary = ingest_files(data_dir, &files, &options, Some(&mut engine))?;
    println!(
        "canhgac demo: ingested {} records from {} sample files into {} ({} partial, {} failed, kept raw); the built-in rules raised {} alerts\n",
        summary.stats.records,
        summary.inputs,
        data_dir.display(),
        summary.stats.partial,
        summary.stats.failed,
        summary.alerts_new
    );
    for (title, query) in DEMO_QUERIES {
        println!("== {title}");
        let batches = query_blocking(data_dir, query)?;
        std::io::stdout()
            .lock()
            .write_all(&render(&batches, OutputFormat::Table)?)?;
        println!();
    }
    println!("== Alerts of level high or above, newest first (alert search)");
    triage::print_search(data_dir, "level:>=high", 10)?;
    println!(
        "\nTry your own: cargo run --release -- sql --data-dir {} \"SELECT host, count(*) FROM events GROUP BY host\"",
        data_dir.display()
    );
    println!(
        "          or: cargo run --release -- search --data-dir {} --facets \"rule:brute AND status:new\"",
        data_dir.display()
    );
    Ok(())
}

fn collect_logs(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_logs(&path, out)?;
        } else if path.extension().is_some_and(|x| x == "log" || x == "gz") {
            out.push(path);
        }
    }
    Ok(())
}
