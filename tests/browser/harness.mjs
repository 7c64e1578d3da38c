// Starts the real `entraide` binary on a free port with a fresh data directory, and headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core). Everything stays on 127.0.0.1.
import { spawn, execFileSync } from "node:child_process";
import { createWriteStream, mkdtempSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

export const root = resolve(import.meta.dirname, "../..");
export const bin = process.env.ENTRAIDE_BIN ?? join(root, "target/debug/entraide");
export const artifacts = join(root, "tests/artifacts/browser");
mkdirSync(artifacts, { recursive: true });

let servers = 0;

/** Starts the binary; `args` and `env` are added (e.g. `--review manual`, `MODERATOR_EMAILS`). */
export async function startServer({ args = [], env: extra = {} } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "entraide-browser-"));
  // The embedded store and the outbox: drop any AWS stand-in endpoints from the environment.
  const env = { ...process.env };
  delete env.DYNAMODB_ENDPOINT;
  delete env.SES_ENDPOINT;
  Object.assign(env, extra);
  const child = spawn(bin, ["--port", "0", "--data-dir", dataDir, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  // The server's log, kept for the failure that needs it (and read, so that the pipe never fills).
  child.stderr.pipe(createWriteStream(join(artifacts, `server-${process.pid}-${++servers}.log`)));
  const base = await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error("the server did not start")), 30_000);
    child.stdout.on("data", (d) => {
      const m = /http:\/\/127\.0\.0\.1:\d+/.exec(String(d));
      if (m) { clearTimeout(timer); ok(m[0]); }
    });
    child.on("exit", (code) => fail(new Error(`the server exited with ${code}`)));
  });
  return {
    base, dataDir,
    outbox: async () => (await fetch(`${base}/api/_local/outbox`)).json(),
    dump: () => execFileSync(bin, ["dump", "--data-dir", dataDir], { encoding: "utf8", env }),
    stop: () => child.kill(),
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

const axeSource = readFileSync(join(root, "tests/browser/node_modules/axe-core/axe.min.js"), "utf8");

/** Runs axe-core on the page (WCAG 2.1 A and AA rules); returns the serious and critical violations. */
export async function accessibilityProblems(page) {
  // page.evaluate runs through the DevTools protocol, so the pages' strict CSP does not block axe.
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => globalThis.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** The helpers of the journeys, bound to one server and one browser. */
export function journeyKit(server, browser) {
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

  /** A new browser profile that registers on the home page, follows its link and lands in "my space". */
  async function signIn(person) {
    const page = await (await browser.newContext()).newPage();
    await page.goto(server.base + "/");
    await identity(page, person);
    await page.getByRole("button", { name: "Recevoir mon lien" }).click();
    await page.getByText("C'est noté").waitFor();
    await followLink(page, await latestLink(person.email, "verify"), "Confirmer et me connecter");
    await page.getByRole("heading", { level: 1, name: "Mon espace" }).waitFor();
    return page;
  }

  /** References a business on the perks page with the French form (`places`, `verifiedOnly` optional;
   *  `communities` by their French labels) and waits for the answer (`done`: published, by default). */
  async function referencePerk(page, { name, postalCode, category, perk, places, verifiedOnly, communities, done = "Le commerce est publié." }) {
    await page.goto(server.base + "/#commerces");
    const form = page.locator("#perk-form");
    await form.getByLabel("Nom du commerce").fill(name);
    await form.getByLabel("Code postal", { exact: true }).fill(postalCode);
    await form.getByLabel("Catégorie", { exact: true }).selectOption(category);
    await form.getByLabel("L'avantage proposé").fill(perk);
    if (places) await form.getByLabel("Nombre de places (facultatif)").fill(String(places));
    if (verifiedOnly) await form.getByLabel("Réservé aux membres dont la communauté est vérifiée").check();
    for (const community of communities) await form.getByLabel(community, { exact: true }).check();
    await page.getByRole("button", { name: "Référencer ce commerce" }).click();
    await page.getByText(done).waitFor();
  }

  return { checkPage, latestLink, identity, followLink, signIn, referencePerk };
}
