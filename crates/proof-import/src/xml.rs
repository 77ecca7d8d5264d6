//! A streaming, namespace-aware walk over an XML document (quick-xml's `NsReader`), for
//! the XML list formats. Memory stays bounded by the depth of the document and the text
//! of one element, whatever the file's size.

use crate::ImportError;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// One step of the walk. Element names are local names; an element outside the expected
/// namespace has the name `""`, so no importer matches it.
pub(crate) enum Step<'a> {
    /// An element opened, with its attributes (local name, unescaped value).
    Open {
        name: &'a str,
        /// The local name whatever its namespace, for messages.
        local: &'a str,
        attrs: &'a [(String, String)],
    },
    /// An element closed, with its own text (entities resolved, line ends normalised,
    /// trimmed).
    Close { name: &'a str, text: &'a str },
}

/// Where the walk is: element depth (the root is 1) and the 1-based line.
pub(crate) struct At {
    pub depth: usize,
    pub line: usize,
}

/// Walks `src`, calling `f` for every step. `ns` is the namespace the format's elements
/// are in (`None`: no namespace).
pub(crate) fn walk(
    file: &str,
    src: &str,
    ns: Option<&str>,
    mut f: impl FnMut(Step<'_>, &At) -> Result<(), String>,
) -> Result<(), ImportError> {
    let mut reader = NsReader::from_str(src);
    let mut stack = Stack::default();
    let mut attrs: Vec<(String, String)> = Vec::new();
    let (mut line, mut counted, mut seen) = (1usize, 0usize, false);
    let err = |line: usize, stack: &Stack, m: String| ImportError::Malformed {
        file: file.to_owned(),
        at: format!("line {line}, /{}", stack.path()),
        message: m,
    };
    loop {
        let pos = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        if let Some(chunk) = src.get(counted..pos) {
            line += chunk.bytes().filter(|b| *b == b'\n').count();
            counted = pos;
        }
        let (res, ev) = match reader.read_resolved_event() {
            Ok(x) => x,
            Err(e) => return Err(err(line, &stack, format!("not well-formed XML: {e}"))),
        };
        let in_ns = match (&res, ns) {
            (ResolveResult::Bound(n), Some(want)) => n.as_ref() == want,
            (ResolveResult::Unbound, None) => true,
            _ => false,
        };
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                seen = true;
                let local: &str = e.local_name().into_inner();
                // The slots of `attrs` are reused from element to element: an EU file has
                // about fifteen attributes per element, and allocating each would cost
                // more than reading them.
                let mut used = 0;
                for a in e.attributes() {
                    let a = a.map_err(|x| err(line, &stack, format!("bad attribute: {x}")))?;
                    // Namespace declarations are not attributes of the data.
                    if a.key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|x| err(line, &stack, format!("bad attribute value: {x}")))?;
                    let key: &str = a.key.local_name().into_inner();
                    if attrs.len() == used {
                        attrs.push((String::new(), String::new()));
                    }
                    if let Some((k, val)) = attrs.get_mut(used) {
                        k.clear();
                        k.push_str(key);
                        val.clear();
                        val.push_str(&v);
                    }
                    used += 1;
                }
                stack.push(if in_ns { local } else { "" });
                let at = At {
                    depth: stack.depth,
                    line,
                };
                f(
                    Step::Open {
                        name: stack.name(),
                        local,
                        attrs: attrs.get(..used).unwrap_or(&[]),
                    },
                    &at,
                )
                .map_err(|m| err(line, &stack, m))?;
                if matches!(ev, Event::Empty(_)) {
                    close(&mut stack, line, &mut f).map_err(|m| err(line, &stack, m))?;
                }
            }
            Event::End(_) => {
                close(&mut stack, line, &mut f).map_err(|m| err(line, &stack, m))?;
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content()),
            Event::CData(c) => {
                push_text(&mut stack, &c.into_inner());
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.xml10_content();
                        resolve_predefined_entity(&name)
                            .ok_or_else(|| err(line, &stack, format!("unknown entity `&{name};`")))?
                            .to_owned()
                    }
                    Err(e) => {
                        return Err(err(line, &stack, format!("bad character reference: {e}")));
                    }
                };
                push_text(&mut stack, &resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.depth > 0 {
        return Err(err(
            line,
            &stack,
            "the file ends inside an element (truncated?)".into(),
        ));
    }
    if !seen {
        return Err(err(line, &stack, "the file has no XML element".into()));
    }
    Ok(())
}

/// The open elements: name (empty when in another namespace) and text so far. Slots are
/// kept when an element closes, so a document allocates once per depth, not per element.
#[derive(Default)]
struct Stack {
    slots: Vec<(String, String)>,
    depth: usize,
}

impl Stack {
    fn push(&mut self, name: &str) {
        if self.slots.len() == self.depth {
            self.slots.push((String::new(), String::new()));
        }
        if let Some((n, t)) = self.slots.get_mut(self.depth) {
            n.clear();
            n.push_str(name);
            t.clear();
        }
        self.depth += 1;
    }

    /// The innermost open element's name.
    fn name(&self) -> &str {
        self.depth
            .checked_sub(1)
            .and_then(|i| self.slots.get(i))
            .map_or("", |(n, _)| n.as_str())
    }

    fn path(&self) -> String {
        self.slots
            .iter()
            .take(self.depth)
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join("/")
    }
}

fn push_text(stack: &mut Stack, s: &str) {
    if let Some((_, text)) = stack
        .depth
        .checked_sub(1)
        .and_then(|i| stack.slots.get_mut(i))
    {
        text.push_str(s);
    }
}

fn close(
    stack: &mut Stack,
    line: usize,
    f: &mut impl FnMut(Step<'_>, &At) -> Result<(), String>,
) -> Result<(), String> {
    let depth = stack.depth;
    let Some((name, text)) = depth.checked_sub(1).and_then(|i| stack.slots.get(i)) else {
        return Err("a closing tag without an opening one".into());
    };
    let r = f(
        Step::Close {
            name,
            text: text.trim(),
        },
        &At { depth, line },
    );
    stack.depth -= 1;
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(src: &str, ns: Option<&str>) -> Result<Vec<String>, ImportError> {
        let mut out = Vec::new();
        walk("t.xml", src, ns, |s, at| {
            match s {
                Step::Open { name, attrs, .. } => {
                    out.push(format!("+{name}@{} {attrs:?}", at.depth))
                }
                Step::Close { name, text } => out.push(format!("-{name}={text}")),
            }
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn text_entities_namespaces_and_empty_elements() {
        let src = "<r xmlns=\"urn:x\" xmlns:o=\"urn:o\"><a k=\"1 &amp; 2\">A &amp; B&#x21;\r\n</a><o:b>x</o:b><c/></r>";
        let got = collect(src, Some("urn:x")).unwrap();
        assert_eq!(
            got,
            [
                "+r@1 []",
                "+a@2 [(\"k\", \"1 & 2\")]",
                "-a=A & B!",
                "+@2 []",
                "-=x",
                "+c@2 []",
                "-c=",
                "-r="
            ]
        );
    }

    #[test]
    fn truncated_and_mismatched_documents_are_errors_with_a_line() {
        let e = collect("<r>\n<a>\n<b>x</b>", None).unwrap_err().to_string();
        assert!(e.contains("truncated") && e.contains("line 3"), "{e}");
        let e = collect("<r><a></b></r>", None).unwrap_err().to_string();
        assert!(e.contains("not well-formed"), "{e}");
        assert!(collect("", None).is_err());
        assert!(collect("<r>&bogus;</r>", None).is_err());
    }
}
