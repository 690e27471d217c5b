//! Rollups kept at ingest, so monthly figures never scan a month of raw events.
//!
//! Every Parquet file of the event store gets a companion with the same name under `rollups/`:
//! - `rollups/hourly/date=D/<name>`: events per hour, collector, source type, host, department and
//!   parse status, with raw bytes, firewall denies (`action` deny/drop/reject/reset), failed
//!   authentications (`outcome` = failure) and privileged activity ([`is_privileged`]: sudo, su,
//!   account changes, network-device administrator logins and configuration changes) counted
//!   alongside;
//! - `rollups/denies/date=D/<name>`: firewall denies per source address for the file's day, the
//!   [`DENY_TOP`] largest exactly and the rest summed in one row with a null address (so sums over
//!   files stay exact; a top list over several files can miss an address that is small in each).
//!
//! A companion is written (temp file, fsync, rename) before its event file is renamed into place,
//! and it counts for exactly the event file of the same name: a companion without its event file
//! (a crash between the two renames) is ignored by readers, an event file without a companion
//! (written before rollups existed) is rolled up from the events when read. Re-compacting a WAL
//! segment writes both under the same names again, so nothing is counted twice.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, RecordBatch, StringArray, StringBuilder, TimestampMicrosecondArray,
    UInt64Array,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit, TimestampMicrosecondType};
use canhgac_parsers::schema::col;
use parquet::arrow::ArrowWriter;

use crate::error::{Error, Result};

/// Directory of the rollups inside a data directory.
pub const ROLLUPS_DIR: &str = "rollups";
/// Hourly counts, under [`ROLLUPS_DIR`].
pub const HOURLY: &str = "hourly";
/// Denies per source address, under [`ROLLUPS_DIR`].
pub const DENIES: &str = "denies";
/// Source addresses kept exactly per file in the deny rollup.
pub const DENY_TOP: usize = 1000;

const HOUR_MICROS: i64 = 3_600_000_000;
/// Separates key parts (replaced by a space inside a value).
const SEP: char = '\u{1f}';

/// Columns of the hourly rollup.
pub fn hourly_schema() -> SchemaRef {
    let text = |n: &str| Field::new(n, DataType::Utf8, true);
    let count = |n: &str| Field::new(n, DataType::UInt64, false);
    Arc::new(Schema::new(vec![
        Field::new(
            "hour",
            DataType::Timestamp(TimeUnit::Microsecond, Some(Arc::from("UTC"))),
            false,
        ),
        text("collector"),
        text("source_type"),
        text("host"),
        text("asset_group"),
        text("parse_status"),
        count("events"),
        count("bytes"),
        count("denied"),
        count("auth_failures"),
        // Nullable: companions written before it existed read it as null.
        Field::new("privileged", DataType::UInt64, true),
    ]))
}

/// Whether an event is privileged activity: what the compliance report shows as administrator
/// activity. Linux: sudo, su and account or group changes; Cisco ASA: configuration changes and
/// administrator logins (111008-111010, 502101-502112, 605004/605005, 611101-611103); Cisco IOS:
/// `SYS-5-CONFIG_I` and `SEC_LOGIN-*`; FortiGate: administrator logins and configuration
/// edits (`action` login, logout, add, edit, delete).
pub fn is_privileged(
    source_type: &str,
    app: Option<&str>,
    msgid: Option<&str>,
    action: Option<&str>,
) -> bool {
    match source_type {
        "linux_auth" | "syslog" => matches!(
            app,
            Some(
                "sudo"
                    | "su"
                    | "useradd"
                    | "userdel"
                    | "usermod"
                    | "groupadd"
                    | "groupdel"
                    | "groupmod"
                    | "passwd"
                    | "chpasswd"
                    | "gpasswd"
                    | "chage"
            )
        ),
        "cisco_asa" => msgid.is_some_and(|m| {
            matches!(
                m,
                "111008"
                    | "111009"
                    | "111010"
                    | "605004"
                    | "605005"
                    | "611101"
                    | "611102"
                    | "611103"
            ) || m
                .parse::<u32>()
                .is_ok_and(|n| (502101..=502112).contains(&n))
        }),
        "cisco_ios" => {
            msgid.is_some_and(|m| m.starts_with("SYS-5-CONFIG") || m.starts_with("SEC_LOGIN-"))
        }
        "fortigate" => action.is_some_and(|a| {
            ["login", "logout", "add", "edit", "delete"]
                .iter()
                .any(|w| a.eq_ignore_ascii_case(w))
        }),
        _ => false,
    }
}

