//! Configuration: a typed struct read once at start, failing loudly with the variable's name.
//!
//! | variable | meaning | default |
//! |---|---|---|
//! | `PUBLIC_BASE_URL` | where the front end lives; e-mailed links point to `{it}/link#<token>` | required in AWS |
//! | `TABLE_NAME` | the DynamoDB table | `entraide` |
//! | `MAIL_FROM` | the sender identity (SES) | `Entraide <no-reply@entraide.local>` |
//! | `SES_CONFIGURATION_SET` | SES configuration set, optional | none |
//! | `SECRET_PARAMETER` | SSM parameter (SecureString, hex) holding the master secret | — |
//! | `ENTRAIDE_SECRET` | the master secret itself (hex, ≥ 32 bytes); local and tests only | — |
//! | `PLATFORM_SUNSET_AT` | RFC 3339 date after which nothing is kept; caps every expiry | none |
//! | `MODERATOR_EMAILS` | comma-separated moderator addresses | none |
//! | `MATCH_REVIEW` | `manual` or `auto` | `manual` |
//! | `COMMUNITY_WORK_DOMAINS` | work domains added to the taxonomy's, e.g. `health=chu-exemple.fr,ch-autre.fr;firefighters=sdis*.fr` | none |
//! | `DYNAMODB_ENDPOINT`, `SES_ENDPOINT` | local stand-ins for the AWS services | none |

use crate::clock::{UnixTime, parse_rfc3339};
use crate::domain::{Email, WorkDomain};

/// How proposed matches are reviewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewMode {
    Manual,
    Auto,
}

/// Settings shared by every function.
#[derive(Debug, Clone)]
pub struct Config {
    pub public_base_url: String,
    pub table_name: String,
    pub mail_from: String,
    pub ses_configuration_set: Option<String>,
    pub sunset_at: Option<UnixTime>,
    pub moderators: Vec<Email>,
    pub review: ReviewMode,
    /// What one matching run may read (its memory bound).
    pub run_budget: RunBudget,
    /// Work domains verifying a community, beyond the taxonomy file's.
    pub work_domains: Vec<WorkDomain>,
}

/// How many offer areas one matching run reads, per geographic cell and per help type. A cell beyond
/// its budget, or read once the run's budget is spent, waits for a later run with the requests near it;
/// everything else is proposed. The defaults hold the seeds' whole crisis (25,000 volunteers, up to three
/// areas each) in one cell; tests lower them to see the deferral.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunBudget {
    pub areas_per_cell: usize,
    pub areas_per_run: usize,
    /// Open requests of one help type read per run, oldest first (matching, reminders).
    pub requests_per_run: usize,
    /// Matches of one status handled per run, in the order they got there (introductions, reminders,
    /// closing), and reminders of one day.
    pub matches_per_run: usize,
}

impl Default for RunBudget {
    fn default() -> Self {
        RunBudget { areas_per_cell: 75_000, areas_per_run: 150_000, requests_per_run: 20_000, matches_per_run: 10_000 }
    }
}

/// A configuration variable that is present but wrong (its value is never echoed: it may be a secret).
#[derive(Debug, thiserror::Error)]
#[error("configuration variable {name} is invalid: {reason}")]
pub struct ConfigError {
    pub name: &'static str,
    pub reason: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            public_base_url: "http://127.0.0.1:3000".into(),
            table_name: "entraide".into(),
            mail_from: "Entraide <no-reply@entraide.local>".into(),
            ses_configuration_set: None,
            sunset_at: None,
            moderators: Vec::new(),
            review: ReviewMode::Manual,
            run_budget: RunBudget::default(),
            work_domains: Vec::new(),
        }
    }
}

