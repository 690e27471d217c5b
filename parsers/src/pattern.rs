//! Message templates such as `Accepted {method} for {user} from {src} port {src_port} {protocol}`.
//!
//! Many payloads (sshd, PAM, sudo, Cisco messages) are fixed English sentences with values in known
//! places. Writing each as a template keeps the parsers data-like and reviewable. A placeholder
//! captures text up to the first occurrence of the literal that follows it, or the rest of the text
//! when it is last; a placeholder name ending in `?` may capture nothing. A template ending in
//! `{*}` accepts anything after it; a placeholder right before `{*}` captures one word.
//!
//! Templates are compiled once ([`Template::new`]): literals get a byte or substring searcher,
//! and a [`TemplateSet`] indexes its templates by the first byte they can start with and compares
//! up to 16 leading bytes at once, so a message meets only the few templates that could match it.
//! Matching allocates nothing.

use memchr::memmem::Finder;

/// Most placeholders a template may hold.
pub const MAX_CAPTURES: usize = 16;

/// Captured `(name, value)` pairs of one match.
#[derive(Debug, Default)]
pub struct Captures<'a> {
    items: [(&'static str, &'a str); MAX_CAPTURES],
    len: usize,
}

impl<'a> Captures<'a> {
    /// The captured pairs, in template order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'a str)> + '_ {
        self.items[..self.len].iter().copied()
    }

    /// The value captured by a name (without a trailing `?`).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// How the literal that ends a capture is found. Most delimiters are short (`/`, ` (`, ` port `),
/// where scanning for one byte of it and comparing beats building and running a substring searcher.
#[derive(Debug)]
enum Delimiter {
    Byte(u8),
    /// Up to [`SHORT`] bytes, found by its `anchor` byte: the first that is not a space, since
    /// spaces are everywhere in a message and letters are not.
    Short {
        needle: &'static [u8],
        anchor: usize,
    },
    Long(Box<Finder<'static>>),
    /// The literal that ends the template: the capture runs to it at the end of the text, so a
    /// value may contain it (`... to {dst}.` with an address before the full stop).
    End(&'static [u8]),
}

/// Longest delimiter searched by its anchor byte.
const SHORT: usize = 16;

impl Delimiter {
    fn new(literal: &'static str) -> Delimiter {
        match literal.as_bytes() {
            [b] => Delimiter::Byte(*b),
            bytes if bytes.len() <= SHORT => Delimiter::Short {
                needle: bytes,
                anchor: bytes.iter().position(|&c| c != b' ').unwrap_or(0),
            },
            bytes => Delimiter::Long(Box::new(Finder::new(bytes))),
        }
    }

    fn find(&self, haystack: &[u8]) -> Option<usize> {
        match self {
            Delimiter::Byte(b) => find_byte(*b, haystack),
            Delimiter::Short { needle, anchor } => find_anchored(haystack, needle, *anchor),
            Delimiter::Long(finder) => finder.find(haystack),
            Delimiter::End(literal) => haystack
                .ends_with(literal)
                .then(|| haystack.len() - literal.len()),
        }
    }
}

/// Where `needle` first occurs, found by scanning for its byte at `anchor`.
fn find_anchored(haystack: &[u8], needle: &[u8], anchor: usize) -> Option<usize> {
    let key = *needle.get(anchor)?;
    let mut from = anchor;
    while from < haystack.len() {
        let i = from + find_byte(key, &haystack[from..])?;
        let start = i - anchor;
        if haystack[start..].starts_with(needle) {
            return Some(start);
        }
        from = i + 1;
    }
    None
}

/// `str::split_once` for the short literals payload parsers split on (`" : "`, `"): "`): the
/// standard searcher's setup costs more than the search on text this short.
pub(crate) fn split_literal<'a>(s: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let n = needle.as_bytes();
    let anchor = n.iter().position(|&c| c != b' ').unwrap_or(0);
    let i = find_anchored(s.as_bytes(), n, anchor)?;
    Some((s.get(..i)?, s.get(i + n.len()..)?))
}

/// The first `byte` in `haystack`. Captured values are short, so the first few bytes are looked
/// at one by one before memchr, whose setup costs more than such a short scan.
fn find_byte(byte: u8, haystack: &[u8]) -> Option<usize> {
    const HEAD: usize = 16;
    let head = &haystack[..haystack.len().min(HEAD)];
    match head.iter().position(|&c| c == byte) {
        Some(i) => Some(i),
        None if haystack.len() > HEAD => memchr::memchr(byte, &haystack[HEAD..]).map(|i| i + HEAD),
        None => None,
    }
}

#[derive(Debug)]
enum Part {
    Literal(&'static str),
    /// The literal a capture's search stopped at (so known to be there), by its length.
    Found(usize),
    Capture {
        name: &'static str,
        may_be_empty: bool,
        /// The literal that ends the capture; `None` when the capture is last.
        until: Option<Delimiter>,
        /// Captures one word (up to a space), as before `{*}`.
        word: bool,
    },
    /// `{*}`: whatever follows.
    Rest,
}

/// A compiled template.
#[derive(Debug)]
pub struct Template {
    parts: Vec<Part>,
    /// The byte every match starts with, when the template starts with a literal.
    first_byte: Option<u8>,
    /// The first bytes of the leading literal (up to 16) and which of them count: a text whose
    /// head differs is rejected with one comparison.
    head: Head,
}

/// Up to 16 leading bytes of a text or literal, little-endian in one integer.
#[derive(Debug, Clone, Copy, Default)]
struct Head {
    bytes: u128,
    mask: u128,
}

impl Head {
    fn of(b: &[u8]) -> Head {
        let n = b.len().min(16);
        let mut buf = [0u8; 16];
        buf[..n].copy_from_slice(&b[..n]);
        let mask = if n == 16 {
            u128::MAX
        } else {
            (1u128 << (8 * n)) - 1
        };
        Head {
            bytes: u128::from_le_bytes(buf),
            mask,
        }
    }

