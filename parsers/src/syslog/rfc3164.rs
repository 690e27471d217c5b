//! RFC 3164 ("BSD syslog") as devices actually send it.
//!
//! The RFC describes `TIMESTAMP SP HOSTNAME SP TAG[PID]: MSG`; real senders add or drop almost every
//! part: no PRI, no hostname, a year or an ISO 8601 timestamp, fractional seconds and a zone name
//! (Cisco `*Mar  1 18:46:11.123 UTC:`), a Cisco sequence number in front, `host/relay` hostnames,
//! tags without a colon. The rules here, in order:
//! 1. optional Cisco-style `NNN:` sequence numbers and origin hostname (`NNN: router1:`,
//!    `NNN: router1 NNN:`, `NNN: NNN:`, or `router1[:]` alone, each only when a timestamp
//!    follows), then an optional `*` or `.` clock-sync marker;
//! 2. a timestamp: ISO 8601, or `Mmm dd [yyyy] hh:mm:ss[.fff] [ZONE][:]` (ZONE `UTC`, an offset,
//!    or an unambiguous abbreviation such as `ICT` or `CET`); without one, nothing else of the
//!    header is guessed except a leading tag, and the event time is the receive time;
//! 3. a hostname, unless the next token is already a tag (ends in `:` or has `[pid]`);
//! 4. a tag `app[pid]:` / `app:` / `app[pid]`; without one the rest is all message.
//!
//! Relays' layouts are read too: Kiwi Syslog Server's files (`date time<TAB>Local4.Warning
//! <TAB>host<TAB>message`), a leading `FACILITY.LEVEL:` with the host after it, and a
//! `facility.level` word between the hostname and the tag (`gw user.info kernel: ...`).

use std::borrow::Cow;

use nom::bytes::complete::take_while_m_n;
use nom::character::complete::{char, space1};
use nom::combinator::opt;
use nom::{IResult, Parser};

use super::token;
use crate::context::ParseContext;
use crate::event::Event;
use crate::time::{Zone, digits, infer_year, month_from_abbrev, parse_iso8601};

/// Parses the record after PRI (`had_pri` says whether there was one).
pub fn parse<'a>(s: &'a str, had_pri: bool, ctx: &ParseContext, ev: &mut Event<'a>) {
    let mut rest = s.trim_start_matches(' ');
    // Cisco NX-OS (and IOS with an empty sequence field) put `: ` right after PRI; an ASA
    // without a hostname, `:` and then its timestamp (`<166>:Nov 28 10:00:00 ICT: %ASA-...`).
    if let Some(after) = rest.strip_prefix(": ") {
        rest = after.trim_start_matches(' ');
    } else if let Some(after) = rest
        .strip_prefix(':')
        .filter(|after| timestamp(after, ctx).is_some())
    {
        rest = after;
    }
    // Cisco IOS sequence numbers (`000123: `) and clock-sync markers precede the timestamp.
    if let Some((seq, after)) = cisco_sequence(rest) {
        ev.field("sequence", seq);
        rest = after;
        // `NNN: router1: *Mar 1 ...`: IOS with the origin hostname (and, relayed, a second
        // sequence number) ahead of the timestamp.
        if let Some((host, after)) = ios_origin(rest, false, ctx) {
            if let Some(host) = host {
                ev.host = Some(Cow::Borrowed(host));
            }
            rest = after;
        }
    }
    if let Some(after) = rest.strip_prefix(['*', '.']) {
        let unsynced = if rest.starts_with('*') {
            "true"
        } else {
            "false"
        };
        ev.field("clock_unsynced", unsynced);
        rest = after;
    }

    match timestamp(rest, ctx).or_else(|| origin_hostname(rest, ctx, ev)) {
        Some((ts, after)) => {
            ev.ts = Some(ts);
            // Kiwi Syslog Server's log files: `date time<TAB>Local4.Warning<TAB>host<TAB>msg`.
            if after.starts_with('\t') && kiwi_columns(after, ev) {
                return;
            }
            rest = after.trim_start_matches(' ');
            // A log file whose stamp already named its program (vsftpd's own) has no host or tag.
            if ev.app.is_some() {
                ev.message = Some(Cow::Borrowed(rest));
                return;
            }
            // AIX relays write `Message forwarded from HOST: ` where the hostname goes.
            rest = match rest.strip_prefix("Message forwarded from ") {
                Some(after) => {
                    let (host, after) = token(after);
                    ev.host = Some(Cow::Borrowed(host.trim_end_matches(':')));
                    after
                }
                None if ev.host.is_some() => rest,
                None => hostname(rest, ev),
            };
            let rest_after_level = facility_level_word(rest.trim_start_matches(' '), ev);
            rest = tag_and_pid(rest_after_level, TagRule::WordAfterHeader, ev);
        }
        // `LOCAL4.WARNING: fw-1 %ASA-...`: a relay's facility and level, then the host.
        // Without a timestamp only an unmistakable tag is taken.
        None => {
            if level_prefix(rest, ev) {
                return;
            }
            let rule = if had_pri {
                TagRule::Colon
            } else {
                TagRule::PidOnly
            };
            rest = tag_and_pid(rest, rule, ev);
        }
    }
    // Relays such as liblogging put an RFC 5424 structured-data block at the start of a BSD message.
    // A kernel uptime stamp (`[12345.678]`) also starts with `[`: a block needs a `key=` inside.
    if rest.trim_start().starts_with('[') && has_param(rest) {
        let trimmed = rest.trim_start();
        let before = ev.fields.len();
        match super::rfc5424::structured_data(trimmed, ev) {
            Ok(after) if ev.fields.len() > before => rest = after.trim_start_matches(' '),
            _ => ev.fields.truncate(before),
        }
    }
    if !rest.is_empty() {
        ev.message = Some(Cow::Borrowed(rest));
    }
}

