//! The real list excerpts in `shared/real-lists` (never copied into the repository):
//! `$PROOF_REAL_LISTS`, else `shared/real-lists` beside an ancestor of this crate, else
//! `/work/shared/real-lists`. A test that needs one fails when it is missing.

#![allow(dead_code, clippy::unwrap_used, reason = "test support")]

use std::path::{Path, PathBuf};

pub fn real(rel: &str) -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::var("PROOF_REAL_LISTS").map_or_else(
        |_| {
            here.ancestors()
                .map(|d| d.join("shared/real-lists"))
                .find(|d| d.is_dir())
                .unwrap_or_else(|| PathBuf::from("/work/shared/real-lists"))
        },
        PathBuf::from,
    );
    let p = dir.join(rel);
    assert!(
        p.is_file(),
        "{} is missing (set PROOF_REAL_LISTS)",
        p.display()
    );
    p
}

/// Imports the real UN list into `dir/out` with `proof lists import`.
pub fn import_un(dir: &Path, out: &str) {
    let un = real("un-sc-xml/UN_consolidated.xml");
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_proof"))
        .args(["lists", "import", "--format", "un-sc-xml"])
        .arg(un)
        .args(["-o", out])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
}
