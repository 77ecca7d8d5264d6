//! Contexts read straight from their JSON text, decoded and hashed in one pass without a
//! tree: the service's `/verify` fast path. Gives what [`decode`](super::decode) and
//! [`value_sha256`](crate::hash::value_sha256) give for the parsed text, or `None` where it
//! does not go; the caller then takes the general path.

use super::{AS_OF_KEY, Array, Context, Records, Value};
use crate::hash::{sha256_hex_id, sha256_id_of_parts};
use crate::ir::{InputDecl, Lit};
use crate::json::Cursor;
use crate::lists::decode_hex32;
use crate::temporal;
use crate::types::{Record, Scalar, Type};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::ops::Range;

/// A context read straight from its JSON text: what [`decode`](super::decode) gives for
/// the parsed text, and the context hash a report states for it.
#[derive(Clone, Debug, PartialEq)]
pub struct Scanned {
    /// The decoded context.
    pub context: Context,
    /// `sha256:` of its canonical JSON (as [`crate::hash::value_sha256`] of the parsed text).
    pub hash: String,
}

/// Decodes and hashes the context object that starts at `cur`, in one pass and without a
/// JSON tree (the service's `/verify` fast path: parsing a tree, walking it to decode and
/// walking it again to hash took more time than the hashing itself).
///
/// `room` is how many levels of nesting may still open at `cur` (an object of arrays
/// needs two; of arrays of records with arrays, four). Gives the same context and hash as
/// [`decode`](super::decode) and [`value_sha256`](crate::hash::value_sha256) of the parsed
/// text, or `None` where it does not go: strings with escapes, numbers, `null`, nesting
/// past `room`, non-ASCII member names, an unknown, missing or repeated member or record
/// field, a value that does not fit its type, or an input named `as_of`. The caller then
/// parses the text and calls [`decode`](super::decode), which accepts what is valid and
/// names what is not. Property tests hold the two to the same answers.
#[must_use]
pub fn scan(
    inputs: &BTreeMap<String, InputDecl>,
    cur: &mut Cursor<'_>,
    room: usize,
) -> Option<Scanned> {
    // Members in name order (as most writers give them) are hashed as they are read, a
    // few kilobytes at a time; members in another order are collected and hashed in name
    // order at the end, so the text is read again that way when the order turns out wrong.
    let mut streamed = cur.clone();
    let mut out_of_order = false;
    if let Some(s) = scan_with(inputs, &mut streamed, room, Some(&mut out_of_order)) {
        *cur = streamed;
        return Some(s);
    }
    if out_of_order {
        scan_with(inputs, cur, room, None)
    } else {
        None
    }
}

/// Canonical bytes collected before they are hashed, when streaming.
const FLUSH_AT: usize = 16 * 1024;

/// Feeds `canon` to the hash when streaming and enough has gathered.
fn flush(canon: &mut Vec<u8>, sink: &mut Option<Sha256>) {
    if let Some(h) = sink
        && canon.len() >= FLUSH_AT
    {
        h.update(canon.as_slice());
        canon.clear();
    }
}