    /// Whether a text whose head is `text` can start with this literal head.
    fn admits(self, text: Head) -> bool {
        text.bytes & self.mask == self.bytes
    }
}

impl Template {
    /// Compiles a template; `None` if it is malformed (unclosed `{`, two placeholders in a row,
    /// more than [`MAX_CAPTURES`] placeholders).
    pub fn new(template: &'static str) -> Option<Template> {
        let mut parts = Vec::new();
        let mut t = template;
        while !t.is_empty() {
            if let Some(after) = t.strip_prefix("{*}") {
                if !after.is_empty() {
                    return None;
                }
                parts.push(Part::Rest);
                t = after;
            } else if let Some(after_open) = t.strip_prefix('{') {
                let close = after_open.find('}')?;
                let raw = &after_open[..close];
                let (name, may_be_empty) = match raw.strip_suffix('?') {
                    Some(n) => (n, true),
                    None => (raw, false),
                };
                t = &after_open[close + 1..];
                let word = t == "{*}";
                let literal = &t[..t.find('{').unwrap_or(t.len())];
                if literal.is_empty() && !t.is_empty() && !word {
                    return None;
                }
                let until = match literal {
                    "" => None,
                    // Nothing follows: only its occurrence at the end can end the capture.
                    _ if literal.len() == t.len() => Some(Delimiter::End(literal.as_bytes())),
                    _ => Some(Delimiter::new(literal)),
                };
                parts.push(Part::Capture {
                    name,
                    may_be_empty,
                    until,
                    word,
                });
            } else {
                let end = t.find('{').unwrap_or(t.len());
                let found = matches!(parts.last(), Some(Part::Capture { until: Some(_), .. }));
                parts.push(if found {
                    Part::Found(end)
                } else {
                    Part::Literal(&t[..end])
                });
                t = &t[end..];
            }
        }
        let captures = parts
            .iter()
            .filter(|p| matches!(p, Part::Capture { .. }))
            .count();
        if captures > MAX_CAPTURES {
            return None;
        }
        let first_byte = match parts.first() {
            Some(Part::Literal(l)) => l.bytes().next(),
            _ => None,
        };
        let head = match parts.first() {
            Some(Part::Literal(l)) => Head::of(l.as_bytes()),
            _ => Head::default(),
        };
        Some(Template {
            parts,
            first_byte,
            head,
        })
    }

