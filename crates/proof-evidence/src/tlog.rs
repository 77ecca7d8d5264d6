//! Proofs that an entry is in the verification log: the C2SP `tlog-proof` text form (an
//! index, the RFC 6962 audit path, the signed checkpoint verbatim), and consistency
//! between two checkpoints.

use crate::keys::PublicKey;
use crate::note::Checkpoint;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use proof_core::lists::merkle::{self, Hash};

/// The first line of a `tlog-proof`.
pub const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// An entry's inclusion proof with the checkpoint it is proven against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogProof {
    /// The entry's index.
    pub index: u64,
    /// The audit path, from the leaf's sibling up.
    pub path: Vec<Hash>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: String,
}

fn b64_hash(s: &str) -> Result<Hash, String> {
    STANDARD
        .decode(s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("`{s}` is not a base64 SHA-256 hash"))
}

/// A JSON array of base64 hashes, as the log's proof answers and bundles carry them.
///
/// # Errors
/// When it is not an array of base64 SHA-256 hashes.
pub fn hashes_in(v: &serde_json::Value) -> Result<Vec<Hash>, String> {
    let Some(list) = v.as_array() else {
        return Err("the proof's hashes are not an array".into());
    };
    list.iter()
        .map(|h| {
            h.as_str()
                .ok_or_else(|| format!("{h} is not a base64 hash"))
                .and_then(b64_hash)
        })
        .collect()
}

impl LogProof {
    /// The `tlog-proof` text.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut s = format!("{HEADER}\nindex {}\n", self.index);
        for h in &self.path {
            s.push_str(&STANDARD.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }

    /// Reads a `tlog-proof` (an `extra` line is accepted and ignored: it is not
    /// authenticated).
    ///
    /// # Errors
    /// What is malformed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some((head, checkpoint)) = text.split_once("\n\n") else {
            return Err("a tlog-proof has a blank line before its checkpoint".into());
        };
        let mut lines = head.lines();
        if lines.next() != Some(HEADER) {
            return Err(format!("a tlog-proof starts with `{HEADER}`"));
        }
        let mut line = lines.next();
        if line.is_some_and(|l| l.starts_with("extra ")) {
            line = lines.next();
        }
        let index = line
            .and_then(|l| l.strip_prefix("index "))
            .filter(|i| *i == "0" || !i.starts_with('0'))
            .and_then(|i| i.parse().ok())
            .ok_or("a tlog-proof names its entry with `index N`")?;
        let path = lines.map(b64_hash).collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            index,
            path,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// Checks that `entry` (the logged bytes) is at this proof's index in the checkpoint,
    /// and that the checkpoint is signed by one of `keys` for the log `origin`.
    ///
    /// # Errors
    /// Why it does not hold.
    pub fn check(
        &self,
        entry: &[u8],
        origin: &str,
        keys: &[PublicKey],
    ) -> Result<Checkpoint, String> {
        let c = Checkpoint::open(&self.checkpoint, origin, keys)?;
        if !merkle::verify_inclusion(
            &merkle::leaf_hash(entry),
            self.index,
            c.size,
            &self.path,
            &c.root,
        ) {
            return Err(format!(
                "the inclusion proof of entry {} does not give the root of the checkpoint (size {})",
                self.index, c.size
            ));
        }
        Ok(c)
    }
}

/// Checks that `old` is a prefix of `new` by `proof` (RFC 9162 consistency; same
/// origin).
///
/// # Errors
/// Why they are not shown consistent.
pub fn consistent(old: &Checkpoint, new: &Checkpoint, proof: &[Hash]) -> Result<(), String> {
    if old.origin != new.origin {
        return Err(format!(
            "the checkpoints are of two logs, `{}` and `{}`",
            old.origin, new.origin
        ));
    }
    if old.size > new.size {
        return Err(format!(
            "the first checkpoint (size {}) is larger than the second (size {})",
            old.size, new.size
        ));
    }
    if merkle::verify_consistency(old.size, new.size, &old.root, &new.root, proof) {
        Ok(())
    } else {
        Err(format!(
            "the tree of size {} is not a prefix of the tree of size {}: the log forked",
            old.size, new.size
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_form_round_trips_and_the_c2sp_example_parses() {
        let p = LogProof {
            index: 5,
            path: vec![[1; 32], [2; 32]],
            checkpoint: "o\n6\nAA==\n\n\u{2014} o AAAAAAA=\n".into(),
        };
        assert_eq!(LogProof::parse(&p.to_text()), Ok(p));
        // c2sp.org/tlog-proof's example (its signatures are elided there).
        let example = "c2sp.org/tlog-proof@v1\nextra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ\nindex 73894\ngSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=\nB95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=\nEKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=\nRoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=\nAHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=\n\nexample.com/fancylog\n109482\nsFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=\n\n\u{2014} example.com/fancylog hI2DJw==\n";
        let e = LogProof::parse(example).unwrap_or_else(|_| unreachable!());
        assert_eq!(e.index, 73894);
        assert_eq!(e.path.len(), 5);
        assert!(e.checkpoint.starts_with("example.com/fancylog\n109482\n"));
        for bad in [
            "",
            "c2sp.org/tlog-proof@v1\nindex 01\n\nx",
            "other\nindex 1\n\nx",
        ] {
            assert!(LogProof::parse(bad).is_err(), "{bad:?}");
        }
    }
}
