//! canhgac's web UI: where SOC analysts work. Server-rendered pages (dashboard, alert queue and
//! detail with triage, search with a read-only SQL console, rules with hunting, sources,
//! reports, users) and a JSON API under `/api/` for the same operations, behind one login.
//!
//! - [`users`]: local users with argon2id hashes in the data directory; `canhgac user add`.
//! - [`auth`]: sessions, CSRF tokens, lockout, login events the daemon's rules see.
//! - `guard`: the middleware every route but the login page and static files passes: session,
//!   CSRF check on state changes, security headers (strict CSP: no inline script or style).
//! - `pages` and `api`: the handlers; `data`: what they read (index, rollups, SQL, hunts).
//! - `templates`: minijinja, escaping by default, log text made visible.
//! - [`server`]: HTTP or HTTPS on a listener, stopped by a watch channel.
//!
//! The UI reads the engine's files as any other process would (index read-only, reloaded per
//! request; SQL sessions per query) and changes alerts through the same audit trail as the
//! CLI, so it runs inside `canhgac serve` or on its own (`canhgac ui`) over the same data.

mod api;
pub mod auth;
mod data;
mod error;
mod fsutil;
mod guard;
mod i18n;
mod pages;
pub mod server;
mod templates;
pub mod users;
mod view;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use canhgac_engine::config::Config;
use canhgac_engine::index::AlertIndex;
use canhgac_engine::serve::metrics::Metrics;
use canhgac_rules::RuleSet;

pub use error::{Error, Result};

/// Loads the rules the daemon runs (the binary knows how: pack, imported, configured).
pub type RuleLoader = Arc<dyn Fn() -> std::result::Result<RuleSet, String> + Send + Sync>;

/// Where the daemon's counters will be once it runs.
pub type DaemonMetrics = Arc<std::sync::OnceLock<Arc<Metrics>>>;

/// What the UI is given to run.
pub struct UiOptions {
    /// The whole configuration: data directory, `[ui]`, report and mail settings, groups.
    pub config: Config,
    /// How to load the rules (rule list, rule YAML, hunts).
    pub rules: RuleLoader,
    /// The daemon's counters, set once the daemon has started when the UI runs inside
    /// `canhgac serve` (never, when it runs alone).
    pub metrics: DaemonMetrics,
}

/// The shared state of every request.
pub(crate) struct App {
    pub data_dir: PathBuf,
    pub config: Config,
    pub users: users::UserStore,
    pub sessions: auth::Sessions,
    pub lockout: auth::Lockout,
    pub auth_log: auth::AuthLog,
    pub templates: minijinja::Environment<'static>,
    pub index: AlertIndex,
    pub metrics: DaemonMetrics,
    pub rate: Mutex<data::RateSampler>,
    pub rules: RuleLoader,
    pub catalog: Mutex<Option<Arc<data::Catalog>>>,
    pub secure_cookies: bool,
}

impl App {
    fn new(options: UiOptions) -> Result<App> {
        let config = options.config;
        let data_dir = config.data_dir.clone();
        let ui = &config.ui;
        Ok(App {
            users: users::UserStore::new(&data_dir),
            sessions: auth::Sessions::new(
                Duration::from_secs(ui.session_idle_minutes.max(1) * 60),
                Duration::from_secs(ui.session_max_hours.max(1) * 3600),
            ),
            lockout: auth::Lockout::new(
                ui.lockout_failures,
                Duration::from_secs(ui.lockout_minutes.max(1) * 60),
            ),
            auth_log: auth::AuthLog::open(&data_dir)?,
            templates: templates::environment()?,
            index: AlertIndex::open_read_only(&data_dir)?,
            metrics: options.metrics,
            rate: Mutex::new(data::RateSampler::default()),
            rules: options.rules,
            catalog: Mutex::new(None),
            secure_cookies: ui.tls_cert.is_some(),
            data_dir,
            config,
        })
    }
}

/// The UI's routes over its state.
pub fn router(options: UiOptions) -> Result<Router> {
    let app = Arc::new(App::new(options)?);
    let closed = Router::new()
        .route("/", get(pages::dashboard))
        .route("/alerts", get(pages::alerts))
        .route("/alerts/bulk", post(pages::bulk))
        .route("/alerts/{id}", get(pages::alert).post(pages::change))
        .route("/alerts/{id}/mail", get(pages::mail_preview))
        .route("/alerts/{id}/mail.html", get(pages::mail_html))
        .route("/search", get(pages::search))
        .route("/sql", post(pages::sql))
        .route("/rules", get(pages::rules))
        .route("/rules/hunt", post(pages::hunt))
        .route("/rules/toggle", post(pages::toggle_rule))
        .route("/sources", get(pages::sources))
        .route("/reports", get(pages::reports).post(pages::make_report))
        .route("/reports/file/{name}", get(pages::report_file))
        .route("/users", get(pages::users).post(pages::add_user))
        .route("/users/delete", post(pages::delete_user))
        .route("/settings", get(pages::settings).post(pages::save_settings))
        .route("/logout", post(pages::logout))
        .route("/api/alerts", get(api::alerts))
        .route("/api/alerts/{id}", get(api::alert))
        .route("/api/alerts/{id}/change", post(api::change))
        .route("/api/sql", post(api::sql))
        .route("/api/dashboard", get(api::dashboard))
        .route("/api/stream", get(api::stream))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            guard::require_session,
        ));
    Ok(Router::new()
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/static/app.css", get(pages::stylesheet))
        .route("/static/app.js", get(pages::script))
        .merge(closed)
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(guard::security_headers))
        .layer(axum::extract::DefaultBodyLimit::max(guard::MAX_BODY_BYTES))
        .with_state(app))
}
