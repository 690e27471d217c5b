//! Firewall and network-device payloads: one module per vendor format.
//!
//! Every vendor names the same things differently (`srcip`, `src`, `SRC=`, `source-address`,
//! positional CSV columns). Each module maps its names onto the schema's network columns through
//! [`put`] with a [`Col`], so normalisation (canonical addresses, lower-case protocol names, the
//! action vocabulary, byte and packet counts) is written once here. Vendor keys without a column
//! go to `fields` unchanged, and the vendor's own action word is kept in `fields` too.
//!
//! Detection: a parser claims a record by what the payload itself says (`CEF:`, `%ASA-`, `devid=`
//! with `logid=`, a PAN-OS CSV log type in the fourth column, ...), with or without a syslog header
//! in front; the `body` it sees starts where the header ended, so a tag the header parser read from
//! the payload (`CEF:0|...`, `%ASA-6-302013:`) is still there.

pub mod cef;
pub mod checkpoint;
pub mod cisco_asa;
pub mod cisco_ios;
pub mod filterlog;
pub mod fortigate;
pub mod huawei;
pub mod ids;
pub mod juniper;
pub mod kv;
pub mod mikrotik;
pub mod netfilter;
pub mod panos;
pub mod panos_json;
pub mod pfsense;
pub mod sonicwall;
pub mod sophos;
pub mod stormshield;
pub mod watchguard;
pub mod zeek;

use std::borrow::Cow;

use crate::event::{Event, FAILURE, SUCCESS, Text};
use crate::pattern::Template;
use crate::payload::canonical_ip;

/// A schema column a vendor value can land in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    /// `src_ip` (a non-address goes to `fields.src_host`).
    SrcIp,
    /// `dst_ip` (a non-address goes to `fields.dst_host`).
    DstIp,
    /// `nat_src_ip`.
    NatSrcIp,
    /// `nat_dst_ip`.
    NatDstIp,
    /// `src_port`.
    SrcPort,
    /// `dst_port`.
    DstPort,
    /// `fields.nat_src_port` (the schema has no NAT port columns).
    NatSrcPort,
    /// `fields.nat_dst_port`.
    NatDstPort,
    /// `protocol`: names lower-cased, IANA numbers named.
    Protocol,
    /// `action`, normalised; the vendor's word is also kept under its own key in `fields`.
    Action,
    /// `rule_name`.
    RuleName,
    /// `in_iface`.
    InIface,
    /// `out_iface`.
    OutIface,
    /// `bytes_in`: bytes the source received.
    BytesIn,
    /// `bytes_out`: bytes the source sent.
    BytesOut,
    /// `packets`, added up when a vendor counts each direction.
    Packets,
    /// `user`.
    User,
    /// `message`.
    Message,
    /// `host` when the header had none.
    Host,
    /// `outcome` from a vendor success/failure word.
    Outcome,
}

/// Values vendors write for "nothing here".
fn is_empty_value(v: &str) -> bool {
    // By length first: this runs for every vendor value.
    match v.len() {
        0 => true,
        1 => v == "-",
        3 => v == "N/A" || v == "n/a",
        4 => v == "none" || v == "None",
        6 => v == "(null)",
        7 => v == "unknown",
        _ => false,
    }
}

