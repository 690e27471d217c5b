//! The HTML pages. Each handler checks the role it needs, does its work off the async workers
//! ([`blocking`]) and renders a template; errors become an error page with the right status.
//! State changes answer with a redirect (post/redirect/get), so reloading never repeats them.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Extension;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use canhgac_engine::workflow::{AuditLog, ChangeRequest, Resolution, Status};
use chrono::Datelike as _;
use minijinja::{Value, context};
use serde::Deserialize;

use crate::App;
use crate::auth::{AuthEvent, SESSION_COOKIE, Session};
use crate::data;
use crate::error::{Error, Result};
use crate::guard::{cookie, urlencode};
use crate::i18n;
use crate::server::Peer;
use crate::users::Role;
use crate::view::{self, AlertRow};

/// The pre-login cookie holding the login form's CSRF token.
const LOGIN_COOKIE: &str = "canhgac_login";

const PAGE_SIZE: usize = 50;

/// Runs blocking work (index, SQL, files) on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    app: &Arc<App>,
    work: impl FnOnce(&App) -> Result<T> + Send + 'static,
) -> Result<T> {
    let app = Arc::clone(app);
    tokio::task::spawn_blocking(move || work(&app))
        .await
        .map_err(|e| Error::Internal(format!("worker: {e}")))?
}

/// Renders a page for a logged-in user.
fn render(
    app: &App,
    s: &Session,
    name: &str,
    page: &str,
    path: &str,
    extra: Value,
) -> Result<Response> {
    let nav: Vec<Value> = [
        ("dashboard", "/", Role::Viewer),
        ("alerts", "/alerts", Role::Viewer),
        ("search", "/search", Role::Viewer),
        ("rules", "/rules", Role::Viewer),
        ("sources", "/sources", Role::Viewer),
        ("reports", "/reports", Role::Viewer),
        ("users", "/users", Role::Admin),
        ("settings", "/settings", Role::Viewer),
    ]
    .into_iter()
    .filter(|(_, _, role)| s.role >= *role)
    .map(|(page, href, _)| context! { page, href, label => i18n::word(&s.lang, page) })
    .collect();
    let base = context! {
        lang => s.lang,
        other_lang => if s.lang == "vi" { "en" } else { "vi" },
        t => i18n::words(&s.lang),
        user => s.user,
        role => s.role.as_str(),
        csrf => s.csrf,
        tz => s.tz,
        nav,
        page,
        path,
        title => i18n::word(&s.lang, page),
    };
    let html = app
        .templates
        .get_template(name)?
        .render(context! { ..extra, ..base })?;
    Ok(Html(html).into_response())
}

/// An error as a page (logged-in) with its status.
fn error_page(app: &App, s: &Session, e: &Error) -> Response {
    if e.status().is_server_error() {
        tracing::error!(user = %s.user, "UI: {e}");
    }
    let page = render(
        app,
        s,
        "error.html",
        "error",
        "",
        context! { status => e.status().as_u16(), message => e.to_string() },
    );
    match page {
        Ok(mut response) => {
            *response.status_mut() = e.status();
            response
        }
        Err(_) => (e.status(), e.to_string()).into_response(),
    }
}

/// The error page when the user's role is below `needed` (every state change and the heavy
/// reads check before doing anything).
fn refuse_unless(app: &App, s: &Session, needed: Role) -> Option<Response> {
    s.require(needed).err().map(|e| error_page(app, s, &e))
}

fn finish(app: &App, s: &Session, result: Result<Response>) -> Response {
    result.unwrap_or_else(|e| error_page(app, s, &e))
}

fn zone(s: &Session) -> canhgac_parsers::time::Zone {
    view::zone(&s.tz)
}

/// Only paths of this site: a `next` or `back` from a form must not send the user elsewhere.
fn local_path(p: &str) -> &str {
    if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') {
        p
    } else {
        "/"
    }
}

// ---- login ----

/// `?next=` of the login page.
#[derive(Debug, Deserialize, Default)]
pub struct LoginQuery {
    #[serde(default)]
    next: String,
}

/// The login page. It sets a short-lived cookie with the form's CSRF token (login CSRF).
pub async fn login_form(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    login_page(&app, &headers, &q.next, None, StatusCode::OK)
}

