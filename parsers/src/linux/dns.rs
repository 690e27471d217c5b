//! DNS servers: BIND's query and security logs (`client @0x55d1 10.0.0.5#51234 (example.vn):
//! query: example.vn IN A +E(0)K (10.0.0.53)`, refused queries and zone transfers), dnsmasq's
//! (Pi-hole's) `query[A] name from 10.0.0.5` and replies, and Unbound's query and reply lines.
//! A workstation asking for a command-and-control domain, or an outsider pulling the province's
//! zones, shows here first.
//!
//! The question goes to `fields.query`, `fields.record_type` and `fields.query_class`, an answer
//! to `fields.answer` (Sigma's `category: dns` names); the client is the source, the server that
//! answered the destination.

use crate::event::{Event, SourceType};
use crate::payload::{PayloadParser, base_app, put_address};

/// BIND (`named`), dnsmasq and Unbound.
pub struct Dns;

#[derive(Clone, Copy)]
enum Server {
    Bind,
    Dnsmasq,
    Unbound,
}

fn server_of(app: &str) -> Option<Server> {
    match app {
        "named" | "bind" | "bind9" => Some(Server::Bind),
        "dnsmasq" | "pihole-FTL" => Some(Server::Dnsmasq),
        "unbound" => Some(Server::Unbound),
        _ => None,
    }
}

impl PayloadParser for Dns {
    fn source_type(&self) -> SourceType {
        SourceType::Dns
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        match app {
            Some(app) => server_of(app).is_some(),
            // BIND's own log files: `17-Feb-2026 23:06:56.326 queries: info: client ...`.
            None => bind_file_stamp(message).is_some(),
        }
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let message = message.trim();
        match ev.app.as_deref().map(base_app).and_then(server_of) {
            Some(Server::Bind) | None => bind(message, ev),
            Some(Server::Dnsmasq) => dnsmasq(message, ev),
            Some(Server::Unbound) => unbound(message, ev),
        }
        Ok(())
    }
}

/// `17-Feb-2026 23:06:56.326 `: the stamp BIND writes in its own files (local time, no zone).
fn bind_file_stamp(message: &str) -> Option<&str> {
    let b = message.as_bytes();
    let stamped = b.len() > 25
        && b[2] == b'-'
        && b[6] == b'-'
        && b[11] == b' '
        && b[14] == b':'
        && b[..2].iter().all(u8::is_ascii_digit);
    stamped.then(|| &message[..message[12..].find(' ').map_or(12, |i| i + 12)])
}

