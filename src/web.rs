//! `canhgac user ...` and `canhgac ui`, and starting the UI beside the daemon in `serve`.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use canhgac_engine::config::Config;
use canhgac_ui::users::{Role, UserStore};
use clap::Subcommand;

use crate::daemon::{load_config, rule_set};

/// `canhgac user ...`.
#[derive(Subcommand)]
pub enum UserCommand {
    /// Add a user of the web UI. The password is read from the first line of standard input
    /// (`printf '%s\n' "$PASSWORD" | canhgac user add ...`), never from the command line.
    Add {
        /// Data directory.
        #[arg(long, default_value = "./canhgac-data")]
        data_dir: PathBuf,
        /// admin (users, rules), analyst (triage, SQL, hunts, reports) or viewer (reads).
        #[arg(long)]
        role: String,
        /// Set a new password and role for an existing user.
        #[arg(long)]
        replace: bool,
        /// Login name.
        name: String,
    },
    /// List the users.
    List {
        /// Data directory.
        #[arg(long, default_value = "./canhgac-data")]
        data_dir: PathBuf,
    },
    /// Make an API token for a user, for integrations (`Authorization: Bearer TOKEN` on
    /// `/api/`, with the user's role). Printed once; only its hash is kept. `--revoke` removes
    /// every token of the user instead.
    Token {
        /// Data directory.
        #[arg(long, default_value = "./canhgac-data")]
        data_dir: PathBuf,
        /// Remove the user's tokens.
        #[arg(long)]
        revoke: bool,
        /// Login name.
        name: String,
    },
    /// Remove a user.
    Remove {
        /// Data directory.
        #[arg(long, default_value = "./canhgac-data")]
        data_dir: PathBuf,
        /// Login name.
        name: String,
    },
}

/// `canhgac user ...`.
pub fn user(command: UserCommand) -> Result<()> {
    match command {
        UserCommand::Add {
            data_dir,
            role,
            replace,
            name,
        } => {
            let role = Role::parse(&role)?;
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let user = UserStore::new(&data_dir).add(&name, role, password, replace)?;
            eprintln!("canhgac: user {} ({})", user.name, user.role.as_str());
            Ok(())
        }
        UserCommand::List { data_dir } => {
            for u in UserStore::new(&data_dir).list()? {
                println!("{}\t{}\t{}\t{}", u.name, u.role.as_str(), u.lang, u.created);
            }
            Ok(())
        }
        UserCommand::Token {
            data_dir,
            revoke,
            name,
        } => {
            let store = UserStore::new(&data_dir);
            if revoke {
                let n = store.revoke_tokens(&name)?;
                eprintln!("canhgac: {n} token(s) of {name} revoked");
            } else {
                println!("{}", store.new_token(&name)?);
            }
            Ok(())
        }
        UserCommand::Remove { data_dir, name } => {
            anyhow::ensure!(UserStore::new(&data_dir).remove(&name)?, "no user `{name}`");
            eprintln!("canhgac: user {name} removed");
            Ok(())
        }
    }
}

/// `canhgac ui`: the web UI alone over a data directory (no collectors).
#[derive(clap::Args)]
pub struct UiArgs {
    /// Configuration file (its `[ui]` section, data directory, report and mail settings).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory (overrides the config file's `data_dir`).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Address to serve on (overrides `[ui] listen`).
    #[arg(long)]
    listen: Option<String>,
}

/// Runs the UI alone until SIGINT/SIGTERM.
pub fn ui(args: &UiArgs) -> Result<()> {
    crate::daemon::init_logging(false);
    let mut config = load_config(args.config.as_deref())?;
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(listen) = &args.listen {
        config.ui.listen = listen.clone();
    }
    anyhow::ensure!(
        !config.ui.listen.is_empty(),
        "[ui] listen is empty: the UI is off"
    );
    config.check()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("canhgac-ui")
        .enable_all()
        .build()?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let running = UiRunning::start(&config, Arc::default(), stop_rx)?;
    runtime.block_on(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    let _ = stop_tx.send(true);
    running.join();
    Ok(())
}

/// The UI on a thread of its own.
pub struct UiRunning {
    thread: std::thread::JoinHandle<()>,
}

impl UiRunning {
    /// Binds the UI's address now (an error if it is taken) and serves on a thread of its own
    /// until `stop` turns true.
    pub fn start(
        config: &Config,
        metrics: canhgac_ui::DaemonMetrics,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<UiRunning> {
        let listener = canhgac_ui::server::bind(&config.ui)?;
        let addr = listener.local_addr()?;
        let scheme = if listener.is_tls() { "https" } else { "http" };
        let rules_config = config.clone();
        let router = canhgac_ui::router(canhgac_ui::UiOptions {
            config: config.clone(),
            rules: Arc::new(move || rule_set(&rules_config).map_err(|e| format!("{e:#}"))),
            metrics,
        })?;
        if UserStore::new(&config.data_dir).list()?.is_empty() {
            tracing::warn!(
                "the web UI has no users yet: `canhgac user add NAME --role admin` (password on stdin)"
            );
        }
        let thread = std::thread::Builder::new()
            .name("canhgac-ui".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("canhgac-ui-io")
                    .enable_all()
                    .build()
                {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!("ui runtime: {e}");
                        return;
                    }
                };
                if let Err(e) = runtime.block_on(canhgac_ui::server::serve(listener, router, stop))
                {
                    tracing::error!("ui: {e}");
                }
                runtime.shutdown_timeout(std::time::Duration::from_secs(2));
            })?;
        tracing::info!(url = %format!("{scheme}://{addr}/"), "web UI serving");
        Ok(UiRunning { thread })
    }

    /// Waits for the UI thread to end.
    pub fn join(self) {
        if self.thread.join().is_err() {
            tracing::error!("the UI thread panicked");
        }
    }
}
