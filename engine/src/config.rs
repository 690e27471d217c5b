//! The daemon's configuration: one strict TOML file, every setting defaulted.
//!
//! Unknown keys are errors that name the key (a typo must never silently fall back to a default).
//! [`Config::load`] reads and checks a file; [`Config::check`] validates what serde cannot: zones,
//! source types, addresses, CIDRs, TLS files, unique names. With no file at all,
//! [`Config::default`] listens on 127.0.0.1 UDP and TCP port 5514 and uses `./canhgac-data`.
//! `samples/canhgac.toml` documents every setting.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use canhgac_parsers::time::Zone;
use canhgac_parsers::{ParseContext, SourceType};
use cidr::IpCidr;
use serde::Deserialize;

use crate::error::{Error, Result};

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Where everything is stored (WAL, events, alerts, index, state).
    pub data_dir: PathBuf,
    /// Batching and channels.
    pub pipeline: PipelineConfig,
    /// The write-ahead log.
    pub wal: WalConfig,
    /// Sigma detection.
    pub detection: DetectionConfig,
    /// The Prometheus endpoint.
    pub metrics: MetricsConfig,
    /// Departments / asset groups, by name: which sender addresses belong to each.
    pub groups: BTreeMap<String, GroupConfig>,
    /// Email to IT staff (off until `notify.smtp.host` is set).
    pub notify: crate::notify::config::NotifyConfig,
    /// The monthly report.
    pub report: ReportConfig,
    /// The web UI.
    pub ui: UiConfig,
    /// The collectors. Empty: UDP and TCP on 127.0.0.1:5514.
    #[serde(rename = "source")]
    pub sources: Vec<SourceConfig>,
}

/// Batching and channels between the stages.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineConfig {
    /// A batch is cut at this many rows...
    pub batch_rows: usize,
    /// ...or this long after its first record, whichever comes first.
    pub flush_interval_ms: u64,
    /// Chunks of records waiting between the sources and the parser; when full, TCP, TLS and file
    /// reading wait and UDP datagrams are dropped (and counted).
    pub channel_capacity: usize,
    /// Longer records are cut at this size, kept and flagged.
    pub max_frame_bytes: usize,
}

/// When the WAL is synced to disk, and how segments are cut.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WalConfig {
    /// `batch`: every batch is synced before it counts as accepted (the default). `interval`: at
    /// most every `fsync_interval_ms` (a crash can lose that much). `never`: left to the OS.
    pub fsync: FsyncPolicy,
    /// For `fsync = "interval"`.
    pub fsync_interval_ms: u64,
    /// A segment is sealed (and then compacted into Parquet) at this size...
    pub segment_max_bytes: u64,
    /// ...or this age, which bounds how long events wait before SQL sees them.
    pub segment_max_age_ms: u64,
}

/// WAL sync policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FsyncPolicy {
    /// Sync every batch.
    Batch,
    /// Sync at most every `fsync_interval_ms`.
    Interval,
    /// Never sync explicitly.
    Never,
}

/// Sigma detection settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectionConfig {
    /// Run detection at all.
    pub enabled: bool,
    /// Load the bundled rule pack.
    pub builtin_pack: bool,
    /// More rule files or directories (e.g. rules imported with `canhgac rules import`).
    pub rules: Vec<PathBuf>,
    /// Hold back repeats of the same alert (rule and group) within this window; 0 shows all.
    pub suppress_ms: u64,
    /// How late a correlation match may arrive and still count.
    pub lateness_ms: u64,
    /// How often the correlation state is written to `state/`.
    pub checkpoint_interval_ms: u64,
}

/// The `/metrics` endpoint.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Listen address; empty turns the endpoint off.
    pub listen: String,
}

/// Monthly report settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// Organisation named in the report's header.
    pub organization: String,
    /// A source without events for this many hours in a row is reported silent.
    pub silent_hours: u32,
    /// Compliance mapping (YAML); the shipped TCVN 11930 / Circular 12 mapping when unset.
    pub compliance: Option<PathBuf>,
    /// A text file whose paragraphs the report adds to its recommendations.
    pub notes: Option<PathBuf>,
    /// The scheduled monthly run.
    pub schedule: ScheduleConfig,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            organization: String::new(),
            silent_hours: 24,
            compliance: None,
            notes: None,
            schedule: ScheduleConfig::default(),
        }
    }
}

