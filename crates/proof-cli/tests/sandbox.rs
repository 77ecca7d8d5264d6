//! The monitoring sandbox, end to end: `proof serve` with TLS and OAuth2 (a real IdP), a real
//! Prometheus (Debian's `prometheus`, installed by `.ci/run`) scraping it every second with
//! the alert rules loaded (their `for:` shortened), and `scripts/demo-traffic.py`. Then every
//! expression of every dashboard panel is queried through Prometheus's HTTP API and must
//! return data, every rule must evaluate without error and every metric the alerts use must
//! have samples; finally the IdP is stopped past `max_stale_s`, the 503 burst that follows
//! must drive ProofAuthUnavailable and ProofHighErrorRate to pending or firing, and a
//! maximum list age of 1 s must drive ProofListStale there.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "integration tests"
)]

#[path = "support/server.rs"]
mod support;

#[path = "support/idp.rs"]
mod idp;

#[path = "support/pki.rs"]
mod pki;

use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{Server, Spec, root};

struct Prometheus {
    child: Child,
    url: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `alerts.yaml` with every `for:` shortened to 2 s, for a sandbox that cannot wait minutes.
fn sandbox_rules() -> String {
    let text = std::fs::read_to_string(root().join("deploy/prometheus/alerts.yaml")).unwrap();
    text.lines()
        .map(|l| match l.trim_start().strip_prefix("for: ") {
            Some(_) => format!("{}for: 2s", &l[..l.len() - l.trim_start().len()]),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn start_prometheus(dir: &Path, admin: &str) -> Prometheus {
    std::fs::write(dir.join("rules.yaml"), sandbox_rules()).unwrap();
    let target = admin.trim_start_matches("http://");
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\nrule_files: [rules.yaml]\nscrape_configs:\n  - job_name: proof\n    static_configs: [{{targets: [\"{target}\"]}}]\n"
        ),
    )
    .unwrap();
    let port = idp::free_port();
    let child = Command::new("prometheus")
        .arg(format!(
            "--config.file={}",
            dir.join("prometheus.yml").display()
        ))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("tsdb").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus is installed (.ci/run installs Debian's prometheus package)");
    let p = Prometheus {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    wait("Prometheus ready", Duration::from_secs(30), || {
        reqwest::blocking::get(format!("{}/-/ready", p.url)).is_ok_and(|r| r.status().is_success())
    });
    p
}

fn wait(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn query(p: &Prometheus, expr: &str) -> Value {
    let r = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/query", p.url))
        .form(&[("query", expr)])
        .send()
        .unwrap();
    let v: Value = r.json().unwrap();
    assert_eq!(v["status"], "success", "{expr}: {v}");
    v["data"]["result"].clone()
}

/// A dashboard expression as Grafana would send it.
fn grafana(expr: &str) -> String {
    expr.replace("$__rate_interval", "15s")
        .replace("$__range", "5m")
}

fn dashboard_exprs() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for name in ["proof-overview.json", "proof-slo.json"] {
        let d: Value = serde_json::from_str(
            &std::fs::read_to_string(root().join("deploy/grafana/dashboards").join(name)).unwrap(),
        )
        .unwrap();
        for p in d["panels"].as_array().unwrap() {
            for t in p["targets"].as_array().unwrap() {
                out.push((
                    format!("{name}: {}", p["title"].as_str().unwrap()),
                    t["expr"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    out
}

fn alert_state(p: &Prometheus, name: &str) -> Option<String> {
    let v: Value = reqwest::blocking::get(format!("{}/api/v1/alerts", p.url))
        .unwrap()
        .json()
        .unwrap();
    v["data"]["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["labels"]["alertname"] == name)
        .map(|a| a["state"].as_str().unwrap().to_owned())
}

#[test]
fn dashboards_and_alerts_work_against_a_live_prometheus_under_demo_traffic() {
    let key = idp::SigningKey::new("k1", "RS256");
    let mut idp = idp::Idp::start(&[&key]);
    let dir = support::tmpdir("sandbox");
    let ca = pki::Ca::new("sandbox CA");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let (cert, key_file) = ca.server().write(&dir, "server");
    let (ccert, ckey) = ca.client("spiffe://proof.test/demo").write(&dir, "client");
    // A signing key, so that demo traffic asks for receipts and the log panels have data.
    let signing = dir.join("signing.pem");
    std::fs::write(
        &signing,
        proof_evidence::keys::SigningKey::generate().unwrap().1,
    )
    .unwrap();
    let s = Server::start(&Spec::new(&support::sqlite_url("sandbox")).yaml(&format!(
        "signing: {{key_file: {}}}\nlists: {{max_age_s: 1}}\ntls: {{cert_file: {}, key_file: {}, client_auth: optional, client_ca_file: {}}}\nauth:\n  mode: oauth2\n  issuer: {}\n  audience: {}\n  jwks: {{ttl_s: 1, max_stale_s: 3, refetch_interval_s: 1, retries: 0, timeout_ms: 500}}\n",
        signing.display(),
        cert.display(),
        key_file.display(),
        ca_file.display(),
        idp.issuer,
        idp::AUDIENCE
    )));
    let prom = start_prometheus(&dir, &s.admin);
    wait("the first scrape", Duration::from_secs(30), || {
        !query(&prom, r#"up{job="proof"} == 1"#)
            .as_array()
            .unwrap()
            .is_empty()
    });

    // Demo traffic, with and without a client certificate.
    for extra in [
        vec![],
        vec![
            "--cert",
            ccert.to_str().unwrap(),
            "--key",
            ckey.to_str().unwrap(),
        ],
    ] {
        let out = Command::new("python3")
            .arg(root().join("scripts/demo-traffic.py"))
            .args([
                "--server",
                &s.api,
                "--admin",
                &s.admin,
                "--cacert",
                ca_file.to_str().unwrap(),
            ])
            .args([
                "--token-url",
                &idp.token_url(),
                "--client-id",
                "svc-rs",
                "--rounds",
                "4",
            ])
            .args(&extra)
            .env("PROOF_CLIENT_SECRET", "svc-rs-secret")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let counts: Value = serde_json::from_slice(&out.stdout).unwrap();
        for status in ["200", "400", "401", "403", "404", "422"] {
            assert!(
                counts[status].as_u64().unwrap_or(0) > 0,
                "no {status} in {counts}"
            );
        }
    }

    // Force a condition: the IdP goes away past max_stale_s, so requests fail closed (503).
    idp.stop();
    std::thread::sleep(Duration::from_secs(4));
    let client = reqwest::blocking::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap()])
        .build()
        .unwrap();
    let token = {
        idp.restart(&[&key]);
        let t = idp.token("svc-rs", "policy:read");
        idp.stop();
        t
    };
    let mut states = (None, None);
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        for _ in 0..20 {
            let st = client
                .get(format!("{}/lists", s.api))
                .bearer_auth(&token)
                .send()
                .unwrap()
                .status()
                .as_u16();
            assert_eq!(st, 503);
        }
        states = (
            alert_state(&prom, "ProofAuthUnavailable"),
            alert_state(&prom, "ProofHighErrorRate"),
        );
        if states.0.is_some() && states.1.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    for (name, st) in [
        ("ProofAuthUnavailable", &states.0),
        ("ProofHighErrorRate", &states.1),
    ] {
        assert!(
            matches!(st.as_deref(), Some("pending" | "firing")),
            "{name} is {st:?} after the 503 burst"
        );
    }
    // With lists.max_age_s at 1 s every shipped list is stale at once.
    wait(
        "ProofListStale pending or firing",
        Duration::from_secs(30),
        || {
            matches!(
                alert_state(&prom, "ProofListStale").as_deref(),
                Some("pending" | "firing")
            )
        },
    );
    std::thread::sleep(Duration::from_secs(2)); // a few more scrapes and evaluations

    // Every dashboard expression returns data.
    let exprs = dashboard_exprs();
    assert!(exprs.len() >= 20, "{}", exprs.len());
    let mut empty = Vec::new();
    for (panel, expr) in &exprs {
        if query(&prom, &grafana(expr)).as_array().unwrap().is_empty() {
            empty.push(format!("{panel}: {expr}"));
        }
    }
    assert!(
        empty.is_empty(),
        "panels without data:\n{}",
        empty.join("\n")
    );
    // The demo traffic's receipts reached the verification log.
    let issued = query(&prom, r#"sum(proof_receipts_total{result="issued"})"#);
    let n: f64 = issued[0]["value"][1].as_str().unwrap().parse().unwrap();
    assert!(n >= 8.0, "receipts issued: {issued}");
    let entries = query(&prom, "max(proof_log_entries)");
    let e: f64 = entries[0]["value"][1].as_str().unwrap().parse().unwrap();
    assert!(e >= n, "log entries {e} for {n} receipts");

    // Every rule evaluates without error, and every metric the alerts use has samples.
    let rules: Value = reqwest::blocking::get(format!("{}/api/v1/rules", prom.url))
        .unwrap()
        .json()
        .unwrap();
    let mut n = 0;
    for g in rules["data"]["groups"].as_array().unwrap() {
        for r in g["rules"].as_array().unwrap() {
            assert_eq!(r["health"], "ok", "{r}");
            n += 1;
        }
    }
    assert!(n >= 20, "{n} rules loaded");
    let alerts_text =
        std::fs::read_to_string(root().join("deploy/prometheus/alerts.yaml")).unwrap();
    let mut names: Vec<String> = Vec::new();
    for word in alerts_text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':')) {
        if word.starts_with("proof_") && !names.contains(&word.to_owned()) {
            names.push(word.to_owned());
        }
    }
    for name in &names {
        assert!(
            !query(&prom, &format!("count({name})"))
                .as_array()
                .unwrap()
                .is_empty(),
            "{name} has no samples"
        );
    }
}
