//! Counters of the daemon and their Prometheus text rendering, served on `/metrics`.
//!
//! Counters are plain atomics updated where things happen; rendering reads them. The HTTP side
//! is a deliberately small responder (GET `/metrics` and `/healthz` only, bounded request size
//! and time): the web UI brings the real HTTP stack.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Counters of one source.
#[derive(Debug, Default)]
pub struct SourceMetrics {
    /// Records received (before parsing).
    pub received: AtomicU64,
    /// Bytes received.
    pub bytes: AtomicU64,
    /// Records no parser understood (stored raw).
    pub parse_failures: AtomicU64,
    /// Records cut at the frame size limit.
    pub truncated: AtomicU64,
    /// UDP datagrams dropped because the pipeline was full.
    pub dropped_overload: AtomicU64,
    /// Datagrams or connections from senders outside `allowed_peers`.
    pub dropped_peer: AtomicU64,
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections open now.
    pub connections_open: AtomicU64,
    /// Connections refused at `max_connections`.
    pub connections_refused: AtomicU64,
    /// Connections closed for silence.
    pub idle_timeouts: AtomicU64,
    /// TLS handshakes that failed (plain text, bad or missing client certificate).
    pub tls_failures: AtomicU64,
    /// Read errors (connection resets, unreadable files).
    pub read_errors: AtomicU64,
}

/// Counters of the pipeline.
#[derive(Debug, Default)]
pub struct PipelineMetrics {
    /// Chunks waiting between sources and the parser (shared with the sources).
    pub queue_chunks: Arc<AtomicU64>,
    /// Batches waiting for detection.
    pub queue_batches: AtomicU64,
    /// Batches written to the WAL.
    pub batches: AtomicU64,
    /// Records written to the WAL (accepted).
    pub accepted: AtomicU64,
    /// Records through detection.
    pub detected: AtomicU64,
    /// Records compacted into Parquet.
    pub stored: AtomicU64,
    /// Sum of batch latencies (first record received to detection done), microseconds.
    pub batch_latency_micros_sum: AtomicU64,
    /// Batches measured in that sum.
    pub batch_latency_count: AtomicU64,
    /// Correlation matches later than the allowed lateness.
    pub late_events: AtomicU64,
    /// Bytes in WAL segments.
    pub wal_bytes: Arc<AtomicU64>,
    /// WAL batches replayed through detection at startup.
    pub replayed: AtomicU64,
    /// Alerts written, by level (informational, low, medium, high, critical).
    pub alerts: [AtomicU64; 5],
    /// Errors in the pipeline's stages (each also logged).
    pub errors: AtomicU64,
}

/// Picks one counter out of a source's counters.
type CounterOf = fn(&SourceMetrics) -> &AtomicU64;

/// Alert levels in the order of [`PipelineMetrics::alerts`].
pub const LEVELS: [&str; 5] = ["informational", "low", "medium", "high", "critical"];

/// Everything `/metrics` shows.
#[derive(Debug)]
pub struct Metrics {
    /// Source names, in the order of `sources`.
    pub names: Vec<String>,
    /// Per source.
    pub sources: Vec<Arc<SourceMetrics>>,
    /// The pipeline.
    pub pipeline: PipelineMetrics,
    /// Email.
    pub notify: Arc<crate::notify::NotifyMetrics>,
    started: std::time::Instant,
}

