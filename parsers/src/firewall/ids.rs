//! Intrusion detection: Snort's and Suricata's alert lines (`[1:2010935:3] ET POLICY ...
//! [Classification: ...] [Priority: 2] {TCP} 198.51.100.7:51234 -> 10.0.0.5:1433`, through
//! syslog or from a tailed `fast.log`, pfSense's and OPNsense's packages included) and Suricata's
//! EVE JSON (`{"event_type":"alert","src_ip":...,"alert":{"signature":...}}`).
//!
//! An alert's signature is the `rule_name`; its generator, signature id and revision, its
//! classification and priority go to `fields`. IPS mode's `[Drop]` is `action=drop`; any other
//! alert is `action=alert` (EVE's `allowed` too: the packet passed, but it is a detection).

use memchr::memmem;

use super::{Col, claims_json_record, csv, json_record, put, split_endpoint};
use crate::event::{Event, SourceType};
use crate::payload::PayloadParser;
use crate::time::{Zone, parse_iso8601};

/// Snort and Suricata alert lines.
pub struct IdsAlert;

impl PayloadParser for IdsAlert {
    fn source_type(&self) -> SourceType {
        SourceType::Ids
    }

    fn claims(&self, app: Option<&str>, message: &str) -> bool {
        match app {
            Some("snort" | "suricata" | "snort3") => true,
            Some(_) => false,
            // `fast.log` read as a file: its own stamp, then `[**] [gid:sid:rev]`.
            None => {
                let b = message.as_bytes();
                b.first().is_some_and(u8::is_ascii_digit)
                    && (memmem::find(&b[..b.len().min(48)], b"[**] [").is_some()
                        || csv_alert_stamp(message).is_some())
            }
        }
    }

    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let text = message.trim();
        if ev.app.is_none()
            && let Some((stamp, values)) = csv_alert_stamp(text)
        {
            ev.field("alert_time", stamp);
            return csv_alert(values, ev).ok_or("not a Snort CSV alert");
        }
        // `fast.log`'s own stamp (`11/28/2026-10:00:00.123456`, Snort 2 without the year) is
        // local time in a zone the line does not give: kept, not guessed.
        let text = match text.find("  [**] ").or_else(|| text.find(" [**] ")) {
            Some(i) if ev.app.is_none() => {
                ev.field("alert_time", &text[..i]);
                text[i..].trim_start()
            }
            _ => text,
        };
        alert(text, ev).ok_or("not a Snort/Suricata alert line")
    }
}

/// `[Drop] [**] [1:2:3] message [**] [Classification: c] [Priority: 2] {TCP} a:1 -> b:2`.
fn alert<'a>(text: &'a str, ev: &mut Event<'a>) -> Option<()> {
    let mut rest = text;
    let mut action = "alert";
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("[**]") {
            rest = after;
        } else if let Some(after) = rest.strip_prefix("[Drop]") {
            action = "drop";
            rest = after;
        } else if let Some(after) = rest.strip_prefix("[wDrop]") {
            // "Would drop": an IPS rule in a sensor that only detects.
            ev.field("would_drop", "true");
            rest = after;
        } else {
            break;
        }
    }
    let (id, rest) = rest.strip_prefix('[')?.split_once("] ")?;
    let mut parts = id.split(':');
    let (gid, sid, rev) = (parts.next()?, parts.next()?, parts.next()?);
    if ![gid, sid, rev]
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    let brace = rest.rfind(" {")?;
    let (described, flow) = (&rest[..brace], &rest[brace + 2..]);
    let (protocol, endpoints) = flow.split_once("} ")?;
    let (src, dst) = endpoints.split_once(" -> ")?;
    let message_end = [" [**]", " [Classification: ", " [Priority: "]
        .iter()
        .filter_map(|marker| described.find(marker))
        .min()
        .unwrap_or(described.len());
    let signature = described[..message_end].trim();
    // Snort 3 quotes the message.
    let signature = signature
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(signature);
    ev.rule_name = Some(signature.into());
    ev.field("signature_id", sid);
    ev.field("gid", gid);
    ev.field("rev", rev);
    if let Some(class) = bracketed(described, "[Classification: ") {
        ev.field("classification", class);
    }
    if let Some(priority) = bracketed(described, "[Priority: ") {
        ev.field("priority", priority);
    }
    put(ev, Col::Protocol, "proto", protocol.into());
    endpoint(ev, src, true);
    endpoint(ev, dst, false);
    ev.action = Some(action.into());
    Some(())
}