/// When `canhgac serve` (or `canhgac report --due`) makes last month's report by itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleConfig {
    /// Day of the month (1-28) on which last month's report is made; 0 turns the schedule off.
    pub day: u32,
    /// Hour (UTC, 0-23) on that day from which it is due.
    pub hour: u32,
    /// Languages, one file each (`vi`, `en`).
    pub languages: Vec<crate::notify::config::Lang>,
    /// Forms written (`pdf`, `html`, `json`, `csv`).
    pub formats: Vec<String>,
    /// Who receives it (through the outbox; needs `[notify.smtp]`). Empty: files only.
    pub recipients: Vec<String>,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        ScheduleConfig {
            day: 0,
            hour: 6,
            languages: vec![crate::notify::config::Lang::Vi],
            formats: vec!["pdf".to_owned()],
            recipients: Vec::new(),
        }
    }
}

/// A department or asset group.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GroupConfig {
    /// Display name (e.g. "Sở Y tế").
    pub label: String,
    /// Its security level (cấp độ 1-5 under Decree 85/2016), for reports.
    pub security_level: Option<u8>,
    /// Sender addresses that belong to it (the most specific match wins).
    pub cidrs: Vec<String>,
}

/// What kind of collector a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// Syslog over UDP.
    Udp,
    /// Syslog over TCP (octet counting or newlines, per connection).
    Tcp,
    /// Syslog over TLS (RFC 5425).
    Tls,
    /// Files matching a glob, tailed.
    File,
    /// Standard input, until it ends.
    Stdin,
}

/// The web UI served by the daemon (`canhgac-ui`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UiConfig {
    /// Address to serve on; empty turns the UI off.
    pub listen: String,
    /// TLS for the UI itself: certificate chain (PEM). With it, cookies are `Secure`.
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    pub tls_key: Option<PathBuf>,
    /// A session unused this long ends.
    pub session_idle_minutes: u64,
    /// A session ends this long after login, used or not.
    pub session_max_hours: u64,
    /// Failed logins (per account, and per client address) that lock logins out...
    pub lockout_failures: u32,
    /// ...when they happen within this many minutes; the lockout lasts as long.
    pub lockout_minutes: u64,
    /// The SQL console stops a query after this long.
    pub sql_timeout_ms: u64,
    /// The SQL console shows at most this many rows.
    pub sql_row_limit: usize,
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            listen: "127.0.0.1:8470".to_owned(),
            tls_cert: None,
            tls_key: None,
            session_idle_minutes: 60,
            session_max_hours: 12,
            lockout_failures: 5,
            lockout_minutes: 15,
            sql_timeout_ms: 10_000,
            sql_row_limit: 1000,
        }
    }
}

/// The file the UI writes its login events to (PAM-style lines), relative to the data
/// directory; the daemon tails it as the source `ui-auth` so the rules see them.
pub const UI_AUTH_LOG: &str = "logs/ui-auth.log";

/// One collector.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceConfig {
    /// Unique name; stored in the `collector` column and used in metrics.
    pub name: String,
    /// Its kind.
    pub kind: SourceKind,
    /// `udp`, `tcp`, `tls`: the address to listen on.
    #[serde(default)]
    pub listen: Option<String>,
    /// `file`: a path or glob pattern (`/var/log/fw/*.log`).
    #[serde(default)]
    pub path: Option<String>,
    /// A fixed format instead of auto-detection (`fortigate`, `cisco_asa`...).
    #[serde(default)]
    pub source_type: Option<String>,
    /// Zone of timestamps that carry none (`Asia/Ho_Chi_Minh`, `+07:00`); default UTC.
    #[serde(default)]
    pub timezone: Option<String>,
    /// The group of this source's records when no group's CIDRs match the sender.
    #[serde(default)]
    pub group: Option<String>,
    /// Senders allowed to send; others are dropped and counted. Empty: everyone.
    #[serde(default)]
    pub allowed_peers: Vec<String>,
    /// `tcp`, `tls`: a connection silent this long is closed.
    #[serde(default = "default_idle_timeout_ms")]
    pub idle_timeout_ms: u64,
    /// `tcp`, `tls`: connections beyond this many are refused (and counted).
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// `tls`: certificate chain (PEM).
    #[serde(default)]
    pub tls_cert: Option<PathBuf>,
    /// `tls`: private key (PEM).
    #[serde(default)]
    pub tls_key: Option<PathBuf>,
    /// `tls`: when set, clients must present a certificate signed by this CA (PEM).
    #[serde(default)]
    pub tls_client_ca: Option<PathBuf>,
    /// `file`: how often files are checked for new data and rotation.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// `file`: where to start in a file seen for the first time: `beginning` or `end`.
    #[serde(default)]
    pub start_at: StartAt,
}

