//! Signed links and sessions (docs/PRODUCT.md §5): JWT, HS256 pinned, with a purpose, a subject, an expiry and a
//! unique id (`jti`).
//!
//! A token of one purpose is never accepted for another (RFC 8725 §3.12): [`LinkSigner::verify`] takes the
//! purposes the caller accepts. Single use is enforced by the store (a `used link` marker written in the
//! same transaction as the link's effect), not here. Expiry is checked against the injected clock, with
//! no leeway, so tests can expire tokens.

use crate::clock::UnixTime;
use crate::crypto::Secret;
use crate::error::{AppError, Refusal};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};
use std::fmt;
use ulid::Ulid;

/// What a token allows. Links carry one of the first ten; `session` is the bearer token of a signed-in member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    Verify,
    ConfirmMatch,
    DeclineMatch,
    Erase,
    KeepOpen,
    AcceptContact,
    DeclineContact,
    ReportContact,
    ConfirmContact,
    VerifyCommunity,
    Session,
}

const AUDIENCE: &str = "entraide";

/// The claims of every token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// Whose token this is: a member id (never an e-mail).
    pub sub: String,
    pub purpose: Purpose,
    pub exp: UnixTime,
    pub iat: UnixTime,
    /// Unique id; the store remembers used ones until `exp`.
    pub jti: String,
    pub aud: String,
}

/// A signed token. Never printed: its `Debug` is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

/// Signs and verifies tokens with a key derived from the master secret.
#[derive(Clone)]
pub struct LinkSigner {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkSigner(<redacted>)")
    }
}

impl LinkSigner {
    pub fn new(master: &Secret) -> Self {
        let key = master.derive("entraide/jwt/v1");
        LinkSigner { encoding: EncodingKey::from_secret(key.expose()), decoding: DecodingKey::from_secret(key.expose()) }
    }

    /// Issues a token for `subject` valid from `now` until `expires_at`.
    pub fn issue(&self, purpose: Purpose, subject: &str, now: UnixTime, expires_at: UnixTime) -> Result<(Token, Claims), AppError> {
        let claims =
            Claims { sub: subject.to_owned(), purpose, exp: expires_at, iat: now, jti: Ulid::generate().to_string(), aud: AUDIENCE.into() };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).map_err(AppError::unexpected)?;
        Ok((Token(token), claims))
    }

    /// Checks signature, algorithm (HS256 only), audience, expiry at `now`, and that the purpose is one
    /// of `accepted`.
    ///
    /// Errors: `401 invalid_token` (malformed, tampered, other algorithm), `401 wrong_purpose`,
    /// `410 link_expired`.
    pub fn verify(&self, token: &str, accepted: &[Purpose], now: UnixTime) -> Result<Claims, AppError> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Expiry is checked below against the injected clock, with no leeway.
        validation.validate_exp = false;
        validation.leeway = 0;
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "aud"]);
        let claims = jsonwebtoken::decode::<Claims>(token.trim(), &self.decoding, &validation)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => AppError::from(Refusal::LinkExpired),
                _ => Refusal::InvalidToken.into(),
            })?
            .claims;
        if !accepted.contains(&claims.purpose) {
            return Err(Refusal::WrongPurpose.into());
        }
        if claims.exp <= now {
            return Err(if claims.purpose == Purpose::Session {
                AppError::from(Refusal::SessionExpired)
            } else {
                AppError::from(Refusal::LinkExpired)
            });
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> LinkSigner {
        LinkSigner::new(&Secret::from_hex(&"42".repeat(32)).unwrap())
    }

    #[test]
    fn a_token_verifies_for_its_purpose_until_it_expires() {
        let s = signer();
        let (t, c) = s.issue(Purpose::Verify, "m1", 1000, 2000).unwrap();
        assert_eq!(s.verify(t.as_str(), &[Purpose::Verify], 1999).unwrap(), c);
        assert_eq!(s.verify(t.as_str(), &[Purpose::Verify], 2000).unwrap_err().code(), "link_expired");
        assert_eq!(s.verify(t.as_str(), &[Purpose::Verify], 2000).unwrap_err().status(), 410);
    }

    #[test]
    fn a_token_of_one_purpose_is_refused_for_another() {
        let s = signer();
        let (t, _) = s.issue(Purpose::Session, "m1", 1000, 2000).unwrap();
        let err = s.verify(t.as_str(), &[Purpose::Verify, Purpose::Erase], 1500).unwrap_err();
        assert_eq!((err.status(), err.code()), (401, "wrong_purpose"));
    }

    #[test]
    fn tampered_or_foreign_tokens_are_refused() {
        let s = signer();
        let (t, _) = s.issue(Purpose::Erase, "m1", 1000, 2000).unwrap();
        let mut parts: Vec<String> = t.as_str().split('.').map(str::to_owned).collect();
        let other = LinkSigner::new(&Secret::from_hex(&"43".repeat(32)).unwrap());
        let (foreign, _) = other.issue(Purpose::Erase, "m1", 1000, 2000).unwrap();
        // Splice another key's payload into this token: the signature no longer matches.
        let foreign_payload = foreign.as_str().split('.').nth(1).unwrap().to_owned();
        parts[1] = foreign_payload;
        let spliced = parts.join(".");
        for bad in [spliced.as_str(), foreign.as_str(), "", "abc", "a.b.c", &format!("{}x", t.as_str())] {
            let err = s.verify(bad, &[Purpose::Erase], 1500).unwrap_err();
            assert_eq!(err.status(), 401, "{bad}");
        }
    }

    #[test]
    fn the_none_algorithm_is_refused() {
        // header {"alg":"none","typ":"JWT"}, payload with valid-looking claims, empty signature.
        let header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";
        let payload = "eyJzdWIiOiJtMSIsInB1cnBvc2UiOiJlcmFzZSIsImV4cCI6MjAwMCwiaWF0IjoxMDAwLCJqdGkiOiJ4IiwiYXVkIjoiZW50cmFpZGUifQ";
        let err = signer().verify(&format!("{header}.{payload}."), &[Purpose::Erase], 1500).unwrap_err();
        assert_eq!(err.status(), 401);
    }

    #[test]
    fn every_token_has_its_own_id() {
        let s = signer();
        let (_, a) = s.issue(Purpose::Verify, "m1", 1000, 2000).unwrap();
        let (_, b) = s.issue(Purpose::Verify, "m1", 1000, 2000).unwrap();
        assert_ne!(a.jti, b.jti);
    }
}
