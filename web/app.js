// Entraide — minimal front end for the foundation: register, follow a link, see or erase my data.
// French first, English second. No framework, no build step. The session lives in sessionStorage only.

const T = {
  fr: {
    skip: "Aller au contenu", title: "Entraide : de l'aide pour celles et ceux qui tiennent le pays",
    intro: "Des bénévoles proposent des courses ou une garde d'enfants aux soignants, gendarmes, militaires, pompiers et à toutes celles et ceux qui sont en première ligne. Nous gardons le minimum de données, et nous les effaçons dès que l'aide est organisée.",
    me_title: "Mon espace", export: "Télécharger mes données", erase: "Effacer toutes mes données", signout: "Me déconnecter",
    join_title: "S'inscrire ou se connecter", join_help: "Indiquez votre adresse e-mail : nous vous envoyons un lien. Pas de mot de passe.",
    email: "Adresse e-mail", first_name: "Prénom", postal_code: "Code postal", community: "Votre communauté",
    community_help: "Une catégorie générique seulement : jamais de grade, d'unité ni d'employeur.",
    role: "Métier (facultatif)", phone: "Téléphone (facultatif, transmis seulement dans l'e-mail de mise en relation)",
    consent: "J'accepte que mes données soient utilisées pour organiser de l'aide, puis effacées.",
    submit: "Recevoir mon lien", footer: "Entraide ne vend ni ne partage aucune donnée. Chaque e-mail contient un lien pour tout effacer.",
    choose: "Choisissez…", none: "Non précisé",
    sent: "C'est noté. Si l'adresse est valide, un e-mail avec votre lien arrive dans quelques instants.",
    unreachable: "Le service ne répond pas. Vérifiez votre connexion et réessayez : rien n'a été perdu.",
    fix: "Corrigez les champs signalés.", required: "Ce champ est obligatoire.", consent_required: "Votre accord est nécessaire.",
    hello: (n) => `Bonjour ${n}, vous êtes connecté·e.`, erased: "Toutes vos données ont été effacées.",
    confirm_erase: "Effacer définitivement toutes vos données ?",
    link_title: "Votre lien", home: "Retour à l'accueil",
    link_verify: "Ce lien confirme votre adresse e-mail et vous connecte.", go_verify: "Confirmer et me connecter",
    link_erase: "Ce lien efface définitivement toutes vos données chez Entraide.", go_erase: "Effacer mes données",
    link_unknown: "Ce lien n'est pas reconnu. Demandez-en un nouveau depuis l'accueil.",
    link_missing: "Aucun lien à traiter. Ouvrez le lien reçu par e-mail.",
    done_verified: "Adresse confirmée, vous êtes connecté·e.", done_erased: "Toutes vos données ont été effacées.",
    link_confirm_match: "Ce lien confirme que l'aide est organisée. Les données de cette mise en relation seront effacées aussitôt.", go_confirm_match: "L'aide est organisée",
    link_decline_match: "Ce lien indique que la mise en relation n'a pas fonctionné. La demande sera proposée à un autre bénévole, jamais le même.", go_decline_match: "Cela n'a pas fonctionné",
    link_keep_open: "Ce lien garde votre offre ou votre demande ouverte 30 jours de plus.", go_keep_open: "Garder ouverte",
    done_match_confirmed: "Merci ! L'aide est organisée et les données de cette mise en relation sont effacées.",
    done_match_declined: "C'est noté. Nous chercherons une autre personne.",
    done_kept_open: "C'est fait : elle reste ouverte 30 jours de plus.",
    err_match_closed: "Cette mise en relation est déjà close (confirmée, déclinée ou expirée).",
    err_post_closed: "Cette offre ou demande n'existe plus.",
    err_link_used: "Ce lien a déjà servi. Demandez-en un nouveau depuis l'accueil.",
    err_link_expired: "Ce lien a expiré. Demandez-en un nouveau depuis l'accueil.",
    err_invalid_token: "Ce lien n'est pas valide.",
    labels: { email: "E-mail", first_name: "Prénom", postal_code: "Code postal", community: "Communauté", role: "Métier", phone: "Téléphone", status: "Statut", expires_at: "Effacement automatique le" },
    errors: {
      invalid_email: "Cette adresse e-mail n'est pas valide.", invalid_first_name: "Indiquez un prénom (50 caractères au plus).",
      invalid_postal_code: "Ce code postal n'existe pas.", invalid_community: "Choisissez une communauté.", invalid_role: "Ce métier ne correspond pas à la communauté.",
      invalid_phone: "Ce numéro de téléphone n'est pas valide.", consent_required: "Votre accord est nécessaire.", too_many_requests: "Trop de demandes, réessayez plus tard.",
    },
  },
  en: {
    skip: "Skip to content", title: "Entraide: help for the people who keep the country running",
    intro: "Volunteers offer groceries or child care to nurses, gendarmes, soldiers, firefighters and everyone on the front line. We keep as little data as possible and erase it as soon as the help is arranged.",
    me_title: "My space", export: "Download my data", erase: "Erase all my data", signout: "Sign out",
    join_title: "Join or sign in", join_help: "Enter your e-mail address: we send you a link. No password.",
    email: "E-mail address", first_name: "First name", postal_code: "Postal code", community: "Your community",
    community_help: "A generic category only: never a rank, a unit or an employer.",
    role: "Occupation (optional)", phone: "Phone (optional, only shared inside the introduction e-mail)",
    consent: "I agree that my data is used to arrange help, then erased.",
    submit: "Send me my link", footer: "Entraide neither sells nor shares any data. Every e-mail has a link to erase everything.",
    choose: "Choose…", none: "Not specified",
    sent: "Done. If the address is valid, an e-mail with your link arrives in a moment.",
    unreachable: "The service is not answering. Check your connection and try again: nothing was lost.",
    fix: "Please correct the fields marked.", required: "This field is required.", consent_required: "Your consent is required.",
    hello: (n) => `Hello ${n}, you are signed in.`, erased: "All your data has been erased.",
    confirm_erase: "Erase all your data for good?",
    link_title: "Your link", home: "Back to home",
    link_verify: "This link confirms your e-mail address and signs you in.", go_verify: "Confirm and sign in",
    link_erase: "This link erases all your data at Entraide for good.", go_erase: "Erase my data",
    link_unknown: "This link is not recognised. Ask for a new one from the home page.",
    link_missing: "No link to follow. Open the link from your e-mail.",
    done_verified: "Address confirmed, you are signed in.", done_erased: "All your data has been erased.",
    link_confirm_match: "This link confirms that the help is arranged. The data of this introduction is erased at once.", go_confirm_match: "The help is arranged",
    link_decline_match: "This link says the introduction did not work out. The request will go to another volunteer, never the same one.", go_decline_match: "It did not work out",
    link_keep_open: "This link keeps your offer or request open for 30 more days.", go_keep_open: "Keep it open",
    done_match_confirmed: "Thank you! The help is arranged and the data of this introduction is erased.",
    done_match_declined: "Noted. We will look for someone else.",
    done_kept_open: "Done: it stays open for 30 more days.",
    err_match_closed: "This introduction is already closed (confirmed, declined or expired).",
    err_post_closed: "This offer or request no longer exists.",
    err_link_used: "This link has already been used. Ask for a new one from the home page.",
    err_link_expired: "This link has expired. Ask for a new one from the home page.",
    err_invalid_token: "This link is not valid.",
    labels: { email: "E-mail", first_name: "First name", postal_code: "Postal code", community: "Community", role: "Occupation", phone: "Phone", status: "Status", expires_at: "Automatic erasure on" },
    errors: {
      invalid_email: "This e-mail address is not valid.", invalid_first_name: "Enter a first name (50 characters at most).",
      invalid_postal_code: "This postal code does not exist.", invalid_community: "Choose a community.", invalid_role: "This occupation does not belong to the community.",
      invalid_phone: "This phone number is not valid.", consent_required: "Your consent is required.", too_many_requests: "Too many requests, try again later.",
    },
  },
};