fn login_page(
    app: &App,
    headers: &HeaderMap,
    next: &str,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.starts_with("en"))
        .map_or("vi", |_| "en");
    let token = match crate::fsutil::token() {
        Ok(t) => t,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let no_users = app.users.list().map(|u| u.is_empty()).unwrap_or(false);
    let rendered = app.templates.get_template("login.html").and_then(|t| {
        t.render(context! {
            lang,
            t => i18n::words(lang),
            title => i18n::word(lang, "login"),
            page => "login",
            login_csrf => token,
            next => local_path(next),
            error,
            no_users,
        })
    });
    let mut response = match rendered {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    };
    let cookie = format!(
        "{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=3600{}",
        if app.secure_cookies { "; Secure" } else { "" }
    );
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// The login form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Checks the login: CSRF (the cookie and the form agree), lockout, password.
pub async fn login(
    State(app): State<Arc<App>>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = "vi";
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !crate::guard::constant_time_eq(&expected, &form.csrf) {
        return login_page(
            &app,
            &headers,
            &form.next,
            Some(Error::Csrf.to_string()),
            StatusCode::FORBIDDEN,
        );
    }
    let name = form.user.trim().to_owned();
    let outcome = blocking(&app, move |app| {
        attempt_login(app, &name, &form.password, peer)
    })
    .await;
    match outcome {
        Ok(Ok(token)) => {
            let mut response = Redirect::to(local_path(&form.next)).into_response();
            let cookie = format!(
                "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
                if app.secure_cookies { "; Secure" } else { "" }
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            response
        }
        Ok(Err(message)) => login_page(
            &app,
            &headers,
            &form.next,
            Some(message),
            StatusCode::UNAUTHORIZED,
        ),
        Err(e) => {
            tracing::error!("login: {e}");
            login_page(
                &app,
                &headers,
                &form.next,
                Some(format!("{}: {e}", i18n::word(lang, "error"))),
                StatusCode::INTERNAL_SERVER_ERROR,
            )
        }
    }
}

/// Ok(Ok(session token)), Ok(Err(what to tell the user)), or a fault.
fn attempt_login(
    app: &App,
    name: &str,
    password: &str,
    peer: SocketAddr,
) -> Result<std::result::Result<String, String>> {
    let ip = peer.ip();
    let locked = app.lockout.locked_for(name, ip);
    if !locked.is_zero() {
        app.auth_log.record(AuthEvent::Refused, name, ip, "")?;
        return Ok(Err(format!(
            "Too many failed logins: try again in {} minute(s). / Đăng nhập sai quá nhiều lần: \
             thử lại sau {} phút.",
            locked.as_secs().div_ceil(60),
            locked.as_secs().div_ceil(60)
        )));
    }
    match app.users.verify(name, password)? {
        Some(user) => {
            app.lockout.succeed(name);
            app.auth_log.record(AuthEvent::Login, name, ip, "")?;
            Ok(Ok(app.sessions.start(&user)?))
        }
        None => {
            app.auth_log.record(AuthEvent::Failure, name, ip, "")?;
            if app.lockout.fail(name, ip) {
                let minutes = app.config.ui.lockout_minutes;
                app.auth_log.record(
                    AuthEvent::LockedOut,
                    name,
                    ip,
                    &format!("logins refused for {minutes} minutes"),
                )?;
            }
            Ok(Err(
                "Wrong user name or password. / Sai tên đăng nhập hoặc mật khẩu.".to_owned(),
            ))
        }
    }
}

/// Ends the session.
pub async fn logout(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Extension(Peer(peer)): Extension<Peer>,
    headers: HeaderMap,
) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        app.sessions.end(&token);
    }
    let user = s.user.clone();
    let _ = blocking(&app, move |app| {
        app.auth_log.record(AuthEvent::Logout, &user, peer.ip(), "")
    })
    .await;
    let mut response = Redirect::to("/login").into_response();
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&expired) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

// ---- dashboard ----

/// The dashboard.
pub async fn dashboard(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let z = zone(&s);
    let r = blocking(&app, move |app| data::dashboard(app, z)).await;
    let r = r.and_then(|d| {
        render(
            &app,
            &s,
            "dashboard.html",
            "dashboard",
            "/",
            minijinja::Value::from_serialize(&d),
        )
    });
    finish(&app, &s, r)
}

// ---- alerts ----

/// Filters of the alert queue.
#[derive(Debug, Clone, Deserialize, Default, serde::Serialize)]
pub struct QueueFilter {
    #[serde(default = "open_status")]
    pub status: String,
    #[serde(default)]
    pub level: String,
    #[serde(default)]
    pub rule: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub since: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: usize,
    /// API only: also count the result set by level, rule, host, status and source type (over
    /// a large result set this costs more than the page itself, so it is asked for).
    #[serde(default)]
    pub facets: bool,
}

fn open_status() -> String {
    "open".to_owned()
}

/// A value for the alert query language, quoted.
fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace(['"', '\\'], " "))
}

