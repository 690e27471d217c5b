//! Web servers: nginx and Apache access logs (common and combined formats, through syslog or
//! read as files) and their error logs, with HTTP basic-auth failures and ModSecurity's verdicts.
//! A province's portals and public services face the Internet; their requests carry the
//! scanners, injections and path traversals a SOC hunts for.
//!
//! Request fields use readable names (`http_method`, `url`, `url_path`, `url_query`,
//! `http_status`, `user_agent`, `referrer`); `rules/logsources.yaml` maps Sigma's W3C names
//! (`cs-method`, `cs-uri-query`, `sc-status`...) onto them.

use crate::event::{Event, FAILURE, SourceType};
use crate::firewall::split_endpoint;
use crate::payload::{PayloadParser, put_address, set_user};
use crate::time::{Zone, month_from_abbrev, parse_offset};

/// nginx and Apache httpd.
pub struct WebServer;

impl PayloadParser for WebServer {
    fn source_type(&self) -> SourceType {
        SourceType::WebServer
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        match app {
            Some(app) => is_web_server(app),
            // A log file read as it is: an access line's `[28/Nov/2026:10:00:00 +0700]` early
            // on, or an error line's own stamp.
            None => {
                access_stamp(message).is_some()
                    || error_stamp(message).is_some()
                    || apache_error_stamp(message).is_some()
            }
        }
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let message = message.trim();
        if let Some((at, ts)) = access_stamp(message) {
            access(message, at, ts, ev).ok_or("not a common or combined access log line")
        } else {
            error(message, ev);
            Ok(())
        }
    }
}

/// Tags web servers log under: their own names, and what `logger -t` pipes are usually given.
fn is_web_server(app: &str) -> bool {
    let name = app
        .strip_suffix("-access")
        .or_else(|| app.strip_suffix("-error"))
        .or_else(|| app.strip_suffix("_access"))
        .or_else(|| app.strip_suffix("_error"))
        .unwrap_or(app);
    matches!(name, "nginx" | "apache" | "apache2" | "httpd")
}

/// Where the `[` of an access line's time is, and the time (UTC micros).
fn access_stamp(message: &str) -> Option<(usize, i64)> {
    let b = message.as_bytes();
    let open = memchr::memchr(b'[', &b[..b.len().min(160)])?;
    // `[28/Nov/2026:10:00:00 +0700]` (a day without its zero is read too).
    let inner = &b[open + 1..];
    let close = memchr::memchr(b']', &inner[..inner.len().min(28)])?;
    let stamp = std::str::from_utf8(&inner[..close]).ok()?;
    let (date, clock_and_zone) = stamp.split_once(':')?;
    let mut date_parts = date.split('/');
    let (day, month, year) = (date_parts.next()?, date_parts.next()?, date_parts.next()?);
    let (clock, zone) = clock_and_zone.split_once(' ')?;
    let mut clock_parts = clock.split(':').map(|n| n.parse::<u32>().ok());
    let (h, m, sec) = (
        clock_parts.next()??,
        clock_parts.next()??,
        clock_parts.next()??,
    );
    let ts = Zone::Fixed(parse_offset(zone)?).civil_to_utc_micros(
        year.parse().ok()?,
        month_from_abbrev(month.as_bytes())?,
        day.parse().ok()?,
        h,
        m,
        sec.min(59),
        0,
    )?;
    Some((open, ts))
}

