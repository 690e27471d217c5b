//! Sophos Firewall (XG / SFOS, both the classic `device="SFW" date=... log_type=...` and the v19+
//! `timestamp=... device_model=...` layouts) and Sophos UTM (`id="2001" severity="info"
//! sys="SecureNet" sub="packetfilter" ...`, and its reverse proxy `id="0299" srcip=...
//! localip=...`), all quoted key=value.

use super::{Col, StaticFinder, after_tag, first_key, read_pairs};
use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use crate::payload::PayloadParser;

/// Sophos XG / SFOS and UTM.
pub struct Sophos;

static LOG_ID: StaticFinder = StaticFinder::new(b"log_id=");
static LOG_TYPE: StaticFinder = StaticFinder::new(b"log_type=");
static LOG_COMPONENT: StaticFinder = StaticFinder::new(b"log_component=");
static SYS: StaticFinder = StaticFinder::new(b"sys=");
static LOCALIP: StaticFinder = StaticFinder::new(b"localip=");
static HTTPD: StaticFinder = StaticFinder::new(b" httpd: id=");

fn column(key: &str) -> Option<Col> {
    Some(match key {
        // ATP (advanced threat protection) logs spell them out.
        "src_ip" | "srcip" | "sourceip" => Col::SrcIp,
        "dst_ip" | "dstip" | "destinationip" => Col::DstIp,
        "src_port" | "srcport" => Col::SrcPort,
        "dst_port" | "dstport" | "port" => Col::DstPort,
        "src_trans_ip" | "tran_src_ip" | "localip" => Col::NatSrcIp,
        "src_trans_port" | "tran_src_port" => Col::NatSrcPort,
        "dst_trans_ip" | "tran_dst_ip" => Col::NatDstIp,
        "dst_trans_port" | "tran_dst_port" => Col::NatDstPort,
        "protocol" | "proto" => Col::Protocol,
        "status" | "action" | "fw_action" => Col::Action,
        "fw_rule_name" | "fwrule" | "rule_name" => Col::RuleName,
        "in_interface" | "in_display_interface" | "initf" => Col::InIface,
        "out_interface" | "out_display_interface" | "outitf" => Col::OutIface,
        "sent_bytes" | "bytes_sent" => Col::BytesOut,
        "recv_bytes" | "bytes_received" => Col::BytesIn,
        "sent_pkts" | "recv_pkts" | "packets_sent" | "packets_received" => Col::Packets,
        "user_name" | "user" => Col::User,
        "message" | "name" => Col::Message,
        "device_name" => Col::Host,
        _ => return None,
    })
}