/// `router1: Mar 6 2023 08:04:45.866 CET: ...`: IOS's origin hostname ahead of its timestamp,
/// without a sequence number in front. Asked only when the record does not start with a
/// timestamp; returns that timestamp (and what follows it) when the hostname is there.
fn origin_hostname<'a>(
    s: &'a str,
    ctx: &ParseContext,
    ev: &mut Event<'a>,
) -> Option<(i64, &'a str)> {
    if ev.host.is_some() {
        return None;
    }
    let (host, after) = ios_origin(s, true, ctx)?;
    if host.is_some_and(|h| h.len() == 3)
        && let Some(found) = ctime_stamp(s, ctx, ev)
    {
        return Some(found);
    }
    let stamped = after.trim_start_matches(['*', '.']);
    let found = timestamp(stamped, ctx)?;
    if let Some(host) = host {
        ev.host = Some(Cow::Borrowed(host));
    }
    if stamped.len() < after.len() {
        let unsynced = if after.starts_with('*') {
            "true"
        } else {
            "false"
        };
        ev.field("clock_unsynced", unsynced);
    }
    Some(found)
}

/// A C library `ctime` stamp, `Wed Jul 27 18:32:27 2016`, as log files of their own write it (a
/// weekday is not a hostname). vsftpd's file follows it with `[pid 1234]` and no program name, so
/// the program is named here for the payload parsers.
#[cold]
#[inline(never)]
fn ctime_stamp<'a>(s: &'a str, ctx: &ParseContext, ev: &mut Event<'a>) -> Option<(i64, &'a str)> {
    const WEEKDAYS: [&str; 7] = ["Mon ", "Tue ", "Wed ", "Thu ", "Fri ", "Sat ", "Sun "];
    let after_weekday = WEEKDAYS.iter().find_map(|day| s.strip_prefix(day))?;
    let (ts, after) = timestamp(after_weekday, ctx)?;
    if after.trim_start_matches(' ').starts_with("[pid ") {
        ev.app = Some(Cow::Borrowed("vsftpd"));
    }
    Some((ts, after))
}

/// What IOS (or a relay in front of it) may write between a sequence number and the timestamp:
/// the origin hostname with or without `:`, a second sequence number, or both
/// (`router1: 123: Mar 1 ...`, `10.0.0.1 123: Mar 1 ...`, `123: Mar 1 ...`, `fw.local Mar 1
/// ...`). Returns the hostname, if any, and the text from the timestamp on (clock marker
/// included); `None` unless a timestamp follows (or, with `need_host`, unless `s` starts with a
/// hostname: every record without a leading timestamp asks, FortiGate's `date=...` too).
fn ios_origin<'a>(
    s: &'a str,
    need_host: bool,
    ctx: &ParseContext,
) -> Option<(Option<&'a str>, &'a str)> {
    // A name or an address; with a `:` only an IPv6 address (`10:00:00` is a clock).
    let is_host = |h: &str| {
        !h.is_empty()
            && !h.bytes().all(|c| c.is_ascii_digit())
            && if h.contains(':') {
                h.parse::<std::net::Ipv6Addr>().is_ok()
            } else {
                h.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
            }
    };
    let stamped = |after: &'a str| {
        let after = after.trim_start_matches(' ');
        timestamp(after.trim_start_matches(['*', '.']), ctx).map(|_| after)
    };
    let (first, after) = token(s);
    let mut host = None;
    let mut rest = s;
    let bare = first.strip_suffix(':').unwrap_or(first);
    if is_host(bare) {
        host = Some(bare);
        rest = after;
    } else if need_host {
        return None;
    }
    if let Some(after) = stamped(rest) {
        return host.map(|h| (Some(h), after));
    }
    // A second sequence number (the device's own, behind a relay's).
    let (_, after) = cisco_sequence(rest.trim_start_matches(' '))?;
    stamped(after).map(|after| (host, after))
}

/// Kiwi Syslog Server's tab-separated columns after its timestamp: `<TAB>Facility.Level<TAB>host
/// <TAB>message`. Reads the rest of the record (facility, severity, host, tag, message) and
/// says whether it was that layout.
#[cold]
#[inline(never)]
fn kiwi_columns<'a>(s: &'a str, ev: &mut Event<'a>) -> bool {
    let mut columns = s[1..].splitn(3, '\t');
    let (Some(level), Some(host), Some(message)) = (columns.next(), columns.next(), columns.next())
    else {
        return false;
    };
    let Some(level) = facility_level(level) else {
        return false;
    };
    if !host.is_empty() {
        ev.host = Some(Cow::Borrowed(host));
    }
    relayed_tail(level, message.trim_start_matches(' '), ev);
    true
}

/// What follows a relay's facility, level and host: the tag and the message.
fn relayed_tail<'a>(level: (u8, u8), s: &'a str, ev: &mut Event<'a>) {
    set_level(level, ev);
    let rest = tag_and_pid(s, TagRule::WordAfterHeader, ev);
    if !rest.is_empty() {
        ev.message = Some(Cow::Borrowed(rest));
    }
}

/// Facility and severity from a relay's words, unless the PRI gave them.
fn set_level(level: (u8, u8), ev: &mut Event<'_>) {
    ev.facility.get_or_insert(level.0);
    ev.severity.get_or_insert(level.1);
}

