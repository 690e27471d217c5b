//! Text from logs shown to people. Every such string may have been written by an attacker:
//! these functions make it inert for the place it goes (a terminal, a plain-text mail, HTML).

use std::fmt::Write as _;

/// Characters that must not reach a reader as they are: C0/C1 controls, and the bidirectional
/// overrides that can make text read differently from what it is.
pub fn is_hidden(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Log text for a terminal or a plain-text mail: hidden characters written as `\u{..}` escapes.
pub fn visible(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_hidden(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// Log text for HTML (element content or a quoted attribute): escaped, hidden characters made visible.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in visible(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_cannot_break_out() {
        assert_eq!(
            html("<script>alert(1)</script>\"><img onerror='x'>&"),
            "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img onerror=&#39;x&#39;&gt;&amp;"
        );
        assert_eq!(
            visible("a\x1b[31mb\u{202e}c\r\n"),
            "a\\u{1b}[31mb\\u{202e}c\\u{d}\\u{a}"
        );
    }
}
