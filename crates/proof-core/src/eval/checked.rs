//! What each `membership` / `non_membership` rule checked: the hashes of its left side and
//! the root of its list, for the proofs of a disclosure bundle.

use super::context::Context;
use super::expr::{self, Env, Val};
use crate::ir::{Ir, Lit, Op};
use crate::temporal;
use time::OffsetDateTime;

/// The hashes one membership rule checked against one list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedHashes {
    /// The rule.
    pub rule_id: String,
    /// The root of the list it checked against.
    pub root: [u8; 32],
    /// The hashes of its left side, sorted and de-duplicated.
    pub hashes: Vec<[u8; 32]>,
}

/// For each membership rule of `ir` whose operands evaluate on `ctx` at `as_of` to hashes
/// and a list root, what it checked (rules in policy order). Whether the rule was active
/// is the report's to say; a caller pairs these with the report's results.
#[must_use]
pub fn membership_inputs(ir: &Ir, ctx: &Context, as_of: OffsetDateTime) -> Vec<CheckedHashes> {
    let env = Env {
        ctx,
        today: temporal::utc_day(as_of),
        lists: None,
        roots: Vec::new(),
    };
    ir.rules
        .iter()
        .filter(|r| matches!(r.op, Op::Membership | Op::NonMembership))
        .filter_map(|rule| {
            let Ok(Val::Scalar(Lit::Hex(root))) = expr::eval(rule.rhs.as_ref()?, &env) else {
                return None;
            };
            let mut hashes = expr::eval(rule.lhs.as_ref()?, &env).ok()?.hashes()?;
            hashes.sort_unstable();
            hashes.dedup();
            Some(CheckedHashes {
                rule_id: rule.id.clone(),
                root,
                hashes,
            })
        })
        .collect()
}
