//! Collectors: each kind of input behind one small trait.
//!
//! A [`Source`] reads bytes, frames them into records, and sends [`Chunk`]s (records from one
//! sender, in order) into the pipeline's bounded channel. Sending waits when the channel is full,
//! which is the backpressure that slows TCP, TLS and file reading; UDP cannot wait, so it counts a
//! drop instead. Sources never parse: that is CPU work for the pipeline's threads.
//!
//! A new kind of input is a new module here implementing [`Source`], and one arm in [`build`].

mod file;
mod stdin;
mod stream;
mod udp;

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use canhgac_parsers::framing::Frame;
use cidr::IpCidr;
use tokio::sync::{mpsc, watch};

use super::metrics::SourceMetrics;
use crate::config::{SourceConfig, SourceKind};
use crate::error::Result;
use crate::wal::{Positions, TailPosition};

pub use file::FileSource;
pub use stdin::StdinSource;
pub use stream::{StreamSource, tls_acceptor};
pub use udp::UdpSource;

/// Records from one sender, in the order they arrived.
#[derive(Debug)]
pub struct Chunk {
    /// Index of the source in the configuration.
    pub source: usize,
    /// The sender's address (network sources).
    pub peer: Option<IpAddr>,
    /// The records.
    pub frames: Vec<Frame>,
    /// When they were received, microseconds since the epoch.
    pub received_at: i64,
    /// For a tailed file: its identity and the position just after these records.
    pub position: Option<(String, TailPosition)>,
}

/// What a running source is given.
#[derive(Clone)]
pub struct SourceContext {
    /// Index of the source in the configuration.
    pub id: usize,
    /// Where chunks go.
    pub tx: mpsc::Sender<Chunk>,
    /// Its counters.
    pub metrics: Arc<SourceMetrics>,
    /// Turns true when the daemon stops.
    pub shutdown: watch::Receiver<bool>,
    /// Which senders may send.
    pub allowed: Arc<Vec<IpCidr>>,
    /// Frame size cap.
    pub max_frame: usize,
    /// Pipeline queue depth gauge, raised when a chunk is sent.
    pub queued: Arc<AtomicU64>,
    /// Where file sources resume (from the WAL and `state/`).
    pub positions: Arc<Positions>,
    /// The source's name, for logs.
    pub name: Arc<str>,
    /// Its rate-limited warnings about bad input.
    pub warnings: Arc<RateLimitedWarning>,
}

impl SourceContext {
    /// Whether `peer` may send here; counts the refusal when not.
    pub fn admits(&self, peer: IpAddr) -> bool {
        let peer = canonical(peer);
        if self.allowed.is_empty() || self.allowed.iter().any(|c| c.contains(&peer)) {
            return true;
        }
        self.metrics.dropped_peer.fetch_add(1, Ordering::Relaxed);
        false
    }

    /// Counts the frames and sends them, waiting while the pipeline is full. Returns false when
    /// the pipeline has gone away (the daemon is stopping).
    pub async fn send(&self, peer: Option<IpAddr>, frames: Vec<Frame>) -> bool {
        self.send_chunk(peer, frames, None).await
    }

    /// As [`send`](Self::send), with a file position.
    pub async fn send_chunk(
        &self,
        peer: Option<IpAddr>,
        frames: Vec<Frame>,
        position: Option<(String, TailPosition)>,
    ) -> bool {
        if frames.is_empty() && position.is_none() {
            return true;
        }
        let chunk = self.chunk(peer, frames, position);
        self.queued.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(chunk).await.is_err() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// As [`send_chunk`](Self::send_chunk), from a blocking thread (file and stdin readers).
    pub fn send_blocking(
        &self,
        frames: Vec<Frame>,
        position: Option<(String, TailPosition)>,
    ) -> bool {
        let chunk = self.chunk(None, frames, position);
        self.queued.fetch_add(1, Ordering::Relaxed);
        if self.tx.blocking_send(chunk).is_err() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Counts the frames and builds a chunk of them.
    pub fn chunk(
        &self,
        peer: Option<IpAddr>,
        frames: Vec<Frame>,
        position: Option<(String, TailPosition)>,
    ) -> Chunk {
        let bytes: usize = frames.iter().map(|f| f.bytes.len()).sum();
        self.metrics
            .received
            .fetch_add(frames.len() as u64, Ordering::Relaxed);
        self.metrics
            .bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
        let truncated = frames.iter().filter(|f| f.truncated).count();
        if truncated > 0 {
            self.metrics
                .truncated
                .fetch_add(truncated as u64, Ordering::Relaxed);
        }
        Chunk {
            source: self.id,
            peer: peer.map(canonical),
            frames,
            received_at: crate::ingest::now_micros(),
            position,
        }
    }
}

/// An IPv4 address mapped into IPv6 (from a dual-stack socket) is the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// A running input.
pub trait Source: Send {
    /// Runs until the input ends or `ctx.shutdown` turns true. Errors that end the source (a port
    /// already in use) are returned; errors of one connection or file are counted and logged.
    fn run(self: Box<Self>, ctx: SourceContext)
    -> Pin<Box<dyn Future<Output = Result<()>> + Send>>;
}

/// The source a configuration entry describes. Binding happens here, so a port that is taken
/// fails the daemon's start instead of a background task.
pub async fn build(config: &SourceConfig) -> Result<Box<dyn Source>> {
    Ok(match config.kind {
        SourceKind::Udp => Box::new(UdpSource::bind(config).await?),
        SourceKind::Tcp => Box::new(StreamSource::bind(config, None).await?),
        SourceKind::Tls => Box::new(StreamSource::bind(config, Some(tls_acceptor(config)?)).await?),
        SourceKind::File => Box::new(FileSource::new(config)),
        SourceKind::Stdin => Box::new(StdinSource),
    })
}

/// A warning that is logged at most once per interval, with the count of what it held back:
/// bad input from the outside must not flood the daemon's own log. Shared by a source's
/// connections.
pub struct RateLimitedWarning {
    every_micros: i64,
    last: AtomicI64,
    held: AtomicU64,
}

impl RateLimitedWarning {
    /// At most one warning per `every`.
    pub fn new(every: Duration) -> Self {
        RateLimitedWarning {
            every_micros: every.as_micros() as i64,
            last: AtomicI64::new(i64::MIN),
            held: AtomicU64::new(0),
        }
    }

    /// Logs `message` unless one was logged within the interval.
    pub fn warn(&self, source: &str, message: impl std::fmt::Display) {
        let now = crate::ingest::now_micros();
        let last = self.last.load(Ordering::Relaxed);
        let due = last == i64::MIN || now.saturating_sub(last) >= self.every_micros;
        if !due
            || self
                .last
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            self.held.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let held = self.held.swap(0, Ordering::Relaxed);
        tracing::warn!(source, held_back = held, "{message}");
    }
}
