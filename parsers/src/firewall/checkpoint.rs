//! Check Point logs that are not CEF: the Log Exporter syslog format
//! `[action:"Drop"; ifdir:"inbound"; ifname:"eth1"; src:"..."; dst:"..."; proto:"6"; ...]`
//! (`\]`, `\"` and `\;` escaped inside values), the same fields as RFC 5424 structured data
//! under Check Point's enterprise number (`[sc@2620 action="Drop" src="..." ...]`, which the
//! header parser has already put in `fields`), and the positional, space-separated quoted
//! export (`"21" "10Dec2019" "23:44:49" "eth1" "origin" "Log" "Drop" "service" "s_port" "src"
//! "dst" "tcp" "rule" "rule name" ...`), and the Log Exporter's "splunk" format
//! (`time=1764298800|hostname=gw|action=Drop|src=...|dst=...`, `\|` escaped in values). Check
//! Point CEF is read by the CEF parser.

use std::borrow::Cow;

use super::{Col, StaticFinder, after_tag, first_key, put};
use crate::event::{Event, SUCCESS, SourceType, Text};
use crate::payload::PayloadParser;

/// Check Point Log Exporter and positional exports.
pub struct CheckPoint;

/// The Log Exporter list starts with the action.
static LIST_START: StaticFinder = StaticFinder::new(b"[action:\"");
static KEY_END: StaticFinder = StaticFinder::new(b":\"");

/// How the header parser names Check Point's structured-data parameters in `fields`.
/// Check Point's SD-IDs (enterprise number 2620): the Log Exporter's and the older exporter's.
pub(crate) const SD_IDS: [&str; 2] = ["sc@2620", "Fields@1.3.6.1.4.1.2620"];

fn column(key: &str) -> Option<Col> {
    Some(match key {
        "src" => Col::SrcIp,
        "dst" => Col::DstIp,
        // The older exporter writes ports as `svc`, `sport_svc`, `xlatesport_svc`.
        "s_port" | "sport_svc" => Col::SrcPort,
        "service" | "svc" => Col::DstPort,
        "xlatesrc" => Col::NatSrcIp,
        "xlatedst" => Col::NatDstIp,
        "xlatesport" | "xlatesport_svc" => Col::NatSrcPort,
        "xlatedport" | "xlatedport_svc" => Col::NatDstPort,
        "proto" => Col::Protocol,
        "action" => Col::Action,
        "rule_name" => Col::RuleName,
        // Management audit logs (SmartConsole, web API, Expert shell logins) name the admin.
        "user" | "src_user_name" | "src_user" | "administrator" => Col::User,
        "client_ip" => Col::SrcIp,
        "client_outbound_bytes" => Col::BytesOut,
        "client_inbound_bytes" => Col::BytesIn,
        "client_outbound_packets" | "client_inbound_packets" => Col::Packets,
        "msg" => Col::Message,
        _ => return None,
    })
}

/// `[key:"...`: a Log Exporter list, whatever its first key.
fn opens_exporter_list(body: &str) -> bool {
    let Some(list) = body.trim_start().strip_prefix('[') else {
        return false;
    };
    let key_len = list
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    key_len > 0 && list[key_len..].starts_with(":\"")
}

/// `key:"value"; key:"value"; ...` inside the bracket, values unescaped where needed.
fn exporter_pairs(s: &str) -> Vec<(&str, Text<'_>)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && matches!(b[i], b' ' | b';') {
            i += 1;
        }
        let Some(off) = KEY_END.find(&b[i..]) else {
            break;
        };
        let key = s[i..i + off].trim_end_matches(':');
        let start = i + off + 2;
        let mut j = start;
        let mut escaped = false;
        while j < b.len() && b[j] != b'"' {
            if b[j] == b'\\' {
                escaped = true;
                j += 1;
            }
            j += 1;
        }
        let end = j.min(b.len());
        let raw = &s[start..end];
        let value = if escaped {
            Cow::Owned(unescape(raw))
        } else {
            Cow::Borrowed(raw)
        };
        if !key.is_empty() {
            out.push((key, value));
        }
        i = end + 1;
    }
    out
}