let lang = localStorage.getItem("lang") === "en" ? "en" : "fr";
const t = (k) => T[lang][k] ?? T.fr[k] ?? k;
const $ = (id) => document.getElementById(id);
let taxonomy = null;

function applyLanguage() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  const btn = $("lang");
  btn.textContent = lang === "fr" ? "English" : "Français";
  btn.lang = lang === "fr" ? "en" : "fr";
  btn.setAttribute("aria-label", lang === "fr" ? "Read in English" : "Lire en français");
  if (taxonomy) fillCommunities();
}

async function api(method, path, body, session) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (session) headers.authorization = `Bearer ${session}`;
  let resp;
  try {
    resp = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    return { status: 0, body: null };
  }
  let data = null;
  try { data = await resp.json(); } catch { /* empty body */ }
  return { status: resp.status, body: data };
}

function option(value, text) {
  const o = document.createElement("option");
  o.value = value; o.textContent = text;
  return o;
}

function fillCommunities() {
  const sel = $("community");
  const keep = sel.value;
  sel.replaceChildren(option("", t("choose")), ...taxonomy.communities.map((c) => option(c.code, c.label[lang])));
  sel.value = keep;
  fillRoles();
}

function fillRoles() {
  const sel = $("role");
  const keep = sel.value;
  const c = taxonomy.communities.find((c) => c.code === $("community").value);
  sel.replaceChildren(option("", t("none")), ...(c ? c.roles.map((r) => option(r.code, r.label[lang])) : []));
  sel.value = c && c.roles.some((r) => r.code === keep) ? keep : "";
}

function clearErrors(form) {
  for (const el of form.querySelectorAll(".error")) el.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
}

function showFieldError(field, message) {
  const input = $(field); const err = $(`${field}-error`);
  if (!input || !err) return false;
  input.setAttribute("aria-invalid", "true");
  err.textContent = message;
  return true;
}

