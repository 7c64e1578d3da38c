//! Searches by distance (docs/PRODUCT.md §2.2, §2.3): the perks directory and the listings for
//! organisations, both over [`search::geo_search`] (cells read by key, nearest first, a signed cursor).

pub mod businesses;
pub mod listings;
pub mod params;
pub mod search;

pub use businesses::search_businesses;
pub use listings::search_listings;
pub use params::Params;
