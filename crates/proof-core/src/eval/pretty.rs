//! The report's bytes: a [`Report`] to pretty JSON, exactly as `serde_json::to_string_pretty`
//! writes it (two-space indent, fields in struct order, evidence members in name order), plus
//! a trailing newline.
//!
//! Written by hand because the report is on every verification's path: serde_json checks
//! each byte of each string for escapes one at a time, while [`write_string`] copies the
//! strings that need none (hashes, ids, most details) in one go. Numbers still go through
//! serde_json. A test compares the bytes with serde_json's for reports with every kind of
//! value and string.

use super::{Evidence, Report, RuleResult};
use crate::hash::write_string;
use serde::ser::Error as _;
use serde_json::Value;

type Out = Vec<u8>;
type Result = std::result::Result<(), serde_json::Error>;

/// The report's pretty JSON with a trailing newline, as UTF-8 bytes.
pub(super) fn report(r: &Report) -> std::result::Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(512 + 640 * r.results.len());
    out.push(b'{');
    let mut first = true;
    for (k, v) in [
        ("verdict", r.verdict.as_str()),
        ("policy_id", &r.policy_id),
        ("version", &r.version),
        ("policy_hash", &r.policy_hash),
        ("ir_hash", &r.ir_hash),
        ("context_hash", &r.context_hash),
        ("as_of", &r.as_of),
    ] {
        key(&mut out, 1, &mut first, k)?;
        string(&mut out, v)?;
    }
    key(&mut out, 1, &mut first, "results")?;
    array(&mut out, 1, &r.results, rule)?;
    if !r.superseded.is_empty() {
        // Rare and small: through a JSON value, whose members are in name order like the
        // struct's fields.
        key(&mut out, 1, &mut first, "superseded")?;
        value(&mut out, 1, &serde_json::to_value(&r.superseded)?)?;
    }
    close(&mut out, 0, b'}');
    out.push(b'\n');
    Ok(out)
}

fn rule(out: &mut Out, r: &RuleResult) -> Result {
    out.push(b'{');
    let mut first = true;
    for (k, v) in [
        ("rule_id", r.rule_id.as_str()),
        ("status", r.status.as_str()),
        ("severity", r.severity.as_str()),
        ("detail", &r.detail),
    ] {
        key(out, 3, &mut first, k)?;
        string(out, v)?;
    }
    if let Some(e) = &r.evidence {
        key(out, 3, &mut first, "evidence")?;
        evidence(out, 3, e)?;
    }
    close(out, 2, b'}');
    Ok(())
}

/// An [`Evidence`] object opened at `level`, members in name order.
fn evidence(out: &mut Out, level: usize, e: &Evidence) -> Result {
    if let Evidence::Each { .. } = e {
        // Through a JSON value, whose members are in name order like the variant's fields.
        return value(out, level, &serde_json::to_value(e)?);
    }
    out.push(b'{');
    let mut first = true;
    let inner = level + 1;
    match e {
        Evidence::Membership {
            checked,
            failed,
            found,
            items,
            list,
            matched,
            missing,
            root,
        } => {
            key(out, inner, &mut first, "checked")?;
            serde_json::to_writer(&mut *out, checked)?;
            if let Some(n) = failed {
                key(out, inner, &mut first, "failed")?;
                serde_json::to_writer(&mut *out, n)?;
            }
            hash_list(out, inner, &mut first, "found", found.as_deref())?;
            if let Some(items) = items {
                key(out, inner, &mut first, "items")?;
                value(out, inner, &serde_json::to_value(items)?)?;
            }
            key(out, inner, &mut first, "list")?;
            string(out, list)?;
            if let Some(m) = matched {
                key(out, inner, &mut first, "matched")?;
                array(out, inner, m, |out, m| {
                    let mut first = true;
                    out.push(b'{');
                    key(out, inner + 2, &mut first, "designations")?;
                    array(out, inner + 2, &m.designations, |out, d| string(out, d))?;
                    key(out, inner + 2, &mut first, "hash")?;
                    string(out, &m.hash)?;
                    close(out, inner + 1, b'}');
                    Ok(())
                })?;
            }
            hash_list(out, inner, &mut first, "missing", missing.as_deref())?;
            key(out, inner, &mut first, "root")?;
            string(out, root)?;
        }
        Evidence::Each { .. } => {}
        Evidence::Comparison { lhs, rhs } => {
            key(out, inner, &mut first, "lhs")?;
            value(out, inner, lhs)?;
            key(out, inner, &mut first, "rhs")?;
            value(out, inner, rhs)?;
        }
    }
    close(out, level, b'}');
    Ok(())
}

/// The member `name` (an array of hashes) when there is one.
fn hash_list(
    out: &mut Out,
    level: usize,
    first: &mut bool,
    name: &str,
    hashes: Option<&[String]>,
) -> Result {
    let Some(hashes) = hashes else {
        return Ok(());
    };
    key(out, level, first, name)?;
    array(out, level, hashes, |out, s: &String| string(out, s))
}

/// An array opened at `level` (`[]` when empty), each item written by `write` at `level`+1.
fn array<T>(
    out: &mut Out,
    level: usize,
    items: &[T],
    write: impl Fn(&mut Out, &T) -> Result,
) -> Result {
    if items.is_empty() {
        out.extend_from_slice(b"[]");
        return Ok(());
    }
    out.push(b'[');
    for (i, x) in items.iter().enumerate() {
        item(out, level + 1, i);
        write(out, x)?;
    }
    close(out, level, b']');
    Ok(())
}

