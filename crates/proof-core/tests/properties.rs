//! Property tests for the invariants the project promises: canonical bytes do not depend
//! on key order or whitespace, compilation is deterministic, a verdict does not depend on
//! the order of hashes in a context, Merkle roots do not depend on leaf order, and no
//! input makes the compiler or the evaluator panic.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, reason = "test code")]

use proof_core::eval;
use proof_core::hash::{self, canonical_bytes};
use proof_core::json;
use proof_core::lists::{Kind, LeafKind, RefList, Registry, commit, merkle, parse_list};
use proof_core::policy::{self, LintMode};
use proof_core::temporal::parse_timestamp;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e12f64..1e12).prop_map(Value::from),
        "[a-zA-Z0-9 é\u{1F600}_-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Zé_]{1,8}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Writes `v` as JSON text with object keys in reverse order and `ws` between tokens.
fn write_shuffled(v: &Value, ws: &str, out: &mut String) {
    match v {
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                    out.push_str(ws);
                }
                write_shuffled(x, ws, out);
            }
            out.push(']');
        }
        Value::Object(o) => {
            out.push('{');
            out.push_str(ws);
            for (i, (k, x)) in o.iter().rev().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push_str(ws);
                out.push(':');
                out.push_str(ws);
                write_shuffled(x, ws, out);
            }
            out.push_str(ws);
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The shipped lists (`lists/`), loaded once.
fn shipped_lists() -> &'static Registry {
    static REG: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
    REG.get_or_init(|| {
        let mut reg = Registry::default();
        for f in ["sanctions-demo.csv", "high-risk-regions.csv"] {
            let text =
                std::fs::read_to_string(format!("{}/../../lists/{f}", env!("CARGO_MANIFEST_DIR")))
                    .unwrap();
            reg.insert(parse_list(f, &text).unwrap()).unwrap();
        }
        reg
    })
}

