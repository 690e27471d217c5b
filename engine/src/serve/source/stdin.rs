//! Standard input as a source: records until it ends (`producer | canhgac serve --config ...`).

use std::future::Future;
use std::io::Read;
use std::pin::Pin;
use std::sync::atomic::Ordering;

use canhgac_parsers::framing::FrameDecoder;

use super::{Source, SourceContext};
use crate::error::{Error, Result};

/// Reads standard input, framing detected as on a TCP connection.
pub struct StdinSource;

impl Source for StdinSource {
    fn run(
        self: Box<Self>,
        ctx: SourceContext,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + Send>> {
        Box::pin(async move {
            tokio::task::spawn_blocking(move || read_stdin(&ctx))
                .await
                .map_err(|e| Error::Internal(format!("stdin task: {e}")))
        })
    }
}

fn read_stdin(ctx: &SourceContext) {
    let mut stdin = std::io::stdin().lock();
    let mut decoder = FrameDecoder::new(ctx.max_frame);
    let mut buf = vec![0u8; 256 * 1024];
    let send = |frames| ctx.send_blocking(frames, None);
    loop {
        if *ctx.shutdown.borrow() {
            return;
        }
        let n = match stdin.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                ctx.metrics.read_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(source = %ctx.name, "stdin: {e}");
                break;
            }
        };
        decoder.push(&buf[..n]);
        let mut frames = Vec::new();
        while let Some(frame) = decoder.next_frame() {
            frames.push(frame);
        }
        if !frames.is_empty() && !send(frames) {
            return;
        }
    }
    if let Some(frame) = decoder.finish() {
        send(vec![frame]);
    }
    tracing::info!(source = %ctx.name, "standard input ended");
}
