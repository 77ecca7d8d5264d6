//! IR v1 and v1.1: the compiled, typed, canonical form of a policy.
//!
//! Consumes what [`crate::policy`] lowers; produced bytes are RFC 8785 canonical JSON.
//! `ir_hash` is the SHA-256 of the canonical IR without its `ir_hash` member. The format is
//! specified in `docs/ir-v1.md`.

pub mod expr;

pub use expr::{BinOp, Expr, Func, Lit, Macro, UnOp};

use crate::hash::{self, CanonicalError};
use crate::types::{Scalar, Type};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The IR version of a policy that uses only the forms of IR v1 (the compiler writes it
/// for such a policy, so its bytes and hashes are the ones IR v1 always gave).
pub const IR_VERSION: &str = "1";

/// The IR version of a policy that uses records, macros, `in`, `on_list` or `each`.
pub const IR_VERSION_1_1: &str = "1.1";

/// A compiled policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ir {
    /// [`IR_VERSION`], or [`IR_VERSION_1_1`] when the policy uses a form of IR v1.1.
    pub ir_version: String,
    /// The policy's `id`.
    pub policy_id: String,
    /// The policy's `version`.
    pub version: String,
    /// `sha256:` of the canonical JSON of the parsed policy document.
    pub policy_hash: String,
    /// Free text from the policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The legal provisions the policy implements.
    pub legal_basis: Vec<LegalBasis>,
    /// Declared inputs by name.
    pub inputs: BTreeMap<String, InputDecl>,
    /// Rules in source order.
    pub rules: Vec<Rule>,
    /// Predicates and activations.
    pub adaptivity: Adaptivity,
    /// `sha256:` of the canonical IR without this member.
    pub ir_hash: String,
}

/// One legal provision.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegalBasis {
    /// The act, e.g. `LkSG`.
    pub directive: String,
    /// The provision, e.g. `§ 5 Abs. 1`; absent when the policy names only the act
    /// (the member is then left out of the IR, so policies that give it hash as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
}

/// A declared input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputDecl {
    /// Its type.
    #[serde(rename = "type")]
    pub ty: Type,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What a rule checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// No `lhs` hash is in the list whose root is `rhs`.
    NonMembership,
    /// Every `lhs` hash is in the list whose root is `rhs`.
    Membership,
    /// `lhs == rhs`.
    Eq,
    /// `lhs != rhs`.
    Neq,
    /// `lhs >= rhs`.
    RangeMin,
    /// `lhs <= rhs`.
    RangeMax,
    /// `holds` is true of every item of `over` for which `where` is true (IR v1.1).
    Each,
}

impl Op {
    /// Every op.
    pub const ALL: [Op; 7] = [
        Self::NonMembership,
        Self::Membership,
        Self::Eq,
        Self::Neq,
        Self::RangeMin,
        Self::RangeMax,
        Self::Each,
    ];

    /// The name used in policies.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::NonMembership => "non_membership",
            Self::Membership => "membership",
            Self::Eq => "eq",
            Self::Neq => "neq",
            Self::RangeMin => "range_min",
            Self::RangeMax => "range_max",
            Self::Each => "each",
        }
    }

    /// Looks an op up by name.
    #[must_use]
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == s)
    }

    /// Checks operand types.
    ///
    /// # Errors
    /// A message saying which types the op takes.
    pub fn check(self, lhs: &Type, rhs: &Type) -> Result<(), String> {
        let n = self.name();
        match self {
            Self::Each => Err("`each` takes `over` and `holds`, not `lhs` and `rhs`".into()),
            Self::NonMembership | Self::Membership => match (lhs, rhs) {
                (l, Type::Scalar(Scalar::Hex)) if *l == Type::HEX || l.is_hashes() => Ok(()),
                _ => Err(format!(
                    "`{n}` needs `hex` or `array<hex>` (or, with records, `array<array<hex>>`) on the left and a `hex` list root on the right, found `{lhs}` and `{rhs}`"
                )),
            },
            Self::Eq | Self::Neq => match (lhs, rhs) {
                (Type::Scalar(a), Type::Scalar(b)) if a == b => Ok(()),
                _ => Err(format!(
                    "`{n}` compares two values of one scalar type, found `{lhs}` and `{rhs}`"
                )),
            },
            Self::RangeMin | Self::RangeMax => match (lhs, rhs) {
                (Type::Scalar(a), Type::Scalar(b)) if a == b && a.is_ordered() => Ok(()),
                _ => Err(format!(
                    "`{n}` compares two numbers, dates or durations of the same type, found `{lhs}` and `{rhs}`"
                )),
            },
        }
    }
}