proptest! {
    #[test]
    fn canonical_json_ignores_key_order_and_whitespace(v in json_value(), ws in "[ \t\n]{0,3}") {
        let mut text = String::new();
        write_shuffled(&v, &ws, &mut text);
        let reparsed: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(canonical_bytes(&v).unwrap(), canonical_bytes(&reparsed).unwrap());
    }

    #[test]
    fn canonical_writer_agrees_with_an_independent_jcs_implementation(v in json_value(), f in any::<f64>()) {
        let mut v = v;
        if f.is_finite() {
            v = json!([v, f]);
        }
        prop_assert_eq!(canonical_bytes(&v).unwrap(), serde_json_canonicalizer::to_vec(&v).unwrap());
    }

    #[test]
    fn canonical_serializer_writes_what_the_tree_writer_writes(v in json_value()) {
        let mut tree = Vec::new();
        hash::write_canonical(&v, &mut tree).unwrap();
        prop_assert_eq!(canonical_bytes(&v).unwrap(), tree);
    }

    #[test]
    fn compiling_is_deterministic_and_ignores_yaml_key_order(
        threshold in 1u32..10_000,
        days in 1u32..2_000,
        warn in any::<bool>(),
        flow in any::<bool>(),
    ) {
        let sev = if warn { "warn" } else { "fail" };
        let rule = format!("{{id: audit_fresh, op: range_max, lhs: \"now() - max(audit_dates)\", rhs: P{days}D, severity: {sev}}}");
        let rule_reordered = format!("{{severity: {sev}, rhs: P{days}D, lhs: \"now() - max(audit_dates)\", op: range_max, id: audit_fresh}}");
        let a = format!("id: prop.v1\nversion: \"1\"\nlegal_basis: [{{directive: LkSG, article: \"§ 5\"}}]\ninputs:\n  audit_dates: {{type: array, items: date}}\n  n: {{type: number}}\nrules:\n  - {rule}\n  - {{id: n_small, op: range_max, lhs: n, rhs: {threshold}}}\n");
        let b = if flow {
            format!("rules: [{rule_reordered}, {{rhs: {threshold}, lhs: n, op: range_max, id: n_small}}]\ninputs: {{n: {{type: number}}, audit_dates: {{items: date, type: array}}}}\nlegal_basis:\n  - article: \"§ 5\"\n    directive: LkSG\nversion: '1'\nid: prop.v1\n")
        } else {
            format!("# comment\nversion: \"1\"\nid: prop.v1\ninputs:\n    n: {{type: number}}\n    audit_dates: {{items: date, type: array}}\nlegal_basis: [{{article: \"§ 5\", directive: LkSG}}]\nrules:\n  - {rule_reordered}\n  - {{rhs: {threshold}, id: n_small, lhs: n, op: range_max}}\n")
        };
        let ca = policy::compile(&a, LintMode::Strict).unwrap().ir;
        let ca2 = policy::compile(&a, LintMode::Strict).unwrap().ir;
        let cb = policy::compile(&b, LintMode::Strict).unwrap().ir;
        prop_assert_eq!(ca.canonical_bytes().unwrap(), ca2.canonical_bytes().unwrap());
        prop_assert_eq!(&ca.policy_hash, &cb.policy_hash);
        prop_assert_eq!(ca.to_pretty_json().unwrap(), cb.to_pretty_json().unwrap());
    }

    #[test]
    fn ir_with_any_number_literal_reads_back_with_the_same_hash(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        // The literal is written as the shortest form that reads back to the same double.
        let lit = serde_json::Value::from(f).to_string();
        let src = format!("id: p\nversion: \"1\"\nlegal_basis: [{{directive: LkSG, article: \"5\"}}]\ninputs: {{n: {{type: number}}}}\nrules: [{{id: r, op: range_max, lhs: n, rhs: \"{lit}\"}}]\n");
        let ir = policy::compile(&src, LintMode::Strict).unwrap().ir;
        let back = proof_core::ir::Ir::from_json_str(&ir.to_pretty_json().unwrap()).unwrap();
        prop_assert_eq!(back, ir);
    }

    #[test]
    fn verdict_does_not_depend_on_hash_order(
        picks in prop::collection::vec((0usize..40, any::<bool>()), 0..30),
        seed in any::<u64>(),
    ) {
        let sanctioned: Vec<String> = (0..20).map(|i| format!("BAD-{i}")).collect();
        let list = RefList::from_leaves("s", LeafKind::Entity, sanctioned.iter().map(|s| commit(Kind::Entity, s).unwrap()).collect());
        let root = list.root_hex().to_owned();
        let mut reg = Registry::default();
        reg.insert(list).unwrap();
        let ids: Vec<String> = picks.iter().map(|(i, bad)| if *bad { format!("BAD-{}", i % 20) } else { format!("OK-{i}") }).collect();
        let mut hashes: Vec<String> = ids.iter().map(|s| hex::encode(commit(Kind::Entity, s).unwrap())).collect();
        let src = "id: p\nversion: \"1\"\nlegal_basis: [{directive: LkSG, article: \"5\"}]\ninputs: {h: {type: array, items: hex}, r: {type: hex}}\nrules: [{id: no_sanctions, op: non_membership, lhs: h, rhs: r}]\n";
        let ir = policy::compile(src, LintMode::Strict).unwrap().ir;
        let at = Some(parse_timestamp("2025-01-01T00:00:00Z").unwrap());
        let first = eval::verify(&ir, &json!({"h": hashes, "r": root}), at, &reg).unwrap();
        // a deterministic shuffle driven by `seed`
        let mut s = seed | 1;
        for i in (1..hashes.len()).rev() {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            hashes.swap(i, usize::try_from(s % (i as u64 + 1)).unwrap());
        }
        let second = eval::verify(&ir, &json!({"h": hashes, "r": root}), at, &reg).unwrap();
        prop_assert_eq!(first.verdict, second.verdict);
        prop_assert_eq!(first.results, second.results);
    }

    #[test]
    fn merkle_root_ignores_leaf_order_and_duplicates(mut leaves in prop::collection::vec(any::<[u8; 32]>(), 0..64)) {
        let a = RefList::from_leaves("a", LeafKind::Hash, leaves.clone()).root();
        leaves.reverse();
        if let Some(first) = leaves.first().copied() {
            leaves.push(first);
        }
        let b = RefList::from_leaves("b", LeafKind::Hash, leaves.clone()).root();
        prop_assert_eq!(a, b);
        leaves.sort_unstable();
        leaves.dedup();
        prop_assert_eq!(a, merkle::root(&leaves));
    }

    #[test]
    fn the_compiler_never_panics_on_arbitrary_text(src in "(?s).{0,400}") {
        let _ = policy::lint(&src, LintMode::Strict);
    }

    #[test]
    fn the_compiler_never_panics_on_yaml_shaped_noise(
        key in prop::sample::select(vec!["id", "version", "inputs", "rules", "adaptivity", "legal_basis", "lhs", "op", "when"]),
        val in prop::sample::select(vec!["[]", "{}", "~", "1.5", "\"x\"", "[{id: r}]", "{a: {type: array}}", "\"max(\"", "P1D", "&a [*a]"]),
    ) {
        let src = format!("id: p\nversion: \"1\"\n{key}: {val}\ninputs: {{a: {{type: number}}}}\nrules: [{{id: r, op: eq, lhs: a, rhs: 1}}]\n");
        let _ = policy::lint(&src, LintMode::Relaxed);
    }

    #[test]
    fn the_borrowed_tree_parser_accepts_exactly_what_serde_json_accepts(
        v in json_value(),
        odd in "[\"\\\\/bnu0-9a-fA-F\\[\\]{}:,.eE+ \t\n\u{1}é-]{0,3}",
        edits in prop::collection::vec((any::<prop::sample::Index>(), 0u8..3), 1..4),
        depth in 1usize..8,
    ) {
        // Valid JSON, then up to three edits (delete, insert or replace one character,
        // inserting JSON's own punctuation, escapes, digits and control characters): most
        // results are invalid in some way, and both parsers must agree on every one.
        let mut text: Vec<char> = v.to_string().chars().collect();
        let odd: Vec<char> = odd.chars().collect();
        for (i, (at, op)) in edits.iter().enumerate() {
            let at = at.index(text.len() + 1);
            let c = odd.get(i % odd.len().max(1)).copied().unwrap_or('"');
            match (op, at < text.len()) {
                (0, true) => { text.remove(at); }
                (1, _) => text.insert(at, c),
                (_, true) => text[at] = c,
                _ => text.push(c),
            }
        }
        let text: String = text.into_iter().collect();
        let doc = json::doc_from_str_strict_depth(&text, depth);
        let val = json::from_slice_strict_depth(text.as_bytes(), depth);
        match (doc, val) {
            (Ok(d), Ok(v)) => prop_assert_eq!(d.to_value(), v),
            (Err(_), Err(_)) => {}
            (d, v) => prop_assert!(false, "{text:?}: doc {d:?}, serde_json {v:?}"),
        }
    }

    #[test]
    fn the_borrowed_tree_hashes_and_verifies_like_serde_json(
        v in json_value(),
        ws in "[ \t\n]{0,2}",
        drop in prop::collection::vec(any::<bool>(), 5),
        extra in prop::option::of(json_value()),
    ) {
        // A context that may verify: the example's keys, some dropped, maybe one foreign key,
        // in reverse key order; and arbitrary JSON, which mostly does not.
        let base: Value = serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/context_ok.json")).unwrap()).unwrap();
        let mut ctx = base.as_object().unwrap().clone();
        for (k, d) in base.as_object().unwrap().keys().zip(&drop) {
            if *d { ctx.remove(k); }
        }
        if let Some(x) = extra { ctx.insert("zz_extra".into(), x); }
        let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/lksg.v1.yml")).unwrap();
        let ir = policy::compile(&src, LintMode::Strict).unwrap().ir;
        let at = Some(parse_timestamp("2025-06-30T00:00:00Z").unwrap());
        let reg = shipped_lists();
        for value in [Value::Object(ctx), v] {
            let mut text = String::new();
            write_shuffled(&value, &ws, &mut text);
            let doc = json::doc_from_str_strict_depth(&text, 64).unwrap();
            let val = json::from_slice_strict_depth(text.as_bytes(), 64).unwrap();
            prop_assert_eq!(doc.to_value(), val.clone());
            prop_assert_eq!(hash::value_sha256(&doc).unwrap(), hash::value_sha256(&val).unwrap());
            let show = |r: Result<eval::Report, eval::EvalError>| r.map(|r| r.to_pretty_json().unwrap()).map_err(|e| e.to_string());
            prop_assert_eq!(show(eval::verify(&ir, &doc, at, reg)), show(eval::verify(&ir, &val, at, reg)));
        }
    }

    #[test]
    fn the_evaluator_never_panics_on_arbitrary_contexts(v in json_value()) {
        let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../policies/lksg.v1.yml")).unwrap();
        let ir = policy::compile(&src, LintMode::Strict).unwrap().ir;
        let _ = eval::verify(&ir, &v, None, &Registry::default());
    }
}

