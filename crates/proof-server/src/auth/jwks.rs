//! The IdP's signing keys: discovered, fetched, cached, refreshed in the background, and
//! refetched once (single-flight, rate-limited) when a token names an unknown `kid`. The
//! last good set keeps working while the IdP is down, for `auth.jwks.max_stale_s` past its
//! TTL.

use crate::config::AuthSettings;
use crate::metrics::Metrics;
use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::Jwk;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// One usable key.
pub struct Key {
    /// For signature checks.
    pub key: DecodingKey,
    /// The `alg` the JWK pins, if any.
    pub alg: Option<jsonwebtoken::Algorithm>,
}

/// A fetched key set.
pub struct KeySet {
    keys: HashMap<String, Arc<Key>>,
    fetched: Option<Instant>,
    ttl: Duration,
    generation: u64,
}

/// Why no key could be had.
#[derive(Debug)]
pub enum KeyError {
    /// The set is usable but has no such `kid` (after a refetch, or too soon for one).
    UnknownKid,
    /// No usable key set: never fetched, or older than `max_stale_s`.
    Unavailable,
}

/// The JWKS state, as `/readyz` reports it.
#[derive(Debug, serde::Serialize)]
pub struct Status {
    /// `fresh`, `stale` (past its TTL, still used), or `unavailable`.
    pub state: &'static str,
    /// Keys in the set.
    pub keys: usize,
    /// Seconds since the last successful fetch.
    pub age_s: Option<u64>,
}

/// The key cache.
pub struct Jwks {
    settings: AuthSettings,
    http: reqwest::Client,
    set: RwLock<Arc<KeySet>>,
    /// Held while fetching (single flight); holds when the last forced refetch started.
    fetching: tokio::sync::Mutex<Option<Instant>>,
    jwks_uri: std::sync::Mutex<Option<String>>,
    /// Woken whenever any fetch installs a set, so the background task sleeps on the TTL
    /// of the set in force, not on one it computed before a refetch.
    installed: tokio::sync::Notify,
    metrics: Metrics,
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1u64 << attempt.min(6)))
}

