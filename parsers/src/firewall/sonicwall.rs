//! SonicWall SonicOS key=value logs: `id=firewall sn=0017C5... time="2026-11-26 10:00:00"
//! fw=203.0.113.1 pri=6 c=1024 m=537 msg="Connection Closed" src=10.0.0.5:51000:X0
//! dst=203.0.113.80:443:X1 proto=tcp/https sent=100 rcvd=2000 ...`.
//! Endpoints pack `address:port:interface[:name]` into one value; they are split here.

use std::borrow::Cow;

use super::{Col, StaticFinder, first_key, kv, put};
use crate::event::{Event, SourceType, Text};
use crate::payload::PayloadParser;

/// SonicWall key=value logs.
pub struct SonicWall;

static SN: StaticFinder = StaticFinder::new(b"sn=");
static M: StaticFinder = StaticFinder::new(b"m=");

fn column(key: &str) -> Option<Col> {
    Some(match key {
        "sent" => Col::BytesOut,
        "rcvd" => Col::BytesIn,
        "spkt" | "rpkt" => Col::Packets,
        "usr" | "user" => Col::User,
        "msg" => Col::Message,
        "fw_action" => Col::Action,
        "rule" => Col::RuleName,
        _ => return None,
    })
}

/// `address:port:interface[:name]` (or `address:port`, or only the address); IPv6 as
/// `[address]:port...` or, under the `...V6` keys, the bare address.
fn endpoint<'a>(ev: &mut Event<'a>, value: Text<'a>, cols: (Col, Col, Option<Col>), key: &'a str) {
    let Cow::Borrowed(v) = value else {
        ev.field(key, value);
        return;
    };
    if let Some((addr, rest)) = v.strip_prefix('[').and_then(|r| r.split_once(']')) {
        put(ev, cols.0, key, Cow::Borrowed(addr));
        let mut parts = rest.split(':').filter(|p| !p.is_empty());
        if let Some(port) = parts.next() {
            put(ev, cols.1, key, Cow::Borrowed(port));
        }
        if let (Some(iface), Some(col)) = (parts.next(), cols.2) {
            put(ev, col, key, Cow::Borrowed(iface));
        }
        return;
    }
    if key.ends_with("V6") {
        put(ev, cols.0, key, Cow::Borrowed(v));
        return;
    }
    let mut parts = v.split(':');
    let addr = parts.next().unwrap_or("");
    put(ev, cols.0, key, Cow::Borrowed(addr));
    if let Some(port) = parts.next() {
        put(ev, cols.1, key, Cow::Borrowed(port));
    }
    if let (Some(iface), Some(col)) = (parts.next(), cols.2) {
        put(ev, col, key, Cow::Borrowed(iface));
    }
    if let Some(name) = parts.next() {
        ev.field(if key == "src" { "src_name" } else { "dst_name" }, name);
    }
}

impl PayloadParser for SonicWall {
    fn source_type(&self) -> SourceType {
        SourceType::SonicWall
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, _app: Option<&str>, body: &str) -> bool {
        first_key(body) == "id" && SN.key_in(body) && M.key_in(body)
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        // The header parser's message is the whole list; `msg` (or the name) replaces it.
        ev.message = None;
        let mut n = 0;
        for (key, value) in kv::pairs(body, b' ', kv::Dialect::Quoted) {
            n += 1;
            match key {
                "src" | "srcV6" => endpoint(
                    ev,
                    value,
                    (Col::SrcIp, Col::SrcPort, Some(Col::InIface)),
                    key,
                ),
                "dst" | "dstV6" => endpoint(
                    ev,
                    value,
                    (Col::DstIp, Col::DstPort, Some(Col::OutIface)),
                    key,
                ),
                "natSrc" | "natSrcV6" => {
                    endpoint(ev, value, (Col::NatSrcIp, Col::NatSrcPort, None), key)
                }
                "natDst" | "natDstV6" => {
                    endpoint(ev, value, (Col::NatDstIp, Col::NatDstPort, None), key)
                }
                // `tcp/https`: transport, then service.
                "proto" => {
                    let (transport, service): (Text<'a>, Option<&'a str>) = match value {
                        Cow::Borrowed(v) => match v.split_once('/') {
                            Some((t, s)) => (Cow::Borrowed(t), Some(s)),
                            None => (Cow::Borrowed(v), None),
                        },
                        owned => (owned, None),
                    };
                    put(ev, Col::Protocol, key, transport);
                    if let Some(s) = service {
                        ev.field("service", s);
                    }
                }
                _ => match column(key) {
                    Some(col) => put(ev, col, key, value),
                    None => ev.field(key, value),
                },
            }
        }
        if n == 0 {
            return Err("no key=value pairs");
        }
        if ev.outcome.is_none()
            && let Some(msg) = ev.message.as_deref()
        {
            ev.outcome = login_outcome(msg);
        }
        Ok(())
    }
}

