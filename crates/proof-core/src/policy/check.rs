//! Step three: policy syntax tree to typed IR.
//!
//! Consumes a [`PolicyAst`]; parses and type-checks every expression against the declared
//! inputs, runs the semantic lints (duplicate ids, unknown names, unused inputs, rules that
//! can never be active) and, when no error was found, lowers the policy to [`Ir`].
//! Expression typing is in [`expr`].

mod expr;

use super::ast::{EachAst, PolicyAst, RuleAst, Text};
use super::decode::{Decoder, suggest};
use super::yaml::Node;
use crate::diag::{Code, has_errors};
use crate::hash;
use crate::ir::{
    Activation, Adaptivity, Each, InputDecl, Ir, Lit, Op, Predicate, Rule, keyed_range,
};
use crate::types::{Record, Scalar, Type};
use expr::hint;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

struct Checker<'d, 's> {
    d: &'d mut Decoder<'s>,
    inputs: BTreeMap<String, Type>,
    /// Declared names, including those whose type did not decode (already reported).
    declared: BTreeSet<String>,
    used: BTreeSet<String>,
    /// An expression did not parse, so which inputs it uses is unknown.
    unparsed: bool,
    /// Names bound by enclosing macros and `each` rules, innermost last.
    locals: Vec<(String, Type)>,
    /// Record types with their fields in source order.
    records: Vec<(Arc<Record>, Vec<String>)>,
}

/// Checks `ast` and lowers it; `None` when any error was reported.
pub fn check(d: &mut Decoder<'_>, ast: &PolicyAst, doc: &Node) -> Option<Ir> {
    let inputs = ast
        .inputs
        .iter()
        .filter_map(|i| i.ty.clone().map(|t| (i.name.value.clone(), t)))
        .collect();
    let declared = ast.inputs.iter().map(|i| i.name.value.clone()).collect();
    let mut c = Checker {
        d,
        inputs,
        declared,
        used: BTreeSet::new(),
        unparsed: false,
        locals: Vec::new(),
        records: ast.records.clone(),
    };
    let rules = c.rules(ast);
    let predicates = c.predicates(ast);
    c.activations(ast);
    c.unused_inputs(ast);
    c.never_active(ast, &predicates);
    if has_errors(&c.d.diags) {
        return None;
    }
    lower(c.d, ast, doc, rules, predicates)
}

