//! RFC 5424: `VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD [SP MSG]`.
//!
//! Strict where it costs nothing and lenient where real senders stray: extra spaces between header
//! fields, spaces around `=` in structured data, unescaped quotes inside SD values. Structured data
//! parameters go to `fields` as `SD-ID.NAME` with escapes resolved. A header that breaks down part way
//! keeps what was read, marks the record `partial` and keeps the rest as the message.

use std::borrow::Cow;

use nom::IResult;

use super::token;
use crate::context::ParseContext;
use crate::event::{Event, Text};
use crate::time::parse_iso8601;

/// The UTF-8 byte order mark that may open MSG.
const BOM: &str = "\u{feff}";

/// Whether a record (after PRI) starts with an RFC 5424 version and a timestamp or NILVALUE.
pub fn looks_like(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    // VERSION is `1` today; `0` is a common sender bug that is otherwise well formed.
    (1..=3).contains(&digits)
        && (b[0] != b'0' || digits == 1)
        && b.get(digits) == Some(&b' ')
        && matches!(b.get(digits + 1), Some(b'-' | b'0'..=b'9'))
}

fn nil(s: &str) -> Option<&str> {
    (s != "-" && !s.is_empty()).then_some(s)
}

/// Parses the record after PRI. Call only when [`looks_like`] holds.
pub fn parse<'a>(s: &'a str, ctx: &ParseContext, ev: &mut Event<'a>) {
    let (version, rest) = token(s);
    ev.field("syslog_version", version);
    let rest = rest.trim_start_matches(' ');
    let (stamp, rest) = token(rest);
    if stamp != "-" {
        match parse_iso8601(stamp, ctx.zone) {
            Some((ts, used)) if used == stamp.len() => ev.ts = Some(ts),
            _ => {
                ev.mark_partial("rfc5424: invalid timestamp");
                ev.field("timestamp_text", stamp);
            }
        }
    }
    let mut rest = rest;
    let mut header = [None; 4];
    for slot in &mut header {
        if rest.is_empty() {
            break;
        }
        let (tok, r) = token(rest.trim_start_matches(' '));
        *slot = nil(tok);
        rest = r;
    }
    let [host, app, pid, msgid] = header;
    ev.host = host.map(Cow::Borrowed);
    ev.app = app.map(Cow::Borrowed);
    ev.pid = pid.map(Cow::Borrowed);
    ev.msgid = msgid.map(Cow::Borrowed);

    let rest = rest.trim_start_matches(' ');
    let msg = if let Some(after) = rest.strip_prefix('-') {
        after
    } else if rest.starts_with('[') {
        match structured_data(rest, ev) {
            Ok(after) => after,
            Err(()) => {
                ev.mark_partial("rfc5424: malformed structured data");
                rest
            }
        }
    } else {
        // No SD at all: a common sender bug; the text is the message.
        if !rest.is_empty() {
            ev.mark_partial("rfc5424: missing structured data");
        }
        rest
    };
    let msg = msg.strip_prefix(' ').unwrap_or(msg);
    let msg = msg.strip_prefix(BOM).unwrap_or(msg);
    if !msg.is_empty() {
        ev.message = Some(Cow::Borrowed(msg));
    }
}

/// Parses `[id k="v" ...][...]` into `fields`; returns what follows.
pub(crate) fn structured_data<'a>(mut s: &'a str, ev: &mut Event<'a>) -> Result<&'a str, ()> {
    while s.starts_with('[') {
        // `[]`: an empty element some senders (and Fluent Bit's tests) write for "no structured
        // data"; nothing to keep, nothing malformed to report.
        if let Some(after) = s.strip_prefix("[]") {
            s = after;
            continue;
        }
        let (rest, id) = sd_id(&s[1..]).map_err(|_| ())?;
        s = rest;
        loop {
            let rest = skip_blanks(s);
            if let Some(after) = rest.strip_prefix(']') {
                s = after;
                break;
            }
            let (rest, (name, value)) = sd_param(rest).map_err(|_| ())?;
            let key = if id.is_empty() {
                Cow::Borrowed(name)
            } else {
                sd_key(id, name)
            };
            ev.fields.push((key, value));
            s = rest;
        }
    }
    Ok(s)
}

/// The `fields` key of a parameter, `ID.NAME`: the parameters of the SD-IDs RFC 5424 registers
/// (which relays add to every record) without an allocation, others joined.
fn sd_key(id: &str, name: &str) -> Text<'static> {
    const REGISTERED: &[(&str, &str, &str)] = &[
        ("origin", "ip", "origin.ip"),
        ("origin", "software", "origin.software"),
        ("origin", "swVersion", "origin.swVersion"),
        ("origin", "enterpriseId", "origin.enterpriseId"),
        ("meta", "sequenceId", "meta.sequenceId"),
        ("meta", "sysUpTime", "meta.sysUpTime"),
        ("meta", "language", "meta.language"),
        ("timeQuality", "tzKnown", "timeQuality.tzKnown"),
        ("timeQuality", "isSynced", "timeQuality.isSynced"),
        ("timeQuality", "syncAccuracy", "timeQuality.syncAccuracy"),
    ];
    match REGISTERED.iter().find(|(i, n, _)| *i == id && *n == name) {
        Some((_, _, key)) => Cow::Borrowed(key),
        None => {
            let mut key = String::with_capacity(id.len() + 1 + name.len());
            key.push_str(id);
            key.push('.');
            key.push_str(name);
            Cow::Owned(key)
        }
    }
}

fn sd_id(s: &str) -> IResult<&str, &str> {
    sd_name(s)
}

