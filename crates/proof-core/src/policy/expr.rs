//! Step two (expressions): expression text to an untyped, spanned syntax tree.
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! expr    := and ("or" and)*
//! and     := not ("and" not)*
//! not     := "not" not | cmp
//! cmp     := sum (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in") sum)?   -- not chained
//! sum     := product (("+" | "-") product)*
//! product := unary (("*" | "/") unary)*
//! unary   := "-" unary | postfix
//! postfix := atom ("." IDENT | "." IDENT "(" IDENT "," expr ")")*   -- field, macro
//! atom    := NUMBER | STRING | DATE | DURATION | "true" | "false"
//!          | IDENT | IDENT "(" (expr ("," expr)*)? ")" | "(" expr ")"
//! ```
//!
//! `has(r.field)` is a call; the macros (`all`, `exists`, `exists_one`, `filter`, `map`)
//! are the `.IDENT(...)` form, whose first argument is the name each item is bound to.
//!
//! `DATE` is `YYYY-MM-DD` written without spaces (`2024 - 01 - 31` is arithmetic);
//! `DURATION` is an ISO 8601 duration such as `P365D`. Spans are byte ranges in the
//! expression text.

mod lex;

use crate::ir::{BinOp, UnOp};
use lex::{Spanned, Tok, err, lex};

/// Longest expression accepted, in bytes.
pub const MAX_LEN: usize = 4096;
/// Deepest nesting accepted.
pub const MAX_DEPTH: usize = 48;

/// An untyped expression node.
#[derive(Clone, Debug, PartialEq)]
pub struct Ast {
    /// What it is.
    pub kind: AstKind,
    /// Byte range `start..end` in the expression text.
    pub span: (usize, usize),
}

/// Node kinds.
#[derive(Clone, Debug, PartialEq)]
pub enum AstKind {
    /// Number literal.
    Number(f64),
    /// String literal.
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// Date literal (days since 1970-01-01).
    Date(i64),
    /// Duration literal (seconds).
    Duration(i64),
    /// A name.
    Ident(String),
    /// A call; the name and its span.
    Call(String, (usize, usize), Vec<Ast>),
    /// A unary operation.
    Unary(UnOp, Box<Ast>),
    /// A binary operation.
    Binary(BinOp, Box<Ast>, Box<Ast>),
    /// `base.name`; the name's span.
    Member(Box<Ast>, String, (usize, usize)),
    /// `base.name(args)`: a macro; the name's span.
    Method(Box<Ast>, String, (usize, usize), Vec<Ast>),
}

/// A syntax error, with what kind it is and where.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    /// Message, lowercase.
    pub message: String,
    /// Byte range in the expression.
    pub span: (usize, usize),
    /// True when the problem is a malformed literal (date, duration, number) rather than
    /// the expression's structure.
    pub literal: bool,
}

struct Parser {
    toks: Vec<Spanned>,
    pos: usize,
    depth: usize,
}

/// Parses an expression.
///
/// # Errors
/// A [`SyntaxError`] with the offending range.
pub fn parse(src: &str) -> Result<Ast, SyntaxError> {
    if src.len() > MAX_LEN {
        return Err(err(
            format!("expression is {} bytes; the limit is {MAX_LEN}", src.len()),
            (0, 0),
        ));
    }
    if src.trim().is_empty() {
        return Err(err("expression is empty", (0, src.len())));
    }
    let mut p = Parser {
        toks: lex(src)?,
        pos: 0,
        depth: 0,
    };
    let e = p.expr()?;
    match p.peek() {
        (Tok::End, _) => Ok(e),
        (t, span) => Err(err(
            format!("unexpected {} after a complete expression", describe(&t)),
            span,
        )),
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(n) => format!("number `{n}`"),
        Tok::Str(_) => "string".into(),
        Tok::Date(_) => "date".into(),
        Tok::Dur(_) => "duration".into(),
        Tok::Ident(s) => format!("`{s}`"),
        Tok::Sym(s) => format!("`{s}`"),
        Tok::End => "end of expression".into(),
    }
}

