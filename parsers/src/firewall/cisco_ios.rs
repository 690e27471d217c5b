//! Cisco IOS, IOS XE and NX-OS messages: `%FACILITY-SEVERITY-MNEMONIC: text`, e.g.
//! `%SEC-6-IPACCESSLOGP: list 101 denied tcp 203.0.113.5(4711) -> 10.0.0.1(22), 1 packet`.
//!
//! The syslog header parser already reads the IOS sequence number, clock-sync marker and time; the
//! tag is read here into `msgid` (`SEC-6-IPACCESSLOGP`). Access-list hits, logins (SEC_LOGIN,
//! SSH, PRIV_AUTH), configuration changes (SYS-5-CONFIG_I) and a few session messages have
//! templates; every other message keeps facility, severity, mnemonic and text. NX-OS relays its
//! Linux daemons as `%AUTHPRIV-3-SYSTEM_MSG: pam_unix(dcos_sshd:auth): ... - dcos_sshd[1234]`:
//! those texts go to the Linux PAM and sshd readers, so a switch's SSH logins fill the same
//! columns as a server's.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

use super::{Col, put};
use crate::event::{Event, FAILURE, SUCCESS, SourceType};
use crate::pattern::{Captures, Template};
use crate::payload::PayloadParser;

/// Cisco IOS-family `%FAC-n-MNEMONIC:` messages.
pub struct CiscoIos;

/// (facility-mnemonic, template, outcome).
#[rustfmt::skip]
static SENTENCES: &[(&str, &str, Option<&str>)] = &[
    ("SEC-IPACCESSLOGS", "list {rule} {verdict} {src} {packets} packet{*}", None),
    ("SEC_LOGIN-LOGIN_FAILED", "Login failed [user: {user?}] [Source: {src}] [localport: {dst_port}] [Reason: {reason}] at {tail}", Some(FAILURE)),
    ("SEC_LOGIN-LOGIN_FAILED", "Login failed [user: {user?}] [Source: {src}] [localport: {dst_port}] {tail}", Some(FAILURE)),
    ("SEC_LOGIN-LOGIN_SUCCESS", "Login Success [user: {user?}] [Source: {src}] [localport: {dst_port}] at {tail}", Some(SUCCESS)),
    ("SEC_LOGIN-QUIET_MODE_ON", "{text}[user: {user?}] [Source: {src}] [localport: {dst_port}] {tail}", None),
    ("SSH-SSH2_USERAUTH", "User '{user?}' authentication for SSH2 Session from {src} (tty = {tty}) using crypto cipher '{cipher}', hmac '{hmac}' {result}", None),
    ("SSH-SSH2_SESSION", "SSH2 Session request from {src} (tty = {tty}) using crypto cipher '{cipher}', hmac '{hmac}' {result}", None),
    ("SSH-SSH2_CLOSE", "SSH2 Session from {src} (tty = {tty}) for user '{user?}' using crypto cipher '{cipher}', hmac '{hmac}' closed", None),
    ("SSH-SSH_CLOSE", "SSH Session from {src} (tty = {tty}) for user '{user?}' using crypto cipher '{cipher?}' closed", None),
    ("SYS-CONFIG_I", "Configured from {via} by {user} on {line} ({src})", None),
    ("SYS-CONFIG_I", "Configured from {via} by {user} on {line}", None),
    // Without AAA there is no user: `Configured from console by vty0 (10.0.0.5)`.
    ("SYS-CONFIG_I", "Configured from {via} by {line} ({src})", None),
    ("SYS-CONFIG_I", "Configured from {via} by {user}", None),
    ("VSHD-VSHD_SYSLOG_CONFIG_I", "Configured from {via} by {user} on {src}@{line}", None),
    ("VSHD-VSHD_SYSLOG_CONFIG_I", "Configured from {via} by {user} on {line}", None),
    ("SYS-CONFIG_P", "Configured programmatically by process {process} from {via} as {user} on {line} ({src})", None),
    ("SYS-PRIV_AUTH_FAIL", "Authentication to privilege level {level} failed by {user} on {line} ({src})", Some(FAILURE)),
    ("SYS-LOGOUT", "User {user} has exited tty session {tty}({src})", None),
    ("SYS-LOGGINGHOST_FAIL", "Logging to host {dst} port {dst_port} failed", None),
    ("PARSER-CFGLOG_LOGGEDCMD", "User:{user}  logged command:{command}", None),
    ("PARSER-CFGLOG_LOGGEDCMD", "User:{user} logged command:{command}", None),
    ("AAAA-ACCTLOCAL", "Username: {user} Privilege level: {level} Command: {command}", None),
    ("AAA-USER_RESET", "User {target_user} failed attempts reset by {actor} on {line} ({src})", None),
    ("AAA-USERNAME_CONFIGURATION", "user with username: {user} configured", None),
    ("DMI-AUTH_PASSED", "{where}: dmiauthd: User '{user}' authenticated successfully from {src}:{src_port} {tail}", Some(SUCCESS)),
    ("DMI-AUTHENTICATION_FAILED", "{where}: dmiauthd: Authentication failure from {src}:{src_port} for {service}.", Some(FAILURE)),
    ("NDBMAN-MODEL_RPC_I", "{where}: ndbmand: RPC '{rpc}' invoked from {src}:{src_port} via {via} user {user} session {session}", None),
    ("ARP-STCKYARPOVR", "Attempt to overwrite Sticky ARP entry: {src}, hw: {mac} by hw: {new_mac}", None),
];

