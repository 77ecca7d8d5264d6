//! Typed settings, layered: built-in defaults < `--dev` profile < YAML file (`--config`) <
//! `PROOF_*` environment variables. Every leaf has exactly one environment variable, named
//! after its path (`limits.body_bytes` → `PROOF_LIMITS_BODY_BYTES`). Required settings have
//! no default outside `--dev`; missing ones stop startup with their names. See
//! `docs/configuration.md`.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Every settable leaf, as a dotted path. The environment variable is derived from it.
pub const LEAVES: [&str; 49] = [
    "api.bind",
    "admin.bind",
    "store.url",
    "store.max_connections",
    "policy_dir",
    "lists_dir",
    "limits.body_bytes",
    "limits.json_depth",
    "limits.request_timeout_ms",
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
pub const LIST_LEAVES: [&str; 4] = [
    "tls.crl_files",
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

/// OAuth2 resource-server settings (`config/auth.yaml`); see `docs/auth.md`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthSettings {
    /// `oauth2` (JWT access tokens from the issuer), `dev` (static tokens from
    /// `dev_tokens`, only with `--dev`) or `off` (no authentication).
    pub mode: AuthMode,
    /// The IdP's issuer URL; tokens' `iss` must equal it exactly.
    pub issuer: Option<String>,
    /// This API's audience; tokens' `aud` must contain it.
    pub audience: Option<String>,
    /// Where the signing keys are; discovered from the issuer when unset.
    pub jwks_uri: Option<String>,
    /// Signature algorithms accepted (asymmetric only).
    pub algorithms: Vec<String>,
    /// Accept JWTs without `typ: at+jwt` (RFC 9068).
    pub accept_plain_jwt: bool,
    /// Clock skew tolerated for `exp`, `nbf` and `iat`, in seconds.
    pub leeway_s: u64,
    /// Claims every token must carry.
    pub required_claims: Vec<String>,
    /// The signing-key cache.
    pub jwks: JwksSettings,
    /// Scopes each route needs (`"METHOD /route"`: all of these scopes).
    pub scopes: std::collections::BTreeMap<String, Vec<String>>,
    /// Routes open without a token (`"GET /openapi.json"`).
    pub public_routes: Vec<String>,
    /// `mode: dev` only: static bearer token -> scopes. Refused outside `--dev`.
    pub dev_tokens: std::collections::BTreeMap<String, Vec<String>>,
}

impl Default for AuthSettings {
    fn default() -> Self {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        Self {
            mode: AuthMode::OAuth2,
            issuer: None,
            audience: None,
            jwks_uri: None,
            algorithms: s(&["RS256", "ES256"]),
            accept_plain_jwt: false,
            leeway_s: 30,
            required_claims: s(&["exp", "iat", "iss", "aud", "sub"]),
            jwks: JwksSettings::default(),
            scopes: [
                ("POST /verify", "verify:run"),
                ("POST /proof/adapt", "verify:run"),
                ("POST /policy/compile", "policy:compile"),
                ("GET /policy/{id}", "policy:read"),
                ("GET /policies", "policy:read"),
                ("GET /lists", "policy:read"),
            ]
            .into_iter()
            .map(|(r, sc)| (r.to_owned(), vec![sc.to_owned()]))
            .collect(),
            public_routes: s(&["GET /openapi.json"]),
            dev_tokens: std::collections::BTreeMap::new(),
        }
    }
}

/// The signing-key cache.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JwksSettings {
    /// How long a fetched key set is used before it is refreshed in the background, when
    /// the IdP sends no `Cache-Control: max-age`.
    pub ttl_s: u64,
    /// Lower bound on a `max-age` from the IdP.
    pub min_ttl_s: u64,
    /// Upper bound on a `max-age` from the IdP.
    pub max_ttl_s: u64,
    /// How long past its TTL the last good key set keeps working while the IdP cannot be
    /// reached; after that, requests fail closed (503 `auth_unavailable`).
    pub max_stale_s: u64,
    /// Least time between two refetches triggered by an unknown `kid`.
    pub refetch_interval_s: u64,
    /// Timeout of one request to the IdP.
    pub timeout_ms: u64,
    /// Retries after a failed fetch (5xx, timeout, connection error), with doubling backoff
    /// from 200 ms.
    pub retries: u32,
}

impl Default for JwksSettings {
    fn default() -> Self {
        Self {
            ttl_s: 600,
            min_ttl_s: 60,
            max_ttl_s: 86_400,
            max_stale_s: 3_600,
            refetch_interval_s: 30,
            timeout_ms: 2_000,
            retries: 2,
        }
    }
}

