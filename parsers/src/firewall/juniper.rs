//! Juniper SRX / Junos: `RT_FLOW` session events and the management-plane `UI_*` events.
//!
//! `RT_FLOW_SESSION_CREATE|CLOSE|DENY` arrive three ways: as RFC 5424 structured data (the header
//! parser has already put `junos@2636... source-address="..."` into `fields`; it is mapped here),
//! as a bracketed structured-data block inside a BSD message, and as the older positional text
//! (`session created 10.0.0.1/5000->8.8.8.8/53 0x0 junos-dns-udp 198.51.100.1/40000->8.8.8.8/53
//! ...`), read by position around the two `a/p->b/q` endpoints. The event name fills `msgid`.

use std::borrow::Cow;

use super::kv::{Dialect, pairs};
use std::sync::LazyLock;

use super::{Col, Sentences, capture_column, put, split_addr_port};
use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use crate::payload::PayloadParser;

/// Juniper SRX and Junos events.
pub struct JuniperSrx;

/// Where a Junos structured-data name goes.
fn column(name: &str) -> Option<Col> {
    Some(match name {
        // `RT_AAMW` (Advanced Anti-Malware) names the infected client `client-ip`.
        "source-address" | "client-ip" => Col::SrcIp,
        "destination-address" => Col::DstIp,
        "source-port" => Col::SrcPort,
        "destination-port" => Col::DstPort,
        "nat-source-address" => Col::NatSrcIp,
        "nat-source-port" => Col::NatSrcPort,
        "nat-destination-address" => Col::NatDstIp,
        "nat-destination-port" => Col::NatDstPort,
        "protocol-id" | "protocol-name" => Col::Protocol,
        // An `RT_IDP` attack names its rule as a numbered rule of a rulebase (`IPS`, `DDOS`)
        // of the IDP policy; the rulebase comes first and is the rule's name.
        "rulebase-name" | "policy-name" => Col::RuleName,
        "username" => Col::User,
        // `RT_SCREEN_*` in structured data name the interface the attack came in on.
        "packet-incoming-interface" | "interface-name" | "source-interface-name" => Col::InIface,
        "destination-interface-name" => Col::OutIface,
        // `RT_IDP`'s verdict (`DROP`, `CLOSE`, `NONE`); session events take theirs from the name.
        "action" => Col::Action,
        "bytes-from-client" | "outbound-bytes" => Col::BytesOut,
        "bytes-from-server" | "inbound-bytes" => Col::BytesIn,
        "packets-from-client" | "packets-from-server" => Col::Packets,
        _ => return None,
    })
}

fn is_event_name(word: &str) -> bool {
    word.len() > 3
        && word.contains('_')
        && word
            .bytes()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
}

