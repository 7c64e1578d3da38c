//! Moderation, for members whose address is in `MODERATOR_EMAILS` (signed in with the same link flow):
//! - `GET /api/moderation`: the queue — proposed matches and pending perks;
//! - `POST /api/moderation/matches/{id}` `{"decision":"approve"|"reject"}`: an approved match is
//!   introduced at once; a rejected one puts the request back and blocks the pair;
//! - `POST /api/moderation/perks/{id}` `{"decision":…}`: an approved perk is listed, a rejected one deleted;
//! - `POST /api/moderation/contacts/{id}` `{"decision":"dismiss"|"suspend"}`: a dismissed report puts the
//!   contact back before its owner; a suspension removes it and stops its sender contacting anyone;
//! - `POST /api/moderation/run`: a matching run now (the manual trigger), answering its summary.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::json;
use shared::deps::Deps;
use shared::error::{AppError, Missing, Refusal};
use shared::moderation::{self, Decision};
use shared::routes::Operation;
use shared::{http, matching};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    decision: Decision,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactDecisionBody {
    decision: moderation::ContactDecision,
}

pub async fn handle(deps: &Deps, req: Request) -> Response<Body> {
    http::respond(
        async {
            let moderator = moderation::moderator(deps, http::bearer(&req)).await?;
            let not_found = || AppError::from(Refusal::NotFound(Missing::Route));
            match http::operation(&req) {
                Some(Operation::ModerationQueue) => Ok(http::json_of(200, &moderation::queue(deps).await?)),
                Some(Operation::ModerationRun) => {
                    let summary = matching::run::run(deps).await?;
                    Ok(http::json_of(200, &summary))
                }
                Some(Operation::DecideMatch) => {
                    let id = http::path_param(&req, "id").ok_or_else(not_found)?;
                    let body: DecisionBody = http::parse_json(&req)?;
                    let status = moderation::decide_match(deps, &moderator, &id, body.decision).await?;
                    Ok(http::json(200, &json!({ "id": id, "status": status })))
                }
                Some(Operation::DecidePerk) => {
                    let id = http::path_param(&req, "id").ok_or_else(not_found)?;
                    let body: DecisionBody = http::parse_json(&req)?;
                    let status = moderation::decide_perk(deps, &moderator, &id, body.decision).await?;
                    Ok(http::json(200, &json!({ "id": id, "status": status })))
                }
                Some(Operation::DecideContact) => {
                    let id = http::path_param(&req, "id").ok_or_else(not_found)?;
                    let body: ContactDecisionBody = http::parse_json(&req)?;
                    let status = moderation::decide_contact(deps, &moderator, &id, body.decision).await?;
                    Ok(http::json(200, &json!({ "id": id, "status": status })))
                }
                _ => Err(not_found()),
            }
        }
        .await,
    )
}
