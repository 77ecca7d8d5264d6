//! C2SP signed notes (`c2sp.org/signed-note`) with Ed25519 signatures, and the log
//! checkpoints (`c2sp.org/tlog-checkpoint`) they carry.
//!
//! A note is a text ending in a newline, a blank line, and signature lines
//! `— NAME base64(key id ‖ signature)`; the key id is the first four bytes of
//! `SHA-256(NAME ‖ 0x0A ‖ 0x01 ‖ public key)`. A checkpoint's text is the log's origin, the
//! tree size in decimal and the base64 root hash, one per line.

use crate::keys::{PublicKey, SigningKey};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest as _, Sha256};

/// The signature type byte of Ed25519 note signatures.
const ED25519: u8 = 0x01;
/// Notes larger than this are refused unread.
const MAX_NOTE: usize = 64 * 1024;

/// The note key id of `key` under `name`.
#[must_use]
pub fn key_id(name: &str, key: &PublicKey) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([0x0A, ED25519]);
    h.update(key.0);
    let d = h.finalize();
    let mut id = [0u8; 4];
    id.copy_from_slice(d.get(..4).unwrap_or(&[0; 4]));
    id
}

/// The verifier key string `NAME+HEXID+base64(0x01 ‖ key)` that Go's `sumdb/note` and
/// other note tools read.
#[must_use]
pub fn verifier_key(name: &str, key: &PublicKey) -> String {
    let mut typed = vec![ED25519];
    typed.extend_from_slice(&key.0);
    format!(
        "{name}+{}+{}",
        hex::encode(key_id(name, key)),
        STANDARD.encode(typed)
    )
}

/// Why a note name or text cannot be signed, or a note does not open.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    /// The key name is empty or holds a space or `+`.
    #[error("the key name `{0}` is empty or holds a space or `+`")]
    Name(String),
    /// The text does not end in a newline or holds control characters.
    #[error("the note text must end in a newline and hold no control characters but newlines")]
    Text,
    /// The note is not a text, a blank line and signature lines.
    #[error("not a signed note: {0}")]
    Malformed(&'static str),
    /// No signature of a known key.
    #[error("no signature by a known key (signed by {0})")]
    UnknownKey(String),
    /// A known key's signature does not verify.
    #[error("the signature of {0} does not verify")]
    BadSignature(String),
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(char::is_whitespace) && !name.contains('+')
}

fn valid_text(text: &str) -> bool {
    text.ends_with('\n') && !text.chars().any(|c| c.is_control() && c != '\n')
}

/// `text` signed by `key` under `name`: the note, ready to publish.
///
/// # Errors
/// [`NoteError::Name`] or [`NoteError::Text`].
pub fn sign(text: &str, name: &str, key: &SigningKey) -> Result<String, NoteError> {
    if !valid_name(name) {
        return Err(NoteError::Name(name.to_owned()));
    }
    if !valid_text(text) {
        return Err(NoteError::Text);
    }
    let mut blob = key_id(name, &key.public_key()).to_vec();
    blob.extend_from_slice(&key.sign(text.as_bytes()));
    Ok(format!(
        "{text}\n\u{2014} {name} {}\n",
        STANDARD.encode(blob)
    ))
}

/// One signature line of a note: key name, key id, signature bytes.
pub type SignatureLine<'a> = (&'a str, [u8; 4], Vec<u8>);

