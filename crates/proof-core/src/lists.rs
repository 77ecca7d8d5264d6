//! Reference lists (sanctioned entities, high-risk regions) as Merkle sets.
//!
//! Consumes list file text; produces a [`RefList`] (sorted leaves, root, fast lookup) and a
//! [`Registry`] mapping roots to lists. A context names lists by root; a root the registry
//! does not know is an error for the caller, never a pass. File format and hashing:
//! `docs/lists.md`.

mod id_list;
pub mod merkle;
pub mod normalize;
pub mod proof;

pub use normalize::{Kind, commit};

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

/// Parses a 32-byte hash written as 64 hex digits, optionally prefixed `sha256:`.
///
/// # Errors
/// A message quoting (a prefix of) the input.
pub fn parse_hash(s: &str) -> Result<[u8; 32], String> {
    let body = s.strip_prefix("sha256:").unwrap_or(s);
    decode_hex32(body.as_bytes()).ok_or_else(|| {
        let shown: String = s.chars().take(80).collect();
        format!("`{shown}` is not a SHA-256 hash (64 hex digits)")
    })
}

/// Decodes exactly 64 hex digits, in either case. Contexts carry up to millions of hashes;
/// the decoder (const-hex, named `hex` in this workspace) picks SIMD instructions at run
/// time. Against the eight-digits-per-`u64` decoder it replaced, a 100-supplier `/verify`
/// took about 15,000 fewer instructions (`scripts/callgrind-verify.sh`).
pub(crate) fn decode_hex32(s: &[u8]) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    (s.len() == 64 && hex::decode_to_slice(s, &mut out).is_ok()).then_some(out)
}

/// Hashes leaves by their first eight bytes: leaves are SHA-256 outputs, already uniform.
#[derive(Default)]
pub struct PrefixHasher(u64);

impl Hasher for PrefixHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        for (w, b) in word.iter_mut().zip(bytes) {
            *w = *b;
        }
        self.0 = self.0.rotate_left(17) ^ u64::from_le_bytes(word);
    }
}

type LeafSet = HashSet<[u8; 32], BuildHasherDefault<PrefixHasher>>;

/// What a list's leaves are hashes of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafKind {
    /// Committed entity identifiers (CSV column `entity_id`).
    Entity,
    /// Committed ISO 3166-1 alpha-2 codes (CSV column `region`).
    Region,
    /// Hashes given directly, one per line.
    Hash,
    /// Typed identifiers and name keys (CSV columns `scheme`, `value`, `designation`), as
    /// `proof lists import` writes them from an official file.
    Id,
}

impl LeafKind {
    /// `entity`, `region` or `hash`.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Entity => "entity",
            Self::Region => "region",
            Self::Hash => "hash",
            Self::Id => "id",
        }
    }
}

/// A reference list: its name, provenance, sorted leaves and root.
#[derive(Clone, Debug)]
pub struct RefList {
    /// The list's name (from `# name:` or the file stem).
    pub name: String,
    /// What the leaves commit to.
    pub kind: LeafKind,
    /// `# key: value` header lines (source, description, synthetic, ...), sorted by key.
    pub meta: BTreeMap<String, String>,
    leaves: Vec<[u8; 32]>,
    set: LeafSet,
    tree: merkle::Tree,
    root: [u8; 32],
    root_hex: String,
    /// Entries in the file before de-duplication.
    pub entries: usize,
    /// Per leaf (parallel to `leaves`), the designations it came from, each as
    /// `DESIGNATION via SCHEME`; empty for lists without designations.
    designations: Vec<Box<[Box<str>]>>,
}

impl RefList {
    /// Builds a list from leaf hashes in any order; duplicates are dropped.
    #[must_use]
    pub fn from_leaves(name: impl Into<String>, kind: LeafKind, mut leaves: Vec<[u8; 32]>) -> Self {
        let entries = leaves.len();
        leaves.sort_unstable();
        leaves.dedup();
        let tree = merkle::Tree::from_values(&leaves);
        let root = tree.root();
        let set = leaves.iter().copied().collect();
        Self {
            name: name.into(),
            kind,
            meta: BTreeMap::new(),
            leaves,
            set,
            tree,
            root,
            root_hex: hex::encode(root),
            entries,
            designations: Vec::new(),
        }
    }

