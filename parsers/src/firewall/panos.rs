//! Palo Alto Networks PAN-OS CSV logs: `1,2026/11/26 10:00:00,0123456789,TRAFFIC,end,2562,...`.
//!
//! The fourth column names the log type, and the type fixes the positions of the rest. Positions
//! are those of the PAN-OS syslog field descriptions (stable from 8.x to 11.x for the columns used
//! here); later versions only append columns, so extra trailing columns are ignored. Values with
//! commas are double-quoted, with `""` for a quote. PAN-OS writes `0.0.0.0` and port `0` for
//! "no translation"; those leave the NAT columns empty.

use std::borrow::Cow;

use super::{Col, csv, put};
use crate::event::{Event, FAILURE, SUCCESS, SourceType, Text};
use crate::pattern::match_template;
use crate::payload::PayloadParser;

/// PAN-OS CSV logs.
pub struct PanOs;

const TYPES: &[&str] = &[
    "TRAFFIC",
    "THREAT",
    "SYSTEM",
    "CONFIG",
    "GLOBALPROTECT",
    "USERID",
    "HIPMATCH",
    "AUTH",
    "AUTHENTICATION",
    "DECRYPTION",
    "TUNNEL",
    "CORRELATION",
    "GTP",
    "SCTP",
    "IPTAG",
];

/// The log type when `body` has the PAN-OS CSV shape.
fn log_type(body: &str) -> Option<&str> {
    let body = body.trim_start();
    // A number (`1`, or a Strata tenant's sequence), or nothing, then a comma: reject other
    // records at once.
    if !body
        .as_bytes()
        .first()
        .is_some_and(|c| c.is_ascii_digit() || *c == b',')
    {
        return None;
    }
    let mut cols = body.splitn(5, ',');
    let first = cols.next()?;
    if first.len() > 12 || !first.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    // `2021/03/24 11:30:00`, or ISO 8601 from Strata Logging Service.
    let time = cols.next()?;
    if !time.as_bytes().first()?.is_ascii_digit() || !time.contains(['/', '-']) {
        return None;
    }
    let _serial = cols.next()?;
    let kind = cols.next()?;
    TYPES.contains(&kind).then_some(kind)
}

