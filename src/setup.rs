//! Building the local runner's dependencies: the embedded store and outbox in the data directory by
//! default, DynamoDB Local and a local SES when `DYNAMODB_ENDPOINT` / `SES_ENDPOINT` are set.

use shared::clock::SystemClock;
use shared::config::{Config, ReviewMode};
use shared::crypto::Secret;
use shared::deps::{Deps, StartupError, aws_sdk_config, dynamo_store, ses_mailer};
use shared::mail::Mailer;
use shared::mail::outbox::Outbox;
use shared::store::ItemStore;
use shared::store::sqlite::SqliteStore;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

/// The local configuration: links point to this server, matches are reviewed automatically, and the
/// environment can override any of it (see `shared::config`).
/// `review`, from `--review`, wins over `MATCH_REVIEW`.
pub fn local_config(port: u16, review: Option<ReviewMode>) -> Result<Config, StartupError> {
    let defaults = Config { public_base_url: format!("http://127.0.0.1:{port}"), review: ReviewMode::Auto, ..Config::default() };
    let mut config = Config::from_env(defaults)?;
    if let Some(r) = review {
        config.review = r;
    }
    Ok(config)
}

/// The master secret: `ENTRAIDE_SECRET` if set, else `<data dir>/secret.key`, generated on first run
/// (readable by its owner only).
pub fn local_secret(data_dir: &Path) -> Result<Secret, StartupError> {
    if let Ok(hex) = std::env::var("ENTRAIDE_SECRET") {
        return Secret::from_hex(&hex).map_err(|e| StartupError::Secret(format!("ENTRAIDE_SECRET: {e}")));
    }
    let path = data_dir.join("secret.key");
    match std::fs::read_to_string(&path) {
        Ok(hex) => Secret::from_hex(&hex).map_err(|e| StartupError::Secret(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir).map_err(|e| StartupError::Secret(format!("{}: {e}", data_dir.display())))?;
            let secret = Secret::generate();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options.open(&path).map_err(|e| StartupError::Secret(format!("{}: {e}", path.display())))?;
            file.write_all(secret.to_hex().as_bytes())
                .and_then(|_| file.sync_all())
                .map_err(|e| StartupError::Secret(format!("{}: {e}", path.display())))?;
            Ok(secret)
        }
        Err(e) => Err(StartupError::Secret(format!("{}: {e}", path.display()))),
    }
}

/// The store: DynamoDB (table created if missing) when `DYNAMODB_ENDPOINT` is set, else SQLite.
pub async fn local_store(data_dir: &Path, config: &Config) -> Result<Arc<dyn ItemStore>, StartupError> {
    if std::env::var("DYNAMODB_ENDPOINT").is_ok() {
        let store = dynamo_store(&aws_sdk_config().await, &config.table_name);
        store.ensure_table().await?;
        Ok(Arc::new(store))
    } else {
        Ok(Arc::new(SqliteStore::open(data_dir)?))
    }
}

/// Everything the local runner serves with; the outbox is `None` when mail goes to an SES endpoint.
pub async fn local_deps(data_dir: &Path, port: u16, review: Option<ReviewMode>) -> Result<(Deps, Option<Outbox>), StartupError> {
    let config = local_config(port, review)?;
    let secret = local_secret(data_dir)?;
    let store = local_store(data_dir, &config).await?;
    let (mailer, outbox): (Arc<dyn Mailer>, Option<Outbox>) = if std::env::var("SES_ENDPOINT").is_ok() {
        (Arc::new(ses_mailer(&aws_sdk_config().await, &config)), None)
    } else {
        let outbox = Outbox::open(data_dir)?;
        (Arc::new(outbox.clone()), Some(outbox))
    };
    Ok((Deps::new(config, store, mailer, &secret, Arc::new(SystemClock)), outbox))
}
