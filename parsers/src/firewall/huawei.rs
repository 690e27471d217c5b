//! Huawei USG / Eudemon / NGFW logs, common in Vietnamese government networks:
//! `%%01POLICY/6/POLICYPERMIT(l):vsys=public, protocol=6, source-ip=10.0.0.5, source-port=51000,
//! destination-ip=203.0.113.80, destination-port=443, ..., rule-name=web.` and the
//! `%%01SEC/4/POLICYDENY(l)[3]:VSYS=public;Protocol=6;SourceIP=...;` variant, and sentences with a
//! parameter list (`The SSH user succeeded in logging in. (UserName=admin, IPAddress=...)`).
//! Keys are compared without case, `-` or `_`, since the versions disagree on all three.

use std::borrow::Cow;

use super::{Col, put};
use crate::event::{Event, SourceType};
use crate::payload::PayloadParser;

/// Huawei USG-family `%%` logs.
pub struct HuaweiUsg;

fn column(folded: &str) -> Option<Col> {
    Some(match folded {
        "sourceip" | "srcip" | "ipaddress" | "ip" | "userip" | "useraddress" => Col::SrcIp,
        "destinationip" | "dstip" | "localaddress" => Col::DstIp,
        "sourceport" | "srcport" => Col::SrcPort,
        "destinationport" | "dstport" => Col::DstPort,
        "sourcenatip" | "natsourceip" => Col::NatSrcIp,
        "sourcenatport" | "natsourceport" => Col::NatSrcPort,
        "destinationnatip" | "natdestinationip" => Col::NatDstIp,
        "destinationnatport" | "natdestinationport" => Col::NatDstPort,
        "protocol" => Col::Protocol,
        // IPS, AV and URL-filter logs name the security policy that matched as `Policy`.
        "rulename" | "policyname" | "policy" => Col::RuleName,
        // Theirs too: `Action=Block`, `Action=Alert`.
        "action" => Col::Action,
        "username" | "user" => Col::User,
        "sourceinterface" | "ingressinterface" => Col::InIface,
        "destinationinterface" | "egressinterface" => Col::OutIface,
        "sendbytes" | "sentbytes" => Col::BytesOut,
        "receivebytes" | "rcvbytes" => Col::BytesIn,
        "sendpkts" | "sentpkts" | "receivepkts" | "rcvpkts" => Col::Packets,
        _ => return None,
    })
}

/// `IPSTRAP/4/...`: capitals (and digits, `_`) up to a `/`, a severity digit and a `/`. Asked
/// of records no earlier parser claimed: refuses most on their first two bytes.
fn bare_module(b: &str) -> bool {
    let bytes = b.as_bytes();
    if !bytes.first().is_some_and(u8::is_ascii_uppercase) {
        return false;
    }
    let len = bytes
        .iter()
        .take(24)
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || **c == b'_')
        .count();
    matches!(bytes.get(len..len + 3), Some([b'/', b'0'..=b'7', b'/']))
}

/// `%%01MODULE/5/DIGEST(l)[seq]:` -> (module, severity, digest, text).
fn split_tag(body: &str) -> Option<(&str, u8, &str, &str)> {
    // Some collectors bracket the tag: `[%%01SECURITY/4/ACCESSPOLICY_DENY(l):]: ...`; an SNMP
    // trap rendered as a log has no `%%01` at all (`IPSTRAP/4/THREATTRAP:OID ...`).
    let b = body.trim_start();
    let b = b.strip_prefix('[').unwrap_or(b);
    let b = match b.strip_prefix("%%") {
        Some(tagged) => tagged.trim_start_matches(|c: char| c.is_ascii_digit()),
        None if bare_module(b) => b,
        None => return None,
    };
    let (module, rest) = b.split_once('/')?;
    let (severity, rest) = rest.split_once('/')?;
    let severity: u8 = severity.parse().ok().filter(|s| *s <= 7)?;
    let colon = rest.find(':')?;
    let digest = rest[..colon].split(['(', '[']).next()?;
    let text = rest[colon + 1..].trim_start_matches([']', ':']);
    Some((module, severity, digest, text.trim()))
}