impl PayloadParser for JuniperSrx {
    fn source_type(&self) -> SourceType {
        SourceType::JuniperSrx
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, app: Option<&str>, body: &str) -> bool {
        match app {
            Some(a) if a.starts_with("RT_") => true,
            Some("mgd" | "rshd") => true,
            _ => {
                let body = crate::payload::trim_start(body);
                body.starts_with("RT_FLOW")
                    || body.starts_with("RT_IDP")
                    || body.starts_with("RT_IDS")
                    || body.starts_with("RT_SCREEN")
                    // A management event whose `mgd[pid]:` tag a relay removed.
                    || (body.starts_with("UI_")
                        && body.split_once(": ").is_some_and(|(name, _)| is_event_name(name)))
            }
        }
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        // The event name: a BSD "tag", the first word of the message, or the RFC 5424 MSGID.
        let trimmed = body.trim_start();
        let (name, text): (Option<&'a str>, &'a str) = if trimmed.starts_with("RT_") {
            // `RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed ...`: the last `RT_` word names it.
            let mut name = None;
            let mut text = trimmed;
            let facility = trimmed.split([' ', ':']).next();
            while text.starts_with("RT_") {
                let (first, rest) = text.split_once([' ', ':']).unwrap_or((text, ""));
                name = Some(first);
                text = rest.trim_start_matches(':').trim_start();
                // `RT_IDS - RT_SCREEN_ICMP [...]`: an RFC 5424 APP-NAME, nil PROCID and MSGID
                // whose header a relay cut off.
                if let Some(after_nil) = text.strip_prefix("- ") {
                    text = after_nil.trim_start();
                }
            }
            if ev.app.as_deref().is_some_and(|a| a.starts_with("RT_FLOW_")) {
                ev.app = Some(Cow::Borrowed("RT_FLOW"));
            }
            // `RT_IDS - RT_SCREEN_ICMP`, `RT_FLOW: RT_FLOW_SESSION_CLOSE`: the first word is the
            // facility that sent it.
            if ev.app.is_none()
                && let Some(f) = facility.filter(|f| Some(*f) != name)
            {
                ev.app = Some(Cow::Borrowed(f));
            }
            (name, text)
        } else {
            let message: &'a str = match &ev.message {
                Some(Cow::Borrowed(m)) => m,
                _ => "",
            };
            match message.split_once(": ") {
                Some((first, rest)) if is_event_name(first) => (Some(first), rest),
                _ => (None, message),
            }
        };
        let name = name.or(match &ev.msgid {
            Some(Cow::Borrowed(m)) => Some(*m),
            _ => None,
        });
        if let Some(name) = name {
            if ev.app.is_none() && name.starts_with("RT_FLOW") {
                ev.app = Some(Cow::Borrowed("RT_FLOW"));
            }
            ev.msgid.get_or_insert(Cow::Borrowed(name));
            if let Some(outcome) = login_outcome(name) {
                ev.outcome = Some(outcome);
            }
            if name.contains("SESSION_DENY") {
                ev.action = Some(Cow::Borrowed("deny"));
            } else if name.contains("SESSION_CREATE") || name.contains("SESSION_CLOSE") {
                ev.action = Some(Cow::Borrowed("allow"));
            } else if name.starts_with("WEBFILTER_") || name.starts_with("AV_") {
                // `RT_UTM` names its verdict: `WEBFILTER_URL_BLOCKED`, `..._PERMITTED`,
                // `AV_SCANNER_DROP_FILE_MT`.
                if name.contains("_BLOCKED") {
                    ev.action = Some(Cow::Borrowed("deny"));
                } else if name.contains("_PERMITTED") {
                    ev.action = Some(Cow::Borrowed("allow"));
                } else if name.contains("_DROP") {
                    ev.action = Some(Cow::Borrowed("drop"));
                }
            }
        }
        // RFC 5424 structured data already in `fields`: move known names to columns.
        let sd = std::mem::take(&mut ev.fields);
        for (key, value) in sd {
            let short = key.rsplit('.').next().unwrap_or("");
            match column(short).filter(|_| key.starts_with("junos@")) {
                Some(col) => put(ev, col, Cow::Owned(short.to_owned()), value),
                None => ev.fields.push((key, value)),
            }
        }
        let text = text.trim();
        if let Some(inner) = text.strip_prefix('[') {
            let inner = inner.trim_end().trim_end_matches(']');
            // The block opens with its SD-ID (`junos@2636...`) unless a relay dropped it.
            let attrs = match inner.split_once(' ') {
                Some((id, attrs)) if !id.contains('=') => attrs,
                _ if inner.contains('=') => inner,
                _ => "",
            };
            for (key, value) in pairs(attrs, b' ', Dialect::Quoted) {
                match column(key) {
                    Some(col) => put(ev, col, key, value),
                    None => ev.field(key, value),
                }
            }
            return Ok(());
        }
        if !text.is_empty() {
            ev.message = Some(Cow::Borrowed(text));
        }
        if let Some(rest) = text.strip_prefix("session ") {
            positional(rest, ev);
        } else if name.is_some_and(|n| n.starts_with("RT_SCREEN")) {
            screen(text, ev);
        } else if let Some(name) = name {
            MANAGEMENT_SET.apply(name, text, ev, capture_column);
        } else if ev.app.as_deref() == Some("rshd") {
            MANAGEMENT_SET.apply("rshd", text, ev, capture_column);
        }
        Ok(())
    }
}

