//! Monitoring contracts: the `/metrics` scrape of a real `proof serve` passes
//! `promtool check metrics`, and every metric the alert rules (and dashboards, when present)
//! use is exported. `promtool` comes from Debian's `prometheus` package, which `.ci/run`
//! installs; `promtool check/test rules` run there too.
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

use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::{Command, Stdio};
use support::{Server, Spec, client, get, root};

/// Metric names (`proof_...`, `adapt_...`) in a text, as families: `_total`, `_bucket`,
/// `_count` and `_sum` suffixes dropped.
fn used_names(text: &str) -> BTreeSet<String> {
    let mut out = names_with(text, "proof_");
    out.extend(names_with(text, "adapt_"));
    out
}

fn names_with(text: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(pos) = text[i..].find(prefix) {
        let start = i + pos;
        // Not part of a longer identifier or a recording rule name (`proof:...`).
        let prev_ok = start == 0
            || !(bytes[start - 1].is_ascii_alphanumeric()
                || bytes[start - 1] == b'_'
                || bytes[start - 1] == b':');
        let end = text[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(text.len(), |e| start + e);
        if prev_ok {
            let mut name = &text[start..end];
            for suffix in ["_total", "_bucket", "_count", "_sum"] {
                if let Some(n) = name.strip_suffix(suffix) {
                    name = n;
                    break;
                }
            }
            out.insert(name.to_owned());
        }
        i = end;
    }
    out
}

fn exported(scrape: &str) -> BTreeSet<String> {
    scrape
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .flat_map(used_names)
        .collect()
}

#[test]
fn the_scrape_passes_promtool_and_exports_every_metric_rules_and_dashboards_use() {
    // The service with everything on: TLS with client certificates, OAuth2 against the real
    // test IdP, so that every metric family exists.
    let key = idp::SigningKey::new("k1", "RS256");
    let idp = idp::Idp::start(&[&key]);
    let dir = support::tmpdir("monpki");
    let ca = pki::Ca::new("monitoring CA");
    std::fs::write(dir.join("ca.pem"), &ca.pem).unwrap();
    let (cert, key_file) = ca.server().write(&dir, "server");
    let client_leaf = ca.client("spiffe://proof.test/mon");
    let s = Server::start(&Spec::new(&support::sqlite_url("mon")).yaml(&format!(
        "tls: {{cert_file: {}, key_file: {}, client_auth: optional, client_ca_file: {}}}\n{}",
        cert.display(),
        key_file.display(),
        dir.join("ca.pem").display(),
        idp.auth_yaml("")
    )));
    let c = reqwest::blocking::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap()])
        .identity(reqwest::Identity::from_pem(client_leaf.identity_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    let token = idp.token("svc-rs", "verify:run policy:compile policy:read");
    let call = |path: &str, body: Option<&serde_json::Value>, token: &str| {
        let url = format!("{}{path}", s.api);
        let r = match body {
            Some(b) => c
                .post(&url)
                .header("content-type", "application/json")
                .body(b.to_string()),
            None => c.get(&url),
        };
        r.bearer_auth(token).send().unwrap().status().as_u16()
    };
    let ctx: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("examples/context_ok.json")).unwrap(),
    )
    .unwrap();
    let verify = serde_json::json!({"policy_id": "lksg.v1", "context": ctx});
    for _ in 0..3 {
        assert_eq!(call("/verify", Some(&verify), &token), 200);
    }
    assert_eq!(call("/proof/adapt", Some(&verify), &token), 200);
    let yaml = std::fs::read_to_string(root().join("policies/lksg.v1.yml")).unwrap();
    assert_eq!(
        call(
            "/policy/compile",
            Some(&serde_json::json!({"policy_yaml": yaml})),
            &token
        ),
        200
    );
    assert_eq!(call("/lists", None, "not-a-token"), 401);
    let (_, scrape) = get(&client(), &format!("{}/metrics", s.admin));

    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool is installed (.ci/run installs Debian's prometheus package)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let have = exported(&scrape);
    let mut sources = vec![root().join("deploy/prometheus/alerts.yaml")];
    if let Ok(dir) = std::fs::read_dir(root().join("deploy/grafana/dashboards")) {
        sources.extend(dir.filter_map(Result::ok).map(|e| e.path()));
    }
    let mut checked = 0;
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for name in used_names(&text) {
            assert!(
                have.contains(&name),
                "{} uses `{name}`, which /metrics does not export; exported: {have:?}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 6, "only {checked} names found in the rules");

    // docs/metrics.md describes every exported family.
    let doc = std::fs::read_to_string(root().join("docs/metrics.md")).unwrap();
    for name in &have {
        assert!(
            doc.contains(&format!("`{name}")),
            "docs/metrics.md does not describe `{name}`"
        );
    }
}

#[test]
fn every_alert_has_severity_summary_description_and_an_existing_runbook() {
    let text = std::fs::read_to_string(root().join("deploy/prometheus/alerts.yaml")).unwrap();
    let alerts = text.matches("- alert: ").count();
    assert!(alerts >= 10, "{alerts}");
    for key in ["severity: ", "summary: ", "description: ", "runbook_url: "] {
        assert_eq!(text.matches(key).count(), alerts, "every alert has `{key}`");
    }
    let mut alert = "";
    for line in text.lines() {
        if let Some(a) = line.trim().strip_prefix("- alert: ") {
            alert = a;
        }
        if let Some(url) = line.trim().strip_prefix("runbook_url: ") {
            assert_eq!(
                url,
                format!("docs/runbooks/{alert}.md"),
                "one runbook per alert"
            );
            assert!(root().join(url).is_file(), "runbook {url} does not exist");
        }
    }
}

#[test]
fn name_extraction_reads_rule_expressions() {
    let names = used_names(
        r#"sum(rate(proof_http_requests_total{status=~"5.."}[5m])) / proof:api_requests:rate5m
           histogram_quantile(0.95, rate(proof_http_request_duration_seconds_bucket[5m])) up{job="proof"}"#,
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        ["proof_http_request_duration_seconds", "proof_http_requests"]
    );
}

#[test]
fn dashboards_are_valid_with_unique_panel_ids_and_a_datasource_variable() {
    let dir = root().join("deploy/grafana/dashboards");
    let mut seen = 0;
    for name in ["proof-overview.json", "proof-slo.json"] {
        let d: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap())
                .unwrap_or_else(|e| panic!("{name} is not JSON: {e}"));
        let vars = d["templating"]["list"].as_array().unwrap();
        assert!(
            vars.iter().any(|v| v["name"] == "datasource"
                && v["type"] == "datasource"
                && v["query"] == "prometheus"),
            "{name}: no datasource variable"
        );
        let mut ids = BTreeSet::new();
        for p in d["panels"].as_array().unwrap() {
            assert!(
                ids.insert(p["id"].as_u64().unwrap()),
                "{name}: duplicate panel id {}",
                p["id"]
            );
            assert_eq!(
                p["datasource"]["uid"], "${datasource}",
                "{name}: {}",
                p["title"]
            );
            let targets = p["targets"].as_array().unwrap();
            assert!(!targets.is_empty(), "{name}: {} has no query", p["title"]);
            for t in targets {
                assert_eq!(t["datasource"]["uid"], "${datasource}");
                assert!(!t["expr"].as_str().unwrap().is_empty());
                // Only labels the scrape produces: no job/instance/namespace filters.
                let e = t["expr"].as_str().unwrap();
                assert!(
                    !e.contains("job=") && !e.contains("namespace="),
                    "{name}: {e}"
                );
            }
            seen += 1;
        }
    }
    assert!(seen >= 20, "{seen} panels");
    // Stat panels for the three verdicts, coloured by threshold.
    let o: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("proof-overview.json")).unwrap())
            .unwrap();
    for v in ["OK", "WARN", "FAIL"] {
        let p = o["panels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["title"] == format!("{v} verdicts"))
            .unwrap_or_else(|| panic!("no {v} panel"));
        assert_eq!(p["type"], "stat");
        assert!(
            p["targets"][0]["expr"]
                .as_str()
                .unwrap()
                .contains(&format!("verdict=\"{v}\""))
        );
        assert!(
            !p["fieldConfig"]["defaults"]["thresholds"]["steps"]
                .as_array()
                .unwrap()
                .is_empty()
        );
    }
}

