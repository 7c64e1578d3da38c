// Entraide's front end: French first, English second; no framework, no build step; only the public API.
// Views are rendered into <main> by hash route (#proposer, #demander, #espace, #moderation,
// #statistiques, #organisations with its "Contacter" form); the link page (/link#token) is its own page.
// The session lives in sessionStorage only; a post written before the e-mail is confirmed waits in
// localStorage until the link is clicked.
import { T } from "./i18n.js";
import { barChart, groupedBars, departmentMap, dataTable } from "./charts.js";

let lang = localStorage.getItem("lang") === "en" ? "en" : "fr";
const t = (k, ...args) => {
  const v = T[lang][k] ?? T.fr[k] ?? k;
  return typeof v === "function" ? v(...args) : v;
};
const $ = (id) => document.getElementById(id);
let taxonomy = null;
const PENDING = "pending-post";

// ---------- helpers ----------

/** Creates an element: h("p", {class: "x"}, "text", child…). Text is always set as text, never as HTML. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

async function api(method, path, body, session) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (session) headers.authorization = `Bearer ${session}`;
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    if (!navigator.onLine) appStatus("offline");
    return { status: 0, body: null };
  }
  let data = null;
  try { data = await resp.json(); } catch { /* empty body */ }
  // On AWS the HTTP API's own throttle answers 429 {"message": …} before any function runs: the same
  // "busy, try again in a moment" as the platform's 503 overloaded.
  if (resp.status === 429 && !data?.error) data = { error: { code: "overloaded" } };
  return { status: resp.status, body: data };
}

const session = {
  get: () => sessionStorage.getItem("session"),
  set: (s) => sessionStorage.setItem("session", s),
  clear: () => sessionStorage.removeItem("session"),
};

/** The member's tickets, kept on this device so that a code shows at the counter with no signal: only
 *  what the ticket shows (code, business, perk, until when), dropped when it expires, is given back, or
 *  the member signs out or erases their data. Nothing else of the API is kept. */
const deviceTickets = {
  key: "entraide.tickets",
  list() {
    const now = Date.now();
    let all = [];
    try { all = JSON.parse(localStorage.getItem(this.key) ?? "[]"); } catch { /* unreadable: none */ }
    const live = all.filter((x) => Date.parse(x.expires_at) > now);
    if (live.length !== all.length) this.save(live);
    return live;
  },
  save(tickets) {
    const kept = tickets.map(({ id, code, perk, expires_at }) => ({ id, code, perk: { business_name: perk.business_name, perk: perk.perk }, expires_at }));
    if (kept.length) localStorage.setItem(this.key, JSON.stringify(kept)); else localStorage.removeItem(this.key);
  },
  add(ticket) { this.save([...this.list().filter((x) => x.id !== ticket.id), ticket]); },
  remove(id) { this.save(this.list().filter((x) => x.id !== id)); },
  clear() { localStorage.removeItem(this.key); },
};

/** The line under the header: offline, or a new version ready. */
function appStatus(key) {
  const el = $("app-status");
  if (!el) return;
  el.dataset.key = key ?? "";
  el.textContent = key ? t(key) : "";
  el.hidden = !key;
}

function errorMessage(err) {
  return T[lang].errors[err?.code] ?? err?.message ?? t("unreachable");
}

/** The element id of an API error's field: `postal_codes[0]` → `post-postal_codes-0` (with a prefix). */
function fieldId(field, prefix = "") {
  return prefix + field.replace(/\[(\d+)\]/g, "-$1").replace(/\./g, "-");
}

function option(value, text) {
  return h("option", { value }, text);
}

function label(list, code) {
  return list?.find((e) => e.code === code)?.label[lang] ?? code;
}

function field(id, text, control, help) {
  const describedBy = [help ? `${id}-help` : null, `${id}-error`].filter(Boolean).join(" ");
  control.id = id;
  control.setAttribute("aria-describedby", describedBy);
  return h("div", { class: "field" }, h("label", { for: id }, text), control,
    help ? h("p", { class: "help", id: `${id}-help` }, help) : null, h("p", { class: "error", id: `${id}-error` }));
}

