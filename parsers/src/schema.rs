//! The normalized event schema: one Arrow row per log record, the same for every format.
//!
//! Column names are flat snake_case so SQL stays readable. See `DESIGN.md` for what each means.

use std::sync::{Arc, LazyLock};

use arrow::datatypes::{DataType, Field, Fields, Schema, SchemaRef, TimeUnit};

/// Column names, in schema order.
pub mod col {
    #![allow(missing_docs)]
    pub const TS: &str = "ts";
    pub const RECEIVED_AT: &str = "received_at";
    pub const SOURCE_TYPE: &str = "source_type";
    pub const COLLECTOR: &str = "collector";
    pub const PEER: &str = "peer";
    pub const ASSET_GROUP: &str = "asset_group";
    pub const FACILITY: &str = "facility";
    pub const SEVERITY: &str = "severity";
    pub const HOST: &str = "host";
    pub const APP: &str = "app";
    pub const PID: &str = "pid";
    pub const MSGID: &str = "msgid";
    pub const MESSAGE: &str = "message";
    pub const SRC_IP: &str = "src_ip";
    pub const DST_IP: &str = "dst_ip";
    pub const NAT_SRC_IP: &str = "nat_src_ip";
    pub const NAT_DST_IP: &str = "nat_dst_ip";
    pub const SRC_PORT: &str = "src_port";
    pub const DST_PORT: &str = "dst_port";
    pub const PROTOCOL: &str = "protocol";
    pub const ACTION: &str = "action";
    pub const RULE_NAME: &str = "rule_name";
    pub const IN_IFACE: &str = "in_iface";
    pub const OUT_IFACE: &str = "out_iface";
    pub const BYTES_IN: &str = "bytes_in";
    pub const BYTES_OUT: &str = "bytes_out";
    pub const PACKETS: &str = "packets";
    pub const USER: &str = "user";
    pub const OUTCOME: &str = "outcome";
    pub const FIELDS: &str = "fields";
    pub const RAW: &str = "raw";
    pub const PARSE_STATUS: &str = "parse_status";
    pub const PARSE_ERROR: &str = "parse_error";
}

/// Type of the `ts` and `received_at` columns.
pub fn timestamp_type() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC")))
}

/// Type of the dictionary-encoded low-cardinality columns.
pub fn dictionary_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// The key/value entries of the `fields` map column.
pub fn map_entries() -> Field {
    Field::new(
        "entries",
        DataType::Struct(Fields::from(vec![
            Field::new("keys", DataType::Utf8, false),
            Field::new("values", DataType::Utf8, true),
        ])),
        false,
    )
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    use col::*;
    let utf8 = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        Field::new(TS, timestamp_type(), true),
        Field::new(RECEIVED_AT, timestamp_type(), false),
        Field::new(SOURCE_TYPE, dictionary_type(), false),
        utf8(COLLECTOR),
        utf8(PEER),
        utf8(ASSET_GROUP),
        Field::new(FACILITY, DataType::UInt8, true),
        Field::new(SEVERITY, DataType::UInt8, true),
        utf8(HOST),
        utf8(APP),
        utf8(PID),
        utf8(MSGID),
        utf8(MESSAGE),
        utf8(SRC_IP),
        utf8(DST_IP),
        utf8(NAT_SRC_IP),
        utf8(NAT_DST_IP),
        Field::new(SRC_PORT, DataType::UInt16, true),
        Field::new(DST_PORT, DataType::UInt16, true),
        utf8(PROTOCOL),
        utf8(ACTION),
        utf8(RULE_NAME),
        utf8(IN_IFACE),
        utf8(OUT_IFACE),
        Field::new(BYTES_IN, DataType::UInt64, true),
        Field::new(BYTES_OUT, DataType::UInt64, true),
        Field::new(PACKETS, DataType::UInt64, true),
        utf8(USER),
        utf8(OUTCOME),
        Field::new(FIELDS, DataType::Map(Arc::new(map_entries()), false), false),
        Field::new(RAW, DataType::Binary, false),
        Field::new(PARSE_STATUS, dictionary_type(), false),
        utf8(PARSE_ERROR),
    ]))
});

/// The event schema, shared.
pub fn event_schema() -> SchemaRef {
    SCHEMA.clone()
}
