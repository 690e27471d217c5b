//! ArcSight CEF and IBM LEEF, the two vendor-neutral envelopes.
//!
//! CEF: `CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|ext` with `\|` and `\\` escaped in
//! the header and `key=value` extensions under CEF escaping (see [`super::kv::Dialect::Cef`]).
//! Custom strings arrive as `cs1Label=Rule Name cs1=Allow-DNS`; each becomes `fields[label]`, and a
//! label that names the rule fills `rule_name`. Vendor-prefixed FortiGate keys (`FTNTFGTsrcintf`)
//! map as FortiGate's own keys do. `fields.device_vendor` and `device_product` say whose record it
//! is, since a rule for "FortiGate" must also see FortiGate's CEF.
//!
//! LEEF 1.0: `LEEF:1.0|Vendor|Product|Version|EventID|attrs` with tab-separated attributes;
//! LEEF 2.0 adds a delimiter field (`^`, `x09`, `\t`). rsyslog's `#011` escape of a tab is read
//! as a tab. Both envelopes are also accepted without their `CEF:`/`LEEF:` marker when the vendor
//! field is unmistakable, as some collectors strip it.

use std::borrow::Cow;

use memchr::memchr;

use super::kv::{Dialect, cef_unescape, pairs};
use super::{Col, put};
use crate::event::{Event, SourceType, Text};
use crate::payload::PayloadParser;
use crate::time::{Zone, digits, month_from_abbrev};

/// ArcSight Common Event Format.
pub struct Cef;

/// IBM Log Event Extended Format.
pub struct Leef;

/// Where a standard CEF extension key goes.
fn cef_column(key: &str) -> Option<Col> {
    Some(match key {
        "src" | "sourceAddress" | "c6a2" => Col::SrcIp,
        "dst" | "destinationAddress" | "c6a3" => Col::DstIp,
        "spt" | "sourcePort" => Col::SrcPort,
        "dpt" | "destinationPort" => Col::DstPort,
        "sourceTranslatedAddress" => Col::NatSrcIp,
        "sourceTranslatedPort" => Col::NatSrcPort,
        "destinationTranslatedAddress" => Col::NatDstIp,
        "destinationTranslatedPort" => Col::NatDstPort,
        "proto" | "transportProtocol" => Col::Protocol,
        "act" | "deviceAction" => Col::Action,
        "deviceInboundInterface" | "ifname" => Col::InIface,
        "deviceOutboundInterface" => Col::OutIface,
        "in" | "bytesIn" => Col::BytesIn,
        "out" | "bytesOut" => Col::BytesOut,
        "suser" | "sourceUserName" | "PanOSSourceUserName" | "PanOSUserName" | "usrName" => {
            Col::User
        }
        "msg" | "message" => Col::Message,
        "dvchost" | "deviceHostName" => Col::Host,
        "outcome" | "eventOutcome" => Col::Outcome,
        _ => return None,
    })
}

/// Splits a pipe-delimited header with `\|` escapes into at most `n` fields and the rest.
fn header_fields(s: &str, n: usize) -> Option<(Vec<Text<'_>>, &str)> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    let mut i = 0;
    let mut escaped = false;
    while out.len() < n {
        let off = memchr(b'|', &b[i..])?;
        let at = i + off;
        // An odd number of backslashes before the pipe escapes it.
        let slashes = b[start..at]
            .iter()
            .rev()
            .take_while(|&&c| c == b'\\')
            .count();
        if slashes % 2 == 1 {
            escaped = true;
            i = at + 1;
            continue;
        }
        let field = &s[start..at];
        out.push(if escaped || field.contains('\\') {
            cef_unescape(field)
        } else {
            Cow::Borrowed(field)
        });
        escaped = false;
        start = at + 1;
        i = start;
    }
    Some((out, &s[start..]))
}

/// Where a `marker` (`CEF:`) starts: at the front, or after a short tag such as `ASM:` that a
/// device puts before it.
fn marker_at(body: &str, marker: &str) -> Option<usize> {
    let head = &body.as_bytes()[..body.len().min(64)];
    let first = *marker.as_bytes().first()?;
    memchr::memchr_iter(first, head).find(|&i| {
        head[i..].starts_with(marker.as_bytes())
            && (i == 0 || matches!(head[i - 1], b' ' | b':' | b'\t'))
    })
}

