//! Value matchers: what one Sigma value of a field test becomes once compiled.
//!
//! Wildcard values are lowered to the cheapest shape that means the same (equality, prefix,
//! suffix, substring, anything) and only stay a general pattern when `?` or inner `*` need it.
//! Case folding follows the reference: every character is lowered on its own
//! (`char::to_lowercase`), in the value once at compile time and in the row text once per batch
//! (see [`super::columns`]).

use std::cmp::Ordering;
use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// A piece of a Sigma wildcard value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
    /// Literal characters.
    Text(String),
}

/// Splits a Sigma value into pieces: `*` and `?` are wildcards unless escaped with `\`; `\\` is
/// one backslash; a backslash before anything else stays. Literals are lowered when `fold`.
pub(crate) fn pieces(value: &str, fold: bool) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut escaped = false;
    let flush = |text: &mut String, out: &mut Vec<Piece>| {
        if !text.is_empty() {
            out.push(Piece::Text(std::mem::take(text)));
        }
    };
    for c in value.chars() {
        match c {
            '*' | '?' if escaped => {
                text.push(c);
                escaped = false;
            }
            '*' => {
                flush(&mut text, &mut out);
                if out.last() != Some(&Piece::Star) {
                    out.push(Piece::Star);
                }
            }
            '?' => {
                flush(&mut text, &mut out);
                out.push(Piece::One);
            }
            '\\' if escaped => {
                text.push('\\');
                escaped = false;
            }
            '\\' => escaped = true,
            _ => {
                if escaped {
                    text.push('\\');
                    escaped = false;
                }
                if fold {
                    text.extend(c.to_lowercase());
                } else {
                    text.push(c);
                }
            }
        }
    }
    if escaped {
        text.push('\\');
    }
    flush(&mut text, &mut out);
    out
}

/// A wildcard value in its cheapest form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Shape {
    /// The whole text equals this.
    Equals(String),
    /// The text starts with this.
    Prefix(String),
    /// The text ends with this.
    Suffix(String),
    /// The text contains this.
    Contains(String),
    /// Any text at all (`*`).
    Any,
    /// Anything else: matched piece by piece.
    Pattern(Vec<Piece>),
}

impl Shape {
    /// The shape of a value's pieces.
    pub(crate) fn of(pieces: Vec<Piece>) -> Shape {
        match pieces.as_slice() {
            [] => Shape::Equals(String::new()),
            [Piece::Star] => Shape::Any,
            [Piece::Text(t)] => Shape::Equals(t.clone()),
            [Piece::Text(t), Piece::Star] => Shape::Prefix(t.clone()),
            [Piece::Star, Piece::Text(t)] => Shape::Suffix(t.clone()),
            [Piece::Star, Piece::Text(t), Piece::Star] => Shape::Contains(t.clone()),
            _ => Shape::Pattern(pieces),
        }
    }

    /// The longest literal a matching text must contain, for the prefilter.
    pub(crate) fn required_literal(&self) -> Option<&str> {
        let text = match self {
            Shape::Equals(t) | Shape::Prefix(t) | Shape::Suffix(t) | Shape::Contains(t) => t,
            Shape::Any => return None,
            Shape::Pattern(pieces) => pieces
                .iter()
                .filter_map(|p| match p {
                    Piece::Text(t) => Some(t),
                    _ => None,
                })
                .max_by_key(|t| t.len())?,
        };
        (!text.is_empty()).then_some(text.as_str())
    }

    /// Whether `text` matches (already lowered when the shape was folded).
    pub(crate) fn matches(&self, text: &str) -> bool {
        match self {
            Shape::Equals(t) => text == t,
            Shape::Prefix(t) => text.starts_with(t.as_str()),
            Shape::Suffix(t) => text.ends_with(t.as_str()),
            Shape::Contains(t) => memchr::memmem::find(text.as_bytes(), t.as_bytes()).is_some(),
            Shape::Any => true,
            Shape::Pattern(pieces) => pattern_matches(pieces, text),
        }
    }
}

