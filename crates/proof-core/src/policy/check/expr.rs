//! Expression typing: untyped syntax tree to typed [`Expr`], with the inputs and the
//! names bound by macros and `each` rules in scope, every error reported with its span.

use super::Checker;
use crate::diag::{Code, Span};
use crate::ir::expr::field_of;
use crate::ir::{Expr, Func, Lit, Macro};
use crate::policy::ast::ExprSrc;
use crate::policy::decode::suggest;
use crate::policy::expr::{self, Ast, AstKind};
use crate::types::Type;

/// An expression as a message quotes it: whole up to 80 characters, else its first 60
/// and how long it is (a refused 10,000-term expression is not repeated in full).
fn quoted(text: &str) -> String {
    let chars = text.chars().count();
    if chars <= 80 {
        return format!("`{text}`");
    }
    let head: String = text.chars().take(60).collect();
    format!("`{head}…` ({chars} characters)")
}

impl Checker<'_, '_> {
    pub(super) fn expr(&mut self, src: &ExprSrc) -> Option<Expr> {
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
                    format!("in {}: {}", quoted(&src.text), e.message),
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

    /// Binds `name` for the typing of what follows (until [`Self::unbind`]); refuses a
    /// name that would hide an input or an enclosing binding.
    pub(super) fn bind(&mut self, name: &str, ty: Type, span: Span) -> bool {
        let clash = if self.declared.contains(name) {
            Some("an input")
        } else if self.locals.iter().any(|(n, _)| n == name) {
            Some("already bound by an enclosing macro or rule")
        } else {
            None
        };
        if let Some(what) = clash {
            self.d.report(
                Code::InvalidIdentifier,
                format!("`{name}` is {what}; bind the items to another name"),
                Some(span),
            );
            return false;
        }
        self.locals.push((name.to_owned(), ty));
        true
    }

    pub(super) fn unbind(&mut self) {
        self.locals.pop();
    }

    pub(super) fn type_of(&mut self, a: &Ast, src: &ExprSrc) -> Option<Expr> {
        match &a.kind {
            AstKind::Number(n) => Some(Expr::Lit(Lit::Number(*n))),
            AstKind::Str(s) => Some(Expr::Lit(Lit::String(s.clone()))),
            AstKind::Bool(b) => Some(Expr::Lit(Lit::Bool(*b))),
            AstKind::Date(d) => Some(Expr::Lit(Lit::Date(*d))),
            AstKind::Duration(d) => Some(Expr::Lit(Lit::Duration(*d))),
            AstKind::Ident(name) => self.ident(name, a, src),
            AstKind::Call(name, nspan, args) if name == "has" => self.has(args, *nspan, a, src),
            AstKind::Call(name, nspan, args) => {
                let typed: Vec<Option<Expr>> = args.iter().map(|x| self.type_of(x, src)).collect();
                let Some(func) = Func::from_name(name) else {
                    let names = Func::ALL.map(Func::name);
                    let span = sub_span(self.d.src, src, *nspan);
                    self.d.report(
                        Code::UnknownFunction,
                        format!(
                            "unknown function `{name}`; functions are {} and has",
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
                match op.result_type(&arg.ty()) {
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
                match op.result_type(&l.ty(), &r.ty()) {
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
            AstKind::Member(base, name, nspan) => {
                let arg = self.type_of(base, src)?;
                let (index, field) = self.field(&arg, name, *nspan, src)?;
                Some(Expr::Field {
                    arg: Box::new(arg),
                    name: name.clone(),
                    index,
                    ty: field.ty,
                })
            }
            AstKind::Method(base, name, nspan, args) => {
                self.method(base, name, *nspan, args, a, src)
            }
        }
    }

    fn ident(&mut self, name: &str, a: &Ast, src: &ExprSrc) -> Option<Expr> {
        if let Some((_, ty)) = self.locals.iter().rev().find(|(n, _)| n == name) {
            return Some(Expr::Local {
                name: name.to_owned(),
                ty: ty.clone(),
            });
        }
        if let Some(ty) = self.inputs.get(name) {
            self.used.insert(name.to_owned());
            return Some(Expr::Var {
                name: name.to_owned(),
                ty: ty.clone(),
            });
        }
        if self.declared.contains(name) {
            return None;
        }
        let names = self
            .inputs
            .keys()
            .map(String::as_str)
            .chain(self.locals.iter().map(|(n, _)| n.as_str()));
        let hint = hint(name, names);
        let span = sub_span(self.d.src, src, a.span);
        self.d.report(
            Code::UnknownInput,
            format!("`{name}` is not a declared input{hint}"),
            Some(span),
        );
        None
    }

    /// The field `name` of the record `arg`, or a report naming the record's fields.
    fn field(
        &mut self,
        arg: &Expr,
        name: &str,
        nspan: (usize, usize),
        src: &ExprSrc,
    ) -> Option<(usize, crate::types::Field)> {
        let ty = arg.ty();
        let span = sub_span(self.d.src, src, nspan);
        if !matches!(ty, Type::Record(_)) {
            self.d.report(
                Code::TypeMismatch,
                format!("`{arg}.{name}`: `{arg}` is `{ty}`, not a record, so it has no fields"),
                Some(span),
            );
            return None;
        }
        match field_of(&ty, name) {
            Ok(f) => Some(f),
            Err(m) => {
                self.d.report(
                    Code::UnknownRecordField,
                    format!("`{arg}.{name}`: {m}"),
                    Some(span),
                );
                None
            }
        }
    }

    fn has(&mut self, args: &[Ast], nspan: (usize, usize), a: &Ast, src: &ExprSrc) -> Option<Expr> {
        let [
            Ast {
                kind: AstKind::Member(base, name, fspan),
                ..
            },
        ] = args
        else {
            let span = sub_span(self.d.src, src, nspan);
            self.d.report(
                Code::TypeMismatch,
                "`has` takes one field access, such as `has(s.last_audit)`",
                Some(span),
            );
            return None;
        };
        let arg = self.type_of(base, src)?;
        let (index, field) = self.field(&arg, name, *fspan, src)?;
        if !field.optional {
            let msg = format!(
                "`has({arg}.{name})`: field `{name}` is required, so it is always present; `has` applies to optional fields"
            );
            return self.mismatch(src, a.span, msg);
        }
        Some(Expr::Has {
            arg: Box::new(arg),
            name: name.clone(),
            index,
        })
    }

    fn method(
        &mut self,
        base: &Ast,
        name: &str,
        nspan: (usize, usize),
        args: &[Ast],
        a: &Ast,
        src: &ExprSrc,
    ) -> Option<Expr> {
        let Some(mac) = Macro::from_name(name) else {
            let names = Macro::ALL.map(Macro::name);
            let hint = hint(name, names.into_iter());
            let span = sub_span(self.d.src, src, nspan);
            self.d.report(
                Code::UnknownFunction,
                format!(
                    "unknown macro `.{name}()`{hint}; macros are {}",
                    names.join(", ")
                ),
                Some(span),
            );
            return None;
        };
        let range = self.type_of(base, src)?;
        let [
            Ast {
                kind: AstKind::Ident(var),
                span: vspan,
            },
            body,
        ] = args
        else {
            let msg =
                format!("`.{name}` takes a name and an expression, as in `xs.{name}(x, ...)`");
            return self.mismatch(src, a.span, msg);
        };
        let rty = range.ty();
        let Some(item) = rty.item() else {
            let msg = format!("`.{name}` applies to an array; `{range}` is `{rty}`");
            return self.mismatch(src, a.span, msg);
        };
        let vspan = sub_span(self.d.src, src, *vspan);
        if !self.bind(var, item, vspan) {
            return None;
        }
        let body = self.type_of(body, src);
        self.unbind();
        let body = body?;
        match mac.result_type(&rty, &body.ty()) {
            Ok(ty) => Some(Expr::Macro {
                mac,
                var: var.clone(),
                range: Box::new(range),
                body: Box::new(body),
                ty,
            }),
            Err(m) => self.mismatch(src, a.span, format!("`{}`: {m}", src.text)),
        }
    }
}

pub(super) fn hint<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    suggest(name, candidates).map_or(String::new(), |s| format!("; did you mean `{s}`?"))
}

/// Maps a byte range inside expression text to a source span.
pub(super) fn sub_span(src: &str, e: &ExprSrc, (a, b): (usize, usize)) -> Span {
    match e.body {
        Some(body) => Span::at(src, body + a, b.saturating_sub(a)),
        None => e.span,
    }
}