/// Stores `value` (found under the vendor's `key`) in column `col`. A value that does not fit the
/// column (a port that is not a number, a "source address" that is a host name) is kept in
/// `fields` under the vendor's key, so nothing is lost.
pub fn put<'a>(ev: &mut Event<'a>, col: Col, key: impl Into<Text<'a>>, value: Text<'a>) {
    let key: Text<'a> = key.into();
    let raw = value.as_ref();
    let v = if raw.starts_with(' ') || raw.ends_with(' ') {
        raw.trim()
    } else {
        raw
    };
    if is_empty_value(v) && col != Col::Action {
        return;
    }
    let fits = match col {
        Col::SrcIp | Col::DstIp | Col::NatSrcIp | Col::NatDstIp => match ip_text(&value) {
            // Vendors write the unspecified address for "no translation": not a NAT address
            // (kept under the vendor's key).
            Some(ip)
                if matches!(col, Col::NatSrcIp | Col::NatDstIp)
                    && (ip == "0.0.0.0" || ip == "::") =>
            {
                false
            }
            Some(ip) => {
                let slot = match col {
                    Col::SrcIp => &mut ev.src_ip,
                    Col::DstIp => &mut ev.dst_ip,
                    Col::NatSrcIp => &mut ev.nat_src_ip,
                    _ => &mut ev.nat_dst_ip,
                };
                // A second, different address under another key stays in `fields`.
                match slot {
                    None => {
                        *slot = Some(ip);
                        true
                    }
                    Some(have) => *have == ip,
                }
            }
            None => {
                match col {
                    Col::SrcIp => ev.field("src_host", value),
                    Col::DstIp => ev.field("dst_host", value),
                    _ => ev.field(key, value),
                }
                return;
            }
        },
        Col::SrcPort | Col::DstPort => match v.parse::<u16>() {
            Ok(p) => {
                let slot = if col == Col::SrcPort {
                    &mut ev.src_port
                } else {
                    &mut ev.dst_port
                };
                *slot.get_or_insert(p) == p
            }
            Err(_) => false,
        },
        Col::NatSrcPort | Col::NatDstPort => {
            let name = if col == Col::NatSrcPort {
                "nat_src_port"
            } else {
                "nat_dst_port"
            };
            if v.parse::<u16>().is_ok_and(|p| p != 0) && ev.get_field(name).is_none() {
                ev.field(name, trimmed(value));
            }
            return;
        }
        Col::Protocol => {
            // `tcp/https` (SonicWall): transport, then service.
            let (transport, service) = v.split_once('/').unwrap_or((v, ""));
            let name = protocol_name(transport);
            let fits = match &ev.protocol {
                None => {
                    ev.protocol = Some(name);
                    true
                }
                Some(have) => *have == name,
            };
            if !service.is_empty() && ev.get_field("service").is_none() {
                ev.field("service", service.to_owned());
            }
            fits
        }
        Col::Action => {
            if let Some(a) = normalize_action(v) {
                ev.action.get_or_insert(Cow::Borrowed(a));
            }
            // The vendor's own word stays findable.
            ev.field(key, value);
            return;
        }
        Col::User => {
            // `*****`: the ASA hides the name a failed login typed (it may be a password).
            // An address (FortiGate's IPsec `user` is the peer's) is not an account either.
            let address_like =
                v.as_bytes().first().is_some_and(u8::is_ascii_digit) || v.contains(':');
            if v.bytes().all(|c| c == b'*')
                || (address_like && v.parse::<std::net::IpAddr>().is_ok())
            {
                ev.field(key, value);
                return;
            }
            if ev.user.is_none() {
                let value = trimmed(value);
                // `DOMAIN\user` (Windows, PAN-OS, FortiGate): account and domain apart, as ECS
                // keeps `user.name` and `user.domain`.
                // `\user` (PAN-OS without a domain): the account alone.
                let bare = |v: &str| v.len() > 1 && v.starts_with('\\') && !v[1..].contains('\\');
                let value = match value {
                    Cow::Borrowed(v) if bare(v) => Cow::Borrowed(&v[1..]),
                    Cow::Owned(v) if bare(&v) => Cow::Owned(v[1..].to_owned()),
                    other => other,
                };
                // (A relay that escaped the backslash once more leaves two.)
                match value
                    .split_once('\\')
                    .map(|(domain, name)| (domain, name.trim_start_matches('\\')))
                {
                    Some((domain, name))
                        if !domain.is_empty() && !name.is_empty() && !domain.contains(' ') =>
                    {
                        let (domain, full) = (domain.to_owned(), name.to_owned());
                        ev.field("user_domain", domain);
                        // `EXAMPLE\\john@example.org`: the account is the UPN's name.
                        let name = match crate::payload::principal(&full) {
                            Some(at) => {
                                let name = full[..at].to_owned();
                                ev.field("user_principal", full);
                                name
                            }
                            None => full,
                        };
                        ev.user = Some(Cow::Owned(name));
                    }
                    // `name@corp.example` (a UPN, as VPN portals and Azure AD write it) is split
                    // the same way, so one person's VPN, firewall and directory logins count as
                    // one user; the whole name stays in `fields.user_principal`.
                    _ => match crate::payload::principal(&value) {
                        Some(at) => {
                            let (name, domain) = match &value {
                                Cow::Borrowed(v) => {
                                    (Cow::Borrowed(&v[..at]), Cow::Borrowed(&v[at + 1..]))
                                }
                                Cow::Owned(v) => (
                                    Cow::Owned(v[..at].to_owned()),
                                    Cow::Owned(v[at + 1..].to_owned()),
                                ),
                            };
                            ev.field("user_domain", domain);
                            ev.field("user_principal", value);
                            ev.user = Some(name);
                        }
                        None => ev.user = Some(value),
                    },
                }
            } else if ev.user.as_deref() != Some(v) {
                // A second account (`srcuser` and `dstuser`, `suser` and `duser`) is kept too.
                ev.field(key, value);
            }
            return;
        }
        Col::RuleName | Col::InIface | Col::OutIface | Col::Message | Col::Host => {
            let slot = match col {
                Col::RuleName => &mut ev.rule_name,
                Col::InIface => &mut ev.in_iface,
                Col::OutIface => &mut ev.out_iface,
                Col::Message => &mut ev.message,
                _ => &mut ev.host,
            };
            let value = trimmed(value);
            let differs = match slot {
                None => {
                    *slot = Some(value);
                    return;
                }
                Some(have) => *have != value,
            };
            // The column holds the first value (the header's host, say); a different one the
            // vendor sent under another key is kept as sent.
            if differs {
                ev.field(key, value);
            }
            return;
        }
        Col::BytesIn | Col::BytesOut | Col::Packets => match v.parse::<u64>() {
            Ok(n) => {
                let slot = match col {
                    Col::BytesIn => &mut ev.bytes_in,
                    Col::BytesOut => &mut ev.bytes_out,
                    _ => &mut ev.packets,
                };
                *slot = Some(slot.unwrap_or(0).saturating_add(n));
                true
            }
            Err(_) => false,
        },
        Col::Outcome => {
            if let Some(o) = normalize_outcome(v) {
                ev.outcome.get_or_insert(o);
            }
            ev.field(key, value);
            return;
        }
    };
    if !fits {
        ev.field(key, value);
    }
}