/// Templates by `FACILITY-MNEMONIC`, each with the outcome it means.
type Compiled = HashMap<&'static str, Vec<(Template, Option<&'static str>)>>;

static COMPILED: LazyLock<Compiled> = LazyLock::new(|| {
    let mut map: Compiled = HashMap::new();
    for (key, template, outcome) in SENTENCES {
        if let Some(t) = Template::new(template) {
            map.entry(*key).or_default().push((t, *outcome));
        }
    }
    map
});

/// `%FAC-n-MNEMONIC` at the front of `s`: (facility, severity, mnemonic, text after the tag).
fn split_tag(s: &str) -> Option<(&str, u8, &str, &str)> {
    let b = s.strip_prefix('%')?;
    let end = b.find(':')?;
    let tag = &b[..end];
    let (facility, rest) = tag.split_once('-')?;
    let (severity, mnemonic) = rest.split_once('-')?;
    let upper = |x: &str| {
        !x.is_empty()
            && x.bytes()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
    };
    let text = b[end + 1..].trim_start();
    // Cisco Small Business switches (SG/CBS) write the severity as a letter and the names in
    // mixed case: `%STP-W-PORTSTATUS`, `%LINK-I-Up`, `%HAL_config_poe-A-POEFailDetected`.
    if let Some(severity) = severity_letter(severity) {
        let word =
            |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_');
        return (word(facility) && word(mnemonic)).then_some((facility, severity, mnemonic, text));
    }
    let severity: u8 = severity.parse().ok().filter(|s| *s <= 7)?;
    // ASA has its own parser (numeric mnemonics).
    if !upper(facility) || !upper(mnemonic) || mnemonic.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some((facility, severity, mnemonic, text))
}

/// A Small Business switch's severity letter: alert, critical, error, warning, notice,
/// informational, debug (emergency has no letter of its own there).
fn severity_letter(s: &str) -> Option<u8> {
    Some(match s {
        "A" => 1,
        "C" => 2,
        "E" => 3,
        "W" => 4,
        "N" => 5,
        "I" => 6,
        "D" => 7,
        _ => return None,
    })
}

/// Where the tag starts: at the front, or after an IOS prefix the header parser left.
fn tag_start(body: &str) -> Option<usize> {
    let b = body.trim_start();
    let lead = body.len() - b.len();
    if b.starts_with('%') {
        return Some(lead);
    }
    // `host: Nov 26 ...: %SEC-...` left in front by the header parser.
    let bytes = b.as_bytes();
    memchr::memchr_iter(b'%', bytes)
        .find(|&i| i >= 2 && &bytes[i - 2..i] == b": ")
        .map(|i| lead + i)
}

