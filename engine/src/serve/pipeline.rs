//! The stages after the sources, each on its own OS thread (CPU work stays off the async
//! threads):
//!
//! 1. **parse**: chunks -> Arrow batches (cut by rows or time) -> WAL (synced: now accepted).
//! 2. **detect**: Sigma detection and correlation -> alert log; the index is caught up and the
//!    detection state written to `state/` at intervals.
//! 3. **compact**: sealed WAL segments that detection has checkpointed past -> Parquet day
//!    partitions -> tail positions to `state/` -> segment deleted.
//!
//! Channels between them are bounded, so a slow stage slows the one before it, down to the
//! sources.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use canhgac_parsers::{BatchBuilder, Origin, ParseContext};
use canhgac_rules::Engine;
use cidr::IpCidr;
use tokio::sync::mpsc;

use super::metrics::Metrics;
use super::source::Chunk;
use super::state::{self, DetectionCheckpoint};
use crate::alerts::AlertLog;
use crate::error::Result;
use crate::store::EventWriter;
use crate::wal::{self, Positions, WalWriter};

/// What the parse stage knows of each source.
pub struct SourceSpec {
    /// Its name (the `collector` column).
    pub name: String,
    /// How its records are parsed.
    pub parse: ParseContext,
    /// The group of its records when no CIDR matches.
    pub group: Option<String>,
}

/// Sender address -> department, most specific network first.
#[derive(Default)]
pub struct Groups {
    networks: Vec<(IpCidr, String)>,
}

impl Groups {
    /// From `[groups]` (CIDRs already checked by the config).
    pub fn new(groups: &std::collections::BTreeMap<String, crate::config::GroupConfig>) -> Self {
        let mut networks: Vec<(IpCidr, String)> = groups
            .iter()
            .flat_map(|(name, g)| {
                g.cidrs.iter().filter_map(move |c| {
                    crate::config::parse_cidr(c).ok().map(|n| (n, name.clone()))
                })
            })
            .collect();
        networks.sort_by_key(|(n, _)| std::cmp::Reverse(n.network_length()));
        Groups { networks }
    }

    /// The group of a sender.
    pub fn of(&self, peer: IpAddr) -> Option<&str> {
        self.networks
            .iter()
            .find(|(n, _)| n.contains(&peer))
            .map(|(_, g)| g.as_str())
    }
}

/// A batch the WAL has accepted.
pub struct Accepted {
    /// Its WAL sequence number.
    pub seq: u64,
    /// The records.
    pub batch: RecordBatch,
    /// When its first record arrived.
    pub since: Instant,
}

/// The parse stage.
pub struct ParseStage {
    /// Chunks from the sources.
    pub rx: mpsc::Receiver<Chunk>,
    /// To wait on the channel from this thread.
    pub runtime: tokio::runtime::Handle,
    /// Per source, by index.
    pub sources: Vec<SourceSpec>,
    /// Department mapping.
    pub groups: Groups,
    /// The WAL.
    pub wal: WalWriter,
    /// Where accepted batches go.
    pub out: SyncSender<Accepted>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Rows per batch.
    pub batch_rows: usize,
    /// Time per batch.
    pub flush_interval: Duration,
}

