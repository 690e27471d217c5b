//! MikroTik RouterOS, common on branch and district-office edges: firewall rules with `log=yes`
//! (`firewall,info WAN-DROP input: in:ether1 out:(unknown 0), connection-state:new src-mac
//! 00:11:22:33:44:55, proto TCP (SYN), 203.0.113.9:4444->10.1.1.5:22, NAT
//! (10.1.1.5:51000->203.0.113.1:40000)->8.8.8.8:53, len 60`) and the logins of the `system`
//! topic (`login failure for user admin from 203.0.113.9 via ssh`).
//!
//! RouterOS names a message by its topics (`firewall,info`, `system,error,critical`), written
//! where syslog has its tag; the firewall text is a comma-separated list whose parts are told
//! apart by their first word.

use std::borrow::Cow;
use std::sync::LazyLock;

use super::{Col, Sentences, action_of_prefix, capture_column, put, split_addr_port};
use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use crate::payload::PayloadParser;

/// MikroTik RouterOS.
pub struct MikroTik;

/// The logins and account changes of the `system` topic.
#[rustfmt::skip]
static SYSTEM: &[(&str, &str, Option<&str>)] = &[
    ("", "login failure for user {user} from {src} via {service}", Some(FAILURE)),
    ("", "user {user} logged in from {src} via {service}", Some(SUCCESS)),
    ("", "user {user} logged in via {service}", Some(SUCCESS)),
    ("", "user {user} logged out from {src} via {service}", None),
    ("", "user {user} logged out via {service}", None),
    ("", "{target} changed by {user}", None),
    ("", "{target} added by {user}", None),
    ("", "{target} removed by {user}", None),
];

static SYSTEM_SET: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(SYSTEM));

impl PayloadParser for MikroTik {
    fn source_type(&self) -> SourceType {
        SourceType::MikroTik
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        let Some((topic, _)) = app.and_then(|a| a.split_once(',')) else {
            return false;
        };
        match topic {
            "firewall" => message.contains("->"),
            "system" | "account" => SYSTEM_SET.matches("", message.trim()),
            _ => false,
        }
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let text = message.trim();
        if ev
            .app
            .as_deref()
            .is_some_and(|a| a.starts_with("firewall,"))
        {
            return firewall(text, ev);
        }
        if !SYSTEM_SET.apply("", text, ev, capture_column) {
            return Err("not a RouterOS login or account sentence");
        }
        Ok(())
    }
}

/// `[PREFIX ]CHAIN: in:IF out:IF, part, part, ...`.
fn firewall<'a>(text: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
    let (head, rest) = text
        .split_once(": in:")
        .ok_or("no `chain: in:` in a firewall record")?;
    let (prefix, chain) = match head.rsplit_once(' ') {
        Some((prefix, chain)) => (Some(prefix.trim()), chain),
        None => (None, head),
    };
    ev.field("chain", chain);
    if let Some(prefix) = prefix.filter(|p| !p.is_empty()) {
        put(ev, Col::RuleName, "prefix", Cow::Borrowed(prefix));
        if let Some(action) = action_of_prefix(prefix) {
            ev.action = Some(Cow::Borrowed(action));
        }
    }
    let mut parts = split_outside_parentheses(rest);
    if let Some(ifaces) = parts.next() {
        let (inbound, outbound) = ifaces.split_once(" out:").unwrap_or((ifaces, ""));
        interface(ev, Col::InIface, "in", inbound);
        interface(ev, Col::OutIface, "out", outbound);
    }
    for part in parts {
        if let Some(proto) = part.strip_prefix("proto ") {
            // `TCP (SYN)`, `TCP (ACK,PSH)`, `ICMP (type 8, code 0)`, `47`.
            let (name, detail) = match proto.split_once(" (") {
                Some((name, detail)) => (name, Some(detail.trim_end_matches(')'))),
                None => (proto, None),
            };
            put(ev, Col::Protocol, "proto", Cow::Borrowed(name));
            if let Some(detail) = detail {
                let key = if name.eq_ignore_ascii_case("icmp") {
                    "icmp"
                } else {
                    "flags"
                };
                ev.field(key, detail);
            }
        } else if let Some(nat) = part.strip_prefix("NAT ") {
            translation(ev, nat);
        } else if let Some(len) = part.strip_prefix("len ") {
            put(ev, Col::BytesOut, "len", Cow::Borrowed(len));
            put(ev, Col::Packets, "packets", Cow::Borrowed("1"));
        } else if let Some((src, dst)) = part.split_once("->")
            && !part.contains('(')
        {
            endpoint(ev, (Col::SrcIp, Col::SrcPort), "src", src);
            endpoint(ev, (Col::DstIp, Col::DstPort), "dst", dst);
        } else {
            // `connection-state:new src-mac 00:11:22:33:44:55` (v7 writes both in one part).
            let is_key =
                |k: &str| !k.is_empty() && k.bytes().all(|c| c.is_ascii_alphabetic() || c == b'-');
            let mut words = part.split(' ').filter(|w| !w.is_empty());
            while let Some(word) = words.next() {
                match word.split_once(':') {
                    Some((key, value)) if is_key(key) && !value.is_empty() => ev.field(key, value),
                    // `src-mac 00:11:...`: a name, then its value.
                    _ => match words.next() {
                        Some(value) => ev.field(word, value),
                        None => ev.field("detail", word),
                    },
                }
            }
        }
    }
    Ok(())
}

