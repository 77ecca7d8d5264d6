//! UN Security Council consolidated list, XML (`docs/lists.md`, "un-sc-xml").
//!
//! One designation per `INDIVIDUAL` and `ENTITY`: id `REFERENCE_NUMBER`; names
//! `FIRST_NAME` … `FOURTH_NAME` joined by spaces, `NAME_ORIGINAL_SCRIPT`, and each
//! `*_ALIAS/ALIAS_NAME` whose `QUALITY` is not `Low`; for entities, IMO company numbers
//! mentioned in `COMMENTS1`.

use crate::entry::Entry;
use crate::remarks::imo_mentions;
use crate::xml::{Step, walk};
use crate::{ImportError, Sink};
use proof_core::ids::{Scheme, Source};

#[derive(Default)]
struct Alias {
    quality: String,
    name: String,
}

pub(crate) fn read(file: &str, src: &str, sink: &mut Sink<'_>) -> Result<(), ImportError> {
    let mut cur: Option<(Entry, bool, [String; 4])> = None;
    let mut alias: Option<Alias> = None;
    let mut count = 0usize;
    let mut adds: Vec<Entry> = Vec::new();
    walk(file, src, None, |step, at| {
        match step {
            Step::Open { name, local, attrs } => {
                if at.depth == 1 {
                    if name != "CONSOLIDATED_LIST" {
                        return Err(format!(
                            "the root element is <{local}>, not <CONSOLIDATED_LIST>: not a un-sc-xml file"
                        ));
                    }
                    for (k, v) in attrs {
                        if k == "dateGenerated" {
                            sink.publisher("publisher_date", v);
                        }
                    }
                } else if at.depth == 3 && (name == "INDIVIDUAL" || name == "ENTITY") {
                    count += 1;
                    let mut e =
                        Entry::new(Source::Un, format!("{name} #{count} (line {})", at.line));
                    e.subject = if name == "ENTITY" {
                        "organisation"
                    } else {
                        "person"
                    };
                    cur = Some((e, name == "ENTITY", Default::default()));
                } else if name.ends_with("_ALIAS") && cur.is_some() {
                    alias = Some(Alias::default());
                }
            }
            Step::Close { name, text } => {
                if let Some(a) = alias.as_mut() {
                    match name {
                        "QUALITY" => a.quality = text.to_owned(),
                        "ALIAS_NAME" => a.name = text.to_owned(),
                        n if n.ends_with("_ALIAS") => {
                            if let (Some(a), Some((e, _, _))) = (alias.take(), cur.as_mut())
                                && (a.quality != "Low" || sink.weak())
                            {
                                e.name(&a.name, "ALIAS_NAME");
                            }
                        }
                        _ => {}
                    }
                    return Ok(());
                }
                let Some((e, is_entity, parts)) = cur.as_mut() else {
                    return Ok(());
                };
                if at.depth == 4 {
                    match name {
                        "REFERENCE_NUMBER" => e.id = text.to_owned(),
                        "FIRST_NAME" | "SECOND_NAME" | "THIRD_NAME" | "FOURTH_NAME" => {
                            let i = ["FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME"]
                                .iter()
                                .position(|n| *n == name)
                                .unwrap_or(0);
                            if let Some(p) = parts.get_mut(i) {
                                *p = text.to_owned();
                            }
                        }
                        "NAME_ORIGINAL_SCRIPT" => e.name(text, "NAME_ORIGINAL_SCRIPT"),
                        "COMMENTS1" if *is_entity => {
                            for imo in imo_mentions(text) {
                                e.ids.push((Scheme::ImoCompany, imo, "COMMENTS1"));
                            }
                        }
                        _ => {}
                    }
                } else if at.depth == 3
                    && (name == "INDIVIDUAL" || name == "ENTITY")
                    && let Some((mut e, _, parts)) = cur.take()
                {
                    let full: Vec<&str> = parts
                        .iter()
                        .map(|p| p.trim())
                        .filter(|p| !p.is_empty())
                        .collect();
                    e.names
                        .insert(0, (full.join(" "), "FIRST_NAME..FOURTH_NAME"));
                    e.names.retain(|(n, _)| !n.is_empty());
                    adds.push(e);
                }
            }
        }
        Ok(())
    })?;
    for e in adds {
        sink.add(file, e);
    }
    Ok(())
}
