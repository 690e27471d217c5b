//! Linux netfilter `LOG` target lines (iptables, nftables, UFW, firewalld, EdgeOS/VyOS):
//! `[UFW BLOCK] IN=eth0 OUT= MAC=... SRC=203.0.113.9 DST=10.0.0.5 ... PROTO=TCP SPT=4711 DPT=22 SYN`.
//!
//! The text before `IN=` is the log prefix an administrator chose; it names the rule
//! (`rule_name`) and usually says the verdict (`[UFW BLOCK]`, `FINAL_REJECT:`, EdgeOS
//! `[WAN_IN-10-D]`), from which `action` is derived. Flags without `=` (`SYN`, `DF`) are collected
//! into `fields.flags`; ICMP's second `ID=` becomes `fields.icmp_id`.

use std::borrow::Cow;

use super::{Col, StaticFinder, action_of_prefix, put};
use crate::event::{Event, SourceType, Text};
use crate::payload::PayloadParser;

/// Netfilter LOG lines, with or without a syslog header.
pub struct Netfilter;

/// Netfilter LOG lines in the kernel's own shape (`IN=` the first key, `OUT=` the next), claimed
/// early in the registry: no other format starts its keys that way, and a data centre's netfilter
/// volume then skips the other vendors' whole-record searches. [`Netfilter`], later in the
/// registry, still takes the rest (a log prefix containing `=`).
pub struct NetfilterInKernelShape;

static OUT: StaticFinder = StaticFinder::new(b" OUT=");
static SRC: StaticFinder = StaticFinder::new(b"SRC=");

/// Where `IN=` starts when it is the record's first key and `OUT=` the next, as the kernel
/// writes them.
fn in_eq_first(b: &[u8]) -> Option<usize> {
    let eq = memchr::memchr(b'=', b)?;
    let at = eq.checked_sub(2)?;
    let starts_in = &b[at..eq] == b"IN" && (at == 0 || matches!(b[at - 1], b' ' | b']' | b':'));
    let len = b[eq + 1..].iter().position(|&c| c == b' ')?;
    (starts_in && b[eq + 1 + len..].starts_with(b" OUT=")).then_some(at)
}

/// Where the `IN=` key starts: the last one before the first ` OUT=`.
fn in_eq(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if let Some(at) = in_eq_first(b) {
        return Some(at);
    }
    let out = OUT.find(b)?;
    let before = &b[..out];
    let i = memchr::memrchr_iter(b'I', before).find(|&i| before[i..].starts_with(b"IN="))?;
    (i == 0 || b[i - 1] == b' ' || b[i - 1] == b']' || b[i - 1] == b':').then_some(i)
}

