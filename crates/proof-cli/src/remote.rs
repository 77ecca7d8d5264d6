//! `--server URL`: send `verify`, `adapt`, `policy compile`, `lists publish` and the `log`
//! commands to a running `proof serve`.
//! With `--token-url` the command first gets an access token by the OAuth2
//! client-credentials grant; the secret comes from `PROOF_CLIENT_SECRET` or
//! `--client-secret-file`, never from a flag value (which `ps` would show). Tokens are cached
//! (mode 0600) under `$XDG_CACHE_HOME/proof/tokens` until shortly before they expire. Errors
//! from the server (problem+json) and the token endpoint are shown readably.

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where and how to reach a server.
#[derive(clap::Args, Clone, Default)]
#[command(next_help_heading = "Remote (send the request to a running `proof serve`)")]
pub struct Remote {
    /// The service's base URL, e.g. https://proof.example.com. Without it the command runs
    /// locally.
    #[arg(long, env = "PROOF_SERVER")]
    pub server: Option<String>,
    /// OAuth2 token endpoint; with it, an access token is obtained by client credentials.
    #[arg(long, env = "PROOF_TOKEN_URL", requires = "server")]
    pub token_url: Option<String>,
    /// OAuth2 client id.
    #[arg(long, env = "PROOF_CLIENT_ID")]
    pub client_id: Option<String>,
    /// A file holding the client secret (otherwise PROOF_CLIENT_SECRET is read).
    #[arg(long)]
    pub client_secret_file: Option<PathBuf>,
    /// Scopes to request (space-separated). Default: the one the command needs.
    #[arg(long)]
    pub scope: Option<String>,
    /// The API's audience, sent as the RFC 8707 `resource` of the token request.
    #[arg(long, env = "PROOF_AUDIENCE")]
    pub audience: Option<String>,
    /// CA bundle (PEM) trusted for the server and the token endpoint (default: system roots).
    #[arg(long)]
    pub cacert: Option<PathBuf>,
    /// Client certificate (PEM) for servers that require mTLS; with --key.
    #[arg(long, requires = "key")]
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, requires = "cert")]
    pub key: Option<PathBuf>,
}

