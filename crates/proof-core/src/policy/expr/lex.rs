//! The expression lexer: text to tokens with byte spans. Dates (`2025-12-31`, written
//! without spaces) and durations (`P365D`) are recognised here and checked as they are read.

use super::SyntaxError;
use crate::temporal;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Tok {
    Num(f64),
    Str(String),
    Date(i64),
    Dur(i64),
    Ident(String),
    Sym(&'static str),
    End,
}

pub(super) fn err(message: impl Into<String>, span: (usize, usize)) -> SyntaxError {
    SyntaxError {
        message: message.into(),
        span,
        literal: false,
    }
}

pub(super) fn lit_err(message: impl Into<String>, span: (usize, usize)) -> SyntaxError {
    SyntaxError {
        message: message.into(),
        span,
        literal: true,
    }
}

const SYMBOLS: [&str; 15] = [
    "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "(", ")", ",", ".", "=",
];

pub(super) type Spanned = (Tok, (usize, usize));

pub(super) fn lex(src: &str) -> Result<Vec<Spanned>, SyntaxError> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b.get(i).copied().unwrap_or(b' ');
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        if is_date_at(b, i) {
            let text = src.get(i..i + 10).unwrap_or_default();
            i += 10;
            let d = temporal::parse_date(text).map_err(|m| lit_err(m, (start, i)))?;
            out.push((Tok::Date(d), (start, i)));
        } else if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            while b
                .get(i)
                .is_some_and(|x| x.is_ascii_digit() || *x == b'.' || *x == b'_')
            {
                i += 1;
            }
            i = exponent_end(b, i);
            let text = src.get(start..i).unwrap_or_default();
            if b.get(i).is_some_and(|x| x.is_ascii_alphabetic()) {
                return Err(lit_err(
                    format!("`{text}` is followed by a letter; durations are written `P{text}D`"),
                    (start, i + 1),
                ));
            }
            let n: f64 = text
                .replace('_', "")
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite())
                .ok_or_else(|| lit_err(format!("`{text}` is not a number"), (start, i)))?;
            out.push((Tok::Num(n), (start, i)));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            while b
                .get(i)
                .is_some_and(|x| x.is_ascii_alphanumeric() || *x == b'_')
            {
                i += 1;
            }
            let word = src.get(start..i).unwrap_or_default();
            if looks_like_duration(word) {
                let d = temporal::parse_duration(word).map_err(|m| lit_err(m, (start, i)))?;
                out.push((Tok::Dur(d), (start, i)));
            } else {
                out.push((Tok::Ident(word.to_owned()), (start, i)));
            }
        } else if c == b'"' || c == b'\'' {
            let (s, end) = string_lit(src, i)?;
            i = end;
            out.push((Tok::Str(s), (start, i)));
        } else if let Some(sym) = SYMBOLS
            .iter()
            .find(|s| src.get(i..).is_some_and(|r| r.starts_with(**s)))
        {
            i += sym.len();
            if *sym == "=" {
                return Err(err("`=` is not an operator; compare with `==`", (start, i)));
            }
            out.push((Tok::Sym(sym), (start, i)));
        } else {
            let ch = src.get(i..).and_then(|r| r.chars().next()).unwrap_or('?');
            let hint = match ch {
                '&' => "; write `and`",
                '|' => "; write `or`",
                '!' => "; write `not`",
                _ => "",
            };
            return Err(err(
                format!("unexpected character `{ch}`{hint}"),
                (start, start + ch.len_utf8()),
            ));
        }
    }
    out.push((Tok::End, (b.len(), b.len())));
    Ok(out)
}

/// If an exponent (`e`, optional sign, digits) starts at `i`, the index after it; else `i`.
fn exponent_end(b: &[u8], i: usize) -> usize {
    if !b.get(i).is_some_and(|c| *c == b'e' || *c == b'E') {
        return i;
    }
    let mut j = i + 1;
    if b.get(j).is_some_and(|c| *c == b'+' || *c == b'-') {
        j += 1;
    }
    let digits = j;
    while b.get(j).is_some_and(u8::is_ascii_digit) {
        j += 1;
    }
    if j > digits { j } else { i }
}

fn is_date_at(b: &[u8], i: usize) -> bool {
    let Some(w) = b.get(i..i + 10) else {
        return false;
    };
    let shape = w.iter().enumerate().all(|(j, c)| {
        if j == 4 || j == 7 {
            *c == b'-'
        } else {
            c.is_ascii_digit()
        }
    });
    let boundary = !b.get(i + 10).is_some_and(|c| c.is_ascii_alphanumeric());
    let before = i == 0
        || !b
            .get(i - 1)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'.');
    shape && boundary && before
}

fn looks_like_duration(word: &str) -> bool {
    word.strip_prefix('P')
        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()) || r.starts_with('T'))
}

fn string_lit(src: &str, start: usize) -> Result<(String, usize), SyntaxError> {
    let mut chars = src.get(start..).unwrap_or_default().char_indices();
    let quote = chars.next().map_or('"', |(_, c)| c);
    let mut out = String::new();
    while let Some((off, c)) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some((_, e @ ('\\' | '"' | '\''))) => out.push(e),
                Some((_, 'n')) => out.push('\n'),
                Some((_, 't')) => out.push('\t'),
                _ => {
                    return Err(lit_err(
                        "unknown escape in string; use `\\\\`, `\\\"`, `\\'`, `\\n` or `\\t`",
                        (start + off, start + off + 2),
                    ));
                }
            },
            c if c == quote => return Ok((out, start + off + 1)),
            c => out.push(c),
        }
    }
    Err(lit_err("string is not closed", (start, src.len())))
}
