//! `proof screen`: the suppliers' names against the imported lists, on the company's
//! machine (`docs/screening.md`).

use crate::exit::Exit;
use crate::load::{read_text, write_atomic, write_out};
use crate::suppliers::{self, Target};
use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use proof_screen::index::Index;
use proof_screen::list::{self, ListFile};
use proof_screen::screen::{self, Options, Screening, Source, Supplier};
use proof_screen::{DEFAULT_THRESHOLD, MATCHER, clearance};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// The screening file (JSON), as `proof context build --screening` reads it.
    Json,
    /// A table for a compliance officer, with each candidate's explanation.
    Text,
}

#[derive(Args)]
#[command(after_help = "\
Examples:
  proof screen --suppliers suppliers.csv --lists-dir lists -o screening.json
  proof screen --suppliers suppliers.csv --lists-dir lists --clearances clearances.yaml --format text
  proof screen --suppliers suppliers.csv --lists-dir lists --since old/un.csv -o rescreen.json

Every name and strong alias of every imported list in the directory (files written by
`proof lists import`; other lists are skipped with a note) is compared with each supplier's
name by the matcher proof-name-v1 (docs/screening.md). A candidate names the supplier, the
list and its root, the entry, the matched name, the score and what each feature
contributed. A clearance (a reviewed false positive) marks a candidate cleared while the
entry's content is unchanged; when it changes, the clearance lapses and is reported.
Nothing leaves the machine.

