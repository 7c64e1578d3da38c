//! What a handler needs, built once per cold start (or once per local process) and passed by reference.

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::crypto::{KeyedHasher, Secret};
use crate::links::LinkSigner;
use crate::mail::Mailer;
#[cfg(feature = "embedded")]
use crate::mail::outbox::Outbox;
use crate::mail::ses::SesMailer;
use crate::store::ItemStore;
use crate::store::dynamo::DynamoStore;
#[cfg(feature = "embedded")]
use crate::store::sqlite::SqliteStore;
use std::sync::Arc;

/// The clients and settings every handler uses.
#[derive(Clone)]
pub struct Deps {
    pub config: Config,
    pub store: Arc<dyn ItemStore>,
    pub mailer: Arc<dyn Mailer>,
    pub links: LinkSigner,
    pub email_hasher: KeyedHasher,
    /// Signs search cursors so a client cannot edit one.
    pub cursor_signer: KeyedHasher,
    pub clock: Arc<dyn Clock>,
}

/// Start-up failed: the message names what is missing, never a secret's value.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("{0}")]
    Secret(String),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("mail: {0}")]
    Mail(#[from] crate::mail::MailError),
}

impl Deps {
    /// Assembles dependencies; the two keys are derived from `secret` here.
    pub fn new(config: Config, store: Arc<dyn ItemStore>, mailer: Arc<dyn Mailer>, secret: &Secret, clock: Arc<dyn Clock>) -> Self {
        Deps {
            config,
            store,
            mailer,
            links: LinkSigner::new(secret),
            email_hasher: KeyedHasher::new(&secret.derive("entraide/email-hash/v1")),
            cursor_signer: KeyedHasher::new(&secret.derive("entraide/cursor/v1")),
            clock,
        }
    }

    /// An in-memory embedded store and outbox (fast tests). Returns the outbox to read mail back.
    #[cfg(feature = "embedded")]
    pub fn in_memory(config: Config, clock: Arc<dyn Clock>) -> Result<(Deps, Outbox), StartupError> {
        let outbox = Outbox::in_memory()?;
        let store = SqliteStore::in_memory()?;
        Ok((Deps::new(config, Arc::new(store), Arc::new(outbox.clone()), &Secret::generate(), clock), outbox))
    }

    /// A Lambda function's dependencies, from the environment (see [`crate::config`]).
    ///
    /// The master secret comes from SSM Parameter Store (`SECRET_PARAMETER`, read once here) or, outside
    /// AWS, from `ENTRAIDE_SECRET`. `DYNAMODB_ENDPOINT`/`SES_ENDPOINT` point the clients at local stand-ins.
    pub async fn from_env() -> Result<Deps, StartupError> {
        let config = Config::from_env(Config::default())?;
        let sdk = aws_sdk_config().await;
        let secret = match (std::env::var("ENTRAIDE_SECRET").ok(), std::env::var("SECRET_PARAMETER").ok()) {
            (Some(hex), _) => Secret::from_hex(&hex).map_err(|e| StartupError::Secret(format!("ENTRAIDE_SECRET: {e}")))?,
            (None, Some(name)) => read_ssm_secret(&sdk, &name).await?,
            (None, None) => {
                return Err(StartupError::Secret("set SECRET_PARAMETER (SSM parameter name) or ENTRAIDE_SECRET".into()));
            }
        };
        let store = dynamo_store(&sdk, &config.table_name);
        warm_up(&store).await;
        let mailer = ses_mailer(&sdk, &config);
        Ok(Deps::new(config, Arc::new(store), Arc::new(mailer), &secret, Arc::new(SystemClock)))
    }
}

/// The AWS SDK configuration. With a local endpoint and no AWS credentials in the environment, uses
/// static fake credentials and a fixed region so nothing tries to reach AWS's credential services.
pub async fn aws_sdk_config() -> aws_config::SdkConfig {
    let local = std::env::var("DYNAMODB_ENDPOINT").is_ok() || std::env::var("SES_ENDPOINT").is_ok();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).retry_config(retry_config());
    if local && std::env::var("AWS_ACCESS_KEY_ID").is_err() {
        loader = loader.region(aws_config::Region::new("eu-west-3")).credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "local",
            "local",
            None,
            None,
            "entraide-local",
        ));
    }
    loader.load().await
}

/// How every AWS call retries a throttled or transient failure (docs/PERFORMANCE.md, "On AWS"): the
/// standard mode (throttling, 5xx and timeouts are retried, each client holding a retry budget so that a
/// failing service is not hammered), three attempts, exponential backoff with full jitter from 50 ms up to
/// 1 s — short enough that an API request still answers well inside its Lambda's 10 s. A transaction
/// cancelled by a conflicting one is not retried here: the use case decides (a 409 to retry).
pub fn retry_config() -> aws_config::retry::RetryConfig {
    aws_config::retry::RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(std::time::Duration::from_millis(50))
        .with_max_backoff(std::time::Duration::from_secs(1))
}

/// The DynamoDB adapter, honouring `DYNAMODB_ENDPOINT`.
pub fn dynamo_store(sdk: &aws_config::SdkConfig, table: &str) -> DynamoStore {
    let mut b = aws_sdk_dynamodb::config::Builder::from(sdk);
    if let Ok(url) = std::env::var("DYNAMODB_ENDPOINT") {
        b = b.endpoint_url(url);
    }
    DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(b.build()), table)
}

/// The SES adapter, honouring `SES_ENDPOINT`.
pub fn ses_mailer(sdk: &aws_config::SdkConfig, config: &Config) -> SesMailer {
    let mut b = aws_sdk_ses::config::Builder::from(sdk);
    if let Ok(url) = std::env::var("SES_ENDPOINT") {
        b = b.endpoint_url(url);
    }
    SesMailer::new(aws_sdk_ses::Client::from_conf(b.build()), config.mail_from.clone(), config.ses_configuration_set.clone())
}

async fn read_ssm_secret(sdk: &aws_config::SdkConfig, name: &str) -> Result<Secret, StartupError> {
    let client = aws_sdk_ssm::Client::new(sdk);
    let out = client
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| StartupError::Secret(format!("reading SSM parameter {name}: {}", aws_sdk_ssm::error::DisplayErrorContext(&e))))?;
    let value = out.parameter.and_then(|p| p.value).ok_or_else(|| StartupError::Secret(format!("SSM parameter {name} is empty")))?;
    Secret::from_hex(&value).map_err(|e| StartupError::Secret(format!("SSM parameter {name}: {e}")))
}

/// Opens the TLS connection to DynamoDB during init, when Lambda gives the full CPU, rather than in the
/// first request. A read of a key that never exists; failure is only logged.
async fn warm_up(store: &DynamoStore) {
    let key = crate::store::Key::new("WARMUP", "WARMUP");
    if let Err(e) = store.get(&key, 0).await {
        tracing::warn!(error = %e, "dynamodb warm-up failed");
    }
}
