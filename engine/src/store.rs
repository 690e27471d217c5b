//! The event store: Parquet files partitioned by day, `events/date=YYYY-MM-DD/*.parquet`.
//!
//! A partition file is written under a temporary name and renamed into place only once complete,
//! so a reader (or a crash) never sees half a file. Files are zstd-compressed. The day is the UTC
//! date of the event time (`ts`), which parsers always fill (falling back to the receive time).
//! Each file is published together with its rollup companion ([`crate::rollup`]).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::TimestampMicrosecondType;
use canhgac_parsers::schema::{col, event_schema};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};
use crate::rollup::Rollup;

/// Directory of the event store inside a data directory.
pub const EVENTS_DIR: &str = "events";

/// Rows per Parquet file before a partition rolls over to the next file.
pub const DEFAULT_ROWS_PER_FILE: usize = 2_000_000;

/// Writes event batches into day partitions. Call [`finish`](Self::finish) to publish the files.
pub struct EventWriter {
    data_dir: PathBuf,
    root: PathBuf,
    run_id: String,
    rows_per_file: usize,
    open: BTreeMap<i32, OpenFile>,
    published: Vec<PathBuf>,
    sequence: u32,
}

struct OpenFile {
    writer: ArrowWriter<File>,
    tmp: PathBuf,
    dest: PathBuf,
    rows: usize,
    date: String,
    name: String,
    rollup: Rollup,
}

impl EventWriter {
    /// A writer into `data_dir/events`. `run_id` makes file names unique per writer.
    pub fn new(data_dir: &Path, run_id: impl Into<String>) -> Result<Self> {
        let root = data_dir.join(EVENTS_DIR);
        std::fs::create_dir_all(&root).map_err(Error::io(&root))?;
        Ok(EventWriter {
            data_dir: data_dir.to_owned(),
            root,
            run_id: run_id.into(),
            rows_per_file: DEFAULT_ROWS_PER_FILE,
            open: BTreeMap::new(),
            published: Vec::new(),
            sequence: 0,
        })
    }

    /// Caps rows per file.
    pub fn with_rows_per_file(mut self, rows: usize) -> Self {
        self.rows_per_file = rows.max(1);
        self
    }

    /// Appends a batch of the event schema, split by day.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        let ts = batch
            .column_by_name(col::TS)
            .ok_or_else(|| Error::Internal("batch has no ts column".into()))?
            .as_primitive::<TimestampMicrosecondType>();
        let received = batch
            .column_by_name(col::RECEIVED_AT)
            .ok_or_else(|| Error::Internal("batch has no received_at column".into()))?
            .as_primitive::<TimestampMicrosecondType>();
        let mut by_day: BTreeMap<i32, Vec<u32>> = BTreeMap::new();
        for row in 0..batch.num_rows() {
            let micros = if ts.is_null(row) {
                received.value(row)
            } else {
                ts.value(row)
            };
            let day = i32::try_from(micros.div_euclid(86_400_000_000)).unwrap_or(0);
            let row = u32::try_from(row)
                .map_err(|_| Error::Internal("batch larger than u32 rows".into()))?;
            by_day.entry(day).or_default().push(row);
        }
        for (day, rows) in by_day {
            let part = if rows.len() == batch.num_rows() {
                batch.clone()
            } else {
                take_record_batch(batch, &UInt32Array::from(rows))?
            };
            self.write_day(day, &part)?;
        }
        Ok(())
    }

    fn write_day(&mut self, day: i32, batch: &RecordBatch) -> Result<()> {
        if !self.open.contains_key(&day) {
            let file = self.create(day)?;
            self.open.insert(day, file);
        }
        let full = match self.open.get_mut(&day) {
            Some(file) => {
                file.writer.write(batch)?;
                file.rollup.add(batch)?;
                file.rows += batch.num_rows();
                file.rows >= self.rows_per_file
            }
            None => return Err(Error::Internal("partition file vanished".into())),
        };
        if full && let Some(file) = self.open.remove(&day) {
            self.publish(file)?;
        }
        Ok(())
    }

    fn create(&mut self, day: i32) -> Result<OpenFile> {
        let date = day_to_date(day);
        let dir = self.root.join(format!("date={date}"));
        std::fs::create_dir_all(&dir).map_err(Error::io(&dir))?;
        self.sequence += 1;
        let name = format!("part-{}-{:05}.parquet", self.run_id, self.sequence);
        let dest = dir.join(&name);
        // Hidden from readers (DataFusion skips dot files) until renamed.
        let tmp = dir.join(format!(".{name}.tmp"));
        let file = File::create(&tmp).map_err(Error::io(&tmp))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3)?))
            .set_max_row_group_row_count(Some(128 * 1024))
            .build();
        let writer = ArrowWriter::try_new(file, event_schema(), Some(props))?;
        Ok(OpenFile {
            writer,
            tmp,
            dest,
            rows: 0,
            date,
            name,
            rollup: Rollup::default(),
        })
    }

    fn publish(&mut self, file: OpenFile) -> Result<()> {
        let inner = file.writer.into_inner()?;
        inner.sync_all().map_err(Error::io(&file.tmp))?;
        drop(inner);
        // The companion first: it only counts once its event file exists.
        file.rollup.write(&self.data_dir, &file.date, &file.name)?;
        std::fs::rename(&file.tmp, &file.dest).map_err(Error::io(&file.dest))?;
        self.published.push(file.dest);
        Ok(())
    }

    /// Closes and publishes every open file; returns all files this writer published.
    pub fn finish(mut self) -> Result<Vec<PathBuf>> {
        let open = std::mem::take(&mut self.open);
        for (_, file) in open {
            self.publish(file)?;
        }
        Ok(std::mem::take(&mut self.published))
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        // Unpublished files of an abandoned writer are removed, never left half-written.
        for (_, file) in std::mem::take(&mut self.open) {
            let _ = std::fs::remove_file(&file.tmp);
        }
    }
}

/// `YYYY-MM-DD` of a day number since the epoch.
pub fn day_to_date(day: i32) -> String {
    chrono::DateTime::from_timestamp(i64::from(day) * 86_400, 0).map_or_else(
        || "1970-01-01".to_owned(),
        |t| t.format("%Y-%m-%d").to_string(),
    )
}

/// The schema shared with readers, for callers that need it without a batch.
pub fn schema() -> Arc<arrow::datatypes::Schema> {
    event_schema()
}