function clearErrors(root) {
  for (const el of root.querySelectorAll(".error")) el.textContent = "";
  for (const el of root.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

function showFieldError(id, message) {
  const input = $(id); const err = $(`${id}-error`);
  if (!input || !err) return false;
  input.setAttribute("aria-invalid", "true");
  err.textContent = message;
  return true;
}

function formatDate(iso) {
  return new Date(iso).toLocaleDateString(lang, { day: "numeric", month: "long", year: "numeric" });
}

async function loadTaxonomy() {
  if (taxonomy) return taxonomy;
  const r = await api("GET", "/api/taxonomy");
  if (r.status === 200) taxonomy = r.body;
  return taxonomy;
}

// ---------- shell: language, navigation, routing ----------

const ROUTES = {
  accueil: { title: "nav_home", view: homeView },
  proposer: { title: "offer_title", view: (main) => postView(main, "offer") },
  demander: { title: "request_title", view: (main) => postView(main, "request") },
  espace: { title: "me_title", view: meView },
  organisations: { title: "org_title", view: listingsView },
  commerces: { title: "perks_title", view: perksView },
  moderation: { title: "mod_title", view: moderationView },
  sondages: { title: "polls_title", view: pollsView },
  statistiques: { title: "stats_title", view: statsView },
};
const ALIASES = { me: "espace", "": "accueil" };

function currentRoute() {
  const name = location.hash.slice(1);
  const key = ALIASES[name] ?? name;
  return ROUTES[key] ? key : "accueil";
}

function renderShell() {
  document.documentElement.lang = lang;
  $("manifest")?.setAttribute("href", lang === "fr" ? "/manifest.webmanifest" : "/manifest-en.webmanifest");
  const notice = $("app-status");
  if (notice?.dataset.key) notice.textContent = t(notice.dataset.key);
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  const btn = $("lang");
  btn.textContent = lang === "fr" ? "English" : "Français";
  btn.lang = lang === "fr" ? "en" : "fr";
  btn.setAttribute("aria-label", lang === "fr" ? "Read in English" : "Lire en français");
  const nav = $("nav");
  if (nav) {
    nav.setAttribute("aria-label", t("nav_label"));
    const current = currentRoute();
    for (const a of nav.querySelectorAll("a[data-route]")) {
      a.textContent = t(a.dataset.label);
      if (a.dataset.route === current) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    }
  }
}

let firstRender = true;
async function render() {
  renderShell();
  const key = currentRoute();
  const main = $("main");
  main.replaceChildren();
  await ROUTES[key].view(main);
  document.title = key === "accueil" ? `Entraide – ${t("title")}` : `${t(ROUTES[key].title)} – Entraide`;
  // After a navigation, focus moves to the new page's heading (screen readers announce it).
  if (!firstRender) main.querySelector("h1")?.focus();
  firstRender = false;
}

// ---------- identity fields (register) ----------

function identityFields() {
  const community = h("select", { name: "community", required: true });
  const role = h("select", { name: "role" });
  const fillRoles = () => {
    const keep = role.value;
    const c = taxonomy?.communities.find((c) => c.code === community.value);
    role.replaceChildren(option("", t("none")), ...(c ? c.roles.map((r) => option(r.code, r.label[lang])) : []));
    role.value = c && c.roles.some((r) => r.code === keep) ? keep : "";
  };
  community.replaceChildren(option("", t("choose")), ...(taxonomy?.communities ?? []).map((c) => option(c.code, c.label[lang])));
  community.addEventListener("change", fillRoles);
  fillRoles();
  return [
    field("email", t("email"), h("input", { type: "email", name: "email", autocomplete: "email", required: true })),
    field("first_name", t("first_name"), h("input", { name: "first_name", autocomplete: "given-name", required: true, maxlength: "50" })),
    field("postal_code", t("postal_code"), h("input", { name: "postal_code", inputmode: "numeric", autocomplete: "postal-code", required: true, pattern: "[0-9]{5}", maxlength: "5" })),
    field("community", t("community"), community, t("community_help")),
    field("role", t("role"), role),
    field("phone", t("phone"), h("input", { type: "tel", name: "phone", autocomplete: "tel" })),
    h("div", { class: "field hp", "aria-hidden": "true" }, h("label", { for: "website" }, "Site web"), h("input", { id: "website", name: "website", tabindex: "-1", autocomplete: "off" })),
    h("div", { class: "field check" },
      h("input", { id: "consent", name: "consent", type: "checkbox", required: true, "aria-describedby": "consent-error" }),
      h("label", { for: "consent" }, t("consent")), h("p", { class: "error", id: "consent-error" })),
  ];
}

function identityBody() {
  const v = (id) => $(id).value.trim();
  let first = null;
  for (const id of ["email", "first_name", "postal_code", "community"]) {
    if (!v(id)) { showFieldError(id, t("required")); first ??= id; }
  }
  if (!$("consent").checked) { showFieldError("consent", t("consent_required")); first ??= "consent"; }
  if (first) return { first };
  const body = { email: v("email"), first_name: v("first_name"), postal_code: v("postal_code"), community: v("community"),
    consent: true, locale: lang, website: $("website").value };
  if (v("role")) body.role = v("role");
  if (v("phone")) body.phone = v("phone");
  return { body };
}

/** Shows an API error next to its field (or in `status`), and focuses the field. */
function showApiError(r, status, prefix = "") {
  if (r.status === 0) { status.textContent = t("unreachable"); return; }
  const err = r.body?.error;
  const msg = errorMessage(err);
  const id = err?.field ? fieldId(err.field, prefix) : null;
  if (id && showFieldError(id, msg)) { status.textContent = t("fix"); $(id).focus(); }
  else status.textContent = msg;
}

// ---------- home ----------

async function homeView(main) {
  await loadTaxonomy();
  const numbers = h("dl", { class: "numbers", id: "numbers" });
  const signedIn = Boolean(session.get());
  const status = h("p", { id: "register-status", role: "status", "aria-live": "polite" });
  const form = h("form", { id: "register", novalidate: true }, identityFields(), h("button", { type: "submit" }, t("submit")), status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form); status.textContent = "";
    const { body, first } = identityBody();
    if (first) { status.textContent = t("fix"); $(first).focus(); return; }
    const r = await api("POST", "/api/register", body);
    if (r.status === 202) status.textContent = t("sent"); else showApiError(r, status);
  });
  main.append(
    h("h1", { tabindex: "-1" }, t("title")),
    h("p", {}, t("intro")),
    h("p", { class: "actions cta" }, h("a", { class: "button", href: "#proposer" }, t("nav_offer")), h("a", { class: "button", href: "#demander" }, t("nav_request"))),
    h("section", { "aria-labelledby": "how-title" }, h("h2", { id: "how-title" }, t("how_title")),
      h("ol", {}, h("li", {}, t("how_1")), h("li", {}, t("how_2")), h("li", {}, t("how_3")))),
    h("section", { "aria-labelledby": "numbers-title" }, h("h2", { id: "numbers-title" }, t("numbers_title")), numbers),
    signedIn ? null : h("section", { id: "join", "aria-labelledby": "join-title" }, h("h2", { id: "join-title" }, t("join_title")), h("p", {}, t("join_help")), form),
  );
  const r = await api("GET", "/api/stats");
  if (r.status !== 200) { numbers.replaceWith(h("p", {}, t("numbers_unavailable"))); return; }
  for (const m of ["registered", "offered", "requested", "confirmed"]) {
    numbers.append(h("div", {}, h("dt", {}, String(r.body.totals[m])), h("dd", {}, t(`n_${m}`))));
  }
}

// ---------- offer and request ----------

function ageChecks(name, legend) {
  const err = h("p", { class: "error", id: `${name}-error` });
  return h("fieldset", { id: name, "aria-describedby": `${name}-error` }, h("legend", {}, legend),
    ...(taxonomy?.child_age_ranges ?? []).map((a) => h("div", { class: "check" },
      h("input", { type: "checkbox", id: `${name}-${a.code}`, value: a.code }), h("label", { for: `${name}-${a.code}` }, a.label[lang]))),
    err);
}

function offerFields(saved) {
  const helpType = h("select", { name: "help_type", required: true },
    ...(taxonomy?.help_types ?? []).map((x) => option(x.code, x.label[lang])));
  const childCare = h("fieldset", { id: "post-child_care", hidden: true },
    h("legend", {}, t("child_care_title")),
    h("div", { class: "check" }, h("input", { type: "checkbox", id: "post-child_care-is_parent" }), h("label", { for: "post-child_care-is_parent" }, t("is_parent"))),
    h("div", { class: "check" }, h("input", { type: "checkbox", id: "post-child_care-has_experience" }), h("label", { for: "post-child_care-has_experience" }, t("has_experience"))),
    field("post-child_care-max_children", t("max_children"), h("input", { type: "number", min: "1", max: "6", value: "1" })),
    ageChecks("post-child_care-age_ranges", t("age_ranges")));
  const toggle = () => { childCare.hidden = helpType.value !== "child-care"; };
  helpType.addEventListener("change", toggle);
  const codes = h("fieldset", { id: "post-postal_codes", "aria-describedby": "post-postal_codes-help post-postal_codes-error" },
    h("legend", {}, t("postal_codes")), h("p", { class: "help", id: "post-postal_codes-help" }, t("postal_codes_help")),
    ...[0, 1, 2].map((i) => field(`post-postal_codes-${i}`, t("postal_code_n", i + 1),
      h("input", { inputmode: "numeric", pattern: "[0-9]{5}", maxlength: "5", required: i === 0 }))),
    h("p", { class: "error", id: "post-postal_codes-error" }));
  const els = [
    field("post-help_type", t("help_type"), helpType), codes,
    field("post-radius_km", t("radius_km"), h("input", { type: "number", min: "1", max: "50", value: "5" })),
    field("post-capacity", t("capacity"), h("input", { type: "number", min: "1", max: "10", value: "1" })),
    field("post-availability", t("availability"), h("input", { maxlength: "200" })),
    field("post-details", t("details"), h("textarea", { rows: "4", maxlength: "1000" }), t("details_help")),
    childCare,
  ];
  queueMicrotask(() => { if (saved) restoreOffer(saved); toggle(); });
  return els;
}

function restoreOffer(b) {
  $("post-help_type").value = b.help_type;
  (b.postal_codes ?? []).forEach((c, i) => { if ($(`post-postal_codes-${i}`)) $(`post-postal_codes-${i}`).value = c; });
  $("post-radius_km").value = b.radius_km ?? 5;
  $("post-capacity").value = b.capacity ?? 1;
  $("post-availability").value = b.availability ?? "";
  $("post-details").value = b.details ?? "";
  if (b.child_care) {
    $("post-child_care-is_parent").checked = b.child_care.is_parent;
    $("post-child_care-has_experience").checked = b.child_care.has_experience;
    $("post-child_care-max_children").value = b.child_care.max_children;
    for (const a of b.child_care.age_ranges) { const c = $(`post-child_care-age_ranges-${a}`); if (c) c.checked = true; }
  }
}