/// `client ident user [time] "request" status bytes "referrer" "user agent" ...`; an Apache
/// `vhost_combined` line starts with `host:port`.
fn access<'a>(line: &'a str, open: usize, ts: i64, ev: &mut Event<'a>) -> Option<()> {
    let close = open + memchr::memchr(b']', &line.as_bytes()[open..])?;
    // `... client ident user [`: the client is the word before the last two; a virtual host
    // (`vhost_combined`'s `host:port`, nginx's `$host`) and a forwarded-for list may precede it.
    let mut who = line[..open].trim_end().rsplitn(4, ' ');
    let user = who.next()?;
    let _ident = who.next()?;
    let client = who.next().unwrap_or("-");
    if user != "-" {
        set_user(ev, user);
    }
    if client != "-" {
        put_address(ev, client.trim_end_matches(','), true);
    }
    if let Some(prefix) = who.next().map(str::trim).filter(|p| !p.is_empty()) {
        let (first, forwarded) = prefix.split_once(' ').unwrap_or((prefix, ""));
        let forwarded = if first.ends_with(',') || first.starts_with('"') {
            prefix
        } else {
            ev.field("vhost", first);
            forwarded
        };
        let forwarded = forwarded.trim().trim_matches('"').trim_end_matches(',');
        if !forwarded.is_empty() {
            ev.field("forwarded_for", forwarded);
        }
    }
    if ev.ts.is_none() {
        ev.ts = Some(ts);
    }
    let rest = line[close + 1..].trim_start();
    let (request, rest) = quoted(rest)?;
    request_line(request, ev);
    let mut words = rest.split_whitespace();
    if let Some(status) = words
        .next()
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
    {
        ev.field("http_status", status);
    }
    // The response body, which the client (the source) received.
    ev.bytes_in = words.next().and_then(|n| n.parse().ok());
    let after_numbers = rest.find('"').map_or("", |i| &rest[i..]);
    if let Some((referrer, after)) = quoted(after_numbers) {
        if referrer != "-" && !referrer.is_empty() {
            ev.field("referrer", referrer);
        }
        let after = after.trim_start();
        // A line cut short (a frame limit, a relay's) still names what it can of the agent.
        let (agent, extra) =
            quoted(after).unwrap_or_else(|| (after.strip_prefix('"').unwrap_or(""), ""));
        if agent != "-" && !agent.is_empty() {
            ev.field("user_agent", agent);
        }
        let extra = extra.trim();
        // nginx's default format ends with `"$http_x_forwarded_for"`.
        match quoted(extra) {
            Some(("-" | "", "")) => {}
            Some((forwarded, "")) => ev.field("forwarded_for", forwarded),
            _ if !extra.is_empty() => ev.field("extra", extra),
            _ => {}
        }
    }
    ev.field("event", "http_request");
    Some(())
}

/// A `"..."` value at the start of `s` (`\"` inside kept as written) and what follows it.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let inner = s.strip_prefix('"')?;
    let b = inner.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some((&inner[..i], &inner[i + 1..])),
            _ => i += 1,
        }
    }
    None
}

/// `GET /path?query HTTP/1.1`; anything else (a TLS handshake sent to port 80, `-`) is kept whole.
pub(crate) fn request_line<'a>(request: &'a str, ev: &mut Event<'a>) {
    let mut parts = request.splitn(3, ' ');
    let (Some(method), Some(url)) = (parts.next(), parts.next()) else {
        if !request.is_empty() && request != "-" {
            ev.field("request", request);
        }
        return;
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        ev.field("request", request);
        return;
    }
    ev.field("http_method", method);
    ev.field("url", url);
    match url.split_once('?') {
        Some((path, query)) => {
            ev.field("url_path", path);
            ev.field("url_query", query);
        }
        None => ev.field("url_path", url),
    }
    if let Some(version) = parts.next() {
        ev.field("http_version", version);
    }
}

/// nginx's own error-log stamp, `2026/11/28 10:00:00 [`.
fn error_stamp(message: &str) -> Option<&str> {
    let b = message.as_bytes();
    let stamped = b.len() > 21
        && b[4] == b'/'
        && b[7] == b'/'
        && b[10] == b' '
        && b[13] == b':'
        && b[19] == b' '
        && b[20] == b'['
        && b[..4].iter().all(u8::is_ascii_digit);
    stamped.then(|| &message[..19])
}

/// Apache's error-log file stamp, `[Sat Nov 28 10:00:00.123456 2026] `: the stamp and the rest.
fn apache_error_stamp(text: &str) -> Option<(&str, &str)> {
    let (stamp, after) = text.strip_prefix('[')?.split_once("] ")?;
    let b = stamp.as_bytes();
    (b.len() >= 24 && b[3] == b' ' && month_from_abbrev(&b[4..7]).is_some())
        .then_some((stamp, after))
}