Exit codes: 0 no open candidate and no lapsed clearance, 2 open candidates or lapsed
clearances, 1 bad input (nothing is written).")]
pub struct ScreenArgs {
    /// The supplier master data (CSV with a header line; columns as for `proof context build`).
    #[arg(long)]
    suppliers: PathBuf,
    /// A mapping file (YAML) naming the supplier file's columns.
    #[arg(long)]
    map: Option<PathBuf>,
    /// The directory of list files (`*.csv`, `*.txt`).
    #[arg(long, env = "PROOF_LISTS_DIR", default_value = "lists")]
    lists_dir: PathBuf,
    /// Reviewed false positives (YAML, `clearances:`).
    #[arg(long)]
    clearances: Option<PathBuf>,
    /// Candidates score at least this (0 to 1).
    #[arg(long, default_value_t = DEFAULT_THRESHOLD)]
    threshold: f64,
    /// An earlier version of a list (matched by list name): only entries added or changed
    /// since are matched (repeat for several lists).
    #[arg(long, value_name = "OLD_LIST_FILE")]
    since: Vec<PathBuf>,
    /// The output format.
    #[arg(long, value_enum, default_value = "json")]
    format: Format,
    /// Write here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// The imported lists of a directory, in file-name order; each other list is named on
/// stderr and in the screening's warnings.
fn lists_of(dir: &Path, warnings: &mut Vec<String>) -> Result<Vec<ListFile>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the lists directory `{}`", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv" || x == "txt"))
        .collect();
    files.sort();
    let mut out: Vec<ListFile> = Vec::new();
    for f in files {
        let text = read_text(&f)?;
        let shown = f.display().to_string();
        let l = match list::read(&shown, &text) {
            Ok(l) => l,
            Err(e) if e.not_imported => {
                let note = format!(
                    "`{shown}` is not an imported list (no names to screen against); skipped"
                );
                eprintln!("note: {note}");
                warnings.push(note);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(o) = out.iter().find(|o| o.name == l.name) {
            bail!(
                "`{shown}` and `{}` are both the list `{}`: keep one version in the lists directory (an earlier one goes to --since)",
                o.file,
                l.name
            );
        }
        out.push(l);
    }
    if out.is_empty() {
        bail!(
            "`{}` holds no imported list to screen against (import official files with `proof lists import`)",
            dir.display()
        );
    }
    Ok(out)
}

pub fn run(a: &ScreenArgs) -> Result<Exit> {
    if !(0.0..=1.0).contains(&a.threshold) {
        bail!(
            "--threshold {}: a score between 0 and 1 expected",
            a.threshold
        );
    }
    let (rows, sha256) = suppliers::read_file(&a.suppliers, a.map.as_deref())?;
    let subjects: Vec<Supplier> = rows
        .iter()
        .map(|s| Supplier {
            id: s.id.clone(),
            name: s.name.clone(),
            line: s.line,
            country: s
                .commitments
                .iter()
                .find(|c| c.target == Target::Regions)
                .map(|c| c.value.clone()),
            ids: s
                .commitments
                .iter()
                .filter(|c| c.target == Target::Ids)
                .map(|c| (c.scheme.clone(), c.value.clone()))
                .collect(),
        })
        .collect();
    let mut warnings = Vec::new();
    let lists = lists_of(&a.lists_dir, &mut warnings)?;
    let mut since = Vec::new();
    for f in &a.since {
        let shown = f.display().to_string();
        let old = list::read(&shown, &read_text(f)?)?;
        if !lists.iter().any(|l| l.name == old.name) {
            bail!(
                "--since `{shown}`: the list `{}` is not in `{}`",
                old.name,
                a.lists_dir.display()
            );
        }
        since.push(old);
    }
    let clearances = match &a.clearances {
        Some(p) => clearance::read(&p.display().to_string(), &read_text(p)?)?,
        None => Vec::new(),
    };
    let index = Index::build(&lists);
    let source = Source {
        file: a
            .suppliers
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        sha256,
        rows: subjects.len(),
    };
    let opts = Options {
        threshold: a.threshold,
        since,
    };
    let mut s = screen::screen(source, &subjects, &lists, &index, &clearances, &opts);
    for w in &s.warnings {
        eprintln!("warning: {w}");
    }
    warnings.append(&mut s.warnings);
    s.warnings = warnings;
    let out = match a.format {
        Format::Json => serde_json::to_string_pretty(&s)? + "\n",
        Format::Text => text_table(&s),
    };
    match &a.output {
        Some(p) => write_atomic(p, &out)?,
        None => write_out(None, &out)?,
    }
    eprintln!(
        "{} suppliers against {} lists: {} candidates, {} open, {} cleared, {} lapsed clearances",
        s.counts.suppliers,
        s.lists.len(),
        s.counts.candidates,
        s.counts.open,
        s.counts.cleared,
        s.counts.lapsed
    );
    Ok(if s.counts.open > 0 || s.counts.lapsed > 0 {
        Exit::Warn
    } else {
        Exit::Ok
    })
}

/// The screening as a table: one block per candidate with its features, then lapsed
/// clearances and the statement.
fn text_table(s: &Screening) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "screening of {} ({} suppliers) with {MATCHER} at threshold {}",
        s.suppliers.file, s.counts.suppliers, s.matcher.threshold
    );
    for l in &s.lists {
        let _ = write!(
            out,
            "  list {} root {} ({} entries, {} leaves)",
            l.name, l.root, l.entries, l.leaves
        );
        if let Some(since) = &l.since {
            let _ = write!(
                out,
                "; since {} ({}): {} added, {} changed, {} removed",
                since.file, since.root, since.added, since.changed, since.removed
            );
        }
        out.push('\n');
    }
    out.push('\n');
    if s.candidates.is_empty() {
        out.push_str("no candidates\n");
    }
    for c in &s.candidates {
        let _ = writeln!(
            out,
            "{:<8} {:.4}  {} {:?} (line {})  ~  {} {} \"{}\" ({}, {})",
            c.status.to_uppercase(),
            c.score,
            c.supplier_id,
            c.supplier_name,
            c.supplier_line,
            c.list,
            c.entry,
            c.matched_name,
            c.name_source,
            c.subject.label()
        );
        for f in &c.features {
            let sim = f
                .similarity
                .map(|x| format!(" similarity {x:.4}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "           {:<12} supplier {:<24} list {:<24}{sim}  {:+.4}",
                f.feature,
                format!("{:?}", f.supplier),
                format!("{:?}", f.list),
                f.contribution
            );
        }
        if let Some(cl) = &c.clearance {
            let _ = writeln!(
                out,
                "           cleared by {} on {}: {}",
                cl.reviewer, cl.date, cl.reason
            );
        }
        let _ = writeln!(out, "           entry_hash {}", c.entry_hash);
    }
    for l in &s.lapsed {
        let _ = writeln!(
            out,
            "LAPSED   clearance of {} ~ {} {} by {} on {}: the entry changed ({} -> {})",
            l.supplier_id, l.list, l.entry, l.reviewer, l.date, l.cleared_hash, l.current_hash
        );
    }
    for w in &s.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    let _ = writeln!(
        out,
        "\n{} candidates: {} open, {} cleared; {} lapsed clearances\nstatement sha256:{}",
        s.counts.candidates, s.counts.open, s.counts.cleared, s.counts.lapsed, s.statement_digest
    );
    out
}
