//! Reading the files the subcommands work on: policies by id or path, contexts, list
//! directories. Every error names the file.

use anyhow::{Context as _, Result, bail};
use proof_core::eval::EvalError;
use proof_core::ir::Ir;
use proof_core::lists::Registry;
use proof_core::policy::{self, LintMode};
use proof_server::fsload;
use std::io::Read;
use std::path::{Path, PathBuf};

/// What `verify` and `adapt` evaluate: a policy, a context, a time, and where to write.
#[derive(clap::Args)]
pub struct Inputs {
    /// A policy id (looked up as DIR/ID.yml) or a policy file (YAML, or compiled IR `.json`).
    #[arg(long)]
    pub policy: String,
    /// The context JSON file (`-` for standard input).
    #[arg(long)]
    pub context: PathBuf,
    /// Evaluation time (RFC 3339). Default: the context's `as_of`, else the clock.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Write the output here instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub dirs: Dirs,
}

impl Inputs {
    /// `--as-of`, parsed.
    pub fn as_of(&self) -> Result<Option<time::OffsetDateTime>> {
        self.as_of
            .as_deref()
            .map(proof_core::temporal::parse_timestamp)
            .transpose()
            .map_err(|m| anyhow::anyhow!("--as-of: {m}"))
    }

    /// The compiled policy.
    pub fn ir(&self) -> Result<Ir> {
        policy_ir(&self.policy, &self.dirs.policy_dir)
    }

    /// The context file's name and its JSON (duplicate keys refused).
    pub fn context_json(&self) -> Result<(String, serde_json::Value)> {
        let file = self.context.display().to_string();
        let json = proof_core::json::from_str_strict(&read_text(&self.context)?)
            .with_context(|| format!("`{file}` is not valid JSON"))?;
        Ok((file, json))
    }

    /// The reference lists.
    pub fn lists(&self) -> Result<Registry> {
        registry(self.dirs.lists_dir.as_deref())
    }

    /// `e` from evaluating `file`; when it names a list root that `lists` does not have,
    /// also where the lists were loaded from and which they are, so that a wrong or
    /// missing `--lists-dir` shows.
    pub fn eval_error(&self, file: &str, e: EvalError, lists: &Registry) -> anyhow::Error {
        if !matches!(e, EvalError::UnknownRoot { .. }) {
            return anyhow::Error::new(e).context(format!("`{file}`"));
        }
        let dir = self
            .dirs
            .lists_dir
            .as_deref()
            .unwrap_or_else(|| Path::new("lists"));
        let mut loaded: Vec<String> = lists
            .iter()
            .map(|l| format!("`{}` {}", l.name, l.root_hex()))
            .collect();
        loaded.sort();
        let loaded = if loaded.is_empty() {
            format!("no list was loaded from `{}`", dir.display())
        } else {
            format!("loaded from `{}`: {}", dir.display(), loaded.join(", "))
        };
        anyhow::anyhow!(
            "`{file}`: {e}; {loaded} (--lists-dir or PROOF_LISTS_DIR names another directory)"
        )
    }

    /// Writes `text` to `--output` or standard output.
    pub fn write(&self, text: &str) -> Result<()> {
        write_out(self.output.as_deref(), text)
    }
}

/// Where policy ids and lists are looked up (shared by `verify` and `adapt`).
#[derive(clap::Args)]
pub struct Dirs {
    /// Where policy ids are looked up.
    #[arg(long, env = "PROOF_POLICY_DIR", default_value = "policies")]
    pub policy_dir: PathBuf,
    /// Where reference lists are loaded from (every *.csv and *.txt). Default: `lists`.
    #[arg(long, env = "PROOF_LISTS_DIR")]
    pub lists_dir: Option<PathBuf>,
}

/// Reads a file, or standard input for `-`. A leading UTF-8 byte-order mark (as some
/// editors and spreadsheet exports write) is dropped.
pub fn read_text(path: &Path) -> Result<String> {
    text_of(path, read_bytes(path)?)
}