impl PayloadParser for HuaweiUsg {
    fn source_type(&self) -> SourceType {
        SourceType::HuaweiUsg
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, _app: Option<&str>, body: &str) -> bool {
        split_tag(body).is_some()
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let (module, severity, digest, text) = split_tag(body).ok_or("no %%MODULE/n/DIGEST tag")?;
        ev.app = Some(Cow::Borrowed(module));
        ev.msgid = Some(Cow::Borrowed(digest));
        ev.severity.get_or_insert(severity);
        ev.message = Some(Cow::Borrowed(text));
        // `CID=0x8093043a;Sentence. (k=v, ...).`: the context id in front of a sentence.
        let text = match text.strip_prefix("CID=").and_then(|r| r.split_once(';')) {
            Some((cid, after)) if !after.split(' ').next().unwrap_or("").contains('=') => {
                ev.field("CID", cid);
                ev.message = Some(Cow::Borrowed(after));
                after
            }
            _ => text,
        };
        // `Sentence. (k=v, k=v)` or a bare `k=v, k=v` / `k=v;k=v` list.
        let text = text.trim_end_matches('.');
        let list = match (text.rfind(" ("), text.ends_with(')')) {
            (Some(i), true) => {
                ev.message = Some(Cow::Borrowed(text[..i].trim()));
                &text[i + 2..text.len() - 1]
            }
            _ => text.trim_end_matches('.'),
        };
        let mut folded = String::with_capacity(32);
        for part in pairs(list) {
            let Some((key, value)) = part.split_once('=') else {
                continue;
            };
            let key = key.trim();
            let value = value.trim().trim_matches('"');
            folded.clear();
            folded.extend(
                key.chars()
                    .filter(|c| *c != '-' && *c != '_')
                    .map(|c| c.to_ascii_lowercase()),
            );
            match column(&folded) {
                Some(col) => put(ev, col, key, Cow::Borrowed(value)),
                None if !value.is_empty() => ev.field(key, value),
                None => {}
            }
        }
        let upper = digest.to_ascii_uppercase();
        // A session's own log (created, torn down) is traffic the policy let through.
        if upper.contains("PERMIT") || upper.starts_with("SESSION_") {
            ev.action = Some(Cow::Borrowed("allow"));
        } else if upper.contains("DENY") {
            ev.action = Some(Cow::Borrowed("deny"));
        }
        // `SHELL/4/LOGINFAILED`, `SSH/4/SSH_FAIL` ("Failed to login through SSH."), `AAA/...`.
        if (upper.contains("LOGIN") || upper.contains("AUTH") || upper.ends_with("_FAIL"))
            && let Some(outcome) = super::outcome_in_text(text)
        {
            ev.outcome = Some(outcome);
        }
        Ok(())
    }
}

