//! Following the store: read the version table (no bodies), load the bodies of versions
//! this replica has not parsed yet, check each against the root it was stored with, then
//! swap in the new snapshot. A failure leaves the snapshot in service as it was and is
//! retried at the next poll.

use super::ServedLists;
use crate::store::Store;
use proof_core::lists::{RefList, parse_list};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

impl ServedLists {
    /// Takes up what the store holds now. `Ok(true)` when versions new to this replica
    /// went into service (counted as `applied`).
    ///
    /// # Errors
    /// A message when the store cannot be read or a body does not give its stored root;
    /// the snapshot in service is unchanged.
    pub async fn refresh(&self, store: &Store) -> Result<bool, String> {
        let mut parsed = self.parsed.lock().await;
        let result = self.refresh_locked(store, &mut parsed).await;
        match &result {
            Ok(true) => self.metrics.updated("applied"),
            Ok(false) => {}
            Err(e) => {
                self.metrics.updated("failed");
                tracing::error!(error = %e, "list versions not taken up; the previous ones stay in service");
            }
        }
        result
    }

    async fn refresh_locked(
        &self,
        store: &Store,
        parsed: &mut BTreeMap<i64, Arc<RefList>>,
    ) -> Result<bool, String> {
        let versions = store.list_versions().await.map_err(|e| e.to_string())?;
        let now = OffsetDateTime::now_utc();
        let wanted = self.wanted(&versions, now);
        let before = self.snapshot();
        let mut new_version = false;
        for seq in &wanted {
            if parsed.contains_key(seq) {
                continue;
            }
            let Some(v) = versions.iter().find(|v| v.seq == *seq) else {
                continue;
            };
            let started = std::time::Instant::now();
            let body = store
                .list_body(*seq)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("list `{}` version `{}` has no body", v.name, v.version))?;
            let name = v.name.clone();
            let list = tokio::task::spawn_blocking(move || parse_list(&name, &body))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("list `{}` version `{}`: {e}", v.name, v.version))?;
            if list.root_hex() != v.root || list.name != v.name {
                return Err(format!(
                    "list `{}` version `{}` gives root {} named `{}`, but was stored with root {}",
                    v.name,
                    v.version,
                    list.root_hex(),
                    list.name,
                    v.root
                ));
            }
            tracing::info!(list = %v.name, version = %v.version, root = %v.root, leaves = list.len(), load_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX), "list version loaded");
            parsed.insert(*seq, Arc::new(list));
            new_version = true;
        }
        parsed.retain(|seq, _| wanted.binary_search(seq).is_ok());
        let (snapshot, complete) = self.build(&versions, parsed, now);
        if !complete {
            return Err("a wanted list version was not loaded".into());
        }
        let new_versions = before.versions != snapshot.versions;
        if new_version || new_versions || before.registry.len() != snapshot.registry.len() {
            self.swap(snapshot);
        }
        Ok(new_versions)
    }

    /// Refreshes every `lists.poll_interval_ms` until `stop` turns true.
    pub async fn run(self: Arc<Self>, store: Store, mut stop: tokio::sync::watch::Receiver<bool>) {
        let every = Duration::from_millis(self.settings.poll_interval_ms);
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            let _ = self.refresh(&store).await;
        }
    }
}
