//! TLS on the API listener: certificate material from files, the client-certificate policy,
//! and reloads without restart. The accept loop is in [`serve`]. See `docs/tls.md`.
//!
//! Client certificates are checked in two steps. During the handshake the server asks for a
//! certificate, and rustls checks proof of possession (the client's signature over the
//! handshake) but accepts any chain. Right after the handshake the chain is verified against
//! the CA bundle and CRLs in force, and its SANs against the allow-list; the outcome
//! ([`ClientIdentity`]) travels with every request on that connection. That way a bad
//! certificate gets an HTTP 403 with a problem+json code saying why, instead of a TLS alert
//! that clients report as an opaque connection error.

pub mod serve;

use crate::config::{ClientAuthMode, Settings, TlsSettings, TlsVersion};
use crate::metrics::Metrics;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ServerConfig, WebPkiClientVerifier};
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, SignatureScheme,
};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio_rustls::TlsAcceptor;

/// What the server knows about the client of one TLS connection, available to handlers as
/// a request extension.
#[derive(Clone, Debug)]
pub enum ClientIdentity {
    /// No certificate, and none required.
    Anonymous,
    /// A certificate that chains to the CA bundle, is valid and not revoked, and whose SAN
    /// is allowed; `san` is the first allowed SAN (or the first SAN with an empty
    /// allow-list).
    Verified {
        /// The verified identity.
        san: String,
    },
    /// Requests on this connection get 403 with `code`.
    Rejected {
        /// Stable problem code (`client_cert_required`, `client_cert_untrusted`,
        /// `client_cert_expired`, `client_cert_revoked`, `client_cert_san_denied`).
        code: &'static str,
        /// Why, for people.
        detail: String,
    },
}

impl ClientIdentity {
    /// The label for `proof_tls_client_auth_total{result}`.
    #[must_use]
    pub fn result(&self) -> &'static str {
        match self {
            Self::Anonymous => "none",
            Self::Verified { .. } => "ok",
            Self::Rejected { code, .. } => match *code {
                "client_cert_required" => "missing",
                "client_cert_untrusted" => "untrusted",
                "client_cert_expired" => "expired",
                "client_cert_revoked" => "revoked",
                "client_cert_san_denied" => "san_denied",
                _ => "rejected",
            },
        }
    }
}

/// The files a TLS configuration is made of, in a fixed order.
fn files(s: &TlsSettings) -> Vec<&Path> {
    let mut v: Vec<&Path> = Vec::new();
    v.extend(s.cert_file.as_deref());
    v.extend(s.key_file.as_deref());
    v.extend(s.client_ca_file.as_deref());
    v.extend(s.crl_files.iter().map(PathBuf::as_path));
    v.extend(s.ocsp_file.as_deref());
    v
}

/// A digest of the files' current contents (following symlinks, so a Kubernetes `..data`
/// swap shows as a change); a missing file counts as its own state.
fn fingerprint(s: &TlsSettings) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    for f in files(s) {
        f.hash(&mut h);
        match std::fs::read(f) {
            Ok(b) => b.hash(&mut h),
            Err(e) => e.kind().to_string().hash(&mut h),
        }
    }
    h.finish()
}

fn read(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{what} `{}`: {e}", path.display()))
}

fn certs(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let pem = read(path, what)?;
    let v = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{what} `{}`: {e}", path.display()))?;
    if v.is_empty() {
        return Err(format!(
            "{what} `{}`: no PEM certificate in it",
            path.display()
        ));
    }
    Ok(v)
}

/// Facts about one X.509 certificate.
struct CertFacts {
    not_before: i64,
    not_after: i64,
    is_ca: bool,
    serial: String,
    sans: Vec<String>,
}

fn facts(der: &[u8]) -> Result<CertFacts, String> {
    let (_, c) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| format!("not a valid X.509 certificate: {e}"))?;
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = c.subject_alternative_name() {
        for n in &ext.value.general_names {
            match n {
                x509_parser::extensions::GeneralName::DNSName(d) => sans.push((*d).to_owned()),
                x509_parser::extensions::GeneralName::URI(u) => sans.push((*u).to_owned()),
                _ => {}
            }
        }
    }
    Ok(CertFacts {
        not_before: c.validity().not_before.timestamp(),
        not_after: c.validity().not_after.timestamp(),

        is_ca: c.is_ca(),
        serial: c.raw_serial_as_string(),
        sans,
    })
}

