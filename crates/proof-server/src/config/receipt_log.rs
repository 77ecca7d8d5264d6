//! The `receipt_log` section: the verification log every receipt is appended to
//! (docs/log.md).

use serde::Deserialize;

/// The verification log.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReceiptLogSettings {
    /// The log's origin: the first line of its checkpoints and the key name of their
    /// signatures (C2SP tlog-checkpoint). A log keeps its origin for life: a store whose
    /// log was started under another origin stops startup.
    pub origin: String,
    /// At most this many receipts are appended in one transaction (group commit); the
    /// receipts that wait while one batch commits form the next.
    pub max_batch: usize,
}

impl Default for ReceiptLogSettings {
    fn default() -> Self {
        Self {
            origin: "proof.invalid/receipts".to_owned(),
            max_batch: 256,
        }
    }
}

impl ReceiptLogSettings {
    pub(super) fn validate(&self, p: &mut Vec<String>) {
        if self.origin.is_empty()
            || self.origin.contains(char::is_whitespace)
            || self.origin.contains('+')
        {
            p.push(format!(
                "`receipt_log.origin` `{}` must be non-empty without spaces or `+` (it names the checkpoints' signing key)",
                self.origin
            ));
        }
        if self.max_batch == 0 || self.max_batch > 5_000 {
            p.push("`receipt_log.max_batch` must be between 1 and 5000 (one transaction binds four values per receipt)".into());
        }
    }
}