impl PayloadParser for CiscoIos {
    fn source_type(&self) -> SourceType {
        SourceType::CiscoIos
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, _app: Option<&str>, body: &str) -> bool {
        tag_start(body).is_some_and(|i| split_tag(&body[i..]).is_some())
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let start = tag_start(body).ok_or("no %FACILITY-n-MNEMONIC tag")?;
        let tagged = &body[start..];
        let (facility, severity, mnemonic, text) =
            split_tag(tagged).ok_or("no %FACILITY-n-MNEMONIC tag")?;
        let tag = &tagged[1..tagged.len() - text.len()];
        let tag = tag.trim_end().trim_end_matches(':');
        ev.msgid = Some(Cow::Borrowed(tag));
        // A relayed record's header parser may have taken the device's own sequence number
        // (`r1 123: Nov 28 ...: %SEC-6-...`) or the year of NX-OS's own stamp (`nexus01 2026
        // Nov 28 ...`) for the tag: the `%` tag names the program instead.
        if let Some(Cow::Borrowed(number)) = ev.app
            && number.bytes().all(|c| c.is_ascii_digit())
        {
            let year = number.len() == 4 && (number.starts_with("19") || number.starts_with("20"));
            if !year {
                ev.field("sequence", number);
            }
            ev.app = None;
        } else if let Some(Cow::Borrowed(name)) = ev.app
            && let Some(sequence) = origin_before_stamp(&body[..start], name)
        {
            // `relay r1: 123: Nov 28 ...: %SEC-...`: the relay's header parser took the device's
            // own name (IOS `logging origin-id hostname`) for the tag; the relay is the host.
            if let Some(seq) = sequence {
                // The relay may have put its own count in front (`<190>123: Jul 13 ...`).
                let key = if ev.get_field("sequence").is_some() {
                    "device_sequence"
                } else {
                    "sequence"
                };
                ev.field(key, seq);
            }
            if let Some(relay) = ev.host.take() {
                ev.field("relay_host", relay);
            }
            ev.host = Some(Cow::Borrowed(name));
            ev.app = None;
        }
        if ev.app.is_none() {
            ev.app = Some(Cow::Borrowed(&tagged[..tag.len() + 1]));
        }
        ev.severity.get_or_insert(severity);
        ev.field("facility_name", facility);
        ev.field("mnemonic", mnemonic);
        let text = text.trim_end();
        ev.message = Some(Cow::Borrowed(text));
        if mnemonic == "SYSTEM_MSG" {
            linux_daemon(text, ev);
            return Ok(());
        }
        // Small Business switches' management sessions: `User CLI session for user admin over
        // telnet , source 10.0.0.5 destination 10.0.0.1 ACCEPTED`.
        if facility == "AAA" && matches!(mnemonic, "CONNECT" | "REJECT" | "DISCONNECT") {
            management_session(text, ev);
            return Ok(());
        }
        // Access-list hits come from many facilities (`SEC`, `IPV6`, `IPV6_ACL`, IOS XE's
        // `FMANFP`) in one sentence shape; `IPACCESSLOGRL` and `IPACCESSLOGS` are not it.
        if mnemonic.contains("ACCESSLOG") && access_list_hit(text, facility.starts_with("IPV6"), ev)
        {
            return Ok(());
        }
        let key_len = facility.len() + 1 + mnemonic.len();
        let mut key_buf = [0u8; 96];
        let Some(key) = key_buf.get_mut(..key_len).and_then(|k| {
            k[..facility.len()].copy_from_slice(facility.as_bytes());
            k[facility.len()] = b'-';
            k[facility.len() + 1..].copy_from_slice(mnemonic.as_bytes());
            std::str::from_utf8(k).ok()
        }) else {
            return Ok(());
        };
        let Some(list) = COMPILED.get(key) else {
            return Ok(());
        };
        if let Some((caps, outcome)) = list
            .iter()
            .find_map(|(t, o)| t.captures(text).map(|c| (c, *o)))
        {
            apply(&caps, ev);
            if let Some(o) = outcome {
                ev.outcome = Some(o);
            }
        }
        Ok(())
    }
}

