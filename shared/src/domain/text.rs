use super::ParseError;

/// Free text people write (details, a listing's text, a perk): trimmed, at most `max` characters, no
/// control characters other than line breaks and tabs, no bidirectional overrides.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    pub fn parse(raw: &str, min: usize, max: usize) -> Result<Text, ParseError> {
        let s = raw.trim();
        let n = s.chars().count();
        if n < min {
            return Err(ParseError::new("text_too_short", "this text is empty or too short"));
        }
        if n > max {
            return Err(ParseError::new("text_too_long", "this text is too long"));
        }
        if s.chars().any(|c| {
            (c.is_control() && c != '\n' && c != '\t' && c != '\r') || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        }) {
            return Err(ParseError::new("invalid_text", "this text contains control characters"));
        }
        Ok(Text(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A whole number within a range, e.g. a radius or a capacity.
pub fn bounded(value: i64, min: i64, max: i64, code: &'static str, message: &'static str) -> Result<i64, ParseError> {
    if (min..=max).contains(&value) { Ok(value) } else { Err(ParseError::new(code, message)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_limits() {
        assert_eq!(Text::parse("  hello\nworld ", 1, 20).unwrap().as_str(), "hello\nworld");
        assert_eq!(Text::parse("", 1, 20).unwrap_err().code, "text_too_short");
        assert!(Text::parse("", 0, 20).is_ok());
        assert_eq!(Text::parse(&"é".repeat(21), 0, 20).unwrap_err().code, "text_too_long");
        assert!(Text::parse(&"é".repeat(20), 0, 20).is_ok());
        assert_eq!(Text::parse("a\u{0}b", 0, 20).unwrap_err().code, "invalid_text");
        assert_eq!(Text::parse("a\u{202E}b", 0, 20).unwrap_err().code, "invalid_text");
    }

    proptest::proptest! {
        #[test]
        fn accepted_text_respects_its_bounds(s in "\\PC{0,40}", max in 0usize..30) {
            if let Ok(t) = Text::parse(&s, 0, max) {
                proptest::prop_assert!(t.as_str().chars().count() <= max);
            }
        }
    }
}