function offerBody() {
  const v = (id) => $(id).value.trim();
  const body = { kind: "help", help_type: v("post-help_type"),
    postal_codes: [0, 1, 2].map((i) => v(`post-postal_codes-${i}`)).filter(Boolean),
    radius_km: Number(v("post-radius_km") || 5), capacity: Number(v("post-capacity") || 1),
    availability: v("post-availability"), details: v("post-details") };
  if (body.help_type === "child-care") {
    body.child_care = { is_parent: $("post-child_care-is_parent").checked, has_experience: $("post-child_care-has_experience").checked,
      max_children: Number(v("post-child_care-max_children") || 1),
      age_ranges: [...document.querySelectorAll("#post-child_care-age_ranges input:checked")].map((c) => c.value) };
  }
  if (!body.postal_codes.length) return { first: "post-postal_codes-0" };
  return { body };
}

function requestFields(saved) {
  const helpType = h("select", { name: "help_type", required: true },
    ...(taxonomy?.help_types ?? []).map((x) => option(x.code, x.label[lang])));
  const count = h("select", {}, ...[1, 2, 3, 4, 5, 6].map((n) => option(String(n), String(n))));
  const ages = h("div", { id: "post-children-list" });
  const drawAges = () => {
    const keep = [...ages.querySelectorAll("select")].map((s) => s.value);
    ages.replaceChildren(...Array.from({ length: Number(count.value) }, (_, i) => field(`post-children-${i}`, t("child_n", i + 1),
      h("select", {}, ...(taxonomy?.child_age_ranges ?? []).map((a) => option(a.code, a.label[lang]))))));
    keep.forEach((v, i) => { if ($(`post-children-${i}`)) $(`post-children-${i}`).value = v; });
  };
  count.addEventListener("change", drawAges);
  const children = h("fieldset", { id: "post-children", hidden: true, "aria-describedby": "post-children-error" },
    h("legend", {}, t("child_care_title")), field("post-children-count", t("children_count"), count), ages,
    h("p", { class: "error", id: "post-children-error" }));
  const toggle = () => { children.hidden = helpType.value !== "child-care"; };
  helpType.addEventListener("change", toggle);
  queueMicrotask(() => {
    drawAges();
    if (saved) {
      $("post-help_type").value = saved.help_type;
      $("post-postal_code").value = saved.postal_code ?? "";
      $("post-details").value = saved.details ?? "";
      if (saved.children?.length) { count.value = String(saved.children.length); drawAges(); saved.children.forEach((c, i) => { $(`post-children-${i}`).value = c; }); }
    }
    toggle();
  });
  return [
    field("post-help_type", t("help_type"), helpType),
    field("post-postal_code", t("request_postal_code"), h("input", { inputmode: "numeric", pattern: "[0-9]{5}", maxlength: "5", required: true })),
    field("post-details", t("details"), h("textarea", { rows: "4", maxlength: "1000" }), t("details_help")),
    children,
  ];
}

function requestBody() {
  const v = (id) => $(id).value.trim();
  const body = { kind: "help", help_type: v("post-help_type"), postal_code: v("post-postal_code"), details: v("post-details") };
  if (body.help_type === "child-care") body.children = [...document.querySelectorAll("#post-children-list select")].map((s) => s.value);
  if (!body.postal_code) return { first: "post-postal_code" };
  return { body };
}

async function postView(main, side) {
  await loadTaxonomy();
  const signedIn = session.get();
  let me = null;
  if (signedIn) {
    const r = await api("GET", "/api/me", undefined, signedIn);
    if (r.status === 200) me = r.body.profile; else session.clear();
  }
  const pending = JSON.parse(localStorage.getItem(PENDING) ?? "null");
  const saved = pending?.side === side ? pending.body : null;
  const status = h("p", { id: "post-status", role: "status", "aria-live": "polite" });
  const form = h("form", { id: `${side}-form`, novalidate: true },
    me ? h("p", {}, t("signed_in_as", me.first_name)) : h("fieldset", {}, h("legend", {}, t("identity_title")), identityFields()),
    h("fieldset", {}, h("legend", {}, t(`post_title_${side}`)), side === "offer" ? offerFields(saved) : requestFields(saved)),
    h("button", { type: "submit" }, t(`submit_${side}`)), status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form); status.textContent = "";
    const post = side === "offer" ? offerBody() : requestBody();
    if (post.first) { showFieldError(post.first, t("required")); status.textContent = t("fix"); $(post.first).focus(); return; }
    const path = side === "offer" ? "/api/offers" : "/api/requests";
    if (me) {
      const r = await api("POST", path, post.body, session.get());
      if (r.status === 201) { status.textContent = t(`posted_${side}`); return; }
      showApiError(r, status, "post-");
      return;
    }
    const id = identityBody();
    if (id.first) { status.textContent = t("fix"); $(id.first).focus(); return; }
    // Kept here until the e-mailed link is clicked in this browser; then the link page sends it.
    localStorage.setItem(PENDING, JSON.stringify({ side, path, body: post.body }));
    const r = await api("POST", "/api/register", id.body);
    if (r.status === 202) status.textContent = t("sent_pending"); else showApiError(r, status);
  });
  main.append(h("h1", { tabindex: "-1" }, t(`${side}_title`)), h("p", {}, t(`${side}_intro`)), form);
}

// ---------- my space ----------

function display(key, profile) {
  const community = taxonomy?.communities.find((c) => c.code === profile.community);
  if (key === "expires_at") return new Date(profile[key]).toLocaleString(lang);
  if (key === "community" && community) return community.label[lang];
  if (key === "role" && community) return community.roles.find((r) => r.code === profile.role)?.label[lang] ?? profile.role;
  return profile[key];
}

function postItem(p, side, onWithdraw) {
  const what = p.kind === "listing" ? p.title : label(taxonomy?.help_types, p.help_type);
  const where = p.postal_codes?.join(", ") ?? p.postal_code ?? "";
  const heading = h("h3", { id: `post-${p.id}` }, `${what} · ${where}`);
  return h("li", { class: "card" }, heading,
    h("p", {}, `${t(`status_${p.status}`)} · ${t("expires", formatDate(p.expires_at))}`),
    p.details ? h("p", {}, p.details) : null,
    h("button", { type: "button", class: "secondary", "aria-describedby": `post-${p.id}`, onclick: () => onWithdraw(side, p.id) }, t("withdraw")));
}

