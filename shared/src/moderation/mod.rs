//! Moderation (docs/PRODUCT.md §2.1 step 4, §2.2, §2.3): who is a moderator, the queue, the decisions.

use crate::deps::Deps;
use crate::domain::Email;
use crate::error::{AppError, Refusal};
use crate::records::member::Member;
use serde::{Deserialize, Serialize};

pub mod decide;
pub mod queue;

pub use decide::{decide_contact, decide_match, decide_perk};

pub use queue::queue;

/// True if the member's address is in `MODERATOR_EMAILS`.
pub fn is_moderator(deps: &Deps, member: &Member) -> bool {
    Email::parse(&member.email).is_ok_and(|e| deps.config.moderators.contains(&e))
}

/// The signed-in member, if a moderator; else `403 not_moderator`.
pub async fn moderator(deps: &Deps, bearer: Option<&str>) -> Result<Member, AppError> {
    let member = crate::members::authenticate(deps, bearer).await?;
    if !is_moderator(deps, &member) {
        return Err(Refusal::NotModerator.into());
    }
    Ok(member)
}

/// A moderator's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Approve,
    Reject,
}

/// A moderator's decision on a reported contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactDecision {
    /// The report was unfounded: the contact waits for the owner's answer again.
    Dismiss,
    /// The contact goes and its sender can contact nobody any more.
    Suspend,
}

/// What a decision left the match or the perk in, as the moderator's answer names it (`status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The match is approved and both parties have their introduction.
    Introduced,
    /// The match (or the perk) is approved; a match's introduction goes out with the next run.
    Approved,
    /// The match could not be introduced (a party left meanwhile) and was released.
    Released,
    /// The match or the perk was rejected.
    Rejected,
    /// The reported contact waits for the owner's answer again.
    Dismissed,
    /// The reported contact is gone and its sender suspended.
    Suspended,
}