/// [`scan`] one way: streaming when `out_of_order` is given (set when a member comes out
/// of name order, which streaming cannot hash), else collecting the members.
fn scan_with(
    inputs: &BTreeMap<String, InputDecl>,
    cur: &mut Cursor<'_>,
    room: usize,
    mut out_of_order: Option<&mut bool>,
) -> Option<Scanned> {
    if room < 2 || inputs.contains_key(AS_OF_KEY) || !cur.eat(b'{') {
        return None;
    }
    let mut sink = out_of_order.is_some().then(Sha256::new);
    // Collecting: each member's canonical bytes (`"name":value`) in the order given, hashed
    // in name order at the end (canonical JSON is never longer than the text it came from).
    // Streaming: `{`, the members so far and their commas, not yet hashed.
    let mut canon: Vec<u8> = if sink.is_some() {
        let mut c = Vec::with_capacity(FLUSH_AT + 1024);
        c.push(b'{');
        c
    } else {
        Vec::with_capacity(cur.rest().len())
    };
    let mut members: Vec<(&str, Range<usize>)> = Vec::with_capacity(inputs.len() + 1);
    let mut out = Context::default();
    let mut spans = Vec::new();
    if !cur.eat(b'}') {
        loop {
            let (name, quoted) = cur.plain_str_raw()?;
            if !name.is_ascii() || members.iter().any(|(k, _)| *k == name) || !cur.eat(b':') {
                return None;
            }
            if let Some(flag) = out_of_order.as_deref_mut() {
                // ASCII names: byte order is the UTF-16 order canonical JSON sorts by.
                if members.last().is_some_and(|(k, _)| *k > name) {
                    *flag = true;
                    return None;
                }
                if !members.is_empty() {
                    canon.push(b',');
                }
            }
            let start = canon.len();
            canon.extend_from_slice(quoted.as_bytes());
            canon.push(b':');
            if name == AS_OF_KEY {
                let (text, quoted) = cur.plain_str_raw()?;
                out.as_of = Some(temporal::parse_timestamp(text).ok()?);
                canon.extend_from_slice(quoted.as_bytes());
            } else {
                let value = match &inputs.get(name)?.ty {
                    Type::Array(s) => {
                        Value::Array(scan_array(*s, cur, &mut canon, Room::Rest, &mut sink)?)
                    }
                    ty => scan_value(ty, cur, &mut canon, &mut spans, room - 1, &mut sink)?,
                };
                out.values.insert(name.to_owned(), value);
            }
            members.push((name, start..canon.len()));
            if !cur.next(b'}')? {
                break;
            }
        }
    }
    if out.values.len() != inputs.len() {
        return None;
    }
    if let Some(mut h) = sink {
        canon.push(b'}');
        h.update(canon.as_slice());
        return Some(Scanned {
            hash: sha256_hex_id(&h.finalize().into()),
            context: out,
        });
    }
    members.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let open = |i: usize| -> &[u8] { if i == 0 { b"{" } else { b"," } };
    let close: &[u8] = if members.is_empty() { b"{}" } else { b"}" };
    // (Every range was taken from `canon` as it grew, so `get` always finds it.)
    let parts = members
        .iter()
        .enumerate()
        .flat_map(|(i, (_, range))| [Some(open(i)), canon.get(range.clone())])
        .flatten()
        .chain([close]);
    Some(Scanned {
        hash: sha256_id_of_parts(parts),
        context: out,
    })
}

/// One value of type `s`, its canonical bytes appended to `canon`.
fn scan_scalar(s: Scalar, cur: &mut Cursor<'_>, canon: &mut Vec<u8>) -> Option<Lit> {
    Some(match s {
        Scalar::Hex => Lit::Hex(scan_hex(cur, canon)?),
        Scalar::Bool => Lit::Bool(scan_bool(cur, canon)?),
        Scalar::String => Lit::String(scan_text(cur, canon)?.to_owned()),
        Scalar::Date => Lit::Date(temporal::parse_date(scan_text(cur, canon)?).ok()?),
        Scalar::Duration => Lit::Duration(temporal::parse_duration(scan_text(cur, canon)?).ok()?),
        // Canonical numbers need reformatting; the tree path does that.
        Scalar::Number => return None,
    })
}

fn scan_text<'a>(cur: &mut Cursor<'a>, canon: &mut Vec<u8>) -> Option<&'a str> {
    let (text, quoted) = cur.plain_str_raw()?;
    canon.extend_from_slice(quoted.as_bytes());
    Some(text)
}

fn scan_bool(cur: &mut Cursor<'_>, canon: &mut Vec<u8>) -> Option<bool> {
    let b = cur.boolean()?;
    canon.extend_from_slice(if b { b"true" } else { b"false" });
    Some(b)
}

const HASH_PREFIX: &[u8] = b"sha256:";