/// nginx (`[error] 1234#0: *5 text, client: 203.0.113.5, server: s, request: "GET / HTTP/1.1",
/// host: "h"`) and Apache (`[core:error] [pid 1234] [client 203.0.113.5:51234] AH00126: text`)
/// error lines, ModSecurity's verdicts in either.
fn error<'a>(message: &'a str, ev: &mut Event<'a>) {
    let mut text = message;
    // Its own stamp is local time in a zone the line does not give: kept, not guessed.
    if let Some(stamp) = error_stamp(text) {
        ev.field("error_time", stamp);
        text = &text[20..];
    }
    if let Some((stamp, after)) = apache_error_stamp(text) {
        ev.field("error_time", stamp);
        text = after;
    }
    // Leading bracketed words: `[error]`, `[core:error]`, `[pid 1234:tid 5678]`, `[client a:p]`.
    while let Some((inner, after)) = text.strip_prefix('[').and_then(|t| t.split_once("] ")) {
        if let Some(client) = inner
            .strip_prefix("client ")
            .or_else(|| inner.strip_prefix("remote "))
        {
            endpoint(client, ev);
        } else if let Some(pid) = inner
            .strip_prefix("pid ")
            .or_else(|| inner.bytes().all(|b| b.is_ascii_digit()).then_some(inner))
        {
            // `[pid 1234:tid 5678]`; Apache 2.0's modules wrote the bare `[1234]`.
            if ev.pid.is_none() {
                ev.pid = Some(pid.split(':').next().unwrap_or(pid).into());
            }
        } else if let Some((module, level)) = inner.split_once(':') {
            if !module.is_empty() {
                ev.field("module", module);
            }
            ev.field("level", level);
        } else {
            ev.field("level", inner);
        }
        text = after;
    }
    // nginx: `1234#0: *5 ` (process, thread, connection).
    if let Some((process, after)) = text.split_once(": ")
        && process.contains('#')
        && process.bytes().all(|b| b.is_ascii_digit() || b == b'#')
    {
        text = after
            .trim_start_matches(|c: char| c == '*' || c.is_ascii_digit())
            .trim_start();
    }
    let (text, context) = match text.find(", client: ") {
        Some(i) => (&text[..i], &text[i + 2..]),
        None => (text, ""),
    };
    // Apache ends a line with the page that linked to the request.
    let text = match text.rsplit_once(", referer: ") {
        Some((text, referrer)) => {
            ev.field("referrer", referrer);
            text
        }
        None => text,
    };
    nginx_context(context, ev);
    if let Some((code, after)) = text.split_once(": ")
        && code.len() == 7
        && code.starts_with("AH")
    {
        ev.field("error_code", code);
        auth_failure(after, ev);
    } else {
        auth_failure(text, ev);
    }
    if let Some(i) = text.find("ModSecurity: ") {
        modsecurity(&text[i + 13..], ev);
    }
    if ev.get_field("event").is_none() {
        ev.field("event", "http_error");
    }
}

fn endpoint<'a>(client: &'a str, ev: &mut Event<'a>) {
    // Apache 2.2 writes the address alone, an IPv6 one unbracketed.
    let (address, port) = split_endpoint(client, false);
    put_address(ev, address, true);
    if let Some(port) = port.and_then(|p| p.parse().ok()) {
        ev.src_port = Some(port);
    }
}

/// nginx's `client: a, server: s, request: "GET / HTTP/1.1", upstream: "u", host: "h"`.
fn nginx_context<'a>(context: &'a str, ev: &mut Event<'a>) {
    let mut rest = context;
    while let Some((key, after)) = rest.split_once(": ") {
        let (value, next) = match quoted(after) {
            Some((v, next)) => (v, next),
            None => match after.find(", ") {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            },
        };
        match key {
            "client" => put_address(ev, value, true),
            "server" => ev.field("server_name", value),
            "request" => request_line(value, ev),
            "host" => ev.field("http_host", value),
            "upstream" => ev.field("upstream", value),
            "referrer" => ev.field("referrer", value),
            _ => ev.field(key, value),
        }
        rest = next.trim_start_matches(", ");
    }
}