/// The Log Exporter's "splunk" list (`time=...|hostname=...|...`) in `body`: behind the
/// exporter's `CheckPoint` tag, or with no header at all and then with its own keys. (Asked of
/// every record no other parser claimed: any other tag is rejected at once.)
fn pipe_list<'a>(app: Option<&str>, body: &'a str) -> Option<&'a str> {
    let text = match app {
        Some("CheckPoint") => after_tag(app, body).unwrap_or(body),
        None => body,
        Some(_) => return None,
    }
    .trim();
    if first_key(text).is_empty() || !text.contains('|') {
        return None;
    }
    (app.is_some() || text.contains("|product=") || text.contains("|origin=")).then_some(text)
}

/// `key=value|key=value`, a `|` or `=` escaped with a backslash inside a value.
fn pipe_pairs(list: &str) -> Vec<(Text<'_>, Text<'_>)> {
    fn push<'a>(out: &mut Vec<(Text<'a>, Text<'a>)>, part: &'a str, escaped: bool) {
        if let Some((key, value)) = part.split_once('=')
            && !key.is_empty()
        {
            let value = if escaped {
                Cow::Owned(unescape(value))
            } else {
                Cow::Borrowed(value)
            };
            out.push((Cow::Borrowed(key), value));
        }
    }
    let mut out = Vec::new();
    let b = list.as_bytes();
    let (mut start, mut escaped, mut i) = (0, false, 0);
    while i < b.len() {
        match b[i] {
            b'\\' => {
                escaped = true;
                i += 2;
                continue;
            }
            b'|' => {
                push(&mut out, &list[start..i], escaped);
                start = i + 1;
                escaped = false;
            }
            _ => {}
        }
        i += 1;
    }
    push(&mut out, list.get(start..).unwrap_or(""), escaped);
    out
}

/// Drops the backslash of each escape (`\|` -> `|`).
fn unescape(raw: &str) -> String {
    let mut v = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => v.extend(chars.next()),
            c => v.push(c),
        }
    }
    v
}

/// The values of a `"a" "b" "c"` line.
fn quoted_columns(s: &str) -> Vec<&str> {
    s.split('"').skip(1).step_by(2).collect()
}