/// The text after a `CEF:` marker (tolerating `CEF: 0|` and a missing marker).
fn cef_start(body: &str) -> Option<&str> {
    let b = body.trim_start();
    if let Some(i) = marker_at(b, "CEF:") {
        return Some(b[i + 4..].trim_start());
    }
    // A collector stripped `CEF:`: `0|Vendor|Product|...` with a one-digit version.
    let bytes = b.as_bytes();
    (bytes.len() > 8 && bytes[0].is_ascii_digit() && bytes[1] == b'|' && bytes[2] != b'|')
        .then_some(b)
}

impl PayloadParser for Cef {
    fn source_type(&self) -> SourceType {
        SourceType::Cef
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, _app: Option<&str>, body: &str) -> bool {
        // Most records asked here have no `|` at all: one search rejects them.
        if memchr::memchr(b'|', body.as_bytes()).is_none() {
            return false;
        }
        let Some(rest) = cef_start(body) else {
            return false;
        };
        if marker_at(body.trim_start(), "CEF:").is_some() {
            return true;
        }
        // Without the marker, insist on the shape: seven header fields.
        rest.bytes().filter(|&c| c == b'|').count() >= 7
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let rest = cef_start(body).ok_or("no CEF header")?;
        let (mut head, mut ext) =
            header_fields(rest, 7).ok_or("CEF header has fewer than 7 fields")?;
        // `CEF:0||Check Point|...`: an empty vendor field pushed everything one place right.
        if head.get(1).is_some_and(|v| v.is_empty())
            && let Some((more, after)) = header_fields(ext, 1)
        {
            head.remove(1);
            head.extend(more);
            ext = after;
        }
        // The header parser may have read `CEF:0|...` or `ASM:CEF:0|F5|...` as the tag: only
        // what precedes the marker (`ASM`) is one.
        if let Some(a) = ev.app.as_deref()
            && body.trim_start().starts_with(a)
        {
            let before = body.trim_start().split("CEF:").next().unwrap_or("");
            let tag = before.trim_end_matches([':', ' ']);
            ev.app = (!tag.is_empty()).then(|| Cow::Owned(tag.to_owned()));
        }
        let mut it = head.into_iter();
        let version = it.next().unwrap_or_default();
        let vendor = it.next().unwrap_or_default();
        let product = it.next().unwrap_or_default();
        let dev_version = it.next().unwrap_or_default();
        let signature = it.next().unwrap_or_default();
        let name = it.next().unwrap_or_default();
        let severity = it.next().unwrap_or_default();
        let dialect = if vendor.eq_ignore_ascii_case("fortinet") {
            Vendor::Fortinet
        } else if vendor.eq_ignore_ascii_case("sonicwall") {
            Vendor::SonicWall
        } else {
            Vendor::Other
        };
        ev.field("cef_version", version);
        ev.field("device_vendor", vendor);
        ev.field("device_product", product);
        ev.field("device_version", dev_version);
        ev.field("signature_id", signature);
        ev.field("cef_severity", severity);
        // The header parser's message is the whole list; `msg` (or the name) replaces it.
        ev.message = None;
        extensions(ext, dialect, ev);
        if ev.ts.is_none() {
            ev.ts = event_time(ev);
        }
        if ev.message.is_none() && !name.is_empty() {
            ev.message = Some(name.clone());
        }
        ev.field("name", name);
        Ok(())
    }
}

/// The event's time from the extension when no syslog header gave one: the device's own clock
/// (`FTNTFGTeventtime`), else when the device received it (`rt`), else when it started (`start`).
/// Epoch seconds, milliseconds, microseconds or nanoseconds, or `MMM dd yyyy HH:mm:ss[.SSS]
/// [zone]` read in `dtz` (UTC without it). Year-less stamps are left to the receive time.
fn event_time(ev: &Event<'_>) -> Option<i64> {
    let zone = ev
        .get_field("dtz")
        .and_then(|z| Zone::parse(z).ok())
        .unwrap_or(Zone::Utc);
    [
        "FTNTFGTeventtime",
        "eventtime",
        "rt",
        "deviceReceiptTime",
        "start",
    ]
    .into_iter()
    .filter_map(|key| ev.get_field(key))
    .find_map(|v| cef_time(v.trim(), zone))
}

