//! Batch ingestion of log files (plain or gzip) into the event store.
//!
//! Files are read in chunks, cut into records by the framing decoder (octet counting or newlines),
//! parsed into Arrow batches and written to day partitions. Every record becomes a row: unparseable
//! ones are stored with `parse_status = failed` and counted in the summary.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use canhgac_parsers::framing::{DEFAULT_MAX_FRAME, FrameDecoder};
use canhgac_parsers::{BatchBuilder, Origin, ParseContext, ParseStats};

use canhgac_rules::Engine;

use crate::alerts::AlertLog;
use crate::error::{Error, Result};
use crate::store::EventWriter;

/// Rows per Arrow batch.
pub const BATCH_ROWS: usize = 8192;

/// Settings of an ingest run.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Parsing settings (zone, year policy, forced source type); `received_at` is set per chunk.
    pub parse: ParseContext,
    /// Frame size cap.
    pub max_frame: usize,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            parse: ParseContext::new(0),
            max_frame: DEFAULT_MAX_FRAME,
        }
    }
}

/// What an ingest run did.
#[derive(Debug, Clone, Default)]
pub struct IngestSummary {
    /// Input files read.
    pub inputs: usize,
    /// Record counts.
    pub stats: ParseStats,
    /// Records cut at the frame size cap.
    pub truncated: u64,
    /// Parquet files published.
    pub files_written: Vec<PathBuf>,
    /// Alerts detection raised.
    pub alerts_raised: usize,
    /// Of those, alerts not already in the alert log.
    pub alerts_new: usize,
    /// Alerts added to the search index (`None`: another process writes the index and will).
    pub alerts_indexed: Option<usize>,
    /// Wall time.
    pub elapsed: Duration,
}

impl IngestSummary {
    /// Records per second over the run.
    pub fn rate(&self) -> f64 {
        self.stats.records as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Parses `inputs` and stores them under `data_dir`. With a detection engine, each batch is
/// evaluated before it is stored and new alerts are appended to the alert log.
pub fn ingest_files(
    data_dir: &Path,
    inputs: &[PathBuf],
    options: &IngestOptions,
    mut detection: Option<&mut Engine>,
) -> Result<IngestSummary> {
    let started = Instant::now();
    let run_id = format!("{}-{}", now_micros(), std::process::id());
    let mut writer = EventWriter::new(data_dir, run_id)?;
    let mut log = match detection {
        Some(_) => Some(AlertLog::open(data_dir)?),
        None => None,
    };
    let (mut raised, mut new) = (0, 0);
    let mut summary = parse_files(inputs, options, |batch| {
        if let (Some(engine), Some(log)) = (detection.as_deref_mut(), log.as_mut()) {
            let alerts = engine.process(&batch)?;
            raised += alerts.len();
            new += log.append(&alerts)?;
            crate::failpoint::hit("after-alert-append");
        }
        writer.write(&batch)
    })?;
    summary.files_written = writer.finish()?;
    if log.is_some() {
        // Release the alert log before the index reads it.
        drop(log);
        summary.alerts_indexed = crate::index::sync(data_dir)?.map(|c| c.added);
        crate::alert_rollup::refresh(data_dir)?;
    }
    summary.alerts_raised = raised;
    summary.alerts_new = new;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Parses `inputs` (files, plain or gzip; `-` is standard input) into batches of up to
/// [`BATCH_ROWS`] rows, handing each to `on_batch` in input order. Nothing is stored.
pub fn parse_files(
    inputs: &[PathBuf],
    options: &IngestOptions,
    mut on_batch: impl FnMut(RecordBatch) -> Result<()>,
) -> Result<IngestSummary> {
    let started = Instant::now();
    let mut builder = BatchBuilder::new();
    let mut summary = IngestSummary::default();
    for path in inputs {
        let stdin = path.as_os_str() == "-";
        let reader: Box<dyn Read> = if stdin {
            Box::new(std::io::stdin().lock())
        } else {
            open_maybe_gzip(path)?
        };
        let collector = if stdin {
            "stdin".to_owned()
        } else {
            format!("file:{}", path.display())
        };
        // One context per file; only the receive time changes from record to record.
        let mut ctx = options.parse.clone();
        read_frames(
            reader,
            path,
            FrameDecoder::new(options.max_frame),
            |frame| {
                ctx.received_at = now_micros();
                if frame.truncated {
                    summary.truncated += 1;
                }
                builder.push(
                    &frame.bytes,
                    &ctx,
                    Origin {
                        collector: Some(&collector),
                        peer: None,
                        truncated: frame.truncated,
                        group: None,
                    },
                );
                if builder.len() >= BATCH_ROWS {
                    on_batch(builder.finish()?)?;
                }
                Ok(())
            },
        )?;
        summary.inputs += 1;
    }
    if !builder.is_empty() {
        on_batch(builder.finish()?)?;
    }
    summary.stats = builder.stats();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Reads a stream to its end, handing each frame to `on_frame`.
pub fn read_frames(
    mut reader: impl Read,
    path: &Path,
    mut decoder: FrameDecoder,
    mut on_frame: impl FnMut(canhgac_parsers::framing::Frame) -> Result<()>,
) -> Result<()> {
    let mut chunk = vec![0u8; 256 * 1024];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path)(e)),
        };
        decoder.push(&chunk[..n]);
        while let Some(frame) = decoder.next_frame() {
            on_frame(frame)?;
        }
    }
    if let Some(frame) = decoder.finish() {
        on_frame(frame)?;
    }
    Ok(())
}

/// Opens a file, transparently decompressing gzip (detected by its magic bytes, not its name).
pub fn open_maybe_gzip(path: &Path) -> Result<Box<dyn Read>> {
    let mut file = BufReader::new(File::open(path).map_err(Error::io(path))?);
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match file.get_mut().read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Error::io(path)(e)),
        }
    }
    let head = std::io::Cursor::new(magic[..got].to_vec());
    let stream = head.chain(file);
    if got == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(stream)))
    } else {
        Ok(Box::new(stream))
    }
}

/// Now, in microseconds since the epoch.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}
