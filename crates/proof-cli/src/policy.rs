//! `proof policy lint`, `proof policy compile`; `proof policy test` is in `policy_test.rs`.

use crate::exit::Exit;
use crate::load::{read_text, write_out};
use anyhow::Result;
use clap::{Args, Subcommand, ValueEnum};
use proof_core::diag::{Diagnostic, Level};
use proof_core::policy::{self, LintMode};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Report every problem in a policy. Exit 0 clean, 2 warnings only, 3 errors.
    Lint(LintArgs),
    /// Compile a policy to IR v1 JSON. Exit 3 when the policy has errors.
    Compile(Box<CompileArgs>),
    /// Run policy tests (`*.test.yml`): cases with contexts and expected verdicts.
    Test(crate::policy_test::TestArgs),
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// `file:line:col: level[code name]: message`
    Text,
    /// One JSON document with every diagnostic.
    Json,
}

#[derive(Args)]
pub struct LintArgs {
    /// The policy YAML file (`-` for standard input).
    file: PathBuf,
    /// Downgrade hygiene findings (unknown fields, empty legal basis) to warnings.
    #[arg(long)]
    relaxed: bool,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Args)]
pub struct CompileArgs {
    /// The policy YAML file (`-` for standard input).
    file: PathBuf,
    /// Write the IR here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Downgrade hygiene findings to warnings.
    #[arg(long)]
    relaxed: bool,
    /// With --server: compile and store the policy on the server; prints its answer
    /// (policy id, version, hashes, IR, lints, whether it was newly stored).
    #[command(flatten)]
    remote: crate::remote::Remote,
}

pub fn run(cmd: PolicyCommand) -> Result<Exit> {
    match cmd {
        PolicyCommand::Lint(a) => lint(&a),
        PolicyCommand::Compile(a) => compile(&a),
        PolicyCommand::Test(a) => crate::policy_test::run(&a),
    }
}

const fn mode(relaxed: bool) -> LintMode {
    if relaxed {
        LintMode::Relaxed
    } else {
        LintMode::Strict
    }
}

fn count(diags: &[Diagnostic], level: Level) -> usize {
    diags.iter().filter(|d| d.level == level).count()
}

/// Renders diagnostics with the source line and a caret under the span. A line longer
/// than [`SHOWN`] characters is shown around the span, cut with `…`.
pub fn render_text(file: &str, src: &str, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        out.push_str(&d.render(file));
        out.push('\n');
        if let Some(s) = d.span {
            let line = src
                .lines()
                .nth(s.line.saturating_sub(1) as usize)
                .unwrap_or("");
            let (shown, column, width) = window(line, s.column.saturating_sub(1) as usize, s.len);
            out.push_str(&format!(
                "  {shown}\n  {}{}\n",
                " ".repeat(column),
                "^".repeat(width)
            ));
        }
    }
    out
}

/// Most characters of a source line shown under a diagnostic.
const SHOWN: usize = 120;

/// The part of `line` shown for a span at character `column` of `len` characters, the
/// span's column in it and the caret's width.
fn window(line: &str, column: usize, len: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    // The span's characters on this line, at least one, at most `max`.
    let width = |max: usize| len.min(chars.len().saturating_sub(column)).min(max).max(1);
    if chars.len() <= SHOWN {
        return (line.to_owned(), column, width(usize::MAX));
    }
    // Up to 40 characters before the span, the rest of the window after it.
    let start = column.saturating_sub(40);
    let end = (start + SHOWN).min(chars.len());
    let mut shown: String = chars.get(start..end).unwrap_or_default().iter().collect();
    let mut at = column - start;
    if start > 0 {
        shown.insert(0, '…');
        at += 1;
    }
    if end < chars.len() {
        shown.push('…');
    }
    (shown, at, width(end.saturating_sub(column)))
}

fn lint(a: &LintArgs) -> Result<Exit> {
    let src = read_text(&a.file)?;
    let diags = policy::lint(&src, mode(a.relaxed));
    let (errors, warnings) = (count(&diags, Level::Error), count(&diags, Level::Warning));
    let file = a.file.display().to_string();
    match a.format {
        Format::Text => {
            print!("{}", render_text(&file, &src, &diags));
            println!("{file}: {errors} error(s), {warnings} warning(s)");
        }
        Format::Json => {
            let doc = serde_json::json!({"file": file, "errors": errors, "warnings": warnings, "diagnostics": diags});
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
    }
    Ok(if errors > 0 {
        Exit::Fail
    } else if warnings > 0 {
        Exit::Warn
    } else {
        Exit::Ok
    })
}

fn compile(a: &CompileArgs) -> Result<Exit> {
    let src = read_text(&a.file)?;
    if a.remote.server.is_some() {
        let body = serde_json::json!({
            "policy_yaml": src,
            "lint_mode": if a.relaxed { "relaxed" } else { "strict" },
        });
        let answer = a.remote.post("/policy/compile", &body, "policy:compile")?;
        let v: serde_json::Value = serde_json::from_str(&answer.body)?;
        let mut out = serde_json::to_string_pretty(&v)?;
        out.push('\n');
        write_out(a.output.as_deref(), &out)?;
        return Ok(Exit::Ok);
    }
    let file = a.file.display().to_string();
    match policy::compile(&src, mode(a.relaxed)) {
        Ok(c) => {
            eprint!("{}", render_text(&file, &src, &c.diagnostics));
            write_out(a.output.as_deref(), &c.ir.to_pretty_json()?)?;
            Ok(Exit::Ok)
        }
        Err(e) => {
            eprint!("{}", render_text(&file, &src, &e.diagnostics));
            eprintln!(
                "{file}: {} error(s); no IR written",
                count(&e.diagnostics, Level::Error)
            );
            Ok(Exit::Fail)
        }
    }
}
