//! Layering: defaults < `--dev` profile < YAML file < auth file < `PROOF_*` variables.

use super::{ConfigError, LEAVES, LIST_LEAVES, REQUIRED, Settings, env_name};
use serde_json::{Map, Value, json};

/// The `--dev` profile: embedded defaults for a local run.
#[must_use]
pub fn dev_profile() -> Value {
    json!({
        "api": {"bind": "127.0.0.1:8080"},
        "admin": {"bind": "127.0.0.1:9464"},
        "store": {"url": "sqlite://data/proof.db"},
        "policy_dir": "policies",
        "lists_dir": "lists",
        "features": {"allow_embedded_ir": true},
        "log": {"format": "text"},
        "auth": {"mode": "off"},
    })
}

/// Builds settings from the layers. `file` is the YAML text of `--config`, if given;
/// `env` yields `(name, value)` pairs (normally `std::env::vars()`).
///
/// # Errors
/// [`ConfigError`] listing every problem: unreadable YAML, unknown keys, wrong types,
/// missing required settings.
pub fn load(
    dev: bool,
    file: Option<(&str, &str)>,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Settings, ConfigError> {
    let mut merged = if dev {
        dev_profile()
    } else {
        Value::Object(Map::new())
    };
    let mut problems = Vec::new();
    if let Some((name, text)) = file {
        match serde_saphyr::from_str::<Value>(text) {
            Ok(Value::Object(m)) => merge(&mut merged, Value::Object(m)),
            Ok(Value::Null) => {}
            Ok(_) => problems.push(format!("{name}: the configuration must be a mapping")),
            Err(e) => problems.push(format!(
                "{name}: {}",
                e.to_string().lines().next().unwrap_or("malformed YAML")
            )),
        }
    }
    let env: Vec<(String, String)> = env.into_iter().collect();
    let auth_file = env
        .iter()
        .find(|(k, _)| k == "PROOF_AUTH_FILE")
        .map(|(_, v)| Value::String(v.clone()))
        .or_else(|| merged.get("auth_file").cloned());
    if let Some(Value::String(path)) = auth_file {
        match std::fs::read_to_string(&path) {
            Err(e) => problems.push(format!("auth_file `{path}`: {e}")),
            Ok(text) => match serde_saphyr::from_str::<Value>(&text) {
                Ok(Value::Object(m)) => {
                    let mut wrapped = Map::new();
                    wrapped.insert("auth".into(), Value::Object(m));
                    merge(&mut merged, Value::Object(wrapped));
                }
                Ok(Value::Null) => {}
                Ok(_) => problems.push(format!("auth_file `{path}`: must be a mapping")),
                Err(e) => problems.push(format!(
                    "auth_file `{path}`: {}",
                    e.to_string().lines().next().unwrap_or("malformed YAML")
                )),
            },
        }
    }
    for (k, v) in env {
        if let Some(path) = LEAVES.iter().find(|p| env_name(p) == k) {
            let value = if LIST_LEAVES.contains(path) {
                Value::Array(
                    v.split(',')
                        .map(str::trim)
                        .filter(|x| !x.is_empty())
                        .map(|x| Value::String(x.to_owned()))
                        .collect(),
                )
            } else {
                env_value(&v)
            };
            set_path(&mut merged, path, value);
        }
    }
    for r in REQUIRED {
        if get_path(&merged, r).is_none_or(Value::is_null) {
            problems.push(format!(
                "`{r}` is required (set it in the config file or as {})",
                env_name(r)
            ));
        }
    }
    if !problems.is_empty() {
        return Err(ConfigError(problems));
    }
    let mut s: Settings =
        serde_json::from_value(merged).map_err(|e| ConfigError(vec![e.to_string()]))?;
    s.dev = dev;
    Ok(s)
}

/// Environment values are JSON scalars when they parse as such (`8`, `true`), else strings.
fn env_value(v: &str) -> Value {
    match serde_json::from_str::<Value>(v) {
        Ok(x @ (Value::Number(_) | Value::Bool(_))) => x,
        _ => Value::String(v.to_owned()),
    }
}

fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

fn set_path(root: &mut Value, path: &str, v: Value) {
    let mut cur = root;
    let mut parts = path.split('.').peekable();
    while let Some(part) = parts.next() {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        let Value::Object(m) = cur else { return };
        if parts.peek().is_none() {
            m.insert(part.to_owned(), v);
            return;
        }
        cur = m
            .entry(part.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

fn get_path<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(root, |v, p| v.get(p))
}
