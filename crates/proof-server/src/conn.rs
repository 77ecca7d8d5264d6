//! Connections on both listeners: the accept loop, the caps on open connections (per
//! listener and per peer address), the header-read and idle timeouts, and graceful
//! shutdown. What happens between accept and HTTP is a [`Handshake`]: [`Plain`] here, TLS
//! in [`crate::tls::serve`].
//!
//! A connection over a cap is accepted and closed at once (counted in
//! `proof_connections_refused_total`), so a flood of idle sockets can neither exhaust the
//! process's file descriptors nor starve the other listener. A connection that sends part
//! of a request head and stops, or that stays silent without a request in progress, is
//! closed ([`Activity`], counted in `proof_connections_timed_out_total`).

mod activity;

use crate::config::Limits;
use crate::metrics::{ConnLabels, ListenerLabel, Metrics};
use crate::tls::ClientIdentity;
use activity::{Activity, Tracked};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt as _;

/// File descriptors kept free of connections for the store, files and the IdP.
const FD_RESERVE: u64 = 64;

/// The connection limits of one listener.
#[derive(Clone, Copy, Debug)]
pub struct ConnLimits {
    /// Most open connections.
    pub max: usize,
    /// Most open connections from one IP address.
    pub per_peer: usize,
    /// From the first byte of a request head to its end.
    pub header_read: Duration,
    /// Without a request in progress or a byte of a new one.
    pub idle: Duration,
}

impl ConnLimits {
    /// The configured limits, with `max` lowered so that `listeners` listeners at their
    /// caps stay within the open-file limit `nofile` (when known), less a reserve.
    #[must_use]
    pub fn new(l: &Limits, listeners: u64, nofile: Option<u64>) -> Self {
        let fit = nofile.map(|n| {
            usize::try_from(n.saturating_sub(FD_RESERVE) / listeners.max(1))
                .unwrap_or(usize::MAX)
                .max(1)
        });
        let max = fit.map_or(l.max_connections, |f| l.max_connections.min(f));
        if max < l.max_connections {
            tracing::warn!(
                configured = l.max_connections,
                effective = max,
                open_file_limit = nofile,
                "limits.max_connections lowered to fit the open-file limit"
            );
        }
        Self {
            max,
            per_peer: l.max_connections_per_peer.min(max),
            header_read: Duration::from_millis(l.header_read_timeout_ms),
            idle: Duration::from_millis(l.idle_timeout_ms),
        }
    }
}

/// The soft open-file limit of this process (`/proc/self/limits`), where the system says.
#[must_use]
pub fn open_file_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// What turns an accepted TCP stream into the stream HTTP is spoken on.
pub trait Handshake: Send + Sync + 'static {
    /// The stream after the handshake.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// The stream and the client's certificate identity (TLS with client
    /// authentication), or `None` when the connection is to be dropped.
    fn handshake(
        &self,
        tcp: TcpStream,
        peer: SocketAddr,
    ) -> impl Future<Output = Option<(Self::Io, Option<ClientIdentity>)>> + Send;
}

/// Plain HTTP: no handshake.
pub struct Plain;

impl Handshake for Plain {
    type Io = TcpStream;
    async fn handshake(
        &self,
        tcp: TcpStream,
        _peer: SocketAddr,
    ) -> Option<(TcpStream, Option<ClientIdentity>)> {
        Some((tcp, None))
    }
}

/// Open connections of one listener, in total and per peer address.
struct Open {
    total: AtomicUsize,
    per_peer: Mutex<HashMap<IpAddr, usize>>,
    /// Woken when the last connection closes (for shutdown).
    drained: Notify,
}

/// One admitted connection's place in [`Open`]; given back on drop.
struct Slot {
    open: Arc<Open>,
    peer: IpAddr,
    gauge: prometheus_client::metrics::gauge::Gauge,
}

