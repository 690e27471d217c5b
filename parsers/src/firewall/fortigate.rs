//! FortiGate / FortiOS key=value logs (also FortiAuthenticator and FortiADC, which share the
//! shape): `date=2026-11-20 time=10:01:02 devname="FGT-SO-TTTT" devid="FG100F..." logid="0000000013"
//! type="traffic" subtype="forward" srcip=10.1.2.3 ... action="close" policyid=12 ...`.
//!
//! Relays and the Sekoia-style collectors sometimes cut `date=` off, so a record is claimed on
//! `logid=` plus `type=` (or `devid=`), wherever they are. Event time comes from `eventtime`
//! (seconds, or nanoseconds since FortiOS 6.2) when the syslog header gave none.

use std::borrow::Cow;

use super::kv::{Dialect, pairs};
use super::{Col, StaticFinder, first_key, put};
use crate::event::{Event, FAILURE, SourceType, Text};
use crate::payload::PayloadParser;

/// FortiGate key=value logs.
pub struct FortiGate;

static TYPE: StaticFinder = StaticFinder::new(b"type=");
static LOGID: StaticFinder = StaticFinder::new(b"logid=");
static LOG_ID: StaticFinder = StaticFinder::new(b"log_id=");
static DEVID: StaticFinder = StaticFinder::new(b"devid=");
static LOGDESC: StaticFinder = StaticFinder::new(b"logdesc=");

/// The keys a FortiOS list starts with (after relays that cut `date=` off).
const FIRST_KEYS: [&str; 12] = [
    "date",
    "time",
    "logver",
    "eventtime",
    "devname",
    "devid",
    "logid",
    "type",
    "itime",
    "timestamp",
    "tz",
    "subtype",
];

/// Which bytes start one of [`FIRST_KEYS`].
const FIRST_LETTERS: [bool; 256] = {
    let mut letters = [false; 256];
    let mut i = 0;
    while i < FIRST_KEYS.len() {
        letters[FIRST_KEYS[i].as_bytes()[0] as usize] = true;
        i += 1;
    }
    letters
};

/// Where a FortiOS key goes; `None` = `fields`.
fn column(key: &str) -> Option<Col> {
    Some(match key {
        "srcip" | "src" | "userip" | "remip" | "ip" => Col::SrcIp,
        "dstip" | "dst" | "locip" => Col::DstIp,
        "srcport" | "src_port" | "remport" => Col::SrcPort,
        "dstport" | "dst_port" | "locport" => Col::DstPort,
        "transip" | "trans_src" | "tunnelip" => Col::NatSrcIp,
        "transport" | "trans_src_port" => Col::NatSrcPort,
        "tranip" | "trans_dst" => Col::NatDstIp,
        "tranport" | "trans_dst_port" => Col::NatDstPort,
        "proto" => Col::Protocol,
        "action" => Col::Action,
        // FortiWeb names its server policy `policy`.
        "policyname" | "policy" => Col::RuleName,
        "srcintf" => Col::InIface,
        "dstintf" => Col::OutIface,
        "sentbyte" | "obytes" => Col::BytesOut,
        "rcvdbyte" | "ibytes" => Col::BytesIn,
        "sentpkt" | "rcvdpkt" => Col::Packets,
        // `xauthuser`, `eapuser`: who logged in over an IPsec tunnel (its `user` is the peer's
        // address).
        "user" | "srcuser" | "unauthuser" | "xauthuser" | "eapuser" => Col::User,
        "msg" => Col::Message,
        "devname" => Col::Host,
        "status" => Col::Outcome,
        _ => return None,
    })
}

/// A decimal integer such as `eventtime` (19 digits of nanoseconds): up to 19 digits cannot
/// overflow a `u64`, so they are summed without a check per digit; anything else is left to the
/// standard parser.
fn integer(v: &str) -> Option<i64> {
    let b = v.as_bytes();
    if !(1..=19).contains(&b.len()) {
        return v.parse().ok();
    }
    let (mut n, mut all_digits) = (0u64, true);
    for &c in b {
        let d = c.wrapping_sub(b'0');
        all_digits &= d < 10;
        n = n.wrapping_mul(10).wrapping_add(u64::from(d));
    }
    if all_digits {
        i64::try_from(n).ok()
    } else {
        v.parse().ok()
    }
}