/// What a failing rule does to the verdict.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A failure makes the verdict `WARN` (unless something fails with `fail`).
    Warn,
    /// A failure makes the verdict `FAIL`.
    #[default]
    Fail,
}

impl Severity {
    /// The name in policies and reports: `warn` or `fail`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Warn => "warn",
            Self::Fail => "fail",
        }
    }
}

/// One rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Unique id.
    pub id: String,
    /// The check.
    pub op: Op,
    /// Left operand (every op but `each`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lhs: Option<Expr>,
    /// Right operand (every op but `each`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rhs: Option<Expr>,
    /// What an `each` rule ranges over and checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<Each>,
    /// The field that names a failing item in the evidence, for rules over an array of
    /// records (`each`, or a membership op whose left side maps records to hashes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Effect of failure.
    pub severity: Severity,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// The parts of an `each` rule (IR v1.1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Each {
    /// The array.
    pub over: Expr,
    /// The name each item is bound to in `where` and `holds`.
    #[serde(rename = "as")]
    pub var: String,
    /// Which items the rule applies to (all when absent).
    #[serde(rename = "where", default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Expr>,
    /// What must be true of each item it applies to.
    pub holds: Expr,
}

impl Each {
    /// The item type (the type `var` has).
    #[must_use]
    pub fn item(&self) -> Option<Type> {
        self.over.ty().item()
    }
}

/// A named boolean condition on the context.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Predicate {
    /// Unique id.
    pub id: String,
    /// A `bool` expression.
    pub expr: Expr,
}

/// Switches `rules` on when any predicate in `when` holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activation {
    /// Predicate ids; any one holding activates the rules.
    pub when: Vec<String>,
    /// Rule ids.
    pub rules: Vec<String>,
}

/// Conditional rules.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adaptivity {
    /// Predicates in source order.
    pub predicates: Vec<Predicate>,
    /// Activations in source order.
    pub activations: Vec<Activation>,
}

/// Why an IR document was refused.
#[derive(Debug, thiserror::Error)]
pub enum IrError {
    /// Not JSON, or not the IR shape.
    #[error("invalid IR: {0}")]
    Malformed(String),
    /// `ir_version` is not one this crate reads.
    #[error(
        "unsupported ir_version `{0}` (this build reads `{IR_VERSION}` and `{IR_VERSION_1_1}`)"
    )]
    Version(String),
    /// The recorded `ir_hash` is not the hash of the document.
    #[error("ir_hash mismatch: document says `{recorded}`, its bytes hash to `{computed}`")]
    HashMismatch {
        /// What the document says.
        recorded: String,
        /// What its bytes hash to.
        computed: String,
    },
    /// Canonicalisation failed.
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
}

impl Ir {
    /// The `sha256:` hash of this IR without its `ir_hash` member.
    ///
    /// # Errors
    /// When a value cannot be canonicalised.
    pub fn compute_hash(&self) -> Result<String, CanonicalError> {
        hash::canonical_sha256_without(self, "ir_hash")
    }

    /// RFC 8785 canonical bytes of the whole IR (including `ir_hash`).
    ///
    /// # Errors
    /// When a value cannot be canonicalised.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, CanonicalError> {
        hash::canonical_bytes(self)
    }

    /// Pretty JSON with a trailing newline: the form `proof policy compile` writes. Keys
    /// appear in canonical order, so equal IRs give equal bytes.
    ///
    /// # Errors
    /// When a value cannot be canonicalised.
    pub fn to_pretty_json(&self) -> Result<String, CanonicalError> {
        let canonical: serde_json::Value = serde_json::from_slice(&self.canonical_bytes()?)
            .map_err(|e| CanonicalError::from_display(&e))?;
        let mut s = serde_json::to_string_pretty(&canonical)
            .map_err(|e| CanonicalError::from_display(&e))?;
        s.push('\n');
        Ok(s)
    }

    /// Reads IR JSON, checks its version, its expression types and its `ir_hash`.
    ///
    /// # Errors
    /// [`IrError`] saying what is wrong.
    pub fn from_json_str(s: &str) -> Result<Self, IrError> {
        let ir: Self = serde_json::from_str(s).map_err(|e| IrError::Malformed(e.to_string()))?;
        ir.validate()?;
        Ok(ir)
    }

    /// Checks version, types and `ir_hash` of an IR that did not come from the compiler.
    ///
    /// # Errors
    /// [`IrError`] saying what is wrong.
    pub fn validate(&self) -> Result<(), IrError> {
        if self.ir_version != IR_VERSION && self.ir_version != IR_VERSION_1_1 {
            return Err(IrError::Version(self.ir_version.clone()));
        }
        if self.ir_version != self.required_version() {
            return Err(IrError::Malformed(format!(
                "ir_version is `{}` but the policy's forms need `{}`",
                self.ir_version,
                self.required_version()
            )));
        }
        let input = |n: &str| self.inputs.get(n).map(|d| d.ty.clone());
        for r in &self.rules {
            r.check_types(&input)
                .map_err(|e| IrError::Malformed(format!("rule `{}`: {e}", r.id)))?;
        }
        for p in &self.adaptivity.predicates {
            p.expr
                .check_types(&input)
                .and_then(|()| {
                    if p.expr.ty() == Type::BOOL {
                        Ok(())
                    } else {
                        Err("is not `bool`".into())
                    }
                })
                .map_err(|e| IrError::Malformed(format!("predicate `{}`: {e}", p.id)))?;
        }
        let computed = self.compute_hash()?;
        if computed != self.ir_hash {
            return Err(IrError::HashMismatch {
                recorded: self.ir_hash.clone(),
                computed,
            });
        }
        Ok(())
    }

    /// The rule with this id.
    #[must_use]
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// [`IR_VERSION_1_1`] when an input, rule or predicate uses a form of IR v1.1, else
    /// [`IR_VERSION`].
    #[must_use]
    pub fn required_version(&self) -> &'static str {
        let inputs = self.inputs.values().any(|d| !d.ty.is_v1());
        let rules = self.rules.iter().any(Rule::uses_v1_1);
        let preds = self
            .adaptivity
            .predicates
            .iter()
            .any(|p| p.expr.uses_v1_1());
        if inputs || rules || preds {
            IR_VERSION_1_1
        } else {
            IR_VERSION
        }
    }
}