/// The reference's piece-by-piece match: after a `*`, a literal is taken at its first
/// occurrence (its last occurrence at the very end when it is the last piece), without
/// backtracking. For literals between stars this is exact; with `?` after a star it can miss a
/// later alignment, and we keep that behaviour so both evaluators agree.
fn pattern_matches(pieces: &[Piece], text: &str) -> bool {
    // `at` is a byte offset on a character boundary; on UTF-8, a run of characters occurs where
    // its bytes do, so byte searches give the reference's character-by-character answers.
    let mut at = 0;
    let mut after_star = false;
    for (i, piece) in pieces.iter().enumerate() {
        let last = i + 1 == pieces.len();
        let rest = &text[at..];
        match piece {
            Piece::One => match rest.chars().next() {
                Some(c) => at += c.len_utf8(),
                None => return false,
            },
            Piece::Star => {
                if last {
                    return true;
                }
                after_star = true;
            }
            Piece::Text(t) if after_star => {
                after_star = false;
                if last {
                    if !rest.ends_with(t.as_str()) {
                        return false;
                    }
                    at = text.len();
                } else {
                    match memchr::memmem::find(rest.as_bytes(), t.as_bytes()) {
                        Some(p) => at += p + t.len(),
                        None => return false,
                    }
                }
            }
            Piece::Text(t) => {
                if !rest.starts_with(t.as_str()) {
                    return false;
                }
                at += t.len();
            }
        }
    }
    at == text.len()
}

/// A value for the ordering modifiers (`lt`, `lte`, `gt`, `gte`): numbers compare with numbers,
/// text with text, nothing else compares.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    /// A number (the loader makes every numeric value a float).
    Number(f64),
    /// Text that is not a number.
    Text(String),
    /// A boolean or null: compares with nothing a row holds.
    Other,
}

impl Scalar {
    /// The order of a row value (`number` when the field was read as a number) and this.
    pub(crate) fn compare(&self, text: &str, number: Option<f64>) -> Option<Ordering> {
        match (self, number) {
            (Scalar::Number(v), Some(n)) => n.partial_cmp(v),
            (Scalar::Text(v), None) => Some(text.cmp(v.as_str())),
            _ => None,
        }
    }
}

/// Whether a row's text is an address inside `net` (the text must be exactly an address).
pub(crate) fn in_cidr(net: &cidr::IpCidr, text: &str) -> bool {
    text.parse::<IpAddr>().is_ok_and(|ip| net.contains(&ip))
}

/// The `utf16*`/`wide` modifiers that go with `base64` and `base64offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Utf16 {
    /// `utf16le` or `wide`.
    Le,
    /// `utf16be`.
    Be,
    /// `utf16`: little-endian after a byte-order mark.
    WithBom,
}

