//! Criterion benchmarks for the importers (docs/benchmarks.md, "Importing official lists"):
//! each real sample in `shared/real-lists`, and a synthetic EU FSF file of about 25 MB
//! against the time quick-xml's namespace-resolving reader alone needs to read it.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness"
)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use proof_import::{Format, Input, Options, import, output};
use quick_xml::events::Event;
use quick_xml::reader::NsReader;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

fn real_lists() -> PathBuf {
    if let Ok(p) = std::env::var("PROOF_REAL_LISTS") {
        return PathBuf::from(p);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .map(|d| d.join("shared/real-lists"))
        .find(|d| d.is_dir())
        .unwrap_or_else(|| PathBuf::from("/work/shared/real-lists"))
}

fn inputs(files: &[&str]) -> Vec<Input> {
    files
        .iter()
        .map(|f| {
            let p = real_lists().join(f);
            Input {
                name: p.file_name().unwrap().to_string_lossy().into_owned(),
                bytes: std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
            }
        })
        .collect()
}

fn opts() -> Options {
    Options {
        skip_invalid: true,
        min_entries: Some(1),
        ..Options::default()
    }
}

/// Imports and renders the list file, as `proof lists import` does before writing.
fn import_root(format: Format, inputs: &[Input]) -> String {
    let imp = import(format, inputs, &opts()).unwrap();
    output::render("bench", &imp).unwrap()
}

fn samples(c: &mut Criterion) {
    let mut g = c.benchmark_group("import");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for (label, format, files) in [
        (
            "un-sc-xml/UN_consolidated",
            Format::UnScXml,
            vec!["un-sc-xml/UN_consolidated.xml"],
        ),
        (
            "ofac-sdn-csv/full-2019",
            Format::OfacSdnCsv,
            vec![
                "ofac-sdn-csv/full-2019/sdn.csv",
                "ofac-sdn-csv/full-2019/alt.csv",
            ],
        ),
        (
            "eu-fsf-xml/sample",
            Format::EuFsfXml,
            vec!["eu-fsf-xml/sample_eu_fsf.xml"],
        ),
        (
            "uk-fcdo-xml/sample",
            Format::UkFcdoXml,
            vec!["uk-fcdo-xml/sample_uk_sanctions.xml"],
        ),
        (
            "opensanctions-ftm/zala",
            Format::OpenSanctionsFtm,
            vec!["opensanctions-ftm/zala_entities.ftm.json"],
        ),
    ] {
        let ins = inputs(&files);
        let bytes: usize = ins.iter().map(|i| i.bytes.len()).sum();
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function(label, |b| b.iter(|| import_root(format, black_box(&ins))));
    }
    g.finish();
}

const REG: &str = "<regulationSummary regulationType=\"amendment\" publicationDate=\"2025-01-31\" numberTitle=\"2025/206 (L 202500206)\" publicationUrl=\"https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=OJ:L_202500206\" />";

/// An EU FSF file in the official schema with `n` designations, each with the elements a
/// real one has (regulation, subject type, names, identifications, addresses, birth dates).
fn synthetic_eu(n: usize) -> String {
    let mut s = String::with_capacity(n * 3_000);
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<export xmlns=\"http://eu.europa.ec/fpi/fsd/export\" generationDate=\"2026-08-05T16:47:04.449+02:00\" globalFileId=\"1\">\n");
    for i in 0..n {
        let person = i % 2 == 0;
        let (code, class) = if person {
            ("person", "P")
        } else {
            ("enterprise", "E")
        };
        let _ = write!(
            s,
            "<sanctionEntity designationDetails=\"\" unitedNationId=\"\" euReferenceNumber=\"EU.{i}.{}\" logicalId=\"{i}\">\n  <remark>Synthetic designation {i} for benchmarking; not a real entry.</remark>\n  <regulation regulationType=\"amendment\" organisationType=\"council\" publicationDate=\"2025-01-31\" entryIntoForceDate=\"2025-02-01\" numberTitle=\"2025/206 (L 202500206)\" programme=\"RUS\" logicalId=\"{}\">\n    <publicationUrl>https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=OJ:L_202500206</publicationUrl>\n  </regulation>\n  <subjectType code=\"{code}\" classificationCode=\"{class}\" />\n",
            i % 97,
            i + 1_000_000,
        );
        for (k, lang) in ["EN", "DE", "FR", "RU"].iter().enumerate() {
            let _ = write!(
                s,
                "  <nameAlias firstName=\"\" middleName=\"\" lastName=\"\" wholeName=\"Synthetic Trading Company {i} Variant {k} GmbH\" function=\"\" gender=\"\" title=\"\" nameLanguage=\"{lang}\" strong=\"{}\" regulationLanguage=\"en\" logicalId=\"{}\">\n    {REG}\n  </nameAlias>\n",
                k != 3,
                i * 10 + k
            );
        }
        if !person {
            let _ = write!(
                s,
                "  <identification diplomatic=\"false\" knownExpired=\"false\" knownFalse=\"false\" reportedLost=\"false\" revokedByIssuer=\"false\" issuedBy=\"\" latinNumber=\"\" nameOnDocument=\"\" number=\"{i:07}\" region=\"\" countryIso2Code=\"RU\" countryDescription=\"RUSSIA\" identificationTypeCode=\"regnumber\" identificationTypeDescription=\"Registration Number\" logicalId=\"{i}\">\n    {REG}\n  </identification>\n"
            );
        }
        let _ = write!(
            s,
            "  <address city=\"Moscow\" street=\"Synthetic Street {i}\" poBox=\"\" zipCode=\"101000\" regionCode=\"\" region=\"\" place=\"\" asAtListingTime=\"false\" contactInfo=\"\" countryIso2Code=\"RU\" countryDescription=\"RUSSIA\" logicalId=\"{i}\">\n    {REG}\n  </address>\n  <birthdate circa=\"false\" calendarType=\"GREGORIAN\" city=\"\" zipCode=\"\" birthdate=\"1970-01-01\" dayOfMonth=\"1\" monthOfYear=\"1\" year=\"1970\" region=\"\" place=\"\" countryIso2Code=\"RU\" countryDescription=\"RUSSIA\" logicalId=\"{i}\" />\n</sanctionEntity>\n"
        );
    }
    s.push_str("</export>\n");
    s
}

