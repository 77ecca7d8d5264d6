//! OAuth2 contract tests against a real IdP (oidc-provider, `support/idp.rs`): every token in
//! the positive tests comes from its token endpoint by client credentials. Negative tokens
//! are signed here, with the IdP's own keys where the point is a bad claim.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests"
)]

#[path = "support/server.rs"]
mod support;

#[path = "support/idp.rs"]
mod idp;

use idp::{AUDIENCE, Idp, SigningKey};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{Server, Spec, metric, root};

const ALL: &str = "verify:run policy:compile policy:read";

/// Every protected route with a request that succeeds when authorised.
fn routes() -> Vec<(&'static str, &'static str, Option<Value>)> {
    let ctx: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/context_ok.json")).unwrap(),
    )
    .unwrap();
    let yaml = std::fs::read_to_string(root().join("policies/lksg.v1.yml")).unwrap();
    let verify = json!({"policy_id": "lksg.v1", "context": ctx});
    vec![
        ("POST", "/verify", Some(verify.clone())),
        ("POST", "/proof/adapt", Some(verify)),
        (
            "POST",
            "/policy/compile",
            Some(json!({"policy_yaml": yaml})),
        ),
        ("GET", "/policy/lksg.v1", None),
        ("GET", "/policies", None),
        ("GET", "/lists", None),
    ]
}

