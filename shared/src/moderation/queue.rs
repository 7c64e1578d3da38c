//! `GET /api/moderation`: the oldest proposals and pending perks, and how many wait.

use crate::clock::rfc3339;
use crate::deps::Deps;
use crate::error::AppError;
use crate::matches::introduce::{Parties, parties};
use crate::records::keys;
use crate::records::matched::MatchStatus;
use crate::records::matched::{MAX_MATCHES, Match};
use crate::records::perk::Perk;
use crate::records::perk::PerkStatus;
use serde_json::{Value, json};

pub(crate) fn labels_of_role(community: &str, role: Option<&str>) -> Value {
    json!({ "community": community, "role": role })
}

/// How many proposals and pending perks one `GET /api/moderation` shows: the oldest first. Decisions take
/// them out of the queue, so the next call shows the next ones; `matches_waiting` / `perks_waiting` say
/// how many wait in all. (A run can propose thousands at once: showing them all would mean four reads
/// each before the answer, and an answer past the API's time and size limits.)
pub const QUEUE_PAGE: usize = 50;

/// How many proposals' details are read at once.
pub(crate) const QUEUE_READS_IN_FLIGHT: usize = 8;

/// `GET /api/moderation`: the oldest [`QUEUE_PAGE`] proposed matches (with what a moderator needs to
/// check them) and pending perks, and how many of each wait in all.
pub async fn queue(deps: &Deps) -> Result<Value, AppError> {
    use futures::stream::{self, StreamExt, TryStreamExt};
    let now = deps.clock.now();
    let proposed = deps.store.query_index(&keys::matches_in(MatchStatus::Proposed.as_str()), now, MAX_MATCHES).await?;
    let matches_waiting = proposed.len();
    let oldest: Vec<Match> = proposed.iter().take(QUEUE_PAGE).map(|i| i.parse()).collect::<Result<_, _>>()?;
    let with_parties: Vec<(Match, Option<Parties>)> = stream::iter(oldest)
        .map(|m| async move { parties(deps, &m, now).await.map(|p| (m, p)) })
        .buffered(QUEUE_READS_IN_FLIGHT)
        .try_collect()
        .await?;
    let mut matches = Vec::new();
    for (m, p) in with_parties {
        let Some(p) = p else { continue };
        matches.push(json!({
            "id": m.id,
            "help_type": m.help_type,
            "distance_km": m.distance_km,
            "proposed_at": rfc3339(m.created_at),
            "request": {
                "first_name": p.requester.first_name,
                "who": labels_of_role(&p.requester.community, p.requester.role.as_deref()),
                "postal_code": p.request.postal_code,
                "details": p.request.details,
                "children": p.request.children,
                "posted_at": rfc3339(p.request.created_at),
            },
            "offer": {
                "first_name": p.volunteer.first_name,
                "who": labels_of_role(&p.volunteer.community, p.volunteer.role.as_deref()),
                "postal_codes": p.offer.postal_codes,
                "radius_km": p.offer.radius_km,
                "availability": p.offer.availability,
                "details": p.offer.details,
                "child_care": p.offer.child_care,
                "capacity": p.offer.capacity,
            },
        }));
    }
    let mut pending = Vec::new();
    for item in deps.store.query_index(keys::PENDING_PERKS, now, MAX_MATCHES).await? {
        let perk: Perk = item.parse()?;
        if perk.status == PerkStatus::Pending {
            pending.push(perk);
        }
    }
    let perks_waiting = pending.len();
    let mut perks = Vec::new();
    for perk in pending.into_iter().take(QUEUE_PAGE) {
        perks.push(json!({
            "id": perk.id,
            "business_name": perk.business_name,
            "address": perk.address,
            "postal_code": perk.postal_code,
            "category": perk.category,
            "perk": perk.perk,
            "communities": perk.communities,
            "quantity": perk.quantity,
            "ends_on": perk.ends_on,
            "submitted_at": rfc3339(perk.created_at),
        }));
    }
    Ok(json!({ "matches": matches, "matches_waiting": matches_waiting, "perks": perks, "perks_waiting": perks_waiting }))
}
