//! `cargo run -- --demo`: synthetic but realistic data, through the real write paths, so the platform
//! can be tried at once — volunteers offering groceries or child care around large French cities,
//! front-line workers asking for help, organisations' listings, businesses with perks.
//!
//! Everything is invented: first names from a fixed list, addresses `demo-<n>@example.org` (a domain
//! reserved for examples), no phone numbers. Loaded once per data directory (a `DEMO` marker item holds
//! only the load time); the data expires like any other.

use serde_json::{Value, json};
use shared::deps::Deps;
use shared::error::AppError;
use shared::members::{self, RegisterBody};
use shared::posts;
use shared::store::{Cond, Item, Key, WriteOp};

/// Postal codes of large cities, each with a weight roughly proportional to its population.
const PLACES: &[(&str, usize)] = &[
    ("75011", 6),
    ("75012", 5),
    ("75015", 7),
    ("75018", 6),
    ("75020", 6),
    ("93200", 3),
    ("92100", 3),
    ("94000", 2),
    ("78000", 2),
    ("69003", 4),
    ("69007", 3),
    ("13005", 4),
    ("13008", 3),
    ("31000", 4),
    ("06000", 3),
    ("44000", 3),
    ("67000", 3),
    ("34000", 3),
    ("33000", 3),
    ("59000", 3),
    ("35000", 2),
    ("51100", 2),
    ("83000", 2),
    ("29200", 1),
    ("38000", 2),
    ("21000", 1),
    ("49000", 1),
];

const FIRST_NAMES: &[&str] = &[
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Jade", "Louise", "Emma", "Zoé", "Lucas", "Hugo", "Louis", "Nathan", "Gabriel",
    "Arthur", "Jules", "Adam", "Yanis", "Mohamed", "Thomas", "Nicolas", "Julie", "Sophie", "Amina", "Karim", "Élodie", "Mathis", "Noah",
    "Clément",
];

const FRONT_LINE: &[(&str, &str)] = &[
    ("health", "nurse"),
    ("health", "nursing-assistant"),
    ("health", "doctor"),
    ("health", "home-care"),
    ("defense", "soldier"),
    ("gendarmerie", "gendarme"),
    ("police", "police-officer"),
    ("firefighters", "firefighter"),
    ("food-supply", "retail-worker"),
    ("transport", "driver"),
    ("education", "teacher"),
    ("social", "home-help"),
];

const OFFER_DETAILS: &[&str] = &[
    "Je fais mes courses le samedi matin, je peux prendre les vôtres.",
    "Étudiante, disponible en fin de journée, j'ai un vélo cargo.",
    "Retraité, voiture disponible, je connais bien le quartier.",
    "Je télétravaille et peux passer au supermarché à midi.",
];

const REQUEST_DETAILS: &[&str] = &[
    "De garde toute la semaine, courses pour deux personnes.",
    "Horaires de nuit, je ne trouve pas le temps de faire les courses.",
    "Deux enfants à garder pendant mes gardes de 12 h.",
    "Besoin d'aide pour les courses de la semaine, liste envoyée par e-mail.",
];

/// How much the demo holds.
pub struct DemoSize {
    pub volunteers: usize,
    pub requesters: usize,
    pub listings: usize,
    pub perks: usize,
}

pub const DEFAULT_SIZE: DemoSize = DemoSize { volunteers: 120, requesters: 60, listings: 24, perks: 30 };

/// A place drawn by weight from the `n`-th position of a fixed sequence (deterministic, no RNG).
fn place(n: usize) -> &'static str {
    let total: usize = PLACES.iter().map(|(_, w)| w).sum();
    let mut k = (n * 7919) % total;
    for (code, w) in PLACES {
        if k < *w {
            return code;
        }
        k -= w;
    }
    PLACES[0].0
}

fn marker() -> Key {
    Key::new("DEMO", "LOADED")
}