/// (status, WWW-Authenticate, body).
fn call(
    s: &Server,
    method: &str,
    path: &str,
    body: Option<&Value>,
    token: Option<&str>,
) -> (u16, String, Value) {
    let c = support::client();
    let url = format!("{}{path}", s.api);
    let mut r = match method {
        "POST" => c
            .post(&url)
            .header("content-type", "application/json")
            .body(body.map(Value::to_string).unwrap_or_default()),
        _ => c.get(&url),
    };
    if let Some(t) = token {
        r = r.header("authorization", format!("Bearer {t}"));
    }
    let resp = r.send().unwrap();
    let status = resp.status().as_u16();
    let www = resp
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let text = resp.text().unwrap();
    (
        status,
        www,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

fn scrape(s: &Server) -> String {
    support::get(&support::client(), &format!("{}/metrics", s.admin)).1
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A token signed here with `key`, claims as an IdP would issue them, then `edit`ed.
fn forge(key: &SigningKey, kid: &str, issuer: &str, edit: impl FnOnce(&mut Value)) -> String {
    let mut claims = json!({
        "iss": issuer, "sub": "svc-rs", "client_id": "svc-rs", "aud": AUDIENCE,
        "iat": now(), "exp": now() + 300, "scope": ALL, "jti": "forged",
    });
    edit(&mut claims);
    let alg = if key.alg == "ES256" {
        Algorithm::ES256
    } else {
        Algorithm::RS256
    };
    let mut h = Header::new(alg);
    h.typ = Some("at+jwt".into());
    h.kid = Some(kid.into());
    let k = if alg == Algorithm::ES256 {
        EncodingKey::from_ec_pem(key.pem.as_bytes()).unwrap()
    } else {
        EncodingKey::from_rsa_pem(key.pem.as_bytes()).unwrap()
    };
    jsonwebtoken::encode(&h, &claims, &k).unwrap()
}

/// A JSON value as base64url without padding (RFC 7515).
fn b64(v: &Value) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

fn start(idp: &Idp, extra: &str) -> Server {
    Server::start(&Spec::new(&support::sqlite_url("auth")).yaml(&idp.auth_yaml(extra)))
}

#[test]
fn it07_bad_tokens_get_401_on_every_protected_route() {
    let k1 = SigningKey::new("k1", "RS256");
    let idp = Idp::start(&[&k1]);
    let s = start(&idp, "");
    let good = idp.token("svc-rs", ALL);
    let iss = idp.issuer.clone();
    // Tampered: the payload of a real token with a changed claim, signature kept.
    let parts: Vec<&str> = good.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(
            &json!({"iss": iss, "sub": "svc-rs", "aud": AUDIENCE, "iat": now(), "exp": now() + 9999, "scope": ALL})
        ),
        parts[2]
    );
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "at+jwt", "kid": "k1"})),
        b64(
            &json!({"iss": iss, "sub": "x", "aud": AUDIENCE, "iat": now(), "exp": now() + 300, "scope": ALL})
        )
    );
    // HS256 keyed with the IdP's public key: the classic algorithm confusion.
    let mut h = Header::new(Algorithm::HS256);
    h.typ = Some("at+jwt".into());
    h.kid = Some("k1".into());
    let hs256 = jsonwebtoken::encode(
        &h,
        &json!({"iss": iss, "sub": "x", "aud": AUDIENCE, "iat": now(), "exp": now() + 300, "scope": ALL}),
        &EncodingKey::from_secret(k1.public_pem.as_bytes()),
    )
    .unwrap();
    let stranger = SigningKey::new("k-unknown", "RS256");
    let bad: Vec<(&str, Option<String>)> = vec![
        ("no token", None),
        ("malformed", Some("not.a.jwt".into())),
        (
            "expired",
            Some(forge(&k1, "k1", &iss, |c| {
                c["iat"] = json!(now() - 3600);
                c["exp"] = json!(now() - 600);
            })),
        ),
        (
            "not yet valid",
            Some(forge(&k1, "k1", &iss, |c| c["nbf"] = json!(now() + 600))),
        ),
        (
            "issued in the future",
            Some(forge(&k1, "k1", &iss, |c| c["iat"] = json!(now() + 600))),
        ),
        (
            "wrong issuer",
            Some(forge(&k1, "k1", "http://127.0.0.1:1/evil", |_| {})),
        ),
        (
            "wrong audience",
            Some(forge(&k1, "k1", &iss, |c| {
                c["aud"] = json!("https://other.test")
            })),
        ),
        (
            "missing sub",
            Some(forge(&k1, "k1", &iss, |c| {
                c.as_object_mut().unwrap().remove("sub");
            })),
        ),
        ("tampered payload", Some(tampered)),
        ("alg none", Some(none)),
        ("HS256 with the RSA public key", Some(hs256)),
        (
            "unknown kid",
            Some(forge(&stranger, "k-unknown", &iss, |_| {})),
        ),
    ];
    for (method, path, body) in routes() {
        // The real token passes (so every 401 below is about the token).
        let (status, _, b) = call(&s, method, path, body.as_ref(), Some(&good));
        assert!(
            (200..300).contains(&status),
            "{method} {path} with a good token: {status} {b}"
        );
        for (what, token) in &bad {
            let (status, www, b) = call(&s, method, path, body.as_ref(), token.as_deref());
            assert_eq!(status, 401, "{what} on {method} {path}: {b}");
            assert!(www.starts_with("Bearer"), "{what}: {www}");
            if token.is_some() {
                assert!(www.contains(r#"error="invalid_token""#), "{what}: {www}");
                assert_eq!(b["code"], "invalid_token", "{what}: {b}");
                // The problem says what was wrong without echoing the token.
                assert!(!b.to_string().contains(token.as_deref().unwrap()), "{what}");
            } else {
                assert_eq!(b["code"], "missing_token");
            }
        }
    }
    let m = scrape(&s);
    assert!(
        metric(&m, "proof_auth_requests_total{result=\"invalid_token\"}") >= 72.0,
        "{m}"
    );
    assert!(
        metric(&m, "proof_auth_requests_total{result=\"ok\"}") >= 6.0,
        "{m}"
    );
    // The access log names the client, never the token.
    let line = s
        .wait_for_log(|l| l.contains("\"client_id\":\"svc-rs\""))
        .expect("client_id logged");
    assert!(!line.contains(&good));
    // Refusals are logged with the reason, never the token.
    let refused = s
        .wait_for_log(|l| l.contains("\"auth_error\":\"wrong audience\""))
        .expect("the reason is logged");
    assert!(refused.contains("\"status\":401"), "{refused}");
    // /openapi.json stays public.
    assert_eq!(call(&s, "GET", "/openapi.json", None, None).0, 200);
    // So does /keys: the public keys receipts are checked with.
    assert_eq!(call(&s, "GET", "/keys", None, None).0, 200);
}

#[test]
fn it08_scopes_decide_and_the_scope_map_is_configuration() {
    let k1 = SigningKey::new("k1", "RS256");
    let es = SigningKey::new("e1", "ES256");
    let idp = Idp::start(&[&k1, &es]);
    let s = start(&idp, "");
    let read_only = idp.token("svc-rs", "policy:read");
    let runner = idp.token("svc-es", "verify:run"); // an ES256 token
    let all = idp.token("svc-rs", ALL);
    for (method, path, body) in routes() {
        let needs = match path {
            "/verify" | "/proof/adapt" => "verify:run",
            "/policy/compile" => "policy:compile",
            _ => "policy:read",
        };
        for (token, scopes) in [
            (&read_only, "policy:read"),
            (&runner, "verify:run"),
            (&all, ALL),
        ] {
            let (status, www, b) = call(&s, method, path, body.as_ref(), Some(token));
            if scopes.split(' ').any(|x| x == needs) {
                assert!(
                    (200..300).contains(&status),
                    "{method} {path} with {scopes}: {status} {b}"
                );
            } else {
                assert_eq!(status, 403, "{method} {path} with {scopes}: {b}");
                assert_eq!(b["code"], "insufficient_scope");
                assert_eq!(b["scope"], needs);
                assert!(
                    www.contains(r#"error="insufficient_scope""#)
                        && www.contains(&format!(r#"scope="{needs}""#)),
                    "{www}"
                );
            }
        }
    }
    assert!(
        metric(
            &scrape(&s),
            "proof_auth_requests_total{result=\"insufficient_scope\"}"
        ) >= 7.0
    );

    // The same tokens under another scope map: /lists now needs verify:run.
    let s2 = start(
        &idp,
        "  scopes:\n    GET /lists: [verify:run]\n    POST /verify: [verify:run]\n",
    );
    assert_eq!(call(&s2, "GET", "/lists", None, Some(&read_only)).0, 403);
    assert_eq!(call(&s2, "GET", "/lists", None, Some(&runner)).0, 200);
    // A route missing from the map still needs a valid token, any scope.
    assert_eq!(call(&s2, "GET", "/policies", None, None).0, 401);
    assert_eq!(call(&s2, "GET", "/policies", None, Some(&runner)).0, 200);
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn key_rotation_is_picked_up_with_one_refetch_and_no_restart() {
    let old = SigningKey::new("old", "RS256");
    let new = SigningKey::new("new", "RS256");
    let mut idp = Idp::start(&[&old]);
    let s = start(&idp, "");
    let pid = s.pid();
    let old_token = idp.token("svc-rs", ALL);
    assert_eq!(call(&s, "GET", "/lists", None, Some(&old_token)).0, 200);
    let fetches = |m: &str| metric(m, "proof_jwks_refresh_total{result=\"ok\"}");
    let before = fetches(&scrape(&s));
    // The IdP restarts signing with a new key and still publishes the old one.
    idp.restart(&[&new, &old]);
    let new_token = idp.token("svc-rs", ALL);
    let header = jsonwebtoken::decode_header(&new_token).unwrap();
    assert_eq!(header.kid.as_deref(), Some("new"));
    // Eight requests at once with the new kid share one refetch.
    std::thread::scope(|sc| {
        let handles: Vec<_> = (0..8)
            .map(|_| sc.spawn(|| call(&s, "GET", "/lists", None, Some(&new_token)).0))
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), 200);
        }
    });
    let m = scrape(&s);
    assert_eq!(fetches(&m), before + 1.0, "exactly one refetch:\n{m}");
    assert_eq!(metric(&m, "proof_jwks_keys"), 2.0);
    // Old tokens keep working while the old key is published; no refetch for them.
    assert_eq!(call(&s, "GET", "/lists", None, Some(&old_token)).0, 200);
    assert_eq!(call(&s, "GET", "/lists", None, Some(&new_token)).0, 200);
    assert_eq!(fetches(&scrape(&s)), before + 1.0);
    // Once the IdP stops publishing the old key, tokens signed by it stop working, even
    // though the service had verified them before.
    let newer = SigningKey::new("newer", "RS256");
    idp.restart(&[&newer]);
    let newer_token = idp.token("svc-rs", ALL);
    // (Unknown-kid refetches are at most one per refetch_interval_s, 1 s here.)
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(call(&s, "GET", "/lists", None, Some(&newer_token)).0, 200);
    assert_eq!(metric(&scrape(&s), "proof_jwks_keys"), 1.0);
    let (status, _, b) = call(&s, "GET", "/lists", None, Some(&old_token));
    assert_eq!(status, 401, "{b}");
    assert_eq!(call(&s, "GET", "/lists", None, Some(&new_token)).0, 401);
    assert_eq!(s.pid(), pid);
}

#[test]
fn an_idp_outage_keeps_cached_keys_working_and_fails_closed_on_new_ones() {
    let k1 = SigningKey::new("k1", "RS256");
    let k2 = SigningKey::new("k2", "RS256");
    let mut idp = Idp::start(&[&k1]);
    let s = start(&idp, "");
    let token = idp.token("svc-rs", ALL);
    assert_eq!(call(&s, "GET", "/lists", None, Some(&token)).0, 200);
    idp.stop();
    // Cached key: still fine.
    assert_eq!(call(&s, "GET", "/lists", None, Some(&token)).0, 200);
    // A new kid cannot be fetched: refused.
    let fresh = forge(&k2, "k2", &idp.issuer, |_| {});
    let (status, _, b) = call(&s, "GET", "/lists", None, Some(&fresh));
    assert_eq!(status, 401, "{b}");
    assert!(metric(&scrape(&s), "proof_jwks_refresh_total{result=\"error\"}") >= 1.0);
    // The IdP comes back with the new key: the service recovers without a restart.
    idp.restart(&[&k2, &k1]);
    wait_until("the new key is accepted", || {
        call(&s, "GET", "/lists", None, Some(&fresh)).0 == 200
    });
    let from_idp = idp.token("svc-rs", ALL);
    assert_eq!(call(&s, "GET", "/lists", None, Some(&from_idp)).0, 200);
}

#[test]
fn an_idp_answering_500_is_retried_and_no_keys_means_503() {
    let k1 = SigningKey::new("k1", "RS256");
    let idp = Idp::start(&[&k1]);
    std::fs::write(&idp.fail_file, "").unwrap();
    // The service starts while the IdP fails: not ready, and protected routes fail closed.
    let s = start(&idp, "");
    let m = scrape(&s);
    assert!(
        metric(&m, "proof_jwks_refresh_total{result=\"retry\"}") >= 2.0,
        "{m}"
    );
    assert!(
        metric(&m, "proof_jwks_refresh_total{result=\"error\"}") >= 3.0,
        "{m}"
    );
    let ready = support::get(&support::client(), &format!("{}/readyz", s.admin));
    assert_eq!(ready.0, 503, "{}", ready.1);
    assert!(ready.1.contains("JWKS unavailable"), "{}", ready.1);
    let token = idp.token("svc-rs", ALL);
    let (status, _, b) = call(&s, "GET", "/lists", None, Some(&token));
    assert_eq!(status, 503, "{b}");
    assert_eq!(b["code"], "auth_unavailable");
    assert!(
        metric(
            &scrape(&s),
            "proof_auth_requests_total{result=\"unavailable\"}"
        ) >= 1.0
    );
    // The IdP recovers: so does the service.
    std::fs::remove_file(&idp.fail_file).unwrap();
    wait_until("a token is accepted", || {
        call(&s, "GET", "/lists", None, Some(&token)).0 == 200
    });
    let ready = support::get(&support::client(), &format!("{}/readyz", s.admin));
    assert_eq!(ready.0, 200, "{}", ready.1);
    assert!(ready.1.contains("\"state\":\"fresh\""), "{}", ready.1);
    assert!(metric(&scrape(&s), "proof_jwks_last_success_timestamp_seconds") > 1.7e9);
}

#[test]
fn the_prod_profile_refuses_missing_issuer_and_dev_tokens() {
    let run = |args: &[&str], yaml: &str| {
        let dir = support::tmpdir("authcfg");
        let cfg = dir.join("c.yaml");
        std::fs::write(
            &cfg,
            format!(
                "api: {{bind: 127.0.0.1:0}}\nadmin: {{bind: 127.0.0.1:0}}\nstore: {{url: \"sqlite://{}/p.db\"}}\nlists_dir: {}\n{yaml}",
                dir.display(),
                root().join("lists").display()
            ),
        )
        .unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_proof"))
            .args(["serve", "--config"])
            .arg(&cfg)
            .args(args)
            .current_dir(root())
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // No auth section at all: OAuth2 is the default, and it needs an issuer.
    let (code, err) = run(&["--check-config"], "");
    assert_eq!(code, Some(1));
    assert!(
        err.contains("`auth.issuer` is required") && err.contains("`auth.audience` is required"),
        "{err}"
    );
    // `serve` itself refuses too, naming the setting.
    let (code, err) = run(&[], "");
    assert_eq!(code, Some(1));
    assert!(err.contains("auth.issuer"), "{err}");
    let dev = "auth:\n  mode: dev\n  dev_tokens: {devtoken: [policy:read]}\n";
    let (code, err) = run(&["--check-config"], dev);
    assert_eq!(code, Some(1));
    assert!(
        err.contains("only allowed with --dev") && err.contains("refused outside --dev"),
        "{err}"
    );
    let (code, err) = run(
        &["--check-config"],
        "auth:\n  issuer: https://idp.test\n  audience: a\n  algorithms: [RS256, HS256, none]\n",
    );
    assert_eq!(code, Some(1));
    assert!(
        err.contains("`HS256` is not accepted") && err.contains("`none` is not accepted"),
        "{err}"
    );
    // The shipped sample configuration is valid.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(["serve", "--config", "config/server.yaml", "--check-config"])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("auth:       oauth2"));
}

#[test]
fn dev_tokens_work_only_under_dev() {
    let dir = support::tmpdir("devauth");
    let cfg = dir.join("c.yaml");
    std::fs::write(
        &cfg,
        format!(
            "api: {{bind: 127.0.0.1:0}}\nadmin: {{bind: 127.0.0.1:0}}\nstore: {{url: \"sqlite://{}/p.db\"}}\nlists_dir: lists\nlog: {{format: json}}\nauth:\n  mode: dev\n  dev_tokens: {{reader: [policy:read]}}\n",
            dir.display()
        ),
    )
    .unwrap();
    // Under --dev the static token works, with its scopes.
    let s = Server::start_with_args(&cfg, &["--dev"], &[]);
    assert_eq!(call(&s, "GET", "/lists", None, Some("reader")).0, 200);
    let (status, _, b) = call(&s, "GET", "/lists", None, Some("guess"));
    assert_eq!(status, 401, "{b}");
    assert_eq!(call(&s, "GET", "/lists", None, None).0, 401);
    let (status, _, b) = call(&s, "POST", "/verify", Some(&json!({})), Some("reader"));
    assert_eq!(status, 403, "{b}");
    // Without --dev the same file does not start.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(["serve", "--config"])
        .arg(&cfg)
        .current_dir(root())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only allowed with --dev"));
}

/// `proof ARGS` with the client secret in the environment and a private token cache.
fn cli(args: &[&str], secret: &str, cache: &std::path::Path) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(args)
        .env("PROOF_CLIENT_SECRET", secret)
        .env("XDG_CACHE_HOME", cache)
        .current_dir(root())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_gets_tokens_by_client_credentials_and_caches_them() {
    let k1 = SigningKey::new("k1", "RS256");
    let mut idp = Idp::start(&[&k1]);
    let s = start(&idp, "");
    let cache = support::tmpdir("tokcache");
    let token_url = idp.token_url();
    let remote = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = [
            "--server",
            s.api.as_str(),
            "--token-url",
            token_url.as_str(),
            "--client-id",
            "svc-rs",
        ]
        .iter()
        .map(|x| (*x).to_owned())
        .collect();
        v.extend(extra.iter().map(|x| (*x).to_owned()));
        v
    };
    let args = |base: &[&str], extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = base.iter().map(|x| (*x).to_owned()).collect();
        v.extend(remote(extra));
        v
    };
    let run = |a: &[String], secret: &str| {
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        cli(&a, secret, &cache)
    };
    let verify = |ctx: &str| args(&["verify", "--policy", "lksg.v1", "--context", ctx], &[]);
    // The same report bytes and exit codes as a local run.
    let (code, out, err) = run(&verify("examples/context_ok.json"), "svc-rs-secret");
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        std::fs::read_to_string(root().join("examples/report_ok.json")).unwrap()
    );
    let (code, _, err) = run(&verify("examples/context_fail.json"), "svc-rs-secret");
    assert_eq!(code, 3, "{err}");
    let (code, _, _) = run(&verify("examples/context_warn.json"), "svc-rs-secret");
    assert_eq!(code, 2);
    // The token is cached, private to the user, and reused: with the IdP down the next
    // call still works.
    let files: Vec<_> = std::fs::read_dir(cache.join("proof/tokens"))
        .unwrap()
        .collect();
    assert_eq!(
        files.len(),
        1,
        "one token for one (endpoint, client, scope)"
    );
    let f = files[0].as_ref().unwrap().path();
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&f).unwrap().permissions().mode() & 0o777,
        0o600
    );
    idp.stop();
    let (code, _, err) = run(&verify("examples/context_ok.json"), "svc-rs-secret");
    assert_eq!(code, 0, "cached token: {err}");
    idp.restart(&[&k1]);

    // A scope the route does not take: the server's problem, readably.
    let (code, _, err) = run(
        &args(
            &[
                "verify",
                "--policy",
                "lksg.v1",
                "--context",
                "examples/context_ok.json",
            ],
            &["--scope", "policy:read"],
        ),
        "svc-rs-secret",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("403 insufficient_scope") && err.contains("(scope: verify:run)"),
        "{err}"
    );
    // A wrong secret: the token endpoint's error, readably.
    let fresh_cache = support::tmpdir("tokcache2");
    let a = args(
        &[
            "verify",
            "--policy",
            "lksg.v1",
            "--context",
            "examples/context_ok.json",
        ],
        &[],
    );
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, _, err) = cli(&a, "wrong", &fresh_cache);
    assert_eq!(code, 1);
    assert!(
        err.contains("token endpoint answered 401 invalid_client"),
        "{err}"
    );
    // No secret at all.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(&a)
        .env_remove("PROOF_CLIENT_SECRET")
        .env("XDG_CACHE_HOME", &fresh_cache)
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("set PROOF_CLIENT_SECRET or pass --client-secret-file")
    );
    // The secret is never a flag.
    let (code, _, err) = run(
        &args(
            &[
                "verify",
                "--policy",
                "lksg.v1",
                "--context",
                "examples/context_ok.json",
            ],
            &["--client-secret", "x"],
        ),
        "svc-rs-secret",
    );
    assert_eq!(code, 1);
    assert!(err.contains("unexpected argument"), "{err}");
    // ... but a file works.
    let secret_file = fresh_cache.join("secret");
    std::fs::write(&secret_file, "svc-rs-secret\n").unwrap();
    let (code, _, err) = run(
        &args(
            &[
                "verify",
                "--policy",
                "lksg.v1",
                "--context",
                "examples/context_ok.json",
            ],
            &["--client-secret-file", secret_file.to_str().unwrap()],
        ),
        "wrong-in-env-is-ignored",
    );
    assert_eq!(code, 0, "{err}");

    // adapt and policy compile go through the server too.
    let (code, out, err) = run(
        &args(
            &[
                "adapt",
                "--policy",
                "lksg.v1",
                "--context",
                "examples/context_ok.json",
                "--dry-run",
            ],
            &[],
        ),
        "svc-rs-secret",
    );
    assert_eq!(code, 0, "{err}");
    let (_, local, _) = cli(
        &[
            "adapt",
            "--policy",
            "lksg.v1",
            "--context",
            "examples/context_ok.json",
            "--dry-run",
        ],
        "",
        &cache,
    );
    assert_eq!(
        out, local,
        "the server's plan is the local plan (basic selector)"
    );
    let (code, out, err) = run(
        &args(
            &[
                "adapt",
                "--policy",
                "lksg.v1",
                "--context",
                "examples/context_fail.json",
            ],
            &[],
        ),
        "svc-rs-secret",
    );
    assert_eq!(code, 3, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["report"]["verdict"], "FAIL");
    assert!(v["plan"].is_object());
    let (code, out, err) = run(
        &args(&["policy", "compile", "policies/lksg.v1.yml"], &[]),
        "svc-rs-secret",
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["policy_id"], "lksg.v1");
    assert_eq!(v["stored"], false, "already stored at startup: {v}");
}

