//! Each importer on the real excerpts of the official files in `shared/real-lists`: counts,
//! designations and identifiers read off those files, and the roots they give.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use proof_import::{Format, ImportError, Options, import, output};
use support::{input, rows, run, small};

fn has(rows: &[String], row: &str) {
    assert!(rows.iter().any(|r| r == row), "missing row `{row}`");
}

#[test]
fn un_consolidated_list() {
    let imp = run(
        Format::UnScXml,
        &["un-sc-xml/UN_consolidated.xml"],
        &Options::default(),
    );
    assert_eq!((imp.read, imp.emitted, imp.rows.len()), (1003, 1003, 7279));
    assert_eq!(
        imp.publisher,
        vec![("publisher_date", "2026-02-27T00:00:09.554Z".to_owned())]
    );
    let r = rows(&imp);
    has(&r, "un=CDi.001 un:CDi.001");
    has(&r, "name=eric badege un:CDi.001");
    // An IMO company number in an entity's COMMENTS1 (7 digits, no ship check digit).
    has(&r, "imo-company=1790183 un:KPe.020");
    assert_eq!(
        r.iter().filter(|r| r.starts_with("imo-company=")).count(),
        16
    );
    let list = output::to_list("un", &imp);
    assert_eq!(list.len(), 7202);
    assert_eq!(
        list.root_hex(),
        "50f81366d1de53e15238203d30e167bf6b83f2221595b7306e03fd8f25e6d5b5"
    );
}

#[test]
fn ofac_full_2019_fails_on_malformed_remarks_unless_skipped() {
    let files = [
        "ofac-sdn-csv/full-2019/sdn.csv",
        "ofac-sdn-csv/full-2019/alt.csv",
    ];
    let inputs: Vec<_> = files.iter().map(|f| input(f)).collect();
    let err = import(Format::OfacSdnCsv, &inputs, &Options::default()).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ImportError::Malformed { .. }), "{msg}");
    assert!(msg.contains("sdn.csv: line 6189 (ent_num 23257)"), "{msg}");
    assert!(msg.contains("`851683897` is not an LEI"), "{msg}");
    let imp = run(
        Format::OfacSdnCsv,
        &files,
        &Options {
            skip_invalid: true,
            ..Options::default()
        },
    );
    assert_eq!((imp.read, imp.emitted), (7379, 7379));
    assert_eq!((imp.entries_rejected, imp.values_rejected), (0, 9));
    assert_eq!(imp.rejected.len(), 9);
    assert!(
        imp.rejected
            .iter()
            .any(|(at, why)| at.contains("ent_num 23424") && why.contains("`15411`"))
    );
    let r = rows(&imp);
    assert_eq!(r.iter().filter(|r| r.starts_with("bic=")).count(), 72);
    assert_eq!(r.iter().filter(|r| r.starts_with("imo=")).count(), 316);
    has(&r, "bic=AFABAFKA ofac:25417");
    assert_eq!(imp.notes.get("identifiers_without_country"), Some(&136));
}

#[test]
fn ofac_small_2025_reads_remarks_continued_in_sdn_comments() {
    let base = "ofac-sdn-csv/small-2025";
    let all = [
        format!("{base}/sdn.csv"),
        format!("{base}/alt.csv"),
        format!("{base}/sdn_comments.csv"),
        format!("{base}/add.csv"),
    ];
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let imp = run(Format::OfacSdnCsv, &all, &small());
    assert_eq!((imp.read, imp.rows.len()), (17, 96));
    let r = rows(&imp);
    // Vessels' IMO numbers from the Remarks column.
    has(&r, "imo=9263643 ofac:50972");
    has(&r, "imo=9313149 ofac:52327");
    has(&r, "imo=9486910 ofac:40716");
    // The LEI of entry 33151 is in the part of its remarks continued in sdn_comments.csv.
    has(&r, "lei=5299007NTWCC3U23WM81 ofac:33151");
    let without = run(Format::OfacSdnCsv, &all[..2], &small());
    assert!(!rows(&without).iter().any(|r| r.starts_with("lei=")));
}

