//! Zeek (formerly Bro) network sensor logs in JSON, one object per line as Security Onion,
//! SELKS and `LogAscii::use_json` write them: `conn`, `dns`, `http`, `ssl`, `smb_files`,
//! `dce_rpc`, `kerberos`, `rdp`... Every key stays in `fields` under Zeek's own name, which is
//! what Sigma's `product: zeek` rules use; the connection's ends, protocol, bytes and packets also
//! fill the schema's columns.
//!
//! Which log a line belongs to is its `_path` when the shipper kept it, or else read off the keys
//! only that log has (`fields.zeek_log`). Zeek's default tab-separated files name their columns in
//! a header line a record does not carry; those lines are kept raw.

use super::{Col, claims_json_record, json_record, put};
use crate::event::{Event, SourceType};
use crate::payload::PayloadParser;
use crate::time::{Zone, epoch_micros, parse_iso8601};

/// Zeek JSON logs.
pub struct Zeek;

impl PayloadParser for Zeek {
    fn source_type(&self) -> SourceType {
        SourceType::Zeek
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, app: Option<&str>, body: &str) -> bool {
        // `_path` opens the object when the shipper kept it; every connection log has `id.orig_h`.
        const TAGS: &[&str] = &["zeek", "bro"];
        claims_json_record(app, body, TAGS, b"\"id.orig_h\"")
            || claims_json_record(app, body, TAGS, b"{\"_path\"")
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let pairs = json_record(body, ev)?;
        ev.message = None;
        let mut log = None;
        let mut packets = (None, None);
        for (key, value) in pairs {
            let col = match key.as_ref() {
                // `src`/`dst`: the notice log's ends.
                "id.orig_h" | "src" => Col::SrcIp,
                "id.resp_h" | "dst" => Col::DstIp,
                "id.orig_p" => Col::SrcPort,
                "id.resp_p" => Col::DstPort,
                "proto" => Col::Protocol,
                "orig_bytes" => Col::BytesOut,
                "resp_bytes" => Col::BytesIn,
                _ => {
                    match key.as_ref() {
                        "ts" => {
                            if let Some(ts) = zeek_time(&value) {
                                ev.ts = Some(ts);
                            }
                        }
                        "_path" => log = log.or_else(|| Some(value.clone())),
                        "orig_pkts" => packets.0 = value.parse::<u64>().ok(),
                        "resp_pkts" => packets.1 = value.parse::<u64>().ok(),
                        "_system_name" | "host_name" => {
                            if ev.host.is_none() {
                                ev.host = Some(value.clone());
                            }
                        }
                        _ => {
                            if log.is_none() {
                                log = log_of_key(&key).map(Into::into);
                            }
                        }
                    }
                    ev.field(key, value);
                    continue;
                }
            };
            put(ev, col, key, value);
        }
        if let (Some(a), Some(b)) = packets {
            ev.packets = Some(a.saturating_add(b));
        }
        if let Some(log) = log {
            ev.field("zeek_log", log);
        }
        Ok(())
    }
}

/// `1795834800.123456` (seconds, the default) or `2026-11-28T03:00:00.123456Z`.
fn zeek_time(value: &str) -> Option<i64> {
    match parse_iso8601(value, Zone::Utc) {
        Some((micros, _)) => Some(micros),
        None => epoch_micros(value),
    }
}

/// A key only one log has, and that log's name.
fn log_of_key(key: &str) -> Option<&'static str> {
    Some(match key {
        "conn_state" | "history" => "conn",
        "qtype_name" | "rcode_name" | "AA" => "dns",
        "status_code" | "request_body_len" | "resp_mime_types" => "http",
        "endpoint" | "named_pipe" => "dce_rpc",
        "server_name" | "ja3" | "validation_status" => "ssl",
        "request_type" => "kerberos",
        "cookie" | "security_protocol" | "keyboard_layout" => "rdp",
        "certificate.version" | "certificate.serial" => "x509",
        "fuid" | "times.modified" => "smb_files",
        "auth_attempts" | "auth_success" => "ssh",
        "mailfrom" | "rcptto" => "smtp",
        "fuids" | "mime_type" | "seen_bytes" => "files",
        "note" => "notice",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ParseStatus;
    use crate::firewall::test_support::parse;

    #[test]
    fn conn_dns_and_smb_records() {
        let ev = parse(
            r#"{"ts":1795834800.123456,"uid":"CHhAvVGS1DHFjwGM9","id.orig_h":"10.20.3.14","id.orig_p":51234,"id.resp_h":"203.0.113.66","id.resp_p":443,"proto":"tcp","service":"ssl","duration":2.5,"orig_bytes":1840,"resp_bytes":7320,"conn_state":"SF","orig_pkts":12,"resp_pkts":10}"#,
        );
        assert_eq!(ev.source_type, SourceType::Zeek);
        assert_eq!(ev.status, ParseStatus::Ok);
        assert_eq!(ev.ts, Some(1_795_834_800_123_456));
        assert_eq!(ev.src_ip.as_deref(), Some("10.20.3.14"));
        assert_eq!((ev.src_port, ev.dst_port), (Some(51234), Some(443)));
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(
            (ev.bytes_out, ev.bytes_in, ev.packets),
            (Some(1840), Some(7320), Some(22))
        );
        assert_eq!(ev.get_field("zeek_log"), Some("conn"));
        assert_eq!(ev.get_field("uid"), Some("CHhAvVGS1DHFjwGM9"));
        let ev = parse(
            r#"<14>Nov 28 10:00:01 sensor01 zeek: {"_path":"dns","ts":"2026-11-28T03:00:01.000000Z","uid":"C1","id.orig_h":"10.20.3.14","id.orig_p":53211,"id.resp_h":"10.0.0.53","id.resp_p":53,"proto":"udp","query":"aGVsbG8.tunnel.example.net","qtype_name":"TXT","rcode_name":"NOERROR"}"#,
        );
        assert_eq!(ev.source_type, SourceType::Zeek);
        assert_eq!(ev.ts, Some(1_795_834_801_000_000));
        assert_eq!(ev.get_field("zeek_log"), Some("dns"));
        assert_eq!(ev.get_field("query"), Some("aGVsbG8.tunnel.example.net"));
        let ev = parse(
            r#"{"ts":1795834802.5,"uid":"C2","id.orig_h":"10.20.3.15","id.orig_p":49700,"id.resp_h":"10.0.0.10","id.resp_p":445,"fuid":"F1","action":"SMB::FILE_OPEN","path":"\\\\dc01\\ADMIN$","name":"PSEXESVC.exe","size":0}"#,
        );
        assert_eq!(ev.get_field("zeek_log"), Some("smb_files"));
        assert_eq!(ev.get_field("name"), Some("PSEXESVC.exe"));
        assert_eq!(ev.action, None);
    }

    #[test]
    fn times_in_both_forms() {
        assert_eq!(zeek_time("1795834800.5"), Some(1_795_834_800_500_000));
        assert_eq!(zeek_time("1795834800"), Some(1_795_834_800_000_000));
        assert_eq!(
            zeek_time("2026-11-28T03:00:00Z"),
            Some(1_795_834_800_000_000)
        );
        assert_eq!(zeek_time("soon"), None);
    }
}