/// Stores one FortiOS key. `name` is the key without any vendor prefix (FortiGate's CEF writes
/// `FTNTFGTsrcintf`), `key` the key as written, kept for `fields`.
pub(crate) fn put_key<'a>(ev: &mut Event<'a>, name: &str, key: &'a str, value: Text<'a>) {
    // `ui="GUI(192.0.2.1)"`: the administrator's address is inside the parentheses (or, in
    // FortiGate's CEF, `sproc=1.1.1.1`, the whole value).
    if name == "ui"
        && let Cow::Borrowed(v) = value
    {
        match v.split_once('(') {
            Some((_, inner)) => put(
                ev,
                Col::SrcIp,
                "ui_addr",
                Cow::Borrowed(inner.trim_end_matches(')')),
            ),
            None if super::ip_text(&value).is_some() => {
                put(ev, Col::SrcIp, "ui_addr", value.clone())
            }
            None => {}
        }
    }
    // The `action` of an event log is a verb (`login`, `Edit`); only verdict words become the
    // `action` column (see `normalize_action`), the word itself stays in `fields`.
    match column(name) {
        Some(Col::Action) => {
            // A failed SSL-VPN login has no `status`: its verb says it (`ssl-login-fail`).
            if value.ends_with("-fail") {
                ev.outcome.get_or_insert(FAILURE);
            }
            put(ev, Col::Action, key, value)
        }
        Some(col) => put(ev, col, key, value),
        None => ev.field(key, value),
    }
}

/// `,` for the CSV layout (`date=...,time=...`), else a space: whichever ends the first pair,
/// outside quotes (no need to search the whole record).
fn first_separator(body: &str) -> u8 {
    let mut quoted = false;
    for &c in body.trim_start().as_bytes() {
        match c {
            b'"' => quoted = !quoted,
            b',' if !quoted => return b',',
            b' ' if !quoted => return b' ',
            _ => {}
        }
    }
    b' '
}