impl PayloadParser for CheckPoint {
    fn source_type(&self) -> SourceType {
        SourceType::CheckPoint
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, app: Option<&str>, body: &str) -> bool {
        // The structured-data form has no message: the Log Exporter's app name tells it. A
        // list not opening with the action (audit logs: `[flags:"...`) is no valid structured
        // data and stays in the body.
        (app == Some("CheckPoint") && (body.trim().is_empty() || opens_exporter_list(body)))
            || pipe_list(app, body).is_some()
            || LIST_START.find(body.as_bytes()).is_some()
            || (body.starts_with('"') && quoted_columns(body).len() >= 14 && {
                let cols = quoted_columns(body);
                matches!(cols[5], "Log" | "Alert" | "Control") && cols[1].len() == 9
            })
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        ev.message = None;
        let tag = match &ev.app {
            Some(Cow::Borrowed(a)) => Some(*a),
            _ => None,
        };
        if let Some(list) = pipe_list(tag, body) {
            apply(pipe_pairs(list), ev);
            return Ok(());
        }
        if body.starts_with('"') {
            let cols = quoted_columns(body);
            let names = [
                "number",
                "date",
                "time",
                "ifname",
                "origin",
                "type",
                "action",
                "service",
                "s_port",
                "src",
                "dst",
                "proto",
                "rule",
                "rule_name",
                "layer",
            ];
            for (name, value) in names.into_iter().zip(cols.iter().copied()) {
                if value.is_empty() {
                    continue;
                }
                let v = Cow::Borrowed(value);
                match (name, column(name)) {
                    ("ifname", _) => put(ev, Col::InIface, name, v),
                    (_, Some(col)) => put(ev, col, name, v),
                    _ => ev.field(name, v),
                }
            }
            if let Some(info) = cols.get(16).filter(|s| !s.is_empty()) {
                ev.message = Some(Cow::Borrowed(info));
            }
            return Ok(());
        }
        // The Log Exporter puts its `[key:"value"; ...]` list where RFC 5424 structured data goes;
        // it is this payload, not malformed structured data.
        if ev.error.as_deref() == Some("rfc5424: malformed structured data") {
            ev.status = crate::ParseStatus::Ok;
            ev.error = None;
        }
        // Structured data under Check Point's SD-IDs first: a message after it may hold a `[`.
        let mut pairs = structured_data_pairs(ev);
        if pairs.is_empty()
            && let Some(start) = LIST_START.find(body.as_bytes()).or_else(|| body.find('['))
        {
            let list = body[start + 1..].trim_end();
            let list = list.strip_suffix(']').unwrap_or(list);
            pairs = exporter_pairs(list)
                .into_iter()
                .map(|(k, v)| (Cow::Borrowed(k), v))
                .collect();
        }
        if pairs.is_empty() {
            return Err("no Check Point field list");
        }
        apply(pairs, ev);
        Ok(())
    }
}

/// The parameters under Check Point's SD-IDs, taken out of `fields` without their prefix (the
/// rest of `fields` stays).
fn structured_data_pairs<'a>(ev: &mut Event<'a>) -> Vec<(Text<'a>, Text<'a>)> {
    let prefix_len = |k: &str| {
        SD_IDS.iter().find_map(|id| {
            (k.len() > id.len() && k.starts_with(id) && k.as_bytes()[id.len()] == b'.')
                .then_some(id.len() + 1)
        })
    };
    ev.fields
        .extract_if(.., |(k, _)| prefix_len(k).is_some())
        .map(|(k, v)| {
            let n = prefix_len(&k).unwrap_or(0);
            // The header parser built the key; dropping the prefix reuses its text.
            let k = match k {
                Cow::Borrowed(k) => Cow::Borrowed(&k[n..]),
                Cow::Owned(mut k) => {
                    k.drain(..n);
                    Cow::Owned(k)
                }
            };
            (k, v)
        })
        .collect()
}