/// Every event of the document through the namespace-resolving reader, attribute values
/// normalised and text unescaped, as the importer reads them: the floor under any
/// streaming import of the file.
fn read_only(src: &str) -> usize {
    let mut r = NsReader::from_str(src);
    let mut n = 0usize;
    loop {
        match r.read_resolved_event().unwrap() {
            (_, Event::Start(e) | Event::Empty(e)) => {
                for a in e.attributes() {
                    let a = a.unwrap();
                    n += a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .len();
                }
            }
            (_, Event::Text(t)) => n += t.xml10_content().len(),
            (_, Event::Eof) => return n,
            _ => {}
        }
    }
}

fn synthetic(c: &mut Criterion) {
    let n: usize = std::env::var("PROOF_BENCH_EU_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(7_600);
    let text = synthetic_eu(n);
    let input = [Input {
        name: "synthetic-eu.xml".into(),
        bytes: text.clone().into_bytes(),
    }];
    // Checked once: the import reads every designation of the file.
    let imp = import(Format::EuFsfXml, &input, &opts()).unwrap();
    assert_eq!(imp.read, n);
    let mb = text.len() / 1_000_000;
    let mut g = c.benchmark_group(format!("eu_synthetic_{mb}mb"));
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("xml_reader_only", |b| {
        b.iter(|| read_only(black_box(&text)));
    });
    g.bench_function("import_rows", |b| {
        b.iter(|| import(Format::EuFsfXml, black_box(&input), &opts()).unwrap());
    });
    g.bench_function("import", |b| {
        b.iter(|| import_root(Format::EuFsfXml, black_box(&input)));
    });
    g.finish();
}

criterion_group!(benches, samples, synthetic);
criterion_main!(benches);
