//! Receipts: a verification as a signed in-toto Statement v1 in a DSSE envelope, and the
//! disclosure bundle that opens its context commitment (docs/evidence.md).
//!
//! The statement's one subject is `context`, with the digest
//! `SHA-256(salt || context_hash)` (a random 32-byte salt, then the 32 bytes of the
//! report's context hash): the receipt alone does not let anyone test a guessed supplier
//! identifier against it. Its predicate (`urn:proof:receipt:v1`) carries the verdict, each
//! rule's status and counts (never a hash from the context), the policy and IR hashes,
//! `as_of`, every list the rules used (name, root, size, entries, provenance) and the
//! verifier. The disclosure bundle, signed too, holds the salt and the context hash and
//! names the receipt by the SHA-256 of its signed statement.

use crate::keys::{PublicKey, SigningKey};
use crate::note::Checkpoint;
use crate::tlog::LogProof;
use crate::{disclosure, dsse};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proof_core::eval::{CheckedHashes, Evidence, Report, Status};
use proof_core::ir::Severity;
use proof_core::lists::{Registry, parse_hash};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The DSSE payload type of a receipt.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The in-toto statement type.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// The predicate type of a receipt.
pub const PREDICATE_TYPE: &str = "urn:proof:receipt:v1";
/// The DSSE payload type of a disclosure bundle.
pub const DISCLOSURE_PAYLOAD_TYPE: &str = "application/vnd.proof.disclosure+json";
/// The `_type` of a disclosure bundle's payload.
pub const DISCLOSURE_TYPE: &str = "urn:proof:disclosure:v1";

/// A signed receipt and its signed disclosure bundle.
#[derive(Debug)]
pub struct Issued {
    /// The receipt: a DSSE envelope around the statement.
    pub receipt: Value,
    /// The disclosure bundle: a DSSE envelope around salt, context hash and the
    /// statement's digest.
    pub disclosure: Value,
    /// The signed statement's bytes (the receipt's payload, what the log commits to).
    pub statement: Vec<u8>,
}

/// Why a receipt could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The report's context hash is not `sha256:` and 64 hex digits.
    #[error("the report's context hash `{0}` is not a sha256 hash")]
    ContextHash(String),
    /// The system's random source failed.
    #[error("no random salt could be drawn")]
    Random,
}

fn hex32(s: &str) -> Option<[u8; 32]> {
    parse_hash(s.strip_prefix("sha256:").unwrap_or(s)).ok()
}

/// `SHA-256(salt || context_hash)`, hex.
#[must_use]
pub fn commitment(salt: &[u8; 32], context_hash: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(context_hash);
    hex::encode(h.finalize())
}

/// The predicate of `report`'s receipt; `lists` gives each used list's size and provenance;
/// with `checked` (the proofs' hashes) each membership rule also states how many distinct
/// hashes it checked, so that a bundle cannot leave one out.
#[must_use]
pub fn predicate(report: &Report, lists: &Registry, proven: Option<&[CheckedHashes]>) -> Value {
    let mut used: Vec<Value> = Vec::new();
    let results: Vec<Value> = report
        .results
        .iter()
        .map(|r| {
            let mut o = serde_json::Map::new();
            o.insert("rule_id".into(), json!(r.rule_id));
            o.insert("status".into(), json!(r.status.as_str()));
            o.insert("severity".into(), json!(r.severity.as_str()));
            if let Some(Evidence::Membership {
                checked,
                found,
                missing,
                list,
                root,
                ..
            }) = &r.evidence
            {
                o.insert("checked".into(), json!(checked));
                if let Some(c) = proven
                    .into_iter()
                    .flatten()
                    .find(|c| c.rule_id == r.rule_id)
                {
                    o.insert("distinct".into(), json!(c.hashes.len()));
                }
                if let Some(f) = found {
                    o.insert("found".into(), json!(f.len()));
                }
                if let Some(m) = missing {
                    o.insert("missing".into(), json!(m.len()));
                }
                o.insert("list_root".into(), json!(root));
                if !used.iter().any(|u| u.get("root") == Some(&json!(root))) {
                    let l = parse_hash(root).ok().and_then(|h| lists.get(&h));
                    used.push(json!({
                        "name": l.map_or(list.as_str(), |l| l.name.as_str()),
                        "root": root,
                        "size": l.map(|l| l.len()),
                        "entries": l.map(|l| l.entries),
                        "provenance": l.map(|l| &l.meta),
                    }));
                }
            }
            Value::Object(o)
        })
        .collect();
    used.sort_by(|a, b| {
        let root = |v: &Value| v.get("root").and_then(Value::as_str).map(str::to_owned);
        root(a).cmp(&root(b))
    });
    // Members are moved in, not interpolated by `json!`, which would copy each tree.
    let mut p = serde_json::Map::new();
    p.insert("verdict".into(), json!(report.verdict.as_str()));
    p.insert(
        "policy".into(),
        json!({
            "id": report.policy_id,
            "version": report.version,
            "policy_hash": report.policy_hash,
            "ir_hash": report.ir_hash,
        }),
    );
    p.insert("as_of".into(), json!(report.as_of));
    p.insert("results".into(), Value::Array(results));
    p.insert("lists".into(), Value::Array(used));
    p.insert(
        "verifier".into(),
        json!({"name": "proof", "version": env!("CARGO_PKG_VERSION")}),
    );
    if !report.superseded.is_empty() {
        p.insert("superseded".into(), json!(report.superseded));
    }
    Value::Object(p)
}