impl PayloadParser for Netfilter {
    fn source_type(&self) -> SourceType {
        SourceType::Netfilter
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, _app: Option<&str>, body: &str) -> bool {
        body.len() > 16 && in_eq(body).is_some_and(|at| SRC.find(&body.as_bytes()[at..]).is_some())
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        let at = in_eq(body).ok_or("no IN= field")?;
        // The prefix is short and ASCII in practice: trimmed and split by bytes (ASCII bytes never
        // fall inside a UTF-8 sequence, so every cut is on a character boundary).
        let mut prefix = &body[..at];
        // A real tag (`kernel:`, `ulogd[12]:`) is not part of the prefix; a "tag" that the
        // header parser read from a prefix such as `IPTABLES` is.
        let real_tag = ev.pid.is_some() || matches!(ev.app.as_deref(), Some("kernel" | "ulogd"));
        if real_tag {
            prefix = match prefix.bytes().position(|c| c == b' ') {
                Some(space) => &prefix[space + 1..],
                None => "",
            };
        } else {
            ev.app = None;
        }
        let mut prefix = crate::payload::trim(prefix);
        // Kernel uptime stamp `[ 1234.5678]`.
        if let Some(rest) = prefix.strip_prefix('[')
            && let Some(close) = rest.bytes().position(|c| c == b']')
        {
            let stamp = rest[..close].trim();
            if !stamp.is_empty() && stamp.bytes().all(|c| c.is_ascii_digit() || c == b'.') {
                ev.field("kernel_uptime", stamp);
                prefix = crate::payload::trim(&rest[close + 1..]);
            }
        }
        let rule = trim_brackets(prefix);
        if !rule.is_empty() {
            if let Some(a) = action_of_prefix(rule) {
                ev.action = Some(Cow::Borrowed(a));
            }
            // EdgeOS / VyOS `RULESET-NUMBER-A`: the rule set names the rule.
            match edgeos_rule(rule) {
                Some((set, number)) => {
                    ev.rule_name = Some(Cow::Borrowed(set));
                    ev.field("rule_number", number);
                }
                None => ev.rule_name = Some(Cow::Borrowed(rule)),
            }
        }
        let fields = &body[at..];
        // The message is the line from the prefix on (the tag and uptime stamp are columns).
        let from = super::offset_in(body, prefix).unwrap_or(at);
        ev.message = Some(Cow::Borrowed(body[from..].trim_start()));
        let mut seen_id = false;
        let mut flags = Flags::default();
        let b = fields.as_bytes();
        let mut start = 0;
        while start < b.len() {
            let (end, eq) = crate::scan::word_and_eq(b, start);
            let word_start = start;
            start = end + 1;
            if end == word_start {
                continue;
            }
            let Some(eq) = eq else {
                flags.add(&fields[word_start..end]);
                continue;
            };
            let (key, value) = (&fields[word_start..eq], &fields[eq + 1..end]);
            let v = Cow::Borrowed(value);
            match key.as_bytes() {
                b"IN" => put(ev, Col::InIface, key, v),
                b"OUT" => put(ev, Col::OutIface, key, v),
                b"SRC" => put(ev, Col::SrcIp, key, v),
                b"DST" => put(ev, Col::DstIp, key, v),
                b"SPT" => put(ev, Col::SrcPort, key, v),
                b"DPT" => put(ev, Col::DstPort, key, v),
                b"PROTO" => put(ev, Col::Protocol, key, v),
                // The first LEN is the IP packet's length (an inner UDP header has its own).
                b"LEN" if ev.packets.is_none() => {
                    ev.field(key, value);
                    if let Ok(n) = value.parse::<u64>() {
                        ev.bytes_out = Some(n);
                        ev.packets = Some(1);
                    }
                }
                // A second LEN is the inner UDP or ICMP length.
                b"LEN" => ev.field("inner_len", value),
                b"ID" if seen_id => ev.field("icmp_id", value),
                b"ID" => {
                    seen_id = true;
                    ev.field(key, value);
                }
                _ if !value.is_empty() => ev.field(key, value),
                _ => {}
            }
        }
        if let Some(flags) = flags.text {
            ev.field("flags", flags);
        }
        Ok(())
    }
}

impl PayloadParser for NetfilterInKernelShape {
    fn source_type(&self) -> SourceType {
        SourceType::Netfilter
    }

    fn reads_body(&self) -> bool {
        true
    }

    fn claims(&self, _app: Option<&str>, body: &str) -> bool {
        let b = body.as_bytes();
        in_eq_first(b).is_some_and(|at| SRC.find(&b[at..]).is_some())
    }

    fn parse<'a>(&self, body: &'a str, ev: &mut Event<'a>) -> Result<(), &'static str> {
        Netfilter.parse(body, ev)
    }
}

/// Flags (`DF`, `SYN`) are words without `=`, scattered over the record; they are gathered
/// space-joined, borrowed while there is only one.
#[derive(Default)]
struct Flags<'a> {
    text: Option<Text<'a>>,
}

impl<'a> Flags<'a> {
    fn add(&mut self, word: &'a str) {
        self.text = Some(match self.text.take() {
            None => Cow::Borrowed(word),
            Some(before) => {
                let mut joined = match before {
                    Cow::Owned(s) => s,
                    // Room for the usual few more (`DF ... SYN ACK`) in one allocation.
                    Cow::Borrowed(s) => String::with_capacity(s.len() + word.len() + 16) + s,
                };
                joined.push(' ');
                joined.push_str(word);
                Cow::Owned(joined)
            }
        });
    }
}