impl QueueFilter {
    /// The filter as an alert query.
    pub fn query(&self) -> Result<String> {
        let mut parts = Vec::new();
        match self.status.as_str() {
            "open" | "" => parts.push(data::OPEN_QUERY.to_owned()),
            "all" => {}
            s => parts.push(format!("status:{}", s.parse::<Status>()?.as_str())),
        }
        match self.level.as_str() {
            "" => {}
            l @ ("informational" | "low" | "medium" | "high" | "critical") => {
                parts.push(format!("level:>={l}"))
            }
            other => return Err(Error::BadRequest(format!("unknown level `{other}`"))),
        }
        if !self.rule.trim().is_empty() {
            parts.push(format!("rule_id:{}", quoted(self.rule.trim())));
        }
        if !self.group.trim().is_empty() {
            parts.push(format!("group:{}", quoted(self.group.trim())));
        }
        if !self.q.trim().is_empty() {
            parts.push(format!("({})", self.q.trim()));
        }
        let mut query = parts.join(" AND ");
        match self.since.as_str() {
            "" => {}
            s @ ("1h" | "24h" | "7d" | "30d") => {
                query = format!("{query} last {s}");
            }
            other => return Err(Error::BadRequest(format!("unknown period `{other}`"))),
        }
        Ok(query.trim().to_owned())
    }

    fn with_page(&self, page: usize) -> String {
        let mut f = self.clone();
        f.page = page;
        format!(
            "/alerts?status={}&level={}&rule={}&group={}&since={}&q={}&page={}",
            urlencode(&f.status),
            urlencode(&f.level),
            urlencode(&f.rule),
            urlencode(&f.group),
            urlencode(&f.since),
            urlencode(&f.q),
            f.page
        )
    }
}

/// The alert queue.
pub async fn alerts(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Query(f): Query<QueueFilter>,
) -> Response {
    let z = zone(&s);
    let filter = f.clone();
    let r = blocking(&app, move |app| {
        let query = filter.query()?;
        let page = filter.page.max(1);
        let found = data::search(app, &query, PAGE_SIZE, (page - 1) * PAGE_SIZE, false, z)?;
        Ok((
            found.total,
            found
                .hits
                .iter()
                .map(|h| AlertRow::of(h, z))
                .collect::<Vec<_>>(),
        ))
    })
    .await;
    let r = r.and_then(|(total, rows)| {
        let page = f.page.max(1);
        render(
            &app,
            &s,
            "alerts.html",
            "alerts",
            &f.with_page(page),
            context! {
                total,
                alerts => rows,
                f => &f,
                statuses => ["open", "new", "acknowledged", "investigating", "closed", "all"],
                level_choices => ["", "informational", "low", "medium", "high", "critical"],
                since_choices => ["", "1h", "24h", "7d", "30d"],
                resolutions => RESOLUTIONS,
                can_triage => s.role >= Role::Analyst,
                page_no => page,
                prev => (page > 1).then(|| f.with_page(page - 1)),
                next => (page * PAGE_SIZE < total).then(|| f.with_page(page + 1)),
            },
        )
    });
    finish(&app, &s, r)
}

const RESOLUTIONS: [&str; 3] = ["true_positive", "false_positive", "benign"];

/// A bulk change from the queue.
#[derive(Debug, Default)]
pub struct BulkForm {
    ids: Vec<String>,
    action: String,
    resolution: String,
    assignee: String,
    comment: String,
    back: String,
}

impl BulkForm {
    /// Repeated `id` fields need the pairs themselves (serde's form reader keeps one).
    fn parse(body: &[u8]) -> BulkForm {
        let mut f = BulkForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            let v = v.into_owned();
            match k.as_ref() {
                "id" => f.ids.push(v),
                "action" => f.action = v,
                "resolution" => f.resolution = v,
                "assignee" => f.assignee = v,
                "comment" => f.comment = v,
                "back" => f.back = v,
                _ => {}
            }
        }
        f
    }
}

/// Applies one change to the selected alerts.
pub async fn bulk(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    body: axum::body::Bytes,
) -> Response {
    if let Some(refused) = refuse_unless(&app, &s, Role::Analyst) {
        return refused;
    }
    let form = BulkForm::parse(&body);
    let back = local_path(&form.back).to_owned();
    let who = s.user.clone();
    let r = blocking(&app, move |app| {
        if form.ids.is_empty() {
            return Err(Error::BadRequest("select at least one alert".to_owned()));
        }
        let req = if form.action == "assign" {
            ChangeRequest {
                assignee: Some(form.assignee.clone()),
                comment: Some(form.comment.clone()),
                who,
                ..ChangeRequest::default()
            }
        } else {
            change_request(
                &form.action,
                &form.resolution,
                &form.assignee,
                &form.comment,
                who,
            )?
        };
        apply(app, &form.ids, &req)
    })
    .await;
    finish(&app, &s, r.map(|_| Redirect::to(&back).into_response()))
}