/// Where a receipt's entry is in the verification log; signed in the predicate as `log`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogPosition {
    /// The log's origin line (C2SP tlog-checkpoint).
    pub origin: String,
    /// The entry's index.
    pub index: u64,
}

/// A receipt before it is signed: the predicate, the salted commitment and the bundle's
/// contents; [`Draft::sign`] adds the log position and signs both parts.
#[derive(Debug)]
pub struct Draft {
    predicate: Value,
    commitment: String,
    bundle: serde_json::Map<String, Value>,
}

/// Drafts a receipt for `report` with a fresh random salt; with `checked` (what each
/// membership rule checked, [`proof_core::eval::membership_inputs`]) the bundle carries
/// their proofs.
///
/// # Errors
/// [`IssueError`] for a report without a sha256 context hash, or no randomness.
pub fn draft(
    report: &Report,
    lists: &Registry,
    checked: Option<&[CheckedHashes]>,
) -> Result<Draft, IssueError> {
    let mut salt = [0u8; 32];
    aws_lc_rs::rand::fill(&mut salt).map_err(|_| IssueError::Random)?;
    draft_with_salt(report, lists, checked, &salt)
}

/// [`draft`] with a given salt (for tests and reproducible examples).
///
/// # Errors
/// As [`draft`].
pub fn draft_with_salt(
    report: &Report,
    lists: &Registry,
    checked: Option<&[CheckedHashes]>,
    salt: &[u8; 32],
) -> Result<Draft, IssueError> {
    let ctx = hex32(&report.context_hash)
        .ok_or_else(|| IssueError::ContextHash(report.context_hash.clone()))?;
    let mut bundle = serde_json::Map::new();
    bundle.insert("salt".into(), json!(hex::encode(salt)));
    bundle.insert("context_hash".into(), json!(report.context_hash));
    if let Some(c) = checked {
        bundle.insert("proofs".into(), disclosure::proofs(report, lists, c));
    }
    Ok(Draft {
        predicate: predicate(report, lists, checked),
        commitment: commitment(salt, &ctx),
        bundle,
    })
}

impl Draft {
    /// States the context's stated inputs ([`proof_core::eval::stated_inputs`]) in the
    /// predicate as `screening` (`docs/evidence.md`, "What a receipt states"); nothing when
    /// there are none.
    #[must_use]
    pub fn state(mut self, stated: std::collections::BTreeMap<String, Value>) -> Self {
        if !stated.is_empty()
            && let Value::Object(m) = &mut self.predicate
        {
            m.insert("screening".into(), json!(stated));
        }
        self
    }

    /// Signs the receipt (with `log`, the entry's position in the verification log) and
    /// its disclosure bundle with `key`.
    #[must_use]
    pub fn sign(self, key: &SigningKey, log: Option<&LogPosition>) -> Issued {
        let Self {
            mut predicate,
            commitment,
            bundle: contents,
        } = self;
        if let (Some(l), Value::Object(m)) = (log, &mut predicate) {
            m.insert("log".into(), json!({"origin": l.origin, "index": l.index}));
        }
        let payload = statement_bytes(&commitment, &predicate);
        let mut bundle = serde_json::Map::new();
        bundle.insert("_type".into(), json!(DISCLOSURE_TYPE));
        bundle.insert(
            "statement_sha256".into(),
            json!(hex::encode(Sha256::digest(&payload))),
        );
        bundle.extend(contents);
        let bundle = Value::Object(bundle).to_string();
        Issued {
            receipt: dsse::sign(PAYLOAD_TYPE, &payload, key),
            disclosure: dsse::sign(DISCLOSURE_PAYLOAD_TYPE, bundle.as_bytes(), key),
            statement: payload,
        }
    }
}

/// The in-toto statement's compact JSON, members in name order (as a `serde_json::Value`
/// writes them), written around the predicate's own compact JSON. The constants and the
/// commitment (hex, from [`commitment`]) need no escaping.
fn statement_bytes(commitment: &str, predicate: &Value) -> Vec<u8> {
    format!(
        r#"{{"_type":"{STATEMENT_TYPE}","predicate":{predicate},"predicateType":"{PREDICATE_TYPE}","subject":[{{"digest":{{"sha256":"{commitment}"}},"name":"context"}}]}}"#
    )
    .into_bytes()
}

