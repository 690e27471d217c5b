//! Stormshield Network Security (SNS) logs: `id=firewall time="2026-11-26 10:00:00"
//! fw="SN210A..." tz=+0700 startime="..." ... src=10.0.0.5 srcport=51000 dst=... action=pass`.
//! Values may be quoted or not, and unquoted times contain a space; the pair reader handles both.

use super::{Col, StaticFinder, first_key, read_pairs};
use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use crate::payload::PayloadParser;

/// Stormshield SNS key=value logs.
pub struct Stormshield;

static STARTIME: StaticFinder = StaticFinder::new(b"startime=");

fn column(key: &str) -> Option<Col> {
    Some(match key {
        "src" | "address" => Col::SrcIp,
        "dst" => Col::DstIp,
        "srcport" => Col::SrcPort,
        "dstport" | "port" => Col::DstPort,
        "modsrc" => Col::NatSrcIp,
        "modsrcport" => Col::NatSrcPort,
        // The destination before a translation, written even when nothing was translated (as
        // `modsrc` is): read as the other side of the translation, as Sekoia's reading has it.
        "moddst" | "origdst" => Col::NatDstIp,
        "moddstport" | "origdstport" => Col::NatDstPort,
        "ipproto" => Col::Protocol,
        "action" => Col::Action,
        "rulename" => Col::RuleName,
        "srcifname" => Col::InIface,
        "dstifname" => Col::OutIface,
        "sent" => Col::BytesOut,
        "rcvd" => Col::BytesIn,
        "user" => Col::User,
        "msg" => Col::Message,
        _ => return None,
    })
}

impl PayloadParser for Stormshield {
    fn source_type(&self) -> SourceType {
        SourceType::Stormshield
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, _app: Option<&str>, body: &str) -> bool {
        matches!(first_key(body), "id" | "time") && STARTIME.key_in(body)
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        read_pairs(body, ev, column)?;
        // `fw` names the firewall (its serial number unless renamed): the host when no syslog
        // header named one.
        if ev.host.is_none() {
            ev.host = ev
                .fields
                .iter()
                .find(|(k, v)| k == "fw" && !v.is_empty())
                .map(|(_, v)| v.clone());
        }
        if matches!(ev.get_field("logtype"), Some("auth" | "xvpn" | "vpn")) {
            ev.outcome = login_outcome(ev.get_field("error"), ev.message.as_deref());
        }
        Ok(())
    }
}

/// An authentication's result: `error=0` is success, any other code a failure; without a code
/// the message says (`SSH authentication failed: ...`, `... authentication success ...`).
fn login_outcome(error: Option<&str>, message: Option<&str>) -> Option<&'static str> {
    match error.map(str::trim) {
        Some("0") => return Some(SUCCESS),
        Some(code) if !code.is_empty() => return Some(FAILURE),
        _ => {}
    }
    super::outcome_in_text(message?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    /// Micros since 1970 of an RFC 3339 time.
    fn at(s: &str) -> Option<i64> {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_micros())
    }

    #[test]
    fn without_a_syslog_header_the_time_field_dates_the_event() {
        let ev = parse(
            r#"<134>id=firewall time="2026-11-28 10:00:00" fw="SNS-HN" tz=+0700 startime="2026-11-28 10:00:00" pri=5 ruleid=5 srcif="Ethernet0" ipproto=tcp proto=ssh src=203.0.113.9 srcport=4444 dst=10.1.1.5 dstport=22 action=block logtype="filter""#,
        );
        assert_eq!(ev.source_type, SourceType::Stormshield);
        assert_eq!(ev.ts, at("2026-11-28T10:00:00+07:00"));
        assert_eq!(ev.get_field("ts_source"), None);
    }

    #[test]
    fn logins_have_an_outcome_and_the_firewall_name_is_the_host() {
        let failed = parse(
            r#"id=firewall time="2026-11-28 09:12:44" fw="SNS-SOTTTT" tz=+0700 startime="2026-11-28 09:12:44" src=198.51.100.44 user="an.nv" domain="" msg="SSH authentication failed: user not found in ldap" totp="no" logtype="auth""#,
        );
        assert_eq!(failed.outcome, Some(FAILURE));
        assert_eq!(failed.host.as_deref(), Some("SNS-SOTTTT"));
        assert_eq!(failed.user.as_deref(), Some("an.nv"));
        let by_code = parse(
            r#"id=firewall time="2026-11-28 09:12:44" fw="SNS-SOTTTT" tz=+0700 startime="2026-11-28 09:12:44" user="an.nv" src=198.51.100.44 domain="stttt.gov.vn" confid=1 ruleid=0 method="OPENVPN" error=3 msg="Authentication Failed" logtype="auth""#,
        );
        assert_eq!(by_code.outcome, Some(FAILURE));
        let ok = parse(
            r#"id=firewall time="2026-11-28 09:12:44" fw="SNS-SOTTTT" tz=+0700 startime="2026-11-28 09:12:44" src=192.0.2.4 user="admin" domain="" msg="SSH authentication success on the firewall" logtype="auth""#,
        );
        assert_eq!(ok.outcome, Some(SUCCESS));
        let vpn = parse(
            r#"id=firewall time="2026-11-28 07:41:56" fw="SNS-SOTTTT" tz=+0700 startime="2026-11-28 07:41:56" ipproto="TCP" user="user1" domain="stttt.gov.vn" src=192.0.2.4 msg="Error during authentication : authentication failed, bad password" logtype="xvpn""#,
        );
        assert_eq!(vpn.outcome, Some(FAILURE));
        // A header's host stays.
        let relayed = parse(
            r#"<134>Nov 28 10:00:00 sns-relay id=firewall time="2026-11-28 10:00:00" fw="SNS-SOTTTT" tz=+0700 startime="2026-11-28 10:00:00" src=192.0.2.4 user="admin" msg="SSH authentication success on the firewall" logtype="auth""#,
        );
        assert_eq!(relayed.host.as_deref(), Some("sns-relay"));
    }

    #[test]
    fn connection_log() {
        let line = r#"id=firewall time="2026-11-26 10:00:00" fw="SN210" tz=+0700 startime="2026-11-26 09:59:59" pri=5 ruleid=12 rulename="web" srcif="Ethernet1" srcifname="in" ipproto=tcp dstif="Ethernet0" dstifname="out" proto=https src=10.0.0.5 srcport=51000 dst=203.0.113.80 dstport=443 user="an" action=pass sent=100 rcvd=2000"#;
        let ev = parse(line);
        assert_eq!(ev.source_type, SourceType::Stormshield);
        assert_eq!(ev.action.as_deref(), Some("allow"));
        assert_eq!(ev.in_iface.as_deref(), Some("in"));
        assert_eq!(ev.dst_port, Some(443));
        assert_eq!(ev.get_field("proto"), Some("https"));
    }
}