/// Splits at `, ` except inside parentheses (`proto ICMP (type 8, code 0)` is one part).
fn split_outside_parentheses(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let b = rest.as_bytes();
        let mut depth = 0u32;
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                b',' if depth == 0 && b.get(i + 1) == Some(&b' ') => {
                    let part = &rest[..i];
                    rest = &rest[i + 2..];
                    return Some(part.trim());
                }
                _ => {}
            }
            i += 1;
        }
        let part = rest;
        rest = "";
        Some(part.trim())
    })
}

/// An interface, unless RouterOS says there is none (`(unknown 0)`).
fn interface<'a>(ev: &mut Event<'a>, col: Col, key: &'static str, name: &'a str) {
    let name = name.trim();
    if !name.is_empty() && !name.starts_with("(unknown") {
        put(ev, col, key, Cow::Borrowed(name));
    }
}

/// `10.1.1.5:51000`, `[2001:db8::9]:4444` or a bare address (ICMP).
fn endpoint<'a>(ev: &mut Event<'a>, (ip, port): (Col, Col), key: &'static str, text: &'a str) {
    let (addr, p) = split_addr_port(text.trim());
    put(ev, ip, key, Cow::Borrowed(addr));
    if let Some(p) = p {
        put(ev, port, key, Cow::Borrowed(p));
    }
}