/// `host user.info kernel: ...`: some relays (and UniFi gateways) write the facility and level
/// between the hostname and the tag. Read into facility and severity and skipped; anything else
/// is returned as it is. Every record asks: refused unless a `.` follows a facility name's
/// length (3 to 8 letters).
#[inline]
fn facility_level_word<'a>(s: &'a str, ev: &mut Event<'a>) -> &'a str {
    let b = s.as_bytes();
    if !(3..=8).any(|i| b.get(i) == Some(&b'.')) {
        return s;
    }
    after_facility_level(s, ev)
}

#[cold]
#[inline(never)]
fn after_facility_level<'a>(s: &'a str, ev: &mut Event<'a>) -> &'a str {
    let (word, after) = token(s);
    match facility_level(word) {
        Some(level) if !after.is_empty() => {
            set_level(level, ev);
            after.trim_start_matches(' ')
        }
        _ => s,
    }
}

/// `LOCAL4.WARNING: host tag: message`: a relay's facility and level, then the host. Reads the
/// rest of the record and says whether it had that shape. Every record without a timestamp
/// asks: refused unless the first word ends in `:`.
fn level_prefix<'a>(s: &'a str, ev: &mut Event<'a>) -> bool {
    // Bounded scans: a facility name is at most 8 letters, a level at most 13.
    let b = s.as_bytes();
    let Some(dot) = b.iter().take(9).position(|&c| c == b'.') else {
        return false;
    };
    let Some(colon) = b[dot..].iter().take(15).position(|&c| c == b':') else {
        return false;
    };
    let end = dot + colon;
    match facility_level(&s[..end]) {
        Some(level) => {
            relayed_with_level(level, s[end + 1..].trim_start_matches(' '), ev);
            true
        }
        None => false,
    }
}

#[cold]
#[inline(never)]
fn relayed_with_level<'a>(level: (u8, u8), s: &'a str, ev: &mut Event<'a>) {
    let rest = hostname(s, ev);
    relayed_tail(level, rest, ev);
}

/// `Local4.Warning`, `AUTH.INFO`, `daemon.err`: a facility and a level by name, as relays
/// write them.
fn facility_level(word: &str) -> Option<(u8, u8)> {
    const FACILITIES: [&str; 24] = [
        "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron",
        "authpriv", "ftp", "ntp", "security", "console", "clock", "local0", "local1", "local2",
        "local3", "local4", "local5", "local6", "local7",
    ];
    const LEVELS: [(&str, u8); 13] = [
        ("emerg", 0),
        ("emergency", 0),
        ("alert", 1),
        ("crit", 2),
        ("critical", 2),
        ("err", 3),
        ("error", 3),
        ("warning", 4),
        ("warn", 4),
        ("notice", 5),
        ("info", 6),
        ("informational", 6),
        ("debug", 7),
    ];
    let (facility, level) = word.split_once('.')?;
    let facility = FACILITIES
        .iter()
        .position(|f| f.eq_ignore_ascii_case(facility))
        .and_then(|n| u8::try_from(n).ok())?;
    let severity = LEVELS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(level))
        .map(|(_, n)| *n)?;
    Some((facility, severity))
}

/// Whether one of the `[...]` blocks leading `s` holds a `=`, as a structured-data element with
/// parameters does (quick, before the full parse: kernel lines start with `[uptime]`).
fn has_param(s: &str) -> bool {
    let mut b = s.trim_start().as_bytes();
    while b.first() == Some(&b'[') {
        let end = b.iter().position(|&c| c == b']').unwrap_or(b.len());
        if b[..end].contains(&b'=') {
            return true;
        }
        b = b.get(end + 1..).unwrap_or_default();
    }
    false
}

/// How willing [`tag_and_pid`] is to read the next word as the tag.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TagRule {
    /// After timestamp and hostname: any plain word is the tag, as rsyslog, syslog-ng and
    /// Vector read it (`-- MARK --` has the tag `--`).
    WordAfterHeader,
    /// `app:` or `app[pid]:` (after a PRI but no timestamp).
    Colon,
    /// Only `app[pid]:` (a headerless line, where `error:` is text, not a tag).
    PidOnly,
}

/// `NNN: ` at the front, when followed by something that is not a time (`12:30:00` is a time).
fn cisco_sequence(s: &str) -> Option<(&str, &str)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (seq, rest) = (s.get(..digits).filter(|d| !d.is_empty())?, &s[digits..]);
    let rest = rest.strip_prefix(": ")?;
    Some((seq, rest.trim_start_matches(' ')))
}

/// Reads a timestamp at the front; returns micros UTC and the rest (after an optional `:`).
fn timestamp<'a>(s: &'a str, ctx: &ParseContext) -> Option<(i64, &'a str)> {
    let b = s.as_bytes();
    if b.len() >= 19 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
        let (ts, used) = parse_iso8601(s, ctx.zone)?;
        let rest = &s[used..];
        return Some((ts, rest.strip_prefix(':').unwrap_or(rest)));
    }
    if b.len() >= 19 && b[4] == b':' {
        return utm_stamp(s, ctx);
    }
    // Cisco NX-OS writes the year first: `2017 Mar  6 12:53:10 UTC:`.
    let (s, leading_year) = match (b.get(..4), b.get(4)) {
        (Some(y), Some(b' ')) if y.iter().all(u8::is_ascii_digit) => {
            (&s[5..], s[..4].parse::<i32>().ok())
        }
        _ => (s, None),
    };
    let (rest, (month, day, year, (h, m, sec, micros))) = match common_stamp(s) {
        Some(parsed) => parsed,
        None => bsd_stamp(s).ok()?,
    };
    let (rest, zone) = zone_name(rest, ctx.zone);
    let year = match leading_year.or(year) {
        Some(y) => y,
        None => infer_year(month, day, ctx.year, ctx.received_at, zone)?,
    };
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    Some((
        zone.civil_to_utc_micros(year, month, day, h, m, sec, micros)?,
        rest,
    ))
}