/// A server trusting `idp` with exactly these extra `auth` lines (two-space indented).
fn start_raw(idp: &Idp, lines: &str) -> Server {
    Server::start(&Spec::new(&support::sqlite_url("authcfg")).yaml(&format!(
        "auth:\n  mode: oauth2\n  issuer: {}\n  audience: {AUDIENCE}\n{lines}",
        idp.issuer
    )))
}

fn lists_status(s: &Server, token: &str) -> u16 {
    call(s, "GET", "/lists", None, Some(token)).0
}

fn refreshes(s: &Server) -> f64 {
    metric(&scrape(s), "proof_jwks_refresh_total{result=\"ok\"}")
}

#[test]
fn token_rules_in_the_auth_settings_take_effect() {
    let k1 = SigningKey::new("k1", "RS256");
    let idp = Idp::start(&[&k1]);
    let iss = idp.issuer.clone();
    let defaults = start_raw(&idp, "");
    // leeway_s: expired 10 s ago passes the default 30 s leeway, not a zero one.
    let late = forge(&k1, "k1", &iss, |c| c["exp"] = json!(now() - 10));
    assert_eq!(lists_status(&defaults, &late), 200);
    let strict = start_raw(&idp, "  leeway_s: 0\n");
    assert_eq!(lists_status(&strict, &late), 401);
    // A token accepted (and remembered) before is refused once it expires.
    let short = forge(&k1, "k1", &iss, |c| c["exp"] = json!(now() + 2));
    assert_eq!(lists_status(&strict, &short), 200);
    assert_eq!(lists_status(&strict, &short), 200);
    std::thread::sleep(Duration::from_millis(3100));
    let (status, _, b) = call(&strict, "GET", "/lists", None, Some(&short));
    assert_eq!(status, 401, "{b}");
    assert_eq!(b["detail"], "token expired");
    // `aud` may be an array; scopes may come as an `scp` array.
    let multi = forge(&k1, "k1", &iss, |c| {
        c["aud"] = json!(["https://other.test", AUDIENCE]);
        c.as_object_mut().unwrap().remove("scope");
        c["scp"] = json!(["policy:read"]);
    });
    assert_eq!(lists_status(&defaults, &multi), 200);
    assert_eq!(
        call(&defaults, "POST", "/verify", Some(&json!({})), Some(&multi)).0,
        403
    );
    // accept_plain_jwt: typ JWT is refused unless allowed.
    let mut h = Header::new(Algorithm::RS256);
    h.typ = Some("JWT".into());
    h.kid = Some("k1".into());
    let plain = jsonwebtoken::encode(
        &h,
        &json!({"iss": iss, "sub": "s", "aud": AUDIENCE, "iat": now(), "exp": now() + 300, "scope": ALL}),
        &EncodingKey::from_rsa_pem(k1.pem.as_bytes()).unwrap(),
    )
    .unwrap();
    let (status, _, b) = call(&defaults, "GET", "/lists", None, Some(&plain));
    assert_eq!(status, 401);
    assert!(b["detail"].as_str().unwrap().contains("at+jwt"), "{b}");
    let lenient = start_raw(&idp, "  accept_plain_jwt: true\n");
    assert_eq!(lists_status(&lenient, &plain), 200);
    // algorithms: an ES256-only service refuses the IdP's RS256 tokens.
    let token = idp.token("svc-rs", ALL);
    let es_only = start_raw(&idp, "  algorithms: [ES256]\n");
    assert_eq!(lists_status(&es_only, &token), 401);
    assert_eq!(lists_status(&defaults, &token), 200);
    // required_claims: `jti` required; a token without it is refused.
    let no_jti = forge(&k1, "k1", &iss, |c| {
        c.as_object_mut().unwrap().remove("jti");
    });
    assert_eq!(lists_status(&defaults, &no_jti), 200);
    let jti = start_raw(&idp, "  required_claims: [exp, iss, aud, sub, jti]\n");
    assert_eq!(lists_status(&jti, &no_jti), 401);
    assert_eq!(lists_status(&jti, &token), 200);
    // jwks_uri: used instead of discovery.
    let wrong = start_raw(
        &idp,
        &format!("  jwks_uri: {iss}/nothing-here\n  jwks: {{retries: 0}}\n"),
    );
    let (status, _, b) = call(&wrong, "GET", "/lists", None, Some(&token));
    assert_eq!(status, 503, "{b}");
    let right = start_raw(&idp, &format!("  jwks_uri: {iss}/jwks\n"));
    assert_eq!(lists_status(&right, &token), 200);
}