fn utf16_bytes(text: &str, utf16: Option<Utf16>) -> Vec<u8> {
    match utf16 {
        None => text.as_bytes().to_vec(),
        Some(Utf16::Le) => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        Some(Utf16::Be) => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        Some(Utf16::WithBom) => [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
    }
}

/// `base64`: the encoding without padding, and without a last character that depends on what
/// would follow (so the value is found inside a longer encoded text).
pub(crate) fn base64(text: &str, utf16: Option<Utf16>) -> String {
    let mut encoded = STANDARD_NO_PAD.encode(utf16_bytes(text, utf16));
    if matches!(encoded.len() % 4, 2 | 3) {
        encoded.pop();
    }
    encoded
}

/// `base64offset`: the encodings of the value at the three byte offsets it can have in a longer
/// text, each cut to the characters that do not depend on the bytes around it. The offsets are
/// made as the reference makes them, by prefixing NUL characters (one per byte offset, two for
/// UTF-16) and dropping the characters they produce.
pub(crate) fn base64_offsets(text: &str, utf16: Option<Utf16>) -> Vec<String> {
    let width = if utf16.is_some() { 2 } else { 1 };
    let mut out = Vec::new();
    let plain = base64(text, utf16);
    if !plain.is_empty() {
        out.push(plain);
    }
    for (nuls, cut) in [
        (width, width * (1 + width)),
        (2 * width, 2 * width * (1 + width) - 1),
    ] {
        let shifted = format!("{}{text}", "\0".repeat(nuls));
        let encoded = base64(&shifted, utf16);
        if encoded.len() > cut {
            out.push(encoded[cut..].to_owned());
        }
    }
    out
}

/// The dashes Windows command lines accept in front of a flag.
const DASHES: [&str; 5] = ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"];

/// `windash`: the value, and the value with each flag (a space-separated word starting with a
/// dash) written with each of the other dashes. `None` when a flag starts with a dash the
/// reference cannot rewrite (a multi-byte one), so the rule stays with the reference.
pub(crate) fn windash(value: &str) -> Option<Vec<String>> {
    let mut out = vec![value.to_owned()];
    let mut flags: Vec<&str> = Vec::new();
    for word in value.split(' ') {
        if DASHES.iter().any(|d| word.starts_with(d)) && !flags.contains(&word) {
            flags.push(word);
        }
    }
    for flag in flags {
        if !flag.starts_with(['-', '/']) {
            return None;
        }
        for dash in DASHES {
            if flag.starts_with(dash) {
                continue;
            }
            let rewritten = format!("{dash}{}", &flag[1..]);
            out.push(value.replace(flag, &rewritten));
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(v: &str) -> Shape {
        Shape::of(pieces(v, true))
    }

    #[test]
    fn wildcards_lower_to_cheap_shapes() {
        assert_eq!(shape("Root"), Shape::Equals("root".into()));
        assert_eq!(shape("/tmp/*"), Shape::Prefix("/tmp/".into()));
        assert_eq!(shape("*.sh"), Shape::Suffix(".sh".into()));
        assert_eq!(shape("*nc -e*"), Shape::Contains("nc -e".into()));
        assert_eq!(shape("**"), Shape::Any);
        assert_eq!(shape(r"a\*b"), Shape::Equals("a*b".into()));
        assert_eq!(shape(r"a\\"), Shape::Equals(r"a\".into()));
        assert_eq!(shape(r"a\x"), Shape::Equals(r"a\x".into()));
        assert!(matches!(shape("a*b"), Shape::Pattern(_)));
    }

    #[test]
    fn patterns_match_piece_by_piece() {
        let m = |p: &str, t: &str| shape(p).matches(t);
        assert!(m("a*b", "axxb"));
        assert!(!m("a*b", "axxbc"));
        assert!(m("a*b*c", "abxbc"));
        assert!(m("a?c", "abc"));
        assert!(!m("a?c", "ac"));
        assert!(m("*ab", "abab"));
        assert!(m("*a*", "xa"));
        assert!(!m("*a*", "x"));
        // The reference takes the first `a` after a star and does not come back.
        assert!(!m("*a?b", "aaxb"));
    }

    #[test]
    fn base64_variants() {
        assert_eq!(base64("/bin/bash", None), "L2Jpbi9iYXNo");
        assert_eq!(base64("/bin/sh", None), "L2Jpbi9za");
        assert_eq!(base64("ping", Some(Utf16::Le)), "cABpAG4AZw");
        let offsets = base64_offsets("/bin/sh", None);
        assert_eq!(offsets.len(), 3);
        // Every variant is found in the encoding of the value behind 0, 1 or 2 other bytes.
        for (i, prefix) in ["", "x", "xy"].iter().enumerate() {
            let full = STANDARD_NO_PAD.encode(format!("{prefix}/bin/sh|"));
            assert!(full.contains(&offsets[i]), "{full} {}", offsets[i]);
        }
    }

    #[test]
    fn windash_rewrites_flags() {
        let v = windash("cmd -c /x").unwrap_or_default();
        assert!(v.contains(&"cmd /c /x".to_owned()));
        assert!(v.contains(&"cmd -c -x".to_owned()));
        assert_eq!(v.len(), 9);
    }
}