/// What came back from a successful call.
pub struct Answer {
    /// The body, as the server sent it.
    pub body: String,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Renders a problem+json (or any error body) for people.
fn problem(what: &str, status: u16, body: &str) -> anyhow::Error {
    let Ok(v) = serde_json::from_str::<Value>(body) else {
        let body = body.trim();
        return anyhow!(
            "{what} answered {status}{}",
            if body.is_empty() {
                String::new()
            } else {
                format!(": {}", body.chars().take(300).collect::<String>())
            }
        );
    };
    // problem+json (the service) or an OAuth2 error (the token endpoint).
    let code = v
        .get("code")
        .or_else(|| v.get("error"))
        .and_then(Value::as_str)
        .unwrap_or("error");
    let detail = v
        .get("detail")
        .or_else(|| v.get("error_description"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut msg = format!("{what} answered {status} {code}: {detail}");
    for key in ["scope", "path", "root", "existing_policy_hash"] {
        if let Some(x) = v.get(key).and_then(Value::as_str) {
            msg.push_str(&format!(" ({key}: {x})"));
        }
    }
    if let Some(lints) = v.get("lints").and_then(Value::as_array) {
        for l in lints {
            msg.push_str(&format!(
                "\n  {} {}: {}",
                l.get("level").and_then(Value::as_str).unwrap_or_default(),
                l.get("code").and_then(Value::as_str).unwrap_or_default(),
                l.get("message").and_then(Value::as_str).unwrap_or_default()
            ));
        }
    }
    anyhow!(msg)
}

impl Remote {
    fn client(&self) -> Result<reqwest::blocking::Client> {
        let mut b = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("proof/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &self.cacert {
            let pem = std::fs::read(ca).with_context(|| format!("--cacert `{}`", ca.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .with_context(|| format!("--cacert `{}`", ca.display()))?;
            b = b.tls_certs_only(certs);
        }
        if let (Some(c), Some(k)) = (&self.cert, &self.key) {
            let mut pem = std::fs::read(c).with_context(|| format!("--cert `{}`", c.display()))?;
            pem.extend(std::fs::read(k).with_context(|| format!("--key `{}`", k.display()))?);
            b = b.identity(
                reqwest::Identity::from_pem(&pem)
                    .context("--cert/--key: not a PEM certificate and key")?,
            );
        }
        b.build().context("cannot set up the HTTP client")
    }

    fn secret(&self) -> Result<String> {
        if let Some(f) = &self.client_secret_file {
            let s = std::fs::read_to_string(f)
                .with_context(|| format!("--client-secret-file `{}`", f.display()))?;
            return Ok(s.trim_end_matches(['\n', '\r']).to_owned());
        }
        std::env::var("PROOF_CLIENT_SECRET").map_err(|_| {
            anyhow!("--token-url needs a client secret: set PROOF_CLIENT_SECRET or pass --client-secret-file")
        })
    }

    fn cache_file(&self, token_url: &str, client_id: &str, scope: &str) -> Option<PathBuf> {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
        let key = format!(
            "{token_url}\n{client_id}\n{scope}\n{}",
            self.audience.as_deref().unwrap_or_default()
        );
        let name = hex::encode(proof_core::hash::sha256(key.as_bytes()));
        Some(base.join("proof/tokens").join(format!("{name}.json")))
    }

    fn cached(path: &Path) -> Option<String> {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
        let exp = v.get("expires_at")?.as_u64()?;
        // Renew 60 s before expiry, so a token never runs out in flight.
        (exp > unix_now() + 60)
            .then(|| v.get("access_token")?.as_str().map(str::to_owned))
            .flatten()
    }

    fn store(path: &Path, token: &str, expires_in: u64) {
        let doc = json!({"access_token": token, "expires_at": unix_now() + expires_in});
        let Some(dir) = path.parent() else { return };
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let tmp = path.with_extension("tmp");
        #[cfg(unix)]
        let opened = {
            use std::os::unix::fs::OpenOptionsExt as _;
            std::fs::OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)
        };
        #[cfg(not(unix))]
        let opened = std::fs::File::create(&tmp);
        if let Ok(mut f) = opened {
            use std::io::Write as _;
            if f.write_all(doc.to_string().as_bytes()).is_ok() {
                let _ = std::fs::rename(&tmp, path);
            }
        }
    }

    /// An access token for `needed` (cached, or fetched by client credentials); `None`
    /// without `--token-url`.
    fn token(
        &self,
        http: &reqwest::blocking::Client,
        needed: &str,
        fresh: bool,
    ) -> Result<Option<String>> {
        let Some(url) = &self.token_url else {
            return Ok(None);
        };
        let id = self
            .client_id
            .as_deref()
            .ok_or_else(|| anyhow!("--token-url needs --client-id (or PROOF_CLIENT_ID)"))?;
        let scope = self.scope.clone().unwrap_or_else(|| needed.to_owned());
        let cache = self.cache_file(url, id, &scope);
        if !fresh && let Some(t) = cache.as_deref().and_then(Self::cached) {
            return Ok(Some(t));
        }
        let mut form = vec![
            ("grant_type", "client_credentials".to_owned()),
            ("scope", scope),
        ];
        if let Some(a) = &self.audience {
            form.push(("resource", a.clone()));
        }
        let r = http
            .post(url)
            .basic_auth(id, Some(self.secret()?))
            .form(&form)
            .send()
            .with_context(|| format!("cannot reach the token endpoint {url}"))?;
        let status = r.status().as_u16();
        let body = r.text().unwrap_or_default();
        if !(200..300).contains(&status) {
            return Err(problem("the token endpoint", status, &body));
        }
        let v: Value = serde_json::from_str(&body)
            .with_context(|| format!("the token endpoint {url} did not answer JSON"))?;
        let token = v
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("the token endpoint {url} sent no access_token"))?
            .to_owned();
        let expires_in = v.get("expires_in").and_then(Value::as_u64).unwrap_or(300);
        if let Some(p) = &cache {
            Self::store(p, &token, expires_in);
        }
        Ok(Some(token))
    }

    /// POSTs `body` to `path` with a token for scope `needed`; a 401 with a cached token
    /// is retried once with a fresh one.
    ///
    /// # Errors
    /// Transport failures, and any non-2xx answer, rendered from its problem+json.
    pub fn post(&self, path: &str, body: &Value, needed: &str) -> Result<Answer> {
        self.post_bytes(
            path,
            "application/json",
            body.to_string().into_bytes(),
            needed,
        )
    }

    /// POSTs `body` of type `content_type` to `path` (a path with its query), as
    /// [`post`](Self::post) does.
    ///
    /// # Errors
    /// As [`post`](Self::post).
    pub fn post_bytes(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
        needed: &str,
    ) -> Result<Answer> {
        self.send(path, Some((content_type, body)), needed)
    }

    /// GETs `path` (with its query) with a token for scope `needed`, as
    /// [`post`](Self::post) does.
    ///
    /// # Errors
    /// As [`post`](Self::post).
    pub fn get(&self, path: &str, needed: &str) -> Result<Answer> {
        self.send(path, None, needed)
    }

    fn send(&self, path: &str, body: Option<(&str, Vec<u8>)>, needed: &str) -> Result<Answer> {
        let Some(server) = &self.server else {
            bail!("no --server given");
        };
        let url = format!("{}{path}", server.trim_end_matches('/'));
        let http = self.client()?;
        let mut fresh = false;
        loop {
            let token = self.token(&http, needed, fresh)?;
            let mut req = match &body {
                Some((content_type, body)) => http
                    .post(&url)
                    .header("content-type", *content_type)
                    .body(body.clone()),
                None => http.get(&url),
            };
            if let Some(t) = &token {
                req = req.bearer_auth(t);
            }
            let r = req.send().with_context(|| format!("cannot reach {url}"))?;
            let status = r.status().as_u16();
            let text = r.text().unwrap_or_default();
            if status == 401 && token.is_some() && !fresh {
                fresh = true;
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(problem(&format!("the server ({path})"), status, &text));
            }
            return Ok(Answer { body: text });
        }
    }
}
