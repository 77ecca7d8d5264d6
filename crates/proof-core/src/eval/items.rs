//! Rules over the items of an array: `each` rules, and membership rules whose left side
//! maps records to hashes. Both name the failing items in their evidence: index and key,
//! the first [`MAX_ITEMS`] of them, and how many failed in all.

use super::cond;
use super::context::{Array, Value};
use super::expr::{self, Env, Fault, List, Scope, Val};
use super::row::{self, Cond};
use super::{Evidence, RuleResult, result};
use crate::ir::{Each, Expr, Lit, Rule};
use crate::lists::RefList;
use crate::types::Type;
use serde::Serialize;
use serde_json::{Value as Json, json};

/// How many hashes a membership rule checked, those on the list (`non_membership`) or
/// missing from it (`membership`), and the failing items.
pub(super) type Checked = (usize, Vec<[u8; 32]>, Failing);

/// Failing items listed in the evidence; the count covers all of them.
pub const MAX_ITEMS: usize = 100;

/// Failing items shown in a detail line.
const DETAIL_ITEMS: usize = 10;

/// A failing item: its position and, when the rule has a key field, that field's value.
/// Members in name order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemRef {
    /// Position in the array, from 0.
    pub index: usize,
    /// The key field's value (a hash as 64 hex digits, or a string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<Json>,
}

/// Collects failing items in order.
#[derive(Default)]
pub(super) struct Failing {
    /// How many failed.
    pub count: usize,
    /// The first [`MAX_ITEMS`].
    pub items: Vec<ItemRef>,
    /// The first fault met, with the item's index.
    pub fault: Option<(usize, Fault)>,
}

impl Failing {
    fn push(&mut self, index: usize, item: &Val<'_>, key: Option<usize>) {
        self.count += 1;
        if self.items.len() < MAX_ITEMS {
            self.items.push(ItemRef {
                index,
                key: key.and_then(|k| key_json(item, k)),
            });
        }
    }

    /// `[17] ab12…, [20] cd34…` for the first few, and how many more.
    fn shown(&self) -> String {
        let mut parts: Vec<String> = self
            .items
            .iter()
            .take(DETAIL_ITEMS)
            .map(|i| match &i.key {
                Some(Json::String(k)) => format!("[{}] {k}", i.index),
                Some(k) => format!("[{}] {k}", i.index),
                None => format!("[{}]", i.index),
            })
            .collect();
        if let Some(more) = self.count.checked_sub(DETAIL_ITEMS).filter(|m| *m > 0) {
            parts.push(format!(
                "and {more} more (the first {MAX_ITEMS} in `evidence`)"
            ));
        }
        let mut s = parts.join(", ");
        if let Some((i, f)) = &self.fault {
            s.push_str(&format!("; item [{i}] cannot be evaluated: {}", f.0));
        }
        s
    }
}

/// The index of the key field in the item record type, if the rule has one.
fn key_index(rule: &Rule, item: Option<Type>) -> Option<usize> {
    let (Some(k), Some(Type::Record(r))) = (&rule.key, item) else {
        return None;
    };
    r.field(k).map(|(i, _)| i)
}

fn key_json(item: &Val<'_>, k: usize) -> Option<Json> {
    let Val::Record(r) = item else {
        return None;
    };
    match r.get(k)? {
        Some(Value::Scalar(Lit::Hex(h))) => Some(json!(hex::encode(h))),
        Some(Value::Scalar(Lit::String(s))) => Some(json!(s)),
        _ => None,
    }
}

/// Item `i` of an array, and its fields when it is a record (read in place from the
/// context's rows, without going through the general item access).
fn record_at<'a>(over: &Val<'a>, i: usize) -> Option<(Option<&'a [Option<Value>]>, Val<'a>)> {
    if let Val::List(List::Records(r)) = over {
        let rec = r.get(i)?;
        return Some((Some(rec), Val::Record(rec)));
    }
    let item = over.item(i)?;
    Some((
        match &item {
            Val::Record(r) => Some(*r),
            _ => None,
        },
        item,
    ))
}

/// Evaluates an `each` rule.
pub(super) fn each(rule: &Rule, each: &Each, env: &Env<'_>) -> RuleResult {
    each_many(&[(rule, each)], &mut [], env)
        .pop()
        .unwrap_or_else(|| result(rule, false, "cannot evaluate: no result".into(), None))
}

