//! The same official file gives the same root whatever its line endings, BOM, element or
//! row order and indentation; on synthetic files written in each official schema and on
//! the real excerpts in `shared/real-lists`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use proof_import::{Format, Input, import, output};
use support::{input, rows, small};

/// The root of an import of `files` (name, text).
fn root(format: Format, files: &[(String, Vec<u8>)]) -> String {
    let inputs: Vec<Input> = files
        .iter()
        .map(|(n, b)| Input {
            name: n.clone(),
            bytes: b.clone(),
        })
        .collect();
    let imp = import(format, &inputs, &small()).unwrap_or_else(|e| panic!("{e}"));
    output::to_list("x", &imp).root_hex().to_owned()
}

fn crlf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\r\n")
}

fn bom(s: &str) -> String {
    format!("\u{feff}{s}")
}

/// Every line's indentation replaced by a different one (none, or two tabs).
fn reindent(s: &str, tabs: bool) -> String {
    s.lines()
        .map(|l| {
            let t = l.trim_start();
            if tabs {
                format!("\t\t{t}")
            } else {
                t.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The elements `<TAG>...</TAG>`, `<TAG ...>...</TAG>` or `<TAG .../>` in reverse order, the text between them
/// kept in place.
fn reverse_blocks(s: &str, tag: &str) -> String {
    let close = format!("</{tag}>");
    let mut spans = Vec::new();
    let mut at = 0;
    while let Some(i) = s[at..].find(&format!("<{tag}")).map(|i| i + at) {
        let next = s.as_bytes()[i + tag.len() + 1];
        if next != b'>' && next != b' ' {
            at = i + 1;
            continue;
        }
        let tag_end = s[i..].find('>').map(|j| i + j).unwrap();
        let end = if s.as_bytes()[tag_end - 1] == b'/' {
            tag_end + 1
        } else {
            s[i..].find(&close).map(|j| i + j + close.len()).unwrap()
        };
        spans.push((i, end));
        at = end;
    }
    assert!(spans.len() > 1, "fewer than two <{tag}> blocks to reorder");
    let blocks: Vec<&str> = spans.iter().map(|&(a, b)| &s[a..b]).collect();
    let mut out = String::new();
    let mut prev = 0;
    for (k, &(a, b)) in spans.iter().enumerate() {
        out.push_str(&s[prev..a]);
        out.push_str(blocks[blocks.len() - 1 - k]);
        prev = b;
    }
    out.push_str(&s[prev..]);
    out
}

/// Lines in reverse order (CSV and JSON-lines files, one record per line).
fn reverse_lines(s: &str) -> String {
    let mut lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    lines.reverse();
    lines.join("\n") + "\n"
}

/// Checks that each variant of a one-file input gives the root of the original.
fn one_file(format: Format, name: &str, text: &str, blocks: &[&str]) -> String {
    let want = root(format, &[(name.into(), text.as_bytes().to_vec())]);
    let mut variants = vec![
        ("CRLF", crlf(text)),
        ("BOM", bom(text)),
        ("BOM and CRLF", bom(&crlf(text))),
    ];
    if format == Format::OpenSanctionsFtm {
        variants.push(("reordered lines", reverse_lines(text)));
    } else {
        variants.push(("no indentation", reindent(text, false)));
        variants.push(("tab indentation", reindent(text, true)));
        for tag in blocks {
            variants.push(("reordered elements", reverse_blocks(text, tag)));
        }
    }
    for (what, v) in variants {
        assert_ne!(v, text, "{what}: the variant must differ");
        let got = root(format, &[(name.into(), v.into_bytes())]);
        assert_eq!(got, want, "{name}: {what} changed the root");
    }
    want
}

fn real(rel: &str) -> String {
    String::from_utf8(input(rel).bytes).unwrap()
}

#[test]
fn real_xml_samples_keep_their_roots() {
    one_file(
        Format::UnScXml,
        "UN_consolidated.xml",
        &real("un-sc-xml/UN_consolidated.xml"),
        &["INDIVIDUAL", "ENTITY", "INDIVIDUAL_ALIAS"],
    );
    one_file(
        Format::EuFsfXml,
        "sample_eu_fsf.xml",
        &real("eu-fsf-xml/sample_eu_fsf.xml"),
        &["sanctionEntity", "nameAlias"],
    );
    one_file(
        Format::UkFcdoXml,
        "sample_uk_sanctions.xml",
        &real("uk-fcdo-xml/sample_uk_sanctions.xml"),
        &["Designation", "Name"],
    );
    one_file(
        Format::OpenSanctionsFtm,
        "t1_eu_fsf_entities.ftm.json",
        &real("opensanctions-ftm/t1_eu_fsf_entities.ftm.json"),
        &[],
    );
}

fn ofac_root_variants(files: &[(&str, String)]) {
    let as_bytes = |f: &dyn Fn(&str) -> String| -> Vec<(String, Vec<u8>)> {
        files
            .iter()
            .map(|(n, t)| ((*n).to_owned(), f(t).into_bytes()))
            .collect()
    };
    let want = root(Format::OfacSdnCsv, &as_bytes(&|t| t.to_owned()));
    for (what, f) in [
        ("CRLF", &(|t: &str| crlf(t)) as &dyn Fn(&str) -> String),
        ("LF", &|t: &str| t.replace("\r\n", "\n")),
        ("BOM", &|t: &str| bom(t)),
        ("reordered rows", &|t: &str| reverse_lines(t)),
    ] {
        assert_eq!(
            root(Format::OfacSdnCsv, &as_bytes(f)),
            want,
            "{what} changed the root"
        );
    }
    // The order of the files on the command line does not matter either.
    let mut reversed = as_bytes(&|t| t.to_owned());
    reversed.reverse();
    assert_eq!(root(Format::OfacSdnCsv, &reversed), want);
}

#[test]
fn real_ofac_sample_keeps_its_root() {
    let files: Vec<(&str, String)> = ["sdn.csv", "alt.csv", "sdn_comments.csv"]
        .into_iter()
        .map(|n| (n, real(&format!("ofac-sdn-csv/small-2025/{n}"))))
        .collect();
    ofac_root_variants(&files);
}

const LEI: &str = "5299007NTWCC3U23WM81";

#[test]
fn synthetic_eu_fsf_file() {
    let entity = |reference: &str, logical: u32, name: &str, ids: &str| {
        format!(
            r#"  <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="{reference}" logicalId="{logical}">
    <regulation regulationType="amendment" organisationType="council" publicationDate="2025-01-31" programme="RUS" logicalId="1">
      <publicationUrl>https://eur-lex.europa.eu/</publicationUrl>
    </regulation>
    <subjectType code="enterprise" classificationCode="E" />
    <nameAlias firstName="" middleName="" lastName="" wholeName="{name}" nameLanguage="" strong="true" logicalId="2" />
    <nameAlias firstName="" middleName="" lastName="" wholeName="Weak Alias {logical}" nameLanguage="" strong="false" logicalId="3" />
{ids}  </sanctionEntity>
"#
        )
    };
    let text = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<export xmlns="http://eu.europa.ec/fpi/fsd/export" generationDate="2026-01-02T03:04:05.000+01:00" globalFileId="4711">
{}{}</export>
"#,
        entity(
            "EU.1.1",
            10,
            "Müller Schiffahrt GmbH &amp; Co. KG",
            r#"    <identification diplomatic="false" knownExpired="false" knownFalse="false" reportedLost="false" revokedByIssuer="false" latinNumber="" nameOnDocument="" number="IMO 9263643" region="" countryIso2Code="00" countryDescription="UNKNOWN" identificationTypeCode="imo" identificationTypeDescription="IMO number" logicalId="5" />
    <identification number="HRB 12345 B" countryIso2Code="DE" identificationTypeCode="regnumber" identificationTypeDescription="Registration Number" logicalId="6" />
"#
        ),
        entity(
            "EU.2.2",
            20,
            "Second Trading LLC",
            &format!(
                r#"    <identification number="{LEI}" countryIso2Code="RU" identificationTypeCode="lei" identificationTypeDescription="LEI" logicalId="7" />
    <identification number="DE 123 456 789" countryIso2Code="DE" identificationTypeCode="vat" identificationTypeDescription="VAT" logicalId="8" />
"#
            )
        )
    );
    let want = one_file(
        Format::EuFsfXml,
        "eu.xml",
        &text,
        &["sanctionEntity", "nameAlias"],
    );
    let imp = import(
        Format::EuFsfXml,
        &[Input {
            name: "eu.xml".into(),
            bytes: text.into_bytes(),
        }],
        &small(),
    )
    .unwrap();
    assert_eq!(output::to_list("x", &imp).root_hex(), want);
    assert!(
        imp.publisher
            .contains(&("publisher_file_id", "4711".to_owned()))
    );
    let r = rows(&imp);
    for row in [
        "imo=9263643 eu-fsf:EU.1.1",
        "reg:DE=HRB12345B eu-fsf:EU.1.1",
        "strict:DE=HRB12345B eu-fsf:EU.1.1",
        "name=muller schiffahrt gmbh co kg eu-fsf:EU.1.1",
        "name=mueller schiffahrt gmbh co kg eu-fsf:EU.1.1",
        "name=muller schiffahrt eu-fsf:EU.1.1",
        "lei=5299007NTWCC3U23WM81 eu-fsf:EU.2.2",
        "vat=DE123456789 eu-fsf:EU.2.2",
    ] {
        assert!(r.iter().any(|x| x == row), "missing `{row}` in {r:#?}");
    }
    assert!(
        !r.iter().any(|x| x.contains("weak alias")),
        "weak aliases are left out"
    );
}

#[test]
fn synthetic_un_file() {
    let text = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<CONSOLIDATED_LIST xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" dateGenerated="2026-03-01T00:00:00.000Z">
  <INDIVIDUALS>
    <INDIVIDUAL>
      <DATAID>1</DATAID>
      <FIRST_NAME>ANNA</FIRST_NAME>
      <SECOND_NAME>BEISPIEL</SECOND_NAME>
      <REFERENCE_NUMBER>QDi.900</REFERENCE_NUMBER>
      <INDIVIDUAL_ALIAS><QUALITY>Good</QUALITY><ALIAS_NAME>Anna B.</ALIAS_NAME></INDIVIDUAL_ALIAS>
      <INDIVIDUAL_ALIAS><QUALITY>Low</QUALITY><ALIAS_NAME>Annie</ALIAS_NAME></INDIVIDUAL_ALIAS>
    </INDIVIDUAL>
    <INDIVIDUAL>
      <DATAID>2</DATAID>
      <FIRST_NAME>BORIS</FIRST_NAME>
      <REFERENCE_NUMBER>QDi.901</REFERENCE_NUMBER>
    </INDIVIDUAL>
  </INDIVIDUALS>
  <ENTITIES>
    <ENTITY>
      <DATAID>3</DATAID>
      <FIRST_NAME>OCEAN LINES CO.</FIRST_NAME>
      <REFERENCE_NUMBER>KPe.900</REFERENCE_NUMBER>
      <COMMENTS1>IMO number: 5145892. Owner of several vessels.</COMMENTS1>
    </ENTITY>
    <ENTITY>
      <DATAID>4</DATAID>
      <FIRST_NAME>SECOND ENTITY</FIRST_NAME>
      <REFERENCE_NUMBER>KPe.901</REFERENCE_NUMBER>
    </ENTITY>
  </ENTITIES>
</CONSOLIDATED_LIST>
"#;
    one_file(
        Format::UnScXml,
        "un.xml",
        text,
        &["INDIVIDUAL", "ENTITY", "INDIVIDUAL_ALIAS"],
    );
    let imp = import(
        Format::UnScXml,
        &[Input {
            name: "un.xml".into(),
            bytes: text.as_bytes().to_vec(),
        }],
        &small(),
    )
    .unwrap();
    let r = rows(&imp);
    for row in [
        "un=QDi.900 un:QDi.900",
        "name=anna beispiel un:QDi.900",
        "name=anna b un:QDi.900",
        "imo-company=5145892 un:KPe.900",
        "name=ocean lines un:KPe.900",
    ] {
        assert!(r.iter().any(|x| x == row), "missing `{row}` in {r:#?}");
    }
    assert!(
        !r.iter().any(|x| x.contains("annie")),
        "a Low-quality alias is left out"
    );
}

#[test]
fn synthetic_uk_file() {
    let text = r#"<?xml version="1.0" encoding="utf-8"?>
<Designations xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <DateGenerated>2026-04-01T00:00:00</DateGenerated>
  <Designation>
    <UniqueID>RUS9001</UniqueID>
    <Names>
      <Name><Name6>BLUE SHIP</Name6><NameType>Primary Name</NameType></Name>
      <Name><Name6>BLUE BOAT</Name6><NameType>Alias</NameType><AliasStrength>Low quality a.k.a</AliasStrength></Name>
    </Names>
    <IndividualEntityShip>Ship</IndividualEntityShip>
    <ShipDetails><Ship><IMONumbers><IMONumber>9313149</IMONumber></IMONumbers></Ship></ShipDetails>
  </Designation>
  <Designation>
    <UniqueID>RUS9002</UniqueID>
    <Names>
      <Name><Name6>EXAMPLE HOLDINGS LIMITED</Name6><NameType>Primary Name</NameType></Name>
    </Names>
    <IndividualEntityShip>Entity</IndividualEntityShip>
    <EntityDetails><Entity><BusinessRegistrationNumbers><BusinessRegistrationNumber>UK Company no. 01234567</BusinessRegistrationNumber></BusinessRegistrationNumbers></Entity></EntityDetails>
  </Designation>
</Designations>
"#;
    one_file(Format::UkFcdoXml, "uk.xml", text, &["Designation", "Name"]);
    let imp = import(
        Format::UkFcdoXml,
        &[Input {
            name: "uk.xml".into(),
            bytes: text.as_bytes().to_vec(),
        }],
        &small(),
    )
    .unwrap();
    let r = rows(&imp);
    for row in [
        "imo=9313149 gb-fcdo:RUS9001",
        "name=blue ship gb-fcdo:RUS9001",
        "reg:GB=01234567 gb-fcdo:RUS9002",
        "name=example holdings gb-fcdo:RUS9002",
    ] {
        assert!(r.iter().any(|x| x == row), "missing `{row}` in {r:#?}");
    }
    assert!(
        !r.iter().any(|x| x.contains("blue boat")),
        "a low-quality alias is left out"
    );
}

#[test]
fn synthetic_ofac_files() {
    let sdn = format!(
        "100,\"OCEAN STAR\",\"vessel\",\"IRAN\",-0- ,-0- ,\"Crude Oil Tanker\",-0- ,-0- ,-0- ,-0- ,\"Vessel Registration Identification IMO 9486910; MMSI 123456789.\"\r\n\
         200,\"EXAMPLE BANK PJSC\",-0- ,\"RUSSIA-EO14024\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,\"SWIFT/BIC EXAMRUMMXXX; Legal Entity Number {LEI} (Russia); Registration Number 1027700000000 (Russia); Tax ID No. 77\"\r\n"
    );
    let comments = "200,\"07000000 (Russia).\"\r\n";
    let alt = "200,1,\"aka\",\"EXAMPLE BANK\",-0- \r\n";
    let files = vec![
        ("sdn.csv", sdn.clone()),
        ("sdn_comments.csv", comments.to_owned()),
        ("alt.csv", alt.to_owned()),
    ];
    ofac_root_variants(&files);
    let imp = import(
        Format::OfacSdnCsv,
        &files
            .iter()
            .map(|(n, t)| Input {
                name: (*n).into(),
                bytes: t.as_bytes().to_vec(),
            })
            .collect::<Vec<_>>(),
        &small(),
    )
    .unwrap();
    let r = rows(&imp);
    for row in [
        "imo=9486910 ofac:100",
        "bic=EXAMRUMM ofac:200",
        "lei=5299007NTWCC3U23WM81 ofac:200",
        "strict:RU=1027700000000 ofac:200",
        // "Tax ID No. 77" + "07000000 (Russia)." from sdn_comments.csv.
        "strict:RU=7707000000 ofac:200",
        "name=example bank ofac:200",
    ] {
        assert!(r.iter().any(|x| x == row), "missing `{row}` in {r:#?}");
    }
}

#[test]
fn synthetic_opensanctions_file() {
    let text = format!(
        r#"{{"id":"NK-a","schema":"Company","target":true,"referents":["ofac-200"],"properties":{{"name":["Example Bank PJSC"],"leiCode":["{LEI}"],"swiftBic":["EXAMRUMMXXX"],"jurisdiction":["ru"],"registrationNumber":["1027700000000"]}}}}
{{"id":"NK-b","schema":"Vessel","target":true,"properties":{{"name":["Ocean Star"],"imoNumber":["IMO 9486910"]}}}}
{{"id":"addr-1","schema":"Address","properties":{{"full":["Somewhere"]}}}}
"#
    );
    one_file(Format::OpenSanctionsFtm, "entities.ftm.json", &text, &[]);
    let imp = import(
        Format::OpenSanctionsFtm,
        &[Input {
            name: "entities.ftm.json".into(),
            bytes: text.into_bytes(),
        }],
        &small(),
    )
    .unwrap();
    assert_eq!(imp.read, 2, "only target entities are designations");
    let r = rows(&imp);
    for row in [
        "lei=5299007NTWCC3U23WM81 opensanctions:NK-a",
        "bic=EXAMRUMM opensanctions:NK-a",
        "strict:RU=1027700000000 opensanctions:NK-a",
        "opensanctions=ofac-200 opensanctions:NK-a",
        "imo=9486910 opensanctions:NK-b",
    ] {
        assert!(r.iter().any(|x| x == row), "missing `{row}` in {r:#?}");
    }
}
