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
    let mut stack: Vec<(String, String)> = Vec::new();
    let mut attrs: Vec<(String, String)> = Vec::new();
    let (mut line, mut counted, mut seen) = (1usize, 0usize, false);
    let err = |line: usize, stack: &[(String, String)], m: String| ImportError::Malformed {
        file: file.to_owned(),
        at: format!(
            "line {line}, /{}",
            stack
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join("/")
        ),
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
                let local_name = e.local_name();
                let local: String = local_name.as_ref().to_owned();
                let name = if in_ns { local.clone() } else { String::new() };
                attrs.clear();
                for a in e.attributes() {
                    let a = a.map_err(|x| err(line, &stack, format!("bad attribute: {x}")))?;
                    // Namespace declarations are not attributes of the data.
                    if a.key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|x| err(line, &stack, format!("bad attribute value: {x}")))?;
                    attrs.push((a.key.local_name().as_ref().to_owned(), v.into_owned()));
                }
                stack.push((name, String::new()));
                let at = At {
                    depth: stack.len(),
                    line,
                };
                if let Some((n, _)) = stack.last() {
                    f(
                        Step::Open {
                            name: n,
                            local: &local,
                            attrs: &attrs,
                        },
                        &at,
                    )
                    .map_err(|m| err(line, &stack, m))?;
                }
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
    if !stack.is_empty() {
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

fn push_text(stack: &mut [(String, String)], s: &str) {
    if let Some((_, text)) = stack.last_mut() {
        text.push_str(s);
    }
}

fn close(
    stack: &mut Vec<(String, String)>,
    line: usize,
    f: &mut impl FnMut(Step<'_>, &At) -> Result<(), String>,
) -> Result<(), String> {
    let depth = stack.len();
    let Some((name, text)) = stack.pop() else {
        return Err("a closing tag without an opening one".into());
    };
    f(
        Step::Close {
            name: &name,
            text: text.trim(),
        },
        &At { depth, line },
    )
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
