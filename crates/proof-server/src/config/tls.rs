//! The `tls` section: certificates, client authentication, and their validation
//! (`docs/tls.md`).

use super::mode_word;
use serde::Deserialize;
use serde_json::Value;
use std::path::PathBuf;

/// TLS on the API listener; see `docs/tls.md`. The admin listener stays plain HTTP on a
/// private address.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    /// Server certificate chain (PEM, leaf first). With `key_file`, turns TLS on.
    pub cert_file: Option<PathBuf>,
    /// Server private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key_file: Option<PathBuf>,
    /// Lowest protocol version accepted: 1.2 or 1.3.
    pub min_version: TlsVersion,
    /// Client certificates: `off`, `optional` or `required`.
    pub client_auth: ClientAuthMode,
    /// CA bundle (PEM) that client certificates must chain to.
    pub client_ca_file: Option<PathBuf>,
    /// CRL files (PEM) checked for every client certificate in the chain.
    pub crl_files: Vec<PathBuf>,
    /// Client certificate SANs (DNS names or URIs such as `spiffe://...`) allowed in;
    /// empty allows any certificate that chains to the CA bundle.
    pub allowed_sans: Vec<String>,
    /// A DER OCSP response stapled to handshakes when clients ask for one.
    pub ocsp_file: Option<PathBuf>,
    /// Longest a TLS handshake may take before the connection is dropped.
    pub handshake_timeout_ms: u64,
    /// How often the files above are checked for changes; a change is applied once it has
    /// been stable for one more interval. SIGHUP reloads at once.
    pub reload_interval_ms: u64,
}

impl Default for TlsSettings {
    fn default() -> Self {
        Self {
            cert_file: None,
            key_file: None,
            min_version: TlsVersion::V1_2,
            client_auth: ClientAuthMode::Off,
            client_ca_file: None,
            crl_files: Vec::new(),
            allowed_sans: Vec::new(),
            ocsp_file: None,
            handshake_timeout_ms: 10_000,
            reload_interval_ms: 1_000,
        }
    }
}

impl TlsSettings {
    /// Whether the API listener speaks TLS.
    #[must_use]
    pub fn enabled(&self) -> bool {
        self.cert_file.is_some() && self.key_file.is_some()
    }
}

/// A TLS protocol version floor.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(try_from = "Value")]
pub enum TlsVersion {
    /// TLS 1.2 and 1.3.
    V1_2,
    /// TLS 1.3 only.
    V1_3,
}

impl TryFrom<Value> for TlsVersion {
    type Error = String;
    fn try_from(v: Value) -> Result<Self, String> {
        // YAML and the environment both turn an unquoted `1.2` into a number.
        let s = match &v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        match s.trim_start_matches("TLSv") {
            "1.2" => Ok(Self::V1_2),
            "1.3" => Ok(Self::V1_3),
            _ => Err(format!("`tls.min_version` must be 1.2 or 1.3, got {v}")),
        }
    }
}

impl TryFrom<Value> for ClientAuthMode {
    type Error = String;
    fn try_from(v: Value) -> Result<Self, String> {
        match mode_word(&v).as_str() {
            "off" => Ok(Self::Off),
            "optional" => Ok(Self::Optional),
            "required" => Ok(Self::Required),
            _ => Err(format!(
                "`tls.client_auth` must be off, optional or required, got {v}"
            )),
        }
    }
}

/// Client certificate policy.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(try_from = "Value")]
pub enum ClientAuthMode {
    /// Not asked for.
    #[default]
    Off,
    /// Asked for; requests without one proceed, a presented one must be valid.
    Optional,
    /// Requests without a valid, allowed certificate get 403.
    Required,
}

impl TlsSettings {
    pub(super) fn validate(&self, p: &mut Vec<String>) {
        match (&self.cert_file, &self.key_file) {
            (Some(_), None) => p.push("`tls.cert_file` needs `tls.key_file`".into()),
            (None, Some(_)) => p.push("`tls.key_file` needs `tls.cert_file`".into()),
            _ => {}
        }
        if self.handshake_timeout_ms == 0 {
            p.push("`tls.handshake_timeout_ms` must be greater than 0".into());
        }
        if self.reload_interval_ms == 0 {
            p.push("`tls.reload_interval_ms` must be greater than 0".into());
        }
        if self.client_auth == ClientAuthMode::Off {
            for (name, set) in [
                ("tls.client_ca_file", self.client_ca_file.is_some()),
                ("tls.crl_files", !self.crl_files.is_empty()),
                ("tls.allowed_sans", !self.allowed_sans.is_empty()),
            ] {
                if set {
                    p.push(format!(
                        "`{name}` applies only with `tls.client_auth: optional` or `required`"
                    ));
                }
            }
        } else {
            if !self.enabled() {
                p.push("`tls.client_auth` needs TLS (`tls.cert_file` and `tls.key_file`)".into());
            }
            if self.client_ca_file.is_none() {
                p.push(format!(
                    "`tls.client_auth: {}` needs `tls.client_ca_file`",
                    match self.client_auth {
                        ClientAuthMode::Required => "required",
                        _ => "optional",
                    }
                ));
            }
        }
        if self.ocsp_file.is_some() && !self.enabled() {
            p.push("`tls.ocsp_file` needs TLS (`tls.cert_file` and `tls.key_file`)".into());
        }
    }
}