/// Sophos UTM (Astaro) writes local time as `2026:11:28-10:00:00`.
fn utm_stamp<'a>(s: &'a str, ctx: &ParseContext) -> Option<(i64, &'a str)> {
    let b = s.as_bytes();
    if b.get(7) != Some(&b':')
        || b.get(10) != Some(&b'-')
        || b.get(13) != Some(&b':')
        || b.get(16) != Some(&b':')
    {
        return None;
    }
    let year = i32::try_from(digits(b, 0, 4)?).ok()?;
    let (month, day) = (digits(b, 5, 2)?, digits(b, 8, 2)?);
    let (h, m, sec) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let ts = ctx
        .zone
        .civil_to_utc_micros(year, month, day, h, m, sec.min(59), 0)?;
    Some((ts, &s[19..]))
}

type Clock = (u32, u32, u32, u32);

/// Month, day, the year if written, and the clock.
type Stamp = (u32, u32, Option<i32>, Clock);

/// The shapes nearly every sender writes, `Mmm dd hh:mm:ss` and `Mmm dd yyyy hh:mm:ss` (day
/// padded with a space or a zero) with no fraction, read by position; anything else is left to
/// [`bsd_stamp`]. This runs for every record, and the general parser costs several times as much.
fn common_stamp(s: &str) -> Option<(&str, Stamp)> {
    let b = s.as_bytes();
    let digit = |i: usize| digits(b, i, 1);
    if b.get(3) != Some(&b' ') || b.get(6) != Some(&b' ') {
        return None;
    }
    let month = month_from_abbrev(&b[..3])?;
    let day_tens = if b[4] == b' ' { 0 } else { digit(4)? };
    let day = day_tens * 10 + digit(5)?;
    let (year, at) = if b.get(11) == Some(&b' ') {
        let y = digits(b, 7, 4)?;
        (i32::try_from(y).ok(), 12)
    } else {
        (None, 7)
    };
    if b.get(at + 2) != Some(&b':') || b.get(at + 5) != Some(&b':') || b.get(at + 8) == Some(&b'.')
    {
        return None;
    }
    let pair = |i: usize| digits(b, i, 2);
    let (h, m, sec) = (pair(at)?, pair(at + 3)?, pair(at + 6)?);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let (rest, year) = match year {
        Some(y) => (&s[at + 8..], Some(y)),
        None => trailing_year(&s[at + 8..]),
    };
    Some((rest, (month, day, year, (h, m, sec.min(59), 0))))
}

/// `Mmm dd [yyyy] hh:mm:ss[.fff]`, day padded with a space or a zero, or a trailing year.
fn bsd_stamp(s: &str) -> IResult<&str, Stamp> {
    let (s, month) = month(s)?;
    let (s, _) = space1(s)?;
    let (s, day) = number(1, 2).parse(s)?;
    let (s, _) = space1(s)?;
    let (s, year) = opt((number(4, 4), space1)).parse(s)?;
    let (s, clock) = clock(s)?;
    let (s, year) = match year {
        Some((y, _)) => (s, i32::try_from(y).ok()),
        None => trailing_year(s),
    };
    if !(1..=31).contains(&day) {
        return Err(nom::Err::Error(nom::error::Error::new(
            s,
            nom::error::ErrorKind::Verify,
        )));
    }
    Ok((s, (month, day, year, clock)))
}

/// Some devices put the year after the time: `Mar  1 10:00:00 2024 host ...`.
fn trailing_year(s: &str) -> (&str, Option<i32>) {
    let b = s.as_bytes();
    if b.len() > 5 && b[0] == b' ' && b[1..5].iter().all(u8::is_ascii_digit) && b[5] == b' ' {
        let year = b[1..5]
            .iter()
            .fold(0i32, |acc, c| acc * 10 + i32::from(c - b'0'));
        if (1990..=2100).contains(&year) {
            return (&s[5..], Some(year));
        }
    }
    (s, None)
}

fn clock(s: &str) -> IResult<&str, Clock> {
    let (s, (h, _, m, _, sec)) = (
        number(1, 2),
        char(':'),
        number(2, 2),
        char(':'),
        number(2, 2),
    )
        .parse(s)?;
    let (s, frac) = opt((
        char('.'),
        take_while_m_n(1, 9, |c: char| c.is_ascii_digit()),
    ))
    .parse(s)?;
    let micros = frac.map_or(0, |(_, f): (char, &str)| {
        let mut v = 0u32;
        for (i, c) in f.bytes().take(6).enumerate() {
            v += u32::from(c - b'0') * 10u32.pow(5 - i as u32);
        }
        v
    });
    if h > 23 || m > 59 || sec > 60 {
        return Err(nom::Err::Error(nom::error::Error::new(
            s,
            nom::error::ErrorKind::Verify,
        )));
    }
    Ok((s, (h, m, sec.min(59), micros)))
}

/// `min` to `max` ASCII digits as a number (written by hand: this runs for every record).
fn number<'a>(
    min: usize,
    max: usize,
) -> impl Parser<&'a str, Output = u32, Error = nom::error::Error<&'a str>> {
    move |s: &'a str| {
        let digits = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
        if digits < min {
            return Err(nom::Err::Error(nom::error::Error::new(
                s,
                nom::error::ErrorKind::Digit,
            )));
        }
        let value = s.as_bytes()[..digits]
            .iter()
            .fold(0u32, |acc, c| acc * 10 + u32::from(c - b'0'));
        Ok((&s[digits..], value))
    }
}

