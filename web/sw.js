// Entraide's service worker: the shell (pages, script, styles, the fixed lists, the icons) opens with no network; API answers are never cached — the network or nothing (the tickets a
// member holds are kept by the page itself, on the device, until they expire or are given back).
//
// The server replaces __SHELL_VERSION__ with a fingerprint of the shell's files: a new shell is a new
// service worker, which installs beside the running one and takes over on the next visit (no
// skipWaiting), when the page says so.
const VERSION = "__SHELL_VERSION__";
const CACHE = `entraide-shell-${VERSION}`;
// The pages name their files under the same version (`/assets/<version>/…`).
const SHELL = [
  "/", "/link", "/assets/__SHELL_VERSION__/app.js", "/assets/__SHELL_VERSION__/i18n.js", "/assets/__SHELL_VERSION__/charts.js",
  "/assets/__SHELL_VERSION__/style.css", "/assets/__SHELL_VERSION__/icons/icon-192.png", "/assets/__SHELL_VERSION__/icons/apple-touch-icon.png",
  "/api/taxonomy", "/manifest.webmanifest", "/manifest-en.webmanifest", "/favicon.ico",
  "/assets/icons/icon-192.png", "/assets/icons/icon-512.png",
];
// The one API answer in the shell: the fixed lists, the same for everyone and compiled into the server.
const PUBLIC_API = new Set(["/api/taxonomy"]);

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((keys) =>
    Promise.all(keys.filter((k) => k.startsWith("entraide-shell-") && k !== CACHE).map((k) => caches.delete(k)))));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") && !PUBLIC_API.has(url.pathname)) return;
  if (request.mode === "navigate") {
    // Pages: the network first (always the latest), the cached shell when there is none.
    const page = url.pathname.startsWith("/link") ? "/link" : "/";
    event.respondWith(fetch(request).catch(() => caches.open(CACHE).then((cache) => cache.match(page))));
    return;
  }
  event.respondWith(caches.open(CACHE).then((cache) => cache.match(request, { ignoreSearch: true }))
    .then((hit) => hit ?? fetch(request)));
});
