// The foundation's journey in a real browser: register on the home page, open the e-mailed link, click
// to confirm, see "my space", switch to English, erase everything — using the keyboard for the form.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startServer, launchBrowser, artifacts } from "./harness.mjs";

let server, browser;
before(async () => { server = await startServer(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); server?.stop(); });

test("a person registers, follows the link, sees their data and erases it", async () => {
  const page = await browser.newPage();
  await page.goto(server.base + "/");
  assert.equal(await page.locator("h1").count(), 1);
  assert.match(await page.locator("h1").innerText(), /Entraide/);
  await page.screenshot({ path: `${artifacts}/home.png`, fullPage: true });

  // Keyboard only: labels lead to fields, Tab moves, Space ticks the box, Enter submits.
  await page.getByLabel("Adresse e-mail").focus();
  await page.keyboard.type("camille@example.org");
  await page.keyboard.press("Tab");
  await page.keyboard.type("Camille");
  await page.keyboard.press("Tab");
  await page.keyboard.type("99999"); // does not exist: the API's error shows next to the field
  await page.getByLabel("Votre communauté").selectOption("firefighters");
  await page.getByLabel("Métier (facultatif)").selectOption("volunteer-firefighter");
  await page.getByLabel(/J'accepte/).focus();
  await page.keyboard.press("Space");
  await page.keyboard.press("Enter");
  await page.locator("#postal_code-error").filter({ hasText: "Ce code postal n'existe pas." }).waitFor();
  assert.equal(await page.getByLabel("Code postal").getAttribute("aria-invalid"), "true");
  assert.equal(await page.getByLabel("Adresse e-mail").inputValue(), "camille@example.org", "nothing lost on an error");

  await page.getByLabel("Code postal").fill("13001");
  await page.getByRole("button", { name: "Recevoir mon lien" }).click();
  await page.getByText("C'est noté").waitFor();

  const mails = await server.outbox();
  assert.equal(mails.length, 1);
  assert.equal(mails[0].to, "camille@example.org");
  const verify = mails[0].links.find((l) => l.purpose === "verify").url;
  const erase = mails[0].links.find((l) => l.purpose === "erase").url;

  // Opening the link changes nothing until the button is clicked (mail scanners only open links).
  assert.ok(verify.startsWith(`${server.base}/link#`), "links point to this server");
  await page.goto(verify);
  assert.equal(new URL(page.url()).hash, "", "the token is dropped from the address bar");
  await page.getByText("Ce lien confirme votre adresse").waitFor();
  await page.screenshot({ path: `${artifacts}/link.png`, fullPage: true });
  assert.match(server.dump(), /"status":"pending"/);
  await page.getByRole("button", { name: "Confirmer et me connecter" }).click();
  await page.getByRole("heading", { name: "Mon espace" }).waitFor();
  await page.getByText("Bonjour Camille").waitFor();
  await page.getByText("Sapeur-pompier volontaire").waitFor();
  assert.equal(await page.locator("#join").isHidden(), true, "no sign-up form while signed in");
  await page.screenshot({ path: `${artifacts}/my-space.png`, fullPage: true });

  await page.getByRole("button", { name: "English" }).click();
  await page.getByRole("heading", { name: "My space" }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");

  page.once("dialog", (d) => d.accept());
  await page.getByRole("button", { name: "Erase all my data" }).click();
  await page.getByText("All your data has been erased.").waitFor();
  const dump = server.dump();
  for (const trace of ["camille@example.org", "Camille", "13001", "volunteer-firefighter"]) {
    assert.ok(!dump.includes(trace), `${trace} left in the store`);
  }

  // The erase link from the e-mail, now that everything is gone, still answers calmly.
  await page.goto(erase);
  await page.getByRole("button", { name: "Erase my data" }).click();
  await page.getByText("All your data has been erased.").waitFor();
});

test("a used or broken link says so in the person's language", async () => {
  const page = await browser.newPage();
  await page.goto(server.base + "/link#not-a-token");
  await page.getByText("Ce lien n'est pas reconnu").waitFor();
  await page.goto(server.base + "/link");
  await page.getByText("Aucun lien à traiter").waitFor();
});
