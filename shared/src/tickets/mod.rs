//! Limited tickets of a perk (docs/PRODUCT.md §2.3, Defmarket's *billetterie*): a member claims one and
//! shows its short code at the business; giving it back frees it for someone else.
//!
//! Never oversold, with no lock: the claim's transaction puts the member's ticket on condition that it is
//! absent (one per member and perk) and increments the perk's `claimed` on condition that it is below
//! `quantity` ([`crate::store::Cond::LiveBelow`]), so any number of claimants approach the limit at once
//! and exactly `quantity` succeed. The perk counts tickets, never who holds them; the tickets live in
//! their members' partitions (export lists them, erasure deletes them and gives them back).

use crate::clock::{UnixTime, rfc3339};
use crate::deps::Deps;
use crate::error::{AppError, Missing, Refusal};
use crate::records::keys;
use crate::records::load;
use crate::records::member::{MAX_MEMBER_ITEMS, Member};
use crate::records::perk::{Claim, Perk, PerkStatus, perk_key};
use crate::stats::{self, Metric};
use crate::store::{Cond, StoreError, WriteOp};
use serde::Serialize;
use serde_json::{Map, json};
use tracing::{info, instrument};

/// Tickets one member may hold at once (their partition stays bounded).
pub const MAX_CLAIMS_HELD: usize = 50;

/// How often a claim reads again and retries when a concurrent write of the same perk won (DynamoDB
/// cancels transactions that write one item at once; the embedded store never does).
const TRIES: u32 = 40;

/// What a claim answers: `201 {id, code, perk, expires_at}`.
#[derive(Debug, Serialize)]
pub struct Ticket {
    pub id: String,
    /// The short code to show at the business.
    pub code: String,
    pub perk: TicketPerk,
    pub expires_at: String,
}

/// What the ticket is for.
#[derive(Debug, Serialize)]
pub struct TicketPerk {
    pub id: String,
    pub business_name: String,
    pub perk: String,
}

impl From<Claim> for Ticket {
    fn from(c: Claim) -> Self {
        Ticket {
            id: c.id,
            code: c.code,
            perk: TicketPerk { id: c.perk_id, business_name: c.business_name, perk: c.perk },
            expires_at: rfc3339(c.expires_at),
        }
    }
}

/// Six characters without look-alikes (no I, L, O, 0, 1): read aloud or typed at a counter.
fn short_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut r = ulid::Ulid::generate().random();
    (0..6)
        .map(|_| {
            let c = ALPHABET[(r % ALPHABET.len() as u128) as usize] as char;
            r /= ALPHABET.len() as u128;
            c
        })
        .collect()
}

