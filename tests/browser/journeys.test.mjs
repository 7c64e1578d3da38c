// Issue 5's journeys in a real browser, against the real binary (manual review, one moderator): a
// volunteer and a requester each write their post and register in one flow, click their link (the post
// is sent then); a run matches them; the moderator approves in the console; the requester confirms on
// the link page; my space shows the data gone; the statistics page draws its charts. Every page is
// checked with axe-core (no serious or critical violation) and screenshotted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { startServer, launchBrowser, artifacts, accessibilityProblems, journeyKit } from "./harness.mjs";

const MODERATOR = "moderation@example.org";
let server, browser, kit;
before(async () => {
  server = await startServer({ args: ["--review", "manual", "--match-every", "0"], env: { MODERATOR_EMAILS: MODERATOR } });
  browser = await launchBrowser();
  kit = journeyKit(server, browser);
});
after(async () => { await browser?.close(); server?.stop(); });

// The helpers every journey uses (tests/browser/harness.mjs), bound to this file's server and browser.
const checkPage = (...a) => kit.checkPage(...a);
const latestLink = (...a) => kit.latestLink(...a);
const identity = (...a) => kit.identity(...a);
const signIn = (...a) => kit.signIn(...a);
const followLink = (...a) => kit.followLink(...a);

test("volunteer and requester post, a moderator approves, one confirms, the data is gone", async () => {
  // The volunteer: "Je propose mon aide", identity and offer in one form.
  const volunteer = await (await browser.newContext()).newPage();
  await volunteer.goto(server.base + "/");
  await checkPage(volunteer, "home");
  await volunteer.getByRole("navigation").getByRole("link", { name: "Je propose mon aide" }).click();
  await volunteer.getByRole("heading", { level: 1, name: "Je propose mon aide" }).waitFor();
  await identity(volunteer, { email: "capucine@example.org", firstName: "Capucine", postalCode: "75011", community: "citizen" });
  await volunteer.getByLabel("Type d'aide").selectOption("groceries");
  await volunteer.getByLabel("Code postal 1").fill("75011");
  await volunteer.getByLabel("Quelques mots (facultatif)").fill("Je fais les courses le soir");
  await checkPage(volunteer, "offer-form");
  await volunteer.getByRole("button", { name: "Proposer mon aide" }).click();
  await volunteer.getByText("Ouvrez le lien reçu par e-mail dans ce navigateur").waitFor();
  assert.doesNotMatch(server.dump(), /"entity":"offer"/, "nothing is posted before the link is clicked");
  await followLink(volunteer, await latestLink("capucine@example.org", "verify"), "Confirmer et me connecter");
  await volunteer.getByText("Adresse confirmée et annonce envoyée").waitFor();
  await volunteer.getByRole("heading", { level: 1, name: "Mon espace" }).waitFor();
  await volunteer.getByText("Courses alimentaires · 75011").waitFor();
  await checkPage(volunteer, "my-space");
  // Export: everything we hold, as a JSON file.
  const [download] = await Promise.all([volunteer.waitForEvent("download"), volunteer.getByRole("button", { name: "Télécharger mes données" }).click()]);
  const exported = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.equal(exported.profile.email, "capucine@example.org");
  assert.equal(exported.offers.length, 1);

  // The requester, in another browser profile: "J'ai besoin d'aide".
  const requester = await (await browser.newContext()).newPage();
  await requester.goto(server.base + "/#demander");
  await identity(requester, { email: "anatole@example.org", firstName: "Anatole", postalCode: "75012", community: "health", role: "nurse" });
  await requester.getByLabel("Type d'aide").selectOption("groceries");
  await requester.getByLabel("Code postal où l'aide est nécessaire").fill("75012");
  await requester.getByLabel("Quelques mots (facultatif)").fill("De garde toute la semaine");
  await checkPage(requester, "request-form");
  await requester.getByRole("button", { name: "Demander de l'aide" }).click();
  await requester.getByText("Ouvrez le lien reçu par e-mail").waitFor();
  await followLink(requester, await latestLink("anatole@example.org", "verify"), "Confirmer et me connecter");
  await requester.getByRole("heading", { level: 1, name: "Mon espace" }).waitFor();
  await requester.getByText("mise en relation en cours").or(requester.getByText("ouverte")).first().waitFor();

  // The moderator signs in like everyone, runs a search and approves in the console.
  const moderator = await signIn({ email: MODERATOR, firstName: "Modeste", postalCode: "13001", community: "citizen" });
  await moderator.getByRole("navigation").getByRole("link", { name: "Modération" }).click();
  await moderator.getByRole("heading", { level: 1, name: "Modération" }).waitFor();
  await moderator.getByRole("button", { name: "Lancer une recherche maintenant" }).click();
  await moderator.getByText("Recherche terminée : 1 nouvelle(s) proposition(s).").waitFor();
  await moderator.getByText("Anatole").first().waitFor();
  await checkPage(moderator, "moderator-console");
  await moderator.getByRole("button", { name: "Approuver" }).first().click();
  await moderator.getByText("Approuvée : l'e-mail de mise en relation est parti.").waitFor();

  // Both got the same introduction; the requester confirms on the link page.
  const intro = (await server.outbox()).filter((m) => m.links.some((l) => l.purpose === "confirm_match"));
  assert.deepEqual(intro.map((m) => m.to).sort(), ["anatole@example.org", "capucine@example.org"]);
  await requester.goto(await latestLink("anatole@example.org", "confirm_match"));
  await requester.getByText("Ce lien confirme que l'aide est organisée").waitFor();
  await checkPage(requester, "link-confirm");
  await requester.getByRole("button", { name: "L'aide est organisée" }).click();
  await requester.getByText("Merci ! L'aide est organisée").waitFor();

  // My space shows the data gone: the session no longer opens anything.
  await requester.goto(server.base + "/#espace");
  await requester.getByText("Connectez-vous pour voir votre espace.").waitFor();
  const dump = server.dump();
  for (const trace of ["anatole@example.org", "Anatole", "capucine@example.org", "Capucine", "De garde toute la semaine"]) {
    assert.ok(!dump.includes(trace), `${trace} left in the store`);
  }

  // The home page's live numbers count the help arranged (the runner folds the statistics every 2 s).
  const arranged = requester.locator("#numbers div").filter({ hasText: "aides organisées" }).locator("dt");
  let counted = "";
  for (let i = 0; i < 20 && counted !== "1"; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 500));
    await requester.goto(server.base + "/#accueil");
    await requester.reload();
    await arranged.waitFor();
    counted = await arranged.innerText();
  }
  assert.equal(counted, "1", "the arranged help is counted within ten seconds");

  // The statistics page draws its charts from the anonymous counters.
  await requester.getByRole("navigation").getByRole("link", { name: "Statistiques" }).click();
  await requester.getByRole("heading", { level: 1, name: "Statistiques" }).waitFor();
  await requester.locator("svg[role=img]").first().waitFor();
  // The map draws every department (96 metropolitan and 5 overseas insets), each focusable with its
  // figure as text, also shown under the map.
  const map = requester.getByRole("group", { name: "Carte de France : offres et demandes par département" });
  await map.waitFor();
  await requester.getByRole("heading", { level: 2, name: "Par distance" }).waitFor();
  assert.ok(await requester.locator("svg[role=img]").count() >= 3, "per day, per help type, by distance");
  assert.equal(await map.locator(".dept").count(), 101);
  const paris = map.getByRole("img", { name: /^Ville de Paris \(75\) : [1-9]\d* offres? et demandes?$/ });
  await paris.focus();
  await requester.locator("#map-focus").getByText(/^Ville de Paris \(75\) : [1-9]/).waitFor();
  await map.getByRole("img", { name: /^La Réunion \(974\) : 0 offre et demande$/ }).waitFor();
  await checkPage(requester, "statistics");
  await requester.getByRole("button", { name: "English" }).click();
  await requester.getByRole("heading", { level: 1, name: "Statistics" }).waitFor();
  await checkPage(requester, "statistics-en");
});

