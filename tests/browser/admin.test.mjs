// The admin page (www/) in headless Chromium (Debian's, driven by playwright-core): the package
// loads in a real browser, a pasted token gets a decision, and a token is minted in the page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { chromium } from "playwright-core";
import { init, mintToken } from "../../pkg/scopegate.js";
import { makeFixture, typo } from "../../scripts/fixture.mjs";
import { serveStatic } from "../../scripts/serve.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// The flags this machine needs: no sandbox as root, and no background traffic to a closed network.
const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

let site, context, page, profileDir, fixture;
const problems = [];

before(async () => {
  // Fail, never skip, when the browser is missing.
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: run \`bash scripts/setup.sh browser\` (apt-get install chromium)`);
  await init();
  fixture = makeFixture({ mintToken });
  site = await serveStatic({ "/": "www", "/pkg/": "pkg" });
  profileDir = mkdtempSync(join(tmpdir(), "scopegate-chromium-"));
  // A fresh profile directory each run (Playwright's way of passing --user-data-dir).
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 60_000,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));
  // The page asks for the demo's state, which only the demo serves.
  page.on("response", (r) => r.status() >= 400 && !r.url().endsWith("/demo/state.json") && problems.push(`${r.status()} ${r.url()}`));
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && problems.push(`console: ${m.text()}`));
  await page.goto(`${site.url}/`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 30_000 });
});

after(async () => {
  await context?.close();
  await site?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

async function decide({ method = "GET", url = "/2.0/repositories/acme/web", token = "" }) {
  await page.selectOption("#method", method);
  await page.fill("#url", url);
  await page.fill("#token", token);
  // Clear the last answer, so the wait below sees this one.
  await page.evaluate(() => delete document.querySelector("#decision").dataset.reason);
  await page.click("#check");
  await page.waitForSelector("#decision[data-reason]", { timeout: 10_000 });
  return page.evaluate(() => {
    const d = document.querySelector("#decision");
    return { effect: d.dataset.effect, reason: d.dataset.reason, text: d.textContent, steps: document.querySelectorAll("#steps li").length };
  });
}

test("the page loads the engine with no errors", async () => {
  assert.match(await page.textContent("#status"), /ready/);
  assert.deepEqual(problems, []);
});

test("a bad state shows the JSON path of the problem", async () => {
  await page.fill("#state", JSON.stringify({ issued_at: "tomorrow" }));
  await page.click("#load");
  assert.match(await page.textContent("#info"), /issued_at/);
});

test("paste a token, press check, see the decision", async () => {
  await page.fill("#state", JSON.stringify(fixture.state));
  await page.click("#load");
  assert.match(await page.textContent("#info"), /^5 tokens/);

  const ok = await decide({ token: fixture.tokens["web-read"] });
  assert.equal(ok.reason, "ok", ok.text);
  assert.equal(ok.effect, "allow");
  assert.ok(ok.steps > 2, "the trace is shown");

  const write = await decide({ method: "POST", url: "/2.0/repositories/acme/web/pullrequests", token: fixture.tokens["mary-readonly"] });
  assert.equal(write.reason, "scope_missing", write.text);
  assert.equal(write.effect, "deny");

  assert.equal((await decide({ token: fixture.tokens["old-ci"] })).reason, "token_revoked");
  assert.equal((await decide({ token: typo(fixture.tokens["web-read"]) })).reason, "bad_token_checksum");
  assert.equal((await decide({ token: "" })).reason, "no_credentials");
  assert.deepEqual(problems, []);
});

test("mint a token in the browser", async () => {
  await page.selectOption("#kind", "api_token");
  await page.click("#mint");
  const token = await page.textContent("#minted-token");
  const sha256 = await page.textContent("#minted-sha256");
  assert.match(token, /^sga_[0-9A-Za-z]{49}$/);
  assert.match(sha256, /^[0-9a-f]{64}$/);
  assert.deepEqual(problems, []);
});
