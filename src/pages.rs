//! The static front end (compiled in from `web/`): the pages, their script and styles, the web app
//! manifests, icons and the service worker; and the local outbox pages.

use crate::router::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, Response, StatusCode};
use shared::mail::templates::escape_html;

const INDEX: &str = include_str!("../web/index.html");
const LINK: &str = include_str!("../web/link.html");
const APP_JS: &str = include_str!("../web/app.js");
const I18N_JS: &str = include_str!("../web/i18n.js");
const CHARTS_JS: &str = include_str!("../web/charts.js");
const FRANCE_DEPARTMENTS_JSON: &str = include_str!("../web/france-departments.json");
const STYLE_CSS: &str = include_str!("../web/style.css");
const SW_JS: &str = include_str!("../web/sw.js");
const MANIFEST_FR: &str = include_str!("../web/manifest.webmanifest");
const MANIFEST_EN: &str = include_str!("../web/manifest-en.webmanifest");
const FAVICON: &[u8] = include_bytes!("../web/favicon.ico");
const ICON_192: &[u8] = include_bytes!("../web/icons/icon-192.png");
const ICON_512: &[u8] = include_bytes!("../web/icons/icon-512.png");
const APPLE_TOUCH_ICON: &[u8] = include_bytes!("../web/icons/apple-touch-icon.png");
const FAVICON_32: &[u8] = include_bytes!("../web/icons/favicon-32.png");

/// A fingerprint of everything the service worker keeps (FNV-1a, 64 bits, hex): a new shell is a new
/// service worker. (The deployment computes its own; docs/DEPLOY.md.)
static SHELL_VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let files: [&[u8]; 12] = [
        INDEX.as_bytes(),
        LINK.as_bytes(),
        APP_JS.as_bytes(),
        I18N_JS.as_bytes(),
        CHARTS_JS.as_bytes(),
        STYLE_CSS.as_bytes(),
        MANIFEST_FR.as_bytes(),
        MANIFEST_EN.as_bytes(),
        shared::domain::taxonomy::TAXONOMY_JSON.as_bytes(),
        FAVICON,
        ICON_192,
        APPLE_TOUCH_ICON,
    ];
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in files.iter().flat_map(|f| f.iter()) {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
});

/// Security headers for every page: no framing, no referrer (the link page's token lives in the
/// fragment, which browsers never send, and this keeps it that way for any sub-request), a strict CSP.
fn page(status: StatusCode, content_type: &'static str, body: impl Into<Body>) -> Response<Body> {
    let mut resp = Response::new(body.into());
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static(content_type));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    resp
}

/// The pages as served: their script, styles and icons under the shell's version
/// (`/assets/<version>/…`), which browsers keep for a year without asking again.
static INDEX_PAGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| versioned(INDEX));
static LINK_PAGE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| versioned(LINK));

fn versioned(html: &str) -> String {
    html.replace("\"/assets/", &format!("\"/assets/{}/", *SHELL_VERSION))
}

/// A file under a versioned name: kept for a year, never asked again (a new shell has new names). A
/// name of another version gets today's file, to be checked again.
fn by_version(version: &str, resp: Response<Body>) -> Response<Body> {
    if resp.status() != StatusCode::OK || version != SHELL_VERSION.as_str() {
        return revalidated(resp);
    }
    let mut resp = resp;
    resp.headers_mut().insert("cache-control", HeaderValue::from_static("public, max-age=31536000, immutable"));
    resp
}

/// `GET /assets/<version>/<file>`.
pub async fn versioned_asset(Path((version, file)): Path<(String, String)>) -> Response<Body> {
    by_version(&version, asset_file(&file))
}

/// `GET /assets/<version>/icons/<file>`.
pub async fn versioned_icon(Path((version, file)): Path<(String, String)>) -> Response<Body> {
    by_version(&version, icon_file(&file))
}

/// A response browsers must check with the server before reusing (pages, the service worker, the
/// manifests): never an old shell once a new one is out.
fn revalidated(mut resp: Response<Body>) -> Response<Body> {
    resp.headers_mut().insert("cache-control", HeaderValue::from_static("no-cache"));
    resp
}

pub async fn index() -> Response<Body> {
    revalidated(page(StatusCode::OK, "text/html; charset=utf-8", INDEX_PAGE.as_str()))
}

pub async fn link() -> Response<Body> {
    revalidated(page(StatusCode::OK, "text/html; charset=utf-8", LINK_PAGE.as_str()))
}

/// `GET /sw.js`: the service worker, at the root so that its scope is the whole site.
pub async fn service_worker() -> Response<Body> {
    revalidated(page(StatusCode::OK, "text/javascript; charset=utf-8", SW_JS.replace("__SHELL_VERSION__", &SHELL_VERSION)))
}

/// `GET /manifest.webmanifest` (French) and `/manifest-en.webmanifest` (English; the page switches).
pub async fn manifest_fr() -> Response<Body> {
    revalidated(page(StatusCode::OK, "application/manifest+json", MANIFEST_FR))
}

