//! Parsers for canhgac: bytes in, one normalized Arrow row per record out.
//!
//! This crate is pure and synchronous: no I/O, no threads. It holds
//! - [`framing`]: splitting streams into records (RFC 6587 octet counting or newlines);
//! - [`syslog`]: RFC 5424 and RFC 3164 headers;
//! - [`payload`]: the registry of payload formats ([`linux`], [`firewall`]), one module per format;
//! - [`schema`] and [`builder`]: the event schema and the reusable Arrow batch builder;
//! - [`json`]: JSON objects sent as records, read into flat key/value pairs;
//! - [`jsonl`]: JSON-lines rendering of batches for `canhgac parse`.
//!
//! Invariant: parsing never fails as a whole. Every record becomes exactly one row; what could not
//! be understood is marked `partial` or `failed` with a reason, and `raw` keeps the exact bytes.

pub mod builder;
pub mod context;
mod error;
pub mod event;
pub mod firewall;
pub mod framing;
pub mod json;
pub mod jsonl;
pub mod linux;
pub mod pattern;
pub mod payload;
mod scan;
pub mod schema;
pub mod syslog;
pub mod time;

use std::borrow::Cow;

pub use builder::{BatchBuilder, Origin, ParseStats};
pub use context::ParseContext;
pub use error::{Error, Result};
pub use event::{Event, ParseStatus, SourceType};

use payload::{PayloadParser, REGISTRY, base_app};

/// Parses one record's text into `ev` (which should be empty). Never fails: see the crate docs.
pub fn parse_record<'a>(text: &'a str, ctx: &ParseContext, ev: &mut Event<'a>) {
    let text = text.trim_end_matches(['\n', '\r', '\0']);
    let forced = ctx.source_type;
    let auditd = &linux::auditd::Auditd;

    // Audit records usually arrive without any syslog header.
    if matches!(forced, None | Some(SourceType::Auditd)) && auditd.claims(None, text) {
        ev.message = Some(Cow::Borrowed(text));
        run(auditd, text, ev);
    } else {
        let header = syslog::parse(text, ctx, ev);
        let message: &'a str = match &ev.message {
            Some(Cow::Borrowed(m)) => m,
            _ => "",
        };
        // rsyslog folds repeats into `message repeated 3 times: [ <message>]`: the payload
        // parsers read the message inside, the count is kept (and `message` stays as sent).
        let message = match repeated(message) {
            Some((count, inner)) => {
                ev.field("repeated", count);
                inner
            }
            None => message,
        };
        let tag = match &ev.app {
            Some(Cow::Borrowed(a)) => Some(*a),
            _ => None,
        };
        // After a BSD header the tag may be the payload's own first word (`CEF:0|...`,
        // `%ASA-6-302013:`), so formats that describe themselves read from the tag on.
        let body = match (header, tag.and_then(|a| firewall::offset_in(text, a))) {
            (syslog::Header::Bsd, Some(start)) => &text[start..],
            _ => message,
        };
        let app: Option<&'a str> = match tag {
            // Old PAM tagged its lines `sshd(pam_unix)[123]:`; dispatch them to the PAM parser.
            // (Such a tag ends in `)`: checked first, a substring search on every record costs
            // a few hundred instructions.)
            Some(a) if a.ends_with(')') && a.contains("(pam_") => Some("pam"),
            Some(a) => Some(base_app(a)),
            None => None,
        };
        let input = |p: &dyn PayloadParser| if p.reads_body() { body } else { message };
        let candidates = match forced {
            Some(f) => payload::parsers_of(f),
            None => REGISTRY,
        };
        let claimed = if header == syslog::Header::Rfc5424 && ev.fields.len() > 1 {
            structured_data_owner(ev, forced)
        } else {
            None
        };
        let claimed = claimed.or_else(|| {
            candidates
                .iter()
                .find(|p| p.claims(app, input(**p)))
                .copied()
        });
        match (claimed, forced) {
            (Some(parser), _) => run(parser, input(parser), ev),
            (None, Some(SourceType::Syslog) | None) if header != syslog::Header::None => {
                ev.source_type = SourceType::Syslog
            }
            (None, Some(f)) => {
                ev.source_type = f;
                ev.mark_partial("no payload of the configured source type recognised");
            }
            (None, None) => {
                ev.source_type = SourceType::Unknown;
                ev.status = ParseStatus::Failed;
                ev.error = Some(Cow::Borrowed(
                    "no syslog header or known payload recognised",
                ));
                if ev.message.is_none() && !text.is_empty() {
                    ev.message = Some(Cow::Borrowed(text));
                }
            }
        }
    }
    if ev.ts.is_none() {
        ev.ts = device_time(ev, ctx);
    }
    if ev.ts.is_none() {
        ev.ts = Some(ctx.received_at);
        ev.field("ts_source", "received");
    }
}

