//! Schema migrations with several replicas and across a rollback (docs/deploy.md#migrations):
//! replicas starting together migrate once under PostgreSQL's advisory lock, and a binary
//! one release back starts against a schema a newer release has already extended.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    reason = "test code"
)]

#[path = "support/server.rs"]
mod support;

use serde_json::json;
use support::{PgDb, Server, Spec, client, get, json, post_json, psql_query, root};

fn migrations_in_repo() -> usize {
    std::fs::read_dir(root().join("crates/proof-server/migrations/postgres"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "sql")
        })
        .count()
}

#[test]
fn replicas_starting_together_migrate_once() {
    let db = PgDb::create("mig_race");
    let url = db.url.clone();
    let servers: Vec<Server> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || Server::start(&Spec::new(&url)))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    for s in &servers {
        let (status, body) = get(&client(), &format!("{}/readyz", s.admin));
        assert_eq!(status, 200, "{body}");
    }
    let applied = psql_query(
        &db.name,
        "SELECT count(*), count(*) FILTER (WHERE success) FROM _sqlx_migrations",
    );
    let n = migrations_in_repo();
    assert_eq!(applied, format!("{n}|{n}"), "each migration applied once");
    // Every replica stored the shipped policies; each is there once.
    let dupes = psql_query(
        &db.name,
        "SELECT count(*) FROM (SELECT policy_id, version FROM policies GROUP BY 1, 2 HAVING count(*) > 1) d",
    );
    assert_eq!(dupes, "0");
}

/// A newer release added a column and recorded its migration; rolling back to this binary
/// must still start, read what the newer one wrote and write rows the newer one can read.
#[test]
fn a_rollback_starts_against_a_schema_one_release_ahead() {
    let db = PgDb::create("mig_rollback");
    let first = Server::start(&Spec::new(&db.url));
    let c = client();
    let policy = std::fs::read_to_string(root().join("policies/lksg.v1.yml")).unwrap();
    let (status, compiled) = post_json(
        &c,
        &format!("{}/policy/compile", first.api),
        &json!({"policy_yaml": policy}),
    );
    assert!(status == 200 || status == 201, "{compiled}");
    let policy_hash = json(&compiled)["policy_hash"].as_str().unwrap().to_owned();
    first.terminate();

    // What the next release's migration does: additive only (docs/deploy.md#migrations).
    psql_query(
        &db.name,
        "ALTER TABLE policies ADD COLUMN labels TEXT NOT NULL DEFAULT '{}'",
    );
    psql_query(
        &db.name,
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (209912310000, 'next release: policy labels', true, '\\x00', 1)",
    );
    let newer = psql_query(&db.name, "SELECT max(version) FROM _sqlx_migrations");
    assert_eq!(newer, "209912310000");

    let rolled_back = Server::start(&Spec::new(&db.url));
    let (status, body) = get(&c, &format!("{}/readyz", rolled_back.admin));
    assert_eq!(status, 200, "{body}");
    let (status, got) = get(
        &c,
        &format!("{}/policy/lksg.v1?hash={policy_hash}", rolled_back.api),
    );
    assert_eq!(status, 200, "{got}");
    let context = std::fs::read_to_string(root().join("examples/context_ok.json")).unwrap();
    let (status, report) = post_json(
        &c,
        &format!("{}/verify", rolled_back.api),
        &json!({"policy_id": "lksg.v1", "policy_hash": policy_hash, "context": serde_json::from_str::<serde_json::Value>(&context).unwrap()}),
    );
    assert_eq!(status, 200, "{report}");
    let (status, body) = post_json(
        &c,
        &format!("{}/policy/compile", rolled_back.api),
        &json!({"policy_yaml": "id: after.rollback\nversion: \"1\"\nlegal_basis: [{directive: LkSG, article: \"5\"}]\ninputs: {n: {type: number}}\nrules: [{id: r, op: eq, lhs: n, rhs: 1}]\n"}),
    );
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        psql_query(
            &db.name,
            "SELECT labels FROM policies WHERE policy_id = 'after.rollback'"
        ),
        "{}",
        "the newer release's column got its default"
    );
    let warned = rolled_back
        .wait_for_log(|l| l.contains("newer than this binary") && l.contains("209912310000"));
    assert!(warned.is_some(), "{:?}", rolled_back.log_lines());
}
