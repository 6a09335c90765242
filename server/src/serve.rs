//! Listening: plain HTTP (loopback, or behind a TLS proxy) or HTTPS with the configured
//! certificate (rustls), until SIGINT/SIGTERM.

use crate::http::{self, AppState};
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use thiserror::Error;
use tokio::net::TcpListener;

#[derive(Debug, Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("{path}: {message}")]
    Tls { path: PathBuf, message: String },
}

/// The certificate chain and key for HTTPS.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

fn tls_error(path: &Path, message: impl std::fmt::Display) -> ServeError {
    ServeError::Tls { path: path.to_path_buf(), message: message.to_string() }
}

/// The rustls server configuration from PEM files (the key as PKCS#8, RSA or SEC1).
pub fn tls_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, ServeError> {
    let pem = std::fs::read(&files.cert).map_err(|e| tls_error(&files.cert, e))?;
    let certs: Vec<rustls::Certificate> = rustls_pemfile::certs(&mut pem.as_slice())
        .map_err(|e| tls_error(&files.cert, e))?
        .into_iter()
        .map(rustls::Certificate)
        .collect();
    if certs.is_empty() {
        return Err(tls_error(&files.cert, "no PEM certificate in it"));
    }
    let pem = std::fs::read(&files.key).map_err(|e| tls_error(&files.key, e))?;
    let key = rustls_pemfile::read_all(&mut pem.as_slice())
        .map_err(|e| tls_error(&files.key, e))?
        .into_iter()
        .find_map(|item| match item {
            rustls_pemfile::Item::PKCS8Key(k) | rustls_pemfile::Item::RSAKey(k) | rustls_pemfile::Item::ECKey(k) => Some(rustls::PrivateKey(k)),
            _ => None,
        })
        .ok_or_else(|| tls_error(&files.key, "no PEM private key in it"))?;
    let mut config = rustls::ServerConfig::builder()
        .with_safe_defaults()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| tls_error(&files.key, e))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(term) => term,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

/// Serves the console on `addr` (HTTPS when `tls` is given) until `shutdown` completes.
pub async fn serve(addr: SocketAddr, tls: Option<TlsFiles>, state: AppState, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> Result<(), ServeError> {
    let listener = TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?;
    let local = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(%local, demo = state.demo, scheme, "rdqm-console listening");
    println!("rdqm-console listening on {scheme}://{local}");
    // Open event streams end at shutdown (they would otherwise hold a graceful stop).
    let ended = state.auth.ended.clone();
    let shutdown = async move {
        shutdown.await;
        let _ = ended.send(http::SessionEnded::All);
    };
    let app = http::router(state);
    let Some(files) = tls else {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        return axum::serve(listener, app).with_graceful_shutdown(shutdown).await.map_err(ServeError::Io);
    };
    let acceptor = tokio_rustls::TlsAcceptor::from(tls_config(&files)?);
    tokio::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return Ok(()),
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        tokio::spawn(async move {
            // A failed handshake (a plain-HTTP client, an untrusted certificate) ends only
            // that connection.
            // A client that never finishes its handshake does not hold a connection for long.
            let stream = match tokio::time::timeout(std::time::Duration::from_secs(10), acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => stream,
                Ok(Err(e)) => {
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return;
                }
                Err(_) => {
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return;
                }
            };
            let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                tower::ServiceExt::oneshot(app.clone(), request)
            });
            if let Err(e) = auto::Builder::new(TokioExecutor::new()).serve_connection_with_upgrades(TokioIo::new(stream), service).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
}
