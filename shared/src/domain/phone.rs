use super::{ParseError, redacted_debug};

/// A phone number in E.164 form (`+33612345678`). French national numbers (`06 12 34 56 78`) are
/// converted; separators (spaces, dots, dashes, parentheses) are dropped. Only stored when the person
/// opts in, and only ever shown inside an introduction e-mail.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Phone(String);
redacted_debug!(Phone);

impl Phone {
    pub fn parse(raw: &str) -> Result<Phone, ParseError> {
        const INVALID: ParseError = ParseError::new("invalid_phone", "this is not a valid phone number");
        let s = raw.trim();
        if s.len() > 30 {
            return Err(INVALID);
        }
        let mut digits = String::new();
        let mut plus = false;
        for (i, c) in s.chars().enumerate() {
            match c {
                '+' if i == 0 => plus = true,
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '(' | ')' => {}
                _ => return Err(INVALID),
            }
        }
        let e164 = if plus {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_owned()
        } else if digits.len() == 10 && digits.starts_with('0') && digits.as_bytes()[1] != b'0' {
            format!("33{}", &digits[1..])
        } else {
            return Err(INVALID);
        };
        if !(8..=15).contains(&e164.len()) || e164.starts_with('0') {
            return Err(INVALID);
        }
        Ok(Phone(format!("+{e164}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_french_and_international_numbers() {
        for (raw, e164) in [
            ("06 12 34 56 78", "+33612345678"),
            ("06.12.34.56.78", "+33612345678"),
            ("+33 6 12 34 56 78", "+33612345678"),
            ("0033612345678", "+33612345678"),
            ("+44 (20) 7946-0958", "+442079460958"),
        ] {
            assert_eq!(Phone::parse(raw).unwrap().as_str(), e164, "{raw}");
        }
    }

    #[test]
    fn refuses_what_cannot_be_dialled() {
        for raw in ["", "12", "06 12 34", "+33 6 12 34 56 78 99 99 99", "0612345678a", "+0612345678", "00 12", "phone"] {
            assert!(Phone::parse(raw).is_err(), "accepted {raw:?}");
        }
    }
}