async function meView(main) {
  await loadTaxonomy();
  main.append(h("h1", { tabindex: "-1", id: "me-title" }, t("me_title")));
  const s = session.get();
  const r = s ? await api("GET", "/api/me", undefined, s) : { status: 401 };
  if (r.status === 0) { main.append(h("p", { id: "me-offline" }, t("offline_space")), ...deviceTicketList()); return; }
  if (r.status !== 200) {
    session.clear();
    main.append(h("p", {}, t("signin_first")), h("p", {}, h("a", { href: "#accueil" }, t("join_title"))));
    // Tickets taken on this device still show (a code at the counter needs no session).
    if (deviceTickets.list().length) main.append(...deviceTicketList());
    return;
  }
  const status = h("p", { id: "me-status", role: "status", "aria-live": "polite" });
  deviceTickets.save(r.body.tickets);
  const p = r.body.profile;
  const dl = h("dl", { id: "me-profile" });
  for (const key of ["email", "first_name", "postal_code", "community", "role", "phone", "expires_at"]) {
    if (p[key]) dl.append(h("dt", {}, T[lang].labels[key]), h("dd", {}, display(key, p)));
  }
  const withdraw = async (side, id) => {
    const w = await api("DELETE", `/api/${side === "offer" ? "offers" : "requests"}/${id}`, undefined, session.get());
    if (w.status === 200) { await render(); $("me-status").textContent = t("withdrawn"); } else showApiError(w, status);
  };
  const list = (items, side) => items.length ? h("ul", { class: "cards" }, items.map((x) => postItem(x, side, withdraw))) : h("p", {}, t("nothing"));
  // Absent parts are null; a list of parts is spread (Element.append would print either as text).
  main.append(...[
    h("p", { id: "me-hello" }, t("hello", p.first_name)), dl,
    verifyBlock(r.body),
    h("h2", {}, t("my_offers")), list(r.body.offers, "offer"),
    h("h2", {}, t("my_requests")), list(r.body.requests, "request"),
    h("h2", {}, t("my_tickets")),
    r.body.tickets.length ? h("ul", { class: "cards", id: "my-tickets" }, r.body.tickets.map((x) => {
      const item = h("li", { class: "card" }, h("h3", {}, `${x.perk.business_name} · ${x.perk.perk}`));
      item.append(ticketCode(x, status, () => render()));
      return item;
    })) : h("p", {}, t("nothing")),
    h("h2", {}, t("my_contacts")),
    r.body.contacts.length ? h("ul", { class: "cards", id: "my-contacts" }, r.body.contacts.map(contactItem)) : h("p", {}, t("nothing")),
    r.body.perks.length ? [h("h2", {}, t("my_perks")), h("ul", {}, r.body.perks.map((x) => h("li", {}, `${x.business_name} · ${t(`status_${x.status}`)}`)))] : null,
    h("p", { class: "actions" },
      h("button", { type: "button", id: "export", onclick: () => exportData(r.body) }, t("export")),
      h("button", { type: "button", id: "erase", class: "danger", onclick: () => eraseAll(status) }, t("erase")),
      h("button", { type: "button", id: "signout", class: "secondary", onclick: () => { session.clear(); deviceTickets.clear(); location.hash = "#accueil"; } }, t("signout"))),
    status].flat().filter((c) => c !== null));
}

/** The tickets kept on this device, codes large: what my space shows with no network or no session. */
function deviceTicketList() {
  const tickets = deviceTickets.list();
  return [h("h2", {}, t("my_tickets")),
    tickets.length ? h("ul", { class: "cards", id: "my-tickets" }, tickets.map((x) => h("li", { class: "card" },
      h("h3", {}, `${x.perk.business_name} · ${x.perk.perk}`),
      h("div", { class: "ticket-shown" }, h("p", {}, t("ticket_code_label")), h("p", { class: "ticket-code" }, x.code),
        h("p", { class: "help" }, t("ticket_until", formatDate(x.expires_at))))))) : h("p", {}, t("nothing"))];
}

/** "Verify my community": where the verification stands, and the form that sends a link to a work address. */
function verifyBlock(data) {
  const p = data.profile;
  const community = taxonomy?.communities.find((c) => c.code === p.community);
  const section = h("section", { "aria-labelledby": "verify-title" }, h("h2", { id: "verify-title" }, t("verify_title")));
  const state = h("p", { id: "verify-state" });
  if (p.community_verified) state.textContent = t("verified_until", formatDate(p.community_verified_until));
  else if (p.community_verified_until) state.textContent = t("verified_lapsed", formatDate(p.community_verified_until));
  if (data.community_check && !p.community_verified) state.textContent = t("verify_pending", formatDate(data.community_check.link_expires_at));
  section.append(state);
  const domains = community?.work_domains ?? [];
  if (!domains.length) { section.append(h("p", {}, t("not_verifiable"))); return section; }
  const status = h("p", { id: "verify-status", role: "status", "aria-live": "polite" });
  const form = h("form", { id: "verify-form", novalidate: true },
    h("p", {}, t("verify_intro")),
    field("verify-work_email", t("work_email"), h("input", { type: "email", autocomplete: "off", maxlength: "254", required: true }),
      t("verify_domains", domains.map((d) => d.replace("*", "…")).join(", "))),
    h("button", { type: "submit" }, t("verify_send")), status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault(); clearErrors(form); status.textContent = "";
    const r = await api("POST", "/api/me/community-verification", { work_email: $("verify-work_email").value.trim() }, session.get());
    if (r.status === 202) { status.textContent = t("verify_sent"); form.reset(); }
    else showApiError(r, status, "verify-");
  });
  section.append(form);
  return section;
}

function contactItem(c) {
  return h("li", { class: "card" }, h("h3", {}, `${t(c.direction === "sent" ? "contact_to" : "contact_from")} · ${c.listing_title}`),
    h("p", {}, `${t(`contact_status_${c.status}`)} · ${t("expires", formatDate(c.expires_at))}`),
    h("blockquote", {}, c.message));
}

function exportData(data) {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
  const a = h("a", { href: URL.createObjectURL(blob), download: "entraide-mes-donnees.json" });
  document.body.append(a); a.click(); a.remove();
}

async function eraseAll(status) {
  if (!confirm(t("confirm_erase"))) return;
  const r = await api("DELETE", "/api/me", undefined, session.get());
  if (r.status === 200) {
    session.clear(); deviceTickets.clear(); localStorage.removeItem(PENDING);
    const main = $("main");
    main.replaceChildren(h("h1", { tabindex: "-1" }, t("me_title")), h("p", { role: "status" }, t("erased")));
    main.querySelector("h1").focus();
  } else showApiError(r, status);
}

// ---------- searches: listings (skills for organisations) and the perks directory ----------

/** A search form (postal code, radius, filters) with paged results; `show` renders one item. */
function searchBlock({ id, path, filters, defaultRadius, show, empty }) {
  const status = h("p", { id: `${id}-status`, role: "status", "aria-live": "polite" });
  const results = h("ul", { class: "cards", id: `${id}-results` });
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("more"));
  const form = h("form", { id: `${id}-form`, novalidate: true, role: "search" },
    field(`${id}-postal_code`, t("near_postal_code"), h("input", { inputmode: "numeric", pattern: "[0-9]{5}", maxlength: "5", required: true })),
    field(`${id}-radius_km`, t("radius_search"), h("input", { type: "number", min: "1", max: "100", value: String(defaultRadius) })),
    filters.map(([name, text, list]) => field(`${id}-${name}`, text, h("select", {}, option("", t("all")), ...list.map((e) => option(e.code, e.label[lang]))))),
    h("button", { type: "submit" }, t("search")));
  let query = null;
  const run = async (cursor) => {
    const params = new URLSearchParams(query);
    if (cursor) params.set("cursor", cursor);
    const r = await api("GET", `${path}?${params}`);
    if (r.status !== 200) { showApiError(r, status, `${id}-`); return; }
    if (!cursor) results.replaceChildren();
    results.append(...r.body.items.map(show));
    status.textContent = results.children.length ? t("found", results.children.length) : empty;
    more.hidden = !r.body.next_cursor;
    more.onclick = () => run(r.body.next_cursor);
  };
  form.addEventListener("submit", (e) => {
    e.preventDefault(); clearErrors(form); status.textContent = "";
    const v = (x) => $(`${id}-${x}`).value.trim();
    if (!v("postal_code")) { showFieldError(`${id}-postal_code`, t("required")); $(`${id}-postal_code`).focus(); return; }
    query = { postal_code: v("postal_code"), radius_km: v("radius_km") || String(defaultRadius) };
    for (const [name] of filters) if (v(name)) query[name] = v(name);
    run(null);
  });
  return [form, status, results, more];
}

