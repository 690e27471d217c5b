//! The web UI end to end: a real `canhgac serve` with the UI on, alerts raised by its rules from
//! syslog sent over TCP, and the UI used over real HTTP (security tests) and from a real
//! headless Chromium driven through WebDriver (Debian's `chromium` and `chromium-driver`,
//! installed by `.ci/run`). Screenshots of every page go to `target/ui-screenshots/`.
//!
//! The attack lines carry the payloads an attacker would put in a log (`<script>`, an
//! attribute break-out with an `onerror` image, a `javascript:` URL) as the SSH user name, so
//! they travel through parsing, detection, the alert log, the index and every page.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::canhgac;
use crate::serve::{Daemon, free_port, octet};

const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "\"><img/src=x/onerror=alert(2)>";
const JS_URL: &str = "javascript:alert(3)";

/// Twelve failed SSH logins from one address, user names carrying the payloads (the bundled
/// brute-force correlation fires on them), and a refused sudo by a "user" named with the script
/// payload (an alert whose subject, shown in lists, is that name).
fn attack_lines() -> Vec<String> {
    let users = [SCRIPT, IMG, JS_URL];
    let start = chrono::Utc::now() - chrono::Duration::hours(1);
    (0..12)
        .map(|i| {
            let at = start + chrono::Duration::seconds(2 * i as i64);
            format!(
                "<86>1 {} web01 sshd 4211 - - Failed password for invalid user {} from 203.0.113.66 port {} ssh2",
                at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                users[i % 3],
                40000 + i
            )
        })
        .chain(std::iter::once(format!(
            "<85>1 {} web01 sudo - - - {SCRIPT} : user NOT in sudoers ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash",
            start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        )))
        .collect()
}

/// A running daemon with the UI on a free port.
struct UiDaemon {
    daemon: Daemon,
    port: u16,
    syslog: u16,
}

impl UiDaemon {
    fn start(dir: &Path, extra_ui: &str) -> UiDaemon {
        let syslog = free_port();
        let port = free_port();
        let daemon = Daemon::start(
            dir,
            &format!(
                "[ui]\nlisten = \"127.0.0.1:{port}\"\nsql_timeout_ms = 1500\nsql_row_limit = 100\n{extra_ui}\n\n\
                 [[source]]\nname = \"tcp\"\nkind = \"tcp\"\nlisten = \"127.0.0.1:{syslog}\"\n"
            ),
        );
        let data = daemon.data();
        for (name, role) in [
            ("lan.admin", "admin"),
            ("minh.analyst", "analyst"),
            ("hoa.viewer", "viewer"),
        ] {
            let out = canhgac(
                &["user", "add", "--data-dir", &data, "--role", role, name],
                Some(b"mat-khau-rat-dai-2026\n"),
            );
            assert!(
                out.status.success(),
                "user add: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let mut stream =
            TcpStream::connect(("127.0.0.1", syslog)).unwrap_or_else(|e| panic!("connect: {e}"));
        send(&mut stream, &attack_lines());
        drop(stream);
        let mut ui = UiDaemon {
            daemon,
            port,
            syslog,
        };
        let admin = ui.login("lan.admin");
        let port = ui.port;
        ui.daemon
            .wait_until("the brute-force alert is searchable", || {
                let r = get(port, "/api/alerts?status=all&q=brute", &admin);
                r.status == 200 && r.json()["total"].as_u64().unwrap_or(0) >= 1
            });
        // And the events themselves reach the store while the daemon is otherwise quiet.
        ui.daemon.wait_until("the attack's events are stored", || {
            let r = post_json(
                port,
                "/api/sql",
                &admin,
                &json!({"sql": "SELECT count(*) FROM events WHERE app IN ('sshd', 'sudo')"}),
            );
            r.json()["rows"][0][0]
                .as_str()
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n >= 13)
        });
        ui
    }

    fn send(&self, lines: &[String]) {
        let mut stream = TcpStream::connect(("127.0.0.1", self.syslog))
            .unwrap_or_else(|e| panic!("connect: {e}"));
        send(&mut stream, lines);
    }

    /// How many alerts of a rule there are.
    fn count(&self, s: &Session, rule_id: &str) -> u64 {
        let r = get(
            self.port,
            &format!("/api/alerts?status=all&rule={rule_id}"),
            s,
        );
        r.json()["total"].as_u64().unwrap_or(0)
    }

    fn login(&self, user: &str) -> Session {
        login(self.port, user, "mat-khau-rat-dai-2026")
            .unwrap_or_else(|r| panic!("login {user}: {} {}", r.status, r.body))
    }

    /// The id of the brute-force alert.
    fn alert_id(&self, s: &Session) -> String {
        let r = get(self.port, "/api/alerts?status=all&q=brute", s);
        r.json()["alerts"][0]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no alert: {}", r.body))
            .to_owned()
    }
}

fn send(stream: &mut TcpStream, lines: &[String]) {
    for line in lines {
        stream
            .write_all(&octet(line))
            .unwrap_or_else(|e| panic!("send: {e}"));
    }
}

/// A logged-in client.
#[derive(Clone, Debug)]
struct Session {
    cookie: String,
    csrf: String,
}

/// An HTTP response.
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn cookies(&self) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// One HTTP/1.1 request on a fresh connection.
fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut stream =
        TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("connect: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap_or_else(|e| panic!("timeout: {e}"));
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .unwrap_or_else(|e| panic!("write: {e}"));
    stream
        .write_all(body)
        .unwrap_or_else(|e| panic!("write: {e}"));
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("read: {e}"));
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end: {}", String::from_utf8_lossy(&raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..(start + size).min(data.len())]);
        data = &data[(start + size + 2).min(data.len())..];
    }
    out
}

