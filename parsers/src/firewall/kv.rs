//! `key=value` lists, the common shape of firewall logs (FortiGate, Sophos, SonicWall, Stormshield,
//! CEF extensions, LEEF attributes).
//!
//! Two dialects differ in how a value ends. In [`Dialect::Quoted`] (FortiGate and friends) a value
//! with spaces is `"quoted"`, with `\"` and `\\` escapes; an unquoted value ends at the separator.
//! In [`Dialect::Cef`] nothing is quoted: a value runs until the separator that comes before the
//! next `key=`, and `\=`, `\\`, `\n`, `\r` are escapes. Both dialects also let an unquoted value run
//! on over following words that are not `key=` (devices write `time=2025-10-29 09:56:16`).
//! Scanning is byte-wise and allocates only for values that contain escapes.

use std::borrow::Cow;

use crate::event::Text;

/// How values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `"quoted values"` with backslash escapes.
    Quoted,
    /// ArcSight CEF extension rules: no quotes, `\=` escapes.
    Cef,
}

/// Iterator over the `(key, value)` pairs of a list.
pub struct Pairs<'a> {
    s: &'a str,
    pos: usize,
    dialect: Dialect,
    /// What each byte is to this list (`SEP`, `QUOTE`, `NOT_KEY`, `GAP`, `ESCAPE` bits): one
    /// table lookup per byte instead of a chain of comparisons, since every byte of a firewall
    /// log passes through here.
    class: [u8; 256],
    /// The key an unquoted value's end was found by (`start..end`), so it is not scanned twice.
    next_key: Option<(usize, usize)>,
}

/// Separates pairs.
const SEP: u8 = 1;
/// Ends an unquoted value so it can be looked past (only in [`Dialect::Quoted`]).
const QUOTE: u8 = 2;
/// Cannot be part of a key (ends one).
const NOT_KEY: u8 = 4;
/// Skipped before a key: a separator or a space.
const GAP: u8 = 8;
/// Starts an escape inside a quoted value (only in [`Dialect::Quoted`]).
const ESCAPE: u8 = 16;

/// The classes every list shares: which bytes end a key, and line breaks and spaces as gaps
/// (line breaks separate too: some devices wrap long CEF and key=value records).
const BASE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.') {
            t[c] = NOT_KEY;
        }
        c += 1;
    }
    t[b'\n' as usize] |= SEP | GAP;
    t[b'\r' as usize] |= SEP | GAP;
    t[b' ' as usize] |= GAP;
    t
};

/// The pairs of `s`, separated by `sep` (a space also separates when `sep` is a tab, and a tab
/// when `sep` is a space).
pub fn pairs(s: &str, sep: u8, dialect: Dialect) -> Pairs<'_> {
    let mut class = BASE_CLASS;
    class[usize::from(sep)] |= SEP | GAP;
    match sep {
        b'\t' => class[usize::from(b' ')] |= SEP,
        b' ' => class[usize::from(b'\t')] |= SEP | GAP,
        _ => {}
    }
    if dialect == Dialect::Quoted {
        class[usize::from(b'"')] |= QUOTE;
        class[usize::from(b'\\')] |= ESCAPE;
    }
    Pairs {
        s,
        pos: 0,
        dialect,
        class,
        next_key: None,
    }
}

impl<'a> Pairs<'a> {
    fn is(&self, b: u8, what: u8) -> bool {
        self.class[usize::from(b)] & what != 0
    }

    /// The first position from `i` on whose byte is one of `what` (the end of input if none is).
    #[inline]
    fn first_of(&self, mut i: usize, what: u8) -> usize {
        let b = self.s.as_bytes();
        // Four bytes per bounds check: the loop's own bookkeeping would otherwise cost more than
        // the lookups (tokens here are a few bytes to a few dozen).
        let Some(rest) = b.get(i..) else {
            return b.len();
        };
        let mut chunks = rest.chunks_exact(4);
        for chunk in &mut chunks {
            for (k, &c) in chunk.iter().enumerate() {
                if self.is(c, what) {
                    return i + k;
                }
            }
            i += 4;
        }
        chunks
            .remainder()
            .iter()
            .position(|&c| self.is(c, what))
            .map_or(b.len(), |k| i + k)
    }

    /// End of the key starting at `i` (`i` itself when there is none).
    fn key_end(&self, i: usize) -> usize {
        self.first_of(i, NOT_KEY)
    }

    /// The end of the `key=` that starts at `i`, if one does.
    fn key_at(&self, i: usize) -> Option<usize> {
        let j = self.key_end(i);
        (j > i && self.s.as_bytes().get(j) == Some(&b'=')).then_some(j)
    }

