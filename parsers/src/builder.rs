//! Builds Arrow record batches of the event schema from raw records.
//!
//! The builder owns one Arrow builder per column and is reused batch after batch; a record is parsed
//! into a borrowed [`Event`] and copied straight into the columns. Every pushed record becomes
//! exactly one row, whatever its bytes.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryBuilder, MapBuilder, MapFieldNames, RecordBatch, StringBuilder,
    StringDictionaryBuilder, TimestampMicrosecondBuilder, UInt8Builder, UInt16Builder,
    UInt64Builder,
};
use arrow::datatypes::Int32Type;

use crate::context::ParseContext;
use crate::event::{Event, ParseStatus, Text};
use crate::schema::event_schema;

/// Where a record came from, as the collector knows it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin<'m> {
    /// Name of the configured source (or the file) that received it.
    pub collector: Option<&'m str>,
    /// Sender address.
    pub peer: Option<&'m str>,
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
        let text: &str = match std::str::from_utf8(raw) {
            Ok(s) => s,
            Err(_) => {
                self.lossy.clear();
                self.lossy.push_str(&String::from_utf8_lossy(raw));
                &self.lossy
            }
        };
        let mut ev = Event {
            fields: recycle(std::mem::take(&mut self.spare_fields)),
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
    // In-place collection of an empty iterator keeps the allocation.
    v.into_iter().filter_map(|_| None).collect()
}

struct Columns {
    rows: usize,
    ts: TimestampMicrosecondBuilder,
    received_at: TimestampMicrosecondBuilder,
    source_type: StringDictionaryBuilder<Int32Type>,
    collector: StringBuilder,
    peer: StringBuilder,
    facility: UInt8Builder,
    severity: UInt8Builder,
    host: StringBuilder,
    app: StringBuilder,
    pid: StringBuilder,
    msgid: StringBuilder,
    message: StringBuilder,
    src_ip: StringBuilder,
    dst_ip: StringBuilder,
    nat_src_ip: StringBuilder,
    nat_dst_ip: StringBuilder,
    src_port: UInt16Builder,
    dst_port: UInt16Builder,
    protocol: StringBuilder,
    action: StringBuilder,
    rule_name: StringBuilder,
    in_iface: StringBuilder,
    out_iface: StringBuilder,
    bytes_in: UInt64Builder,
    bytes_out: UInt64Builder,
    packets: UInt64Builder,
    user: StringBuilder,
    outcome: StringBuilder,
    fields: MapBuilder<StringBuilder, StringBuilder>,
    raw: BinaryBuilder,
    parse_status: StringDictionaryBuilder<Int32Type>,
    parse_error: StringBuilder,
}

impl Columns {
    fn new() -> Self {
        let names = MapFieldNames {
            entry: "entries".into(),
            key: "keys".into(),
            value: "values".into(),
        };
        Columns {
            rows: 0,
            ts: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            received_at: TimestampMicrosecondBuilder::new().with_timezone("UTC"),
            source_type: StringDictionaryBuilder::new(),
            collector: StringBuilder::new(),
            peer: StringBuilder::new(),
            facility: UInt8Builder::new(),
            severity: UInt8Builder::new(),
            host: StringBuilder::new(),
            app: StringBuilder::new(),
            pid: StringBuilder::new(),
            msgid: StringBuilder::new(),
            message: StringBuilder::new(),
            src_ip: StringBuilder::new(),
            dst_ip: StringBuilder::new(),
            nat_src_ip: StringBuilder::new(),
            nat_dst_ip: StringBuilder::new(),
            src_port: UInt16Builder::new(),
            dst_port: UInt16Builder::new(),
            protocol: StringBuilder::new(),
            action: StringBuilder::new(),
            rule_name: StringBuilder::new(),
            in_iface: StringBuilder::new(),
            out_iface: StringBuilder::new(),
            bytes_in: UInt64Builder::new(),
            bytes_out: UInt64Builder::new(),
            packets: UInt64Builder::new(),
            user: StringBuilder::new(),
            outcome: StringBuilder::new(),
            fields: MapBuilder::new(Some(names), StringBuilder::new(), StringBuilder::new()),
            raw: BinaryBuilder::new(),
            parse_status: StringDictionaryBuilder::new(),
            parse_error: StringBuilder::new(),
        }
    }

