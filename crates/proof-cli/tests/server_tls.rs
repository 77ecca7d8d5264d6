//! TLS and mTLS on the API listener, against a real `proof serve` process, with real TLS
//! clients: reqwest (rustls), a hand-driven rustls client, and `openssl s_client`. The PKI is
//! made at test time (`support/pki.rs`); nothing secret is committed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests"
)]

#[path = "support/server.rs"]
mod support;

#[path = "support/pki.rs"]
mod pki;

use pki::{Ca, Leaf};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{Server, Spec, get, json, metric, tmpdir};

const OK_SAN: &str = "spiffe://proof.test/client/ok";

/// A CA, a server certificate it issued, and their files.
struct Pki {
    dir: PathBuf,
    ca: Ca,
    ca_file: PathBuf,
    cert_file: PathBuf,
    key_file: PathBuf,
}

impl Pki {
    fn new() -> Self {
        let dir = tmpdir("pki");
        let ca = Ca::new("proof test CA");
        let ca_file = dir.join("ca.pem");
        std::fs::write(&ca_file, &ca.pem).unwrap();
        let (cert_file, key_file) = ca.server().write(&dir, "server");
        Self {
            dir,
            ca,
            ca_file,
            cert_file,
            key_file,
        }
    }

    /// The `tls:` block for a server using this PKI, plus `extra` keys.
    fn yaml(&self, extra: &str) -> String {
        format!(
            "tls:\n  cert_file: {}\n  key_file: {}\n{extra}",
            self.cert_file.display(),
            self.key_file.display()
        )
    }

    fn mtls_yaml(&self, mode: &str, crl: Option<&Path>, extra: &str) -> String {
        let crl = crl.map_or(String::new(), |p| {
            format!("  crl_files: [{}]\n", p.display())
        });
        self.yaml(&format!(
            "  client_auth: {mode}\n  client_ca_file: {}\n  allowed_sans: [\"{OK_SAN}\"]\n{crl}{extra}",
            self.ca_file.display()
        ))
    }
}

fn start(tls_yaml: &str) -> Server {
    let s = Server::start(&Spec::new(&support::sqlite_url("tls")).yaml(tls_yaml));
    assert!(s.api.starts_with("https://"), "{}", s.api);
    s
}

/// reqwest over rustls, trusting only `ca_pem`, optionally presenting `identity`.
fn https(ca_pem: &str, identity: Option<&Leaf>) -> reqwest::blocking::ClientBuilder {
    let mut b = reqwest::blocking::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .tls_info(true)
        .timeout(Duration::from_secs(20));
    if let Some(l) = identity {
        b = b.identity(reqwest::Identity::from_pem(l.identity_pem().as_bytes()).unwrap());
    }
    b
}

fn call(c: &reqwest::blocking::Client, url: &str) -> Result<(u16, String), reqwest::Error> {
    let r = c.get(url).send()?;
    let status = r.status().as_u16();
    Ok((status, r.text()?))
}

fn scrape(s: &Server) -> String {
    get(&support::client(), &format!("{}/metrics", s.admin)).1
}

fn port(s: &Server) -> String {
    s.api.rsplit(':').next().unwrap().to_owned()
}