    /// End of an unquoted value starting at `start`: the separator before the next `key=`, and
    /// that key's span.
    fn unquoted_end(&self, start: usize) -> (usize, Option<(usize, usize)>) {
        let b = self.s.as_bytes();
        let mut i = start;
        loop {
            let at = self.first_of(i, SEP | QUOTE);
            if at >= b.len() {
                return (b.len(), None);
            }
            if self.is(b[at], QUOTE) {
                // A quote inside an unquoted value: keep going past it.
                i = at + 1;
                continue;
            }
            let mut after = at;
            while after < b.len() && self.is(b[after], SEP) {
                after += 1;
            }
            if after >= b.len() {
                return (at, None);
            }
            if let Some(key_end) = self.key_at(after) {
                return (at, Some((after, key_end)));
            }
            i = after;
        }
    }

    /// A `"..."` value whose text starts at `start`: the value and the position after the
    /// closing quote (the end of input when the quote is missing).
    fn quoted(&self, start: usize) -> (Text<'a>, usize) {
        let s = self.s;
        let b = s.as_bytes();
        let mut i = start;
        // Most values have neither escapes nor doubled quotes: only those are rewritten (out of
        // line).
        let mut escaped = false;
        let mut doubled = false;
        let end = loop {
            i = self.first_of(i, QUOTE | ESCAPE);
            let Some(&c) = b.get(i) else {
                break b.len();
            };
            match c {
                b'\\' if i + 1 < b.len() => {
                    escaped = true;
                    i += 2;
                }
                // `""` inside a quoted value (FortiOS CSV format) is one quote.
                b'"' if b.get(i + 1) == Some(&b'"') && i > start => {
                    doubled = true;
                    i += 2;
                }
                b'"' => break i,
                _ => i += 1,
            }
        };
        let text = &s[start..end];
        let value = if escaped || doubled {
            Cow::Owned(unescape_quoted(text, escaped))
        } else {
            Cow::Borrowed(text)
        };
        (value, (end + 1).min(b.len()))
    }
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a str, Text<'a>);

    // Inlined into each vendor's loop: the iterator's state then stays in registers (measured:
    // a tenth of a FortiGate record's instructions). Forced: as a hint, the compiler stopped
    // inlining it when an unrelated parser grew (+1,400 instructions a FortiGate record).
    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        let s = self.s;
        let b = s.as_bytes();
        loop {
            while self.pos < b.len() && self.is(b[self.pos], GAP) {
                self.pos += 1;
            }
            if self.pos >= b.len() {
                return None;
            }
            let key_start = self.pos;
            let i = match self.next_key.take() {
                Some((start, end)) if start == key_start => end,
                _ => self.key_end(key_start),
            };
            if i == key_start || b.get(i) != Some(&b'=') {
                // Not a pair: skip the word.
                self.pos = self.first_of(i, SEP).max(key_start + 1);
                continue;
            }
            let key = &s[key_start..i];
            let start = i + 1;
            if self.dialect == Dialect::Quoted && b.get(start) == Some(&b'"') {
                let (value, end) = self.quoted(start + 1);
                self.pos = end;
                return Some((key, value));
            }
            let (end, next_key) = self.unquoted_end(start);
            self.pos = end;
            self.next_key = next_key;
            let raw = &s[start..end];
            // Spaces around a value that runs on over words (`k= a b`), or in a list separated by
            // something else, are not part of it.
            let raw = if raw.starts_with(' ') || raw.ends_with(' ') {
                raw.trim_matches(' ')
            } else {
                raw
            };
            let value = match self.dialect {
                Dialect::Cef => cef_unescape(raw),
                Dialect::Quoted => Cow::Borrowed(raw),
            };
            return Some((key, value));
        }
    }
}