impl Parser {
    fn peek(&self) -> (Tok, (usize, usize)) {
        self.toks
            .get(self.pos)
            .cloned()
            .unwrap_or((Tok::End, (0, 0)))
    }

    fn bump(&mut self) -> (Tok, (usize, usize)) {
        let t = self.peek();
        self.pos += 1;
        t
    }

    fn at_word(&self, w: &str) -> bool {
        matches!(self.peek().0, Tok::Ident(ref s) if s == w)
    }

    fn at_sym(&self, s: &str) -> bool {
        matches!(self.peek().0, Tok::Sym(x) if x == s)
    }

    fn enter(&mut self, span: (usize, usize)) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(err(
                format!("expression is nested more than {MAX_DEPTH} levels deep"),
                span,
            ));
        }
        Ok(())
    }

    fn binary(op: BinOp, l: Ast, r: Ast) -> Ast {
        let span = (l.span.0, r.span.1);
        Ast {
            kind: AstKind::Binary(op, Box::new(l), Box::new(r)),
            span,
        }
    }

    fn expr(&mut self) -> Result<Ast, SyntaxError> {
        let mut l = self.and()?;
        while self.at_word("or") {
            self.bump();
            let r = self.and()?;
            l = Self::binary(BinOp::Or, l, r);
        }
        Ok(l)
    }

    fn and(&mut self) -> Result<Ast, SyntaxError> {
        let mut l = self.not()?;
        while self.at_word("and") {
            self.bump();
            let r = self.not()?;
            l = Self::binary(BinOp::And, l, r);
        }
        Ok(l)
    }

    fn not(&mut self) -> Result<Ast, SyntaxError> {
        if self.at_word("not") {
            let (_, span) = self.bump();
            self.enter(span)?;
            let inner = self.not()?;
            self.depth -= 1;
            let full = (span.0, inner.span.1);
            return Ok(Ast {
                kind: AstKind::Unary(UnOp::Not, Box::new(inner)),
                span: full,
            });
        }
        self.cmp()
    }

    fn cmp(&mut self) -> Result<Ast, SyntaxError> {
        let l = self.sum()?;
        let op = match self.peek().0 {
            Tok::Sym("==") => BinOp::Eq,
            Tok::Sym("!=") => BinOp::Ne,
            Tok::Sym("<") => BinOp::Lt,
            Tok::Sym("<=") => BinOp::Le,
            Tok::Sym(">") => BinOp::Gt,
            Tok::Sym(">=") => BinOp::Ge,
            Tok::Ident(ref w) if w == "in" => BinOp::In,
            _ => return Ok(l),
        };
        self.bump();
        let r = self.sum()?;
        let again = match self.peek() {
            (Tok::Sym(s @ ("==" | "!=" | "<" | "<=" | ">" | ">=")), span) => Some((s, span)),
            (Tok::Ident(w), span) if w == "in" => Some(("in", span)),
            _ => None,
        };
        if let Some((s, span)) = again {
            return Err(err(
                format!("comparisons do not chain; combine them with `and` (found a second `{s}`)"),
                span,
            ));
        }
        Ok(Self::binary(op, l, r))
    }

    fn sum(&mut self) -> Result<Ast, SyntaxError> {
        let mut l = self.product()?;
        loop {
            let op = match self.peek().0 {
                Tok::Sym("+") => BinOp::Add,
                Tok::Sym("-") => BinOp::Sub,
                _ => return Ok(l),
            };
            self.bump();
            let r = self.product()?;
            l = Self::binary(op, l, r);
        }
    }

    fn product(&mut self) -> Result<Ast, SyntaxError> {
        let mut l = self.unary()?;
        loop {
            let op = match self.peek().0 {
                Tok::Sym("*") => BinOp::Mul,
                Tok::Sym("/") => BinOp::Div,
                _ => return Ok(l),
            };
            self.bump();
            let r = self.unary()?;
            l = Self::binary(op, l, r);
        }
    }

    fn unary(&mut self) -> Result<Ast, SyntaxError> {
        if self.at_sym("-") {
            let (_, span) = self.bump();
            self.enter(span)?;
            let inner = self.unary()?;
            self.depth -= 1;
            let full = (span.0, inner.span.1);
            return Ok(Ast {
                kind: AstKind::Unary(UnOp::Neg, Box::new(inner)),
                span: full,
            });
        }
        self.postfix()
    }

    /// An atom followed by field accesses and macro calls. Each link counts as a level of
    /// nesting, so a long chain is refused like deep parentheses.
    fn postfix(&mut self) -> Result<Ast, SyntaxError> {
        let mut e = self.atom()?;
        let mut levels = 0;
        while self.at_sym(".") {
            let (_, dot) = self.bump();
            self.enter(dot)?;
            levels += 1;
            let (tok, nspan) = self.bump();
            let Tok::Ident(name) = tok else {
                return Err(err(
                    format!(
                        "expected a field or macro name after `.`, found {}",
                        describe(&tok)
                    ),
                    nspan,
                ));
            };
            if self.at_sym("(") {
                let (args, close) = self.args(&name)?;
                let span = (e.span.0, close);
                e = Ast {
                    kind: AstKind::Method(Box::new(e), name, nspan, args),
                    span,
                };
            } else {
                let span = (e.span.0, nspan.1);
                e = Ast {
                    kind: AstKind::Member(Box::new(e), name, nspan),
                    span,
                };
            }
        }
        self.depth -= levels;
        Ok(e)
    }

    fn atom(&mut self) -> Result<Ast, SyntaxError> {
        let (tok, span) = self.bump();
        let kind = match tok {
            Tok::Num(n) => AstKind::Number(n),
            Tok::Str(s) => AstKind::Str(s),
            Tok::Date(d) => AstKind::Date(d),
            Tok::Dur(d) => AstKind::Duration(d),
            Tok::Ident(w) if w == "true" || w == "false" => AstKind::Bool(w == "true"),
            Tok::Ident(w) if matches!(w.as_str(), "and" | "or" | "not" | "in") => {
                return Err(err(format!("expected a value, found `{w}`"), span));
            }
            Tok::Ident(w) => {
                if self.at_sym("(") {
                    return self.call(w, span);
                }
                AstKind::Ident(w)
            }
            Tok::Sym("(") => {
                self.enter(span)?;
                let inner = self.expr()?;
                self.depth -= 1;
                let (close, cspan) = self.bump();
                if close != Tok::Sym(")") {
                    return Err(err(
                        format!(
                            "expected `)` to close the `(` at offset {}, found {}",
                            span.0,
                            describe(&close)
                        ),
                        cspan,
                    ));
                }
                return Ok(Ast {
                    kind: inner.kind,
                    span: (span.0, cspan.1),
                });
            }
            t => {
                return Err(err(
                    format!("expected a value, found {}", describe(&t)),
                    span,
                ));
            }
        };
        Ok(Ast { kind, span })
    }

    fn call(&mut self, name: String, name_span: (usize, usize)) -> Result<Ast, SyntaxError> {
        self.enter(name_span)?;
        let (args, close) = self.args(&name)?;
        self.depth -= 1;
        Ok(Ast {
            kind: AstKind::Call(name, name_span, args),
            span: (name_span.0, close),
        })
    }

    /// `(expr, ...)` after a call or macro name: the arguments and the end of the `)`.
    fn args(&mut self, name: &str) -> Result<(Vec<Ast>, usize), SyntaxError> {
        self.bump();
        let mut args = Vec::new();
        if !self.at_sym(")") {
            loop {
                args.push(self.expr()?);
                if self.at_sym(",") {
                    self.bump();
                    continue;
                }
                break;
            }
        }
        let (close, cspan) = self.bump();
        if close != Tok::Sym(")") {
            return Err(err(
                format!(
                    "expected `,` or `)` in the call to `{name}`, found {}",
                    describe(&close)
                ),
                cspan,
            ));
        }
        Ok((args, cspan.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(a: &Ast) -> String {
        match &a.kind {
            AstKind::Number(n) => n.to_string(),
            AstKind::Str(s) => format!("{s:?}"),
            AstKind::Bool(b) => b.to_string(),
            AstKind::Date(d) => format!("date{d}"),
            AstKind::Duration(d) => format!("dur{d}"),
            AstKind::Ident(s) => s.clone(),
            AstKind::Call(n, _, args) => format!(
                "{n}({})",
                args.iter().map(show).collect::<Vec<_>>().join(",")
            ),
            AstKind::Unary(op, x) => format!("({} {})", op.name(), show(x)),
            AstKind::Binary(op, l, r) => format!("({} {} {})", show(l), op.symbol(), show(r)),
            AstKind::Member(b, n, _) => format!("{}.{n}", show(b)),
            AstKind::Method(b, n, _, args) => format!(
                "{}.{n}({})",
                show(b),
                args.iter().map(show).collect::<Vec<_>>().join(",")
            ),
        }
    }

    #[test]
    fn precedence_and_associativity() {
        let p = |s| show(&parse(s).unwrap());
        assert_eq!(p("now() - max(audit_dates)"), "(now() - max(audit_dates))");
        assert_eq!(p("1 + 2 * 3 - 4"), "((1 + (2 * 3)) - 4)");
        assert_eq!(p("a or b and not c"), "(a or (b and (not c)))");
        assert_eq!(
            p("len(x) >= 50 and -y < 2"),
            "((len(x) >= 50) and ((neg y) < 2))"
        );
        assert_eq!(p("(1 + 2) * 3"), "((1 + 2) * 3)");
        assert_eq!(p("2024-01-31 + P1D"), "(date19753 + dur86400)");
        assert_eq!(p("2024 - 01 - 31"), "((2024 - 1) - 31)");
        assert_eq!(p("1e6 + 2.5E-3 - 1e+2"), "((1000000 + 0.0025) - 100)");
        assert_eq!(p("max(a, b, 'x\\'y')"), "max(a,b,\"x'y\")");
        assert_eq!(
            p("xs.all(s, s.a.b in ys and has(s.c))"),
            "xs.all(s,((s.a.b in ys) and has(s.c)))"
        );
        assert_eq!(p("-a.b * 2"), "((neg a.b) * 2)");
        assert_eq!(
            p("xs.filter(x, x.ids.exists(i, i == h)).map(x, x.k)"),
            "xs.filter(x,x.ids.exists(i,(i == h))).map(x,x.k)"
        );
    }

    #[test]
    fn member_syntax_errors() {
        assert!(parse("a.").unwrap_err().message.contains("after `.`"));
        assert!(parse("a.1").is_err());
        assert!(parse("a in b in c").unwrap_err().message.contains("chain"));
        let chain = format!("a{}", ".b".repeat(100));
        assert!(parse(&chain).unwrap_err().message.contains("nested"));
        let macros = format!("{}true{}", "xs.all(x, ".repeat(60), ")".repeat(60));
        assert!(parse(&macros).unwrap_err().message.contains("nested"));
    }

    #[test]
    fn syntax_errors_point_at_the_problem() {
        let e = parse("len(x) >= ").unwrap_err();
        assert_eq!(e.span, (10, 10));
        assert!(e.message.contains("end of expression"));
        assert!(
            parse("a < b < c")
                .unwrap_err()
                .message
                .contains("do not chain")
        );
        assert!(parse("a = b").unwrap_err().message.contains("=="));
        assert!(parse("a && b").unwrap_err().message.contains("`and`"));
        assert!(
            parse("max(a b)")
                .unwrap_err()
                .message
                .contains("`,` or `)`")
        );
        assert!(parse("365D").unwrap_err().message.contains("P365D"));
        let e = parse("P1Y").unwrap_err();
        assert!(e.literal && e.message.contains("years"));
        assert!(parse("2023-02-30").unwrap_err().literal);
        assert!(parse("'open").is_err());
        assert!(parse("   ").is_err());
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!("{}1{}", "(".repeat(1000), ")".repeat(1000));
        assert!(parse(&deep).unwrap_err().message.contains("nested"));
        let negs = format!("{}1", "-".repeat(1000));
        assert!(parse(&negs).unwrap_err().message.contains("nested"));
        let nots = format!("{}true", "not ".repeat(1000));
        assert!(parse(&nots).unwrap_err().message.contains("nested"));
    }
}