fn get(port: u16, path: &str, s: &Session) -> Reply {
    http(port, "GET", path, &[("Cookie", &s.cookie)], b"")
}

fn post_form(port: u16, path: &str, s: &Session, form: &[(&str, &str)]) -> Reply {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    http(
        port,
        "POST",
        path,
        &[
            ("Cookie", &s.cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body.as_bytes(),
    )
}

fn post_json(port: u16, path: &str, s: &Session, body: &Value) -> Reply {
    http(
        port,
        "POST",
        path,
        &[
            ("Cookie", &s.cookie),
            ("Content-Type", "application/json"),
            ("X-CSRF-Token", &s.csrf),
        ],
        body.to_string().as_bytes(),
    )
}

fn cookie_value<'a>(set_cookie: &'a str, name: &str) -> Option<&'a str> {
    set_cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .filter(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The value of the first hidden `csrf` field of a page.
fn csrf_of(page: &str) -> Option<String> {
    let at = page.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(page[at..].split('"').next()?.to_owned())
}

/// Logs in as a browser would: the login page's cookie and token, then the form.
fn login(port: u16, user: &str, password: &str) -> Result<Session, Reply> {
    let page = http(port, "GET", "/login", &[], b"");
    let login_cookie = page
        .cookies()
        .into_iter()
        .find_map(|c| cookie_value(c, "canhgac_login"))
        .unwrap_or_default()
        .to_owned();
    let token = csrf_of(&page.body).unwrap_or_default();
    let body: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("csrf", token.as_str()),
            ("user", user),
            ("password", password),
            ("next", "/"),
        ])
        .finish();
    let reply = http(
        port,
        "POST",
        "/login",
        &[
            ("Cookie", &format!("canhgac_login={login_cookie}")),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body.as_bytes(),
    );
    let Some(set) = reply
        .cookies()
        .into_iter()
        .find(|c| c.starts_with("canhgac_session="))
        .map(str::to_owned)
    else {
        return Err(reply);
    };
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict"),
        "session cookie flags: {set}"
    );
    let session_cookie = set.split(';').next().unwrap_or_default().to_owned();
    let home = http(port, "GET", "/", &[("Cookie", &session_cookie)], b"");
    let csrf =
        csrf_of(&home.body).unwrap_or_else(|| panic!("no csrf on the dashboard: {}", home.body));
    Ok(Session {
        cookie: session_cookie,
        csrf,
    })
}

/// No executable form of the payloads anywhere in `page`, and the script payload shown as text
/// where `shows_text` (pages that show the evidence).
fn assert_inert(what: &str, page: &str, shows_text: bool) {
    for bad in [
        "<script>alert",
        "<img/src=x",
        "<img src=x",
        "onerror=alert(2)>",
    ] {
        assert!(
            !page.contains(bad),
            "{what}: `{bad}` reached the page as markup"
        );
    }
    assert!(
        !page.to_ascii_lowercase().contains("href=\"javascript:"),
        "{what}: a javascript: link"
    );
    if shows_text {
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{what}: the payload is not shown as text"
        );
    }
}

