// Issue 5's journeys in a real browser, against the real binary (manual review, one moderator): a
// volunteer and a requester each write their post and register in one flow, click their link (the post
// is sent then); a run matches them; the moderator approves in the console; the requester confirms on
// the link page; my space shows the data gone; the statistics page draws its charts. Every page is
// checked with axe-core (no serious or critical violation) and screenshotted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, artifacts, accessibilityProblems } from "./harness.mjs";

const MODERATOR = "moderation@example.org";
let server, browser;
before(async () => {
  server = await startServer({ args: ["--review", "manual", "--match-every", "0"], env: { MODERATOR_EMAILS: MODERATOR } });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); server?.stop(); });

async function checkPage(page, name) {
  const problems = await accessibilityProblems(page);
  assert.deepEqual(problems, [], `accessibility of ${name}`);
  await page.screenshot({ path: `${artifacts}/${name}.png`, fullPage: true });
}

async function latestLink(to, purpose) {
  const mails = (await server.outbox()).filter((m) => m.to === to);
  const link = mails.flatMap((m) => m.links).filter((l) => l.purpose === purpose).at(-1);
  assert.ok(link, `a ${purpose} link for ${to}`);
  return link.url;
}

async function identity(page, { email, firstName, postalCode, community, role }) {
  await page.getByLabel("Adresse e-mail").fill(email);
  await page.getByLabel("Prénom").fill(firstName);
  await page.getByLabel("Code postal", { exact: true }).fill(postalCode);
  await page.getByLabel("Votre communauté").selectOption(community);
  if (role) await page.getByLabel("Métier (facultatif)").selectOption(role);
  await page.getByLabel(/J'accepte/).check();
}

async function followLink(page, url, button) {
  await page.goto(url);
  await page.getByRole("button", { name: button }).click();
}

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
  const moderator = await (await browser.newContext()).newPage();
  await moderator.goto(server.base + "/");
  await identity(moderator, { email: MODERATOR, firstName: "Modeste", postalCode: "13001", community: "citizen" });
  await moderator.getByRole("button", { name: "Recevoir mon lien" }).click();
  await moderator.getByText("C'est noté").waitFor();
  await followLink(moderator, await latestLink(MODERATOR, "verify"), "Confirmer et me connecter");
  await moderator.getByRole("heading", { level: 1, name: "Mon espace" }).waitFor();
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

  // The statistics page draws its charts from the anonymous counters.
  await requester.getByRole("navigation").getByRole("link", { name: "Statistiques" }).click();
  await requester.getByRole("heading", { level: 1, name: "Statistiques" }).waitFor();
  await requester.locator("svg[role=img]").first().waitFor();
  assert.ok(await requester.locator("svg[role=img]").count() >= 4, "per day, per help type, the map, by distance");
  await requester.getByRole("img", { name: "Carte de France : offres et demandes par département" }).waitFor();
  await checkPage(requester, "statistics");
  await requester.getByRole("button", { name: "English" }).click();
  await requester.getByRole("heading", { level: 1, name: "Statistics" }).waitFor();
  await checkPage(requester, "statistics-en");
});