/// pfSense's Snort alert file: `09/03/21-12:37:16.428952 ,1,2403488,68499,"message",TCP,...`.
/// Returns the stamp and the values after it.
fn csv_alert_stamp(text: &str) -> Option<(&str, &str)> {
    let (stamp, values) = text.split_once(" ,")?;
    let b = stamp.as_bytes();
    let stamped = (17..=27).contains(&b.len())
        && b.get(2) == Some(&b'/')
        && b.get(5) == Some(&b'/')
        && b.contains(&b'-')
        && b.iter().all(|c| c.is_ascii_digit() || b"/-:.".contains(c));
    stamped.then_some((stamp, values))
}

/// `gid,sid,rev,"message",proto,src,sport,dst,dport,packet id,classification,priority,action,
/// disposition` (the last two only in newer packages).
fn csv_alert<'a>(values: &'a str, ev: &mut Event<'a>) -> Option<()> {
    let mut v = csv(values).into_iter();
    let (gid, sid, rev) = (v.next()?, v.next()?, v.next()?);
    ev.rule_name = Some(v.next()?);
    ev.field("signature_id", sid);
    ev.field("gid", gid);
    ev.field("rev", rev);
    put(ev, Col::Protocol, "proto", v.next()?);
    put(ev, Col::SrcIp, "src", v.next()?);
    put(ev, Col::SrcPort, "sport", v.next()?);
    put(ev, Col::DstIp, "dst", v.next()?);
    put(ev, Col::DstPort, "dport", v.next()?);
    let _packet_id = v.next();
    if let Some(class) = v.next().filter(|c| !c.is_empty()) {
        ev.field("classification", class);
    }
    if let Some(priority) = v.next().filter(|p| !p.is_empty()) {
        ev.field("priority", priority);
    }
    let action = v.next().filter(|a| !a.is_empty());
    let disposition = v.next().filter(|d| !d.is_empty());
    // The disposition says what the sensor did (`Allow`, `Blocked`); the action, the rule's kind.
    match (disposition, action) {
        (Some(d), _) if d.eq_ignore_ascii_case("blocked") => {
            ev.action = Some("drop".into());
            ev.field("disposition", d);
        }
        (Some(d), _) => {
            ev.action = Some("alert".into());
            ev.field("disposition", d);
        }
        (None, Some(a)) => put(ev, Col::Action, "rule_action", a),
        (None, None) => ev.action = Some("alert".into()),
    }
    Some(())
}

fn bracketed<'a>(text: &'a str, opening: &str) -> Option<&'a str> {
    let start = text.find(opening)? + opening.len();
    let len = text[start..].find(']')?;
    Some(&text[start..start + len])
}

/// `198.51.100.7:51234`, `[2001:db8::7]:443`, `2001:db8::7` or an address alone (ICMP).
fn endpoint<'a>(ev: &mut Event<'a>, text: &'a str, source: bool) {
    let (address, port) = split_endpoint(text.trim(), false);
    let (address_col, port_col) = if source {
        (Col::SrcIp, Col::SrcPort)
    } else {
        (Col::DstIp, Col::DstPort)
    };
    let key = if source { "src" } else { "dst" };
    put(ev, address_col, key, address.into());
    if let Some(port) = port {
        put(ev, port_col, key, port.into());
    }
}

/// Suricata's EVE JSON records, every event type (alerts, flows, DNS, HTTP, TLS, files, ...).
pub struct SuricataEve;

