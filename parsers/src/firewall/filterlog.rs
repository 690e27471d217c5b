//! pfSense / OPNsense `filterlog` and OpenBSD pf CSV lines:
//! `5,,,1000000103,igb1,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,203.0.113.5,10.0.0.1,4711,22,0,S,...`.
//!
//! The columns are positional and depend on the IP version (IPv4 and IPv6 carry different header
//! fields before the protocol) and on the protocol (TCP, UDP and ICMP append different tails).
//! Positions follow the pfSense filterlog format (2.2 and later). A line too short for its own
//! declared layout keeps what it had and is marked partial. `rule_name` is the rule number, the
//! only rule reference the format has; the tracker id is in `fields.tracker`. The interface is
//! `in_iface` or `out_iface` as the direction column says.

use std::borrow::Cow;

use super::{Col, put};
use crate::event::{Event, SourceType};
use crate::payload::PayloadParser;

/// pfSense / OPNsense / OpenBSD pf filter log CSV.
pub struct Filterlog;

/// Whether the first nine columns have the filterlog shape.
fn shaped(body: &str) -> bool {
    let body = body.trim();
    // The rule number comes first: reject other records before splitting anything.
    if !body.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let mut cols = body.splitn(10, ',');
    let rule = cols.next().unwrap_or("");
    if rule.is_empty() || !rule.bytes().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let mut cols = cols.skip(5);
    let action = cols.next().unwrap_or("");
    let direction = cols.next().unwrap_or("");
    let version = cols.next().unwrap_or("");
    matches!(
        action,
        "pass" | "block" | "match" | "reject" | "scrub" | "nat" | "rdr" | "binat"
    ) && matches!(direction, "in" | "out")
        && matches!(version, "4" | "6")
}