/// A Small Business switch's login or logout: user, source, destination, and the outcome its
/// last word states (`ACCEPTED`, `REJECTED`).
fn management_session<'a>(text: &'a str, ev: &mut Event<'a>) {
    let after = |label: &str| {
        text.find(label).and_then(|i| {
            text[i + label.len()..]
                .split_ascii_whitespace()
                .next()
                .map(|w| w.trim_end_matches([',', '.']))
        })
    };
    if let Some(user) = after("for user ") {
        put(ev, Col::User, "user", Cow::Borrowed(user));
    }
    if let Some(src) = after("source ") {
        put(ev, Col::SrcIp, "source", Cow::Borrowed(src));
    }
    if let Some(dst) = after("destination ") {
        put(ev, Col::DstIp, "destination", Cow::Borrowed(dst));
    }
    if let Some(via) = after(" over ") {
        ev.field("service", via);
    }
    if text.contains("REJECTED") {
        ev.outcome = Some(FAILURE);
    } else if text.contains("ACCEPTED") {
        ev.outcome = Some(SUCCESS);
    }
}

/// Whether `prefix` (the text before the `%` tag) is `name: [NNN: ][*]Mmm ...`: a device name,
/// an optional sequence number (returned) and the device's timestamp.
fn origin_before_stamp<'a>(prefix: &'a str, name: &str) -> Option<Option<&'a str>> {
    if name.starts_with('%') {
        return None;
    }
    let after = prefix.trim_start().strip_prefix(name)?.strip_prefix(':')?;
    let after = after.trim_start();
    let (sequence, stamp) = match after.split_once(": ") {
        Some((n, rest)) if !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => {
            (Some(n), rest)
        }
        _ => (None, after),
    };
    let stamp = stamp.trim_start_matches(['*', '.']);
    crate::time::month_from_abbrev(stamp.get(..3)?.as_bytes())?;
    Some(sequence)
}

/// `list 101 denied tcp 203.0.113.5(4711) -> 10.0.0.1(22), 1 packet` and its variants: no ports
/// (`igmp A -> B`), an ICMP type and code or IGMP type after the destination (`(3/4)`, `(20)`),
/// IPv6 addresses, the receiving interface and MAC after the source (`(Gi0/1 0011.2233.4455)`,
/// `TenGigabitEthernet0/1/1->`), and IOS XE's `R0/0: fman_fp_image: ` in front. False when the
/// text is not such a hit (it then stays the message).
fn access_list_hit<'a>(text: &'a str, numbered_list: bool, ev: &mut Event<'a>) -> bool {
    let Some(at) = text.find("list ") else {
        return false;
    };
    let Some((before, after)) = text[at + 5..].split_once("->") else {
        return false;
    };
    let mut left = before.split_ascii_whitespace();
    let (Some(rule), Some(verdict), Some(protocol)) = (left.next(), left.next(), left.next())
    else {
        return false;
    };
    // The source is the first word that is an address, with or without `(port)`; the words
    // after it name where the packet came in (an interface, in parentheses or glued to `->`).
    let mut source = None;
    let mut iface = None;
    for word in left {
        if source.is_none() {
            if let Some(found) = address_and_port(word) {
                source = Some(found);
            }
        } else if iface.is_none() {
            iface = Some(word.trim_start_matches('('));
        }
    }
    let Some((src, src_port)) = source else {
        return false;
    };
    let (destination, count) = match after.rsplit_once(", ") {
        Some((d, c)) => (d.trim(), Some(c)),
        None => (after.trim(), None),
    };
    let mut right = destination.split_ascii_whitespace();
    let Some((dst, dst_port)) = right.next().and_then(address_and_port) else {
        return false;
    };
    // IPv6 access lists name their entry `NAME/sequence`.
    match rule.rsplit_once('/') {
        Some((name, seq)) if numbered_list && seq.bytes().all(|c| c.is_ascii_digit()) => {
            put(ev, Col::RuleName, "rule", Cow::Borrowed(name));
            ev.field("seq", seq);
        }
        _ => put(ev, Col::RuleName, "rule", Cow::Borrowed(rule)),
    }
    put(ev, Col::Action, "verdict", Cow::Borrowed(verdict));
    put(ev, Col::Protocol, "protocol", Cow::Borrowed(protocol));
    put(ev, Col::SrcIp, "src", Cow::Borrowed(src));
    if let Some(port) = src_port {
        put(ev, Col::SrcPort, "src_port", Cow::Borrowed(port));
    }
    put(ev, Col::DstIp, "dst", Cow::Borrowed(dst));
    if let Some(port) = dst_port {
        put(ev, Col::DstPort, "dst_port", Cow::Borrowed(port));
    }
    if let Some(iface) = iface.filter(|i| !i.is_empty()) {
        put(ev, Col::InIface, "src_iface", Cow::Borrowed(iface));
    }
    if let Some(kind) = right.next() {
        ev.field("icmp", kind.trim_start_matches('(').trim_end_matches(')'));
    }
    if let Some(packets) = count.and_then(|c| c.split(' ').next()) {
        put(ev, Col::Packets, "packets", Cow::Borrowed(packets));
    }
    true
}

