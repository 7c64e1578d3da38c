// Measures the home page's first visit on a poor connection in headless Chromium, with an empty cache:
// the bytes the page transferred (its document and every resource it loaded, headers included) and the
// time from the navigation until it is usable (its heading and the registration form drawn).
//
// Two ways, interleaved run by run so both see the same machine:
// - "identity": the browser asks for no compression (Accept-Encoding: identity), as the front end was
//   served before the runner compressed it;
// - "compressed": as browsers ask (br, gzip).
// The connection is Chromium's network emulation: 400 kbit/s each way, 400 ms round trip.
//
// Usage (server and browser on different cores):
//   taskset -c 0 target/release/entraide --data-dir "$(mktemp -d)" --match-every 0 &
//   (cd tests/browser && taskset -c 1 node measure-load.mjs http://127.0.0.1:3000 7)
import { chromium } from "playwright-core";

const base = process.argv[2] ?? "http://127.0.0.1:3000";
const runs = Number(process.argv[3] ?? 7);
const KBIT = 1000 / 8;

async function once(browser, identity) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 400, downloadThroughput: 400 * KBIT, uploadThroughput: 400 * KBIT });
  if (identity) await cdp.send("Network.setExtraHTTPHeaders", { headers: { "Accept-Encoding": "identity" } });
  await page.goto(base + "/", { waitUntil: "commit" });
  await page.getByRole("button", { name: "Recevoir mon lien" }).waitFor({ timeout: 120_000 });
  const result = await page.evaluate(() => {
    const usableMs = performance.now();
    const entries = [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")];
    return { usableMs, bytes: entries.reduce((sum, e) => sum + e.transferSize, 0), files: entries.length };
  });
  await context.close();
  return result;
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
});
const seen = { identity: [], compressed: [] };
for (let i = 0; i < runs; i++) {
  for (const identity of [true, false]) seen[identity ? "identity" : "compressed"].push(await once(browser, identity));
}
await browser.close();
for (const [name, results] of Object.entries(seen)) {
  const ms = results.map((r) => r.usableMs), kb = results.map((r) => r.bytes / 1000);
  console.log(`${name.padEnd(10)} usable after: median ${median(ms).toFixed(0)} ms (min ${Math.min(...ms).toFixed(0)}, max ${Math.max(...ms).toFixed(0)}); ` +
    `transferred: median ${median(kb).toFixed(1)} kB (${results[0].files} files); runs: ${results.length}`);
}
