//! Shared application state: explicit, cloned into every handler, no globals.

use crate::cache::IrCache;
use crate::config::Settings;
use crate::metrics::Metrics;
use crate::store::Store;
use proof_core::lists::Registry;
use std::sync::Arc;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Settings in force.
    pub settings: Arc<Settings>,
    /// The policy store.
    pub store: Store,
    /// Compiled IRs.
    pub cache: IrCache,
    /// Reference lists by root.
    pub lists: Arc<Registry>,
    /// Metric handles.
    pub metrics: Metrics,
}
