//! Message templates such as `Accepted {method} for {user} from {src} port {src_port} {proto}`.
//!
//! Many payloads (sshd, PAM, sudo, Cisco messages) are fixed English sentences with values in known
//! places. Writing each as a template keeps the parsers data-like and reviewable. A placeholder
//! captures text up to the first occurrence of the literal that follows it, or the rest of the text
//! when it is last; a placeholder name ending in `?` may capture nothing. Matching allocates nothing.

/// Most placeholders a template may hold.
pub const MAX_CAPTURES: usize = 8;

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

/// Matches `text` against `template` as a whole.
pub fn match_template<'a>(template: &'static str, text: &'a str) -> Option<Captures<'a>> {
    let mut caps = Captures::default();
    let mut t = template;
    let mut pos = 0usize;
    while !t.is_empty() {
        if let Some(after_open) = t.strip_prefix('{') {
            let close = after_open.find('}')?;
            let raw_name = &after_open[..close];
            let (name, may_be_empty) = match raw_name.strip_suffix('?') {
                Some(n) => (n, true),
                None => (raw_name, false),
            };
            t = &after_open[close + 1..];
            let literal_end = t.find('{').unwrap_or(t.len());
            let literal = &t[..literal_end];
            let rest = &text[pos..];
            let value_len = if literal.is_empty() {
                if !t.is_empty() {
                    // Two placeholders in a row are a template bug; refuse to guess.
                    return None;
                }
                rest.len()
            } else {
                rest.find(literal)?
            };
            let value = &rest[..value_len];
            if value.is_empty() && !may_be_empty {
                return None;
            }
            if caps.len == MAX_CAPTURES {
                return None;
            }
            caps.items[caps.len] = (name, value);
            caps.len += 1;
            pos += value_len;
        } else {
            let literal_end = t.find('{').unwrap_or(t.len());
            let literal = &t[..literal_end];
            if !text[pos..].starts_with(literal) {
                return None;
            }
            pos += literal.len();
            t = &t[literal_end..];
        }
    }
    (pos == text.len()).then_some(caps)
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