impl Checker<'_, '_> {
    fn rules(&mut self, ast: &PolicyAst) -> Vec<Option<Rule>> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for r in &ast.rules {
            if !seen.insert(r.id.value.as_str()) {
                self.d.report(
                    Code::DuplicateRuleId,
                    format!("rule id `{}` is used twice", r.id.value),
                    Some(r.id.span),
                );
            }
            let op = r.op.as_ref().and_then(|t| {
                let op = Op::from_name(&t.value);
                if op.is_none() {
                    let names = Op::ALL.map(Op::name);
                    let hint = suggest(&t.value, names.into_iter()).map_or_else(
                        || format!("; ops are {}", names.join(", ")),
                        |s| format!("; did you mean `{s}`?"),
                    );
                    self.d.report(
                        Code::UnknownOp,
                        format!("rule `{}` uses unknown op `{}`{hint}", r.id.value, t.value),
                        Some(t.span),
                    );
                }
                op
            });
            let rule = match (op, &r.each) {
                (Some(Op::Each), Some(each)) => self.each_rule(r, each),
                (Some(op), _) if op != Op::Each => self.operands_rule(r, op),
                // The op is unknown: type what there is, for its errors and for the inputs
                // it uses.
                _ => {
                    for e in r.lhs.iter().chain(&r.rhs) {
                        self.expr(e);
                    }
                    None
                }
            };
            out.push(rule);
        }
        out
    }

    /// A rule with `lhs` and `rhs`.
    fn operands_rule(&mut self, r: &RuleAst, op: Op) -> Option<Rule> {
        let lhs = r.lhs.as_ref().and_then(|e| self.expr(e));
        let rhs = r.rhs.as_ref().and_then(|e| self.expr(e));
        let (lhs, rhs) = (lhs?, rhs?);
        if let Err(m) = op.check(&lhs.ty(), &rhs.ty()) {
            let span = r.op.as_ref().map(|t| t.span);
            self.d.report(
                Code::TypeMismatch,
                format!("rule `{}`: {m}", r.id.value),
                span,
            );
            return None;
        }
        let key = match keyed_range(&lhs) {
            Some(item) if matches!(op, Op::Membership | Op::NonMembership) => self.key(r, &item)?,
            _ => {
                if let Some(k) = &r.key {
                    self.d.report(
                        Code::WrongShape,
                        format!(
                            "rule `{}`: `key` applies to `each` rules and to membership rules whose `lhs` maps records (`xs.map(x, x.ids)`)",
                            r.id.value
                        ),
                        Some(k.span),
                    );
                    return None;
                }
                None
            }
        };
        Some(Rule {
            id: r.id.value.clone(),
            op,
            lhs: Some(lhs),
            rhs: Some(rhs),
            each: None,
            key,
            severity: r.severity,
            description: r.description.clone(),
        })
    }

    fn each_rule(&mut self, r: &RuleAst, each: &EachAst) -> Option<Rule> {
        let over = self.expr(each.over.as_ref()?)?;
        let Some(item) = over.ty().item() else {
            let msg = format!(
                "rule `{}`: `over` must be an array, `{over}` is `{}`",
                r.id.value,
                over.ty()
            );
            let span = each.over.as_ref().map(|o| o.span);
            self.d.report(Code::TypeMismatch, msg, span);
            return None;
        };
        let var = each.var.as_ref()?;
        if !self.bind(&var.value, item.clone(), var.span) {
            return None;
        }
        let cond = |c: &mut Self, src: &super::ast::ExprSrc, what: &str| {
            let e = c.expr(src)?;
            if e.ty() == Type::BOOL {
                Some(e)
            } else {
                let msg = format!(
                    "rule `{}`: `{what}` must be `bool`, `{}` is `{}`",
                    r.id.value,
                    src.text,
                    e.ty()
                );
                c.d.report(Code::TypeMismatch, msg, Some(src.span));
                None
            }
        };
        let filter = each.filter.as_ref().map(|w| cond(self, w, "where"));
        let holds = each.holds.as_ref().and_then(|h| cond(self, h, "holds"));
        self.unbind();
        let filter = match filter {
            Some(None) => return None,
            Some(Some(e)) => Some(e),
            None => None,
        };
        let holds = holds?;
        let key = self.key(r, &item)?;
        Some(Rule {
            id: r.id.value.clone(),
            op: Op::Each,
            lhs: None,
            rhs: None,
            each: Some(Each {
                over,
                var: var.value.clone(),
                filter,
                holds,
            }),
            key,
            severity: r.severity,
            description: r.description.clone(),
        })
    }

    /// The key field of a rule over items of type `item`: the declared `key`, else the
    /// first required `hex` field as written, else none (items are named by index).
    /// `None` when a declared key does not fit (reported).
    #[expect(clippy::option_option, reason = "outer: error reported; inner: no key")]
    fn key(&mut self, r: &RuleAst, item: &Type) -> Option<Option<String>> {
        let Type::Record(rec) = item else {
            if let Some(k) = &r.key {
                let msg = format!(
                    "rule `{}`: `key` needs items that are records, these are `{item}`",
                    r.id.value
                );
                self.d.report(Code::TypeMismatch, msg, Some(k.span));
                return None;
            }
            return Some(None);
        };
        let fits = |f: &crate::types::Field| {
            !f.optional && matches!(f.ty, Type::Scalar(Scalar::Hex | Scalar::String))
        };
        if let Some(k) = &r.key {
            return match rec.field(&k.value) {
                Some((_, f)) if fits(f) => Some(Some(k.value.clone())),
                Some(_) => {
                    let msg = format!(
                        "rule `{}`: key field `{}` must be a required `hex` or `string` field",
                        r.id.value, k.value
                    );
                    self.d.report(Code::TypeMismatch, msg, Some(k.span));
                    None
                }
                None => {
                    let msg = format!(
                        "rule `{}`: the items have no field `{}`{}; their fields are {}",
                        r.id.value,
                        k.value,
                        hint(&k.value, rec.names().into_iter()),
                        rec.names().join(", ")
                    );
                    self.d.report(Code::UnknownRecordField, msg, Some(k.span));
                    None
                }
            };
        }
        let order = self
            .records
            .iter()
            .find(|(x, _)| x == rec)
            .map(|(_, o)| o.clone())
            .unwrap_or_else(|| rec.names().into_iter().map(str::to_owned).collect());
        let first_hex = order.into_iter().find(|n| {
            rec.field(n)
                .is_some_and(|(_, f)| !f.optional && f.ty == Type::HEX)
        });
        Some(first_hex)
    }

    fn predicates(&mut self, ast: &PolicyAst) -> Vec<Option<Predicate>> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for p in &ast.predicates {
            if !seen.insert(p.id.value.as_str()) {
                self.d.report(
                    Code::DuplicatePredicateId,
                    format!("predicate id `{}` is used twice", p.id.value),
                    Some(p.id.span),
                );
            }
            let e = p
                .expr
                .as_ref()
                .and_then(|e| self.expr(e).map(|x| (x, e.span)));
            out.push(e.and_then(|(expr, span)| {
                let mut lists = false;
                expr.walk(&mut |x| {
                    lists |= matches!(
                        x,
                        crate::ir::Expr::Call {
                            func: crate::ir::Func::OnList,
                            ..
                        }
                    );
                });
                if lists {
                    self.d.report(
                        Code::TypeMismatch,
                        format!(
                            "predicate `{}` calls `on_list`: predicates decide which rules run and see no lists; check lists in a rule",
                            p.id.value
                        ),
                        Some(span),
                    );
                    None
                } else if expr.ty() == Type::BOOL {
                    Some(Predicate {
                        id: p.id.value.clone(),
                        expr,
                    })
                } else {
                    self.d.report(
                        Code::TypeMismatch,
                        format!(
                            "predicate `{}` must be `bool`, but its expression is `{}`",
                            p.id.value,
                            expr.ty()
                        ),
                        Some(span),
                    );
                    None
                }
            }));
        }
        out
    }

    fn activations(&mut self, ast: &PolicyAst) {
        let rule_ids: BTreeSet<&str> = ast.rules.iter().map(|r| r.id.value.as_str()).collect();
        let pred_ids: BTreeSet<&str> = ast.predicates.iter().map(|p| p.id.value.as_str()).collect();
        for a in &ast.activations {
            for w in &a.when {
                if !pred_ids.contains(w.value.as_str()) {
                    let hint = hint(&w.value, pred_ids.iter().copied());
                    self.d.report(
                        Code::UnknownPredicate,
                        format!("activation names unknown predicate `{}`{hint}", w.value),
                        Some(w.span),
                    );
                }
            }
            for r in &a.rules {
                if !rule_ids.contains(r.value.as_str()) {
                    let hint = hint(&r.value, rule_ids.iter().copied());
                    self.d.report(
                        Code::UnknownRule,
                        format!("activation names unknown rule `{}`{hint}", r.value),
                        Some(r.span),
                    );
                }
            }
        }
    }

    fn unused_inputs(&mut self, ast: &PolicyAst) {
        if self.unparsed {
            return;
        }
        for i in &ast.inputs {
            // A stated input is used by the receipt (`eval::STATED_PREFIX`).
            let stated = i.name.value.starts_with(crate::eval::STATED_PREFIX);
            if i.ty.is_some() && !stated && !self.used.contains(&i.name.value) {
                self.d.report(
                    Code::UnusedInput,
                    format!("input `{}` is used by no rule or predicate", i.name.value),
                    Some(i.name.span),
                );
            }
        }
    }

    /// A rule named in activations is active only when one of their predicates holds; if
    /// every such predicate is unknown or constantly false, it can never run.
    fn never_active(&mut self, ast: &PolicyAst, preds: &[Option<Predicate>]) {
        let known: BTreeMap<&str, &Option<Predicate>> = ast
            .predicates
            .iter()
            .map(|p| p.id.value.as_str())
            .zip(preds)
            .collect();
        let can_hold = |id: &str| match known.get(id) {
            None => false,
            Some(None) => true,
            Some(Some(p)) => crate::eval::eval_const(&p.expr) != Some(Lit::Bool(false)),
        };
        for r in &ast.rules {
            let mut named = false;
            let mut possible = false;
            for a in ast
                .activations
                .iter()
                .filter(|a| a.rules.iter().any(|x| x.value == r.id.value))
            {
                named = true;
                possible |= a.when.iter().any(|w| can_hold(&w.value));
            }
            if named && !possible {
                self.d.report(
                    Code::RuleNeverActive,
                    format!("rule `{}` is only switched on by predicates that can never hold, so it never runs", r.id.value),
                    Some(r.id.span),
                );
            }
        }
    }
}

