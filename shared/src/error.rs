//! The application error: what went wrong, in terms a client can act on.
//!
//! Every handler returns [`AppError`] and turns it into a response through [`AppError::status`] and
//! [`AppError::body`] — the only place where errors become HTTP. Messages never contain personal data or
//! an SDK's text: an unexpected error's source is logged (by id, with its chain) and the client gets a
//! safe sentence.

use serde_json::json;
use std::fmt;

/// An error a request can end with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The body is not the JSON we expect (syntax, types, unknown or missing fields): 400.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String, field: Option<String> },
    /// A field parsed but its value is not acceptable (postal code that does not exist…): 422.
    #[error("{message}")]
    Invalid { code: &'static str, message: String, field: Option<String> },
    /// A use case said no, for a reason named in the product's terms (401, 403, 404, 409, 410, 422, 429).
    #[error("{}", .0.message())]
    Refused(Refusal),
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Body over the limit: 413.
    #[error("request body too large")]
    PayloadTooLarge { limit: usize },
    /// 429.
    #[error("too many requests")]
    TooManyRequests,
    /// More requests at once than the server takes: refused before any work, 503.
    #[error("the service is at capacity; nothing was changed, please try again in a moment")]
    Overloaded,
    /// A dependency (mail, store) is unavailable; nothing was half-written: 503.
    #[error("service unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A bug or an unexpected failure: 500. The source is logged, never sent.
    #[error("unexpected error")]
    Unexpected(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl AppError {
    pub fn invalid(code: &'static str, field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid { code, message: message.into(), field: Some(field.to_owned()) }
    }

    pub fn bad_request(code: &'static str, field: Option<String>, message: impl Into<String>) -> Self {
        AppError::BadRequest { code, message: message.into(), field }
    }

    /// True if a concurrent change or a state condition made the write fail (409): the caller may
    /// re-read and try again.
    pub fn is_conflict(&self) -> bool {
        self.status() == 409
    }

    pub fn unexpected(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Unexpected(Box::new(e))
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest { .. } => 400,
            AppError::Refused(r) => r.status(),
            AppError::MethodNotAllowed => 405,
            AppError::PayloadTooLarge { .. } => 413,
            AppError::Invalid { .. } => 422,
            AppError::TooManyRequests => 429,
            AppError::Overloaded | AppError::Unavailable(_) => 503,
            AppError::Unexpected(_) => 500,
        }
    }

    /// The `Retry-After` header the answer carries, in seconds: a 503 (overloaded, or a dependency
    /// down) is worth trying again shortly; nothing else is a matter of seconds.
    pub fn retry_after(&self) -> Option<&'static str> {
        (self.status() == 503).then_some("1")
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. } | AppError::Invalid { code, .. } => code,
            AppError::Refused(r) => r.code(),
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::TooManyRequests => "too_many_requests",
            AppError::Overloaded => "overloaded",
            AppError::Unavailable(_) => "unavailable",
            AppError::Unexpected(_) => "internal",
        }
    }

    /// The JSON body sent to the client: `{"error":{"code","message","field"?}}`.
    pub fn body(&self) -> serde_json::Value {
        let message = match self {
            AppError::PayloadTooLarge { limit } => {
                format!("the request body is larger than {limit} bytes")
            }
            AppError::Unavailable(_) => "a service we depend on is unavailable; nothing was changed, please try again".into(),
            AppError::Unexpected(_) => "something went wrong on our side; nothing was changed".into(),
            other => other.to_string(),
        };
        let field = match self {
            AppError::BadRequest { field, .. } | AppError::Invalid { field, .. } => field.clone(),
            _ => None,
        };
        let mut error = json!({ "code": self.code(), "message": message });
        if let Some(field) = field {
            error["field"] = json!(field);
        }
        json!({ "error": error })
    }

    /// Logs server-side failures with their source chain; client errors are logged by code only.
    pub fn log(&self) {
        match self {
            AppError::Unavailable(_) | AppError::Unexpected(_) => {
                tracing::error!(code = self.code(), error = %ErrorChain(self), "request failed")
            }
            _ => tracing::info!(code = self.code(), status = self.status(), "request refused"),
        }
    }
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        AppError::Refused(r)
    }
}

