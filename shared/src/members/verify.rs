//! Following a `verify` link: the address is confirmed and the member signed in.

use super::SESSION_TTL;
use crate::clock::UnixTime;
use crate::deps::Deps;
use crate::domain::PostalCode;
use crate::error::{AppError, Refusal};
use crate::links::{Claims, Purpose};
use crate::records::keys;
use crate::records::member::{MEMBER_TTL, MemberStatus, load_member, used_link_op};
use crate::store::{Cond, EXPIRES_AT, WriteOp};
use serde_json::{Map, json};
use tracing::info;

/// A member signed in by following their `verify` link.
#[derive(Debug)]
pub struct SignedIn {
    pub session: crate::links::Token,
    pub session_expires_at: UnixTime,
}

/// Confirms the address of the link's member (counted as a registration the first time) and opens a session.
pub(crate) async fn verify(deps: &Deps, claims: &Claims, now: UnixTime) -> Result<SignedIn, AppError> {
    if deps.store.get(&keys::used_link(&claims.jti), now).await?.is_some() {
        return Err(Refusal::LinkUsed.into());
    }
    let Some(member) = load_member(deps, &claims.sub, now).await? else {
        return Err(Refusal::RegistrationExpired.into());
    };
    let expires_at = member.expires_at.max(deps.config.expiry(now, MEMBER_TTL));
    let mut ops = vec![
        used_link_op(claims),
        WriteOp::Update {
            key: keys::member(&member.id),
            set: Map::from_iter([
                ("status".into(), json!(MemberStatus::Active)),
                ("last_active_at".into(), json!(now)),
                (EXPIRES_AT.into(), json!(expires_at)),
            ]),
            cond: Cond::Live,
        },
    ];
    ops.extend(member.keep_markers(expires_at, now));
    if member.status == MemberStatus::Pending {
        let department = PostalCode::parse(&member.postal_code).ok().map(|c| c.department().to_owned());
        let event = crate::stats::Event { department: department.as_deref(), ..Default::default() };
        ops.push(crate::stats::count(crate::stats::Metric::Registered, &event, now));
    }
    deps.store.transact(ops, now).await?;
    let session_expires_at = (now + SESSION_TTL).min(expires_at);
    let (session, _) = deps.links.issue(Purpose::Session, &member.id, now, session_expires_at)?;
    info!(member_id = %member.id, was = ?member.status, "member verified");
    Ok(SignedIn { session, session_expires_at })
}
