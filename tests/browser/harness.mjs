// Starts the real `entraide` binary on a free port with a fresh data directory, and headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core). Everything stays on 127.0.0.1.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

export const root = resolve(import.meta.dirname, "../..");
export const bin = process.env.ENTRAIDE_BIN ?? join(root, "target/debug/entraide");
export const artifacts = join(root, "tests/artifacts/browser");
mkdirSync(artifacts, { recursive: true });

export async function startServer() {
  const dataDir = mkdtempSync(join(tmpdir(), "entraide-browser-"));
  // The embedded store and the outbox: drop any AWS stand-in endpoints from the environment.
  const env = { ...process.env };
  delete env.DYNAMODB_ENDPOINT;
  delete env.SES_ENDPOINT;
  const child = spawn(bin, ["--port", "0", "--data-dir", dataDir], { env, stdio: ["ignore", "pipe", "pipe"] });
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
