//! Domain types that validate on construction (parse, don't validate).
//!
//! Fields are private; the only way to get an [`Email`] or a [`PostalCode`] is through its `parse`, so
//! anything past a handler is known to be valid. Types holding personal data print `<redacted>` in
//! `Debug`, so a stray `?field` in a log line cannot leak them.

mod email;
mod fields;
mod first_name;
mod phone;
pub mod postal;
pub mod taxonomy;
mod text;
pub mod work_email;

pub use email::Email;
pub use fields::{postal, radius, text};
pub use first_name::FirstName;
pub use phone::Phone;
pub use postal::PostalCode;
pub use taxonomy::{AgeRange, BusinessCategory, Community, HelpType, ListingDomain, Locale, Role, Taxonomy};
pub use text::{Text, bounded};
pub use work_email::{WorkDomain, WorkEmail};

/// Why a value was refused: a stable code for clients and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub code: &'static str,
    pub message: &'static str,
}

impl ParseError {
    pub(crate) const fn new(code: &'static str, message: &'static str) -> Self {
        ParseError { code, message }
    }

    /// Attaches the request field the value came from.
    pub fn at(self, field: &str) -> crate::error::AppError {
        crate::error::AppError::invalid(self.code, field, self.message)
    }
}

macro_rules! redacted_debug {
    ($t:ty) => {
        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}(<redacted>)", stringify!($t))
            }
        }
    };
}
pub(crate) use redacted_debug;
