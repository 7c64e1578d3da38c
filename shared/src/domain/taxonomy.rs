//! The fixed lists (`shared/data/taxonomy.json`): communities and their generic roles, help types,
//! listing domains, business categories, child age ranges, locales. The API accepts only these codes.

use super::ParseError;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

pub const TAXONOMY_JSON: &str = include_str!("../../data/taxonomy.json");

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Label {
    pub fr: String,
    pub en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub code: String,
    pub label: Label,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommunityEntry {
    pub code: String,
    pub label: Label,
    pub front_line: bool,
    /// The domains of work addresses that prove this community (see [`super::work_email`]); none for a
    /// community that cannot be verified by a work address.
    #[serde(default)]
    pub work_domains: Vec<String>,
    pub roles: Vec<Entry>,
}

/// The parsed taxonomy file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Taxonomy {
    pub version: u32,
    pub locales: Vec<Entry>,
    pub communities: Vec<CommunityEntry>,
    pub help_types: Vec<Entry>,
    pub listing_domains: Vec<Entry>,
    pub business_categories: Vec<Entry>,
    pub child_age_ranges: Vec<Entry>,
}

static TAXONOMY: LazyLock<Taxonomy> =
    LazyLock::new(|| serde_json::from_str(TAXONOMY_JSON).expect("shared/data/taxonomy.json is checked by a unit test"));

impl Taxonomy {
    pub fn get() -> &'static Taxonomy {
        &TAXONOMY
    }

    fn community(&self, code: &str) -> Option<&CommunityEntry> {
        self.communities.iter().find(|c| c.code == code)
    }
}

/// A community code from the taxonomy (`health`, `defense`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Community(String);

impl Community {
    pub fn parse(raw: &str) -> Result<Community, ParseError> {
        Taxonomy::get()
            .community(raw)
            .map(|c| Community(c.code.clone()))
            .ok_or(ParseError::new("invalid_community", "unknown community; see GET /api/taxonomy"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A generic role that belongs to a community (`defense/submariner`); never a rank, unit or employer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Role(String);

impl Role {
    pub fn parse(community: &Community, raw: &str) -> Result<Role, ParseError> {
        let c = Taxonomy::get().community(community.as_str()).ok_or(ParseError::new("invalid_community", "unknown community"))?;
        c.roles
            .iter()
            .find(|r| r.code == raw)
            .map(|r| Role(r.code.clone()))
            .ok_or(ParseError::new("invalid_role", "unknown role for this community; see GET /api/taxonomy"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The language of a member's e-mails and pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    #[default]
    Fr,
    En,
}

impl Locale {
    pub fn parse(raw: &str) -> Result<Locale, ParseError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "fr" | "fr-fr" => Ok(Locale::Fr),
            "en" | "en-gb" | "en-us" => Ok(Locale::En),
            _ => Err(ParseError::new("invalid_locale", "the locale must be fr or en")),
        }
    }

    /// Its language tag (`fr`, `en`), as HTML's `lang` takes it.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::En => "en",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_taxonomy_file_parses_and_codes_are_unique() {
        let t = Taxonomy::get();
        let lists: [&[Entry]; 5] = [&t.locales, &t.help_types, &t.listing_domains, &t.business_categories, &t.child_age_ranges];
        for list in lists {
            let codes: HashSet<_> = list.iter().map(|e| &e.code).collect();
            assert_eq!(codes.len(), list.len());
            assert!(list.iter().all(|e| !e.label.fr.is_empty() && !e.label.en.is_empty()));
        }
        let communities: HashSet<_> = t.communities.iter().map(|c| &c.code).collect();
        assert_eq!(communities.len(), t.communities.len());
        for c in &t.communities {
            let roles: HashSet<_> = c.roles.iter().map(|r| &r.code).collect();
            assert_eq!(roles.len(), c.roles.len(), "{}", c.code);
        }
        assert_eq!(t.listing_domains.len(), 7, "six domains plus 3D printing");
    }

    #[test]
    fn roles_belong_to_their_community() {
        let defense = Community::parse("defense").unwrap();
        let health = Community::parse("health").unwrap();
        assert!(Role::parse(&defense, "submariner").is_ok());
        assert!(Role::parse(&health, "nursing-assistant").is_ok());
        assert_eq!(Role::parse(&health, "submariner").unwrap_err().code, "invalid_role");
        assert!(Community::parse("navy-seals").is_err());
        assert!(Community::parse("").is_err());
    }

    #[test]
    fn locales() {
        assert_eq!(Locale::parse("FR").unwrap(), Locale::Fr);
        assert_eq!(Locale::parse("en").unwrap(), Locale::En);
        assert!(Locale::parse("de").is_err());
    }
}

/// Declares a taxonomy code type: a string that is one of the codes of one list of the taxonomy file.
macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident, $list:ident, $code:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(raw: &str) -> Result<$name, ParseError> {
                Taxonomy::get()
                    .$list
                    .iter()
                    .find(|e| e.code == raw)
                    .map(|e| $name(e.code.clone()))
                    .ok_or(ParseError::new($code, concat!("unknown ", $what, "; see GET /api/taxonomy")))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

code_type!(
    /// A kind of help (`groceries`, `child-care`).
    HelpType, help_types, "invalid_help_type", "help type"
);
code_type!(
    /// A listing domain (`agricole`, `medical`, …, `impression-3d`).
    ListingDomain, listing_domains, "invalid_domain", "listing domain"
);
code_type!(
    /// A business category of the perks directory.
    BusinessCategory, business_categories, "invalid_category", "business category"
);
code_type!(
    /// A child age range (`0-1`, `1-2`, `3-5`, `6-9`, `10-12`, `13+`).
    AgeRange, child_age_ranges, "invalid_age_range", "child age range"
);

impl HelpType {
    /// The help type whose offers and requests carry child-care details.
    pub fn is_child_care(&self) -> bool {
        self.0 == "child-care"
    }
}

#[cfg(test)]
mod code_tests {
    use super::*;

    #[test]
    fn codes_come_from_their_own_list_only() {
        assert!(HelpType::parse("groceries").is_ok());
        assert!(HelpType::parse("medical").is_err());
        assert!(ListingDomain::parse("impression-3d").is_ok());
        assert_eq!(ListingDomain::parse("groceries").unwrap_err().code, "invalid_domain");
        assert!(BusinessCategory::parse("restaurant").is_ok());
        assert!(AgeRange::parse("13+").is_ok());
        assert!(AgeRange::parse("14").is_err());
        assert!(HelpType::parse("child-care").unwrap().is_child_care());
    }
}