/// The text of a quoted value with its backslash escapes undone, or (when it has none) its doubled
/// quotes.
#[cold]
fn unescape_quoted(text: &str, escaped: bool) -> String {
    if !escaped {
        return text.replace("\"\"", "\"");
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('"' | '\\')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Undoes CEF value escapes: `\=`, `\\`, `\|`, `\n`, `\r`.
pub fn cef_unescape(s: &str) -> Text<'_> {
    if s.contains('\\') {
        Cow::Owned(cef_unescaped(s))
    } else {
        Cow::Borrowed(s)
    }
}

/// [`cef_unescape`] of a value that has escapes, out of the scanning loop's way.
#[cold]
fn cef_unescaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(n @ ('=' | '\\' | '|')) => out.push(n),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(s: &str, sep: u8, d: Dialect) -> Vec<(String, String)> {
        pairs(s, sep, d)
            .map(|(k, v)| (k.to_owned(), v.into_owned()))
            .collect()
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn byte_classes_follow_their_definitions() {
        for sep in [b' ', b'\t', b',', b'|', b';'] {
            for dialect in [Dialect::Quoted, Dialect::Cef] {
                let p = pairs("", sep, dialect);
                for c in 0..=255u8 {
                    let key_byte = c.is_ascii_alphanumeric() || b"_-.".contains(&c);
                    let separates = c == sep
                        || c == b'\n'
                        || c == b'\r'
                        || (sep == b'\t' && c == b' ')
                        || (sep == b' ' && c == b'\t');
                    assert_eq!(p.is(c, NOT_KEY), !key_byte, "{c} {sep}");
                    assert_eq!(p.is(c, SEP), separates, "{c} {sep}");
                    assert_eq!(p.is(c, GAP), separates || c == b' ', "{c} {sep}");
                    let quoted = dialect == Dialect::Quoted;
                    assert_eq!(p.is(c, QUOTE), quoted && c == b'"', "{c} {sep} {dialect:?}");
                    assert_eq!(
                        p.is(c, ESCAPE),
                        quoted && c == b'\\',
                        "{c} {sep} {dialect:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn chunked_search_agrees_with_a_plain_loop() {
        let text = "key=value k2=\"q \\\" v\" x=1,y=2\tz=3\r\nlast_key.with-dash=\u{e9}t\u{e9} end";
        for what in [NOT_KEY, SEP, SEP | QUOTE, GAP, QUOTE | ESCAPE] {
            for len in 0..=text.len() {
                let Some(s) = text.get(..len) else { continue };
                let p = pairs(s, b' ', Dialect::Quoted);
                for from in 0..=len + 1 {
                    let naive = (from..len)
                        .find(|&i| p.is(s.as_bytes()[i], what))
                        .unwrap_or(len);
                    assert_eq!(p.first_of(from, what), naive, "{s:?} {from} {what}");
                }
            }
        }
    }

    #[test]
    fn quoted_values_and_escapes() {
        assert_eq!(
            all(
                r#"date=2024-01-02 devname="FG 1" msg="say \"hi\" \\ ok" n=3"#,
                b' ',
                Dialect::Quoted
            ),
            kv(&[
                ("date", "2024-01-02"),
                ("devname", "FG 1"),
                ("msg", r#"say "hi" \ ok"#),
                ("n", "3")
            ])
        );
    }

    #[test]
    fn doubled_quotes_are_one_quote_unless_backslashes_escape() {
        // FortiOS's CSV layout doubles quotes; a value with backslash escapes is read by those.
        assert_eq!(
            all(
                r#"msg="say ""hi""",a="" b="x\"" c="""#,
                b',',
                Dialect::Quoted
            ),
            kv(&[
                ("msg", r#"say "hi""#),
                ("a", ""),
                ("b", r#"x""#),
                // An empty value: a doubled quote only counts inside a value.
                ("c", "")
            ])
        );
        assert_eq!(
            all(r#"m="a ""b"" \"c\"""#, b' ', Dialect::Quoted),
            kv(&[("m", r#"a ""b"" "c""#)])
        );
    }

    #[test]
    fn unquoted_values_run_on_until_the_next_key() {
        assert_eq!(
            all(
                "time=2025-10-29 09:56:16 fw=X msg=a b=c",
                b' ',
                Dialect::Quoted
            ),
            kv(&[
                ("time", "2025-10-29 09:56:16"),
                ("fw", "X"),
                ("msg", "a"),
                ("b", "c")
            ])
        );
    }

    #[test]
    fn cef_extension_rules() {
        assert_eq!(
            all(
                r"src=10.0.0.1 msg=a \= b c\\d request=http://x/?a=1 cs1Label=Rule Name",
                b' ',
                Dialect::Cef
            ),
            kv(&[
                ("src", "10.0.0.1"),
                ("msg", r"a = b c\d"),
                ("request", "http://x/?a=1"),
                ("cs1Label", "Rule Name")
            ])
        );
    }

    #[test]
    fn unterminated_quote_and_junk_words() {
        assert_eq!(
            all(r#"junk a="open b=1"#, b' ', Dialect::Quoted),
            kv(&[("a", "open b=1")])
        );
        assert_eq!(
            all("a=1\tb=x y\tc=", b'\t', Dialect::Cef),
            kv(&[("a", "1"), ("b", "x y"), ("c", "")])
        );
    }
}
