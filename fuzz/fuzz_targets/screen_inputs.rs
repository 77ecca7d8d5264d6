//! Arbitrary bytes as the screening's inputs: a list file (`list::read`), a clearances
//! file (`clearance::read`) and a name (`text::tokens`, and a screening of that name
//! against the list when the list reads). Must never panic; tokens are lower-case ASCII
//! letters and digits; scores lie in [0, 1] and are the same when screened twice.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proof_screen::index::Index;
use proof_screen::screen::{self, Supplier};
use proof_screen::text::{self, Subject};
use proof_screen::{clearance, list};

/// A list with a few real-looking designations for names that are not a list.
const LIST: &str = "# name: t\nscheme,value,key,designation,source,subject\n\
    name,al qaida,full,un:QDe.004,FIRST_NAME..FOURTH_NAME,\n\
    name,korea mining development trading corporation,full,un:KPe.001,FIRST_NAME..FOURTH_NAME,\n\
    name,eric badege,full,un:CDi.001,FIRST_NAME..FOURTH_NAME,\n\
    un,QDe.004,,un:QDe.004,id,organisation\n\
    un,KPe.001,,un:KPe.001,id,organisation\n\
    un,CDi.001,,un:CDi.001,id,person\n";

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let _ = clearance::read("c.yaml", input);
    for subject in [Subject::Person, Subject::Organisation, Subject::Unknown] {
        let t = text::tokens(input, subject);
        for tok in t.tokens.iter().chain(&t.folded) {
            assert!(!tok.is_empty(), "empty token of {input:?}");
            assert!(
                tok.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()),
                "token {tok:?} of {input:?}"
            );
        }
    }
    let listed = list::read("t.csv", input).ok();
    let lists = vec![listed.unwrap_or_else(|| list::read("t.csv", LIST).expect("the fixed list reads"))];
    let index = Index::build(&lists);
    let s = Supplier {
        id: "S".into(),
        name: input.chars().take(200).collect(),
        line: 2,
        country: None,
        ids: Vec::new(),
    };
    let mut scratch = index.scratch();
    let once = screen::matches(&index, &lists, None, &s, 0.0, &mut scratch);
    let twice = screen::matches(&index, &lists, None, &s, 0.0, &mut scratch);
    assert_eq!(once.len(), twice.len());
    for (a, b) in once.iter().zip(&twice) {
        assert!((0.0..=1.0).contains(&a.scored.score), "{}", a.scored.score);
        assert_eq!(a.scored, b.scored);
    }
});