#[test]
fn jwks_cache_settings_take_effect() {
    let k1 = SigningKey::new("k1", "RS256");
    let mut idp = Idp::start(&[&k1]);
    let token = idp.token("svc-rs", ALL);
    // ttl_s: a one-second TTL refreshes in the background; the default does not.
    let quick = start_raw(&idp, "  jwks: {ttl_s: 1}\n");
    let slow = start_raw(&idp, "");
    let (q0, s0) = (refreshes(&quick), refreshes(&slow));
    std::thread::sleep(Duration::from_millis(3500));
    assert!(refreshes(&quick) >= q0 + 2.0, "ttl 1 s refreshes");
    assert_eq!(refreshes(&slow), s0, "ttl 600 s does not");

    // refetch_interval_s: a second unknown kid soon after the first does not refetch.
    let stranger = SigningKey::new("x1", "RS256");
    let limited = start_raw(&idp, "  jwks: {refetch_interval_s: 3600}\n");
    let r0 = refreshes(&limited);
    assert_eq!(
        lists_status(&limited, &forge(&stranger, "x1", &idp.issuer, |_| {})),
        401
    );
    assert_eq!(refreshes(&limited), r0 + 1.0);
    assert_eq!(
        lists_status(&limited, &forge(&stranger, "x2", &idp.issuer, |_| {})),
        401
    );
    assert_eq!(refreshes(&limited), r0 + 1.0, "rate-limited");

    // retries: none with retries 0.
    std::fs::write(&idp.fail_file, "").unwrap();
    let once = start_raw(&idp, "  jwks: {retries: 0}\n");
    let m = scrape(&once);
    assert_eq!(
        metric(&m, "proof_jwks_refresh_total{result=\"retry\"}"),
        0.0,
        "{m}"
    );
    assert_eq!(
        metric(&m, "proof_jwks_refresh_total{result=\"error\"}"),
        1.0,
        "{m}"
    );
    // timeout_ms: an IdP that never answers costs one timeout, not a hang.
    std::fs::write(&idp.fail_file, "hang").unwrap();
    let started = Instant::now();
    let impatient = start_raw(&idp, "  jwks: {timeout_ms: 300, retries: 0}\n");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(lists_status(&impatient, &token), 503);
    std::fs::remove_file(&idp.fail_file).unwrap();

    // max_stale_s: with the IdP gone, cached keys work until they are too old.
    let stale = start_raw(&idp, "  jwks: {ttl_s: 1, max_stale_s: 2}\n");
    assert_eq!(lists_status(&stale, &token), 200);
    idp.stop();
    wait_until("the stale keys are dropped", || {
        lists_status(&stale, &token) == 503
    });
    let ready = support::get(&support::client(), &format!("{}/readyz", stale.admin));
    assert_eq!(ready.0, 503, "{}", ready.1);
}