/** Presses Tab until the focused element's label (or text) matches `name`; fails after 60 presses. */
async function tabTo(page, name) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      const byLabel = el?.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
      return (byLabel ?? el?.textContent ?? "").trim();
    });
    if (typeof name === "string" ? focused === name : name.test(focused)) return;
  }
  assert.fail(`could not reach ${name} with Tab`);
}

test("a request with the keyboard alone, from the home page to the posted request", async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(server.base + "/");
  await page.getByRole("heading", { level: 1 }).waitFor();
  await tabTo(page, "J'ai besoin d'aide");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 1, name: "J'ai besoin d'aide" }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.tagName), "H1", "focus moves to the new page's heading");
  await tabTo(page, "Adresse e-mail");
  await page.keyboard.type("ines.keyboard@example.org");
  await page.keyboard.press("Tab");
  await page.keyboard.type("Inès");
  await page.keyboard.press("Tab");
  await page.keyboard.type("69003");
  await page.keyboard.press("Tab"); // community: typing selects by label
  await page.keyboard.type("Pompiers");
  await tabTo(page, /^J'accepte/);
  await page.keyboard.press("Space");
  await tabTo(page, "Code postal où l'aide est nécessaire");
  await page.keyboard.type("69003");
  await page.keyboard.press("Tab");
  await page.keyboard.type("Courses pour la semaine");
  await tabTo(page, "Demander de l'aide");
  await page.keyboard.press("Enter");
  await page.getByText("Ouvrez le lien reçu par e-mail").waitFor();
  const verify = await latestLink("ines.keyboard@example.org", "verify");
  await page.goto(verify);
  await tabTo(page, "Confirmer et me connecter");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 1, name: "Mon espace" }).waitFor();
  await page.getByText("Courses alimentaires · 69003").waitFor();
  // Withdraw it with the keyboard too.
  await tabTo(page, "Retirer");
  await page.keyboard.press("Enter");
  await page.getByText("C'est retiré.").waitFor();
});