/// `(10.1.1.5:51000->203.0.113.1:40000)->8.8.8.8:53` (source NAT: the parenthesised pair is the
/// source before and after) or `203.0.113.9:4444->(203.0.113.1:80->10.1.1.20:80)` (destination
/// NAT).
fn translation<'a>(ev: &mut Event<'a>, nat: &'a str) {
    let pair = |inner: &'a str| inner.split_once("->").map(|(_, after)| after);
    if let Some(inner) = nat.strip_prefix('(')
        && let Some((inner, _)) = inner.split_once(')')
        && let Some(translated) = pair(inner)
    {
        endpoint(ev, (Col::NatSrcIp, Col::NatSrcPort), "nat_src", translated);
    } else if let Some((_, inner)) = nat.split_once("->(")
        && let Some(translated) = pair(inner.trim_end_matches(')'))
    {
        endpoint(ev, (Col::NatDstIp, Col::NatDstPort), "nat_dst", translated);
    } else {
        ev.field("nat", nat);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn every_sentence_compiles() {
        assert_eq!(SYSTEM_SET.len(), SYSTEM.len());
    }

    #[test]
    fn firewall_drop_with_prefix() {
        let ev = parse(
            "<30>Nov 28 10:00:00 MikroTik firewall,info WAN-DROP input: in:ether1 out:(unknown 0), connection-state:new src-mac 00:11:22:33:44:55, proto TCP (SYN), 203.0.113.9:4444->10.1.1.5:22, len 60",
        );
        assert_eq!(ev.source_type, SourceType::MikroTik);
        assert_eq!(ev.host.as_deref(), Some("MikroTik"));
        assert_eq!(ev.rule_name.as_deref(), Some("WAN-DROP"));
        assert_eq!(ev.action.as_deref(), Some("drop"));
        assert_eq!(ev.get_field("chain"), Some("input"));
        assert_eq!(ev.in_iface.as_deref(), Some("ether1"));
        assert_eq!(ev.out_iface, None);
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("203.0.113.9"), Some(4444))
        );
        assert_eq!(
            (ev.dst_ip.as_deref(), ev.dst_port),
            (Some("10.1.1.5"), Some(22))
        );
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(ev.get_field("flags"), Some("SYN"));
        assert_eq!(ev.get_field("connection-state"), Some("new"));
        assert_eq!(ev.get_field("src-mac"), Some("00:11:22:33:44:55"));
        assert_eq!((ev.bytes_out, ev.packets), (Some(60), Some(1)));
    }

    #[test]
    fn source_and_destination_nat_icmp_and_ipv6() {
        let ev = parse(
            "<30>Nov 28 10:00:00 MikroTik firewall,info forward: in:bridge out:ether1, src-mac 00:11:22:33:44:55, proto UDP, 10.1.1.5:51000->8.8.8.8:53, NAT (10.1.1.5:51000->203.0.113.1:40000)->8.8.8.8:53, len 60",
        );
        assert_eq!(ev.rule_name, None);
        assert_eq!(ev.out_iface.as_deref(), Some("ether1"));
        assert_eq!(ev.nat_src_ip.as_deref(), Some("203.0.113.1"));
        assert_eq!(ev.get_field("nat_src_port"), Some("40000"));
        let ev = parse(
            "<30>Nov 28 10:00:00 MikroTik firewall,info dstnat: in:ether1 out:(unknown 0), proto TCP (SYN), 203.0.113.9:4444->203.0.113.1:80, NAT 203.0.113.9:4444->(203.0.113.1:80->10.1.1.20:80), len 60",
        );
        assert_eq!(ev.dst_ip.as_deref(), Some("203.0.113.1"));
        assert_eq!(ev.nat_dst_ip.as_deref(), Some("10.1.1.20"));
        let ev = parse(
            "<30>Nov 28 10:00:00 MikroTik firewall,info input: in:ether1 out:(unknown 0), proto ICMP (type 8, code 0), 203.0.113.9->10.1.1.1, len 84",
        );
        assert_eq!(ev.protocol.as_deref(), Some("icmp"));
        assert_eq!(ev.get_field("icmp"), Some("type 8, code 0"));
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("203.0.113.9"), None)
        );
        let ev = parse(
            "<30>Nov 28 10:00:00 MikroTik firewall,info input: in:ether1 out:(unknown 0), proto TCP (SYN), [2001:db8::9]:4444->[2001:db8::1]:22, len 80",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("2001:db8::9"));
        assert_eq!(ev.dst_port, Some(22));
    }

    #[test]
    fn logins() {
        let ev = parse(
            "<28>Nov 28 10:00:00 MikroTik system,error,critical login failure for user admin from 203.0.113.9 via ssh",
        );
        assert_eq!(ev.source_type, SourceType::MikroTik);
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.outcome, Some("failure"));
        assert_eq!(ev.get_field("service"), Some("ssh"));
        let ev = parse(
            "<30>Nov 28 10:00:00 MikroTik system,info,account user admin logged in from 10.1.1.5 via winbox",
        );
        assert_eq!(ev.outcome, Some("success"));
        // Other system news is not claimed.
        let ev = parse("<30>Nov 28 10:00:00 MikroTik system,info router rebooted");
        assert_eq!(ev.source_type, SourceType::Syslog);
    }
}