/// The outcome a login message states (`Administrator login denied due to bad credentials`,
/// `User login from an internal zone allowed`, `... login failed - incorrect password`):
/// SonicOS has no outcome key.
fn login_outcome(msg: &str) -> Option<&'static str> {
    // (`ogin`, `uthenticat`: either case of the first letter, before copying to lower case.)
    if !(msg.contains("ogin") || msg.contains("ogged in") || msg.contains("uthenticat")) {
        return None;
    }
    super::outcome_in_text(msg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn a_utc_time_field_dates_a_headerless_record() {
        let ev = parse(
            r#"id=firewall sn=0017C5000000 time="2026-11-28 10:00:00 UTC" fw=203.0.113.1 pri=1 c=32 m=82 msg="Possible port scan detected" src=203.0.113.9:4444:X1 dst=10.1.1.5:22:X0 proto=tcp/ssh"#,
        );
        assert_eq!(ev.source_type, SourceType::SonicWall);
        let want = chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .ok()
            .map(|t| t.timestamp_micros());
        assert_eq!(ev.ts, want);
    }

    #[test]
    fn administrator_logins() {
        let ev = parse(
            r#"<134>Nov 28 10:00:00 sonicwall id=firewall sn=0017C5000001 time="2026-11-28 03:00:00 UTC" fw=203.0.113.1 pri=5 c=512 m=236 msg="Administrator login failed - incorrect password" n=3 src=203.0.113.9:443:X1 dst=203.0.113.1:443:X1 user="admin" proto=tcp/https fw_action="NA""#,
        );
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.outcome, Some("failure"));
        let ev = parse(
            r#"id=firewall sn=0017C5000001 time="2026-11-28 03:00:01 UTC" fw=203.0.113.1 pri=6 c=512 m=29 msg="Administrator login allowed" src=10.1.1.5:51000:X0 dst=10.1.1.1:443:X0 user="admin""#,
        );
        assert_eq!(ev.outcome, Some("success"));
        let ev = parse(
            r#"id=firewall sn=0017C5000001 time="2026-11-28 03:00:02 UTC" fw=203.0.113.1 pri=6 c=1024 m=537 msg="Connection Closed" src=10.1.1.5:51000:X0 dst=8.8.8.8:53:X1 proto=udp/dns"#,
        );
        assert_eq!(ev.outcome, None);
    }

    #[test]
    fn ipv6_translations_bracketed_or_bare() {
        let ev = parse(
            r#"<134>  id=firewall sn=0040103CE114 time="2026-11-26 08:19:21" fw=10.0.0.96 pri=6 c=0 m=1235 src=10.0.0.96:54606:X1 natSrcV6=[2001:db8::1]:1234 dst=203.0.113.80:80:X1 natDstV6=2001:db8::2 proto=tcp/http sent=52 fw_action="forward""#,
        );
        assert_eq!(ev.nat_src_ip.as_deref(), Some("2001:db8::1"));
        assert_eq!(ev.get_field("nat_src_port"), Some("1234"));
        assert_eq!(ev.nat_dst_ip.as_deref(), Some("2001:db8::2"));
        assert_eq!(ev.src_port, Some(54606));
    }

    #[test]
    fn connection_closed() {
        let line = r#"<134>id=firewall sn=0017C5 time="2026-11-26 10:00:00 UTC" fw=203.0.113.1 pri=6 c=1024 m=537 msg="Connection Closed" src=10.0.0.5:51000:X0:pc-an dst=203.0.113.80:443:X1 proto=tcp/https sent=100 rcvd=2000 natSrc=198.51.100.1:40001 usr="an""#;
        let ev = parse(line);
        assert_eq!(ev.source_type, SourceType::SonicWall);
        assert_eq!(ev.src_port, Some(51000));
        assert_eq!(ev.in_iface.as_deref(), Some("X0"));
        assert_eq!(ev.get_field("src_name"), Some("pc-an"));
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(ev.get_field("service"), Some("https"));
        assert_eq!(ev.nat_src_ip.as_deref(), Some("198.51.100.1"));
        assert_eq!(ev.message.as_deref(), Some("Connection Closed"));
    }
}