/// Where a file source starts in a file it has never seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartAt {
    /// Read it whole (nothing written before the daemon started is missed).
    #[default]
    Beginning,
    /// Only what is appended from now on.
    End,
}

fn default_idle_timeout_ms() -> u64 {
    10 * 60 * 1000
}
fn default_max_connections() -> usize {
    1024
}
fn default_poll_interval_ms() -> u64 {
    250
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("canhgac-data"),
            pipeline: PipelineConfig::default(),
            wal: WalConfig::default(),
            detection: DetectionConfig::default(),
            metrics: MetricsConfig::default(),
            groups: BTreeMap::new(),
            notify: crate::notify::config::NotifyConfig::default(),
            report: ReportConfig::default(),
            ui: UiConfig::default(),
            sources: Vec::new(),
        }
    }
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            batch_rows: crate::ingest::BATCH_ROWS,
            flush_interval_ms: 200,
            channel_capacity: 1024,
            max_frame_bytes: canhgac_parsers::framing::DEFAULT_MAX_FRAME,
        }
    }
}

impl Default for WalConfig {
    fn default() -> Self {
        WalConfig {
            fsync: FsyncPolicy::Batch,
            fsync_interval_ms: 1000,
            segment_max_bytes: 64 * 1024 * 1024,
            segment_max_age_ms: 60 * 1000,
        }
    }
}

impl Default for DetectionConfig {
    fn default() -> Self {
        DetectionConfig {
            enabled: true,
            builtin_pack: true,
            rules: Vec::new(),
            suppress_ms: 0,
            lateness_ms: (canhgac_rules::detect::DEFAULT_LATENESS_MICROS / 1000) as u64,
            checkpoint_interval_ms: 5000,
        }
    }
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            listen: "127.0.0.1:9514".to_owned(),
        }
    }
}

impl SourceConfig {
    /// A listening source with every other setting defaulted.
    pub fn listening(name: &str, kind: SourceKind, listen: &str) -> SourceConfig {
        SourceConfig {
            name: name.to_owned(),
            kind,
            listen: Some(listen.to_owned()),
            path: None,
            source_type: None,
            timezone: None,
            group: None,
            allowed_peers: Vec::new(),
            idle_timeout_ms: default_idle_timeout_ms(),
            max_connections: default_max_connections(),
            tls_cert: None,
            tls_key: None,
            tls_client_ca: None,
            poll_interval_ms: default_poll_interval_ms(),
            start_at: StartAt::default(),
        }
    }

    /// The listen address, checked.
    pub fn listen_addr(&self) -> Result<SocketAddr> {
        let text = self
            .listen
            .as_deref()
            .ok_or_else(|| self.invalid("`listen` is required for this kind"))?;
        text.parse()
            .map_err(|_| self.invalid(&format!("`listen = \"{text}\"` is not ADDRESS:PORT")))
    }

    /// The parse settings of its records (`received_at` is set per record).
    pub fn parse_context(&self) -> Result<ParseContext> {
        let mut ctx = ParseContext::new(0);
        if let Some(zone) = &self.timezone {
            ctx.zone = Zone::parse(zone).map_err(|e| self.invalid(&e.to_string()))?;
        }
        if let Some(name) = &self.source_type
            && name != "auto"
        {
            ctx.source_type =
                Some(SourceType::from_name(name).map_err(|e| self.invalid(&e.to_string()))?);
        }
        Ok(ctx)
    }

    /// The `allowed_peers` networks, checked.
    pub fn allowed(&self) -> Result<Vec<IpCidr>> {
        self.allowed_peers
            .iter()
            .map(|c| parse_cidr(c).map_err(|e| self.invalid(&format!("allowed_peers: {e}"))))
            .collect()
    }

    fn invalid(&self, why: &str) -> Error {
        Error::Config(format!("source `{}`: {why}", self.name))
    }
}