/// A change request from form values (empty = leave as it is).
pub fn change_request(
    status: &str,
    resolution: &str,
    assignee: &str,
    comment: &str,
    who: String,
) -> Result<ChangeRequest> {
    Ok(ChangeRequest {
        status: match status {
            "" => None,
            s => Some(s.parse::<Status>()?),
        },
        resolution: match resolution {
            "" => None,
            r => Some(r.parse::<Resolution>()?),
        },
        assignee: (!assignee.trim().is_empty()).then(|| assignee.trim().to_owned()),
        comment: (!comment.trim().is_empty()).then(|| comment.to_owned()),
        who,
    })
}

/// Applies a change through the index writer (waiting for the daemon's per-second catch-up to
/// release it). All refused: the first reason is the error.
pub fn apply(app: &App, ids: &[String], req: &ChangeRequest) -> Result<usize> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut index = loop {
        match canhgac_engine::index::AlertIndex::open(&app.data_dir) {
            Err(canhgac_engine::Error::Busy(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            other => break other?,
        }
    };
    let at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let outcome = index.change(ids, req, &at)?;
    index.close()?;
    if outcome.applied.is_empty()
        && let Some((_, why)) = outcome.refused.into_iter().next()
    {
        return Err(why.into());
    }
    Ok(outcome.applied.len())
}

/// One alert.
pub async fn alert(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    let z = zone(&s);
    let lookup = id.clone();
    let r = blocking(&app, move |app| {
        app.index.reload()?;
        let hit = app
            .index
            .get(&lookup)?
            .ok_or_else(|| Error::NotFound(format!("no alert with id {lookup}")))?;
        let history = AuditLog::new(&app.data_dir).history(&lookup)?;
        let yaml = data::catalog(app)
            .ok()
            .and_then(|c| c.yaml(&hit.alert.rule_id).map(str::to_owned));
        Ok((hit, history, yaml))
    })
    .await;
    let r = r.and_then(|(hit, history, yaml)| {
        let a = &hit.alert;
        let evidence: Vec<Value> = a
            .evidence
            .iter()
            .map(|e| {
                let src = match (&e.src_ip, e.src_port) {
                    (Some(ip), Some(port)) => format!("{ip}:{port}"),
                    (Some(ip), None) => ip.clone(),
                    _ => String::new(),
                };
                context! {
                    time => view::local_time(&e.ts, z),
                    host => e.host,
                    src,
                    user => e.user,
                    raw => e.raw,
                }
            })
            .collect();
        let history: Vec<Value> = history
            .iter()
            .map(|h| {
                context! {
                    at => view::local_time(&h.at, z),
                    who => h.who,
                    from => h.from.as_str(),
                    to => h.to.as_str(),
                    resolution => h.resolution.map(|r| r.as_str()),
                    assignee => h.assignee_to,
                    comment => h.comment,
                }
            })
            .collect();
        render(
            &app,
            &s,
            "alert.html",
            "alerts",
            &format!("/alerts/{}", a.id),
            context! {
                a => a,
                state => context! {
                    status => hit.state.status.as_str(),
                    resolution => hit.state.resolution.map(|r| r.as_str()),
                    assignee => hit.state.assignee,
                },
                first => view::local_time(&a.first_ts, z),
                last => view::local_time(&a.last_ts, z),
                evidence,
                history,
                rule_yaml => yaml,
                resolutions => RESOLUTIONS,
                can_triage => s.role >= Role::Analyst,
            },
        )
    });
    finish(&app, &s, r)
}

/// A change to one alert: the alert page's triage form and the API's JSON body. Empty fields
/// leave that part as it is.
#[derive(Debug, Deserialize)]
pub struct ChangeFields {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub resolution: String,
    #[serde(default)]
    pub assignee: String,
    #[serde(default)]
    pub comment: String,
}

/// Changes one alert.
pub async fn change(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Path(id): Path<String>,
    Form(form): Form<ChangeFields>,
) -> Response {
    if let Some(refused) = refuse_unless(&app, &s, Role::Analyst) {
        return refused;
    }
    let who = s.user.clone();
    let target = id.clone();
    let r = blocking(&app, move |app| {
        let current = app
            .index
            .get(&target)?
            .map(|h| h.state.assignee.unwrap_or_default())
            .unwrap_or_default();
        // The form always carries the assignee field; unchanged, it is not a change.
        let assignee = if form.assignee.trim() == current {
            ""
        } else {
            form.assignee.as_str()
        };
        let req = change_request(&form.status, &form.resolution, assignee, &form.comment, who)?;
        apply(app, &[target], &req)
    })
    .await;
    finish(
        &app,
        &s,
        r.map(|_| Redirect::to(&format!("/alerts/{}", urlencode(&id))).into_response()),
    )
}

/// The notification mail of an alert, as the mail would show it: the text part here, the
/// HTML part in a sandboxed frame.
pub async fn mail_preview(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    let lang = s.lang.clone();
    let r = blocking(&app, move |app| composed(app, &id, &lang)).await;
    let r = r.and_then(|(id, mail)| {
        let html = format!(
            "<h1>{}</h1><p><a href=\"/alerts/{id}\">←</a></p><h2>Subject</h2><pre id=\"mail-subject\">{}</pre>\
             <h2>Text</h2><pre id=\"mail-text\">{}</pre><h2>HTML</h2>\
             <iframe id=\"mail-html\" sandbox src=\"/alerts/{id}/mail.html\" title=\"mail\"></iframe>",
            canhgac_engine::text::html(i18n::word(&s.lang, "mail_preview")),
            canhgac_engine::text::html(&mail.subject),
            canhgac_engine::text::html(&mail.text),
        );
        mail_page(&app, &s, html)
    });
    finish(&app, &s, r)
}

fn mail_page(app: &App, s: &Session, body: String) -> Result<Response> {
    // The body was built from escaped parts above; it is marked safe only here.
    let tmpl = app.templates.template_from_str(
        "{% extends \"base.html\" %}{% block content %}{{ body }}{% endblock %}",
    )?;
    let base = context! {
        lang => s.lang,
        other_lang => if s.lang == "vi" { "en" } else { "vi" },
        t => i18n::words(&s.lang),
        user => s.user,
        role => s.role.as_str(),
        csrf => s.csrf,
        page => "alerts",
        path => "/alerts",
        title => i18n::word(&s.lang, "mail_preview"),
        body => Value::from_safe_string(body),
    };
    Ok(Html(tmpl.render(base)?).into_response())
}

fn composed(
    app: &App,
    id: &str,
    lang: &str,
) -> Result<(String, canhgac_engine::notify::mail::Composed)> {
    use canhgac_engine::notify::config::Lang;
    app.index.reload()?;
    let hit = app
        .index
        .get(id)?
        .ok_or_else(|| Error::NotFound(format!("no alert with id {id}")))?;
    let composer =
        canhgac_engine::notify::mail::Composer::new(&app.config.notify, &app.config.groups);
    let mail = composer.alert(&hit.alert, if lang == "en" { Lang::En } else { Lang::Vi });
    Ok((hit.alert.id, mail))
}

/// The HTML part of the mail, alone, for the preview's frame: no script may run in it.
pub async fn mail_html(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Path(id): Path<String>,
) -> Response {
    let lang = s.lang.clone();
    match blocking(&app, move |app| composed(app, &id, &lang)).await {
        Ok((_, mail)) => {
            let mut response = Html(mail.html).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; sandbox",
                ),
            );
            headers.insert(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("SAMEORIGIN"),
            );
            response
        }
        Err(e) => error_page(&app, &s, &e),
    }
}