impl PayloadParser for SuricataEve {
    fn source_type(&self) -> SourceType {
        SourceType::SuricataEve
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, app: Option<&str>, body: &str) -> bool {
        claims_json_record(app, body, &["suricata"], b"\"event_type\"")
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let pairs = json_record(body, ev)?;
        ev.message = None;
        let mut packets = (None, None);
        for (key, value) in pairs {
            let col = match key.as_ref() {
                "src_ip" => Col::SrcIp,
                "dest_ip" => Col::DstIp,
                "src_port" => Col::SrcPort,
                "dest_port" => Col::DstPort,
                "proto" => Col::Protocol,
                "in_iface" => Col::InIface,
                "alert.signature" => Col::RuleName,
                // A detection that let the packet pass is an alert, not traffic allowed;
                // a blocked one was dropped (IPS mode). The word stays under its key.
                "alert.action" => {
                    ev.action = Some(if value == "blocked" { "drop" } else { "alert" }.into());
                    ev.field(key, value);
                    continue;
                }
                "flow.bytes_toserver" => Col::BytesOut,
                "flow.bytes_toclient" => Col::BytesIn,
                "timestamp" => {
                    if let Some((micros, _)) = parse_iso8601(&value, Zone::Utc) {
                        ev.ts = Some(micros);
                    }
                    ev.field(key, value);
                    continue;
                }
                "host" => {
                    if ev.host.is_none() {
                        ev.host = Some(value);
                    } else {
                        ev.field(key, value);
                    }
                    continue;
                }
                "flow.pkts_toserver" | "flow.pkts_toclient" => {
                    let n = value.parse::<u64>().ok();
                    if key == "flow.pkts_toserver" {
                        packets.0 = n;
                    } else {
                        packets.1 = n;
                    }
                    ev.field(key, value);
                    continue;
                }
                _ => {
                    ev.field(key, value);
                    continue;
                }
            };
            put(ev, col, key, value);
        }
        if let (Some(a), Some(b)) = packets {
            ev.packets = Some(a.saturating_add(b));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseStatus;
    use crate::firewall::test_support::parse;

    #[test]
    fn snort_and_suricata_alert_lines() {
        // (line, signature, src, src port, dst, dst port, protocol, action)
        let cases = [
            (
                "Nov 28 10:00:00 pfsense snort[41234]: [1:2403310:48524] ET CINS Active Threat Intelligence Poor Reputation IP group 11 [Classification: Misc Attack] [Priority: 2] {TCP} 45.155.205.233:49152 -> 10.0.0.5:22",
                "ET CINS Active Threat Intelligence Poor Reputation IP group 11",
                "45.155.205.233",
                Some(49152),
                "10.0.0.5",
                Some(22),
                "tcp",
                "alert",
            ),
            (
                "<33>Nov 28 10:00:01 opnsense suricata[812]: [Drop] [1:2010935:3] ET POLICY Suspicious inbound to MSSQL port 1433 [Classification: Potentially Bad Traffic] [Priority: 2] {TCP} 198.51.100.7:51234 -> 10.0.0.6:1433",
                "ET POLICY Suspicious inbound to MSSQL port 1433",
                "198.51.100.7",
                Some(51234),
                "10.0.0.6",
                Some(1433),
                "tcp",
                "drop",
            ),
            (
                "Nov 28 10:00:02 ids01 snort[99]: [1:1000001:1] ICMP test [Classification: Misc activity] [Priority: 3] {ICMP} 192.168.1.5 -> 192.168.1.1",
                "ICMP test",
                "192.168.1.5",
                None,
                "192.168.1.1",
                None,
                "icmp",
                "alert",
            ),
            // fast.log tailed as a file, IPv6 endpoints.
            (
                "11/28/2026-10:00:03.123456  [**] [1:2013504:6] ET POLICY GNU/Linux APT User-Agent Outbound likely related to package management [**] [Classification: Not Suspicious Traffic] [Priority: 3] {TCP} [2001:db8:10::5]:40312 -> [2001:db8:ffff::80]:80",
                "ET POLICY GNU/Linux APT User-Agent Outbound likely related to package management",
                "2001:db8:10::5",
                Some(40312),
                "2001:db8:ffff::80",
                Some(80),
                "tcp",
                "alert",
            ),
            // Snort 3's fast alerts quote the message.
            (
                "11/28-10:00:04.000001 [**] [1:1000002:0] \"ssh to the DMZ\" [**] [Priority: 0] {TCP} 203.0.113.9:50000 -> 10.0.0.7:22",
                "ssh to the DMZ",
                "203.0.113.9",
                Some(50000),
                "10.0.0.7",
                Some(22),
                "tcp",
                "alert",
            ),
        ];
        for (line, signature, src, src_port, dst, dst_port, protocol, action) in cases {
            let ev = parse(line);
            assert_eq!(ev.source_type, SourceType::Ids, "{line}");
            assert_eq!(ev.status, ParseStatus::Ok, "{line}");
            assert_eq!(ev.rule_name.as_deref(), Some(signature), "{line}");
            assert_eq!(ev.src_ip.as_deref(), Some(src), "{line}");
            assert_eq!(ev.src_port, src_port, "{line}");
            assert_eq!(ev.dst_ip.as_deref(), Some(dst), "{line}");
            assert_eq!(ev.dst_port, dst_port, "{line}");
            assert_eq!(ev.protocol.as_deref(), Some(protocol), "{line}");
            assert_eq!(ev.action.as_deref(), Some(action), "{line}");
        }
        let ev = parse(cases[1].0);
        assert_eq!(ev.get_field("signature_id"), Some("2010935"));
        assert_eq!(ev.get_field("gid"), Some("1"));
        assert_eq!(ev.get_field("rev"), Some("3"));
        assert_eq!(
            ev.get_field("classification"),
            Some("Potentially Bad Traffic")
        );
        assert_eq!(ev.get_field("priority"), Some("2"));
        let ev = parse(cases[3].0);
        assert_eq!(
            ev.get_field("alert_time"),
            Some("11/28/2026-10:00:03.123456")
        );
        // pfSense's Snort alert file (CSV).
        let ev = parse(
            "09/03/21-12:37:16.428952 ,1,2403488,68499,\"ET CINS Active Threat Intelligence Poor Reputation IP TCP group 95\",TCP,89.248.168.157,36847,104.5.30.130,91,54321,Misc Attack,2,alert,Allow",
        );
        assert_eq!(ev.source_type, SourceType::Ids);
        assert_eq!(ev.status, ParseStatus::Ok);
        assert_eq!(
            ev.rule_name.as_deref(),
            Some("ET CINS Active Threat Intelligence Poor Reputation IP TCP group 95")
        );
        assert_eq!(ev.src_ip.as_deref(), Some("89.248.168.157"));
        assert_eq!((ev.src_port, ev.dst_port), (Some(36847), Some(91)));
        assert_eq!(ev.dst_ip.as_deref(), Some("104.5.30.130"));
        assert_eq!(ev.action.as_deref(), Some("alert"));
        assert_eq!(ev.get_field("classification"), Some("Misc Attack"));
        assert_eq!(ev.get_field("signature_id"), Some("2403488"));
        let ev = parse(
            "09/03/21-16:29:03.494387 ,1,477,3,\"ICMP Packet\",ICMP,104.5.30.130,,104.5.30.1,,40546,,0,alert,Blocked",
        );
        assert_eq!((ev.src_port, ev.dst_port), (None, None));
        assert_eq!(ev.protocol.as_deref(), Some("icmp"));
        assert_eq!(ev.action.as_deref(), Some("drop"));
        // Other lines of the daemons are kept as they are, marked partial.
        let ev = parse("Nov 28 10:00:05 ids01 suricata[812]: rule reload complete");
        assert_eq!(ev.source_type, SourceType::Ids);
        assert_eq!(ev.status, ParseStatus::Partial);
        assert_eq!(ev.message.as_deref(), Some("rule reload complete"));
    }

    #[test]
    fn suricata_eve_alerts_and_flows() {
        let ev = parse(
            r#"{"timestamp":"2026-11-28T10:00:00.123456+0700","flow_id":1234567,"in_iface":"eth1","event_type":"alert","src_ip":"198.51.100.7","src_port":51234,"dest_ip":"10.0.0.6","dest_port":1433,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2010935,"rev":3,"signature":"ET POLICY Suspicious inbound to MSSQL port 1433","category":"Potentially Bad Traffic","severity":2},"host":"ids01"}"#,
        );
        assert_eq!(ev.source_type, SourceType::SuricataEve);
        assert_eq!(ev.status, ParseStatus::Ok);
        // 10:00 at +07:00 is 03:00 UTC.
        assert_eq!(ev.ts, Some(1_795_834_800_123_456));
        assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.7"));
        assert_eq!(ev.dst_port, Some(1433));
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(ev.in_iface.as_deref(), Some("eth1"));
        assert_eq!(
            ev.rule_name.as_deref(),
            Some("ET POLICY Suspicious inbound to MSSQL port 1433")
        );
        assert_eq!(ev.action.as_deref(), Some("alert"));
        assert_eq!(ev.get_field("alert.action"), Some("allowed"));
        assert_eq!(ev.host.as_deref(), Some("ids01"));
        assert_eq!(ev.get_field("alert.signature_id"), Some("2010935"));
        assert_eq!(ev.get_field("event_type"), Some("alert"));
        let ev = parse(
            r#"<14>Nov 28 10:00:01 ids01 suricata[812]: {"timestamp":"2026-11-28T03:00:01.000000+0000","event_type":"flow","src_ip":"2001:db8:10::5","src_port":40312,"dest_ip":"2001:db8:ffff::80","dest_port":443,"proto":"TCP","app_proto":"tls","flow":{"pkts_toserver":12,"pkts_toclient":10,"bytes_toserver":1840,"bytes_toclient":7320,"state":"closed"}}"#,
        );
        assert_eq!(ev.source_type, SourceType::SuricataEve);
        assert_eq!(ev.app.as_deref(), Some("suricata"));
        assert_eq!(ev.src_ip.as_deref(), Some("2001:db8:10::5"));
        assert_eq!(
            (ev.bytes_out, ev.bytes_in, ev.packets),
            (Some(1840), Some(7320), Some(22))
        );
        assert_eq!(ev.get_field("app_proto"), Some("tls"));
    }
}
