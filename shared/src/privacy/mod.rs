//! What a member can ask of their data (docs/PRODUCT.md §3): see everything held ([`export`]) and erase it
//! all at once ([`erase`]). Both span several use cases (members, posts, matches), so they sit above them.

pub mod erase;
pub mod export;

pub use erase::erase;
pub use export::export;