/// Parses `10.0.0.0/8`, `2001:db8::/32` or a single address.
pub fn parse_cidr(text: &str) -> std::result::Result<IpCidr, String> {
    if let Ok(ip) = IpAddr::from_str(text) {
        return Ok(IpCidr::new_host(ip));
    }
    IpCidr::from_str(text).map_err(|e| format!("`{text}` is not an address or CIDR ({e})"))
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
        let config = Config::from_toml(&text)
            .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
        config.check()?;
        Ok(config)
    }

    /// Parses TOML text (strictly) without checking values.
    pub fn from_toml(text: &str) -> Result<Config> {
        toml::from_str(text).map_err(|e| Error::Config(e.to_string()))
    }

    /// The configured sources, or the embedded default (UDP and TCP on 127.0.0.1:5514); with the
    /// UI on, also `ui-auth`, the tail of the UI's own login events.
    pub fn effective_sources(&self) -> Vec<SourceConfig> {
        let mut sources = if self.sources.is_empty() {
            vec![
                SourceConfig::listening("udp", SourceKind::Udp, "127.0.0.1:5514"),
                SourceConfig::listening("tcp", SourceKind::Tcp, "127.0.0.1:5514"),
            ]
        } else {
            self.sources.clone()
        };
        if !self.ui.listen.is_empty() {
            let mut tail = SourceConfig::listening("ui-auth", SourceKind::File, "");
            tail.listen = None;
            tail.path = Some(self.data_dir.join(UI_AUTH_LOG).display().to_string());
            sources.push(tail);
        }
        sources
    }

    /// Checks everything serde cannot: every problem is reported, not just the first.
    pub fn check(&self) -> Result<()> {
        let mut problems = Vec::new();
        let mut names = std::collections::HashSet::new();
        if self.pipeline.batch_rows == 0 || self.pipeline.channel_capacity == 0 {
            problems.push("pipeline: batch_rows and channel_capacity must be above 0".to_owned());
        }
        if self.pipeline.max_frame_bytes < 1024 {
            problems.push("pipeline: max_frame_bytes must be at least 1024".to_owned());
        }
        if !self.metrics.listen.is_empty() && self.metrics.listen.parse::<SocketAddr>().is_err() {
            problems.push(format!(
                "metrics: `listen = \"{}\"` is not ADDRESS:PORT",
                self.metrics.listen
            ));
        }
        let ui = &self.ui;
        if !ui.listen.is_empty() && ui.listen.parse::<SocketAddr>().is_err() {
            problems.push(format!(
                "ui: `listen = \"{}\"` is not ADDRESS:PORT",
                ui.listen
            ));
        }
        if ui.tls_cert.is_some() != ui.tls_key.is_some() {
            problems.push("ui: tls_cert and tls_key go together".to_owned());
        }
        if ui.lockout_failures == 0 || ui.sql_row_limit == 0 || ui.session_idle_minutes == 0 {
            problems.push(
                "ui: lockout_failures, sql_row_limit and session_idle_minutes must be above 0"
                    .to_owned(),
            );
        }
        if self.sources.iter().any(|s| s.name == "ui-auth") && !ui.listen.is_empty() {
            problems
                .push("source `ui-auth`: the name is the UI's own login-event source".to_owned());
        }
        let schedule = &self.report.schedule;
        if schedule.day > 28 || schedule.hour > 23 {
            problems.push(format!(
                "report.schedule: day must be 0 (off) to 28 and hour 0 to 23 (got day {}, hour {})",
                schedule.day, schedule.hour
            ));
        }
        if !schedule.recipients.is_empty() && !self.notify.enabled() {
            problems.push(
                "report.schedule: recipients need a mail server: set [notify.smtp] host".to_owned(),
            );
        }
        for f in &schedule.formats {
            if crate::report::Format::from_name(f).is_none() {
                problems.push(format!(
                    "report.schedule: format `{f}` is not one of pdf, html, json, csv"
                ));
            }
        }
        if let Err(e) = crate::report::load_mapping(self.report.compliance.as_deref()) {
            problems.push(e.to_string());
        }
        for (name, group) in &self.groups {
            for c in &group.cidrs {
                if let Err(e) = parse_cidr(c) {
                    problems.push(format!("group `{name}`: {e}"));
                }
            }
        }
        problems.extend(self.notify.problems(&self.groups));
        for s in &self.sources {
            if !names.insert(s.name.as_str()) {
                problems.push(format!("source `{}`: the name is used twice", s.name));
            }
            let mut check = |r: Result<()>| {
                if let Err(e) = r {
                    problems.push(e.to_string());
                }
            };
            check(s.parse_context().map(drop));
            check(s.allowed().map(drop));
            if let Some(g) = &s.group
                && !self.groups.contains_key(g)
            {
                check(Err(s.invalid(&format!(
                    "group `{g}` is not defined under [groups]"
                ))));
            }
            match s.kind {
                SourceKind::Udp | SourceKind::Tcp | SourceKind::Tls => {
                    check(s.listen_addr().map(drop))
                }
                SourceKind::File => {
                    if s.path.as_deref().is_none_or(str::is_empty) {
                        check(Err(s.invalid("`path` is required for kind = \"file\"")));
                    } else if let Some(p) = &s.path
                        && let Err(e) = glob::Pattern::new(p)
                    {
                        check(Err(s.invalid(&format!("path: {e}"))));
                    }
                }
                SourceKind::Stdin => {}
            }
            if s.kind == SourceKind::Tls {
                for (key, file) in [("tls_cert", &s.tls_cert), ("tls_key", &s.tls_key)] {
                    match file {
                        None => check(Err(s.invalid(&format!("`{key}` is required for TLS")))),
                        Some(f) if !f.is_file() => check(Err(
                            s.invalid(&format!("{key}: {} is not a readable file", f.display()))
                        )),
                        Some(_) => {}
                    }
                }
                if let Some(ca) = &s.tls_client_ca
                    && !ca.is_file()
                {
                    check(Err(s.invalid(&format!(
                        "tls_client_ca: {} is not a readable file",
                        ca.display()
                    ))));
                }
            } else if s.tls_cert.is_some() || s.tls_key.is_some() || s.tls_client_ca.is_some() {
                check(Err(s.invalid("tls_* settings apply to kind = \"tls\" only")));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(Error::Config(problems.join("\n")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_named() {
        let err = Config::from_toml("[wal]\nfsync_intervall_ms = 5\n").expect_err("must fail");
        assert!(err.to_string().contains("fsync_intervall_ms"), "{err}");
        let err = Config::from_toml("[[source]]\nname='a'\nkind='udp'\nlisten_on='x'\n")
            .expect_err("must fail");
        assert!(err.to_string().contains("listen_on"), "{err}");
    }

    #[test]
    fn empty_file_is_the_default() {
        let c = Config::from_toml("").expect("test setup");
        assert!(c.check().is_ok());
        let s = c.effective_sources();
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].listen.as_deref(), Some("127.0.0.1:5514"));
        // The UI is on by default, and its login events are a source of their own.
        assert_eq!(c.ui.listen, "127.0.0.1:8470");
        assert_eq!(s[2].name, "ui-auth");
        assert_eq!(s[2].kind, SourceKind::File);
        assert!(
            s[2].path
                .as_deref()
                .is_some_and(|p| p.ends_with(UI_AUTH_LOG))
        );
        assert_eq!(c.wal.fsync, FsyncPolicy::Batch);
        let off = Config::from_toml("[ui]\nlisten = \"\"").expect("test setup");
        assert_eq!(off.effective_sources().len(), 2);
        let bad = Config::from_toml("[ui]\nlisten = \"nowhere\"\ntls_cert = \"a.pem\"")
            .expect("test setup");
        let err = bad.check().expect_err("must fail").to_string();
        assert!(
            err.contains("ui: `listen") && err.contains("tls_cert and tls_key"),
            "{err}"
        );
    }

    #[test]
    fn bad_values_are_all_reported() {
        let c = Config::from_toml(
            "[[source]]\nname='fw'\nkind='udp'\nlisten='nowhere'\ntimezone='Mars/Base'\n\
             allowed_peers=['10.0.0.0/33']\ngroup='so-x'\n\
             [[source]]\nname='fw'\nkind='tls'\nlisten='127.0.0.1:6514'\n\
             [report.schedule]\nday=31\nformats=['docx']\nrecipients=['ciso@x.example']\n",
        )
        .expect("test setup");
        let err = c.check().expect_err("must fail").to_string();
        for needle in [
            "nowhere",
            "Mars/Base",
            "10.0.0.0/33",
            "so-x",
            "used twice",
            "tls_cert",
            "day must be 0 (off) to 28",
            "`docx`",
            "recipients need a mail server",
        ] {
            assert!(err.contains(needle), "{needle} missing in: {err}");
        }
    }
}