/// The `k=v` items of a list separated by `,` or `;` (both in one record: `CID=0x81;vsys=public,
/// protocol=6, ...`), a separator inside a quoted value kept.
fn pairs(list: &str) -> impl Iterator<Item = &str> {
    let mut quoted = false;
    list.split(move |c: char| {
        if c == '"' {
            quoted = !quoted;
        }
        !quoted && (c == ',' || c == ';')
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::FAILURE;
    use crate::firewall::test_support::parse;

    #[test]
    fn session_teardown_counts_both_directions() {
        let ev = parse(
            "<190>Nov 28 2026 10:00:00 USG6000E %%01SECLOG/6/SESSION_TEARDOWN(l):IPVer=4,Protocol=tcp,SourceIP=10.1.1.5,DestinationIP=8.8.8.8,SourcePort=51000,DestinationPort=443,SourceNatIP=203.0.113.1,SourceNatPort=40000,SendPkts=10,SendBytes=1000,RcvPkts=12,RcvBytes=9000,SourceZone=trust,DestinationZone=untrust,PolicyName=allow-web,CloseReason=tcp-fin",
        );
        assert_eq!(ev.action.as_deref(), Some("allow"));
        assert_eq!(ev.rule_name.as_deref(), Some("allow-web"));
        assert_eq!(ev.nat_src_ip.as_deref(), Some("203.0.113.1"));
        assert_eq!(
            (ev.bytes_out, ev.bytes_in, ev.packets),
            (Some(1000), Some(9000), Some(22))
        );
    }

    #[test]
    fn ips_attack_with_policy_and_action() {
        let ev = parse(
            r#"Nov 28 10:00:00 USG6000 %%01SECE/4/IPSTRAFFIC(l)[0]:An IPS attack was detected. (SyslogId=1, VSys="public", Policy="p1", SrcIp=203.0.113.9, DstIp=10.1.1.5, SrcPort=4444, DstPort=80, Protocol=TCP, Application="HTTP", SignName="SQL injection", Action=Block)"#,
        );
        assert_eq!(ev.rule_name.as_deref(), Some("p1"));
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.get_field("Action"), Some("Block"));
        assert_eq!(ev.get_field("SignName"), Some("SQL injection"));
        assert_eq!(ev.message.as_deref(), Some("An IPS attack was detected."));
    }

    #[test]
    fn policy_permit_and_deny() {
        let ev = parse(
            "<190>Nov 26 2026 10:00:00 USG6600 %%01POLICY/6/POLICYPERMIT(l):vsys=public, protocol=6, source-ip=10.0.0.5, source-port=51000, destination-ip=203.0.113.80, destination-port=443, time=2026/11/26 10:00:00, source-zone=trust, destination-zone=untrust, rule-name=web.",
        );
        assert_eq!(ev.source_type, SourceType::HuaweiUsg);
        assert_eq!(ev.msgid.as_deref(), Some("POLICYPERMIT"));
        assert_eq!(ev.action.as_deref(), Some("allow"));
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(ev.rule_name.as_deref(), Some("web"));
        assert_eq!(ev.dst_port, Some(443));
        let ev = parse(
            "%%01SEC/4/POLICYDENY(l)[3]:VSYS=public;Protocol=17;SourceIP=203.0.113.5;DestinationIP=10.0.0.8;SourcePort=5353;DestinationPort=53;SourceZone=untrust;DestinationZone=trust;RuleName=deny-dns;",
        );
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.5"));
        assert_eq!(ev.rule_name.as_deref(), Some("deny-dns"));
    }

    #[test]
    fn mixed_separators_bracketed_tag_and_quoted_commas() {
        let ev = parse(
            "<188>Nov 26 2026 07:04:08 USG6712E-SOTTTT %%01POLICY/4/POLICYDENY(l):CID=0x814f041e;vsys=public, protocol=6, source-ip=198.51.100.7, source-port=4444, destination-ip=10.30.1.8, destination-port=3389, time=2026/11/26 07:04:08, source-zone=untrust, destination-zone=trust, application-name=RDP, rule-name=default.",
        );
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("198.51.100.7"), Some(4444))
        );
        assert_eq!(
            (ev.dst_ip.as_deref(), ev.dst_port),
            (Some("10.30.1.8"), Some(3389))
        );
        assert_eq!(ev.rule_name.as_deref(), Some("default"));
        assert_eq!(ev.get_field("CID"), Some("0x814f041e"));
        let ev = parse(
            "2026-11-26 14:23:45 usg-master [%%01SECURITY/4/ACCESSPOLICY_DENY(l):]: vsys=public, protocol=17, source-ip=10.1.1.5, source-port=5353, destination-ip=10.2.2.2, destination-port=53, rule-name=deny-dns.",
        );
        assert_eq!(ev.source_type, SourceType::HuaweiUsg);
        assert_eq!(ev.src_ip.as_deref(), Some("10.1.1.5"));
        assert_eq!(ev.rule_name.as_deref(), Some("deny-dns"));
        let ev = parse(
            r#"<189>Nov 26 2026 11:00:03 USG6600-SOTTTT %%01SHELL/5/CMDRECORD(s)[5]:Recorded command information. (Task=VT0, Ip=10.0.0.50, VpnName=, User=netadmin, AuthenticationMethod="Password", Command="rule 5 permit source 10.0.0.0 0.0.0.255, logging")"#,
        );
        assert_eq!(ev.user.as_deref(), Some("netadmin"));
        assert_eq!(
            ev.get_field("Command"),
            Some("rule 5 permit source 10.0.0.0 0.0.0.255, logging")
        );
    }

    #[test]
    fn context_id_before_a_sentence_and_traps_without_the_prefix() {
        let ev = parse(
            "<188>Mar 26 2026 17:06:48+07:00 DST fw-hn-01 %%01SSH/4/SSHS_IP_BLOCK_CLIENT(s):CID=0x8093043a;SSH client IP blocked due to authentication failure in last 1 hour. (IpAddress=198.51.100.5, VpnName=_public_, BlockCount=1).",
        );
        assert_eq!(ev.source_type, SourceType::HuaweiUsg);
        assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.5"));
        assert_eq!(ev.get_field("CID"), Some("0x8093043a"));
        assert_eq!(
            ev.message.as_deref(),
            Some("SSH client IP blocked due to authentication failure in last 1 hour.")
        );
        let ev = parse(
            "<188>Nov 26 2026 11:00:00 sw-core %%01SSH/4/SSH_FAIL(s)[14]:Failed to login through SSH. (IP=203.0.113.9, VpnInstanceName=, UserName=root, Times=2, FailedReason=The password is incorrect)",
        );
        assert_eq!(ev.user.as_deref(), Some("root"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.outcome, Some(FAILURE));
        let ev = parse(
            "<188>Nov 26 2026 13:53:05 USG6630E-SOTTTT IPSTRAP/4/THREATTRAP:OID 1.3.6.1.4.1.2011.6.122.43.1.2.8 An intrusion was detected. (SrcIp=198.51.100.5, DstIp=10.30.1.8, SrcPort=52000, DstPort=80, Protocol=TCP, Event=SQL injection, DetectTime=2026/11/26 14:53:06)",
        );
        assert_eq!(ev.source_type, SourceType::HuaweiUsg);
        assert_eq!(ev.msgid.as_deref(), Some("THREATTRAP"));
        assert_eq!(
            (ev.src_ip.as_deref(), ev.dst_port),
            (Some("198.51.100.5"), Some(80))
        );
        assert_eq!(ev.get_field("Event"), Some("SQL injection"));
    }

    #[test]
    fn ssh_login_sentence() {
        let ev = parse(
            "%%01SSH/5/SSH_USER_LOGIN(s)[1]:The SSH user succeeded in logging in. (UserName=admin, IPAddress=10.0.0.9, VpnInstanceName=)",
        );
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.0.9"));
        assert_eq!(ev.outcome, Some("success"));
    }
}