/// What a check found to hold, line by line, and the statement.
#[derive(Debug)]
pub struct Checked {
    /// One line per property that holds.
    pub held: Vec<String>,
    /// The verified statement.
    pub statement: Value,
    /// The log checkpoint the receipt's entry is proven against, when it has one.
    pub checkpoint: Option<Checkpoint>,
}

/// A property that does not hold, with what held before it.
#[derive(Debug)]
pub struct Invalid {
    /// What held before the failure.
    pub held: Vec<String>,
    /// Why the receipt (or bundle, or context) is not valid.
    pub reason: String,
}

// Reading a `serde_json::Value` by index never panics (a missing member reads as null).
#[allow(clippy::indexing_slicing, reason = "Value's read index returns Null")]
/// Checks a receipt against `keys`, and with `disclosure` also the bundle, and with
/// `context_hash` (`sha256:…` of a context at hand) also that the bundle opens the
/// receipt's commitment to that context.
///
/// # Errors
/// [`Invalid`] naming the first property that does not hold.
pub fn check(
    receipt: &Value,
    keys: &[PublicKey],
    disclosure: Option<&Value>,
    context_hash: Option<&str>,
) -> Result<Checked, Invalid> {
    let mut held = Vec::new();
    macro_rules! fail {
        ($($t:tt)*) => {
            return Err(Invalid { held, reason: format!($($t)*) })
        };
    }
    let v = match dsse::verify(receipt, PAYLOAD_TYPE, keys) {
        Ok(v) => v,
        Err(e) => fail!("receipt: {e}"),
    };
    held.push(format!("signature: valid, by key {}", v.kid));
    let statement: Value = match serde_json::from_slice(&v.payload) {
        Ok(s) => s,
        Err(e) => fail!("statement: not JSON ({e})"),
    };
    if statement["_type"] != STATEMENT_TYPE {
        fail!(
            "statement: `_type` is {}, not {STATEMENT_TYPE}",
            statement["_type"]
        );
    }
    if statement["predicateType"] != PREDICATE_TYPE {
        fail!(
            "statement: `predicateType` is {}, not {PREDICATE_TYPE}",
            statement["predicateType"]
        );
    }
    let subject = &statement["subject"][0];
    let Some(digest) = subject["digest"]["sha256"].as_str().and_then(hex32) else {
        fail!("statement: no `context` subject with a sha256 digest");
    };
    if subject["name"] != "context" {
        fail!(
            "statement: the subject is {}, not `context`",
            subject["name"]
        );
    }
    held.push(format!(
        "statement: in-toto {STATEMENT_TYPE}, predicate {PREDICATE_TYPE}, subject context sha256:{}",
        hex::encode(digest)
    ));
    let p = &statement["predicate"];
    match implied_verdict(p) {
        Some(implied) if p["verdict"] == implied => held.push(format!(
            "verdict: {implied} for policy {} {} ({}), as of {}, consistent with its {} rule results",
            p["policy"]["id"].as_str().unwrap_or("?"),
            p["policy"]["version"].as_str().unwrap_or("?"),
            p["policy"]["policy_hash"].as_str().unwrap_or("?"),
            p["as_of"].as_str().unwrap_or("?"),
            p["results"].as_array().map_or(0, Vec::len)
        )),
        Some(implied) => fail!(
            "predicate: the verdict {} is not what its rule results give ({implied})",
            p["verdict"]
        ),
        None => fail!("predicate: no verdict and rule results"),
    }
    for l in p["lists"].as_array().into_iter().flatten() {
        held.push(format!(
            "list used (as signed): {} root {} size {}",
            l["name"].as_str().unwrap_or("?"),
            l["root"].as_str().unwrap_or("?"),
            l["size"]
        ));
    }
    if let Some(sc) = p.get("screening").and_then(Value::as_object) {
        let shown: Vec<String> = sc.iter().map(|(k, v)| format!("{k} {v}")).collect();
        held.push(format!(
            "screening (as stated by the company, signed): {}",
            shown.join(", ")
        ));
    }
    let checkpoint = match log_entry(receipt, &v.payload, p, keys) {
        Ok(Some((line, c))) => {
            held.push(line);
            Some(c)
        }
        Ok(None) => None,
        Err(e) => fail!("log: {e}"),
    };
    let Some(d) = disclosure else {
        return Ok(Checked {
            held,
            statement,
            checkpoint,
        });
    };
    let dv = match dsse::verify(d, DISCLOSURE_PAYLOAD_TYPE, keys) {
        Ok(dv) => dv,
        Err(e) => fail!("disclosure: {e}"),
    };
    let bundle: Value = match serde_json::from_slice(&dv.payload) {
        Ok(b) => b,
        Err(e) => fail!("disclosure: not JSON ({e})"),
    };
    if bundle["_type"] != DISCLOSURE_TYPE {
        fail!(
            "disclosure: `_type` is {}, not {DISCLOSURE_TYPE}",
            bundle["_type"]
        );
    }
    held.push(format!("disclosure signature: valid, by key {}", dv.kid));
    if bundle["statement_sha256"] != hex::encode(Sha256::digest(&v.payload)) {
        fail!("disclosure: it belongs to another receipt (its statement digest differs)");
    }
    let (Some(salt), Some(ctx)) = (
        bundle["salt"].as_str().and_then(hex32),
        bundle["context_hash"].as_str().and_then(hex32),
    ) else {
        fail!("disclosure: no 32-byte `salt` and sha256 `context_hash`");
    };
    if commitment(&salt, &ctx) != hex::encode(digest) {
        fail!("disclosure: its salt and context hash do not give the receipt's commitment");
    }
    held.push(format!(
        "disclosure: opens the commitment to context sha256:{}",
        hex::encode(ctx)
    ));
    if !bundle["proofs"].is_null() {
        match disclosure::check(&bundle["proofs"], p) {
            Ok(lines) => held.extend(lines),
            Err(e) => fail!("disclosure: {e}"),
        }
    }
    if let Some(c) = context_hash {
        if hex32(c) != Some(ctx) {
            fail!(
                "context: its hash {c} is not the receipt's context sha256:{}",
                hex::encode(ctx)
            );
        }
        held.push("context: the given context is the one verified".to_owned());
    }
    Ok(Checked {
        held,
        statement,
        checkpoint,
    })
}

