//! Property tests of the record forms (IR v1.1): the CEL macros agree with each other, the
//! failing items an `each` rule reports are the ones `filter` finds, and neither a verdict
//! nor the set of failing keys depends on the order of the items.
#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

use proof_core::eval::{self, Evidence, Report, Status};
use proof_core::ir::Ir;
use proof_core::lists::{Kind, Registry, commit};
use proof_core::policy::{self, LintMode};
use proof_core::temporal::parse_timestamp;
use proptest::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const HEAD: &str = "id: prop.records\nversion: \"1\"\nlegal_basis: [{directive: LkSG}]\ninputs:\n  xs: {type: array, items: {type: object, fields: {id: hex, risk: string, score: number, audit: {type: date, optional: true}}}}\nrules:\n";

/// Conditions on an item `x`; the last reads an optional field without `has`, so it
/// cannot be evaluated for an item without an audit.
const CONDITIONS: [&str; 5] = [
    "x.score >= 50",
    "x.risk == 'low'",
    "x.risk != 'critical' and x.score < 80",
    "has(x.audit) and x.audit >= 2025-01-01",
    "x.audit >= 2025-01-01",
];

fn compile(rules: &str) -> Ir {
    policy::compile(&format!("{HEAD}{rules}"), LintMode::Strict)
        .unwrap_or_else(|e| panic!("{e}"))
        .ir
}

fn verify(ir: &Ir, xs: &[Value]) -> Report {
    eval::verify(
        ir,
        &json!({"xs": xs}),
        Some(parse_timestamp("2025-06-30T00:00:00Z").unwrap()),
        &Registry::default(),
    )
    .unwrap()
}

/// Up to 24 items with distinct ids.
fn items() -> impl Strategy<Value = Vec<Value>> {
    let item = (
        prop::sample::select(vec!["low", "high", "critical"]),
        0u32..100,
        prop::option::of(0u32..730),
    );
    prop::collection::vec(item, 0..24).prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (risk, score, audit))| {
                let id = hex::encode(commit(Kind::Entity, &format!("S-{i}")).unwrap());
                let mut o = json!({"id": id, "risk": risk, "score": score});
                if let Some(d) = audit {
                    // Days from 2024-01-01.
                    let date = time::Date::from_calendar_date(2024, time::Month::January, 1)
                        .unwrap()
                        + time::Duration::days(i64::from(d));
                    o["audit"] = json!(date.to_string());
                }
                o
            })
            .collect()
    })
}

fn status(r: &Report, id: &str) -> Status {
    r.results.iter().find(|x| x.rule_id == id).unwrap().status
}

