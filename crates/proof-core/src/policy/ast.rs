//! The policy syntax tree: what [`super::decode`] produces from the YAML tree and
//! [`super::check`] consumes. Every name and expression keeps its source span.

use crate::diag::Span;
use crate::ir::{LegalBasis, Severity};
use crate::types::{Record, Type};
use std::sync::Arc;

/// A string from the source with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Text {
    /// The string.
    pub value: String,
    /// Where it is.
    pub span: Span,
}

/// Expression text and how to map offsets in it back to the source.
#[derive(Clone, Debug, PartialEq)]
pub struct ExprSrc {
    /// The expression text.
    pub text: String,
    /// The YAML scalar's span.
    pub span: Span,
    /// Byte offset of `text` in the source when it appears there verbatim.
    pub body: Option<usize>,
}

/// A declared input.
#[derive(Clone, Debug)]
pub struct InputAst {
    /// Its name.
    pub name: Text,
    /// Its type, if it decoded.
    pub ty: Option<Type>,
    /// Free text.
    pub description: Option<String>,
}

/// A rule.
#[derive(Clone, Debug)]
pub struct RuleAst {
    /// Its id.
    pub id: Text,
    /// Its op name.
    pub op: Option<Text>,
    /// Left operand.
    pub lhs: Option<ExprSrc>,
    /// Right operand.
    pub rhs: Option<ExprSrc>,
    /// `over`, `as`, `where`, `holds` of an `each` rule.
    pub each: Option<EachAst>,
    /// The field naming a failing item.
    pub key: Option<Text>,
    /// Severity (default `fail`).
    pub severity: Severity,
    /// Free text.
    pub description: Option<String>,
}

/// The parts of an `each` rule, each `None` when missing or malformed (reported).
#[derive(Clone, Debug)]
pub struct EachAst {
    /// The array.
    pub over: Option<ExprSrc>,
    /// The name bound to each item.
    pub var: Option<Text>,
    /// Which items the rule applies to.
    pub filter: Option<ExprSrc>,
    /// What must hold of each.
    pub holds: Option<ExprSrc>,
}

/// A predicate.
#[derive(Clone, Debug)]
pub struct PredicateAst {
    /// Its id.
    pub id: Text,
    /// Its condition.
    pub expr: Option<ExprSrc>,
}

/// An activation.
#[derive(Clone, Debug)]
pub struct ActivationAst {
    /// Predicate ids.
    pub when: Vec<Text>,
    /// Rule ids.
    pub rules: Vec<Text>,
}

/// A decoded policy document.
#[derive(Clone, Debug, Default)]
pub struct PolicyAst {
    /// `id`.
    pub id: Option<Text>,
    /// `version`.
    pub version: Option<Text>,
    /// `description`.
    pub description: Option<String>,
    /// `legal_basis` entries.
    pub legal_basis: Vec<LegalBasis>,
    /// Declared inputs in source order.
    pub inputs: Vec<InputAst>,
    /// Rules in source order.
    pub rules: Vec<RuleAst>,
    /// Predicates in source order.
    pub predicates: Vec<PredicateAst>,
    /// Activations in source order.
    pub activations: Vec<ActivationAst>,
    /// Every record type declared, with its field names in source order (the default key
    /// of an `each` rule is the first `hex` field as written).
    pub records: Vec<(Arc<Record>, Vec<String>)>,
    /// Span of the whole document.
    pub span: Option<Span>,
}
