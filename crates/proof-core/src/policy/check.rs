//! Step three: policy syntax tree to typed IR.
//!
//! Consumes a [`PolicyAst`]; parses and type-checks every expression against the declared
//! inputs, runs the semantic lints (duplicate ids, unknown names, unused inputs, rules that
//! can never be active) and, when no error was found, lowers the policy to [`Ir`].

use super::ast::{ExprSrc, PolicyAst, Text};
use super::decode::{Decoder, suggest};
use super::expr::{self, Ast, AstKind};
use super::yaml::Node;
use crate::diag::{Code, Span, has_errors};
use crate::hash;
use crate::ir::{
    Activation, Adaptivity, Expr, Func, IR_VERSION, InputDecl, Ir, Lit, Op, Predicate, Rule,
};
use crate::types::Type;
use std::collections::{BTreeMap, BTreeSet};

struct Checker<'d, 's> {
    d: &'d mut Decoder<'s>,
    inputs: BTreeMap<String, Type>,
    /// Declared names, including those whose type did not decode (already reported).
    declared: BTreeSet<String>,
    used: BTreeSet<String>,
    /// An expression did not parse, so which inputs it uses is unknown.
    unparsed: bool,
}

/// Checks `ast` and lowers it; `None` when any error was reported.
pub fn check(d: &mut Decoder<'_>, ast: &PolicyAst, doc: &Node) -> Option<Ir> {
    let inputs = ast
        .inputs
        .iter()
        .filter_map(|i| i.ty.map(|t| (i.name.value.clone(), t)))
        .collect();
    let declared = ast.inputs.iter().map(|i| i.name.value.clone()).collect();
    let mut c = Checker {
        d,
        inputs,
        declared,
        used: BTreeSet::new(),
        unparsed: false,
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
            let lhs = r.lhs.as_ref().and_then(|e| self.expr(e));
            let rhs = r.rhs.as_ref().and_then(|e| self.expr(e));
            let (Some(op), Some(lhs), Some(rhs)) = (op, lhs, rhs) else {
                out.push(None);
                continue;
            };
            if let Err(m) = op.check(lhs.ty(), rhs.ty()) {
                let span = r.op.as_ref().map(|t| t.span);
                self.d.report(
                    Code::TypeMismatch,
                    format!("rule `{}`: {m}", r.id.value),
                    span,
                );
                out.push(None);
                continue;
            }
            out.push(Some(Rule {
                id: r.id.value.clone(),
                op,
                lhs,
                rhs,
                severity: r.severity,
                description: r.description.clone(),
            }));
        }
        out
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
                if expr.ty() == Type::BOOL {
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

    fn expr(&mut self, src: &ExprSrc) -> Option<Expr> {
        match expr::parse(&src.text) {
            Ok(ast) => self.type_of(&ast, src),
            Err(e) => {
                self.unparsed = true;
                let code = if e.literal {
                    Code::InvalidLiteral
                } else {
                    Code::ExpressionSyntax
                };
                let span = sub_span(self.d.src, src, e.span);
                self.d.report(
                    code,
                    format!("in `{}`: {}", src.text, e.message),
                    Some(span),
                );
                None
            }
        }
    }

    fn mismatch(&mut self, src: &ExprSrc, at: (usize, usize), msg: String) -> Option<Expr> {
        let span = sub_span(self.d.src, src, at);
        self.d.report(Code::TypeMismatch, msg, Some(span));
        None
    }

    fn type_of(&mut self, a: &Ast, src: &ExprSrc) -> Option<Expr> {
        match &a.kind {
            AstKind::Number(n) => Some(Expr::Lit(Lit::Number(*n))),
            AstKind::Str(s) => Some(Expr::Lit(Lit::String(s.clone()))),
            AstKind::Bool(b) => Some(Expr::Lit(Lit::Bool(*b))),
            AstKind::Date(d) => Some(Expr::Lit(Lit::Date(*d))),
            AstKind::Duration(d) => Some(Expr::Lit(Lit::Duration(*d))),
            AstKind::Ident(name) => {
                if let Some(ty) = self.inputs.get(name) {
                    self.used.insert(name.clone());
                    return Some(Expr::Var {
                        name: name.clone(),
                        ty: *ty,
                    });
                }
                if self.declared.contains(name) {
                    return None;
                }
                let hint = hint(name, self.inputs.keys().map(String::as_str));
                let span = sub_span(self.d.src, src, a.span);
                self.d.report(
                    Code::UnknownInput,
                    format!("`{name}` is not a declared input{hint}"),
                    Some(span),
                );
                None
            }
            AstKind::Call(name, nspan, args) => {
                let typed: Vec<Option<Expr>> = args.iter().map(|x| self.type_of(x, src)).collect();
                let Some(func) = Func::from_name(name) else {
                    let names = Func::ALL.map(Func::name);
                    let span = sub_span(self.d.src, src, *nspan);
                    self.d.report(
                        Code::UnknownFunction,
                        format!(
                            "unknown function `{name}`; functions are {}",
                            names.join(", ")
                        ),
                        Some(span),
                    );
                    return None;
                };
                let args: Vec<Expr> = typed.into_iter().collect::<Option<_>>()?;
                let tys: Vec<Type> = args.iter().map(Expr::ty).collect();
                match func.result_type(&tys) {
                    Ok(ty) => Some(Expr::Call { func, args, ty }),
                    Err(m) => {
                        let found = tys
                            .iter()
                            .map(|t| format!("`{t}`"))
                            .collect::<Vec<_>>()
                            .join(", ");
                        self.mismatch(src, a.span, format!("{m}; found ({found})"))
                    }
                }
            }
            AstKind::Unary(op, x) => {
                let arg = self.type_of(x, src)?;
                match op.result_type(arg.ty()) {
                    Some(ty) => Some(Expr::Unary {
                        op: *op,
                        arg: Box::new(arg),
                        ty,
                    }),
                    None => {
                        let msg = format!("`{}` does not apply to `{}`", op.name(), arg.ty());
                        self.mismatch(src, a.span, msg)
                    }
                }
            }
            AstKind::Binary(op, l, r) => {
                let (l, r) = (self.type_of(l, src), self.type_of(r, src));
                let (l, r) = (l?, r?);
                match op.result_type(l.ty(), r.ty()) {
                    Some(ty) => Some(Expr::Binary {
                        op: *op,
                        lhs: Box::new(l),
                        rhs: Box::new(r),
                        ty,
                    }),
                    None => {
                        let msg = format!(
                            "`{}` does not apply to `{}` and `{}`",
                            op.symbol(),
                            l.ty(),
                            r.ty()
                        );
                        self.mismatch(src, a.span, msg)
                    }
                }
            }
        }
    }
}

fn hint<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    suggest(name, candidates).map_or(String::new(), |s| format!("; did you mean `{s}`?"))
}

/// Maps a byte range inside expression text to a source span.
fn sub_span(src: &str, e: &ExprSrc, (a, b): (usize, usize)) -> Span {
    match e.body {
        Some(body) => Span::at(src, body + a, b.saturating_sub(a)),
        None => e.span,
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
            i.ty.map(|ty| {
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
        ir_version: IR_VERSION.to_owned(),
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
    match ir.compute_hash() {
        Ok(h) => ir.ir_hash = h,
        Err(e) => {
            d.report(Code::InvalidLiteral, e.to_string(), Some(doc.span));
            return None;
        }
    }
    Some(ir)
}