test("a business is referenced, approved by a moderator and found in the directory", async () => {
  const member = await signIn({ email: "gerant@example.org", firstName: "Gérald", postalCode: "33000", community: "citizen" });
  await member.getByRole("navigation").getByRole("link", { name: "Bons plans" }).click();
  await member.getByRole("heading", { level: 1, name: "Bons plans des commerçants" }).waitFor();
  const perkForm = member.locator("#perk-form");
  await perkForm.getByLabel("Nom du commerce").fill("Boulangerie du Port");
  await perkForm.getByLabel("Code postal", { exact: true }).fill("33000");
  await perkForm.getByLabel("Catégorie", { exact: true }).selectOption("food");
  await perkForm.getByLabel("L'avantage proposé").fill("Une viennoiserie offerte aux soignants");
  await perkForm.getByLabel("Santé").check();
  await checkPage(member, "perks");
  await member.getByRole("button", { name: "Référencer ce commerce" }).click();
  await member.getByText("sera publié après vérification").waitFor();

  const moderator = await signIn({ email: MODERATOR, firstName: "Modeste", postalCode: "13001", community: "citizen" });
  await moderator.goto(server.base + "/#moderation");
  await moderator.getByText("Boulangerie du Port").waitFor();
  await moderator.getByRole("button", { name: "Approuver" }).last().click();
  await moderator.getByText("Commerce publié.").waitFor();

  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(server.base + "/#commerces");
  await visitor.getByLabel("Près du code postal").fill("33000");
  await visitor.getByRole("button", { name: "Rechercher" }).click();
  await visitor.getByRole("heading", { name: "Boulangerie du Port" }).waitFor();
  await visitor.getByText("Connectez-vous pour publier.").waitFor();
  await checkPage(visitor, "perks-directory");
});

test("organisations publish and search listings; an unknown postal code is shown next to its field", async () => {
  const page = await signIn({ email: "asso@example.org", firstName: "Solène", postalCode: "44000", community: "organisation", role: "association" });
  await page.goto(server.base + "/#organisations");
  await page.getByRole("heading", { level: 1, name: "Compétences pour les organisations" }).waitFor();
  const listingForm = page.locator("#listing-form");
  await listingForm.getByLabel("Type d'annonce", { exact: true }).selectOption("request");
  await listingForm.getByLabel("Domaine", { exact: true }).selectOption("associatif");
  await listingForm.getByLabel("Code postal", { exact: true }).fill("99999");
  await listingForm.getByLabel("Titre").fill("Distribution alimentaire");
  await listingForm.getByLabel("Texte").fill("Nous cherchons des bras le samedi matin pour préparer les colis.");
  await page.getByRole("button", { name: "Publier" }).click();
  await page.locator("#post-postal_code-error").filter({ hasText: "Ce code postal n'existe pas." }).waitFor();
  assert.equal(await listingForm.getByLabel("Titre").inputValue(), "Distribution alimentaire", "nothing lost on an error");
  await listingForm.getByLabel("Code postal", { exact: true }).fill("44000");
  await page.getByRole("button", { name: "Publier" }).click();
  await page.getByText("Annonce publiée.").waitFor();
  await page.getByLabel("Près du code postal").fill("44000");
  await page.getByRole("button", { name: "Rechercher" }).click();
  await page.getByRole("heading", { name: "Distribution alimentaire" }).waitFor();
  await checkPage(page, "organisations");
});

test("at 360 px wide nothing overflows, and an unreachable API is said plainly", async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 } });
  const page = await context.newPage();
  for (const route of ["accueil", "proposer", "demander", "organisations", "commerces", "statistiques", "moderation", "espace"]) {
    await page.goto(`${server.base}/#${route}`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    await page.waitForLoadState("networkidle");
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `${route} is ${width}px wide at 360px`);
    assert.deepEqual(await accessibilityProblems(page), [], `accessibility of ${route} at 360 px`);
  }
  await page.goto(`${server.base}/#accueil`);
  await page.screenshot({ path: `${artifacts}/home-360.png`, fullPage: true });
  await page.route("**/api/register", (r) => r.abort());
  await identity(page, { email: "offline@example.org", firstName: "Hors", postalCode: "75011", community: "citizen" });
  await page.getByRole("button", { name: "Recevoir mon lien" }).click();
  await page.getByText("Le service ne répond pas").waitFor();
  assert.equal(await page.getByLabel("Adresse e-mail").inputValue(), "offline@example.org", "nothing lost");
});
