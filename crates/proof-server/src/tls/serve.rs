//! The TLS accept loop: one task per connection, so a slow handshake never holds up
//! another; handshakes are bounded by `tls.handshake_timeout_ms`; each connection's
//! [`ClientIdentity`](super::ClientIdentity) is attached to its requests; shutdown stops
//! accepting and lets open connections finish their requests.

use super::TlsRuntime;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

/// Serves `router` over TLS on `listener` until `stop` turns true, then waits for open
/// connections to finish (the caller bounds that wait).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Arc<TlsRuntime>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let graceful = GracefulShutdown::new();
    let builder = Builder::new(TokioExecutor::new());
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.wait_for(|s| *s) => break,
        };
        let loaded = tls.current();
        let tls = Arc::clone(&tls);
        let router = router.clone();
        let builder = builder.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            let m = tls.metrics();
            let stream =
                match tokio::time::timeout(tls.handshake_timeout(), loaded.acceptor().accept(tcp))
                    .await
                {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        m.tls_handshake("error");
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        m.tls_handshake("timeout");
                        tracing::debug!(%peer, "TLS handshake timed out");
                        return;
                    }
                };
            m.tls_handshake("ok");
            let identity = loaded.identify(stream.get_ref().1.peer_certificates());
            if let Some(id) = &identity {
                m.tls_client_auth(id.result());
            }
            let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
                if let Some(id) = &identity {
                    req.extensions_mut().insert(id.clone());
                }
                req.extensions_mut()
                    .insert(axum::extract::ConnectInfo(peer));
                router.clone().oneshot(req)
            });
            let conn = builder
                .serve_connection(TokioIo::new(stream), svc)
                .into_owned();
            if let Err(e) = watcher.watch(conn).await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
