//! The SES adapter (`aws-sdk-ses`, `SendEmail`): text and HTML bodies in UTF-8, from the configured
//! identity, with an optional configuration set (bounce and complaint events).

use super::{MailError, Mailer, OutgoingMail};
use aws_sdk_ses::Client;
use aws_sdk_ses::error::ProvideErrorMetadata;
use aws_sdk_ses::types::{Body, Content, Destination, Message};

/// The SES adapter. Build the client once per cold start.
#[derive(Clone, Debug)]
pub struct SesMailer {
    client: Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(client: Client, from: impl Into<String>, configuration_set: Option<String>) -> Self {
        SesMailer { client, from: from.into(), configuration_set }
    }
}

fn content(s: &str) -> Result<Content, MailError> {
    Content::builder().data(s).charset("UTF-8").build().map_err(|e| MailError(e.to_string()))
}

#[async_trait::async_trait]
impl Mailer for SesMailer {
    async fn send(&self, mail: &OutgoingMail) -> Result<String, MailError> {
        let message = Message::builder()
            .subject(content(&mail.subject)?)
            .body(Body::builder().text(content(&mail.text)?).html(content(&mail.html)?).build())
            .build();
        let out = self
            .client
            .send_email()
            .source(&self.from)
            .destination(Destination::builder().to_addresses(mail.to.as_str()).build())
            .message(message)
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            // The error code only: SES messages can quote the recipient.
            .map_err(|e| MailError(format!("ses: {}", e.as_service_error().and_then(|s| s.code()).unwrap_or("unreachable"))))?;
        Ok(out.message_id)
    }
}
