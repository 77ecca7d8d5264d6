//! `proof policy test`: named cases next to a policy, each a context and the verdict and
//! rule statuses it must give, run like a test suite (`docs/policy-tests.md`).

use crate::exit::Exit;
use crate::load::{policy_ir, read_text, registry};
use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};
use proof_core::eval;
use proof_core::ir::Ir;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The ending of a policy test file.
pub const SUFFIX: &str = ".test.yml";

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// One line per case, failures explained, coverage and a summary.
    Text,
    /// One JSON document: every case, the coverage, the summary.
    Json,
}

#[derive(Args)]
#[command(after_help = "\
Examples:
  proof policy test                      # every *.test.yml in policies/
  proof policy test policies/lksg.v1.test.yml
  proof policy test policies --format json

A test file names its policy (default: the file name without .test.yml, beside it), a
lists directory (relative to the file; default --lists-dir) and cases: each a context
(inline, or a file relative to the test file), optionally as_of, and what to expect:
the verdict, rule statuses (pass, fail, skipped), the hashes a list rule must find, or an
error the context must be refused with. Coverage shows, per rule, the statuses seen.

Exit codes: 0 every case passed, 3 a case failed, 1 a test file or policy could not be
read (docs/policy-tests.md).")]
pub struct TestArgs {
    /// Test files, or directories whose *.test.yml files are run (default: policies).
    paths: Vec<PathBuf>,
    /// Lists for test files that name none.
    #[arg(long, env = "PROOF_LISTS_DIR", default_value = "lists")]
    lists_dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    lists_dir: Option<String>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    context: Value,
    #[serde(default)]
    as_of: Option<String>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    #[serde(default)]
    verdict: Option<String>,
    #[serde(default)]
    rules: BTreeMap<String, Value>,
    #[serde(default)]
    error: Option<String>,
}

/// What one rule must give: a status, for a list rule optionally the hashes found, and
/// for a rule over records optionally the keys of the failing items.
struct RuleExpect {
    status: String,
    found: Option<Vec<String>>,
    keys: Option<Vec<String>>,
}

impl RuleExpect {
    /// `status`, or `{status: S, found: [HASH, ...], keys: [KEY, ...]}`.
    fn parse(v: &Value) -> Result<Self, String> {
        let status = |v: &Value| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| "a status (pass, fail, skipped) expected".to_owned())
        };
        let Value::Object(m) = v else {
            return Ok(Self {
                status: status(v)?,
                found: None,
                keys: None,
            });
        };
        if let Some(k) = m
            .keys()
            .find(|k| !["status", "found", "keys"].contains(&k.as_str()))
        {
            return Err(format!("unknown field `{k}` (fields: status, found, keys)"));
        }
        let strings = |name: &str| {
            match m.get(name) {
            None => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|h| {
                    h.as_str().map(str::to_owned).ok_or_else(|| {
                        format!("`{name}`: `{h}` is not a string in quotes (YAML reads some unquoted hashes as numbers)")
                    })
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(format!("`{name}` is a list of strings")),
        }
        };
        Ok(Self {
            status: status(m.get("status").unwrap_or(&Value::Null))?,
            found: strings("found")?,
            keys: strings("keys")?,
        })
    }
}

const STATUSES: [&str; 3] = ["pass", "fail", "skipped"];
const VERDICTS: [&str; 3] = ["OK", "WARN", "FAIL"];

/// The test files of `paths`, in order; a directory gives its `*.test.yml` files by name.
fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let default = [PathBuf::from("policies")];
    let paths = if paths.is_empty() {
        &default[..]
    } else {
        paths
    };
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot read `{}`", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.to_string_lossy().ends_with(SUFFIX))
                .collect();
            found.sort();
            if found.is_empty() {
                bail!("`{}` holds no policy test file (*{SUFFIX})", p.display());
            }
            out.extend(found);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            bail!("`{}`: no such test file or directory", p.display());
        }
    }
    Ok(out)
}

/// One test file, read and checked against its policy.
struct Suite {
    file: String,
    ir: Ir,
    lists: proof_core::lists::Registry,
    cases: Vec<Checked>,
}

/// A case with its context read and its rule expectations parsed.
struct Checked {
    case: Case,
    context: Value,
    rules: BTreeMap<String, RuleExpect>,
}