/// Self-signed: signed by its own key. Checked by making the certificate its own trust
/// anchor and verifying it: only a self-signed certificate verifies against itself (a
/// CA-issued leaf that happens to share its CA's name does not). Name and purpose mismatches
/// still mean the signature checked out.
fn self_signed(der: &CertificateDer<'static>, provider: &Arc<CryptoProvider>) -> bool {
    let mut roots = RootCertStore::empty();
    if roots.add(der.clone()).is_err() {
        return false;
    }
    let Ok(v) = rustls::client::WebPkiServerVerifier::builder_with_provider(
        Arc::new(roots),
        Arc::clone(provider),
    )
    .build() else {
        return false;
    };
    let name =
        rustls::pki_types::ServerName::try_from("self-signed-check.invalid").map(|n| n.to_owned());
    let Ok(name) = name else { return false };
    use rustls::client::danger::ServerCertVerifier as _;
    match v.verify_server_cert(der, &[], &name, &[], UnixTime::now()) {
        Ok(_) => true,
        Err(rustls::Error::InvalidCertificate(e)) => matches!(
            e,
            CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. }
                | CertificateError::InvalidPurpose
                | CertificateError::InvalidPurposeContext { .. }
        ),
        Err(_) => false,
    }
}

fn now_secs() -> i64 {
    i64::try_from(UnixTime::now().as_secs()).unwrap_or(i64::MAX)
}

/// The cipher policy: AEAD suites with forward secrecy only (every TLS 1.3 suite; ECDHE
/// with AES-GCM or ChaCha20-Poly1305 for TLS 1.2), in the provider's preference order.
fn provider() -> CryptoProvider {
    use rustls::crypto::aws_lc_rs::cipher_suite as cs;
    let allowed = [
        cs::TLS13_AES_256_GCM_SHA384,
        cs::TLS13_AES_128_GCM_SHA256,
        cs::TLS13_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ];
    let mut p = rustls::crypto::aws_lc_rs::default_provider();
    p.cipher_suites
        .retain(|s| allowed.iter().any(|a| a.suite() == s.suite()));
    p
}

/// Asks for a client certificate and checks the client's proof of possession, but lets any
/// chain through the handshake; [`ClientPolicy::identify`] judges it afterwards.
#[derive(Debug)]
struct DeferredVerifier(Arc<dyn ClientCertVerifier>);

impl ClientCertVerifier for DeferredVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }
    fn client_auth_mandatory(&self) -> bool {
        false
    }
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.0.root_hint_subjects()
    }
    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The client-certificate policy of one loaded configuration.
struct ClientPolicy {
    required: bool,
    verifier: Arc<dyn ClientCertVerifier>,
    allowed_sans: Vec<String>,
}

impl ClientPolicy {
    fn identify(&self, chain: Option<&[CertificateDer<'static>]>) -> ClientIdentity {
        let Some((leaf, intermediates)) = chain.and_then(<[_]>::split_first) else {
            return if self.required {
                ClientIdentity::Rejected {
                    code: "client_cert_required",
                    detail: "this service requires a client certificate".into(),
                }
            } else {
                ClientIdentity::Anonymous
            };
        };
        if let Err(e) = self
            .verifier
            .verify_client_cert(leaf, intermediates, UnixTime::now())
        {
            let (code, detail) = match e {
                rustls::Error::InvalidCertificate(CertificateError::Revoked) => {
                    ("client_cert_revoked", "the client certificate is revoked")
                }
                rustls::Error::InvalidCertificate(
                    CertificateError::Expired
                    | CertificateError::ExpiredContext { .. }
                    | CertificateError::NotValidYet
                    | CertificateError::NotValidYetContext { .. },
                ) => (
                    "client_cert_expired",
                    "the client certificate is expired or not yet valid",
                ),
                rustls::Error::InvalidCertificate(
                    CertificateError::ExpiredRevocationList
                    | CertificateError::ExpiredRevocationListContext { .. },
                ) => (
                    "client_cert_untrusted",
                    "the revocation list has expired, so no client certificate can be checked",
                ),
                _ => (
                    "client_cert_untrusted",
                    "the client certificate does not chain to a trusted CA",
                ),
            };
            return ClientIdentity::Rejected {
                code,
                detail: detail.into(),
            };
        }
        let sans = facts(leaf).map(|f| f.sans).unwrap_or_default();
        let chosen = if self.allowed_sans.is_empty() {
            Some(sans.first().cloned().unwrap_or_default())
        } else {
            sans.into_iter().find(|s| self.allowed_sans.contains(s))
        };
        match chosen {
            Some(san) => ClientIdentity::Verified { san },
            None => ClientIdentity::Rejected {
                code: "client_cert_san_denied",
                detail: "the client certificate's identity is not on the allow-list".into(),
            },
        }
    }
}

/// One complete, validated TLS configuration.
pub struct Loaded {
    acceptor: TlsAcceptor,
    client: Option<ClientPolicy>,
    /// The server leaf's serial number (hex), for logs.
    pub serial: String,
    server_not_after: i64,
    client_ca_not_after: Option<i64>,
}

impl Loaded {
    /// The acceptor for new handshakes.
    #[must_use]
    pub fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }

    /// Judges a connection's client certificate chain.
    #[must_use]
    pub fn identify(&self, chain: Option<&[CertificateDer<'static>]>) -> Option<ClientIdentity> {
        self.client.as_ref().map(|p| p.identify(chain))
    }
}

/// Reads and checks every file and builds the server configuration; nothing is half
/// applied: any problem is an error and the caller keeps what it had.
///
/// # Errors
/// What is wrong, naming the file.
pub fn load(s: &TlsSettings, dev: bool) -> Result<Loaded, String> {
    let (Some(cert_file), Some(key_file)) = (&s.cert_file, &s.key_file) else {
        return Err("TLS needs `tls.cert_file` and `tls.key_file`".into());
    };
    let chain = certs(cert_file, "tls.cert_file")?;
    let leaf = chain
        .first()
        .ok_or_else(|| "tls.cert_file: empty".to_owned())?;
    let f = facts(leaf).map_err(|e| format!("tls.cert_file `{}`: {e}", cert_file.display()))?;
    let now = now_secs();
    if f.not_after < now {
        return Err(format!(
            "tls.cert_file `{}`: the certificate expired ({} seconds ago)",
            cert_file.display(),
            now - f.not_after
        ));
    }
    if f.not_before > now {
        return Err(format!(
            "tls.cert_file `{}`: the certificate is not valid yet",
            cert_file.display()
        ));
    }
    let provider = Arc::new(provider());
    if !dev && (f.is_ca || self_signed(leaf, &provider)) {
        return Err(format!(
            "tls.cert_file `{}`: the leaf certificate is self-signed or a CA certificate; outside --dev it must be issued by a CA",
            cert_file.display()
        ));
    }
    let key_pem = read(key_file, "tls.key_file")?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| {
        format!(
            "tls.key_file `{}`: no PEM private key (PKCS#8, PKCS#1 or SEC1): {e}",
            key_file.display()
        )
    })?;
    let ocsp = match &s.ocsp_file {
        Some(p) => read(p, "tls.ocsp_file")?,
        None => Vec::new(),
    };
    let versions: &[&rustls::SupportedProtocolVersion] = match s.min_version {
        TlsVersion::V1_2 => &[&rustls::version::TLS13, &rustls::version::TLS12],
        TlsVersion::V1_3 => &[&rustls::version::TLS13],
    };
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(versions)
        .map_err(|e| format!("TLS protocol versions: {e}"))?;
    let (builder, client, client_ca_not_after) = if s.client_auth == ClientAuthMode::Off {
        (builder.with_no_client_auth(), None, None)
    } else {
        let ca_file = s
            .client_ca_file
            .as_ref()
            .ok_or_else(|| "`tls.client_ca_file` is required for client certificates".to_owned())?;
        let cas = certs(ca_file, "tls.client_ca_file")?;
        let mut roots = RootCertStore::empty();
        let mut ca_not_after = i64::MAX;
        for c in cas {
            let cf = facts(&c)
                .map_err(|e| format!("tls.client_ca_file `{}`: {e}", ca_file.display()))?;
            ca_not_after = ca_not_after.min(cf.not_after);
            roots
                .add(c)
                .map_err(|e| format!("tls.client_ca_file `{}`: {e}", ca_file.display()))?;
        }
        let mut crls = Vec::new();
        for p in &s.crl_files {
            let pem = read(p, "tls.crl_files")?;
            let v = CertificateRevocationListDer::pem_slice_iter(&pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("tls.crl_files `{}`: {e}", p.display()))?;
            if v.is_empty() {
                return Err(format!("tls.crl_files `{}`: no PEM CRL in it", p.display()));
            }
            crls.extend(v);
        }
        let verifier =
            WebPkiClientVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .with_crls(crls)
                .enforce_revocation_expiration()
                .allow_unauthenticated()
                .build()
                .map_err(|e| format!("client certificate verifier: {e}"))?;
        let policy = ClientPolicy {
            required: s.client_auth == ClientAuthMode::Required,
            verifier: Arc::clone(&verifier),
            allowed_sans: s.allowed_sans.clone(),
        };
        (
            builder.with_client_cert_verifier(Arc::new(DeferredVerifier(verifier))),
            Some(policy),
            Some(ca_not_after),
        )
    };
    let mut cfg = builder
        .with_single_cert_with_ocsp(chain, key, ocsp)
        .map_err(|e| match e {
            rustls::Error::InconsistentKeys(_) => format!(
                "tls.key_file `{}` does not belong to the certificate in `{}`",
                key_file.display(),
                cert_file.display()
            ),
            e => format!("tls.key_file `{}`: {e}", key_file.display()),
        })?;
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Loaded {
        acceptor: TlsAcceptor::from(Arc::new(cfg)),
        client,
        serial: f.serial,
        server_not_after: f.not_after,
        client_ca_not_after,
    })
}

