//! Step two (structure): spanned YAML tree to a policy syntax tree.
//!
//! Consumes a [`Node`]; produces a [`PolicyAst`] plus structural diagnostics (unknown,
//! missing and duplicate fields, wrong shapes). Decoding goes on after a problem so one
//! run reports as much as it can. Input types, records included, are in [`inputs`].

mod inputs;

use super::ast::{ActivationAst, EachAst, ExprSrc, PolicyAst, PredicateAst, RuleAst, Text};
use super::yaml::{Node, NodeKind};
use crate::diag::{Code, Diagnostic, Span};
use crate::ir::{LegalBasis, Severity};
use std::collections::BTreeMap;

/// Collects diagnostics while decoding.
pub struct Decoder<'s> {
    /// The policy source.
    pub src: &'s str,
    /// Relaxed lint mode.
    pub relaxed: bool,
    /// Findings so far.
    pub diags: Vec<Diagnostic>,
}

type Fields<'n> = BTreeMap<&'n str, &'n Node>;

impl<'s> Decoder<'s> {
    /// A decoder over `src`.
    #[must_use]
    pub const fn new(src: &'s str, relaxed: bool) -> Self {
        Self {
            src,
            relaxed,
            diags: Vec::new(),
        }
    }

    /// Records a diagnostic.
    pub fn report(&mut self, code: Code, message: impl Into<String>, span: Option<Span>) {
        self.diags
            .push(Diagnostic::new(code, self.relaxed, message, span));
    }

