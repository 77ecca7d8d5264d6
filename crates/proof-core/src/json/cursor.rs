//! A forward-only reader over JSON text for callers that decode a known shape in one pass
//! (the service's `/verify` fast path): no tree is built. It only reads what it can read
//! exactly (strings without escapes, `true`, `false`, punctuation) and answers `None` to
//! anything else; the caller then falls back to a full parser, which accepts or refuses the
//! text and says why. So a `None` here is never an error message, only "not this way".

use super::parse::find_special;

/// A position in JSON text.
#[derive(Clone, Debug)]
pub struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `s`.
    #[must_use]
    pub const fn new(s: &'a str) -> Self {
        Self { s, pos: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.s.as_bytes()
    }

    /// Skips JSON whitespace and returns the next byte, without consuming it.
    pub fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes().get(self.pos) {
            self.pos += 1;
        }
        self.bytes().get(self.pos).copied()
    }

    /// Skips whitespace and consumes `c` if it comes next.
    pub fn eat(&mut self, c: u8) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.pos += 1;
        }
        found
    }

    /// Skips whitespace; true when nothing else is left.
    pub fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    /// A string without escapes, as written (its quotes excluded); `None` (nothing
    /// consumed) for anything else, including a string with an escape.
    pub fn plain_str(&mut self) -> Option<&'a str> {
        self.plain_str_raw().map(|(s, _)| s)
    }

    /// As [`plain_str`](Self::plain_str), also returning the string's bytes with their quotes
    /// (its canonical JSON form: a string without escapes has no characters to escape).
    pub fn plain_str_raw(&mut self) -> Option<(&'a str, &'a str)> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let open = self.pos;
        let close = find_special(self.bytes(), open + 1)?;
        if self.bytes().get(close) != Some(&b'"') {
            return None;
        }
        let inner = self.s.get(open + 1..close)?;
        let quoted = self.s.get(open..=close)?;
        self.pos = close + 1;
        Some((inner, quoted))
    }

    /// The rest of the text from the current position (for peeking at a prefix).
    #[must_use]
    pub fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    /// Steps over `n` bytes that the caller has read from [`rest`](Self::rest) (a
    /// position inside a character makes every later read answer `None`).
    pub fn advance(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n);
    }

    /// `true` or `false`.
    pub fn boolean(&mut self) -> Option<bool> {
        let b = match self.peek()? {
            b't' if self.rest().starts_with("true") => true,
            b'f' if self.rest().starts_with("false") => false,
            _ => return None,
        };
        self.pos += if b { 4 } else { 5 };
        Some(b)
    }

    /// After a member or item: consumes `,` (`Some(true)`) or `close` (`Some(false)`).
    pub fn next(&mut self, close: u8) -> Option<bool> {
        if self.eat(b',') {
            Some(true)
        } else if self.eat(close) {
            Some(false)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_strings_and_refuses_escapes_and_control_characters() {
        let mut c = Cursor::new(r#"  "abc" , "a\"b" "#);
        assert_eq!(c.plain_str_raw(), Some(("abc", "\"abc\"")));
        assert_eq!(c.next(b']'), Some(true));
        assert_eq!(c.plain_str(), None);
        assert_eq!(Cursor::new("\"a\tb\"").plain_str(), None);
        assert_eq!(Cursor::new("\"open").plain_str(), None);
        assert_eq!(Cursor::new("\"é\"").plain_str(), Some("é"));
    }

    #[test]
    fn reads_booleans_punctuation_and_the_end() {
        let mut c = Cursor::new(" [true,false ] ");
        assert!(c.eat(b'['));
        assert_eq!(c.boolean(), Some(true));
        assert_eq!(c.next(b']'), Some(true));
        assert_eq!(c.boolean(), Some(false));
        assert_eq!(c.next(b']'), Some(false));
        assert!(c.at_end());
        assert_eq!(Cursor::new("tru").boolean(), None);
        assert_eq!(Cursor::new("1").next(b']'), None);
    }
}