fn suite(path: &Path, default_lists: &Path) -> Result<Suite> {
    let shown = path.display().to_string();
    let dir = path.parent().unwrap_or(Path::new("."));
    let t: TestFile = serde_saphyr::from_str(&read_text(path)?)
        .with_context(|| format!("`{shown}` is not a valid policy test file"))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let spec = t
        .policy
        .clone()
        .unwrap_or_else(|| format!("{}.yml", name.trim_end_matches(SUFFIX)));
    let beside = dir.join(&spec);
    let ir = if beside.is_file() {
        policy_ir(&beside.display().to_string(), dir)
    } else {
        policy_ir(&spec, dir)
    }
    .with_context(|| format!("`{shown}`: its policy"))?;
    let lists_dir = t
        .lists_dir
        .as_ref()
        .map_or_else(|| default_lists.to_path_buf(), |l| dir.join(l));
    let lists = registry(Some(&lists_dir)).with_context(|| format!("`{shown}`: its lists"))?;
    if t.cases.is_empty() {
        bail!("`{shown}` has no cases");
    }
    let mut names = BTreeSet::new();
    let mut cases = Vec::new();
    for c in t.cases {
        let at = format!("`{shown}` case `{}`", c.name);
        if !names.insert(c.name.clone()) {
            bail!("{at}: two cases have this name");
        }
        if let Some(v) = &c.expect.verdict
            && !VERDICTS.contains(&v.as_str())
        {
            bail!("{at}: verdict `{v}` is not one of {}", VERDICTS.join(", "));
        }
        let mut rules = BTreeMap::new();
        for (rule, v) in &c.expect.rules {
            let e =
                RuleExpect::parse(v).map_err(|m| anyhow::anyhow!("{at}: rule `{rule}`: {m}"))?;
            if !ir.rules.iter().any(|r| r.id == *rule) {
                let known: Vec<&str> = ir.rules.iter().map(|r| r.id.as_str()).collect();
                bail!(
                    "{at}: the policy has no rule `{rule}` (its rules: {})",
                    known.join(", ")
                );
            }
            if !STATUSES.contains(&e.status.as_str()) {
                bail!(
                    "{at}: rule `{rule}`: status `{}` is not one of {}",
                    e.status.as_str(),
                    STATUSES.join(", ")
                );
            }
            rules.insert(rule.clone(), e);
        }
        if c.expect.error.is_some() && (c.expect.verdict.is_some() || !c.expect.rules.is_empty()) {
            bail!("{at}: expect either an error or a verdict and rule statuses, not both");
        }
        if c.expect.error.is_none() && c.expect.verdict.is_none() && c.expect.rules.is_empty() {
            bail!("{at}: `expect` names no verdict, rule or error");
        }
        let ctx = match &c.context {
            Value::String(f) => {
                let p = dir.join(f);
                proof_core::json::from_str_strict(&read_text(&p)?)
                    .with_context(|| format!("{at}: `{}` is not valid JSON", p.display()))?
            }
            Value::Object(_) => c.context.clone(),
            _ => bail!("{at}: `context` is a file name or an inline object"),
        };
        cases.push(Checked {
            case: c,
            context: ctx,
            rules,
        });
    }
    Ok(Suite {
        file: shown,
        ir,
        lists,
        cases,
    })
}

/// What one case gave and where it differs from what it expects.
struct Outcome {
    name: String,
    verdict: Option<String>,
    statuses: BTreeMap<String, String>,
    failures: Vec<String>,
}

fn run_case(s: &Suite, checked: &Checked) -> Result<Outcome> {
    let (c, ctx) = (&checked.case, &checked.context);
    let as_of = c
        .as_of
        .as_deref()
        .map(proof_core::temporal::parse_timestamp)
        .transpose()
        .map_err(|m| anyhow::anyhow!("`{}` case `{}`: as_of: {m}", s.file, c.name))?;
    let mut out = Outcome {
        name: c.name.clone(),
        verdict: None,
        statuses: BTreeMap::new(),
        failures: Vec::new(),
    };
    let report = match eval::verify(&s.ir, ctx, as_of, &s.lists) {
        Ok(r) => r,
        Err(e) => {
            let msg = e.to_string();
            match &c.expect.error {
                Some(want) if msg.contains(want.as_str()) => {}
                Some(want) => out
                    .failures
                    .push(format!("expected an error with `{want}`, got: {msg}")),
                None => out.failures.push(format!("the context is refused: {msg}")),
            }
            return Ok(out);
        }
    };
    if let Some(want) = &c.expect.error {
        out.failures.push(format!(
            "expected an error with `{want}`, got verdict {}",
            report.verdict.as_str()
        ));
    }
    let verdict = report.verdict.as_str().to_owned();
    if let Some(want) = &c.expect.verdict
        && *want != verdict
    {
        out.failures
            .push(format!("verdict: expected {want}, got {verdict}"));
    }
    for r in &report.results {
        let status = r.status.as_str().to_owned();
        if let Some(e) = checked.rules.get(&r.rule_id) {
            if e.status.as_str() != status {
                out.failures.push(format!(
                    "rule `{}`: expected {}, got {status} ({})",
                    r.rule_id,
                    e.status.as_str(),
                    r.detail
                ));
            }
            if let Some(want) = &e.found {
                let got: BTreeSet<String> = match &r.evidence {
                    Some(eval::Evidence::Membership {
                        found: Some(found), ..
                    }) => found.iter().map(|h| h.to_ascii_lowercase()).collect(),
                    _ => BTreeSet::new(),
                };
                let want: BTreeSet<String> = want.iter().map(|h| h.to_ascii_lowercase()).collect();
                if got != want {
                    out.failures.push(format!(
                        "rule `{}`: expected found {want:?}, got {got:?}",
                        r.rule_id
                    ));
                }
            }
        }
        if let Some(want) = checked.rules.get(&r.rule_id).and_then(|e| e.keys.as_ref()) {
            let items = match &r.evidence {
                Some(
                    eval::Evidence::Each { items, .. }
                    | eval::Evidence::Membership {
                        items: Some(items), ..
                    },
                ) => items.as_slice(),
                _ => &[],
            };
            let got: BTreeSet<String> = items
                .iter()
                .filter_map(|i| i.key.as_ref())
                .map(|k| {
                    k.as_str()
                        .map_or_else(|| k.to_string(), str::to_ascii_lowercase)
                })
                .collect();
            let want: BTreeSet<String> = want.iter().map(|h| h.to_ascii_lowercase()).collect();
            if got != want {
                out.failures.push(format!(
                    "rule `{}`: expected failing keys {want:?}, got {got:?}",
                    r.rule_id
                ));
            }
        }
        out.statuses.insert(r.rule_id.clone(), status);
    }
    out.verdict = Some(verdict);
    Ok(out)
}