    /// The capture names, in the order [`captures`](Self::captures) returns them.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.parts.iter().filter_map(|p| match p {
            Part::Capture { name, .. } => Some(*name),
            _ => None,
        })
    }

    /// Matches `text` as a whole.
    pub fn captures<'a>(&self, text: &'a str) -> Option<Captures<'a>> {
        let mut caps = Captures::default();
        self.capture_into(text, &mut caps).then_some(caps)
    }

    /// [`captures`](Self::captures) into `caps` (emptied first), so a caller trying several
    /// templates initialises the capture array once.
    pub fn capture_into<'a>(&self, text: &'a str, caps: &mut Captures<'a>) -> bool {
        caps.len = 0;
        let mut pos = 0usize;
        for part in &self.parts {
            let rest = &text[pos..];
            match part {
                Part::Literal(l) => {
                    if !rest.starts_with(l) {
                        return false;
                    }
                    pos += l.len();
                }
                Part::Found(len) => pos += len,
                Part::Rest => pos = text.len(),
                Part::Capture {
                    name,
                    may_be_empty,
                    until,
                    word,
                } => {
                    let found = match until {
                        Some(delimiter) => delimiter.find(rest.as_bytes()),
                        None if *word => {
                            Some(find_byte(b' ', rest.as_bytes()).unwrap_or(rest.len()))
                        }
                        None => Some(rest.len()),
                    };
                    let Some(len) = found.filter(|&n| n > 0 || *may_be_empty) else {
                        return false;
                    };
                    caps.items[caps.len] = (name, &rest[..len]);
                    caps.len += 1;
                    pos += len;
                }
            }
        }
        pos == text.len()
    }
}

/// Matches `text` against a template compiled on the spot (for tests and one-off use).
pub fn match_template<'a>(template: &'static str, text: &'a str) -> Option<Captures<'a>> {
    Template::new(template)?.captures(text)
}

/// Templates tried in order, indexed by the first byte a match can start with.
#[derive(Debug)]
pub struct TemplateSet {
    templates: Vec<Template>,
    /// For each first byte, the indices of the templates that can match, in order.
    by_first_byte: Vec<Vec<u16>>,
}