/// Evaluates `each` rules, and membership rules mapping the items (`maps`, which must
/// range over the same array), in one pass over the items of the array the first rule
/// ranges over (so a large array is read from memory once, not once per rule); one result
/// per `each` rule, in order, each what [`each`] alone gives, and the runs' findings in
/// `maps`. At least one `each` rule is needed.
pub(super) fn each_many(
    rules: &[(&Rule, &Each)],
    maps: &mut [MapRun<'_>],
    env: &Env<'_>,
) -> Vec<RuleResult> {
    let Some((_, first)) = rules.first() else {
        return Vec::new();
    };
    // The messages each rule gives alone.
    let cannot = |each: &str, map: &str, maps: &mut [MapRun<'_>]| {
        for m in maps.iter_mut() {
            m.fault.get_or_insert_with(|| Fault(map.to_owned()));
        }
        rules
            .iter()
            .map(|(r, _)| result(r, false, format!("cannot evaluate: {each}"), None))
            .collect()
    };
    let over = match expr::eval(&first.over, env) {
        Ok(v) => v,
        Err(f) => return cannot(&f.0, &f.0, maps),
    };
    let Some(total) = over.count() else {
        return cannot("`over` is not an array", "not an array", maps);
    };
    let mut runs: Vec<(usize, Failing, Option<usize>)> = rules
        .iter()
        .map(|(r, e)| (0, Failing::default(), key_index(r, e.item())))
        .collect();
    let prepared: Vec<(Option<Cond<'_>>, Cond<'_>)> = rules
        .iter()
        .map(|(_, e)| {
            (
                e.filter.as_ref().map(|w| row::prepare(w, &e.var, env)),
                row::prepare(&e.holds, &e.var, env),
            )
        })
        .collect();
    let mut scope: Scope<'_, '_> = Vec::with_capacity(4);
    for i in 0..total {
        let Some((rec, item)) = record_at(&over, i) else {
            break;
        };
        for (((_, each), (applied, failing, key)), (filter, holds)) in
            rules.iter().zip(&mut runs).zip(&prepared)
        {
            let var = each.var.as_str();
            let mut slow = |e| {
                scope.clear();
                scope.push((var, item.clone()));
                cond::eval_bool(e, env, &mut scope)
            };
            let mut test = |c: &Cond<'_>, e| match rec.and_then(|r| c.test(r)) {
                Some(b) => Ok(b),
                None => slow(e),
            };
            // A fault in `where` never switches the check off: the item then applies.
            let holds = filter
                .as_ref()
                .zip(each.filter.as_ref())
                .is_none_or(|(c, w)| !matches!(test(c, w), Ok(false)))
                .then(|| test(holds, &each.holds));
            let Some(holds) = holds else { continue };
            *applied += 1;
            let holds = match holds {
                Ok(b) => b,
                Err(f) => {
                    failing.fault.get_or_insert((i, f));
                    false
                }
            };
            if !holds {
                failing.push(i, &item, *key);
            }
        }
        for m in maps.iter_mut() {
            m.item(i, rec, &item, env, &mut scope);
        }
    }
    rules
        .iter()
        .zip(runs)
        .map(|((rule, each), (applied, failing, _))| finish(rule, each, total, applied, failing))
        .collect()
}

fn finish(rule: &Rule, each: &Each, total: usize, applied: usize, failing: Failing) -> RuleResult {
    let over_text = &each.over;
    let which = each
        .filter
        .as_ref()
        .map_or(String::new(), |w| format!(" where `{w}`"));
    let holds = &each.holds;
    let detail = if failing.count > 0 {
        format!(
            "{} of {applied} `{over_text}` items{which} do not hold `{holds}`: {}",
            failing.count,
            failing.shown()
        )
    } else if applied == 0 && total > 0 {
        format!("no `{over_text}` item{which} (0 of {total}), so there is nothing to check")
    } else {
        format!("all {applied} of {total} `{over_text}` items{which} hold `{holds}`")
    };
    let evidence = Evidence::Each {
        applied,
        failed: failing.count,
        items: failing.items,
        total,
    };
    result(rule, failing.count == 0, detail, Some(evidence))
}