fn trimmed(value: Text<'_>) -> Text<'_> {
    match value {
        Cow::Borrowed(s) => Cow::Borrowed(crate::payload::trim(s)),
        Cow::Owned(s) => Cow::Owned(s.trim().to_owned()),
    }
}

/// The canonical text of an address in a vendor value (`[::1]`, ` 10.0.0.1 `, `10.0.0.1%eth0`).
pub(crate) fn ip_text<'a>(value: &Text<'a>) -> Option<Text<'a>> {
    match value {
        // The common case: a canonical dotted quad, borrowed as it is.
        Cow::Borrowed(s) if crate::payload::is_canonical_ipv4(s.as_bytes()) => {
            Some(Cow::Borrowed(s))
        }
        Cow::Borrowed(s) => canonical_ip(strip_zone(crate::payload::trim(s))),
        Cow::Owned(s) => canonical_ip(strip_zone(s.trim())).map(|c| Cow::Owned(c.into_owned())),
    }
}

fn strip_zone(s: &str) -> &str {
    match s.find('%') {
        Some(i) if i > 0 => &s[..i],
        _ => s,
    }
}

/// Lower-case protocol name; IANA numbers of the common protocols become names.
pub fn protocol_name(p: &str) -> Text<'static> {
    let named = match p {
        "6" | "tcp" | "TCP" => "tcp",
        "17" | "udp" | "UDP" => "udp",
        "1" | "icmp" | "ICMP" => "icmp",
        "58" | "icmpv6" | "ICMPv6" | "ipv6-icmp" | "IPv6-ICMP" | "ICMPV6" => "ipv6-icmp",
        "2" => "igmp",
        "47" => "gre",
        "50" => "esp",
        "51" => "ah",
        "132" => "sctp",
        "41" => "ipv6",
        "4" => "ipip",
        "89" => "ospf",
        "103" => "pim",
        "112" => "vrrp",
        other => return Cow::Owned(other.to_ascii_lowercase()),
    };
    Cow::Borrowed(named)
}

