//! Builds Arrow record batches of the event schema from raw records.
//!
//! The builder owns one Arrow builder per column and is reused batch after batch; a record is parsed
//! into a borrowed [`Event`] and copied straight into the columns. Every pushed record becomes
//! exactly one row, whatever its bytes.

use std::sync::Arc;

use arrow::array::{
    ArrayBuilder, ArrayRef, BinaryBuilder, DictionaryArray, Int32Array, MapBuilder, MapFieldNames,
    PrimitiveBuilder, RecordBatch, StringArray, StringBuilder, TimestampMicrosecondArray,
    TimestampMicrosecondBuilder, UInt8Builder, UInt16Builder, UInt64Builder,
};
use arrow::datatypes::{ArrowPrimitiveType, Int32Type};

use crate::context::ParseContext;
use crate::event::{Event, ParseStatus, SourceType, Text};
use crate::schema::event_schema;

/// Where a record came from, as the collector knows it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'m> {
    /// Name of the configured source (or the file) that received it.
    pub collector: Option<&'m str>,
    /// Sender address.
    pub peer: Option<&'m str>,
    /// The department or asset group the sender belongs to (from the collector's config).
    pub group: Option<&'m str>,
    /// The framing cut this record at the frame size limit.
    pub truncated: bool,
}

/// Counts of what a builder has seen since it was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseStats {
    /// Records pushed.
    pub records: u64,
    /// Records with `parse_status = partial`.
    pub partial: u64,
    /// Records with `parse_status = failed`.
    pub failed: u64,
    /// Bytes of raw input.
    pub bytes: u64,
}

/// A reusable batch builder for the event schema.
pub struct BatchBuilder {
    columns: Columns,
    /// Lossy UTF-8 copy of the current record when its bytes are not valid UTF-8.
    lossy: String,
    spare_fields: Vec<(Text<'static>, Text<'static>)>,
    stats: ParseStats,
}

impl Default for BatchBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        BatchBuilder {
            columns: Columns::new(),
            lossy: String::new(),
            spare_fields: Vec::new(),
            stats: ParseStats::default(),
        }
    }

    /// Parses one record and appends it as a row. Never fails; returns the row's parse status.
    pub fn push(&mut self, raw: &[u8], ctx: &ParseContext, origin: Origin<'_>) -> ParseStatus {
        // SIMD validation: the standard one costs about two instructions a byte, on every byte.
        let text: &str = match simdutf8::basic::from_utf8(raw) {
            Ok(s) => s,
            Err(_) => {
                self.lossy.clear();
                self.lossy.push_str(&String::from_utf8_lossy(raw));
                &self.lossy
            }
        };
        // `'static` text is text of any lifetime: the empty vector goes in as it is.
        let mut ev = Event {
            fields: std::mem::take(&mut self.spare_fields),
            ..Event::default()
        };
        crate::parse_record(text, ctx, &mut ev);
        if origin.truncated {
            ev.field("truncated", "true");
            ev.mark_partial("record longer than the frame limit was cut");
        }
        let status = ev.status;
        self.columns.append(&ev, raw, ctx.received_at, origin);
        self.spare_fields = recycle(ev.fields);
        self.stats.records += 1;
        self.stats.bytes += raw.len() as u64;
        match status {
            ParseStatus::Ok => {}
            ParseStatus::Partial => self.stats.partial += 1,
            ParseStatus::Failed => self.stats.failed += 1,
        }
        status
    }

    /// Appends an event that was parsed elsewhere (e.g. by a test or a replay).
    pub fn push_event(&mut self, ev: &Event<'_>, raw: &[u8], received_at: i64, origin: Origin<'_>) {
        self.columns.append(ev, raw, received_at, origin);
        self.stats.records += 1;
        self.stats.bytes += raw.len() as u64;
    }

    /// Rows appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.columns.rows
    }

    /// Whether no rows are pending.
    pub fn is_empty(&self) -> bool {
        self.columns.rows == 0
    }

    /// What this builder has seen.
    pub fn stats(&self) -> ParseStats {
        self.stats
    }

    /// Takes the pending rows as a batch and starts the next one.
    pub fn finish(&mut self) -> crate::Result<RecordBatch> {
        self.columns.finish()
    }
}