impl PayloadParser for PanOs {
    fn source_type(&self) -> SourceType {
        SourceType::PanOs
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, _app: Option<&str>, body: &str) -> bool {
        log_type(body).is_some()
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        // After a BSD header the first CSV column may have been read as the tag.
        if ev.app.as_deref().is_some_and(|a| body.starts_with(a)) {
            ev.app = None;
            ev.pid = None;
        }
        ev.message = None;
        let body = body.trim();
        let kind = log_type(body).ok_or("not a PAN-OS CSV log")?;
        let cols = csv(body);
        let get = |i: usize| cols.get(i).cloned().unwrap_or(Cow::Borrowed(""));
        // PAN-OS 10+ appends a high-resolution generation time with its offset
        // (`2025-02-11T10:34:26.348+01:00`), at a place that depends on the log type: the first
        // column in that shape. The older columns are local time without a zone and not used.
        // Strata Logging Service writes the generation time itself in that form (`...Z`).
        if ev.ts.is_none() {
            let zoned = |c: &Text<'_>| {
                let b = c.as_bytes();
                let shaped = b.len() >= 20
                    && b[4] == b'-'
                    && b[10] == b'T'
                    && (b[b.len() - 1] == b'Z' || matches!(b[b.len() - 6], b'+' | b'-'));
                shaped
                    .then(|| crate::time::parse_iso8601(c, crate::time::Zone::Utc))
                    .flatten()
                    .map(|(ts, _)| ts)
            };
            ev.ts = cols
                .get(6)
                .and_then(zoned)
                .or_else(|| cols.iter().skip(7).find_map(zoned));
        }
        ev.field("log_type", kind);
        ev.field("subtype", get(4));
        ev.field("serial", get(2));
        ev.field("generated_time", get(6));
        let put_at = |ev: &mut Event<'a>, i: usize, col: Option<Col>, key: &'static str| {
            let v = get(i);
            if v.is_empty() {
                return;
            }
            match col {
                Some(c) => put(ev, c, key, v),
                None => ev.field(key, v),
            }
        };
        match kind {
            "TRAFFIC" | "THREAT" | "DECRYPTION" | "TUNNEL" | "GTP" | "SCTP" => {
                if cols.len() < 31 {
                    return Err("PAN-OS log shorter than its type's columns");
                }
                put_at(ev, 7, Some(Col::SrcIp), "src");
                put_at(ev, 8, Some(Col::DstIp), "dst");
                put_at(ev, 11, Some(Col::RuleName), "rule");
                put_at(ev, 12, Some(Col::User), "srcuser");
                put_at(ev, 13, None, "dstuser");
                put_at(ev, 14, None, "app");
                put_at(ev, 15, None, "vsys");
                put_at(ev, 16, None, "from_zone");
                put_at(ev, 17, None, "to_zone");
                put_at(ev, 18, Some(Col::InIface), "inbound_if");
                put_at(ev, 19, Some(Col::OutIface), "outbound_if");
                put_at(ev, 22, None, "session_id");
                put_at(ev, 24, Some(Col::SrcPort), "sport");
                put_at(ev, 25, Some(Col::DstPort), "dport");
                put_at(ev, 29, Some(Col::Protocol), "proto");
                put_at(ev, 30, Some(Col::Action), "pan_action");
                // "No translation" is written as 0.0.0.0 / 0.
                let translated = |i: usize| {
                    let v = get(i);
                    (!v.is_empty() && v != "0.0.0.0" && v != "::" && v != "0").then_some(v)
                };
                for (i, col, key) in [
                    (9, Col::NatSrcIp, "natsrc"),
                    (10, Col::NatDstIp, "natdst"),
                    (26, Col::NatSrcPort, "natsport"),
                    (27, Col::NatDstPort, "natdport"),
                ] {
                    if let Some(v) = translated(i) {
                        put(ev, col, key, v);
                    }
                }
                match kind {
                    "TRAFFIC" => {
                        put_at(ev, 32, Some(Col::BytesOut), "bytes_sent");
                        put_at(ev, 33, Some(Col::BytesIn), "bytes_received");
                        put_at(ev, 34, Some(Col::Packets), "packets");
                        put_at(ev, 37, None, "category");
                        put_at(ev, 46, None, "session_end_reason");
                    }
                    "THREAT" => {
                        put_at(ev, 31, None, "misc");
                        put_at(ev, 32, None, "threat_id");
                        put_at(ev, 33, None, "category");
                        put_at(ev, 34, None, "threat_severity");
                        put_at(ev, 35, None, "direction");
                    }
                    _ => {}
                }
            }
            "SYSTEM" => {
                put_at(ev, 8, None, "event_id");
                put_at(ev, 9, None, "object");
                put_at(ev, 12, None, "module");
                put_at(ev, 13, None, "system_severity");
                let description = get(14);
                system_description(&get(8), description.clone(), ev);
                if !description.is_empty() {
                    ev.message = Some(description);
                }
            }
            "CONFIG" => {
                put_at(ev, 7, Some(Col::SrcIp), "host");
                put_at(ev, 9, None, "cmd");
                put_at(ev, 10, Some(Col::User), "admin");
                put_at(ev, 11, None, "client");
                put_at(ev, 12, Some(Col::Outcome), "result");
                put_at(ev, 13, None, "path");
            }
            "GLOBALPROTECT" => {
                for (i, col, key) in [
                    (8, None, "event_id"),
                    (9, None, "stage"),
                    (10, None, "auth_method"),
                    (11, None, "tunnel_type"),
                    (12, Some(Col::User), "srcuser"),
                    (13, None, "source_region"),
                    (14, None, "machine_name"),
                    (19, None, "host_id"),
                    (20, None, "endpoint_serial"),
                    (21, None, "client_version"),
                    (22, None, "client_os"),
                    (23, None, "client_os_version"),
                    (25, None, "reason"),
                    (26, None, "error"),
                    (27, None, "description"),
                    (28, Some(Col::Outcome), "status"),
                    (29, None, "location"),
                    (30, None, "login_duration"),
                    (31, None, "connect_method"),
                    (32, None, "error_code"),
                    (33, None, "portal"),
                ] {
                    put_at(ev, i, col, key);
                }
                // The client's public address, and the one the tunnel gave it; each in an IPv4
                // and an IPv6 column, 0.0.0.0 where there is none.
                for (i, col, key) in [
                    (15, Col::SrcIp, "public_ip"),
                    (16, Col::SrcIp, "public_ipv6"),
                    (17, Col::NatSrcIp, "private_ip"),
                    (18, Col::NatSrcIp, "private_ipv6"),
                ] {
                    let v = get(i);
                    if !matches!(v.as_ref(), "" | "0.0.0.0" | "::") {
                        put(ev, col, key, v);
                    }
                }
            }
            "USERID" => {
                put_at(ev, 8, Some(Col::SrcIp), "ip");
                put_at(ev, 9, Some(Col::User), "user");
                put_at(ev, 10, None, "datasource_name");
            }
            "AUTH" | "AUTHENTICATION" => {
                for (i, col, key) in [
                    (8, Some(Col::SrcIp), "ip"),
                    (9, Some(Col::User), "user"),
                    (10, None, "normalize_user"),
                    (11, None, "object"),
                    (12, Some(Col::RuleName), "auth_policy"),
                    (15, None, "vendor"),
                    (17, None, "server_profile"),
                    (18, None, "description"),
                    (19, None, "client_type"),
                    (20, None, "event_type"),
                ] {
                    put_at(ev, i, col, key);
                }
            }
            "HIPMATCH" => {
                put_at(ev, 7, Some(Col::User), "srcuser");
                put_at(ev, 9, None, "machine_name");
                put_at(ev, 11, Some(Col::SrcIp), "src");
                put_at(ev, 12, Some(Col::RuleName), "matchname");
            }
            _ => {}
        }
        Ok(())
    }
}

