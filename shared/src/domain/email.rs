use super::{ParseError, redacted_debug};

/// An e-mail address, normalised (trimmed, lower-cased) so that one mailbox has one form.
///
/// Accepts the common dot-atom syntax (RFC 5321 limits: 64-character local part, 254 in all) with an
/// ASCII or punycode domain of at least two labels. Quoted local parts and IP-literal domains are refused:
/// no real registrant needs them and they complicate uniqueness.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);
redacted_debug!(Email);

const INVALID: ParseError = ParseError::new("invalid_email", "this is not a valid e-mail address");

impl Email {
    pub fn parse(raw: &str) -> Result<Email, ParseError> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() || s.len() > 254 {
            return Err(INVALID);
        }
        let (local, domain) = s.split_once('@').ok_or(INVALID)?;
        if local.is_empty() || local.len() > 64 || local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err(INVALID);
        }
        if !local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c)) {
            return Err(INVALID);
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return Err(INVALID);
        }
        for label in &labels {
            if label.is_empty() || label.len() > 63 || label.starts_with('-') || label.ends_with('-') {
                return Err(INVALID);
            }
            if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                return Err(INVALID);
            }
        }
        let tld = labels[labels.len() - 1];
        if tld.len() < 2 || !(tld.chars().all(|c| c.is_ascii_alphabetic()) || tld.starts_with("xn--")) {
            return Err(INVALID);
        }
        Ok(Email(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Email::parse(&s).map_err(|e| serde::de::Error::custom(e.message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_real_addresses() {
        for (raw, normal) in [
            ("alice@example.org", "alice@example.org"),
            ("  Alice.Martin@Example.FR ", "alice.martin@example.fr"),
            ("a+tag@sub.domain.co.uk", "a+tag@sub.domain.co.uk"),
            ("o'neil@xn--bcher-kva.example", "o'neil@xn--bcher-kva.example"),
        ] {
            assert_eq!(Email::parse(raw).unwrap().as_str(), normal, "{raw}");
        }
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        let long_local = format!("{}@example.org", "a".repeat(65));
        let long_total = format!("a@{}.org", "b".repeat(250));
        for raw in [
            "",
            " ",
            "plainaddress",
            "@example.org",
            "alice@",
            "alice@localhost",
            "alice@@example.org",
            "alice@exa mple.org",
            "al ice@example.org",
            ".alice@example.org",
            "alice.@example.org",
            "al..ice@example.org",
            "alice@-example.org",
            "alice@example.o",
            "alice@example.123",
            "\"quoted\"@example.org",
            "alice@[127.0.0.1]",
            "alice\n@example.org",
            "élise@example.org",
            &long_local,
            &long_total,
        ] {
            assert!(Email::parse(raw).is_err(), "accepted {raw:?}");
        }
    }

    #[test]
    fn debug_output_hides_the_address() {
        let e = Email::parse("alice@example.org").unwrap();
        assert!(!format!("{e:?}").contains("alice"));
    }

    proptest::proptest! {
        #[test]
        fn parsing_is_idempotent_and_never_panics(s in "\\PC{0,80}") {
            if let Ok(e) = Email::parse(&s) {
                proptest::prop_assert_eq!(Email::parse(e.as_str()).unwrap(), e.clone());
                proptest::prop_assert!(e.as_str().len() <= 254);
            }
        }
    }
}
