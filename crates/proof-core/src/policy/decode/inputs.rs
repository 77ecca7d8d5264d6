//! Declared inputs and their types: scalars, arrays, and records with named, typed fields
//! (`{type: object, fields: {region: {type: hex}, last_audit: {type: date, optional: true}}}`),
//! nested to any depth up to [`MAX_TYPE_DEPTH`].

use super::{Decoder, Fields, check_ident, suggest};
use crate::diag::Code;
use crate::policy::ast::{InputAst, PolicyAst, Text};
use crate::policy::yaml::{Node, NodeKind};
use crate::types::{Field, MAX_TYPE_DEPTH, Record, Scalar, Type};
use std::collections::BTreeMap;
use std::sync::Arc;

const SCALARS: [&str; 6] = ["number", "string", "bool", "hex", "date", "duration"];

impl Decoder<'_> {
    pub(super) fn inputs(&mut self, node: &Node, p: &mut PolicyAst) {
        let NodeKind::Map(pairs) = &node.kind else {
            self.report(
                Code::WrongShape,
                format!(
                    "`inputs` must be a mapping of name to type, found {}",
                    node.kind.describe()
                ),
                Some(node.span),
            );
            return;
        };
        let mut seen = BTreeMap::new();
        for (k, v) in pairs {
            if seen.insert(k.name.clone(), ()).is_some() {
                self.report(
                    Code::DuplicateKey,
                    format!("input `{}` is declared twice", k.name),
                    Some(k.span),
                );
                continue;
            }
            if let Err(m) = check_ident(&k.name, "input") {
                self.report(Code::InvalidIdentifier, m, Some(k.span));
            } else if k.name == "as_of" {
                self.report(
                    Code::InvalidIdentifier,
                    "`as_of` is reserved for the evaluation time; name the input differently",
                    Some(k.span),
                );
            }
            let what = format!("input `{}`", k.name);
            let Some(f) = self.fields(
                v,
                &what,
                &["type", "items", "fields", "description"],
                &["type"],
            ) else {
                continue;
            };
            let ty = self.declared_type(&f, &what, 0, p);
            let description = f
                .get("description")
                .and_then(|n| self.text(n, "`description`"))
                .map(|t| t.value);
            p.inputs.push(InputAst {
                name: Text {
                    value: k.name.clone(),
                    span: k.span,
                },
                ty,
                description,
            });
        }
    }

    /// The type a mapping with `type` (and `items` or `fields`) declares. Records met on
    /// the way are recorded in `p.records` with their fields in source order.
    fn declared_type(
        &mut self,
        f: &Fields<'_>,
        what: &str,
        depth: usize,
        p: &mut PolicyAst,
    ) -> Option<Type> {
        let ty = f.get("type").and_then(|n| self.text(n, "`type`"))?;
        if depth >= MAX_TYPE_DEPTH {
            self.report(
                Code::WrongShape,
                format!("{what} nests types more than {MAX_TYPE_DEPTH} levels deep"),
                Some(ty.span),
            );
            return None;
        }
        let items = f.get("items");
        let fields = f.get("fields");
        let misplaced = |d: &mut Self, key: &str, node: &Node, kind: &str| {
            d.report(
                Code::WrongShape,
                format!(
                    "`{key}` only applies to {kind}; {what} has type `{}`",
                    ty.value
                ),
                Some(node.span),
            );
        };
        if let (Some(n), false) = (fields, ty.value == "object") {
            misplaced(self, "fields", n, "objects");
            return None;
        }
        if let (Some(n), false) = (items, ty.value == "array") {
            misplaced(self, "items", n, "arrays");
            return None;
        }
        match ty.value.as_str() {
            "array" => {
                let Some(items) = items else {
                    self.report(
                        Code::MissingField,
                        format!("{what} is an array but has no `items` type"),
                        Some(ty.span),
                    );
                    return None;
                };
                let item = self.item_type(items, what, depth + 1, p)?;
                Some(Type::array_of(item))
            }
            "object" => {
                let Some(fields) = fields else {
                    self.report(
                        Code::MissingField,
                        format!("{what} is an object but has no `fields`"),
                        Some(ty.span),
                    );
                    return None;
                };
                self.record(fields, what, depth + 1, p)
            }
            other => match other.parse::<Type>() {
                Ok(t @ Type::Array(_)) => Some(t),
                _ => self.scalar(&ty, what).map(Type::Scalar),
            },
        }
    }

    /// An `items` type: a type name, or a mapping like an input's.
    fn item_type(
        &mut self,
        node: &Node,
        what: &str,
        depth: usize,
        p: &mut PolicyAst,
    ) -> Option<Type> {
        if let NodeKind::Map(_) = node.kind {
            let inner = format!("the items of {what}");
            let f = self.fields(node, &inner, &["type", "items", "fields"], &["type"])?;
            return self.declared_type(&f, &inner, depth, p);
        }
        let t = self.text(node, "`items`")?;
        match t.value.parse::<Type>() {
            Ok(ty @ Type::Array(_)) => Some(ty),
            _ => self.scalar(&t, what).map(Type::Scalar),
        }
    }

    fn record(&mut self, node: &Node, what: &str, depth: usize, p: &mut PolicyAst) -> Option<Type> {
        let NodeKind::Map(pairs) = &node.kind else {
            self.report(
                Code::WrongShape,
                format!(
                    "the `fields` of {what} must be a mapping of name to type, found {}",
                    node.kind.describe()
                ),
                Some(node.span),
            );
            return None;
        };
        if pairs.is_empty() {
            self.report(
                Code::WrongShape,
                format!("{what} is an object with no fields"),
                Some(node.span),
            );
            return None;
        }
        let mut fields = Vec::new();
        let mut order = Vec::new();
        let mut ok = true;
        for (k, v) in pairs {
            if order.contains(&k.name) {
                self.report(
                    Code::DuplicateKey,
                    format!("field `{}` of {what} is declared twice", k.name),
                    Some(k.span),
                );
                ok = false;
                continue;
            }
            order.push(k.name.clone());
            if let Err(m) = check_ident(&k.name, "field") {
                self.report(Code::InvalidIdentifier, m, Some(k.span));
                ok = false;
            }
            let fwhat = format!("field `{}` of {what}", k.name);
            let decl = if let NodeKind::Map(_) = v.kind {
                self.field(v, &fwhat, depth, p)
            } else {
                // Shorthand: `region: hex`.
                self.item_type(v, &fwhat, depth, p).map(|t| (t, false))
            };
            match decl {
                Some((ty, optional)) => fields.push(Field {
                    name: k.name.clone(),
                    ty,
                    optional,
                }),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let record = Arc::new(Record::new(fields)?);
        if !p.records.iter().any(|(r, _)| *r == record) {
            p.records.push((Arc::clone(&record), order));
        }
        Some(Type::Record(record))
    }

    fn field(
        &mut self,
        node: &Node,
        what: &str,
        depth: usize,
        p: &mut PolicyAst,
    ) -> Option<(Type, bool)> {
        const FIELD: [&str; 5] = ["type", "items", "fields", "optional", "description"];
        let f = self.fields(node, what, &FIELD, &["type"])?;
        let optional = match f.get("optional").map(|n| &n.kind) {
            None => false,
            Some(NodeKind::Bool(b)) => *b,
            Some(other) => {
                let span = f.get("optional").map(|n| n.span);
                self.report(
                    Code::WrongShape,
                    format!(
                        "`optional` of {what} must be `true` or `false`, found {}",
                        other.describe()
                    ),
                    span,
                );
                return None;
            }
        };
        let ty = self.declared_type(&f, what, depth, p)?;
        Some((ty, optional))
    }

    fn scalar(&mut self, t: &Text, what: &str) -> Option<Scalar> {
        let s = Scalar::from_name(&t.value);
        if s.is_none() {
            let hint = suggest(&t.value, SCALARS.into_iter().chain(["array", "object"]))
                .map_or(String::new(), |s| format!("; did you mean `{s}`?"));
            self.report(
                Code::UnknownType,
                format!("unknown type `{}` for {what}{hint}", t.value),
                Some(t.span),
            );
        }
        s
    }
}