/// Authentication events of the SYSTEM log: user, client address and result from the sentence.
pub(super) fn system_description<'a>(event_id: &str, description: Text<'a>, ev: &mut Event<'a>) {
    let outcome = match event_id {
        "auth-success" | "globalprotectgateway-auth-succ" => Some(SUCCESS),
        "auth-fail" | "globalprotectgateway-auth-fail" => Some(FAILURE),
        _ => None,
    };
    if let Some(o) = outcome {
        ev.outcome = Some(o);
    }
    let Cow::Borrowed(d) = description else {
        return;
    };
    // `... for user 'jdoe'.`, `... authenticating user 'jdoe' from '203.0.113.5'`,
    // `From: 203.0.113.5.`, `connected to server 10.0.0.5:389, initiated by: 10.0.0.9`.
    if let Some(i) = d
        .find("for user ")
        .map(|i| i + 9)
        .or_else(|| d.find("authenticating user ").map(|i| i + 20))
    {
        let rest = &d[i..];
        let user = match rest.strip_prefix('\'') {
            Some(q) => q.split('\'').next().unwrap_or(""),
            None => rest.split(['.', ' ', ',']).next().unwrap_or(""),
        };
        // The update scheduler acts as `Auto update agent`: not an account.
        if !user.is_empty() && !rest.starts_with("Auto update agent") {
            put(ev, Col::User, "user", Cow::Borrowed(user));
        }
    }
    if let Some(caps) = match_template("{head} user '{user}' from '{src}'{*}", d)
        && let Some(src) = caps.get("src")
    {
        put(ev, Col::SrcIp, "from", Cow::Borrowed(src));
    }
    if let Some(caps) = match_template("{head} server {server}, initiated by: {src}{*}", d)
        && let Some(server) = caps.get("server")
    {
        let (addr, port) = super::split_addr_port(server);
        put(ev, Col::DstIp, "server", Cow::Borrowed(addr));
        if let Some(p) = port {
            put(ev, Col::DstPort, "server_port", Cow::Borrowed(p));
        }
    }
    // `... completed successfully, initiated by 10.0.0.9` (with or without a colon).
    if let Some(i) = d.find("initiated by") {
        let src = d[i + 12..].trim_start_matches(':').trim_start();
        let src = src.split([' ', ',']).next().unwrap_or("");
        put(
            ev,
            Col::SrcIp,
            "initiated_by",
            Cow::Borrowed(src.trim_end_matches('.')),
        );
    }
    if let Some(i) = d.find("From: ") {
        let ip = d[i + 6..]
            .split([' ', ','])
            .next()
            .unwrap_or("")
            .trim_end_matches('.');
        put(ev, Col::SrcIp, "from", Cow::Borrowed(ip));
    }
    // `server address '10.0.0.5'` or `Server Address 10.0.0.5,` (versions differ in both).
    if let Some(i) = d
        .find("server address ")
        .or_else(|| d.find("Server Address "))
    {
        let server = d[i + 15..].trim_start_matches('\'');
        let server = server.split(['\'', ',', ' ']).next().unwrap_or("");
        put(ev, Col::DstIp, "server_address", Cow::Borrowed(server));
    }
    for template in [
        // The management plane's own connections (update and licence servers, log collectors).
        "Successfully connect to address: {dst} port: {dst_port}, {*}",
        "Connection to Update server closed: {dst_host}, source: {src}",
        "DHCP RENEW: interface {iface}, ip {src} netmask {netmask} dhcp server: {dst}",
        "User {user} logged in via {client} from {src} using {*}",
        "User {user} logged out via {client} from {src} using {*}",
        "{head} upgraded from version {from} to {to} by {user}",
    ] {
        let Some(caps) = match_template(template, d) else {
            continue;
        };
        for (name, value) in caps.iter() {
            let value = Cow::Borrowed(value.trim_end_matches('.'));
            match name {
                "dst" => put(ev, Col::DstIp, name, value),
                "dst_port" => put(ev, Col::DstPort, name, value),
                "src" => put(ev, Col::SrcIp, name, value),
                "iface" => put(ev, Col::InIface, name, value),
                "user" => put(ev, Col::User, name, value),
                "client" | "dst_host" => ev.field(name, value),
                _ => {}
            }
        }
        break;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn traffic_with_bsd_header_and_trailing_columns() {
        let ev = parse(
            "<14>Nov 26 10:00:00 PA-3220 1,2026/11/26 10:00:00,012801000001,TRAFFIC,end,2562,2026/11/26 10:00:00,10.0.0.5,203.0.113.80,198.51.100.1,0.0.0.0,Allow-Web,corp\\an,,ssl,vsys1,trust,untrust,ethernet1/2,ethernet1/1,Fwd,2026/11/26 10:00:00,4711,1,51000,443,40001,0,0x400000,tcp,allow,5000,1200,3800,20,2026/11/26 09:59:50,10,any,,1,0x0,10.0.0.0-10.255.255.255,Viet Nam,,9,11,tcp-fin,extra,columns",
        );
        assert_eq!(ev.source_type, SourceType::PanOs);
        assert_eq!(ev.app, None);
        assert_eq!(ev.host.as_deref(), Some("PA-3220"));
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(ev.nat_src_ip.as_deref(), Some("198.51.100.1"));
        assert_eq!(ev.get_field("nat_src_port"), Some("40001"));
        assert_eq!(ev.nat_dst_ip, None);
        assert_eq!(ev.rule_name.as_deref(), Some("Allow-Web"));
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.get_field("user_domain"), Some("corp"));
        assert_eq!(ev.action.as_deref(), Some("allow"));
        assert_eq!(
            (ev.bytes_out, ev.bytes_in, ev.packets),
            (Some(1200), Some(3800), Some(20))
        );
    }

    #[test]
    fn globalprotect_login() {
        let ev = parse(
            r#"<14>Nov 28 10:00:00 PA-3220 1,2026/11/28 10:00:00,012801000001,GLOBALPROTECT,0,2561,2026/11/28 10:00:00,vsys1,gateway-auth,login,LDAP,,an.nv,VN,PC-01,203.0.113.9,,0.0.0.0,,0f1e,5CD41,6.2.1,Windows,"Microsoft Windows 10 Pro , 64-bit",1,,,"",failure,,0,user-logon,0,gw1,1234567,0x8000000000000000"#,
        );
        assert_eq!(ev.source_type, SourceType::PanOs);
        assert_eq!(ev.user.as_deref(), Some("an.nv"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.nat_src_ip, None, "no tunnel address yet");
        assert_eq!(ev.outcome, Some("failure"));
        assert_eq!(
            ev.get_field("client_os_version"),
            Some("Microsoft Windows 10 Pro , 64-bit")
        );
        assert_eq!(ev.get_field("portal"), Some("gw1"));
    }

    #[test]
    fn quoted_values_and_system_auth() {
        let ev = parse(
            "1,2026/11/26 10:00:00,0128,SYSTEM,auth,2562,2026/11/26 10:00:00,,auth-fail,GP,0,0,general,medium,\"failed authentication for user 'an'.  Reason: Invalid username/password. auth profile 'GP', vsys 'vsys1', server profile 'LDAP', server address '10.0.0.10', From: 203.0.113.9.\",1,0x0",
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.dst_ip.as_deref(), Some("10.0.0.10"));
        assert_eq!(ev.outcome, Some("failure"));
        let c = csv(r#"a,"b,""c""",d"#);
        assert_eq!(c, vec!["a", "b,\"c\"", "d"]);
    }

    #[test]
    fn headers_without_hostname_strata_layout_and_authentication_logs() {
        // A BSD header without hostname: the record's first column is no host.
        let ev = parse(
            "Nov 30 16:09:08 1,2021/03/02 09:55:42,0123,GLOBALPROTECT,0,2305,2021/03/02 09:55:39,vsys1,gateway-auth,login,Other,,an.nv,10.0.0.0-10.255.255.255,PC1234,203.0.113.40,0.0.0.0,0.0.0.0,0.0.0.0,985e,SERIAL,5.1.1,OS,\"OS 10 Enterprise, 64-bit\",1,,,,success,,0,pre-logon,0,GP GW,6894571632887748064,0x8000000000000000",
        );
        assert_eq!(ev.source_type, SourceType::PanOs);
        assert_eq!(ev.host, None);
        assert_eq!(ev.user.as_deref(), Some("an.nv"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.40"));
        // Strata Logging Service: a long sequence number first, ISO 8601 times.
        let ev = parse(
            "931201168,2021-10-22T16:10:10.000000Z,no-serial,GLOBALPROTECT,globalprotect,9.1,2021-10-22T16:10:05.000000Z,vsys1,gateway-hip-check,host-info,,,corp\\an,,HOST1,203.0.113.41,,10.2.2.2,fc00::1,8cbc,SERIAL,5.2.6,,,1,,,HIP report is not needed,success,,0,,0,GP_GW,1305925,true",
        );
        assert_eq!(ev.source_type, SourceType::PanOs);
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.41"));
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(
            ev.ts,
            chrono::DateTime::parse_from_rfc3339("2021-10-22T16:10:05Z")
                .map(|t| t.timestamp_micros())
                .ok()
        );
        let ev = parse(
            "1,2019/11/23 00:44:44,0070,AUTHENTICATION,login,2561,2019/11/23 00:44:44,vsys1,203.0.113.42,an,an,object,MFA-policy,1,auth-id,Okta,log-action,okta-profile,description,client-type,event-type,1,1",
        );
        assert_eq!(ev.source_type, SourceType::PanOs);
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.42"));
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.rule_name.as_deref(), Some("MFA-policy"));
    }

    #[test]
    fn the_high_resolution_time_with_its_offset_is_the_event_time() {
        let ev = parse(
            "1,2025/02/11 10:34:25,0111,SYSTEM,auth,2562,2025/02/11 10:34:26,,auth-fail,FWPA,0,0,general,medium,\"failed authentication for user 'an'. From: 203.0.113.9.\",7459881507616729894,0x0,0,0,0,0,,FWPAN01,0,0,2025-02-11T10:34:26.348+01:00",
        );
        assert_eq!(
            ev.ts,
            chrono::DateTime::parse_from_rfc3339("2025-02-11T09:34:26.348Z")
                .map(|t| t.timestamp_micros())
                .ok()
        );
    }

    #[test]
    fn system_descriptions_of_management_events() {
        let system = |description: &str| {
            format!(
                "1,2026/11/26 10:00:00,0128,SYSTEM,general,2562,2026/11/26 10:00:00,,general,,0,0,general,informational,\"{description}\",1,0x0"
            )
        };
        let line = system("User admin logged in via Web from 203.0.113.9 using https");
        let ev = parse(&line);
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        let line = system("Content package upgraded from version 8671-7826 to 8676-7858 by admin");
        let ev = parse(&line);
        assert_eq!(ev.user.as_deref(), Some("admin"));
        let line = system("WildFire update job succeeded  for user Auto update agent");
        let ev = parse(&line);
        assert_eq!(ev.user, None);
        let line = system(
            "Connection to Update server: updates.paloaltonetworks.com completed successfully, initiated by 10.0.0.1",
        );
        let ev = parse(&line);
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.0.1"));
        let line = system(
            "Connection to Update server closed: updates.paloaltonetworks.com, source: 10.0.0.2",
        );
        let ev = parse(&line);
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.0.2"));
        assert_eq!(
            ev.get_field("dst_host"),
            Some("updates.paloaltonetworks.com")
        );
        let line = system(
            "Successfully connect to address: 198.51.100.7 port: 3978, conn id: triallr-198.51.100.7-2-def",
        );
        let ev = parse(&line);
        assert_eq!(ev.dst_ip.as_deref(), Some("198.51.100.7"));
        assert_eq!(ev.dst_port, Some(3978));
        let line = system(
            "DHCP RENEW: interface eth0, ip 10.0.0.2 netmask 255.255.255.0 dhcp server: 10.0.0.1",
        );
        let ev = parse(&line);
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.0.2"));
        assert_eq!(ev.dst_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(ev.in_iface.as_deref(), Some("eth0"));
        let line = system(
            "authenticated for user joe.   auth profile FFFF, vsys shared, server profile srv, server address 10.0.0.10, auth protocol PAP, From: 203.0.113.9.",
        );
        let ev = parse(&line);
        assert_eq!(ev.user.as_deref(), Some("joe"));
        assert_eq!(ev.dst_ip.as_deref(), Some("10.0.0.10"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
    }
}