pub fn run(a: &TestArgs) -> Result<Exit> {
    let suites: Vec<Suite> = files(&a.paths)?
        .iter()
        .map(|f| suite(f, &a.lists_dir))
        .collect::<Result<_>>()?;
    let mut results: Vec<(&Suite, Vec<Outcome>)> = Vec::new();
    for s in &suites {
        let outcomes = s
            .cases
            .iter()
            .map(|c| run_case(s, c))
            .collect::<Result<Vec<_>>>()?;
        results.push((s, outcomes));
    }
    // Per policy and rule, how often each status was seen.
    let mut coverage: BTreeMap<String, BTreeMap<String, BTreeMap<String, usize>>> = BTreeMap::new();
    for (s, outcomes) in &results {
        let per_rule = coverage.entry(s.ir.policy_id.clone()).or_default();
        for r in &s.ir.rules {
            per_rule.entry(r.id.clone()).or_default();
        }
        for o in outcomes {
            for (rule, status) in &o.statuses {
                *per_rule
                    .entry(rule.clone())
                    .or_default()
                    .entry(status.clone())
                    .or_default() += 1;
            }
        }
    }
    let total: usize = results.iter().map(|(_, o)| o.len()).sum();
    let failed: usize = results
        .iter()
        .flat_map(|(_, o)| o.iter())
        .filter(|o| !o.failures.is_empty())
        .count();
    match a.format {
        Format::Text => print!("{}", text(&results, &coverage, total, failed)),
        Format::Json => {
            let doc = json!({
                "files": results.iter().map(|(s, outcomes)| json!({
                    "file": s.file,
                    "policy": s.ir.policy_id,
                    "version": s.ir.version,
                    "cases": outcomes.iter().map(|o| json!({
                        "name": o.name,
                        "passed": o.failures.is_empty(),
                        "verdict": o.verdict,
                        "rules": o.statuses,
                        "failures": o.failures,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "coverage": coverage,
                "summary": {"cases": total, "passed": total - failed, "failed": failed},
            });
            println!("{}", serde_json::to_string_pretty(&doc)?);
        }
    }
    Ok(if failed > 0 { Exit::Fail } else { Exit::Ok })
}

type Coverage = BTreeMap<String, BTreeMap<String, BTreeMap<String, usize>>>;

fn text(
    results: &[(&Suite, Vec<Outcome>)],
    coverage: &Coverage,
    total: usize,
    failed: usize,
) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (s, outcomes) in results {
        let _ = writeln!(out, "{} ({} {})", s.file, s.ir.policy_id, s.ir.version);
        for o in outcomes {
            if o.failures.is_empty() {
                let _ = writeln!(
                    out,
                    "  ok    {} ({})",
                    o.name,
                    o.verdict.as_deref().unwrap_or("refused")
                );
            } else {
                let _ = writeln!(out, "  FAIL  {}", o.name);
                for f in &o.failures {
                    let _ = writeln!(out, "          {f}");
                }
            }
        }
    }
    for (policy, rules) in coverage {
        let _ = writeln!(out, "coverage {policy}:");
        for (rule, seen) in rules {
            let shown: Vec<String> = STATUSES
                .iter()
                .map(|st| format!("{st} {}", seen.get(*st).copied().unwrap_or(0)))
                .collect();
            let gap = if seen.get("fail").is_none() {
                "  (never seen failing)"
            } else if seen.get("pass").is_none() {
                "  (never seen passing)"
            } else {
                ""
            };
            let _ = writeln!(out, "  {rule:<32} {}{gap}", shown.join(", "));
        }
    }
    let _ = writeln!(
        out,
        "{total} cases: {} passed, {failed} failed",
        total - failed
    );
    out
}