    fn append(&mut self, ev: &Event<'_>, raw: &[u8], received_at: i64, origin: Origin<'_>) {
        self.rows += 1;
        self.ts.append_option(ev.ts);
        self.received_at.append_value(received_at);
        self.source_type.append_value(ev.source_type.as_str());
        self.collector.append_option(origin.collector);
        self.peer.append_option(origin.peer);
        self.facility.append_option(ev.facility);
        self.severity.append_option(ev.severity);
        self.host.append_option(ev.host.as_deref());
        self.app.append_option(ev.app.as_deref());
        self.pid.append_option(ev.pid.as_deref());
        self.msgid.append_option(ev.msgid.as_deref());
        self.message.append_option(ev.message.as_deref());
        self.src_ip.append_option(ev.src_ip.as_deref());
        self.dst_ip.append_option(ev.dst_ip.as_deref());
        self.nat_src_ip.append_option(ev.nat_src_ip.as_deref());
        self.nat_dst_ip.append_option(ev.nat_dst_ip.as_deref());
        self.src_port.append_option(ev.src_port);
        self.dst_port.append_option(ev.dst_port);
        self.protocol.append_option(ev.protocol.as_deref());
        self.action.append_option(ev.action.as_deref());
        self.rule_name.append_option(ev.rule_name.as_deref());
        self.in_iface.append_option(ev.in_iface.as_deref());
        self.out_iface.append_option(ev.out_iface.as_deref());
        self.bytes_in.append_option(ev.bytes_in);
        self.bytes_out.append_option(ev.bytes_out);
        self.packets.append_option(ev.packets);
        self.user.append_option(ev.user.as_deref());
        self.outcome.append_option(ev.outcome);
        for (k, v) in &ev.fields {
            self.fields.keys().append_value(k);
            self.fields.values().append_value(v);
        }
        // A map entry is always valid; appending cannot fail for a non-null entry.
        let _ = self.fields.append(true);
        self.raw.append_value(raw);
        self.parse_status.append_value(ev.status.as_str());
        self.parse_error.append_option(ev.error.as_deref());
    }

    fn finish(&mut self) -> crate::Result<RecordBatch> {
        self.rows = 0;
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.ts.finish()),
            Arc::new(self.received_at.finish()),
            Arc::new(self.source_type.finish()),
            Arc::new(self.collector.finish()),
            Arc::new(self.peer.finish()),
            Arc::new(self.facility.finish()),
            Arc::new(self.severity.finish()),
            Arc::new(self.host.finish()),
            Arc::new(self.app.finish()),
            Arc::new(self.pid.finish()),
            Arc::new(self.msgid.finish()),
            Arc::new(self.message.finish()),
            Arc::new(self.src_ip.finish()),
            Arc::new(self.dst_ip.finish()),
            Arc::new(self.nat_src_ip.finish()),
            Arc::new(self.nat_dst_ip.finish()),
            Arc::new(self.src_port.finish()),
            Arc::new(self.dst_port.finish()),
            Arc::new(self.protocol.finish()),
            Arc::new(self.action.finish()),
            Arc::new(self.rule_name.finish()),
            Arc::new(self.in_iface.finish()),
            Arc::new(self.out_iface.finish()),
            Arc::new(self.bytes_in.finish()),
            Arc::new(self.bytes_out.finish()),
            Arc::new(self.packets.finish()),
            Arc::new(self.user.finish()),
            Arc::new(self.outcome.finish()),
            Arc::new(self.fields.finish()),
            Arc::new(self.raw.finish()),
            Arc::new(self.parse_status.finish()),
            Arc::new(self.parse_error.finish()),
        ];
        Ok(RecordBatch::try_new(event_schema(), columns)?)
    }
}