    /// Builds a list from leaves that each name a designation (`DESIGNATION via SCHEME`);
    /// a leaf given several times keeps every distinct designation, sorted.
    #[must_use]
    pub fn from_designated(
        name: impl Into<String>,
        kind: LeafKind,
        mut tagged: Vec<([u8; 32], String)>,
    ) -> Self {
        let entries = tagged.len();
        tagged.sort_unstable();
        tagged.dedup();
        let mut leaves: Vec<[u8; 32]> = Vec::with_capacity(tagged.len());
        let mut designations: Vec<Box<[Box<str>]>> = Vec::with_capacity(tagged.len());
        let mut current: Vec<Box<str>> = Vec::new();
        for (leaf, d) in tagged {
            if leaves.last() != Some(&leaf) {
                if !leaves.is_empty() {
                    designations.push(std::mem::take(&mut current).into_boxed_slice());
                }
                leaves.push(leaf);
            }
            current.push(d.into_boxed_str());
        }
        if !leaves.is_empty() {
            designations.push(current.into_boxed_slice());
        }
        let mut list = Self::from_leaves(name, kind, leaves);
        list.entries = entries;
        list.designations = designations;
        list
    }

    /// The designations behind `leaf` (`DESIGNATION via SCHEME`), when the list records
    /// them and holds the leaf.
    #[must_use]
    pub fn designations_of(&self, leaf: &[u8; 32]) -> Option<&[Box<str>]> {
        if self.designations.is_empty() {
            return None;
        }
        let i = self.leaves.binary_search(leaf).ok()?;
        self.designations.get(i).map(|d| &**d)
    }

    /// True when the list records, per leaf, the designations it came from.
    #[must_use]
    pub fn has_designations(&self) -> bool {
        !self.designations.is_empty() || self.kind == LeafKind::Id
    }

    /// The Merkle root.
    #[must_use]
    pub const fn root(&self) -> [u8; 32] {
        self.root
    }

    /// The root as 64 lowercase hex digits.
    #[must_use]
    pub fn root_hex(&self) -> &str {
        &self.root_hex
    }

    /// Sorted, de-duplicated leaves.
    #[must_use]
    pub fn leaves(&self) -> &[[u8; 32]] {
        &self.leaves
    }

    /// Number of distinct leaves.
    #[must_use]
    pub fn len(&self) -> usize {
        self.leaves.len()
    }

    /// True when the list has no leaves.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.leaves.is_empty()
    }

    /// True when `leaf` is in the list.
    #[must_use]
    pub fn contains(&self, leaf: &[u8; 32]) -> bool {
        self.set.contains(leaf)
    }
}

/// A list file that could not be read, with the 1-based line it failed on.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}: {message}")]
pub struct ListError {
    /// 1-based line number (0 when the file as a whole is wrong).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

pub(crate) fn list_err(line: usize, message: impl Into<String>) -> ListError {
    ListError {
        line,
        message: message.into(),
    }
}

/// Parses a list file.
///
/// Lines starting with `#` before the data are `# key: value` metadata. The first data line
/// decides the format: a CSV header with the columns `scheme` and `value` (typed
/// identifiers, [`LeafKind::Id`]), a CSV header with exactly one of the columns `entity_id`
/// or `region`, or a hash (then every data line is one hash). Blank lines are skipped.
///
/// # Errors
/// [`ListError`] naming the line and the problem.
pub fn parse_list(default_name: &str, text: &str) -> Result<RefList, ListError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut meta = BTreeMap::new();
    let mut data_start = 0;
    let mut first_data = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(c) = t.strip_prefix('#') {
            if let Some((k, v)) = c.split_once(':') {
                meta.insert(k.trim().to_lowercase(), v.trim().to_owned());
            }
            continue;
        }
        if !t.is_empty() {
            data_start = i;
            first_data = Some(t);
            break;
        }
    }
    let Some(first) = first_data else {
        return Err(list_err(0, "the file has no header and no entries"));
    };
    let rest = text.lines().skip(data_start);
    let name = meta
        .get("name")
        .cloned()
        .unwrap_or_else(|| default_name.to_owned());
    let mut list = if parse_hash(first).is_ok() {
        RefList::from_leaves(name, LeafKind::Hash, hash_lines(data_start, rest)?)
    } else {
        let data: String = rest.collect::<Vec<_>>().join("\n");
        if id_list::is_header(first) {
            RefList::from_designated(name, LeafKind::Id, id_list::leaves(data_start, &data)?)
        } else {
            let (kind, leaves) = csv_leaves(data_start, &data)?;
            RefList::from_leaves(name, kind, leaves)
        }
    };
    list.meta = meta;
    Ok(list)
}