impl PayloadParser for Filterlog {
    fn source_type(&self) -> SourceType {
        SourceType::Filterlog
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        matches!(app, Some("filterlog") | None | Some("pf")) && shaped(message)
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let cols: Vec<&'a str> = message.trim().split(',').collect();
        let col = |i: usize| cols.get(i).copied().unwrap_or("");
        let b = |s: &'a str| Cow::Borrowed(s);
        put(ev, Col::RuleName, "rule", b(col(0)));
        for (i, name) in [(1, "subrule"), (2, "anchor"), (3, "tracker"), (5, "reason")] {
            if !col(i).is_empty() {
                ev.field(name, col(i));
            }
        }
        // The interface the packet crossed: where it came in, or where it went out.
        let iface = if col(7) == "out" {
            Col::OutIface
        } else {
            Col::InIface
        };
        put(ev, iface, "interface", b(col(4)));
        put(ev, Col::Action, "pf_action", b(col(6)));
        ev.field("direction", col(7));
        ev.field("ip_version", col(8));
        // Where the addresses are, and the protocol name relative to them.
        let (src_at, proto_before) = match col(8) {
            // tos, ecn, ttl, id, offset, flags, proto id, proto name, length, src, dst
            "4" => {
                for (i, name) in [(11, "ttl"), (12, "ip_id"), (14, "ip_flags")] {
                    if !col(i).is_empty() {
                        ev.field(name, col(i));
                    }
                }
                (18, 2)
            }
            // class, flow label, hop limit, proto name, proto id, length, src, dst
            _ => {
                if !col(11).is_empty() {
                    ev.field("hop_limit", col(11));
                }
                (15, 3)
            }
        };
        // Builds and forks that add or drop a header column shift everything after it; the
        // address pair is unmistakable, so the layout is anchored on it when it moved.
        let is_ip = |i: usize| super::ip_text(&b(col(i))).is_some();
        let src_at = if is_ip(src_at) && is_ip(src_at + 1) {
            src_at
        } else {
            (9..cols.len().saturating_sub(1))
                .find(|&i| is_ip(i) && is_ip(i + 1))
                .unwrap_or(src_at)
        };
        if cols.len() < src_at + 2 {
            return Err("filterlog line shorter than its IP header columns");
        }
        let proto = col(src_at - proto_before);
        put(ev, Col::Protocol, "protocol", b(proto));
        if let Ok(n) = col(src_at - 1).parse::<u64>() {
            ev.bytes_out = Some(n);
        }
        put(ev, Col::SrcIp, "src", b(col(src_at)));
        put(ev, Col::DstIp, "dst", b(col(src_at + 1)));
        let tail = src_at + 2;
        match proto.to_ascii_lowercase().as_str() {
            "tcp" | "udp" => {
                put(ev, Col::SrcPort, "src_port", b(col(tail)));
                put(ev, Col::DstPort, "dst_port", b(col(tail + 1)));
                if !col(tail + 2).is_empty() {
                    ev.field("data_length", col(tail + 2));
                }
                if proto.eq_ignore_ascii_case("tcp") && !col(tail + 3).is_empty() {
                    ev.field("tcp_flags", col(tail + 3));
                }
            }
            // pf writes the ICMPv6 payload length as `datalength=N` where a type would be.
            "icmp" | "ipv6-icmp" | "icmpv6" => match col(tail) {
                "" => {}
                t => match t.strip_prefix("datalength=") {
                    Some(n) => ev.field("data_length", n),
                    None => ev.field("icmp_type", t),
                },
            },
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn icmpv6_writes_its_length_where_the_type_goes() {
        let ev = parse(
            r#"<134>1 2026-11-28T10:00:00+07:00 opnsense.local filterlog 12345 - [meta sequenceId="1"] 96,,,02f4bab031b57d1e30553ce08e0ec131,em0,match,block,in,6,0x00,0x00000,255,ipv6-icmp,58,32,fe80::1,ff02::1,datalength=32"#,
        );
        assert_eq!(ev.protocol.as_deref(), Some("ipv6-icmp"));
        assert_eq!(ev.src_ip.as_deref(), Some("fe80::1"));
        assert_eq!(ev.get_field("data_length"), Some("32"));
        assert_eq!(ev.get_field("icmp_type"), None);
    }

    #[test]
    fn ipv4_tcp_block_with_bsd_header() {
        let ev = parse(
            "<134>Nov 26 10:00:00 filterlog[4211]: 5,,,1000000103,igb1,match,block,in,4,0x0,,64,0,0,DF,6,tcp,60,203.0.113.5,10.0.0.1,4711,22,0,S,1,,64240,,mss",
        );
        assert_eq!(ev.source_type, SourceType::Filterlog);
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.in_iface.as_deref(), Some("igb1"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.5"));
        assert_eq!(ev.dst_port, Some(22));
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(ev.get_field("tcp_flags"), Some("S"));
    }

    #[test]
    fn ipv6_udp_and_short_line() {
        let ev = parse(
            "<134>filterlog: 9,,,1000000105,em0,match,pass,out,6,0x00,0x00000,255,udp,17,72,2001:db8::1,2001:db8::53,5353,53,72",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("2001:db8::1"));
        assert_eq!(ev.dst_port, Some(53));
        assert_eq!(ev.protocol.as_deref(), Some("udp"));
        assert_eq!(ev.action.as_deref(), Some("allow"));
        assert_eq!(ev.out_iface.as_deref(), Some("em0"));
        assert_eq!(ev.in_iface, None);
        let ev = parse("<134>Nov 26 10:00:00 filterlog[1]: 9,,,1,em0,match,pass,out,4,0x0");
        assert_eq!(ev.status, crate::ParseStatus::Partial);
    }

    #[test]
    fn a_shifted_layout_is_anchored_on_its_addresses() {
        // Four header columns more than the IPv6 layout has: the protocol, length and
        // addresses are still read from where the address pair is.
        let ev = parse(
            "123,001,anchor1,label2,eth0,match,pass,in,6,,123,64,12345,0,DF,vrrp,112,80,2001:db8::7334,2001:db8::23,3,64,1,2,3,4",
        );
        assert_eq!(ev.src_ip.as_deref(), Some("2001:db8::7334"));
        assert_eq!(ev.dst_ip.as_deref(), Some("2001:db8::23"));
        assert_eq!(ev.protocol.as_deref(), Some("vrrp"));
        assert_eq!(ev.bytes_out, Some(80));
        assert_eq!(ev.in_iface.as_deref(), Some("eth0"));
    }
}