/// The TLS configuration in force and how to replace it.
pub struct TlsRuntime {
    settings: TlsSettings,
    dev: bool,
    current: RwLock<Arc<Loaded>>,
    /// The files' fingerprint taken just before they were last read, so a change made
    /// while (or right after) they were read is still seen as a change.
    seen: std::sync::Mutex<u64>,
    /// SIGHUP, registered at startup so that a signal sent as soon as the service
    /// listens reloads instead of ending the process; taken by [`TlsRuntime::watch`].
    hup: std::sync::Mutex<Option<Hangup>>,
    metrics: Metrics,
}

impl TlsRuntime {
    /// Loads the configuration; an invalid one stops startup.
    ///
    /// # Errors
    /// What is wrong with the files.
    pub fn new(settings: &Settings, metrics: Metrics) -> Result<Arc<Self>, String> {
        let seen = fingerprint(&settings.tls);
        let loaded = load(&settings.tls, settings.dev)?;
        let rt = Self {
            settings: settings.tls.clone(),
            dev: settings.dev,
            current: RwLock::new(Arc::new(loaded)),
            seen: std::sync::Mutex::new(seen),
            hup: std::sync::Mutex::new(Some(hangup())),
            metrics,
        };
        rt.export(&rt.current());
        Ok(Arc::new(rt))
    }

    /// The configuration for the next handshake.
    #[must_use]
    pub fn current(&self) -> Arc<Loaded> {
        match self.current.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// The handshake timeout.
    #[must_use]
    pub fn handshake_timeout(&self) -> Duration {
        Duration::from_millis(self.settings.handshake_timeout_ms)
    }

    /// Metric handles.
    #[must_use]
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    fn export(&self, l: &Loaded) {
        self.metrics.tls_not_after("server", l.server_not_after);
        if let Some(t) = l.client_ca_not_after {
            self.metrics.tls_not_after("client_ca", t);
        }
    }

    /// Reads the files again; a valid set replaces the one in force for new handshakes
    /// (connections already open keep theirs), an invalid one is logged and counted and the
    /// old set stays.
    pub fn reload(&self, why: &str) -> bool {
        let fp = fingerprint(&self.settings);
        match self.seen.lock() {
            Ok(mut g) => *g = fp,
            Err(p) => *p.into_inner() = fp,
        }
        match load(&self.settings, self.dev) {
            Ok(l) => {
                self.export(&l);
                tracing::info!(serial = %l.serial, trigger = why, "TLS configuration reloaded");
                let l = Arc::new(l);
                match self.current.write() {
                    Ok(mut g) => *g = l,
                    Err(p) => *p.into_inner() = l,
                }
                self.metrics.tls_reloaded("ok");
                true
            }
            Err(e) => {
                tracing::error!(error = %e, trigger = why, "TLS reload refused; the previous certificates stay in service");
                self.metrics.tls_reloaded("error");
                false
            }
        }
    }

    /// Watches the files until `stop` turns true: every `reload_interval_ms` their contents
    /// are compared with the last seen; a change is applied once it has held for one more
    /// interval (so a cert and key written one after the other are read together). SIGHUP
    /// reloads at once.
    pub async fn watch(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let interval = Duration::from_millis(self.settings.reload_interval_ms);
        let taken = match self.hup.lock() {
            Ok(mut g) => g.take(),
            Err(p) => p.into_inner().take(),
        };
        let mut hup = taken.unwrap_or_else(hangup);
        let mut pending: Option<u64> = None;
        loop {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = next_hangup(&mut hup) => {
                    self.reload("SIGHUP");
                    pending = None;
                    continue;
                }
                _ = stop.wait_for(|s| *s) => return,
            }
            let now = fingerprint(&self.settings);
            let seen = match self.seen.lock() {
                Ok(g) => *g,
                Err(p) => *p.into_inner(),
            };
            match pending {
                _ if now == seen => pending = None,
                Some(p) if p == now => {
                    self.reload("file change");
                    pending = None;
                }
                _ => pending = Some(now),
            }
        }
    }
}

#[cfg(unix)]
type Hangup = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangup = Option<()>;

#[cfg(unix)]
fn hangup() -> Hangup {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}
#[cfg(not(unix))]
fn hangup() -> Hangup {
    None
}

#[cfg(unix)]
async fn next_hangup(h: &mut Hangup) {
    match h {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending::<()>().await,
    }
}
#[cfg(not(unix))]
async fn next_hangup(_: &mut Hangup) {
    std::future::pending::<()>().await
}