/// Why a use case refuses, in the product's terms. Each refusal's status, code and message live here
/// and nowhere else; use cases return `Err(Refusal::X.into())` and never pick a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization: Bearer` session.
    MissingSession,
    /// The session's time is over.
    SessionExpired,
    /// The session was signed out, or its member erased.
    SessionRevoked,
    /// A token that does not verify (tampered, foreign, malformed).
    InvalidToken,
    /// A valid token used for another purpose than its own (a link as a session…).
    WrongPurpose,
    /// A one-time link followed a second time.
    LinkUsed,
    /// A link past its expiry.
    LinkExpired,
    /// A sign-in link whose registration expired or was erased.
    RegistrationExpired,
    /// A member who is not a moderator on a moderator's route.
    NotModerator,
    /// No such route, or no such thing for this caller.
    NotFound(Missing),
    /// The platform is past its sunset: no new data is collected.
    PlatformClosed,
    /// The member already has the most open offers and requests.
    TooManyOpenPosts,
    /// The member already references the most perks.
    TooManyPerks,
    /// A moderator's decision on something already decided.
    AlreadyDecided(Decided),
    /// An offer with no capacity left (a concurrent proposal took it).
    OfferFull,
    /// An introduction already confirmed, declined or expired.
    MatchClosed,
    /// An offer or request that no longer exists.
    PostClosed,
    /// A concurrent change won; re-reading and trying again may succeed.
    ConcurrentChange,
    /// A member a moderator suspended from contacting anyone.
    Suspended,
    /// A listing past its expiry.
    ListingExpired,
    /// A member contacting their own listing.
    OwnListing,
    /// The listing's owner declined this member's earlier contact.
    ContactDeclined,
    /// The member already has an open contact with this listing.
    AlreadyContacted,
    /// The member already sent the most contacts of the day.
    TooManyContacts,
    /// The listing has the most contacts waiting for its owner's answer.
    ListingBusy,
    /// So many owners declined this member's contacts lately that they may send no more for now.
    TooManyDeclines,
    /// Every ticket of the perk is claimed.
    SoldOut,
    /// The member already holds a ticket for this perk.
    AlreadyClaimed,
    /// A perk without a quantity has no tickets to claim.
    NoTickets,
    /// The member already holds the most tickets.
    TooManyClaims,
    /// This address already voted in this poll (even as another member since).
    AlreadyVoted,
    /// The poll is closed.
    PollClosed,
    /// The poll is for other communities than the member's.
    NotInPollCommunities,
    /// A contact already answered, confirmed or expired.
    ContactClosed,
    /// A perk for other communities than the member's.
    NotInPerkCommunities,
    /// Something for members whose community a work address verified (and the verification has not lapsed).
    CommunityNotVerified,
    /// The work address already verifies another member.
    WorkEmailInUse,
    /// The member asked for the most verification links of the day.
    TooManyVerifications,
    /// A verification link of which a newer one was sent.
    LinkReplaced,
}

/// What a [`Refusal::NotFound`] did not find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// No route at this method and path.
    Route,
    /// No proposed match with this id.
    ProposedMatch,
    /// No pending perk with this id.
    PendingPerk,
    /// No offer or request with this id among the caller's.
    OwnPost,
    /// No published listing with this id.
    Listing,
    /// No reported contact with this id.
    ReportedContact,
    /// No listed perk with this id.
    ListedPerk,
    /// No ticket with this id among the caller's.
    OwnClaim,
    /// No poll with this id.
    Poll,
}

/// What a [`Refusal::AlreadyDecided`] was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decided {
    Match,
    Perk,
    Contact,
}

impl Refusal {
    /// The HTTP status: the one place a refusal becomes one.
    pub fn status(self) -> u16 {
        use Refusal::*;
        match self {
            MissingSession | SessionExpired | SessionRevoked | InvalidToken | WrongPurpose => 401,
            NotModerator | Suspended | ContactDeclined | TooManyDeclines | NotInPollCommunities | NotInPerkCommunities
            | CommunityNotVerified => 403,
            NotFound(_) => 404,
            TooManyOpenPosts | TooManyPerks | AlreadyDecided(_) | OfferFull | ConcurrentChange | AlreadyContacted | ListingBusy
            | SoldOut | AlreadyClaimed | TooManyClaims | AlreadyVoted | WorkEmailInUse => 409,
            LinkUsed | LinkExpired | RegistrationExpired | PlatformClosed | MatchClosed | PostClosed | ListingExpired | ContactClosed
            | PollClosed | LinkReplaced => 410,
            OwnListing | NoTickets => 422,
            TooManyContacts | TooManyVerifications => 429,
        }
    }

