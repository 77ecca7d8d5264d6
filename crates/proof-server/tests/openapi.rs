//! `docs/openapi.json` must equal the document generated from the handlers. After an API
//! change: `PROOF_UPDATE_OPENAPI=1 cargo test -p proof-server openapi`, then review the diff.
#![allow(clippy::unwrap_used, reason = "test code")]

#[test]
fn committed_openapi_matches_the_code() {
    let generated = proof_server::openapi::document();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
    if std::env::var_os("PROOF_UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is out of date; run PROOF_UPDATE_OPENAPI=1 cargo test -p proof-server openapi"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    for path in [
        "/verify",
        "/proof/adapt",
        "/policy/compile",
        "/policy/{id}",
        "/policies",
        "/lists",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
}