fn bind<'a>(message: &'a str, ev: &mut Event<'a>) {
    let mut text = message;
    if let Some(stamp) = bind_file_stamp(text) {
        ev.field("server_time", stamp);
        text = text[stamp.len()..].trim_start();
    }
    // `queries: info: ` when the category and severity are printed.
    if let Some((category, after)) = text.split_once(": ")
        && !category.contains(' ')
        && let Some((level, after)) = after.split_once(": ")
        && matches!(
            level,
            "info" | "notice" | "warning" | "error" | "critical" | "debug"
        )
    {
        ev.field("category", category);
        ev.field("level", level);
        text = after;
    }
    // A severity alone (`error: client ...`), without the category.
    if let Some((level, after)) = text.split_once(": ")
        && matches!(level, "info" | "notice" | "warning" | "error" | "critical")
    {
        ev.field("level", level);
        text = after;
    }
    let Some(client) = text.strip_prefix("client ") else {
        return;
    };
    // `@0x7f55d1c0` (the client object, BIND 9.11 and later), then `address#port`.
    let client = match client.strip_prefix('@') {
        Some(with_id) => with_id.split_once(' ').map_or("", |(_, rest)| rest),
        None => client,
    };
    // `address#port`, with a colon when no name follows (`client 10.0.0.5#1036: query ...`);
    // an IPv6 address has colons of its own.
    let Some((endpoint, rest)) = client.split_once(' ') else {
        return;
    };
    let endpoint = endpoint.trim_end_matches(':');
    if let Some((address, port)) = endpoint.rsplit_once('#') {
        put_address(ev, address, true);
        ev.src_port = port.parse().ok();
    }
    let rest = rest.trim_start();
    // ` (example.vn): `: the name asked about, repeated.
    let rest = match rest.strip_prefix('(') {
        Some(named) => named.split_once("): ").map_or(named, |(_, r)| r),
        None => rest.trim_start_matches(": "),
    };
    // `view internal: ` with views configured.
    let rest = match rest.strip_prefix("view ") {
        Some(viewed) => match viewed.split_once(": ") {
            Some((view, r)) => {
                ev.field("view", view);
                r
            }
            None => rest,
        },
        None => rest,
    };
    if let Some(question) = rest.strip_prefix("query: ") {
        // `example.vn IN A +E(0)K (10.0.0.53)`
        let mut words = question.split(' ');
        if let Some(name) = words.next() {
            ev.field("query", name);
        }
        if let Some(class) = words.next() {
            ev.field("query_class", class);
        }
        if let Some(kind) = words.next() {
            ev.field("record_type", kind);
        }
        if let Some(flags) = words.next().filter(|f| !f.starts_with('(')) {
            ev.field("flags", flags);
        }
        if let Some(server) = question
            .rsplit_once(" (")
            .and_then(|(_, s)| s.strip_suffix(')'))
        {
            put_address(ev, server, false);
        }
        ev.field("event", "dns_query");
    } else if let Some(what) = rest.strip_suffix(" denied") {
        // `query (cache) 'example.com/A/IN' denied`, `zone transfer 'example.vn/AXFR/IN'
        // denied`, `update 'example.vn/IN' denied`.
        let event = if what.starts_with("zone transfer") {
            "dns_zone_transfer"
        } else if what.starts_with("update") {
            "dns_update"
        } else {
            "dns_query"
        };
        if let Some(quoted) = what.split('\'').nth(1) {
            question_triplet(quoted, ev);
        }
        ev.action = Some("deny".into());
        ev.field("event", event);
    } else if let Some(after) = rest.strip_prefix("bad zone transfer request: '") {
        // `bad zone transfer request: 'example.vn/IN': non-authoritative zone (NOTAUTH)`
        if let Some((zone, reason)) = after.split_once('\'') {
            question_triplet(zone, ev);
            ev.field("reason", reason.trim_start_matches(": "));
        }
        ev.action = Some("deny".into());
        ev.field("event", "dns_zone_transfer");
    } else if let Some(after) = rest.strip_prefix("transfer of '") {
        // `transfer of 'example.vn/IN': AXFR started`
        if let Some((zone, _)) = after.split_once('\'') {
            question_triplet(zone, ev);
        }
        ev.action = Some("allow".into());
        ev.field("event", "dns_zone_transfer");
    }
}

/// `example.vn/AXFR/IN` or `example.vn/IN`.
fn question_triplet<'a>(text: &'a str, ev: &mut Event<'a>) {
    let mut parts = text.split('/');
    if let Some(name) = parts.next() {
        ev.field("query", name);
    }
    let rest: Vec<&str> = parts.collect();
    match rest.as_slice() {
        [kind, class] => {
            ev.field("record_type", *kind);
            ev.field("query_class", *class);
        }
        [class] => ev.field("query_class", *class),
        _ => {}
    }
}

