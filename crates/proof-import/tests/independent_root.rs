//! `scripts/rebuild-list-root.py`, a second implementation of `docs/lists.md` written from
//! that page alone (it reads the page's tables), rebuilds the roots that the importers give
//! for the real UN and OFAC files.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    missing_docs
)]

mod support;

use proof_import::{Format, Options, output};
use std::path::Path;
use std::process::Command;
use support::{real_lists, run};

fn python_root(format: &str, files: &[&str]) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/rebuild-list-root.py");
    let dir = real_lists();
    let out = Command::new("python3")
        .arg(&script)
        .arg(format)
        .args(files.iter().map(|f| dir.join(f)))
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn check(format: Format, files: &[&str]) {
    // The script leaves malformed identifiers out, as --skip-invalid does.
    let opts = Options {
        skip_invalid: true,
        min_entries: Some(1),
        ..Options::default()
    };
    let ours = output::to_list("x", &run(format, files, &opts))
        .root_hex()
        .to_owned();
    assert_eq!(python_root(format.label(), files), ours, "{files:?}");
}

#[test]
fn un_root_rebuilt_from_the_documentation() {
    check(Format::UnScXml, &["un-sc-xml/UN_consolidated.xml"]);
}

#[test]
fn ofac_roots_rebuilt_from_the_documentation() {
    check(
        Format::OfacSdnCsv,
        &[
            "ofac-sdn-csv/small-2025/sdn.csv",
            "ofac-sdn-csv/small-2025/alt.csv",
            "ofac-sdn-csv/small-2025/sdn_comments.csv",
        ],
    );
    check(
        Format::OfacSdnCsv,
        &[
            "ofac-sdn-csv/full-2019/sdn.csv",
            "ofac-sdn-csv/full-2019/alt.csv",
        ],
    );
}