impl Config {
    /// Reads the environment through `get` (so tests need not touch the process environment).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>, defaults: Config) -> Result<Config, ConfigError> {
        let mut c = defaults;
        if let Some(url) = get("PUBLIC_BASE_URL") {
            let url = url.trim().trim_end_matches('/').to_owned();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(ConfigError { name: "PUBLIC_BASE_URL", reason: "must start with https:// or http://".into() });
            }
            c.public_base_url = url;
        }
        if let Some(v) = get("TABLE_NAME") {
            c.table_name = v;
        }
        if let Some(v) = get("MAIL_FROM") {
            c.mail_from = v;
        }
        c.ses_configuration_set = get("SES_CONFIGURATION_SET").filter(|s| !s.is_empty());
        if let Some(v) = get("PLATFORM_SUNSET_AT").filter(|s| !s.is_empty()) {
            c.sunset_at = Some(parse_rfc3339(&v).ok_or(ConfigError {
                name: "PLATFORM_SUNSET_AT",
                reason: "expected an RFC 3339 date such as 2027-06-30T00:00:00Z".into(),
            })?);
        }
        if let Some(v) = get("MODERATOR_EMAILS") {
            c.moderators = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    Email::parse(s).map_err(|_| ConfigError { name: "MODERATOR_EMAILS", reason: "contains an invalid address".into() })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("MATCH_REVIEW") {
            c.review = match v.as_str() {
                "manual" => ReviewMode::Manual,
                "auto" => ReviewMode::Auto,
                _ => {
                    return Err(ConfigError { name: "MATCH_REVIEW", reason: "expected manual or auto".into() });
                }
            };
        }
        if let Some(v) = get("COMMUNITY_WORK_DOMAINS") {
            c.work_domains = parse_work_domains(&v)?;
        }
        Ok(c)
    }

    /// Reads the process environment.
    pub fn from_env(defaults: Config) -> Result<Config, ConfigError> {
        Config::from_lookup(|k| std::env::var(k).ok(), defaults)
    }

    /// `min(now + ttl, sunset)`: every expiry goes through here so the sunset caps them all.
    pub fn expiry(&self, now: UnixTime, ttl: i64) -> UnixTime {
        let t = now + ttl;
        match self.sunset_at {
            Some(s) => t.min(s),
            None => t,
        }
    }

    /// True once the platform is past its sunset: nothing new is accepted.
    pub fn is_sunset(&self, now: UnixTime) -> bool {
        self.sunset_at.is_some_and(|s| now >= s)
    }

    /// The front-end URL an e-mailed token is delivered to; the token stays in the fragment.
    pub fn link_url(&self, token: &str) -> String {
        format!("{}/link#{}", self.public_base_url, token)
    }
}

/// `community=domain,domain;community=domain`.
fn parse_work_domains(v: &str) -> Result<Vec<WorkDomain>, ConfigError> {
    let invalid = |reason: &str| ConfigError { name: "COMMUNITY_WORK_DOMAINS", reason: reason.into() };
    let mut out = Vec::new();
    for group in v.split(';').map(str::trim).filter(|g| !g.is_empty()) {
        let (community, domains) = group.split_once('=').ok_or_else(|| invalid("expected community=domain,domain;…"))?;
        for d in domains.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            out.push(WorkDomain::parse(community.trim(), d).map_err(|e| invalid(e.message))?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn read(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned(), Config::default())
    }

    #[test]
    fn sunset_caps_every_expiry() {
        let c = read(&[("PLATFORM_SUNSET_AT", "1970-01-02T00:00:00Z")]).unwrap();
        assert_eq!(c.expiry(0, 3600), 3600);
        assert_eq!(c.expiry(0, 30 * 86400), 86400);
        assert!(c.is_sunset(86400));
    }

    #[test]
    fn invalid_variables_are_named_and_their_values_not_echoed() {
        let err = read(&[("MATCH_REVIEW", "sometimes")]).unwrap_err();
        assert_eq!(err.name, "MATCH_REVIEW");
        let err = read(&[("MODERATOR_EMAILS", "ok@example.org, not-an-address")]).unwrap_err();
        assert!(!err.to_string().contains("not-an-address"));
        assert!(read(&[("PUBLIC_BASE_URL", "ftp://x")]).is_err());
        assert!(read(&[("PLATFORM_SUNSET_AT", "tomorrow")]).is_err());
    }

    #[test]
    fn work_domains_are_added_per_community() {
        let c = read(&[("COMMUNITY_WORK_DOMAINS", "health=chu-exemple.fr, ch-autre.fr ; firefighters=sdmis.fr")]).unwrap();
        let listed: Vec<(&str, &str)> = c.work_domains.iter().map(|d| (d.community.as_str(), d.pattern.as_str())).collect();
        assert_eq!(listed, [("health", "chu-exemple.fr"), ("health", "ch-autre.fr"), ("firefighters", "sdmis.fr")]);
        for bad in ["health", "nobody=a.fr", "health=fr"] {
            assert_eq!(read(&[("COMMUNITY_WORK_DOMAINS", bad)]).unwrap_err().name, "COMMUNITY_WORK_DOMAINS", "{bad}");
        }
    }

    #[test]
    fn links_keep_the_token_in_the_fragment() {
        let c = read(&[("PUBLIC_BASE_URL", "https://entraide.example/")]).unwrap();
        assert_eq!(c.link_url("abc"), "https://entraide.example/link#abc");
    }
}