impl TemplateSet {
    /// Compiles templates; malformed ones are left out (a unit test per set checks there are none).
    pub fn new<'t>(templates: impl IntoIterator<Item = &'t &'static str>) -> TemplateSet {
        let templates: Vec<Template> = templates
            .into_iter()
            .filter_map(|t| Template::new(t))
            .collect();
        let mut by_first_byte = vec![Vec::new(); 256];
        for (i, t) in templates.iter().enumerate() {
            let i = u16::try_from(i).unwrap_or(u16::MAX);
            match t.first_byte {
                Some(b) => by_first_byte[usize::from(b)].push(i),
                None => by_first_byte.iter_mut().for_each(|v| v.push(i)),
            }
        }
        TemplateSet {
            templates,
            by_first_byte,
        }
    }

    /// How many templates compiled.
    pub fn len(&self) -> usize {
        self.templates.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// The first template (in order) that matches, with its index, among the first `limit`.
    pub fn find<'a>(&self, text: &'a str, limit: usize) -> Option<(usize, Captures<'a>)> {
        let mut caps = Captures::default();
        self.find_into(text, limit, &mut caps).map(|i| (i, caps))
    }

    /// [`find`](Self::find) into the caller's `caps`: the capture array is filled in place, not
    /// moved out (it is a few hundred bytes, and this runs for every record).
    pub fn find_into<'a>(
        &self,
        text: &'a str,
        limit: usize,
        caps: &mut Captures<'a>,
    ) -> Option<usize> {
        let first = *text.as_bytes().first()?;
        let head = Head::of(text.as_bytes());
        self.by_first_byte[usize::from(first)]
            .iter()
            .map(|&i| usize::from(i))
            .take_while(|&i| i < limit)
            .find(|&i| {
                self.templates
                    .get(i)
                    .is_some_and(|t| t.head.admits(head) && t.capture_into(text, caps))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closing_literal_is_found_at_the_end() {
        // The full stop after the address also occurs inside it.
        let c = match_template("from {src} to {dst}.", "from 10.5.1.127 to 192.168.6.102.");
        assert_eq!(c.and_then(|c| c.get("dst")), Some("192.168.6.102"));
        let c = match_template("user {user} ({why})", "user (a) b ((c))");
        assert_eq!(c.and_then(|c| c.get("why")), Some("(c)"));
        assert!(match_template("to {dst}.", "to 10.0.0.1").is_none());
    }

    #[test]
    fn captures_in_order() {
        let c = match_template(
            "Accepted {method} for {user} from {src} port {src_port} {proto}",
            "Accepted password for bob from 10.0.0.1 port 22 ssh2",
        );
        let c = c.map(|c| c.iter().collect::<Vec<_>>());
        assert_eq!(
            c,
            Some(vec![
                ("method", "password"),
                ("user", "bob"),
                ("src", "10.0.0.1"),
                ("src_port", "22"),
                ("proto", "ssh2")
            ])
        );
    }

    #[test]
    fn literal_must_match_whole_text() {
        assert!(match_template("a {x} b", "a 1 b c").is_none());
        assert!(match_template("a {x} b{tail?}", "a 1 b").is_some());
        assert!(
            match_template(
                "Invalid user {user?} from {src}",
                "Invalid user  from 1.2.3.4"
            )
            .is_some()
        );
        assert!(
            match_template(
                "Invalid user {user} from {src}",
                "Invalid user  from 1.2.3.4"
            )
            .is_none()
        );
        assert!(Template::new("{a}{b}").is_none());
        let c = match_template("bytes {n}{*}", "bytes 1200 TCP FINs").map(|c| c.get("n"));
        assert_eq!(c, Some(Some("1200")));
        assert!(match_template("x {n}{*}", "x 1").is_some());
        assert!(Template::new("a {*} b").is_none());
        assert!(Template::new("x {unclosed").is_none());
    }

    #[test]
    fn heads_and_short_literals() {
        let set = TemplateSet::new(&[
            "Disconnecting: {why}",
            "Disconnected from user {user} {src}",
            "Disconnected from {src}",
        ]);
        fn found<'t>(set: &TemplateSet, t: &'t str) -> Option<(usize, Option<&'t str>)> {
            set.find(t, usize::MAX).map(|(i, c)| (i, c.get("src")))
        }
        assert_eq!(
            found(&set, "Disconnected from user bob 10.0.0.1"),
            Some((1, Some("10.0.0.1")))
        );
        assert_eq!(
            found(&set, "Disconnected from 10.0.0.1"),
            Some((2, Some("10.0.0.1")))
        );
        // Shorter than the literals' heads, or differing in them: nothing, whatever the rest.
        assert_eq!(found(&set, "Disconnected"), None);
        assert_eq!(found(&set, "disconnected from 10.0.0.1"), None);
        assert_eq!(
            split_literal("alice : TTY=pts/0 ; PWD=/", " ; "),
            Some(("alice : TTY=pts/0", "PWD=/"))
        );
        assert_eq!(split_literal("a ;b", " ; "), None);
        assert_eq!(split_literal("x  : y", " : "), Some(("x ", "y")));
    }

    #[test]
    fn set_keeps_order_across_first_bytes() {
        let set = TemplateSet::new(&["({user}) CMD ({cmd})", "{anything}", "(x) {y}"]);
        assert_eq!(set.find("(x) z", usize::MAX).map(|(i, _)| i), Some(1));
        assert_eq!(
            set.find("(root) CMD (ls)", usize::MAX).map(|(i, _)| i),
            Some(0)
        );
        assert_eq!(set.find("(x) z", 1).map(|(i, _)| i), None);
    }
}
