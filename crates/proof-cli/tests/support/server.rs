//! Test support: `proof serve` as a separate process on free ports, PostgreSQL databases
//! created and dropped per test, and an HTTP client.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support"
)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

static N: AtomicUsize = AtomicUsize::new(0);

/// A fresh temporary directory for this process and call.
pub fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "proof-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A running `proof serve`.
pub struct Server {
    child: Child,
    pub api: String,
    pub admin: String,
    pub logs: Arc<Mutex<Vec<String>>>,
    pub config: PathBuf,
}

/// What a server is started with: a config file's YAML and extra environment.
pub struct Spec {
    pub store_url: String,
    pub lists_dir: PathBuf,
    pub policy_dir: Option<PathBuf>,
    pub extra_yaml: String,
    pub env: Vec<(String, String)>,
    /// The server's open-file limit (set with `prlimit`), if not the test's own.
    pub open_files: Option<u64>,
    /// Whether the test keeps reading the server's stdout after `listening` (when not, the
    /// pipe fills up and the server's log writer can write no more).
    pub drain_stdout: bool,
}

impl Spec {
    pub fn new(store_url: &str) -> Self {
        Self {
            store_url: store_url.into(),
            lists_dir: root().join("lists"),
            policy_dir: Some(root().join("policies")),
            extra_yaml: String::new(),
            env: Vec::new(),
            open_files: None,
            drain_stdout: true,
        }
    }
    pub fn stop_reading_stdout(mut self) -> Self {
        self.drain_stdout = false;
        self
    }
    pub fn open_files(mut self, n: u64) -> Self {
        self.open_files = Some(n);
        self
    }
    pub fn lists(mut self, dir: PathBuf) -> Self {
        self.lists_dir = dir;
        self
    }
    pub fn yaml(mut self, extra: &str) -> Self {
        self.extra_yaml.push_str(extra);
        self.extra_yaml.push('\n');
        self
    }
    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }
}

pub fn sqlite_url(tag: &str) -> String {
    format!("sqlite://{}/proof.db", tmpdir(tag).display())
}

impl Server {
    pub fn start(spec: &Spec) -> Self {
        let dir = tmpdir("srv");
        let config = dir.join("server.yaml");
        let policy = spec
            .policy_dir
            .as_ref()
            .map_or(String::new(), |p| format!("policy_dir: {}\n", p.display()));
        // Authentication is off unless the test configures it (tests of auth do).
        let configures_auth = spec.extra_yaml.lines().any(|l| l.starts_with("auth"))
            || spec.env.iter().any(|(k, _)| k.starts_with("PROOF_AUTH"));
        let auth = if configures_auth {
            ""
        } else {
            "auth: {mode: off}\n"
        };
        let yaml = format!(
            "api: {{bind: 127.0.0.1:0}}\nadmin: {{bind: 127.0.0.1:0}}\nstore: {{url: \"{}\"}}\nlists_dir: {}\n{policy}{auth}{}",
            spec.store_url,
            spec.lists_dir.display(),
            spec.extra_yaml
        );
        std::fs::write(&config, yaml).unwrap();
        Self::spawn(&config, &[], &spec.env, spec.open_files, spec.drain_stdout)
    }

    pub fn start_with_config(config: &Path, env: &[(String, String)]) -> Self {
        Self::start_with_args(config, &[], env)
    }

    /// `proof serve --config CONFIG ARGS...`.
    pub fn start_with_args(config: &Path, args: &[&str], env: &[(String, String)]) -> Self {
        Self::spawn(config, args, env, None, true)
    }

    fn spawn(
        config: &Path,
        args: &[&str],
        env: &[(String, String)],
        open_files: Option<u64>,
        drain_stdout: bool,
    ) -> Self {
        let mut cmd = match open_files {
            // prlimit sets the limit and then executes the server in its place.
            Some(n) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--nofile={n}:{n}"))
                    .arg("--")
                    .arg(env!("CARGO_BIN_EXE_proof"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_proof")),
        };
        cmd.args(["serve", "--config"])
            .arg(config)
            .args(args)
            .current_dir(root())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = Arc::clone(&logs);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let parsed = serde_json::from_str::<serde_json::Value>(&line).ok();
                let listening = parsed.as_ref().is_some_and(|v| v["message"] == "listening");
                if let Some(v) = parsed.filter(|_| listening) {
                    let api = format!(
                        "{}://{}",
                        v["scheme"].as_str().unwrap_or("http"),
                        v["api"].as_str().unwrap_or("")
                    );
                    let _ = tx.send((api, v["admin"].as_str().unwrap_or("").to_owned()));
                }
                sink.lock().unwrap().push(line);
                if listening && !drain_stdout {
                    // Keep the pipe open, unread, for as long as the test runs.
                    loop {
                        std::thread::park();
                    }
                }
            }
        });
        let (api, admin) = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                let out = child.wait_with_output().unwrap();
                panic!(
                    "server did not start: {}\nstdout: {:?}",
                    String::from_utf8_lossy(&out.stderr),
                    logs.lock().unwrap()
                );
            }
        };
        Self {
            child,
            api,
            admin: format!("http://{admin}"),
            logs,
            config: config.to_path_buf(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, no cleanup.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM; returns how long the process took to exit and its exit status.
    pub fn terminate(mut self) -> (Duration, std::process::ExitStatus) {
        let start = Instant::now();
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        (start.elapsed(), status)
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.logs.lock().unwrap().clone()
    }

    /// The first log line matching `pred`, waiting up to 10 s for the reader thread (log
    /// lines are read from the server's stdout asynchronously).
    pub fn wait_for_log(&self, pred: impl Fn(&str) -> bool) -> Option<String> {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Some(l) = self.logs.lock().unwrap().iter().find(|l| pred(l)) {
                return Some(l.clone());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A PostgreSQL database that exists for the life of the value.
pub struct PgDb {
    pub name: String,
    pub url: String,
}

fn psql(sql: &str) {
    let out = Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            "5432",
            "-U",
            "postgres",
            "-d",
            "test",
            "-v",
            "ON_ERROR_STOP=1",
            "-qAtc",
            sql,
        ])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn psql_query(db: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qAtc", sql])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

impl PgDb {
    pub fn create(tag: &str) -> Self {
        let name = format!(
            "proof_{tag}_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        psql(&format!("CREATE DATABASE {name}"));
        let url = format!("postgres://postgres@127.0.0.1:5432/{name}");
        Self { name, url }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "test",
                "-qAtc",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

pub fn post_json(
    c: &reqwest::blocking::Client,
    url: &str,
    body: &serde_json::Value,
) -> (u16, String) {
    let r = c
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().unwrap())
}

pub fn get(c: &reqwest::blocking::Client, url: &str) -> (u16, String) {
    let r = c.get(url).send().unwrap();
    let status = r.status().as_u16();
    (status, r.text().unwrap())
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The value of one sample line in a Prometheus scrape, e.g. `proof_verify_total{verdict="OK"}`.
pub fn metric(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|r| r.strip_prefix(' '))
                .and_then(|v| v.trim().parse().ok())
        })
        .unwrap_or(0.0)
}