/// `query[A] example.vn from 10.0.0.5`, `reply example.vn is 203.0.113.5`, `cached ...`,
/// `forwarded example.vn to 8.8.8.8`; with `log-queries=extra` a serial number and
/// `address/port` come first.
fn dnsmasq<'a>(message: &'a str, ev: &mut Event<'a>) {
    let mut text = message;
    // `1234 10.0.0.5/51234 query[A] ...`
    let mut words = text.splitn(3, ' ');
    if let (Some(serial), Some(peer), Some(rest)) = (words.next(), words.next(), words.next())
        && serial.bytes().all(|b| b.is_ascii_digit())
        && let Some((address, port)) = peer.rsplit_once('/')
    {
        put_address(ev, address, true);
        ev.src_port = port.parse().ok();
        ev.field("serial", serial);
        text = rest;
    }
    if let Some(query) = text.strip_prefix("query[") {
        let Some((kind, rest)) = query.split_once("] ") else {
            return;
        };
        ev.field("record_type", kind);
        let (name, from) = rest.split_once(" from ").unwrap_or((rest, ""));
        ev.field("query", name);
        if !from.is_empty() && ev.src_ip.is_none() {
            put_address(ev, from, true);
        }
        ev.field("event", "dns_query");
        return;
    }
    let Some((verb, rest)) = text.split_once(' ') else {
        return;
    };
    // Pi-hole: `gravity blocked`, `regex blacklisted`, `exactly denied`, `special domain`.
    let rest = ["blocked ", "blacklisted ", "denied ", "domain "]
        .iter()
        .find_map(|w| rest.strip_prefix(w))
        .unwrap_or(rest);
    let (name, answer) = match rest.split_once(" is ").or_else(|| rest.split_once(" to ")) {
        Some(pair) => pair,
        None => return,
    };
    ev.field("query", name);
    match verb {
        "forwarded" => put_address(ev, answer, false),
        // Pi-hole's blocklists answer with a null address.
        "gravity" | "regex" | "exactly" | "special" => {
            ev.field("answer", answer);
            ev.action = Some("deny".into());
        }
        _ => ev.field("answer", answer),
    }
    ev.field("dns_step", verb);
    ev.field("event", "dns_answer");
}