async function listingsView(main) {
  await loadTaxonomy();
  const domains = taxonomy?.listing_domains ?? [];
  const sides = [{ code: "offer", label: { fr: "Offres de compétences", en: "Skills offered" } }, { code: "request", label: { fr: "Besoins d'organisations", en: "Organisations' needs" } }];
  const show = (l) => h("li", { class: "card" }, h("h3", { id: `l-${l.id}` }, l.title),
    h("p", {}, `${label(domains, l.domain)} · ${l.type === "offer" ? t("listing_offer") : t("listing_request")} · ${l.postal_code} · ${t("km", l.distance_km.toLocaleString(lang))}`),
    h("p", {}, l.text), contactBlock(l));
  main.append(h("h1", { tabindex: "-1" }, t("org_title")), h("p", {}, t("org_intro")),
    h("h2", {}, t("search")), ...searchBlock({ id: "listings", path: "/api/listings", defaultRadius: 20, show, empty: t("none_found"),
      filters: [["domain", t("domain"), domains], ["type", t("listing_type"), sides]] }));
  // Publishing needs a session; the form says so otherwise.
  main.append(h("h2", {}, t("publish_listing")));
  if (!session.get()) { main.append(h("p", {}, t("signin_to_post"), " ", h("a", { href: "#accueil" }, t("join_title")))); return; }
  const status = h("p", { id: "listing-status", role: "status", "aria-live": "polite" });
  const sideSelect = h("select", {}, ...sides.map((x) => option(x.code, x.label[lang])));
  const form = h("form", { id: "listing-form", novalidate: true },
    field("post-side", t("listing_type"), sideSelect),
    field("post-domain", t("domain"), h("select", {}, ...domains.map((d) => option(d.code, d.label[lang])))),
    field("post-postal_code", t("postal_code"), h("input", { inputmode: "numeric", pattern: "[0-9]{5}", maxlength: "5", required: true })),
    field("post-title", t("listing_title"), h("input", { maxlength: "120", required: true })),
    field("post-text", t("listing_text"), h("textarea", { rows: "4", maxlength: "1000", required: true }), t("listing_text_help")),
    h("button", { type: "submit" }, t("publish")), status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault(); clearErrors(form); status.textContent = "";
    const v = (x) => $(`post-${x}`).value.trim();
    const body = { kind: "listing", domain: v("domain"), postal_code: v("postal_code"), title: v("title"), text: v("text") };
    const r = await api("POST", v("side") === "offer" ? "/api/offers" : "/api/requests", body, session.get());
    if (r.status === 201) { status.textContent = t("published"); form.reset(); } else showApiError(r, status, "post-");
  });
  main.append(form);
}

/** The "Contacter" button of a listing: signed in, it opens the message form in place; otherwise it says
 * to sign in first. The owner receives the message by e-mail, never the sender's address. */
function contactBlock(l) {
  const box = h("div", { class: "contact", id: `contact-${l.id}` });
  const status = h("p", { id: `contact-${l.id}-status`, role: "status", "aria-live": "polite" });
  const open = h("button", { type: "button", class: "secondary", "aria-describedby": `l-${l.id}`, "aria-expanded": "false",
    "aria-controls": `contact-${l.id}-form` }, t("contact"));
  open.addEventListener("click", () => {
    if (!session.get()) {
      status.replaceChildren(t("signin_to_contact"), " ", h("a", { href: "#accueil" }, t("join_title")));
      return;
    }
    if (box.querySelector("form")) { box.querySelector("textarea").focus(); return; }
    const id = `contact-${l.id}-message`;
    const form = h("form", { id: `contact-${l.id}-form`, novalidate: true },
      field(id, t("contact_message"), h("textarea", { rows: "4", maxlength: "1000", required: true }), t("contact_help")),
      h("p", { class: "actions" },
        h("button", { type: "submit" }, t("contact_send")),
        h("button", { type: "button", class: "secondary", onclick: () => { form.remove(); open.setAttribute("aria-expanded", "false"); open.focus(); } }, t("cancel"))));
    form.addEventListener("submit", async (e) => {
      e.preventDefault(); clearErrors(form); status.textContent = "";
      const message = $(id).value.trim();
      if (!message) { showFieldError(id, t("required")); $(id).focus(); return; }
      const r = await api("POST", `/api/listings/${encodeURIComponent(l.id)}/contact`, { message }, session.get());
      if (r.status === 201) {
        form.remove(); open.hidden = true; open.setAttribute("aria-expanded", "false");
        status.textContent = t("contact_sent");
      } else if (r.status === 404) {
        status.textContent = t("listing_gone");
      } else if (r.status === 401) {
        session.clear();
        status.replaceChildren(t("signin_to_contact"), " ", h("a", { href: "#accueil" }, t("join_title")));
      } else showApiError(r, status, `contact-${l.id}-`);
    });
    box.insertBefore(form, status);
    open.setAttribute("aria-expanded", "true");
    $(id).focus();
  });
  box.append(open, status);
  return box;
}

/** The tickets of a perk with a quantity: how many remain, and "Prendre un billet" (signed in); the code
 * is then shown large, for a phone held up at the counter, with a button to give the ticket back. */
function ticketBlock(p) {
  const box = h("div", { class: "ticket", id: `ticket-${p.id}` });
  const left = h("p", { id: `ticket-${p.id}-left` }, t("remaining", p.remaining));
  const status = h("p", { id: `ticket-${p.id}-status`, role: "status", "aria-live": "polite" });
  const take = h("button", { type: "button", "aria-describedby": `b-${p.id} ticket-${p.id}-left`, disabled: p.remaining === 0 }, t("take_ticket"));
  take.addEventListener("click", async () => {
    if (!session.get()) {
      status.replaceChildren(t("signin_to_claim"), " ", h("a", { href: "#accueil" }, t("join_title")));
      return;
    }
    const r = await api("POST", `/api/businesses/${encodeURIComponent(p.id)}/claims`, undefined, session.get());
    if (r.status === 201) {
      deviceTickets.add(r.body);
      take.hidden = true;
      left.textContent = t("remaining", Math.max(0, p.remaining - 1));
      box.append(ticketCode(r.body, status, () => { box.querySelector(".ticket-shown")?.remove(); take.hidden = false; }));
      status.textContent = t("ticket_taken");
    } else if (r.status === 401) {
      session.clear();
      status.replaceChildren(t("signin_to_claim"), " ", h("a", { href: "#accueil" }, t("join_title")));
    } else status.textContent = errorMessage(r.body?.error);
  });
  box.append(left, take, status);
  return box;
}

/** A ticket's code, large, and the button that gives it back (`after` runs once it is given back). */
function ticketCode(ticket, status, after) {
  const give = h("button", { type: "button", class: "secondary" }, t("give_back"));
  give.addEventListener("click", async () => {
    const r = await api("DELETE", `/api/claims/${encodeURIComponent(ticket.id)}`, undefined, session.get());
    if (r.status === 200) { deviceTickets.remove(ticket.id); status.textContent = t("given_back"); after(); } else status.textContent = errorMessage(r.body?.error);
  });
  return h("div", { class: "ticket-shown" },
    h("p", {}, t("ticket_code_label")), h("p", { class: "ticket-code" }, ticket.code),
    h("p", { class: "help" }, t("ticket_until", formatDate(ticket.expires_at))), give);
}