/// The schema's action vocabulary from a vendor's word; `None` when the word is not a verdict.
pub fn normalize_action(word: &str) -> Option<&'static str> {
    action_word(word).or_else(|| compound_action(word))
}

/// A compound such as FortiWeb's `Alert_Deny` or `Period_Block`: its strongest known verdict.
fn compound_action(word: &str) -> Option<&'static str> {
    const STRONGEST_FIRST: [&str; 7] = [
        "reject", "reset", "drop", "deny", "redirect", "alert", "allow",
    ];
    if !word.contains(['_', '&', '+']) {
        return None;
    }
    let rank = |a: &&str| STRONGEST_FIRST.iter().position(|s| s == a);
    word.split(['_', '&', '+', ' '])
        .filter_map(action_word)
        .min_by_key(rank)
}

fn action_word(word: &str) -> Option<&'static str> {
    let mut buf = [0u8; 24];
    let w = lower_into(word.trim(), &mut buf)?;
    Some(match w {
        "accept" | "accepted" | "allow" | "allowed" | "permit" | "permitted" | "pass"
        | "passed" | "built" | "close" | "start" | "timeout" | "server-rst" | "client-rst"
        | "ip-conn" | "forward" | "forwarded" | "session created" | "session closed"
        | "accept-and-log" | "bypass" | "https bypass" | "ok" => "allow",
        "deny" | "denied" | "block" | "blocked" | "prevent" | "prevented" | "refuse"
        | "refused" | "session denied" | "deny-all" | "discard" => "deny",
        "drop" | "dropped" | "drop-icmp" | "drop-all" => "drop",
        "reject" | "rejected" => "reject",
        "reset" | "reset-both" | "reset-client" | "reset-server" | "rst" => "reset",
        "alert" | "detect" | "detected" | "monitor" | "log" | "log-only" => "alert",
        "redirect" | "redirected" => "redirect",
        _ => return None,
    })
}

/// The verdict an administrator wrote into a log prefix: the strongest verdict word anywhere in
/// it (any case), else an EdgeOS / VyOS suffix (`[WAN_IN-10-D]` = rule 10 of WAN_IN, Drop /
/// Accept / Reject).
pub(crate) fn action_of_prefix(prefix: &str) -> Option<&'static str> {
    // Strongest first: a prefix naming two verdicts (`DROP-AFTER-ACCEPT`) gets the stronger.
    const WORDS: [(&[u8], &str); 9] = [
        (b"REJECT", "reject"),
        (b"DROP", "drop"),
        (b"BLOCK", "deny"),
        (b"DENY", "deny"),
        (b"DENIED", "deny"),
        (b"ACCEPT", "allow"),
        (b"ALLOW", "allow"),
        (b"PASS", "allow"),
        (b"PERMIT", "allow"),
    ];
    let b = prefix.as_bytes();
    // One pass over the prefix (this runs for every netfilter record), keeping the strongest.
    let mut best = WORDS.len();
    for i in 0..b.len() {
        let first = b[i].to_ascii_uppercase();
        if !matches!(first, b'R' | b'D' | b'B' | b'A' | b'P') {
            continue;
        }
        for (rank, (word, _)) in WORDS.iter().enumerate().take(best) {
            if word[0] == first
                && b[i..].len() >= word.len()
                && b[i..i + word.len()].eq_ignore_ascii_case(word)
            {
                best = rank;
                break;
            }
        }
    }
    if let Some((_, action)) = WORDS.get(best) {
        return Some(action);
    }
    let (_, last) = prefix.rsplit_once('-')?;
    match last {
        "D" | "d" => Some("drop"),
        "A" | "a" => Some("allow"),
        "R" | "r" => Some("reject"),
        _ => None,
    }
}

/// `success`/`failure` from a vendor's status word.
pub fn normalize_outcome(word: &str) -> Option<&'static str> {
    let mut buf = [0u8; 24];
    match lower_into(word.trim(), &mut buf)? {
        "success" | "succeeded" | "successful" | "ok" | "accepted" | "pass" => Some(SUCCESS),
        "failure" | "failed" | "fail" | "error" | "rejected" | "denied" => Some(FAILURE),
        _ => None,
    }
}