fn failing_keys(r: &Report, id: &str) -> (usize, BTreeSet<String>) {
    match &r.results.iter().find(|x| x.rule_id == id).unwrap().evidence {
        Some(Evidence::Each { failed, items, .. }) => (
            *failed,
            items
                .iter()
                .map(|i| i.key.as_ref().unwrap().as_str().unwrap().to_owned())
                .collect(),
        ),
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Two `each` rules over the same array, evaluated in one pass, give exactly what each
    /// gives alone.
    #[test]
    fn each_rules_over_one_array_give_what_each_gives_alone(
        xs in items(),
        c in 0..CONDITIONS.len(),
        w in 0..CONDITIONS.len(),
    ) {
        let a = format!("  - {{id: a, op: each, over: xs, as: x, holds: \"{}\"}}\n", CONDITIONS[c]);
        let b = format!("  - {{id: b, op: each, over: xs, as: y, where: \"{}\", holds: \"y.score > 20\", severity: warn}}\n", CONDITIONS[w].replace("x.", "y."));
        let both = verify(&compile(&format!("{a}{b}")), &xs);
        let (one, two) = (verify(&compile(&a), &xs), verify(&compile(&b), &xs));
        prop_assert_eq!(&both.results[0], &one.results[0]);
        prop_assert_eq!(&both.results[1], &two.results[0]);
    }

    /// A membership rule mapping the items, evaluated in the same pass as an `each` rule
    /// over them, gives exactly what it gives alone (hits, failing items and details).
    #[test]
    fn membership_over_items_in_the_each_pass_gives_what_it_gives_alone(
        xs in items(),
        c in 0..CONDITIONS.len(),
        listed in prop::collection::vec(0usize..24, 0..6),
        non in any::<bool>(),
    ) {
        let op = if non { "non_membership" } else { "membership" };
        let head = HEAD.replace("inputs:\n", "inputs:\n  root: {type: hex}\n");
        let a = format!("  - {{id: a, op: each, over: xs, as: x, holds: \"{}\"}}\n", CONDITIONS[c]);
        let m = format!("  - {{id: m, op: {op}, lhs: \"xs.map(x, x.id)\", rhs: root, key: id}}\n");
        let ir = |rules: &str| policy::compile(&format!("{head}{rules}"), LintMode::Strict).unwrap_or_else(|e| panic!("{e}")).ir;
        let leaves: Vec<[u8; 32]> = listed.iter().map(|i| commit(Kind::Entity, &format!("S-{i}")).unwrap()).collect();
        let list = proof_core::lists::RefList::from_leaves("l", proof_core::lists::LeafKind::Hash, leaves);
        let root = list.root_hex().to_owned();
        let mut reg = Registry::default();
        reg.insert(list).unwrap();
        let run = |ir: &Ir| eval::verify(ir, &json!({"xs": xs, "root": root}), Some(parse_timestamp("2025-06-30T00:00:00Z").unwrap()), &reg).unwrap();
        let both = run(&ir(&format!("{a}{m}")));
        prop_assert_eq!(&both.results[0], &run(&ir(&a)).results[0]);
        prop_assert_eq!(&both.results[1], &run(&ir(&m)).results[0]);
    }

    /// The direct evaluation of conditions gives what the general evaluator gives, faults
    /// included, for every item and every condition.
    #[test]
    fn conditions_evaluate_as_expressions_do(xs in items()) {
        let rules: String = CONDITIONS
            .iter()
            .enumerate()
            .map(|(i, p)| format!("  - {{id: c{i}, op: each, over: xs, as: x, where: \"not ({p})\", holds: \"{p} or x.score > 10\"}}\n"))
            .collect();
        let ir = compile(&rules);
        let ctx = eval::context::decode(&ir.inputs, &json!({"xs": xs})).unwrap();
        let env = eval::expr::Env { ctx: &ctx, today: 20_269, lists: None, roots: Vec::new() };
        let items = eval::expr::eval(&ir.rules[0].each.as_ref().unwrap().over, &env).unwrap();
        for rule in &ir.rules {
            let each = rule.each.as_ref().unwrap();
            for i in 0..items.count().unwrap() {
                for e in [each.filter.as_ref().unwrap(), &each.holds] {
                    let mut scope = vec![("x", items.item(i).unwrap())];
                    let fast = eval::cond::eval_bool(e, &env, &mut scope);
                    let slow = eval::expr::eval_in(e, &env, &mut scope).map(|v| v == eval::expr::Val::Scalar(proof_core::ir::Lit::Bool(true)));
                    prop_assert_eq!(fast, slow, "{}", e);
                }
            }
        }
    }

    /// `all(x, p)` is `!exists(x, !p)`, faults included: both are decided by a false item
    /// and fail to evaluate together.
    #[test]
    fn all_is_not_exists_not(xs in items(), c in 0..CONDITIONS.len()) {
        let p = CONDITIONS[c];
        let ir = compile(&format!(
            "  - {{id: all, op: eq, lhs: \"xs.all(x, {p})\", rhs: true}}\n  - {{id: not_exists_not, op: eq, lhs: \"xs.exists(x, not ({p}))\", rhs: false}}\n"
        ));
        let r = verify(&ir, &xs);
        prop_assert_eq!(status(&r, "all"), status(&r, "not_exists_not"));
        let cannot = |id: &str| r.results.iter().find(|x| x.rule_id == id).unwrap().detail.starts_with("cannot evaluate");
        prop_assert_eq!(cannot("all"), cannot("not_exists_not"));
    }

    /// The items an `each` rule reports failing are the ones `filter` keeps for the
    /// negated condition: as many, and (up to the first 100) the same.
    #[test]
    fn each_failures_are_what_filter_finds(xs in items(), c in 0..4usize) {
        let p = CONDITIONS[c];
        let ir = compile(&format!(
            "  - {{id: each, op: each, over: xs, as: x, holds: \"{p}\"}}\n  - {{id: n, op: range_min, lhs: \"len(xs.filter(x, not ({p})))\", rhs: 0}}\n  - {{id: ids, op: range_min, lhs: \"len(xs.filter(x, not ({p})).map(x, x.id))\", rhs: 0}}\n"
        ));
        let r = verify(&ir, &xs);
        let (failed, keys) = failing_keys(&r, "each");
        let n = match &r.results.iter().find(|x| x.rule_id == "n").unwrap().evidence {
            Some(Evidence::Comparison { lhs, .. }) => lhs.as_f64().unwrap(),
            other => panic!("{other:?}"),
        };
        #[allow(clippy::cast_precision_loss, reason = "small counts")]
        let f = failed as f64;
        prop_assert_eq!(f, n);
        prop_assert_eq!(keys.len(), failed);
        prop_assert_eq!(status(&r, "each") == Status::Pass, failed == 0);
    }

    /// Shuffling the items changes neither the verdict, nor any rule's status, nor the set
    /// of failing keys.
    #[test]
    fn item_order_changes_no_verdict_and_no_failing_key(
        xs in items(),
        c in 0..CONDITIONS.len(),
        w in 0..CONDITIONS.len(),
        seed in any::<u64>(),
    ) {
        let (p, q) = (CONDITIONS[c], CONDITIONS[w]);
        let ir = compile(&format!(
            "  - {{id: each, op: each, over: xs, as: x, where: \"{q}\", holds: \"{p}\"}}\n  - {{id: any, op: eq, lhs: \"xs.exists(x, {p})\", rhs: true, severity: warn}}\n  - {{id: one, op: eq, lhs: \"xs.exists_one(x, {q})\", rhs: false, severity: warn}}\n"
        ));
        let mut shuffled = xs.clone();
        // A deterministic Fisher-Yates shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            #[allow(clippy::cast_possible_truncation, reason = "modulo a small length")]
            let j = (s % (i as u64 + 1)) as usize;
            shuffled.swap(i, j);
        }
        let (a, b) = (verify(&ir, &xs), verify(&ir, &shuffled));
        prop_assert_eq!(a.verdict, b.verdict);
        for id in ["each", "any", "one"] {
            prop_assert_eq!(status(&a, id), status(&b, id));
        }
        prop_assert_eq!(failing_keys(&a, "each"), failing_keys(&b, "each"));
    }
}