async function perksView(main) {
  await loadTaxonomy();
  const categories = taxonomy?.business_categories ?? [];
  const communities = (taxonomy?.communities ?? []).filter((c) => c.front_line);
  const show = (p) => h("li", { class: "card" }, h("h3", { id: `b-${p.id}` }, p.name),
    h("p", {}, `${label(categories, p.category)} · ${[p.address, p.postal_code].filter(Boolean).join(", ")} · ${t("km", p.distance_km.toLocaleString(lang))}`),
    h("p", {}, p.perk), h("p", { class: "help" }, `${t("for_communities")} : ${p.communities.map((c) => label(taxonomy?.communities, c)).join(", ")}`),
    p.verified_only ? h("p", { class: "badge" }, t("verified_only")) : null,
    p.remaining === null || p.remaining === undefined ? null : ticketBlock(p));
  main.append(h("h1", { tabindex: "-1" }, t("perks_title")), h("p", {}, t("perks_intro")),
    h("h2", {}, t("search")), ...searchBlock({ id: "perks", path: "/api/businesses", defaultRadius: 10, show, empty: t("none_found"),
      filters: [["category", t("category"), categories], ["community", t("community_filter"), communities]] }));
  main.append(h("h2", {}, t("reference_business")));
  if (!session.get()) { main.append(h("p", {}, t("signin_to_post"), " ", h("a", { href: "#accueil" }, t("join_title")))); return; }
  const status = h("p", { id: "perk-status", role: "status", "aria-live": "polite" });
  const form = h("form", { id: "perk-form", novalidate: true },
    field("post-business_name", t("business_name"), h("input", { maxlength: "120", required: true })),
    field("post-address", t("address"), h("input", { maxlength: "200" })),
    field("post-postal_code", t("postal_code"), h("input", { inputmode: "numeric", pattern: "[0-9]{5}", maxlength: "5", required: true })),
    field("post-category", t("category"), h("select", {}, ...categories.map((c) => option(c.code, c.label[lang])))),
    field("post-perk", t("perk"), h("input", { maxlength: "300", required: true })),
    field("post-quantity", t("quantity"), h("input", { type: "number", min: "1", max: "100000", inputmode: "numeric" }), t("quantity_help")),
    h("div", { class: "check" }, h("input", { type: "checkbox", id: "post-verified_only", "aria-describedby": "post-verified_only-help" }),
      h("label", { for: "post-verified_only" }, t("verified_only")), h("p", { class: "help", id: "post-verified_only-help" }, t("verified_only_help"))),
    h("fieldset", { id: "post-communities", "aria-describedby": "post-communities-error" }, h("legend", {}, t("for_communities")),
      ...communities.map((c) => h("div", { class: "check" }, h("input", { type: "checkbox", id: `post-communities-${c.code}`, value: c.code }),
        h("label", { for: `post-communities-${c.code}` }, c.label[lang]))),
      h("p", { class: "error", id: "post-communities-error" })),
    h("button", { type: "submit" }, t("reference")), status);
  form.addEventListener("submit", async (e) => {
    e.preventDefault(); clearErrors(form); status.textContent = "";
    const v = (x) => $(`post-${x}`).value.trim();
    const body = { kind: "perk", business_name: v("business_name"), address: v("address"), postal_code: v("postal_code"), category: v("category"),
      perk: v("perk"), communities: [...document.querySelectorAll("#post-communities input:checked")].map((c) => c.value) };
    if (v("quantity")) body.quantity = Number(v("quantity"));
    if ($("post-verified_only").checked) body.verified_only = true;
    const r = await api("POST", "/api/offers", body, session.get());
    if (r.status === 201) { status.textContent = t(r.body.status === "approved" ? "perk_listed" : "perk_pending"); form.reset(); }
    else showApiError(r, status, "post-");
  });
  main.append(form);
}

// ---------- moderation ----------

async function moderationView(main) {
  await loadTaxonomy();
  main.append(h("h1", { tabindex: "-1" }, t("mod_title")), h("p", {}, t("mod_intro")));
  const s = session.get();
  const r = s ? await api("GET", "/api/moderation", undefined, s) : { status: 401 };
  if (r.status === 401) { main.append(h("p", {}, t("mod_signin")), h("p", {}, h("a", { href: "#accueil" }, t("join_title")))); return; }
  if (r.status === 403) { main.append(h("p", {}, t("mod_forbidden"))); return; }
  if (r.status !== 200) { main.append(h("p", {}, errorMessage(r.body?.error))); return; }
  const status = h("p", { id: "mod-status", role: "status", "aria-live": "polite" });
  const after = async (message) => { await render(); $("mod-status").textContent = message; };
  const decide = async (kind, id, decision) => {
    const d = await api("POST", `/api/moderation/${kind}/${id}`, { decision }, session.get());
    if (d.status === 200) await after(kind === "perks" ? t(`perk_${d.body.status}`) : t(`decided_${d.body.status}`));
    else status.textContent = errorMessage(d.body?.error);
  };
  const who = (x) => [label(taxonomy?.communities, x.who.community), x.who.role ? label(taxonomy?.communities.find((c) => c.code === x.who.community)?.roles, x.who.role) : null].filter(Boolean).join(" · ");
  const ages = (codes) => codes.map((c) => label(taxonomy?.child_age_ranges, c)).join(", ");
  const matches = r.body.matches.map((m) => {
    const title = `${label(taxonomy?.help_types, m.help_type)} · ${t("km", m.distance_km.toLocaleString(lang))}`;
    return h("li", { class: "card" }, h("h3", { id: `m-${m.id}` }, title),
      h("div", { class: "pair" },
        h("div", {}, h("h4", {}, t("mod_request")), h("p", {}, `${m.request.first_name} · ${who(m.request)} · ${m.request.postal_code}`),
          m.request.details ? h("p", {}, m.request.details) : null, m.request.children.length ? h("p", {}, `${t("children")} : ${ages(m.request.children)}`) : null),
        h("div", {}, h("h4", {}, t("mod_offer")), h("p", {}, `${m.offer.first_name} · ${who(m.offer)} · ${m.offer.postal_codes.join(", ")} (${m.offer.radius_km} km)`),
          m.offer.availability ? h("p", {}, `${t("availability_short")} : ${m.offer.availability}`) : null, m.offer.details ? h("p", {}, m.offer.details) : null)),
      h("p", { class: "actions" },
        h("button", { type: "button", "aria-describedby": `m-${m.id}`, onclick: () => decide("matches", m.id, "approve") }, t("approve")),
        h("button", { type: "button", class: "danger", "aria-describedby": `m-${m.id}`, onclick: () => decide("matches", m.id, "reject") }, t("reject"))));
  });
  const perks = r.body.perks.map((p) => h("li", { class: "card" }, h("h3", { id: `p-${p.id}` }, `${p.business_name} · ${p.postal_code}`),
    h("p", {}, `${label(taxonomy?.business_categories, p.category)} · ${p.perk}`),
    h("p", { class: "actions" },
      h("button", { type: "button", "aria-describedby": `p-${p.id}`, onclick: () => decide("perks", p.id, "approve") }, t("approve")),
      h("button", { type: "button", class: "danger", "aria-describedby": `p-${p.id}`, onclick: () => decide("perks", p.id, "reject") }, t("reject")))));
  const contacts = r.body.contacts.map((c) => h("li", { class: "card" }, h("h3", { id: `c-${c.id}` }, `${t("mod_about")} « ${c.listing_title} »`),
    h("p", {}, `${c.sender.first_name || t("mod_gone")}${c.sender.who.community ? ` · ${who(c.sender)}` : ""} · ${t("mod_reported_on", formatDate(c.reported_at))}`),
    h("blockquote", {}, c.message),
    h("p", { class: "actions" },
      h("button", { type: "button", "aria-describedby": `c-${c.id}`, onclick: () => decide("contacts", c.id, "dismiss") }, t("dismiss")),
      h("button", { type: "button", class: "danger", "aria-describedby": `c-${c.id}`, onclick: () => decide("contacts", c.id, "suspend") }, t("suspend")))));
  const runNow = h("button", { type: "button", class: "secondary", onclick: async () => {
    const x = await api("POST", "/api/moderation/run", undefined, session.get());
    if (x.status === 200) await after(t("run_done", x.body.proposed)); else status.textContent = errorMessage(x.body?.error);
  } }, t("run_now"));
  // The API shows the oldest ones of a long queue; say how many more wait.
  const more = (shown, waiting) => (waiting > shown ? h("p", {}, t("mod_showing", shown, waiting)) : null);
  // (`more` is null when everything waiting is shown: `append` would write "null", `h` skips it.)
  main.append(h("div", {}, status, h("p", {}, runNow),
    h("h2", {}, t("mod_matches")), more(matches.length, r.body.matches_waiting),
    matches.length ? h("ul", { class: "cards" }, matches) : h("p", {}, t("mod_empty")),
    h("h2", {}, t("mod_perks")), more(perks.length, r.body.perks_waiting),
    perks.length ? h("ul", { class: "cards" }, perks) : h("p", {}, t("mod_empty")),
    h("h2", {}, t("mod_contacts")), more(contacts.length, r.body.contacts_waiting),
    contacts.length ? h("ul", { class: "cards" }, contacts) : h("p", {}, t("mod_empty")),
    ...(await moderatePolls())));
}