#[test]
fn eu_fsf_sample() {
    let imp = run(
        Format::EuFsfXml,
        &["eu-fsf-xml/sample_eu_fsf.xml"],
        &small(),
    );
    assert_eq!((imp.read, imp.emitted, imp.rows.len()), (5, 5, 88));
    assert!(
        imp.publisher
            .contains(&("publisher_file_id", "184961".to_owned()))
    );
    assert!(
        imp.publisher
            .contains(&("publisher_date", "2026-08-05T16:47:04.449+02:00".to_owned()))
    );
    let r = rows(&imp);
    has(&r, "eu-fsf=EU.3579.2 eu-fsf:EU.3579.2");
    has(&r, "name=bin khalid fahd bin adballah eu-fsf:EU.3579.2");
    // The full file's default floor refuses a five-entry excerpt.
    let err = import(
        Format::EuFsfXml,
        &[input("eu-fsf-xml/sample_eu_fsf.xml")],
        &Options::default(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::TooFew {
                read: 5,
                floor: 2000,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn uk_fcdo_sample() {
    let imp = run(
        Format::UkFcdoXml,
        &["uk-fcdo-xml/sample_uk_sanctions.xml"],
        &small(),
    );
    assert_eq!((imp.read, imp.rows.len()), (5, 27));
    let r = rows(&imp);
    has(&r, "imo=9562233 gb-fcdo:DPR0075");
    has(&r, "reg:GB=06527449 gb-fcdo:BEL0107");
    has(&r, "strict:GB=06527449 gb-fcdo:BEL0107");
    has(&r, "name=fadhil harun gb-fcdo:AQD0195");
}

#[test]
fn opensanctions_targets_and_referents() {
    let imp = run(
        Format::OpenSanctionsFtm,
        &["opensanctions-ftm/t1_eu_fsf_entities.ftm.json"],
        &small(),
    );
    assert_eq!((imp.read, imp.rows.len()), (6, 129));
    let r = rows(&imp);
    let inter = "opensanctions:NK-2GdmHtZTeNXjNVrBGEXZNj";
    has(&r, &format!("strict:BY=808000714 {inter}"));
    has(&r, &format!("opensanctions=ofac-32733 {inter}"));
    has(&r, &format!("name=inter tobacco {inter}"));
    let zala = run(
        Format::OpenSanctionsFtm,
        &["opensanctions-ftm/zala_entities.ftm.json"],
        &small(),
    );
    assert_eq!((zala.read, zala.rows.len()), (14, 730));
}

#[test]
fn opensanctions_delta_files_are_refused() {
    let err = import(
        Format::OpenSanctionsFtm,
        &[input(
            "opensanctions-ftm/t2-delta/20240527194702-wnk.entities.delta.json",
        )],
        &small(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("a delta operation"), "{err}");
}

#[test]
fn a_wrong_format_flag_names_the_root_element() {
    let err = import(
        Format::EuFsfXml,
        &[input("un-sc-xml/UN_consolidated.xml")],
        &small(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not an eu-fsf-xml file"), "{err}");
    let err = import(
        Format::UnScXml,
        &[input("uk-fcdo-xml/sample_uk_sanctions.xml")],
        &small(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not a un-sc-xml file"), "{err}");
}

#[test]
fn truncated_xml_names_line_and_path() {
    let whole = input("un-sc-xml/UN_consolidated.xml");
    let cut = proof_import::Input {
        name: whole.name.clone(),
        bytes: whole.bytes[..whole.bytes.len() / 2].to_vec(),
    };
    let err = import(Format::UnScXml, &[cut], &small()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("UN_consolidated.xml: line "), "{msg}");
    assert!(msg.contains("CONSOLIDATED_LIST"), "{msg}");
}

/// The subjects (what the list says a designation is) of every designation of a file,
/// counted: they are written on the row of the designation's own id.
fn subjects(imp: &proof_import::Import) -> std::collections::BTreeMap<&'static str, usize> {
    let mut out = std::collections::BTreeMap::new();
    for r in imp.rows.iter().filter(|r| r.source == "id") {
        *out.entry(r.subject).or_default() += 1;
    }
    for r in imp.rows.iter().filter(|r| r.source != "id") {
        assert_eq!(r.subject, "", "only the id row carries the subject: {r:?}");
    }
    out
}

#[test]
fn each_format_says_what_a_designation_is() {
    let un = run(
        Format::UnScXml,
        &["un-sc-xml/UN_consolidated.xml"],
        &Options::default(),
    );
    assert_eq!(
        subjects(&un),
        [("organisation", 273), ("person", 730)].into()
    );
    let base = "ofac-sdn-csv/full-2019";
    let ofac = run(
        Format::OfacSdnCsv,
        &[&format!("{base}/sdn.csv"), &format!("{base}/alt.csv")],
        &Options {
            skip_invalid: true,
            ..Options::default()
        },
    );
    assert_eq!(
        subjects(&ofac),
        [
            ("aircraft", 217),
            ("organisation", 2994),
            ("person", 3845),
            ("vessel", 323)
        ]
        .into()
    );
    let eu = run(
        Format::EuFsfXml,
        &["eu-fsf-xml/sample_eu_fsf.xml"],
        &small(),
    );
    assert_eq!(subjects(&eu).values().sum::<usize>(), 5);
    assert!(subjects(&eu).contains_key("person") && subjects(&eu).contains_key("organisation"));
    let uk = run(
        Format::UkFcdoXml,
        &["uk-fcdo-xml/sample_uk_sanctions.xml"],
        &small(),
    );
    assert_eq!(
        subjects(&uk),
        [("organisation", 2), ("person", 2), ("vessel", 1)].into()
    );
    let os = run(
        Format::OpenSanctionsFtm,
        &["opensanctions-ftm/t1_eu_fsf_entities.ftm.json"],
        &small(),
    );
    assert_eq!(subjects(&os), [("organisation", 2), ("person", 4)].into());
}
