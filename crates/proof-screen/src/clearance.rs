//! Clearances: reviewed false positives, each bound to the content of the list entry it
//! was reviewed against (`docs/screening.md`, "Clearances").

use serde::Deserialize;

/// One clearance.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clearance {
    /// The supplier's id.
    pub supplier_id: String,
    /// The list entry (`un:KPe.020`).
    pub entry: String,
    /// The entry's hash (`entry_hash` of the candidate) when it was reviewed.
    pub entry_hash: String,
    /// Who reviewed it.
    pub reviewer: String,
    /// When (`YYYY-MM-DD`).
    pub date: String,
    /// Why it is not a match.
    pub reason: String,
    /// Where it is in the file (`#3`), for messages.
    #[serde(skip)]
    pub at: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    clearances: Vec<Clearance>,
}

/// Why a clearances file is refused.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ClearanceError(pub String);

/// Reads a clearances file (YAML: `clearances:` a list of clearances).
///
/// # Errors
/// Malformed YAML, an unknown or missing field, an empty reviewer or reason, a hash that
/// is not 64 hex digits, a date that does not exist, or a supplier and entry cleared twice.
pub fn read(file: &str, text: &str) -> Result<Vec<Clearance>, ClearanceError> {
    let parsed: File = serde_saphyr::from_str(text)
        .map_err(|e| ClearanceError(format!("`{file}` is not a valid clearances file: {e}")))?;
    let mut out: Vec<Clearance> = Vec::with_capacity(parsed.clearances.len());
    for (i, mut c) in parsed.clearances.into_iter().enumerate() {
        c.at = format!("#{}", i + 1);
        let bad = |m: String| ClearanceError(format!("`{file}` clearance #{}: {m}", i + 1));
        for (field, v) in [
            ("supplier_id", &c.supplier_id),
            ("entry", &c.entry),
            ("reviewer", &c.reviewer),
            ("reason", &c.reason),
        ] {
            if v.trim().is_empty() {
                return Err(bad(format!("`{field}` is empty")));
            }
        }
        c.entry_hash = c.entry_hash.trim().to_ascii_lowercase();
        if c.entry_hash.len() != 64 || !c.entry_hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(format!(
                "`entry_hash` `{}` is not 64 hex digits (copy the candidate's `entry_hash`)",
                c.entry_hash
            )));
        }
        proof_core::temporal::parse_date(&c.date)
            .map_err(|e| bad(format!("`date` `{}`: {e}", c.date)))?;
        if let Some(first) = out
            .iter()
            .find(|o| o.supplier_id == c.supplier_id && o.entry == c.entry)
        {
            return Err(bad(format!(
                "supplier `{}` and entry `{}` are already cleared by {}",
                c.supplier_id, c.entry, first.at
            )));
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::read;

    const ONE: &str = "clearances:\n  - supplier_id: S-1\n    entry: un:KPe.020\n    entry_hash: \
        0000000000000000000000000000000000000000000000000000000000000000\n    reviewer: A. Auditor\n    \
        date: 2026-11-30\n    reason: other company\n";

    #[test]
    fn clearances_are_checked_field_by_field() {
        assert_eq!(read("c.yaml", ONE).unwrap().len(), 1);
        let bad = |t: &str| read("c.yaml", t).unwrap_err().to_string();
        assert!(bad(&ONE.replace("2026-11-30", "2026-02-30")).contains("`date`"));
        assert!(bad(&ONE.replace("A. Auditor", "''")).contains("`reviewer` is empty"));
        assert!(bad(&ONE.replace("entry_hash: 0", "entry_hash: x")).contains("64 hex"));
        assert!(bad(&ONE.replace("reason:", "reasons:")).contains("not a valid clearances file"));
        let twice = format!("{ONE}{}", ONE.trim_start_matches("clearances:\n"));
        assert!(bad(&twice).contains("already cleared by #1"));
    }
}
