//! One designation as read from an official file, and the rows it becomes.

use proof_core::ids::{self, Scheme, Source, name};

/// A designation read from an official file, before canonicalisation.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The list the designation is on.
    pub source: Source,
    /// The list's own id of the designation.
    pub id: String,
    /// Where it is in the file, for messages (`line 17`, `ENTITY #4`).
    pub at: String,
    /// Names and strong aliases, with the field they came from.
    pub names: Vec<(String, &'static str)>,
    /// Identifiers, with the field they came from.
    pub ids: Vec<(Scheme, String, &'static str)>,
    /// Further designation ids of the same target (OpenSanctions `referents`).
    pub also: Vec<String>,
    /// What the list says the designation is: `person`, `organisation`, `vessel`,
    /// `aircraft`, or empty when it does not say.
    pub subject: &'static str,
}

impl Entry {
    pub(crate) fn new(source: Source, at: String) -> Self {
        Self {
            source,
            id: String::new(),
            at,
            names: Vec::new(),
            ids: Vec::new(),
            also: Vec::new(),
            subject: "",
        }
    }

    pub(crate) fn name(&mut self, value: &str, field: &'static str) {
        if !value.trim().is_empty() {
            self.names.push((value.trim().to_owned(), field));
        }
    }
}

/// One row of an imported list: a leaf and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Row {
    /// The scheme label (`lei`, `imo`, `name`, `un`, ...).
    pub scheme: String,
    /// The canonical value (for `name`, the key text).
    pub value: String,
    /// For `name`: `full`, `base` or `sorted`; otherwise empty.
    pub key: &'static str,
    /// `SOURCE:ID` of the designation.
    pub designation: String,
    /// The field of the official file the value came from.
    pub source: &'static str,
    /// On the row of the designation's own id: what the list says it is (`person`,
    /// `organisation`, `vessel`, `aircraft`); empty on every other row and when the list
    /// does not say.
    pub subject: &'static str,
}

/// The rows of an entry and the values of it that are malformed, or why the whole entry
/// is unusable.
pub(crate) type Rows = Result<(Vec<Row>, Vec<String>), String>;

/// The rows of an entry and the values of it that are malformed, or why the whole entry
/// is unusable (no valid designation id, no name).
pub(crate) fn rows(e: &Entry) -> Rows {
    let scheme = Scheme::Designation(e.source);
    let id = ids::canonical(scheme, &e.id).map_err(|x| format!("designation id: {x}"))?;
    let designation = format!("{}:{id}", e.source.label());
    let mut out = vec![Row {
        scheme: scheme.to_string(),
        value: id,
        key: "",
        designation: designation.clone(),
        source: "id",
        subject: e.subject,
    }];
    for also in &e.also {
        let v = ids::canonical(scheme, also).map_err(|x| format!("referent: {x}"))?;
        out.push(Row {
            scheme: scheme.to_string(),
            value: v,
            key: "",
            designation: designation.clone(),
            source: "referents",
            subject: "",
        });
    }
    if e.names.is_empty() {
        return Err("the designation has no name".into());
    }
    for (n, field) in &e.names {
        // A name with no letters or digits (`-`, `?`) gives no key; it is not an error of
        // the designation, which keeps its id and other names.
        let Ok(keys) = name::keys(n) else { continue };
        for k in keys {
            out.push(Row {
                scheme: "name".into(),
                value: k.text,
                key: k.kind.label(),
                designation: designation.clone(),
                source: field,
                subject: "",
            });
        }
    }
    let mut bad = Vec::new();
    for (s, v, field) in &e.ids {
        let c = match ids::canonical(*s, v) {
            Ok(c) => c,
            Err(x) => {
                bad.push(format!("{field}: {x}"));
                continue;
            }
        };
        if let Some((strict, v)) = ids::strict_key(*s, &c) {
            out.push(Row {
                scheme: strict.to_string(),
                value: v,
                key: "",
                designation: designation.clone(),
                source: field,
                subject: "",
            });
        }
        out.push(Row {
            scheme: s.to_string(),
            value: c,
            key: "",
            designation: designation.clone(),
            source: field,
            subject: "",
        });
    }
    Ok((out, bad))
}
