//! Finding the real list samples (`shared/real-lists`, never copied into the repository).
#![allow(dead_code)] // each test file uses a part of this module

use proof_import::{Format, Import, Input, Options, import};
use std::path::PathBuf;

/// The samples' folder: `$PROOF_REAL_LISTS`, else `shared/real-lists` beside an ancestor
/// of this crate, else `/work/shared/real-lists`. A test that needs them fails when they
/// are missing: it never passes without reading them.
pub fn real_lists() -> PathBuf {
    if let Ok(p) = std::env::var("PROOF_REAL_LISTS") {
        return PathBuf::from(p);
    }
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for dir in here.ancestors() {
        let candidate = dir.join("shared/real-lists");
        if candidate.is_dir() {
            return candidate;
        }
    }
    let fallback = PathBuf::from("/work/shared/real-lists");
    assert!(
        fallback.is_dir(),
        "the real list samples are missing: set PROOF_REAL_LISTS to the shared/real-lists folder"
    );
    fallback
}

pub fn input(rel: &str) -> Input {
    let path = real_lists().join(rel);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Input {
        name: path.file_name().unwrap().to_string_lossy().into_owned(),
        bytes,
    }
}

pub fn small() -> Options {
    Options {
        min_entries: Some(1),
        ..Options::default()
    }
}

pub fn run(format: Format, files: &[&str], opts: &Options) -> Import {
    let inputs: Vec<Input> = files.iter().map(|f| input(f)).collect();
    import(format, &inputs, opts).unwrap_or_else(|e| panic!("{files:?}: {e}"))
}

/// Rows as `scheme=value designation` strings.
pub fn rows(imp: &Import) -> Vec<String> {
    imp.rows
        .iter()
        .map(|r| format!("{}={} {}", r.scheme, r.value, r.designation))
        .collect()
}