impl PayloadParser for FortiGate {
    fn source_type(&self) -> SourceType {
        SourceType::FortiGate
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, _app: Option<&str>, body: &str) -> bool {
        // Every record that no Linux parser took is asked this: reject by the first letter of
        // the first key before reading it.
        let first = body.bytes().find(|&c| c != b' ');
        if !first.is_some_and(|c| FIRST_LETTERS[usize::from(c)]) {
            return false;
        }
        FIRST_KEYS.contains(&first_key(body))
            && TYPE.key_in(body)
            && (LOGID.key_in(body)
                || DEVID.key_in(body)
                || LOG_ID.key_in(body)
                || LOGDESC.key_in(body))
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        // The header parser's message is the whole list; `msg` (or the name) replaces it.
        ev.message = None;
        let mut n = 0;
        let mut logdesc = None;
        let mut eventtime = None;
        // FortiOS can also send `key=value,key=value` (the `csv` log format).
        let sep = first_separator(body);
        for (key, value) in pairs(body, sep, Dialect::Quoted) {
            n += 1;
            match key {
                "logdesc" => logdesc = Some(value.clone()),
                "eventtime" => eventtime = integer(&value),
                _ => {}
            }
            put_key(ev, key, key, value);
        }
        if n == 0 {
            return Err("no key=value pairs");
        }
        if ev.message.is_none()
            && let Some(desc) = logdesc
        {
            ev.message = Some(desc);
        }
        if ev.ts.is_none()
            && let Some(t) = eventtime
        {
            // Seconds before FortiOS 6.2, nanoseconds after (and microseconds in between).
            ev.ts = Some(match t {
                t if t > 100_000_000_000_000_000 => t / 1000,
                t if t > 100_000_000_000_000 => t,
                t => t.saturating_mul(1_000_000),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn integers_read_like_the_standard_parser() {
        for v in [
            "0",
            "1795000000123456789",
            "9223372036854775807",
            "9223372036854775808",
            "9999999999999999999",
            "18446744073709551616",
            "+12",
            "-12",
            "12a",
            "",
            " 1",
            "١٢",
        ] {
            assert_eq!(integer(v), v.parse::<i64>().ok(), "{v}");
        }
    }

    #[test]
    fn traffic_close_with_nat() {
        let line = r#"<189>date=2026-11-20 time=10:01:02 devname="FGT-HN" devid="FG100F" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" eventtime=1795000000123456789 srcip=10.1.2.3 srcport=51514 srcintf="lan" dstip=8.8.8.8 dstport=53 dstintf="wan1" proto=17 action="accept" policyid=7 policyname="LAN to WAN" transip=203.0.113.7 transport=40001 sentbyte=80 rcvdbyte=120 sentpkt=1 rcvdpkt=1 user="nguyen.van.a""#;
        let ev = parse(line);
        assert_eq!(ev.source_type, SourceType::FortiGate);
        assert_eq!(ev.src_ip.as_deref(), Some("10.1.2.3"));
        assert_eq!(ev.protocol.as_deref(), Some("udp"));
        assert_eq!(ev.action.as_deref(), Some("allow"));
        assert_eq!(ev.get_field("action"), Some("accept"));
        assert_eq!(ev.rule_name.as_deref(), Some("LAN to WAN"));
        assert_eq!(ev.nat_src_ip.as_deref(), Some("203.0.113.7"));
        assert_eq!(ev.get_field("nat_src_port"), Some("40001"));
        assert_eq!(
            (ev.bytes_out, ev.bytes_in, ev.packets),
            (Some(80), Some(120), Some(2))
        );
        assert_eq!(ev.host.as_deref(), Some("FGT-HN"));
        assert_eq!(ev.ts, Some(1_795_000_000_123_456));
    }

    #[test]
    fn fortiweb_attack() {
        let line = r#"date=2026-11-28 time=10:00:00 log_id=20000008 msg_id=000012345678 device_id=FV-1KD3A00000001 vd="root" type=attack pri=alert main_type="Signature Detection" sub_type="SQL Injection" proto=tcp service=https/tls1.2 action=Alert_Deny policy="web-policy" src=203.0.113.9 src_port=4444 dst=10.1.1.20 dst_port=443 http_method=get http_url="/index.php?id=1'or'1'='1" msg="[SQL Injection] Detected""#;
        let ev = parse(line);
        assert_eq!(ev.source_type, SourceType::FortiGate);
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.rule_name.as_deref(), Some("web-policy"));
        assert_eq!(
            (ev.src_ip.as_deref(), ev.dst_port),
            (Some("203.0.113.9"), Some(443))
        );
        assert_eq!(ev.get_field("http_url"), Some("/index.php?id=1'or'1'='1"));
    }

    #[test]
    fn failed_ssl_vpn_login() {
        let line = r#"date=2026-11-28 time=10:00:00 devname=FGT60F devid=FGT60F0000000001 logid=0101039426 type=event subtype=vpn level=warning vd=root logdesc="SSL VPN login fail" action="ssl-login-fail" tunneltype="ssl-web" tunnelid=0 remip=203.0.113.9 tunnelip=(null) user="nguyenvana" group="N/A" reason="sslvpn_login_permission_denied" msg="SSL user failed to logged in""#;
        let ev = parse(line);
        assert_eq!(ev.outcome, Some("failure"));
        assert_eq!(ev.user.as_deref(), Some("nguyenvana"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.action, None, "a verb, not a verdict");
    }

    #[test]
    fn admin_login_address_in_ui() {
        let line = r#"date=2026-11-20 time=10:01:02 devname="FGT" devid="FG1" logid="0100032001" type="event" subtype="system" level="information" logdesc="Admin login successful" user="admin" ui="https(192.0.2.10)" action="login" status="success" msg="Administrator admin logged in successfully from https(192.0.2.10)""#;
        let ev = parse(line);
        assert_eq!(ev.src_ip.as_deref(), Some("192.0.2.10"));
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.outcome, Some("success"));
        assert_eq!(ev.action, None);
    }

    #[test]
    fn ipsec_xauth_user_not_the_peer_address() {
        let line = r#"eventtime=1741264747 logid="0101037142" type="event" subtype="vpn" level="notice" vd="root" logdesc="IPsec connection status changed" action="tunnel-up" remip=198.51.100.24 locip=192.0.2.45 remport=4500 locport=4500 user="198.51.100.24" group="N/A" xauthuser="an.nv" xauthgroup="remote_users" tunnelip=10.8.0.7"#;
        let ev = parse(line);
        assert_eq!(ev.user.as_deref(), Some("an.nv"));
        assert_eq!(ev.get_field("user"), Some("198.51.100.24"));
        assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.24"));
        // EAP (IKEv2) logins name the account `eapuser`.
        let line = r#"date=2026-11-26 time=17:46:12 devname="FGT-HN" eventtime=1795231172523151273 tz="+0700" logid="0101037121" type="event" subtype="vpn" level="error" vd="root" logdesc="Negotiate IPsec phase 1" msg="negotiate IPsec phase 1" action="negotiate" remip=198.51.100.24 locip=192.0.2.45 remport=500 locport=500 user="198.51.100.24" group="N/A" useralt="N/A" eapuser="an.nv" eapauthgroup="N/A" status="failure""#;
        let ev = parse(line);
        assert_eq!(ev.user.as_deref(), Some("an.nv"));
        assert_eq!(ev.outcome, Some(crate::event::FAILURE));
    }
}