/// How requests are authenticated.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(try_from = "Value")]
pub enum AuthMode {
    /// JWT access tokens from `issuer`.
    #[default]
    OAuth2,
    /// Static tokens from `dev_tokens`; `--dev` only.
    Dev,
    /// No authentication.
    Off,
}

/// TLS on the API listener; see `docs/tls.md`. The admin listener stays plain HTTP on a
/// private address.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    /// Server certificate chain (PEM, leaf first). With `key_file`, turns TLS on.
    pub cert_file: Option<PathBuf>,
    /// Server private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_file: Option<PathBuf>,
    /// Lowest protocol version accepted: 1.2 or 1.3.
    pub min_version: TlsVersion,
    /// Client certificates: `off`, `optional` or `required`.
    pub client_auth: ClientAuthMode,
    /// CA bundle (PEM) that client certificates must chain to.
    pub client_ca_file: Option<PathBuf>,
    /// CRL files (PEM) checked for every client certificate in the chain.
    pub crl_files: Vec<PathBuf>,
    /// Client certificate SANs (DNS names or URIs such as `spiffe://...`) allowed in;
    /// empty allows any certificate that chains to the CA bundle.
    pub allowed_sans: Vec<String>,
    /// A DER OCSP response stapled to handshakes when clients ask for one.
    pub ocsp_file: Option<PathBuf>,
    /// Longest a TLS handshake may take before the connection is dropped.
    pub handshake_timeout_ms: u64,
    /// How often the files above are checked for changes; a change is applied once it has
    /// been stable for one more interval. SIGHUP reloads at once.
    pub reload_interval_ms: u64,
}

impl Default for TlsSettings {
    fn default() -> Self {
        Self {
            cert_file: None,
            key_file: None,
            min_version: TlsVersion::V1_2,
            client_auth: ClientAuthMode::Off,
            client_ca_file: None,
            crl_files: Vec::new(),
            allowed_sans: Vec::new(),
            ocsp_file: None,
            handshake_timeout_ms: 10_000,
            reload_interval_ms: 1_000,
        }
    }
}

impl TlsSettings {
    /// Whether the API listener speaks TLS.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.cert_file.is_some() && self.key_file.is_some()
    }
}

/// A TLS protocol version floor.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(try_from = "Value")]
pub enum TlsVersion {
    /// TLS 1.2 and 1.3.
    V1_2,
    /// TLS 1.3 only.
    V1_3,
}

impl TryFrom<Value> for TlsVersion {
    type Error = String;
    fn try_from(v: Value) -> Result<Self, String> {
        // YAML and the environment both turn an unquoted `1.2` into a number.
        let s = match &v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        match s.trim_start_matches("TLSv") {
            "1.2" => Ok(Self::V1_2),
            "1.3" => Ok(Self::V1_3),
            _ => Err(format!("`tls.min_version` must be 1.2 or 1.3, got {v}")),
        }
    }
}

/// A mode word; YAML 1.1 reads an unquoted `off` as `false`, so that counts as `off`.
fn mode_word(v: &Value) -> String {
    match v {
        Value::Bool(false) => "off".to_owned(),
        Value::String(s) => s.to_ascii_lowercase(),
        other => other.to_string(),
    }
}

impl TryFrom<Value> for AuthMode {
    type Error = String;
    fn try_from(v: Value) -> Result<Self, String> {
        match mode_word(&v).as_str() {
            "oauth2" => Ok(Self::OAuth2),
            "dev" => Ok(Self::Dev),
            "off" => Ok(Self::Off),
            _ => Err(format!("`auth.mode` must be oauth2, dev or off, got {v}")),
        }
    }
}

impl TryFrom<Value> for ClientAuthMode {
    type Error = String;
    fn try_from(v: Value) -> Result<Self, String> {
        match mode_word(&v).as_str() {
            "off" => Ok(Self::Off),
            "optional" => Ok(Self::Optional),
            "required" => Ok(Self::Required),
            _ => Err(format!(
                "`tls.client_auth` must be off, optional or required, got {v}"
            )),
        }
    }
}

/// Client certificate policy.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(try_from = "Value")]
pub enum ClientAuthMode {
    /// Not asked for.
    #[default]
    Off,
    /// Asked for; requests without one proceed, a presented one must be valid.
    Optional,
    /// Requests without a valid, allowed certificate get 403.
    Required,
}

/// Orchestrator settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdaptSettings {
    /// `basic` (default costs) or `weighted` (costs from `weights_file`).
    pub selector: SelectorKind,
    /// Weights YAML (`weights: {rule_id: cost}`), required for `weighted`.
    pub weights_file: Option<PathBuf>,
}

