// The verified community in a real browser, against the real binary (auto review): a gendarme asks for
// a link in "my space" with a look-alike domain (refused next to the field), then with their work
// address; the link opens the link page, which confirms it; "my space" then says until when it holds,
// and the work address is shown nowhere. A verified-only perk: a member whose community is not verified
// is told to verify it; the verified gendarme takes a place. In French and in English, every page
// checked with axe-core and screenshotted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, journeyKit } from "./harness.mjs";

let server, browser, kit;
before(async () => {
  server = await startServer({ args: ["--review", "auto", "--match-every", "0"] });
  browser = await launchBrowser();
  kit = journeyKit(server, browser);
});
after(async () => { await browser?.close(); server?.stop(); });

const WORK = "g.lefort@gendarmerie.interieur.gouv.fr";

test("a gendarme verifies their community with a work address, kept nowhere, and takes a verified-only place", async () => {
  const page = await kit.signIn({ email: "gaelle@example.org", firstName: "Gaëlle", postalCode: "35000", community: "gendarmerie" });
  await page.getByRole("heading", { level: 2, name: "Vérifier ma communauté" }).waitFor();
  await page.getByText("Domaines acceptés : gendarmerie.interieur.gouv.fr.").waitFor();
  await kit.checkPage(page, "verify-form");
  // A look-alike domain: refused, next to the field.
  await page.getByLabel("Adresse professionnelle").fill("g.lefort@evilgendarmerie.interieur.gouv.fr");
  await page.getByRole("button", { name: "Recevoir le lien" }).click();
  await page.getByText("Cette adresse n'est pas sur un domaine de votre communauté.").waitFor();
  await page.getByLabel("Adresse professionnelle").fill(WORK);
  await page.getByRole("button", { name: "Recevoir le lien" }).click();
  await page.getByText("Lien envoyé à votre adresse professionnelle").waitFor();

  // The link, from the mail to the work address, in English this time.
  await page.goto(await kit.latestLink(WORK, "verify_community"));
  await page.getByRole("button", { name: "English" }).click();
  await page.getByText("This link confirms your community with your work address.").waitFor();
  await kit.checkPage(page, "verify-link-en");
  await page.getByRole("button", { name: "Confirm my community" }).click();
  await page.getByText("Done: your community is verified for 12 months.").waitFor();
  await page.goto(server.base + "/#espace");
  await page.getByText(/Your community is verified until/).waitFor();
  await kit.checkPage(page, "verify-done-en");
  const text = await page.locator("main").innerText();
  assert.ok(!text.includes("g.lefort"), "the work address is shown nowhere");
  assert.ok(!/\bnull\b/.test(text), "no absent part printed as null");
  await page.getByRole("button", { name: "Français" }).click();
  await page.getByText(/Votre communauté est vérifiée jusqu'au/).waitFor();

  // A verified-only perk for the gendarmerie.
  await kit.referencePerk(page, { name: "Piscine des Gayeulles", postalCode: "35000", category: "sport", perk: "Une entrée offerte",
    places: 5, verifiedOnly: true, communities: ["Gendarmerie"] });

  const find = async (p) => {
    await p.goto(server.base + "/#commerces");
    await p.getByLabel("Près du code postal").fill("35000");
    await p.getByRole("button", { name: "Rechercher", exact: true }).click();
    return p.getByRole("listitem").filter({ has: p.getByRole("heading", { name: "Piscine des Gayeulles" }) });
  };
  const other = await kit.signIn({ email: "yann@example.org", firstName: "Yann", postalCode: "35000", community: "gendarmerie" });
  let card = await find(other);
  await card.getByText("Réservé aux membres dont la communauté est vérifiée").waitFor();
  await card.getByRole("button", { name: "Prendre une place" }).click();
  await card.getByText("Réservé aux membres dont la communauté est vérifiée : vérifiez-la dans votre espace.").waitFor();
  await kit.checkPage(other, "verified-only-refused");
  card = await find(page);
  await card.getByRole("button", { name: "Prendre une place" }).click();
  await card.getByText("C'est à vous : montrez ce code au commerce.").waitFor();
});
