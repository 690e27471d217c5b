//! HAProxy, the load balancer in front of many portals: its HTTP log (`10.0.1.2:33317
//! [06/Feb/2026:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0
//! "GET /index.html HTTP/1.1"`) and TCP log. Behind it the web servers see only the balancer's
//! address; here is the client's.
//!
//! The request uses the web servers' field names (`http_method`, `url`, `http_status`), so
//! Sigma's webserver rules read it; the frontend, backend and server, the timers and HAProxy's
//! termination state go to `fields`. A request HAProxy itself refused (`PR--`, a deny rule) is
//! `action=deny`.

use crate::event::{Event, SourceType};
use crate::firewall::split_endpoint;
use crate::linux::web::request_line;
use crate::payload::{PayloadParser, put_address};

/// HAProxy's HTTP and TCP logs.
pub struct HaProxy;

impl PayloadParser for HaProxy {
    fn source_type(&self) -> SourceType {
        SourceType::HaProxy
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        match app {
            Some(app) => app == "haproxy",
            // A log file: `client:port [06/Feb/2026:12:14:14.655] `.
            None => accept_date(message).is_some(),
        }
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let message = message.trim();
        let (client, date, rest) = accept_date(message).ok_or("not an HAProxy traffic log line")?;
        client_address(client, ev);
        ev.field("accept_time", date);
        let mut words = rest.split(' ');
        let frontend = words.next().ok_or("no frontend")?;
        // `~` marks a frontend that terminated TLS.
        ev.field("frontend", frontend.trim_end_matches('~'));
        let (backend, server) = words
            .next()
            .and_then(|w| w.split_once('/'))
            .ok_or("no backend/server")?;
        ev.field("backend", backend);
        if server != "<NOSRV>" {
            ev.field("server", server);
        }
        // Timers (`Tq/Tw/Tc/Tr/Ta` for HTTP, `Tw/Tc/Tt` for TCP), after an optional host name.
        let mut timers = words.next().ok_or("no timers")?;
        if !is_timers(timers) {
            ev.field("http_host", timers);
            timers = words.next().ok_or("no timers")?;
        }
        ev.field("timers", timers);
        let http = timers.split('/').count() >= 4;
        if http
            && let Some(status) = words
                .next()
                .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        {
            ev.field("http_status", status);
        }
        // Bytes sent to the client: what the source received.
        ev.bytes_in = words.next().and_then(|b| b.parse().ok());
        if http {
            let _request_cookie = words.next();
            let _response_cookie = words.next();
        }
        if let Some(state) = words.next() {
            ev.field("termination_state", state);
            // `P`: HAProxy itself stopped the session (a deny rule, a tarpit, a bad request).
            if state.starts_with('P') {
                ev.action = Some("deny".into());
            }
        }
        let conns = words.next();
        let queues = words.next();
        if let (Some(conns), Some(queues)) = (conns, queues) {
            ev.field("connections", conns);
            ev.field("queues", queues);
        }
        if http {
            // Captured headers in `{...}`, then the quoted request line.
            if let Some(start) = rest.find(" \"") {
                let request = rest[start + 2..].trim_end();
                let request = request.strip_suffix('"').unwrap_or(request);
                request_line(request, ev);
            }
        }
        ev.field("event", if http { "http_request" } else { "tcp_session" });
        Ok(())
    }
}

/// `client:port [accept date] ` and what follows: the client, the date, the rest.
fn accept_date(message: &str) -> Option<(&str, &str, &str)> {
    let (client, rest) = message.split_once(" [")?;
    let (date, rest) = rest.split_once("] ")?;
    let b = date.as_bytes();
    let dated = b.len() >= 20
        && b[2] == b'/'
        && b[6] == b'/'
        && b[11] == b':'
        && b[..2].iter().all(u8::is_ascii_digit);
    (dated && client.contains(':') && !client.contains(' ')).then_some((client, date, rest))
}

fn client_address<'a>(client: &'a str, ev: &mut Event<'a>) {
    let (address, port) = split_endpoint(client, true);
    if address != "-" {
        put_address(ev, address, true);
    }
    ev.src_port = port.and_then(|p| p.parse().ok());
}

fn is_timers(word: &str) -> bool {
    word.contains('/')
        && word
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'/' || b == b'-' || b == b'+')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseStatus;
    use crate::firewall::test_support::parse;

    #[test]
    fn http_and_tcp_logs() {
        let ev = parse(
            r#"Feb  6 12:14:14 lb01 haproxy[14389]: 203.0.113.5:33317 [06/Feb/2026:12:14:14.655] http-in~ portal/web01 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 {portal.example.vn} {} "GET /tin-tuc.php?id=1 HTTP/1.1""#,
        );
        assert_eq!(ev.source_type, SourceType::HaProxy);
        assert_eq!(ev.status, ParseStatus::Ok);
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.5"));
        assert_eq!(ev.src_port, Some(33317));
        assert_eq!(ev.get_field("frontend"), Some("http-in"));
        assert_eq!(ev.get_field("backend"), Some("portal"));
        assert_eq!(ev.get_field("server"), Some("web01"));
        assert_eq!(ev.get_field("http_status"), Some("200"));
        assert_eq!(ev.bytes_in, Some(2750));
        assert_eq!(ev.get_field("http_method"), Some("GET"));
        assert_eq!(ev.get_field("url_query"), Some("id=1"));
        assert_eq!(ev.get_field("termination_state"), Some("----"));
        assert_eq!(ev.action, None);
        // A host name before the timers, an unknown client, a request HAProxy denied.
        let ev = parse(
            r#"May 22 02:22:22 lb01 haproxy[5089]: -:22222 [22/May/2026:02:22:22.222] www-https~ myapp/<NOSRV> site.example.vn 0/-1/-1/-1/0 403 212 - - PR-- 222/222/2/0/0 0/0 "GET /wp-admin/ HTTP/1.1""#,
        );
        assert_eq!(ev.src_ip, None);
        assert_eq!(ev.get_field("http_host"), Some("site.example.vn"));
        assert_eq!(ev.get_field("server"), None);
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.get_field("url"), Some("/wp-admin/"));
        // TCP mode, read as a file.
        let ev = parse(
            "10.0.1.2:33313 [06/Feb/2026:12:12:51.443] fnt bck/srv1 0/0/5007 212 -- 0/0/0/0/3 0/0",
        );
        assert_eq!(ev.source_type, SourceType::HaProxy);
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.1.2"));
        assert_eq!(ev.bytes_in, Some(212));
        assert_eq!(ev.get_field("termination_state"), Some("--"));
        assert_eq!(ev.get_field("event"), Some("tcp_session"));
        // HAProxy's own messages are kept as they are.
        let ev = parse("Nov 28 10:00:00 lb01 haproxy[99]: Proxy portal started.");
        assert_eq!(ev.status, ParseStatus::Partial);
        assert_eq!(ev.message.as_deref(), Some("Proxy portal started."));
    }
}