#[test]
fn relative_links_in_the_docs_resolve() {
    let mut files = vec![root().join("README.md")];
    let mut dirs = vec![root().join("docs")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                files.push(p);
            }
        }
    }
    let mut broken = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for part in text.split("](").skip(1) {
            let Some(target) = part.split(')').next() else {
                continue;
            };
            let path = target.split('#').next().unwrap_or_default();
            if path.is_empty() || path.contains("://") || path.contains(' ') {
                continue;
            }
            if !f.parent().unwrap().join(path).exists() {
                broken.push(format!("{}: {target}", f.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

/// Every counter series whose label values are known at start, as `/metrics` must show it
/// on a fresh replica (at 0), so that `rate()` and `absent()` work before the first event.
const KNOWN_SERIES: &[(&str, &str, &[&str])] = &[
    (
        "proof_verify_total",
        "verdict",
        &["OK", "WARN", "FAIL", "error"],
    ),
    (
        "proof_compile_total",
        "result",
        &["ok", "invalid", "conflict", "error"],
    ),
    ("proof_cache_requests_total", "result", &["hit", "miss"]),
    (
        "proof_auth_requests_total",
        "result",
        &["ok", "invalid_token", "insufficient_scope", "unavailable"],
    ),
    (
        "proof_jwks_refresh_total",
        "result",
        &["ok", "error", "retry"],
    ),
    (
        "proof_tls_handshakes_total",
        "result",
        &["ok", "error", "timeout"],
    ),
    ("proof_tls_reloads_total", "result", &["ok", "error"]),
    (
        "proof_tls_client_auth_total",
        "result",
        &[
            "ok",
            "none",
            "missing",
            "untrusted",
            "expired",
            "revoked",
            "san_denied",
            "rejected",
        ],
    ),
    ("proof_rate_limited_total", "kind", &["client", "ip"]),
    ("adapt_plans_total", "selector", &["basic", "weighted"]),
];

/// The same for the connection counters, per listener.
const CONNECTION_SERIES: &[(&str, &[&str])] = &[
    (
        "proof_connections_refused_total",
        &["listener_full", "peer_full"],
    ),
    (
        "proof_connections_timed_out_total",
        &["header_timeout", "idle_timeout"],
    ),
];

#[test]
fn a_fresh_server_exports_every_known_counter_series_at_zero() {
    let s = Server::start(&Spec::new(&support::sqlite_url("fresh")));
    let (status, scrape) = get(&client(), &format!("{}/metrics", s.admin));
    assert_eq!(status, 200);
    for (name, label, values) in KNOWN_SERIES {
        for v in *values {
            let series = format!("{name}{{{label}=\"{v}\"}} 0");
            assert!(
                scrape.lines().any(|l| l == series),
                "a fresh scrape lacks `{series}`:\n{scrape}"
            );
        }
    }
    for (name, reasons) in CONNECTION_SERIES {
        for listener in ["api", "admin"] {
            for r in *reasons {
                let series = format!("{name}{{listener=\"{listener}\",reason=\"{r}\"}} 0");
                assert!(scrape.lines().any(|l| l == series), "lacks `{series}`");
            }
        }
    }
    for counter in [
        "proof_log_lines_dropped_total 0",
        "adapt_selected_rules_total 0",
        "adapt_selection_failures_total 0",
        "proof_store_errors_total 0",
    ] {
        assert!(scrape.lines().any(|l| l == counter), "lacks `{counter}`");
    }
}
