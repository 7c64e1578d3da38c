//! Polls (docs/PRODUCT.md §2.3, Defmarket's *sondages*): moderators publish a question; every signed-in
//! member votes once — for a poll that names communities, a member of one of them whose community a work
//! address verified ([`crate::members::community`]); anyone reads the results.
//!
//! No ballot is ever stored. A vote is one transaction: a "has voted" marker keyed by a keyed hash of
//! (poll, normalised address) — no member id, no option, no time but the poll's own closing — put on
//! condition that it is absent, the poll's counters incremented, and the poll's "open" marker checked
//! live (it expires when the poll closes). The marker outlives an erasure: the same address cannot vote
//! twice by registering again. Results by community are shown only for groups of at least
//! [`MIN_GROUP`] voters.

use crate::clock::{UnixTime, parse_rfc3339, rfc3339};
use crate::deps::Deps;
use crate::domain::{Community, text};
use crate::error::{AppError, Missing, Refusal};
use crate::records::keys;
use crate::records::load;
use crate::records::member::Member;
use crate::records::poll::{Poll, RESULTS_KEPT, voters_attr, votes_attr};
use crate::stats::{self, Metric};
use crate::store::{Cond, EXPIRES_AT, GSI1PK, GSI1SK, Item, StoreError, WriteOp};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tracing::{info, instrument};

/// Results by community are shown only for groups of at least this many voters.
pub const MIN_GROUP: i64 = 5;
/// A poll has 2 to this many options.
pub const MAX_OPTIONS: usize = 10;
/// How many polls `GET /api/polls` shows: the newest.
pub const POLLS_SHOWN: usize = 50;
/// The most polls read to find the newest (a poll lives a year after it closes).
const MAX_POLLS: usize = 5_000;
/// How often a vote reads again and retries when another vote of the same poll won (DynamoDB cancels
/// transactions that write one item at once).
const TRIES: u32 = 40;

/// `POST /api/polls`: what a moderator publishes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPoll {
    pub question: String,
    pub question_en: Option<String>,
    pub options: Vec<String>,
    pub options_en: Option<Vec<String>>,
    /// RFC 3339, in the future, within a year.
    pub closes_at: String,
    #[serde(default)]
    pub communities: Vec<String>,
}

/// `POST /api/polls/{id}/vote`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVote {
    /// The option's index, from 0.
    pub option: usize,
}

/// A poll as `GET /api/polls` shows it: counts only.
#[derive(Debug, Serialize)]
pub struct ShownPoll {
    pub id: String,
    pub question: String,
    pub question_en: Option<String>,
    pub options: Vec<ShownOption>,
    pub communities: Vec<String>,
    pub closes_at: String,
    pub open: bool,
    pub voters: i64,
    /// Communities with at least [`MIN_GROUP`] voters, and their votes per option.
    pub by_community: Vec<CommunityResult>,
}

#[derive(Debug, Serialize)]
pub struct ShownOption {
    pub text: String,
    pub text_en: Option<String>,
    pub votes: i64,
}

#[derive(Debug, Serialize)]
pub struct CommunityResult {
    pub community: String,
    pub voters: i64,
    pub votes: Vec<i64>,
}

/// `GET /api/polls`.
#[derive(Debug, Serialize)]
pub struct Polls {
    pub polls: Vec<ShownPoll>,
}

fn options(raw: &[String], field: &str) -> Result<Vec<String>, AppError> {
    if raw.len() < 2 || raw.len() > MAX_OPTIONS {
        return Err(AppError::invalid("invalid_options", field, "a poll has 2 to 10 options"));
    }
    raw.iter().enumerate().map(|(i, o)| text(Some(o), &format!("{field}[{i}]"), 1, 200)).collect()
}