impl PayloadParser for Sophos {
    fn source_type(&self) -> SourceType {
        SourceType::Sophos
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, app: Option<&str>, body: &str) -> bool {
        match first_key(body) {
            // SFOS 19.5 and later start with `device_name=`.
            // SFOS 21 leaves `log_id` out of some records; `log_component` is always there.
            "device" | "device_name" | "timestamp" | "date" => {
                LOG_TYPE.key_in(body) && (LOG_ID.key_in(body) || LOG_COMPONENT.key_in(body))
            }
            "id" => SYS.key_in(body) || LOCALIP.key_in(body),
            // UTM behind its syslog header: the daemon's tag, then the pairs (`ulogd[1234]:
            // id="2001" ...`, `snort[..]`, `httpproxy[..]`); its reverse proxy (WAF) writes
            // `... httpd: id="0299" ...`.
            "" => match after_tag(app, body) {
                Some(pairs) if pairs.starts_with("id=\"") => {
                    SYS.key_in(pairs) || LOCALIP.key_in(pairs)
                }
                _ => HTTPD.find(body.as_bytes()).is_some() && LOCALIP.key_in(body),
            },
            _ => false,
        }
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        // A relay's tag in front of the pairs (`httpd:`) is not a pair; the reader skips it.
        read_pairs(body, ev, column)?;
        // SFOS writes a login's result in `status` (`Failed`, `Successful`), the same key that
        // holds a firewall verdict (`Allow`, `Deny`).
        if ev.outcome.is_none() {
            ev.outcome = ev.get_field("status").and_then(super::normalize_outcome);
        }
        // SFOS 19.5+ stamps the record itself: `timestamp="2026-07-28T14:22:32+0200"`.
        if ev.ts.is_none()
            && let Some(stamp) = ev.get_field("timestamp")
        {
            ev.ts = crate::time::parse_iso8601(stamp, crate::time::Zone::Utc).map(|(ts, _)| ts);
        }
        // SFOS 21 firewall records carry their verdict only as the subtype (`Allowed`, `Denied`),
        // as ATP ones do (`Drop`, `Alert`).
        if ev.action.is_none()
            && matches!(ev.get_field("log_type"), Some("Firewall" | "ATP"))
            && let Some(verdict) = ev
                .get_field("log_subtype")
                .and_then(super::normalize_action)
        {
            ev.action = Some(std::borrow::Cow::Borrowed(verdict));
        }
        // UTM names its logins' outcome only in the event name: `name="WebAdmin login failed"`,
        // `name="Authentication successful"`.
        if ev.outcome.is_none()
            && let Some(name) = ev.message.as_deref()
        {
            if name.ends_with(" failed") {
                ev.outcome = Some(FAILURE);
            } else if name.ends_with(" successful") {
                ev.outcome = Some(SUCCESS);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn atp_detections_name_both_ends_and_the_verdict() {
        let ev = parse(
            r#"<30>device="SFW" date=2026-11-28 time=18:44:31 timezone="ICT" device_name="XG430-SOTTTT" device_id=C44310050024 log_id=086304418010 log_type="ATP" log_component="Firewall" log_subtype="Drop" priority=Warning user_name="an" protocol="TCP" src_port=22623 dst_port=80 sourceip=10.20.5.14 destinationip=198.51.100.47 url=198.51.100.47 threatname=C2/Generic-A eventid=C366ACFB eventtype="Standard""#,
        );
        assert_eq!(ev.src_ip.as_deref(), Some("10.20.5.14"));
        assert_eq!(ev.dst_ip.as_deref(), Some("198.51.100.47"));
        assert_eq!(ev.action.as_deref(), Some("drop"));
        assert_eq!(ev.get_field("threatname"), Some("C2/Generic-A"));
    }

    #[test]
    fn sfos_from_version_19_5_starts_with_the_device_name() {
        let ev = parse(
            r#"<30>device_name="SFW" timestamp="2026-11-28T10:00:00+0700" device_model="XGS2100" log_id="010101600001" log_type="Firewall" log_component="Firewall Rule" log_subtype="Denied" severity="Information" fw_rule_id="5" fw_rule_name="Block-RDP" src_ip="203.0.113.9" dst_ip="10.1.1.5" protocol="TCP" src_port=4444 dst_port=3389"#,
        );
        assert_eq!(ev.source_type, SourceType::Sophos);
        assert_eq!(ev.rule_name.as_deref(), Some("Block-RDP"));
        assert_eq!(
            (ev.src_ip.as_deref(), ev.dst_port),
            (Some("203.0.113.9"), Some(3389))
        );
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(ev.action.as_deref(), Some("deny"));
        // SFOS 21: no `log_id`, the verdict only in the subtype.
        let ev = parse(
            r#"<134>device_name="SFW" timestamp="2026-11-28T10:00:00+0700" device_model="XGS2300" device_serial_id="X1" log_type="Firewall" log_component="Firewall Rule" log_subtype="Allowed" severity="Information" fw_rule_id="3" fw_rule_name="ALLOW DNS" src_ip="10.0.0.10" dst_ip="10.0.0.20" protocol="UDP" src_port=51401 dst_port=53"#,
        );
        assert_eq!(ev.source_type, SourceType::Sophos);
        assert_eq!(ev.action.as_deref(), Some("allow"));
        assert_eq!(ev.rule_name.as_deref(), Some("ALLOW DNS"));
        // Without a syslog header the record's own stamp is the event time.
        let ev = parse(
            r#"timestamp="2026-07-28T14:22:32+0200" device_model="XGS4500" log_id="069010517719" log_type="Event" log_component="VPN Portal Authentication" status="Failed" user_name="an" src_ip="192.0.2.1""#,
        );
        assert_eq!(
            ev.ts,
            chrono::DateTime::parse_from_rfc3339("2026-07-28T12:22:32Z")
                .map(|t| t.timestamp_micros())
                .ok()
        );
    }

    #[test]
    fn sfos_login_results() {
        let ev = parse(
            r#"<30>device="SFW" date=2026-11-28 time=10:00:00 timezone="+07" device_name="XG330" device_id=C01001 log_id=075001617701 log_type="Event" log_component="SSL VPN Authentication" log_subtype="Authentication" status="Failed" priority=Notice user_name="an.nv" src_ip=203.0.113.9 message="User an.nv failed to login to SSL VPN through Local authentication mechanism because of wrong credentials""#,
        );
        assert_eq!(ev.user.as_deref(), Some("an.nv"));
        assert_eq!(ev.outcome, Some("failure"));
        let ev = parse(
            r#"<30>device="SFW" date=2026-11-28 time=10:00:00 timezone="+07" device_name="XG330" device_id=C01001 log_id=062910617701 log_type="Event" log_component="GUI" log_subtype="Admin" status="Successful" priority=Information user_name="admin" src_ip=10.1.1.5 message="User admin logged in successfully to Webadmin""#,
        );
        assert_eq!(ev.outcome, Some("success"));
    }

    #[test]
    fn utm_behind_its_syslog_header() {
        let ev = parse(
            r#"<37>2026:11:28-10:00:03 utm01 webadmin[3333]: id="3005" severity="warn" sys="System" sub="webadmin" name="WebAdmin login failed" user="admin" srcip="203.0.113.9" reason="wrong password""#,
        );
        assert_eq!(ev.source_type, SourceType::Sophos);
        assert_eq!(ev.app.as_deref(), Some("webadmin"));
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.outcome, Some("failure"));
        let ev = parse(
            r#"<30>2026:11:28-10:00:04 utm01 ulogd[1234]: id="2002" severity="info" sys="SecureNet" sub="packetfilter" name="Packet accepted" action="accept" fwrule="12" initf="eth1" outitf="eth0" srcip="10.1.1.5" dstip="8.8.8.8" proto="17" srcport="51000" dstport="53""#,
        );
        assert_eq!(ev.source_type, SourceType::Sophos);
        assert_eq!(ev.action.as_deref(), Some("allow"));
        assert_eq!(ev.rule_name.as_deref(), Some("12"));
        assert_eq!(ev.protocol.as_deref(), Some("udp"));
        assert_eq!(ev.outcome, None);
        // A plain daemon's message with an `id=` is not Sophos.
        let ev = parse("<30>Nov 28 10:00:00 web01 app[1]: id=5 started");
        assert_eq!(ev.source_type, SourceType::Syslog);
    }

    #[test]
    fn sfos_firewall_rule() {
        let line = r#"device="SFW" date=2026-11-26 time=10:00:00 timezone="+07" device_name="XG330" device_id=C01001 log_id=010101600001 log_type="Firewall" log_component="Firewall Rule" log_subtype="Allowed" status="Allow" priority=Information fw_rule_id=5 fw_rule_name="LAN to WAN" user_name="an.nv" in_interface="Port1" out_interface="Port2" src_ip=10.0.0.5 src_port=51000 dst_ip=203.0.113.80 dst_port=443 protocol="TCP" sent_bytes=100 recv_bytes=2000 src_trans_ip=198.51.100.1 src_trans_port=40001"#;
        let ev = parse(line);
        assert_eq!(ev.source_type, SourceType::Sophos);
        assert_eq!(ev.action.as_deref(), Some("allow"));
        assert_eq!(ev.rule_name.as_deref(), Some("LAN to WAN"));
        assert_eq!(ev.user.as_deref(), Some("an.nv"));
        assert_eq!(ev.nat_src_ip.as_deref(), Some("198.51.100.1"));
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(ev.host.as_deref(), Some("XG330"));
    }
}
