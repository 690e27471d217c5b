//! Payload parsers: what comes after the syslog header.
//!
//! Each format implements [`PayloadParser`] in a module of its own and is registered once in
//! [`REGISTRY`]; nothing else changes when a format is added. The registry is asked in order, and
//! the first parser that [claims](PayloadParser::claims) a record parses it, so more specific
//! parsers come first.
//!
//! # Adding a format
//! 1. Write `src/<family>/<format>.rs` with a unit struct implementing [`PayloadParser`].
//! 2. Add it to [`REGISTRY`] (and a [`SourceType`] variant if it is a new source type).
//! 3. Add fixtures and expected rows under `parsers/tests/fixtures/<format>/` (see `tests/fixtures.rs`).

use std::borrow::Cow;
use std::net::IpAddr;

use crate::event::{Event, SourceType, Text};
use crate::pattern::Captures;

/// One payload format.
pub trait PayloadParser: Sync {
    /// The source type rows parsed by this parser get.
    fn source_type(&self) -> SourceType;

    /// Whether [`claims`](Self::claims) and [`parse`](Self::parse) get the *body* rather than the
    /// message: after a BSD header, the text from the tag on. Self-describing formats (`CEF:0|`,
    /// `%ASA-6-302013:`) want it, because a header parser reads their first word as a tag.
    fn reads_body(&self) -> bool {
        false
    }

    /// Whether this parser is responsible for the record. Cheap: looks at the tag and at most a
    /// prefix of the message. `app` is the syslog tag with any `(module)` suffix and path removed,
    /// or `None` when the record had no header.
    fn claims(&self, app: Option<&str>, message: &str) -> bool;

    /// Fills the event's payload columns from `message` (or the body, see
    /// [`reads_body`](Self::reads_body)). An `Err` says what was not understood; the record is
    /// then kept as `partial` with whatever was filled.
    fn parse<'a>(&self, message: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str>;
}

/// Vendors' private SD-IDs in RFC 5424 structured data, and the parser of their records: the
/// SD-ID names the device whatever its APP-NAME (a Junos `sshd` or `snmpd` is not Linux's).
/// A table rather than a trait method: every RFC 5424 record with structured data asks.
pub static STRUCTURED_DATA_OWNERS: &[(&str, &dyn PayloadParser)] = &[
    ("junos@", &crate::firewall::juniper::JuniperSrx),
    (
        crate::firewall::checkpoint::SD_IDS[0],
        &crate::firewall::checkpoint::CheckPoint,
    ),
    (
        crate::firewall::checkpoint::SD_IDS[1],
        &crate::firewall::checkpoint::CheckPoint,
    ),
];

