// Polls in a real browser, against the real binary (one moderator): the moderator publishes a poll in
// the console; a visitor is asked to sign in to vote; a member votes and sees the results as a chart; a
// second vote from the same address is refused; the English page shows the English texts; the moderator
// closes the poll and its results stay. Every page checked with axe-core and screenshotted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, journeyKit } from "./harness.mjs";

const MODERATOR = "moderation@example.org";
let server, browser, kit;
before(async () => {
  server = await startServer({ args: ["--match-every", "0"], env: { MODERATOR_EMAILS: MODERATOR } });
  browser = await launchBrowser();
  kit = journeyKit(server, browser);
});
after(async () => { await browser?.close(); server?.stop(); });

test("a moderator publishes a poll, a member votes once, the results stay after closing", async () => {
  const moderator = await kit.signIn({ email: MODERATOR, firstName: "Modeste", postalCode: "13001", community: "citizen" });
  await moderator.goto(server.base + "/#moderation");
  await moderator.getByRole("heading", { name: "Publier un sondage" }).waitFor();
  const form = moderator.locator("#poll-form");
  await form.getByLabel("Question", { exact: true }).fill("Quel bon plan voulez-vous ensuite ?");
  await form.getByLabel("Question en anglais (facultatif)").fill("Which perk would you like next?");
  await form.getByLabel("Réponses possibles").fill("Cinéma\nSalle de sport\nLibrairie");
  await form.getByLabel("Réponses en anglais (facultatif, une par ligne)").fill("Cinema\nGym\nBookshop");
  const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
  await form.getByLabel("Clôture le").fill(inAWeek);
  await kit.checkPage(moderator, "poll-publish");
  await moderator.getByRole("button", { name: "Publier le sondage" }).click();
  await moderator.getByText("Sondage publié.").waitFor();

  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(server.base + "/#sondages");
  await visitor.getByRole("heading", { level: 2, name: "Quel bon plan voulez-vous ensuite ?" }).waitFor();
  await visitor.getByText("Connectez-vous pour voter.").waitFor();

  const member = await kit.signIn({ email: "ines@example.org", firstName: "Inès", postalCode: "33000", community: "health", role: "nurse" });
  await member.getByRole("navigation").getByRole("link", { name: "Sondages" }).click();
  await member.getByRole("heading", { level: 1, name: "Sondages" }).waitFor();
  await member.getByLabel("Librairie").check();
  await member.getByRole("button", { name: "Voter" }).click();
  await member.getByText("Merci : votre vote est compté.").waitFor();
  await member.reload();
  await member.getByText("1 votant").waitFor();
  await member.locator("svg[role=img]").first().waitFor();
  await kit.checkPage(member, "polls");
  // Voting again from the same address: refused, said next to the poll.
  await member.getByLabel("Cinéma").check();
  await member.getByRole("button", { name: "Voter" }).click();
  await member.getByText("Cette adresse a déjà voté dans ce sondage.").waitFor();
  // In English, the English texts.
  await member.getByRole("button", { name: "English" }).click();
  await member.getByRole("heading", { level: 2, name: "Which perk would you like next?" }).waitFor();
  await member.getByLabel("Bookshop").waitFor();
  await kit.checkPage(member, "polls-en");

  // The moderator closes it: no more voting, the results stay.
  await moderator.goto(server.base + "/#moderation");
  await moderator.getByRole("button", { name: "Clore maintenant" }).click();
  await moderator.getByText("Sondage clos").waitFor();
  await visitor.reload();
  await visitor.getByText(/^Clos le/).waitFor();
  assert.equal(await visitor.getByRole("button", { name: "Voter" }).count(), 0);
  await visitor.getByRole("img", { name: "Résultats : Quel bon plan voulez-vous ensuite ?" }).waitFor();
});