fn hash_lines<'a>(
    offset: usize,
    lines: impl Iterator<Item = &'a str>,
) -> Result<Vec<[u8; 32]>, ListError> {
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        out.push(parse_hash(t).map_err(|m| list_err(offset + i + 1, m))?);
    }
    Ok(out)
}

/// A CSV reader over a list's data (the header line first, `#` lines skipped) and the
/// header; `offset` is the number of file lines before the data.
pub(crate) fn csv_reader(
    offset: usize,
    data: &str,
) -> Result<(csv::Reader<&[u8]>, csv::StringRecord), ListError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .comment(Some(b'#'))
        .from_reader(data.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| list_err(offset + 1, format!("bad CSV header: {e}")))?
        .clone();
    Ok((rdr, headers))
}

/// Each record of `rdr` with its line in the file.
pub(crate) fn csv_records(
    rdr: &mut csv::Reader<&[u8]>,
    offset: usize,
) -> impl Iterator<Item = Result<(usize, csv::StringRecord), ListError>> {
    let line_of = move |p: Option<&csv::Position>| {
        offset + p.map_or(0, |p| usize::try_from(p.line()).unwrap_or(0))
    };
    rdr.records().map(move |rec| match rec {
        Ok(rec) => Ok((line_of(rec.position()), rec)),
        Err(e) => Err(list_err(
            line_of(e.position()),
            format!("bad CSV record: {e}"),
        )),
    })
}

fn csv_leaves(offset: usize, data: &str) -> Result<(LeafKind, Vec<[u8; 32]>), ListError> {
    let (mut rdr, headers) = csv_reader(offset, data)?;
    let col = |name: &str| headers.iter().position(|h| h.trim() == name);
    let (kind, idx) = match (col("entity_id"), col("region")) {
        (Some(i), None) => (LeafKind::Entity, i),
        (None, Some(i)) => (LeafKind::Region, i),
        (Some(_), Some(_)) => {
            return Err(list_err(
                offset + 1,
                "the header has both `entity_id` and `region`; a list holds one kind",
            ));
        }
        (None, None) => {
            return Err(list_err(
                offset + 1,
                "the first data line is neither a hash nor a CSV header with an `entity_id` or `region` column",
            ));
        }
    };
    let norm_kind = if kind == LeafKind::Entity {
        Kind::Entity
    } else {
        Kind::Region
    };
    let mut out = Vec::new();
    for rec in csv_records(&mut rdr, offset) {
        let (line, rec) = rec?;
        let value = rec
            .get(idx)
            .ok_or_else(|| list_err(line, "the record has too few fields"))?;
        out.push(commit(norm_kind, value).map_err(|m| list_err(line, m))?);
    }
    Ok((kind, out))
}

/// Lists by root.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    by_root: BTreeMap<[u8; 32], Arc<RefList>>,
}

impl Registry {
    /// Adds a list.
    ///
    /// # Errors
    /// When a list with the same root is already registered (two names for one set would
    /// make reports ambiguous).
    pub fn insert(&mut self, list: RefList) -> Result<(), String> {
        self.insert_shared(Arc::new(list))
    }

    /// Adds a list that other registries may share.
    ///
    /// # Errors
    /// As [`insert`](Self::insert).
    pub fn insert_shared(&mut self, list: Arc<RefList>) -> Result<(), String> {
        if let Some(existing) = self.by_root.get(&list.root) {
            return Err(format!(
                "lists `{}` and `{}` have the same root {}",
                existing.name,
                list.name,
                list.root_hex()
            ));
        }
        self.by_root.insert(list.root, list);
        Ok(())
    }

