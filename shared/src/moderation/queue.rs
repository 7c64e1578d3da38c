//! `GET /api/moderation`: the oldest proposals, pending perks and reported contacts, and how many wait.

use crate::clock::rfc3339;
use crate::deps::Deps;
use crate::error::AppError;
use crate::matches::introduce::{Parties, parties};
use crate::records::contact::{Contact, ContactStatus};
use crate::records::keys;
use crate::records::matched::MatchStatus;
use crate::records::matched::{MAX_MATCHES, Match};
use crate::records::member::Member;
use crate::records::perk::Perk;
use crate::records::perk::PerkStatus;
use crate::records::post::ChildCareOffer;
use crate::store::first_of_index;
use serde::Serialize;

/// What `GET /api/moderation` answers.
#[derive(Debug, Serialize)]
pub struct Queue {
    /// The oldest [`QUEUE_PAGE`] proposals.
    pub matches: Vec<ProposedMatch>,
    pub matches_waiting: usize,
    /// The oldest [`QUEUE_PAGE`] perks waiting for review.
    pub perks: Vec<PendingPerk>,
    pub perks_waiting: usize,
    /// The oldest [`QUEUE_PAGE`] contacts a listing's owner reported.
    pub contacts: Vec<ReportedContact>,
    pub contacts_waiting: usize,
}

/// A reported contact, with what a moderator needs to judge it: the message, the listing's title, the
/// sender's first name and generic labels (no address, no id).
#[derive(Debug, Serialize)]
pub struct ReportedContact {
    pub id: String,
    pub listing_title: String,
    pub message: String,
    pub sender: Sender,
    pub sent_at: String,
    pub reported_at: String,
}

#[derive(Debug, Serialize)]
pub struct Sender {
    pub first_name: String,
    pub who: Who,
}

/// A proposal, with what a moderator needs to check it (first names and generic labels, no address).
#[derive(Debug, Serialize)]
pub struct ProposedMatch {
    pub id: String,
    pub help_type: String,
    pub distance_km: f64,
    pub proposed_at: String,
    pub request: RequestSide,
    pub offer: OfferSide,
}

/// A member's generic labels, as a moderator sees them.
#[derive(Debug, Serialize)]
pub struct Who {
    pub community: String,
    pub role: Option<String>,
}

impl Who {
    fn of(m: &Member) -> Self {
        Who { community: m.community.clone(), role: m.role.clone() }
    }
}

#[derive(Debug, Serialize)]
pub struct RequestSide {
    pub first_name: String,
    pub who: Who,
    pub postal_code: String,
    pub details: String,
    pub children: Vec<String>,
    pub posted_at: String,
}

#[derive(Debug, Serialize)]
pub struct OfferSide {
    pub first_name: String,
    pub who: Who,
    pub postal_codes: Vec<String>,
    pub radius_km: i64,
    pub availability: String,
    pub details: String,
    pub child_care: Option<ChildCareOffer>,
    pub capacity: i64,
}

/// A perk waiting for review.
#[derive(Debug, Serialize)]
pub struct PendingPerk {
    pub id: String,
    pub business_name: String,
    pub address: String,
    pub postal_code: String,
    pub category: String,
    pub perk: String,
    pub communities: Vec<String>,
    pub quantity: Option<i64>,
    pub ends_on: Option<String>,
    pub submitted_at: String,
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
pub async fn queue(deps: &Deps) -> Result<Queue, AppError> {
    use futures::stream::{self, StreamExt, TryStreamExt};
    let now = deps.clock.now();
    // Counted up to MAX_MATCHES (the figure then reads "at least"); only the oldest page is shown.
    let proposed = first_of_index(deps.store.as_ref(), &keys::matches_in(MatchStatus::Proposed.as_str()), now, MAX_MATCHES).await?.items;
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
        matches.push(ProposedMatch {
            proposed_at: rfc3339(m.created_at),
            request: RequestSide {
                first_name: p.requester.first_name.clone(),
                who: Who::of(&p.requester),
                postal_code: p.request.postal_code,
                details: p.request.details,
                children: p.request.children,
                posted_at: rfc3339(p.request.created_at),
            },
            offer: OfferSide {
                first_name: p.volunteer.first_name.clone(),
                who: Who::of(&p.volunteer),
                postal_codes: p.offer.postal_codes,
                radius_km: p.offer.radius_km,
                availability: p.offer.availability,
                details: p.offer.details,
                child_care: p.offer.child_care,
                capacity: p.offer.capacity,
            },
            id: m.id,
            help_type: m.help_type,
            distance_km: m.distance_km,
        });
    }
    let mut pending = Vec::new();
    for item in first_of_index(deps.store.as_ref(), keys::PENDING_PERKS, now, MAX_MATCHES).await?.items {
        let perk: Perk = item.parse()?;
        if perk.status == PerkStatus::Pending {
            pending.push(perk);
        }
    }
    let perks_waiting = pending.len();
    let mut perks = Vec::new();
    for perk in pending.into_iter().take(QUEUE_PAGE) {
        perks.push(PendingPerk {
            submitted_at: rfc3339(perk.created_at),
            id: perk.id,
            business_name: perk.business_name,
            address: perk.address,
            postal_code: perk.postal_code,
            category: perk.category,
            perk: perk.perk,
            communities: perk.communities,
            quantity: perk.quantity,
            ends_on: perk.ends_on,
        });
    }
    let reported = first_of_index(deps.store.as_ref(), &keys::contacts_in(ContactStatus::Reported.as_str()), now, MAX_MATCHES).await?.items;
    let contacts_waiting = reported.len();
    let mut contacts = Vec::new();
    for item in reported.iter().take(QUEUE_PAGE) {
        let c: Contact = item.parse()?;
        // A sender erased meanwhile took the contact with them; one whose profile expired shows no name.
        let sender = crate::records::load::<Member>(deps, &keys::member(&c.sender_id), now).await?;
        contacts.push(ReportedContact {
            sender: Sender {
                first_name: sender.as_ref().map(|m| m.first_name.clone()).unwrap_or_default(),
                who: sender.as_ref().map_or(Who { community: String::new(), role: None }, Who::of),
            },
            sent_at: rfc3339(c.created_at),
            reported_at: rfc3339(c.reported_at.unwrap_or(c.created_at)),
            id: c.id,
            listing_title: c.listing_title,
            message: c.message,
        });
    }
    Ok(Queue { matches, matches_waiting, perks, perks_waiting, contacts, contacts_waiting })
}
