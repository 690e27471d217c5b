//! `canhgac serve`, `canhgac config check` and `canhgac send`: the daemon and its companions.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use canhgac_engine::config::Config;
use canhgac_engine::ingest::open_maybe_gzip;
use canhgac_rules::{Engine, Evaluator, Logsources, RuleSet};
use clap::{Args, Subcommand, ValueEnum};

use crate::{IMPORTED_RULES, print_failures};

/// `canhgac serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Configuration file (TOML). Without one, every setting has its default: UDP and TCP on
    /// 127.0.0.1:5514, data in ./canhgac-data, the bundled rule pack.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory (overrides the config file's `data_dir`).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Log lines as JSON instead of text.
    #[arg(long)]
    json_logs: bool,
}

/// `canhgac config ...`.
#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Check a configuration file without starting anything (exit status 1 if it is invalid).
    Check {
        /// The file.
        file: PathBuf,
    },
    /// Print the effective configuration's sources (after defaults).
    Sources {
        /// The file (none: the defaults).
        file: Option<PathBuf>,
    },
}

/// `canhgac send`: a small syslog client for feeding the daemon.
#[derive(Args)]
pub struct SendArgs {
    /// Address to send to.
    #[arg(long, default_value = "127.0.0.1:5514")]
    to: SocketAddr,
    /// Transport.
    #[arg(long, value_enum, default_value_t = Transport::Tcp)]
    transport: Transport,
    /// TCP framing: RFC 6587 octet counting or one record per line.
    #[arg(long, value_enum, default_value_t = SendFraming::Octet)]
    framing: SendFraming,
    /// Files (plain or .gz) with one record per line; `-` is standard input.
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Transport {
    Tcp,
    Udp,
}

#[derive(Clone, Copy, ValueEnum)]
enum SendFraming {
    Octet,
    Newline,
}

pub(crate) fn load_config(file: Option<&Path>) -> Result<Config> {
    Ok(match file {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    })
}

/// Runs the daemon in the foreground until SIGTERM or SIGINT.
pub fn serve(args: &ServeArgs) -> Result<()> {
    init_logging(args.json_logs);
    let mut config = load_config(args.config.as_deref())?;
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    let engine = if config.detection.enabled {
        Some(engine(&config)?)
    } else {
        // Recorded all the same: the report says no rule was enabled.
        rule_set(&config)?;
        None
    };
    // The UI starts first (a taken port is an error before anything is accepted) and is
    // handed the daemon's counters once they exist.
    let (stop_ui, ui_stop) = tokio::sync::watch::channel(false);
    let metrics = canhgac_ui::DaemonMetrics::default();
    let ui = if config.ui.listen.is_empty() {
        None
    } else {
        config.check()?;
        Some(
            crate::web::UiRunning::start(&config, Arc::clone(&metrics), ui_stop)
                .context("the web UI did not start")?,
        )
    };
    let report = canhgac_engine::serve::run(&config, engine, |_, daemon_metrics| {
        let _ = metrics.set(daemon_metrics);
    });
    let _ = stop_ui.send(true);
    if let Some(running) = ui {
        running.join();
    }
    let report = report?;
    eprintln!(
        "canhgac: stopped; {} records accepted, {} WAL batches replayed at start",
        report.accepted, report.replayed
    );
    Ok(())
}

/// The detection engine the config asks for.
fn engine(config: &Config) -> Result<Engine> {
    let set = rule_set(config)?;
    let d = &config.detection;
    Ok(Engine::new(set, Evaluator::Compiled)
        .with_suppression(d.suppress_ms as i64 * 1000)
        .with_lateness(d.lateness_ms as i64 * 1000))
}

/// The rules the config enables: the bundled pack (unless turned off), the rules imported into
/// the data directory, and the config's own rule paths (none when detection is off). Written
/// to the rule history (for the report's detection posture) as they are.
pub(crate) fn rule_set(config: &Config) -> Result<RuleSet> {
    let d = &config.detection;
    if !d.enabled {
        let empty = RuleSet::load(&[], Logsources::builtin()?).0;
        record_rules(config, &empty)?;
        return Ok(empty);
    }
    let (mut set, mut failures) = if d.builtin_pack {
        canhgac_rules::builtin_pack()?
    } else {
        RuleSet::load(&[], Logsources::builtin()?)
    };
    let mut extra = d.rules.clone();
    let imported = config.data_dir.join(IMPORTED_RULES);
    if imported.is_dir() {
        extra.push(imported);
    }
    if !extra.is_empty() {
        set.add_paths(&extra, &mut failures);
        set.finish(&mut failures);
    }
    print_failures(&failures);
    tracing::info!(
        rules = set.rules.len(),
        correlations = set.correlations.len(),
        failed = failures.len(),
        "rules loaded"
    );
    record_rules(config, &set)?;
    Ok(set)
}

fn record_rules(config: &Config, set: &RuleSet) -> Result<()> {
    let inventory = canhgac_engine::posture::inventory(set);
    let now = chrono::Utc::now().timestamp_micros();
    let changes = canhgac_engine::posture::record(&config.data_dir, &inventory, now)?;
    if !changes.is_empty() {
        tracing::info!(changes = changes.len(), "rule history updated");
    }
    Ok(())
}

pub(crate) fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("CANHGAC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// `canhgac config check|sources`.
pub fn config(action: ConfigCommand) -> Result<()> {
    match action {
        ConfigCommand::Check { file } => {
            let config = Config::load(&file)?;
            println!(
                "{}: ok ({} sources, data in {})",
                file.display(),
                config.effective_sources().len(),
                config.data_dir.display()
            );
            Ok(())
        }
        ConfigCommand::Sources { file } => {
            let config = load_config(file.as_deref())?;
            for s in config.effective_sources() {
                let at = s.listen.as_deref().or(s.path.as_deref()).unwrap_or("-");
                println!(
                    "{}\t{:?}\t{}\t{}",
                    s.name,
                    s.kind,
                    at,
                    s.source_type.as_deref().unwrap_or("auto")
                );
            }
            Ok(())
        }
    }
}

/// Sends the files' lines to a syslog receiver.
pub fn send(args: &SendArgs) -> Result<()> {
    enum Out {
        Tcp(std::io::BufWriter<TcpStream>),
        Udp(UdpSocket),
    }
    let mut out = match args.transport {
        Transport::Tcp => Out::Tcp(std::io::BufWriter::new(
            TcpStream::connect(args.to).with_context(|| format!("connecting to {}", args.to))?,
        )),
        Transport::Udp => {
            let bind = if args.to.is_ipv4() {
                "0.0.0.0:0"
            } else {
                "[::]:0"
            };
            let socket = UdpSocket::bind(bind)?;
            socket.connect(args.to)?;
            Out::Udp(socket)
        }
    };
    let mut sent = 0u64;
    for path in &args.files {
        let mut reader: Box<dyn Read> = if path.as_os_str() == "-" {
            Box::new(std::io::stdin().lock())
        } else {
            open_maybe_gzip(path)?
        };
        let mut text = Vec::new();
        reader
            .read_to_end(&mut text)
            .with_context(|| format!("reading {}", path.display()))?;
        for line in text.split(|b| *b == b'\n') {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                continue;
            }
            match &mut out {
                Out::Tcp(w) => {
                    match args.framing {
                        SendFraming::Octet => write!(w, "{} ", line.len())?,
                        SendFraming::Newline => {}
                    }
                    w.write_all(line)?;
                    if let SendFraming::Newline = args.framing {
                        w.write_all(b"\n")?;
                    }
                }
                Out::Udp(s) => {
                    s.send(line)?;
                }
            }
            sent += 1;
        }
    }
    if let Out::Tcp(w) = &mut out {
        w.flush()?;
        w.get_ref().shutdown(std::net::Shutdown::Write)?;
    }
    if sent == 0 {
        bail!("nothing to send");
    }
    eprintln!("canhgac: sent {sent} records to {}", args.to);
    Ok(())
}