/// Puts the Log Exporter's fields into columns (or `fields`).
fn apply<'a>(pairs: Vec<(Text<'a>, Text<'a>)>, ev: &mut Event<'a>) {
    let inbound = !pairs.iter().any(|(k, v)| k == "ifdir" && v == "outbound");
    for (key, value) in pairs {
        match key.as_ref() {
            "ifname" => {
                let col = if inbound { Col::InIface } else { Col::OutIface };
                put(ev, col, key, value);
            }
            "time" if ev.ts.is_none() => {
                if let Ok(secs) = value.parse::<i64>() {
                    ev.ts = Some(secs.saturating_mul(1_000_000));
                }
                ev.field(key, value);
            }
            // A service that is not a port number (`http`) stays a field.
            k => match column(k) {
                Some(col) => put(ev, col, key, value),
                None => ev.field(key, value),
            },
        }
    }
    // An administrator's login: `audit_status:"Failure"` when it failed, nothing when it worked.
    if ev.get_field("operation") == Some("Log In") {
        ev.outcome = match ev.get_field("audit_status") {
            Some(status) => super::normalize_outcome(status),
            None => Some(SUCCESS),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn older_exporter_structured_data_whatever_the_program() {
        let ev = parse(
            r#"<85>1 2026-11-28T12:10:16+07:00 172.16.2.9 CP-GW - Log [Fields@1.3.6.1.4.1.2620 inzone="DMZ" outzone="External" service_id="https" src="10.30.1.8" dst="203.0.113.80" proto="6" xlatesrc="198.51.100.4" xlatedst="" NAT_rulenum="1195" user="" src_user_name="" layer_name="DC Security" rule_name="web-out" ProductName="VPN-1 &amp; FireWall-1" svc="443" sport_svc="56530" xlatedport_svc="" xlatesport_svc="28493" ProductFamily="Network" ]"#,
        );
        assert_eq!(ev.source_type, SourceType::CheckPoint);
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("10.30.1.8"), Some(56530))
        );
        assert_eq!(
            (ev.dst_ip.as_deref(), ev.dst_port),
            (Some("203.0.113.80"), Some(443))
        );
        assert_eq!(ev.nat_src_ip.as_deref(), Some("198.51.100.4"));
        assert_eq!(ev.get_field("nat_src_port"), Some("28493"));
        assert_eq!(ev.rule_name.as_deref(), Some("web-out"));
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
    }

    #[test]
    fn administrator_logins_in_audit_lists() {
        let ok = parse(
            r#"<134>1 2026-11-28T08:42:55Z CP-Manager CheckPoint 10547 - [action:"Accept"; flags:"163872"; ifdir:"outbound"; origin:"10.0.0.153"; time:"1795855375"; version:"5"; additional_info:"Authentication method: radius"; administrator:"an.nv@stttt.gov.vn"; client_ip:"10.16.10.27"; machine:"pc-soc-01"; operation:"Log In"; operation_number:"10"; product:"SmartConsole"; subject:"Administrator Login"]"#,
        );
        assert_eq!(ok.source_type, SourceType::CheckPoint);
        assert_eq!(ok.user.as_deref(), Some("an.nv"));
        assert_eq!(ok.src_ip.as_deref(), Some("10.16.10.27"));
        assert_eq!(ok.outcome, Some(SUCCESS));
        let failed = parse(
            r#"<134>1 2026-11-28T09:39:55Z CP-Manager CheckPoint 10547 - [action:"Accept"; flags:"163872"; administrator:"admin"; audit_status:"Failure"; client_ip:"198.51.100.23"; operation:"Log In"; product:"SmartConsole"; subject:"Administrator Login"]"#,
        );
        assert_eq!(failed.outcome, Some(crate::event::FAILURE));
        // Gateway audit lists open with another key than the action.
        let shell = parse(
            r#"<134>1 2026-11-28T08:38:43Z CP-Manager CheckPoint 10547 - [alert:"Expert_Alert"; flags:"139296"; ifdir:"inbound"; origin:"10.16.109.248"; additional_info:"SSH connection by admin user to Expert Shell"; administrator:"admin"; client_ip:"10.16.109.244"; device_name:"CPFW-0001"; operation:"Log In"; product:"Expert Shell"; subject:"Administrator Expert Shell login"]"#,
        );
        assert_eq!(shell.source_type, SourceType::CheckPoint);
        assert_eq!(shell.status, crate::ParseStatus::Ok);
        assert_eq!(shell.user.as_deref(), Some("admin"));
        assert_eq!(shell.src_ip.as_deref(), Some("10.16.109.244"));
    }

    #[test]
    fn log_exporter_splunk_format() {
        let line = r"<134>1 2026-11-28T03:00:00Z gw-01 CheckPoint 12345 - - time=1764298800|hostname=gw-01|product=Firewall|rule_name=Cleanup rule|action=Drop|ifdir=inbound|ifname=eth1|origin=10.0.0.1|originsicname=CN=gw-01,O=mgmt|dst=10.1.1.5|proto=6|s_port=4444|service=22|src=203.0.113.9|msg=a\|b";
        let ev = parse(line);
        assert_eq!(ev.source_type, SourceType::CheckPoint);
        assert_eq!(ev.action.as_deref(), Some("drop"));
        assert_eq!(ev.rule_name.as_deref(), Some("Cleanup rule"));
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("203.0.113.9"), Some(4444))
        );
        assert_eq!(
            (ev.dst_ip.as_deref(), ev.dst_port),
            (Some("10.1.1.5"), Some(22))
        );
        assert_eq!(ev.in_iface.as_deref(), Some("eth1"));
        assert_eq!(ev.get_field("originsicname"), Some("CN=gw-01,O=mgmt"));
        assert_eq!(ev.message.as_deref(), Some("a|b"));
        // Behind a BSD header, and without the exporter's tag (its own keys tell it).
        let ev = parse(
            "<134>Nov 28 10:00:00 gw-01 CheckPoint[123]: time=1764298800|action=Accept|src=10.1.1.5|dst=8.8.8.8|proto=17|service=53",
        );
        assert_eq!(ev.source_type, SourceType::CheckPoint);
        assert_eq!(ev.action.as_deref(), Some("allow"));
        let ev = parse("time=1764298800|product=Firewall|action=Drop|src=203.0.113.9|dst=10.1.1.5");
        assert_eq!(ev.source_type, SourceType::CheckPoint);
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        // A plain daemon's `a=b|c` is not Check Point.
        let ev = parse("<13>Nov 28 10:00:00 web01 app: mode=a|b");
        assert_eq!(ev.source_type, SourceType::Syslog);
    }

    #[test]
    fn log_exporter_as_structured_data() {
        let line = r#"<134>1 2026-11-28T03:00:00Z cp-gw01 CheckPoint 2475 - [sc@2620 flags="133376" ifdir="inbound" ifname="eth0" origin="10.0.0.1" time="1764298800" action="Drop" dst="10.1.1.5" rule_name="Cleanup rule" proto="6" s_port="4444" service="3389" service_id="rdp" src="203.0.113.9"]"#;
        let ev = parse(line);
        assert_eq!(ev.source_type, SourceType::CheckPoint);
        assert_eq!(ev.status, crate::ParseStatus::Ok);
        assert_eq!(ev.action.as_deref(), Some("drop"));
        assert_eq!(ev.rule_name.as_deref(), Some("Cleanup rule"));
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("203.0.113.9"), Some(4444))
        );
        assert_eq!(
            (ev.dst_ip.as_deref(), ev.dst_port),
            (Some("10.1.1.5"), Some(3389))
        );
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(ev.in_iface.as_deref(), Some("eth0"));
        assert_eq!(ev.get_field("service_id"), Some("rdp"));
        assert_eq!(ev.get_field("syslog_version"), Some("1"));
        // A CheckPoint-tagged record with neither form stays plain syslog.
        let ev = parse("<134>1 2026-11-28T03:00:00Z cp-gw01 CheckPoint 2475 - - policy installed");
        assert_eq!(ev.source_type, SourceType::Syslog);
    }

    #[test]
    fn log_exporter_list() {
        let line = r#"<134>1 2026-11-26T03:00:00Z cpgw CheckPoint 2412 - [action:"Drop"; ifdir:"inbound"; ifname:"eth1"; origin:"10.0.0.1"; policy:"p[1\]"; proto:"6"; rule_name:"Clean-up Rule"; s_port:"54377"; service:"3389"; src:"203.0.113.5"; dst:"10.0.0.8"; xlatesrc:"0.0.0.0"]"#;
        let ev = parse(line);
        assert_eq!(ev.source_type, SourceType::CheckPoint);
        assert_eq!(ev.action.as_deref(), Some("drop"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.5"));
        assert_eq!(ev.dst_port, Some(3389));
        assert_eq!(ev.rule_name.as_deref(), Some("Clean-up Rule"));
        assert_eq!(ev.in_iface.as_deref(), Some("eth1"));
        assert_eq!(ev.get_field("policy"), Some("p[1]"));
    }
}