/// A three-letter English month abbreviation, any case.
fn month(s: &str) -> IResult<&str, u32> {
    match s.get(..3).and_then(|m| month_from_abbrev(m.as_bytes())) {
        Some(m) => Ok((&s[3..], m)),
        None => Err(nom::Err::Error(nom::error::Error::new(
            s,
            nom::error::ErrorKind::Tag,
        ))),
    }
}

/// An optional zone after the time: ` UTC`, ` GMT`, ` ICT` (Indochina Time), or ` +07:00`.
fn zone_name(s: &str, default: Zone) -> (&str, Zone) {
    let Some(after_space) = s.strip_prefix(' ') else {
        return attached_offset(s).unwrap_or((s, default));
    };
    // Most records have a hostname here: reject by the first byte before anything else, or
    // for an abbreviation (`CET:`), by three capitals and its end.
    let b = after_space.as_bytes();
    let abbreviation = b.len() > 3
        && b[..3].iter().all(u8::is_ascii_uppercase)
        && (matches!(b[3], b':' | b' ')
            || (b[3].is_ascii_uppercase() && matches!(b.get(4), Some(b':' | b' '))));
    if !abbreviation && !after_space.starts_with(['U', 'u', 'G', 'g', 'Z', 'z', 'I', 'i', '+', '-'])
    {
        return (s, default);
    }
    let (tok, _) = token(after_space);
    let word = tok.strip_suffix(':').unwrap_or(tok);
    let is = |name: &str| word.eq_ignore_ascii_case(name);
    let zone = if is("UTC") || is("GMT") || is("Z") {
        Some(Zone::Utc)
    } else if is("ICT") {
        // Indochina Time, UTC+7: Vietnam, Laos, Cambodia, Thailand.
        chrono::FixedOffset::east_opt(7 * 3600).map(Zone::Fixed)
    } else if word.starts_with(['+', '-']) {
        crate::time::parse_offset(word).map(Zone::Fixed)
    } else {
        abbreviated_offset(word)
            .and_then(|hours| chrono::FixedOffset::east_opt(hours * 3600).map(Zone::Fixed))
    };
    // The `:` that may follow the zone is left for the caller to strip.
    match zone {
        Some(z) => (&s[1 + word.len()..], z),
        None => (s, default),
    }
}

/// Huawei VRP writes the offset against the clock, and ` DST` after it in summer:
/// `Mar 26 2022 17:06:48+03:00 DST host ...`.
#[cold]
fn attached_offset(s: &str) -> Option<(&str, Zone)> {
    if !s.starts_with(['+', '-']) {
        return None;
    }
    let (tok, _) = token(s);
    let word = tok.strip_suffix(':').unwrap_or(tok);
    let zone = crate::time::parse_offset(word).map(Zone::Fixed)?;
    let rest = &s[word.len()..];
    Some((rest.strip_prefix(" DST").unwrap_or(rest), zone))
}

/// UTC offsets, in hours, of the zone abbreviations network devices print after their clock
/// (`clock timezone CET 1`). Ambiguous ones (`CST`: China or US Central, `IST`) are not read.
fn abbreviated_offset(word: &str) -> Option<i32> {
    Some(match word {
        "WET" => 0,
        "CET" | "WEST" | "BST" => 1,
        "CEST" | "EET" => 2,
        "EEST" | "MSK" => 3,
        "SGT" | "HKT" | "AWST" | "PHT" => 8,
        "JST" | "KST" => 9,
        "AEST" => 10,
        "AEDT" => 11,
        "EST" => -5,
        "EDT" => -4,
        "MST" => -7,
        "MDT" => -6,
        "PST" => -8,
        "PDT" => -7,
        _ => return None,
    })
}

/// Takes a hostname token unless the token is already the tag. A lone last word is the program
/// (as syslog-ng and rsyslog read `Jan 10 01:00:00 prg0`); an IPv6 address ending in `::` is a host.
fn hostname<'a>(s: &'a str, ev: &mut Event<'a>) -> &'a str {
    let (tok, rest) = token(s);
    let could_be_ip = |t: &str| {
        t.bytes()
            .all(|c| c.is_ascii_hexdigit() || c == b':' || c == b'.')
    };
    let is_tag_not_ip =
        || is_tag(tok) && !(could_be_ip(tok) && tok.parse::<std::net::IpAddr>().is_ok());
    // A sender without a hostname (OSSEC, some appliances) puts a self-describing payload right
    // after the time: `CEF:0|Trend Micro ...` is no host.
    // So is a CSV record (PAN-OS `1,2021/03/24 11:30:00,...`): no hostname has a comma.
    let starts_payload = || {
        tok.starts_with("CEF:")
            || tok.starts_with("LEEF:")
            || (tok.as_bytes()[0].is_ascii_digit() && tok.contains(','))
    };
    if tok.is_empty()
        || crate::payload::trim(rest).is_empty()
        || is_tag_not_ip()
        || starts_payload()
        || spaced_pid(rest).is_some()
    {
        return s;
    }
    ev.host = Some(Cow::Borrowed(tok));
    rest.trim_start_matches(' ')
}

/// `[1234]: message` after a tag: Python's logging writes the pid apart from the name
/// (`fail2ban.actions [1234]: NOTICE ...`). The pid and the message.
fn spaced_pid(s: &str) -> Option<(&str, &str)> {
    // Asked after every hostname candidate: the first byte decides for nearly all records.
    let b = s.as_bytes();
    if b.first() != Some(&b'[') {
        return None;
    }
    // Digits, then `]: `, read in place (a kernel's `[12345.678]` stops at the dot).
    let digits = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 10 {
        return None;
    }
    let message = s.get(1 + digits..)?.strip_prefix("]: ")?;
    Some((&s[1..1 + digits], message))
}