/// Which selector.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SelectorKind {
    /// Predicates only, default costs.
    #[default]
    Basic,
    /// Costs from a weights file.
    Weighted,
}

/// A listener address; port 0 picks a free port (logged at startup).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    /// `host:port`.
    pub bind: SocketAddr,
}

/// The policy store.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST:PORT/DB`.
    pub url: Secret,
    /// Pool size.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
}

/// Request limits.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub body_bytes: usize,
    /// Deepest JSON nesting accepted in a request body.
    pub json_depth: usize,
    /// Longest a request may take, in milliseconds.
    pub request_timeout_ms: u64,
    /// Most requests processed at once; more wait.
    pub concurrency: usize,
    /// Requests per second per OAuth2 client (token bucket refill); 0 = no limit.
    pub client_rps: f64,
    /// Requests a client may send at once before the rate applies.
    pub client_burst: u32,
    /// Requests per second per client IP for requests without an authenticated client
    /// (auth off, public routes); 0 = no limit.
    pub ip_rps: f64,
    /// Burst per IP.
    pub ip_burst: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 1 << 20,
            json_depth: 64,
            request_timeout_ms: 10_000,
            concurrency: 256,
            client_rps: 0.0,
            client_burst: 20,
            ip_rps: 0.0,
            ip_burst: 20,
        }
    }
}

/// Shutdown behaviour.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Shutdown {
    /// After SIGTERM/SIGINT, how long in-flight requests may take to finish.
    pub grace_ms: u64,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self { grace_ms: 10_000 }
    }
}

/// Compiled-IR cache.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    /// Most compiled policies kept in memory.
    pub capacity: usize,
    /// How long "the latest version of policy X" is remembered before asking the store
    /// again (a new version stored by another replica becomes visible within this time).
    pub latest_ttl_ms: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            capacity: 256,
            latest_ttl_ms: 1_000,
        }
    }
}

/// Feature switches.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Features {
    /// Accept `{ir}` in `POST /verify` (hashes are recomputed).
    pub allow_embedded_ir: bool,
}

/// Logging.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// A tracing filter: `info`, `debug`, `proof_server=debug,info`, ...
    pub level: String,
    /// `json` (one JSON object per line) or `text`.
    pub format: LogFormat,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Json,
        }
    }
}

/// Log line format.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// JSON lines.
    Json,
    /// Human-readable lines.
    Text,
}

/// What `/readyz` requires.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Readiness {
    /// Not ready while no reference list is loaded.
    pub require_lists: bool,
}

impl Default for Readiness {
    fn default() -> Self {
        Self {
            require_lists: true,
        }
    }
}

const fn default_max_connections() -> u32 {
    8
}

