//! The `lists` section: how replicas follow the list versions in the store, how a context
//! that names a superseded version is treated, and the age past which a list counts as
//! stale (docs/lists-service.md).

use serde::Deserialize;

/// Reference lists served from the store.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ListSettings {
    /// How often a replica asks the store for new list versions, in milliseconds.
    pub poll_interval_ms: u64,
    /// How long after it was superseded a version is still evaluated, in seconds; after
    /// that a context naming it is refused (`list_superseded`). 0 refuses at once.
    pub superseded_grace_s: u64,
    /// What a verification against a superseded version within the grace period gives:
    /// `warn` (the verdict is at least WARN) or `pass` (the verdict stands). The report
    /// names the version either way.
    pub within_grace: WithinGrace,
    /// A list whose current version is older than this, in seconds, is stale
    /// (`proof_list_max_age_seconds`, alert ProofListStale).
    pub max_age_s: u64,
}

/// The effect of a superseded version within its grace period.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum WithinGrace {
    /// The verdict is raised to at least WARN.
    #[default]
    Warn,
    /// The verdict stands.
    Pass,
}

impl WithinGrace {
    /// `warn` or `pass`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Warn => "warn",
            Self::Pass => "pass",
        }
    }
}

impl Default for ListSettings {
    fn default() -> Self {
        Self {
            poll_interval_ms: 5_000,
            superseded_grace_s: 86_400,
            within_grace: WithinGrace::Warn,
            max_age_s: 172_800,
        }
    }
}

impl ListSettings {
    pub(super) fn validate(&self, p: &mut Vec<String>) {
        for (name, v) in [
            ("lists.poll_interval_ms", self.poll_interval_ms),
            ("lists.max_age_s", self.max_age_s),
        ] {
            if v == 0 {
                p.push(format!("`{name}` must be greater than 0"));
            }
        }
    }
}
