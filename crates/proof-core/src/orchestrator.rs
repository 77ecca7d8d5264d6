//! The adaptive orchestrator: which rules a context needs ([`selector`]) and in which order
//! to run them ([`planner`]). Selection follows the policy's adaptivity exactly as the
//! verifier does; the planner orders the active rules by cost, deterministically.

pub mod planner;
pub mod selector;

pub use planner::{Plan, plan};
pub use selector::{
    BasicSelector, RuleSelector, SelectError, SelectedRules, WeightedSelector, Weights,
};
