//! Step one: policy text to a spanned YAML tree.
//!
//! Consumes UTF-8 text; produces a [`Node`] tree where every node and key carries its
//! source [`Span`]. The tree is built directly from the YAML parser's events, which keeps
//! spans exact and parsing fast. Parsing is bounded: source size, nesting depth, the
//! number of nodes (including those produced by aliases) are capped, so alias bombs and
//! deep nesting end in a diagnostic, not in memory or stack exhaustion. Duplicate keys are
//! kept here and reported by the decoder, so all of them are found, each with its position.
//!
//! Plain scalars are resolved with the YAML 1.2 core schema (`null`/`~`, `true`/`false`,
//! integers, floats); quoted and block scalars are strings. `yes`/`no` stay strings.

use crate::diag::{Code, Diagnostic, Span};
use granit_parser::{Event, Parser, ScalarStyle};
use serde_json::Value;
use std::collections::HashMap;

/// Largest policy source accepted, in bytes.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;
/// Deepest nesting of YAML collections accepted.
pub const MAX_DEPTH: usize = 32;
/// Most nodes a document may expand to, aliases included.
pub const MAX_NODES: usize = 50_000;

/// A YAML value with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// Where it is.
    pub span: Span,
}

/// A mapping key with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    /// The key text.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// The shape of a YAML value.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// `null` or `~` or nothing.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A plain scalar that YAML 1.2 reads as a number but that neither an `i64` nor a
    /// finite `f64` holds (`1e400`, `.inf`, `.nan`, a 20-digit integer), kept as its text.
    /// It counts as a number where a string is expected, and as its text elsewhere (so
    /// `policy_hash` is the same as for the string).
    OutOfRange(String),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order, duplicates kept.
    Map(Vec<(Key, Node)>),
}

impl NodeKind {
    /// A word for error messages: `a string`, `a list`, ...
    #[must_use]
    pub const fn describe(&self) -> &'static str {
        match self {
            Self::Null => "nothing",
            Self::Bool(_) => "a boolean",
            Self::Int(_) | Self::Float(_) | Self::OutOfRange(_) => "a number",
            Self::Str(_) => "a string",
            Self::Seq(_) => "a list",
            Self::Map(_) => "a mapping",
        }
    }
}

fn syntax(msg: impl Into<String>, span: Option<Span>) -> Diagnostic {
    Diagnostic::new(Code::YamlSyntax, false, msg, span)
}

/// A collection being built.
enum Open {
    Seq(Vec<Node>),
    /// Pairs so far and a key waiting for its value.
    Map(Vec<(Key, Node)>, Option<Key>),
}

struct Frame {
    open: Open,
    span: Span,
    anchor: usize,
    nodes: usize,
}

struct Builder<'s> {
    src: &'s str,
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Node, usize)>,
    nodes: usize,
    root: Option<Node>,
    documents: usize,
}

/// Parses `src` into a spanned tree.
///
/// # Errors
/// A `yaml-syntax` diagnostic for malformed YAML, more than one document, an unsupported
/// tag or complex key, or a limit that was exceeded.
pub fn parse(src: &str) -> Result<Node, Diagnostic> {
    if src.len() > MAX_SOURCE_BYTES {
        return Err(syntax(
            format!(
                "policy is {} bytes; the limit is {MAX_SOURCE_BYTES}",
                src.len()
            ),
            None,
        ));
    }
    let mut b = Builder {
        src,
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        root: None,
        documents: 0,
    };
    for item in Parser::new_from_str(src) {
        let (event, span) = item.map_err(|e| {
            let m = e.marker();
            let at = Span::at(src, m.byte_offset().unwrap_or(0), 0);
            syntax(
                format!(
                    "malformed YAML: {}",
                    e.info().lines().next().unwrap_or("syntax error")
                ),
                Some(at),
            )
        })?;
        let at = b.span(&span);
        b.event(event, at)?;
    }
    Ok(b.root.unwrap_or(Node {
        kind: NodeKind::Null,
        span: Span::at(src, 0, 0),
    }))
}