pub async fn manifest_en() -> Response<Body> {
    revalidated(page(StatusCode::OK, "application/manifest+json", MANIFEST_EN))
}

/// `GET /favicon.ico`: what browsers ask for when a page names no icon (and some even when it does).
pub async fn favicon() -> Response<Body> {
    page(StatusCode::OK, "image/x-icon", FAVICON)
}

/// `GET /assets/icons/<file>` (the names the manifests give): checked again before reuse.
pub async fn icon(Path(file): Path<String>) -> Response<Body> {
    revalidated(icon_file(&file))
}

fn icon_file(file: &str) -> Response<Body> {
    match file {
        "icon-192.png" => page(StatusCode::OK, "image/png", ICON_192),
        "icon-512.png" => page(StatusCode::OK, "image/png", ICON_512),
        "apple-touch-icon.png" => page(StatusCode::OK, "image/png", APPLE_TOUCH_ICON),
        "favicon-32.png" => page(StatusCode::OK, "image/png", FAVICON_32),
        _ => not_found(),
    }
}

/// `GET /assets/<file>` (unversioned: the map's outlines, and old pages): checked again before reuse.
pub async fn asset(Path(file): Path<String>) -> Response<Body> {
    revalidated(asset_file(&file))
}

fn asset_file(file: &str) -> Response<Body> {
    match file {
        "app.js" => page(StatusCode::OK, "text/javascript; charset=utf-8", APP_JS),
        "i18n.js" => page(StatusCode::OK, "text/javascript; charset=utf-8", I18N_JS),
        "charts.js" => page(StatusCode::OK, "text/javascript; charset=utf-8", CHARTS_JS),
        "france-departments.json" => page(StatusCode::OK, "application/json", FRANCE_DEPARTMENTS_JSON),
        "style.css" => page(StatusCode::OK, "text/css; charset=utf-8", STYLE_CSS),
        _ => not_found(),
    }
}

pub fn not_found() -> Response<Body> {
    page(
        StatusCode::NOT_FOUND,
        "text/html; charset=utf-8",
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Page introuvable – Entraide</title></head><body><main><h1>Page introuvable</h1><p><a href=\"/\">Retour à l'accueil</a></p></main></body></html>",
    )
}

/// `GET /api/_local/outbox`: `[{id, to, subject, text, html, links}]`, oldest first.
pub async fn outbox_json(State(state): State<AppState>) -> Response<Body> {
    match state.outbox.as_ref().map(|o| o.list()) {
        Some(Ok(mails)) => {
            let mut resp = axum::response::IntoResponse::into_response(Json(mails));
            resp.headers_mut().insert("cache-control", HeaderValue::from_static("no-store"));
            resp
        }
        Some(Err(e)) => {
            tracing::error!(error = %e, "outbox unreadable");
            json_status(StatusCode::INTERNAL_SERVER_ERROR, "outbox_unreadable", "the outbox could not be read")
        }
        None => json_status(StatusCode::NOT_FOUND, "no_outbox", "mail goes to SES_ENDPOINT; there is no local outbox"),
    }
}

fn json_status(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let mut resp = Response::new(Body::from(serde_json::json!({"error": {"code": code, "message": message}}).to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    resp
}

/// `GET /outbox`: the local mailbox, newest first, with clickable links.
pub async fn outbox_page(State(state): State<AppState>) -> Response<Body> {
    let mails = match state.outbox.as_ref().map(|o| o.list()) {
        Some(Ok(m)) => m,
        _ => Vec::new(),
    };
    let mut items = String::new();
    for m in mails.iter().rev() {
        let links: String =
            m.links.iter().map(|l| format!(r#"<li><a href="{}">{}</a></li>"#, escape_html(&l.url), escape_html(&l.purpose))).collect();
        items.push_str(&format!(
            r#"<article class="mail"><h2>{subject}</h2><p class="meta">À / To: {to} · n° {id}</p><pre>{text}</pre><h3>Liens / Links</h3><ul>{links}</ul></article>"#,
            subject = escape_html(&m.subject),
            to = escape_html(&m.to),
            id = m.id,
            text = escape_html(&m.text),
        ));
    }
    if items.is_empty() {
        items = "<p>Aucun message pour l'instant. / No message yet.</p>".into();
    }
    let body = format!(
        r#"<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Boîte d'envoi locale – Entraide</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><header><p class="brand"><a href="/">Entraide</a></p></header><main id="main"><h1>Boîte d'envoi locale <span lang="en">(local outbox)</span></h1>
<p>En mode local, les e-mails ne partent pas : ils arrivent ici. <span lang="en">In local mode, e-mails are not sent: they land here.</span></p>{items}</main></body></html>"#
    );
    page(StatusCode::OK, "text/html; charset=utf-8", body)
}
