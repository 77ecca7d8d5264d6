//! Loading the shipped content from directories: every `*.csv`/`*.txt` list of a lists
//! directory into a registry, and the `*.yml`/`*.yaml` policies of a policy directory. Shared
//! by `proof serve` and the CLI; errors name the file.

use proof_core::ir::Ir;
use proof_core::lists::{RefList, Registry, parse_list};
use proof_core::policy::{self, LintMode};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// Files in `dir` with one of `exts`, sorted by name.
///
/// # Errors
/// When the directory cannot be read.
pub fn files(dir: &Path, exts: &[&str]) -> Result<Vec<PathBuf>, String> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read directory `{}`: {e}", dir.display()))?;
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| exts.contains(&e))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// Parses one list file; the name defaults to the file stem.
///
/// # Errors
/// A message naming the file and line.
pub fn list_file(path: &Path) -> Result<RefList, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let stem = path
        .file_stem()
        .map_or_else(|| "list".to_owned(), |s| s.to_string_lossy().into_owned());
    parse_list(&stem, &text).map_err(|e| format!("list `{}`: {e}", path.display()))
}

/// Every list in `dir`.
///
/// # Errors
/// A message naming the directory or file at fault.
pub fn lists_dir(dir: &Path) -> Result<Registry, String> {
    lists_dir_files(dir).map(|(reg, _)| reg)
}

/// A list and when its file last changed.
pub type ListFile = (Arc<RefList>, Option<SystemTime>);

/// Every list in `dir`, and each with its file's modification time in file name order.
///
/// # Errors
/// As [`lists_dir`]; two files with one root are an error.
pub fn lists_dir_files(dir: &Path) -> Result<(Registry, Vec<ListFile>), String> {
    let mut reg = Registry::default();
    let mut out = Vec::new();
    for f in files(dir, &["csv", "txt"])? {
        let list = Arc::new(list_file(&f)?);
        reg.insert_shared(Arc::clone(&list))?;
        let modified = std::fs::metadata(&f).and_then(|m| m.modified()).ok();
        out.push((list, modified));
    }
    Ok((reg, out))
}

/// A policy file, compiled in strict mode.
pub struct PolicyFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// Its text (without a leading byte-order mark).
    pub source: String,
    /// The compiled policy.
    pub ir: Ir,
}

/// True for a policy test file (`*.test.yml`, `*.test.yaml`: `proof policy test`), which
/// lives beside the policies but is not one.
#[must_use]
pub fn is_policy_test(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".test.yml") || n.ends_with(".test.yaml"))
}

/// Compiles every `*.yml`/`*.yaml` in `dir` in strict mode, except policy test files
/// ([`is_policy_test`]).
///
/// # Errors
/// A message naming the file and, for a policy with errors, every diagnostic.
pub fn policy_dir(dir: &Path) -> Result<Vec<PolicyFile>, String> {
    files(dir, &["yml", "yaml"])?
        .into_iter()
        .filter(|p| !is_policy_test(p))
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            let source = text
                .strip_prefix('\u{feff}')
                .map_or(text.clone(), str::to_owned);
            let name = path.display().to_string();
            let ir = policy::compile(&source, LintMode::Strict)
                .map_err(|e| {
                    let lines: Vec<String> =
                        e.diagnostics.iter().map(|d| d.render(&name)).collect();
                    format!("policy `{name}` does not compile:\n{}", lines.join("\n"))
                })?
                .ir;
            Ok(PolicyFile { path, source, ir })
        })
        .collect()
}

/// The signing keys of `signing`: the active key and the public halves of the retired
/// ones; `None` without `signing.key_file`.
///
/// # Errors
/// A message naming the file that cannot be read or holds no usable key.
pub fn signing_keys(
    signing: &crate::config::SigningSettings,
) -> Result<Option<proof_evidence::keys::KeySet>, String> {
    use proof_evidence::keys::{KeySet, SigningKey, public_keys_in};
    let Some(path) = &signing.key_file else {
        return Ok(None);
    };
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()))
    };
    let active = SigningKey::from_pem(&read(path)?)
        .map_err(|e| format!("signing.key_file `{}`: {e}", path.display()))?;
    let mut retired = Vec::new();
    for p in &signing.retired_key_files {
        retired.extend(
            public_keys_in(&read(p)?)
                .map_err(|e| format!("signing.retired_key_files `{}`: {e}", p.display()))?,
        );
    }
    Ok(Some(KeySet::new(active, retired)))
}
