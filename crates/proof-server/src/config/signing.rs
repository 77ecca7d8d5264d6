//! The `signing` section: the Ed25519 key that signs receipts and the retired keys still
//! published at `GET /keys` (docs/keys.md).

use serde::Deserialize;
use std::path::PathBuf;

/// Receipt signing.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SigningSettings {
    /// The active key (PKCS#8 PEM). Unset: no receipts (`POST /verify` with
    /// `options.receipt` gets 403 `receipts_disabled`) and an empty key set.
    pub key_file: Option<PathBuf>,
    /// Retired keys, published but no longer signing: PEM files or JWK sets.
    pub retired_key_files: Vec<PathBuf>,
}

impl SigningSettings {
    pub(super) fn validate(&self, p: &mut Vec<String>) {
        if self.key_file.is_none() && !self.retired_key_files.is_empty() {
            p.push(
                "`signing.retired_key_files` needs `signing.key_file`: retired keys are published beside an active one".into(),
            );
        }
    }
}
