// Limited tickets in a real browser, against the real binary (auto review): a business is referenced
// with two places; a visitor is asked to sign in; a member takes a place and sees its code large, finds
// it in "my space" and gives it back; the last place goes and the perk says none is left. In French and
// in English; every page checked with axe-core and screenshotted.
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

async function findPerk(page, { near = "Près du code postal", button = "Rechercher" } = {}) {
  await page.goto(server.base + "/#commerces");
  await page.getByLabel(near).fill("33000");
  await page.getByRole("button", { name: button, exact: true }).click();
  return page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: "Théâtre du Port" }) });
}

test("a member takes a place, shows its code, gives it back; the last place goes", async () => {
  const owner = await kit.signIn({ email: "theatre@example.org", firstName: "Gaëlle", postalCode: "33000", community: "citizen" });
  await kit.referencePerk(owner, { name: "Théâtre du Port", postalCode: "33000", category: "leisure", perk: "Deux places pour la première",
    places: 2, communities: ["Santé", "Sapeurs-pompiers"] });

  // Not signed in: asked to sign in first.
  const visitor = await (await browser.newContext()).newPage();
  let card = await findPerk(visitor);
  await card.getByText("2 places restantes").waitFor();
  await card.getByRole("button", { name: "Prendre une place" }).click();
  await card.getByText("Connectez-vous pour prendre une place.").waitFor();

  // A member takes one: the code, large; the same code in "my space", where it is given back.
  const member = await kit.signIn({ email: "spectatrice@example.org", firstName: "Inès", postalCode: "33000", community: "health", role: "nurse" });
  card = await findPerk(member);
  await card.getByRole("button", { name: "Prendre une place" }).click();
  await card.getByText("C'est à vous : montrez ce code au commerce.").waitFor();
  const code = (await card.locator(".ticket-code").innerText()).trim();
  assert.match(code, /^[A-Z2-9]{6}$/);
  await card.getByText("1 place restante").waitFor();
  await kit.checkPage(member, "ticket-taken");
  await member.goto(server.base + "/#espace");
  await member.getByRole("heading", { name: "Mes places" }).waitFor();
  await member.locator("#my-tickets .ticket-code").filter({ hasText: code }).waitFor();
  await kit.checkPage(member, "ticket-my-space");
  await member.getByRole("button", { name: "English" }).click();
  await member.getByRole("heading", { name: "My places" }).waitFor();
  await kit.checkPage(member, "ticket-my-space-en");
  await member.getByRole("button", { name: "Give my place back" }).click();
  await member.getByRole("heading", { name: "My places" }).waitFor();
  await member.getByText("Nothing yet.").first().waitFor();

  // Two others take the two places, in English; the perk then says none is left.
  for (const [email, name] of [["a@example.org", "Anne"], ["b@example.org", "Bruno"]]) {
    const page = await kit.signIn({ email, firstName: name, postalCode: "33000", community: "firefighters" });
    await page.getByRole("button", { name: "English" }).click();
    const c = await findPerk(page, { near: "Near postal code", button: "Search" });
    await c.getByRole("button", { name: "Take a place" }).click();
    await c.getByText("It is yours: show this code at the business.").waitFor();
    if (name === "Bruno") await kit.checkPage(page, "ticket-taken-en");
  }
  card = await findPerk(visitor);
  await card.getByText("Plus aucune place").waitFor();
  assert.ok(await card.getByRole("button", { name: "Prendre une place" }).isDisabled());
});