#[test]
fn ui_security_escaping_sessions_csrf_roles_and_the_sql_console() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let ui = UiDaemon::start(dir.path(), "");
    let port = ui.port;
    let analyst = ui.login("minh.analyst");
    let viewer = ui.login("hoa.viewer");
    let id = ui.alert_id(&analyst);

    // Every page that shows the alert shows the attacker's text as text.
    let detail = get(port, &format!("/alerts/{id}"), &analyst);
    assert_eq!(detail.status, 200, "{}", detail.body);
    assert_inert("alert detail", &detail.body, true);
    let csp = detail
        .header("content-security-policy")
        .unwrap_or_default()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "CSP: {csp}"
    );
    assert_eq!(detail.header("x-frame-options"), Some("DENY"));
    for (what, path, shows) in [
        ("dashboard", "/".to_owned(), true),
        ("queue", "/alerts?status=all".to_owned(), true),
        ("search", "/search?q=".to_owned(), true),
        ("mail preview", format!("/alerts/{id}/mail"), true),
        ("mail html", format!("/alerts/{id}/mail.html"), true),
    ] {
        let page = get(port, &path, &analyst);
        assert_eq!(page.status, 200, "{what}: {}", page.body);
        assert_inert(what, &page.body, shows);
    }
    let mail_html = get(port, &format!("/alerts/{id}/mail.html"), &analyst);
    assert!(
        mail_html
            .header("content-security-policy")
            .is_some_and(|c| c.contains("sandbox")),
        "the mail preview frame is not sandboxed"
    );
    // The SQL console shows raw lines as text too.
    let sql_page = post_form(
        port,
        "/sql",
        &analyst,
        &[
            ("csrf", &analyst.csrf),
            ("sql", "SELECT user, message FROM events WHERE app = 'sshd'"),
        ],
    );
    assert_eq!(sql_page.status, 200, "{}", sql_page.body);
    assert_inert("SQL result", &sql_page.body, true);

    // Without a session: pages redirect to the login page, the API answers 401, changes are refused.
    let anonymous = Session {
        cookie: "canhgac_session=forged".to_owned(),
        csrf: String::new(),
    };
    for path in [
        "/",
        "/alerts",
        &format!("/alerts/{id}"),
        "/search?q=x",
        "/rules",
        "/users",
    ] {
        let r = get(port, path, &anonymous);
        assert_eq!(r.status, 303, "{path}");
        assert!(
            r.header("location")
                .is_some_and(|l| l.starts_with("/login")),
            "{path}"
        );
    }
    assert_eq!(get(port, "/api/alerts", &anonymous).status, 401);
    assert_eq!(
        post_json(port, "/api/sql", &anonymous, &json!({"sql": "SELECT 1"})).status,
        401
    );
    let r = post_form(
        port,
        &format!("/alerts/{id}"),
        &anonymous,
        &[("status", "closed")],
    );
    assert_eq!(r.status, 303);

    let status = |s: &Session| -> String {
        get(port, &format!("/api/alerts/{id}"), s).json()["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(status(&analyst), "new");

    // CSRF: no token, a wrong one, a foreign origin, an API call without the header.
    let no_token = post_form(
        port,
        &format!("/alerts/{id}"),
        &analyst,
        &[("status", "acknowledged")],
    );
    assert_eq!(no_token.status, 403, "{}", no_token.body);
    let wrong = post_form(
        port,
        &format!("/alerts/{id}"),
        &analyst,
        &[
            ("csrf", "0".repeat(64).as_str()),
            ("status", "acknowledged"),
        ],
    );
    assert_eq!(wrong.status, 403);
    let form = format!("csrf={}&status=acknowledged", analyst.csrf);
    let foreign = http(
        port,
        "POST",
        &format!("/alerts/{id}"),
        &[
            ("Cookie", &analyst.cookie),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Origin", "http://evil.example"),
        ],
        form.as_bytes(),
    );
    assert_eq!(foreign.status, 403);
    let api_no_header = http(
        port,
        "POST",
        &format!("/api/alerts/{id}/change"),
        &[
            ("Cookie", &analyst.cookie),
            ("Content-Type", "application/json"),
        ],
        br#"{"status":"acknowledged"}"#,
    );
    assert_eq!(api_no_header.status, 403);
    // Another user's token is not this user's.
    let cross = post_form(
        port,
        &format!("/alerts/{id}"),
        &analyst,
        &[("csrf", &viewer.csrf), ("status", "acknowledged")],
    );
    assert_eq!(cross.status, 403);
    assert_eq!(
        status(&analyst),
        "new",
        "a refused change changed the alert"
    );

    // A viewer reads but cannot triage, run SQL, hunt or manage users.
    assert_eq!(get(port, &format!("/alerts/{id}"), &viewer).status, 200);
    let r = post_form(
        port,
        &format!("/alerts/{id}"),
        &viewer,
        &[
            ("csrf", &viewer.csrf),
            ("status", "closed"),
            ("resolution", "benign"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let r = post_json(
        port,
        &format!("/api/alerts/{id}/change"),
        &viewer,
        &json!({"status": "closed", "resolution": "benign"}),
    );
    assert_eq!(r.status, 403);
    let r = post_form(
        port,
        "/alerts/bulk",
        &viewer,
        &[
            ("csrf", &viewer.csrf),
            ("id", &id),
            ("action", "closed"),
            ("resolution", "benign"),
        ],
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        post_json(port, "/api/sql", &viewer, &json!({"sql": "SELECT 1"})).status,
        403
    );
    assert_eq!(get(port, "/users", &viewer).status, 403);
    assert_eq!(status(&analyst), "new");

    // The analyst's real change, with the token, goes through and is recorded under their name.
    let r = post_json(
        port,
        &format!("/api/alerts/{id}/change"),
        &analyst,
        &json!({"status": "acknowledged", "comment": "looking"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let detail = get(port, &format!("/api/alerts/{id}"), &analyst).json();
    assert_eq!(detail["status"], "acknowledged");
    assert_eq!(detail["history"][0]["who"], "minh.analyst");

    // The SQL console: reads work and are row-limited (100 rows here); writes, DDL and COPY are
    // refused; a long query is stopped at the time limit (1.5 s here).
    let r = post_json(
        port,
        "/api/sql",
        &analyst,
        &json!({"sql": "SELECT count(*) AS n FROM events"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.json()["rows"][0][0]
            .as_str()
            .is_some_and(|n| n.parse::<u64>().unwrap_or(0) >= 12)
    );
    let copy_target = dir.path().join("copied.csv");
    for statement in [
        "DROP TABLE events".to_owned(),
        "CREATE TABLE t AS SELECT 1".to_owned(),
        "INSERT INTO events (raw) VALUES ('x')".to_owned(),
        "DELETE FROM events".to_owned(),
        format!("COPY (SELECT 1) TO '{}'", copy_target.display()),
        "SET datafusion.execution.batch_size = 1".to_owned(),
    ] {
        let r = post_json(port, "/api/sql", &analyst, &json!({ "sql": statement }));
        assert_eq!(r.status, 400, "{statement}: {}", r.body);
        assert!(r.json()["error"].is_string(), "{statement}");
    }
    assert!(
        !copy_target.try_exists().unwrap_or(false),
        "COPY wrote a file"
    );
    let started = Instant::now();
    let r = post_json(
        port,
        "/api/sql",
        &analyst,
        &json!({"sql": "SELECT sum(length(a.raw) + length(h.raw)) FROM events a, events b, events c, events d, events e, events f, events g, events h"}),
    );
    assert_eq!(r.status, 408, "{}", r.body);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the long query was not answered at its limit"
    );
    // Stopped, not just abandoned: a quick query gets the SQL workers at once.
    let started = Instant::now();
    let r = post_json(
        port,
        "/api/sql",
        &analyst,
        &json!({"sql": "SELECT count(*) FROM events"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the stopped query still holds the SQL workers ({:?})",
        started.elapsed()
    );
    let r = post_json(
        port,
        "/api/sql",
        &analyst,
        &json!({"sql": "SELECT a.raw FROM events a, events b"}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["rows"].as_array().map(Vec::len),
        Some(100),
        "{}",
        r.body
    );
    assert_eq!(r.json()["truncated"], true);

    // Integrations use a token instead of a session: no cookie, so no CSRF token either.
    let out = canhgac(
        &[
            "user",
            "token",
            "--data-dir",
            &ui.daemon.data(),
            "minh.analyst",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let bearer = format!("Bearer {token}");
    let r = http(
        port,
        "GET",
        "/api/alerts?status=all",
        &[("Authorization", &bearer)],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["facets"], json!({}), "facets only when asked");
    let r = http(
        port,
        "GET",
        "/api/alerts?status=all&facets=true",
        &[("Authorization", &bearer)],
        b"",
    );
    assert!(r.json()["facets"]["level"].is_array(), "{}", r.body);
    let r = http(
        port,
        "POST",
        &format!("/api/alerts/{id}/change"),
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        br#"{"comment":"from the SOAR"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let wrong = http(
        port,
        "GET",
        "/api/alerts",
        &[("Authorization", "Bearer cgk_0123")],
        b"",
    );
    assert_eq!(wrong.status, 401);
    // A token opens the API only, not the pages.
    let page = http(port, "GET", "/alerts", &[("Authorization", &bearer)], b"");
    assert_eq!(page.status, 303);

    // Logout ends the session on the server, not just in the browser.
    let r = post_form(port, "/logout", &analyst, &[("csrf", &analyst.csrf)]);
    assert_eq!(r.status, 303);
    assert_eq!(get(port, "/api/alerts", &analyst).status, 401);
    ui.daemon.stop();
}

#[test]
fn ui_lockout_refuses_logins_and_the_rules_see_the_failures() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let ui = UiDaemon::start(dir.path(), "lockout_failures = 5\nlockout_minutes = 15");
    let port = ui.port;
    let admin = ui.login("lan.admin");
    for _ in 0..5 {
        let r =
            login(port, "lan.admin", "doan-sai-mat-khau").expect_err("a wrong password logged in");
        assert_eq!(r.status, 401);
    }
    // Locked: even the right password is refused now, without being checked.
    let r =
        login(port, "lan.admin", "mat-khau-rat-dai-2026").expect_err("a locked account logged in");
    assert_eq!(r.status, 401);
    assert!(r.body.contains("Too many failed logins"), "{}", r.body);
    // The sessions already open are not affected; the daemon's rules saw the failures.
    let mut ui = ui;
    ui.daemon.wait_until("the UI brute-force alert", || {
        let r = get(
            port,
            "/api/alerts?status=all&q=rule_id:%222f6b9c1e-7a34-4d8e-b5c0-1e9d3a7c6b02%22",
            &admin,
        );
        r.json()["total"].as_u64().unwrap_or(0) >= 1
    });
    let r = get(
        port,
        "/api/alerts?status=all&q=rule_id:%222f6b9c1e-7a34-4d8e-b5c0-1e9d3a7c6b02%22",
        &admin,
    );
    let alert = &r.json()["alerts"][0];
    assert_eq!(alert["level"], "high", "{}", r.body);
    assert_eq!(alert["subject"], "src_ip=127.0.0.1", "{}", r.body);
    let log = std::fs::read_to_string(Path::new(&ui.daemon.data()).join("logs/ui-auth.log"))
        .unwrap_or_default();
    assert!(
        log.lines()
            .filter(|l| l.contains("authentication failure"))
            .count()
            >= 6,
        "{log}"
    );
    assert!(log.contains("locked out"), "{log}");
    ui.daemon.stop();
}

#[test]
fn ui_admin_turns_a_rule_off_manages_users_and_reports_download() {
    const SUDO_RULE: &str = "7d1c1c55-6a80-4b0e-9d4e-0c3f2b8a1a05";
    const ACCOUNT_RULE: &str = "7d1c1c55-6a80-4b0e-9d4e-0c3f2b8a1a06";
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let mut ui = UiDaemon::start(dir.path(), "");
    let port = ui.port;
    let admin = ui.login("lan.admin");
    let analyst = ui.login("minh.analyst");
    let viewer = ui.login("hoa.viewer");
    assert_eq!(ui.count(&admin, SUDO_RULE), 1);

    // Only an admin turns rules off.
    let off = [("csrf", ""), ("rule", SUDO_RULE), ("enabled", "false")];
    let with = |s: &Session| -> Vec<(&str, String)> {
        off.iter()
            .map(|(k, v)| {
                (
                    *k,
                    if *k == "csrf" {
                        s.csrf.clone()
                    } else {
                        (*v).to_owned()
                    },
                )
            })
            .collect()
    };
    let form = |pairs: &[(&str, String)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    };
    let post = |s: &Session, path: &str, pairs: Vec<(String, String)>| {
        let refs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        post_form(port, path, s, &refs)
    };
    assert_eq!(
        post(&analyst, "/rules/toggle", form(&with(&analyst))).status,
        403
    );
    assert_eq!(
        post(&admin, "/rules/toggle", form(&with(&admin))).status,
        303
    );
    let rules = get(port, "/rules", &admin).body;
    assert!(
        rules.contains("class=\"disabled\""),
        "the rule is not shown off"
    );

    // The daemon stops raising its alerts (the next rule's alert proves the lines went through).
    // It looks at the switches at most once a second: give it that second.
    std::thread::sleep(Duration::from_millis(1500));
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    ui.send(&[
        format!("<85>1 {now} web02 sudo - - - mallory : user NOT in sudoers ; TTY=pts/2 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh"),
        format!("<86>1 {now} web02 useradd 2001 - - new user: name=backdoor2, UID=1051, GID=1051, home=/home/backdoor2, shell=/bin/bash, from=/dev/pts/2"),
    ]);
    let (ui_port, admin_session) = (port, admin.clone());
    ui.daemon.wait_until("the account alert", || {
        get(
            ui_port,
            &format!("/api/alerts?status=all&rule={ACCOUNT_RULE}"),
            &admin_session,
        )
        .json()["total"]
            .as_u64()
            .unwrap_or(0)
            >= 1
    });
    assert_eq!(
        ui.count(&admin, SUDO_RULE),
        1,
        "a disabled rule raised an alert"
    );

    // Users: an admin adds and removes; others may not.
    let add = |s: &Session, name: &str| {
        post(
            s,
            "/users",
            vec![
                ("csrf".to_owned(), s.csrf.clone()),
                ("name".to_owned(), name.to_owned()),
                ("role".to_owned(), "viewer".to_owned()),
                ("password".to_owned(), "mot-mat-khau-dai".to_owned()),
            ],
        )
    };
    assert_eq!(add(&analyst, "khach").status, 403);
    assert_eq!(add(&admin, "khach").status, 303);
    assert!(login(port, "khach", "mot-mat-khau-dai").is_ok());
    let gone = post(
        &admin,
        "/users/delete",
        vec![
            ("csrf".to_owned(), admin.csrf.clone()),
            ("name".to_owned(), "khach".to_owned()),
        ],
    );
    assert_eq!(gone.status, 303);
    assert!(login(port, "khach", "mot-mat-khau-dai").is_err());

    // Reports: an analyst makes one, anyone downloads it as an attachment; nothing else is served.
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let make = |s: &Session| {
        post(
            s,
            "/reports",
            vec![
                ("csrf".to_owned(), s.csrf.clone()),
                ("month".to_owned(), month.clone()),
                ("lang".to_owned(), "en".to_owned()),
                ("format".to_owned(), "html".to_owned()),
            ],
        )
    };
    assert_eq!(make(&viewer).status, 403);
    let made = make(&analyst);
    assert_eq!(made.status, 303, "{}", made.body);
    let name = format!("canhgac-report-{month}-en.html");
    assert!(get(port, "/reports", &viewer).body.contains(&name));
    let file = get(port, &format!("/reports/file/{name}"), &viewer);
    assert_eq!(file.status, 200);
    assert!(
        file.header("content-disposition")
            .is_some_and(|d| d.starts_with("attachment"))
    );
    assert!(
        file.body
            .contains("Sudo attempted by a user not in sudoers"),
        "report content"
    );
    assert_inert("report", &file.body, false);
    for outside in [
        "..%2Fstate%2Fusers.json",
        "%2E%2E%2Fstate%2Fusers.json",
        "users.json",
    ] {
        let r = get(port, &format!("/reports/file/{outside}"), &admin);
        assert_eq!(r.status, 404, "{outside}");
        assert!(!r.body.contains("argon2"), "{outside}");
    }
    ui.daemon.stop();
}

#[test]
fn ui_over_tls_sets_secure_cookies_and_refuses_plain_http() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let pki = crate::serve::pki(dir.path());
    let port = free_port();
    let daemon = Daemon::start(
        dir.path(),
        &format!(
            "[ui]\nlisten = \"127.0.0.1:{port}\"\ntls_cert = \"{}\"\ntls_key = \"{}\"\n\n\
             [[source]]\nname = \"tcp\"\nkind = \"tcp\"\nlisten = \"127.0.0.1:{}\"\n",
            pki.server_cert.display(),
            pki.server_key.display(),
            free_port()
        ),
    );
    let name =
        rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap_or_else(|e| panic!("{e}"));
    let conn = rustls::ClientConnection::new(crate::serve::tls_client(&pki, false), name)
        .unwrap_or_else(|e| panic!("{e}"));
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    tls.write_all(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .unwrap_or_else(|e| panic!("https request: {e}"));
    let mut response = Vec::new();
    // The server closes after the response; a missing close_notify is not this test's subject.
    let _ = tls.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let cookie = response
        .lines()
        .find(|l| {
            l.to_ascii_lowercase()
                .starts_with("set-cookie: canhgac_login=")
        })
        .unwrap_or_else(|| panic!("no login cookie: {response}"));
    assert!(cookie.contains("; Secure"), "{cookie}");
    // Plain HTTP to the TLS port gets no page.
    let plain = std::panic::catch_unwind(|| http(port, "GET", "/login", &[], b""));
    assert!(
        !plain.is_ok_and(|r| r.status == 200),
        "plain HTTP was served on the TLS port"
    );
    daemon.stop();
}

// ---- the browser ----

/// A chromedriver process on a free port.
struct Driver {
    child: std::process::Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Driver {
    let binary = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
        .into_iter()
        .find(|p| Path::new(p).try_exists().unwrap_or(false))
        .unwrap_or_else(|| {
            panic!(
                "chromedriver is missing: apt-get install chromium chromium-driver (.ci/run does)"
            )
        });
    let port = free_port();
    let child = std::process::Command::new(binary)
        .arg(format!("--port={port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting chromedriver: {e}"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Driver { child, port }
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/ui-screenshots");
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

#[test]
fn ui_in_a_real_browser_login_triage_search_hunt_language() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let ui = UiDaemon::start(dir.path(), "");
    let driver = start_driver();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let result = runtime.block_on(browse(ui.port, driver.port));
    if let Err(e) = result {
        panic!("browser test: {e}\n{}", ui.daemon.log_text());
    }
    ui.daemon.stop();
}

type Browse = Result<(), Box<dyn std::error::Error>>;

/// Waits (generously: CI runs the other tests beside this one on two cores) for an element;
/// the error names what was awaited.
async fn await_element(
    client: &fantoccini::Client,
    id: &'static str,
) -> Result<fantoccini::elements::Element, Box<dyn std::error::Error>> {
    client
        .wait()
        .at_most(Duration::from_secs(120))
        .for_element(fantoccini::Locator::Id(id))
        .await
        .map_err(|e| format!("waiting for #{id}: {e}").into())
}

/// Clicks what `target` names and waits for the page the click leads to: first for the page
/// being left to go (its root element turns stale), then for `marker` on the new one. Waiting
/// for the marker alone can find it on the page being left, and reading an element of that
/// page fails as stale once the next one arrives (a CI run failed so).
async fn follow(
    client: &fantoccini::Client,
    target: fantoccini::Locator<'_>,
    marker: &'static str,
) -> Result<fantoccini::elements::Element, Box<dyn std::error::Error>> {
    let page = client.find(fantoccini::Locator::Css("html")).await?;
    client.find(target).await?.click().await?;
    await_next_page(client, page, marker).await
}

/// Waits until `page` (the root element of the page before a navigation) is gone, then for
/// `marker` on the page that replaced it.
async fn await_next_page(
    client: &fantoccini::Client,
    page: fantoccini::elements::Element,
    marker: &'static str,
) -> Result<fantoccini::elements::Element, Box<dyn std::error::Error>> {
    let deadline = Instant::now() + Duration::from_secs(120);
    // Any error reading the old root means its document is gone.
    while page.tag_name().await.is_ok() {
        if Instant::now() > deadline {
            return Err(format!("the page did not change on the way to #{marker}").into());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    await_element(client, marker).await
}

/// Sets the alert page's triage form and saves; returns the status shown afterwards.
async fn triage(
    client: &fantoccini::Client,
    status: &str,
    resolution: Option<&str>,
    comment: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    use fantoccini::Locator;
    client
        .find(Locator::Id("set-status"))
        .await?
        .select_by_value(status)
        .await?;
    if let Some(r) = resolution {
        client
            .find(Locator::Id("set-resolution"))
            .await?
            .select_by_value(r)
            .await?;
    }
    client
        .find(Locator::Id("set-comment"))
        .await?
        .send_keys(comment)
        .await?;
    follow(client, Locator::Id("save"), "history").await?;
    Ok(client
        .find(Locator::Id("alert-status"))
        .await?
        .text()
        .await?)
}

async fn browse(port: u16, driver: u16) -> Browse {
    use fantoccini::{ClientBuilder, Locator};
    let profile = tempfile::tempdir()?;
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1366,768", "--lang=vi",
                format!("--user-data-dir={}", profile.path().display()),
            ]
        }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut builder = ClientBuilder::new(connector);
    builder.capabilities(caps);
    let client = builder
        .connect(&format!("http://127.0.0.1:{driver}"))
        .await?;
    let shots = screenshots();
    let base = format!("http://127.0.0.1:{port}");
    let shot = |name: &'static str| {
        let client = client.clone();
        let path = shots.join(name);
        async move {
            let png = client.screenshot().await?;
            std::fs::write(&path, png)?;
            Browse::Ok(())
        }
    };
    let no_dialog = |what: &'static str| {
        let client = client.clone();
        async move {
            // An XSS payload that ran would have opened an alert() dialog.
            if let Ok(text) = client.get_alert_text().await {
                return Err(format!("{what}: a script ran and opened a dialog: {text}").into());
            }
            Browse::Ok(())
        }
    };

    // Log in.
    client.goto(&format!("{base}/")).await?;
    assert!(client.current_url().await?.path().starts_with("/login"));
    shot("01-login.png").await?;
    client
        .find(Locator::Id("user"))
        .await?
        .send_keys("minh.analyst")
        .await?;
    client
        .find(Locator::Id("password"))
        .await?
        .send_keys("mat-khau-rat-dai-2026")
        .await?;
    follow(&client, Locator::Id("login"), "rate").await?;
    assert_eq!(client.current_url().await?.path(), "/");
    let heading = client.find(Locator::Css("h1")).await?.text().await?;
    assert_eq!(
        heading, "Tổng quan",
        "the dashboard in the user's default language"
    );
    let recent = client.find(Locator::Id("recent")).await?.text().await?;
    assert!(
        recent.contains("SSH"),
        "recent alerts on the dashboard: {recent}"
    );
    no_dialog("dashboard").await?;
    shot("02-dashboard.png").await?;

    // The queue, then the alert.
    follow(&client, Locator::Id("nav-alerts"), "queue").await?;
    no_dialog("queue").await?;
    shot("03-alerts.png").await?;
    follow(
        &client,
        Locator::LinkText("SSH brute force from one source"),
        "evidence",
    )
    .await?;
    let evidence = client.find(Locator::Id("evidence")).await?.text().await?;
    assert!(
        evidence.contains(SCRIPT),
        "the payload shown as text: {evidence}"
    );
    assert!(evidence.contains(JS_URL));
    no_dialog("alert detail").await?;
    shot("04-alert.png").await?;
    let alert_url = client.current_url().await?;

    // Acknowledge with a comment, then close as a true positive.
    let status = triage(&client, "acknowledged", None, "Đang xem nguồn 203.0.113.66").await?;
    assert!(
        status.contains("đã xác nhận"),
        "status after acknowledging: {status}"
    );
    let status = triage(
        &client,
        "closed",
        Some("true_positive"),
        "Đã chặn 203.0.113.66 trên tường lửa",
    )
    .await?;
    assert!(status.contains("đã đóng"), "status after closing: {status}");
    let history = client.find(Locator::Id("history")).await?.text().await?;
    assert!(
        history.contains("Đã chặn 203.0.113.66") && history.contains("minh.analyst"),
        "{history}"
    );
    shot("05-alert-closed.png").await?;

    // Find it by search.
    follow(&client, Locator::Id("nav-search"), "q").await?;
    client
        .find(Locator::Id("q"))
        .await?
        .send_keys("status:closed AND src_ip:203.0.113.0/24")
        .await?;
    follow(&client, Locator::Id("search"), "results").await?;
    let results = client.find(Locator::Id("results")).await?.text().await?;
    assert!(results.contains("SSH"), "search results: {results}");
    follow(&client, Locator::Css("#results a.alert-link"), "evidence").await?;
    assert_eq!(client.current_url().await?.path(), alert_url.path());
    let page = client.find(Locator::Css("html")).await?;
    client.back().await?;
    await_next_page(&client, page, "results").await?;
    no_dialog("search").await?;
    shot("06-search.png").await?;

    // A hunt with the brute-force rule over the last 90 days of stored events.
    follow(&client, Locator::Id("nav-rules"), "hunt-form").await?;
    client
        .find(Locator::Id("hunt-rule"))
        .await?
        .select_by_value("7d1c1c55-6a80-4b0e-9d4e-0c3f2b8a1a03")
        .await?;
    let hours = client.find(Locator::Id("hunt-hours")).await?;
    hours.clear().await?;
    hours.send_keys("2160").await?;
    follow(&client, Locator::Id("hunt"), "hunt-result").await?;
    let hunted = client
        .find(Locator::Id("hunt-result"))
        .await?
        .text()
        .await?;
    assert!(hunted.contains("203.0.113.66"), "hunt result: {hunted}");
    no_dialog("rules").await?;
    shot("07-hunt.png").await?;

    // The other pages render.
    for (nav, marker, name) in [
        ("nav-sources", "hosts", "08-sources.png"),
        ("nav-reports", "report-files", "09-reports.png"),
    ] {
        follow(&client, Locator::Id(nav), marker).await?;
        shot(name).await?;
    }

    // Switch the language: the page comes back in English, and stays so.
    follow(&client, Locator::Id("switch-lang"), "report-files").await?;
    let heading = client.find(Locator::Css("h1")).await?.text().await?;
    assert_eq!(heading, "Reports");
    follow(&client, Locator::Id("nav-dashboard"), "rate").await?;
    assert_eq!(
        client.find(Locator::Css("h1")).await?.text().await?,
        "Dashboard"
    );
    shot("10-dashboard-en.png").await?;

    // A large wall screen.
    client.set_window_size(2560, 1440).await?;
    follow(&client, Locator::Id("nav-alerts"), "queue").await?;
    shot("11-alerts-wallscreen.png").await?;

    // Log out: back to the login page, and the dashboard is closed again.
    follow(&client, Locator::Id("logout"), "login").await?;
    client.goto(&format!("{base}/")).await?;
    assert!(client.current_url().await?.path().starts_with("/login"));
    client.close().await?;
    Ok(())
}
