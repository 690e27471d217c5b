//! JSON objects sent as records (PAN-OS HTTP and Strata/Cortex log forwarding, and other devices
//! that forward JSON instead of text), read with nom into flat key/value pairs.
//!
//! Nested objects become dotted keys (`{"source":{"ip":"..."}}` gives `source.ip`); arrays keep
//! their JSON text; `null` is left out; numbers and booleans stay as written. A string without
//! escapes is borrowed from the record, so the common case copies nothing. Input that is not one
//! JSON object, or nests deeper than [`MAX_DEPTH`], is rejected as a whole (`None`): the caller
//! keeps the record as text.

use std::borrow::Cow;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while1};
use nom::character::complete::{char, multispace0};
use nom::{IResult, Parser};

use crate::event::Text;

/// Deepest nesting read; hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 32;

/// The pairs of one JSON object, in document order.
pub fn object(text: &str) -> Option<Vec<(Text<'_>, Text<'_>)>> {
    let mut pairs = Vec::new();
    let (rest, ()) = members(text.trim_start(), None, 0, &mut pairs).ok()?;
    rest.trim().is_empty().then_some(pairs)
}

/// `{ "key": value, ... }`, each value flattened into `out` under `prefix.key`.
fn members<'a>(
    s: &'a str,
    prefix: Option<&str>,
    depth: usize,
    out: &mut Vec<(Text<'a>, Text<'a>)>,
) -> IResult<&'a str, ()> {
    let (mut s, empty) = open(s, depth, '{', '}')?;
    if empty {
        return Ok((s, ()));
    }
    loop {
        let (rest, (key, _, _, _)) = (string, multispace0, char(':'), multispace0).parse(s)?;
        let key: Text<'a> = match prefix {
            Some(p) => Cow::Owned(format!("{p}.{key}")),
            None => key,
        };
        s = match rest.as_bytes().first() {
            Some(b'{') => members(rest, Some(&key), depth + 1, out)?.0,
            _ => {
                let (rest, value) = scalar_or_array(rest, depth + 1)?;
                if let Some(v) = value {
                    out.push((key, v));
                }
                rest
            }
        };
        let (rest, closed) = separator(s, '}')?;
        s = rest;
        if closed {
            return Ok((s, ()));
        }
    }
}

/// A value that is not an object: its text (`None` for `null`). An array is kept as written.
fn scalar_or_array(s: &str, depth: usize) -> IResult<&str, Option<Text<'_>>> {
    match s.as_bytes().first() {
        Some(b'"') => string(s).map(|(rest, v)| (rest, Some(v))),
        Some(b'[') => {
            let (rest, ()) = skip_array(s, depth)?;
            Ok((rest, Some(Cow::Borrowed(&s[..s.len() - rest.len()]))))
        }
        Some(b'n') => tag("null").map(|_| None).parse(s),
        _ => alt((tag("true"), tag("false"), number))
            .map(|v: &str| Some(Cow::Borrowed(v)))
            .parse(s),
    }
}

/// Steps over any value without keeping it (the elements of an array).
fn skip_value(s: &str, depth: usize) -> IResult<&str, ()> {
    if depth >= MAX_DEPTH {
        return Err(failure(s));
    }
    match s.as_bytes().first() {
        Some(b'{') => members(s, None, depth, &mut Vec::new()),
        _ => scalar_or_array(s, depth).map(|(rest, _)| (rest, ())),
    }
}

fn skip_array(s: &str, depth: usize) -> IResult<&str, ()> {
    let (mut s, empty) = open(s, depth, '[', ']')?;
    if empty {
        return Ok((s, ()));
    }
    loop {
        let (rest, ()) = skip_value(s, depth + 1)?;
        let (rest, closed) = separator(rest, ']')?;
        s = rest;
        if closed {
            return Ok((s, ()));
        }
    }
}

/// An opening bracket and the blanks after it; `true` when the container closes at once. Fails
/// past [`MAX_DEPTH`].
fn open(s: &str, depth: usize, opening: char, closing: char) -> IResult<&str, bool> {
    if depth >= MAX_DEPTH {
        return Err(failure(s));
    }
    let (s, _) = (char(opening), multispace0).parse(s)?;
    Ok(
        match char::<&str, nom::error::Error<&str>>(closing).parse(s) {
            Ok((rest, _)) => (rest, true),
            Err(_) => (s, false),
        },
    )
}