/// `POST /api/businesses/{id}/claims`: one ticket of a listed perk with a quantity.
///
/// Refusals: `400 invalid_id`, `404 not_found` (no listed perk), `422 no_tickets`, `409 sold_out`,
/// `409 already_claimed`, `409 too_many_claims`, `403 not_in_perk_communities`, `403 community_not_verified`
/// (a verified-only perk), `410 platform_closed`.
#[instrument(skip_all, fields(member_id = %member.id))]
pub async fn claim(deps: &Deps, member: &Member, perk_id: &str) -> Result<Ticket, AppError> {
    if ulid::Ulid::from_string(perk_id).is_err() {
        return Err(AppError::bad_request("invalid_id", Some("id".into()), "this is not an id"));
    }
    let now = deps.clock.now();
    crate::posts::refuse_after_sunset(deps, now)?;
    for attempt in 0..TRIES {
        let (claim, ops) = prepare(deps, &member.id, perk_id, now).await?;
        match deps.store.transact(ops, now).await {
            Ok(()) => {
                info!(perk_id = %perk_id, "ticket claimed");
                return Ok(claim.into());
            }
            // Sold out, claimed meanwhile, or another claim of the perk won this time: read again.
            Err(StoreError::Conflict) => {
                let jitter = ulid::Ulid::generate().random() % 4_000;
                tokio::time::sleep(std::time::Duration::from_micros(jitter as u64 * u64::from(attempt.min(8) + 1))).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Refusal::ConcurrentChange.into())
}

async fn prepare(deps: &Deps, member_id: &str, perk_id: &str, now: UnixTime) -> Result<(Claim, Vec<WriteOp>), AppError> {
    let perk: Perk = load(deps, &perk_key(perk_id), now)
        .await?
        .filter(|p: &Perk| p.status == PerkStatus::Approved)
        .ok_or(Refusal::NotFound(Missing::ListedPerk))?;
    let Some(quantity) = perk.quantity else { return Err(Refusal::NoTickets.into()) };
    if perk.claimed >= quantity {
        return Err(Refusal::SoldOut.into());
    }
    let key = keys::claim(member_id, perk_id);
    if deps.store.get(&key, now).await?.is_some() {
        return Err(Refusal::AlreadyClaimed.into());
    }
    let profile = deps.store.get(&keys::member(member_id), now).await?.ok_or(Refusal::SessionRevoked)?;
    let member: Member = profile.parse()?;
    // The perk is for its communities; a verified-only perk for members whose community a work address
    // verified (the transaction below conditions on the profile this was read from).
    if !perk.communities.contains(&member.community) {
        return Err(Refusal::NotInPerkCommunities.into());
    }
    if perk.verified_only && member.verified_community(now).is_none() {
        return Err(Refusal::CommunityNotVerified.into());
    }
    if deps.store.count_prefix(&keys::member_pk(member_id), keys::CLAIM_PREFIX, now, MAX_MEMBER_ITEMS).await? >= MAX_CLAIMS_HELD {
        return Err(Refusal::TooManyClaims.into());
    }
    let claim = Claim {
        id: ulid::Ulid::generate().to_string(),
        perk_id: perk.id.clone(),
        code: short_code(),
        business_name: perk.business_name.clone(),
        perk: perk.perk.clone(),
        created_at: now,
        expires_at: perk.expires_at,
    };
    let ops = vec![
        WriteOp::Put { item: crate::records::item_of(&claim, "claim", key, [])?, cond: Cond::Absent },
        // The limit is the write's own condition: claimants never condition on a count they read.
        WriteOp::Increment {
            key: perk_key(perk_id),
            counter: "claimed".into(),
            by: 1,
            cond: Cond::LiveBelow {
                equal: vec![("status".into(), json!(PerkStatus::Approved))],
                counter: "claimed".into(),
                limit: quantity,
            },
        },
        // The member's tickets are counted at this revision: two claims of one member that both counted
        // room for one cannot both commit.
        WriteOp::Update {
            key: keys::member(member_id),
            set: Map::from_iter([("revision".into(), json!(member.revision + 1))]),
            cond: match profile.attrs.get("revision") {
                Some(r) => Cond::LiveWith(vec![("revision".into(), r.clone())]),
                None => Cond::Live,
            },
        },
        stats::count(Metric::TicketsClaimed, &stats::Event::default(), now),
    ];
    Ok((claim, ops))
}

/// The writes that give `member_id`'s ticket for `perk_id` back: the ticket goes, and the perk (if it is
/// still there) counts one less.
pub(crate) async fn give_back_ops(deps: &Deps, member_id: &str, perk_id: &str, now: UnixTime) -> Result<Vec<WriteOp>, AppError> {
    let mut ops = vec![WriteOp::Delete { key: keys::claim(member_id, perk_id), cond: Cond::Live }];
    if deps.store.get(&perk_key(perk_id), now).await?.is_some() {
        ops.push(WriteOp::Increment { key: perk_key(perk_id), counter: "claimed".into(), by: -1, cond: Cond::Live });
    }
    Ok(ops)
}

/// `DELETE /api/claims/{id}`: the member gives their ticket back; someone else may claim it. Someone
/// else's id, or an unknown one, is `404 not_found`.
#[instrument(skip_all, fields(member_id = %member.id))]
pub async fn give_back(deps: &Deps, member: &Member, claim_id: &str) -> Result<(), AppError> {
    if ulid::Ulid::from_string(claim_id).is_err() {
        return Err(AppError::bad_request("invalid_id", Some("id".into()), "this is not an id"));
    }
    let now = deps.clock.now();
    let not_found = || AppError::from(Refusal::NotFound(Missing::OwnClaim));
    let held = deps.store.query_prefix(&keys::member_pk(&member.id), keys::CLAIM_PREFIX, now, MAX_MEMBER_ITEMS).await?;
    let claim: Claim = held.iter().find(|i| i.attrs.get("id").and_then(|v| v.as_str()) == Some(claim_id)).ok_or_else(not_found)?.parse()?;
    let mut ops = give_back_ops(deps, &member.id, &claim.perk_id, now).await?;
    ops.push(stats::count(Metric::TicketsReturned, &stats::Event::default(), now));
    deps.store.transact(ops, now).await.map_err(|e| match e {
        // Given back meanwhile (a second click), or the perk went at that moment.
        StoreError::Conflict => not_found(),
        e => e.into(),
    })?;
    info!(perk_id = %claim.perk_id, "ticket given back");
    Ok(())
}

/// The member's tickets, for the export and their space.
pub async fn of_member(deps: &Deps, member_id: &str, now: UnixTime) -> Result<Vec<Ticket>, AppError> {
    let held = deps.store.query_prefix(&keys::member_pk(member_id), keys::CLAIM_PREFIX, now, MAX_MEMBER_ITEMS).await?;
    held.iter().map(|i| Ok(i.parse::<Claim>()?.into())).collect()
}