fn cef_time(v: &str, zone: Zone) -> Option<i64> {
    let b = v.as_bytes();
    if !b.is_empty() && b.iter().all(u8::is_ascii_digit) {
        let n: i64 = v.parse().ok()?;
        return match b.len() {
            9 | 10 => n.checked_mul(1_000_000),
            12 | 13 => n.checked_mul(1_000),
            15 | 16 => Some(n),
            18 | 19 => Some(n / 1_000),
            _ => None,
        };
    }
    // `Mar 01 2021 20:35:54[.123][ UTC]`
    if b.len() < 20
        || b[3] != b' '
        || b[6] != b' '
        || b[11] != b' '
        || b[14] != b':'
        || b[17] != b':'
    {
        return None;
    }
    let month = month_from_abbrev(&b[..3])?;
    let day = digits(b, 4, 2)?;
    let year = i32::try_from(digits(b, 7, 4)?).ok()?;
    let (h, m, sec) = (digits(b, 12, 2)?, digits(b, 15, 2)?, digits(b, 18, 2)?);
    let mut rest = &v[20..];
    let mut micros = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let n = fraction.bytes().take_while(u8::is_ascii_digit).count();
        let scale = 10u32.checked_pow(6u32.checked_sub(n.min(6) as u32)?)?;
        micros = fraction[..n.min(6)].parse::<u32>().ok()? * scale;
        rest = &fraction[n..];
    }
    let zone = match rest.trim() {
        "" => zone,
        named => Zone::parse(named).ok()?,
    };
    zone.civil_to_utc_micros(year, month, day, h, m, sec, micros)
}

/// The custom keys of the CEF dictionary, short and long names: each takes a number (`cs1`,
/// `cfp2`, `flexString1`, `deviceCustomString3`) and may have a label (`cs1Label=Rule Name`).
const CUSTOM_KEYS: [&str; 14] = [
    "cs",
    "cn",
    "cfp",
    "c6a",
    "flexString",
    "flexNumber",
    "flexDate",
    "deviceCustomDate",
    "deviceCustomString",
    "deviceCustomNumber",
    "deviceCustomFloatingPoint",
    "deviceCustomIPv6Address",
    "deviceFlexNumber",
    "deviceFlexString",
];

/// Whether `key` is a custom key with its number (`cs1`, `flexNumber2`).
fn is_custom_key(key: &str) -> bool {
    // Every extension key is asked: most are rejected by their first letter.
    if !matches!(key.as_bytes().first(), Some(b'c' | b'f' | b'd')) {
        return false;
    }
    CUSTOM_KEYS.iter().any(|base| {
        key.strip_prefix(base)
            .is_some_and(|n| (1..=2).contains(&n.len()) && n.bytes().all(|c| c.is_ascii_digit()))
    })
}

/// The custom key a label key (`cs1Label`, `cfp2Label`) names.
fn label_target(key: &str) -> Option<&str> {
    let base = key.strip_suffix("Label")?;
    is_custom_key(base).then_some(base)
}

/// A custom key's label (`cs1Label=Rule Name`), waiting for its value (`cs1=...`).
struct Label<'a> {
    /// The custom key it names (`cs1`).
    target: &'a str,
    /// The label key as sent (`cs1Label`).
    key: &'a str,
    /// The label (`Rule Name`), the value's name in `fields`.
    text: Text<'a>,
    /// Whether a value took it.
    used: bool,
}

/// Vendors whose CEF needs their own reading of some keys.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Vendor {
    /// `FTNTFGT`-prefixed FortiGate keys.
    Fortinet,
    /// SonicWall quotes values, names the rule in `cs1`, the user in `susr`, and puts the NAT
    /// addresses in `cs1Label`/`cs2Label` with ports in `snpt`/`dnpt`.
    SonicWall,
    Other,
}