#[allow(clippy::indexing_slicing, reason = "Value's read index returns Null")]
/// With a `log` position in the predicate: the receipt's `log_proof` (a C2SP tlog-proof)
/// shows the signed statement at that index of a checkpoint signed by one of `keys`.
fn log_entry(
    receipt: &Value,
    payload: &[u8],
    p: &Value,
    keys: &[PublicKey],
) -> Result<Option<(String, Checkpoint)>, String> {
    if p["log"].is_null() {
        return Ok(None);
    }
    let (Some(origin), Some(index)) = (p["log"]["origin"].as_str(), p["log"]["index"].as_u64())
    else {
        return Err("the predicate's `log` has no origin and index".into());
    };
    let Some(text) = receipt["log_proof"].as_str() else {
        return Err(format!(
            "the receipt is entry {index} of `{origin}` but carries no `log_proof`"
        ));
    };
    let proof = LogProof::parse(text)?;
    if proof.index != index {
        return Err(format!(
            "the proof is for entry {}, the receipt is entry {index}",
            proof.index
        ));
    }
    let c = proof.check(payload, origin, keys)?;
    Ok(Some((
        format!(
            "log: entry {index} of `{origin}`, included in its signed checkpoint of size {} (root {})",
            c.size,
            STANDARD.encode(c.root)
        ),
        c,
    )))
}

#[allow(clippy::indexing_slicing, reason = "Value's read index returns Null")]
/// The verdict a predicate's results give (with a superseded list's `warn`), or `None`
/// when it has none.
fn implied_verdict(p: &Value) -> Option<&'static str> {
    let results = p["results"].as_array()?;
    p["verdict"].as_str()?;
    let failing = |sev: Severity| {
        results
            .iter()
            .any(|r| r["status"] == Status::Fail.as_str() && r["severity"] == sev.as_str())
    };
    let warned = p["superseded"]
        .as_array()
        .is_some_and(|s| s.iter().any(|n| n["effect"] == "warn"));
    Some(if failing(Severity::Fail) {
        "FAIL"
    } else if failing(Severity::Warn) || warned {
        "WARN"
    } else {
        "OK"
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;

    #[test]
    fn statement_bytes_are_those_of_the_statement_as_a_json_value() {
        let predicate = json!({
            "verdict": "FAIL",
            "results": [{"rule_id": "a\"b\\c\u{1}é", "status": "fail", "checked": 3}],
            "lists": [],
            "log": {"origin": "proof.example/log", "index": 7},
            "as_of": "2025-06-30T00:00:00Z",
        });
        let commitment = hex::encode([7u8; 32]);
        let as_value = json!({
            "_type": STATEMENT_TYPE,
            "subject": [{"name": "context", "digest": {"sha256": commitment}}],
            "predicateType": PREDICATE_TYPE,
            "predicate": predicate,
        });
        assert_eq!(
            String::from_utf8(statement_bytes(&commitment, &predicate)).unwrap(),
            as_value.to_string()
        );
    }
}