/// The outcome a free-text login message states (`Administrator login denied`, `SSH
/// authentication failed: ...`, `The user succeeded in logging in`), for vendors with no
/// outcome key; `None` when it names neither.
pub fn outcome_in_text(text: &str) -> Option<&'static str> {
    const FAILED: [&str; 7] = [
        "denied",
        "fail",
        "incorrect",
        "rejected",
        "invalid",
        "locked out",
        "refused",
    ];
    const SUCCEEDED: [&str; 5] = ["allowed", "succeed", "success", "logged in", "accepted"];
    let lower = text.to_ascii_lowercase();
    if FAILED.iter().any(|w| lower.contains(w)) {
        Some(FAILURE)
    } else if SUCCEEDED.iter().any(|w| lower.contains(w)) {
        Some(SUCCESS)
    } else {
        None
    }
}

/// ASCII-lower-cases a short word into `buf` without allocating; `None` if it does not fit.
fn lower_into<'b>(word: &str, buf: &'b mut [u8; 24]) -> Option<&'b str> {
    let bytes = word.as_bytes();
    let dst = buf.get_mut(..bytes.len())?;
    for (d, s) in dst.iter_mut().zip(bytes) {
        *d = s.to_ascii_lowercase();
    }
    std::str::from_utf8(dst).ok()
}

/// `addr/port`, `addr:port` (IPv4 only) or `[v6]:port`: the address and the port text.
pub fn split_addr_port(s: &str) -> (&str, Option<&str>) {
    if let Some(rest) = s.strip_prefix('[')
        && let Some((addr, port)) = rest.split_once("]:")
    {
        return (addr, Some(port));
    }
    if let Some((addr, port)) = s.rsplit_once('/') {
        return (addr, Some(port));
    }
    match s.rsplit_once(':') {
        Some((addr, port)) if !addr.contains(':') => (addr, Some(port)),
        _ => (s, None),
    }
}

/// A peer as servers and sensors write it: `203.0.113.5:51234`, `[2001:db8::5]:443`, or an
/// address alone. Unlike [`split_addr_port`], an IPv6 address may stand unbracketed: when
/// `port_always` (HAProxy), its last colon starts the port; otherwise a whole address has none.
pub(crate) fn split_endpoint(text: &str, port_always: bool) -> (&str, Option<&str>) {
    if let Some(inner) = text.strip_prefix('[') {
        return match inner.split_once("]:") {
            Some((address, port)) => (address, Some(port)),
            None => (inner.trim_end_matches(']'), None),
        };
    }
    if !port_always && crate::payload::canonical_ip(text).is_some() {
        return (text, None);
    }
    match text.rsplit_once(':') {
        Some((address, port)) if !address.is_empty() => (address, Some(port)),
        _ => (text, None),
    }
}

/// Reads a quoted key=value payload, sending each key to `column`'s choice or to `fields`.
/// An error when there was not a single pair.
pub(crate) fn read_pairs<'a>(
    body: &'a str,
    ev: &mut Event<'a>,
    column: fn(&str) -> Option<Col>,
) -> Result<(), &'static str> {
    // The header parser's message is the whole list; a `msg`-like key replaces it.
    ev.message = None;
    let mut n = 0;
    for (key, value) in kv::pairs(body, b' ', kv::Dialect::Quoted) {
        n += 1;
        match column(key) {
            Some(col) => put(ev, col, key, value),
            None => ev.field(key, value),
        }
    }
    if n == 0 {
        return Err("no key=value pairs");
    }
    Ok(())
}

/// Sentences with values in known places (`User '{user}' login, ...`), compiled once. Each has
/// a key (an event name, or `""`), and the outcome it means.
pub(crate) struct Sentences {
    list: Vec<(&'static str, Template, Option<&'static str>)>,
}