impl Jwks {
    /// An empty cache; call [`Jwks::refresh`] or spawn [`Jwks::run`] to fill it.
    ///
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(settings: &AuthSettings, metrics: Metrics) -> Result<Arc<Self>, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(settings.jwks.timeout_ms))
            .user_agent(concat!("proof/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("JWKS client: {e}"))?;
        Ok(Arc::new(Self {
            settings: settings.clone(),
            http,
            set: RwLock::new(Arc::new(KeySet {
                keys: HashMap::new(),
                fetched: None,
                ttl: Duration::ZERO,
                generation: 0,
            })),
            fetching: tokio::sync::Mutex::new(None),
            jwks_uri: std::sync::Mutex::new(settings.jwks_uri.clone()),
            installed: tokio::sync::Notify::new(),
            metrics,
        }))
    }

    fn current(&self) -> Arc<KeySet> {
        match self.set.read() {
            Ok(g) => Arc::clone(&g),
            Err(p) => Arc::clone(&p.into_inner()),
        }
    }

    /// Fresh (within its TTL) or stale for at most `max_stale_s` past it.
    fn usable(&self, s: &KeySet) -> bool {
        s.fetched.is_some_and(|t| {
            t.elapsed() <= s.ttl + Duration::from_secs(self.settings.jwks.max_stale_s)
        })
    }

    /// The state for `/readyz`.
    #[must_use]
    pub fn status(&self) -> Status {
        let s = self.current();
        let state = match s.fetched {
            Some(t) if t.elapsed() <= s.ttl => "fresh",
            Some(_) if self.usable(&s) => "stale",
            _ => "unavailable",
        };
        Status {
            state,
            keys: s.keys.len(),
            age_s: s.fetched.map(|t| t.elapsed().as_secs()),
        }
    }

    /// Whether `kid` is in the current set and the set is usable, without fetching (for
    /// tokens verified before: a key the IdP has dropped, or a set past `max_stale_s`,
    /// sends them through full validation again).
    #[must_use]
    pub fn still_valid(&self, kid: &str) -> bool {
        let s = self.current();
        self.usable(&s) && s.keys.contains_key(kid)
    }

    /// The key for `kid`. An unknown `kid` triggers one refetch (shared by concurrent
    /// callers, at most once per `refetch_interval_s`); a cache that is unusable (never
    /// fetched, or older than `max_stale_s`) is refetched too.
    ///
    /// # Errors
    /// [`KeyError`].
    pub async fn key(&self, kid: &str) -> Result<Arc<Key>, KeyError> {
        let seen = self.current();
        if self.usable(&seen)
            && let Some(k) = seen.keys.get(kid)
        {
            return Ok(Arc::clone(k));
        }
        {
            let mut last = self.fetching.lock().await;
            let now = self.current();
            // Someone else refetched while we waited: use their result.
            if now.generation == seen.generation {
                let min = Duration::from_secs(self.settings.jwks.refetch_interval_s);
                // Rate-limited either way: an unknown kid must not let callers hammer the
                // IdP, and neither must an IdP outage.
                let too_soon = last.is_some_and(|t| t.elapsed() < min);
                if !too_soon {
                    *last = Some(Instant::now());
                    let _ = self.fetch_with_retries().await;
                }
            }
        }
        let now = self.current();
        if !self.usable(&now) {
            return Err(KeyError::Unavailable);
        }
        now.keys.get(kid).cloned().ok_or(KeyError::UnknownKid)
    }

    /// Fetches the key set now, with retries; used at startup and by the background task.
    ///
    /// # Errors
    /// The last failure.
    pub async fn refresh(&self) -> Result<(), String> {
        let _g = self.fetching.lock().await;
        self.fetch_with_retries().await
    }

    /// Refreshes the set whenever its TTL runs out (sooner after a failure) until `stop`.
    /// A set installed by another fetch (an unknown `kid`) restarts the wait on its TTL.
    pub async fn run(self: Arc<Self>, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            let s = self.current();
            let wait = match s.fetched {
                Some(t) => s.ttl.saturating_sub(t.elapsed()),
                None => Duration::ZERO,
            }
            .max(Duration::from_secs(1));
            // Registered before the generation check, so an install between the two is
            // not missed.
            let installed = self.installed.notified();
            tokio::pin!(installed);
            installed.as_mut().enable();
            if self.current().generation != s.generation {
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = &mut installed => continue,
                _ = stop.wait_for(|s| *s) => return,
            }
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %e, "JWKS refresh failed; the last good keys stay in use");
                // Try again in a while rather than in a tight loop.
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(5)) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
        }
    }

    async fn fetch_with_retries(&self) -> Result<(), String> {
        let mut attempt = 0;
        loop {
            match self.fetch_once().await {
                Ok(()) => {
                    self.metrics.jwks_refreshed("ok");
                    return Ok(());
                }
                Err((e, retryable)) => {
                    self.metrics.jwks_refreshed("error");
                    if !retryable || attempt >= self.settings.jwks.retries {
                        tracing::warn!(error = %e, attempts = attempt + 1, "JWKS fetch failed");
                        return Err(e);
                    }
                    self.metrics.jwks_refreshed("retry");
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn get(&self, url: &str) -> Result<(Value, Option<u64>), (String, bool)> {
        let r = self
            .http
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| (format!("GET {url}: {e}"), true))?;
        let status = r.status();
        if !status.is_success() {
            // 5xx and 429 may pass; other answers will not change on a retry.
            let retry = status.is_server_error() || status.as_u16() == 429;
            return Err((format!("GET {url}: HTTP {status}"), retry));
        }
        let max_age = r
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(',')
                    .find_map(|d| d.trim().strip_prefix("max-age="))
                    .and_then(|n| n.trim().parse::<u64>().ok())
            });
        let body = r
            .bytes()
            .await
            .map_err(|e| (format!("GET {url}: {e}"), true))?;
        if body.len() > 1 << 20 {
            return Err((format!("GET {url}: answer larger than 1 MiB"), false));
        }
        let v = serde_json::from_slice(&body)
            .map_err(|e| (format!("GET {url}: not JSON: {e}"), false))?;
        Ok((v, max_age))
    }

    async fn uri(&self) -> Result<String, (String, bool)> {
        let known = match self.jwks_uri.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        };
        if let Some(u) = known {
            return Ok(u);
        }
        let issuer = self.settings.issuer.clone().unwrap_or_default();
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let (doc, _) = self.get(&url).await?;
        let found = doc.get("issuer").and_then(Value::as_str);
        if found != Some(issuer.as_str()) {
            return Err((
                format!(
                    "{url}: issuer `{}` does not equal auth.issuer `{issuer}`",
                    found.unwrap_or_default()
                ),
                false,
            ));
        }
        let u = doc
            .get("jwks_uri")
            .and_then(Value::as_str)
            .ok_or_else(|| (format!("{url}: no jwks_uri"), false))?
            .to_owned();
        match self.jwks_uri.lock() {
            Ok(mut g) => *g = Some(u.clone()),
            Err(p) => *p.into_inner() = Some(u.clone()),
        }
        Ok(u)
    }

    async fn fetch_once(&self) -> Result<(), (String, bool)> {
        let uri = self.uri().await?;
        let (doc, max_age) = self.get(&uri).await?;
        let mut keys = HashMap::new();
        for k in doc
            .get("keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            // Keys for encryption, without kid, or of kinds this build cannot use are
            // skipped, not fatal: an IdP may publish more than signing keys.
            if k.get("use")
                .and_then(Value::as_str)
                .is_some_and(|u| u != "sig")
            {
                continue;
            }
            let Ok(jwk) = serde_json::from_value::<Jwk>(k.clone()) else {
                continue;
            };
            let (Some(kid), Ok(key)) = (jwk.common.key_id.clone(), DecodingKey::from_jwk(&jwk))
            else {
                continue;
            };
            let alg = jwk
                .common
                .key_algorithm
                .and_then(|a| serde_json::to_value(a).ok())
                .and_then(|v| v.as_str().and_then(|s| s.parse().ok()));
            keys.insert(kid, Arc::new(Key { key, alg }));
        }
        if keys.is_empty() {
            return Err((format!("{uri}: no usable signing key"), false));
        }
        let j = &self.settings.jwks;
        let ttl =
            Duration::from_secs(max_age.map_or(j.ttl_s, |a| a.clamp(j.min_ttl_s, j.max_ttl_s)));
        let generation = self.current().generation + 1;
        let n = keys.len();
        let set = Arc::new(KeySet {
            keys,
            fetched: Some(Instant::now()),
            ttl,
            generation,
        });
        match self.set.write() {
            Ok(mut g) => *g = set,
            Err(p) => *p.into_inner() = set,
        }
        self.installed.notify_waiters();
        self.metrics.jwks_loaded(n);
        tracing::info!(keys = n, ttl_s = ttl.as_secs(), "JWKS fetched");
        Ok(())
    }
}