impl ParseStage {
    /// Runs until every source has gone, then flushes and seals the WAL.
    pub fn run(mut self) -> Result<()> {
        let mut builder = BatchBuilder::new();
        let mut positions = Positions::new();
        let mut since: Option<Instant> = None;
        let mut peer_text = String::new();
        loop {
            let wait = match since {
                Some(t) => self.flush_interval.saturating_sub(t.elapsed()),
                None => Duration::from_millis(500),
            };
            let next = self
                .runtime
                .block_on(async { tokio::time::timeout(wait, self.rx.recv()).await });
            match next {
                Ok(Some(chunk)) => {
                    self.metrics
                        .pipeline
                        .queue_chunks
                        .fetch_sub(1, Ordering::Relaxed);
                    since.get_or_insert_with(Instant::now);
                    self.push(&mut builder, &chunk, &mut peer_text);
                    if let Some((key, position)) = chunk.position {
                        positions.insert(key, position);
                    }
                    if builder.len() >= self.batch_rows {
                        self.flush(&mut builder, &mut positions, &mut since)?;
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    if since.is_some() {
                        self.flush(&mut builder, &mut positions, &mut since)?;
                    }
                    self.wal.tick()?;
                }
            }
        }
        self.flush(&mut builder, &mut positions, &mut since)?;
        self.wal.seal()
    }

    fn push(&self, builder: &mut BatchBuilder, chunk: &Chunk, peer_text: &mut String) {
        let Some(spec) = self.sources.get(chunk.source) else {
            return;
        };
        let mut ctx = spec.parse.clone();
        ctx.received_at = chunk.received_at;
        peer_text.clear();
        let group = match chunk.peer {
            Some(ip) => {
                use std::fmt::Write as _;
                let _ = write!(peer_text, "{ip}");
                self.groups.of(ip).or(spec.group.as_deref())
            }
            None => spec.group.as_deref(),
        };
        let failed_before = builder.stats().failed;
        for frame in &chunk.frames {
            builder.push(
                &frame.bytes,
                &ctx,
                Origin {
                    collector: Some(&spec.name),
                    peer: chunk.peer.map(|_| peer_text.as_str()),
                    truncated: frame.truncated,
                    group,
                },
            );
        }
        let failed = builder.stats().failed - failed_before;
        if failed > 0
            && let Some(m) = self.metrics.sources.get(chunk.source)
        {
            m.parse_failures.fetch_add(failed, Ordering::Relaxed);
        }
    }

    fn flush(
        &mut self,
        builder: &mut BatchBuilder,
        positions: &mut Positions,
        since: &mut Option<Instant>,
    ) -> Result<()> {
        let Some(first) = since.take() else {
            return Ok(());
        };
        if builder.is_empty() && positions.is_empty() {
            return Ok(());
        }
        let batch = builder.finish()?;
        let seq = self.wal.append(&batch, positions)?;
        positions.clear();
        let p = &self.metrics.pipeline;
        p.batches.fetch_add(1, Ordering::Relaxed);
        p.accepted
            .fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
        p.queue_batches.fetch_add(1, Ordering::Relaxed);
        // Detection gone means the daemon is failing; the batch is safe in the WAL regardless.
        let _ = self.out.send(Accepted {
            seq,
            batch,
            since: first,
        });
        Ok(())
    }
}

/// Writes detection's progress and tells the compactor how far it may go.
pub struct Checkpointer {
    data_dir: PathBuf,
    compactor: SyncSender<u64>,
}

impl Checkpointer {
    /// Writes `state/detection.json`; then segments up to `seq` may be compacted.
    pub fn write(&self, seq: Option<u64>, engine: Option<&Engine>) -> Result<()> {
        state::store_detection(
            &self.data_dir,
            &DetectionCheckpoint {
                seq,
                engine: engine.map(Engine::checkpoint),
            },
        )?;
        if let Some(seq) = seq {
            // A full channel already holds a signal that will compact this far or further soon.
            let _ = self.compactor.try_send(seq);
        }
        Ok(())
    }
}

/// The detection stage.
pub struct DetectStage {
    /// Accepted batches.
    pub rx: Receiver<Accepted>,
    /// The rules (None: detection disabled).
    pub engine: Option<Engine>,
    /// The alert log (open while the daemon runs).
    pub log: Option<AlertLog>,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Where checkpoints go.
    pub checkpointer: Checkpointer,
    /// How often.
    pub checkpoint_interval: Duration,
    /// Last sequence number through detection (from the checkpoint or replay).
    pub last_seq: Option<u64>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Rules turned off in the UI: their alerts are not written.
    pub disabled: crate::rule_switch::Watcher,
}

/// How often new alerts are indexed.
const INDEX_INTERVAL: Duration = Duration::from_millis(1000);

impl DetectStage {
    /// Runs until the parse stage ends, then writes a final checkpoint and indexes what is left.
    pub fn run(mut self) -> Result<()> {
        let mut last_checkpoint = Instant::now();
        let mut last_index = Instant::now();
        let mut checkpointed = self.last_seq;
        let mut unindexed = false;
        loop {
            match self.rx.recv_timeout(Duration::from_millis(250)) {
                Ok(accepted) => {
                    self.metrics
                        .pipeline
                        .queue_batches
                        .fetch_sub(1, Ordering::Relaxed);
                    unindexed |= self.detect(&accepted.batch)? > 0;
                    self.last_seq = Some(accepted.seq);
                    let p = &self.metrics.pipeline;
                    p.detected
                        .fetch_add(accepted.batch.num_rows() as u64, Ordering::Relaxed);
                    p.batch_latency_micros_sum.fetch_add(
                        accepted.since.elapsed().as_micros() as u64,
                        Ordering::Relaxed,
                    );
                    p.batch_latency_count.fetch_add(1, Ordering::Relaxed);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if unindexed && last_index.elapsed() >= INDEX_INTERVAL {
                unindexed = !self.index();
                last_index = Instant::now();
            }
            if self.last_seq != checkpointed
                && last_checkpoint.elapsed() >= self.checkpoint_interval
            {
                self.checkpointer
                    .write(self.last_seq, self.engine.as_ref())?;
                checkpointed = self.last_seq;
                last_checkpoint = Instant::now();
            }
        }
        self.checkpointer
            .write(self.last_seq, self.engine.as_ref())?;
        // Release the alert log before the index reads it for the last time.
        drop(self.log.take());
        self.index();
        Ok(())
    }

    /// Detection on one batch; returns how many new alerts it wrote.
    pub fn detect(&mut self, batch: &RecordBatch) -> Result<usize> {
        let (Some(engine), Some(log)) = (self.engine.as_mut(), self.log.as_mut()) else {
            return Ok(0);
        };
        let mut alerts = engine.process(batch)?;
        let disabled = self.disabled.current();
        if !disabled.is_empty() {
            alerts.retain(|a| !disabled.contains(&a.rule_id));
        }
        let new = log.append(&alerts)?;
        crate::failpoint::hit("after-alert-append");
        if new > 0 {
            // Appended alerts are the new ones at the end of the list, in order.
            for alert in alerts.iter().rev().take(new) {
                self.metrics.count_alert(&alert.level);
            }
        }
        let (late, _) = engine.dropped();
        self.metrics
            .pipeline
            .late_events
            .store(late, Ordering::Relaxed);
        Ok(new)
    }

    /// Catches the search index up; false when another process is writing it (retry later).
    fn index(&self) -> bool {
        // The daily alert rollup follows the log at the same pace as the index.
        if let Err(e) = crate::alert_rollup::refresh(&self.data_dir) {
            self.metrics.pipeline.errors.fetch_add(1, Ordering::Relaxed);
            tracing::error!("alert rollup: {e}");
        }
        match crate::index::sync(&self.data_dir) {
            Ok(Some(_)) => true,
            Ok(None) => false,
            Err(e) => {
                self.metrics.pipeline.errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!("indexing alerts: {e}");
                false
            }
        }
    }
}

/// A checkpointer and the compactor's end of its signal.
pub fn checkpointer(data_dir: &Path) -> (Checkpointer, Receiver<u64>) {
    let (tx, rx) = std::sync::mpsc::sync_channel(4);
    (
        Checkpointer {
            data_dir: data_dir.to_owned(),
            compactor: tx,
        },
        rx,
    )
}

/// The compaction stage.
pub struct CompactStage {
    /// Data directory.
    pub data_dir: PathBuf,
    /// Detection's checkpointed sequence numbers.
    pub rx: Receiver<u64>,
    /// The id of the segment being written (`u64::MAX`: none).
    pub active: Arc<AtomicU64>,
    /// The sequence number the WAL gives its next batch.
    pub next_seq: Arc<AtomicU64>,
    /// Tail positions of compacted batches (`state/tail.json`).
    pub tail: Positions,
    /// Counters.
    pub metrics: Arc<Metrics>,
}

impl CompactStage {
    /// Runs until detection ends, compacting after each checkpoint, every second while quiet,
    /// and once more at the end. The quiet pass matters: a checkpoint usually arrives while its
    /// segment is still open, and the segment is sealed by age only later; without another look
    /// a quiet daemon would keep its last records in the WAL, out of the store and of SQL.
    pub fn run(mut self) -> Result<()> {
        let mut checkpointed = None;
        loop {
            match self.rx.recv_timeout(Duration::from_secs(1)) {
                Ok(seq) => {
                    checkpointed = Some(seq);
                    self.compact(seq)?;
                }
                Err(RecvTimeoutError::Timeout) => {
                    if let Some(seq) = checkpointed {
                        self.compact(seq)?;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        if let Some(seq) = checkpointed {
            self.compact(seq)?;
        }
        Ok(())
    }

    /// Compacts every sealed segment whose batches are all at or below `checkpointed`.
    pub fn compact(&mut self, checkpointed: u64) -> Result<()> {
        // In this order: the writer creates a segment, then marks it active, then writes to it and
        // advances `next_seq`. A segment at or past `next_seq` has no batch yet; one at `active`
        // is being written. Read the other way round, a new segment could be missed as active.
        let next_seq = self.next_seq.load(Ordering::Acquire);
        let active = self.active.load(Ordering::Acquire);
        let segments = wal::segments(&self.data_dir)?;
        for (i, segment) in segments.iter().enumerate() {
            // A segment ends where the next begins; the newest (sealed) one where the WAL is.
            let end = segments.get(i + 1).map_or(next_seq, |s| s.id);
            if segment.id >= active
                || segment.id >= next_seq
                || end > checkpointed.saturating_add(1)
            {
                break;
            }
            let size = std::fs::metadata(&segment.path).map_or(0, |m| m.len());
            let mut writer = EventWriter::new(&self.data_dir, format!("wal-{:020}", segment.id))?;
            let mut positions = Positions::new();
            let mut rows = 0u64;
            wal::read_segment(&segment.path, |frame| {
                rows += frame.batch.num_rows() as u64;
                positions.extend(frame.positions);
                writer.write(&frame.batch)
            })?;
            writer.finish()?;
            if !positions.is_empty() {
                self.tail.extend(positions);
                state::store_tail(&self.data_dir, &self.tail)?;
            }
            std::fs::remove_file(&segment.path).map_err(crate::Error::io(&segment.path))?;
            wal::sync_dir(&self.data_dir.join(wal::WAL_DIR))?;
            let p = &self.metrics.pipeline;
            p.stored.fetch_add(rows, Ordering::Relaxed);
            p.wal_bytes.fetch_sub(
                size.min(p.wal_bytes.load(Ordering::Relaxed)),
                Ordering::Relaxed,
            );
            tracing::debug!(segment = segment.id, rows, "compacted");
        }
        Ok(())
    }
}