/// A hash as [`parse_hash`] reads it (64 hex digits, optionally after `sha256:`): its end
/// is where a hash's closing quote must be, and decoding checks every byte before it, so
/// the string is not scanned for its end first.
fn scan_hex(cur: &mut Cursor<'_>, canon: &mut Vec<u8>) -> Option<[u8; 32]> {
    cur.peek()?;
    let (digest, len) = hex_at(cur.rest().as_bytes())?;
    canon.extend_from_slice(cur.rest().as_bytes().get(..len)?);
    cur.advance(len);
    Some(digest)
}

/// The hash string at the start of `b` (its opening quote) and its length with quotes.
fn hex_at(b: &[u8]) -> Option<([u8; 32], usize)> {
    let open = usize::from(b.first() == Some(&b'"'));
    let from = open
        + if b.get(1..8) == Some(HASH_PREFIX) {
            HASH_PREFIX.len()
        } else {
            0
        };
    let len = from + 65;
    if open == 0 || b.get(len - 1) != Some(&b'"') {
        return None;
    }
    Some((decode_hex32(b.get(from..len - 1)?)?, len))
}

/// How an array's items are collected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Room {
    /// An input of the context, which may be most of the text: room for every item the
    /// rest of the text could hold, allocated once.
    Rest,
    /// An array inside a record: a few items, grown as needed (sizing each of 100,000
    /// such arrays for the rest of the text cost more than the scan).
    Few,
}

/// The items of a hash array (the cursor just past its `[`) up to and including `]`, in
/// one loop over the bytes: most of a context is this.
fn scan_hex_items(
    cur: &mut Cursor<'_>,
    canon: &mut Vec<u8>,
    room: Room,
    sink: &mut Option<Sha256>,
) -> Option<Vec<[u8; 32]>> {
    let b = cur.rest().as_bytes();
    // A hash takes at least 67 bytes of text with its quotes and comma.
    let mut out = Vec::with_capacity(match room {
        Room::Rest => b.len() / 67 + 1,
        Room::Few => 4,
    });
    let mut i = 0;
    let ws = |i: &mut usize| {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = b.get(*i) {
            *i += 1;
        }
    };
    loop {
        ws(&mut i);
        let (digest, len) = hex_at(b.get(i..)?)?;
        out.push(digest);
        canon.extend_from_slice(b.get(i..i + len)?);
        i += len;
        ws(&mut i);
        match b.get(i) {
            Some(b',') => canon.push(b','),
            Some(b']') => break,
            _ => return None,
        }
        flush(canon, sink);
        i += 1;
    }
    cur.advance(i + 1);
    Some(out)
}

/// An array of scalars; `sink` is where its canonical bytes go while it is read (given
/// only where no record is open, whose members may yet be reordered).
fn scan_array(
    s: Scalar,
    cur: &mut Cursor<'_>,
    canon: &mut Vec<u8>,
    room: Room,
    sink: &mut Option<Sha256>,
) -> Option<Array> {
    if !cur.eat(b'[') {
        return None;
    }
    canon.push(b'[');
    if s == Scalar::Hex {
        let items = if cur.eat(b']') {
            Vec::new()
        } else {
            scan_hex_items(cur, canon, room, sink)?
        };
        canon.push(b']');
        return Some(Array::Hex(items));
    }
    // Dates take at least 13 bytes of text each (quotes and a comma).
    let rest = match room {
        Room::Rest => cur.rest().len(),
        Room::Few => 0,
    };
    let mut out = match s {
        Scalar::Date => Array::Date(Vec::with_capacity(rest / 13 + 1)),
        Scalar::String => Array::String(Vec::new()),
        Scalar::Bool => Array::Bool(Vec::new()),
        Scalar::Duration => Array::Duration(Vec::new()),
        Scalar::Hex | Scalar::Number => return None,
    };
    if !cur.eat(b']') {
        loop {
            match &mut out {
                Array::Date(v) => v.push(temporal::parse_date(scan_text(cur, canon)?).ok()?),
                Array::String(v) => v.push(scan_text(cur, canon)?.to_owned()),
                Array::Bool(v) => v.push(scan_bool(cur, canon)?),
                Array::Duration(v) => {
                    v.push(temporal::parse_duration(scan_text(cur, canon)?).ok()?);
                }
                // Taken above (hashes) or refused (numbers).
                Array::Hex(_) | Array::Number(_) => return None,
            }
            if !cur.next(b']')? {
                break;
            }
            canon.push(b',');
            flush(canon, sink);
        }
    }
    canon.push(b']');
    Some(out)
}

