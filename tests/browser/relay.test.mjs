// The masked relay in a real browser, against the real binary (one moderator): an organisation
// publishes a listing; a member finds it, is asked to sign in, signs in, presses "Contacter" and sends a
// message; the owner's mail holds no address of the sender; the owner accepts on the link page; both
// receive the same introduction; the sender confirms and the contact leaves nothing in the raw store.
// A second message is reported, and the moderator sees it in the console and suspends its sender. The
// English side runs the same pages. Every page is checked with axe-core and screenshotted.
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

async function publish(page, title) {
  await page.goto(server.base + "/#organisations");
  const form = page.locator("#listing-form");
  await form.getByLabel("Type d'annonce", { exact: true }).selectOption("request");
  await form.getByLabel("Domaine", { exact: true }).selectOption("associatif");
  await form.getByLabel("Code postal", { exact: true }).fill("44000");
  await form.getByLabel("Titre").fill(title);
  await form.getByLabel("Texte").fill("Nous cherchons des bras le samedi matin pour préparer les colis.");
  await page.getByRole("button", { name: "Publier" }).click();
  await page.getByText("Annonce publiée.").waitFor();
}

async function search(page, button = "Rechercher", near = "Près du code postal") {
  await page.getByLabel(near).fill("44000");
  await page.getByRole("button", { name: button, exact: true }).click();
}

async function send(page, title, message, { contact = "Contacter", label = "Votre message", submit = "Envoyer le message" } = {}) {
  const card = page.getByRole("listitem").filter({ has: page.getByRole("heading", { name: title }) });
  await card.getByRole("button", { name: contact }).click();
  await card.getByLabel(label).fill(message);
  await card.getByRole("button", { name: submit }).click();
  return card;
}

test("a member contacts a listing, its owner accepts, both are introduced, confirm leaves nothing", async () => {
  const owner = await kit.signIn({ email: "solene.asso@example.org", firstName: "Solène", postalCode: "44000", community: "organisation", role: "association" });
  await publish(owner, "Distribution alimentaire");

  // A visitor finds the listing; "Contacter" asks to sign in first.
  const visitor = await (await browser.newContext()).newPage();
  await visitor.goto(server.base + "/#organisations");
  await search(visitor);
  await visitor.getByRole("heading", { name: "Distribution alimentaire" }).waitFor();
  await visitor.getByRole("button", { name: "Contacter" }).click();
  await visitor.getByText("Connectez-vous pour contacter l'auteur de l'annonce.").waitFor();
  await kit.checkPage(visitor, "relay-signin-first");

  // Signed in, the form opens in place; the message goes to the owner, and "my space" lists it.
  const sender = await kit.signIn({ email: "marius.pompier@example.org", firstName: "Marius", postalCode: "44100", community: "firefighters" });
  await sender.goto(server.base + "/#organisations");
  await search(sender);
  const card = await send(sender, "Distribution alimentaire", "Bonjour <b>Solène</b>, je suis libre le samedi & le dimanche.");
  await card.getByText("Message envoyé.").waitFor();
  await kit.checkPage(sender, "relay-sent");
  const toOwner = (await server.outbox()).filter((m) => m.to === "solene.asso@example.org").at(-1);
  assert.ok(toOwner.text.includes("je suis libre le samedi") && toOwner.text.includes("Marius"), toOwner.text);
  assert.ok(!JSON.stringify(toOwner).includes("marius.pompier"), "the owner's mail holds no address of the sender");
  assert.ok(!toOwner.html.includes("<b>Solène</b>"), "the message is escaped in the HTML mail");
  await sender.goto(server.base + "/#espace");
  await sender.getByRole("heading", { name: "Mes contacts" }).waitFor();
  await sender.getByText("Envoyé · Distribution alimentaire").waitFor();
  await sender.getByText("en attente de réponse").waitFor();
  await kit.checkPage(sender, "relay-my-space");

  // The owner accepts on the link page: both receive the same introduction, with both addresses.
  await owner.goto(await kit.latestLink("solene.asso@example.org", "accept_contact"));
  await owner.getByText("Ce lien accepte le message reçu").waitFor();
  await kit.checkPage(owner, "relay-link-accept");
  await owner.getByRole("button", { name: "Accepter" }).click();
  await owner.getByText("vous avez tous les deux reçu l'e-mail de mise en relation").waitFor();
  const intros = (await server.outbox()).filter((m) => m.links.some((l) => l.purpose === "confirm_contact"));
  assert.deepEqual(intros.map((m) => m.to).sort(), ["marius.pompier@example.org", "solene.asso@example.org"]);
  for (const m of intros) assert.ok(m.text.includes("marius.pompier@example.org") && m.text.includes("solene.asso@example.org"));

  // The sender confirms: nothing of the contact is left in the raw store, and the sender, with nothing
  // else open, is gone.
  await sender.goto(await kit.latestLink("marius.pompier@example.org", "confirm_contact"));
  await sender.getByRole("button", { name: "Le contact est établi" }).click();
  await sender.getByText("Les données de cette mise en relation sont effacées.").waitFor();
  const dump = server.dump();
  for (const gone of ["je suis libre", "marius.pompier", "Marius", "CONTACT#", "CONTACT_SENT#", "CONTACT_IN#"]) {
    assert.ok(!dump.includes(gone), `the raw store still holds ${gone}`);
  }
});