// ---------- polls ----------

/** A poll's question and options in the page's language (the French text when no English one was given). */
function pollText(p) {
  const en = lang === "en";
  return { question: (en && p.question_en) || p.question, options: p.options.map((o) => (en && o.text_en) || o.text) };
}

async function pollsView(main) {
  await loadTaxonomy();
  main.append(h("h1", { tabindex: "-1" }, t("polls_title")), h("p", {}, t("polls_intro")));
  const r = await api("GET", "/api/polls");
  if (r.status !== 200) { main.append(h("p", {}, errorMessage(r.body?.error))); return; }
  if (!r.body.polls.length) { main.append(h("p", {}, t("polls_none"))); return; }
  const list = h("ul", { class: "cards", id: "polls" });
  for (const p of r.body.polls) {
    const { question, options } = pollText(p);
    const status = h("p", { id: `poll-${p.id}-status`, role: "status", "aria-live": "polite" });
    const card = h("li", { class: "card" }, h("h2", { id: `poll-${p.id}` }, question),
      h("p", {}, `${p.open ? t("poll_open_until", formatDate(p.closes_at)) : t("poll_closed_on", formatDate(p.closes_at))} · ${t("poll_voters", p.voters)}`),
      p.communities.length ? h("p", { class: "help" }, `${t("for_communities")} : ${p.communities.map((c) => label(taxonomy?.communities, c)).join(", ")}`) : null,
      barChart(options.map((o, i) => ({ label: o, value: p.options[i].votes })), t("poll_results", question)),
      dataTable([t("poll_option"), t("poll_votes")], options.map((o, i) => [o, p.options[i].votes]), t("poll_results", question)),
      p.by_community.length ? h("details", {}, h("summary", {}, t("poll_by_community")),
        dataTable([t("community_filter"), t("poll_voters_short"), ...options], p.by_community.map((c) => [label(taxonomy?.communities, c.community), c.voters, ...c.votes]), t("poll_by_community"))) : null);
    if (p.open && !session.get()) card.append(h("p", {}, t("signin_to_vote"), " ", h("a", { href: "#accueil" }, t("join_title"))));
    else if (p.open) {
      const form = h("form", { id: `vote-${p.id}`, novalidate: true },
        h("fieldset", {}, h("legend", {}, t("your_vote")),
          ...options.map((o, i) => h("div", { class: "check" },
            h("input", { type: "radio", name: `vote-${p.id}`, id: `vote-${p.id}-${i}`, value: String(i) }), h("label", { for: `vote-${p.id}-${i}` }, o)))),
        h("button", { type: "submit", "aria-describedby": `poll-${p.id}` }, t("vote")));
      form.addEventListener("submit", async (e) => {
        e.preventDefault(); status.textContent = "";
        const chosen = form.querySelector("input:checked");
        if (!chosen) { status.textContent = t("choose_option"); return; }
        const v = await api("POST", `/api/polls/${encodeURIComponent(p.id)}/vote`, { option: Number(chosen.value) }, session.get());
        if (v.status === 201) { form.remove(); status.textContent = t("voted"); }
        else status.textContent = errorMessage(v.body?.error);
      });
      card.append(form);
    }
    card.append(status);
    list.append(card);
  }
  main.append(list);
}

/** The moderator's part: publish a poll, close an open one. */
async function moderatePolls() {
  const status = h("p", { id: "poll-mod-status", role: "status", "aria-live": "polite" });
  const communities = (taxonomy?.communities ?? []).filter((c) => c.front_line);
  const form = h("form", { id: "poll-form", novalidate: true },
    field("poll-question", t("poll_question"), h("input", { maxlength: "300", required: true })),
    field("poll-question_en", t("poll_question_en"), h("input", { maxlength: "300" })),
    field("poll-options", t("poll_options"), h("textarea", { rows: "4", required: true }), t("poll_options_help")),
    field("poll-options_en", t("poll_options_en"), h("textarea", { rows: "4" })),
    field("poll-closes_at", t("poll_closes"), h("input", { type: "date", required: true })),
    h("fieldset", { id: "poll-communities" }, h("legend", {}, t("poll_for")),
      ...communities.map((c) => h("div", { class: "check" }, h("input", { type: "checkbox", id: `poll-communities-${c.code}`, value: c.code }),
        h("label", { for: `poll-communities-${c.code}` }, c.label[lang])))),
    h("button", { type: "submit" }, t("poll_publish")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault(); clearErrors(form); status.textContent = "";
    const v = (x) => $(`poll-${x}`).value.trim();
    const lines = (x) => v(x).split("\n").map((l) => l.trim()).filter(Boolean);
    const day = v("closes_at");
    const body = { question: v("question"), options: lines("options"),
      closes_at: day ? new Date(`${day}T23:59:00`).toISOString().replace(/\.\d{3}Z$/, "Z") : "",
      communities: [...document.querySelectorAll("#poll-communities input:checked")].map((c) => c.value) };
    if (v("question_en")) body.question_en = v("question_en");
    if (lines("options_en").length) body.options_en = lines("options_en");
    const r = await api("POST", "/api/polls", body, session.get());
    if (r.status === 201) { await render(); $("poll-mod-status").textContent = t("poll_published"); }
    else showApiError(r, status, "poll-");
  });
  const polls = await api("GET", "/api/polls");
  const open = polls.status === 200 ? polls.body.polls.filter((p) => p.open) : [];
  const close = async (id) => {
    const r = await api("POST", `/api/polls/${encodeURIComponent(id)}/close`, undefined, session.get());
    if (r.status === 200) { await render(); $("poll-mod-status").textContent = t("poll_closed_done"); } else status.textContent = errorMessage(r.body?.error);
  };
  return [h("h2", {}, t("mod_polls")), status,
    open.length ? h("ul", { class: "cards" }, open.map((p) => h("li", { class: "card" }, h("h3", { id: `mp-${p.id}` }, pollText(p).question),
      h("p", {}, `${t("poll_open_until", formatDate(p.closes_at))} · ${t("poll_voters", p.voters)}`),
      h("button", { type: "button", class: "secondary", "aria-describedby": `mp-${p.id}`, onclick: () => close(p.id) }, t("poll_close"))))) : null,
    h("h3", {}, t("poll_new")), form];
}

// ---------- statistics ----------

let departmentShapes = null; // france-departments.json, fetched the first time the statistics show a map