    fn fields<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        allowed: &[&str],
        required: &[&str],
    ) -> Option<Fields<'n>> {
        let NodeKind::Map(pairs) = &node.kind else {
            self.report(
                Code::WrongShape,
                format!("{what} must be a mapping, found {}", node.kind.describe()),
                Some(node.span),
            );
            return None;
        };
        let mut out = BTreeMap::new();
        for (k, v) in pairs {
            if out.contains_key(k.name.as_str()) {
                self.report(
                    Code::DuplicateKey,
                    format!("key `{}` appears twice in {what}", k.name),
                    Some(k.span),
                );
                continue;
            }
            if !allowed.contains(&k.name.as_str()) {
                let hint = suggest(&k.name, allowed.iter().copied())
                    .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
                self.report(
                    Code::UnknownField,
                    format!("unknown field `{}` in {what}{hint}", k.name),
                    Some(k.span),
                );
                continue;
            }
            out.insert(k.name.as_str(), v);
        }
        for r in required {
            if !out.contains_key(r) {
                self.report(
                    Code::MissingField,
                    format!("{what} has no `{r}`"),
                    Some(node.span),
                );
            }
        }
        Some(out)
    }

    fn text(&mut self, node: &Node, what: &str) -> Option<Text> {
        match &node.kind {
            NodeKind::Str(s) => Some(Text {
                value: s.clone(),
                span: node.span,
            }),
            NodeKind::Int(_) | NodeKind::Float(_) | NodeKind::OutOfRange(_) => {
                let shown = self
                    .src
                    .get(node.span.offset..node.span.offset + node.span.len)
                    .unwrap_or("")
                    .trim();
                self.report(
                    Code::WrongShape,
                    format!("{what} must be a string; quote it: `\"{shown}\"`"),
                    Some(node.span),
                );
                None
            }
            other => {
                self.report(
                    Code::WrongShape,
                    format!("{what} must be a string, found {}", other.describe()),
                    Some(node.span),
                );
                None
            }
        }
    }

    fn seq<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n [Node]> {
        match &node.kind {
            NodeKind::Seq(items) => Some(items),
            other => {
                self.report(
                    Code::WrongShape,
                    format!("{what} must be a list, found {}", other.describe()),
                    Some(node.span),
                );
                None
            }
        }
    }

    /// One id, or a list of ids (for `when` and `rules` in activations).
    fn ids(&mut self, node: &Node, what: &str) -> Vec<Text> {
        match &node.kind {
            NodeKind::Seq(items) => items.iter().filter_map(|n| self.text(n, what)).collect(),
            _ => self.text(node, what).into_iter().collect(),
        }
    }

    fn expr_src(&mut self, node: &Node, what: &str) -> Option<ExprSrc> {
        let text = match &node.kind {
            NodeKind::Str(s) | NodeKind::OutOfRange(s) => s.clone(),
            NodeKind::Int(i) => i.to_string(),
            NodeKind::Float(f) => serde_json::Value::from(*f).to_string(),
            NodeKind::Bool(b) => b.to_string(),
            other => {
                self.report(
                    Code::WrongShape,
                    format!("{what} must be an expression, found {}", other.describe()),
                    Some(node.span),
                );
                return None;
            }
        };
        let start = node.span.offset;
        let body = [start, start + 1]
            .into_iter()
            .find(|&b| self.src.get(b..b + text.len()) == Some(text.as_str()));
        Some(ExprSrc {
            text,
            span: node.span,
            body,
        })
    }

    /// Decodes the document.
    pub fn policy(&mut self, doc: &Node) -> PolicyAst {
        const TOP: [&str; 7] = [
            "id",
            "version",
            "description",
            "legal_basis",
            "inputs",
            "rules",
            "adaptivity",
        ];
        let mut p = PolicyAst {
            span: Some(doc.span),
            ..PolicyAst::default()
        };
        let Some(f) = self.fields(
            doc,
            "the policy",
            &TOP,
            &["id", "version", "inputs", "rules"],
        ) else {
            return p;
        };
        p.id = f.get("id").and_then(|n| self.text(n, "`id`"));
        if let Some(id) = p.id.as_ref().filter(|id| !valid_policy_id(&id.value)) {
            self.report(
                Code::InvalidIdentifier,
                format!("policy id `{}` must start with a letter or digit and use only letters, digits, `.`, `_` and `-`", id.value),
                Some(id.span),
            );
        }
        p.version = f.get("version").and_then(|n| self.text(n, "`version`"));
        if p.version
            .as_ref()
            .is_some_and(|v| v.value.trim().is_empty())
        {
            self.report(
                Code::WrongShape,
                "`version` is empty",
                p.version.as_ref().map(|v| v.span),
            );
        }
        p.description = f
            .get("description")
            .and_then(|n| self.text(n, "`description`"))
            .map(|t| t.value);
        match f.get("legal_basis") {
            None => self.report(
                Code::EmptyLegalBasis,
                "the policy has no `legal_basis`; name the provisions it implements",
                Some(doc.span),
            ),
            Some(n) => self.legal_basis(n, &mut p),
        }
        if let Some(n) = f.get("inputs") {
            self.inputs(n, &mut p);
        }
        if let Some(items) = f.get("rules").and_then(|n| self.seq(n, "`rules`")) {
            p.rules = items.iter().filter_map(|r| self.rule(r)).collect();
            if items.is_empty() {
                let span = f.get("rules").map(|n| n.span);
                self.report(
                    Code::NoRules,
                    "the policy has no rules, so every context would pass",
                    span,
                );
            }
        }
        if let Some(n) = f.get("adaptivity") {
            self.adaptivity(n, &mut p);
        }
        p
    }

    fn legal_basis(&mut self, node: &Node, p: &mut PolicyAst) {
        let Some(items) = self.seq(node, "`legal_basis`") else {
            return;
        };
        if items.is_empty() {
            self.report(
                Code::EmptyLegalBasis,
                "`legal_basis` is empty; name the provisions the policy implements",
                Some(node.span),
            );
        }
        for item in items {
            let Some(f) = self.fields(
                item,
                "a `legal_basis` entry",
                &["directive", "article"],
                &["directive"],
            ) else {
                continue;
            };
            let d = f.get("directive").and_then(|n| self.text(n, "`directive`"));
            // `article` is optional; given, it must be a string (else reported, `None`).
            let article = match f.get("article") {
                None => Some(None),
                Some(n) => self.text(n, "`article`").map(Some),
            };
            if let (Some(d), Some(a)) = (d, article) {
                let empty_article = a.as_ref().is_some_and(|t| t.value.trim().is_empty());
                if d.value.trim().is_empty() || empty_article {
                    self.report(
                        Code::EmptyLegalBasis,
                        "a `legal_basis` entry has an empty `directive` or `article`",
                        Some(item.span),
                    );
                }
                p.legal_basis.push(LegalBasis {
                    directive: d.value,
                    article: a.map(|t| t.value),
                });
            }
        }
    }

    fn rule(&mut self, node: &Node) -> Option<RuleAst> {
        const RULE: [&str; 11] = [
            "id",
            "op",
            "lhs",
            "rhs",
            "over",
            "as",
            "where",
            "holds",
            "key",
            "severity",
            "description",
        ];
        let f = self.fields(node, "a rule", &RULE, &["id", "op"])?;
        let id = f.get("id").and_then(|n| self.text(n, "rule `id`"))?;
        if let Err(m) = check_ident(&id.value, "rule id") {
            self.report(Code::InvalidIdentifier, m, Some(id.span));
        }
        let op = f.get("op").and_then(|n| self.text(n, "`op`"));
        let is_each = op.as_ref().is_some_and(|t| t.value == "each");
        let (needed, foreign): (&[&str], &[&str]) = if is_each {
            (&["over", "as", "holds"], &["lhs", "rhs"])
        } else {
            (&["lhs", "rhs"], &["over", "as", "where", "holds"])
        };
        for r in needed {
            if !f.contains_key(r) {
                self.report(
                    Code::MissingField,
                    format!("a rule has no `{r}`"),
                    Some(node.span),
                );
            }
        }
        let op_name = op.as_ref().map_or("", |t| t.value.as_str());
        for x in foreign {
            if let Some(n) = f.get(x) {
                let hint = if is_each {
                    "an `each` rule takes `over`, `as`, `where` and `holds`"
                } else {
                    "only `op: each` takes `over`, `as`, `where` and `holds`"
                };
                self.report(
                    Code::WrongShape,
                    format!("`{x}` does not apply to a rule with op `{op_name}`: {hint}"),
                    Some(n.span),
                );
            }
        }
        let lhs = f.get("lhs").and_then(|n| self.expr_src(n, "`lhs`"));
        let rhs = f.get("rhs").and_then(|n| self.expr_src(n, "`rhs`"));
        let each = if is_each { self.each(&f) } else { None };
        let key = f.get("key").and_then(|n| self.text(n, "`key`"));
        let severity = match f.get("severity").and_then(|n| self.text(n, "`severity`")) {
            None => Severity::Fail,
            Some(t) => match t.value.as_str() {
                "fail" => Severity::Fail,
                "warn" => Severity::Warn,
                other => {
                    self.report(
                        Code::WrongShape,
                        format!("severity `{other}` is neither `fail` nor `warn`"),
                        Some(t.span),
                    );
                    Severity::Fail
                }
            },
        };
        let description = f
            .get("description")
            .and_then(|n| self.text(n, "`description`"))
            .map(|t| t.value);
        Some(RuleAst {
            id,
            op,
            lhs,
            rhs,
            each,
            key,
            severity,
            description,
        })
    }

    fn each(&mut self, f: &Fields<'_>) -> Option<EachAst> {
        let over = f.get("over").and_then(|n| self.expr_src(n, "`over`"));
        let var = f.get("as").and_then(|n| self.text(n, "`as`"));
        if let Some(v) = &var
            && let Err(m) = check_ident(&v.value, "`as` name")
        {
            self.report(Code::InvalidIdentifier, m, Some(v.span));
        }
        let filter = f.get("where").and_then(|n| self.expr_src(n, "`where`"));
        let holds = f.get("holds").and_then(|n| self.expr_src(n, "`holds`"));
        Some(EachAst {
            over,
            var,
            filter,
            holds,
        })
    }

    fn adaptivity(&mut self, node: &Node, p: &mut PolicyAst) {
        let Some(f) = self.fields(node, "`adaptivity`", &["predicates", "activations"], &[]) else {
            return;
        };
        if let Some(items) = f
            .get("predicates")
            .and_then(|n| self.seq(n, "`predicates`"))
        {
            for item in items {
                let Some(pf) = self.fields(
                    item,
                    "a predicate",
                    &["id", "expr", "description"],
                    &["id", "expr"],
                ) else {
                    continue;
                };
                let Some(id) = pf.get("id").and_then(|n| self.text(n, "predicate `id`")) else {
                    continue;
                };
                if let Err(m) = check_ident(&id.value, "predicate id") {
                    self.report(Code::InvalidIdentifier, m, Some(id.span));
                }
                let expr = pf.get("expr").and_then(|n| self.expr_src(n, "`expr`"));
                p.predicates.push(PredicateAst { id, expr });
            }
        }
        if let Some(items) = f
            .get("activations")
            .and_then(|n| self.seq(n, "`activations`"))
        {
            for item in items {
                let Some(af) = self.fields(
                    item,
                    "an activation",
                    &["when", "rules"],
                    &["when", "rules"],
                ) else {
                    continue;
                };
                let when = af
                    .get("when")
                    .map(|n| self.ids(n, "`when`"))
                    .unwrap_or_default();
                let rules = af
                    .get("rules")
                    .map(|n| self.ids(n, "`rules`"))
                    .unwrap_or_default();
                for (list, key) in [(&when, "when"), (&rules, "rules")] {
                    if list.is_empty() && af.contains_key(key) {
                        self.report(
                            Code::WrongShape,
                            format!("an activation's `{key}` names nothing"),
                            Some(item.span),
                        );
                    }
                }
                p.activations.push(ActivationAst { when, rules });
            }
        }
    }
}

const RESERVED: [&str; 6] = ["and", "or", "not", "in", "true", "false"];

fn check_ident(s: &str, what: &str) -> Result<(), String> {
    let mut chars = s.chars();
    let ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(format!(
            "{what} `{s}` must start with a letter or `_` and use only ASCII letters, digits and `_`"
        ));
    }
    if RESERVED.contains(&s) {
        return Err(format!(
            "{what} `{s}` is a keyword of the expression language"
        ));
    }
    if s.strip_prefix('P')
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit() || c == 'T'))
    {
        return Err(format!("{what} `{s}` reads as a duration literal"));
    }
    Ok(())
}

fn valid_policy_id(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The closest candidate within edit distance 2, for "did you mean" hints.
pub fn suggest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != *cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            cur.push(sub.min(del).min(ins));
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}
