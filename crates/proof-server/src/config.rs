//! Typed settings, layered: built-in defaults < `--dev` profile < YAML file (`--config`) <
//! `PROOF_*` environment variables. Every leaf has exactly one environment variable, named
//! after its path (`limits.body_bytes` → `PROOF_LIMITS_BODY_BYTES`). Required settings have
//! no default outside `--dev`; missing ones stop startup with their names. See
//! `docs/configuration.md`.
//!
//! One file per section, each with its defaults and its own validation: [`server`]
//! (listeners, shutdown, cache, features, readiness, orchestrator), [`auth`], [`tls`],
//! [`store`], [`limits`], [`lists`], [`signing`], [`telemetry`] (logs); [`load`] merges the layers.

mod auth;
mod limits;
mod lists;
mod load;
mod receipt_log;
mod server;
mod signing;
mod store;
mod telemetry;
mod tls;

pub use auth::{AuthMode, AuthSettings, JwksSettings};
pub use limits::Limits;
pub use lists::{ListSettings, WithinGrace};
pub use load::{dev_profile, load};
pub use receipt_log::ReceiptLogSettings;
pub use server::{
    AdaptSettings, CacheSettings, Features, Listener, Readiness, SelectorKind, Shutdown,
};
pub use signing::SigningSettings;
pub use store::{Secret, StoreSettings};
pub use telemetry::{LogFormat, LogSettings, ProbeLevel};
pub use tls::{ClientAuthMode, TlsSettings, TlsVersion};

use serde::Deserialize;
use serde_json::Value;
use std::path::PathBuf;

/// Every settable leaf, as a dotted path. The environment variable is derived from it.
pub const LEAVES: [&str; 65] = [
    "api.bind",
    "admin.bind",
    "store.url",
    "store.max_connections",
    "policy_dir",
    "lists_dir",
    "lists.poll_interval_ms",
    "lists.superseded_grace_s",
    "lists.within_grace",
    "lists.max_age_s",
    "limits.body_bytes",
    "limits.lists_body_bytes",
    "limits.json_depth",
    "limits.request_timeout_ms",
    "limits.body_read_timeout_ms",
    "limits.header_read_timeout_ms",
    "limits.idle_timeout_ms",
    "limits.max_connections",
    "limits.max_connections_per_peer",
    "limits.concurrency",
    "limits.client_rps",
    "limits.client_burst",
    "limits.ip_rps",
    "limits.ip_burst",
    "shutdown.grace_ms",
    "cache.capacity",
    "cache.latest_ttl_ms",
    "features.allow_embedded_ir",
    "log.level",
    "log.format",
    "log.probe_level",
    "log.queue_lines",
    "readiness.require_lists",
    "adapt.selector",
    "adapt.weights_file",
    "tls.cert_file",
    "tls.key_file",
    "tls.min_version",
    "tls.client_auth",
    "tls.client_ca_file",
    "tls.crl_files",
    "tls.allowed_sans",
    "tls.ocsp_file",
    "tls.handshake_timeout_ms",
    "tls.reload_interval_ms",
    "signing.key_file",
    "signing.retired_key_files",
    "receipt_log.origin",
    "receipt_log.max_batch",
    "auth_file",
    "auth.mode",
    "auth.issuer",
    "auth.audience",
    "auth.jwks_uri",
    "auth.algorithms",
    "auth.accept_plain_jwt",
    "auth.leeway_s",
    "auth.required_claims",
    "auth.jwks.ttl_s",
    "auth.jwks.min_ttl_s",
    "auth.jwks.max_ttl_s",
    "auth.jwks.max_stale_s",
    "auth.jwks.refetch_interval_s",
    "auth.jwks.timeout_ms",
    "auth.jwks.retries",
];

/// Leaves that hold lists; their environment variables are comma-separated.
pub const LIST_LEAVES: [&str; 5] = [
    "tls.crl_files",
    "signing.retired_key_files",
    "tls.allowed_sans",
    "auth.algorithms",
    "auth.required_claims",
];

/// Settings without which the service cannot start (no default outside `--dev`).
pub const REQUIRED: [&str; 4] = ["api.bind", "admin.bind", "store.url", "lists_dir"];

/// The environment variable for a leaf path.
#[must_use]
pub fn env_name(path: &str) -> String {
    format!("PROOF_{}", path.replace('.', "_").to_uppercase())
}

/// The service's settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The public API listener.
    pub api: Listener,
    /// The admin listener (health, readiness, metrics, cache flush); never exposed publicly.
    pub admin: Listener,
    /// Where compiled policies are kept.
    pub store: StoreSettings,
    /// Policies compiled and stored at startup (every `*.yml`/`*.yaml`), if set.
    #[serde(default)]
    pub policy_dir: Option<PathBuf>,
    /// Reference lists loaded at startup (every `*.csv`/`*.txt`).
    pub lists_dir: PathBuf,
    /// Reference lists published to the store: polling, superseded versions, staleness.
    #[serde(default)]
    pub lists: ListSettings,
    /// Request limits.
    #[serde(default)]
    pub limits: Limits,
    /// Shutdown behaviour.
    #[serde(default)]
    pub shutdown: Shutdown,
    /// Compiled-IR cache.
    #[serde(default)]
    pub cache: CacheSettings,
    /// Feature switches.
    #[serde(default)]
    pub features: Features,
    /// Logging.
    #[serde(default)]
    pub log: LogSettings,
    /// What `/readyz` requires.
    #[serde(default)]
    pub readiness: Readiness,
    /// The orchestrator used by `POST /proof/adapt` and `/verify` with `adaptive`.
    #[serde(default)]
    pub adapt: AdaptSettings,
    /// TLS and client certificates on the API listener (plain HTTP when unset).
    #[serde(default)]
    pub tls: TlsSettings,
    /// The key that signs receipts, and retired keys still published.
    #[serde(default)]
    pub signing: SigningSettings,
    /// The verification log receipts are appended to.
    #[serde(default)]
    pub receipt_log: ReceiptLogSettings,
    /// A YAML file with the `auth` settings (`config/auth.yaml`), merged under `auth`
    /// after the main file and before the environment.
    #[serde(default)]
    pub auth_file: Option<PathBuf>,
    /// Bearer-token authentication; see `docs/auth.md`.
    #[serde(default)]
    pub auth: AuthSettings,
    /// Whether the `--dev` profile was applied (set by [`load`], not by a file).
    #[serde(skip)]
    pub dev: bool,
}

/// A mode word; YAML 1.1 reads an unquoted `off` as `false`, so that counts as `off`.
fn mode_word(v: &Value) -> String {
    match v {
        Value::Bool(false) => "off".to_owned(),
        Value::String(s) => s.to_ascii_lowercase(),
        other => other.to_string(),
    }
}

/// Why settings could not be built; every problem found, not just the first.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

impl Settings {
    /// Checks values that parse but cannot work (zero limits, unknown store scheme).
    ///
    /// # Errors
    /// [`ConfigError`] listing each problem.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut p = Vec::new();
        self.store.validate(&mut p);
        self.limits.validate(&mut p);
        self.lists.validate(&mut p);
        self.cache.validate(&mut p);
        self.adapt.validate(&mut p);
        self.log.validate(&mut p);
        self.tls.validate(&mut p);
        self.signing.validate(&mut p);
        self.receipt_log.validate(&mut p);
        self.auth.validate(self.dev, &mut p);
        if self.api.bind == self.admin.bind && self.api.bind.port() != 0 {
            p.push("`api.bind` and `admin.bind` must differ".into());
        }
        if p.is_empty() {
            Ok(())
        } else {
            Err(ConfigError(p))
        }
    }
}
