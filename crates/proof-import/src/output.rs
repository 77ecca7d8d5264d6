//! The imported list file: provenance header lines, then one CSV row per leaf.

use crate::{IMPORTER, Import};
use proof_core::lists::{LeafKind, RefList};

/// The list file's text. The same import gives the same bytes.
///
/// # Errors
/// Only if CSV writing fails, which writing to memory does not.
pub fn render(name: &str, imp: &Import) -> Result<String, csv::Error> {
    // The leaves are hashed on the second core while the rows are written.
    std::thread::scope(|scope| {
        let hashing = scope.spawn(|| leaves_and_root(imp));
        let rows = rows_csv(imp);
        let (leaves, root) = hashing.join().unwrap_or_else(|_| leaves_and_root(imp));
        let mut out = header(name, imp, leaves, root);
        out.push_str(&rows?);
        Ok(out)
    })
}

/// The `# key: value` provenance lines.
fn header(name: &str, imp: &Import, leaves: usize, root: String) -> String {
    let mut head: Vec<(String, String)> = vec![
        ("name".into(), name.into()),
        ("format".into(), imp.format.label().into()),
    ];
    let sources: Vec<String> = imp
        .sources
        .iter()
        .map(|(f, h)| format!("{f} sha256:{h}"))
        .collect();
    head.push(("source".into(), sources.join("; ")));
    for (k, v) in &imp.publisher {
        head.push(((*k).into(), v.clone()));
    }
    head.push(("importer".into(), IMPORTER.into()));
    let weak = if imp.weak_aliases {
        "included"
    } else {
        "excluded"
    };
    head.push(("weak_aliases".into(), weak.into()));
    head.push(("entries_read".into(), imp.read.to_string()));
    head.push(("entries_emitted".into(), imp.emitted.to_string()));
    head.push(("entries_rejected".into(), imp.entries_rejected.to_string()));
    head.push(("values_rejected".into(), imp.values_rejected.to_string()));
    for (i, (at, why)) in imp.rejected.iter().enumerate() {
        head.push((format!("rejected_{}", i + 1), format!("{at}: {why}")));
    }
    for (k, v) in &imp.notes {
        head.push(((*k).into(), v.to_string()));
    }
    head.push(("rows".into(), imp.rows.len().to_string()));
    head.push(("leaves".into(), leaves.to_string()));
    head.push(("root".into(), root));
    let mut out = String::new();
    for (k, v) in head {
        let v: String = v
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        out.push_str(&format!("# {k}: {v}\n"));
    }
    out
}

/// The CSV part: the column header and one row per leaf.
fn rows_csv(imp: &Import) -> Result<String, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::with_capacity(imp.rows.len() * 64));
    w.write_record(["scheme", "value", "key", "designation", "source", "subject"])?;
    for r in &imp.rows {
        w.write_record([
            r.scheme.as_str(),
            &r.value,
            r.key,
            &r.designation,
            r.source,
            r.subject,
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// The number of distinct leaves of the rows and their Merkle root (hex): what
/// [`to_list`] gives, without building the lookup tables the verifier needs.
#[must_use]
pub fn leaves_and_root(imp: &Import) -> (usize, String) {
    // Rows are sorted by scheme: parse each scheme label once.
    let mut last: Option<(&str, proof_core::ids::Scheme)> = None;
    let mut leaves: Vec<[u8; 32]> = Vec::with_capacity(imp.rows.len());
    for r in &imp.rows {
        let scheme = match last {
            Some((label, s)) if label == r.scheme => s,
            _ => {
                let Ok(s) = proof_core::ids::Scheme::parse(&r.scheme) else {
                    continue;
                };
                last = Some((&r.scheme, s));
                s
            }
        };
        leaves.push(proof_core::ids::leaf(scheme, &r.value));
    }
    leaves.sort_unstable();
    leaves.dedup();
    (
        leaves.len(),
        hex::encode(proof_core::lists::merkle::root(&leaves)),
    )
}

/// The list the rows make, as the verifier will load it.
#[must_use]
pub fn to_list(name: &str, imp: &Import) -> RefList {
    let tagged = imp
        .rows
        .iter()
        .filter_map(|r| {
            let scheme = proof_core::ids::Scheme::parse(&r.scheme).ok()?;
            let via = if r.key.is_empty() {
                r.scheme.clone()
            } else {
                format!("{}/{}", r.scheme, r.key)
            };
            Some((
                proof_core::ids::leaf(scheme, &r.value),
                format!("{} via {via}", r.designation),
            ))
        })
        .collect();
    RefList::from_designated(name, LeafKind::Id, tagged)
}
