//! `proof-evidence`: what makes a verification checkable by someone who does not trust the
//! company or the server's operator.
//!
//! - [`keys`]: Ed25519 signing keys from PKCS#8 PEM files, each named by its RFC 7638 key
//!   id, and the public key set (a JWK set, RFC 8037 `OKP`/`Ed25519`) an auditor obtains.
//! - [`dsse`]: the DSSE envelope and its pre-authentication encoding.
//! - [`receipt`]: a report as a signed in-toto Statement (salted context commitment,
//!   no supplier hash) and the disclosure bundle that opens it, and the offline check of
//!   both.
//! - [`note`]: C2SP signed notes and the verification log's checkpoints.
//! - [`tlog`]: an entry's inclusion proof in the C2SP `tlog-proof` form, and consistency
//!   between checkpoints.
//! - [`disclosure`]: the bundle's inclusion and absence proofs for the hashes each
//!   membership rule checked.

pub mod disclosure;
pub mod dsse;
pub mod keys;
pub mod note;
pub mod receipt;
pub mod tlog;