/// `openssl s_client` sending one HTTP/1.1 request; returns (exit ok, stdout + stderr).
fn s_client(s: &Server, ca: &Path, args: &[&str]) -> (bool, String) {
    let mut child = Command::new("timeout")
        .args(["20", "openssl", "s_client", "-connect"])
        .arg(format!("127.0.0.1:{}", port(s)))
        .args([
            "-servername",
            "localhost",
            "-verify_return_error",
            "-ign_eof",
            "-CAfile",
        ])
        .arg(ca)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("openssl runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"GET /lists HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn problem_code(body: &str) -> String {
    json(body)["code"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn protocol_versions_alpn_and_the_cipher_policy() {
    let pki = Pki::new();
    let s = start(&pki.yaml(""));
    let api = &s.api;
    // TLS 1.3 with reqwest (rustls) and openssl.
    let c = https(&pki.ca.pem, None).build().unwrap();
    let r = c.get(format!("{api}/lists")).send().unwrap();
    assert_eq!(r.status(), 200);
    let (ok, out) = s_client(&s, &pki.ca_file, &["-tls1_3"]);
    assert!(ok, "{out}");
    assert!(out.contains("New, TLSv1.3"), "{out}");
    assert!(out.contains("HTTP/1.1 200 OK"), "{out}");
    // TLS 1.2 is accepted with the default minimum, with an ECDHE AEAD suite only.
    let c12 = https(&pki.ca.pem, None)
        .tls_version_max(reqwest::tls::Version::TLS_1_2)
        .build()
        .unwrap();
    assert_eq!(call(&c12, &format!("{api}/lists")).unwrap().0, 200);
    let (ok, out) = s_client(&s, &pki.ca_file, &["-tls1_2"]);
    assert!(ok, "{out}");
    assert!(out.contains("New, TLSv1.2, Cipher is ECDHE-"), "{out}");
    assert!(out.contains("HTTP/1.1 200 OK"), "{out}");
    // CBC and non-forward-secret suites are not offered.
    let (ok, out) = s_client(
        &s,
        &pki.ca_file,
        &[
            "-tls1_2",
            "-cipher",
            "ECDHE-ECDSA-AES128-SHA256:AES128-GCM-SHA256",
        ],
    );
    assert!(!ok, "{out}");
    // ALPN: h2 and http/1.1.
    let (_, out) = s_client(&s, &pki.ca_file, &["-alpn", "h2"]);
    assert!(out.contains("ALPN protocol: h2"), "{out}");
    let (_, out) = s_client(&s, &pki.ca_file, &["-alpn", "http/1.1"]);
    assert!(out.contains("ALPN protocol: http/1.1"), "{out}");
    // TLS 1.1 is refused by the server (openssl is told to allow it on its side).
    let before = metric(&scrape(&s), "proof_tls_handshakes_total{result=\"error\"}");
    let (ok, out) = s_client(
        &s,
        &pki.ca_file,
        &["-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"],
    );
    assert!(!ok, "{out}");
    assert!(!out.contains("HTTP/1.1 200"), "{out}");
    let m = scrape(&s);
    assert!(
        metric(&m, "proof_tls_handshakes_total{result=\"error\"}") > before,
        "the server saw and refused the TLS 1.1 handshake:\n{m}"
    );
    assert!(metric(&m, "proof_tls_handshakes_total{result=\"ok\"}") >= 4.0);
    // Plain HTTP on the TLS port does not get an answer in the clear.
    assert!(
        support::client()
            .get(format!("http://127.0.0.1:{}/lists", port(&s)))
            .send()
            .is_err()
    );

    // With a 1.3 minimum, 1.2 is refused and 1.3 still works.
    let s13 = start(&pki.yaml("  min_version: 1.3\n"));
    let url = format!("{}/lists", s13.api);
    assert!(call(&c12, &url).is_err());
    let (ok, out) = s_client(&s13, &pki.ca_file, &["-tls1_2"]);
    assert!(!ok, "{out}");
    let c = https(&pki.ca.pem, None).build().unwrap();
    assert_eq!(call(&c, &url).unwrap().0, 200);
}

#[test]
fn the_certificate_expiry_is_exported() {
    let pki = Pki::new();
    let s = start(&pki.yaml(""));
    let pem = std::fs::read(&pki.cert_file).unwrap();
    let der = rustls::pki_types::pem::PemObject::from_pem_slice(&pem)
        .map(|c: rustls::pki_types::CertificateDer<'static>| c.to_vec())
        .unwrap();
    let (_, cert) = x509_parser::parse_x509_certificate(&der).unwrap();
    let want = cert.validity().not_after.timestamp() as f64;
    assert_eq!(
        metric(
            &scrape(&s),
            "proof_tls_cert_not_after_seconds{cert=\"server\"}"
        ),
        want
    );
}

#[test]
fn mtls_required_matrix() {
    let pki = Pki::new();
    let revoked = pki.ca.client(OK_SAN);
    let crl = pki.dir.join("crl.pem");
    std::fs::write(&crl, pki.ca.crl(&[revoked.serial])).unwrap();
    let s = start(&pki.mtls_yaml("required", Some(&crl), ""));
    let url = format!("{}/lists", s.api);
    let other_ca = Ca::new("some other CA");
    let cases: [(&str, Option<Leaf>, u16, &str); 6] = [
        ("no certificate", None, 403, "client_cert_required"),
        (
            "another CA",
            Some(other_ca.client(OK_SAN)),
            403,
            "client_cert_untrusted",
        ),
        (
            "wrong SAN",
            Some(pki.ca.client("spiffe://proof.test/client/intruder")),
            403,
            "client_cert_san_denied",
        ),
        (
            "expired",
            Some(pki.ca.expired_client(OK_SAN)),
            403,
            "client_cert_expired",
        ),
        ("revoked", Some(revoked), 403, "client_cert_revoked"),
        ("valid", Some(pki.ca.client(OK_SAN)), 200, ""),
    ];
    for (what, leaf, status, code) in &cases {
        let c = https(&pki.ca.pem, leaf.as_ref()).build().unwrap();
        let (got, body) = call(&c, &url).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(got, *status, "{what}: {body}");
        if !code.is_empty() {
            assert_eq!(problem_code(&body), *code, "{what}: {body}");
        }
        // openssl s_client agrees.
        let mut args: Vec<String> = Vec::new();
        if let Some(l) = leaf {
            let (c, k) = l.write(&pki.dir, &format!("client-{}", l.serial));
            args = vec![
                "-cert".into(),
                c.display().to_string(),
                "-key".into(),
                k.display().to_string(),
            ];
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, out) = s_client(&s, &pki.ca_file, &args);
        assert!(
            out.contains(&format!("HTTP/1.1 {status} ")),
            "{what} via openssl: {out}"
        );
    }
    // Every outcome is counted per connection, and the verified SAN is in the access log.
    let m = scrape(&s);
    for r in [
        "missing",
        "untrusted",
        "san_denied",
        "expired",
        "revoked",
        "ok",
    ] {
        assert!(
            metric(
                &m,
                &format!("proof_tls_client_auth_total{{result=\"{r}\"}}")
            ) >= 2.0,
            "{r}:\n{m}"
        );
    }
    assert!(
        s.wait_for_log(
            |l| l.contains(&format!("\"client_san\":\"{OK_SAN}\"")) && l.contains("\"status\":200")
        )
        .is_some(),
        "{:?}",
        s.log_lines()
    );
    let denied = s
        .wait_for_log(|l| l.contains("\"status\":403"))
        .expect("403s are logged");
    assert!(!denied.contains("client_san"), "{denied}");
}

#[test]
fn mtls_optional_lets_anonymous_clients_in_but_still_checks_presented_certificates() {
    let pki = Pki::new();
    let s = start(&pki.mtls_yaml("optional", None, ""));
    let url = format!("{}/lists", s.api);
    let anon = https(&pki.ca.pem, None).build().unwrap();
    assert_eq!(call(&anon, &url).unwrap().0, 200);
    let good = https(&pki.ca.pem, Some(&pki.ca.client(OK_SAN)))
        .build()
        .unwrap();
    assert_eq!(call(&good, &url).unwrap().0, 200);
    let bad = https(&pki.ca.pem, Some(&Ca::new("other").client(OK_SAN)))
        .build()
        .unwrap();
    let (status, body) = call(&bad, &url).unwrap();
    assert_eq!(status, 403, "{body}");
    assert_eq!(problem_code(&body), "client_cert_untrusted");
    let m = scrape(&s);
    assert_eq!(
        metric(&m, "proof_tls_client_auth_total{result=\"none\"}"),
        1.0
    );
    assert_eq!(
        metric(&m, "proof_tls_client_auth_total{result=\"ok\"}"),
        1.0
    );
}

/// A client that presents a certificate it has no key for: the handshake signature
/// (CertificateVerify) is made with another key.
#[derive(Debug)]
struct WrongKey(Arc<rustls::sign::CertifiedKey>);

impl rustls::client::ResolvesClientCert for WrongKey {
    fn resolve(
        &self,
        _hints: &[&[u8]],
        _schemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }
    fn has_certs(&self) -> bool {
        true
    }
}

#[test]
fn a_client_certificate_without_its_private_key_fails_the_handshake() {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    let pki = Pki::new();
    let s = start(&pki.mtls_yaml("required", None, ""));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki.ca.pem.as_bytes()).unwrap())
        .unwrap();
    let run = |leaf_pem: &str, key_pem: &str| -> Result<String, String> {
        let cert = CertificateDer::from_pem_slice(leaf_pem.as_bytes()).unwrap();
        let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
        let signer = provider.key_provider.load_private_key(key).unwrap();
        let ck = rustls::sign::CertifiedKey::new(vec![cert], signer);
        let cfg = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots.clone())
            .with_client_cert_resolver(Arc::new(WrongKey(Arc::new(ck))));
        let conn = rustls::ClientConnection::new(
            Arc::new(cfg),
            ServerName::try_from("localhost").unwrap(),
        )
        .unwrap();
        let tcp = std::net::TcpStream::connect(format!("127.0.0.1:{}", port(&s))).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut out = String::new();
        tls.write_all(b"GET /lists HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            .map_err(|e| e.to_string())?;
        tls.read_to_string(&mut out).map_err(|e| e.to_string())?;
        Ok(out)
    };
    let leaf = pki.ca.client(OK_SAN);
    // With its own key the same hand-driven client gets in...
    let ok = run(&leaf.pem, &leaf.key_pem).unwrap();
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    // ...with another key it does not get past the handshake.
    let thief = pki.ca.client(OK_SAN);
    let err = run(&leaf.pem, &thief.key_pem).unwrap_err();
    assert!(!err.is_empty());
    assert!(metric(&scrape(&s), "proof_tls_handshakes_total{result=\"error\"}") >= 1.0);
}

#[test]
fn startup_refuses_unusable_certificates() {
    let pki = Pki::new();
    let check = |yaml: &str, dev: bool| {
        let dir = tmpdir("tlscheck");
        let cfg = dir.join("server.yaml");
        std::fs::write(
            &cfg,
            format!(
                "api: {{bind: 127.0.0.1:0}}\nadmin: {{bind: 127.0.0.1:0}}\nstore: {{url: \"sqlite://{}/p.db\"}}\nlists_dir: {}\nauth: {{mode: off}}\n{yaml}",
                dir.display(),
                support::root().join("lists").display()
            ),
        )
        .unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_proof"));
        cmd.args(["serve", "--check-config", "--config"]).arg(&cfg);
        if dev {
            cmd.arg("--dev");
        }
        let out = cmd.current_dir(support::root()).output().unwrap();
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    };
    let (ok, out) = check(&pki.yaml(""), false);
    assert!(ok, "{out}");
    assert!(out.contains("tls:        on (minimum TLS 1.2"), "{out}");

    // A self-signed leaf: refused outside --dev, accepted with it.
    let ss = pki::self_signed_server();
    let (c, k) = ss.write(&pki.dir, "selfsigned");
    let yaml = format!(
        "tls: {{cert_file: {}, key_file: {}}}\n",
        c.display(),
        k.display()
    );
    let (ok, out) = check(&yaml, false);
    assert!(!ok);
    assert!(out.contains("self-signed"), "{out}");
    let (ok, out) = check(&yaml, true);
    assert!(ok, "{out}");

    // A CA-issued leaf that carries its CA's very name is not mistaken for self-signed.
    let twin = pki.ca.server_cn("proof test CA");
    let (c2, k2) = twin.write(&pki.dir, "twin");
    let (ok, out) = check(
        &format!(
            "tls: {{cert_file: {}, key_file: {}}}\n",
            c2.display(),
            k2.display()
        ),
        false,
    );
    assert!(ok, "{out}");

    // A key that does not belong to the certificate.
    let other = pki.ca.server();
    let (_, other_key) = other.write(&pki.dir, "other");
    let yaml = format!(
        "tls: {{cert_file: {}, key_file: {}}}\n",
        pki.cert_file.display(),
        other_key.display()
    );
    let (ok, out) = check(&yaml, false);
    assert!(!ok);
    assert!(out.contains("does not belong to the certificate"), "{out}");

    // Not PEM at all, a missing file, half a configuration, client auth without a CA.
    let junk = pki.dir.join("junk.pem");
    std::fs::write(&junk, "not a certificate\n").unwrap();
    for (yaml, want) in [
        (
            format!(
                "tls: {{cert_file: {}, key_file: {}}}\n",
                junk.display(),
                pki.key_file.display()
            ),
            "no PEM certificate",
        ),
        (
            format!(
                "tls: {{cert_file: /nonexistent/cert.pem, key_file: {}}}\n",
                pki.key_file.display()
            ),
            "/nonexistent/cert.pem",
        ),
        (
            format!("tls: {{cert_file: {}}}\n", pki.cert_file.display()),
            "`tls.cert_file` needs `tls.key_file`",
        ),
        (
            pki.yaml("  client_auth: required\n"),
            "needs `tls.client_ca_file`",
        ),
        (
            "tls: {client_auth: optional, client_ca_file: /x.pem}\n".to_owned(),
            "`tls.client_auth` needs TLS",
        ),
        (pki.yaml("  min_version: 1.1\n"), "must be 1.2 or 1.3"),
        (
            pki.yaml("  client_auth: sometimes\n"),
            "must be off, optional or required",
        ),
    ] {
        let (ok, out) = check(&yaml, false);
        assert!(!ok, "{yaml}: {out}");
        assert!(out.contains(want), "{yaml}: {out}");
    }

    // `serve` itself refuses to start on a self-signed leaf, naming the reason.
    let dir = tmpdir("tlsrefuse");
    let cfg = dir.join("server.yaml");
    std::fs::write(
        &cfg,
        format!(
            "api: {{bind: 127.0.0.1:0}}\nadmin: {{bind: 127.0.0.1:0}}\nstore: {{url: \"sqlite://{}/p.db\"}}\nlists_dir: {}\nauth: {{mode: off}}\ntls: {{cert_file: {}, key_file: {}}}\n",
            dir.display(),
            support::root().join("lists").display(),
            c.display(),
            k.display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(["serve", "--config"])
        .arg(&cfg)
        .current_dir(support::root())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("self-signed"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn settings_from_the_environment_turn_tls_and_client_auth_on() {
    let pki = Pki::new();
    let s = Server::start(
        &Spec::new(&support::sqlite_url("tlsenv"))
            .env("PROOF_TLS_CERT_FILE", pki.cert_file.to_str().unwrap())
            .env("PROOF_TLS_KEY_FILE", pki.key_file.to_str().unwrap())
            .env("PROOF_TLS_MIN_VERSION", "1.3")
            .env("PROOF_TLS_CLIENT_AUTH", "required")
            .env("PROOF_TLS_CLIENT_CA_FILE", pki.ca_file.to_str().unwrap())
            .env(
                "PROOF_TLS_ALLOWED_SANS",
                &format!("spiffe://proof.test/x, {OK_SAN}"),
            ),
    );
    let url = format!("{}/lists", s.api);
    let ok = https(&pki.ca.pem, Some(&pki.ca.client(OK_SAN)))
        .build()
        .unwrap();
    assert_eq!(call(&ok, &url).unwrap().0, 200);
    let denied = https(&pki.ca.pem, Some(&pki.ca.client("spiffe://proof.test/y")))
        .build()
        .unwrap();
    assert_eq!(call(&denied, &url).unwrap().0, 403);
    let c12 = https(&pki.ca.pem, Some(&pki.ca.client(OK_SAN)))
        .tls_version_max(reqwest::tls::Version::TLS_1_2)
        .build()
        .unwrap();
    assert!(call(&c12, &url).is_err());
}

#[test]
fn a_stalled_handshake_is_dropped_after_the_handshake_timeout() {
    let pki = Pki::new();
    let s = start(&pki.yaml("  handshake_timeout_ms: 300\n"));
    let mut tcp = std::net::TcpStream::connect(format!("127.0.0.1:{}", port(&s))).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 16];
    // Send nothing: the server closes the connection once the timeout passes.
    let n = tcp.read(&mut buf).unwrap_or(0);
    let waited = start.elapsed();
    assert_eq!(n, 0);
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    assert_eq!(
        metric(
            &scrape(&s),
            "proof_tls_handshakes_total{result=\"timeout\"}"
        ),
        1.0
    );
}

/// A certificate directory laid out like a Kubernetes Secret volume: `tls.crt` and `tls.key`
/// are symlinks into `..data`, itself a symlink to a timestamped directory that an update
/// replaces atomically.
struct SecretVolume {
    dir: PathBuf,
    n: u32,
}

impl SecretVolume {
    fn new(dir: PathBuf, leaf: &Leaf) -> Self {
        let mut v = Self { dir, n: 0 };
        v.swap(&leaf.pem, &leaf.key_pem);
        for f in ["tls.crt", "tls.key"] {
            std::os::unix::fs::symlink(format!("..data/{f}"), v.dir.join(f)).unwrap();
        }
        v
    }

    fn swap(&mut self, cert: &str, key: &str) {
        self.n += 1;
        let ts = format!("..2026_11_25_{:04}", self.n);
        let d = self.dir.join(&ts);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("tls.crt"), cert).unwrap();
        std::fs::write(d.join("tls.key"), key).unwrap();
        let tmp = self.dir.join("..data_tmp");
        let _ = std::fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&ts, &tmp).unwrap();
        std::fs::rename(&tmp, self.dir.join("..data")).unwrap();
    }

    fn cert(&self) -> PathBuf {
        self.dir.join("tls.crt")
    }
    fn key(&self) -> PathBuf {
        self.dir.join("tls.key")
    }
}

/// The serial of the certificate a fresh handshake sees.
fn served_serial(ca_pem: &str, url: &str) -> u64 {
    let c = https(ca_pem, None)
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let r = c.get(url).send().unwrap();
    let info = r.extensions().get::<reqwest::tls::TlsInfo>().unwrap();
    pki::serial_of(info.peer_certificate().unwrap())
}

#[test]
fn certificates_rotate_under_load_without_a_restart() {
    let pki = Pki::new();
    let mut vol = SecretVolume::new(tmpdir("secret"), &pki.ca.server());
    let s = start(&format!(
        "tls:\n  cert_file: {}\n  key_file: {}\n  reload_interval_ms: 100\n",
        vol.cert().display(),
        vol.key().display()
    ));
    let pid = s.pid();
    let url = format!("{}/lists", s.api);
    let stop = Arc::new(AtomicBool::new(false));
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(Mutex::new(Vec::new()));
    // Two request loops: one on a kept-alive connection, one with a new handshake each time.
    let loops: Vec<_> = [true, false]
        .into_iter()
        .map(|keep_alive| {
            let (stop, ok, failed) = (Arc::clone(&stop), Arc::clone(&ok), Arc::clone(&failed));
            let (ca, url) = (pki.ca.pem.clone(), url.clone());
            std::thread::spawn(move || {
                let mut b = https(&ca, None);
                if !keep_alive {
                    b = b.pool_max_idle_per_host(0);
                }
                let c = b.build().unwrap();
                let start = Instant::now();
                while !stop.load(Ordering::Relaxed) && start.elapsed() < Duration::from_secs(120) {
                    match call(&c, &url) {
                        Ok((200, _)) => {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                        other => failed.lock().unwrap().push(format!("{other:?}")),
                    }
                }
            })
        })
        .collect();
    let mut seen = Vec::new();
    for _ in 0..5 {
        let next = pki.ca.server();
        vol.swap(&next.pem, &next.key_pem);
        let start = Instant::now();
        loop {
            let got = served_serial(&pki.ca.pem, &url);
            if got == next.serial {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "serial {} never served (still {got}); logs: {:?}",
                next.serial,
                s.log_lines()
                    .iter()
                    .filter(|l| l.contains("TLS"))
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        seen.push(next.serial);
    }
    let last = *seen.last().unwrap();
    // An invalid replacement (a key that does not match) is refused; serving goes on.
    let reloads =
        |m: &str, r: &str| metric(m, &format!("proof_tls_reloads_total{{result=\"{r}\"}}"));
    let before = reloads(&scrape(&s), "error");
    let mismatched = pki.ca.server();
    vol.swap(&mismatched.pem, &pki.ca.server().key_pem);
    let start = Instant::now();
    while reloads(&scrape(&s), "error") == before {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the bad set was never tried"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(served_serial(&pki.ca.pem, &url), last);
    assert!(
        s.wait_for_log(|l| l.contains("TLS reload refused") && l.contains("does not belong"))
            .is_some()
    );
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for l in loops {
        l.join().unwrap();
    }
    let m = scrape(&s);
    assert_eq!(
        failed.lock().unwrap().len(),
        0,
        "{:?}",
        failed.lock().unwrap()
    );
    assert!(
        ok.load(Ordering::Relaxed) > 20,
        "{}",
        ok.load(Ordering::Relaxed)
    );
    assert!(reloads(&m, "ok") >= 5.0, "{m}");
    assert_eq!(s.pid(), pid);
    assert!(Path::new(&format!("/proc/{pid}")).exists());
    eprintln!(
        "rotation: {} requests ok, 0 failed, serials {seen:?}",
        ok.load(Ordering::Relaxed)
    );
}

#[test]
fn sighup_reloads_at_once_and_the_interval_bounds_file_checks() {
    let pki = Pki::new();
    let s = start(&pki.yaml("  reload_interval_ms: 3600000\n"));
    let url = format!("{}/lists", s.api);
    let first = served_serial(&pki.ca.pem, &url);
    let next = pki.ca.server();
    next.write(&pki.dir, "server");
    // The hour-long interval means no file check yet.
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(served_serial(&pki.ca.pem, &url), first);
    Command::new("kill")
        .args(["-HUP", &s.pid().to_string()])
        .status()
        .unwrap();
    let start = Instant::now();
    while served_serial(&pki.ca.pem, &url) != next.serial {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "SIGHUP did not reload"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        s.wait_for_log(|l| l.contains("\"trigger\":\"SIGHUP\""))
            .is_some()
    );
}

#[test]
fn a_crl_update_revokes_a_client_without_a_restart() {
    let pki = Pki::new();
    let crl = pki.dir.join("crl.pem");
    std::fs::write(&crl, pki.ca.crl(&[])).unwrap();
    let s = start(&pki.mtls_yaml("required", Some(&crl), "  reload_interval_ms: 100\n"));
    let url = format!("{}/lists", s.api);
    let leaf = pki.ca.client(OK_SAN);
    let fresh = || {
        https(&pki.ca.pem, Some(&leaf))
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    };
    assert_eq!(call(&fresh(), &url).unwrap().0, 200);
    let tmp = pki.dir.join("crl.pem.new");
    std::fs::write(&tmp, pki.ca.crl(&[leaf.serial])).unwrap();
    std::fs::rename(&tmp, &crl).unwrap();
    let start = Instant::now();
    loop {
        let (status, body) = call(&fresh(), &url).unwrap();
        if status == 403 {
            assert_eq!(problem_code(&body), "client_cert_revoked");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never revoked");
        std::thread::sleep(Duration::from_millis(50));
    }
    // An unreadable CRL update is refused; the revocation stays in force.
    std::fs::write(&crl, "garbage").unwrap();
    let start = Instant::now();
    while metric(&scrape(&s), "proof_tls_reloads_total{result=\"error\"}") < 1.0 {
        assert!(start.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(call(&fresh(), &url).unwrap().0, 403);
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_ocsp_response_file_is_stapled() {
    let pki = Pki::new();
    let d = &pki.dir;
    std::fs::write(d.join("ca.key"), &pki.ca.key_pem).unwrap();
    // An OCSP response made out of band, as an operator would: `openssl ocsp` answering
    // for the CA's index, signed by the CA.
    let serial = pki::serial_of(
        &rustls::pki_types::pem::PemObject::from_pem_slice(&std::fs::read(&pki.cert_file).unwrap())
            .map(|c: rustls::pki_types::CertificateDer<'static>| c.to_vec())
            .unwrap(),
    );
    std::fs::write(
        d.join("index.txt"),
        format!("V\t361231235959Z\t\t{serial:04X}\tunknown\t/O=proof tests/CN=proof server\n"),
    )
    .unwrap();
    openssl(
        d,
        &[
            "ocsp",
            "-issuer",
            "ca.pem",
            "-cert",
            "server.pem",
            "-no_nonce",
            "-reqout",
            "req.der",
        ],
    );
    openssl(
        d,
        &[
            "ocsp",
            "-index",
            "index.txt",
            "-rsigner",
            "ca.pem",
            "-rkey",
            "ca.key",
            "-CA",
            "ca.pem",
            "-reqin",
            "req.der",
            "-respout",
            "resp.der",
            "-ndays",
            "1",
        ],
    );
    let plain = start(&pki.yaml(""));
    let (_, out) = s_client(&plain, &pki.ca_file, &["-status"]);
    assert!(out.contains("OCSP response: no response sent"), "{out}");
    let s = start(&pki.yaml(&format!("  ocsp_file: {}\n", d.join("resp.der").display())));
    let (ok, out) = s_client(&s, &pki.ca_file, &["-status"]);
    assert!(ok, "{out}");
    assert!(out.contains("OCSP Response Status: successful"), "{out}");
    assert!(out.contains("Cert Status: good"), "{out}");
}

#[test]
fn the_ingress_reference_has_both_topologies_and_never_routes_the_admin_port() {
    let text = std::fs::read_to_string(support::root().join("deploy/k8s/ingress.yaml")).unwrap();
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap();
    let docs: Vec<_> = docs.into_iter().filter(|d| !d.is_null()).collect();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["Certificate", "Ingress", "Ingress"]);
    let secret = docs[0]["spec"]["secretName"].as_str().unwrap();
    let edge = &docs[1];
    let a = &edge["metadata"]["annotations"];
    assert_eq!(
        a["nginx.ingress.kubernetes.io/auth-tls-verify-client"],
        "on"
    );
    assert_eq!(
        a["nginx.ingress.kubernetes.io/auth-tls-pass-certificate-to-upstream"],
        "true"
    );
    assert_eq!(edge["spec"]["tls"][0]["secretName"], secret);
    let pass = &docs[2];
    assert_eq!(
        pass["metadata"]["annotations"]["nginx.ingress.kubernetes.io/ssl-passthrough"],
        "true"
    );
    assert!(
        pass["spec"]["tls"].is_null(),
        "passthrough does not terminate TLS"
    );
    for ing in [edge, pass] {
        for rule in ing["spec"]["rules"].as_array().unwrap() {
            for p in rule["http"]["paths"].as_array().unwrap() {
                assert_eq!(p["backend"]["service"]["port"]["name"], "api");
            }
        }
    }
}

#[test]
fn http2_over_tls_and_a_clean_stop_on_sigterm() {
    let pki = Pki::new();
    let s = start(&pki.yaml(""));
    // curl (OpenSSL + nghttp2) negotiates h2 by ALPN and gets the same answer.
    let out = Command::new("curl")
        .args(["-s", "--http2", "--cacert"])
        .arg(&pki.ca_file)
        .args(["-o", "/dev/null", "-w", "%{http_version} %{http_code}"])
        .arg(format!("{}/lists", s.api))
        .output()
        .expect("curl runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2 200");
    // An idle kept-alive TLS connection does not hold up shutdown.
    let c = https(&pki.ca.pem, None).build().unwrap();
    assert_eq!(call(&c, &format!("{}/lists", s.api)).unwrap().0, 200);
    let (took, status) = s.terminate();
    assert!(status.success(), "{status:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn server_keys_in_pkcs8_pkcs1_and_sec1_form_all_serve() {
    let pki = Pki::new();
    let d = &pki.dir;
    std::fs::write(d.join("ca.key"), &pki.ca.key_pem).unwrap();
    // SEC1 ("BEGIN EC PRIVATE KEY"): the rcgen PKCS#8 key converted by openssl.
    openssl(d, &["ec", "-in", "server.key", "-out", "server.sec1.key"]);
    // PKCS#1 ("BEGIN RSA PRIVATE KEY"): an RSA key and certificate made with openssl.
    std::fs::write(
        d.join("rsa.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(d, &["genrsa", "-traditional", "-out", "rsa.key", "2048"]);
    openssl(
        d,
        &[
            "req",
            "-new",
            "-key",
            "rsa.key",
            "-subj",
            "/CN=proof rsa",
            "-out",
            "rsa.csr",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "rsa.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "4242",
            "-days",
            "2",
            "-extfile",
            "rsa.ext",
            "-out",
            "rsa.pem",
        ],
    );
    for (cert, key, header) in [
        ("server.pem", "server.key", "BEGIN PRIVATE KEY"),
        ("server.pem", "server.sec1.key", "BEGIN EC PRIVATE KEY"),
        ("rsa.pem", "rsa.key", "BEGIN RSA PRIVATE KEY"),
    ] {
        let text = std::fs::read_to_string(d.join(key)).unwrap();
        assert!(text.contains(header), "{key}: {text}");
        let s = start(&format!(
            "tls: {{cert_file: {}, key_file: {}}}\n",
            d.join(cert).display(),
            d.join(key).display()
        ));
        let c = https(&pki.ca.pem, None).build().unwrap();
        assert_eq!(
            call(&c, &format!("{}/lists", s.api)).unwrap().0,
            200,
            "{key}"
        );
    }
}