impl Sentences {
    /// Compiles a table; a malformed template is left out (each table has a test that counts).
    pub(crate) fn new(table: &[(&'static str, &'static str, Option<&'static str>)]) -> Self {
        let list = table
            .iter()
            .filter_map(|(key, t, o)| Some((*key, Template::new(t)?, *o)))
            .collect();
        Sentences { list }
    }

    /// How many templates compiled.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether a sentence under `key` matches `text` (for claims; nothing is filled).
    pub(crate) fn matches(&self, key: &str, text: &str) -> bool {
        self.list
            .iter()
            .any(|(k, t, _)| *k == key && t.captures(text).is_some())
    }

    /// The first sentence under `key` that matches `text` fills the event: each capture goes to
    /// `column`'s choice or to `fields` (`tail` is dropped). False when none matched.
    pub(crate) fn apply<'a>(
        &self,
        key: &str,
        text: &'a str,
        ev: &mut Event<'a>,
        column: fn(&str) -> Option<Col>,
    ) -> bool {
        let Some((caps, outcome)) = self
            .list
            .iter()
            .filter(|(k, _, _)| *k == key)
            .find_map(|(_, t, o)| t.captures(text).map(|c| (c, *o)))
        else {
            return false;
        };
        for (name, value) in caps.iter() {
            match (name, column(name)) {
                ("tail", _) => {}
                (_, Some(col)) => put(ev, col, name, Cow::Borrowed(value)),
                (_, None) if !value.is_empty() => ev.field(name, value),
                _ => {}
            }
        }
        if let Some(o) = outcome {
            ev.outcome = Some(o);
        }
        true
    }
}

/// The usual names of template captures.
pub(crate) fn capture_column(name: &str) -> Option<Col> {
    Some(match name {
        "src" => Col::SrcIp,
        "dst" => Col::DstIp,
        "src_port" => Col::SrcPort,
        "dst_port" => Col::DstPort,
        "user" => Col::User,
        "protocol" => Col::Protocol,
        _ => return None,
    })
}

/// The text after the daemon's tag at the front of `body` (`ulogd[1234]: `), given the tag's
/// name (`app`, as claims get it). Claims ask it of records others left: it compares a few bytes
/// and scans nothing.
pub(crate) fn after_tag<'b>(app: Option<&str>, body: &'b str) -> Option<&'b str> {
    let rest = body.strip_prefix(app?)?;
    let rest = match rest.strip_prefix('[') {
        Some(pid) => &pid[pid.find(']')? + 1..],
        None => rest,
    };
    rest.strip_prefix(": ")
}

/// The first key of a key=value list (`date` in `date=2026-11-26 ...`), or `""`. Claims gate on
/// it first: it is cheap, and each vendor starts its lists with a handful of keys.
pub(crate) fn first_key(body: &str) -> &str {
    let b = body.as_bytes();
    let start = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    // Several claims ask this of every record they see: a plain bounded loop.
    let mut end = start;
    while end < b.len()
        && end - start < 24
        && (b[end].is_ascii_alphanumeric() || b[end] == b'_' || b[end] == b'-')
    {
        end += 1;
    }
    match b.get(end) {
        Some(b'=') if end > start && end - start < 24 => &body[start..end],
        _ => "",
    }
}

/// A substring searcher built once (building one costs more than a short search).
pub(crate) struct StaticFinder {
    needle: &'static [u8],
    finder: std::sync::OnceLock<memchr::memmem::Finder<'static>>,
}

impl StaticFinder {
    /// A searcher for `needle`, built on first use.
    pub(crate) const fn new(needle: &'static [u8]) -> Self {
        StaticFinder {
            needle,
            finder: std::sync::OnceLock::new(),
        }
    }

    fn get(&self) -> &memchr::memmem::Finder<'static> {
        self.finder
            .get_or_init(|| memchr::memmem::Finder::new(self.needle))
    }

    /// Where `needle` first occurs in `haystack`.
    pub(crate) fn find(&self, haystack: &[u8]) -> Option<usize> {
        self.get().find(haystack)
    }

    /// Whether the needle (a `key=`) occurs where a key starts: at the front or after a space,
    /// tab or comma.
    pub(crate) fn key_in(&self, body: &str) -> bool {
        let b = body.as_bytes();
        self.get()
            .find_iter(b)
            .any(|i| i == 0 || matches!(b[i - 1], b' ' | b'\t' | b','))
    }
}

/// Where `part` (a subslice of `whole`) starts in `whole`.
pub(crate) fn offset_in(whole: &str, part: &str) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (start + part.len() <= whole.len()).then_some(start)
}