test("a reported message reaches the moderator, who suspends its sender; the same pages in English", async () => {
  const owner = await kit.signIn({ email: "yann.ferme@example.org", firstName: "Yann", postalCode: "44000", community: "organisation", role: "association" });
  await publish(owner, "Récolte des pommes");
  const spammer = await kit.signIn({ email: "spam@example.org", firstName: "Kévin", postalCode: "44000", community: "citizen" });
  // In English: the same search, the same form.
  await spammer.goto(server.base + "/#organisations");
  await spammer.getByRole("button", { name: "English" }).click();
  await spammer.getByRole("heading", { level: 1, name: "Skills for organisations" }).waitFor();
  await search(spammer, "Search", "Near postal code");
  const card = await send(spammer, "Récolte des pommes", "Buy my crypto now!", { contact: "Contact", label: "Your message", submit: "Send the message" });
  await card.getByText("Message sent.").waitFor();
  await kit.checkPage(spammer, "relay-sent-en");
  // A second message on the same listing (after a new search) is refused, said next to the listing.
  await search(spammer, "Search", "Near postal code");
  const again = await send(spammer, "Récolte des pommes", "Again!", { contact: "Contact", label: "Your message", submit: "Send the message" });
  await again.getByText("You already have a message waiting on this listing.").waitFor();

  // The owner reports it on the link page; the moderator sees it and suspends the sender.
  await owner.goto(await kit.latestLink("yann.ferme@example.org", "report_contact"));
  await owner.getByRole("button", { name: "Signaler" }).click();
  await owner.getByText("la modération va examiner ce message").waitFor();
  const moderator = await kit.signIn({ email: MODERATOR, firstName: "Modeste", postalCode: "13001", community: "citizen" });
  await moderator.goto(server.base + "/#moderation");
  await moderator.getByRole("heading", { name: "Messages signalés" }).waitFor();
  await moderator.getByText("Buy my crypto now!").waitFor();
  await moderator.getByText(/Kévin · /).waitFor();
  assert.ok(!(await moderator.content()).includes("spam@example.org"), "the console shows no address");
  assert.doesNotMatch(await moderator.locator("main").innerText(), /\bnull\b/, "no empty value shown as text");
  await kit.checkPage(moderator, "relay-moderation");
  await moderator.getByRole("button", { name: "Suspendre l'expéditeur" }).click();
  await moderator.getByText("Expéditeur suspendu").waitFor();
  await moderator.getByRole("button", { name: "English" }).click();
  await moderator.getByRole("heading", { name: "Reported messages" }).waitFor();
  await kit.checkPage(moderator, "relay-moderation-en");

  // Suspended: contacting another listing is refused, in the member's language.
  await publish(owner, "Tri des colis");
  await spammer.goto(server.base + "/#organisations");
  await search(spammer, "Search", "Near postal code");
  const other = await send(spammer, "Tri des colis", "Hello?", { contact: "Contact", label: "Your message", submit: "Send the message" });
  await other.getByText("The moderators have suspended your account").waitFor();
  await kit.checkPage(spammer, "relay-suspended-en");
});
