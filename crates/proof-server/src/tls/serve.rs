//! The TLS handshake of the API listener, for [`crate::conn::serve`]: bounded by
//! `tls.handshake_timeout_ms`, counted by result, with the connection's
//! [`ClientIdentity`](super::ClientIdentity) worked out from its certificate chain and
//! attached to its requests. The handshake runs in the connection's own task, so a slow
//! one never holds up another.

use super::{ClientIdentity, TlsRuntime};
use crate::conn::Handshake;
use std::net::SocketAddr;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

impl Handshake for TlsRuntime {
    type Io = TlsStream<TcpStream>;

    async fn handshake(
        &self,
        tcp: TcpStream,
        peer: SocketAddr,
    ) -> Option<(Self::Io, Option<ClientIdentity>)> {
        let loaded = self.current();
        let m = self.metrics();
        let stream =
            match tokio::time::timeout(self.handshake_timeout(), loaded.acceptor().accept(tcp))
                .await
            {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => {
                    m.tls_handshake("error");
                    tracing::debug!(%peer, error = %e, "TLS handshake failed");
                    return None;
                }
                Err(_) => {
                    m.tls_handshake("timeout");
                    tracing::debug!(%peer, "TLS handshake timed out");
                    return None;
                }
            };
        m.tls_handshake("ok");
        let identity = loaded.identify(stream.get_ref().1.peer_certificates());
        if let Some(id) = &identity {
            m.tls_client_auth(id.result());
        }
        Some((stream, identity))
    }
}
