//! A work address that proves a community (docs/PRODUCT.md §2.3): an address whose domain is on that
//! community's list in the taxonomy file (`work_domains`), or on a list added by configuration
//! (`COMMUNITY_WORK_DOMAINS`).
//!
//! A listed domain matches the address's domain exactly or as a parent on a dot boundary
//! (`gendarmerie.interieur.gouv.fr` matches `x.gendarmerie.interieur.gouv.fr`, never
//! `evilgendarmerie.interieur.gouv.fr` nor `gendarmerie.interieur.gouv.fr.example`). A label ending in `*`
//! stands for that prefix followed by letters or digits (`sdis*.fr` matches `sdis13.fr`, `sdis2a.fr`).
//! When several communities list a matching domain, the most specific one (the most labels) decides: a
//! gendarme's `gendarmerie.interieur.gouv.fr` is not a police officer's `interieur.gouv.fr`.

use super::{Community, Email, ParseError, Taxonomy};

/// A work address on a domain of the member's community. Prints `<redacted>`; it is never stored.
#[derive(Clone)]
pub struct WorkEmail(Email);
super::redacted_debug!(WorkEmail);

/// One community's listed domain, from the taxonomy or the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkDomain {
    pub community: String,
    pub pattern: String,
}

impl WorkDomain {
    /// Checks a pattern's form: lowercase labels of letters, digits and hyphens, at least two, a `*` only
    /// at the end of the first label.
    pub fn parse(community: &str, pattern: &str) -> Result<WorkDomain, ParseError> {
        let community = Community::parse(community)?;
        let pattern = pattern.trim().to_ascii_lowercase();
        let labels: Vec<&str> = pattern.split('.').collect();
        let label_ok = |i: usize, l: &str| {
            let l = if i == 0 { l.strip_suffix('*').unwrap_or(l) } else { l };
            !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if labels.len() < 2 || !labels.iter().enumerate().all(|(i, l)| label_ok(i, l)) {
            return Err(ParseError::new("invalid_work_domain", "a work domain is like gendarmerie.interieur.gouv.fr or sdis*.fr"));
        }
        Ok(WorkDomain { community: community.as_str().to_owned(), pattern })
    }

    /// How many labels of `domain` this pattern covers, if it matches it on a dot boundary.
    fn matches(&self, domain: &str) -> Option<usize> {
        let want: Vec<&str> = self.pattern.split('.').collect();
        let have: Vec<&str> = domain.split('.').collect();
        if have.len() < want.len() {
            return None;
        }
        let tail = &have[have.len() - want.len()..];
        let ok = want.iter().zip(tail).all(|(w, h)| match w.strip_suffix('*') {
            Some(prefix) => h.len() > prefix.len() && h.starts_with(prefix) && h[prefix.len()..].bytes().all(|b| b.is_ascii_alphanumeric()),
            None => w == h,
        });
        ok.then_some(want.len())
    }
}

/// Every listed domain: the taxonomy's, then the configured ones.
pub fn work_domains(extra: &[WorkDomain]) -> Vec<WorkDomain> {
    let listed = Taxonomy::get()
        .communities
        .iter()
        .flat_map(|c| c.work_domains.iter().map(|d| WorkDomain { community: c.code.clone(), pattern: d.clone() }));
    listed.chain(extra.iter().cloned()).collect()
}

/// Whether a community has any listed domain (else its members cannot verify it).
pub fn is_verifiable(community: &Community, extra: &[WorkDomain]) -> bool {
    work_domains(extra).iter().any(|d| d.community == community.as_str())
}

impl WorkEmail {
    /// Parses `raw` as an address on a domain of `community`.
    ///
    /// Errors: `invalid_email`; `community_not_verifiable` (no domain is listed for the community);
    /// `work_domain_not_listed` (the domain is not the community's, or another community's is more specific).
    pub fn parse(raw: &str, community: &Community, extra: &[WorkDomain]) -> Result<WorkEmail, ParseError> {
        let email = Email::parse(raw)?;
        let domains = work_domains(extra);
        if !domains.iter().any(|d| d.community == community.as_str()) {
            return Err(ParseError::new(
                "community_not_verifiable",
                "your community has no list of work domains; it cannot be verified by a work address",
            ));
        }
        let domain = email.as_str().rsplit_once('@').map(|(_, d)| d).unwrap_or_default().to_ascii_lowercase();
        let matching: Vec<(usize, &WorkDomain)> = domains.iter().filter_map(|d| d.matches(&domain).map(|n| (n, d))).collect();
        let best = matching.iter().map(|(n, _)| *n).max();
        let ours = best.is_some_and(|best| matching.iter().any(|(n, d)| *n == best && d.community == community.as_str()));
        if !ours {
            return Err(ParseError::new("work_domain_not_listed", "this address's domain is not on your community's list of work domains"));
        }
        Ok(WorkEmail(email))
    }