/// `POST /api/polls` (moderators): publishes a poll, open until `closes_at`.
#[instrument(skip_all, fields(moderator_id = %moderator.id))]
pub async fn publish(deps: &Deps, moderator: &Member, b: NewPoll) -> Result<ShownPoll, AppError> {
    let now = deps.clock.now();
    let question = text(Some(&b.question), "question", 3, 300)?;
    let question_en = b.question_en.as_deref().map(|q| text(Some(q), "question_en", 3, 300)).transpose()?;
    let opts = options(&b.options, "options")?;
    let opts_en = match &b.options_en {
        Some(en) if en.len() != opts.len() => {
            return Err(AppError::invalid("invalid_options", "options_en", "give one English text per option"));
        }
        Some(en) => Some(options(en, "options_en")?),
        None => None,
    };
    let closes_at = parse_rfc3339(&b.closes_at)
        .filter(|t| *t > now && *t <= now + RESULTS_KEPT)
        .ok_or_else(|| AppError::invalid("invalid_date", "closes_at", "the closing time must be within the next year"))?;
    let mut communities = Vec::new();
    for (i, c) in b.communities.iter().enumerate() {
        let c = Community::parse(c).map_err(|e| e.at(&format!("communities[{i}]")))?.as_str().to_owned();
        if !communities.contains(&c) {
            communities.push(c);
        }
    }
    let poll = Poll {
        id: ulid::Ulid::generate().to_string(),
        question,
        question_en,
        options: opts,
        options_en: opts_en,
        communities,
        closes_at,
        created_at: now,
        expires_at: closes_at + RESULTS_KEPT,
    };
    let index = [(GSI1PK.to_owned(), json!(keys::POLLS)), (GSI1SK.to_owned(), json!(keys::match_order(now, &poll.id)))];
    let open = Map::from_iter([(EXPIRES_AT.to_owned(), json!(closes_at))]);
    let ops = vec![
        WriteOp::Put { item: crate::records::item_of(&poll, "poll", keys::poll(&poll.id), index)?, cond: Cond::Absent },
        WriteOp::Put { item: Item::new(keys::poll_open(&poll.id), open), cond: Cond::Absent },
    ];
    deps.store.transact(ops, now).await?;
    info!(poll_id = %poll.id, "poll published");
    Ok(shown(&poll, &Map::new(), now))
}

fn count(attrs: &Map<String, Value>, name: &str) -> i64 {
    attrs.get(name).and_then(Value::as_i64).unwrap_or(0)
}

fn shown(p: &Poll, attrs: &Map<String, Value>, now: UnixTime) -> ShownPoll {
    let by_community = p
        .communities
        .iter()
        .cloned()
        .chain(crate::domain::Taxonomy::get().communities.iter().map(|c| c.code.clone()).filter(|c| !p.communities.contains(c)))
        .filter_map(|c| {
            let voters = count(attrs, &voters_attr(Some(&c)));
            (voters >= MIN_GROUP).then(|| CommunityResult {
                votes: (0..p.options.len()).map(|i| count(attrs, &votes_attr(i, Some(&c)))).collect(),
                community: c,
                voters,
            })
        })
        .collect();
    ShownPoll {
        id: p.id.clone(),
        question: p.question.clone(),
        question_en: p.question_en.clone(),
        options: p
            .options
            .iter()
            .enumerate()
            .map(|(i, o)| ShownOption {
                text: o.clone(),
                text_en: p.options_en.as_ref().and_then(|en| en.get(i).cloned()),
                votes: count(attrs, &votes_attr(i, None)),
            })
            .collect(),
        communities: p.communities.clone(),
        closes_at: rfc3339(p.closes_at),
        open: p.closes_at > now,
        voters: count(attrs, &voters_attr(None)),
        by_community,
    }
}

/// `GET /api/polls`: the newest [`POLLS_SHOWN`] polls, open and closed, with their results.
pub async fn list(deps: &Deps) -> Result<Polls, AppError> {
    let now = deps.clock.now();
    let items = crate::store::first_of_index(deps.store.as_ref(), keys::POLLS, now, MAX_POLLS).await?.items;
    let mut polls = Vec::new();
    for item in items.iter().rev().take(POLLS_SHOWN) {
        let p: Poll = item.parse()?;
        polls.push(shown(&p, &item.attrs, now));
    }
    Ok(Polls { polls })
}