// ---- search ----

/// `?q=` of the search page.
#[derive(Debug, Deserialize, Default)]
pub struct SearchQuery {
    q: Option<String>,
}

/// Alert search with facets, and the SQL console.
pub async fn search(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Query(q): Query<SearchQuery>,
) -> Response {
    let r = search_page(&app, &s, q.q, None, None).await;
    finish(&app, &s, r)
}

async fn search_page(
    app: &Arc<App>,
    s: &Session,
    q: Option<String>,
    sql_text: Option<String>,
    sql_result: Option<Result<data::Table>>,
) -> Result<Response> {
    let z = zone(s);
    let query = q.clone().unwrap_or_default();
    let found = match &q {
        Some(text) => {
            let text = text.clone();
            Some(
                blocking(app, move |app| {
                    data::search(app, &text, PAGE_SIZE, 0, true, z)
                })
                .await?,
            )
        }
        None => None,
    };
    let (total, rows, facets) = match &found {
        Some(f) => (
            f.total,
            f.hits
                .iter()
                .map(|h| AlertRow::of(h, z))
                .collect::<Vec<_>>(),
            f.facets
                .iter()
                .map(|(name, counts)| {
                    let field = facet_field(name);
                    let values: Vec<Value> = counts
                        .iter()
                        .map(|(v, n)| {
                            let narrowed = if query.trim().is_empty() {
                                format!("{field}:{}", quoted(v))
                            } else {
                                format!("({query}) AND {field}:{}", quoted(v))
                            };
                            context! { value => v, count => n, query => narrowed }
                        })
                        .collect();
                    context! { name, values }
                })
                .collect::<Vec<_>>(),
        ),
        None => (0, Vec::new(), Vec::new()),
    };
    let ui = &app.config.ui;
    let (table, sql_error) = match sql_result {
        Some(Ok(t)) => (Some(t), None),
        Some(Err(e)) => (None, Some(e.to_string())),
        None => (None, None),
    };
    let status = match &table {
        None if sql_error.is_some() => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    };
    let mut response = render(
        app,
        s,
        "search.html",
        "search",
        "/search",
        context! {
            q => query,
            searched => found.is_some(),
            total,
            alerts => rows,
            facets,
            can_sql => s.role >= Role::Analyst,
            sql => sql_text.unwrap_or_else(|| "SELECT host, count(*) AS events FROM events GROUP BY host ORDER BY events DESC".to_owned()),
            row_limit => ui.sql_row_limit,
            timeout_s => ui.sql_timeout_ms / 1000,
            sql_error,
            columns => table.as_ref().map(|t| &t.columns),
            rows => table.as_ref().map(|t| &t.rows),
            truncated => table.as_ref().is_some_and(|t| t.truncated),
            elapsed_ms => table.as_ref().map_or(0, |t| t.elapsed_ms),
        },
    )?;
    *response.status_mut() = status;
    Ok(response)
}

