//! The `auth` section: OAuth2 resource-server settings, the signing-key cache, and their
//! validation (`docs/auth.md`).

use super::{env_name, mode_word};
use serde::Deserialize;
use serde_json::Value;

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
                ("POST /lists", "lists:write"),
                ("GET /log/checkpoint", "log:read"),
                ("GET /log/entries/{index}", "log:read"),
                ("GET /log/proof/inclusion", "log:read"),
                ("GET /log/proof/consistency", "log:read"),
            ]
            .into_iter()
            .map(|(r, sc)| (r.to_owned(), vec![sc.to_owned()]))
            .collect(),
            public_routes: s(&["GET /openapi.json", "GET /keys"]),
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

impl AuthSettings {
    pub(super) fn validate(&self, dev: bool, p: &mut Vec<String>) {
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
