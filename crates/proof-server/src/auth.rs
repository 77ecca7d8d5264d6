//! OAuth2 resource server: bearer JWT access tokens (RFC 9068) checked against the IdP's
//! keys ([`jwks`]), scopes per route from `config/auth.yaml`, and RFC 6750 answers: 401 with
//! `WWW-Authenticate: Bearer` for a missing or bad token, 403 `insufficient_scope` naming
//! the scope, 503 `auth_unavailable` when no signing key can be had (fail closed). See
//! `docs/auth.md` and `docs/runbook_oauth2.md`.

pub mod jwks;

use crate::config::{AuthMode, AuthSettings};
use crate::error::ApiError;
use crate::metrics::Metrics;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::str::FromStr as _;
use std::sync::Arc;

/// Who called, as handlers see it (a request extension on authenticated routes).
#[derive(Clone, Debug)]
pub struct Principal {
    /// `client_id` (or `sub` when the token has none).
    pub client_id: String,
    /// `sub`.
    pub subject: String,
    /// Granted scopes.
    pub scopes: BTreeSet<String>,
}

/// Why a request was not let through.
#[derive(Debug)]
pub enum Denied {
    /// No bearer token.
    Missing,
    /// A token that is not valid; the reason is safe to send (no key or token contents).
    Invalid(&'static str),
    /// A valid token without every scope the route needs.
    Scope(String),
    /// No signing key available (IdP unreachable past `max_stale_s`).
    Unavailable,
}

impl Denied {
    /// The `proof_auth_requests_total{result}` label.
    #[must_use]
    pub fn result(&self) -> &'static str {
        match self {
            Self::Missing | Self::Invalid(_) => "invalid_token",
            Self::Scope(_) => "insufficient_scope",
            Self::Unavailable => "unavailable",
        }
    }
}

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        let (err, challenge) = match &self {
            Self::Missing => (
                ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "missing_token",
                    "this route needs a bearer token (Authorization: Bearer <token>)",
                ),
                r#"Bearer realm="proof""#.to_owned(),
            ),
            Self::Invalid(why) => (
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", *why),
                format!(
                    r#"Bearer realm="proof", error="invalid_token", error_description="{why}""#
                ),
            ),
            Self::Scope(scope) => (
                ApiError::new(
                    StatusCode::FORBIDDEN,
                    "insufficient_scope",
                    format!("the token lacks the scope this route needs: {scope}"),
                )
                .with("scope", Value::String(scope.clone())),
                format!(r#"Bearer realm="proof", error="insufficient_scope", scope="{scope}""#),
            ),
            Self::Unavailable => (
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "auth_unavailable",
                    "tokens cannot be checked right now (the identity provider's keys are unavailable); try again",
                ),
                String::new(),
            ),
        };
        let mut resp = err.into_response();
        if let Ok(v) = HeaderValue::from_str(&challenge)
            && !challenge.is_empty()
        {
            resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        if matches!(self, Self::Unavailable) {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        resp
    }
}

/// A token that passed full validation, remembered so that its signature is not verified
/// again on every request (clients reuse a token for its whole lifetime).
struct Verified {
    principal: Arc<Principal>,
    kid: String,
    exp: Option<u64>,
    nbf: Option<u64>,
}

/// Most verified tokens remembered; when full, the memory is cleared and refilled.
const VERIFIED_CAPACITY: usize = 10_000;

/// Checks tokens.
pub struct Authenticator {
    settings: AuthSettings,
    algorithms: Vec<Algorithm>,
    jwks: Option<Arc<jwks::Jwks>>,
    verified: std::sync::RwLock<std::collections::HashMap<String, Arc<Verified>>>,
    metrics: Metrics,
}