/// `POST /api/polls/{id}/vote`: one vote per address and poll, counted without a ballot.
///
/// Refusals: `400 invalid_id`, `404 not_found`, `422 invalid_option`, `410 poll_closed`,
/// `403 not_in_poll_communities`, `403 community_not_verified` (a poll for some communities), `409 already_voted`.
#[instrument(skip_all)]
pub async fn vote(deps: &Deps, member: &Member, poll_id: &str, v: NewVote) -> Result<(), AppError> {
    if ulid::Ulid::from_string(poll_id).is_err() {
        return Err(AppError::bad_request("invalid_id", Some("id".into()), "this is not an id"));
    }
    let now = deps.clock.now();
    let poll: Poll = load(deps, &keys::poll(poll_id), now).await?.ok_or(Refusal::NotFound(Missing::Poll))?;
    if v.option >= poll.options.len() {
        return Err(AppError::invalid("invalid_option", "option", "no such option in this poll"));
    }
    // A poll for some communities counts only members whose community a work address verified.
    let restricted = !poll.communities.is_empty();
    if restricted && !poll.communities.contains(&member.community) {
        return Err(Refusal::NotInPollCommunities.into());
    }
    if restricted && member.verified_community(now).is_none() {
        return Err(Refusal::CommunityNotVerified.into());
    }
    // Keyed by the address, not the member: erasing and registering again does not make a second vote.
    let marker = keys::voted(&deps.email_hasher.hash(&format!("vote:{poll_id}:{}", member.email)));
    for attempt in 0..TRIES {
        if deps.store.get(&keys::poll_open(poll_id), now).await?.is_none() {
            return Err(Refusal::PollClosed.into());
        }
        if deps.store.get(&marker, now).await?.is_some() {
            return Err(Refusal::AlreadyVoted.into());
        }
        let community = Some(member.community.as_str());
        let mut ops = vec![
            WriteOp::Put {
                item: Item::new(marker.clone(), Map::from_iter([(EXPIRES_AT.to_owned(), json!(poll.closes_at))])),
                cond: Cond::Absent,
            },
            WriteOp::Check { key: keys::poll_open(poll_id), cond: Cond::Live },
            WriteOp::Add {
                key: keys::poll(poll_id),
                counters: vec![
                    (votes_attr(v.option, None), 1),
                    (voters_attr(None), 1),
                    (votes_attr(v.option, community), 1),
                    (voters_attr(community), 1),
                ],
            },
            stats::count(Metric::Voted, &stats::Event::default(), now),
        ];
        if restricted {
            ops.push(crate::members::community::still_verified(member));
        }
        match deps.store.transact(ops, now).await {
            Ok(()) => {
                // Never the option, never the member: only that a vote was counted.
                info!("vote counted");
                return Ok(());
            }
            Err(StoreError::Conflict) => {
                let jitter = ulid::Ulid::generate().random() % 4_000;
                tokio::time::sleep(std::time::Duration::from_micros(jitter as u64 * u64::from(attempt.min(8) + 1))).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(Refusal::ConcurrentChange.into())
}

/// `POST /api/polls/{id}/close` (moderators): the poll closes now; its results stay.
pub async fn close(deps: &Deps, moderator: &Member, poll_id: &str) -> Result<ShownPoll, AppError> {
    if ulid::Ulid::from_string(poll_id).is_err() {
        return Err(AppError::bad_request("invalid_id", Some("id".into()), "this is not an id"));
    }
    let now = deps.clock.now();
    let item = deps.store.get(&keys::poll(poll_id), now).await?.ok_or(Refusal::NotFound(Missing::Poll))?;
    let mut poll: Poll = item.parse()?;
    if poll.closes_at <= now {
        return Err(Refusal::PollClosed.into());
    }
    let ops = vec![
        WriteOp::Delete { key: keys::poll_open(poll_id), cond: Cond::Live },
        WriteOp::Update {
            key: keys::poll(poll_id),
            set: Map::from_iter([("closes_at".to_owned(), json!(now)), (EXPIRES_AT.to_owned(), json!(now + RESULTS_KEPT))]),
            cond: Cond::Live,
        },
    ];
    deps.store.transact(ops, now).await.map_err(|e| match e {
        StoreError::Conflict => AppError::from(Refusal::PollClosed),
        e => e.into(),
    })?;
    info!(poll_id = %poll_id, moderator_id = %moderator.id, "poll closed");
    poll.closes_at = now;
    let mut attrs = item.attrs;
    attrs.insert("closes_at".into(), json!(now));
    Ok(shown(&poll, &attrs, now))
}