/// The JSON object a sensor's record carries: the body itself, or what follows the program's tag
/// (`suricata[812]: {...}`, `zeek: {...}`).
fn json_in_body(body: &str) -> Option<&str> {
    let body = body.trim_start();
    if body.starts_with('{') {
        return Some(body);
    }
    let head = &body.as_bytes()[..body.len().min(64)];
    memchr::memmem::find(head, b": {").map(|i| &body[i + 2..])
}

/// Whether a body is a JSON record holding `key` (a quoted key, `b"\"event_type\""`). The
/// object must open the body unless the record's tag is one of `tags`: any other program's record
/// is turned away without a search.
pub(crate) fn claims_json_record(app: Option<&str>, body: &str, tags: &[&str], key: &[u8]) -> bool {
    let tagged = app.is_some_and(|a| tags.contains(&a));
    (tagged || body.trim_start().starts_with('{'))
        && json_in_body(body).is_some_and(|o| memchr::memmem::find(o.as_bytes(), key).is_some())
}

/// The pairs of a JSON record's object. Without a tag in front, a BSD header took the start of
/// the object for one, which is undone.
pub(crate) fn json_record<'a>(
    body: &'a str,
    ev: &mut Event<'a>,
) -> Result<Vec<(Text<'a>, Text<'a>)>, &'static str> {
    let object = json_in_body(body).ok_or("not a JSON object")?;
    if object.len() == body.trim_start().len() {
        ev.app = None;
        ev.pid = None;
    }
    crate::json::object(object.trim_end()).ok_or("not a well-formed JSON object")
}