/// `v` as JSON text with every object's members in reverse name order when `reverse`, and
/// `ws` between tokens.
fn write_with(v: &Value, reverse: bool, ws: &str, out: &mut String) {
    match v {
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(ws);
                write_with(x, reverse, ws, out);
            }
            out.push_str(ws);
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            let members: Vec<_> = if reverse {
                o.iter().rev().collect()
            } else {
                o.iter().collect()
            };
            for (i, (k, x)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(ws);
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push(':');
                out.push_str(ws);
                write_with(x, reverse, ws, out);
            }
            out.push_str(ws);
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Reading a context of records straight from its text (the service's fast path) gives
    /// the context and hash that parsing and decoding give, whatever the order of the
    /// members; a record the decoder refuses (a wrong type, an unknown, missing or repeated
    /// field, nesting past the limit) is never taken by it.
    #[test]
    fn records_scan_as_they_decode(
        xs in items(),
        reverse in any::<bool>(),
        ws in "[ \t\n]{0,2}",
        broken in prop::option::of((0usize..24, 0usize..4)),
        depth in 2usize..7,
    ) {
        let ir = policy::compile(
            "id: scan\nversion: \"1\"\nlegal_basis: [{directive: LkSG}]\ninputs:\n  xs: {type: array, items: {type: object, fields: {id: hex, ids: {type: array, items: hex}, risk: string, audit: {type: date, optional: true}, owner: {type: object, optional: true, fields: {id: hex}}}}}\nrules:\n  - {id: a, op: each, over: xs, as: x, holds: \"x.risk != 'none'\"}\n",
            LintMode::Strict,
        )
        .unwrap()
        .ir;
        // The items without their numbers (which the fast path leaves to the tree), with
        // an array and, for some, a nested record.
        let xs: Vec<Value> = xs
            .into_iter()
            .enumerate()
            .map(|(i, mut x)| {
                let id = x["id"].clone();
                let o = x.as_object_mut().unwrap();
                o.remove("score");
                o.insert("ids".into(), json!([id, id]));
                if i % 3 == 0 {
                    o.insert("owner".into(), json!({"id": id}));
                }
                x
            })
            .collect();
        let mut text = String::new();
        write_with(&json!({"xs": xs}), reverse, &ws, &mut text);
        if let Some((at, how)) = broken.filter(|_| !xs.is_empty()) {
            let id = xs[at % xs.len()]["id"].as_str().unwrap();
            let wrong = match how {
                0 => format!(r#""id":"{id}","risk":7"#),
                1 => format!(r#""id":"{id}","colour":"red""#),
                2 => format!(r#""id":"{id}","id":"{id}""#),
                _ => "\"risk\":\"low\"".to_owned(),
            };
            // Replaces the member `"id":"…"` wherever the writer put it.
            text = text.replacen(&format!(r#""id":{ws}"{id}""#), &wrong, 1);
        }
        // Both under the same nesting limit: records with arrays need four levels.
        let general = proof_core::json::from_slice_strict_depth(text.as_bytes(), depth)
            .ok()
            .and_then(|v| Some((eval::context::decode(&ir.inputs, &v).ok()?, proof_core::hash::value_sha256(&v).unwrap())));
        let mut cur = proof_core::json::Cursor::new(&text);
        let fast = eval::context::scan(&ir.inputs, &mut cur, depth).filter(|_| cur.at_end());
        prop_assert_eq!(fast.map(|f| (f.context, f.hash)), general, "{}", text);
    }
}

/// Every shipped policy and every policy of the records corpus reads back from its IR JSON
/// with the same hash (a macro node has a `var` member, and must not read as an input).
#[test]
fn record_policies_read_back_from_their_ir() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let cases: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(format!("{root}/testdata/cases/records.yaml")).unwrap(),
    )
    .unwrap();
    let mut sources = vec![
        std::fs::read_to_string(format!("{root}/policies/lksg.v2.yml")).unwrap(),
        cases["policy"].as_str().unwrap().to_owned(),
    ];
    sources.extend(
        cases["cases"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|c| c["policy"].as_str().map(str::to_owned)),
    );
    let mut read = 0;
    for src in sources {
        if let Ok(c) = policy::compile(&src, LintMode::Strict) {
            let json = c.ir.to_pretty_json().unwrap();
            let back = Ir::from_json_str(&json).unwrap_or_else(|e| panic!("{e}\n{src}"));
            assert_eq!(back, c.ir);
            read += 1;
        }
    }
    assert!(read >= 5, "{read} policies compiled");
}