mod orchestrator_properties {
    use super::*;
    use proof_core::eval::{RunOptions, context};
    use proof_core::orchestrator::{self, BasicSelector, WeightedSelector};
    use std::collections::HashMap;

    /// A generated policy: rule i checks `x{i} <= t_i` (or `>=`) with a severity, and is
    /// either always active or switched on by some of the predicates `f{j}` (bool inputs).
    #[derive(Clone, Debug)]
    struct Gen {
        rules: Vec<(bool, u8, bool, Vec<usize>)>, // (range_max?, threshold, warn?, activating predicates)
        preds: usize,
    }

    fn policies() -> impl Strategy<Value = Gen> {
        (1usize..4).prop_flat_map(|preds| {
            prop::collection::vec(
                (
                    any::<bool>(),
                    0u8..10,
                    any::<bool>(),
                    prop::collection::vec(0..preds, 0..3),
                ),
                1..7,
            )
            .prop_map(move |rules| Gen { rules, preds })
        })
    }

    fn source(g: &Gen) -> String {
        let mut s = String::from(
            "id: gen\nversion: \"1\"\nlegal_basis: [{directive: LkSG, article: \"5\"}]\ninputs:\n",
        );
        for i in 0..g.rules.len() {
            s.push_str(&format!("  x{i}: {{type: number}}\n"));
        }
        for j in 0..g.preds {
            s.push_str(&format!("  f{j}: {{type: bool}}\n"));
        }
        s.push_str("rules:\n");
        for (i, (max, t, warn, _)) in g.rules.iter().enumerate() {
            let op = if *max { "range_max" } else { "range_min" };
            let sev = if *warn { "warn" } else { "fail" };
            s.push_str(&format!(
                "  - {{id: r{i}, op: {op}, lhs: x{i}, rhs: {t}, severity: {sev}}}\n"
            ));
        }
        s.push_str("adaptivity:\n  predicates:\n");
        for j in 0..g.preds {
            s.push_str(&format!("    - {{id: p{j}, expr: f{j}}}\n"));
        }
        s.push_str("  activations:\n");
        for (i, (_, _, _, when)) in g.rules.iter().enumerate() {
            if !when.is_empty() {
                let w: Vec<String> = when.iter().map(|j| format!("p{j}")).collect();
                s.push_str(&format!(
                    "    - {{when: [{}], rules: [r{i}]}}\n",
                    w.join(", ")
                ));
            }
        }
        if g.rules.iter().all(|r| r.3.is_empty()) {
            s.push_str("    []\n");
        }
        s.replace("  activations:\n    []\n", "  activations: []\n")
    }