/// Every payload parser, most specific first.
pub static REGISTRY: &[&dyn PayloadParser] = &[
    &crate::linux::auditd::Auditd,
    // Linux parsers claim by program name, which is cheap; firewall parsers look into the text.
    &crate::linux::pam::Pam,
    &crate::linux::sshd::Sshd,
    &crate::linux::sudo::Sudo,
    &crate::linux::su::Su,
    &crate::linux::accounts::Accounts,
    &crate::linux::cron::Cron,
    &crate::linux::logind::LOGIND,
    &crate::linux::bans::BANS,
    &crate::linux::openvpn::OPENVPN,
    // First of the firewalls: its claim rejects anything that does not start with one of its
    // keys in a few instructions, and FortiGate is most of a data centre's volume, which would
    // otherwise pay every other vendor's search of the whole record.
    &crate::firewall::fortigate::FortiGate,
    // Cheap for the same reason: a `%ASA-`/`%FTD-` tag at the front or nothing.
    &crate::firewall::cisco_asa::CiscoAsa,
    // Cheap and unambiguous: `IN=` as the first key, `OUT=` the next.
    &crate::firewall::netfilter::NetfilterInKernelShape,
    &crate::firewall::cef::Cef,
    &crate::firewall::cef::Leef,
    &crate::firewall::cisco_ios::CiscoIos,
    &crate::firewall::huawei::HuaweiUsg,
    &crate::firewall::juniper::JuniperSrx,
    &crate::firewall::filterlog::Filterlog,
    &crate::firewall::panos::PanOs,
    &crate::firewall::panos_json::PanOsJson,
    // Before the kernel parser: LOG lines are kernel messages too.
    &crate::firewall::netfilter::Netfilter,
    &crate::firewall::sophos::Sophos,
    &crate::firewall::stormshield::Stormshield,
    &crate::firewall::sonicwall::SonicWall,
    &crate::firewall::checkpoint::CheckPoint,
    &crate::firewall::mikrotik::MikroTik,
    &crate::firewall::watchguard::WatchGuard,
    &crate::firewall::pfsense::PfSense,
    // Claimed by program name (or a first byte) as cheaply as the Linux parsers above, but after
    // the firewalls: a sensor, a web server, balancer, DNS server, proxy, mail or FTP server writes
    // a fraction of what the firewalls do, which would pay these claims first. EVE before the
    // alert lines: Suricata writes both.
    &crate::firewall::ids::SuricataEve,
    &crate::firewall::ids::IdsAlert,
    &crate::firewall::zeek::Zeek,
    &crate::linux::web::WebServer,
    &crate::linux::haproxy::HaProxy,
    &crate::linux::dns::Dns,
    &crate::linux::proxy::Proxy,
    &crate::linux::mail::Mail,
    &crate::linux::ftp::Ftp,
    &crate::linux::kernel::Kernel,
];

/// The registry's parsers of one source type, in registry order (none for plain syslog): a
/// source configured with a type asks only these.
pub fn parsers_of(source_type: SourceType) -> &'static [&'static dyn PayloadParser] {
    static BY_TYPE: std::sync::LazyLock<Vec<Vec<&'static dyn PayloadParser>>> =
        std::sync::LazyLock::new(|| {
            SourceType::ALL
                .iter()
                .map(|&t| {
                    REGISTRY
                        .iter()
                        .copied()
                        .filter(|p| p.source_type() == t)
                        .collect()
                })
                .collect()
        });
    BY_TYPE
        .get(source_type.index())
        .map_or(&[][..], Vec::as_slice)
}

/// The base name of a syslog tag: `sshd(pam_unix)` -> `sshd`, `/usr/sbin/cron` -> `cron`.
pub fn base_app(app: &str) -> &str {
    // Tags are short and this runs for every record: plain byte scans.
    let b = app.as_bytes();
    let app = match b.iter().rposition(|&c| c == b'/') {
        Some(i) => &app[i + 1..],
        None => app,
    };
    match app.bytes().position(|c| c == b'(') {
        Some(i) if i > 0 => &app[..i],
        _ => app,
    }
}

/// Canonical text of an address, borrowed when already canonical; `None` when not an address.
pub fn canonical_ip(s: &str) -> Option<Text<'_>> {
    if is_canonical_ipv4(s.as_bytes()) {
        return Some(Cow::Borrowed(s));
    }
    let trimmed = s.trim_matches(|c| c == '[' || c == ']');
    // The standard parser refuses leading zeros, so a parsed IPv4 address is already canonical.
    if trimmed.parse::<std::net::Ipv4Addr>().is_ok() {
        return Some(Cow::Borrowed(trimmed));
    }
    let ip: IpAddr = trimmed.parse().ok()?;
    let IpAddr::V6(v6) = ip else {
        return Some(Cow::Owned(ip.to_string()));
    };
    // An IPv4 client of a server listening on IPv6 (`::ffff:203.0.113.5`, vsftpd's and
    // Dovecot's default on Debian) is the same host the firewall names `203.0.113.5`.
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(match trimmed.rsplit_once(':') {
            Some((_, quad)) if is_canonical_ipv4(quad.as_bytes()) => Cow::Borrowed(quad),
            _ => Cow::Owned(v4.to_string()),
        });
    }
    let mut buf = [0u8; 48];
    let n = write_ipv6(v6, &mut buf);
    let canonical = std::str::from_utf8(&buf[..n]).ok()?;
    Some(if canonical == trimmed {
        Cow::Borrowed(trimmed)
    } else {
        Cow::Owned(canonical.to_owned())
    })
}