/// A log prefix without the brackets, colons and spaces around it: `[UFW BLOCK] ` -> `UFW BLOCK`.
fn trim_brackets(prefix: &str) -> &str {
    let strip = |c: u8| matches!(c, b'[' | b']' | b':') || c.is_ascii_whitespace();
    let b = prefix.as_bytes();
    let start = b.iter().position(|&c| !strip(c)).unwrap_or(b.len());
    let end = b.iter().rposition(|&c| !strip(c)).map_or(start, |i| i + 1);
    crate::payload::trim(&prefix[start..end])
}

/// `WAN_IN-10-D` -> (`WAN_IN`, `10`).
fn edgeos_rule(prefix: &str) -> Option<(&str, &str)> {
    // Prefixes are short: a byte scan, not the standard searcher.
    let dash = prefix.bytes().rposition(|c| c == b'-')?;
    let (head, action) = (&prefix[..dash], &prefix[dash + 1..]);
    if !matches!(action, "A" | "D" | "R") {
        return None;
    }
    let (set, number) = head.rsplit_once('-')?;
    (!set.is_empty() && !number.is_empty() && !number.contains(' ')).then_some((set, number))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::firewall::test_support::parse;

    #[test]
    fn ufw_block_with_header() {
        let line = "<4>Nov 26 10:00:00 gw kernel: [12345.678901] [UFW BLOCK] IN=eth0 OUT= \
                    MAC=00:11 SRC=203.0.113.9 DST=10.0.0.5 LEN=60 TOS=0x00 TTL=50 ID=1 DF \
                    PROTO=TCP SPT=51000 DPT=22 WINDOW=1 RES=0x00 SYN URGP=0";
        let ev = parse(line);
        assert_eq!(ev.source_type, SourceType::Netfilter);
        assert_eq!(ev.rule_name.as_deref(), Some("UFW BLOCK"));
        assert_eq!(ev.action.as_deref(), Some("deny"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.dst_port, Some(22));
        assert_eq!(ev.protocol.as_deref(), Some("tcp"));
        assert_eq!(ev.in_iface.as_deref(), Some("eth0"));
        assert_eq!(ev.out_iface, None);
        assert_eq!(ev.get_field("flags"), Some("DF SYN"));
        assert_eq!(ev.get_field("kernel_uptime"), Some("12345.678901"));
    }

    #[test]
    fn in_key_found_with_and_without_the_kernel_shape() {
        let kernel = "kernel: [1.5] [UFW BLOCK] IN=eth0 OUT= MAC=00:11 SRC=10.0.0.1 DST=10.0.0.2";
        assert_eq!(in_eq_first(kernel.as_bytes()), Some(26));
        assert_eq!(in_eq(kernel), Some(26));
        // A prefix with its own `=` leaves the kernel shape to the general search.
        let prefixed = "policy=drop IN=eth1 OUT=eth0 SRC=10.0.0.1 DST=10.0.0.2";
        assert_eq!(in_eq_first(prefixed.as_bytes()), None);
        assert_eq!(in_eq(prefixed), Some(12));
        // `IN=` must be a key of its own, and `OUT=` must follow it.
        assert_eq!(in_eq_first(b"LOGIN=x OUT= SRC=1"), None);
        assert_eq!(in_eq_first(b"IN=eth0 MAC= OUT= SRC=1"), None);
        assert_eq!(in_eq_first(b"N=x"), None);
        assert!(NetfilterInKernelShape.claims(None, kernel));
        assert!(!NetfilterInKernelShape.claims(None, prefixed));
        assert!(Netfilter.claims(None, prefixed));
    }

    #[test]
    fn edgeos_rule_suffix() {
        assert_eq!(action_of_prefix("WAN_LOCAL-default-D"), Some("drop"));
        assert_eq!(action_of_prefix("LAN_IN-20-A"), Some("allow"));
        assert_eq!(action_of_prefix("my-rule"), None);
        // The strongest verdict wins wherever it is, in any case.
        assert_eq!(action_of_prefix("ACCEPT-THEN-DROP"), Some("drop"));
        assert_eq!(action_of_prefix("fw reject after allow"), Some("reject"));
        assert_eq!(action_of_prefix("ufw block"), Some("deny"));
        assert_eq!(action_of_prefix("INPUT_DROPPED"), Some("drop"));
        assert_eq!(action_of_prefix("PERMIT"), Some("allow"));
    }
}
