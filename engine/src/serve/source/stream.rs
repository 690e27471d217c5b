//! Syslog over TCP (RFC 6587) and TLS (RFC 5425): one task per connection.
//!
//! Each connection has its own frame decoder, so octet counting and newline framing are detected
//! per connection (and re-checked per frame, since relays mix them). A connection that goes
//! silent for `idle_timeout_ms` is closed; one that trickles (slowloris) only holds its own task.
//! When the pipeline is full, the task stops reading, so TCP's own flow control slows the sender.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use canhgac_parsers::framing::FrameDecoder;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::{Source, SourceContext};
use crate::config::SourceConfig;
use crate::error::{Error, Result};

/// How long a TLS client has to finish its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A TCP or TLS listener.
pub struct StreamSource {
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    idle: Duration,
    max_connections: usize,
}

impl StreamSource {
    /// Binds the configured address; with `tls`, connections are TLS.
    pub async fn bind(config: &SourceConfig, tls: Option<TlsAcceptor>) -> Result<StreamSource> {
        let addr = config.listen_addr()?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| Error::Config(format!("source `{}`: bind {addr}: {e}", config.name)))?;
        Ok(StreamSource {
            listener,
            tls,
            idle: Duration::from_millis(config.idle_timeout_ms.max(1)),
            max_connections: config.max_connections.max(1),
        })
    }
}

impl Source for StreamSource {
    fn run(
        self: Box<Self>,
        ctx: SourceContext,
    ) -> Pin<Box<dyn Future<Output = Result<()>> + Send>> {
        Box::pin(async move {
            let mut shutdown = ctx.shutdown.clone();
            let tls = self.tls.map(Arc::new);
            loop {
                let accepted = tokio::select! {
                    a = self.listener.accept() => a,
                    _ = shutdown.changed() => return Ok(()),
                };
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little, keep serving.
                        ctx.metrics.read_errors.fetch_add(1, Ordering::Relaxed);
                        ctx.warnings.warn(&ctx.name, format_args!("accept: {e}"));
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if !ctx.admits(peer.ip()) {
                    continue;
                }
                if ctx.metrics.connections_open.load(Ordering::Relaxed) as usize
                    >= self.max_connections
                {
                    ctx.metrics
                        .connections_refused
                        .fetch_add(1, Ordering::Relaxed);
                    ctx.warnings.warn(
                        &ctx.name,
                        format_args!("connection from {peer} refused: max_connections reached"),
                    );
                    continue;
                }
                ctx.metrics.connections.fetch_add(1, Ordering::Relaxed);
                ctx.metrics.connections_open.fetch_add(1, Ordering::Relaxed);
                let ctx = ctx.clone();
                let tls = tls.clone();
                let idle = self.idle;
                tokio::spawn(async move {
                    connection(stream, peer, tls.as_deref(), idle, &ctx).await;
                    ctx.metrics.connections_open.fetch_sub(1, Ordering::Relaxed);
                });
            }
        })
    }
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<&TlsAcceptor>,
    idle: Duration,
    ctx: &SourceContext,
) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => read_records(stream, peer, idle, ctx).await,
        Some(acceptor) => {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(stream)) => read_records(stream, peer, idle, ctx).await,
                Ok(Err(e)) => {
                    ctx.metrics.tls_failures.fetch_add(1, Ordering::Relaxed);
                    ctx.warnings
                        .warn(&ctx.name, format_args!("TLS handshake with {peer}: {e}"));
                }
                Err(_) => {
                    ctx.metrics.tls_failures.fetch_add(1, Ordering::Relaxed);
                    ctx.warnings.warn(
                        &ctx.name,
                        format_args!("TLS handshake with {peer} timed out"),
                    );
                }
            }
        }
    }
}

/// Reads records until the peer closes, goes idle, fails, or the daemon stops.
async fn read_records(
    mut reader: impl AsyncRead + Unpin,
    peer: SocketAddr,
    idle: Duration,
    ctx: &SourceContext,
) {
    let mut shutdown = ctx.shutdown.clone();
    let mut decoder = FrameDecoder::new(ctx.max_frame);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let read = tokio::select! {
            r = tokio::time::timeout(idle, reader.read(&mut buf)) => r,
            // Bytes not yet read were never accepted; a partial record is not flushed.
            _ = shutdown.changed() => return,
        };
        match read {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => {
                decoder.push(&buf[..n]);
                let mut frames = Vec::new();
                while let Some(frame) = decoder.next_frame() {
                    frames.push(frame);
                }
                if !ctx.send(Some(peer.ip()), frames).await {
                    return;
                }
            }
            Ok(Err(e)) => {
                ctx.metrics.read_errors.fetch_add(1, Ordering::Relaxed);
                ctx.warnings
                    .warn(&ctx.name, format_args!("read from {peer}: {e}"));
                break;
            }
            Err(_) => {
                ctx.metrics.idle_timeouts.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
    }
    // The peer is done: its last record needs no terminator.
    if let Some(frame) = decoder.finish() {
        ctx.send(Some(peer.ip()), vec![frame]).await;
    }
}

/// The TLS acceptor of a `tls` source: its certificate and key, and when `tls_client_ca` is set,
/// client certificates required and verified against that CA.
pub fn tls_acceptor(config: &SourceConfig) -> Result<TlsAcceptor> {
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        Error::Tls(format!("source `{}`: {what}: {e}", config.name))
    };
    let (Some(cert_path), Some(key_path)) = (&config.tls_cert, &config.tls_key) else {
        return Err(Error::Tls(format!(
            "source `{}`: tls_cert and tls_key are required",
            config.name
        )));
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert_path)
        .map_err(|e| bad(&cert_path.display().to_string(), &e))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| bad(&cert_path.display().to_string(), &e))?;
    if certs.is_empty() {
        return Err(bad(
            &cert_path.display().to_string(),
            &"no certificate in the file",
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| bad(&key_path.display().to_string(), &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("protocol versions", &e))?;
    let server = match &config.tls_client_ca {
        None => builder.with_no_client_auth().with_single_cert(certs, key),
        Some(ca_path) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(ca_path)
                .map_err(|e| bad(&ca_path.display().to_string(), &e))?
            {
                let cert = cert.map_err(|e| bad(&ca_path.display().to_string(), &e))?;
                roots
                    .add(cert)
                    .map_err(|e| bad(&ca_path.display().to_string(), &e))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| bad("client verifier", &e))?;
            builder
                .with_client_cert_verifier(verifier)
                .with_single_cert(certs, key)
        }
    }
    .map_err(|e| bad("certificate and key", &e))?;
    Ok(TlsAcceptor::from(Arc::new(server)))
}
