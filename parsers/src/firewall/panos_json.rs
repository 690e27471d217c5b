//! Palo Alto Networks logs as JSON: PAN-OS HTTP log forwarding, Panorama and Strata Logging Service
//! (Cortex Data Lake) write one object per log with the product's field names:
//! `{"LogType":"TRAFFIC","SourceAddress":"10.1.1.5","NATSource":"203.0.113.1","Rule":"...",...}`.
//!
//! The columns are the ones the CSV logs fill ([`super::panos`]), the SYSTEM log's description is
//! read the same way, and `LogType`, `Subtype` and `DeviceSN` are stored under the CSV reading's
//! names (`log_type`, `subtype`, `serial`) so one query finds both encodings. Every other key goes
//! to `fields` under its own name; `null` values are left out.

use std::borrow::Cow;

use memchr::memmem;

use super::panos::system_description;
use super::{Col, put};
use crate::event::{Event, SourceType, Text};
use crate::json;
use crate::payload::PayloadParser;
use crate::time::{Zone, parse_iso8601};

/// PAN-OS JSON logs.
pub struct PanOsJson;

fn json_body(body: &str) -> Option<&str> {
    let body = body.trim();
    (body.starts_with('{') && body.ends_with('}')).then_some(body)
}

/// The column a PAN-OS JSON key fills; `None` = `fields`.
fn column(key: &str) -> Option<Col> {
    Some(match key {
        "SourceAddress" | "SourceIP" => Col::SrcIp,
        "DestinationAddress" | "DNSResolverIP" => Col::DstIp,
        "SourcePort" => Col::SrcPort,
        "DestinationPort" => Col::DstPort,
        "Protocol" => Col::Protocol,
        "Action" => Col::Action,
        // HIPMATCH logs name the host-information profile that matched.
        "Rule" | "HipMatchName" => Col::RuleName,
        "SourceUser" | "SourceUserName" => Col::User,
        "InboundInterface" => Col::InIface,
        "OutboundInterface" => Col::OutIface,
        "BytesSent" => Col::BytesOut,
        "BytesReceived" => Col::BytesIn,
        "PacketsTotal" => Col::Packets,
        "EventStatus" => Col::Outcome,
        _ => return None,
    })
}

/// Keys whose value is an address or port only when the device translated or assigned one
/// (`0.0.0.0`, `::`, `0` and `""` say "none").
fn translated_column(key: &str) -> Option<Col> {
    Some(match key {
        "NATSource" | "PrivateIPv4" | "PrivateIPv6" => Col::NatSrcIp,
        "NATDestination" => Col::NatDstIp,
        "NATSourcePort" => Col::NatSrcPort,
        "NATDestinationPort" => Col::NatDstPort,
        // GlobalProtect: the client's public address is where it connected from.
        "PublicIPv4" | "PublicIPv6" | "SourceIPv6" => Col::SrcIp,
        _ => return None,
    })
}