/// Any JSON value, its first line at the current position, nested lines at `level`+1.
fn value(out: &mut Out, level: usize, v: &Value) -> Result {
    match v {
        Value::String(s) => string(out, s),
        Value::Array(a) => array(out, level, a, |out, x| value(out, level + 1, x)),
        Value::Object(m) if m.is_empty() => {
            out.extend_from_slice(b"{}");
            Ok(())
        }
        Value::Object(m) => {
            out.push(b'{');
            let mut first = true;
            for (k, x) in m {
                key(out, level + 1, &mut first, k)?;
                value(out, level + 1, x)?;
            }
            close(out, level, b'}');
            Ok(())
        }
        scalar => serde_json::to_writer(&mut *out, scalar),
    }
}

fn string(out: &mut Out, s: &str) -> Result {
    write_string(s, out).map_err(serde_json::Error::custom)
}

fn indent(out: &mut Out, level: usize) {
    out.push(b'\n');
    out.resize(out.len() + 2 * level, b' ');
}

/// Before the `i`th item of an array whose items sit at `level`.
fn item(out: &mut Out, level: usize, i: usize) {
    if i > 0 {
        out.push(b',');
    }
    indent(out, level);
}

/// `"name": ` of an object member at `level`.
fn key(out: &mut Out, level: usize, first: &mut bool, name: &str) -> Result {
    if !std::mem::take(first) {
        out.push(b',');
    }
    indent(out, level);
    string(out, name)?;
    out.extend_from_slice(b": ");
    Ok(())
}

/// The closing bracket of a non-empty array or object opened at `level`.
fn close(out: &mut Out, level: usize, bracket: u8) {
    indent(out, level);
    out.push(bracket);
}

#[cfg(test)]
mod tests {
    use super::super::{Status, Verdict};
    use super::*;
    use crate::ir::Severity;
    use serde_json::json;

    fn serde_bytes(r: &Report) -> String {
        serde_json::to_string_pretty(r).unwrap() + "\n"
    }

    #[test]
    fn writes_the_bytes_serde_json_writes() {
        let rule = |id: &str, status, severity, detail: &str, evidence| RuleResult {
            rule_id: id.into(),
            status,
            severity,
            detail: detail.into(),
            evidence,
        };
        let mut r = Report {
            verdict: Verdict::Warn,
            policy_id: "p\"q\\r".into(),
            version: "1.0 é 😀".into(),
            policy_hash: "sha256:00".into(),
            ir_hash: "tab\there, nl\nthere, \u{1}\u{7f}".into(),
            context_hash: String::new(),
            as_of: "2025-06-30T00:00:00Z".into(),
            results: vec![
                rule("a", Status::Pass, Severity::Fail, "`x` is 3", None),
                rule(
                    "b",
                    Status::Fail,
                    Severity::Warn,
                    "quote \" in detail",
                    Some(Evidence::Comparison {
                        lhs: json!({
                            "checked": 100, "found": [], "empty": {}, "list": "l",
                            "nested": [[1, -2.5, 1e300, null, true], {"k": ["v", {}]}, []],
                            "zero": -0.0, "big": 18446744073709551615u64,
                        }),
                        rhs: json!(-0.5),
                    }),
                ),
                rule(
                    "m",
                    Status::Fail,
                    Severity::Fail,
                    "1 of 3",
                    Some(Evidence::Membership {
                        checked: 3,
                        failed: Some(2),
                        found: Some(vec!["ab".into(), "c\"d".into()]),
                        items: Some(vec![
                            super::super::ItemRef {
                                index: 0,
                                key: Some(json!("ab")),
                            },
                            super::super::ItemRef {
                                index: 7,
                                key: None,
                            },
                        ]),
                        list: "l".into(),
                        matched: Some(vec![
                            super::super::Matched {
                                designations: vec!["un:QDe.004 via imo".into(), "x".into()],
                                hash: "ab".into(),
                            },
                            super::super::Matched {
                                designations: vec![],
                                hash: "c\"d".into(),
                            },
                        ]),
                        missing: None,
                        root: "00".into(),
                    }),
                ),
                rule(
                    "n",
                    Status::Pass,
                    Severity::Fail,
                    "all 0",
                    Some(Evidence::Membership {
                        checked: 0,
                        failed: None,
                        found: None,
                        items: None,
                        list: String::new(),
                        matched: Some(vec![]),
                        missing: Some(vec![]),
                        root: "ff".into(),
                    }),
                ),
                rule(
                    "e",
                    Status::Fail,
                    Severity::Warn,
                    "1 of 2",
                    Some(Evidence::Each {
                        applied: 2,
                        failed: 1,
                        items: vec![super::super::ItemRef {
                            index: 1,
                            key: Some(json!("k\u{e9}y")),
                        }],
                        total: 5,
                    }),
                ),
                rule(
                    "f",
                    Status::Pass,
                    Severity::Fail,
                    "all 0",
                    Some(Evidence::Each {
                        applied: 0,
                        failed: 0,
                        items: vec![],
                        total: 0,
                    }),
                ),
                rule("c", Status::Skipped, Severity::Fail, "", None),
            ],
            superseded: Vec::new(),
        };
        assert_eq!(
            String::from_utf8(report(&r).unwrap()).unwrap(),
            serde_bytes(&r)
        );
        r.superseded.push(super::super::SupersededList {
            effect: "warn".into(),
            list: "eu \"fsf\"".into(),
            published_at: "2026-01-01T00:00:00Z".into(),
            root: "aa".into(),
            superseded_at: "2026-01-02T00:00:00Z".into(),
            superseded_by: "2026-01-02".into(),
            superseded_by_root: "bb".into(),
            version: "2026-01-01".into(),
        });
        assert_eq!(
            String::from_utf8(report(&r).unwrap()).unwrap(),
            serde_bytes(&r)
        );
        r.results.clear();
        assert_eq!(
            String::from_utf8(report(&r).unwrap()).unwrap(),
            serde_bytes(&r)
        );
    }
}
