//! The `log` section.

use serde::Deserialize;

/// Logging.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// A tracing filter: `info`, `debug`, `proof_server=debug,info`, ...
    pub level: String,
    /// `json` (one JSON object per line) or `text`.
    pub format: LogFormat,
    /// The level of the access-log lines of `/healthz`, `/readyz` and `/metrics`
    /// (`trace`, `debug`, `info`, `warn`, `error`): below `level`, probes are not logged.
    pub probe_level: ProbeLevel,
    /// Log lines queued for the writer thread; when the queue is full, new lines are
    /// dropped (counted in `proof_log_lines_dropped_total`), never waited for.
    pub queue_lines: usize,
}

/// A log level for probe lines.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ProbeLevel {
    /// `trace`.
    Trace,
    /// `debug`.
    Debug,
    /// `info`.
    Info,
    /// `warn`.
    Warn,
    /// `error`.
    Error,
}

impl LogSettings {
    pub(super) fn validate(&self, p: &mut Vec<String>) {
        if self.queue_lines == 0 {
            p.push("`log.queue_lines` must be greater than 0".into());
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            level: "info".into(),
            format: LogFormat::Json,
            probe_level: ProbeLevel::Debug,
            queue_lines: 65_536,
        }
    }
}

/// Log line format.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// JSON lines.
    Json,
    /// Human-readable lines.
    Text,
}