/// Splits a CSV line; quoted values are unquoted (`""` -> `"`).
pub(crate) fn csv(line: &str) -> Vec<Text<'_>> {
    let mut out = Vec::with_capacity(64);
    let b = line.as_bytes();
    let mut i = 0;
    loop {
        if b.get(i) == Some(&b'"') {
            let start = i + 1;
            let mut j = start;
            let mut doubled = false;
            while j < b.len() {
                if b[j] == b'"' {
                    if b.get(j + 1) == Some(&b'"') {
                        doubled = true;
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            let text = &line[start..j.min(b.len())];
            out.push(if doubled {
                Cow::Owned(text.replace("\"\"", "\""))
            } else {
                Cow::Borrowed(text)
            });
            // Skip the closing quote and anything up to the next comma.
            i = match memchr::memchr(b',', &b[j.min(b.len())..]) {
                Some(off) => j + off + 1,
                None => return out,
            };
        } else {
            match memchr::memchr(b',', &b[i..]) {
                Some(off) => {
                    out.push(Cow::Borrowed(&line[i..i + off]));
                    i += off + 1;
                }
                None => {
                    out.push(Cow::Borrowed(&line[i..]));
                    return out;
                }
            }
        }
    }
}

/// What the parser tests share.
#[cfg(test)]
pub(crate) mod test_support {
    use crate::{Event, ParseContext, parse_record};

    /// One record parsed in automatic mode.
    pub(crate) fn parse(line: &str) -> Event<'_> {
        let mut ev = Event::default();
        parse_record(line, &ParseContext::new(0), &mut ev);
        ev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_and_protocols() {
        assert_eq!(normalize_action("Accept"), Some("allow"));
        assert_eq!(normalize_action("reset-both"), Some("reset"));
        assert_eq!(normalize_action("login"), None);
        assert_eq!(normalize_action("Alert_Deny"), Some("deny"));
        assert_eq!(normalize_action("Period_Block"), Some("deny"));
        assert_eq!(normalize_action("Alert & Deny"), Some("deny"));
        assert_eq!(normalize_action("Send_HTTP_Response"), None);
        assert_eq!(protocol_name("6"), "tcp");
        assert_eq!(protocol_name("ICMP"), "icmp");
        assert_eq!(protocol_name("GRE"), "gre");
    }

    #[test]
    fn values_that_do_not_fit_stay_in_fields() {
        let mut ev = Event::default();
        put(&mut ev, Col::SrcPort, "spt", Cow::Borrowed("abc"));
        put(&mut ev, Col::SrcIp, "src", Cow::Borrowed("host.example"));
        put(&mut ev, Col::BytesOut, "sent", Cow::Borrowed("10"));
        put(&mut ev, Col::BytesOut, "sent2", Cow::Borrowed("5"));
        assert_eq!(ev.src_port, None);
        assert_eq!(ev.get_field("spt"), Some("abc"));
        assert_eq!(ev.get_field("src_host"), Some("host.example"));
        assert_eq!(ev.bytes_out, Some(15));
    }

    #[test]
    fn a_second_value_for_a_taken_column_stays_in_fields() {
        let mut ev = Event {
            host: Some(Cow::Borrowed("10.10.0.1")),
            ..Event::default()
        };
        put(&mut ev, Col::Host, "devname", Cow::Borrowed("FGT-HN"));
        put(&mut ev, Col::SrcIp, "src", Cow::Borrowed("10.0.0.1"));
        put(&mut ev, Col::SrcIp, "srcip", Cow::Borrowed("10.0.0.1"));
        put(&mut ev, Col::SrcIp, "ui_addr", Cow::Borrowed("10.0.0.2"));
        put(&mut ev, Col::SrcPort, "spt", Cow::Borrowed("22"));
        put(&mut ev, Col::SrcPort, "sport", Cow::Borrowed("23"));
        put(&mut ev, Col::User, "suser", Cow::Borrowed("an"));
        put(&mut ev, Col::User, "duser", Cow::Borrowed("binh"));
        put(&mut ev, Col::Protocol, "proto", Cow::Borrowed("6"));
        put(&mut ev, Col::Protocol, "PROTO", Cow::Borrowed("UDP"));
        assert_eq!(ev.host.as_deref(), Some("10.10.0.1"));
        assert_eq!(ev.get_field("devname"), Some("FGT-HN"));
        assert_eq!(ev.src_ip.as_deref(), Some("10.0.0.1"));
        // The same value twice is not repeated.
        assert_eq!(ev.get_field("srcip"), None);
        assert_eq!(ev.get_field("ui_addr"), Some("10.0.0.2"));
        assert_eq!((ev.src_port, ev.get_field("sport")), (Some(22), Some("23")));
        assert_eq!(
            (ev.user.as_deref(), ev.get_field("duser")),
            (Some("an"), Some("binh"))
        );
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(ev.get_field("PROTO"), Some("UDP"));
    }

    #[test]
    fn accounts_and_their_domains() {
        for (written, user, domain) in [
            (r"SOTTTT\an.nv", "an.nv", Some("SOTTTT")),
            (r"SOTTTT\\an.nv", "an.nv", Some("SOTTTT")),
            (r"\an.nv", "an.nv", None),
            ("an.nv", "an.nv", None),
        ] {
            let mut ev = Event::default();
            put(&mut ev, Col::User, "user", Cow::Borrowed(written));
            assert_eq!(ev.user.as_deref(), Some(user), "{written}");
            assert_eq!(ev.get_field("user_domain"), domain, "{written}");
        }
        // A masked name is no account; the mask stays under the vendor's key.
        let mut ev = Event::default();
        put(&mut ev, Col::User, "user", Cow::Borrowed("*****"));
        assert_eq!(ev.user, None);
        assert_eq!(ev.get_field("user"), Some("*****"));
    }

    #[test]
    fn address_and_port_forms() {
        assert_eq!(split_addr_port("10.0.0.1/443"), ("10.0.0.1", Some("443")));
        assert_eq!(split_addr_port("10.0.0.1:443"), ("10.0.0.1", Some("443")));
        assert_eq!(
            split_addr_port("[2001:db8::1]:22"),
            ("2001:db8::1", Some("22"))
        );
        assert_eq!(split_addr_port("2001:db8::1"), ("2001:db8::1", None));
        assert_eq!(split_endpoint("2001:db8::1", false), ("2001:db8::1", None));
        assert_eq!(
            split_endpoint("2001:db8::1234:58430", true),
            ("2001:db8::1234", Some("58430"))
        );
        assert_eq!(split_endpoint("[::1]:22", false), ("::1", Some("22")));
        assert_eq!(split_endpoint("10.0.0.1", false), ("10.0.0.1", None));
    }
}