#[test]
fn a_refetch_with_a_shorter_max_age_moves_the_background_refresh() {
    let old = SigningKey::new("old", "RS256");
    let new = SigningKey::new("new", "RS256");
    let mut idp = Idp::start_with(&[&old], Some(300));
    let s = start_raw(
        &idp,
        "  jwks: {min_ttl_s: 1, max_stale_s: 2, refetch_interval_s: 1}\n",
    );
    let old_token = idp.token("svc-rs", ALL);
    assert_eq!(lists_status(&s, &old_token), 200);
    // Before a rotation the IdP shortens its max-age from 300 s to 2 s.
    idp.max_age = Some(2);
    idp.restart(&[&new]);
    let new_token = idp.token("svc-rs", ALL);
    // The unknown kid makes the service refetch; the set it installs has a 2 s TTL.
    assert_eq!(lists_status(&s, &new_token), 200);
    assert_eq!(lists_status(&s, &old_token), 401);
    let r0 = refreshes(&s);
    // The background refresh follows the new TTL: the set never goes past TTL +
    // max_stale_s (4 s), so the service stays ready, and it refreshes every 2 s or so.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(8) {
        let ready = support::get(&support::client(), &format!("{}/readyz", s.admin));
        assert_eq!(ready.0, 200, "after {:?}: {}", started.elapsed(), ready.1);
        std::thread::sleep(Duration::from_millis(250));
    }
    let r1 = refreshes(&s);
    assert!(r1 >= r0 + 2.0, "background refreshes: {r0} -> {r1}");
    assert_eq!(lists_status(&s, &new_token), 200);
}