impl Open {
    fn admit(
        self: &Arc<Self>,
        peer: IpAddr,
        limits: &ConnLimits,
        gauge: &prometheus_client::metrics::gauge::Gauge,
    ) -> Result<Slot, &'static str> {
        let mut m = match self.per_peer.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if self.total.load(Ordering::Relaxed) >= limits.max {
            return Err("listener_full");
        }
        let n = m.entry(peer).or_insert(0);
        if *n >= limits.per_peer {
            return Err("peer_full");
        }
        *n += 1;
        self.total.fetch_add(1, Ordering::Relaxed);
        gauge.inc();
        Ok(Slot {
            open: Arc::clone(self),
            peer,
            gauge: gauge.clone(),
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut m = match self.open.per_peer.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(n) = m.get_mut(&self.peer) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.peer);
            }
        }
        self.gauge.dec();
        if self.open.total.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.open.drained.notify_waiters();
        }
    }
}

/// Serves `router` on `listener` (named `name` in metrics and logs) until `stop` turns
/// true, then stops accepting, asks open connections to finish their requests, and waits
/// for them (the caller bounds that wait).
pub async fn serve<H: Handshake>(
    listener: TcpListener,
    name: &'static str,
    router: Router,
    handshake: Arc<H>,
    limits: ConnLimits,
    metrics: Metrics,
    mut stop: watch::Receiver<bool>,
) {
    let open = Arc::new(Open {
        total: AtomicUsize::new(0),
        per_peer: Mutex::new(HashMap::new()),
        drained: Notify::new(),
    });
    let gauge = metrics
        .connections_open
        .get_or_create(&ListenerLabel { listener: name })
        .clone();
    let builder = Builder::new(TokioExecutor::new());
    loop {
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(listener = name, error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.wait_for(|s| *s) => break,
        };
        let slot = match open.admit(peer.ip(), &limits, &gauge) {
            Ok(s) => s,
            Err(reason) => {
                metrics
                    .connections_refused
                    .get_or_create(&ConnLabels {
                        listener: name,
                        reason,
                    })
                    .inc();
                tracing::debug!(listener = name, %peer, reason, "connection refused");
                drop(tcp);
                continue;
            }
        };
        let conn = Connection {
            name,
            router: router.clone(),
            handshake: Arc::clone(&handshake),
            builder: builder.clone(),
            limits,
            metrics: metrics.clone(),
            stop: stop.clone(),
        };
        tokio::spawn(async move {
            conn.run(tcp, peer).await;
            drop(slot);
        });
    }
    drop(listener);
    loop {
        let drained = open.drained.notified();
        if open.total.load(Ordering::Relaxed) == 0 {
            return;
        }
        drained.await;
    }
}

/// What one connection's task needs.
struct Connection<H> {
    name: &'static str,
    router: Router,
    handshake: Arc<H>,
    builder: Builder<TokioExecutor>,
    limits: ConnLimits,
    metrics: Metrics,
    stop: watch::Receiver<bool>,
}

impl<H: Handshake> Connection<H> {
    async fn run(mut self, tcp: TcpStream, peer: SocketAddr) {
        let _ = tcp.set_nodelay(true);
        let Some((io, identity)) = self.handshake.handshake(tcp, peer).await else {
            return;
        };
        let activity = Arc::new(Activity::new());
        let router = self.router;
        let busy = Arc::clone(&activity);
        let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            if let Some(id) = &identity {
                req.extensions_mut().insert(id.clone());
            }
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
            let request = busy.request();
            let call = router.clone().oneshot(req);
            async move {
                let r = call.await;
                drop(request);
                r
            }
        });
        let conn = self
            .builder
            .serve_connection(TokioIo::new(Tracked::new(io, Arc::clone(&activity))), svc);
        tokio::pin!(conn);
        let check = tokio::time::sleep(self.limits.idle);
        tokio::pin!(check);
        let mut shutting_down = false;
        loop {
            check
                .as_mut()
                .reset(activity.next_check(&self.limits).into());
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(listener = self.name, %peer, error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = self.stop.wait_for(|s| *s), if !shutting_down => {
                    shutting_down = true;
                    conn.as_mut().graceful_shutdown();
                }
                () = &mut check => {
                    if let Some(reason) = activity.expired(&self.limits) {
                        self.metrics
                            .connections_timed_out
                            .get_or_create(&ConnLabels { listener: self.name, reason })
                            .inc();
                        tracing::debug!(listener = self.name, %peer, reason, "connection closed");
                        return;
                    }
                }
            }
        }
    }
}
