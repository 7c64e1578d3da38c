//! The `--demo` loader's shortcut (behind the `demo` feature): a member created already verified,
//! without an e-mail, for synthetic data at `example.org`. No Lambda links it.

use super::register::{RegisterBody, create_pending};
use crate::deps::Deps;
use crate::error::AppError;
use crate::records::keys;
use crate::records::member::{MEMBER_TTL, Member, MemberStatus};
use crate::store::{Cond, EXPIRES_AT, WriteOp};
use serde_json::{Map, json};

/// Creates an already verified member without sending any e-mail: only for the local runner's synthetic
/// `--demo` data (addresses at `example.org`). Counted in the statistics like a registration.
pub async fn create_verified(deps: &Deps, body: RegisterBody) -> Result<Member, AppError> {
    let now = deps.clock.now();
    let reg = body.parse()?;
    let email_hash = deps.email_hasher.hash(reg.email.as_str());
    let mut member = create_pending(deps, &reg, &email_hash, now).await?;
    let expires_at = deps.config.expiry(now, MEMBER_TTL);
    let department = reg.postal_code.department().to_owned();
    let ops = vec![
        WriteOp::Update {
            key: keys::member(&member.id),
            set: Map::from_iter([("status".into(), json!(MemberStatus::Active)), (EXPIRES_AT.into(), json!(expires_at))]),
            cond: Cond::Live,
        },
        WriteOp::Update {
            key: keys::email_marker(&email_hash),
            set: Map::from_iter([(EXPIRES_AT.into(), json!(expires_at))]),
            cond: Cond::Live,
        },
        crate::stats::count(
            crate::stats::Metric::Registered,
            &crate::stats::Event { department: Some(&department), ..Default::default() },
            now,
        ),
    ];
    deps.store.transact(ops, now).await?;
    member.status = MemberStatus::Active;
    member.expires_at = expires_at;
    Ok(member)
}