fn scopes_of(claims: &Map<String, Value>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(s) = claims.get("scope").and_then(Value::as_str) {
        out.extend(s.split_whitespace().map(str::to_owned));
    }
    if let Some(a) = claims.get("scp").and_then(Value::as_array) {
        out.extend(a.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    out
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Authenticator {
    /// Builds the checker (and, for `oauth2`, the key cache; fill it with
    /// [`Authenticator::jwks`]).
    ///
    /// # Errors
    /// When the JWKS client cannot be built.
    pub fn new(settings: &AuthSettings, metrics: Metrics) -> Result<Self, String> {
        let algorithms = settings
            .algorithms
            .iter()
            .filter_map(|a| Algorithm::from_str(a).ok())
            .filter(|a| !matches!(a, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512))
            .collect();
        let jwks = match settings.mode {
            AuthMode::OAuth2 => Some(jwks::Jwks::new(settings, metrics.clone())?),
            _ => None,
        };
        Ok(Self {
            settings: settings.clone(),
            algorithms,
            jwks,
            verified: std::sync::RwLock::new(std::collections::HashMap::new()),
            metrics,
        })
    }

    /// The key cache (for `oauth2`).
    #[must_use]
    pub fn jwks(&self) -> Option<&Arc<jwks::Jwks>> {
        self.jwks.as_ref()
    }

    /// A token verified before that is still within its validity window (with leeway) and
    /// whose key is still published in a usable key set.
    fn remembered(&self, token: &str, jwks: &jwks::Jwks) -> Option<Arc<Principal>> {
        let v = match self.verified.read() {
            Ok(m) => m.get(token).cloned(),
            Err(p) => p.into_inner().get(token).cloned(),
        }?;
        let t = now();
        let leeway = self.settings.leeway_s;
        let in_window = v.exp.is_none_or(|e| t <= e.saturating_add(leeway))
            && v.nbf.is_none_or(|n| t.saturating_add(leeway) >= n);
        (in_window && jwks.still_valid(&v.kid)).then(|| Arc::clone(&v.principal))
    }

    fn remember(&self, token: &str, v: Verified) {
        let mut m = match self.verified.write() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        };
        if m.len() >= VERIFIED_CAPACITY {
            m.clear();
        }
        m.insert(token.to_owned(), Arc::new(v));
    }

    /// Checks a bearer token (without the `Bearer ` prefix). A token that passed before is
    /// not verified again while it is within `exp`/`nbf` and its key is still published.
    ///
    /// # Errors
    /// [`Denied`] saying why.
    pub async fn validate(&self, token: &str) -> Result<Arc<Principal>, Denied> {
        if let Some(j) = &self.jwks
            && let Some(p) = self.remembered(token, j)
        {
            return Ok(p);
        }
        self.validate_uncached(token).await
    }

    /// Full validation (signature and claims), remembering a token that passes.
    ///
    /// # Errors
    /// [`Denied`] saying why.
    pub async fn validate_uncached(&self, token: &str) -> Result<Arc<Principal>, Denied> {
        if self.settings.mode == AuthMode::Dev {
            return self
                .settings
                .dev_tokens
                .get(token)
                .map(|scopes| {
                    Arc::new(Principal {
                        client_id: "dev".into(),
                        subject: "dev".into(),
                        scopes: scopes.iter().cloned().collect(),
                    })
                })
                .ok_or(Denied::Invalid("unknown dev token"));
        }
        let Some(jwks) = &self.jwks else {
            return Err(Denied::Unavailable);
        };
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| Denied::Invalid("malformed token"))?;
        if !self.algorithms.contains(&header.alg) {
            return Err(Denied::Invalid("signature algorithm not accepted"));
        }
        if !self.settings.accept_plain_jwt {
            let typ = header
                .typ
                .as_deref()
                .unwrap_or_default()
                .to_ascii_lowercase();
            if typ != "at+jwt" && typ != "application/at+jwt" {
                return Err(Denied::Invalid("not an access token (typ must be at+jwt)"));
            }
        }
        let kid = header
            .kid
            .as_deref()
            .ok_or(Denied::Invalid("token has no key id (kid)"))?;
        let key = jwks.key(kid).await.map_err(|e| match e {
            jwks::KeyError::UnknownKid => Denied::Invalid("unknown signing key"),
            jwks::KeyError::Unavailable => Denied::Unavailable,
        })?;
        if key.alg.is_some_and(|a| a != header.alg) {
            return Err(Denied::Invalid(
                "signature algorithm does not match the key",
            ));
        }
        let mut v = Validation::new(header.alg);
        v.algorithms = vec![header.alg];
        v.leeway = self.settings.leeway_s;
        v.validate_nbf = true;
        v.set_issuer(&[self.settings.issuer.as_deref().unwrap_or_default()]);
        v.set_audience(&[self.settings.audience.as_deref().unwrap_or_default()]);
        v.set_required_spec_claims(&self.settings.required_claims);
        let data =
            jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &v).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                Denied::Invalid(match e.kind() {
                    K::ExpiredSignature => "token expired",
                    K::ImmatureSignature => "token not valid yet (nbf)",
                    K::InvalidIssuer => "wrong issuer",
                    K::InvalidAudience => "wrong audience",
                    K::InvalidSignature => "bad signature",
                    K::MissingRequiredClaim(_) => "a required claim is missing",
                    K::InvalidAlgorithm => "signature algorithm does not match the key",
                    _ => "malformed token",
                })
            })?;
        let c = data.claims;
        for name in &self.settings.required_claims {
            if c.get(name).is_none_or(Value::is_null) {
                return Err(Denied::Invalid("a required claim is missing"));
            }
        }
        if let Some(iat) = c.get("iat") {
            match iat.as_u64() {
                Some(t) if t <= now() + self.settings.leeway_s => {}
                Some(_) => return Err(Denied::Invalid("token issued in the future (iat)")),
                None => return Err(Denied::Invalid("malformed token")),
            }
        }
        let subject = c.get("sub").and_then(Value::as_str).unwrap_or_default();
        let principal = Arc::new(Principal {
            client_id: c
                .get("client_id")
                .and_then(Value::as_str)
                .unwrap_or(subject)
                .to_owned(),
            subject: subject.to_owned(),
            scopes: scopes_of(&c),
        });
        let secs = |name: &str| {
            c.get(name)
                .and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f.max(0.0) as u64)))
        };
        // Only tokens that expire are remembered, and never past their expiry.
        if let Some(exp) = secs("exp") {
            self.remember(
                token,
                Verified {
                    principal: Arc::clone(&principal),
                    kid: kid.to_owned(),
                    exp: Some(exp),
                    nbf: secs("nbf"),
                },
            );
        }
        Ok(principal)
    }

    /// The scopes a route needs, `None` when it is public.
    fn needs(&self, method: &str, route: &str) -> Option<&[String]> {
        let key = format!("{method} {route}");
        if self.settings.public_routes.contains(&key) {
            return None;
        }
        // Routes without an entry still need a valid token (fail closed).
        Some(self.settings.scopes.get(&key).map_or(&[], Vec::as_slice))
    }

    async fn check(
        &self,
        method: &str,
        route: &str,
        authorization: Option<&HeaderValue>,
    ) -> Result<Option<Arc<Principal>>, Denied> {
        let Some(needed) = self.needs(method, route) else {
            return Ok(None);
        };
        let Some(value) = authorization else {
            return Err(Denied::Missing);
        };
        let value = value
            .to_str()
            .map_err(|_| Denied::Invalid("malformed Authorization header"))?;
        let token = match value.split_once(' ') {
            Some((scheme, t)) if scheme.eq_ignore_ascii_case("bearer") => t.trim(),
            _ => return Err(Denied::Missing),
        };
        if token.is_empty() || token.len() > 16 * 1024 {
            return Err(Denied::Invalid("malformed token"));
        }
        let p = self.validate(token).await?;
        if needed.iter().any(|s| !p.scopes.contains(s)) {
            // Name every scope the route needs, as RFC 6750 asks.
            return Err(Denied::Scope(needed.join(" ")));
        }
        Ok(Some(p))
    }
}

/// Authenticates and authorises an API request by its route template (`route`): `None`
/// when it may go on (with the verified [`Principal`] in its extensions), else the 401, 403
/// or 503 problem response that refuses it. Run by the API's route layer.
pub async fn authorize(auth: &Authenticator, route: &str, req: &mut Request) -> Option<Response> {
    let method = req.method().as_str().to_owned();
    let authorization = req.headers().get(header::AUTHORIZATION).cloned();
    match auth.check(&method, route, authorization.as_ref()).await {
        Ok(None) => None,
        Ok(Some(p)) => {
            auth.metrics.auth("ok");
            tracing::Span::current().record("client_id", p.client_id.as_str());
            req.extensions_mut().insert(p);
            None
        }
        Err(d) => {
            auth.metrics.auth(d.result());
            let why = match &d {
                Denied::Missing => "missing token",
                Denied::Invalid(w) => w,
                Denied::Scope(_) => "insufficient scope",
                Denied::Unavailable => "signing keys unavailable",
            };
            tracing::Span::current().record("auth_error", why);
            Some(d.into_response())
        }
    }
}