/// The `,` between members or the closing bracket (`true`), with the blanks around it.
fn separator(s: &str, closing: char) -> IResult<&str, bool> {
    let (rest, (_, sep, _)) =
        (multispace0, alt((char(','), char(closing))), multispace0).parse(s)?;
    Ok((rest, sep == closing))
}

fn number(s: &str) -> IResult<&str, &str> {
    take_while1(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E')).parse(s)
}

/// A JSON string, borrowed when it holds no escape.
fn string(s: &str) -> IResult<&str, Text<'_>> {
    let (body, _) = char('"').parse(s)?;
    let bytes = body.as_bytes();
    let Some(stop) = memchr::memchr2(b'"', b'\\', bytes) else {
        return Err(failure(s));
    };
    if bytes[stop] == b'"' {
        return Ok((&body[stop + 1..], Cow::Borrowed(&body[..stop])));
    }
    let mut text = String::from(&body[..stop]);
    let mut rest = &body[stop..];
    loop {
        let Some(stop) = memchr::memchr2(b'"', b'\\', rest.as_bytes()) else {
            return Err(failure(s));
        };
        text.push_str(&rest[..stop]);
        rest = &rest[stop..];
        if let Some(after) = rest.strip_prefix('"') {
            return Ok((after, Cow::Owned(text)));
        }
        // A backslash: one escape.
        let mut chars = rest[1..].chars();
        let decoded = match chars.next() {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('/') => '/',
            Some('b') => '\u{8}',
            Some('f') => '\u{c}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('u') => {
                let (c, used) = unicode_escape(&rest[2..]).ok_or_else(|| failure(s))?;
                text.push(c);
                rest = &rest[2 + used..];
                continue;
            }
            _ => return Err(failure(s)),
        };
        text.push(decoded);
        rest = &rest[2..];
    }
}

/// The character of `XXXX` (after `\u`), joining a surrogate pair written as two escapes; a lone
/// surrogate becomes U+FFFD rather than failing the record. Returns the bytes used.
fn unicode_escape(s: &str) -> Option<(char, usize)> {
    let hex = |t: &str| {
        t.get(..4)
            .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    let first = hex(s)?;
    if (0xD800..0xDC00).contains(&first)
        && let Some(low) = s.get(4..).and_then(|t| t.strip_prefix("\\u")).and_then(hex)
        && (0xDC00..0xE000).contains(&low)
    {
        let c = 0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00);
        return Some((char::from_u32(c).unwrap_or('\u{FFFD}'), 10));
    }
    Some((char::from_u32(first).unwrap_or('\u{FFFD}'), 4))
}

fn failure(s: &str) -> nom::Err<nom::error::Error<&str>> {
    nom::Err::Failure(nom::error::Error::new(s, nom::error::ErrorKind::Verify))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(text: &str) -> Vec<(String, String)> {
        object(text)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn flat_and_nested_values() {
        let p = pairs(
            r#" {"a":"x","n":12,"neg":-1.5e3,"t":true,"z":null,"o":{"ip":"10.0.0.1","deep":{"k":"v"}},"arr":[1,{"b":[]},"s"],"e":{}} "#,
        );
        let want = [
            ("a", "x"),
            ("n", "12"),
            ("neg", "-1.5e3"),
            ("t", "true"),
            ("o.ip", "10.0.0.1"),
            ("o.deep.k", "v"),
            ("arr", r#"[1,{"b":[]},"s"]"#),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        assert_eq!(p, want);
    }

    #[test]
    fn escapes_are_decoded_and_plain_strings_borrowed() {
        let text = r#"{"plain":"abc","esc":"a\"b\\c\/d\n\u00e9\ud83d\ude00\ud800x"}"#;
        let p = object(text).unwrap_or_default();
        assert!(matches!(p[0].1, Cow::Borrowed("abc")));
        assert_eq!(p[1].1, "a\"b\\c/d\né😀\u{FFFD}x");
    }

    #[test]
    fn not_one_object_is_rejected() {
        for bad in [
            "",
            "[1,2]",
            "{\"a\":1",
            "{\"a\":1} trailing",
            "{\"a\" 1}",
            "{\"a\":\"unterminated}",
            "{\"a\":\"bad \\q escape\"}",
            "{a:1}",
        ] {
            assert!(object(bad).is_none(), "{bad}");
        }
        let deep = format!("{}{}", "{\"a\":".repeat(MAX_DEPTH + 1), "1");
        assert!(object(&(deep + &"}".repeat(MAX_DEPTH + 1))).is_none());
        let deep_array = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert!(object(&deep_array).is_none());
    }
}