    fn ctx(g: &Gen, xs: &[u8], flags: &[bool]) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for i in 0..g.rules.len() {
            m.insert(format!("x{i}"), json!(xs.get(i).copied().unwrap_or(0)));
        }
        for j in 0..g.preds {
            m.insert(
                format!("f{j}"),
                json!(flags.get(j).copied().unwrap_or(false)),
            );
        }
        serde_json::Value::Object(m)
    }

    fn at() -> time::OffsetDateTime {
        parse_timestamp("2025-01-01T00:00:00Z").unwrap()
    }

    proptest! {
        #[test]
        fn plans_are_sorted_by_cost_then_id(g in policies(), weights in prop::collection::vec(0u32..4, 6), xs in prop::collection::vec(0u8..10, 6), flags in prop::collection::vec(any::<bool>(), 3)) {
            let ir = policy::compile(&source(&g), LintMode::Relaxed).unwrap().ir;
            let w: HashMap<String, u32> = (0..g.rules.len()).map(|i| (format!("r{i}"), weights[i])).collect();
            let sel = WeightedSelector { weights: w.clone() };
            let c = context::decode(&ir.inputs, &ctx(&g, &xs, &flags)).unwrap();
            let p = orchestrator::plan(&ir, &c, at(), &sel).unwrap();
            let keys: Vec<(u32, &String)> = p.order.iter().map(|id| (w[id], id)).collect();
            let mut sorted = keys.clone();
            sorted.sort();
            prop_assert_eq!(keys, sorted);
            prop_assert_eq!(p.order.len() + p.skipped.len(), g.rules.len());
        }

        #[test]
        fn a_predicate_turning_true_never_removes_a_rule(g in policies(), xs in prop::collection::vec(0u8..10, 6), a in prop::collection::vec(any::<bool>(), 3), b in prop::collection::vec(any::<bool>(), 3)) {
            let ir = policy::compile(&source(&g), LintMode::Relaxed).unwrap().ir;
            let more: Vec<bool> = a.iter().zip(&b).map(|(x, y)| *x || *y).collect();
            let plan = |flags: &[bool]| {
                let c = context::decode(&ir.inputs, &ctx(&g, &xs, flags)).unwrap();
                orchestrator::plan(&ir, &c, at(), &BasicSelector).unwrap().active_rules
            };
            let (before, after) = (plan(&a), plan(&more));
            prop_assert!(before.iter().all(|r| after.contains(r)), "{:?} -> {:?}", before, after);
        }

        #[test]
        fn fail_fast_and_adaptivity_never_change_the_verdict(g in policies(), xs in prop::collection::vec(0u8..10, 6), flags in prop::collection::vec(any::<bool>(), 3)) {
            let ir = policy::compile(&source(&g), LintMode::Relaxed).unwrap().ir;
            let c = ctx(&g, &xs, &flags);
            let reg = Registry::default();
            let full = eval::verify(&ir, &c, Some(at()), &reg).unwrap();
            for (selector, fail_fast) in [(None, true), (Some(&BasicSelector as &dyn orchestrator::RuleSelector), false), (Some(&BasicSelector as &dyn orchestrator::RuleSelector), true)] {
                let v = eval::verify_with(&ir, &c, Some(at()), &reg, RunOptions { selector, fail_fast }).unwrap();
                prop_assert_eq!(v.report.verdict, full.verdict);
                if !fail_fast {
                    prop_assert_eq!(&v.report, &full, "without fail_fast the adaptive report is the full report");
                }
            }
        }
    }
}

