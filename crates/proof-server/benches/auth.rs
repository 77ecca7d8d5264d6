//! Criterion benchmark of bearer-token validation as the service does it: in full
//! (`Authenticator::validate_uncached`: header and algorithm checks, key lookup in the cached
//! JWKS, ES256 signature verification, claim checks, scopes), and for a token seen before
//! (`validate`: the remembered verification, re-checked against the clock and the key set). The JWKS is fetched
//! once, before measuring, from a local HTTP server, through the service's own key cache.
//! See docs/benchmarks.md.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "benchmark harness"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proof_server::auth::Authenticator;
use proof_server::config::AuthSettings;
use proof_server::metrics::Metrics;
use serde_json::json;

fn b64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn validation(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = rcgen::KeyPair::generate().unwrap(); // ECDSA P-256
    let raw = key.public_key_raw(); // 0x04 || x || y
    let jwks = json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "b1", "alg": "ES256", "use": "sig",
        "x": b64url(&raw[1..33]), "y": b64url(&raw[33..65]),
    }]});
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let j = jwks.clone();
            async move { axum::Json(j) }
        }),
    );
    rt.spawn(async move { axum::serve(listener, app).await });
    let settings = AuthSettings {
        issuer: Some("https://idp.bench".into()),
        audience: Some("https://proof.bench".into()),
        jwks_uri: Some(format!("http://{addr}/jwks")),
        ..AuthSettings::default()
    };
    let auth = Authenticator::new(&settings, Metrics::new()).unwrap();
    rt.block_on(auth.jwks().unwrap().refresh()).unwrap();

    let sign = |exp: u64| {
        let mut h = Header::new(Algorithm::ES256);
        h.typ = Some("at+jwt".into());
        h.kid = Some("b1".into());
        let claims = json!({
            "iss": "https://idp.bench", "aud": "https://proof.bench", "sub": "svc",
            "client_id": "svc", "iat": now(), "exp": exp, "jti": "j",
            "scope": "verify:run policy:read",
        });
        jsonwebtoken::encode(
            &h,
            &claims,
            &EncodingKey::from_ec_pem(key.serialize_pem().as_bytes()).unwrap(),
        )
        .unwrap()
    };
    let good = sign(now() + 3600);
    let expired = sign(now() - 3600);
    assert!(rt.block_on(auth.validate(&good)).is_ok());
    assert!(rt.block_on(auth.validate(&expired)).is_err());

    let mut g = c.benchmark_group("auth");
    g.bench_function("validate/es256_full", |b| {
        b.iter(|| rt.block_on(auth.validate_uncached(&good)).unwrap());
    });
    g.bench_function("validate/es256_seen_before", |b| {
        b.iter(|| rt.block_on(auth.validate(&good)).unwrap());
    });
    g.bench_function("reject/expired_es256", |b| {
        b.iter(|| rt.block_on(auth.validate(&expired)).unwrap_err());
    });
    g.bench_function("reject/malformed", |b| {
        b.iter(|| rt.block_on(auth.validate("not.a.token")).unwrap_err());
    });
    g.finish();
}

criterion_group!(benches, validation);
criterion_main!(benches);