/// `10.0.0.1`, `10.0.0.1(22)`, `2001:db8::1(22)`, `::`: the address and the port, if any.
fn address_and_port(word: &str) -> Option<(&str, Option<&str>)> {
    let (addr, port) = match word.split_once('(') {
        Some((addr, rest)) => (addr, Some(rest.trim_end_matches(')'))),
        None => (word, None),
    };
    addr.parse::<std::net::IpAddr>().ok()?;
    Some((addr, port))
}

/// An NX-OS `SYSTEM_MSG`: a Linux daemon's line, then ` - process[pid]`.
fn linux_daemon<'a>(text: &'a str, ev: &mut Event<'a>) {
    let (line, process) = match text.rsplit_once(" - ") {
        Some((line, process)) if process.ends_with(']') || !process.contains(' ') => {
            (line, Some(process))
        }
        _ => (text, None),
    };
    if let Some(process) = process {
        ev.field("process", process);
    }
    let daemon = process.map(|p| p.split('[').next().unwrap_or(p));
    // The readers cannot fail; what they do not recognise stays the message.
    if line.trim_start().starts_with("pam_") {
        let _ = crate::linux::pam::Pam.parse(line, ev);
    } else if daemon.is_some_and(|d| d.ends_with("sshd")) {
        let _ = crate::linux::sshd::Sshd.parse(line, ev);
    }
}