/// Where a record's members were written in `canon`: field index and byte range (without
/// the commas between members). A scratch stack shared by nested records.
type Spans = Vec<(usize, Range<usize>)>;

/// A value of type `ty` where `room` levels of nesting may still open.
fn scan_value(
    ty: &Type,
    cur: &mut Cursor<'_>,
    canon: &mut Vec<u8>,
    spans: &mut Spans,
    room: usize,
    sink: &mut Option<Sha256>,
) -> Option<Value> {
    Some(match ty {
        Type::Scalar(s) => Value::Scalar(scan_scalar(*s, cur, canon)?),
        _ if room == 0 => return None,
        Type::Array(s) => Value::Array(scan_array(*s, cur, canon, Room::Few, sink)?),
        Type::Record(r) => {
            let mut out = super::empty_fields(r.fields.len());
            scan_record(r, cur, canon, spans, room, &mut out)?;
            Value::Record(out.into_boxed_slice())
        }
        Type::List(item) => {
            if !cur.eat(b'[') {
                return None;
            }
            canon.push(b'[');
            let value = if let Type::Record(r) = item.as_ref() {
                let mut out = Records::with_capacity(r.fields.len(), 0);
                if !cur.eat(b']') {
                    loop {
                        out.push_with(|cells| {
                            scan_record(r, cur, canon, spans, room - 1, cells).ok_or(())
                        })
                        .ok()?;
                        flush(canon, sink);
                        if !cur.next(b']')? {
                            break;
                        }
                        canon.push(b',');
                    }
                }
                Value::Records(Box::new(out))
            } else {
                let mut out = Vec::new();
                if !cur.eat(b']') {
                    loop {
                        out.push(scan_value(item, cur, canon, spans, room - 1, sink)?);
                        flush(canon, sink);
                        if !cur.next(b']')? {
                            break;
                        }
                        canon.push(b',');
                    }
                }
                Value::List(out)
            };
            canon.push(b']');
            value
        }
    })
}