/// A note's text and its signature lines.
///
/// # Errors
/// [`NoteError::Malformed`].
pub fn split(note: &str) -> Result<(&str, Vec<SignatureLine<'_>>), NoteError> {
    if note.len() > MAX_NOTE {
        return Err(NoteError::Malformed("larger than 64 KiB"));
    }
    if note.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Malformed("control characters"));
    }
    // The text is separated from the signatures by the last blank line.
    let Some(cut) = note.rfind("\n\n") else {
        return Err(NoteError::Malformed("no blank line before the signatures"));
    };
    let (text, sigs) = note.split_at(cut + 1);
    let sigs = sigs.get(1..).unwrap_or_default();
    if !sigs.ends_with('\n') || sigs.is_empty() {
        return Err(NoteError::Malformed("no signature lines"));
    }
    let mut out = Vec::new();
    for line in sigs.lines() {
        let Some(rest) = line.strip_prefix("\u{2014} ") else {
            return Err(NoteError::Malformed(
                "a signature line does not start with `— `",
            ));
        };
        let Some((name, b64)) = rest.split_once(' ') else {
            return Err(NoteError::Malformed("a signature line has no signature"));
        };
        let blob = STANDARD
            .decode(b64)
            .map_err(|_| NoteError::Malformed("a signature is not base64"))?;
        if !valid_name(name) || blob.len() < 5 {
            return Err(NoteError::Malformed("a signature line is malformed"));
        }
        let (id, sig) = blob.split_at(4);
        let mut kid = [0u8; 4];
        kid.copy_from_slice(id);
        out.push((name, kid, sig.to_vec()));
    }
    Ok((text, out))
}

/// Opens a note: the text, when a signature by one of `keys` under `name` verifies. Any
/// signature by a known key that fails rejects the note; signatures of unknown keys are
/// ignored. Returns the text and the public key that signed.
///
/// # Errors
/// [`NoteError`].
pub fn open<'a>(
    note: &'a str,
    name: &str,
    keys: &[PublicKey],
) -> Result<(&'a str, PublicKey), NoteError> {
    let (text, sigs) = split(note)?;
    let mut good = None;
    for (n, id, sig) in &sigs {
        if *n != name {
            continue;
        }
        for k in keys.iter().filter(|k| key_id(name, k) == *id) {
            if !k.verify(text.as_bytes(), sig) {
                return Err(NoteError::BadSignature(format!(
                    "{n} ({})",
                    hex::encode(id)
                )));
            }
            good = Some(*k);
        }
    }
    let seen: Vec<String> = sigs
        .iter()
        .map(|(n, id, _)| format!("{n}+{}", hex::encode(id)))
        .collect();
    good.map(|k| (text, k))
        .ok_or_else(|| NoteError::UnknownKey(seen.join(", ")))
}

/// A log checkpoint: origin, tree size and root.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The log's origin line.
    pub origin: String,
    /// The number of entries.
    pub size: u64,
    /// The RFC 6962 root of those entries.
    pub root: [u8; 32],
}