    /// The machine-readable code of the error body.
    pub fn code(self) -> &'static str {
        use Refusal::*;
        match self {
            MissingSession => "missing_session",
            SessionExpired => "session_expired",
            SessionRevoked => "session_revoked",
            InvalidToken => "invalid_token",
            WrongPurpose => "wrong_purpose",
            LinkUsed => "link_used",
            LinkExpired | RegistrationExpired => "link_expired",
            NotModerator => "not_moderator",
            NotFound(_) => "not_found",
            PlatformClosed => "platform_closed",
            TooManyOpenPosts => "too_many_open",
            TooManyPerks => "too_many_perks",
            AlreadyDecided(_) => "already_decided",
            OfferFull => "full",
            MatchClosed => "match_closed",
            PostClosed => "post_closed",
            ConcurrentChange => "conflict",
            Suspended => "suspended",
            ListingExpired => "listing_expired",
            OwnListing => "own_listing",
            ContactDeclined => "contact_declined",
            AlreadyContacted => "already_contacted",
            TooManyContacts => "too_many_contacts",
            ListingBusy => "listing_busy",
            TooManyDeclines => "too_many_declines",
            SoldOut => "sold_out",
            AlreadyClaimed => "already_claimed",
            NoTickets => "no_tickets",
            TooManyClaims => "too_many_claims",
            AlreadyVoted => "already_voted",
            PollClosed => "poll_closed",
            NotInPollCommunities => "not_in_poll_communities",
            ContactClosed => "contact_closed",
            NotInPerkCommunities => "not_in_perk_communities",
            CommunityNotVerified => "community_not_verified",
            WorkEmailInUse => "work_email_in_use",
            TooManyVerifications => "too_many_verifications",
            LinkReplaced => "link_replaced",
        }
    }

    /// The sentence for the client (never personal, never an internal detail).
    pub fn message(self) -> &'static str {
        use Refusal::*;
        match self {
            MissingSession => "sign in first (Authorization: Bearer <session>)",
            SessionExpired => "your session has expired; sign in again",
            SessionRevoked => "this session is no longer valid; sign in again",
            InvalidToken => "this link or session is not valid",
            WrongPurpose => "this token cannot be used here",
            LinkUsed => "this link has already been used",
            LinkExpired => "this link has expired",
            RegistrationExpired => "this registration has expired or was erased; please register again",
            NotModerator => "this is for moderators",
            NotFound(Missing::Route) => "no such API route",
            NotFound(Missing::ProposedMatch) => "no proposed match with this id",
            NotFound(Missing::PendingPerk) => "no pending perk with this id",
            NotFound(Missing::OwnPost) => "no such offer or request of yours",
            NotFound(Missing::Listing) => "no published listing with this id",
            NotFound(Missing::ReportedContact) => "no reported contact with this id",
            NotFound(Missing::ListedPerk) => "no listed perk with this id",
            NotFound(Missing::OwnClaim) => "no such ticket of yours",
            NotFound(Missing::Poll) => "no poll with this id",
            PlatformClosed => "the platform has closed; no data is collected any more",
            TooManyOpenPosts => "you already have 20 open offers and requests; withdraw one first",
            TooManyPerks => "you already reference 100 perks; withdraw one first",
            AlreadyDecided(Decided::Match) => "this match was already decided",
            AlreadyDecided(Decided::Perk) => "this perk was already decided",
            AlreadyDecided(Decided::Contact) => "this contact was already decided",
            OfferFull => "the offer is full",
            MatchClosed => "this introduction is already closed: confirmed, declined or expired",
            PostClosed => "this offer or request no longer exists",
            ConcurrentChange => "a concurrent change happened; please retry",
            Suspended => "a moderator has suspended your account from contacting members",
            ListingExpired => "this listing has expired",
            OwnListing => "this is your own listing",
            ContactDeclined => "this member declined your earlier message; you cannot contact them again",
            AlreadyContacted => "you already have a message waiting on this listing",
            TooManyContacts => "you have sent 10 messages today; try again tomorrow",
            ListingBusy => "this listing already has 20 messages waiting for an answer; try again later",
            TooManyDeclines => "many members declined your messages lately; you cannot send more for now",
            SoldOut => "every ticket of this perk is taken",
            AlreadyClaimed => "you already hold a ticket for this perk",
            NoTickets => "this perk has no limited tickets to claim",
            TooManyClaims => "you already hold 50 tickets; give one back first",
            AlreadyVoted => "this address has already voted in this poll",
            PollClosed => "this poll is closed",
            NotInPollCommunities => "this poll is for other communities",
            ContactClosed => "this contact is already answered, confirmed or expired",
            NotInPerkCommunities => "this perk is for other communities than yours",
            CommunityNotVerified => "this needs your community verified by a work address (in your space); a verification lasts 12 months",
            WorkEmailInUse => "this work address already verifies another member's community",
            TooManyVerifications => "you asked for 3 verification links today; try again tomorrow",
            LinkReplaced => "a newer verification link was sent since this one; follow the latest",
        }
    }
}

/// Formats an error and its sources on one line, for logs.
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut current = self.0.source();
        while let Some(cause) = current {
            write!(f, ": {cause}")?;
            current = cause.source();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unexpected_errors_never_leak_their_source_to_the_client() {
        let err = AppError::unexpected(std::io::Error::other("secret table name arn:aws:dynamodb"));
        let body = err.body().to_string();
        assert_eq!(err.status(), 500);
        assert!(!body.contains("arn:aws"), "{body}");
    }

    #[test]
    fn field_errors_carry_their_field() {
        let err = AppError::invalid("invalid_postal_code", "postal_code", "unknown postal code");
        assert_eq!(err.status(), 422);
        assert_eq!(err.body()["error"]["field"], "postal_code");
        assert_eq!(err.body()["error"]["code"], "invalid_postal_code");
    }

    #[test]
    fn a_refusal_is_a_client_error_with_its_code_and_sentence() {
        let err: AppError = Refusal::TooManyOpenPosts.into();
        assert_eq!((err.status(), err.code()), (409, "too_many_open"));
        assert_eq!(err.body()["error"]["message"], Refusal::TooManyOpenPosts.message());
        assert!(err.is_conflict() && !AppError::from(Refusal::LinkUsed).is_conflict());
        assert_eq!(AppError::from(Refusal::NotFound(Missing::Route)).status(), 404);
    }
}