#[test]
fn the_idps_max_age_is_honoured_within_bounds() {
    let k1 = SigningKey::new("k1", "RS256");
    let idp = Idp::start_with(&[&k1], Some(1));
    // max-age 1 s, floor 1 s: refreshed every second.
    let follows = start_raw(&idp, "  jwks: {min_ttl_s: 1}\n");
    // max-age 1 s raised to the 60 s floor: not refreshed.
    let floored = start_raw(&idp, "  jwks: {min_ttl_s: 60}\n");
    let (a0, b0) = (refreshes(&follows), refreshes(&floored));
    std::thread::sleep(Duration::from_millis(3500));
    assert!(refreshes(&follows) >= a0 + 2.0);
    assert_eq!(refreshes(&floored), b0);
    // A long max-age is cut to max_ttl_s.
    let long = Idp::start_with(&[&k1], Some(100_000));
    let capped = start_raw(&long, "  jwks: {min_ttl_s: 1, max_ttl_s: 1}\n");
    let c0 = refreshes(&capped);
    std::thread::sleep(Duration::from_millis(2500));
    assert!(refreshes(&capped) >= c0 + 1.0);
    let ready = support::get(&support::client(), &format!("{}/readyz", capped.admin));
    assert!(ready.1.contains("\"jwks\""), "{}", ready.1);
}