/// HTTP authentication refused: nginx `user "an" was not found in "/etc/nginx/.htpasswd"`,
/// `user "an": password mismatch`; Apache `user an: authentication failure for "/admin":
/// Password Mismatch`, `user an not found: /admin`, `auth_ldap authenticate: user an
/// authentication failed; URI /x`.
fn auth_failure<'a>(text: &'a str, ev: &mut Event<'a>) {
    const FAILED: [&str; 5] = [
        "not found",
        "password mismatch",
        "Password Mismatch",
        "authentication failure",
        "authentication failed",
    ];
    if !FAILED.iter().any(|sign| text.contains(sign)) {
        return;
    }
    // Only where the module's own sentence starts: a request path may hold ` user x not found`.
    let sentence = ["Digest: ", "auth_ldap authenticate: "]
        .iter()
        .find_map(|module| text.strip_prefix(module))
        .unwrap_or(text);
    let Some(after) = sentence.strip_prefix("user ") else {
        return;
    };
    let user = match after.strip_prefix('"') {
        Some(quoted) => quoted.split_once('"').map(|(user, _)| user),
        // mod_auth_digest quotes as `username'.
        None => match after.strip_prefix('`') {
            Some(quoted) => quoted.split_once('\'').map(|(user, _)| user),
            None => after.split([':', ' ', ';']).next(),
        },
    };
    if let Some(user) = user.filter(|u| !u.is_empty()) {
        set_user(ev, user);
        ev.outcome = Some(FAILURE);
        ev.field("event", "http_auth");
    }
}