async function home() {
  const r = await api("GET", "/api/taxonomy");
  if (r.status === 200) { taxonomy = r.body; fillCommunities(); }
  $("community").addEventListener("change", fillRoles);
  $("register").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = e.target; clearErrors(form);
    const status = $("register-status"); status.textContent = "";
    const v = (id) => $(id).value.trim();
    let first = null;
    for (const id of ["email", "first_name", "postal_code", "community"]) {
      if (!v(id)) { showFieldError(id, t("required")); first ??= id; }
    }
    if (!$("consent").checked) { showFieldError("consent", t("consent_required")); first ??= "consent"; }
    if (first) { status.textContent = t("fix"); $(first).focus(); return; }
    const body = { email: v("email"), first_name: v("first_name"), postal_code: v("postal_code"), community: v("community"),
      consent: true, locale: lang, website: $("website").value };
    if (v("role")) body.role = v("role");
    if (v("phone")) body.phone = v("phone");
    const r = await api("POST", "/api/register", body);
    if (r.status === 202) { status.textContent = t("sent"); return; }
    if (r.status === 0) { status.textContent = t("unreachable"); return; }
    const err = r.body?.error;
    const msg = T[lang].errors[err?.code] ?? err?.message ?? t("unreachable");
    if (err?.field && showFieldError(err.field, msg)) { status.textContent = t("fix"); $(err.field).focus(); }
    else status.textContent = msg;
  });
  await showMe();
}

// Taxonomy codes are shown with their label in the page's language.
function display(key, profile) {
  const community = taxonomy?.communities.find((c) => c.code === profile.community);
  if (key === "expires_at") return new Date(profile[key]).toLocaleString(lang);
  if (key === "community" && community) return community.label[lang];
  if (key === "role" && community) return community.roles.find((r) => r.code === profile.role)?.label[lang] ?? profile.role;
  return profile[key];
}

async function showMe() {
  const session = sessionStorage.getItem("session");
  if (!session) return;
  const r = await api("GET", "/api/me", undefined, session);
  if (r.status !== 200) { sessionStorage.removeItem("session"); return; }
  const p = r.body.profile;
  $("me").hidden = false;
  $("join").hidden = true;
  $("me-hello").textContent = T[lang].hello(p.first_name);
  const dl = $("me-profile"); dl.replaceChildren();
  for (const k of ["email", "first_name", "postal_code", "community", "role", "phone", "expires_at"]) {
    if (p[k] == null) continue;
    const dt = document.createElement("dt"); dt.textContent = T[lang].labels[k];
    const dd = document.createElement("dd"); dd.textContent = display(k, p);
    dl.append(dt, dd);
  }
  $("export").onclick = () => {
    const blob = new Blob([JSON.stringify(r.body, null, 2)], { type: "application/json" });
    const a = document.createElement("a"); a.href = URL.createObjectURL(blob); a.download = "entraide-mes-donnees.json"; a.click();
  };
  $("erase").onclick = async () => {
    if (!confirm(t("confirm_erase"))) return;
    const d = await api("DELETE", "/api/me", undefined, session);
    if (d.status === 200) {
      sessionStorage.removeItem("session"); dl.replaceChildren(); $("me-hello").textContent = "";
      $("join").hidden = false;
      $("me-status").textContent = t("erased");
    } else $("me-status").textContent = d.status === 0 ? t("unreachable") : (d.body?.error?.message ?? t("unreachable"));
  };
  $("signout").onclick = () => { sessionStorage.removeItem("session"); location.reload(); };
}

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

function linkPage() {
  // Read the token from the fragment, then drop it from the address bar and the history.
  const token = location.hash.slice(1);
  if (token) history.replaceState(null, "", location.pathname);
  const go = $("link-go"), status = $("link-status");
  const purpose = token ? purposeOf(token) : null;
  if (!token) linkText = { what: "link_missing" };
  else if (!["verify", "erase", "confirm_match", "decline_match", "keep_open"].includes(purpose)) linkText = { what: "link_unknown" };
  else linkText = { what: `link_${purpose}`, go: `go_${purpose}` };
  renderLinkText();
  if (!linkText.go) return;
  if (purpose === "erase") go.className = "danger";
  go.hidden = false;
  // Mail scanners open links but do not click: nothing happens before this click.
  go.addEventListener("click", async () => {
    go.disabled = true;
    const r = await api("POST", "/api/confirm", { token });
    if (r.status === 200 && r.body.action === "verified") {
      sessionStorage.setItem("session", r.body.session);
      status.textContent = t("done_verified");
      setTimeout(() => { location.href = "/#me"; }, 800);
    } else if (r.status === 200 && r.body.action === "erased") {
      sessionStorage.removeItem("session");
      status.textContent = t("done_erased"); go.hidden = true;
    } else if (r.status === 200 && ["match_confirmed", "match_declined", "kept_open"].includes(r.body.action)) {
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

$("lang").addEventListener("click", () => {
  lang = lang === "fr" ? "en" : "fr";
  localStorage.setItem("lang", lang);
  applyLanguage();
  renderLinkText();
  if (document.body.dataset.page === "home" && sessionStorage.getItem("session")) showMe();
});
applyLanguage();
if (document.body.dataset.page === "home") home(); else linkPage();
