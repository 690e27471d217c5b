//! `canhgac serve`: the daemon. Collectors feed the pipeline; nothing accepted is lost.
//!
//! Startup is recovery first: the WAL's torn tail is cut, every batch after detection's last
//! checkpoint is replayed through detection (alert ids are deterministic and the alert log skips
//! ids it has, so replay adds nothing twice), the index is caught up, and file sources resume at
//! the positions the WAL and `state/tail.json` hold. Only then are sockets bound.
//!
//! Shutdown (`SIGTERM`, `SIGINT`, or every source ending): sources stop reading, the parse stage
//! drains the channel and seals the WAL, detection writes its final checkpoint, the compactor
//! moves every sealed segment into Parquet, and the index is caught up.

pub mod metrics;
mod pipeline;
pub mod source;
pub(crate) mod state;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use canhgac_rules::Engine;
use tokio::sync::{mpsc, watch};

use crate::alerts::AlertLog;
use crate::config::{Config, SourceKind};
use crate::error::{Error, Result};
use crate::wal::{self, WalWriter};
use metrics::Metrics;
use pipeline::{CompactStage, DetectStage, Groups, ParseStage, SourceSpec};
use source::{RateLimitedWarning, SourceContext};

pub use state::{STATE_DIR, load_detection, load_tail, replace_file, replace_private};
pub(crate) use state::{load as state_load, store as state_store};

/// How long shutdown waits for the stages to finish before giving up on them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// What a daemon run did, for the final log line and tests.
#[derive(Debug, Default)]
pub struct ServeReport {
    /// WAL batches replayed through detection at startup.
    pub replayed: u64,
    /// Torn WAL bytes cut at startup.
    pub torn_bytes: u64,
    /// Records accepted while running.
    pub accepted: u64,
}

/// Handle to stop a running daemon from the outside (tests, embedding).
#[derive(Clone)]
pub struct Stopper(watch::Sender<bool>);

