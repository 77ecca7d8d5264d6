//! A throwaway PKI made at test time with rcgen: CAs, server and client certificates, CRLs.
//! Nothing here is committed; every key lives in a temporary directory.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support"
)]

use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer,
    DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair,
    KeyUsagePurpose, RevocationReason, RevokedCertParams, SanType, SerialNumber,
};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use time::{Duration, OffsetDateTime};

static SERIAL: AtomicU64 = AtomicU64::new(1000);

/// A fresh serial number, unique in this process.
pub fn next_serial() -> u64 {
    SERIAL.fetch_add(1, Ordering::Relaxed)
}

/// A certificate authority.
pub struct Ca {
    pub issuer: CertifiedIssuer<'static, KeyPair>,
    pub pem: String,
    pub key_pem: String,
}

/// A leaf certificate with its key.
pub struct Leaf {
    pub pem: String,
    pub key_pem: String,
    pub serial: u64,
}

impl Leaf {
    /// Certificate and key in one PEM (what reqwest's `Identity::from_pem` takes).
    pub fn identity_pem(&self) -> String {
        format!("{}{}", self.pem, self.key_pem)
    }

    /// Writes `NAME.pem` and `NAME.key` into `dir`; returns (cert, key) paths.
    pub fn write(&self, dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let c = dir.join(format!("{name}.pem"));
        let k = dir.join(format!("{name}.key"));
        std::fs::write(&c, &self.pem).unwrap();
        std::fs::write(&k, &self.key_pem).unwrap();
        (c, k)
    }
}

fn dn(cn: &str) -> DistinguishedName {
    let mut d = DistinguishedName::new();
    d.push(DnType::OrganizationName, "proof tests");
    d.push(DnType::CommonName, cn);
    d
}

impl Ca {
    pub fn new(cn: &str) -> Self {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name = dn(cn);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        p.serial_number = Some(SerialNumber::from(next_serial()));
        let key = KeyPair::generate().unwrap();
        let key_pem = key.serialize_pem();
        let issuer = CertifiedIssuer::self_signed(p, key).unwrap();
        let pem = issuer.pem();
        Self {
            issuer,
            pem,
            key_pem,
        }
    }

    fn leaf(
        &self,
        cn: &str,
        sans: Vec<SanType>,
        eku: ExtendedKeyUsagePurpose,
        not_after: OffsetDateTime,
    ) -> Leaf {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name = dn(cn);
        p.subject_alt_names = sans;
        p.extended_key_usages = vec![eku];
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let serial = next_serial();
        p.serial_number = Some(SerialNumber::from(serial));
        p.not_before = OffsetDateTime::now_utc() - Duration::days(2);
        p.not_after = not_after;
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.issuer).unwrap();
        Leaf {
            pem: cert.pem(),
            key_pem: key.serialize_pem(),
            serial,
        }
    }

    /// A server certificate for `localhost` and 127.0.0.1.
    pub fn server(&self) -> Leaf {
        self.server_cn("proof server")
    }

    /// The same, with a chosen common name (the CA's own, to test self-signed detection).
    pub fn server_cn(&self, cn: &str) -> Leaf {
        self.leaf(
            cn,
            vec![
                SanType::DnsName("localhost".try_into().unwrap()),
                SanType::IpAddress("127.0.0.1".parse().unwrap()),
            ],
            ExtendedKeyUsagePurpose::ServerAuth,
            OffsetDateTime::now_utc() + Duration::days(90),
        )
    }

    /// A client certificate whose SAN is the URI `san`.
    pub fn client(&self, san: &str) -> Leaf {
        self.leaf(
            "proof client",
            vec![SanType::URI(san.try_into().unwrap())],
            ExtendedKeyUsagePurpose::ClientAuth,
            OffsetDateTime::now_utc() + Duration::days(30),
        )
    }

    /// A client certificate that expired yesterday.
    pub fn expired_client(&self, san: &str) -> Leaf {
        self.leaf(
            "proof client",
            vec![SanType::URI(san.try_into().unwrap())],
            ExtendedKeyUsagePurpose::ClientAuth,
            OffsetDateTime::now_utc() - Duration::days(1),
        )
    }

    /// A CRL (PEM) revoking `serials`, valid for a week.
    pub fn crl(&self, serials: &[u64]) -> String {
        let now = OffsetDateTime::now_utc();
        CertificateRevocationListParams {
            this_update: now - Duration::minutes(5),
            next_update: now + Duration::days(7),
            crl_number: SerialNumber::from(next_serial()),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|s| RevokedCertParams {
                    serial_number: SerialNumber::from(*s),
                    revocation_time: now - Duration::minutes(1),
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        }
        .signed_by(&self.issuer)
        .unwrap()
        .pem()
        .unwrap()
    }
}

/// A self-signed server certificate (no CA).
pub fn self_signed_server() -> Leaf {
    let mut p = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    let serial = next_serial();
    p.serial_number = Some(SerialNumber::from(serial));
    let key = KeyPair::generate().unwrap();
    let cert = p.self_signed(&key).unwrap();
    Leaf {
        pem: cert.pem(),
        key_pem: key.serialize_pem(),
        serial,
    }
}

/// The serial number of a DER certificate, as the number rcgen was given.
pub fn serial_of(der: &[u8]) -> u64 {
    let (_, c) = x509_parser::parse_x509_certificate(der).unwrap();
    c.raw_serial()
        .iter()
        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
}
