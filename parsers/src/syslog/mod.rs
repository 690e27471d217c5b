//! Syslog headers: RFC 5424, RFC 3164 as real devices send it, and the PRI they share.
//!
//! [`parse`] fills the header columns of an [`Event`] and leaves the payload in `message`; the
//! payload parsers ([`crate::linux`] and friends) then look at `app` and `message`. A record with no
//! recognisable header is not an error: its whole text becomes the message.

pub mod rfc3164;
pub mod rfc5424;

use crate::context::ParseContext;
use crate::event::Event;

/// Splits `<PRI>` off the front of a record: `(facility, severity, rest)`.
/// PRI is at most three digits and at most 191; anything else is not a PRI.
pub fn parse_pri(s: &str) -> Option<(u8, u8, &str)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'<') {
        return None;
    }
    // Every record starts here: digits read in one bounded loop.
    let mut pri = 0u16;
    let mut close = 1;
    while close < b.len() && close <= 3 && b[close].is_ascii_digit() {
        pri = pri * 10 + u16::from(b[close] - b'0');
        close += 1;
    }
    if close == 1 || b.get(close) != Some(&b'>') {
        return None;
    }
    let pri = u8::try_from(pri).ok().filter(|p| *p <= 191)?;
    Some((pri >> 3, pri & 7, &s[close + 1..]))
}

/// Which header a record had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// No PRI, timestamp or tag: the whole text is the message.
    None,
    /// An RFC 3164 header, or parts of one.
    Bsd,
    /// An RFC 5424 header.
    Rfc5424,
}

/// Parses a syslog header of either kind into `ev`; what follows the header becomes `message`.
pub fn parse<'a>(text: &'a str, ctx: &ParseContext, ev: &mut Event<'a>) -> Header {
    let (had_pri, rest) = match parse_pri(text) {
        Some((facility, severity, rest)) => {
            ev.facility = Some(facility);
            ev.severity = Some(severity);
            (true, rest)
        }
        None => (false, text),
    };
    if rfc5424::looks_like(rest) {
        rfc5424::parse(rest, ctx, ev);
        Header::Rfc5424
    } else {
        rfc3164::parse(rest, had_pri, ctx, ev);
        if ev.facility.is_some() || ev.ts.is_some() || ev.app.is_some() {
            Header::Bsd
        } else {
            Header::None
        }
    }
}

/// The next space-delimited token and what follows its single delimiting space.
pub(crate) fn token(s: &str) -> (&str, &str) {
    match memchr::memchr(b' ', s.as_bytes()) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pri_bounds() {
        assert_eq!(parse_pri("<34>x"), Some((4, 2, "x")));
        assert_eq!(parse_pri("<0>x"), Some((0, 0, "x")));
        assert_eq!(parse_pri("<191>"), Some((23, 7, "")));
        assert_eq!(parse_pri("<192>x"), None);
        assert_eq!(parse_pri("<>x"), None);
        assert_eq!(parse_pri("<1a>x"), None);
        assert_eq!(parse_pri("<1234>x"), None);
    }
}
