//! Syslog over UDP (RFC 5426): one datagram, one record.
//!
//! UDP cannot be slowed down, so when the pipeline's channel is full a datagram is dropped and
//! counted (`dropped_total`), never waited for: waiting would only move the loss into the kernel's
//! socket buffer, where nobody counts it.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;

use canhgac_parsers::framing::{Frame, Framing};
use tokio::net::UdpSocket;
use tokio::sync::mpsc::error::TrySendError;

use super::{Source, SourceContext};
use crate::config::SourceConfig;
use crate::error::{Error, Result};

/// Datagrams taken from the socket per wake-up before the chunk is handed on.
const BURST: usize = 256;

/// A UDP listener.
pub struct UdpSource {
    socket: UdpSocket,
}

impl UdpSource {
    /// Binds the configured address.
    pub async fn bind(config: &SourceConfig) -> Result<UdpSource> {
        let addr = config.listen_addr()?;
        let socket = UdpSocket::bind(addr)
            .await
            .map_err(|e| Error::Config(format!("source `{}`: bind {addr}: {e}", config.name)))?;
        Ok(UdpSource { socket })
    }
}

impl Source for UdpSource {
    fn run(
        self: Box<Self>,
        ctx: SourceContext,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + Send>> {
        Box::pin(async move {
            let mut shutdown = ctx.shutdown.clone();
            let mut buf = vec![0u8; 65536];
            loop {
                let first = tokio::select! {
                    r = self.socket.recv_from(&mut buf) => r,
                    _ = shutdown.changed() => return Ok(()),
                };
                let mut pending: Vec<(IpAddr, Frame)> = Vec::new();
                let mut next = Some(first);
                while let Some(received) = next.take() {
                    match received {
                        Ok((n, from)) => {
                            if ctx.admits(from.ip()) {
                                pending.push((from.ip(), datagram(&buf[..n], ctx.max_frame)));
                            }
                        }
                        Err(e) => {
                            // ICMP errors surface here on some systems; the socket stays usable.
                            ctx.metrics.read_errors.fetch_add(1, Ordering::Relaxed);
                            ctx.warnings
                                .warn(&ctx.name, format_args!("udp receive: {e}"));
                        }
                    }
                    if pending.len() < BURST {
                        next = match self.socket.try_recv_from(&mut buf) {
                            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
                            other => Some(other),
                        };
                    }
                }
                if !hand_on(&ctx, pending) {
                    return Ok(());
                }
            }
        })
    }
}

/// Sends datagrams grouped by consecutive sender; drops (and counts) what does not fit.
fn hand_on(ctx: &SourceContext, datagrams: Vec<(IpAddr, Frame)>) -> bool {
    let mut group: Vec<Frame> = Vec::new();
    let mut iter = datagrams.into_iter().peekable();
    while let Some((from, frame)) = iter.next() {
        group.push(frame);
        if iter.peek().is_some_and(|(next, _)| *next == from) {
            continue;
        }
        let chunk = ctx.chunk(Some(from), std::mem::take(&mut group), None);
        let n = chunk.frames.len() as u64;
        ctx.queued.fetch_add(1, Ordering::Relaxed);
        match ctx.tx.try_send(chunk) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                ctx.queued.fetch_sub(1, Ordering::Relaxed);
                ctx.metrics.dropped_overload.fetch_add(n, Ordering::Relaxed);
            }
            Err(TrySendError::Closed(_)) => return false,
        }
    }
    true
}

/// A datagram as a record: trailing newlines and NULs (some senders add them) removed, cut at
/// the frame cap.
fn datagram(data: &[u8], max_frame: usize) -> Frame {
    let mut end = data.len();
    while end > 0 && matches!(data[end - 1], b'\n' | b'\r' | 0) {
        end -= 1;
    }
    let truncated = end > max_frame;
    Frame {
        bytes: data[..end.min(max_frame)].to_vec(),
        framing: Framing::Newline,
        truncated,
    }
}
