//! Name screening against the real UN and OFAC lists (`docs/benchmarks.md`, "Screening"):
//! the index build, one name (fuzzy, and the exact name-key lookup as the baseline in the
//! same run), and 100,000 suppliers on every core.
//!
//! The lists are read from `$PROOF_REAL_LISTS` (default: `shared/real-lists` beside an
//! ancestor of this crate) and imported as `proof lists import` does.
#![allow(
    missing_docs,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "benchmark"
)]

use criterion::{Criterion, criterion_group, criterion_main};
use proof_core::ids::{self, Scheme, name};
use proof_import::{Format, Input, Options, import, output};
use proof_screen::DEFAULT_THRESHOLD;
use proof_screen::index::Index;
use proof_screen::list::{self, ListFile};
use proof_screen::screen::{self, Source, Supplier};
use std::collections::HashSet;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn real(rel: &str) -> PathBuf {
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
    dir.join(rel)
}

fn imported(name: &str, format: Format, files: &[&str]) -> ListFile {
    let inputs: Vec<Input> = files
        .iter()
        .map(|f| {
            let p = real(f);
            Input {
                name: p.file_name().unwrap().to_string_lossy().into_owned(),
                bytes: std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
            }
        })
        .collect();
    let opts = Options {
        skip_invalid: true,
        ..Options::default()
    };
    let imp = import(format, &inputs, &opts).unwrap();
    let text = output::render(name, &imp).unwrap();
    list::read(&format!("{name}.csv"), &text).unwrap()
}

/// Supplier names: list names with one letter changed (every third), then ordinary names.
fn suppliers(lists: &[ListFile], n: usize) -> Vec<Supplier> {
    let listed: Vec<&str> = lists
        .iter()
        .flat_map(|l| {
            l.entries
                .iter()
                .flat_map(|e| e.names.iter().map(|x| x.text.as_str()))
        })
        .collect();
    let words = [
        "nordstern",
        "maschinenbau",
        "logistik",
        "mueller",
        "schmidt",
        "rhein",
        "textil",
        "packaging",
        "foods",
        "hamburg",
        "becker",
        "solar",
        "components",
        "weber",
    ];
    (0..n)
        .map(|i| {
            let name = if i % 3 == 0 {
                let mut s: Vec<char> = listed[i % listed.len()].chars().collect();
                let at = 1 + i % (s.len().max(2) - 1);
                if at < s.len() {
                    s[at] = 'x';
                }
                s.into_iter().collect()
            } else {
                format!(
                    "{} {} {} gmbh",
                    words[i % words.len()],
                    words[(i / 7) % words.len()],
                    words[(i / 49) % words.len()]
                )
            };
            Supplier {
                id: format!("S-{i}"),
                name,
                line: i as u64 + 2,
                country: None,
                ids: Vec::new(),
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let lists = vec![
        imported("un", Format::UnScXml, &["un-sc-xml/UN_consolidated.xml"]),
        imported(
            "ofac",
            Format::OfacSdnCsv,
            &[
                "ofac-sdn-csv/full-2019/sdn.csv",
                "ofac-sdn-csv/full-2019/alt.csv",
            ],
        ),
    ];
    let entries: usize = lists.iter().map(|l| l.entries.len()).sum();
    let index = Index::build(&lists);
    eprintln!(
        "{entries} entries, {} names, {} lookup keys",
        index.names.len(),
        index.key_count()
    );
    let probe = suppliers(&lists, 3_000);
    let mut g = c.benchmark_group("screen");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("index_build_un_ofac", |b| {
        b.iter(|| Index::build(black_box(&lists)))
    });
    let mut scratch = index.scratch();
    let mut i = 0;
    g.bench_function("one_name_fuzzy", |b| {
        b.iter(|| {
            i = (i + 1) % probe.len();
            screen::matches(
                &index,
                &lists,
                None,
                &probe[i],
                DEFAULT_THRESHOLD,
                &mut scratch,
            )
        });
    });
    // Baseline: the exact name-key lookup the verifier does on hashes.
    let keys: HashSet<[u8; 32]> = lists
        .iter()
        .flat_map(|l| l.entries.iter().flat_map(|e| e.names.iter()))
        .flat_map(|n| name::keys(&n.text).unwrap_or_default())
        .map(|k| ids::leaf(Scheme::Name, &k.text))
        .collect();
    let mut j = 0;
    g.bench_function("one_name_exact_keys_baseline", |b| {
        b.iter(|| {
            j = (j + 1) % probe.len();
            name::keys(&probe[j].name)
                .unwrap_or_default()
                .iter()
                .filter(|k| keys.contains(&ids::leaf(Scheme::Name, &k.text)))
                .count()
        });
    });
    g.finish();
    let many = suppliers(&lists, 100_000);
    let mut g = c.benchmark_group("screen_batch");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("suppliers_100k_all_cores", |b| {
        b.iter(|| {
            let s = screen::screen(
                Source {
                    file: "bench.csv".into(),
                    sha256: String::new(),
                    rows: many.len(),
                },
                &many,
                &lists,
                &index,
                &[],
                &screen::Options {
                    threshold: DEFAULT_THRESHOLD,
                    since: Vec::new(),
                },
            );
            black_box(s.counts.candidates)
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
