//! JSON text to a [`Doc`] that borrows its strings: the parser on the service's hot path.
//!
//! Consumes JSON text; produces a [`Doc`], or a [`DocError`] that only says where it gave
//! up. It accepts exactly the texts that [`from_slice_strict_depth`] accepts (duplicate keys
//! and nesting past the limit refused) and builds the same tree: `to_value` of its result
//! equals that function's result. Where serde_json's rules are subtle (escapes, numbers) it
//! hands the token to serde_json. A caller that needs to say what is wrong with a text
//! parses it again with [`from_slice_strict_depth`], which names the problem.
//!
//! Why not a serde visitor: a context is mostly short hex strings, and this parser scans a
//! string eight bytes at a time, and collects array items and object members on two shared
//! scratch stacks, so each array or object costs one allocation of exactly its size instead
//! of a chain of growing ones.
//!
//! [`from_slice_strict_depth`]: super::from_slice_strict_depth

use super::{Doc, duplicate};
use serde_json::Number;
use std::borrow::Cow;

/// serde_json refuses a 128th level of nesting whatever the caller's limit, so this
/// parser does too.
const SERDE_JSON_MAX_DEPTH: usize = 127;

/// A text that [`doc_from_str_strict_depth`] does not accept; `offset` is the byte where it
/// gave up (the problem may lie a little earlier, e.g. a duplicate key).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not accepted as strict JSON (stopped at byte {offset})")]
pub struct DocError {
    /// Byte offset into the text.
    pub offset: usize,
}

/// Parses JSON text into a [`Doc`] borrowing from `s`, with the checks of
/// [`from_slice_strict_depth`](super::from_slice_strict_depth): it accepts exactly the texts
/// that function accepts, and `to_value` of the result equals its result.
///
/// # Errors
/// [`DocError`] for any text that function refuses; parse again with it for the reason.
pub fn doc_from_str_strict_depth(s: &str, max_depth: usize) -> Result<Doc<'_>, DocError> {
    let mut p = Parser {
        s,
        b: s.as_bytes(),
        pos: 0,
        max: max_depth.min(SERDE_JSON_MAX_DEPTH),
        // Sized so that a context of hashes (about 70 bytes of text per item) needs no
        // growth; other shapes grow as usual.
        items: Vec::with_capacity(s.len() / 64 + 8),
        members: Vec::with_capacity(16),
    };
    let v = p.value(0)?;
    p.ws();
    if p.pos == p.b.len() {
        Ok(v)
    } else {
        Err(p.err())
    }
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    /// Arrays and objects may open at depths `0..max`.
    max: usize,
    /// Items of the arrays being parsed, innermost last.
    items: Vec<Doc<'a>>,
    /// Members of the objects being parsed, innermost last.
    members: Vec<(Cow<'a, str>, Doc<'a>)>,
}

impl<'a> Parser<'a> {
    const fn err(&self) -> DocError {
        DocError { offset: self.pos }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Doc<'a>, DocError> {
        self.push_value(depth)?;
        self.items.pop().ok_or_else(|| self.err())
    }

    /// Parses one value onto `items`. (Array items, most of a context, are moved once, into
    /// place: returning a `Doc` through a few `Result`s copied it at every step, and the
    /// copies stalled the CPU more than the parsing cost.)
    fn push_value(&mut self, depth: usize) -> Result<(), DocError> {
        self.ws();
        let v = match self.peek() {
            Some(b'"') => {
                let s = self.string()?;
                self.items.push(Doc::String(s));
                return Ok(());
            }
            Some(b'[') => self.array(depth)?,
            Some(b'{') => self.object(depth)?,
            Some(b't') => self.word(b"true", Doc::Bool(true))?,
            Some(b'f') => self.word(b"false", Doc::Bool(false))?,
            Some(b'n') => self.word(b"null", Doc::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            _ => return Err(self.err()),
        };
        self.items.push(v);
        Ok(())
    }

    fn word(&mut self, w: &[u8], v: Doc<'a>) -> Result<Doc<'a>, DocError> {
        if self.b.get(self.pos..self.pos + w.len()) == Some(w) {
            self.pos += w.len();
            Ok(v)
        } else {
            Err(self.err())
        }
    }

    /// After a value inside `[` or `{`: `Ok(true)` at `,`, `Ok(false)` at `close`.
    fn more(&mut self, close: u8) -> Result<bool, DocError> {
        self.ws();
        let c = self.peek();
        if c == Some(b',') || c == Some(close) {
            self.pos += 1;
            Ok(c == Some(b','))
        } else {
            Err(self.err())
        }
    }

    /// Steps over `open` and following whitespace; `true` when `close` follows at once.
    fn open(&mut self, depth: usize, close: u8) -> Result<bool, DocError> {
        if depth >= self.max {
            return Err(self.err());
        }
        self.pos += 1;
        self.ws();
        let empty = self.peek() == Some(close);
        if empty {
            self.pos += 1;
        }
        Ok(empty)
    }

    fn array(&mut self, depth: usize) -> Result<Doc<'a>, DocError> {
        if self.open(depth, b']')? {
            return Ok(Doc::Array(Vec::new()));
        }
        let start = self.items.len();
        loop {
            self.push_value(depth + 1)?;
            if !self.more(b']')? {
                break;
            }
        }
        Ok(Doc::Array(self.items.drain(start..).collect()))
    }

    fn object(&mut self, depth: usize) -> Result<Doc<'a>, DocError> {
        if self.open(depth, b'}')? {
            return Ok(Doc::Object(Vec::new()));
        }
        let start = self.members.len();
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err());
            }
            let k = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.err());
            }
            self.pos += 1;
            let v = self.value(depth + 1)?;
            self.members.push((k, v));
            if !self.more(b'}')? {
                break;
            }
        }
        let members: Vec<_> = self.members.drain(start..).collect();
        if duplicate(&members).is_some() {
            return Err(self.err());
        }
        Ok(Doc::Object(members))
    }

    /// A string; `pos` is at its opening quote. Borrowed unless it has escapes, which
    /// serde_json decodes (surrogate pairs and all).
    fn string(&mut self) -> Result<Cow<'a, str>, DocError> {
        let open = self.pos;
        let mut i = open + 1;
        let mut escaped = false;
        let close = loop {
            let Some(at) = find_special(self.b, i) else {
                self.pos = self.b.len();
                return Err(self.err());
            };
            match self.b.get(at) {
                Some(b'"') => break at,
                Some(b'\\') => {
                    escaped = true;
                    i = at + 2;
                }
                _ => {
                    // A control character, which JSON only allows escaped.
                    self.pos = at;
                    return Err(self.err());
                }
            }
        };
        self.pos = close + 1;
        if escaped {
            let token = self.s.get(open..=close).ok_or_else(|| self.err())?;
            serde_json::from_str::<String>(token)
                .map(Cow::Owned)
                .map_err(|_| DocError { offset: open })
        } else {
            self.s
                .get(open + 1..close)
                .map(Cow::Borrowed)
                .ok_or_else(|| self.err())
        }
    }

    /// A number; its extent follows JSON's grammar, its value comes from serde_json.
    fn number(&mut self) -> Result<Doc<'a>, DocError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err()),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.some_digits()?;
        }
        let text = self.s.get(start..self.pos).ok_or_else(|| self.err())?;
        match text.parse::<Number>() {
            // serde_json refuses numbers that overflow a double; check anyway, since a
            // `Doc` must never hold one that canonical JSON cannot write.
            Ok(n) if n.as_f64().is_some_and(f64::is_finite) => Ok(Doc::Number(n)),
            _ => Err(DocError { offset: start }),
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
    }

    fn some_digits(&mut self) -> Result<(), DocError> {
        let from = self.pos;
        self.digits();
        if self.pos == from {
            Err(self.err())
        } else {
            Ok(())
        }
    }
}

