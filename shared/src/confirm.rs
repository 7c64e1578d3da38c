//! `POST /api/confirm`: carries out a link, once, whatever its purpose — verify an address, erase a
//! member, confirm or decline a match, keep a post open, answer a contact (accept, decline, report),
//! confirm it, or verify a community.

use crate::clock::UnixTime;
use crate::deps::Deps;
use crate::error::{AppError, Refusal};
use crate::links::Purpose;
use crate::members::verify::verify;
use crate::privacy::erase;
use crate::records::keys;
use tracing::instrument;

/// What following a link did (`POST /api/confirm`).
#[derive(Debug)]
pub enum LinkOutcome {
    /// The address is confirmed; the member is signed in.
    Verified { session: crate::links::Token, session_expires_at: UnixTime },
    /// Everything of the person is gone.
    Erased,
    /// The help is arranged: the match's personal data is gone.
    MatchConfirmed,
    /// It did not work out: the request is open again, never to this volunteer.
    MatchDeclined,
    /// The offer or request stays open until this time.
    KeptOpen { expires_at: UnixTime },
    /// Both parties of the contact have the introduction.
    ContactAccepted,
    /// The contact is gone; its sender is told, and cannot contact this owner again.
    ContactDeclined,
    /// The contact waits for a moderator.
    ContactReported,
    /// The two are in touch: the contact's personal data is gone.
    ContactConfirmed,
    /// A work address verified the member's community, until this time.
    CommunityVerified { community: String, valid_until: UnixTime },
}

/// The purposes `POST /api/confirm` accepts (never `session`).
pub const CONFIRM_PURPOSES: &[Purpose] = &[
    Purpose::Verify,
    Purpose::Erase,
    Purpose::ConfirmMatch,
    Purpose::DeclineMatch,
    Purpose::KeepOpen,
    Purpose::AcceptContact,
    Purpose::DeclineContact,
    Purpose::ReportContact,
    Purpose::ConfirmContact,
    Purpose::VerifyCommunity,
];

/// `POST /api/confirm`: carries out a link, once.
///
/// Errors: `401 invalid_token`/`wrong_purpose`, `410 link_expired` (also when the registration it
/// belongs to has expired), `410 link_used`.
#[instrument(skip_all)]
pub async fn follow_link(deps: &Deps, token: &str) -> Result<LinkOutcome, AppError> {
    let now = deps.clock.now();
    let claims = deps.links.verify(token, CONFIRM_PURPOSES, now)?;
    // A match answer can race a run or the other party on the same offer: read again and retry twice.
    let mut tries = 0;
    loop {
        let result = match claims.purpose {
            Purpose::Verify => verify(deps, &claims, now)
                .await
                .map(|s| LinkOutcome::Verified { session: s.session, session_expires_at: s.session_expires_at }),
            Purpose::Erase => erase(deps, &claims.sub, Some(&claims), now).await.map(|()| LinkOutcome::Erased),
            Purpose::ConfirmMatch => crate::matches::answer::confirm(deps, &claims, now).await.map(|()| LinkOutcome::MatchConfirmed),
            Purpose::DeclineMatch => crate::matches::answer::decline(deps, &claims, now).await.map(|()| LinkOutcome::MatchDeclined),
            Purpose::KeepOpen => {
                crate::matches::answer::keep_open(deps, &claims, now).await.map(|expires_at| LinkOutcome::KeptOpen { expires_at })
            }
            Purpose::AcceptContact => crate::contacts::answer::accept(deps, &claims, now).await.map(|()| LinkOutcome::ContactAccepted),
            Purpose::DeclineContact => crate::contacts::answer::decline(deps, &claims, now).await.map(|()| LinkOutcome::ContactDeclined),
            Purpose::ReportContact => crate::contacts::answer::report(deps, &claims, now).await.map(|()| LinkOutcome::ContactReported),
            Purpose::ConfirmContact => crate::contacts::answer::confirm(deps, &claims, now).await.map(|()| LinkOutcome::ContactConfirmed),
            Purpose::VerifyCommunity => crate::members::community::confirm(deps, &claims, now)
                .await
                .map(|v| LinkOutcome::CommunityVerified { community: v.community, valid_until: v.valid_until }),
            Purpose::Session => Err(Refusal::WrongPurpose.into()),
        };
        match result {
            Err(e) if (e.is_conflict() || e.status() == 410) && deps.store.get(&keys::used_link(&claims.jti), now).await?.is_some() => {
                return Err(Refusal::LinkUsed.into());
            }
            Err(e) if e.is_conflict() && tries < 2 && matches!(claims.purpose, Purpose::ConfirmMatch | Purpose::DeclineMatch) => {
                tries += 1;
            }
            other => return other,
        }
    }
}
