//! `proof lists import` and `proof commit --scheme` as a user runs them, on the real list
//! excerpts in `shared/real-lists` (never copied into the repository).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: failures should abort loudly"
)]

#[path = "support/real_lists.rs"]
mod real_lists;

use std::path::PathBuf;
use std::process::{Command, Output};

fn real(rel: &str) -> String {
    real_lists::real(rel).to_string_lossy().into_owned()
}

fn proof(args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8(b.to_vec()).unwrap()
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("proof-import-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn importing_the_un_list_writes_a_list_the_verifier_loads_with_the_same_root() {
    let d = dir("un");
    let out = d.join("un.csv");
    let o = out.to_str().unwrap();
    let un = real("un-sc-xml/UN_consolidated.xml");
    let r = proof(
        &["lists", "import", "--format", "un-sc-xml", &un, "-o", o],
        None,
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let root = "50f81366d1de53e15238203d30e167bf6b83f2221595b7306e03fd8f25e6d5b5";
    assert!(text(&r.stderr).contains(root), "{}", text(&r.stderr));
    let file = std::fs::read_to_string(&out).unwrap();
    for line in [
        "# name: un\n",
        "# format: un-sc-xml\n",
        "# publisher_date: 2026-02-27T00:00:09.554Z\n",
        "# entries_read: 1003\n",
        "# leaves: 7202\n",
        "imo-company,1790183,,un:KPe.020,COMMENTS1,\n",
        // The row of a designation's own id says what the list says it is.
        "un,KPe.020,,un:KPe.020,id,organisation\n",
        "un,CDi.001,,un:CDi.001,id,person\n",
    ] {
        assert!(file.contains(line), "missing {line:?}");
    }
    assert!(file.contains("UN_consolidated.xml sha256:"));
    // `proof lists root` reads the file back to the root the import printed.
    let r = proof(&["lists", "root", o], None);
    assert_eq!(text(&r.stdout).trim(), root, "{}", text(&r.stderr));
    // The same file imported again gives the same bytes.
    let again = d.join("again.csv");
    let r = proof(
        &[
            "lists",
            "import",
            "--format",
            "un-sc-xml",
            &un,
            "-o",
            again.to_str().unwrap(),
            "--name",
            "un",
        ],
        None,
    );
    assert_eq!(r.status.code(), Some(0));
    assert_eq!(std::fs::read(&again).unwrap(), file.as_bytes());
}

/// Runs an import that must fail with exit 1 and `want` on stderr, leaving the output file
/// as it was.
fn import_fails(args: &[&str], want: &str) {
    let d = dir("fail");
    let out = d.join(format!("out-{}.csv", args.len()));
    std::fs::write(&out, "previous contents\n").unwrap();
    let mut all = vec!["lists", "import"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", out.to_str().unwrap()]);
    let r = proof(&all, None);
    assert_eq!(r.status.code(), Some(1), "{args:?}: {}", text(&r.stderr));
    assert!(
        text(&r.stderr).contains(want),
        "{args:?}: {:?} lacks {want:?}",
        text(&r.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "previous contents\n",
        "{args:?}: a failed import must write nothing"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn bad_imports_fail_clearly_and_write_nothing() {
    let un = real("un-sc-xml/UN_consolidated.xml");
    let eu = real("eu-fsf-xml/sample_eu_fsf.xml");
    // Wrong format flag: the root element says what the file is not.
    import_fails(&["--format", "eu-fsf-xml", &un], "not an eu-fsf-xml file");
    import_fails(
        &["--format", "uk-fcdo-xml", &eu, "--min-entries", "1"],
        "not a uk-fcdo-xml file",
    );
    // Truncated XML: the line and the element path.
    let bytes = std::fs::read(&un).unwrap();
    let cut = dir("cut").join("UN_consolidated.xml");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    import_fails(
        &["--format", "un-sc-xml", cut.to_str().unwrap()],
        "UN_consolidated.xml: line ",
    );
    // Below the floor of a complete file.
    import_fails(&["--format", "eu-fsf-xml", &eu], "below the floor of 2000");
    // An unknown format.
    import_fails(&["--format", "eu-xml", &eu], "unknown list format `eu-xml`");
    // A malformed identifier in an official file (OFAC 2019: an LEI of 9 digits).
    import_fails(
        &[
            "--format",
            "ofac-sdn-csv",
            &real("ofac-sdn-csv/full-2019/sdn.csv"),
            &real("ofac-sdn-csv/full-2019/alt.csv"),
        ],
        "line 6189 (ent_num 23257): Remarks: `851683897` is not an LEI",
    );
    // A file that is not there.
    import_fails(
        &["--format", "un-sc-xml", "/nonexistent/un.xml"],
        "/nonexistent/un.xml",
    );
}

#[test]
fn skip_invalid_lists_what_it_left_out() {
    let d = dir("skip");
    let out = d.join("ofac.csv");
    let r = proof(
        &[
            "lists",
            "import",
            "--format",
            "ofac-sdn-csv",
            &real("ofac-sdn-csv/full-2019/sdn.csv"),
            &real("ofac-sdn-csv/full-2019/alt.csv"),
            "--skip-invalid",
            "-o",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let file = std::fs::read_to_string(&out).unwrap();
    assert!(file.contains("# values_rejected: 9\n"));
    assert!(file.contains("# rejected_1: sdn.csv line "));
    assert!(file.contains("`851683897` is not an LEI"));
}

#[test]
fn commit_scheme_hashes_typed_identifiers_and_refuses_invalid_ones() {
    let sha = |s: &str| {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(s.as_bytes()))
    };
    let r = proof(
        &["commit", "--scheme", "lei"],
        Some("5299007ntwcc3u23wm81\n"),
    );
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert_eq!(
        text(&r.stdout).trim(),
        sha("proof:id:v1:lei:5299007NTWCC3U23WM81")
    );
    let r = proof(&["commit", "--scheme", "imo"], Some("IMO 9263643\n"));
    assert_eq!(text(&r.stdout).trim(), sha("proof:id:v1:imo:9263643"));
    let r = proof(
        &["commit", "--scheme", "reg:DE"],
        Some("Amtsgericht München HRB 012345 B\n"),
    );
    assert_eq!(
        text(&r.stdout).trim(),
        sha("proof:id:v1:reg:DE:MUENCHEN:HRB12345B")
    );
    for (scheme, input, want) in [
        ("lei", "5299007NTWCC3U23WM82\n", "check digits are wrong"),
        ("imo", "IMO 9263644\n", "check digit is wrong"),
        ("bic", "DEUTXXFF\n", "is not a BIC"),
        ("vat", "GR123456789\n", "use the prefix EL"),
        ("reg:XX", "123\n", "`XX` is not an assigned ISO 3166-1"),
        ("duns", "123\n", "unknown identifier scheme `duns`"),
    ] {
        let r = proof(&["commit", "--scheme", scheme], Some(input));
        assert_eq!(r.status.code(), Some(1), "{scheme}: {}", text(&r.stderr));
        assert!(
            text(&r.stderr).contains(want),
            "{scheme}: {:?} lacks {want:?}",
            text(&r.stderr)
        );
        assert!(r.stdout.is_empty(), "{scheme}: nothing on stdout on error");
    }
}