mod scan_properties {
    use super::*;
    use proof_core::eval::context;
    use proof_core::ir::Ir;

    /// One input of every type, scalar and array; rules are not needed to decode.
    fn all_types_ir() -> &'static Ir {
        static IR: std::sync::OnceLock<Ir> = std::sync::OnceLock::new();
        IR.get_or_init(|| {
            let mut src = String::from("id: scan.test\nversion: \"1\"\ninputs:\n");
            for t in ["hex", "date", "duration", "string", "bool", "number"] {
                src.push_str(&format!(
                    "  {t}_one: {{type: {t}}}\n  {t}_many: {{type: array, items: {t}}}\n"
                ));
            }
            src.push_str("rules:\n  - {id: r, op: eq, lhs: bool_one, rhs: \"true\"}\n");
            policy::compile(&src, LintMode::Relaxed).unwrap().ir
        })
    }

    /// A string that is often a valid value of some type and sometimes nearly one.
    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[0-9a-f]{64}",
            "sha256:[0-9a-fA-F]{64}",
            "(sha256:)?[0-9a-fA-F]{63,65}",
            "20[0-9]{2}-(0[1-9]|1[0-3])-[0-3][0-9]",
            "P[0-9]{1,3}[DW]|PT[0-9]{1,2}H|P",
            "[a-zA-Z0-9 é\u{1F600}\"\\\\\u{1}/_-]{0,10}",
        ]
    }

    fn item() -> impl Strategy<Value = Value> {
        prop_oneof![
            6 => text().prop_map(Value::String),
            1 => any::<bool>().prop_map(Value::Bool),
            1 => (-1e6f64..1e6).prop_map(Value::from),
            1 => Just(Value::Null),
        ]
    }

    fn member_value() -> impl Strategy<Value = Value> {
        prop_oneof![
            2 => item(),
            2 => prop::collection::vec(item(), 0..5).prop_map(Value::Array),
            1 => json_value(),
        ]
    }

    /// Contexts as clients write them for [`all_types_ir`] without its number inputs.
    fn valid_context() -> impl Strategy<Value = Value> {
        (
            prop::collection::vec("(sha256:)?[0-9a-fA-F]{64}", 0..20),
            prop::collection::vec((2000u16..2100, 1u8..13, 1u8..29), 0..5),
            prop::collection::vec("[a-zA-Z0-9 é_-]{0,10}", 0..4),
            prop::collection::vec(any::<bool>(), 0..4),
        )
            .prop_map(|(hashes, dates, words, flags)| {
                let date = |(y, m, d): &(u16, u8, u8)| format!("{y:04}-{m:02}-{d:02}");
                json!({
                    "as_of": "2025-06-30T00:00:00Z",
                    "hex_one": hashes.first().cloned().unwrap_or_else(|| "ab".repeat(32)),
                    "hex_many": hashes,
                    "date_one": date(&(2024, 2, 29)),
                    "date_many": dates.iter().map(date).collect::<Vec<_>>(),
                    "duration_one": "P30D",
                    "duration_many": ["PT12H", "P2W"],
                    "string_one": words.first().cloned().unwrap_or_default(),
                    "string_many": words,
                    "bool_one": true,
                    "bool_many": flags,
                })
            })
    }

    proptest! {
        #[test]
        fn scanning_a_context_agrees_with_parsing_decoding_and_hashing_it(
            base in valid_context(),
            changes in prop::collection::vec((0usize..12, 0u8..4, member_value()), 0..3),
            change in 0u8..3,
            extra in prop::option::of(("as_of|[a-zé_]{1,6}", member_value())),
            numbers in prop::bool::weighted(0.2),
            ws in "[ \t\n]{0,2}",
            edits in prop::collection::vec((any::<prop::sample::Index>(), "[\"\\\\,:\\[\\]{} 0tfn]"), 0..2),
            depth in 1usize..5,
        ) {
            // A valid context, then a few changes (a member replaced by another value or
            // dropped, one more member, a character overwritten): many results are invalid,
            // or valid but not for the fast path; wherever it answers, it must agree.
            let mut obj = base.as_object().unwrap().clone();
            let keys: Vec<String> = obj.keys().cloned().collect();
            // A third of the cases stay valid (up to whitespace and key order).
            let (changes, extra, edits) = if change == 0 { (vec![], None, vec![]) } else { (changes, extra, edits) };
            for (i, what, v) in changes {
                let k = &keys[i % keys.len()];
                if what == 0 { obj.remove(k); } else { obj.insert(k.clone(), v); }
            }
            if let Some((k, v)) = extra {
                obj.insert(k, v);
            }
            let mut text = String::new();
            write_shuffled(&Value::Object(obj), &ws, &mut text);
            for (at, c) in edits {
                let mut chars: Vec<char> = text.chars().collect();
                let at = at.index(chars.len());
                chars[at] = c.chars().next().unwrap();
                text = chars.into_iter().collect();
            }
            let mut inputs = all_types_ir().inputs.clone();
            if !numbers {
                inputs.retain(|k, _| !k.starts_with("number"));
            }
            let slow = json::from_slice_strict_depth(text.as_bytes(), depth)
                .ok()
                .and_then(|v| Some((context::decode(&inputs, &v).ok()?, hash::value_sha256(&v).unwrap())));
            let mut cur = json::Cursor::new(&text);
            let fast = context::scan(&inputs, &mut cur, depth).filter(|_| cur.at_end());
            if let Some(f) = fast {
                prop_assert_eq!(Some((f.context, f.hash)), slow, "{}", text);
            }
        }

        #[test]
        fn scanning_reads_every_context_of_hashes_dates_and_plain_strings(
            ctx in valid_context(),
            ws in "[ \t\n]{0,2}",
        ) {
            // Contexts as clients write them: the fast path must take them all, or it is dead
            // code that only looks like a speed-up.
            let mut text = String::new();
            write_shuffled(&ctx, &ws, &mut text);
            let mut inputs = all_types_ir().inputs.clone();
            inputs.retain(|k, _| !k.starts_with("number"));
            let mut cur = json::Cursor::new(&text);
            let fast = context::scan(&inputs, &mut cur, 2).filter(|_| cur.at_end());
            prop_assert_eq!(
                fast.map(|f| (f.context, f.hash)),
                Some((context::decode(&inputs, &ctx).unwrap(), hash::value_sha256(&ctx).unwrap()))
            );
        }
    }
}