/// Empties a fields vector and hands its allocation to the next record.
fn recycle<'a, 'b>(mut v: Vec<(Text<'a>, Text<'a>)>) -> Vec<(Text<'b>, Text<'b>)> {
    v.clear();
    // In-place collection of an empty iterator keeps the allocation; `filter_map` (not `filter`)
    // is what lets the element type take the new lifetime.
    #[allow(clippy::unnecessary_filter_map)]
    v.into_iter().filter_map(|_| None).collect()
}

/// An optional column that is mostly null: values are appended when set and the nulls in between
/// are filled in bulk, so a row that leaves the column empty costs nothing.
struct Sparse<B> {
    builder: B,
    len: usize,
}

impl<B: Default> Default for Sparse<B> {
    fn default() -> Self {
        Sparse {
            builder: B::default(),
            len: 0,
        }
    }
}

// `set` runs for every column of every row, mostly to find nothing to do: inlined, the `None`
// case is one branch; and the null filler is only called when there is a gap to fill.
impl Sparse<StringBuilder> {
    #[inline]
    fn set(&mut self, row: usize, value: Option<&str>) {
        if let Some(v) = value {
            if row > self.len {
                self.builder.append_nulls(row - self.len);
            }
            self.builder.append_value(v);
            self.len = row + 1;
        }
    }

    fn finish(&mut self, rows: usize) -> ArrayRef {
        self.builder.append_nulls(rows - self.len);
        self.len = 0;
        // The next batch is likely the same size: reserve that up front instead of regrowing.
        let bytes = self.builder.values_slice().len();
        let array = std::mem::replace(&mut self.builder, StringBuilder::with_capacity(rows, bytes))
            .finish();
        Arc::new(array)
    }
}

impl<T: ArrowPrimitiveType> Sparse<PrimitiveBuilder<T>> {
    #[inline]
    fn set(&mut self, row: usize, value: Option<T::Native>) {
        if let Some(v) = value {
            if row > self.len {
                self.builder.append_nulls(row - self.len);
            }
            self.builder.append_value(v);
            self.len = row + 1;
        }
    }

    fn finish(&mut self, rows: usize) -> ArrayRef {
        self.builder.append_nulls(rows - self.len);
        self.len = 0;
        let array =
            std::mem::replace(&mut self.builder, PrimitiveBuilder::with_capacity(rows)).finish();
        Arc::new(array)
    }
}

/// A dictionary column over a fixed list of values: appending is pushing a key. The keys are never
/// null, so a plain vector holds them (an Arrow builder would also keep a validity count).
struct FixedDictionary {
    keys: Vec<i32>,
    values: ArrayRef,
}

impl FixedDictionary {
    fn new(values: &[&str]) -> Self {
        FixedDictionary {
            keys: Vec::new(),
            values: Arc::new(StringArray::from(values.to_vec())),
        }
    }

    #[inline]
    fn push(&mut self, key: usize) {
        self.keys.push(i32::try_from(key).unwrap_or(0));
    }

    fn finish(&mut self) -> crate::Result<ArrayRef> {
        let rows = self.keys.len();
        let keys = Int32Array::from(std::mem::replace(&mut self.keys, Vec::with_capacity(rows)));
        Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
            keys,
            self.values.clone(),
        )?))
    }
}

/// The `fields` map builder, sized for `rows` rows of `entries` entries in all.
fn fields_builder(
    rows: usize,
    entries: usize,
    key_bytes: usize,
    value_bytes: usize,
) -> MapBuilder<StringBuilder, StringBuilder> {
    let names = MapFieldNames {
        entry: "entries".into(),
        key: "keys".into(),
        value: "values".into(),
    };
    MapBuilder::with_capacity(
        Some(names),
        StringBuilder::with_capacity(entries, key_bytes),
        StringBuilder::with_capacity(entries, value_bytes),
        rows,
    )
}