fn apply<'a>(caps: &Captures<'a>, ev: &mut Event<'a>) {
    for (name, value) in caps.iter() {
        if value.is_empty() {
            continue;
        }
        let v = Cow::Borrowed(value);
        let col = match name {
            "src" => Col::SrcIp,
            "dst" => Col::DstIp,
            "src_port" => Col::SrcPort,
            "dst_port" => Col::DstPort,
            "protocol" => Col::Protocol,
            "rule" => Col::RuleName,
            "user" => Col::User,
            "src_iface" => Col::InIface,
            "packets" => Col::Packets,
            "verdict" => Col::Action,
            "result" => {
                if value.starts_with("Succeeded") {
                    ev.outcome = Some(SUCCESS);
                } else if value.starts_with("Failed") {
                    ev.outcome = Some(FAILURE);
                }
                ev.field(name, v);
                continue;
            }
            "arrow" | "tail" | "text" => continue,
            _ => {
                ev.field(name, v);
                continue;
            }
        };
        put(ev, col, name, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn small_business_switches_with_severity_letters() {
        let ev = parse(
            "<190>Nov 26 10:00:00 sg350-xa-01 %AAA-W-REJECT: New telnet connection for user admin, source 198.51.100.23 destination 10.20.0.2  REJECTED",
        );
        assert_eq!(ev.source_type, SourceType::CiscoIos);
        assert_eq!(ev.severity, Some(6), "PRI's severity stays");
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.23"));
        assert_eq!(ev.dst_ip.as_deref(), Some("10.20.0.2"));
        assert_eq!(ev.outcome, Some(FAILURE));
        let ev = parse(
            "%AAA-I-CONNECT: User CLI session for user an over ssh , source 10.20.5.14 destination  10.20.0.2 ACCEPTED",
        );
        assert_eq!(ev.severity, Some(6));
        assert_eq!(ev.user.as_deref(), Some("an"));
        assert_eq!(ev.dst_ip.as_deref(), Some("10.20.0.2"));
        assert_eq!(ev.outcome, Some(SUCCESS));
        let ev = parse("<187>%STP-W-PORTSTATUS: gi1/0/3: STP status Forwarding");
        assert_eq!(ev.source_type, SourceType::CiscoIos);
        assert_eq!(ev.get_field("mnemonic"), Some("PORTSTATUS"));
        let ev = parse(
            "<185>%HAL_config_poe-A-POEFailDetected: POE ERROR was detected: POE is Disabled untill Reset",
        );
        assert_eq!(ev.source_type, SourceType::CiscoIos);
        assert_eq!(ev.get_field("facility_name"), Some("HAL_config_poe"));
    }

    #[test]
    fn device_name_and_stamp_behind_a_relay_or_a_second_sequence_number() {
        // A relay's header, then the device's name, sequence number and stamp.
        let ev = parse(
            "<190>Nov 26 08:23:43 192.168.100.2 sw-core-01: 3132779: Nov 26 2026 08:23:43.398 ICT: %SYS-5-CONFIG_I: Configured from console by an on vty0 (10.0.0.5)",
        );
        assert_eq!(ev.host.as_deref(), Some("sw-core-01"));
        assert_eq!(ev.get_field("relay_host"), Some("192.168.100.2"));
        assert_eq!(ev.get_field("sequence"), Some("3132779"));
        assert_eq!(ev.app.as_deref(), Some("%SYS-5-CONFIG_I"));
        assert_eq!(ev.user.as_deref(), Some("an"));
        // Two sequence numbers around the origin name, or a name without `:`: the device's
        // own stamp dates the event.
        for line in [
            "<190>3132811: sw-core-01: 3132807: Nov 26 2026 08:23:43.398 UTC: %FOO-6-BAR: text",
            "<190>3132517: sw-core-01 3132513: Nov 26 2026 08:23:43.398 UTC: %FOO-6-BAR: text",
            "<190>3132517: sw-core-01 Nov 26 2026 08:23:43.398 UTC: %FOO-6-BAR: text",
        ] {
            let ev = parse(line);
            assert_eq!(ev.host.as_deref(), Some("sw-core-01"), "{line}");
            assert_eq!(ev.get_field("ts_source"), None, "{line}");
            assert_eq!(ev.message.as_deref(), Some("text"), "{line}");
        }
        let ev = parse("<190>3132517: 3132513: Nov 26 2026 08:23:43.398 UTC: %FOO-6-BAR: text");
        assert_eq!(ev.host, None);
        assert_eq!(ev.get_field("ts_source"), None);
    }

    #[test]
    fn access_list_hits_of_every_facility_and_shape() {
        // (line, src, src port, dst, dst port, protocol, rule, interface, packets)
        let cases = [
            (
                "<189>123: Nov 28 10:00:00.123: %SEC-6-IPACCESSLOGRP: list 177 denied igmp 10.20.5.197 -> 224.0.0.22, 1 packet",
                "10.20.5.197",
                None,
                "224.0.0.22",
                None,
                "igmp",
                "177",
                None,
                1,
            ),
            (
                "<189>123: Nov 28 10:00:00.123: %SEC-6-IPACCESSLOGSP: list IN-F11 denied igmp 10.20.5.2 -> 224.0.0.2 (20), 1 packet",
                "10.20.5.2",
                None,
                "224.0.0.2",
                None,
                "igmp",
                "IN-F11",
                None,
                1,
            ),
            (
                "<189>123: Nov 28 10:00:00.123: %SEC-6-IPACCESSLOGDP: list 151 denied icmp 10.20.5.1 -> 10.20.5.2 (3/4), 32 packets",
                "10.20.5.1",
                None,
                "10.20.5.2",
                None,
                "icmp",
                "151",
                None,
                32,
            ),
            (
                "<189>123: Nov 28 10:00:00.123: %SEC-6-IPACCESSLOGP: list 101 denied tcp 203.0.113.9(4444) (GigabitEthernet0/1 0011.2233.4455) -> 10.1.1.5(22), 1 packet",
                "203.0.113.9",
                Some(4444),
                "10.1.1.5",
                Some(22),
                "tcp",
                "101",
                Some("GigabitEthernet0/1"),
                1,
            ),
            (
                "<189>123: Nov 28 10:00:00.123: %IPV6-6-ACCESSLOGP: list EDGE-IN/10 permitted tcp 2001:db8::5(1027) -> 2001:db8::1(22), 9 packets",
                "2001:db8::5",
                Some(1027),
                "2001:db8::1",
                Some(22),
                "tcp",
                "EDGE-IN",
                None,
                9,
            ),
            (
                "<189>123: Nov 28 10:00:00.123: %FMANFP-6-IPACCESSLOGP:  SIP0: fman_fp_image:  list ACL denied udp 10.10.10.10(52361) -> 10.100.8.34(10001), 1 packet",
                "10.10.10.10",
                Some(52361),
                "10.100.8.34",
                Some(10001),
                "udp",
                "ACL",
                None,
                1,
            ),
            (
                "<174>151: Nov 28 10:00:00.802 ICT: %FMANFP-6-IPACCESSLOGP: F0/0: fman_fp_image: list acl_in denied tcp 00-00-5E-00-53-23 198.51.100.10(56279) TenGigabitEthernet0/1/1-> 203.0.113.20(45240), 1 packet",
                "198.51.100.10",
                Some(56279),
                "203.0.113.20",
                Some(45240),
                "tcp",
                "acl_in",
                Some("TenGigabitEthernet0/1/1"),
                1,
            ),
        ];
        for (line, src, sport, dst, dport, proto, rule, iface, packets) in cases {
            let ev = parse(line);
            assert_eq!(ev.source_type, SourceType::CiscoIos, "{line}");
            assert_eq!(
                (ev.src_ip.as_deref(), ev.src_port),
                (Some(src), sport),
                "{line}"
            );
            assert_eq!(
                (ev.dst_ip.as_deref(), ev.dst_port),
                (Some(dst), dport),
                "{line}"
            );
            assert_eq!(ev.protocol.as_deref(), Some(proto), "{line}");
            assert_eq!(ev.rule_name.as_deref(), Some(rule), "{line}");
            assert_eq!(ev.in_iface.as_deref(), iface, "{line}");
            assert_eq!(ev.packets, Some(packets), "{line}");
            let verdict = if line.contains("permitted") {
                "allow"
            } else {
                "deny"
            };
            assert_eq!(ev.action.as_deref(), Some(verdict), "{line}");
        }
        // The rate-limit notice names no connection.
        let ev = parse(
            "<189>123: Nov 28 10:00:00.123: %SEC-6-IPACCESSLOGRL: access-list logging rate-limited or missed 18 packets",
        );
        assert_eq!(ev.src_ip, None);
    }

    #[test]
    fn every_sentence_compiles() {
        assert_eq!(
            COMPILED.values().map(Vec::len).sum::<usize>(),
            SENTENCES.len()
        );
    }

    #[test]
    fn nxos_relays_its_linux_daemons() {
        let ev = parse(
            "<14>Nov 28 10:00:00 sw-core-01 : 2026 Nov 28 10:00:00 ICT: %AUTHPRIV-3-SYSTEM_MSG: pam_unix(dcos_sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.9  user=admin - dcos_sshd[1234]",
        );
        assert_eq!(ev.source_type, SourceType::CiscoIos);
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.outcome, Some(FAILURE));
        assert_eq!(ev.get_field("process"), Some("dcos_sshd[1234]"));
        let ev = parse(
            "<14>Nov 28 10:00:00 sw-core-01 : 2026 Nov 28 10:00:00 ICT: %DAEMON-3-SYSTEM_MSG: Invalid user oracle from 203.0.113.9 port 4444 - dcos_sshd[1235]",
        );
        assert_eq!(ev.user.as_deref(), Some("oracle"));
        assert_eq!(ev.src_port, Some(4444));
        assert_eq!(ev.outcome, Some(FAILURE));
    }

    #[test]
    fn access_list_hit() {
        let ev = parse(
            "<190>123: router1: *Nov 26 10:00:00.123 ICT: %SEC-6-IPACCESSLOGP: list OUTSIDE denied tcp 203.0.113.5(4711) -> 10.0.0.1(22), 3 packets",
        );
        assert_eq!(ev.source_type, SourceType::CiscoIos);
        assert_eq!(ev.msgid.as_deref(), Some("SEC-6-IPACCESSLOGP"));
        assert_eq!(ev.rule_name.as_deref(), Some("OUTSIDE"));
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.src_port, Some(4711));
        assert_eq!(ev.dst_ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(ev.packets, Some(3));
    }

    #[test]
    fn login_failure_and_config_change() {
        let ev = parse(
            "%SEC_LOGIN-4-LOGIN_FAILED: Login failed [user: admin] [Source: 198.51.100.7] [localport: 22] [Reason: Login Authentication Failed] at 10:00:00 ICT Thu Nov 26 2026",
        );
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.outcome, Some("failure"));
        assert_eq!(ev.dst_port, Some(22));
        let ev = parse("%SYS-5-CONFIG_I: Configured from console by admin on vty0 (10.0.0.9)");
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.0.9"));
        let ev = parse(
            "Oct 19 18:29:00.044: %DMI-5-AUTHENTICATION_FAILED: Switch 1 R0/0: dmiauthd: Authentication failure from 203.0.113.9:51679 for netconf over ssh.",
        );
        assert_eq!(ev.outcome, Some(FAILURE));
        assert_eq!(
            (ev.src_ip.as_deref(), ev.src_port),
            (Some("203.0.113.9"), Some(51679))
        );
        assert_eq!(ev.get_field("service"), Some("netconf over ssh"));
    }

    #[test]
    fn relayed_with_the_devices_own_number_or_stamp_after_the_host() {
        let ev = parse(
            "<189>Nov 28 10:00:00 r1 123: Nov 28 10:00:00.123 ICT: %SEC-6-IPACCESSLOGP: list 101 denied tcp 203.0.113.9(4444) -> 10.1.1.5(22), 1 packet",
        );
        assert_eq!(ev.app.as_deref(), Some("%SEC-6-IPACCESSLOGP"));
        assert_eq!(ev.get_field("sequence"), Some("123"));
        let ev = parse(
            "<189>Nov 28 10:00:00 nexus01 2026 Nov 28 10:00:00 ICT: %VSHD-5-VSHD_SYSLOG_CONFIG_I: Configured from vty by admin on 10.1.1.5@pts/0",
        );
        assert_eq!(ev.host.as_deref(), Some("nexus01"));
        assert_eq!(ev.app.as_deref(), Some("%VSHD-5-VSHD_SYSLOG_CONFIG_I"));
        assert_eq!(
            ev.get_field("sequence"),
            None,
            "a year is no sequence number"
        );
        assert_eq!(ev.user.as_deref(), Some("admin"));
        assert_eq!(ev.src_ip.as_deref(), Some("10.1.1.5"));
    }
}
