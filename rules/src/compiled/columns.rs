//! The fields the compiled rules read, row by row: first those that decide which log sources a
//! row belongs to, then those the rules of these log sources read.
//!
//! A *slot* is one field as rules read it: a schema column, a key of the `fields` map, or the
//! keyword text, and whether it is read as a number (a field compared with `gt`/`lt`/... is,
//! everywhere in that rule, as in the reference). For each slot a batch gets, per row, the text
//! the reference would compare, the same text lowered for case-insensitive matching, and the
//! number. Text borrowed from the batch stays borrowed; text made here (numbers written out,
//! lowered copies, repaired UTF-8) goes into one buffer per slot, so nothing is allocated per row.

use std::collections::HashMap;
use std::fmt::Write as _;

use arrow::array::{Array, AsArray, DictionaryArray};
use arrow::datatypes::{Int32Type, UInt8Type, UInt16Type, UInt64Type};

use crate::detect::BatchView;
use crate::logsource::FieldRef;

/// A field as rules read it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct SlotKey {
    pub field: FieldRef,
    pub numeric: bool,
}

/// Where a row's text is.
#[derive(Debug, Clone, Copy)]
enum Span<'b> {
    Missing,
    Batch(&'b str),
    Own(u32, u32),
}

/// A row's value of a slot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cell<'a> {
    pub text: &'a str,
    pub lower: &'a str,
    pub number: Option<f64>,
}