/// Writes an IPv6 address in its RFC 5952 text form (as `Display` does: lower-case hex without
/// leading zeros, the first longest run of two or more zero groups as `::`, IPv4-mapped addresses
/// as `::ffff:a.b.c.d`) and returns its length. Hand-written because going through the formatter
/// cost more than all the rest of an sshd record's parse.
fn write_ipv6(ip: std::net::Ipv6Addr, buf: &mut [u8; 48]) -> usize {
    fn put(buf: &mut [u8; 48], n: &mut usize, bytes: &[u8]) {
        buf[*n..*n + bytes.len()].copy_from_slice(bytes);
        *n += bytes.len();
    }
    fn put_decimal(buf: &mut [u8; 48], n: &mut usize, v: u8) {
        if v >= 100 {
            put(buf, n, &[b'0' + v / 100]);
        }
        if v >= 10 {
            put(buf, n, &[b'0' + v / 10 % 10]);
        }
        put(buf, n, &[b'0' + v % 10]);
    }
    fn put_hex(buf: &mut [u8; 48], n: &mut usize, group: u16) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut started = false;
        for shift in [12u16, 8, 4, 0] {
            let digit = usize::from((group >> shift) & 0xf);
            if digit != 0 || started || shift == 0 {
                started = true;
                put(buf, n, &[HEX[digit]]);
            }
        }
    }
    let mut n = 0;
    if let Some(v4) = ip.to_ipv4_mapped() {
        put(buf, &mut n, b"::ffff:");
        for (i, octet) in v4.octets().into_iter().enumerate() {
            if i > 0 {
                put(buf, &mut n, b".");
            }
            put_decimal(buf, &mut n, octet);
        }
        return n;
    }
    let groups = ip.segments();
    // The first longest run of at least two zero groups.
    let (mut run_start, mut run_len) = (0, 0);
    let mut i = 0;
    while i < 8 {
        let len = groups[i..].iter().take_while(|&&g| g == 0).count();
        if len > run_len {
            (run_start, run_len) = (i, len);
        }
        i += len.max(1);
    }
    if run_len < 2 {
        run_len = 0;
        run_start = 8;
    }
    for (i, &group) in groups.iter().enumerate() {
        if i == run_start {
            put(buf, &mut n, b"::");
        }
        if (run_start..run_start + run_len).contains(&i) {
            continue;
        }
        if i > 0 && i != run_start + run_len {
            put(buf, &mut n, b":");
        }
        put_hex(buf, &mut n, group);
    }
    n
}

/// Dotted-quad IPv4 in canonical form (no leading zeros, each part at most 255): the common case,
/// checked without the general parser.
pub(crate) fn is_canonical_ipv4(b: &[u8]) -> bool {
    if !(7..=15).contains(&b.len()) {
        return false;
    }
    let mut at = 0;
    for part in 0..4 {
        if part > 0 {
            if b.get(at) != Some(&b'.') {
                return false;
            }
            at += 1;
        }
        match octet(b, at) {
            Some(next) => at = next,
            None => return false,
        }
    }
    at == b.len()
}

/// Where the canonical decimal octet (0-255, no leading zero) at `at` ends; digit by digit,
/// unrolled, since every address in every record passes here.
fn octet(b: &[u8], at: usize) -> Option<usize> {
    let digit = |i: usize| {
        b.get(i)
            .map(|c| u32::from(c.wrapping_sub(b'0')))
            .filter(|&d| d < 10)
    };
    let first = digit(at)?;
    let Some(second) = digit(at + 1) else {
        return Some(at + 1);
    };
    if first == 0 {
        return None;
    }
    let Some(third) = digit(at + 2) else {
        return Some(at + 2);
    };
    (first * 100 + second * 10 + third <= 255 && digit(at + 3).is_none()).then_some(at + 3)
}