/// Columns of the deny rollup.
pub fn denies_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("src_ip", DataType::Utf8, true),
        Field::new("denied", DataType::UInt64, false),
    ]))
}

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    events: u64,
    bytes: u64,
    denied: u64,
    auth_failures: u64,
    privileged: u64,
}

/// The rollup of one event file, filled batch by batch.
#[derive(Debug, Default)]
pub struct Rollup {
    hourly: HashMap<String, Counts>,
    denies: HashMap<String, u64>,
    key: String,
}

/// A column as text, whatever its encoding (dictionary or plain).
fn text_column(batch: &RecordBatch, name: &str) -> Result<Option<ArrayRef>> {
    match batch.column_by_name(name) {
        None => Ok(None),
        Some(c) if c.data_type() == &DataType::Utf8 => Ok(Some(Arc::clone(c))),
        Some(c) => Ok(Some(cast(c, &DataType::Utf8)?)),
    }
}

fn value(column: &Option<ArrayRef>, row: usize) -> Option<&str> {
    let c = column.as_ref()?.as_string::<i32>();
    (!c.is_null(row)).then(|| c.value(row))
}

impl Rollup {
    /// Counts a batch of the event schema.
    pub fn add(&mut self, batch: &RecordBatch) -> Result<()> {
        let ts = batch
            .column_by_name(col::TS)
            .map(|c| c.as_primitive::<TimestampMicrosecondType>().clone());
        let received = batch
            .column_by_name(col::RECEIVED_AT)
            .ok_or_else(|| Error::Internal("batch has no received_at column".into()))?
            .as_primitive::<TimestampMicrosecondType>()
            .clone();
        let parts = [
            text_column(batch, col::COLLECTOR)?,
            text_column(batch, col::SOURCE_TYPE)?,
            text_column(batch, col::HOST)?,
            text_column(batch, col::ASSET_GROUP)?,
            text_column(batch, col::PARSE_STATUS)?,
        ];
        let action = text_column(batch, col::ACTION)?;
        let outcome = text_column(batch, col::OUTCOME)?;
        let src_ip = text_column(batch, col::SRC_IP)?;
        let app = text_column(batch, col::APP)?;
        let msgid = text_column(batch, col::MSGID)?;
        let raw = batch
            .column_by_name(col::RAW)
            .map(|c| c.as_binary::<i32>().clone());
        for row in 0..batch.num_rows() {
            let micros = match &ts {
                Some(t) if !t.is_null(row) => t.value(row),
                _ => received.value(row),
            };
            let hour = micros.div_euclid(HOUR_MICROS);
            self.key.clear();
            let _ = write!(self.key, "{hour}");
            for part in &parts {
                self.key.push(SEP);
                // Absent and empty are kept apart: `\u{0}` marks a null.
                match value(part, row) {
                    Some(v) if v.contains(SEP) => self.key.push_str(&v.replace(SEP, " ")),
                    Some(v) => self.key.push_str(v),
                    None => self.key.push('\0'),
                }
            }
            let denied = matches!(
                value(&action, row),
                Some("deny" | "drop" | "reject" | "reset")
            );
            let failed = value(&outcome, row) == Some("failure");
            let privileged = is_privileged(
                value(&parts[1], row).unwrap_or(""),
                value(&app, row),
                value(&msgid, row),
                value(&action, row),
            );
            let bytes = raw.as_ref().map_or(0, |r| r.value(row).len() as u64);
            let counts = match self.hourly.get_mut(self.key.as_str()) {
                Some(c) => c,
                None => self.hourly.entry(self.key.clone()).or_default(),
            };
            counts.events += 1;
            counts.bytes += bytes;
            counts.denied += u64::from(denied);
            counts.auth_failures += u64::from(failed);
            counts.privileged += u64::from(privileged);
            if denied {
                let ip = value(&src_ip, row).unwrap_or("");
                match self.denies.get_mut(ip) {
                    Some(n) => *n += 1,
                    None => {
                        self.denies.insert(ip.to_owned(), 1);
                    }
                }
            }
        }
        Ok(())
    }