impl Stopper {
    /// Asks the daemon to stop.
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

/// Runs the daemon until `SIGTERM`/`SIGINT` or until every source has ended. `engine` is the
/// detection engine (None: no detection). `on_ready` is called once sockets are bound, with the
/// handle that stops the daemon.
pub fn run(
    config: &Config,
    mut engine: Option<Engine>,
    on_ready: impl FnOnce(Stopper, Arc<Metrics>),
) -> Result<ServeReport> {
    config.check()?;
    let data_dir = config.data_dir.clone();
    std::fs::create_dir_all(&data_dir).map_err(Error::io(&data_dir))?;
    let mut report = ServeReport::default();

    // Recovery.
    let mut log = match engine {
        Some(_) => Some(AlertLog::open(&data_dir)?),
        None => None,
    };
    let checkpoint = state::load_detection(&data_dir)?;
    if let (Some(engine), Some(saved)) = (engine.as_mut(), checkpoint.engine.as_deref())
        && let Err(e) = engine.restore(saved)
    {
        // The rules changed shape; windows start empty rather than the daemon not starting.
        tracing::warn!("correlation state not restored: {e}");
    }
    let tail = state::load_tail(&data_dir)?;
    let mut positions = tail.clone();
    let mut last_seq = checkpoint.seq;
    let recovered = wal::recover(&data_dir, |frame| {
        positions.extend(frame.positions);
        if checkpoint.seq.is_some_and(|done| frame.seq <= done) {
            return Ok(());
        }
        if let (Some(engine), Some(log)) = (engine.as_mut(), log.as_mut()) {
            log.append(&engine.process(&frame.batch)?)?;
        }
        report.replayed += 1;
        last_seq = Some(frame.seq);
        Ok(())
    })?;
    report.torn_bytes = recovered.torn_bytes;
    let next_seq = recovered.next_seq.max(checkpoint.seq.map_or(0, |s| s + 1));
    if recovered.torn_bytes > 0 {
        tracing::warn!(
            bytes = recovered.torn_bytes,
            "cut a torn write at the end of the WAL (never acknowledged)"
        );
    }
    tracing::info!(
        batches = recovered.frames,
        replayed = report.replayed,
        next_seq,
        "WAL recovered"
    );

    let wal = WalWriter::new(&data_dir, config.wal.clone(), next_seq)?;
    let sources = config.effective_sources();
    let metrics = Arc::new(Metrics::new(
        sources.iter().map(|s| s.name.clone()).collect(),
        wal.size(),
    ));
    metrics
        .pipeline
        .replayed
        .store(report.replayed, Ordering::Relaxed);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("canhgac-io")
        .enable_all()
        .build()
        .map_err(|e| Error::Internal(format!("tokio runtime: {e}")))?;

    // Mail settings are checked (password present, CA readable) before anything is accepted.
    let (finish_notify, notify_finish) = watch::channel(false);
    let notifier = match crate::notify::Notifier::open(config, Arc::clone(&metrics.notify))? {
        Some(notifier) => Some(spawn_notifier(notifier, notify_finish)?),
        None => None,
    };
    let (stop_periodic, periodic_stop) = std::sync::mpsc::channel::<()>();
    let periodic = spawn_periodic(config.clone(), Arc::clone(&metrics), periodic_stop)?;

    let (chunk_tx, chunk_rx) = mpsc::channel(config.pipeline.channel_capacity);
    let (batch_tx, batch_rx) = std::sync::mpsc::sync_channel(4);
    let (checkpointer, compact_rx) = pipeline::checkpointer(&data_dir);
    // Replayed batches are now through detection: write that down before anything new arrives.
    checkpointer.write(last_seq, engine.as_ref())?;
    crate::index::sync(&data_dir)?;

    let specs = sources
        .iter()
        .map(|s| {
            Ok(SourceSpec {
                name: s.name.clone(),
                parse: s.parse_context()?,
                group: s.group.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let compact = CompactStage {
        data_dir: data_dir.clone(),
        rx: compact_rx,
        active: wal.active(),
        next_seq: wal.shared_next_seq(),
        tail,
        metrics: Arc::clone(&metrics),
    };
    let detect = DetectStage {
        rx: batch_rx,
        engine,
        log,
        data_dir: data_dir.clone(),
        checkpointer,
        checkpoint_interval: Duration::from_millis(config.detection.checkpoint_interval_ms),
        last_seq,
        metrics: Arc::clone(&metrics),
        disabled: crate::rule_switch::Watcher::new(&data_dir),
    };
    let parse = ParseStage {
        rx: chunk_rx,
        runtime: runtime.handle().clone(),
        sources: specs,
        groups: Groups::new(&config.groups),
        wal,
        out: batch_tx,
        metrics: Arc::clone(&metrics),
        batch_rows: config.pipeline.batch_rows,
        flush_interval: Duration::from_millis(config.pipeline.flush_interval_ms.max(1)),
    };
    // A stage that fails stops the daemon: accepting more would only fill the WAL unprocessed.
    let (stop_tx, stop_rx) = watch::channel(false);
    let stages = [
        spawn_stage("canhgac-parse", &metrics, &stop_tx, move || parse.run())?,
        spawn_stage("canhgac-detect", &metrics, &stop_tx, move || detect.run())?,
        spawn_stage("canhgac-compact", &metrics, &stop_tx, move || compact.run())?,
    ];
    let positions = Arc::new(positions);
    let served = runtime.block_on(async {
        let mut running = tokio::task::JoinSet::new();
        for (id, source_config) in sources.iter().enumerate() {
            let source = source::build(source_config).await?;
            let ctx = SourceContext {
                id,
                tx: chunk_tx.clone(),
                metrics: Arc::clone(&metrics.sources[id]),
                shutdown: stop_rx.clone(),
                allowed: Arc::new(source_config.allowed()?),
                max_frame: config.pipeline.max_frame_bytes,
                queued: Arc::clone(&metrics.pipeline.queue_chunks),
                positions: Arc::clone(&positions),
                name: Arc::from(source_config.name.as_str()),
                warnings: Arc::new(RateLimitedWarning::new(Duration::from_secs(10))),
            };
            let name = source_config.name.clone();
            let kind = source_config.kind;
            running.spawn(async move { (name, kind, source.run(ctx).await) });
        }
        drop(chunk_tx);
        if !config.metrics.listen.is_empty() {
            let addr = config.metrics.listen.parse().map_err(|_| {
                Error::Config(format!("metrics: bad listen `{}`", config.metrics.listen))
            })?;
            let listener = metrics::bind(addr)
                .await
                .map_err(|e| Error::Config(format!("metrics: bind {addr}: {e}")))?;
            tokio::spawn(metrics::serve(
                listener,
                Arc::clone(&metrics),
                stop_rx.clone(),
            ));
        }
        tracing::info!(
            sources = sources.len(),
            data_dir = %data_dir.display(),
            "canhgac serving"
        );
        on_ready(Stopper(stop_tx.clone()), Arc::clone(&metrics));
        wait_for_stop(&mut running, &stop_tx).await;
        let _ = stop_tx.send(true);
        // Sources notice the stop at their next wake-up; give them a moment to hand on.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !running.is_empty() && Instant::now() < deadline {
            if tokio::time::timeout(Duration::from_millis(100), running.join_next())
                .await
                .is_err()
            {
                continue;
            }
        }
        running.abort_all();
        Ok::<(), Error>(())
    });
    // Connection tasks still hold channel senders until they notice; stop them before waiting.
    runtime.shutdown_timeout(Duration::from_secs(2));
    served?;
    let deadline = Instant::now() + SHUTDOWN_GRACE;
    for stage in stages {
        join_by(
            stage,
            deadline,
            "a pipeline stage did not finish in time; the WAL keeps its data",
        );
    }
    drop(stop_periodic);
    join_by(
        periodic,
        Instant::now() + Duration::from_secs(5),
        "the scheduled report was still being made; it is made again at the next start",
    );
    // Alerts of the last batches are in the log now: the notifier routes them, then stops.
    let _ = finish_notify.send(true);
    if let Some(thread) = notifier {
        let deadline = Instant::now() + Duration::from_secs(10);
        join_by(
            thread,
            deadline,
            "the notifier did not finish in time; its outbox keeps the mails",
        );
    }
    report.accepted = metrics.pipeline.accepted.load(Ordering::Relaxed);
    tracing::info!(accepted = report.accepted, "canhgac stopped");
    Ok(report)
}

/// Waits for a signal, a stop request, or the end of every source.
async fn wait_for_stop(
    running: &mut tokio::task::JoinSet<(String, SourceKind, Result<()>)>,
    stop: &watch::Sender<bool>,
) {
    let mut stopped = stop.subscribe();
    let terminate = async {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            match (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) {
                (Ok(mut term), Ok(mut int)) => {
                    tokio::select! {
                        _ = term.recv() => {},
                        _ = int.recv() => {},
                    }
                }
                _ => std::future::pending::<()>().await,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    };
    tokio::pin!(terminate);
    loop {
        tokio::select! {
            _ = &mut terminate => {
                tracing::info!("stop requested by signal");
                return;
            }
            _ = stopped.changed() => return,
            joined = running.join_next() => match joined {
                None => {
                    tracing::info!("every source has ended");
                    return;
                }
                Some(Ok((name, kind, Err(e)))) => {
                    tracing::error!(source = %name, ?kind, "source failed: {e}");
                }
                Some(Ok((name, _, Ok(())))) => tracing::info!(source = %name, "source ended"),
                Some(Err(e)) => tracing::error!("source task: {e}"),
            }
        }
    }
}

fn spawn_stage(
    name: &str,
    metrics: &Arc<Metrics>,
    stop: &watch::Sender<bool>,
    stage: impl FnOnce() -> Result<()> + Send + 'static,
) -> Result<std::thread::JoinHandle<()>> {
    let metrics = Arc::clone(metrics);
    let stop = stop.clone();
    let label = name.to_owned();
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            if let Err(e) = stage() {
                metrics.pipeline.errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!(stage = %label, "stopped: {e}");
                let _ = stop.send(true);
            }
        })
        .map_err(|e| Error::Internal(format!("thread {name}: {e}")))
}

/// Joins a thread that finishes before `deadline`; otherwise logs `late` and leaves it.
fn join_by(thread: std::thread::JoinHandle<()>, deadline: Instant, late: &str) {
    while !thread.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    if thread.is_finished() {
        let _ = thread.join();
    } else {
        tracing::error!("{late}");
    }
}

/// The daemon's periodic work, on its own thread (checked at start and every minute): a health
/// record every hour and at shutdown ([`crate::health`]), and the scheduled monthly report when it
/// is due (a report reads rollups for seconds and must not hold up the collectors). Stops when
/// `stop`'s sender is dropped.
fn spawn_periodic(
    config: Config,
    metrics: Arc<Metrics>,
    stop: std::sync::mpsc::Receiver<()>,
) -> Result<std::thread::JoinHandle<()>> {
    let mut recorder = crate::health::HealthRecorder::default();
    let data_dir = config.data_dir.clone();
    let record = move |recorder: &mut crate::health::HealthRecorder, now: i64| {
        let r = recorder.take(&metrics, &data_dir, now);
        if let Err(e) = crate::health::append(&data_dir, &r) {
            tracing::error!("health record: {e}");
        }
    };
    let schedule = config;
    std::thread::Builder::new()
        .name("canhgac-periodic".to_owned())
        .spawn(move || {
            let hour_of = |micros: i64| micros.div_euclid(3_600_000_000);
            let mut hour = hour_of(chrono::Utc::now().timestamp_micros());
            loop {
                let now = chrono::Utc::now().timestamp_micros();
                if hour_of(now) != hour {
                    hour = hour_of(now);
                    record(&mut recorder, now);
                }
                if schedule.report.schedule.day > 0 {
                    match crate::report::schedule::run_due(&schedule, now) {
                        Ok(Some(made)) => tracing::info!(
                            month = %made.month,
                            files = made.files.len(),
                            mail = made.mail_id.as_deref().unwrap_or("-"),
                            "scheduled report made"
                        ),
                        Ok(None) => {}
                        Err(e) => {
                            tracing::error!("scheduled report: {e} (tried again in a minute)")
                        }
                    }
                }
                match stop.recv_timeout(Duration::from_secs(60)) {
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
            }
            record(&mut recorder, chrono::Utc::now().timestamp_micros());
        })
        .map_err(|e| Error::Internal(format!("thread canhgac-periodic: {e}")))
}

/// Runs the notifier on its own thread and runtime: SMTP waits never touch the collectors.
fn spawn_notifier(
    notifier: crate::notify::Notifier,
    finish: watch::Receiver<bool>,
) -> Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("canhgac-notify".to_owned())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime {
                Ok(runtime) => {
                    if let Err(e) = runtime.block_on(notifier.run(finish)) {
                        tracing::error!("notifier stopped (the outbox keeps its mails): {e}");
                    }
                }
                Err(e) => tracing::error!("notifier runtime: {e}"),
            }
        })
        .map_err(|e| Error::Internal(format!("thread canhgac-notify: {e}")))
}

/// The data directory's WAL and state, for `canhgac status`-like checks and tests.
pub fn wal_segments(data_dir: &Path) -> Result<Vec<wal::Segment>> {
    wal::segments(data_dir)
}
