//! WatchGuard Firebox in its own syslog format (its CEF and LEEF are read by the CEF parser):
//! `801002AA7F0B9 (2026-11-28T03:00:00) firewall: msg_id="3000-0148" Deny 0-External Firebox 40
//! tcp 20 240 203.0.113.9 198.51.100.1 4444 22 offset 5 S 1234 win 1024 (Unhandled External
//! Packet-00)`. After the message id come the verdict and the two interfaces, then (for packet
//! logs) length, protocol, header length and TTL, then the addresses and ports; proxies add
//! `key="value"` pairs; the policy ends the record in parentheses. Authentication messages of
//! `admd` are sentences. The device's serial number may stand where syslog has its tag, with
//! the process after the device's own time stamp.

use std::borrow::Cow;
use std::sync::LazyLock;

use super::kv::{Dialect, pairs};
use super::{Col, Sentences, capture_column, put};
use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use crate::payload::PayloadParser;

/// WatchGuard Firebox (Fireware) native syslog.
pub struct WatchGuard;

const MSG_ID: &str = "msg_id=\"";

/// Authentication and DHCP sentences, which name the user and address only in text (the same
/// in the native format and in WatchGuard's CEF and LEEF).
#[rustfmt::skip]
static MESSAGES: &[(&str, &str, Option<&str>)] = &[
    ("", "Authentication of {service} user [{user}] from {src} was accepted{*}", Some(SUCCESS)),
    ("", "Authentication of {service} user [{user}] from {src} was rejected{*}", Some(FAILURE)),
    ("", "{service} user {user} from {src} logged out{*}", None),
    ("", "{service} User {user} from {src} log in attempt was rejected{*}", Some(FAILURE)),
    ("", "{service} User {user} from {src} logged in{*}", Some(SUCCESS)),
    ("", "{service} user {user} from {src} logged in{*}", Some(SUCCESS)),
    ("", "DHCPACK on {src} to {*}", None),
    ("", "DHCPREQUEST for {src} from {*}", None),
];

static MESSAGE_SET: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(MESSAGES));

/// Reads one of [`MESSAGES`] into the event; false when none matched.
pub(crate) fn read_message<'a>(msg: &'a str, ev: &mut Event<'a>) -> bool {
    if !MESSAGE_SET.apply("", msg, ev, capture_column) {
        return false;
    }
    // `john@example.org@radius`: the account, then the authentication server.
    if let Some(Cow::Borrowed(user)) = ev.user
        && let Some((account, server)) = user.rsplit_once('@')
        && !account.is_empty()
        && !server.contains('.')
    {
        // The account may itself be `name@domain`: stored as any other account is.
        ev.user = None;
        put(ev, Col::User, "user", Cow::Borrowed(account));
        ev.field("auth_server", server);
    }
    true
}

/// Where a proxy's `key="value"` goes.
fn column(key: &str) -> Option<Col> {
    Some(match key {
        "sent_bytes" => Col::BytesOut,
        "rcvd_bytes" => Col::BytesIn,
        "src_user" => Col::User,
        "msg" => Col::Message,
        _ => return None,
    })
}

/// The text from `msg_id="` on, with the process that wrote it when the serial number took the
/// tag's place (`(2026-11-28T03:00:00) firewall: msg_id=...`).
fn locate(message: &str) -> Option<(Option<&str>, Option<&str>, &str)> {
    let m = message.trim_start();
    if m.starts_with(MSG_ID) {
        return Some((None, None, m));
    }
    let (stamp, rest) = m.strip_prefix('(')?.split_once(") ")?;
    let (process, rest) = rest.split_once(": ")?;
    let process = process.split('[').next().unwrap_or(process);
    (rest.starts_with(MSG_ID) && !process.contains(' ')).then_some((
        Some(stamp),
        Some(process),
        rest,
    ))
}

impl PayloadParser for WatchGuard {
    fn source_type(&self) -> SourceType {
        SourceType::WatchGuard
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        // A tag and text already, or the serial number (hexadecimal) in the tag's place.
        app.is_some()
            && (message.trim_start().starts_with(MSG_ID)
                || (message.starts_with('(') && locate(message).is_some()))
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let (stamp, process, text) = locate(message).ok_or("no WatchGuard msg_id")?;
        if let Some(process) = process {
            if let Some(serial) = ev.app.take() {
                ev.field("serial", serial);
            }
            ev.app = Some(Cow::Borrowed(process));
        }
        if let Some(stamp) = stamp {
            ev.field("device_time", stamp);
        }
        let after = &text[MSG_ID.len()..];
        let (id, rest) = after.split_once('"').ok_or("unterminated msg_id")?;
        ev.msgid = Some(Cow::Borrowed(id));
        let rest = rest.trim();
        ev.message = Some(Cow::Borrowed(rest));
        if read_message(rest, ev) {
            return Ok(());
        }
        // A proxy's `msg="..."` is the message; without one the text stays.
        ev.message = None;
        // The policy in parentheses at the very end.
        let (body, policy) = match rest.strip_suffix(')').and_then(|r| r.rsplit_once(" (")) {
            Some((body, policy)) => (body, Some(policy)),
            None => (rest, None),
        };
        if let Some(policy) = policy {
            put(ev, Col::RuleName, "policy", Cow::Borrowed(policy));
        }
        // Positional words up to the first `key="value"`; the pairs after.
        let split = body
            .find("=\"")
            .and_then(|eq| body[..eq].rfind(' '))
            .unwrap_or(body.len());
        let (words, attrs) = body.split_at(split);
        positional(words, ev);
        for (key, value) in pairs(attrs, b' ', Dialect::Quoted) {
            match column(key) {
                Some(col) => put(ev, col, key, value),
                None => ev.field(key, value),
            }
        }
        if ev.message.is_none() {
            ev.message = Some(Cow::Borrowed(rest));
        }
        Ok(())
    }
}