#[test]
fn rate_limits_are_per_client_with_retry_after_and_counted() {
    let k1 = SigningKey::new("k1", "RS256");
    let es = SigningKey::new("e1", "ES256");
    let idp = Idp::start(&[&k1, &es]);
    let s = Server::start(
        &Spec::new(&support::sqlite_url("rate"))
            .yaml(&idp.auth_yaml(""))
            .yaml("limits: {client_rps: 0.5, client_burst: 3}"),
    );
    let busy = idp.token("svc-rs", ALL);
    let calm = idp.token("svc-es", ALL);
    let statuses: Vec<u16> = (0..5)
        .map(|_| call(&s, "GET", "/lists", None, Some(&busy)).0)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    let r = support::client()
        .get(format!("{}/lists", s.api))
        .bearer_auth(&busy)
        .send()
        .unwrap();
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "{retry}");
    let b: Value = r.json().unwrap();
    assert_eq!(b["code"], "rate_limited");
    // Another client is unaffected.
    assert_eq!(call(&s, "GET", "/lists", None, Some(&calm)).0, 200);
    let m = scrape(&s);
    assert_eq!(
        metric(&m, "proof_rate_limited_total{kind=\"client\"}"),
        3.0,
        "{m}"
    );
    // After Retry-After, the busy client gets through again.
    std::thread::sleep(Duration::from_secs(retry));
    assert_eq!(call(&s, "GET", "/lists", None, Some(&busy)).0, 200);
}