fn lower_into(text: &str, out: &mut String) {
    if text.is_ascii() {
        out.extend(text.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        out.extend(text.chars().flat_map(char::to_lowercase));
    }
}

/// How a slot is read from a batch, resolved once per batch.
enum Source<'b> {
    Strings(&'b arrow::array::StringArray),
    Dictionary(
        &'b DictionaryArray<Int32Type>,
        &'b arrow::array::StringArray,
    ),
    Numbers(&'b dyn Array),
    Map,
    Keywords,
    Absent,
}

/// Reads the slots one row needs, into buffers reused from row to row, so a batch costs in
/// proportion to what its rows hold, not to the number of slots (vendor keys, audit fields).
pub(crate) struct RowCells<'b> {
    sources: Vec<Source<'b>>,
    text: Vec<Span<'b>>,
    lower: Vec<Span<'b>>,
    number: Vec<Option<f64>>,
    own: String,
    /// Per slot, the row it was last read for (`usize::MAX`: never), and whether the map entry
    /// that gives its value has been seen in that row.
    wanted: Vec<usize>,
    found: Vec<usize>,
    current: usize,
    /// The slots the current `read` call reads (kept for its allocation).
    fresh: Vec<usize>,
}

impl<'b> RowCells<'b> {
    /// Resolves the slots of `keys` in a batch.
    pub(crate) fn new(view: &BatchView<'b>, keys: &[SlotKey]) -> RowCells<'b> {
        let sources = keys
            .iter()
            .map(|key| match &key.field {
                FieldRef::Map(_) => Source::Map,
                FieldRef::Keywords => Source::Keywords,
                FieldRef::Column(name) => match view.column(name) {
                    None => Source::Absent,
                    Some(array) => {
                        if let Some(s) = array.as_string_opt::<i32>() {
                            Source::Strings(s)
                        } else if let Some(d) =
                            array.as_any().downcast_ref::<DictionaryArray<Int32Type>>()
                            && let Some(values) = d.values().as_string_opt::<i32>()
                        {
                            Source::Dictionary(d, values)
                        } else if array.as_primitive_opt::<UInt16Type>().is_some()
                            || array.as_primitive_opt::<UInt64Type>().is_some()
                            || array.as_primitive_opt::<UInt8Type>().is_some()
                        {
                            Source::Numbers(array)
                        } else {
                            Source::Absent
                        }
                    }
                },
            })
            .collect();
        let n = keys.len();
        RowCells {
            sources,
            text: vec![Span::Missing; n],
            lower: vec![Span::Missing; n],
            number: vec![None; n],
            own: String::new(),
            wanted: vec![usize::MAX; n],
            found: vec![usize::MAX; n],
            current: usize::MAX,
            fresh: Vec::new(),
        }
    }

    /// Starts a row: the slots read for the previous one are forgotten.
    pub(crate) fn start(&mut self, row: usize) {
        self.own.clear();
        self.current = row;
    }

    /// Reads `slots` of the current row, those not read yet; `map_index` gives the slots of each
    /// `fields` key.
    pub(crate) fn read(
        &mut self,
        view: &BatchView<'b>,
        slots: &[usize],
        keys: &[SlotKey],
        map_index: &HashMap<String, Vec<usize>>,
    ) {
        let row = self.current;
        let mut needs_map = false;
        for &slot in slots {
            if self.wanted[slot] == row {
                continue;
            }
            self.wanted[slot] = row;
            self.fresh.push(slot);
            self.lower[slot] = Span::Missing;
            self.number[slot] = None;
            self.text[slot] = match &self.sources[slot] {
                Source::Strings(s) => {
                    if s.is_valid(row) {
                        Span::Batch(s.value(row))
                    } else {
                        Span::Missing
                    }
                }
                Source::Dictionary(d, values) => {
                    let keys = d.keys();
                    match keys
                        .is_valid(row)
                        .then(|| usize::try_from(keys.value(row)).ok())
                        .flatten()
                    {
                        Some(k) if k < values.len() => Span::Batch(values.value(k)),
                        _ => Span::Missing,
                    }
                }
                Source::Numbers(array) => {
                    let array = *array;
                    let value = if !array.is_valid(row) {
                        None
                    } else if let Some(a) = array.as_primitive_opt::<UInt16Type>() {
                        Some(u64::from(a.value(row)))
                    } else if let Some(a) = array.as_primitive_opt::<UInt64Type>() {
                        Some(a.value(row))
                    } else {
                        array
                            .as_primitive_opt::<UInt8Type>()
                            .map(|a| u64::from(a.value(row)))
                    };
                    match value {
                        Some(v) => self.own_text(|s| {
                            let _ = write!(s, "{v}");
                        }),
                        None => Span::Missing,
                    }
                }
                Source::Keywords => match view.message(row) {
                    Some(m) if !m.is_empty() => Span::Batch(m),
                    _ => match view.raw_bytes(row) {
                        None => Span::Batch(""),
                        Some(bytes) => match std::str::from_utf8(bytes) {
                            Ok(text) => Span::Batch(text),
                            Err(_) => {
                                self.own_text(|s| s.push_str(&String::from_utf8_lossy(bytes)))
                            }
                        },
                    },
                },
                Source::Map => {
                    needs_map = true;
                    Span::Missing
                }
                Source::Absent => Span::Missing,
            };
        }
        if needs_map {
            self.fill_map(view, row, map_index);
        }
        let fresh = std::mem::take(&mut self.fresh);
        for &slot in &fresh {
            if keys[slot].numeric {
                let parsed = self
                    .resolve(self.text[slot])
                    .and_then(|t| t.trim().parse::<f64>().ok());
                if let Some(n) = parsed {
                    self.number[slot] = Some(n);
                    self.text[slot] = self.own_text(|s| {
                        let _ = write!(s, "{n}");
                    });
                }
            }
            self.lower[slot] = match self.text[slot] {
                Span::Batch(t) if !needs_lowering(t) => Span::Batch(t),
                Span::Batch(t) => self.own_text(|s| lower_into(t, s)),
                span @ Span::Own(..) => match self.resolve(span) {
                    Some(t) if needs_lowering(t) => {
                        let t = t.to_owned();
                        self.own_text(|s| lower_into(&t, s))
                    }
                    _ => span,
                },
                Span::Missing => Span::Missing,
            };
        }
        self.fresh = fresh;
        self.fresh.clear();
    }

    fn fill_map(
        &mut self,
        view: &BatchView<'b>,
        row: usize,
        map_index: &HashMap<String, Vec<usize>>,
    ) {
        let Some(map) = view.fields_map() else {
            return;
        };
        if row >= map.len() || !map.is_valid(row) {
            return;
        }
        let (Some(keys), Some(values)) = (
            map.keys().as_string_opt::<i32>(),
            map.values().as_string_opt::<i32>(),
        ) else {
            return;
        };
        let offsets = map.value_offsets();
        let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
        for entry in start..end {
            let Some(slots) = map_index.get(keys.value(entry)) else {
                continue;
            };
            for &slot in slots {
                // The first entry with a key gives the value, as the reference reads it; a null
                // value makes the field absent.
                if self.wanted[slot] != row || self.found[slot] == row {
                    continue;
                }
                self.found[slot] = row;
                if values.is_valid(entry) {
                    self.text[slot] = Span::Batch(values.value(entry));
                }
            }
        }
    }

    fn own_text(&mut self, text: impl FnOnce(&mut String)) -> Span<'b> {
        let start = self.own.len();
        text(&mut self.own);
        Span::Own(start as u32, self.own.len() as u32)
    }

    fn resolve(&self, span: Span<'b>) -> Option<&str> {
        match span {
            Span::Missing => None,
            Span::Batch(s) => Some(s),
            Span::Own(a, b) => self.own.get(a as usize..b as usize),
        }
    }

    /// The value of a slot in the row last filled (`None` when it has none or was not read).
    pub(crate) fn cell(&self, slot: usize) -> Option<Cell<'_>> {
        if self.wanted.get(slot) != Some(&self.current) {
            return None;
        }
        let text = self.resolve(*self.text.get(slot)?)?;
        let lower = self
            .lower
            .get(slot)
            .and_then(|s| self.resolve(*s))
            .unwrap_or(text);
        Some(Cell {
            text,
            lower,
            number: self.number.get(slot).copied().flatten(),
        })
    }
}

fn needs_lowering(text: &str) -> bool {
    text.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80)
}