    pub fn email(&self) -> &Email {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: &str, community: &str) -> Result<(), &'static str> {
        WorkEmail::parse(raw, &Community::parse(community).unwrap(), &[]).map(|_| ()).map_err(|e| e.code)
    }

    #[test]
    fn a_listed_domain_matches_exactly_or_as_a_parent_on_a_dot_boundary() {
        assert_eq!(check("a.b@gendarmerie.interieur.gouv.fr", "gendarmerie"), Ok(()));
        assert_eq!(check("a.b@x.gendarmerie.interieur.gouv.fr", "gendarmerie"), Ok(()));
        assert_eq!(check("A.B@Gendarmerie.Interieur.Gouv.FR", "gendarmerie"), Ok(()));
        assert_eq!(check("a@evilgendarmerie.interieur.gouv.fr", "gendarmerie"), Err("work_domain_not_listed"));
        assert_eq!(check("a@gendarmerie.interieur.gouv.fr.example", "gendarmerie"), Err("work_domain_not_listed"));
        assert_eq!(check("a@gendarmerie-interieur.gouv.fr", "gendarmerie"), Err("work_domain_not_listed"));
        assert_eq!(check("a@intradef.gouv.fr", "defense"), Ok(()));
        assert_eq!(check("a@aphp.fr", "health"), Ok(()));
        assert_eq!(check("a@aphp.fr.evil.example", "health"), Err("work_domain_not_listed"));
        assert_eq!(check("a@gmail.com", "health"), Err("work_domain_not_listed"));
        assert_eq!(check("not an address", "health"), Err("invalid_email"));
    }

    #[test]
    fn the_most_specific_listed_domain_decides_the_community() {
        assert_eq!(check("a@interieur.gouv.fr", "police"), Ok(()));
        assert_eq!(check("a@gendarmerie.interieur.gouv.fr", "police"), Err("work_domain_not_listed"));
        assert_eq!(check("a@aphp.fr", "defense"), Err("work_domain_not_listed"));
    }

    #[test]
    fn a_starred_label_stands_for_letters_and_digits_after_its_prefix() {
        assert_eq!(check("a@sdis13.fr", "firefighters"), Ok(()));
        assert_eq!(check("a@sdis2a.fr", "firefighters"), Ok(()));
        assert_eq!(check("a@mail.sdis974.fr", "firefighters"), Ok(()));
        assert_eq!(check("a@sdis.fr", "firefighters"), Err("work_domain_not_listed"));
        assert_eq!(check("a@sdis-13.fr", "firefighters"), Err("work_domain_not_listed"));
        assert_eq!(check("a@xsdis13.fr", "firefighters"), Err("work_domain_not_listed"));
        assert_eq!(check("a@ac-versailles.fr", "education"), Ok(()));
    }

    #[test]
    fn a_community_without_a_list_cannot_be_verified() {
        assert_eq!(check("a@aphp.fr", "citizen"), Err("community_not_verifiable"));
        assert!(!is_verifiable(&Community::parse("citizen").unwrap(), &[]));
        assert!(is_verifiable(&Community::parse("health").unwrap(), &[]));
    }

    #[test]
    fn configuration_adds_domains() {
        let extra = [WorkDomain::parse("health", "CHU-Exemple.fr").unwrap()];
        let health = Community::parse("health").unwrap();
        assert!(WorkEmail::parse("a@chu-exemple.fr", &health, &extra).is_ok());
        assert!(WorkEmail::parse("a@chu-exemple.fr", &health, &[]).is_err());
        let citizen = [WorkDomain::parse("citizen", "mairie-exemple.fr").unwrap()];
        assert!(is_verifiable(&Community::parse("citizen").unwrap(), &citizen));
        for bad in ["fr", "*.fr", "a..fr", "a b.fr", "a.*fr", ""] {
            assert!(WorkDomain::parse("health", bad).is_err(), "{bad}");
        }
        assert!(WorkDomain::parse("nobody", "a.fr").is_err());
    }

    #[test]
    fn every_listed_domain_is_well_formed() {
        for d in work_domains(&[]) {
            assert_eq!(WorkDomain::parse(&d.community, &d.pattern).as_ref(), Ok(&d));
        }
    }
}
