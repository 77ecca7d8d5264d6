//! The reference-list metrics: per served list its size, the age of the version served
//! and the configured maximum age (the alert compares the two), and the outcome of each
//! attempt to take up new versions from the store.

use super::{ResultLabel, count};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Gauge `{list}`: seconds since the served version was published.
pub const LIST_AGE: &str = "proof_list_age_seconds";
/// Gauge `{list}`: distinct leaves of the served version.
pub const LIST_ENTRIES: &str = "proof_list_entries";
/// Gauge `{list}`: `lists.max_age_s`, the age past which the list is stale.
pub const LIST_MAX_AGE: &str = "proof_list_max_age_seconds";
/// Counter `{result}` (applied, failed): takes of new list versions from the store.
pub const LIST_UPDATES: &str = "proof_list_updates";

/// `{list}`: a list name (bounded: the lists an operator publishes).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ListLabel {
    /// The list's name.
    pub list: String,
}

/// The list metric handles.
#[derive(Clone, Default)]
pub struct ListMetrics {
    age: Family<ListLabel, Gauge>,
    entries: Family<ListLabel, Gauge>,
    max_age: Family<ListLabel, Gauge>,
    updates: Family<ResultLabel, Counter>,
}

impl ListMetrics {
    /// Registers every list metric, the update results at zero.
    pub(super) fn register(r: &mut Registry) -> Self {
        let m = Self::default();
        for result in ["applied", "failed"] {
            let _ = m.updates.get_or_create(&ResultLabel { result });
        }
        r.register(
            LIST_AGE,
            "Seconds since the served version of each list was published (file lists: since the file changed)",
            m.age.clone(),
        );
        r.register(
            LIST_ENTRIES,
            "Distinct leaves of the served version of each list",
            m.entries.clone(),
        );
        r.register(
            LIST_MAX_AGE,
            "The configured maximum age of each list (lists.max_age_s)",
            m.max_age.clone(),
        );
        r.register(
            LIST_UPDATES,
            "Attempts to take up new list versions from the store, by result (failed: the previous versions stay in service)",
            m.updates.clone(),
        );
        m
    }

    /// Sets a served list's size and maximum age.
    pub fn served(&self, list: &str, entries: usize, max_age_s: u64) {
        let l = ListLabel {
            list: list.to_owned(),
        };
        self.entries
            .get_or_create(&l)
            .set(i64::try_from(entries).unwrap_or(i64::MAX));
        self.max_age
            .get_or_create(&l)
            .set(i64::try_from(max_age_s).unwrap_or(i64::MAX));
    }

    /// Sets a served list's age in seconds.
    pub fn age(&self, list: &str, seconds: i64) {
        self.age
            .get_or_create(&ListLabel {
                list: list.to_owned(),
            })
            .set(seconds);
    }

    /// Counts an update attempt (`applied` or `failed`).
    pub fn updated(&self, result: &'static str) {
        count(&self.updates, result);
    }
}