impl Checkpoint {
    /// The note text: three lines.
    #[must_use]
    pub fn text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )
    }

    /// Reads a checkpoint's note text (extension lines are ignored).
    ///
    /// # Errors
    /// What is wrong with it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut lines = text.lines();
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err("a checkpoint has an origin, a size and a root line".into());
        };
        if origin.is_empty() {
            return Err("the checkpoint's origin is empty".into());
        }
        if size.len() > 1 && size.starts_with('0') || size.is_empty() {
            return Err(format!("the checkpoint's size `{size}` is not a decimal"));
        }
        let size: u64 = size
            .parse()
            .map_err(|_| format!("the checkpoint's size `{size}` is not a decimal"))?;
        let root: [u8; 32] = STANDARD
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or_else(|| format!("the checkpoint's root `{root}` is not a base64 SHA-256"))?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
        })
    }

    /// The signed checkpoint note, the key name being the origin.
    ///
    /// # Errors
    /// [`NoteError`] for an origin that cannot be a key name.
    pub fn sign(&self, key: &SigningKey) -> Result<String, NoteError> {
        sign(&self.text(), &self.origin, key)
    }

    /// The checkpoint a signed note carries, its signatures not yet checked (to learn
    /// the origin and size before [`Checkpoint::open`]).
    ///
    /// # Errors
    /// When it is not a note, or its text not a checkpoint.
    pub fn of_note(note: &str) -> Result<Self, String> {
        let (text, _) = split(note).map_err(|e| e.to_string())?;
        Self::parse(text)
    }

    /// Opens a signed checkpoint of the log `origin` with one of `keys`.
    ///
    /// # Errors
    /// Why it does not open: not a note, another origin, no valid signature by a key.
    pub fn open(note: &str, origin: &str, keys: &[PublicKey]) -> Result<Self, String> {
        let c = Self::of_note(note)?;
        if c.origin != origin {
            return Err(format!(
                "the checkpoint is of the log `{}`, not `{origin}`",
                c.origin
            ));
        }
        open(note, origin, keys).map_err(|e| format!("checkpoint: {e}"))?;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // golang.org/x/mod/sumdb/note, the reference implementation of c2sp.org/signed-note:
    // its documented example key and signed note (Ed25519 is deterministic, so signing the
    // same text with the same key must give the same bytes).
    const GO_SKEY_SEED: &str = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    const GO_NOTE: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    fn go_key() -> SigningKey {
        let typed = STANDARD.decode(GO_SKEY_SEED).unwrap_or_default();
        let seed: [u8; 32] = typed
            .get(1..)
            .unwrap_or_default()
            .try_into()
            .unwrap_or([0; 32]);
        SigningKey::from_seed(&seed).unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn signing_reproduces_the_published_go_note_byte_for_byte() {
        let key = go_key();
        assert_eq!(verifier_key("PeterNeumann", &key.public_key()), GO_VKEY);
        assert_eq!(sign(GO_TEXT, "PeterNeumann", &key).as_deref(), Ok(GO_NOTE));
        assert_eq!(
            open(GO_NOTE, "PeterNeumann", &[key.public_key()]).map(|(t, _)| t),
            Ok(GO_TEXT)
        );
        let changed = GO_NOTE.replace("cryptography", "cryptographY");
        assert!(matches!(
            open(&changed, "PeterNeumann", &[key.public_key()]),
            Err(NoteError::BadSignature(_))
        ));
        assert!(matches!(
            open(GO_NOTE, "EnochRoot", &[key.public_key()]),
            Err(NoteError::UnknownKey(_))
        ));
    }

    #[test]
    fn the_c2sp_examples_split_at_the_last_blank_line() {
        // c2sp.org/signed-note's example: a text with an empty line of its own.
        let note = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u{e8} subito sera.\n\n\u{2014} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
        let (text, sigs) = split(note).unwrap_or_else(|_| unreachable!());
        assert_eq!(
            text,
            "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u{e8} subito sera.\n"
        );
        assert_eq!(sigs.len(), 1);
        let (name, id, sig) = sigs.first().cloned().unwrap_or_else(|| unreachable!());
        assert_eq!(name, "quasimodo.example/salvatore");
        assert_eq!(hex::encode(id), "367ba04b");
        assert_eq!(sig.len(), 64);
        // c2sp.org/tlog-checkpoint's example.
        let cp = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n\u{2014} example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n";
        let (text, _) = split(cp).unwrap_or_else(|_| unreachable!());
        let c = Checkpoint::parse(text).unwrap_or_else(|_| unreachable!());
        assert_eq!(c.origin, "example.com/behind-the-sofa");
        assert_eq!(c.size, 20_852_163);
        assert_eq!(c.text(), text);
    }

    #[test]
    fn malformed_notes_and_names_are_refused() {
        let key = go_key();
        assert!(matches!(
            sign("no newline", "n", &key),
            Err(NoteError::Text)
        ));
        assert!(matches!(sign("a\n", "a b", &key), Err(NoteError::Name(_))));
        assert!(matches!(sign("a\n", "a+b", &key), Err(NoteError::Name(_))));
        for bad in [
            "",
            "text\n",
            "text\n\n",
            "text\n\n- n AAAA\n",
            "t\n\n\u{2014} n !!\n",
        ] {
            assert!(split(bad).is_err(), "{bad:?}");
        }
        assert!(Checkpoint::parse("o\n012\nAA==\n").is_err());
        assert!(Checkpoint::parse("o\n12\n").is_err());
    }
}
