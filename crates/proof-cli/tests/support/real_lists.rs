//! The real list excerpts in `shared/real-lists` (never copied into the repository):
//! `$PROOF_REAL_LISTS`, else `shared/real-lists` beside an ancestor of this crate, else
//! `/work/shared/real-lists`. A test that needs one fails when it is missing.

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
