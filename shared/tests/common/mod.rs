//! Connections to the local AWS stand-ins the test command starts. A missing service fails the test
//! and says which; nothing is skipped.

#![allow(dead_code)]

use shared::store::dynamo::DynamoStore;

fn required(var: &str, what: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: this test needs {what}. Run the README's test command (scripts/test.sh), which starts it.")
    })
}

pub fn local_credentials() -> aws_sdk_dynamodb::config::Credentials {
    aws_sdk_dynamodb::config::Credentials::new("local", "local", None, None, "tests")
}

/// A fresh table in DynamoDB Local (one per test, so tests never see each other's items).
pub async fn dynamodb() -> DynamoStore {
    let endpoint = required("ENTRAIDE_TEST_DYNAMODB", "DynamoDB Local");
    let conf = aws_sdk_dynamodb::Config::builder()
        .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(aws_sdk_dynamodb::config::Region::new("eu-west-3"))
        .credentials_provider(local_credentials())
        .build();
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::from_conf(conf), format!("t-{}", ulid::Ulid::generate()));
    store.ensure_table().await.expect("DynamoDB Local accepts CreateTable");
    store
}

/// The local SES server's endpoint.
pub fn ses_endpoint() -> String {
    required("ENTRAIDE_TEST_SES", "the local SES server (aws-ses-v2-local)")
}

pub fn ses_client() -> aws_sdk_ses::Client {
    let conf = aws_sdk_ses::Config::builder()
        .behavior_version(aws_sdk_ses::config::BehaviorVersion::latest())
        .endpoint_url(ses_endpoint())
        .region(aws_sdk_ses::config::Region::new("eu-west-3"))
        .credentials_provider(local_credentials())
        .build();
    aws_sdk_ses::Client::from_conf(conf)
}