/// `str::trim` with a fast path for the usual value: ASCII spaces around printable ASCII are
/// stripped by bytes (vendor values and log prefixes pass through here one by one); anything else
/// at the ends (Unicode spaces, control characters) is left to the standard trim.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    if b.first().is_some_and(u8::is_ascii_graphic) && b.last().is_some_and(u8::is_ascii_graphic) {
        return s;
    }
    trim_ends(s)
}

/// [`trim`] of a value with something at its ends.
fn trim_ends(s: &str) -> &str {
    let b = s.as_bytes();
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    // Both cuts are next to ASCII bytes, so on character boundaries.
    let t = &s[start..end];
    match (t.as_bytes().first(), t.as_bytes().last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => t,
        (None, _) => t,
        _ => t.trim(),
    }
}

/// `str::trim_start` with a fast answer for the usual text that starts with printable ASCII:
/// every claim that looks at a message's first word asks this of every record it sees.
#[inline]
pub(crate) fn trim_start(s: &str) -> &str {
    if s.as_bytes().first().is_some_and(u8::is_ascii_graphic) {
        s
    } else {
        s.trim_start()
    }
}

/// Where the `@` of a user principal name (`name@corp.example`) is: one `@`, a name before it
/// and a dotted domain after it, no blanks.
#[inline]
pub(crate) fn principal(v: &str) -> Option<usize> {
    // Names are short: a plain scan beats a searcher's setup, and most have no `@` at all.
    let at = v.bytes().position(|c| c == b'@')?;
    let (name, domain) = (&v[..at], &v[at + 1..]);
    let valid = !name.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !v.contains(' ');
    valid.then_some(at)
}

/// Sets `user` from a login name as a Linux service logged it: `jdoe@corp.example` (SSSD,
/// winbind) is the account `jdoe` of domain `corp.example`, the whole name kept in `fields`, as
/// the firewall readings store the same person.
#[inline]
pub(crate) fn set_user<'a>(ev: &mut Event<'a>, name: &'a str) {
    match principal(name) {
        Some(at) => set_principal(ev, name, at),
        None => ev.user = Some(Cow::Borrowed(name)),
    }
}

/// The rare case of [`set_user`], kept out of the hot path of every login line.
#[cold]
#[inline(never)]
fn set_principal<'a>(ev: &mut Event<'a>, name: &'a str, at: usize) {
    ev.user = Some(Cow::Borrowed(&name[..at]));
    ev.field("user_domain", &name[at + 1..]);
    ev.field("user_principal", name);
}

/// An address a record names its source or destination by: the address column, or
/// `src_host`/`dst_host` when it is a name.
pub(crate) fn put_address<'a>(ev: &mut Event<'a>, value: &'a str, source: bool) {
    match (canonical_ip(value), source) {
        (Some(ip), true) => ev.src_ip = Some(ip),
        (Some(ip), false) => ev.dst_ip = Some(ip),
        (None, true) => ev.field("src_host", value),
        (None, false) => ev.field("dst_host", value),
    }
}