impl Rule {
    /// Every expression of the rule: `lhs` and `rhs`, or `over`, `where` and `holds`.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.lhs
            .iter()
            .chain(&self.rhs)
            .chain(self.each.iter().flat_map(|e| {
                std::iter::once(&e.over)
                    .chain(&e.filter)
                    .chain(std::iter::once(&e.holds))
            }))
    }

    /// True when the rule needs IR v1.1.
    #[must_use]
    pub fn uses_v1_1(&self) -> bool {
        self.each.is_some()
            || self.key.is_some()
            || self.lhs.as_ref().is_some_and(Expr::uses_v1_1)
            || self.rhs.as_ref().is_some_and(Expr::uses_v1_1)
    }

    /// Checks the rule's shape and the types of its expressions.
    ///
    /// # Errors
    /// A message naming what does not fit.
    pub fn check_types(&self, input: &impl Fn(&str) -> Option<Type>) -> Result<(), String> {
        match (self.op, &self.lhs, &self.rhs, &self.each) {
            (Op::Each, None, None, Some(e)) => {
                e.over.check_types(input)?;
                let item = e.item().ok_or("`over` is not an array")?;
                let mut locals = vec![(e.var.clone(), item.clone())];
                for x in e.filter.iter().chain([&e.holds]) {
                    x.check_in(input, &mut locals)?;
                    if x.ty() != Type::BOOL {
                        return Err("`where` and `holds` must be `bool`".into());
                    }
                }
                self.check_key(&item)
            }
            (Op::Each, ..) => Err("an `each` rule has `over` and `holds` only".into()),
            (op, Some(l), Some(r), None) => {
                l.check_types(input)?;
                r.check_types(input)?;
                op.check(&l.ty(), &r.ty())?;
                match (&self.key, keyed_range(l)) {
                    (None, _) => Ok(()),
                    (Some(_), Some(item)) => self.check_key(&item),
                    (Some(_), None) => Err("`key` needs a left side that maps records".into()),
                }
            }
            _ => Err("the rule needs `lhs` and `rhs`".into()),
        }
    }

    fn check_key(&self, item: &Type) -> Result<(), String> {
        let Some(k) = &self.key else {
            return Ok(());
        };
        let (_, f) = expr::field_of(item, k)?;
        if matches!(f.ty, Type::Scalar(Scalar::Hex | Scalar::String)) && !f.optional {
            Ok(())
        } else {
            Err(format!(
                "key field `{k}` must be a required `hex` or `string` field"
            ))
        }
    }
}

/// The item type of a membership rule's left side when it maps records to hashes
/// (`suppliers.map(s, s.ids)`): the failing items are then records, named by the key.
#[must_use]
pub fn keyed_range(lhs: &Expr) -> Option<Type> {
    match lhs {
        Expr::Macro {
            mac: Macro::Map,
            range,
            ..
        } => range.ty().item().filter(|t| matches!(t, Type::Record(_))),
        _ => None,
    }
}

impl CanonicalError {
    pub(crate) fn from_display(e: &impl std::fmt::Display) -> Self {
        Self::new(e.to_string())
    }
}