const LANES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = LANES * 0x80;

/// 0x80 in each byte of `w` below `n` (`n` <= 0x80). A borrow can set a byte's flag wrongly
/// only above a byte that is truly below `n`, so the lowest flag is always right.
const fn below(w: u64, n: u8) -> u64 {
    w.wrapping_sub(LANES * n as u64) & !w & HIGH
}

/// 0x80 in each byte of `w` equal to `c`, with the same guarantee for the lowest flag.
const fn equal(w: u64, c: u8) -> u64 {
    below(w ^ (LANES * c as u64), 1)
}

/// The index of the first `"`, `\` or control character at or after `i`, eight bytes at a
/// time (the ends of strings and their escapes).
pub(super) fn find_special(b: &[u8], mut i: usize) -> Option<usize> {
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(word);
        let hits = equal(w, b'"') | equal(w, b'\\') | below(w, 0x20);
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.get(i..)?
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .map(|p| i + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_first_special_byte_at_every_position_and_ignores_non_ascii() {
        for special in [b'"', b'\\', 0x00, 0x1f] {
            for len in 0..20 {
                for at in 0..len {
                    let mut b = vec![b'a'; len];
                    // Bytes that differ from the special ones by one bit, and non-ASCII.
                    for (j, x) in b.iter_mut().enumerate() {
                        *x = [b'#', b']', 0x20, 0xe9, 0x80, 0x7f, b'!'][j % 7];
                    }
                    b[at] = special;
                    if at + 1 < len {
                        b[at + 1] = b'"';
                    }
                    assert_eq!(
                        find_special(&b, 0),
                        Some(at),
                        "{special:#x} at {at} of {len}"
                    );
                }
                assert_eq!(find_special(&vec![b'x'; len], 0), None);
            }
        }
    }

    #[test]
    fn refuses_what_serde_json_refuses_and_reads_what_it_reads() {
        let cases = [
            ("\"a\\u00e9\\ud83d\\ude00\"", true),
            ("\"\\ud83d\"", false),
            ("\"tab\there\"", false),
            ("-0", true),
            ("-", false),
            ("01", false),
            ("1.", false),
            ("1e", false),
            ("1e400", false),
            ("18446744073709551616", true),
            ("[1,]", false),
            ("{\"a\":1,}", false),
            ("{\"a\" 1}", false),
            ("{1:1}", false),
            ("tru", false),
            ("nul", false),
            (" [true , false,null ] ", true),
            ("\"unterminated", false),
            ("\"ends in backslash\\", false),
        ];
        for (text, ok) in cases {
            let doc = doc_from_str_strict_depth(text, 8);
            let val = super::super::from_slice_strict_depth(text.as_bytes(), 8);
            assert_eq!(doc.is_ok(), ok, "{text}: {doc:?}");
            assert_eq!(val.is_ok(), ok, "{text}: serde_json {val:?}");
            if let (Ok(d), Ok(v)) = (doc, val) {
                assert_eq!(d.to_value(), v, "{text}");
            }
        }
    }

    #[test]
    fn nesting_stops_where_the_limit_and_serde_json_stop() {
        let nest = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        for (limit, deepest) in [(0, 0), (3, 3), (127, 127), (200, 127)] {
            assert!(doc_from_str_strict_depth(&nest(deepest), limit).is_ok());
            assert!(doc_from_str_strict_depth(&nest(deepest + 1), limit).is_err());
            let serde = |n| super::super::from_slice_strict_depth(nest(n).as_bytes(), limit);
            assert!(
                serde(deepest).is_ok() && serde(deepest + 1).is_err(),
                "{limit}"
            );
        }
    }
}