impl PayloadParser for PanOsJson {
    fn source_type(&self) -> SourceType {
        SourceType::PanOs
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, _app: Option<&str>, body: &str) -> bool {
        // Every record no earlier parser claimed comes here: one byte rejects the rest.
        body.trim_start().starts_with('{')
            && json_body(body).is_some_and(|b| memmem::find(b.as_bytes(), b"\"LogType\"").is_some())
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        // After a BSD header the start of the object may have been read as the tag.
        if ev.app.as_deref().is_some_and(|a| body.starts_with(a)) {
            ev.app = None;
            ev.pid = None;
        }
        ev.message = None;
        let body = json_body(body).ok_or("not a JSON object")?;
        let pairs = json::object(body).ok_or("not a well-formed JSON object")?;
        let (mut event_id, mut description): (Text<'a>, Option<Text<'a>>) =
            (Cow::Borrowed(""), None);
        let mut generated = None;
        for (key, value) in pairs {
            if let Some(col) = column(&key) {
                put(ev, col, key, value);
                continue;
            }
            if let Some(col) = translated_column(&key) {
                if !matches!(value.as_ref(), "" | "0" | "0.0.0.0" | "::") {
                    put(ev, col, key, value);
                }
                continue;
            }
            match key.as_ref() {
                "LogType" => ev.field("log_type", value),
                "Subtype" => ev.field("subtype", value),
                "DeviceSN" => ev.field("serial", value),
                "DeviceName" | "LogSourceName" => {
                    if ev.host.is_none() {
                        ev.host = Some(value.clone());
                    }
                    ev.field(key, value);
                }
                "TimeGenerated" | "EventTime" => {
                    generated = generated.or_else(|| parse_iso8601(&value, Zone::Utc));
                    ev.field(key, value);
                }
                "EventName" | "EventIDValue" => {
                    event_id = value.clone();
                    ev.field(key, value);
                }
                "EventDescription" | "Description" => description = Some(value),
                _ => ev.field(key, value),
            }
        }
        if ev.ts.is_none()
            && let Some((micros, _)) = generated
        {
            ev.ts = Some(micros);
        }
        if let Some(d) = description {
            system_description(&event_id, d.clone(), ev);
            ev.message = Some(d);
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
    fn traffic_columns_and_untranslated_nat() {
        let ev = parse(
            r#"{"LogType":"TRAFFIC","Subtype":"end","DeviceSN":"0132","TimeGenerated":"2026-11-26T03:00:04.000000Z","SourceAddress":"10.20.30.41","DestinationAddress":"203.0.113.80","NATSource":"198.51.100.10","NATDestination":"","NATSourcePort":40112,"NATDestinationPort":0,"SourcePort":51514,"DestinationPort":443,"Protocol":"tcp","Action":"allow","Rule":"LAN out","SourceUser":"corp\\an","InboundInterface":"ethernet1/2","OutboundInterface":"ethernet1/1","BytesSent":1840,"BytesReceived":7320,"PacketsTotal":22,"DeviceName":"PA-HUE","DestinationUser":null}"#,
        );
        assert_eq!(ev.source_type, SourceType::PanOs);
        assert_eq!(ev.status, ParseStatus::Ok);
        assert_eq!(ev.ts, Some(1_795_662_004_000_000));
        assert_eq!(ev.host.as_deref(), Some("PA-HUE"));
        assert_eq!(ev.src_ip.as_deref(), Some("10.20.30.41"));
        assert_eq!(ev.src_port, Some(51514));
        assert_eq!(ev.nat_src_ip.as_deref(), Some("198.51.100.10"));
        assert_eq!(ev.nat_dst_ip, None);
        assert_eq!(ev.get_field("nat_dst_port"), None);
        assert_eq!(ev.action.as_deref(), Some("allow"));
        assert_eq!(ev.rule_name.as_deref(), Some("LAN out"));
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(
            (ev.bytes_out, ev.bytes_in, ev.packets),
            (Some(1840), Some(7320), Some(22))
        );
        assert_eq!(ev.get_field("log_type"), Some("TRAFFIC"));
        assert_eq!(ev.get_field("serial"), Some("0132"));
        assert_eq!(ev.get_field("DestinationUser"), None);
    }

    #[test]
    fn system_and_globalprotect() {
        let ev = parse(
            r#"{"LogType":"SYSTEM","Subtype":"auth","EventName":"auth-success","EventDescription":"authenticated for user 'admin'.   From: 203.0.113.9.","LogSourceName":"PA-VM","EventTime":"2026-11-26T03:00:58.000000Z"}"#,
        );
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.outcome, Some("success"));
        assert_eq!(ev.host.as_deref(), Some("PA-VM"));
        let ev = parse(
            r#"{"LogType":"GLOBALPROTECT","EventIDValue":"gateway-logout","SourceUserName":"an@corp.vn","PublicIPv4":"113.161.20.5","PublicIPv6":"","PrivateIPv4":"10.8.0.2","EventStatus":"success"}"#,
        );
        assert_eq!(ev.src_ip.as_deref(), Some("113.161.20.5"));
        assert_eq!(ev.nat_src_ip.as_deref(), Some("10.8.0.2"));
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.get_field("user_principal"), Some("an@corp.vn"));
        assert_eq!(ev.outcome, Some("success"));
        let ev = parse(
            r#"{"LogType":"HIPMATCH","SourceUser":"an@corp.vn","SourceIP":"10.8.0.2","SourceIPv6":"","HipMatchName":"VPN Compliant","EndpointDeviceName":"PC-01"}"#,
        );
        assert_eq!(ev.src_ip.as_deref(), Some("10.8.0.2"));
        assert_eq!(ev.rule_name.as_deref(), Some("VPN Compliant"));
    }

    #[test]
    fn behind_a_syslog_header_and_malformed() {
        let ev = parse(
            r#"<14>Nov 26 10:04:00 PA-HUE {"LogType":"TRAFFIC","SourceAddress":"10.20.30.41","Action":"deny"}"#,
        );
        assert_eq!(ev.source_type, SourceType::PanOs);
        assert_eq!(ev.host.as_deref(), Some("PA-HUE"));
        assert_eq!(ev.app, None);
        assert_eq!(ev.action.as_deref(), Some("deny"));
        // Claimed (it looks like one) but not well formed: kept, marked partial.
        let ev = parse(r#"{"LogType":"TRAFFIC","SourceAddress":"10.20.30.41" "Action":"deny"}"#);
        assert_eq!(ev.source_type, SourceType::PanOs);
        assert_eq!(ev.status, ParseStatus::Partial);
    }
}