/// `[1234:0] info: 10.0.0.5 example.vn. A IN` (log-queries) and `[1234:0] reply: 10.0.0.5
/// example.vn. A IN NOERROR 0.000 0 45` (log-replies).
fn unbound<'a>(message: &'a str, ev: &mut Event<'a>) {
    let text = match message.strip_prefix('[') {
        Some(thread) => thread.split_once("] ").map_or(message, |(_, r)| r),
        None => message,
    };
    let (kind, rest) = match (text.strip_prefix("info: "), text.strip_prefix("reply: ")) {
        (Some(r), _) => ("dns_query", r),
        (_, Some(r)) => ("dns_answer", r),
        _ => return,
    };
    let mut words = rest.split(' ');
    let (Some(client), Some(name), Some(record_type), Some(class)) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return;
    };
    if crate::payload::canonical_ip(client).is_none() {
        return;
    }
    put_address(ev, client, true);
    ev.field("query", name.strip_suffix('.').unwrap_or(name));
    ev.field("record_type", record_type);
    ev.field("query_class", class);
    if let Some(rcode) = words.next() {
        ev.field("rcode", rcode);
    }
    ev.field("event", kind);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn bind_queries_refusals_and_transfers() {
        let ev = parse(
            "Nov 28 10:00:00 ns1 named[812]: client @0x7f55d1c0a8 10.20.3.14#51234 (update.example.vn): query: update.example.vn IN A +E(0)K (10.0.0.53)",
        );
        assert_eq!(ev.source_type, SourceType::Dns);
        assert_eq!(ev.src_ip.as_deref(), Some("10.20.3.14"));
        assert_eq!(ev.src_port, Some(51234));
        assert_eq!(ev.dst_ip.as_deref(), Some("10.0.0.53"));
        assert_eq!(ev.get_field("query"), Some("update.example.vn"));
        assert_eq!(ev.get_field("record_type"), Some("A"));
        assert_eq!(ev.get_field("query_class"), Some("IN"));
        assert_eq!(ev.get_field("flags"), Some("+E(0)K"));
        let ev = parse(
            "Nov 28 10:00:02 ns1 named[812]: client @0x7f55d1c0b0 2001:db8:20::9#53211 (so-tc.gov.vn): query: so-tc.gov.vn IN MX +E(0)DC (2001:db8:ffff::53)",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("2001:db8:20::9"));
        assert_eq!(ev.dst_ip.as_deref(), Some("2001:db8:ffff::53"));
        assert_eq!(ev.get_field("record_type"), Some("MX"));
        assert_eq!(ev.get_field("event"), Some("dns_query"));
        // BIND's own file, category and severity printed, an old client without its id.
        let ev = parse(
            "17-Feb-2026 23:06:56.326 queries: info: client 172.26.0.1#12345 (test.example.com): view internal: query: test.example.com IN AAAA + (172.26.0.3)",
        );
        assert_eq!(ev.source_type, SourceType::Dns);
        assert_eq!(ev.get_field("category"), Some("queries"));
        assert_eq!(ev.get_field("view"), Some("internal"));
        assert_eq!(ev.get_field("record_type"), Some("AAAA"));
        assert_eq!(
            ev.get_field("server_time"),
            Some("17-Feb-2026 23:06:56.326")
        );
        let ev = parse(
            "Nov 28 10:00:01 ns1 named[812]: client @0x7f55d1c0a8 45.155.205.233#40000 (so-tc.gov.vn): zone transfer 'so-tc.gov.vn/AXFR/IN' denied",
        );
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.get_field("query"), Some("so-tc.gov.vn"));
        assert_eq!(ev.get_field("record_type"), Some("AXFR"));
        assert_eq!(ev.get_field("event"), Some("dns_zone_transfer"));
        let ev =
            parse("Aug 29 15:33:13 ns3 named[464]: client 217.148.39.3#1036: query (cache) denied");
        assert_eq!(ev.src_ip.as_deref(), Some("217.148.39.3"));
        assert_eq!(ev.action.as_deref(), Some("deny"));
        let ev = parse(
            "Nov 28 10:00:02 ns1 named[812]: security: info: client @0x7f55 198.51.100.7#5353 (example.com): query (cache) 'example.com/ANY/IN' denied",
        );
        assert_eq!(ev.get_field("record_type"), Some("ANY"));
        assert_eq!(ev.get_field("category"), Some("security"));
        let ev = parse(
            "11-Aug-2013 03:36:11.372 error: client 1.2.3.4#52115: zone transfer 'domain.com/AXFR/IN' denied",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("1.2.3.4"));
        assert_eq!(ev.get_field("event"), Some("dns_zone_transfer"));
        let ev = parse(
            "Aug 27 16:59:00 host named[28098]: client @0x7f6450002ef0 192.0.2.1#23332 (example.com): bad zone transfer request: 'test.com/IN': non-authoritative zone (NOTAUTH)",
        );
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.get_field("query"), Some("test.com"));
        assert_eq!(ev.get_field("event"), Some("dns_zone_transfer"));
        // Other named lines are kept as they are.
        let ev =
            parse("Nov 28 10:00:03 ns1 named[812]: zone so-tc.gov.vn/IN: loaded serial 2026112801");
        assert_eq!(ev.source_type, SourceType::Dns);
        assert_eq!(ev.get_field("event"), None);
    }

    #[test]
    fn dnsmasq_and_unbound() {
        let ev = parse("Nov 28 10:00:04 gw dnsmasq[600]: query[A] c2.example.net from 10.20.3.14");
        assert_eq!(ev.source_type, SourceType::Dns);
        assert_eq!(ev.src_ip.as_deref(), Some("10.20.3.14"));
        assert_eq!(ev.get_field("query"), Some("c2.example.net"));
        assert_eq!(ev.get_field("record_type"), Some("A"));
        let ev = parse("Nov 28 10:00:05 gw dnsmasq[600]: reply c2.example.net is 203.0.113.66");
        assert_eq!(ev.get_field("answer"), Some("203.0.113.66"));
        let ev = parse("Nov 28 10:00:06 gw dnsmasq[600]: forwarded c2.example.net to 8.8.8.8");
        assert_eq!(ev.dst_ip.as_deref(), Some("8.8.8.8"));
        let ev = parse(
            "Nov 28 10:00:07 pihole pihole-FTL[700]: 1234 10.20.3.14/51234 gravity blocked ads.example.com is 0.0.0.0",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("10.20.3.14"));
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.get_field("query"), Some("ads.example.com"));
        let ev =
            parse("Nov 28 10:00:08 ns2 unbound: [1234:0] info: 10.20.3.14 update.example.vn. A IN");
        assert_eq!(ev.src_ip.as_deref(), Some("10.20.3.14"));
        assert_eq!(ev.get_field("query"), Some("update.example.vn"));
        let ev = parse(
            "Nov 28 10:00:09 ns2 unbound: [1234:0] reply: 10.20.3.14 update.example.vn. A IN NOERROR 0.000 0 45",
        );
        assert_eq!(ev.get_field("rcode"), Some("NOERROR"));
        assert_eq!(ev.get_field("event"), Some("dns_answer"));
    }
}