impl Builder<'_> {
    /// The parser's markers carry line and column, so no rescanning of the source.
    fn span(&self, s: &granit_parser::Span) -> Span {
        let start = s.start.byte_offset().unwrap_or(0).min(self.src.len());
        let end = s.end.byte_offset().unwrap_or(start);
        Span {
            line: u32::try_from(s.start.line()).unwrap_or(u32::MAX),
            column: u32::try_from(s.start.col() + 1).unwrap_or(u32::MAX),
            offset: start,
            len: end.saturating_sub(start),
        }
    }

    fn event(&mut self, event: Event<'_>, at: Span) -> Result<(), Diagnostic> {
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(syntax(
                        "a policy file holds one YAML document; found a second",
                        Some(at),
                    ));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                if let Some(tag) = tag.as_deref().filter(|t| !t.is_yaml_core_schema_tag("str")) {
                    return Err(syntax(
                        format!(
                            "YAML tag `{}{}` is not supported",
                            tag.handle(),
                            tag.suffix()
                        ),
                        Some(at),
                    ));
                }
                let kind = if style == ScalarStyle::Plain && tag.is_none() {
                    resolve(&text)
                } else {
                    NodeKind::Str(text.into_owned())
                };
                self.count(1, at)?;
                self.push(Node { kind, span: at }, anchor, 1)?;
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                if tag.is_some() {
                    return Err(syntax(
                        "YAML tags on collections are not supported",
                        Some(at),
                    ));
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Err(syntax(
                        format!("nesting is deeper than {MAX_DEPTH} levels"),
                        Some(at),
                    ));
                }
                self.count(1, at)?;
                let open = if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(Vec::new())
                } else {
                    Open::Map(Vec::new(), None)
                };
                self.stack.push(Frame {
                    open,
                    span: at,
                    anchor,
                    nodes: 1,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(f) = self.stack.pop() else {
                    return Err(syntax("unbalanced collection end", Some(at)));
                };
                let kind = match f.open {
                    Open::Seq(items) => NodeKind::Seq(items),
                    Open::Map(pairs, None) => NodeKind::Map(pairs),
                    Open::Map(_, Some(k)) => {
                        return Err(syntax(
                            format!("key `{}` has no value", k.name),
                            Some(k.span),
                        ));
                    }
                };
                self.push(Node { kind, span: f.span }, f.anchor, f.nodes)?;
            }
            Event::Alias(id) => {
                let (node, size) = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| syntax("alias to an unknown anchor", Some(at)))?;
                self.count(size, at)?;
                self.push(
                    Node {
                        kind: node.kind,
                        span: at,
                    },
                    0,
                    size,
                )?;
            }
            Event::UnresolvedAlias(name) => {
                return Err(syntax(
                    format!("alias `*{name}` refers to no anchor"),
                    Some(at),
                ));
            }
            _ => {}
        }
        Ok(())
    }

    fn count(&mut self, n: usize, at: Span) -> Result<(), Diagnostic> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(syntax(
                format!("the document expands to more than {MAX_NODES} nodes (an alias bomb?)"),
                Some(at),
            ));
        }
        Ok(())
    }

    /// Adds a finished node to its parent (or makes it the root).
    fn push(&mut self, node: Node, anchor: usize, size: usize) -> Result<(), Diagnostic> {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        parent.nodes = parent.nodes.saturating_add(size);
        match &mut parent.open {
            Open::Seq(items) => items.push(node),
            Open::Map(pairs, pending) => match pending.take() {
                Some(key) => pairs.push((key, node)),
                None => {
                    let name = match node.kind {
                        NodeKind::Str(s) | NodeKind::OutOfRange(s) => s,
                        NodeKind::Int(i) => i.to_string(),
                        NodeKind::Float(f) => f.to_string(),
                        NodeKind::Bool(b) => b.to_string(),
                        NodeKind::Null => "null".to_owned(),
                        NodeKind::Seq(_) | NodeKind::Map(_) => {
                            return Err(syntax(
                                "a list or mapping as a mapping key is not supported",
                                Some(node.span),
                            ));
                        }
                    };
                    *pending = Some(Key {
                        name,
                        span: node.span,
                    });
                }
            },
        }
        Ok(())
    }
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve(s: &str) -> NodeKind {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return NodeKind::Null,
        "true" | "True" | "TRUE" => return NodeKind::Bool(true),
        "false" | "False" | "FALSE" => return NodeKind::Bool(false),
        _ => {}
    }
    let out_of_range = || Some(NodeKind::OutOfRange(s.to_owned()));
    let int = |digits: &str, radix: u32| {
        i64::from_str_radix(digits, radix)
            .ok()
            .map(NodeKind::Int)
            .or_else(out_of_range)
    };
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let parsed = if let Some(h) = s.strip_prefix("0x").filter(|h| !h.is_empty()) {
        h.bytes()
            .all(|c| c.is_ascii_hexdigit())
            .then(|| int(h, 16))
            .flatten()
    } else if let Some(o) = s.strip_prefix("0o").filter(|o| !o.is_empty()) {
        o.bytes()
            .all(|c| (b'0'..=b'7').contains(&c))
            .then(|| int(o, 8))
            .flatten()
    } else if !unsigned.is_empty() && unsigned.bytes().all(|c| c.is_ascii_digit()) {
        s.parse::<i64>()
            .ok()
            .map(NodeKind::Int)
            .or_else(out_of_range)
    } else if is_core_float(unsigned) {
        match s.parse::<f64>() {
            Ok(f) if f.is_finite() => Some(NodeKind::Float(f)),
            _ => out_of_range(),
        }
    } else if matches!(unsigned, ".inf" | ".Inf" | ".INF") || matches!(s, ".nan" | ".NaN" | ".NAN")
    {
        out_of_range()
    } else {
        None
    };
    parsed.unwrap_or_else(|| NodeKind::Str(s.to_owned()))
}