    /// The list with this root.
    #[must_use]
    pub fn get(&self, root: &[u8; 32]) -> Option<&Arc<RefList>> {
        self.by_root.get(root)
    }

    /// All lists, ordered by root.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<RefList>> {
        self.by_root.values()
    }

    /// Number of lists.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_root.len()
    }

    /// True when no list is registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_root.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_hash_files_of_the_same_set_have_the_same_root() {
        let csv = "# name: demo\n# source: synthetic\nentity_id,name\nDE-HRB-1,\"Acme, Inc\"\nde-hrb-1,dup\nDE-HRB-2,Two\n";
        let a = parse_list("x", csv).unwrap();
        assert_eq!(a.name, "demo");
        assert_eq!(a.kind, LeafKind::Entity);
        assert_eq!(a.len(), 2);
        assert_eq!(a.meta.get("source").map(String::as_str), Some("synthetic"));
        let hashes: String = a
            .leaves()
            .iter()
            .rev()
            .map(|l| format!("{}\n", hex::encode(l)))
            .collect();
        let b = parse_list("y", &hashes).unwrap();
        assert_eq!(b.kind, LeafKind::Hash);
        assert_eq!(a.root(), b.root());
    }

    #[test]
    fn bad_list_lines_are_reported_with_their_line_number() {
        let err = parse_list("r", "# name: r\nregion\nDE\nXX\n").unwrap_err();
        assert_eq!(err.line, 4);
        assert!(err.message.contains("`XX`"), "{err}");
        let err = parse_list("h", &format!("{}\nnot-a-hash\n", "a".repeat(64))).unwrap_err();
        assert_eq!(err.line, 2);
        assert!(
            parse_list("e", "name,country\nx,y\n")
                .unwrap_err()
                .message
                .contains("entity_id")
        );
        assert!(parse_list("e", "# only comments\n").is_err());
    }

    #[test]
    fn registry_refuses_two_lists_with_one_root() {
        let mut r = Registry::default();
        r.insert(RefList::from_leaves("a", LeafKind::Hash, vec![[1; 32]]))
            .unwrap();
        assert!(
            r.insert(RefList::from_leaves("b", LeafKind::Hash, vec![[1; 32]]))
                .is_err()
        );
        assert!(r.get(&merkle::root(&[[1; 32]])).is_some());
        assert!(r.get(&[9; 32]).is_none());
    }

    #[test]
    fn the_hex_decoder_reads_exactly_hex_digits_in_every_position() {
        let base = "0123456789abcdefABCDEF0123456789abcdef0123456789ABCDEF0123456789"
            .as_bytes()
            .to_vec();
        // One digit at a time, independently of any hex crate.
        let reference = |s: &[u8]| -> Option<[u8; 32]> {
            let mut out = [0u8; 32];
            for (o, pair) in out.iter_mut().zip(s.chunks(2)) {
                let d = |c: u8| {
                    char::from(c)
                        .to_digit(16)
                        .and_then(|v| u8::try_from(v).ok())
                };
                *o = d(pair[0])? << 4 | d(pair[1])?;
            }
            (s.len() == 64).then_some(out)
        };
        for pos in 0..64 {
            for b in 0..=255u8 {
                let mut s = base.clone();
                s[pos] = b;
                assert_eq!(decode_hex32(&s), reference(&s), "byte {b} at {pos}");
            }
        }
        assert_eq!(decode_hex32(&base[..62]), None);
        let mut prefixed = b"0x".to_vec();
        prefixed.extend_from_slice(&base[..62]);
        assert_eq!(decode_hex32(&prefixed), None, "no 0x prefix");
        assert_eq!(decode_hex32(&[base.as_slice(), b"00"].concat()), None);
    }

    #[test]
    fn parse_hash_accepts_prefix_and_uppercase_and_rejects_the_rest() {
        let h = "AB".repeat(32);
        assert_eq!(parse_hash(&h).unwrap(), [0xab; 32]);
        assert_eq!(parse_hash(&format!("sha256:{h}")).unwrap(), [0xab; 32]);
        assert!(parse_hash("abc").is_err());
        assert!(parse_hash(&"zz".repeat(32)).is_err());
    }
}
