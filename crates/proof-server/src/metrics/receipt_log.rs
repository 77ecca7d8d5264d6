//! The verification log's metrics: its size, how long each group commit takes, and the
//! appends that failed (the receipts of a failed batch are refused with 503).

use super::duration_histogram;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Gauge: entries in the log, as this replica knows it.
pub const LOG_ENTRIES: &str = "proof_log_entries";
/// Histogram: seconds per append transaction (one batch of receipts).
pub const LOG_APPEND_DURATION: &str = "proof_log_append_duration_seconds";
/// Counter: append transactions that failed.
pub const LOG_APPEND_FAILURES: &str = "proof_log_append_failures";

/// The log metric handles.
#[derive(Clone)]
pub struct LogMetrics {
    /// Entries in the log.
    pub entries: Gauge,
    /// Seconds per append transaction.
    pub append_duration: Histogram,
    /// Failed append transactions.
    pub append_failures: Counter,
}

impl LogMetrics {
    pub(super) fn register(r: &mut Registry) -> Self {
        let m = Self {
            entries: Gauge::default(),
            append_duration: duration_histogram(),
            append_failures: Counter::default(),
        };
        r.register(
            LOG_ENTRIES,
            "Entries in the verification log, as this replica knows it",
            m.entries.clone(),
        );
        r.register(
            LOG_APPEND_DURATION,
            "Seconds per verification-log append transaction (one batch of receipts)",
            m.append_duration.clone(),
        );
        r.register(
            LOG_APPEND_FAILURES,
            "Verification-log append transactions that failed (their receipts were refused with 503)",
            m.append_failures.clone(),
        );
        m
    }
}