    /// The hourly rows, sorted (so the same events give the same file).
    pub fn hourly_batch(&self) -> Result<RecordBatch> {
        let mut rows: Vec<(&String, &Counts)> = self.hourly.iter().collect();
        rows.sort_by(|a, b| a.0.cmp(b.0));
        let mut hours = Vec::with_capacity(rows.len());
        let mut texts: [StringBuilder; 5] = Default::default();
        let mut counts: [Vec<u64>; 5] = Default::default();
        for (key, c) in rows {
            let mut parts = key.split(SEP);
            let hour: i64 = parts
                .next()
                .and_then(|h| h.parse().ok())
                .ok_or_else(|| Error::Internal(format!("rollup key {key:?}")))?;
            hours.push(hour * HOUR_MICROS);
            for builder in &mut texts {
                match parts.next() {
                    Some("\0") | None => builder.append_null(),
                    Some(v) => builder.append_value(v),
                }
            }
            for (v, n) in
                counts
                    .iter_mut()
                    .zip([c.events, c.bytes, c.denied, c.auth_failures, c.privileged])
            {
                v.push(n);
            }
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(
            TimestampMicrosecondArray::from(hours).with_timezone("UTC"),
        )];
        columns.extend(texts.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        columns.extend(
            counts
                .into_iter()
                .map(|v| Arc::new(UInt64Array::from(v)) as ArrayRef),
        );
        Ok(RecordBatch::try_new(hourly_schema(), columns)?)
    }

    /// The deny rows: the top [`DENY_TOP`] addresses, then the rest in one null row.
    pub fn denies_batch(&self) -> Result<RecordBatch> {
        let mut rows: Vec<(&String, &u64)> = self.denies.iter().collect();
        rows.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let rest: u64 = rows.iter().skip(DENY_TOP).map(|(_, n)| **n).sum();
        rows.truncate(DENY_TOP);
        let mut ips: Vec<Option<&str>> = rows
            .iter()
            .map(|(ip, _)| (!ip.is_empty()).then_some(ip.as_str()))
            .collect();
        let mut denied: Vec<u64> = rows.iter().map(|(_, n)| **n).collect();
        if rest > 0 {
            ips.push(None);
            denied.push(rest);
        }
        Ok(RecordBatch::try_new(
            denies_schema(),
            vec![
                Arc::new(StringArray::from(ips)),
                Arc::new(UInt64Array::from(denied)),
            ],
        )?)
    }

    /// Writes both companions of `events/date=D/<name>` (each atomically).
    pub fn write(&self, data_dir: &Path, date: &str, name: &str) -> Result<()> {
        write_parquet(
            &companion(data_dir, HOURLY, date, name),
            &self.hourly_batch()?,
        )?;
        write_parquet(
            &companion(data_dir, DENIES, date, name),
            &self.denies_batch()?,
        )
    }
}

/// Where the companion of an event file is.
pub fn companion(data_dir: &Path, kind: &str, date: &str, name: &str) -> PathBuf {
    data_dir
        .join(ROLLUPS_DIR)
        .join(kind)
        .join(format!("date={date}"))
        .join(name)
}

/// What [`repair`] did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Repaired {
    /// Event files rolled up now (they had no companion).
    pub rolled_up: usize,
    /// Companions removed (their event file does not exist).
    pub orphans: usize,
}

/// Makes the rollups match the event store exactly: companions whose event file is missing are
/// removed, event files without companions are rolled up from their rows. Cheap when nothing is
/// amiss (a directory listing).
pub fn repair(data_dir: &Path) -> Result<Repaired> {
    let mut done = Repaired::default();
    let events = data_dir.join(crate::store::EVENTS_DIR);
    for (date, name) in parquet_files(&events)? {
        let missing = [HOURLY, DENIES]
            .iter()
            .any(|kind| !companion(data_dir, kind, &date, &name).is_file());
        if missing {
            let path = events.join(format!("date={date}")).join(&name);
            let file = std::fs::File::open(&path).map_err(Error::io(&path))?;
            let reader =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)?
                    .build()?;
            let mut rollup = Rollup::default();
            for batch in reader {
                rollup.add(&batch?)?;
            }
            rollup.write(data_dir, &date, &name)?;
            done.rolled_up += 1;
        }
    }
    for kind in [HOURLY, DENIES] {
        let dir = data_dir.join(ROLLUPS_DIR).join(kind);
        for (date, name) in parquet_files(&dir)? {
            if !events.join(format!("date={date}")).join(&name).is_file() {
                let path = dir.join(format!("date={date}")).join(&name);
                std::fs::remove_file(&path).map_err(Error::io(&path))?;
                done.orphans += 1;
            }
        }
    }
    Ok(done)
}

