//! Test support for the verification log: receipts from a running server, its key set and
//! checkpoints, and the library's checks of what it returns.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "test support"
)]

use super::support::{self, Server};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proof_evidence::keys::{PublicKey, public_keys};
use proof_evidence::note::Checkpoint;
use serde_json::{Value, json};
use std::path::Path;

/// A server with the signing key `key` (a PEM file), the log `origin`, and `extra` YAML.
pub fn spec(store_url: &str, key: &Path, origin: &str, extra: &str) -> support::Spec {
    support::Spec::new(store_url).yaml(&format!(
        "signing: {{key_file: {}}}\nreceipt_log: {{origin: {origin}{extra}}}",
        key.display()
    ))
}

/// POST /verify with a receipt: `(status, answer)`.
pub fn issue(c: &reqwest::blocking::Client, s: &Server, ctx: &Value) -> (u16, Value) {
    let (st, body) = support::post_json(
        c,
        &format!("{}/verify", s.api),
        &json!({"policy_id": "lksg.v1", "context": ctx, "options": {"receipt": true}}),
    );
    (st, serde_json::from_str(&body).unwrap_or(Value::Null))
}

pub fn keys(s: &Server) -> Vec<PublicKey> {
    let (st, body) = support::get(&support::client(), &format!("{}/keys", s.api));
    assert_eq!(st, 200);
    public_keys(&support::json(&body)).unwrap()
}

/// The latest checkpoint note, or the one of `size`.
pub fn checkpoint_note(s: &Server, size: Option<u64>) -> String {
    let q = size.map_or(String::new(), |n| format!("?size={n}"));
    let (st, body) = support::get(&support::client(), &format!("{}/log/checkpoint{q}", s.api));
    assert_eq!(st, 200, "{body}");
    body
}

pub fn parse_checkpoint(n: &str) -> Checkpoint {
    Checkpoint::of_note(n).unwrap()
}

/// The signed statement bytes of a receipt.
pub fn statement(receipt: &Value) -> Vec<u8> {
    STANDARD
        .decode(receipt["payload"].as_str().unwrap())
        .unwrap()
}

/// The log index a receipt's statement states.
pub fn index_of(receipt: &Value) -> u64 {
    let s: Value = serde_json::from_slice(&statement(receipt)).unwrap();
    s["predicate"]["log"]["index"].as_u64().unwrap()
}

pub fn b64_hashes(v: &Value) -> Vec<[u8; 32]> {
    v["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            STANDARD
                .decode(h.as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap()
        })
        .collect()
}

/// GET a JSON answer that must be 200.
pub fn get_json(s: &Server, path: &str) -> Value {
    let (st, body) = support::get(&support::client(), &format!("{}{path}", s.api));
    assert_eq!(st, 200, "{path}: {body}");
    support::json(&body)
}
