//! The mailer port and its adapters: [`ses::SesMailer`] (AWS SES, proven against a local SES server) and
//! [`outbox::Outbox`] (local mode: mail lands in a local mailbox shown at `/outbox`).
//!
//! Messages are built by [`templates`], in the member's language, as text and HTML, and always carry an
//! "erase my data" link.

#[cfg(feature = "embedded")]
pub mod outbox;
pub mod community;
pub mod relay;
pub mod ses;
pub mod templates;

use crate::domain::Email;
use serde::{Deserialize, Serialize};

/// A link inside an e-mail, labelled by what it does.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MailLink {
    pub purpose: String,
    pub url: String,
}

/// One e-mail to one recipient.
#[derive(Clone, Serialize)]
pub struct OutgoingMail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub links: Vec<MailLink>,
}

impl std::fmt::Debug for OutgoingMail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Bodies hold names and tokens: never printed.
        f.debug_struct("OutgoingMail").field("subject", &self.subject).finish_non_exhaustive()
    }
}

/// A mail could not be handed to the mail service. Carries the service's error code only.
#[derive(Debug, Clone, thiserror::Error)]
#[error("mail not sent: {0}")]
pub struct MailError(pub String);

impl From<MailError> for crate::error::AppError {
    fn from(e: MailError) -> Self {
        crate::error::AppError::Unavailable(Box::new(e))
    }
}

/// The mailer port.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// Hands one message to the mail service; returns the service's message id.
    async fn send(&self, mail: &OutgoingMail) -> Result<String, MailError>;
}
