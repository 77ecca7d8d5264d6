//! Criterion benchmark of the TLS handshake cost with the service's own TLS configuration
//! (`proof_server::tls::load`: the cipher policy, ECDSA P-256 certificates from a CA): a full
//! handshake between an in-memory rustls client and server, both sides on one thread, for
//! TLS 1.3, TLS 1.2, and TLS 1.3 with a client certificate judged as the service does
//! (proof of possession in the handshake, then chain, CRL and SAN checks). No sockets, so
//! the number is CPU cost alone. See docs/benchmarks.md.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "benchmark harness"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use proof_server::config::{ClientAuthMode, TlsSettings, TlsVersion};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::client::Resumption;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use std::sync::Arc;

struct Pki {
    dir: std::path::PathBuf,
    ca_pem: String,
    client: (String, String),
}

fn pki() -> Pki {
    let dir = std::env::temp_dir().join(format!("proof-tls-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap();
    let leaf = |san: SanType, eku| {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.subject_alt_names = vec![san];
        p.extended_key_usages = vec![eku];
        let key = KeyPair::generate().unwrap();
        (p.signed_by(&key, &ca).unwrap().pem(), key.serialize_pem())
    };
    let server = leaf(
        SanType::DnsName("localhost".try_into().unwrap()),
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let client = leaf(
        SanType::URI("spiffe://bench/client".try_into().unwrap()),
        ExtendedKeyUsagePurpose::ClientAuth,
    );
    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(dir.join("server.pem"), &server.0).unwrap();
    std::fs::write(dir.join("server.key"), &server.1).unwrap();
    Pki {
        dir,
        ca_pem: ca.pem(),
        client,
    }
}

fn server_config(p: &Pki, mtls: bool) -> (proof_server::tls::Loaded, Arc<ServerConfig>) {
    let mut s = TlsSettings {
        cert_file: Some(p.dir.join("server.pem")),
        key_file: Some(p.dir.join("server.key")),
        min_version: TlsVersion::V1_2,
        ..TlsSettings::default()
    };
    if mtls {
        s.client_auth = ClientAuthMode::Required;
        s.client_ca_file = Some(p.dir.join("ca.pem"));
        s.allowed_sans = vec!["spiffe://bench/client".into()];
    }
    let loaded = proof_server::tls::load(&s, false).unwrap();
    let cfg = Arc::clone(loaded.acceptor().config());
    (loaded, cfg)
}

fn client_config(
    p: &Pki,
    version: &'static rustls::SupportedProtocolVersion,
    mtls: bool,
) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(p.ca_pem.as_bytes()).unwrap())
        .unwrap();
    let b = ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_protocol_versions(&[version])
    .unwrap()
    .with_root_certificates(roots);
    let mut c = if mtls {
        b.with_client_auth_cert(
            vec![CertificateDer::from_pem_slice(p.client.0.as_bytes()).unwrap()],
            PrivateKeyDer::from_pem_slice(p.client.1.as_bytes()).unwrap(),
        )
        .unwrap()
    } else {
        b.with_no_client_auth()
    };
    // Every iteration is a full handshake, not a resumption.
    c.resumption = Resumption::disabled();
    Arc::new(c)
}

fn pump(from: &mut impl WriteTls, to: &mut impl ReadTls, buf: &mut Vec<u8>) {
    buf.clear();
    while from.wants() {
        from.write(buf);
    }
    let mut r = &buf[..];
    while !r.is_empty() {
        to.read(&mut r);
    }
    to.process();
}

trait WriteTls {
    fn wants(&self) -> bool;
    fn write(&mut self, buf: &mut Vec<u8>);
}
trait ReadTls {
    fn read(&mut self, r: &mut &[u8]);
    fn process(&mut self);
}
macro_rules! endpoint {
    ($t:ty) => {
        impl WriteTls for $t {
            fn wants(&self) -> bool {
                self.wants_write()
            }
            fn write(&mut self, buf: &mut Vec<u8>) {
                self.write_tls(buf).unwrap();
            }
        }
        impl ReadTls for $t {
            fn read(&mut self, r: &mut &[u8]) {
                self.read_tls(r).unwrap();
            }
            fn process(&mut self) {
                self.process_new_packets().unwrap();
            }
        }
    };
}
endpoint!(ClientConnection);
endpoint!(ServerConnection);

fn handshake(server: &Arc<ServerConfig>, client: &Arc<ClientConfig>) -> ServerConnection {
    let mut c = ClientConnection::new(Arc::clone(client), "localhost".try_into().unwrap()).unwrap();
    let mut s = ServerConnection::new(Arc::clone(server)).unwrap();
    let mut buf = Vec::with_capacity(16 * 1024);
    while c.is_handshaking() || s.is_handshaking() {
        pump(&mut c, &mut s, &mut buf);
        pump(&mut s, &mut c, &mut buf);
    }
    s
}

fn handshakes(c: &mut Criterion) {
    let p = pki();
    let (_, plain) = server_config(&p, false);
    let (loaded, mtls) = server_config(&p, true);
    let mut g = c.benchmark_group("tls/handshake");
    for (name, version) in [
        ("tls13", &rustls::version::TLS13),
        ("tls12", &rustls::version::TLS12),
    ] {
        let client = client_config(&p, version, false);
        g.bench_function(name, |b| b.iter(|| handshake(&plain, &client)));
    }
    let client = client_config(&p, &rustls::version::TLS13, true);
    g.bench_function("tls13_client_cert", |b| {
        b.iter(|| {
            let s = handshake(&mtls, &client);
            let id = loaded.identify(s.peer_certificates());
            assert!(matches!(
                id,
                Some(proof_server::tls::ClientIdentity::Verified { .. })
            ));
        });
    });
    g.finish();
    let _ = std::fs::remove_dir_all(&p.dir);
}

criterion_group!(benches, handshakes);
criterion_main!(benches);
