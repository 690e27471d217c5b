//! Renders event batches as JSON lines (`canhgac parse`): one object per row, keys are the schema's
//! column names, nulls left out, times in RFC 3339, `fields` as an object, `raw` as text plus
//! `raw_b64` when the bytes are not UTF-8.

use std::fmt::Write as _;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{
    DataType, Int32Type, TimeUnit, TimestampMicrosecondType, UInt8Type, UInt16Type, UInt64Type,
};
use chrono::{DateTime, SecondsFormat};

/// Appends row `row` of `batch` to `out` as one JSON object and a newline.
pub fn write_row(batch: &RecordBatch, row: usize, out: &mut String) {
    out.push('{');
    let mut first = true;
    for (field, column) in batch.schema().fields().iter().zip(batch.columns()) {
        if column.is_null(row) {
            continue;
        }
        let name = field.name();
        let mut key = |out: &mut String| {
            if !first {
                out.push(',');
            }
            first = false;
            push_json_str(out, name);
            out.push(':');
        };
        match column.data_type() {
            DataType::Timestamp(TimeUnit::Microsecond, _) => {
                let v = column.as_primitive::<TimestampMicrosecondType>().value(row);
                key(out);
                let text = DateTime::from_timestamp_micros(v).map_or_else(
                    || v.to_string(),
                    |t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true),
                );
                push_json_str(out, &text);
            }
            DataType::Utf8 => {
                key(out);
                push_json_str(out, column.as_string::<i32>().value(row));
            }
            DataType::Dictionary(_, _) => {
                let dict = column.as_dictionary::<Int32Type>();
                let values = dict.values().as_string::<i32>();
                let idx = usize::try_from(dict.keys().value(row)).unwrap_or(0);
                key(out);
                push_json_str(out, values.value(idx));
            }
            DataType::UInt8 => {
                key(out);
                let _ = write!(out, "{}", column.as_primitive::<UInt8Type>().value(row));
            }
            DataType::UInt16 => {
                key(out);
                let _ = write!(out, "{}", column.as_primitive::<UInt16Type>().value(row));
            }
            DataType::UInt64 => {
                key(out);
                let _ = write!(out, "{}", column.as_primitive::<UInt64Type>().value(row));
            }
            DataType::Map(_, _) => {
                let entries = column.as_map().value(row);
                if entries.is_empty() {
                    continue;
                }
                let keys = entries.column(0).as_string::<i32>();
                let values = entries.column(1).as_string::<i32>();
                key(out);
                out.push('{');
                for i in 0..entries.len() {
                    if i > 0 {
                        out.push(',');
                    }
                    push_json_str(out, keys.value(i));
                    out.push(':');
                    if values.is_null(i) {
                        out.push_str("null");
                    } else {
                        push_json_str(out, values.value(i));
                    }
                }
                out.push('}');
            }
            DataType::Binary => {
                let bytes = column.as_binary::<i32>().value(row);
                key(out);
                match std::str::from_utf8(bytes) {
                    Ok(text) => push_json_str(out, text),
                    Err(_) => {
                        push_json_str(out, &String::from_utf8_lossy(bytes));
                        out.push_str(",\"");
                        out.push_str(name);
                        out.push_str("_b64\":\"");
                        base64(bytes, out);
                        out.push('"');
                    }
                }
            }
            other => {
                key(out);
                push_json_str(out, &format!("<unsupported {other}>"));
            }
        }
    }
    out.push_str("}\n");
}

/// A JSON string literal.
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Standard base64 with padding.
fn base64(bytes: &[u8], out: &mut String) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut out = String::new();
            base64(input.as_bytes(), &mut out);
            assert_eq!(out, expected);
        }
    }

    #[test]
    fn strings_are_escaped() {
        let mut out = String::new();
        push_json_str(&mut out, "a\"b\\c\n\u{1}");
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\u0001\"");
    }
}