/// `(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_core_float(s: &str) -> bool {
    let (mantissa, exp) = match s.find(['e', 'E']) {
        Some(i) => (s.get(..i).unwrap_or(""), s.get(i + 1..)),
        None => (s, None),
    };
    let exp_ok = exp.is_none_or(|e| {
        let d = e.strip_prefix(['-', '+']).unwrap_or(e);
        !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit())
    });
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |x: &str| x.bytes().all(|c| c.is_ascii_digit());
    exp_ok
        && digits(int)
        && digits(frac)
        && !(int.is_empty() && frac.is_empty())
        && (mantissa.contains('.') || exp.is_some())
}

impl Node {
    /// The JSON data model of this tree (the pre-image of `policy_hash`). Mapping keys
    /// keep their last value; the decoder reports duplicates before this is used.
    #[must_use]
    pub fn to_json(&self) -> Value {
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(f) => Value::from(*f),
            NodeKind::OutOfRange(s) => Value::String(s.clone()),
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(items) => Value::Array(items.iter().map(Self::to_json).collect()),
            NodeKind::Map(pairs) => Value::Object(
                pairs
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodes_carry_spans_of_their_text() {
        let src = "a: 1\nb:\n  - x\n  - \"y z\"\n";
        let n = parse(src).unwrap();
        let NodeKind::Map(pairs) = &n.kind else {
            panic!("not a map")
        };
        assert_eq!(pairs[1].0.name, "b");
        assert_eq!((pairs[1].0.span.line, pairs[1].0.span.column), (2, 1));
        let NodeKind::Seq(items) = &pairs[1].1.kind else {
            panic!("not a seq")
        };
        assert_eq!(items[1].kind, NodeKind::Str("y z".into()));
        assert_eq!((items[1].span.line, items[1].span.column), (4, 5));
        assert_eq!(&src[items[1].span.offset..items[1].span.offset + 1], "\"");
    }

    #[test]
    fn duplicate_keys_are_kept_for_the_decoder() {
        let n = parse("a: 1\na: 2\n").unwrap();
        let NodeKind::Map(pairs) = &n.kind else {
            panic!("not a map")
        };
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[1].0.span.line, 2);
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused_with_a_diagnostic() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = (b'a' + i - 1) as char;
            let cur = (b'a' + i) as char;
            bomb.push_str(&format!("{cur}: &{cur} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        let d = parse(&bomb).unwrap_err();
        assert_eq!(d.code, Code::YamlSyntax);
        let deep = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
        let d = parse(&deep).unwrap_err();
        assert_eq!(d.code, Code::YamlSyntax);
        let deep_block: String = (0..1000)
            .map(|i| format!("{}k:\n", " ".repeat(i)))
            .collect();
        assert_eq!(parse(&deep_block).unwrap_err().code, Code::YamlSyntax);
    }

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        for (text, want) in [
            ("~", NodeKind::Null),
            ("True", NodeKind::Bool(true)),
            ("-12", NodeKind::Int(-12)),
            ("0x1F", NodeKind::Int(31)),
            ("0o17", NodeKind::Int(15)),
            ("1.0", NodeKind::Float(1.0)),
            (".5e3", NodeKind::Float(500.0)),
            ("1e3", NodeKind::Float(1000.0)),
            ("P365D", NodeKind::Str("P365D".into())),
            ("2025-12-31", NodeKind::Str("2025-12-31".into())),
            ("1.2.3", NodeKind::Str("1.2.3".into())),
            (".", NodeKind::Str(".".into())),
            ("e5", NodeKind::Str("e5".into())),
            (
                "99999999999999999999",
                NodeKind::OutOfRange("99999999999999999999".into()),
            ),
            ("1e400", NodeKind::OutOfRange("1e400".into())),
            ("-1e400", NodeKind::OutOfRange("-1e400".into())),
            (".inf", NodeKind::OutOfRange(".inf".into())),
            ("-.Inf", NodeKind::OutOfRange("-.Inf".into())),
            (".NaN", NodeKind::OutOfRange(".NaN".into())),
            (
                "0x1FFFFFFFFFFFFFFFF",
                NodeKind::OutOfRange("0x1FFFFFFFFFFFFFFFF".into()),
            ),
            ("0x", NodeKind::Str("0x".into())),
            ("inf", NodeKind::Str("inf".into())),
        ] {
            assert_eq!(resolve(text), want, "{text}");
        }
        let n = parse("a: '1'\nb: !!str 2\n").unwrap();
        let NodeKind::Map(pairs) = &n.kind else {
            panic!("not a map")
        };
        assert_eq!(pairs[0].1.kind, NodeKind::Str("1".into()));
        assert_eq!(pairs[1].1.kind, NodeKind::Str("2".into()));
    }

    #[test]
    fn second_documents_tags_and_complex_keys_are_refused() {
        assert!(
            parse("a: 1\n---\nb: 2\n")
                .unwrap_err()
                .message
                .contains("one YAML document")
        );
        assert!(
            parse("a: !custom 1\n")
                .unwrap_err()
                .message
                .contains("not supported")
        );
        assert!(
            parse("? [a]\n: 1\n")
                .unwrap_err()
                .message
                .contains("mapping key")
        );
        assert!(parse("a: *nope\n").is_err());
    }

    #[test]
    fn aliases_expand_within_limits() {
        let n = parse("base: &b {x: 1}\nuse: *b\n").unwrap();
        let NodeKind::Map(pairs) = &n.kind else {
            panic!("not a map")
        };
        assert_eq!(pairs[0].1.kind, pairs[1].1.kind);
        assert_eq!(pairs[1].1.span.line, 2);
    }

    #[test]
    fn yes_and_no_stay_strings() {
        let n = parse("a: yes\n").unwrap();
        let NodeKind::Map(pairs) = &n.kind else {
            panic!("not a map")
        };
        assert_eq!(pairs[0].1.kind, NodeKind::Str("yes".into()));
    }

    #[test]
    fn malformed_yaml_names_its_line() {
        let d = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(d.code, Code::YamlSyntax);
        assert!(d.span.is_some(), "{d:?}");
    }
}
