//! Serving the router over HTTP/1.1, or HTTPS when `[ui] tls_cert`/`tls_key` are set. Each
//! connection's peer address is put in the request ([`Peer`]) for the lockout and the login
//! events. The listener is bound before anything else starts, so a port in use is an error at
//! start-up rather than a UI that silently is not there.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use tokio::sync::watch;
use tower_service::Service as _;

use crate::error::{Error, Result};

/// The client address of a request.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// A bound listener, not yet serving.
pub struct Listener {
    listener: std::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
}

impl Listener {
    /// The address it listens on.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener
            .local_addr()
            .map_err(|e| Error::Internal(format!("UI listener: {e}")))
    }

    /// Whether it serves HTTPS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }
}

/// Binds the UI's address and loads its TLS certificate (when configured).
pub fn bind(ui: &canhgac_engine::config::UiConfig) -> Result<Listener> {
    let addr: SocketAddr = ui.listen.parse().map_err(|_| {
        Error::BadRequest(format!(
            "ui: `listen = \"{}\"` is not ADDRESS:PORT",
            ui.listen
        ))
    })?;
    let listener = std::net::TcpListener::bind(addr)
        .map_err(|e| Error::Internal(format!("ui: cannot listen on {addr}: {e}")))?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Error::Internal(format!("ui: {e}")))?;
    let tls = match (&ui.tls_cert, &ui.tls_key) {
        (Some(cert), Some(key)) => Some(tls_config(cert, key)?),
        _ => None,
    };
    Ok(Listener { listener, tls })
}

fn tls_config(cert: &std::path::Path, key: &std::path::Path) -> Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|i| i.collect::<std::result::Result<Vec<_>, _>>())
        .map_err(|e| Error::BadRequest(format!("ui: tls_cert {}: {e}", cert.display())))?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| Error::BadRequest(format!("ui: tls_key {}: {e}", key.display())))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| Error::Internal(format!("ui TLS: {e}")))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| Error::BadRequest(format!("ui TLS: {e}")))?;
    Ok(Arc::new(config))
}

/// Serves `router` on `listener` until `stop` turns true; connections still open then get a
/// moment to finish.
pub async fn serve(
    listener: Listener,
    router: Router,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let tcp = tokio::net::TcpListener::from_std(listener.listener)
        .map_err(|e| Error::Internal(format!("ui listener: {e}")))?;
    let acceptor = listener.tls.map(tokio_rustls::TlsAcceptor::from);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = tcp.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!("ui: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        while connections.try_join_next().is_some() {}
        let router = router.clone();
        let acceptor = acceptor.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(Peer(peer));
                    router.clone().call(request)
                },
            );
            let builder = hyper::server::conn::http1::Builder::new();
            let served = match acceptor {
                Some(acceptor) => {
                    let tls = match tokio::time::timeout(
                        Duration::from_secs(10),
                        acceptor.accept(stream),
                    )
                    .await
                    {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, "ui: TLS handshake: {e}");
                            return;
                        }
                        Err(_) => return,
                    };
                    builder.serve_connection(TokioIo::new(tls), service).await
                }
                None => {
                    builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await
                }
            };
            if let Err(e) = served {
                tracing::debug!(%peer, "ui connection: {e}");
            }
        });
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while !connections.is_empty() {
        if tokio::time::timeout_at(deadline, connections.join_next())
            .await
            .is_err()
        {
            connections.abort_all();
            break;
        }
    }
    Ok(())
}
