//! What happens to a match after a run proposes it (docs/PRODUCT.md §2.1 steps 4–6, §3):
//!
//! ```text
//! proposed ──approve──▶ approved ──introduction sent to both──▶ introduced ──confirm──▶ purged
//!    │ (manual review)     ▲ (auto review starts here)               │ decline ─▶ request reopened, pair blocked
//!    └──reject──▶ request reopened, pair blocked                     └ 14 days ─▶ closed and purged (reminder at day 7)
//! ```
//!
//! Every step is one store transaction conditioned on the status it starts from, so a moderator, two
//! runs and both parties acting at once cannot apply two steps to one match.
//!
//! The introduction is sent under a *lease*: a run first moves `lease_until` forward (conditioned on
//! the value it read), then sends, recording each recipient in `sent` as soon as their copy is handed
//! over. A failed send keeps the match `approved` for a later run; a retried or concurrent run finds the
//! lease held and sends nothing; only a crash between a send and its record could repeat that one copy.

use crate::clock::{DAY, UnixTime};
use crate::deps::Deps;
use crate::domain::{Email, Taxonomy};
use crate::error::{AppError, Refusal};
use crate::records::keys;
use crate::records::load;
use crate::records::member::Member;
use crate::store::StoreError;
use serde_json::{Map, Value};

pub mod answer;
pub mod housekeeping;
pub mod introduce;
pub mod release;

pub use crate::records::matched::Match;

/// How long an introduced match waits for an answer before it closes.
pub const INTRO_TTL: i64 = 14 * DAY;

/// When an unanswered introduction gets its one reminder.
pub const MATCH_REMINDER_AFTER: i64 = 7 * DAY;

/// How long a run holds a match while it sends its introduction.
pub const SEND_LEASE: i64 = 10 * 60;

pub(crate) async fn load_match(deps: &Deps, id: &str, now: UnixTime) -> Result<Option<Match>, AppError> {
    load(deps, &keys::matched(id), now).await
}

pub(crate) fn gone_match() -> AppError {
    AppError::from(Refusal::MatchClosed)
}

pub(crate) fn set(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

pub(crate) fn help_labels(code: &str) -> (&'static str, &'static str) {
    Taxonomy::get().help_types.iter().find(|h| h.code == code).map_or(("aide", "help"), |h| (h.label.fr.as_str(), h.label.en.as_str()))
}

pub(crate) fn email_of(member: &Member) -> Result<Email, AppError> {
    Email::parse(&member.email).map_err(|e| AppError::unexpected(StoreError::Corrupt(e.code.into())))
}
