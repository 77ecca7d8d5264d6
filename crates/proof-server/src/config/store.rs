//! The `store` section and [`Secret`], the wrapper that keeps its URL's password out of
//! logs.

use serde::Deserialize;

/// The policy store.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// `sqlite://PATH` (created if missing) or `postgres://USER@HOST:PORT/DB`.
    pub url: Secret,
    /// Pool size.
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
}

const fn default_max_connections() -> u32 {
    8
}

/// A value that must not appear in logs or `--check-config` output as is (it may carry a
/// password). `Debug` and [`Secret::redacted`] hide any password in a URL.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The value itself, for the one place that needs it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The value with a URL password replaced by `***`.
    #[must_use]
    pub fn redacted(&self) -> String {
        let s = &self.0;
        match (s.find("://"), s.rfind('@')) {
            (Some(scheme), Some(at)) if at > scheme => {
                let creds = s.get(scheme + 3..at).unwrap_or_default();
                match creds.split_once(':') {
                    Some((user, _)) => format!(
                        "{}{user}:***{}",
                        s.get(..scheme + 3).unwrap_or_default(),
                        s.get(at..).unwrap_or_default()
                    ),
                    None => s.clone(),
                }
            }
            _ => s.clone(),
        }
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl StoreSettings {
    pub(super) fn validate(&self, p: &mut Vec<String>) {
        let url = self.url.expose();
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            p.push(format!(
                "`store.url` must start with sqlite: or postgres://, got `{}`",
                self.url.redacted()
            ));
        }
        if self.max_connections == 0 {
            p.push("`store.max_connections` must be greater than 0".into());
        }
    }
}