#[test]
fn publishing_a_list_needs_lists_write_and_the_cli_gets_that_scope() {
    let k1 = SigningKey::new("k1", "RS256");
    let idp = Idp::start(&[&k1]);
    let s = start(&idp, "");
    let dir = support::tmpdir("authpub");
    let file = dir.join("suppliers-watch.csv");
    std::fs::write(&file, "# name: watch\nentity_id\nDE-HRB-1\n").unwrap();
    let post = |token: &str, version: &str| {
        let r = support::client()
            .post(format!("{}/lists?version={version}", s.api))
            .header("content-type", "text/csv")
            .header("authorization", format!("Bearer {token}"))
            .body(std::fs::read(&file).unwrap())
            .send()
            .unwrap();
        let st = r.status().as_u16();
        (st, support::json(&r.text().unwrap()))
    };
    // Without a token: 401 before the list file is read.
    let r = support::client()
        .post(format!("{}/lists?version=1", s.api))
        .header("content-type", "text/csv")
        .body(vec![b'#'; 64 << 10])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    // Every other scope is refused, naming the one it needs; nothing is stored.
    let (st, b) = post(&idp.token("svc-rs", ALL), "1");
    assert_eq!(
        (st, b["code"].as_str()),
        (403, Some("insufficient_scope")),
        "{b}"
    );
    assert_eq!(b["scope"], "lists:write");
    let (st, _, b) = call(&s, "GET", "/lists", None, Some(&idp.token("svc-rs", ALL)));
    assert_eq!(st, 200);
    assert!(!b.to_string().contains("\"watch\""), "{b}");
    // With lists:write it is stored.
    let (st, b) = post(&idp.token("svc-rs", "lists:write"), "1");
    assert_eq!(st, 201, "{b}");
    // The CLI asks the IdP for lists:write by client credentials.
    let cache = support::tmpdir("authpub-cache");
    let (code, out, err) = cli(
        &[
            "lists",
            "publish",
            file.to_str().unwrap(),
            "--version",
            "2",
            "--server",
            &s.api,
            "--token-url",
            &idp.token_url(),
            "--client-id",
            "svc-rs",
        ],
        "svc-rs-secret",
        &cache,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("published list `watch` version `2`: 1 leaves"),
        "{out}"
    );
}