/// The query field of a facet's name.
fn facet_field(name: &str) -> &str {
    match name {
        "rule" => "rule",
        other => other,
    }
}

/// The SQL console form.
#[derive(Debug, Deserialize)]
pub struct SqlForm {
    #[serde(default)]
    sql: String,
}

/// Runs the console's query.
pub async fn sql(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Form(form): Form<SqlForm>,
) -> Response {
    if let Some(refused) = refuse_unless(&app, &s, Role::Analyst) {
        return refused;
    }
    let text = form.sql.clone();
    let result = blocking(&app, move |app| run_console(app, &text)).await;
    let r = search_page(&app, &s, None, Some(form.sql), Some(result)).await;
    finish(&app, &s, r)
}

/// The console's query, limited.
pub fn run_console(app: &App, text: &str) -> Result<data::Table> {
    let ui = &app.config.ui;
    data::sql(
        &app.data_dir,
        text,
        ui.sql_row_limit,
        std::time::Duration::from_millis(ui.sql_timeout_ms),
    )
}

// ---- rules ----

/// The rules.
pub async fn rules(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let r = rules_page(&app, &s, None, String::new(), 24).await;
    finish(&app, &s, r)
}

async fn rules_page(
    app: &Arc<App>,
    s: &Session,
    hunted: Option<data::HuntResult>,
    hunt_rule: String,
    hunt_hours: u32,
) -> Result<Response> {
    let list = blocking(app, data::rule_list).await?;
    let z = zone(s);
    let hits: Vec<Value> = hunted
        .as_ref()
        .map(|h| {
            h.alerts
                .iter()
                .map(|a| {
                    context! {
                        level => a.level,
                        title => a.title,
                        subject => view::subject(a),
                        count => a.count,
                        time => view::local_time(&a.first_ts, z),
                        raw => a.evidence.first().map(|e| e.raw.clone()).unwrap_or_default(),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    render(
        app,
        s,
        "rules.html",
        "rules",
        "/rules",
        context! {
            rules => list,
            can_hunt => s.role >= Role::Analyst,
            can_admin => s.role >= Role::Admin,
            hunted => hunted.is_some(),
            scanned => hunted.as_ref().map_or(0, |h| h.scanned),
            elapsed_ms => hunted.as_ref().map_or(0, |h| h.elapsed_ms),
            hits,
            hunt_rule,
            hunt_hours,
        },
    )
}

/// The hunt form.
#[derive(Debug, Deserialize)]
pub struct HuntForm {
    rule: String,
    #[serde(default = "default_hours")]
    hours: u32,
}

fn default_hours() -> u32 {
    24
}

/// Runs a hunt and shows its result above the list.
pub async fn hunt(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Form(form): Form<HuntForm>,
) -> Response {
    if let Some(refused) = refuse_unless(&app, &s, Role::Analyst) {
        return refused;
    }
    let hours = form.hours.clamp(1, 24 * 90);
    let rule = form.rule.clone();
    let r = match blocking(&app, move |app| data::hunt(app, &rule, hours)).await {
        Ok(result) => rules_page(&app, &s, Some(result), form.rule, hours).await,
        Err(e) => Err(e),
    };
    finish(&app, &s, r)
}

/// Turning a rule on or off.
#[derive(Debug, Deserialize)]
pub struct ToggleForm {
    rule: String,
    enabled: String,
}

/// Turns a rule on or off (admin).
pub async fn toggle_rule(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Form(form): Form<ToggleForm>,
) -> Response {
    if let Some(refused) = refuse_unless(&app, &s, Role::Admin) {
        return refused;
    }
    let who = s.user.clone();
    let r = blocking(&app, move |app| {
        let known = data::catalog(app)?.rules.iter().any(|r| r.id == form.rule);
        if !known {
            return Err(Error::NotFound(format!(
                "no loaded rule has the id `{}`",
                form.rule
            )));
        }
        let enabled = form.enabled == "true";
        canhgac_engine::rule_switch::set(&app.data_dir, &form.rule, enabled)?;
        tracing::info!(user = %who, rule = %form.rule, enabled, "rule switched");
        Ok(())
    })
    .await;
    finish(&app, &s, r.map(|()| Redirect::to("/rules").into_response()))
}

// ---- sources, reports, users, settings ----

/// Source health.
pub async fn sources(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let z = zone(&s);
    let r = blocking(&app, move |app| data::sources(app, z)).await;
    let r = r.and_then(|(collectors, hosts)| {
        render(
            &app,
            &s,
            "sources.html",
            "sources",
            "/sources",
            context! { collectors, hosts },
        )
    });
    finish(&app, &s, r)
}

/// Report files and the form to make one.
pub async fn reports(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let z = zone(&s);
    let r = blocking(&app, move |app| data::report_files(app, z)).await;
    let last_month = {
        let now = chrono::Utc::now().date_naive();
        let first = now.with_day0(0).unwrap_or(now);
        (first - chrono::Duration::days(1))
            .format("%Y-%m")
            .to_string()
    };
    let r = r.and_then(|files| {
        render(
            &app,
            &s,
            "reports.html",
            "reports",
            "/reports",
            context! { files, month => last_month, can_make => s.role >= Role::Analyst },
        )
    });
    finish(&app, &s, r)
}

/// The report form.
#[derive(Debug, Deserialize)]
pub struct ReportForm {
    month: String,
    lang: String,
    format: String,
}

/// Makes a report into `reports/`.
pub async fn make_report(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Form(form): Form<ReportForm>,
) -> Response {
    if let Some(refused) = refuse_unless(&app, &s, Role::Analyst) {
        return refused;
    }
    let r = blocking(&app, move |app| {
        data::make_report(app, &form.month, &form.lang, &form.format)
    })
    .await;
    finish(
        &app,
        &s,
        r.map(|_| Redirect::to("/reports").into_response()),
    )
}

/// Downloads a report file.
pub async fn report_file(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Path(name): Path<String>,
) -> Response {
    if !data::is_report_name(&name) {
        return error_page(&app, &s, &Error::NotFound(format!("no report `{name}`")));
    }
    let path = app.data_dir.join("reports").join(&name);
    let form = canhgac_engine::report::Format::from_name(name.rsplit('.').next().unwrap_or(""));
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            if let Some(v) = form.and_then(|f| HeaderValue::from_str(f.content_type()).ok()) {
                headers.insert(header::CONTENT_TYPE, v);
            }
            // Always a download: a report's HTML shows log text and must not run as this site.
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                headers.insert(header::CONTENT_DISPOSITION, v);
            }
            response
        }
        Err(e) => error_page(&app, &s, &Error::NotFound(format!("{name}: {e}"))),
    }
}

/// Users (admin).
pub async fn users(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    if let Some(refused) = refuse_unless(&app, &s, Role::Admin) {
        return refused;
    }
    let r = blocking(&app, |app| app.users.list()).await;
    let r = r.and_then(|list| {
        let users: Vec<Value> = list
            .iter()
            .map(|u| {
                context! { name => u.name, role => u.role.as_str(), lang => u.lang, tz => u.tz, created => u.created }
            })
            .collect();
        render(&app, &s, "users.html", "users", "/users", context! { users })
    });
    finish(&app, &s, r)
}

/// A new user.
#[derive(Debug, Deserialize)]
pub struct UserForm {
    name: String,
    role: String,
    password: String,
}

/// Adds a user (admin).
pub async fn add_user(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Form(form): Form<UserForm>,
) -> Response {
    if let Some(refused) = refuse_unless(&app, &s, Role::Admin) {
        return refused;
    }
    let r = blocking(&app, move |app| {
        app.users.add(
            form.name.trim(),
            Role::parse(&form.role)?,
            &form.password,
            false,
        )
    })
    .await;
    finish(&app, &s, r.map(|_| Redirect::to("/users").into_response()))
}

/// A user to remove.
#[derive(Debug, Deserialize)]
pub struct DeleteForm {
    name: String,
}

/// Removes a user and ends their sessions (admin; not oneself).
pub async fn delete_user(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Form(form): Form<DeleteForm>,
) -> Response {
    if let Some(refused) = refuse_unless(&app, &s, Role::Admin) {
        return refused;
    }
    let me = s.user.clone();
    let r = blocking(&app, move |app| {
        if form.name == me {
            return Err(Error::BadRequest("you cannot remove yourself".to_owned()));
        }
        if !app.users.remove(&form.name)? {
            return Err(Error::NotFound(format!("no user `{}`", form.name)));
        }
        app.sessions.end_user(&form.name);
        Ok(())
    })
    .await;
    finish(&app, &s, r.map(|()| Redirect::to("/users").into_response()))
}

/// The user's settings.
pub async fn settings(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let r = render(
        &app,
        &s,
        "settings.html",
        "settings",
        "/settings",
        context! {},
    );
    finish(&app, &s, r)
}

/// Language and zone.
#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    lang: String,
    #[serde(default)]
    tz: Option<String>,
    #[serde(default)]
    back: String,
}

/// Saves the language (and zone) and returns to the page the user was on.
pub async fn save_settings(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Form(form): Form<SettingsForm>,
) -> Response {
    let name = s.user.clone();
    let tz = form.tz.clone().unwrap_or_else(|| s.tz.clone());
    let lang = form.lang.clone();
    let saved_tz = tz.clone();
    let r = blocking(&app, move |app| {
        app.users.set_preferences(&name, &lang, &saved_tz)
    })
    .await;
    if r.is_ok() {
        app.sessions.set_preferences(&s.user, &form.lang, &tz);
    }
    let back = local_path(&form.back).to_owned();
    finish(&app, &s, r.map(|()| Redirect::to(&back).into_response()))
}

// ---- static files and fallbacks ----

/// The stylesheet.
pub async fn stylesheet() -> Response {
    static_file("text/css; charset=utf-8", include_str!("../static/app.css"))
}

/// The script.
pub async fn script() -> Response {
    static_file(
        "text/javascript; charset=utf-8",
        include_str!("../static/app.js"),
    )
}

fn static_file(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// Anything else.
pub async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_filters_become_one_query() {
        let f = QueueFilter {
            status: "open".to_owned(),
            level: "high".to_owned(),
            rule: "7d1c\"x".to_owned(),
            group: "so-y-te".to_owned(),
            since: "24h".to_owned(),
            q: "203.0.113.66".to_owned(),
            page: 1,
            facets: false,
        };
        assert_eq!(
            f.query().expect("query"),
            "(status:new OR status:acknowledged OR status:investigating) AND level:>=high \
             AND rule_id:\"7d1c x\" AND group:\"so-y-te\" AND (203.0.113.66) last 24h"
        );
        let all = QueueFilter {
            status: "all".to_owned(),
            ..QueueFilter::default()
        };
        assert_eq!(all.query().expect("query"), "");
        for bad in [("status", "gone"), ("level", "urgent"), ("since", "1y")] {
            let mut f = QueueFilter::default();
            match bad.0 {
                "status" => f.status = bad.1.to_owned(),
                "level" => f.level = bad.1.to_owned(),
                _ => f.since = bad.1.to_owned(),
            }
            assert!(f.query().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn redirects_stay_on_this_site() {
        assert_eq!(local_path("/alerts?status=all"), "/alerts?status=all");
        for outside in [
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "",
            "javascript:alert(1)",
        ] {
            assert_eq!(local_path(outside), "/", "{outside}");
        }
    }

    #[test]
    fn bulk_forms_keep_every_selected_id() {
        let f =
            BulkForm::parse(b"csrf=x&id=a1&id=b2&action=closed&resolution=benign&back=%2Falerts");
        assert_eq!(f.ids, vec!["a1", "b2"]);
        assert_eq!(
            (f.action.as_str(), f.resolution.as_str(), f.back.as_str()),
            ("closed", "benign", "/alerts")
        );
    }
}
