// The installable app in a real browser, against the real binary: Chromium's own installability check
// (through the DevTools protocol) passes and the manifest has no error; no page answers 404 or logs a
// console error; the service worker registers; with the network cut, the site reloads into a clear
// offline state and a ticket taken before shows its code — also in a new tab with no session; the
// caches hold no API answer but the public taxonomy; a new version is announced and takes over on the
// next visit. In French and English, axe-clean, screenshotted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { startServer, launchBrowser, journeyKit, artifacts } from "./harness.mjs";

let server, browser, kit;
before(async () => {
  server = await startServer({ args: ["--review", "auto", "--match-every", "0"] });
  browser = await launchBrowser();
  kit = journeyKit(server, browser);
});
after(async () => { await browser?.close(); server?.stop(); });

const VIEWS = ["accueil", "proposer", "demander", "espace", "organisations", "commerces", "sondages", "statistiques", "moderation"];

/** Every URL the page's caches hold. */
function cachedUrls(page) {
  return page.evaluate(async () => {
    const urls = [];
    for (const name of await caches.keys()) {
      for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
    }
    return urls;
  });
}

test("installable: Chromium's check passes, the manifest is valid, no page answers 404 or logs an error", async () => {
  // An installability check needs a profile on disk (an incognito context is never installable).
  const context = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), "entraide-app-")), {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = context.pages()[0] ?? await context.newPage();
    const failures = [], errors = [];
    page.on("response", (r) => { if (r.status() >= 400) failures.push(`${r.status()} ${r.url()}`); });
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(server.base + "/");
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    for (const view of VIEWS) {
      await page.goto(`${server.base}/#${view}`);
      await page.locator("main h1").first().waitFor();
    }
    await page.goto(server.base + "/link");
    await page.locator("main h1").waitFor();
    await page.goto(server.base + "/");
    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send("Page.getAppManifest");
    assert.deepEqual(manifest.errors, [], "the manifest parses without errors");
    assert.match(manifest.url, /\/manifest\.webmanifest$/);
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    assert.deepEqual(installabilityErrors, [], "Chromium's installability check");
    assert.deepEqual(failures, [], "no request failed (no 404)");
    assert.deepEqual(errors, [], "no console error");
    // The English page points at the English manifest.
    await page.getByRole("button", { name: "English" }).click();
    assert.match(await page.locator("link[rel=manifest]").getAttribute("href"), /manifest-en\.webmanifest$/);
    const en = await cdp.send("Page.getAppManifest");
    assert.deepEqual(en.errors, []);
    // What the installed app shows on a phone, 360 px wide (headless Chromium opens no app window).
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByRole("button", { name: "Français" }).click();
    await page.goto(server.base + "/#accueil");
    await page.getByRole("button", { name: "Recevoir mon lien" }).waitFor();
    await page.screenshot({ path: `${artifacts}/app-home-360.png` });
  } finally {
    await context.close();
  }
});

test("offline: the site reloads into the offline state, a ticket taken before shows its code, no API answer is cached", async () => {
  const owner = await kit.signIn({ email: "boulangerie@example.org", firstName: "Odile", postalCode: "69003", community: "citizen" });
  await kit.referencePerk(owner, { name: "Boulangerie des Pentes", postalCode: "69003", category: "food", perk: "Un pain offert",
    places: 3, communities: ["Santé"] });

  const member = await kit.signIn({ email: "soignante@example.org", firstName: "Agathe", postalCode: "69003", community: "health" });
  await member.goto(server.base + "/#commerces");
  await member.getByLabel("Près du code postal").fill("69003");
  await member.getByRole("button", { name: "Rechercher", exact: true }).click();
  const card = member.getByRole("listitem").filter({ has: member.getByRole("heading", { name: "Boulangerie des Pentes" }) });
  await card.getByRole("button", { name: "Prendre une place" }).click();
  await card.getByText("C'est à vous : montrez ce code au commerce.").waitFor();
  const code = (await card.locator(".ticket-code").innerText()).trim();
  // The service worker is in place: the next navigations go through it.
  await member.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await member.goto(server.base + "/#espace");
  await member.locator("#my-tickets .ticket-code").filter({ hasText: code }).waitFor();
  assert.ok(await member.evaluate(() => navigator.serviceWorker.controller !== null), "the page is controlled");

  await member.context().setOffline(true);
  try {
    await member.reload();
    await member.locator("#app-status").getByText("Hors ligne").waitFor();
    await member.getByText("Hors ligne : votre espace s'affichera au retour du réseau.").waitFor();
    await member.locator("#my-tickets .ticket-code").filter({ hasText: code }).waitFor();
    await kit.checkPage(member, "offline-ticket");
    await member.getByRole("button", { name: "English" }).click();
    await member.locator("#app-status").getByText("Offline").waitFor();
    await kit.checkPage(member, "offline-ticket-en");
    await member.getByRole("button", { name: "Français" }).click();
    // A new tab at the counter, with no signal and no session: the code still shows.
    const counter = await member.context().newPage();
    await counter.setViewportSize({ width: 360, height: 740 });
    await counter.goto(server.base + "/#espace");
    await counter.locator("#my-tickets .ticket-code").filter({ hasText: code }).waitFor();
    await kit.checkPage(counter, "offline-ticket-counter-360");
    // Other pages open too, and say they are offline.
    await counter.goto(server.base + "/#commerces");
    await counter.getByRole("heading", { level: 1 }).waitFor();
    await counter.locator("#app-status").getByText("Hors ligne").waitFor();
  } finally {
    await member.context().setOffline(false);
  }
  // Nothing of the API in the caches but the public taxonomy: no session, no profile, no ticket.
  const urls = await cachedUrls(member);
  assert.ok(urls.length > 5, `the shell is cached: ${urls}`);
  const api = urls.map((u) => new URL(u).pathname).filter((p) => p.startsWith("/api/"));
  assert.deepEqual(api, ["/api/taxonomy"], `cached API answers: ${api}`);
  // Giving the ticket back removes it from the device.
  await member.reload();
  await member.getByRole("button", { name: "Rendre ma place" }).click();
  await member.locator("#my-tickets").waitFor({ state: "detached" });
  assert.equal(await member.evaluate(() => localStorage.getItem("entraide.tickets")), null);
});

test("a new version installs beside the running one, the page says so, and it takes over on the next visit", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.base + "/");
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.reload();
  await page.waitForLoadState("load");
  assert.match(await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? ""), /\/sw\.js$/);
  // A new version, as the browser sees one: another service worker script for the same scope. (The
  // server's own new versions differ by their bytes — the shell's fingerprint, tests/api.rs — which a
  // test cannot change without another build; the browser treats both the same way.)
  await page.evaluate(() => navigator.serviceWorker.register("/sw.js?next"));
  await page.locator("#app-status").getByText("Une nouvelle version d'Entraide est prête : elle s'ouvrira à votre prochaine visite.").waitFor();
  await kit.checkPage(page, "update-ready");
  assert.match(await page.evaluate(() => navigator.serviceWorker.controller.scriptURL), /\/sw\.js$/, "the running version still serves this visit");
  // The next visit: once no page uses the old version, the new one serves.
  await page.close();
  const next = await context.newPage();
  await next.goto(server.base + "/");
  await next.waitForFunction(() => navigator.serviceWorker.controller?.scriptURL.endsWith("/sw.js?next"), null, { timeout: 10_000 });
  await next.getByRole("heading", { level: 1 }).waitFor();
  await context.close();
});