/// `Access denied with code 403 (phase 2). ... [id "942100"] [msg "SQL Injection ..."]
/// [severity "CRITICAL"] [uri "/x"] [unique_id "..."]`, or `Warning. ...` when it only detected.
fn modsecurity<'a>(text: &'a str, ev: &mut Event<'a>) {
    let action = if text.starts_with("Access denied") {
        "deny"
    } else {
        "alert"
    };
    ev.action = Some(action.into());
    let mut rest = text;
    while let Some(i) = rest.find(" [") {
        let Some((tag, after)) = rest[i + 2..].split_once(" \"") else {
            break;
        };
        let Some((value, after)) = after.split_once("\"]") else {
            break;
        };
        match tag {
            "msg" if ev.rule_name.is_none() => ev.rule_name = Some(value.into()),
            "id" => ev.field("rule_id", value),
            "severity" => ev.field("rule_severity", value),
            // nginx's own `request:` named the whole target already.
            "uri" if ev.get_field("url").is_none() => ev.field("url", value),
            "uri" => {}
            "hostname" => ev.field("http_host", value),
            "unique_id" => ev.field("unique_id", value),
            "tag" | "file" | "line" | "ver" | "rev" | "data" | "maturity" | "accuracy" => {}
            _ => ev.field(tag, value),
        }
        rest = after;
    }
    ev.field("event", "waf");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseStatus;
    use crate::firewall::test_support::parse;

    #[test]
    fn access_lines_through_syslog_and_from_files() {
        let ev = parse(
            r#"<190>Nov 28 10:00:00 web01 nginx: 203.0.113.5 - - [28/Nov/2026:10:00:00 +0700] "GET /tin-tuc.php?id=1%27%20UNION%20SELECT HTTP/1.1" 200 5120 "-" "sqlmap/1.7.2#stable (https://sqlmap.org)""#,
        );
        assert_eq!(ev.source_type, SourceType::WebServer);
        assert_eq!(ev.status, ParseStatus::Ok);
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.5"));
        assert_eq!(ev.get_field("http_method"), Some("GET"));
        assert_eq!(ev.get_field("url_path"), Some("/tin-tuc.php"));
        assert_eq!(ev.get_field("url_query"), Some("id=1%27%20UNION%20SELECT"));
        assert_eq!(ev.get_field("http_status"), Some("200"));
        assert_eq!(ev.bytes_in, Some(5120));
        assert_eq!(
            ev.get_field("user_agent"),
            Some("sqlmap/1.7.2#stable (https://sqlmap.org)")
        );
        assert_eq!(ev.get_field("referrer"), None);
        // The header dated the record; a file line is dated by its own time (10:00 at +07:00).
        let ev = parse(
            r#"198.51.100.7 - an [28/Nov/2026:10:00:01 +0700] "POST /wp-login.php HTTP/1.1" 401 0 "https://portal.example.vn/" "Mozilla/5.0 (X11; Linux x86_64)" 0.012"#,
        );
        assert_eq!(ev.source_type, SourceType::WebServer);
        assert_eq!(ev.ts, Some(1_795_834_801_000_000));
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.get_field("referrer"), Some("https://portal.example.vn/"));
        assert_eq!(ev.get_field("extra"), Some("0.012"));
        let ev = parse(
            r#"10.0.0.5 - - [1/Apr/2014:00:00:01 -0500] "GET /.git/config HTTP/1.1" 404 181 "-" "Mozilla/5.0 (X11)""#,
        );
        assert_eq!(ev.ts, Some(1_396_328_401_000_000));
        assert_eq!(ev.get_field("url"), Some("/.git/config"));
        // nginx's `main` format behind a proxy, and a host and forwarded list in front.
        let ev = parse(
            r#"<190>Nov 28 10:00:03 web01 nginx: 10.0.0.2 - - [28/Nov/2026:10:00:03 +0700] "GET / HTTP/1.1" 200 612 "-" "curl/8.5.0" "203.0.113.77""#,
        );
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.0.2"));
        assert_eq!(ev.get_field("forwarded_for"), Some("203.0.113.77"));
        assert_eq!(ev.get_field("extra"), None);
        let ev = parse(
            r#"example.com 10.0.0.2, 10.0.0.1, 127.0.0.1 - - [07/Dec/2016:11:05:07 +0100] "GET /ocelot HTTP/1.1" 200 571 "-" "Mozilla/5.0""#,
        );
        assert_eq!(ev.src_ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(ev.get_field("vhost"), Some("example.com"));
        assert_eq!(ev.get_field("forwarded_for"), Some("10.0.0.2, 10.0.0.1"));

        // Apache's vhost_combined, an IPv6 client, and a request that is not HTTP.
        let ev = parse(
            r#"<134>Nov 28 10:00:02 web02 apache2: portal.example.vn:443 2001:db8::7 - - [28/Nov/2026:10:00:02 +0700] "\x16\x03\x01\x02" 400 226 "-" "-""#,
        );
        assert_eq!(ev.get_field("vhost"), Some("portal.example.vn:443"));
        assert_eq!(ev.src_ip.as_deref(), Some("2001:db8::7"));
        assert_eq!(ev.get_field("request"), Some(r"\x16\x03\x01\x02"));
        assert_eq!(ev.get_field("http_method"), None);
        assert_eq!(ev.get_field("http_status"), Some("400"));
    }

    #[test]
    fn error_lines_auth_failures_and_modsecurity() {
        let ev = parse(
            r#"2026/11/28 10:00:03 [error] 1234#1234: *5 user "admin" was not found in "/etc/nginx/.htpasswd", client: 198.51.100.9, server: quantri.example.vn, request: "GET /admin/ HTTP/1.1", host: "quantri.example.vn""#,
        );
        assert_eq!(ev.source_type, SourceType::WebServer);
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.outcome, Some(FAILURE));
        assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.9"));
        assert_eq!(ev.get_field("url"), Some("/admin/"));
        assert_eq!(ev.get_field("http_host"), Some("quantri.example.vn"));
        assert_eq!(ev.get_field("level"), Some("error"));
        assert_eq!(ev.get_field("event"), Some("http_auth"));
        let ev = parse(
            r#"<131>Nov 28 10:00:04 web02 httpd[2211]: [auth_basic:error] [pid 2211:tid 140] [client 198.51.100.10:50122] AH01617: user ketoan: authentication failure for "/quan-tri": Password Mismatch"#,
        );
        assert_eq!(ev.user.as_deref(), Some("ketoan"));
        assert_eq!(ev.outcome, Some(FAILURE));
        assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.10"));
        assert_eq!(ev.src_port, Some(50122));
        assert_eq!(ev.get_field("error_code"), Some("AH01617"));
        assert_eq!(ev.get_field("module"), Some("auth_basic"));
        let ev = parse(
            r#"[Sat Nov 28 10:00:05.123456 2026] [security2:error] [pid 2212] [client 45.155.205.233:40000] [client 45.155.205.233] ModSecurity: Access denied with code 403 (phase 2). detected SQLi using libinjection with fingerprint 's&sos' [file "/etc/modsecurity/crs/REQUEST-942-APPLICATION-ATTACK-SQLI.conf"] [line "65"] [id "942100"] [msg "SQL Injection Attack Detected via libinjection"] [data "Matched Data: s&sos found within ARGS:id: 1' union select"] [severity "CRITICAL"] [ver "OWASP_CRS/3.3.4"] [tag "attack-sqli"] [hostname "portal.example.vn"] [uri "/tin-tuc.php"] [unique_id "ZWc1"]"#,
        );
        assert_eq!(ev.source_type, SourceType::WebServer);
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(
            ev.rule_name.as_deref(),
            Some("SQL Injection Attack Detected via libinjection")
        );
        assert_eq!(ev.get_field("rule_id"), Some("942100"));
        assert_eq!(ev.get_field("rule_severity"), Some("CRITICAL"));
        assert_eq!(ev.get_field("url"), Some("/tin-tuc.php"));
        assert_eq!(ev.src_ip.as_deref(), Some("45.155.205.233"));
        assert_eq!(ev.src_port, Some(40000));
        assert_eq!(ev.get_field("event"), Some("waf"));
        let ev = parse(
            "[Mon Dec 19 19:29:17 2005] [warn] [client 85.98.37.115] [315546] auth_ldap authenticate: user administrator authentication failed; URI /exam/inter/Announce.htm [User not found][No such object], referer: http://www.example.edu/",
        );
        assert_eq!(ev.user.as_deref(), Some("administrator"));
        assert_eq!(ev.outcome, Some(FAILURE));
        assert_eq!(ev.pid.as_deref(), Some("315546"));
        assert_eq!(ev.get_field("referrer"), Some("http://www.example.edu/"));
        // A path that holds an authentication failure's words is no failure.
        let ev = parse(
            "[Sat Jun 01 02:17:42 2013] [error] [client 192.168.33.1] File does not exist: /srv/http/site/[client 192.168.0.1] user root not found",
        );
        assert_eq!((ev.user, ev.outcome), (None, None));
        assert_eq!(ev.src_ip.as_deref(), Some("192.168.33.1"));
        let ev = parse(
            "[Sat Jul 20 21:45:28.890523 2013] [auth_digest:error] [pid 17540:tid 1398] [client 2606:2800:220:1:248:1893:25c8:1946] AH01790: user `username' in realm `digest private area' not found: /digest/",
        );
        assert_eq!(ev.user.as_deref(), Some("username"));
        assert_eq!(
            ev.src_ip.as_deref(),
            Some("2606:2800:220:1:248:1893:25c8:1946")
        );
        assert_eq!(ev.src_port, None);
        // Other tags are not web servers; other error lines keep their text.
        let ev = parse(
            "<131>Nov 28 10:00:06 web02 nginx: [emerg] 1#1: bind() to 0.0.0.0:80 failed (98: Address in use)",
        );
        assert_eq!(ev.source_type, SourceType::WebServer);
        assert_eq!(ev.get_field("level"), Some("emerg"));
        assert_eq!(ev.get_field("event"), Some("http_error"));
    }
}
