//! The sections about serving: listeners, shutdown, the IR cache, feature switches,
//! readiness and the orchestrator.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Orchestrator settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdaptSettings {
    /// `basic` (default costs) or `weighted` (costs from `weights_file`).
    pub selector: SelectorKind,
    /// Weights YAML (`weights: {rule_id: cost}`), required for `weighted`.
    pub weights_file: Option<PathBuf>,
}

/// Which selector.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SelectorKind {
    /// Predicates only, default costs.
    #[default]
    Basic,
    /// Costs from a weights file.
    Weighted,
}

/// A listener address; port 0 picks a free port (logged at startup).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    /// `host:port`.
    pub bind: SocketAddr,
}

/// Shutdown behaviour.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Shutdown {
    /// After SIGTERM/SIGINT, how long in-flight requests may take to finish.
    pub grace_ms: u64,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self { grace_ms: 10_000 }
    }
}

/// Compiled-IR cache.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CacheSettings {
    /// Most compiled policies kept in memory.
    pub capacity: usize,
    /// How long "the latest version of policy X" is remembered before asking the store
    /// again (a new version stored by another replica becomes visible within this time).
    pub latest_ttl_ms: u64,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            capacity: 256,
            latest_ttl_ms: 1_000,
        }
    }
}

/// Feature switches.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Features {
    /// Accept `{ir}` in `POST /verify` (hashes are recomputed).
    pub allow_embedded_ir: bool,
}

/// What `/readyz` requires.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Readiness {
    /// Not ready while no reference list is loaded.
    pub require_lists: bool,
}

impl Default for Readiness {
    fn default() -> Self {
        Self {
            require_lists: true,
        }
    }
}

impl CacheSettings {
    pub(super) fn validate(&self, p: &mut Vec<String>) {
        if self.capacity == 0 {
            p.push("`cache.capacity` must be greater than 0".into());
        }
    }
}

impl AdaptSettings {
    pub(super) fn validate(&self, p: &mut Vec<String>) {
        match (self.selector, &self.weights_file) {
            (SelectorKind::Weighted, None) => {
                p.push("`adapt.selector: weighted` needs `adapt.weights_file`".into())
            }
            (SelectorKind::Basic, Some(_)) => {
                p.push("`adapt.weights_file` applies only to `adapt.selector: weighted`".into())
            }
            _ => {}
        }
    }
}