async function statsView(main) {
  await loadTaxonomy();
  main.append(h("h1", { tabindex: "-1" }, t("stats_title")), h("p", {}, t("stats_intro")));
  const r = await api("GET", "/api/stats");
  if (r.status !== 200) { main.append(h("p", {}, t("numbers_unavailable"))); return; }
  const s = r.body;
  const metrics = ["registered", "offered", "requested", "proposed", "introduced", "confirmed", "declined", "rejected", "closed",
    "contacts_sent", "contacts_accepted", "contacts_declined", "contacts_confirmed", "tickets_claimed", "tickets_returned", "votes", "verifications"];
  const totals = h("dl", { class: "numbers" }, metrics.map((m) => h("div", {}, h("dt", {}, String(s.totals[m])), h("dd", {}, t(`m_${m}`)))));
  main.append(totals, h("p", {}, `${t("median_wait")} : ${s.median_minutes_to_match === null ? "—" : t("minutes", s.median_minutes_to_match)}`));
  const series = ["requested", "offered", "confirmed"];
  main.append(h("h2", {}, t("per_day")));
  if (!s.by_day.length) main.append(h("p", {}, t("no_data")));
  else main.append(groupedBars(s.by_day.map((d) => d.day), series.map((m) => ({ name: t(`m_${m}`), values: s.by_day.map((d) => d[m]) })), t("per_day")),
    dataTable([t("day"), ...series.map((m) => t(`m_${m}`))], s.by_day.map((d) => [d.day, ...series.map((m) => d[m])]), t("data_table")));
  main.append(h("h2", {}, t("per_help_type")));
  if (!s.by_help_type.length) main.append(h("p", {}, t("no_data")));
  else main.append(groupedBars(s.by_help_type.map((x) => label(taxonomy?.help_types, x.help_type)), series.map((m) => ({ name: t(`m_${m}`), values: s.by_help_type.map((x) => x[m]) })), t("per_help_type")),
    dataTable([t("help_type"), ...series.map((m) => t(`m_${m}`))], s.by_help_type.map((x) => [label(taxonomy?.help_types, x.help_type), ...series.map((m) => x[m])]), t("data_table")));
  main.append(h("h2", {}, t("per_department")));
  if (!s.by_department.length) main.append(h("p", {}, t("no_data")));
  else {
    if (!departmentShapes) { try { departmentShapes = await (await fetch("/assets/france-departments.json")).json(); } catch { departmentShapes = null; } }
    const focused = h("p", { id: "map-focus", "aria-live": "polite" }, t("map_help"));
    if (departmentShapes) {
      main.append(h("figure", { class: "map-figure" },
        departmentMap(s.by_department.map((d) => ({ code: d.department, value: d.offered + d.requested })), departmentShapes, {
          label: t("map_label"), legend: { none: t("map_none") }, describe: (name, code, v) => t("map_describe", name, code, v),
          onFocus: (text) => { focused.textContent = text; } }),
        h("figcaption", {}, focused, h("small", {}, t("map_credit"), " ", h("a", { href: "https://creativecommons.org/licenses/by/4.0/" }, "CC BY 4.0")))));
    }
    main.append(dataTable([t("department"), ...series.map((m) => t(`m_${m}`))], s.by_department.map((d) => [d.department, ...series.map((m) => d[m])]), t("data_table")));
  }
  main.append(h("h2", {}, t("by_distance")),
    barChart(s.confirmed_by_distance_km.map((b) => ({ label: `${b.bucket} km`, value: b.count })), t("by_distance")));
}

// ---------- the link page ----------

function purposeOf(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)).purpose;
  } catch { return null; }
}

let linkText = null; // re-applied when the language changes

function renderLinkText() {
  if (!linkText) return;
  $("link-what").textContent = t(linkText.what);
  if (linkText.go) $("link-go").textContent = t(linkText.go);
}

async function sendPending(status) {
  const pending = JSON.parse(localStorage.getItem(PENDING) ?? "null");
  if (!pending) return true;
  const r = await api("POST", pending.path, pending.body, session.get());
  if (r.status === 201) { localStorage.removeItem(PENDING); return true; }
  status.replaceChildren(t("pending_failed", errorMessage(r.body?.error)), " ",
    h("a", { href: pending.side === "offer" ? "/#proposer" : "/#demander" }, t("resume")));
  return false;
}

function linkPage() {
  // Read the token from the fragment, then drop it from the address bar and the history.
  const token = location.hash.slice(1);
  if (token) history.replaceState(null, "", location.pathname);
  const go = $("link-go"), status = $("link-status");
  const purpose = token ? purposeOf(token) : null;
  const pending = localStorage.getItem(PENDING);
  if (!token) linkText = { what: "link_missing" };
  else if (!["verify", "erase", "confirm_match", "decline_match", "keep_open", "accept_contact", "decline_contact", "report_contact", "confirm_contact", "verify_community"].includes(purpose)) linkText = { what: "link_unknown" };
  else if (purpose === "verify" && pending) linkText = { what: "link_verify_pending", go: "go_verify" };
  else linkText = { what: `link_${purpose}`, go: `go_${purpose}` };
  renderLinkText();
  if (!linkText.go) return;
  if (purpose === "erase" || purpose === "report_contact") go.className = "danger";
  go.hidden = false;
  // Mail scanners open links but do not click: nothing happens before this click.
  go.addEventListener("click", async () => {
    go.disabled = true;
    const r = await api("POST", "/api/confirm", { token });
    if (r.status === 200 && r.body.action === "verified") {
      session.set(r.body.session);
      go.hidden = true;
      if (!(await sendPending(status))) return;
      status.textContent = t(pending ? "done_posted" : "done_verified");
      setTimeout(() => { location.href = "/#espace"; }, 800);
    } else if (r.status === 200 && r.body.action === "erased") {
      session.clear(); deviceTickets.clear(); localStorage.removeItem(PENDING);
      status.textContent = t("done_erased"); go.hidden = true;
    } else if (r.status === 200 && ["match_confirmed", "match_declined", "kept_open", "contact_accepted", "contact_declined", "contact_reported", "contact_confirmed", "community_verified"].includes(r.body.action)) {
      status.textContent = t(`done_${r.body.action}`); go.hidden = true;
    } else if (r.status === 0) {
      status.textContent = t("unreachable"); go.disabled = false;
    } else {
      const code = r.body?.error?.code;
      status.textContent = t(`err_${code}`) !== `err_${code}` ? t(`err_${code}`) : (r.body?.error?.message ?? t("err_invalid_token"));
      go.hidden = true;
    }
  });
}

// ---------- start ----------

$("lang").addEventListener("click", () => {
  lang = lang === "fr" ? "en" : "fr";
  localStorage.setItem("lang", lang);
  if (document.body.dataset.page === "link") { renderShell(); renderLinkText(); } else render();
});

// Offline and back: said under the header. The service worker keeps the shell, so the site opens offline.
window.addEventListener("offline", () => appStatus("offline"));
window.addEventListener("online", () => { if ($("app-status")?.dataset.key === "offline") appStatus(null); });
if (!navigator.onLine) appStatus("offline");
// Registered once the page has loaded, so that filling its cache never competes with the first visit.
if ("serviceWorker" in navigator) window.addEventListener("load", () => {
  navigator.serviceWorker.register("/sw.js").then((reg) => {
    reg.addEventListener("updatefound", () => {
      const next = reg.installing;
      next?.addEventListener("statechange", () => {
        // A new version installed beside the running one: it takes over on the next visit.
        if (next.state === "installed" && navigator.serviceWorker.controller) appStatus("update_ready");
      });
    });
  }).catch(() => { /* no offline mode; the site works as before */ });
});

// The skip link moves focus to the content without changing the route.
$("skip")?.addEventListener("click", (e) => { e.preventDefault(); $("main").focus(); });

if (document.body.dataset.page === "link") { renderShell(); linkPage(); }
else {
  window.addEventListener("hashchange", render);
  render();
}
