// What the browser tests share: the admin page (www/) and the package (pkg/) on a 127.0.0.1
// server, Debian's Chromium driven by playwright-core with a fresh profile, every problem the
// page reports (page errors, console errors, failed or off-origin requests), and screenshots
// kept under target/screenshots/ (CI keeps them as artifacts).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";
import { serveStatic } from "../../scripts/serve.mjs";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// The flags this machine needs: no sandbox as root, and no background traffic to a closed network.
const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
export const SCREENSHOTS = fileURLToPath(new URL("../../target/screenshots/", import.meta.url));

/**
 * Serves `mounts` (URL prefix -> directory) next to www/ and pkg/, opens the page in a fresh
 * Chromium and waits for the engine. `problems` collects what the page reports; a test asserts
 * it stays empty.
 */
export async function openAdmin({ mounts = {}, viewport = { width: 1280, height: 900 }, initScript } = {}) {
  // Fail, never skip, when the browser is missing.
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: run \`bash scripts/setup.sh browser\` (apt-get install chromium)`);
  const site = await serveStatic({ "/": "www", "/pkg/": "pkg", ...mounts });
  const profile = mkdtempSync(join(tmpdir(), "scopegate-chromium-"));
  // A fresh profile directory each run (Playwright's way of passing --user-data-dir).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 60_000,
    viewport,
    acceptDownloads: true,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  const requests = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  page.on("response", (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  page.on("console", (m) => m.type() === "error" && problems.push(`console.error: ${m.text()}`));
  // Everything comes from the test's server: no other origin, ever (the worker's requests too).
  context.on("request", (r) => {
    const url = r.url();
    requests.push({ url, method: r.method(), body: r.postData() ?? "" });
    if (!url.startsWith(`${site.url}/`) && !url.startsWith("data:") && !url.startsWith("blob:")) problems.push(`request off 127.0.0.1: ${url}`);
  });
  if (initScript) await page.addInitScript(initScript);
  await page.goto(`${site.url}/`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
  return {
    site,
    context,
    page,
    problems,
    requests,
    async close() {
      await context.close();
      await site.stop();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot of the page (or of one element) as target/screenshots/<name>.png. */
export async function screenshot(page, name, selector) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  if (selector) await page.locator(selector).screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
  return path;
}

/** How far the page scrolls sideways (0: it fits its viewport). */
export const overflowX = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