/// `Deny 0-External Firebox 40 tcp 20 240 203.0.113.9 198.51.100.1 4444 22 offset 5 S ...`
/// or, in connection logs, `Allow 1-Trusted 0-External tcp 10.0.1.2 203.0.113.5 60123 443`.
fn positional<'a>(words: &'a str, ev: &mut Event<'a>) {
    let w: Vec<&'a str> = words.split(' ').filter(|w| !w.is_empty()).collect();
    let Some(verdict) = w.first() else {
        return;
    };
    put(ev, Col::Action, "disposition", Cow::Borrowed(verdict));
    if let Some(i) = w.get(1) {
        put(ev, Col::InIface, "src_intf", Cow::Borrowed(i));
    }
    if let Some(o) = w.get(2) {
        put(ev, Col::OutIface, "dst_intf", Cow::Borrowed(o));
    }
    let is_ip = |s: &str| s.parse::<std::net::IpAddr>().is_ok();
    let Some(at) = w.iter().position(|s| is_ip(s)) else {
        return;
    };
    // The protocol is the word between the interfaces and the addresses that is not a number.
    let proto = w[3.min(at)..at]
        .iter()
        .find(|s| s.bytes().any(|c| c.is_ascii_alphabetic()));
    if let Some(proto) = proto {
        put(ev, Col::Protocol, "protocol", Cow::Borrowed(proto));
    }
    // After ICMP's addresses come its type and code, not ports.
    let icmp = proto.is_some_and(|p| p.to_ascii_lowercase().starts_with("icmp"));
    if let Some(len) = w[3.min(at)..at]
        .first()
        .filter(|s| s.bytes().all(|c| c.is_ascii_digit()))
    {
        put(ev, Col::BytesOut, "length", Cow::Borrowed(len));
        put(ev, Col::Packets, "packets", Cow::Borrowed("1"));
    }
    put(ev, Col::SrcIp, "src_ip", Cow::Borrowed(w[at]));
    if let Some(dst) = w.get(at + 1).filter(|s| is_ip(s)) {
        put(ev, Col::DstIp, "dst_ip", Cow::Borrowed(dst));
        let port = |s: &&&str| s.bytes().all(|c| c.is_ascii_digit()) && !s.is_empty();
        if let (Some(a), Some(b)) = (w.get(at + 2).filter(port), w.get(at + 3).filter(port)) {
            if icmp {
                ev.field("icmp_type", *a);
                ev.field("icmp_code", *b);
            } else {
                put(ev, Col::SrcPort, "src_port", Cow::Borrowed(a));
                put(ev, Col::DstPort, "dst_port", Cow::Borrowed(b));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn every_sentence_compiles() {
        assert_eq!(MESSAGE_SET.len(), MESSAGES.len());
    }

    #[test]
    fn packet_log_with_the_serial_in_the_tags_place() {
        let ev = parse(
            r#"<140>Nov 28 10:00:00 WG-FB 801002AA7F0B9 (2026-11-28T03:00:00) firewall: msg_id="3000-0148" Deny 0-External Firebox 40 tcp 20 240 203.0.113.9 198.51.100.1 4444 22 offset 5 S 1234 win 1024 (Unhandled External Packet-00)"#,
        );
        assert_eq!(ev.source_type, SourceType::WatchGuard);
        assert_eq!(ev.host.as_deref(), Some("WG-FB"));
        assert_eq!(ev.app.as_deref(), Some("firewall"));
        assert_eq!(ev.get_field("serial"), Some("801002AA7F0B9"));
        assert_eq!(ev.msgid.as_deref(), Some("3000-0148"));
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.in_iface.as_deref(), Some("0-External"));
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("203.0.113.9"), Some(4444))
        );
        assert_eq!(
            (ev.dst_ip.as_deref(), ev.dst_port),
            (Some("198.51.100.1"), Some(22))
        );
        assert_eq!(
            ev.rule_name.as_deref(),
            Some("Unhandled External Packet-00")
        );
        assert_eq!((ev.bytes_out, ev.packets), (Some(40), Some(1)));
    }

    #[test]
    fn proxy_pairs_and_logins() {
        let ev = parse(
            r#"<142>Nov 28 10:00:00 WG-FB http-proxy[2079]: msg_id="1AFF-0024" Allow 1-Trusted 0-External tcp 10.0.1.2 198.51.100.7 61032 80 msg="ProxyAllow: HTTP Request categories" proxy_act="HTTP-Client.Standard" cats="Search Engines" op="GET" dstname="www.example.com" arg="/" geo_dst="USA" (HTTP-proxy-00)"#,
        );
        assert_eq!(ev.source_type, SourceType::WatchGuard);
        assert_eq!(ev.action.as_deref(), Some("allow"));
        assert_eq!(ev.dst_port, Some(80));
        assert_eq!(ev.rule_name.as_deref(), Some("HTTP-proxy-00"));
        assert_eq!(ev.get_field("dstname"), Some("www.example.com"));
        assert_eq!(
            ev.message.as_deref(),
            Some("ProxyAllow: HTTP Request categories")
        );
        let ev = parse(
            r#"<142>Nov 28 10:00:00 WG-FB admd[1234]: msg_id="1100-0004" Authentication of Firebox user [admin@Firebox-DB] from 203.0.113.9 was rejected, password is incorrect"#,
        );
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.get_field("auth_server"), Some("Firebox-DB"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.outcome, Some("failure"));
        // Text that only mentions a msg_id further on is not WatchGuard.
        let ev = parse(r#"<13>Nov 28 10:00:00 web01 app: saw msg_id="1" here"#);
        assert_eq!(ev.source_type, SourceType::Syslog);
    }
}