/// `"value"`, or `\"value\"` as some relays re-escape SonicWall's quotes: the value.
fn unquote(v: Text<'_>) -> Text<'_> {
    let wrapper = [r#"\""#, "\""]
        .into_iter()
        .find(|q| v.len() >= 2 * q.len() && v.starts_with(q) && v.ends_with(q))
        .map_or(0, str::len);
    if wrapper == 0 {
        return v;
    }
    match v {
        Cow::Borrowed(s) => Cow::Borrowed(&s[wrapper..s.len() - wrapper]),
        Cow::Owned(s) => Cow::Owned(s[wrapper..s.len() - wrapper].to_owned()),
    }
}

fn extensions<'a>(ext: &'a str, vendor: Vendor, ev: &mut Event<'a>) {
    // Labels may come before or after their values.
    let mut labels: Vec<Label<'a>> = Vec::new();
    let mut customs: Vec<(&'a str, Text<'a>)> = Vec::new();
    let mut destination_user = None;
    for (key, value) in pairs(ext, b' ', Dialect::Cef) {
        if vendor == Vendor::SonicWall {
            let value = unquote(value);
            let col = match key {
                "cs1" => Some(Col::RuleName),
                "susr" => Some(Col::User),
                "fw_action" => Some(Col::Action),
                "snpt" => Some(Col::NatSrcPort),
                "dnpt" => Some(Col::NatDstPort),
                "cs1Label" if super::ip_text(&value).is_some() => Some(Col::NatSrcIp),
                "cs2Label" if super::ip_text(&value).is_some() => Some(Col::NatDstIp),
                _ => None,
            };
            if let Some(col) = col {
                put(ev, col, key, value);
                continue;
            }
            if let Some(col) = cef_column(key) {
                put(ev, col, key, value);
            } else {
                ev.field(key, value);
            }
            continue;
        }
        if let Some(target) = label_target(key) {
            labels.push(Label {
                target,
                key,
                text: value,
                used: false,
            });
            continue;
        }
        // The destination user only when no source user is named.
        if matches!(key, "duser" | "destinationUserName") {
            destination_user = Some((key, value.clone()));
            ev.field(key, value);
            continue;
        }
        if is_custom_key(key) {
            customs.push((key, value));
            continue;
        }
        let vendor_key = if vendor == Vendor::Fortinet {
            key.strip_prefix("FTNTFGT")
                .or_else(|| key.strip_prefix("FortinetFortiGate"))
                // FortiOS's `ui` (how an administrator came in: `ssh(1.2.3.4)`) travels as `sproc`.
                .or((key == "sproc").then_some("ui"))
        } else {
            None
        };
        match vendor_key {
            Some(k) => super::fortigate::put_key(ev, k, key, value),
            None => match cef_column(key) {
                Some(col) => put(ev, col, key, value),
                None => ev.field(key, value),
            },
        }
    }
    // (Already in `fields`: only the column is filled here.)
    if let Some((key, value)) = destination_user
        && ev.user.is_none()
    {
        put(ev, Col::User, key, value);
    }
    for (key, value) in customs {
        match labels.iter_mut().find(|l| l.target == key) {
            Some(label) => {
                label.used = true;
                // (The value is kept under its label below: only the column is filled here.)
                if is_rule_label(&label.text) && ev.rule_name.is_none() {
                    put(ev, Col::RuleName, key, value.clone());
                }
                ev.field(label.text.clone(), value);
            }
            None => ev.field(key, value),
        }
    }
    // A label whose value never came is still what the device sent.
    for label in labels.into_iter().filter(|l| !l.used) {
        ev.field(label.key, label.text);
    }
}

fn is_rule_label(label: &str) -> bool {
    let l = label.trim();
    l.eq_ignore_ascii_case("rule name")
        || l.eq_ignore_ascii_case("rule")
        || l.eq_ignore_ascii_case("rulename")
        || l.eq_ignore_ascii_case("policy name")
}

/// The text after a `LEEF:` marker, or a marker-less `1.0|Vendor|...`.
fn leef_start(body: &str) -> Option<&str> {
    let b = body.trim_start();
    if let Some(i) = marker_at(b, "LEEF:") {
        return Some(&b[i + 5..]);
    }
    (b.starts_with("1.0|") || b.starts_with("2.0|")).then_some(b)
}

/// Where a LEEF attribute goes.
fn leef_column(key: &str) -> Option<Col> {
    Some(match key {
        "src" | "srcPreNAT" => Col::SrcIp,
        "dst" | "dstPreNAT" => Col::DstIp,
        "srcPort" | "srcPreNATPort" => Col::SrcPort,
        "dstPort" | "dstPreNATPort" => Col::DstPort,
        "srcPostNAT" => Col::NatSrcIp,
        "dstPostNAT" => Col::NatDstIp,
        "srcPostNATPort" | "srcPostNATPORT" => Col::NatSrcPort,
        "dstPostNATPort" | "dstPostNATPORT" => Col::NatDstPort,
        "proto" => Col::Protocol,
        "action" | "disp" => Col::Action,
        "policy" | "rule" | "policyName" | "RuleName" => Col::RuleName,
        "in_if" | "inIface" | "IngressInterface" => Col::InIface,
        "out_if" | "outIface" | "EgressInterface" => Col::OutIface,
        "srcBytes" | "sent_bytes" => Col::BytesOut,
        "dstBytes" | "rcvd_bytes" => Col::BytesIn,
        "srcPackets" | "dstPackets" => Col::Packets,
        "usrName" | "user" | "accountName" | "src_user" => Col::User,
        "msg" => Col::Message,
        "identHostName" => Col::Host,
        _ => return None,
    })
}

impl PayloadParser for Leef {
    fn source_type(&self) -> SourceType {
        SourceType::Leef
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, _app: Option<&str>, body: &str) -> bool {
        memchr::memchr(b'|', body.as_bytes()).is_some()
            && leef_start(body).is_some_and(|r| r.bytes().filter(|&c| c == b'|').count() >= 5)
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let rest = leef_start(body).ok_or("no LEEF header")?;
        let v2 = rest.starts_with('2');
        let (head, mut attrs) =
            header_fields(rest, 5).ok_or("LEEF header has fewer than 5 fields")?;
        if ev.app.as_deref().is_some_and(|a| a.starts_with("LEEF")) {
            ev.app = None;
        }
        ev.message = None;
        let mut sep = "\t";
        let mut space_separated = false;
        if v2 {
            // LEEF 2.0: one more header field names the delimiter (`^`, `x09`, `\t`, `|`).
            if let Some(i) = attrs.find('|') {
                let spec = &attrs[..i];
                let named = match spec {
                    "" | "x09" | "\\t" | "0x09" | "\t" => Some("\t"),
                    s if s.len() == 1 => Some(s),
                    s if s.starts_with("x") || s.starts_with("0x") => Some("\t"),
                    _ => None,
                };
                if let Some(named) = named {
                    sep = named;
                    attrs = &attrs[i + 1..];
                }
            }
        }
        if attrs.contains("#011") {
            sep = "#011";
        } else if sep == "\t" && !attrs.contains('\t') {
            // LEEF 1.0 without a tab: PAN-OS's LEEF profile separates attributes by `|`, other
            // senders by `^`; whichever is followed by a `key=` is the separator.
            if let Some(found) = ["|", "^"].into_iter().find(|cand| {
                attrs
                    .split_once(cand)
                    .is_some_and(|(_, after)| !super::first_key(after).is_empty())
            }) {
                sep = found;
            } else {
                // Relays that turn the tabs into spaces: a value runs to the next ` key=`.
                space_separated = !super::first_key(attrs).is_empty();
            }
        }
        let watchguard = head
            .get(1)
            .is_some_and(|v| v.eq_ignore_ascii_case("watchguard"));
        for (name, value) in [
            "leef_version",
            "device_vendor",
            "device_product",
            "device_version",
            "event_id",
        ]
        .into_iter()
        .zip(head)
        {
            ev.field(name, value);
        }
        let attribute = |key: &'a str, value: Text<'a>, ev: &mut Event<'a>| {
            if watchguard
                && key == "msg"
                && let Cow::Borrowed(text) = value
            {
                super::watchguard::read_message(text, ev);
            }
            // A WatchGuard proxy names the content rule that matched in `rule_name`; it is the
            // rule of the record, and the firewall `policy` it ran under stays in `fields`.
            if watchguard && key == "rule_name" {
                if let Some(policy) = ev.rule_name.replace(value) {
                    ev.field("policy", policy);
                }
                return;
            }
            match leef_column(key) {
                Some(col) => put(ev, col, key, value),
                None => ev.field(key, value),
            }
        };
        if space_separated {
            for (key, value) in pairs(attrs, b' ', Dialect::Cef) {
                attribute(key, value, ev);
            }
        } else {
            for part in attrs.split(sep) {
                let Some((key, value)) = part.split_once('=') else {
                    continue;
                };
                let key = key.trim();
                if !key.is_empty() {
                    attribute(key, Cow::Borrowed(value), ev);
                }
            }
        }
        // LEEF's event time: `devTime` (epoch milliseconds or `MMM dd yyyy HH:mm:ss`).
        if ev.ts.is_none() {
            ev.ts = ev
                .get_field("devTime")
                .and_then(|v| cef_time(v.trim(), Zone::Utc));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn cef_with_escapes_labels_and_header() {
        let ev = parse(
            r"<134>Nov 26 10:00:00 cp1 CEF:0|Check Point|VPN-1 & FireWall-1|Check Point|Log|Drop \| all|5|act=Drop src=203.0.113.5 spt=5000 dst=10.0.0.8 dpt=445 proto=TCP cs1Label=Rule Name cs1=Block SMB \= inbound msg=a\\b",
        );
        assert_eq!(ev.source_type, SourceType::Cef);
        assert_eq!(ev.app, None);
        assert_eq!(ev.get_field("device_vendor"), Some("Check Point"));
        assert_eq!(ev.get_field("name"), Some("Drop | all"));
        assert_eq!(ev.action.as_deref(), Some("drop"));
        assert_eq!(ev.rule_name.as_deref(), Some("Block SMB = inbound"));
        assert_eq!(ev.get_field("Rule Name"), Some("Block SMB = inbound"));
        assert_eq!(ev.message.as_deref(), Some(r"a\b"));
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(ev.dst_port, Some(445));
    }

    #[test]
    fn a_header_without_hostname_leaves_the_payload_whole() {
        // OSSEC (here as Trend Micro) sends a BSD time and then CEF straight away.
        let ev = parse(
            "<132>Nov 13 13:17:41 CEF:0|Trend Micro Inc.|OSSEC HIDS|v2.9.2|1002|Unknown problem|2|dvc=log cs1=(proxy) any->/var/log/syslog cs1Label=Location",
        );
        assert_eq!(ev.source_type, SourceType::Cef);
        assert_eq!(ev.host, None);
        assert_eq!(ev.get_field("device_vendor"), Some("Trend Micro Inc."));
        assert_eq!(
            ev.get_field("Location"),
            Some("(proxy) any->/var/log/syslog")
        );
        let ev =
            parse("<13>Nov 13 13:17:41 LEEF:1.0|Vendor|Product|1.0|7|src=10.0.0.1\tdst=10.0.0.2");
        assert_eq!(ev.source_type, SourceType::Leef);
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.0.1"));
    }

    #[test]
    fn the_destination_user_fills_the_column_only_without_a_source_user() {
        let ev = parse("CEF:0|V|P|1|1|n|1|suser=an duser=binh src=10.0.0.1");
        assert_eq!(ev.user.as_deref(), Some("an"));
        let kept: Vec<_> = ev.fields.iter().filter(|(k, _)| k == "duser").collect();
        assert_eq!(kept.len(), 1);
        let ev = parse("CEF:0|V|P|1|1|n|1|duser=binh src=10.0.0.1");
        assert_eq!(ev.user.as_deref(), Some("binh"));
        assert_eq!(ev.get_field("duser"), Some("binh"));
    }

    #[test]
    fn every_custom_key_takes_its_label() {
        let ev = parse(
            "CEF:0|V|P|1|1|n|1|cfp2=90.01 cfp2Label=Score c6a1Label=Client IPv6 c6a1=fe80::1 flexString1=Fooo! flexString1Label=Tag deviceCustomString2=x deviceCustomString2Label=Zone cn3Label=Unused cs1=plain",
        );
        assert_eq!(ev.get_field("Score"), Some("90.01"));
        assert_eq!(ev.get_field("Client IPv6"), Some("fe80::1"));
        assert_eq!(ev.get_field("Tag"), Some("Fooo!"));
        assert_eq!(ev.get_field("Zone"), Some("x"));
        // A value without a label keeps its key; a label without a value is kept as sent.
        assert_eq!(ev.get_field("cs1"), Some("plain"));
        assert_eq!(ev.get_field("cn3Label"), Some("Unused"));
        assert!(!is_custom_key("cs1Label") && !is_custom_key("csv1") && !is_custom_key("cs123"));
    }

    #[test]
    fn a_marker_without_any_header_is_not_claimed() {
        // A CEF header has pipes; text that only mentions the marker stays plain syslog.
        let ev = parse("<14>Nov 26 10:00:00 siem01 relay: forwarding CEF: 0 events today");
        assert_eq!(ev.source_type, SourceType::Syslog);
        assert_eq!(ev.app.as_deref(), Some("relay"));
    }

    #[test]
    fn sonicwall_quoted_and_re_escaped_values() {
        for quote in ["\"", "\\\""] {
            let line = format!(
                "CEF:0|SonicWall|NSa 4500|7.0.1|537|Connection Closed|4|src=10.0.30.40 spt=12345 dst=192.0.2.1 dpt=53 proto=udp/dns susr={quote}an.nv{quote} cs1={quote}Default Access Rule{quote} fw_action={quote}drop{quote} msg={quote}Filename: a.txt{quote}"
            );
            let ev = parse(&line);
            assert_eq!(ev.user.as_deref(), Some("an.nv"), "{line}");
            assert_eq!(
                ev.rule_name.as_deref(),
                Some("Default Access Rule"),
                "{line}"
            );
            assert_eq!(ev.action.as_deref(), Some("drop"), "{line}");
            assert_eq!(ev.protocol.as_deref(), Some("udp"), "{line}");
        }
    }

    #[test]
    fn event_time_from_the_extension_without_a_header() {
        let at = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.timestamp_micros())
                .ok()
        };
        let ev =
            parse("CEF:0|Cybereason|Cybereason|1.0|5|Malop|5|dst=203.0.113.3 rt=1629500007043");
        assert_eq!(ev.ts, at("2021-08-20T22:53:27.043Z"));
        let ev = parse(
            "CEF:0|Palo Alto Networks|LF|2.0|USERID|logout|3|dtz=UTC rt=Mar 01 2021 21:06:02 src=10.1.1.1",
        );
        assert_eq!(ev.ts, at("2021-03-01T21:06:02Z"));
        let ev = parse(
            "CEF:0|Vendor|P|1|1|x|3|dtz=Asia/Ho_Chi_Minh rt=Mar 01 2021 21:06:02.250 src=10.1.1.1",
        );
        assert_eq!(ev.ts, at("2021-03-01T14:06:02.250Z"));
        let ev = parse(
            "CEF:0|Fortinet|Fortigate|v6.0.3|54802|dns|3|FTNTFGTeventtime=1545950726 rt=1000 src=10.1.1.1",
        );
        assert_eq!(ev.ts, at("2018-12-27T22:45:26Z"));
        // A syslog header's time stands; a year-less `rt` is not guessed.
        let ev = parse("<134>Nov 26 10:00:00 fw CEF:0|V|P|1|1|x|3|rt=1629500007043");
        assert_ne!(ev.ts, at("2021-08-20T22:53:27.043Z"));
        let ev = parse("CEF:0|V|P|1|1|x|3|rt=Mar 01 21:06:02 src=10.1.1.1");
        assert_eq!(ev.get_field("ts_source"), Some("received"));
        let ev = parse("LEEF:1.0|V|P|1|e|src=10.1.1.1\tdevTime=1629500007043");
        assert_eq!(ev.ts, at("2021-08-20T22:53:27.043Z"));
    }

    #[test]
    fn check_point_with_line_breaks_between_pairs() {
        let ev = parse(
            "CEF:0||Check Point|VPN-1 & FireWall-1|Check Point|geo_protection|Log|Unknown|act=Accept \ncs3Label=Protection Type cs3=geo_protection rt=1708352128000 spt=56935 dpt=53 \nifname=bond151.421 origin=192.0.2.2 \ndst=198.51.100.3 dst_country=Other proto=17 src=10.1.1.1 \nsrc_country=Internal",
        );
        assert_eq!(ev.action.as_deref(), Some("allow"));
        assert_eq!(ev.src_ip.as_deref(), Some("10.1.1.1"));
        assert_eq!(ev.dst_ip.as_deref(), Some("198.51.100.3"));
        assert_eq!(ev.in_iface.as_deref(), Some("bond151.421"));
        assert_eq!(ev.get_field("src_country"), Some("Internal"));
        let ev = parse(
            "CEF: 0|Check Point|VPN-1 & FireWall-1|Check Point|Log|TCP_135|Unknown|act=Accept src=10.1.1.1",
        );
        assert_eq!(ev.source_type, SourceType::Cef);
        assert_eq!(ev.src_ip.as_deref(), Some("10.1.1.1"));
    }

    #[test]
    fn fortinet_prefixed_keys() {
        let ev = parse(
            "CEF:0|Fortinet|Fortigate|v7.2|00013|traffic:forward close|3|FTNTFGTsrcintf=port1 FTNTFGTpolicyname=Web src=10.0.0.1 dst=8.8.4.4",
        );
        assert_eq!(ev.in_iface.as_deref(), Some("port1"));
        assert_eq!(ev.rule_name.as_deref(), Some("Web"));
    }

    #[test]
    fn leef_one_and_two() {
        let ev = parse(
            "LEEF:1.0|WatchGuard|XTM|12.8|30000148|policy=Any-00\tdisp=Deny\tin_if=WAN1\tsrc=1.2.3.4\tsrcPort=35186\tdst=192.168.1.2\tdstPort=6379\tproto=tcp",
        );
        assert_eq!(ev.source_type, SourceType::Leef);
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.src_port, Some(35186));
        assert_eq!(ev.rule_name.as_deref(), Some("Any-00"));
        let ev =
            parse("LEEF:2.0|Lancope|StealthWatch|1.0|41|^|src=10.0.1.8^dst=10.0.0.5^usrName=an");
        assert_eq!(ev.dst_ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(ev.user.as_deref(), Some("an"));
    }

    #[test]
    fn watchguard_leef_with_spaces_and_a_proxy_rule() {
        let ev = parse(
            "LEEF:1.0|WatchGuard|XTM|12.8.2|1AFF0021|serial=0001 policy=HTTPS-LAN-00 disp=Deny in_if=LAN out_if=WAN2 src=10.1.1.5 srcPort=54803 dst=203.0.113.80 dstPort=443 proto=tcp proxy_act=HTTP-Client rule_name=Block games dstname=www.example.com arg=/ msg=ProxyDeny: HTTP Request categories",
        );
        assert_eq!(ev.source_type, SourceType::Leef);
        assert_eq!(
            (ev.src_ip.as_deref(), ev.dst_port),
            (Some("10.1.1.5"), Some(443))
        );
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.rule_name.as_deref(), Some("Block games"));
        assert_eq!(ev.get_field("policy"), Some("HTTPS-LAN-00"));
        assert_eq!(
            ev.message.as_deref(),
            Some("ProxyDeny: HTTP Request categories")
        );
        let ev = parse(
            "1.0|WatchGuard|XTM|12.10.3|3E000002|host_name=fb1#011serial=0001#011msg=SSL VPN user an@corp.vn@radius from 203.0.113.4 logged in assigned virtual IP is 10.8.0.2",
        );
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.get_field("user_domain"), Some("corp.vn"));
        assert_eq!(ev.get_field("user_principal"), Some("an@corp.vn"));
        assert_eq!(ev.get_field("auth_server"), Some("radius"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.4"));
        assert_eq!(ev.outcome, Some("success"));
        let ev = parse(
            "LEEF:1.0|WatchGuard|XTM|12.8.2|30000151|serial=0001\tpolicy=DNS\tdisp=Allow\tsrc=10.1.1.5\tsrcPostNAT=203.0.113.1\tsrcPostNATPORT=58586\tsrc_user=an@corp.vn",
        );
        assert_eq!(ev.nat_src_ip.as_deref(), Some("203.0.113.1"));
        assert_eq!(ev.get_field("nat_src_port"), Some("58586"));
        assert_eq!(ev.user.as_deref(), Some("an"));
    }

    #[test]
    fn leef_one_separated_by_pipes() {
        // PAN-OS's LEEF profile: version 1.0 (no delimiter field), attributes split by `|`.
        let ev = parse(
            r"<13>Nov 28 10:00:00 fw LEEF:1.0|Palo Alto Networks|PAN-OS Syslog Integration|10.1|allow|cat=TRAFFIC|Type=TRAFFIC|src=10.1.1.5|dst=8.8.8.8|srcPostNAT=203.0.113.1|RuleName=Allow-DNS|usrName=corp\an|IngressInterface=ethernet1/2|srcPort=51000|dstPort=53|proto=udp|action=allow|srcBytes=80|dstBytes=120",
        );
        assert_eq!(ev.source_type, SourceType::Leef);
        assert_eq!(ev.src_ip.as_deref(), Some("10.1.1.5"));
        assert_eq!(ev.nat_src_ip.as_deref(), Some("203.0.113.1"));
        assert_eq!(ev.rule_name.as_deref(), Some("Allow-DNS"));
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.in_iface.as_deref(), Some("ethernet1/2"));
        assert_eq!((ev.bytes_out, ev.bytes_in), (Some(80), Some(120)));
        assert_eq!(ev.get_field("cat"), Some("TRAFFIC"));
        // A `|` inside a value of a tab-separated record does not split it.
        let ev = parse("LEEF:1.0|V|P|1|E|src=10.0.0.1\tmsg=a|b");
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.0.1"));
    }
}
