use super::{ParseError, redacted_debug};
use unicode_segmentation::UnicodeSegmentation;

/// A first name as people write it: 1 to 50 user-perceived characters (graphemes), at least one letter,
/// no control characters and no bidirectional overrides (which can make an e-mail lie about its content).
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct FirstName(String);
redacted_debug!(FirstName);

impl FirstName {
    pub const MAX_GRAPHEMES: usize = 50;

    pub fn parse(raw: &str) -> Result<FirstName, ParseError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(ParseError::new("invalid_first_name", "the first name is empty"));
        }
        if s.graphemes(true).count() > Self::MAX_GRAPHEMES {
            return Err(ParseError::new("invalid_first_name", "the first name is longer than 50 characters"));
        }
        if s.chars().any(|c| c.is_control() || is_bidi_control(c)) {
            return Err(ParseError::new("invalid_first_name", "the first name contains control characters"));
        }
        if !s.chars().any(char::is_alphabetic) {
            return Err(ParseError::new("invalid_first_name", "the first name must contain a letter"));
        }
        Ok(FirstName(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_names_people_have() {
        for raw in ["Léa", "Jean-Pierre", "Zoë", "Anne Marie", "D'Artagnan", "Łukasz", "محمد", "美咲", "  Paul  "] {
            assert!(FirstName::parse(raw).is_ok(), "refused {raw:?}");
        }
        // 50 graphemes, each made of several code points, is still 50.
        let combining = "e\u{301}".repeat(50);
        assert!(FirstName::parse(&combining).is_ok());
    }

    #[test]
    fn refuses_empty_long_or_hostile_names() {
        for raw in ["", "   ", &"a".repeat(51), &"a".repeat(500), "Paul\u{0}", "Paul\nJean", "Paul\u{202E}", "123", "--"] {
            assert!(FirstName::parse(raw).is_err(), "accepted {raw:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn accepted_names_respect_the_limits(s in "\\PC{0,70}") {
            if let Ok(n) = FirstName::parse(&s) {
                proptest::prop_assert!(n.as_str().graphemes(true).count() <= 50);
                proptest::prop_assert!(!n.as_str().chars().any(char::is_control));
            }
        }
    }
}