impl Metrics {
    /// Counters for these sources.
    pub fn new(names: Vec<String>, wal_bytes: Arc<AtomicU64>) -> Metrics {
        Metrics {
            sources: names.iter().map(|_| Arc::default()).collect(),
            names,
            pipeline: PipelineMetrics {
                wal_bytes,
                ..PipelineMetrics::default()
            },
            notify: Arc::default(),
            started: std::time::Instant::now(),
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(4096);
        let per_source: [(&str, &str, CounterOf); 12] = [
            ("received_total", "Records received.", |m| &m.received),
            ("bytes_total", "Bytes received.", |m| &m.bytes),
            (
                "parse_failures_total",
                "Records no parser understood (stored raw).",
                |m| &m.parse_failures,
            ),
            ("truncated_total", "Records cut at max_frame_bytes.", |m| {
                &m.truncated
            }),
            (
                "dropped_total",
                "UDP datagrams dropped because the pipeline was full.",
                |m| &m.dropped_overload,
            ),
            (
                "dropped_peer_total",
                "Datagrams or connections from senders outside allowed_peers.",
                |m| &m.dropped_peer,
            ),
            ("connections_total", "Connections accepted.", |m| {
                &m.connections
            }),
            ("connections_open", "Connections open now.", |m| {
                &m.connections_open
            }),
            (
                "connections_refused_total",
                "Connections refused at max_connections.",
                |m| &m.connections_refused,
            ),
            (
                "idle_timeouts_total",
                "Connections closed for silence.",
                |m| &m.idle_timeouts,
            ),
            ("tls_failures_total", "Failed TLS handshakes.", |m| {
                &m.tls_failures
            }),
            ("read_errors_total", "Read errors.", |m| &m.read_errors),
        ];
        for (name, help, get) in per_source {
            let kind = if name.ends_with("_total") {
                "counter"
            } else {
                "gauge"
            };
            let _ = writeln!(out, "# HELP canhgac_source_{name} {help}");
            let _ = writeln!(out, "# TYPE canhgac_source_{name} {kind}");
            for (source, m) in self.names.iter().zip(&self.sources) {
                let _ = writeln!(
                    out,
                    "canhgac_source_{name}{{source=\"{}\"}} {}",
                    escape_label(source),
                    get(m).load(Ordering::Relaxed)
                );
            }
        }
        let p = &self.pipeline;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let accepted = load(&p.accepted);
        let uptime = self.started.elapsed().as_secs_f64().max(1e-3);
        let latency_count = load(&p.batch_latency_count);
        let latency = if latency_count == 0 {
            0.0
        } else {
            load(&p.batch_latency_micros_sum) as f64 / latency_count as f64 / 1e6
        };
        let gauges: [(&str, &str, &str, f64); 14] = [
            (
                "queue_chunks",
                "gauge",
                "Chunks waiting for the parser.",
                load(&p.queue_chunks) as f64,
            ),
            (
                "queue_batches",
                "gauge",
                "Batches waiting for detection.",
                load(&p.queue_batches) as f64,
            ),
            (
                "batches_total",
                "counter",
                "Batches written to the WAL.",
                load(&p.batches) as f64,
            ),
            (
                "accepted_total",
                "counter",
                "Records accepted (in the WAL).",
                accepted as f64,
            ),
            (
                "detected_total",
                "counter",
                "Records through detection.",
                load(&p.detected) as f64,
            ),
            (
                "stored_total",
                "counter",
                "Records compacted into Parquet.",
                load(&p.stored) as f64,
            ),
            (
                "events_per_second",
                "gauge",
                "Accepted records per second since start.",
                accepted as f64 / uptime,
            ),
            (
                "batch_latency_seconds_avg",
                "gauge",
                "Mean time from a batch's first record to detection done.",
                latency,
            ),
            (
                "batch_latency_seconds_sum",
                "counter",
                "Sum of batch latencies.",
                load(&p.batch_latency_micros_sum) as f64 / 1e6,
            ),
            (
                "batch_latency_seconds_count",
                "counter",
                "Batches measured.",
                latency_count as f64,
            ),
            (
                "late_events_total",
                "counter",
                "Correlation matches later than the allowed lateness.",
                load(&p.late_events) as f64,
            ),
            (
                "wal_bytes",
                "gauge",
                "Bytes in WAL segments.",
                load(&p.wal_bytes) as f64,
            ),
            (
                "replayed_batches_total",
                "counter",
                "WAL batches replayed at startup.",
                load(&p.replayed) as f64,
            ),
            (
                "errors_total",
                "counter",
                "Errors in pipeline stages (see the log).",
                load(&p.errors) as f64,
            ),
        ];
        for (name, kind, help, value) in gauges {
            let _ = writeln!(out, "# HELP canhgac_pipeline_{name} {help}");
            let _ = writeln!(out, "# TYPE canhgac_pipeline_{name} {kind}");
            let _ = writeln!(out, "canhgac_pipeline_{name} {value}");
        }
        let _ = writeln!(out, "# HELP canhgac_alerts_total Alerts written, by level.");
        let _ = writeln!(out, "# TYPE canhgac_alerts_total counter");
        for (level, n) in LEVELS.iter().zip(&p.alerts) {
            let _ = writeln!(out, "canhgac_alerts_total{{level=\"{level}\"}} {}", load(n));
        }
        let m = &self.notify;
        let mail: [(&str, &str, &str, &AtomicU64); 8] = [
            ("queued", "gauge", "Mails in the outbox.", &m.queued),
            (
                "retrying",
                "gauge",
                "Mails in the outbox after a failed attempt.",
                &m.retrying,
            ),
            (
                "sent_total",
                "counter",
                "Mails the server accepted.",
                &m.sent,
            ),
            (
                "failed_total",
                "counter",
                "Mails refused for good (outbox/failed/).",
                &m.failed,
            ),
            (
                "attempt_failures_total",
                "counter",
                "Delivery attempts that will be retried.",
                &m.attempt_failures,
            ),
            (
                "routed_alerts_total",
                "counter",
                "Alerts taken by at least one route.",
                &m.routed_alerts,
            ),
            (
                "held_alerts_total",
                "counter",
                "Alerts held for a digest, per route.",
                &m.held_alerts,
            ),
            ("digests_total", "counter", "Digests queued.", &m.digests),
        ];
        for (name, kind, help, value) in mail {
            let _ = writeln!(out, "# HELP canhgac_mail_{name} {help}");
            let _ = writeln!(out, "# TYPE canhgac_mail_{name} {kind}");
            let _ = writeln!(out, "canhgac_mail_{name} {}", load(value));
        }
        out
    }

    /// Counts an alert of `level`.
    pub fn count_alert(&self, level: &str) {
        if let Some(i) = LEVELS.iter().position(|l| l.eq_ignore_ascii_case(level)) {
            self.pipeline.alerts[i].fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Serves `/metrics` and `/healthz` until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let metrics = Arc::clone(&metrics);
        tokio::spawn(async move {
            let _ = tokio::time::timeout(Duration::from_secs(5), respond(stream, &metrics)).await;
        });
    }
}

async fn respond(mut stream: tokio::net::TcpStream, metrics: &Metrics) -> std::io::Result<()> {
    let mut request = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 8192 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let line = request.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut words = line.split(|b| *b == b' ');
    let (method, path) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or_default(),
    );
    let (status, content_type, body) = match (method, path) {
        (b"GET", b"/metrics") => (
            "200 OK",
            "text/plain; version=0.0.4; charset=utf-8",
            metrics.render(),
        ),
        (b"GET", b"/healthz") => ("200 OK", "text/plain; charset=utf-8", "ok\n".to_owned()),
        (b"GET", _) => (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "not found\n".to_owned(),
        ),
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            "GET only\n".to_owned(),
        ),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

/// Binds the metrics listener (so a port clash is an error at startup, not later).
pub async fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(addr).await
}