/// A JSON file (or standard input for `-`); `what` names what it should hold.
pub fn read_json(path: &Path, what: &str) -> Result<serde_json::Value> {
    parse_json(path, &read_text(path)?, what)
}

/// `text`, read from `path`, as JSON; `what` names what it should hold.
pub fn parse_json(path: &Path, text: &str, what: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text)
        .with_context(|| format!("`{}` is not JSON (expected {what})", path.display()))
}

/// A file's bytes, or standard input's for `-`.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .read_to_end(&mut b)
            .context("cannot read standard input")?;
        Ok(b)
    } else {
        std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))
    }
}

/// The text of bytes read from `path`: UTF-8, without a leading byte-order mark.
pub fn text_of(path: &Path, bytes: Vec<u8>) -> Result<String> {
    let text = String::from_utf8(bytes)
        .with_context(|| format!("cannot read `{}`: not UTF-8", path.display()))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

/// Writes `text` to `out`, or to standard output.
pub fn write_out(out: Option<&Path>, text: &str) -> Result<()> {
    match out {
        Some(p) => {
            std::fs::write(p, text).with_context(|| format!("cannot write `{}`", p.display()))
        }
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

/// Writes `text` to `path` whole or not at all: into a temporary file beside it, then
/// renamed over it, so a failed or interrupted run never leaves a partial file.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let name = path
        .file_name()
        .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, text).with_context(|| format!("cannot write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write `{}`", path.display())
    })
}

/// Finds the file for `--policy`: an existing path, else `DIR/ID.yml` or `DIR/ID.yaml`.
pub fn resolve_policy(spec: &str, dir: &Path) -> Result<(PathBuf, Option<String>)> {
    let direct = PathBuf::from(spec);
    if direct.is_file() {
        return Ok((direct, None));
    }
    let candidates = [
        dir.join(format!("{spec}.yml")),
        dir.join(format!("{spec}.yaml")),
    ];
    if let Some(p) = candidates.iter().find(|p| p.is_file()) {
        return Ok((p.clone(), Some(spec.to_owned())));
    }
    bail!(
        "no policy `{spec}`: it is not a file, and neither `{}` nor `{}` exists (set --policy-dir or PROOF_POLICY_DIR)",
        candidates[0].display(),
        candidates[1].display()
    )
}

/// Loads a policy (YAML source, or compiled IR JSON when the file ends in `.json`).
pub fn policy_ir(spec: &str, dir: &Path) -> Result<Ir> {
    let (path, wanted_id) = resolve_policy(spec, dir)?;
    let text = read_text(&path)?;
    let ir = if path.extension().is_some_and(|e| e == "json") {
        Ir::from_json_str(&text).with_context(|| format!("`{}`", path.display()))?
    } else {
        match policy::compile(&text, LintMode::Strict) {
            Ok(c) => c.ir,
            Err(e) => {
                let file = path.display().to_string();
                let lines: Vec<String> = e.diagnostics.iter().map(|d| d.render(&file)).collect();
                bail!("policy `{file}` does not compile:\n{}", lines.join("\n"));
            }
        }
    };
    if let Some(id) = wanted_id.filter(|id| *id != ir.policy_id) {
        bail!(
            "`{}` declares id `{}`, not `{id}`",
            path.display(),
            ir.policy_id
        );
    }
    Ok(ir)
}

/// Loads every `*.csv` and `*.txt` list in `dir`, in file-name order. A missing directory
/// is an error only when it was named explicitly.
pub fn registry(dir: Option<&Path>) -> Result<Registry> {
    let (dir, explicit) = match dir {
        Some(d) => (d.to_path_buf(), true),
        None => (PathBuf::from("lists"), false),
    };
    if !dir.is_dir() {
        if explicit {
            bail!("lists directory `{}` does not exist", dir.display());
        }
        return Ok(Registry::default());
    }
    fsload::lists_dir(&dir).map_err(anyhow::Error::msg)
}

/// Parses one list file; the list name defaults to the file stem.
pub fn list_file(path: &Path) -> Result<proof_core::lists::RefList> {
    fsload::list_file(path).map_err(anyhow::Error::msg)
}
