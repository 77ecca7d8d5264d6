//! Shared application state: explicit, cloned into every handler, no globals.

use crate::cache::IrCache;
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::store::Store;
use proof_core::orchestrator::RuleSelector;
use std::sync::Arc;

/// What handlers share. Cloned for every request and middleware layer, so it is one
/// reference count: `AppState` derefs to [`Shared`].
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    /// Wraps the shared parts.
    #[must_use]
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
pub struct Shared {
    /// Settings in force.
    pub settings: Arc<Settings>,
    /// The policy store.
    pub store: Store,
    /// Compiled IRs.
    pub cache: IrCache,
    /// The reference lists in service.
    pub lists: Arc<crate::lists::ServedLists>,
    /// Metric handles.
    pub metrics: Metrics,
    /// The orchestrator's selector (from `adapt.*`).
    pub selector: Box<dyn RuleSelector + Send + Sync>,
    /// Bearer-token checks; `None` with `auth.mode: off`.
    pub auth: Option<Arc<crate::auth::Authenticator>>,
    /// Per-client and per-IP rate limits.
    pub rate_limits: crate::ratelimit::RateLimits,
    /// The receipt signing keys; `None` without `signing.key_file`.
    pub signing: Option<Arc<proof_evidence::keys::KeySet>>,
    /// The verification log receipts are appended to; with `signing` only.
    pub receipt_log: Option<Arc<crate::receipt_log::ReceiptLog>>,
}
