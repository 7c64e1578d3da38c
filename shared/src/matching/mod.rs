//! Matching help requests with help offers (docs/PRODUCT.md §4).
//!
//! [`assign`] is the pure algorithm of one run: who is proposed to whom, given the open requests, the
//! offers with their remaining capacity, and the pairs that must never come back. Reading candidates
//! from the store, writing proposals under conditions, and the e-mails build on it.

pub mod assign;
mod flow;
mod nearest;
pub mod run;