/// A value that must not appear in logs or `--check-config` output as is (it may carry a
/// password). `Debug` and [`Secret::redacted`] hide any password in a URL.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The value itself, for the one place that needs it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value with a URL password replaced by `***`.
    #[must_use]
    pub fn redacted(&self) -> String {
        let s = &self.0;
        match (s.find("://"), s.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let creds = s.get(scheme + 3..at).unwrap_or_default();
                match creds.split_once(':') {
                    Some((user, _)) => format!(
                        "{}{user}:***{}",
                        s.get(..scheme + 3).unwrap_or_default(),
                        s.get(at..).unwrap_or_default()
                    ),
                    None => s.clone(),
                }
            }
            _ => s.clone(),
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

/// Why settings could not be built; every problem found, not just the first.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

/// The `--dev` profile: embedded defaults for a local run.
#[must_use]
pub fn dev_profile() -> Value {
    json!({
        "api": {"bind": "127.0.0.1:8080"},
        "admin": {"bind": "127.0.0.1:9464"},
        "store": {"url": "sqlite://data/proof.db"},
        "policy_dir": "policies",
        "lists_dir": "lists",
        "features": {"allow_embedded_ir": true},
        "log": {"format": "text"},
        "auth": {"mode": "off"},
    })
}

/// Builds settings from the layers. `file` is the YAML text of `--config`, if given;
/// `env` yields `(name, value)` pairs (normally `std::env::vars()`).
///
/// # Errors
/// [`ConfigError`] listing every problem: unreadable YAML, unknown keys, wrong types,
/// missing required settings.
pub fn load(
    dev: bool,
    file: Option<(&str, &str)>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Settings, ConfigError> {
    let mut merged = if dev {
        dev_profile()
    } else {
        Value::Object(Map::new())
    };
    let mut problems = Vec::new();
    if let Some((name, text)) = file {
        match serde_saphyr::from_str::<Value>(text) {
            Ok(Value::Object(m)) => merge(&mut merged, Value::Object(m)),
            Ok(Value::Null) => {}
            Ok(_) => problems.push(format!("{name}: the configuration must be a mapping")),
            Err(e) => problems.push(format!(
                "{name}: {}",
                e.to_string().lines().next().unwrap_or("malformed YAML")
            )),
        }
    }
    let env: Vec<(String, String)> = env.into_iter().collect();
    let auth_file = env
        .iter()
        .find(|(k, _)| k == "PROOF_AUTH_FILE")
        .map(|(_, v)| Value::String(v.clone()))
        .or_else(|| merged.get("auth_file").cloned());
    if let Some(Value::String(path)) = auth_file {
        match std::fs::read_to_string(&path) {
            Err(e) => problems.push(format!("auth_file `{path}`: {e}")),
            Ok(text) => match serde_saphyr::from_str::<Value>(&text) {
                Ok(Value::Object(m)) => {
                    let mut wrapped = Map::new();
                    wrapped.insert("auth".into(), Value::Object(m));
                    merge(&mut merged, Value::Object(wrapped));
                }
                Ok(Value::Null) => {}
                Ok(_) => problems.push(format!("auth_file `{path}`: must be a mapping")),
                Err(e) => problems.push(format!(
                    "auth_file `{path}`: {}",
                    e.to_string().lines().next().unwrap_or("malformed YAML")
                )),
            },
        }
    }
    for (k, v) in env {
        if let Some(path) = LEAVES.iter().find(|p| env_name(p) == k) {
            let value = if LIST_LEAVES.contains(path) {
                Value::Array(
                    v.split(',')
                        .map(str::trim)
                        .filter(|x| !x.is_empty())
                        .map(|x| Value::String(x.to_owned()))
                        .collect(),
                )
            } else {
                env_value(&v)
            };
            set_path(&mut merged, path, value);
        }
    }
    for r in REQUIRED {
        if get_path(&merged, r).is_none_or(Value::is_null) {
            problems.push(format!(
                "`{r}` is required (set it in the config file or as {})",
                env_name(r)
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ConfigError(problems));
    }
    let mut s: Settings =
        serde_json::from_value(merged).map_err(|e| ConfigError(vec![e.to_string()]))?;
    s.dev = dev;
    Ok(s)
}

impl Settings {
    /// Checks values that parse but cannot work (zero limits, unknown store scheme).
    ///
    /// # Errors
    /// [`ConfigError`] listing each problem.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut p = Vec::new();
        let url = self.store.url.expose();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            p.push(format!(
                "`store.url` must start with sqlite: or postgres://, got `{}`",
                self.store.url.redacted()
            ));
        }
        for (name, v) in [
            ("limits.body_bytes", self.limits.body_bytes),
            ("limits.json_depth", self.limits.json_depth),
            ("limits.concurrency", self.limits.concurrency),
            ("cache.capacity", self.cache.capacity),
        ] {
            if v == 0 {
                p.push(format!("`{name}` must be greater than 0"));
            }
        }
        for (name, rps, burst) in [
            (
                "limits.client",
                self.limits.client_rps,
                self.limits.client_burst,
            ),
            ("limits.ip", self.limits.ip_rps, self.limits.ip_burst),
        ] {
            if !(rps >= 0.0 && rps.is_finite()) {
                p.push(format!(
                    "`{name}_rps` must be 0 (no limit) or a positive number"
                ));
            }
            if rps > 0.0 && burst == 0 {
                p.push(format!(
                    "`{name}_burst` must be at least 1 when `{name}_rps` is set"
                ));
            }
        }
        if self.limits.request_timeout_ms == 0 {
            p.push("`limits.request_timeout_ms` must be greater than 0".into());
        }
        if self.store.max_connections == 0 {
            p.push("`store.max_connections` must be greater than 0".into());
        }
        match (self.adapt.selector, &self.adapt.weights_file) {
            (SelectorKind::Weighted, None) => {
                p.push("`adapt.selector: weighted` needs `adapt.weights_file`".into())
            }
            (SelectorKind::Basic, Some(_)) => {
                p.push("`adapt.weights_file` applies only to `adapt.selector: weighted`".into())
            }
            _ => {}
        }
        self.tls.validate(&mut p);
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

impl AuthSettings {
    fn validate(&self, dev: bool, p: &mut Vec<String>) {
        const ALGS: [&str; 10] = [
            "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
            "EDDSA",
        ];
        match self.mode {
            AuthMode::OAuth2 => {
                for (name, v) in [
                    ("auth.issuer", &self.issuer),
                    ("auth.audience", &self.audience),
                ] {
                    if v.as_deref().is_none_or(str::is_empty) {
                        p.push(format!(
                            "`{name}` is required with `auth.mode: oauth2` (set it in the auth file or as {}; `auth.mode: off` runs without authentication)",
                            env_name(name)
                        ));
                    }
                }
                if self.algorithms.is_empty() {
                    p.push("`auth.algorithms` must name at least one algorithm".into());
                }
                for a in &self.algorithms {
                    if !ALGS.contains(&a.as_str()) {
                        p.push(format!(
                            "`auth.algorithms`: `{a}` is not accepted (asymmetric only: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, EdDSA; never `none` or HS*)"
                        ));
                    }
                }
            }
            AuthMode::Dev if !dev => {
                p.push("`auth.mode: dev` (static dev tokens) is only allowed with --dev".into())
            }
            AuthMode::Dev if self.dev_tokens.is_empty() => {
                p.push("`auth.mode: dev` needs `auth.dev_tokens`".into());
            }
            _ => {}
        }
        if !dev && !self.dev_tokens.is_empty() {
            p.push("`auth.dev_tokens` are refused outside --dev".into());
        }
        let j = &self.jwks;
        for (name, v) in [
            ("auth.jwks.ttl_s", j.ttl_s),
            ("auth.jwks.min_ttl_s", j.min_ttl_s),
            ("auth.jwks.max_ttl_s", j.max_ttl_s),
            ("auth.jwks.timeout_ms", j.timeout_ms),
        ] {
            if v == 0 {
                p.push(format!("`{name}` must be greater than 0"));
            }
        }
        if j.min_ttl_s > j.max_ttl_s {
            p.push("`auth.jwks.min_ttl_s` must not exceed `auth.jwks.max_ttl_s`".into());
        }
        for route in self.scopes.keys().chain(&self.public_routes) {
            let ok = route.split_once(' ').is_some_and(|(m, r)| {
                !m.is_empty() && m.chars().all(|c| c.is_ascii_uppercase()) && r.starts_with('/')
            });
            if !ok {
                p.push(format!(
                    "`auth`: route `{route}` must look like `METHOD /path` (e.g. `POST /verify`)"
                ));
            }
        }
    }
}

impl TlsSettings {
    fn validate(&self, p: &mut Vec<String>) {
        match (&self.cert_file, &self.key_file) {
            (Some(_), None) => p.push("`tls.cert_file` needs `tls.key_file`".into()),
            (None, Some(_)) => p.push("`tls.key_file` needs `tls.cert_file`".into()),
            _ => {}
        }
        if self.handshake_timeout_ms == 0 {
            p.push("`tls.handshake_timeout_ms` must be greater than 0".into());
        }
        if self.reload_interval_ms == 0 {
            p.push("`tls.reload_interval_ms` must be greater than 0".into());
        }
        if self.client_auth == ClientAuthMode::Off {
            for (name, set) in [
                ("tls.client_ca_file", self.client_ca_file.is_some()),
                ("tls.crl_files", !self.crl_files.is_empty()),
                ("tls.allowed_sans", !self.allowed_sans.is_empty()),
            ] {
                if set {
                    p.push(format!(
                        "`{name}` applies only with `tls.client_auth: optional` or `required`"
                    ));
                }
            }
        } else {
            if !self.enabled() {
                p.push("`tls.client_auth` needs TLS (`tls.cert_file` and `tls.key_file`)".into());
            }
            if self.client_ca_file.is_none() {
                p.push(format!(
                    "`tls.client_auth: {}` needs `tls.client_ca_file`",
                    match self.client_auth {
                        ClientAuthMode::Required => "required",
                        _ => "optional",
                    }
                ));
            }
        }
        if self.ocsp_file.is_some() && !self.enabled() {
            p.push("`tls.ocsp_file` needs TLS (`tls.cert_file` and `tls.key_file`)".into());
        }
    }
}

/// Environment values are JSON scalars when they parse as such (`8`, `true`), else strings.
fn env_value(v: &str) -> Value {
    match serde_json::from_str::<Value>(v) {
        Ok(x @ (Value::Number(_) | Value::Bool(_))) => x,
        _ => Value::String(v.to_owned()),
    }
}

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn set_path(root: &mut Value, path: &str, v: Value) {
    let mut cur = root;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else { return };
        if parts.peek().is_none() {
            m.insert(part.to_owned(), v);
            return;
        }
        cur = m
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

fn get_path<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(root, |v, p| v.get(p))
}