/// A record (its `{` next at `cur`, which opens one of `room` levels), its fields written
/// into `out` (one slot per field, in type order). Members may come in any order: canonical JSON has them in
/// name order, which is the type's field order, so they are rewritten in that order when
/// they came otherwise. `None` for an unknown, repeated or missing field, or a non-ASCII
/// name (whose canonical order is not byte order).
fn scan_record(
    r: &Record,
    cur: &mut Cursor<'_>,
    canon: &mut Vec<u8>,
    spans: &mut Spans,
    room: usize,
    out: &mut [Option<Value>],
) -> Option<()> {
    if room == 0 || !cur.eat(b'{') {
        return None;
    }
    let first = spans.len();
    canon.push(b'{');
    let body = canon.len();
    let mut sorted = true;
    if !cur.eat(b'}') {
        loop {
            let (name, quoted) = cur.plain_str_raw()?;
            let (index, field) = r.field(name)?;
            let slot = out.get_mut(index)?;
            if !name.is_ascii() || slot.is_some() || !cur.eat(b':') {
                return None;
            }
            if spans.len() > first {
                canon.push(b',');
            }
            let start = canon.len();
            canon.extend_from_slice(quoted.as_bytes());
            canon.push(b':');
            let value = scan_value(&field.ty, cur, canon, spans, room - 1, &mut None)?;
            // (`slot` was borrowed before the nested call; look it up again.)
            *out.get_mut(index)? = Some(value);
            sorted &= spans
                .last()
                .is_none_or(|(i, _)| spans.len() == first || *i < index);
            spans.push((index, start..canon.len()));
            if !cur.next(b'}')? {
                break;
            }
        }
    }
    if r.fields
        .iter()
        .zip(out.iter())
        .any(|(f, v)| !f.optional && v.is_none())
    {
        return None;
    }
    if !sorted {
        let written = canon.split_off(body);
        let mine = spans.get_mut(first..)?;
        mine.sort_unstable_by_key(|(i, _)| *i);
        for (n, (_, range)) in mine.iter().enumerate() {
            if n > 0 {
                canon.push(b',');
            }
            canon.extend_from_slice(written.get(range.start - body..range.end - body)?);
        }
    }
    spans.truncate(first);
    canon.push(b'}');
    Some(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use super::*;
    use crate::policy::{self, LintMode};
    use serde_json::{Value as Json, json};

    /// Contexts many times the streaming buffer, with members in name order (streamed) and
    /// in reverse order (collected), give the context and hash of the general path.
    #[test]
    fn large_contexts_in_any_member_order_scan_as_they_decode() {
        let ir = policy::compile(
            "id: big\nversion: \"1\"\nlegal_basis: [{directive: LkSG}]\ninputs:\n  hashes: {type: array, items: hex}\n  dates: {type: array, items: date}\n  xs: {type: array, items: {type: object, fields: {id: hex, ids: {type: array, items: hex}, seen: {type: date, optional: true}}}}\nrules:\n  - {id: a, op: each, over: xs, as: x, holds: \"has(x.seen)\"}\n  - {id: b, op: range_min, lhs: len(hashes), rhs: 0}\n  - {id: c, op: range_min, lhs: len(dates), rhs: 0}\n",
            LintMode::Strict,
        )
        .unwrap()
        .ir;
        let h = |i: usize| hex::encode(crate::hash::sha256(&i.to_le_bytes()));
        let xs: Vec<Json> = (0..2_000)
            .map(|i| {
                let mut o = json!({"id": h(i), "ids": [h(i + 1), h(i + 2)]});
                if i % 3 != 0 {
                    o["seen"] = json!("2025-01-31");
                }
                o
            })
            .collect();
        let ctx = json!({
            "hashes": (0..3_000).map(h).collect::<Vec<_>>(),
            "dates": vec!["2024-02-29"; 3_000],
            "xs": xs,
        });
        let sorted = serde_json::to_string(&ctx).unwrap();
        // The same members, in reverse name order at the top and in every record.
        fn reversed(v: &Json, out: &mut String) {
            match v {
                Json::Array(a) => {
                    out.push('[');
                    for (i, x) in a.iter().enumerate() {
                        out.push_str(if i > 0 { "," } else { "" });
                        reversed(x, out);
                    }
                    out.push(']');
                }
                Json::Object(o) => {
                    out.push('{');
                    for (i, (k, x)) in o.iter().rev().enumerate() {
                        out.push_str(if i > 0 { "," } else { "" });
                        out.push_str(&format!("\"{k}\":"));
                        reversed(x, out);
                    }
                    out.push('}');
                }
                other => out.push_str(&other.to_string()),
            }
        }
        let mut unsorted = String::new();
        reversed(&ctx, &mut unsorted);
        let expected = (
            super::super::decode(&ir.inputs, &ctx).unwrap(),
            crate::hash::value_sha256(&ctx).unwrap(),
        );
        assert_ne!(sorted, unsorted);
        for text in [sorted.as_str(), unsorted.as_str()] {
            assert!(text.len() > 40 * FLUSH_AT, "{}", text.len());
            let mut cur = Cursor::new(text);
            let s = scan(&ir.inputs, &mut cur, 8).unwrap();
            assert!(cur.at_end());
            assert_eq!((s.context, s.hash), expected.clone());
        }
    }
}
