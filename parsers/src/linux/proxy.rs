//! Web proxies: Squid's access log, in its native format (`1732780800.123 150 10.20.3.14
//! TCP_MISS/200 5120 GET http://example.vn/ an HIER_DIRECT/203.0.113.5 text/html`) or the
//! Apache-style combined one, through syslog or read as a file. Departments reach the Internet
//! through the province's proxy; a download from a malware host or a beacon to a C2 address
//! leaves its line here.
//!
//! Request fields use the web servers' names (`http_method`, `url`, `http_status`,
//! `user_agent`), plus `http_host` (the site asked for) and the cache's verdict; a request the
//! proxy refused (`TCP_DENIED`) is `action=deny`.

use crate::event::{Event, SourceType};
use crate::payload::{PayloadParser, put_address, set_user};
use crate::time::epoch_micros;

/// Squid.
pub struct Proxy;

impl PayloadParser for Proxy {
    fn source_type(&self) -> SourceType {
        SourceType::Proxy
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        match app {
            Some(app) => matches!(app, "squid" | "squid3" | "squid-access"),
            // `access.log` read as a file: an epoch time with milliseconds first.
            None => native_fields(message).is_some(),
        }
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let message = message.trim();
        if let Some(fields) = native_fields(message) {
            native(fields, ev);
            return Ok(());
        }
        // Squid's `logformat combined` is the web servers' line with the cache verdict after.
        if crate::linux::web::WebServer.claims(None, message) {
            return crate::linux::web::WebServer.parse(message, ev);
        }
        Err("not a Squid access log line")
    }
}

/// The ten words of a native line, when it is one: `time elapsed client code/status bytes
/// method URL user hierarchy/peer type`.
fn native_fields(message: &str) -> Option<[&str; 10]> {
    let mut words = message.split_ascii_whitespace();
    let time = words.next()?;
    let (seconds, millis) = time.split_once('.')?;
    if seconds.len() < 9
        || !seconds.bytes().all(|b| b.is_ascii_digit())
        || !millis.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut out = [time, "", "", "", "", "", "", "", "", ""];
    for slot in out.iter_mut().skip(1) {
        *slot = words.next()?;
    }
    out[3].contains('/').then_some(out)
}

fn native<'a>(f: [&'a str; 10], ev: &mut Event<'a>) {
    let [
        time,
        elapsed,
        client,
        code,
        bytes,
        method,
        url,
        user,
        hierarchy,
        content_type,
    ] = f;
    // The request's own time, in UTC to the millisecond: better than a syslog header's.
    if let Some(ts) = epoch_micros(time) {
        ev.ts = Some(ts);
    }
    ev.field("elapsed_ms", elapsed);
    put_address(ev, client, true);
    let (cache_result, status) = code.split_once('/').unwrap_or((code, ""));
    ev.field("cache_result", cache_result);
    if !status.is_empty() && status != "000" {
        ev.field("http_status", status);
    }
    // `NONE/400`, `NONE/405`: the proxy answered an error itself, forwarding nothing.
    ev.action = if cache_result.contains("DENIED") {
        Some("deny".into())
    } else if cache_result.starts_with("NONE") {
        None
    } else {
        Some("allow".into())
    };
    // What the proxy sent the client: the bytes the source received.
    ev.bytes_in = bytes.parse().ok();
    ev.field("http_method", method);
    ev.field("url", url);
    if let Some(host) = url_host(method, url) {
        ev.field("http_host", host);
    }
    if user != "-" {
        set_user(ev, user);
    }
    if let Some((hierarchy, peer)) = hierarchy.split_once('/') {
        ev.field("hierarchy", hierarchy);
        if peer != "-" {
            put_address(ev, peer, false);
        }
    }
    if content_type != "-" {
        ev.field("content_type", content_type);
    }
    ev.field("event", "http_request");
}

/// The site a request names: `www.example.vn` of `CONNECT www.example.vn:443` or of
/// `http://www.example.vn:8080/path`.
fn url_host<'a>(method: &str, url: &'a str) -> Option<&'a str> {
    // `error:method-not-allowed`: Squid's note in place of a URL it refused to read.
    if url.starts_with("error:") {
        return None;
    }
    let authority = if method == "CONNECT" {
        url
    } else {
        let after_scheme = url.split_once("://")?.1;
        after_scheme.split(['/', '?']).next()?
    };
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseStatus;
    use crate::firewall::test_support::parse;

    #[test]
    fn native_lines_through_syslog_and_from_files() {
        let ev = parse(
            "<166>Nov 28 10:00:00 proxy01 squid[1234]: 1795834800.123    150 10.20.3.14 TCP_MISS/200 5120 GET http://update.example.vn/file.exe an.nguyen HIER_DIRECT/203.0.113.5 application/octet-stream",
        );
        assert_eq!(ev.source_type, SourceType::Proxy);
        assert_eq!(ev.status, ParseStatus::Ok);
        assert_eq!(ev.src_ip.as_deref(), Some("10.20.3.14"));
        assert_eq!(ev.dst_ip.as_deref(), Some("203.0.113.5"));
        assert_eq!(ev.user.as_deref(), Some("an.nguyen"));
        assert_eq!(ev.action.as_deref(), Some("allow"));
        assert_eq!(ev.bytes_in, Some(5120));
        assert_eq!(ev.get_field("http_status"), Some("200"));
        assert_eq!(ev.get_field("http_host"), Some("update.example.vn"));
        assert_eq!(ev.get_field("cache_result"), Some("TCP_MISS"));
        assert_eq!(
            ev.get_field("content_type"),
            Some("application/octet-stream")
        );
        let ev = parse(
            "1795834801.5 12 10.20.3.15 TCP_DENIED/403 3900 CONNECT c2.example.net:443 - HIER_NONE/- text/html",
        );
        assert_eq!(ev.source_type, SourceType::Proxy);
        assert_eq!(ev.ts, Some(1_795_834_801_500_000));
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.get_field("http_host"), Some("c2.example.net"));
        assert_eq!(ev.dst_ip, None);
        assert_eq!(ev.user, None);
        // Squid writing the combined format.
        let ev = parse(
            r#"<166>Nov 28 10:00:02 proxy01 squid[1234]: 10.20.3.16 - - [28/Nov/2026:10:00:02 +0700] "GET http://example.com/ HTTP/1.1" 200 612 "-" "Mozilla/5.0" TCP_MISS:HIER_DIRECT"#,
        );
        assert_eq!(ev.source_type, SourceType::Proxy);
        assert_eq!(ev.src_ip.as_deref(), Some("10.20.3.16"));
        assert_eq!(ev.get_field("user_agent"), Some("Mozilla/5.0"));
        // Squid's other lines are kept as they are.
        let ev =
            parse("<166>Nov 28 10:00:03 proxy01 squid[1234]: Starting Squid Cache version 6.6");
        assert_eq!(ev.status, ParseStatus::Partial);
        assert_eq!(
            ev.message.as_deref(),
            Some("Starting Squid Cache version 6.6")
        );
    }

    #[test]
    fn hosts_of_requests() {
        assert_eq!(url_host("GET", "http://a.vn:8080/x?y"), Some("a.vn"));
        assert_eq!(url_host("GET", "https://u:p@b.vn/"), Some("b.vn"));
        assert_eq!(
            url_host("CONNECT", "[2001:db8::1]:443"),
            Some("2001:db8::1")
        );
        assert_eq!(url_host("GET", "/relative"), None);
        assert_eq!(url_host("CONNECT", "error:method-not-allowed"), None);
    }
}