struct Columns {
    rows: usize,
    ts: TimestampMicrosecondBuilder,
    /// Never null: a plain vector (see [`FixedDictionary`]).
    received_at: Vec<i64>,
    source_type: FixedDictionary,
    collector: Sparse<StringBuilder>,
    peer: Sparse<StringBuilder>,
    asset_group: Sparse<StringBuilder>,
    facility: Sparse<UInt8Builder>,
    severity: Sparse<UInt8Builder>,
    host: Sparse<StringBuilder>,
    app: Sparse<StringBuilder>,
    pid: Sparse<StringBuilder>,
    msgid: Sparse<StringBuilder>,
    message: Sparse<StringBuilder>,
    src_ip: Sparse<StringBuilder>,
    dst_ip: Sparse<StringBuilder>,
    nat_src_ip: Sparse<StringBuilder>,
    nat_dst_ip: Sparse<StringBuilder>,
    src_port: Sparse<UInt16Builder>,
    dst_port: Sparse<UInt16Builder>,
    protocol: Sparse<StringBuilder>,
    action: Sparse<StringBuilder>,
    rule_name: Sparse<StringBuilder>,
    in_iface: Sparse<StringBuilder>,
    out_iface: Sparse<StringBuilder>,
    bytes_in: Sparse<UInt64Builder>,
    bytes_out: Sparse<UInt64Builder>,
    packets: Sparse<UInt64Builder>,
    user: Sparse<StringBuilder>,
    outcome: Sparse<StringBuilder>,
    fields: MapBuilder<StringBuilder, StringBuilder>,
    raw: BinaryBuilder,
    parse_status: FixedDictionary,
    parse_error: Sparse<StringBuilder>,
}

impl Columns {
    fn new() -> Self {
        let source_types: Vec<&str> = SourceType::ALL.iter().map(|t| t.as_str()).collect();
        let statuses: Vec<&str> = ParseStatus::ALL.iter().map(|s| s.as_str()).collect();
        Columns {
            rows: 0,
            ts: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            received_at: Vec::new(),
            source_type: FixedDictionary::new(&source_types),
            collector: Sparse::default(),
            peer: Sparse::default(),
            asset_group: Sparse::default(),
            facility: Sparse::default(),
            severity: Sparse::default(),
            host: Sparse::default(),
            app: Sparse::default(),
            pid: Sparse::default(),
            msgid: Sparse::default(),
            message: Sparse::default(),
            src_ip: Sparse::default(),
            dst_ip: Sparse::default(),
            nat_src_ip: Sparse::default(),
            nat_dst_ip: Sparse::default(),
            src_port: Sparse::default(),
            dst_port: Sparse::default(),
            protocol: Sparse::default(),
            action: Sparse::default(),
            rule_name: Sparse::default(),
            in_iface: Sparse::default(),
            out_iface: Sparse::default(),
            bytes_in: Sparse::default(),
            bytes_out: Sparse::default(),
            packets: Sparse::default(),
            user: Sparse::default(),
            outcome: Sparse::default(),
            fields: fields_builder(0, 0, 0, 0),
            raw: BinaryBuilder::new(),
            parse_status: FixedDictionary::new(&statuses),
            parse_error: Sparse::default(),
        }
    }