/// The result a Junos event's name states: `SSHD_LOGIN_FAILED`, `SNMPD_AUTH_FAILURE`,
/// `DOT1XD_USR_AUTHENTICATED`.
fn login_outcome(name: &str) -> Option<&'static str> {
    if name.ends_with("LOGIN_FAILED") || name.ends_with("AUTH_FAILURE") {
        Some(FAILURE)
    } else if name.ends_with("USR_AUTHENTICATED") || name.ends_with("LOGIN_ACCEPTED") {
        Some(SUCCESS)
    } else {
        None
    }
}

/// `created A/p->B/q [tag] service NA/np->NB/nq [tag] ... proto policy zone zone id ...`.
fn positional<'a>(text: &'a str, ev: &mut Event<'a>) {
    let words: Vec<&'a str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let closed = text.starts_with("closed");
    let mut endpoints = 0;
    let mut after = 0;
    let mut close_reason: Vec<&'a str> = Vec::new();
    for (i, w) in words.iter().copied().enumerate() {
        if let Some((a, b)) = w.split_once("->") {
            let (src, sport) = split_addr_port(a);
            let (dst, dport) = split_addr_port(b);
            let (ci, cp, di, dp) = if endpoints == 0 {
                (Col::SrcIp, Col::SrcPort, Col::DstIp, Col::DstPort)
            } else {
                (
                    Col::NatSrcIp,
                    Col::NatSrcPort,
                    Col::NatDstIp,
                    Col::NatDstPort,
                )
            };
            put(ev, ci, "src", Cow::Borrowed(src));
            put(ev, di, "dst", Cow::Borrowed(dst));
            if let Some(p) = sport {
                put(ev, cp, "sport", Cow::Borrowed(p));
            }
            if let Some(p) = dport {
                put(ev, dp, "dport", Cow::Borrowed(p));
            }
            endpoints += 1;
            after = i + 1;
            if endpoints == 2 {
                break;
            }
        } else if endpoints == 0 && closed {
            close_reason.push(w);
        } else if endpoints == 1 && !w.starts_with("0x") && ev.get_field("service_name").is_none() {
            ev.field("service_name", w);
        }
    }
    if close_reason.len() > 1 {
        let reason = close_reason[1..].join(" ");
        ev.field("reason", reason.trim_end_matches(':').to_owned());
    }
    let after_nat = &words[after.min(words.len())..];
    // The protocol is the first number (or `6(0)` in a deny); policy and zones follow it.
    let Some(at) = after_nat.iter().position(|w| {
        let digits = w.split('(').next().unwrap_or("");
        !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit())
    }) else {
        return;
    };
    let proto = after_nat[at].split('(').next().unwrap_or("");
    put(ev, Col::Protocol, "protocol_id", Cow::Borrowed(proto));
    let mut rest = after_nat[at + 1..].iter().copied();
    if let Some(policy) = rest.next() {
        put(ev, Col::RuleName, "policy_name", Cow::Borrowed(policy));
    }
    if let Some(z) = rest.next() {
        ev.field("source_zone_name", z);
    }
    if let Some(z) = rest.next() {
        ev.field("destination_zone_name", z);
    }
    // A deny has no session (and no counters); what follows differs by kind:
    //   created: id  user(roles) interface application nested-application ...
    //   closed:  id  p(b) p(b) elapsed  application nested-application user(roles) interface ...
    //   denied:      application nested-application user(roles) interface ...
    // Releases before 12.1 stop after the zones or the session id.
    let denied = text.starts_with("denied");
    if !denied && let Some(id) = rest.next() {
        ev.field("session_id", id);
    }
    if closed {
        // `packets(bytes)` from the client, then from the server.
        for i in 0..2 {
            let Some(w) = rest.next() else { return };
            if let Some((p, b)) = w.trim_end_matches(')').split_once('(') {
                let (pc, bc) = if i == 0 {
                    (Col::Packets, Col::BytesOut)
                } else {
                    (Col::Packets, Col::BytesIn)
                };
                put(ev, pc, "packets", Cow::Borrowed(p));
                put(ev, bc, "bytes", Cow::Borrowed(b));
            }
        }
        if let Some(elapsed) = rest.next() {
            ev.field("elapsed_time", elapsed);
        }
    }
    let tail: Vec<&'a str> = rest.take(4).collect();
    let (application, user_at) = if closed || denied { (0, 2) } else { (2, 0) };
    // The account word is the anchor: `N/A(N/A)` or `an(roles)`; without it the layout is not
    // the one described above and nothing more is read.
    let Some(account) = tail
        .get(user_at)
        .filter(|w| w.ends_with(')') && w.contains('('))
    else {
        return;
    };
    let user = account.split('(').next().unwrap_or("");
    put(ev, Col::User, "username", Cow::Borrowed(user));
    if let Some(iface) = tail.get(user_at + 1) {
        put(
            ev,
            Col::InIface,
            "packet_incoming_interface",
            Cow::Borrowed(iface),
        );
    }
    if let Some(app) = tail.get(application) {
        ev.field("application", *app);
    }
    if let Some(nested) = tail.get(application + 1) {
        ev.field("nested_application", *nested);
    }
}

