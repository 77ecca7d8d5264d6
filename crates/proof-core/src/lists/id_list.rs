//! Typed-identifier list files: `scheme,value,key,designation,source` rows, as
//! `proof lists import` writes them (`docs/lists.md`, "Imported lists").
//!
//! Every value must already be in its scheme's canonical form: a file that an auditor
//! reads is the file whose leaves are hashed, so a hand-edited, non-canonical value is an
//! error naming its line rather than a leaf nobody can rebuild.

use super::{ListError, csv_reader, csv_records, list_err};
use crate::ids::{self, Scheme, name};

/// True when a CSV header line names the columns of a typed-identifier list.
pub(super) fn is_header(line: &str) -> bool {
    let cols: Vec<&str> = line.split(',').map(str::trim).collect();
    cols.contains(&"scheme") && cols.contains(&"value")
}

/// The leaves of a typed-identifier list, each with `DESIGNATION via SCHEME[/KEY]`.
pub(super) fn leaves(offset: usize, data: &str) -> Result<Vec<([u8; 32], String)>, ListError> {
    let (mut rdr, headers) = csv_reader(offset, data)?;
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (Some(si), Some(vi)) = (col("scheme"), col("value")) else {
        return Err(list_err(
            offset + 1,
            "the header needs `scheme` and `value`",
        ));
    };
    let (ki, di) = (col("key"), col("designation"));
    let mut out = Vec::new();
    for rec in csv_records(&mut rdr, offset) {
        let (line, rec) = rec?;
        let field = |i: Option<usize>| i.and_then(|i| rec.get(i)).unwrap_or("");
        let scheme = Scheme::parse(field(Some(si))).map_err(|e| list_err(line, e.0))?;
        let value = field(Some(vi));
        let canonical = if scheme == Scheme::Name {
            let c = name::canonical(value, false);
            if c.is_empty() {
                return Err(list_err(line, "empty name key"));
            }
            c
        } else {
            ids::canonical(scheme, value).map_err(|e| list_err(line, e.0))?
        };
        if canonical != value {
            return Err(list_err(
                line,
                format!(
                    "`{value}` is not in the canonical form of `{scheme}` (`{canonical}`); lists hold canonical values"
                ),
            ));
        }
        let key = field(ki).trim();
        let via = if key.is_empty() {
            scheme.to_string()
        } else {
            format!("{scheme}/{key}")
        };
        let designation = field(di).trim();
        let tag = if designation.is_empty() {
            format!("(no designation) via {via}")
        } else {
            format!("{designation} via {via}")
        };
        out.push((ids::leaf(scheme, value), tag));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{LeafKind, parse_list};
    use crate::ids::{Scheme, commit};

    const FILE: &str = "# name: un-sc\n# format: un-sc-xml\nscheme,value,key,designation,source\n\
        imo,1790183,,un:KPe.029,COMMENTS1\n\
        name,ocean maritime management,base,un:KPe.029,FIRST_NAME\n\
        un,KPe.029,,un:KPe.029,REFERENCE_NUMBER\n\
        imo,1790183,,un:KPe.030,COMMENTS1\n";

    #[test]
    fn an_id_list_keeps_every_designation_of_a_leaf() {
        let list = parse_list("x", FILE).unwrap();
        assert_eq!(list.kind, LeafKind::Id);
        assert_eq!((list.len(), list.entries), (3, 4));
        let imo = commit(Scheme::Imo, "1790183").unwrap();
        let d: Vec<&str> = list
            .designations_of(&imo)
            .unwrap()
            .iter()
            .map(|d| &**d)
            .collect();
        assert_eq!(d, ["un:KPe.029 via imo", "un:KPe.030 via imo"]);
        let name = commit(Scheme::Name, "Ocean Maritime Management").unwrap();
        assert_eq!(
            &*list.designations_of(&name).unwrap()[0],
            "un:KPe.029 via name/base"
        );
        assert!(list.designations_of(&[0; 32]).is_none());
    }

    #[test]
    fn rows_in_another_order_give_the_same_root() {
        let mut lines: Vec<&str> = FILE.lines().collect();
        lines[3..].reverse();
        let reordered = parse_list("x", &lines.join("\r\n")).unwrap();
        assert_eq!(reordered.root(), parse_list("x", FILE).unwrap().root());
    }

    #[test]
    fn invalid_or_non_canonical_values_name_their_line() {
        let bad = FILE.replace("imo,1790183,,un:KPe.030", "imo,1790184,,un:KPe.030");
        let e = parse_list("x", &bad).unwrap_err();
        assert_eq!(e.line, 7);
        assert!(e.message.contains("check digit"), "{e}");
        let e = parse_list(
            "x",
            &FILE.replace("imo,1790183,,un:KPe.030", "imo,IMO 1790183,,x"),
        )
        .unwrap_err();
        assert!(e.message.contains("canonical"), "{e}");
        let e = parse_list("x", &FILE.replace("un,KPe", "duns,KPe")).unwrap_err();
        assert!(e.message.contains("unknown identifier scheme"), "{e}");
    }
}