/// A membership rule whose left side is `range.map(x, body)` over records, checked item by
/// item: how many hashes it checked, the hits, and the items of which a hash is on the list
/// (`non_membership`) or missing from it (`membership`). Each hash is looked up once.
pub(super) struct MapRun<'r> {
    var: &'r str,
    body: &'r Expr,
    /// `x.field` of the item itself, read from the record in place.
    field: Option<usize>,
    key: Option<usize>,
    list: &'r RefList,
    want_in: bool,
    checked: usize,
    hits: Vec<[u8; 32]>,
    failing: Failing,
    fault: Option<Fault>,
}

impl<'r> MapRun<'r> {
    /// The run for `lhs` and the array it ranges over; `None` when the left side has
    /// another shape.
    pub(super) fn new(
        rule: &Rule,
        lhs: &'r Expr,
        list: &'r RefList,
        want_in: bool,
    ) -> Option<(Self, &'r Expr)> {
        let Expr::Macro {
            var, range, body, ..
        } = lhs
        else {
            return None;
        };
        let item_ty = crate::ir::keyed_range(lhs)?;
        let field = match body.as_ref() {
            Expr::Field { arg, index, .. } if matches!(arg.as_ref(), Expr::Local { name, .. } if name == var) => {
                Some(*index)
            }
            _ => None,
        };
        let run = Self {
            var,
            body,
            field,
            key: key_index(rule, Some(item_ty)),
            list,
            want_in,
            checked: 0,
            hits: Vec::new(),
            failing: Failing::default(),
            fault: None,
        };
        Some((run, range))
    }

    /// Checks item `i` (its fields `rec` when it is a record).
    fn item<'a, 'e>(
        &mut self,
        i: usize,
        rec: Option<&'a [Option<Value>]>,
        item: &Val<'a>,
        env: &Env<'a>,
        scope: &mut Scope<'a, 'e>,
    ) where
        'r: 'e,
    {
        if self.fault.is_some() {
            return;
        }
        let (list, want_in) = (self.list, self.want_in);
        let (checked, hits) = (&mut self.checked, &mut self.hits);
        let mut bad = false;
        let mut check = |h: &[u8; 32]| {
            *checked += 1;
            if list.contains(h) != want_in {
                hits.push(*h);
                bad = true;
            }
        };
        let in_place = match (rec, self.field) {
            (Some(rec), Some(f)) => match rec.get(f) {
                Some(Some(Value::Array(Array::Hex(v)))) => {
                    v.iter().for_each(&mut check);
                    true
                }
                Some(Some(Value::Scalar(Lit::Hex(h)))) => {
                    check(h);
                    true
                }
                _ => false,
            },
            _ => false,
        };
        if !in_place {
            scope.clear();
            scope.push((self.var, item.clone()));
            match expr::eval_in(self.body, env, scope) {
                Ok(v) if v.each_hash(&mut check) => {}
                Ok(_) => self.fault = Some(Fault("the left side is not hashes".into())),
                Err(f) => self.fault = Some(f),
            }
        }
        if bad {
            self.failing.push(i, item, self.key);
        }
    }

    /// The list the hashes are checked against.
    pub(super) const fn list(&self) -> &'r RefList {
        self.list
    }

    /// What the run found, or the fault that stopped it.
    pub(super) fn done(self) -> Result<Checked, Fault> {
        match self.fault {
            Some(f) => Err(f),
            None => Ok((self.checked, self.hits, self.failing)),
        }
    }
}

/// [`MapRun`] over the whole array on its own; `None` when the left side has another
/// shape.
pub(super) fn membership_items(
    rule: &Rule,
    lhs: &Expr,
    env: &Env<'_>,
    list: &RefList,
    want_in: bool,
) -> Option<Result<Checked, Fault>> {
    let (mut run, range) = MapRun::new(rule, lhs, list, want_in)?;
    Some((|| {
        let items = expr::eval(range, env)?;
        let n = items.count().ok_or_else(|| Fault("not an array".into()))?;
        let mut scope: Scope<'_, '_> = Vec::with_capacity(2);
        for i in 0..n {
            let Some((rec, item)) = record_at(&items, i) else {
                break;
            };
            run.item(i, rec, &item, env, &mut scope);
        }
        run.done()
    })())
}

/// The failing items' part of a membership detail line.
pub(super) fn membership_suffix(f: &Failing, lhs: &Expr, want_in: bool) -> String {
    let range = match lhs {
        Expr::Macro { range, .. } => range.to_string(),
        other => other.to_string(),
    };
    let what = if want_in {
        "a hash missing from the list"
    } else {
        "a hash on the list"
    };
    format!("; {} `{range}` items with {what}: {}", f.count, f.shown())
}