/// `RT_SCREEN_*` (the screens that stop floods and malformed packets):
/// `SYN flood! source: 203.0.113.9:4444, destination: 10.1.1.5:80, zone name: untrust,
/// interface name: ge-0/0/0.0, action: drop`; ports only for TCP and UDP screens.
fn screen<'a>(text: &'a str, ev: &mut Event<'a>) {
    let Some((attack, rest)) = text.split_once("! ") else {
        return;
    };
    ev.field("attack_name", attack);
    for part in rest.split(", ") {
        let Some((name, value)) = part.split_once(": ") else {
            continue;
        };
        let value = value.trim();
        match name.trim() {
            "source" | "destination" => {
                let source = name.trim() == "source";
                let (addr, port) = split_addr_port(value);
                let (ip, p) = if source {
                    (Col::SrcIp, Col::SrcPort)
                } else {
                    (Col::DstIp, Col::DstPort)
                };
                put(ev, ip, name, Cow::Borrowed(addr));
                if let Some(port) = port {
                    put(ev, p, name, Cow::Borrowed(port));
                }
            }
            "protocol-id" => put(ev, Col::Protocol, "protocol_id", Cow::Borrowed(value)),
            "zone name" => ev.field("source_zone_name", value),
            "interface name" => put(ev, Col::InIface, "interface_name", Cow::Borrowed(value)),
            "action" => put(ev, Col::Action, "action", Cow::Borrowed(value)),
            other => ev.field(other, value),
        }
    }
}

/// `UI_*` management events and a few others, by event name.
#[rustfmt::skip]
static MANAGEMENT: &[(&str, &str, Option<&str>)] = &[
    ("UI_LOGIN_EVENT", "User '{user}' login, class '{class}' [{session}], ssh-connection '{src} {src_port} {dst} {dst_port}', client-mode '{mode}'", Some(SUCCESS)),
    ("UI_LOGIN_EVENT", "User '{user}' login, class '{class}'{*}", Some(SUCCESS)),
    ("UI_LOGOUT_EVENT", "User '{user}' logout", None),
    ("UI_AUTH_EVENT", "Authenticated user '{user}' {tail}", Some(SUCCESS)),
    ("UI_CMDLINE_READ_LINE", "User '{user}' command '{command}'", None),
    ("UI_JUNOSCRIPT_CMD", "User '{user}' used JUNOScript client to run command '{command}'", None),
    ("UI_NETCONF_CMD", "User '{user}' used NETCONF client to run command '{command}'", None),
    ("UI_COMMIT", "User '{user}' requested '{command}' operation{*}", None),
    ("SSHD_LOGIN_FAILED", "Login failed for user '{user}' from host '{src}'", Some(FAILURE)),
    ("rshd", "{user}@{src} as {local_user}: cmd='{command}'", None),
];