fn lower(
    d: &mut Decoder<'_>,
    ast: &PolicyAst,
    doc: &Node,
    rules: Vec<Option<Rule>>,
    predicates: Vec<Option<Predicate>>,
) -> Option<Ir> {
    let text = |t: &Option<Text>| t.as_ref().map(|t| t.value.clone());
    let policy_hash = match hash::value_sha256(&doc.to_json()) {
        Ok(h) => h,
        Err(e) => {
            d.report(Code::InvalidLiteral, e.to_string(), Some(doc.span));
            return None;
        }
    };
    let inputs = ast
        .inputs
        .iter()
        .filter_map(|i| {
            i.ty.clone().map(|ty| {
                (
                    i.name.value.clone(),
                    InputDecl {
                        ty,
                        description: i.description.clone(),
                    },
                )
            })
        })
        .collect();
    let activations = ast
        .activations
        .iter()
        .map(|a| Activation {
            when: a.when.iter().map(|t| t.value.clone()).collect(),
            rules: a.rules.iter().map(|t| t.value.clone()).collect(),
        })
        .collect();
    let mut ir = Ir {
        ir_version: String::new(),
        policy_id: text(&ast.id)?,
        version: text(&ast.version)?,
        policy_hash,
        description: ast.description.clone(),
        legal_basis: ast.legal_basis.clone(),
        inputs,
        rules: rules.into_iter().collect::<Option<_>>()?,
        adaptivity: Adaptivity {
            predicates: predicates.into_iter().collect::<Option<_>>()?,
            activations,
        },
        ir_hash: String::new(),
    };
    ir.ir_version = ir.required_version().to_owned();
    match ir.compute_hash() {
        Ok(h) => ir.ir_hash = h,
        Err(e) => {
            d.report(Code::InvalidLiteral, e.to_string(), Some(doc.span));
            return None;
        }
    }
    Some(ir)
}