    fn append(&mut self, ev: &Event<'_>, raw: &[u8], received_at: i64, origin: Origin<'_>) {
        let row = self.rows;
        self.rows += 1;
        self.ts.append_option(ev.ts);
        self.received_at.push(received_at);
        self.source_type.push(ev.source_type.index());
        self.collector.set(row, origin.collector);
        self.peer.set(row, origin.peer);
        self.asset_group.set(row, origin.group);
        self.facility.set(row, ev.facility);
        self.severity.set(row, ev.severity);
        self.host.set(row, ev.host.as_deref());
        self.app.set(row, ev.app.as_deref());
        self.pid.set(row, ev.pid.as_deref());
        self.msgid.set(row, ev.msgid.as_deref());
        self.message.set(row, ev.message.as_deref());
        self.src_ip.set(row, ev.src_ip.as_deref());
        self.dst_ip.set(row, ev.dst_ip.as_deref());
        self.nat_src_ip.set(row, ev.nat_src_ip.as_deref());
        self.nat_dst_ip.set(row, ev.nat_dst_ip.as_deref());
        self.src_port.set(row, ev.src_port);
        self.dst_port.set(row, ev.dst_port);
        self.protocol.set(row, ev.protocol.as_deref());
        self.action.set(row, ev.action.as_deref());
        self.rule_name.set(row, ev.rule_name.as_deref());
        self.in_iface.set(row, ev.in_iface.as_deref());
        self.out_iface.set(row, ev.out_iface.as_deref());
        self.bytes_in.set(row, ev.bytes_in);
        self.bytes_out.set(row, ev.bytes_out);
        self.packets.set(row, ev.packets);
        self.user.set(row, ev.user.as_deref());
        self.outcome.set(row, ev.outcome);
        for (k, v) in &ev.fields {
            self.fields.keys().append_value(k);
            self.fields.values().append_value(v);
        }
        // A map entry is always valid; appending cannot fail for a non-null entry.
        let _ = self.fields.append(true);
        self.raw.append_value(raw);
        self.parse_status.push(ev.status.index());
        self.parse_error.set(row, ev.error.as_deref());
    }

    fn finish(&mut self) -> crate::Result<RecordBatch> {
        let n = self.rows;
        self.rows = 0;
        // Every builder starts the next batch at this one's size: regrowing them from empty
        // batch after batch cost more than appending the values.
        let timestamps = || TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
        let ts = std::mem::replace(&mut self.ts, timestamps()).finish();
        let received_at = TimestampMicrosecondArray::from(std::mem::replace(
            &mut self.received_at,
            Vec::with_capacity(n),
        ))
        .with_timezone("UTC");
        let entries = self.fields.keys().len();
        let key_bytes = self.fields.keys().values_slice().len();
        let value_bytes = self.fields.values().values_slice().len();
        let fields = std::mem::replace(
            &mut self.fields,
            fields_builder(n, entries, key_bytes, value_bytes),
        )
        .finish();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(ts),
            Arc::new(received_at),
            self.source_type.finish()?,
            self.collector.finish(n),
            self.peer.finish(n),
            self.asset_group.finish(n),
            self.facility.finish(n),
            self.severity.finish(n),
            self.host.finish(n),
            self.app.finish(n),
            self.pid.finish(n),
            self.msgid.finish(n),
            self.message.finish(n),
            self.src_ip.finish(n),
            self.dst_ip.finish(n),
            self.nat_src_ip.finish(n),
            self.nat_dst_ip.finish(n),
            self.src_port.finish(n),
            self.dst_port.finish(n),
            self.protocol.finish(n),
            self.action.finish(n),
            self.rule_name.finish(n),
            self.in_iface.finish(n),
            self.out_iface.finish(n),
            self.bytes_in.finish(n),
            self.bytes_out.finish(n),
            self.packets.finish(n),
            self.user.finish(n),
            self.outcome.finish(n),
            Arc::new(fields),
            {
                let bytes = self.raw.values_slice().len();
                Arc::new(
                    std::mem::replace(&mut self.raw, BinaryBuilder::with_capacity(n, bytes))
                        .finish(),
                )
            },
            self.parse_status.finish()?,
            self.parse_error.finish(n),
        ];
        Ok(RecordBatch::try_new(event_schema(), columns)?)
    }
}