static MANAGEMENT_SET: LazyLock<Sentences> = LazyLock::new(|| Sentences::new(MANAGEMENT));

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn structured_data_in_rfc5424() {
        let ev = parse(
            r#"<14>1 2026-11-26T10:00:00.000+07:00 srx1 RT_FLOW - RT_FLOW_SESSION_DENY [junos@2636.1.1.1.2.40 source-address="10.0.0.5" source-port="51000" destination-address="203.0.113.80" destination-port="23" service-name="junos-telnet" protocol-id="6" policy-name="deny-all" username="N/A"] session denied 10.0.0.5/51000->203.0.113.80/23"#,
        );
        assert_eq!(ev.source_type, SourceType::JuniperSrx);
        assert_eq!(ev.msgid.as_deref(), Some("RT_FLOW_SESSION_DENY"));
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(ev.dst_port, Some(23));
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(ev.rule_name.as_deref(), Some("deny-all"));
        assert_eq!(ev.user, None);
    }

    #[test]
    fn positional_close() {
        let ev = parse(
            "<14>Nov 26 10:00:00 srx1 RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed TCP FIN: 10.0.0.5/51000->203.0.113.80/443 0x0 junos-https 198.51.100.1/40001->203.0.113.80/443 0x0 source rule r1 N/A N/A 6 allow-web trust untrust 4711 12(1500) 10(9000) 30",
        );
        assert_eq!(ev.nat_src_ip.as_deref(), Some("198.51.100.1"));
        assert_eq!(ev.get_field("nat_src_port"), Some("40001"));
        assert_eq!(ev.rule_name.as_deref(), Some("allow-web"));
        assert_eq!(ev.get_field("reason"), Some("TCP FIN"));
        assert_eq!(
            (ev.bytes_out, ev.bytes_in, ev.packets),
            (Some(1500), Some(9000), Some(22))
        );
    }

    #[test]
    fn positional_deny_and_create_in_current_releases() {
        let deny = parse(
            "<14>Nov 28 10:00:00 srx01 RT_FLOW: RT_FLOW_SESSION_DENY: session denied 10.1.1.5/51000->8.8.8.8/23 0x0 junos-telnet 6(0) deny-all trust untrust UNKNOWN UNKNOWN an.nv(staff) ge-0/0/1.0 No policy deny",
        );
        assert_eq!(deny.action.as_deref(), Some("deny"));
        assert_eq!(deny.rule_name.as_deref(), Some("deny-all"));
        // A deny has no session: the application is not its id.
        assert_eq!(deny.get_field("session_id"), None);
        assert_eq!(deny.get_field("application"), Some("UNKNOWN"));
        assert_eq!(deny.user.as_deref(), Some("an.nv"));
        assert_eq!(deny.in_iface.as_deref(), Some("ge-0/0/1.0"));
        let create = parse(
            "<14>Nov 28 10:00:00 srx01 RT_FLOW: RT_FLOW_SESSION_CREATE: session created 10.1.1.5/51000->8.8.8.8/53 0x0 junos-dns-udp 203.0.113.1/40000->8.8.8.8/53 0x0 source-nat-rule r1 N/A N/A 17 trust-to-untrust trust untrust 12345 N/A(N/A) ge-0/0/1.0 DNS UNKNOWN UNKNOWN N/A N/A -1",
        );
        assert_eq!(create.get_field("session_id"), Some("12345"));
        assert_eq!(create.user, None, "N/A is no account");
        assert_eq!(create.in_iface.as_deref(), Some("ge-0/0/1.0"));
        assert_eq!(create.get_field("application"), Some("DNS"));
    }

    #[test]
    fn idp_attack_with_verdict_interfaces_and_rulebase() {
        let ev = parse(
            r#"<165>1 2026-11-28T10:13:03.193+07:00 srx-dc RT_IDP - IDP_ATTACK_LOG_EVENT [junos@2636.1.1.1.2.28 epoch-time="1795842783" message-type="SIG" source-address="198.51.100.9" source-port="12345" destination-address="10.30.1.8" destination-port="80" protocol-name="TCP" service-name="SERVICE_IDP" application-name="HTTP" rule-name="3" rulebase-name="IPS" policy-name="Recommended" export-id="20175" repeat-count="0" action="DROP" threat-severity="HIGH" attack-name="HTTP:MISC:GENERIC-DIR-TRAVERSAL" nat-source-address="0.0.0.0" nat-source-port="13312" nat-destination-address="203.0.113.57" nat-destination-port="80" elapsed-time="0" inbound-bytes="0" outbound-bytes="0" inbound-packets="0" outbound-packets="0" source-zone-name="UNTRUST" source-interface-name="reth1.24" destination-zone-name="DMZ" destination-interface-name="reth2.21" packet-log-id="0" alert="no" username="N/A" roles="N/A" message="-"]"#,
        );
        assert_eq!(ev.source_type, SourceType::JuniperSrx);
        assert_eq!(ev.msgid.as_deref(), Some("IDP_ATTACK_LOG_EVENT"));
        assert_eq!(ev.action.as_deref(), Some("drop"));
        assert_eq!(ev.in_iface.as_deref(), Some("reth1.24"));
        assert_eq!(ev.out_iface.as_deref(), Some("reth2.21"));
        assert_eq!(ev.rule_name.as_deref(), Some("IPS"));
        assert_eq!(ev.nat_dst_ip.as_deref(), Some("203.0.113.57"));
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert!(
            ev.fields
                .iter()
                .any(|(k, v)| k.ends_with("attack-name") && v == "HTTP:MISC:GENERIC-DIR-TRAVERSAL")
        );
    }

    #[test]
    fn junos_structured_data_is_juniper_whatever_the_program() {
        // APP-NAME `sshd` would be the Linux parser's; the SD-ID says it is a Junos device.
        let ev = parse(
            r#"<37>1 2026-11-28T15:00:06.756+07:00 srx-dc sshd - SSHD_LOGIN_FAILED [junos@2636.1.1.1.2.129 username="root" source-address="198.51.100.23"]"#,
        );
        assert_eq!(ev.source_type, SourceType::JuniperSrx);
        assert_eq!(ev.user.as_deref(), Some("root"));
        assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.23"));
        assert_eq!(ev.outcome, Some(FAILURE));
        let ev = parse(
            r#"<30>1 2026-11-28T16:51:21.731+07:00 ex-access-01 dot1xd 15960 DOT1XD_USR_AUTHENTICATED [junos@2636.1.1.1.2.129 user-type="MAC-RADIUS" username="an" mac-address="00:00:5E:00:53:01" interface-name="ge-0/0/1.0" vlan-name="vlan100"] Custom_log MAC-RADIUS User an logged in"#,
        );
        assert_eq!(ev.source_type, SourceType::JuniperSrx);
        assert_eq!(ev.outcome, Some(SUCCESS));
        assert_eq!(ev.in_iface.as_deref(), Some("ge-0/0/1.0"));
        let ev = parse(
            r#"<11>1 2026-11-28T10:40:30.050+07:00 srx-dc RT_AAMW - AAMW_HOST_INFECTED_EVENT_LOG [junos@2636.1.1.1.2.129 tenant-id="ABC123456" client-ip="10.20.5.14" hostname="pc-ketoan-01" status="in_progress" policy-name="default" th="7" state="added" reason="malware"]"#,
        );
        assert_eq!(ev.src_ip.as_deref(), Some("10.20.5.14"));
        // Other RFC 5424 structured data does not make a record Juniper's.
        let ev = parse(
            r#"<38>1 2026-11-28T15:00:06.756+07:00 web01 sshd 812 - [origin@32473 ip="10.0.0.5"] Failed password for root from 198.51.100.23 port 4242 ssh2"#,
        );
        assert_eq!(ev.source_type, SourceType::LinuxAuth);
    }

    #[test]
    fn utm_verdicts_from_the_event_name() {
        for (name, action) in [
            ("WEBFILTER_URL_BLOCKED", "deny"),
            ("WEBFILTER_URL_PERMITTED", "allow"),
            ("AV_SCANNER_DROP_FILE_MT", "drop"),
        ] {
            let line = format!(
                r#"<12>1 2026-11-28T01:32:50.391Z srx-dc RT_UTM - {name} [junos@2636.1.1.1.2.86 source-address="10.20.5.14" source-port="58071" destination-address="203.0.113.80" destination-port="80" category="cat1" reason="BY_BLACK_LIST" profile="uf1" url="www.example.com" obj="/" username="an" roles="N/A"]"#
            );
            let ev = parse(&line);
            assert_eq!(ev.action.as_deref(), Some(action), "{name}");
            assert_eq!(ev.user.as_deref(), Some("an"), "{name}");
            assert_eq!(ev.dst_port, Some(80), "{name}");
        }
    }

    #[test]
    fn relayed_without_header_or_tag() {
        let ev = parse(
            r#"RT_IDS - RT_SCREEN_ICMP [attack-name="Address sweep!" source-address="192.168.1.2" destination-address="192.168.1.1" source-zone-name="untrust" interface-name="reth1.603" action="alarm-without-drop"]"#,
        );
        assert_eq!(ev.source_type, SourceType::JuniperSrx);
        assert_eq!(ev.app.as_deref(), Some("RT_IDS"));
        assert_eq!(ev.msgid.as_deref(), Some("RT_SCREEN_ICMP"));
        assert_eq!(ev.src_ip.as_deref(), Some("192.168.1.2"));
        assert_eq!(ev.dst_ip.as_deref(), Some("192.168.1.1"));
        assert_eq!(ev.in_iface.as_deref(), Some("reth1.603"));
        assert_eq!(ev.get_field("attack-name"), Some("Address sweep!"));
        let ev = parse(
            "UI_LOGIN_EVENT: User 'an' login, class 'j-super-user' [87110], ssh-connection '203.0.113.4 49551 198.51.100.3 22', client-mode 'cli'",
        );
        assert_eq!(ev.source_type, SourceType::JuniperSrx);
        assert_eq!(ev.app, None);
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(
            (ev.src_ip.as_deref(), ev.dst_port),
            (Some("203.0.113.4"), Some(22))
        );
        let ev = parse(
            "<13>Nov 28 10:00:00 srx01 mgd[31767]: UI_JUNOSCRIPT_CMD: User 'an' used JUNOScript client to run command 'get-configuration'",
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.get_field("command"), Some("get-configuration"));
    }

    #[test]
    fn screens() {
        let ev = parse(
            "<11>Nov 28 10:00:00 srx01 RT_SCREEN: RT_SCREEN_TCP: SYN flood! source: 203.0.113.9:4444, destination: 10.1.1.5:80, zone name: untrust, interface name: ge-0/0/0.0, action: drop",
        );
        assert_eq!(ev.get_field("attack_name"), Some("SYN flood"));
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("203.0.113.9"), Some(4444))
        );
        assert_eq!(
            (ev.dst_ip.as_deref(), ev.dst_port),
            (Some("10.1.1.5"), Some(80))
        );
        assert_eq!(ev.in_iface.as_deref(), Some("ge-0/0/0.0"));
        assert_eq!(ev.action.as_deref(), Some("drop"));
        let ev = parse(
            "<11>Nov 28 10:00:00 srx01 RT_SCREEN: RT_SCREEN_IP: Tear drop attack! source: 203.0.113.9, destination: 10.1.1.5, protocol-id: 17, zone name: untrust, interface name: ge-0/0/0.0, action: drop",
        );
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("203.0.113.9"), None)
        );
        assert_eq!(ev.protocol.as_deref(), Some("udp"));
    }

    #[test]
    fn every_sentence_compiles() {
        assert_eq!(MANAGEMENT_SET.len(), MANAGEMENT.len());
    }

    #[test]
    fn management_login() {
        let ev = parse(
            "mgd[54999]: UI_LOGIN_EVENT: User 'an' login, class 'j-super-user' [54999], ssh-connection '10.0.0.9 40382 10.0.0.1 22', client-mode 'cli'",
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.0.9"));
        assert_eq!(ev.outcome, Some("success"));
    }
}