/// `app:`, `app[pid]:`, `app[pid]`: a token that can only be a tag.
fn is_tag(tok: &str) -> bool {
    tok.ends_with(':') || (tok.contains('[') && tok.contains(']'))
}

/// Splits `app[pid]:` off the front. Returns the message.
// Kept inline in `parse`: left to itself the compiler outlined it (+30 instructions a record).
#[inline(always)]
fn tag_and_pid<'a>(s: &'a str, rule: TagRule, ev: &mut Event<'a>) -> &'a str {
    let (tok, rest) = token(s);
    if tok.is_empty() || tok.len() > 128 {
        return s;
    }
    if rule == TagRule::WordAfterHeader
        && let Some((pid, message)) = spaced_pid(rest)
        && !tok.contains(['[', ':', '='])
    {
        ev.app = Some(Cow::Borrowed(tok));
        ev.pid = Some(Cow::Borrowed(pid));
        return message;
    }
    let has_pid = tok.contains('[') && (tok.ends_with(']') || tok.ends_with("]:"));
    let accepted = match rule {
        TagRule::PidOnly => has_pid && tok.ends_with(':'),
        TagRule::Colon => has_pid || tok.ends_with(':'),
        TagRule::WordAfterHeader => {
            has_pid
                || tok.ends_with(':')
                || (tok.len() <= 48 && !tok.contains(['=', '"', '[', ']']))
        }
    };
    if !accepted {
        return s;
    }
    let name = tok.strip_suffix(':').unwrap_or(tok);
    let (app, pid) = match (name.find('['), name.ends_with(']')) {
        (Some(open), true) => (&name[..open], Some(&name[open + 1..name.len() - 1])),
        _ => (name, None),
    };
    if app.is_empty() {
        return s;
    }
    ev.app = Some(Cow::Borrowed(app));
    if let Some(pid) = pid.filter(|p| !p.is_empty()) {
        ev.pid = Some(Cow::Borrowed(pid));
    }
    // `scsi0 : LSI Logic ...`: the tag's colon written apart.
    if !tok.ends_with(':')
        && let Some(after) = rest.strip_prefix(": ")
    {
        return after;
    }
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn at(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s)
            .map(|t| t.timestamp_micros())
            .unwrap_or(i64::MIN)
    }

    fn parse_at<'a>(s: &'a str, received: &str) -> Event<'a> {
        let mut ev = Event::default();
        crate::parse_record(s, &ParseContext::new(at(received)), &mut ev);
        ev
    }

    #[test]
    fn classic_line() {
        let ev = parse_at(
            "<34>Oct 11 22:14:15 mymachine su[42]: 'su root' failed for lonvick on /dev/pts/8",
            "2025-10-12T00:00:00Z",
        );
        assert_eq!(ev.ts, Some(at("2025-10-11T22:14:15Z")));
        assert_eq!(ev.host.as_deref(), Some("mymachine"));
        assert_eq!(ev.app.as_deref(), Some("su"));
        assert_eq!(ev.pid.as_deref(), Some("42"));
        assert_eq!(
            ev.message.as_deref(),
            Some("'su root' failed for lonvick on /dev/pts/8")
        );
    }

    #[test]
    fn a_weekday_before_the_stamp_is_not_a_host() {
        let ev = parse_at(
            "Sun May 28 15:50:36 2006 host1 sshd[1]: x",
            "2026-01-01T00:00:00Z",
        );
        assert_eq!(ev.ts, Some(at("2006-05-28T15:50:36Z")));
        assert_eq!(ev.host.as_deref(), Some("host1"));
        assert_eq!(ev.app.as_deref(), Some("sshd"));
        let ev = parse_at(
            "Wed Jul 27 18:32:27 2016 [pid 2] CONNECT: Client \"10.11.12.13\"",
            "2026-01-01T00:00:00Z",
        );
        assert_eq!(ev.ts, Some(at("2016-07-27T18:32:27Z")));
        assert_eq!((ev.host, ev.app.as_deref()), (None, Some("vsftpd")));
    }

    #[test]
    fn a_colon_between_pri_and_time() {
        let ev = parse_at(
            "<166>:Nov 28 10:00:00 ICT: %ASA-4-722037: Group <G> User <an> IP <203.0.113.50> SVC closing connection: Transport closing.",
            "2026-11-28T03:00:00Z",
        );
        assert_eq!(ev.host, None);
        assert_eq!(ev.app.as_deref(), Some("%ASA-4-722037"));
        assert!(ev.ts.is_some());
    }

    #[test]
    fn a_colon_apart_from_the_tag() {
        let ev = parse_at(
            "Nov  9 12:10:43 tbird-admin1 scsi0 : LSI Logic MegaRAID driver",
            "2025-11-10T00:00:00Z",
        );
        assert_eq!(ev.app.as_deref(), Some("scsi0"));
        assert_eq!(ev.message.as_deref(), Some("LSI Logic MegaRAID driver"));
        // With the colon on the tag, a second one is the message's own.
        let ev = parse_at("Nov  9 12:10:43 h app: : x", "2025-11-10T00:00:00Z");
        assert_eq!(ev.message.as_deref(), Some(": x"));
    }

    #[test]
    fn no_pri_no_host() {
        let ev = parse_at("Feb  5 17:32:18 sshd[1]: hello", "2025-02-06T00:00:00Z");
        assert_eq!(ev.facility, None);
        assert_eq!(ev.host, None);
        assert_eq!(ev.app.as_deref(), Some("sshd"));
        assert_eq!(ev.message.as_deref(), Some("hello"));
    }

    #[test]
    fn facility_and_level_between_host_and_tag() {
        let ev = parse_at(
            "May  5 20:46:45 My-Office-Gateway user.info kernel: [WAN_LOCAL-default-D]IN=eth0 OUT= MAC=90:10:20:76:8d:20:90:10:24:67:f4:89:08:00 SRC=198.51.100.7 DST=192.168.2.25 LEN=52 TOS=0x00 PREC=0x00 TTL=63 ID=0 DF PROTO=TCP SPT=50093 DPT=22 WINDOW=2853 RES=0x00 SYN URGP=0",
            "2026-05-06T00:00:00Z",
        );
        assert_eq!(ev.host.as_deref(), Some("My-Office-Gateway"));
        assert_eq!(ev.app.as_deref(), Some("kernel"));
        assert_eq!((ev.facility, ev.severity), (Some(1), Some(6)));
        assert_eq!(ev.rule_name.as_deref(), Some("WAN_LOCAL"));
        assert_eq!(ev.action.as_deref(), Some("drop"));
        // A tag with a dot is still a tag.
        let ev = parse_at(
            "May  5 20:46:45 web01 fail2ban.actions[1234]: NOTICE [sshd] Ban 203.0.113.9",
            "2026-05-06T00:00:00Z",
        );
        assert_eq!(ev.app.as_deref(), Some("fail2ban.actions"));
    }

    #[test]
    fn kiwi_columns_and_a_facility_level_prefix() {
        let ev = parse_at(
            "2026-11-28 10:00:00\tLocal4.Warning\t10.0.0.1\t%ASA-4-106023: Deny tcp src outside:198.51.100.7/4444 dst inside:10.1.1.5/22 by access-group \"out\" [0x0, 0x0]",
            "2026-11-28T12:00:00Z",
        );
        assert_eq!(ev.host.as_deref(), Some("10.0.0.1"));
        assert_eq!((ev.facility, ev.severity), (Some(20), Some(4)));
        assert_eq!(ev.source_type, crate::SourceType::CiscoAsa);
        assert_eq!(ev.src_ip.as_deref(), Some("198.51.100.7"));
        let ev = parse_at(
            "2026-11-28 10:00:00\tAuth.Info\tweb01\tsshd[123]: Accepted password for an from 10.0.0.9 port 5555 ssh2",
            "2026-11-28T12:00:00Z",
        );
        assert_eq!(ev.host.as_deref(), Some("web01"));
        assert_eq!(ev.app.as_deref(), Some("sshd"));
        assert_eq!(ev.user.as_deref(), Some("an"));
        let ev = parse_at(
            "LOCAL4.WARNING: fw-1 %ASA-4-106023: Deny udp src outside:10.8.1.9/54864 dst inside:172.16.1.3/53 by access-group \"outside_acl\" [0x0, 0x0]",
            "2026-11-28T12:00:00Z",
        );
        assert_eq!(ev.host.as_deref(), Some("fw-1"));
        assert_eq!(ev.severity, Some(4));
        assert_eq!(ev.dst_port, Some(53));
    }

    #[test]
    fn an_offset_against_the_clock_and_summer_time() {
        let ev = parse_at(
            "<188>Mar 26 2026 17:06:48+03:00 DST fw-hn-01 %%01SSH/4/SSHS_IP_BLOCK_CLIENT(s):text",
            "2026-03-27T00:00:00Z",
        );
        assert_eq!(ev.ts, Some(at("2026-03-26T14:06:48Z")));
        assert_eq!(ev.host.as_deref(), Some("fw-hn-01"));
        let ev = parse_at(
            "<188>Nov 26 2026 10:00:00+07:00 fw-hn-01 app: x",
            "2026-11-27T00:00:00Z",
        );
        assert_eq!(ev.ts, Some(at("2026-11-26T03:00:00Z")));
        assert_eq!(ev.host.as_deref(), Some("fw-hn-01"));
    }

    #[test]
    fn cisco_origin_hostname_without_sequence_and_zone_abbreviations() {
        let ev = parse_at(
            "<189>sw-core-01: Mar 6 2025 08:04:45.866 CET: %LINEPROTO-5-UPDOWN: Line protocol on Interface Gi1/0/13, changed state to down",
            "2025-03-07T00:00:00Z",
        );
        assert_eq!(ev.host.as_deref(), Some("sw-core-01"));
        assert_eq!(ev.ts, Some(at("2025-03-06T07:04:45.866Z")));
        assert_eq!(ev.app.as_deref(), Some("%LINEPROTO-5-UPDOWN"));
        let ev = parse_at(
            "<189>52: sw1: *Mar  6 08:04:45.866 CEST: %SYS-5-CONFIG_I: x",
            "2025-03-07T00:00:00Z",
        );
        assert_eq!(ev.host.as_deref(), Some("sw1"));
        assert_eq!(ev.ts, Some(at("2025-03-06T06:04:45.866Z")));
        // An upper-case hostname is not a zone.
        let ev = parse_at(
            "<13>Mar  6 08:04:45 HOST app: hello",
            "2025-03-07T00:00:00Z",
        );
        assert_eq!(ev.host.as_deref(), Some("HOST"));
        assert_eq!(ev.ts, Some(at("2025-03-06T08:04:45Z")));
        // A tag followed by text that is no timestamp stays a tag.
        let ev = parse_at("<13>app: Mar 6 is when it broke", "2025-03-07T00:00:00Z");
        assert_eq!(ev.host, None);
        assert_eq!(ev.app.as_deref(), Some("app"));
    }

    #[test]
    fn cisco_sequence_marker_fraction_and_zone() {
        let ev = parse_at(
            "<189>4711: *Mar  1 18:46:11.123 UTC: %SYS-5-CONFIG_I: Configured from console by vty0",
            "2025-03-02T00:00:00Z",
        );
        assert_eq!(ev.get_field("sequence"), Some("4711"));
        assert_eq!(ev.get_field("clock_unsynced"), Some("true"));
        assert_eq!(ev.ts, Some(at("2025-03-01T18:46:11.123Z")));
        assert_eq!(ev.host, None);
        assert_eq!(ev.app.as_deref(), Some("%SYS-5-CONFIG_I"));
        assert_eq!(
            ev.message.as_deref(),
            Some("Configured from console by vty0")
        );
    }

    #[test]
    fn year_in_header_and_iso() {
        let ev = parse_at(
            "<13>Mar 15 2019 10:00:00 fw01 app: x",
            "2025-01-01T00:00:00Z",
        );
        assert_eq!(ev.ts, Some(at("2019-03-15T10:00:00Z")));
        assert_eq!(ev.host.as_deref(), Some("fw01"));
        let ev = parse_at(
            "<13>2019-03-15T10:00:00+07:00 fw01 app[7]: x",
            "2025-01-01T00:00:00Z",
        );
        assert_eq!(ev.ts, Some(at("2019-03-15T03:00:00Z")));
        assert_eq!(ev.pid.as_deref(), Some("7"));
    }

    #[test]
    fn a_pid_written_apart_from_the_tag() {
        // fail2ban's own log file (Python's logging format): no host, the pid after a space.
        let ev = parse_at(
            "2026-11-28 10:00:00,123 fail2ban.actions [1234]: NOTICE [sshd] Ban 203.0.113.9",
            "2026-11-28T10:00:05Z",
        );
        assert_eq!(ev.host, None);
        assert_eq!(ev.app.as_deref(), Some("fail2ban.actions"));
        assert_eq!(ev.pid.as_deref(), Some("1234"));
        assert_eq!(ev.src_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.ts, Some(at("2026-11-28T10:00:00.123Z")));
        // With a host in front the same.
        let ev = parse_at(
            "<38>Nov 28 10:00:00 web01 fail2ban.actions [1234]: NOTICE [sshd] Ban 203.0.113.9",
            "2026-11-28T10:00:05Z",
        );
        assert_eq!(ev.host.as_deref(), Some("web01"));
        assert_eq!(ev.app.as_deref(), Some("fail2ban.actions"));
        // A bracket that is no pid stays message text.
        let ev = parse_at(
            "<38>Nov 28 10:00:00 web01 app: [x]: y",
            "2026-11-28T10:00:05Z",
        );
        assert_eq!(ev.app.as_deref(), Some("app"));
        assert_eq!(ev.message.as_deref(), Some("[x]: y"));
    }

    #[test]
    fn sophos_utm_stamp() {
        let ev = parse_at(
            r#"<30>2026:11:28-10:00:00 utm01 ulogd[1234]: id="2001" severity="info" sys="SecureNet" sub="packetfilter" name="Packet dropped" action="drop" fwrule="60001" initf="eth0" srcip="203.0.113.9" dstip="10.1.1.5" proto="6" srcport="4444" dstport="22""#,
            "2026-11-28T10:00:05Z",
        );
        assert_eq!(ev.ts, Some(at("2026-11-28T10:00:00Z")));
        assert_eq!(ev.host.as_deref(), Some("utm01"));
        assert_eq!(ev.app.as_deref(), Some("ulogd"));
        assert_eq!(ev.source_type, crate::SourceType::Sophos);
        assert_eq!(ev.action.as_deref(), Some("drop"));
        assert_eq!(ev.dst_port, Some(22));
        // Not a stamp: a month 13, or a message that only starts with digits and a colon.
        let ev = parse_at("<30>2026:13:28-10:00:00 utm01 x: y", "2026-11-28T10:00:05Z");
        assert_eq!(ev.ts, Some(at("2026-11-28T10:00:05Z")));
        let ev = parse_at("<30>1234: 10:00:00 hello", "2026-11-28T10:00:05Z");
        assert_eq!(ev.get_field("sequence"), Some("1234"));
    }

    #[test]
    fn positional_stamps_agree_with_the_general_parser() {
        for s in [
            "Nov  2 00:00:00 host",
            "Nov 02 00:00:00 host",
            "nov 25 23:59:60 host",
            "Mar 15 2019 10:00:00 fw01",
            "Mar  1 10:00:00 2024 host",
            "Dec 31 23:59:59",
        ] {
            let fast = common_stamp(s);
            assert!(fast.is_some(), "{s}");
            assert_eq!(fast, bsd_stamp(s).ok(), "{s}");
        }
        // Shapes the positional reader leaves to the general one.
        for s in [
            "Mar  1 18:46:11.123 UTC",
            "Mar 1 10:00:00 host",
            "Nov 32 00:00:00 host",
            "Nov  2 24:00:00 host",
            "Nov  2 0:00:00 host",
            "Xyz  2 00:00:00 host",
            "Nov  2",
        ] {
            assert_eq!(common_stamp(s), None, "{s}");
        }
    }

    #[test]
    fn december_record_received_in_january() {
        let ev = parse_at("Dec 31 23:59:59 h app: x", "2026-01-01T00:00:03Z");
        assert_eq!(ev.ts, Some(at("2025-12-31T23:59:59Z")));
    }

    #[test]
    fn no_timestamp_uses_receive_time() {
        let ev = parse_at("<13>just some text", "2026-01-01T00:00:03Z");
        assert_eq!(ev.ts, Some(at("2026-01-01T00:00:03Z")));
        assert_eq!(ev.message.as_deref(), Some("just some text"));
    }
}
