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
    /// What each byte is to this list (`SEP`, `QUOTE`, `KEY` bits): one table lookup per byte
    /// instead of a chain of comparisons, since every byte of a firewall log passes through here.
    class: [u8; 256],
    /// The key an unquoted value's end was found by (`start..end`), so it is not scanned twice.
    next_key: Option<(usize, usize)>,
}

/// Separates pairs.
const SEP: u8 = 1;
/// Ends an unquoted value so it can be looked past (only in [`Dialect::Quoted`]).
const QUOTE: u8 = 2;
/// May be part of a key.
const KEY: u8 = 4;

/// Key bytes and line breaks (which separate too: some devices wrap long CEF and key=value records).
const BASE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.' {
            t[c] = KEY;
        }
        c += 1;
    }
    t[b'\n' as usize] = SEP;
    t[b'\r' as usize] = SEP;
    t
};

/// The pairs of `s`, separated by `sep` (a space also separates when `sep` is a tab, and a tab
/// when `sep` is a space).
pub fn pairs(s: &str, sep: u8, dialect: Dialect) -> Pairs<'_> {
    let mut class = BASE_CLASS;
    class[usize::from(sep)] |= SEP;
    match sep {
        b'\t' => class[usize::from(b' ')] |= SEP,
        b' ' => class[usize::from(b'\t')] |= SEP,
        _ => {}
    }
    if dialect == Dialect::Quoted {
        class[usize::from(b'"')] |= QUOTE;
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

    /// End of the key starting at `i` (`i` itself when there is none).
    fn key_end(&self, i: usize) -> usize {
        let b = self.s.as_bytes();
        b[i..]
            .iter()
            .position(|&c| !self.is(c, KEY))
            .map_or(b.len(), |n| i + n)
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
            let Some(off) = b[i..].iter().position(|&c| self.is(c, SEP | QUOTE)) else {
                return (b.len(), None);
            };
            let at = i + off;
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
}

impl<'a> Iterator for Pairs<'a> {
    type Item = (&'a str, Text<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let s = self.s;
        let b = s.as_bytes();
        loop {
            while self.pos < b.len() && (b[self.pos] == b' ' || self.is(b[self.pos], SEP)) {
                self.pos += 1;
            }
            if self.pos >= b.len() {
                return None;
            }
            let key_start = self.pos;
            let mut i = match self.next_key.take() {
                Some((start, end)) if start == key_start => end,
                _ => self.key_end(key_start),
            };
            if i == key_start || b.get(i) != Some(&b'=') {
                // Not a pair: skip the word.
                while i < b.len() && !self.is(b[i], SEP) {
                    i += 1;
                }
                self.pos = i.max(key_start + 1);
                continue;
            }
            let key = &s[key_start..i];
            let start = i + 1;
            if self.dialect == Dialect::Quoted && b.get(start) == Some(&b'"') {
                let (value, end) = quoted(s, start + 1);
                self.pos = end;
                return Some((key, value));
            }
            let (end, next_key) = self.unquoted_end(start);
            self.pos = end;
            self.next_key = next_key;
            let raw = s[start..end].trim_end_matches(' ');
            let value = match self.dialect {
                Dialect::Cef => cef_unescape(raw),
                Dialect::Quoted => Cow::Borrowed(raw),
            };
            return Some((key, value));
        }
    }
}

/// A `"..."` value whose text starts at `start`: the value and the position after the closing
/// quote (the end of input when the quote is missing).
fn quoted(s: &str, start: usize) -> (Text<'_>, usize) {
    let b = s.as_bytes();
    let mut i = start;
    let mut escaped = false;
    let mut doubled = false;
    let end = loop {
        // Quoted values are short: a word-at-a-time scan beats memchr's setup.
        let Some(n) = crate::scan::find_either(&b[i..], b'"', b'\\') else {
            break b.len();
        };
        i += n;
        match b[i] {
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
    let value = if doubled && !escaped {
        Cow::Owned(text.replace("\"\"", "\""))
    } else if escaped {
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
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    };
    (value, (end + 1).min(b.len()))
}

/// Undoes CEF value escapes: `\=`, `\\`, `\|`, `\n`, `\r`.
pub fn cef_unescape(s: &str) -> Text<'_> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
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
    Cow::Owned(out)
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