/// Loads the demo data unless it was loaded before. Returns how many members it created.
pub async fn load(deps: &Deps, size: &DemoSize) -> Result<usize, AppError> {
    let now = deps.clock.now();
    if deps.store.get(&marker(), now).await?.is_some() {
        return Ok(0);
    }
    let mut created = 0;
    let member = |n: usize, role: Option<(&str, &str)>, code: &str| RegisterBody {
        email: format!("demo-{n}@example.org"),
        first_name: FIRST_NAMES[n % FIRST_NAMES.len()].into(),
        postal_code: code.into(),
        community: role.map_or("citizen", |r| r.0).into(),
        role: role.map(|r| r.1.into()),
        phone: None,
        locale: Some(if n.is_multiple_of(5) { "en" } else { "fr" }.into()),
        consent: true,
        website: None,
    };
    for i in 0..size.volunteers {
        let code = place(i);
        let m = members::create_verified(deps, member(i, None, code)).await?;
        let body = if i % 4 == 3 {
            json!({"kind": "help", "help_type": "child-care", "postal_codes": [code], "radius_km": 5 + i % 6,
                   "availability": "le soir et le week-end", "details": "Parent de deux enfants, habitué·e à garder les petits.",
                   "child_care": {"is_parent": i.is_multiple_of(2), "has_experience": true, "max_children": 1 + i % 3,
                                  "age_ranges": ["3-5", "6-9", "10-12"]}})
        } else {
            json!({"kind": "help", "help_type": "groceries", "postal_codes": [code, place(i + 101)], "radius_km": 3 + i % 8,
                   "capacity": 1 + i % 2, "availability": "en semaine après 18 h", "details": OFFER_DETAILS[i % OFFER_DETAILS.len()]})
        };
        posts::post_offer(deps, &m, body.try_into()?).await?;
        created += 1;
    }
    for j in 0..size.requesters {
        let n = size.volunteers + j;
        let code = place(n * 3 + 1);
        let m = members::create_verified(deps, member(n, Some(FRONT_LINE[j % FRONT_LINE.len()]), code)).await?;
        let body: Value = if j % 5 == 2 {
            json!({"kind": "help", "help_type": "child-care", "postal_code": code, "children": ["3-5", "6-9"],
                   "details": REQUEST_DETAILS[2]})
        } else {
            json!({"kind": "help", "help_type": "groceries", "postal_code": code, "details": REQUEST_DETAILS[j % REQUEST_DETAILS.len()]})
        };
        posts::post_request(deps, &m, body.try_into()?).await?;
        created += 1;
    }
    let domains = ["agricole", "associatif", "commercial", "medical", "transport", "socio-educatif", "impression-3d"];
    let organisations = ["association", "farm", "care-home", "transport-structure", "socio-educational-structure", "business"];
    for k in 0..size.listings {
        let n = size.volunteers + size.requesters + k;
        let code = place(n * 5 + 2);
        let m = members::create_verified(deps, member(n, Some(("organisation", organisations[k % organisations.len()])), code)).await?;
        let domain = domains[k % domains.len()];
        let body = json!({"kind": "listing", "domain": domain, "postal_code": code, "radius_km": 30,
                          "title": format!("Besoin de bras — {domain}"),
                          "text": "Nous cherchons des bénévoles quelques heures par semaine pendant la crise. Formation sur place."});
        if k.is_multiple_of(2) {
            posts::post_request(deps, &m, body.try_into()?).await?;
        } else {
            posts::post_offer(deps, &m, body.try_into()?).await?;
        }
        created += 1;
    }
    let categories = ["restaurant", "food", "leisure", "sport", "services", "health-beauty", "travel", "shopping", "mobility"];
    let perk_owner = members::create_verified(deps, member(100_000, Some(("organisation", "business")), "75011")).await?;
    created += 1;
    for p in 0..size.perks {
        let code = place(p * 11 + 3);
        let body = json!({"kind": "perk", "business_name": format!("Commerce solidaire n° {}", p + 1), "postal_code": code,
                          "address": "Adresse du commerce", "category": categories[p % categories.len()],
                          "perk": "10 % de remise pour les personnels en première ligne", "communities": ["health", "defense", "firefighters"]});
        posts::post_offer(deps, &perk_owner, body.try_into()?).await?;
    }
    let loaded = serde_json::Map::from_iter([("entity".to_owned(), json!("demo_marker")), ("loaded_at".to_owned(), json!(now))]);
    deps.store.transact(vec![WriteOp::Put { item: Item::new(marker(), loaded), cond: Cond::Absent }], now).await?;
    tracing::info!(members = created, "demo data loaded");
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::config::{Config, ReviewMode};
    use shared::testing::TestDeps;

    #[tokio::test]
    async fn the_demo_loads_once_through_the_real_paths_and_the_run_matches_it() {
        let t = TestDeps::with_config(Config { review: ReviewMode::Auto, ..Config::default() });
        let size = DemoSize { volunteers: 40, requesters: 20, listings: 7, perks: 9 };
        assert_eq!(load(&t.deps, &size).await.unwrap(), 40 + 20 + 7 + 1);
        assert_eq!(load(&t.deps, &size).await.unwrap(), 0, "loaded once");
        assert!(t.mails().is_empty(), "the demo sends no e-mail");
        let summary = shared::matching::run::run(&t.deps).await.unwrap();
        assert!(summary.proposed >= 5, "{summary:?}");
        shared::stats::fold(&t.deps).await.unwrap();
        let report = shared::stats::report(&t.deps).await.unwrap();
        assert_eq!(report.totals.of(shared::stats::Metric::Registered), 68);
        assert_eq!(report.totals.of(shared::stats::Metric::Requested), 20);
    }
}