/// Applies template captures to an event: well-known names go to their columns (`user`, `src`,
/// `src_port`, `dst`, `dst_port`), every other name to `fields`. `src`/`dst` that are not addresses
/// become `src_host`/`dst_host`.
pub fn apply<'a>(caps: &Captures<'a>, ev: &mut Event<'a>) {
    for (name, value) in caps.iter() {
        if value.is_empty() {
            continue;
        }
        match name {
            "user" => set_user(ev, value),
            "src" | "dst" => put_address(ev, value, name == "src"),
            "src_port" => ev.src_port = value.parse().ok(),
            "dst_port" => ev.dst_port = value.parse().ok(),
            _ => ev.field(name, value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_canonical_forms() {
        assert_eq!(canonical_ip("10.0.0.1").as_deref(), Some("10.0.0.1"));
        assert_eq!(
            canonical_ip("2001:DB8::0:1").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(canonical_ip("[::1]").as_deref(), Some("::1"));
        assert_eq!(canonical_ip("host.example"), None);
        for (text, canonical) in [
            ("0.0.0.0", true),
            ("255.255.255.255", true),
            ("256.1.1.1", false),
            ("01.2.3.4", false),
            ("1.2.3", false),
            ("1.2.3.4.", false),
            ("1..3.4", false),
            ("1.2.3.4.5", false),
        ] {
            assert_eq!(is_canonical_ipv4(text.as_bytes()), canonical, "{text}");
        }
        // Against the standard parser: canonical exactly when it parses and prints back the same.
        let parts = [
            "0", "00", "1", "01", "9", "10", "99", "100", "199", "255", "256", "999", "1000", "",
            "a",
        ];
        for a in parts {
            for b in parts {
                for c in ["0", "01", "255", "256", ""] {
                    for d in ["1", "001", "25", "255", "2555", "", "1."] {
                        let text = format!("{a}.{b}.{c}.{d}");
                        let std = text
                            .parse::<std::net::Ipv4Addr>()
                            .is_ok_and(|ip| ip.to_string() == text);
                        assert_eq!(is_canonical_ipv4(text.as_bytes()), std, "{text}");
                    }
                }
            }
        }
    }

    #[test]
    fn ipv6_text_agrees_with_display() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut cases: Vec<std::net::Ipv6Addr> = [
            "::",
            "::1",
            "1::",
            "2001:db8::1",
            "2001:db8:0:0:1:0:0:1",
            "0:0:1:0:0:0:1:0",
            "::ffff:192.0.2.1",
            "::192.0.2.1",
            "fe80::1:0:0:0",
            "1:2:3:4:5:6:7:8",
            "1:0:3:4:5:6:7:8",
        ]
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
        for _ in 0..5000 {
            // Random groups, many of them zero, so runs of every length and place occur.
            let groups: [u16; 8] = std::array::from_fn(|_| {
                let r = next();
                if r % 3 == 0 { (r >> 8) as u16 } else { 0 }
            });
            cases.push(groups.into());
        }
        for ip in cases {
            let mut buf = [0u8; 48];
            let n = write_ipv6(ip, &mut buf);
            assert_eq!(
                std::str::from_utf8(&buf[..n]).ok(),
                Some(ip.to_string().as_str())
            );
        }
    }

    #[test]
    fn trim_agrees_with_the_standard_trim() {
        let cases = [
            "",
            " ",
            "  \t ",
            "eth0",
            " eth0",
            "eth0 ",
            " [UFW BLOCK] ",
            "\x0beth0\x0b",
            " \x0b eth0",
            "\u{a0}eth0\u{3000}",
            " \u{a0} x \u{2003} ",
            "\r\nx y\t",
            "é",
            " é ",
            "\u{85}",
            "x\u{1}",
        ];
        for case in cases {
            assert_eq!(trim(case), case.trim(), "{case:?}");
        }
    }

    #[test]
    fn parsers_by_source_type_cover_the_registry() {
        assert!(parsers_of(SourceType::Syslog).is_empty());
        assert_eq!(parsers_of(SourceType::Netfilter).len(), 2);
        let total: usize = SourceType::ALL.iter().map(|&t| parsers_of(t).len()).sum();
        assert_eq!(total, REGISTRY.len());
        for &t in &SourceType::ALL {
            assert!(parsers_of(t).iter().all(|p| p.source_type() == t), "{t:?}");
        }
    }

    #[test]
    fn app_base_names() {
        assert_eq!(base_app("sshd(pam_unix)"), "sshd");
        assert_eq!(base_app("/usr/sbin/cron"), "cron");
        assert_eq!(base_app("(weird)"), "(weird)");
    }
}