/// `(date, file name)` of the published Parquet files under `root/date=*/`.
fn parquet_files(root: &Path) -> Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    let days = match std::fs::read_dir(root) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(Error::io(root)(e)),
    };
    for day in days {
        let day = day.map_err(Error::io(root))?.path();
        let Some(date) = day
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("date="))
            .map(str::to_owned)
        else {
            continue;
        };
        for file in std::fs::read_dir(&day).map_err(Error::io(&day))? {
            let name = file.map_err(Error::io(&day))?.file_name();
            let name = name.to_string_lossy();
            if name.ends_with(".parquet") && !name.starts_with('.') {
                files.push((date.clone(), name.into_owned()));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A rollup is small: it is encoded in memory and replaces its file atomically.
fn write_parquet(path: &Path, batch: &RecordBatch) -> Result<()> {
    let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), None)?;
    writer.write(batch)?;
    let bytes = writer.into_inner()?;
    crate::serve::state::replace_file(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use canhgac_parsers::{BatchBuilder, Origin, ParseContext};

    #[test]
    fn counts_by_hour_and_keeps_deny_totals_exact() {
        let ctx = ParseContext::new(1_793_491_200_000_000);
        let mut builder = BatchBuilder::new();
        let lines = [
            "<38>Oct  5 01:02:03 web01 sshd[1]: Failed password for root from 203.0.113.9 port 4242 ssh2",
            "<38>Oct  5 01:59:59 web01 sshd[1]: Failed password for root from 203.0.113.9 port 4243 ssh2",
            "<38>Oct  5 02:00:00 web01 sshd[1]: Accepted password for root from 203.0.113.9 port 4244 ssh2",
            "<4>Oct  5 02:10:00 gw kernel: [UFW BLOCK] IN=eth0 OUT= MAC= SRC=198.51.100.7 DST=10.0.0.1 LEN=60 PROTO=TCP SPT=1 DPT=22",
            "<4>Oct  5 02:10:01 gw kernel: [UFW BLOCK] IN=eth0 OUT= MAC= SRC=198.51.100.7 DST=10.0.0.1 LEN=60 PROTO=TCP SPT=2 DPT=23",
            "garbage that no parser understands",
            "<85>Oct  5 02:20:00 web01 sudo:    admin : TTY=pts/0 ; PWD=/home/admin ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx",
            "<189>Oct  5 02:21:00 asa01 : %ASA-5-111008: User 'admin' executed the 'write memory' command.",
        ];
        for l in lines {
            let origin = Origin {
                collector: Some("test"),
                peer: None,
                group: Some("syt"),
                truncated: false,
            };
            builder.push(l.as_bytes(), &ctx, origin);
        }
        let batch = builder.finish().expect("batch");
        let mut rollup = Rollup::default();
        rollup.add(&batch).expect("add");
        let hourly = rollup.hourly_batch().expect("hourly");
        let events: u64 = hourly
            .column_by_name("events")
            .expect("events")
            .as_primitive::<arrow::datatypes::UInt64Type>()
            .values()
            .iter()
            .sum();
        assert_eq!(events, 8);
        let privileged: u64 = hourly
            .column_by_name("privileged")
            .expect("col")
            .as_primitive::<arrow::datatypes::UInt64Type>()
            .iter()
            .flatten()
            .sum();
        assert_eq!(privileged, 2, "sudo and the ASA configuration command");
        let failures: u64 = hourly
            .column_by_name("auth_failures")
            .expect("col")
            .as_primitive::<arrow::datatypes::UInt64Type>()
            .values()
            .iter()
            .sum();
        assert_eq!(failures, 2);
        let denies = rollup.denies_batch().expect("denies");
        assert_eq!(denies.num_rows(), 1);
        assert_eq!(denies.column(0).as_string::<i32>().value(0), "198.51.100.7");
    }

    #[test]
    fn repair_rolls_up_what_has_no_companion_and_drops_orphans() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ctx = ParseContext::new(1_793_491_200_000_000);
        let mut builder = BatchBuilder::new();
        let origin = Origin {
            collector: None,
            peer: None,
            group: None,
            truncated: false,
        };
        builder.push(b"<38>Oct  5 01:02:03 web01 sshd[1]: x", &ctx, origin);
        let batch = builder.finish().expect("batch");
        let mut writer = crate::store::EventWriter::new(dir.path(), "t").expect("writer");
        writer.write(&batch).expect("write");
        let files = writer.finish().expect("finish");
        assert_eq!(repair(dir.path()).expect("repair"), Repaired::default());
        let name = files[0]
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_owned();
        let hourly = companion(dir.path(), HOURLY, "2026-10-05", &name);
        std::fs::remove_file(&hourly).expect("remove");
        std::fs::write(
            companion(dir.path(), DENIES, "2026-10-05", "gone.parquet"),
            b"x",
        )
        .expect("orphan");
        let done = repair(dir.path()).expect("repair");
        assert_eq!(
            done,
            Repaired {
                rolled_up: 1,
                orphans: 1
            }
        );
        assert!(hourly.is_file());
    }
}
