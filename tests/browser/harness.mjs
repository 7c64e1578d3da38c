// Starts the real `entraide` binary on a free port with a fresh data directory, and headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core). Everything stays on 127.0.0.1.
import { spawn, execFileSync } from "node:child_process";
import { createWriteStream, mkdtempSync, mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

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