/// An SD-ID or PARAM-NAME: one or more bytes up to a space, `]`, `=` or `"` (all ASCII, so a
/// byte scan; no char decoding).
fn sd_name(s: &str) -> IResult<&str, &str> {
    let end = s
        .bytes()
        .position(|c| matches!(c, b' ' | b']' | b'=' | b'"'))
        .unwrap_or(s.len());
    if end == 0 {
        return Err(nom::Err::Error(nom::error::Error::new(
            s,
            nom::error::ErrorKind::TakeWhile1,
        )));
    }
    Ok((&s[end..], &s[..end]))
}

/// `s` after its leading spaces and tabs.
fn skip_blanks(s: &str) -> &str {
    let n = s.bytes().take_while(|&c| c == b' ' || c == b'\t').count();
    &s[n..]
}

/// `name="value"` with `\"`, `\\` and `\]` unescaped; spaces tolerated around `=`. Read by
/// bytes: relays add a parameter block to every record.
fn sd_param(s: &str) -> IResult<&str, (&str, Cow<'_, str>)> {
    fn fail(at: &str) -> nom::Err<nom::error::Error<&str>> {
        nom::Err::Error(nom::error::Error::new(at, nom::error::ErrorKind::Char))
    }
    let (s, name) = sd_name(s)?;
    let s = skip_blanks(s);
    let s = skip_blanks(s.strip_prefix('=').ok_or_else(|| fail(s))?);
    let s = s.strip_prefix('"').ok_or_else(|| fail(s))?;
    let (s, value) = sd_value(s)?;
    let s = s.strip_prefix('"').ok_or_else(|| fail(s))?;
    Ok((s, (name, value)))
}

fn sd_value(s: &str) -> IResult<&str, Cow<'_, str>> {
    let b = s.as_bytes();
    // Fast path: no escapes before the closing quote, so the value is borrowed.
    let plain_len = memchr::memchr2(b'"', b'\\', b).unwrap_or(b.len());
    if b.get(plain_len) != Some(&b'\\') {
        return Ok((&s[plain_len..], Cow::Borrowed(&s[..plain_len])));
    }
    // RFC 5424 6.3.3: only `\"`, `\\` and `\]` are escapes; any other backslash stays as written.
    let mut out = String::with_capacity(plain_len + 16);
    out.push_str(&s[..plain_len]);
    let mut chars = s[plain_len..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((&s[plain_len + i..], Cow::Owned(out))),
            '\\' => match s[plain_len + i + 1..].chars().next() {
                Some(e @ ('"' | '\\' | ']')) => {
                    out.push(e);
                    chars.next();
                }
                _ => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    Err(nom::Err::Error(nom::error::Error::new(
        s,
        nom::error::ErrorKind::Char,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ParseStatus;

    fn parse_str(s: &str) -> Event<'_> {
        let mut ev = Event::default();
        super::super::parse(s, &ParseContext::new(0), &mut ev);
        ev
    }

    #[test]
    fn rfc_example_with_sd_and_bom() {
        let ev = parse_str(
            "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] \u{feff}An application event log entry...",
        );
        assert_eq!(ev.status, ParseStatus::Ok);
        assert_eq!(ev.facility, Some(20));
        assert_eq!(ev.severity, Some(5));
        assert_eq!(ev.host.as_deref(), Some("mymachine.example.com"));
        assert_eq!(ev.app.as_deref(), Some("evntslog"));
        assert_eq!(ev.pid, None);
        assert_eq!(ev.msgid.as_deref(), Some("ID47"));
        assert_eq!(
            ev.get_field("exampleSDID@32473.eventSource"),
            Some("Application")
        );
        assert_eq!(
            ev.message.as_deref(),
            Some("An application event log entry...")
        );
    }

    #[test]
    fn an_empty_element_is_no_structured_data() {
        let ev =
            parse_str("<13>1 1970-01-01T00:00:00.000000+00:00 testhost testuser - - [] Hello!");
        assert_eq!(ev.status, ParseStatus::Ok);
        assert_eq!(ev.message.as_deref(), Some("Hello!"));
        let ev = parse_str("<13>1 2026-11-28T10:00:00Z h app - - [][a@1 k=\"v\"] Hi");
        assert_eq!(ev.get_field("a@1.k"), Some("v"));
        assert_eq!(ev.message.as_deref(), Some("Hi"));
    }

    #[test]
    fn registered_sd_keys_are_not_allocated() {
        assert!(matches!(sd_key("origin", "ip"), Cow::Borrowed("origin.ip")));
        assert!(matches!(
            sd_key("meta", "sequenceId"),
            Cow::Borrowed("meta.sequenceId")
        ));
        let other = sd_key("exampleSDID@32473", "iut");
        assert!(matches!(&other, Cow::Owned(_)));
        assert_eq!(other, "exampleSDID@32473.iut");
        assert_eq!(sd_key("origin", "x"), "origin.x");
    }

    #[test]
    fn sd_escapes_are_resolved() {
        let ev = parse_str(r#"<13>1 - - - - - [a@1 x="q\"uo\\te\]d" y=""] msg"#);
        assert_eq!(ev.get_field("a@1.x"), Some("q\"uo\\te]d"));
        assert_eq!(ev.get_field("a@1.y"), Some(""));
        assert_eq!(ev.message.as_deref(), Some("msg"));
    }

    #[test]
    fn broken_sd_keeps_the_text() {
        let ev = parse_str(r#"<13>1 - host app - - [a x="unterminated] msg"#);
        assert_eq!(ev.status, ParseStatus::Partial);
        assert_eq!(ev.host.as_deref(), Some("host"));
        assert!(
            ev.message
                .as_deref()
                .is_some_and(|m| m.contains("unterminated"))
        );
    }
}
