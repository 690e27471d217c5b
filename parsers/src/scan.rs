//! Byte scans eight bytes at a time, in portable safe code ("SIMD within a register").
//!
//! Netfilter's words are split by looking at every byte of every record; a byte-by-byte loop
//! spends about eight instructions a byte there. This scan reads eight bytes as one integer and
//! finds the bytes it looks for with a few integer operations, falling back to single bytes only
//! for the last few bytes of a record. (Key=value lists, whose tokens are shorter, use a table
//! lookup per byte instead: see `firewall::kv`.)

const ONES: u64 = 0x0101_0101_0101_0101;
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// Bit 7 of every byte of `x` that equals `byte`, and no other bit (exact: no false positives
/// after a match, unlike the shorter zero-byte trick).
#[inline]
fn matches(x: u64, byte: u8) -> u64 {
    let y = x ^ (ONES * u64::from(byte));
    !((((y & LOW7).wrapping_add(LOW7)) | y) | LOW7)
}

/// The eight bytes at `at`, if there are eight.
#[inline]
fn word(b: &[u8], at: usize) -> Option<u64> {
    let chunk: [u8; 8] = b.get(at..at + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// Byte offset of the lowest flagged byte of a non-zero mask.
#[inline]
fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// Where the word that starts at `start` ends (the next space, or the end of `b`), and where its
/// first `=` is, if it has one.
pub(crate) fn word_and_eq(b: &[u8], start: usize) -> (usize, Option<usize>) {
    let mut at = start;
    let mut eq = None;
    while let Some(x) = word(b, at) {
        let spaces = matches(x, b' ');
        if eq.is_none() {
            // Only an `=` before the first space belongs to this word.
            let before_space = if spaces == 0 {
                u64::MAX
            } else {
                spaces ^ (spaces - 1)
            };
            let eqs = matches(x, b'=') & before_space;
            if eqs != 0 {
                eq = Some(at + first(eqs));
            }
        }
        if spaces != 0 {
            return (at + first(spaces), eq);
        }
        at += 8;
    }
    while at < b.len() && b[at] != b' ' {
        if b[at] == b'=' && eq.is_none() {
            eq = Some(at);
        }
        at += 1;
    }
    (at, eq)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain loops these scans replace.
    fn naive_word_and_eq(b: &[u8], start: usize) -> (usize, Option<usize>) {
        let end = b[start..]
            .iter()
            .position(|&c| c == b' ')
            .map_or(b.len(), |i| start + i);
        let eq = b[start..end]
            .iter()
            .position(|&c| c == b'=')
            .map(|i| start + i);
        (end, eq)
    }

    #[test]
    fn byte_masks_are_exact() {
        // Every byte value next to every other: a borrow from one byte must not flag its neighbour.
        for hit in [b' ', b'=', b'"', 0u8, 0x80, 0xff] {
            for other in 0..=255u8 {
                let x = u64::from_le_bytes([other, hit, other, other, hit, hit, other, 0x80]);
                let m = matches(x, hit);
                for i in 0..8 {
                    let byte = x.to_le_bytes()[i];
                    assert_eq!(m >> (8 * i + 7) & 1 == 1, byte == hit, "{hit} {other} {i}");
                }
            }
        }
    }

    #[test]
    fn scans_agree_with_plain_loops() {
        let texts = [
            "IN=eth0 OUT= MAC=00:50:56:9a:11:22:00:1c:73:00:00:99:08:00 SRC=10.0.0.1 LEN=60 DF SYN",
            "a=b=c d",
            "noequals here",
            "=start and=end=",
            "   spaces   everywhere = =",
            "x",
            "",
            "key=\"quoted value\" other=1",
            "tabs\tand\nbreaks,commas\x01controls=x,y \"q\" \u{7f}",
            "long_value_without_any_separator_at_all_for_more_than_eight_bytes=1",
        ];
        for text in texts {
            let b = text.as_bytes();
            for start in 0..=b.len() {
                assert_eq!(
                    word_and_eq(b, start),
                    naive_word_and_eq(b, start),
                    "{text} {start}"
                );
            }
        }
    }
}
