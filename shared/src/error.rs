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
    /// Missing, tampered, or wrong-purpose credentials: 401.
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    /// Authenticated but not allowed: 403.
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    /// 404.
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A concurrent change won; the client may retry: 409.
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A link that expired or was already used, or a platform past its sunset: 410.
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    /// Body over the limit: 413.
    #[error("request body too large")]
    PayloadTooLarge { limit: usize },
    /// 429.
    #[error("too many requests")]
    TooManyRequests,
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

    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Unauthorized { code, message: message.into() }
    }

    pub fn gone(code: &'static str, message: impl Into<String>) -> Self {
        AppError::Gone { code, message: message.into() }
    }

    pub fn unexpected(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        AppError::Unexpected(Box::new(e))
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest { .. } => 400,
            AppError::Unauthorized { .. } => 401,
            AppError::Forbidden { .. } => 403,
            AppError::NotFound { .. } => 404,
            AppError::MethodNotAllowed => 405,
            AppError::Conflict { .. } => 409,
            AppError::Gone { .. } => 410,
            AppError::PayloadTooLarge { .. } => 413,
            AppError::Invalid { .. } => 422,
            AppError::TooManyRequests => 429,
            AppError::Unavailable(_) => 503,
            AppError::Unexpected(_) => 500,
        }
    }

    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. }
            | AppError::Invalid { code, .. }
            | AppError::Unauthorized { code, .. }
            | AppError::Forbidden { code, .. }
            | AppError::NotFound { code, .. }
            | AppError::Conflict { code, .. }
            | AppError::Gone { code, .. } => code,
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::PayloadTooLarge { .. } => "payload_too_large",
            AppError::TooManyRequests => "too_many_requests",
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
}