/// The parser a vendor's SD-ID in the record's structured data names, if any.
fn structured_data_owner(
    ev: &Event,
    forced: Option<SourceType>,
) -> Option<&'static dyn PayloadParser> {
    // `fields` holds the version (and an unreadable timestamp's text), then the structured
    // data as `SD-ID.param`.
    ev.fields[1..].iter().take(2).find_map(|(key, _)| {
        payload::STRUCTURED_DATA_OWNERS
            .iter()
            .find(|(sd_id, p)| {
                key.as_bytes().first() == sd_id.as_bytes().first()
                    && key.starts_with(sd_id)
                    && forced.is_none_or(|f| p.source_type() == f)
            })
            .map(|(_, p)| *p)
    })
}

/// The count and the message of rsyslog's `message repeated N times: [ message]`.
fn repeated(message: &str) -> Option<(&str, &str)> {
    // Asked of every record: a first-byte test before the prefix comparison.
    if message.as_bytes().first() != Some(&b'm') {
        return None;
    }
    let rest = message.strip_prefix("message repeated ")?;
    let (count, rest) = rest.split_once(" times: [")?;
    let inner = rest.strip_suffix(']')?.trim_start();
    (!count.is_empty() && count.bytes().all(|c| c.is_ascii_digit()) && !inner.is_empty())
        .then_some((count, inner))
}

/// `date=2026-11-26 time=10:00:00` (FortiGate, Sophos and others without a syslog header): the
/// device's own local time, read in the configured zone (or the `tz`/`timezone` offset it gives).
fn device_time(ev: &Event<'_>, ctx: &ParseContext) -> Option<i64> {
    let time = ev.get_field("time")?;
    // Stormshield and SonicWall write the date into `time` (`2026-11-28 10:00:00`, SonicWall
    // with ` UTC` after it).
    let (date, time, utc) = match ev.get_field("date") {
        Some(date) => (date, time, false),
        None => {
            let (date, rest) = time.split_once(' ')?;
            match rest.split_once(' ') {
                None => (date, rest, false),
                Some((clock, "UTC")) => (date, clock, true),
                Some(_) => return None,
            }
        }
    };
    let zone = if utc {
        time::Zone::Utc
    } else {
        ev.get_field("tz")
            .or_else(|| ev.get_field("timezone"))
            .and_then(time::parse_zone_label)
            .map_or(ctx.zone, time::Zone::Fixed)
    };
    // `2026-11-26` and `10:00:00` read by position; other shapes through chrono.
    let (d, t) = (date.as_bytes(), time.as_bytes());
    let at = |b: &[u8], i: usize, n: usize| crate::time::digits(b, i, n);
    if d.len() == 10
        && (d[4], d[7]) == (b'-', b'-')
        && t.len() == 8
        && (t[2], t[5]) == (b':', b':')
        && let (Some(year), Some(month), Some(day), Some(h), Some(mi), Some(sec)) = (
            at(d, 0, 4),
            at(d, 5, 2),
            at(d, 8, 2),
            at(t, 0, 2),
            at(t, 3, 2),
            at(t, 6, 2),
        )
        && let Ok(year) = i32::try_from(year)
        && let Some(ts) = zone.civil_to_utc_micros(year, month, day, h, mi, sec, 0)
    {
        return Some(ts);
    }
    let local =
        chrono::NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M:%S")
            .ok()?;
    Some(zone.to_utc_micros(local))
}

fn run<'a>(parser: &dyn PayloadParser, message: &'a str, ev: &mut Event<'a>) {
    ev.source_type = parser.source_type();
    if let Err(why) = parser.parse(message, ev) {
        ev.mark_partial(why);
    }
}
