// The admin page (www/) in headless Chromium (Debian's, driven by playwright-core), on a
// 127.0.0.1 server, used as an admin would, on one page in order: load a state and signed
// bundles, the token estate and its chart, the audit, a policy change previewed, applied and
// undone, revocations, the change exported and signed into a delta and a bundle with a dropped
// private key, a simulated request and its trace, the token-management questions, minting,
// another snapshot resetting the panels, and a 390 px wide phone. Every step asserts what the
// engine (the same package, in Node) says; screenshots go to target/screenshots/.
//
//   node --test tests/browser/admin.test.mjs        (after `make build`)
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { init, Engine, mintToken, digestToken, generateKeyPair, buildBundle } from "../../pkg/scopegate.js";
import { makeFixture, iso, typo } from "../../scripts/fixture.mjs";
import { openAdmin, overflowX, screenshot } from "./support.mjs";

const DAY = 86_400_000;
// One fixed evaluation time for the whole run (the page's "Evaluate as of"), so every count is exact.
const NOW = Math.floor(Date.now() / 1000) * 1000;

/**
 * The fixture's five tokens (three live for 300 more days, one revoked, one expired) plus seven
 * that spread over the estate: expiring in weeks 1, 2 and 3 (one exactly 7 days out: week 1,
 * as the engine counts; one a second later: week 2), one that never expires (with an admin
 * scope), and an organisation key whose creator was deactivated.
 */
function makeEstate() {
  const fixture = makeFixture({ mintToken, now: NOW });
  const { state, tokens } = fixture;
  const add = (id, kind, record) => {
    const minted = mintToken(kind);
    tokens[id] = minted.token;
    state.tokens.push({ id, kind, secret_sha256: minted.sha256, created_at: iso(NOW - 30 * DAY), created_by: "u-mary", ...record });
  };
  add("soon-1", "repository_access_token", { resource: "acme/web", scopes: ["repository"], expires_at: iso(NOW + 3 * DAY) });
  add("exact-week", "repository_access_token", { resource: "acme/web", scopes: ["repository"], expires_at: iso(NOW + 7 * DAY) });
  add("week-plus", "repository_access_token", { resource: "acme/web", scopes: ["repository"], expires_at: iso(NOW + 7 * DAY + 1000) });
  add("soon-2", "project_access_token", { resource: "acme/PROJ", scopes: ["project"], expires_at: iso(NOW + 10 * DAY) });
  add("app-pw", "app_password", { principal: "u-mary", scopes: ["repository"], expires_at: iso(NOW + 20 * DAY) });
  add("forever", "workspace_access_token", { resource: "acme", scopes: ["repository:admin"], expires_at: null });
  add("org-key", "org_api_key", { resource: "acme", scopes: ["account"], created_by: "u-gone", expires_at: iso(NOW + 200 * DAY) });
  state.principals.push({
    id: "u-gone", kind: "user", email: "gone@acme.test", status: "deactivated",
    groups: ["admins"], two_factor: true, permissions: [],
  });
  return fixture;
}

let admin, page, problems, estate, files, keys, bundle;
const TOKENS = 12;

before(async () => {
  await init();
  estate = makeEstate();
  keys = generateKeyPair();
  bundle = buildBundle(estate.state, keys.privateKey, { ttlSeconds: 86_400 });
  files = mkdtempSync(join(tmpdir(), "scopegate-admin-"));
  writeFileSync(join(files, "state.json"), JSON.stringify(estate.state));
  // The page offers the demo's state when the server has one: serve one, so no request 404s.
  const demo = join(files, "demo");
  mkdirSync(demo);
  writeFileSync(join(demo, "state.json"), JSON.stringify(makeFixture({ mintToken, now: NOW }).state));
  admin = await openAdmin({ mounts: { "/demo/": demo } });
  ({ page, problems } = admin);
  await admin.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: admin.site.url });
});

after(async () => {
  await admin?.close();
  if (files) rmSync(files, { recursive: true, force: true });
});

const text = (selector) => page.locator(selector).innerText();
const count = async (selector) => Number(await page.getAttribute(selector, "data-count"));
const engine = () => Engine.fromState(estate.state);
/** Waits for the working state to have `steps` steps of change. */
const steps = (n) => page.waitForSelector(`#change-summary[data-steps="${n}"]`);
const revokedInChange = async () => (await text("#change-summary")).match(/revokes ([\d,]+) token/)?.[1] ?? "0";

async function loadEstateState() {
  await page.setInputFiles("#state-file", join(files, "state.json"));
  await page.waitForFunction(() => document.querySelector("#source")?.dataset.source === "state" && document.querySelector("#estate-total"));
}

test("the page starts the engine in a worker, with no errors, and every control has a label", async () => {
  assert.match(await text("#status"), /ready/);
  assert.ok(await page.isVisible("#load-demo"), "the demo state is offered when the server has one");
  assert.ok(page.workers().length >= 1, "the engine runs in a Web Worker");
  // The .wasm is fetched by the worker, never by the page's main thread.
  const mainThreadWasm = await page.evaluate(() => performance.getEntriesByType("resource").filter((e) => e.name.endsWith(".wasm")).length);
  assert.equal(mainThreadWasm, 0);
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea, button")]
      .filter((el) => !(el.labels?.length || el.getAttribute("aria-label") || (el.tagName === "BUTTON" && el.textContent.trim())))
      .map((el) => el.id || el.outerHTML),
  );
  assert.deepEqual(unlabelled, []);
  assert.deepEqual(problems, []);
});

test("a bad state shows the JSON path of the problem, and the pasted text stays until it loads", async () => {
  const bad = structuredClone(estate.state);
  bad.tokens[2].expires_at = "tomorrow";
  await page.click("#paste-box summary");
  await page.fill("#state", JSON.stringify(bad));
  await page.click("#load");
  await page.waitForSelector("#load-error:not([hidden])");
  const error = await text("#load-error");
  assert.match(error, /tokens\[2\]\.expires_at/, error);
  assert.match(error, /tomorrow/, error);
  assert.notEqual(await page.inputValue("#state"), "", "kept to be fixed");
});

test("load a state file: its info, tokens by kind, and the expiry timeline as the engine counts it", async () => {
  await page.fill("#as-of", iso(NOW));
  await page.dispatchEvent("#as-of", "change");
  await loadEstateState();
  assert.ok(await page.isHidden("#load-error"));
  assert.equal(await text("#source"), "unsigned state");
  assert.equal(await text('#info [data-field="tokens"]'), String(TOKENS));
  assert.equal(await text('#info [data-field="signed"]'), "no");

  const want = engine().estate({ now: NOW, weeks: 12 });
  assert.equal(await count("#estate-total"), TOKENS);
  assert.match(await text("#estate-totals"), new RegExp(`${TOKENS - 2} live, 1 revoked, 1 expired`));
  const kinds = await page.$$eval("#kinds tr[data-kind]", (rows) => Object.fromEntries(rows.map((r) => [r.dataset.kind, Number(r.dataset.count)])));
  assert.deepEqual(kinds, want.byKind);

  const bars = await page.$$eval("svg.timeline g.bar", (gs) => gs.map((g) => Number(g.dataset.count)));
  assert.deepEqual(bars, want.weeks, "the page draws the engine's weeks");
  // The week rule is the engine's: exactly 7 days out is week 1, a second later week 2.
  assert.deepEqual(bars.slice(0, 4), [2, 2, 1, 0]);
  const buckets = await page.$$eval(".buckets li", (lis) => Object.fromEntries(lis.map((li) => [li.dataset.key, Number(li.dataset.count)])));
  assert.deepEqual(buckets, { expired: 1, later: want.later, "no-expiry": 1, revoked: 1 });

  // 52 weeks: a bar each; date labels inside the chart, apart from each other; tick labels not cut off.
  await page.selectOption("#weeks", "52");
  await page.waitForFunction(() => document.querySelectorAll("svg.timeline g.bar").length === 52);
  const layout = await page.evaluate(() => {
    const box = document.querySelector("svg.timeline").getBoundingClientRect();
    const rect = (el) => el.getBoundingClientRect();
    const labels = [...document.querySelectorAll("svg.timeline text.label")].map(rect);
    const ticks = [...document.querySelectorAll("svg.timeline text.tick")].map(rect);
    return { box: { left: box.left, right: box.right, bottom: box.bottom }, labels: labels.map((r) => [r.left, r.right, r.bottom]), ticks: ticks.map((r) => r.left) };
  });
  assert.ok(layout.labels.length >= 6, `week labels at 52 weeks: ${layout.labels.length}`);
  for (const [left, right, bottom] of layout.labels) {
    assert.ok(left >= layout.box.left - 0.5 && right <= layout.box.right + 0.5 && bottom <= layout.box.bottom + 0.5, `label inside the chart: ${left}..${right}`);
  }
  const dates = layout.labels.slice(0, -1); // the last is the axis title, on its own line
  for (let i = 1; i < dates.length; i++) assert.ok(dates[i][0] >= dates[i - 1][1], "date labels do not overlap");
  for (const left of layout.ticks) assert.ok(left >= layout.box.left - 0.5, "tick labels are not cut off");
  await screenshot(page, "estate-52-weeks", "#estate");
  await page.selectOption("#weeks", "12");
  await page.waitForFunction(() => document.querySelectorAll("svg.timeline g.bar").length === 12);
  assert.deepEqual(problems, []);
});

test("audit: findings with their severity, filtered by kind, a page at a time", async () => {
  await page.waitForSelector("#audit-result tr[data-kind]");
  const findings = await page.$$eval("#audit-result tr[data-kind]", (rows) =>
    rows.map((r) => `${r.dataset.severity} ${r.dataset.kind} ${r.dataset.token ?? "-"}`),
  );
  for (const expected of [
    "high orphaned org-key",
    "high over_broad forever",
    "medium no_expiry forever",
    "low expiring_soon soon-1",
    "low expiring_soon soon-2",
    "low expiring_soon app-pw",
    "low app_password app-pw",
  ]) {
    assert.ok(findings.includes(expected), `${expected} in ${JSON.stringify(findings)}`);
  }
  assert.equal(findings[0].split(" ")[0], "high", "most severe first");
  const want = engine().audit({ now: NOW, expiringWithinDays: 30 });
  assert.equal(findings.length, Math.min(50, want.findings.length));

  await page.selectOption("#audit-kind", "expiring_soon");
  await page.waitForFunction(() => [...document.querySelectorAll("#audit-result tr[data-kind]")].every((r) => r.dataset.kind === "expiring_soon"));
  assert.equal(await page.locator("#audit-result tr[data-kind]").count(), want.summary.expiring_soon);
  // A shorter window finds fewer.
  await page.fill("#expiring-days", "5");
  await page.click("#run-audit");
  await page.waitForFunction(() => document.querySelectorAll("#audit-result tr[data-kind]").length === 1);
  assert.deepEqual(await page.$$eval("#audit-result tr[data-kind]", (rows) => rows.map((r) => r.dataset.token)), ["soon-1"]);
  await page.fill("#expiring-days", "30");
  await page.selectOption("#audit-kind", "");
  await page.click("#run-audit");
  await page.waitForFunction((n) => document.querySelectorAll("#audit-result tr[data-kind]").length === n, findings.length);
  assert.deepEqual(problems, []);
});

const proposalJson = async () => JSON.parse(await page.inputValue("#policy-json"));

async function preview() {
  await page.evaluate(() => {
    document.querySelector("#preview-result").hidden = true;
    document.querySelector("#preview-result").replaceChildren();
  });
  await page.click("#preview");
  await page.waitForSelector("#pv-changed, #preview-error:not([hidden])");
}

test("policies: the form fields write the proposal (require_2fa, network, token permissions)", async () => {
  const proposal = await proposalJson();
  assert.deepEqual(proposal, engine().policies(), "prefilled from the working state, as the engine writes it");

  await page.check("#t-require-2fa");
  await page.fill("#n-trusted-proxies", "10.0.0.0/8, 127.0.0.0/8");
  await page.dispatchEvent("#n-trusted-proxies", "change");
  await page.selectOption("#n-client-ip-header", "cf-connecting-ip");
  await page.fill("#p-create", "developers, admins");
  await page.dispatchEvent("#p-create", "change");
  const edited = await proposalJson();
  assert.equal(edited.default_policy.require_2fa, true);
  assert.deepEqual(edited.network, { trusted_proxies: ["10.0.0.0/8", "127.0.0.0/8"], client_ip_header: "cf-connecting-ip" });
  assert.deepEqual(edited.token_permissions.create, ["developers", "admins"]);
  // The engine reads what the fields wrote: the 2FA rule is audited, so it changes no token.
  await preview();
  assert.equal(await count("#pv-changed"), 0);
  // And the JSON drives the fields back.
  const back = structuredClone(edited);
  back.default_policy.require_2fa = false;
  back.network.client_ip_header = "x-real-ip";
  await page.fill("#policy-json", JSON.stringify(back, null, 2));
  assert.equal(await page.isChecked("#t-require-2fa"), false);
  assert.equal(await page.inputValue("#n-client-ip-header"), "x-real-ip");
  await page.click("#reset-policies");
  assert.deepEqual(await proposalJson(), engine().policies());
  assert.deepEqual(problems, []);
});

test("policies: preview a change with a replayed log, apply it, and undo it", async () => {
  await page.check("#t-api-tokens");
  await page.check("#t-app-passwords");
  assert.ok(await page.isDisabled("#apply"), "nothing to apply before a preview");
  await page.fill("#replay", JSON.stringify([
    { tokenId: "mary-readonly", method: "GET", url: "/2.0/repositories/acme/web" },
    { tokenId: "web-read", method: "GET", url: "/2.0/repositories/acme/web" },
    { tokenId: "app-pw", method: "POST", url: "/2.0/repositories/acme/web/pullrequests", remoteAddr: "203.0.113.9" },
  ]));
  await preview();
  assert.equal(await count("#pv-changed"), 2);
  assert.equal(await count("#pv-denied"), 2);
  assert.equal(await count("#pv-allowed"), 0);
  assert.equal(await count("#pv-evaluated"), TOKENS);
  assert.equal(await count('#pv-by-reason tr[data-reason="api_tokens_blocked"]'), 1);
  assert.equal(await count('#pv-by-reason tr[data-reason="token_kind_blocked"]'), 1);
  assert.equal(await count('#pv-by-owner tr[data-owner="u-mary"]'), 2);
  const changed = await page.$$eval("#pv-changed-table tr[data-token]", (rows) => rows.map((r) => `${r.dataset.token} ${r.dataset.after}`));
  assert.deepEqual(changed.sort(), ["app-pw token_kind_blocked", "mary-readonly api_tokens_blocked"]);
  assert.equal(await count("#rp-requests"), 3);
  assert.equal(await count("#rp-flipped"), 2);
  assert.equal(await count("#rp-denied"), 1);
  const flipped = await page.$$eval("#rp-flipped-table tr[data-token]", (rows) => rows.map((r) => `${r.dataset.token} ${r.dataset.after}`));
  assert.deepEqual(flipped.sort(), ["app-pw token_kind_blocked", "mary-readonly api_tokens_blocked"]);
  await screenshot(page, "policies-preview", "#policies");

  // Apply applies what was previewed: editing the proposal asks for a new preview first.
  assert.ok(await page.isEnabled("#apply"));
  await page.fill("#policy-json", `${await page.inputValue("#policy-json")} `);
  assert.ok(await page.isDisabled("#apply"));
  await preview();
  await page.click("#apply");
  await page.waitForSelector("#applied-note");
  await steps(1);
  assert.match(await text("#source"), /with 1 unsigned change/);
  assert.match(await text("#status"), /applied/);
  assert.match(await text("#change-summary"), /sets `default_policy`, `network`, `policies`/);
  // The working state now blocks both: the same proposal changes nothing any more.
  await page.fill("#replay", "");
  await page.check("#t-api-tokens");
  await preview();
  assert.equal(await count("#pv-changed"), 0);

  // Undo: back to the snapshot as loaded.
  await page.click("#undo");
  await steps(0);
  assert.equal(await text("#source"), "unsigned state");
  assert.equal((await proposalJson()).default_policy.api_tokens, "allow");

  // A default_policy-only change is a change like any other.
  await page.fill("#policy-json", JSON.stringify({ default_policy: { api_tokens: "block" } }));
  await preview();
  assert.equal(await count("#pv-changed"), 1);
  await page.click("#apply");
  await steps(1);
  assert.equal((await proposalJson()).default_policy.api_tokens, "block");
  await page.click("#applied-note button");
  await steps(0);

  // A bad proposal names its JSON path.
  const bad = await proposalJson();
  bad.default_policy.max_token_lifetime_days = 900;
  await page.fill("#policy-json", JSON.stringify(bad));
  await page.click("#preview");
  await page.waitForSelector("#preview-error:not([hidden])");
  assert.match(await text("#preview-error"), /default_policy\.max_token_lifetime_days/);
  await page.click("#reset-policies");
  assert.ok(await page.isHidden("#preview-error"));
  assert.deepEqual(problems, []);
});

async function simulate({ method = "GET", url = "/2.0/repositories/acme/web", scheme = "bearer", username, token = "", headers = "", remote = "" }) {
  await page.selectOption("#method", method);
  await page.fill("#url", url);
  await page.selectOption("#scheme", scheme);
  if (username !== undefined) await page.fill("#username", username);
  if (scheme !== "none") await page.fill("#token", token);
  await page.fill("#headers", headers);
  await page.fill("#remote", remote);
  // Clear the last answer, so the wait below sees this one.
  await page.evaluate(() => delete document.querySelector("#decision").dataset.reason);
  await page.click("#check");
  await page.waitForSelector("#decision[data-reason]", { timeout: 10_000 });
  return page.evaluate(() => {
    const d = document.querySelector("#decision");
    const field = (name) => d.querySelector(`[data-field="${name}"]`)?.textContent;
    return {
      effect: d.dataset.effect,
      reason: d.dataset.reason,
      text: d.textContent,
      granted: field("granted"),
      required: field("required"),
      policy: field("policy"),
      clientIp: field("client IP"),
      steps: [...document.querySelectorAll("#steps tr[data-step]")].map((r) => `${r.dataset.step} ${r.classList.contains("ok") ? "ok" : "fail"}`),
    };
  });
}

test("revoke one token, a selection, and everything a preview breaks; each step can be undone", async () => {
  assert.equal(await revokedInChange(), "0");
  await page.fill("#revoke-ids", "web-read");
  await page.click("#revoke");
  await steps(1);
  assert.equal(await revokedInChange(), "1");
  assert.equal(await page.inputValue("#revoke-ids"), "");
  // The working state has it revoked: the estate, a simulated request, the change's steps.
  await page.waitForFunction(() => /2 revoked/.test(document.querySelector("#estate-totals").textContent));
  assert.equal((await simulate({ token: estate.tokens["web-read"] })).reason, "token_revoked");
  assert.match(await text("#change-steps"), /revoke web-read/);
  // An unknown id is the engine's error, and changes nothing.
  await page.fill("#revoke-ids", "nope");
  await page.click("#revoke");
  await page.waitForSelector("#change-error:not([hidden])");
  assert.match(await text("#change-error"), /unknown token "nope"/);
  assert.equal(await revokedInChange(), "1");

  // Everything a 20-day lifetime cap would stop.
  const proposal = await proposalJson();
  proposal.default_policy.max_token_lifetime_days = 20;
  await page.fill("#policy-json", JSON.stringify(proposal, null, 2));
  await preview();
  const breaking = await count("#pv-denied");
  const want = Engine.fromState(estate.state)
    .withChanges({ issued_at: iso(NOW), revoke: ["web-read"] })
    .preview(proposal, { now: NOW });
  assert.equal(breaking, want.newlyDenied);
  assert.ok(breaking > 3, `${breaking} tokens broken by the cap`);
  await page.click("#pv-revoke-breaking");
  await steps(2);
  assert.equal(await revokedInChange(), String(1 + breaking));
  await page.click("#undo");
  await steps(1);

  // A selection ticked in the preview, then in the audit.
  await page.fill("#policy-json", JSON.stringify(proposal, null, 2));
  await preview();
  const ticked = await page.$$eval("#pv-changed-table input.pick", (boxes) => boxes.slice(0, 2).map((b) => b.value));
  for (const id of ticked) await page.check(`#pv-changed-table input.pick[value="${id}"]`);
  await page.click("#pv-revoke-selected");
  await steps(2);
  assert.equal(await revokedInChange(), "3");
  await page.waitForSelector('#audit-table input.pick[value="org-key"]');
  await page.check('#audit-table input.pick[value="org-key"]');
  await page.click("#audit-revoke-selected");
  await steps(3);
  assert.equal(await revokedInChange(), "4");
  await screenshot(page, "change-steps", "#change");
  await page.click("#discard");
  await steps(0);
  assert.match(await text("#change-summary"), /No change yet/);
  await page.waitForFunction(() => /1 revoked/.test(document.querySelector("#estate-totals").textContent));
  assert.deepEqual(problems, []);
});

/** Clicks `selector` and returns the downloaded file's name and bytes. */
async function downloadOf(selector) {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  return { name: download.suggestedFilename(), bytes: readFileSync(await download.path()) };
}

/** The signing key, dropped as a file (what `scopegate keygen` writes), then signed with. */
async function signWith(privateKey, ttlHours = "24") {
  await page.setInputFiles("#key-file", { name: "ci.key", mimeType: "application/octet-stream", buffer: Buffer.from(`${privateKey}\n`) });
  await page.waitForFunction(() => !document.querySelector("#sign").disabled);
  await page.fill("#ttl-hours", ttlHours);
  await page.click("#sign");
  await page.waitForSelector("#signed:not([hidden]), #sign-error:not([hidden])");
}

test("export the change from a state: changes.json and the new state; sign a full bundle", async () => {
  await page.fill("#revoke-ids", "web-read, soon-1");
  await page.click("#revoke");
  await steps(1);
  const changes = await downloadOf("#export-changes");
  assert.equal(changes.name, "changes.json");
  assert.deepEqual(JSON.parse(changes.bytes), { issued_at: iso(NOW), revoke: ["web-read", "soon-1"] });
  const state = await downloadOf("#export-state");
  assert.match(state.name, /^state-.*\.json$/);
  const exported = JSON.parse(state.bytes);
  assert.equal(exported.tokens.length, TOKENS);
  const fromFile = Engine.fromState(exported);
  const auth = (t) => ({ authorization: `Bearer ${estate.tokens[t]}` });
  assert.equal(fromFile.check({ url: "/2.0/repositories/acme/web", headers: auth("web-read"), now: NOW }).reason, "token_revoked");
  assert.equal(fromFile.check({ url: "/2.0/repositories/acme/web", headers: auth("web-deploy"), now: NOW }).reason, "ok");
  assert.ok(!state.bytes.toString().includes(estate.tokens["web-deploy"]), "digests only");

  // Signed from a state: a full bundle, no delta (there is no base bundle).
  await signWith(keys.privateKey);
  assert.ok(await page.isHidden("#sign-error"), await text("#sign-error"));
  assert.ok(await page.isHidden("#signed-delta"));
  const full = await downloadOf("#signed-full-download");
  const signed = Engine.load(full.bytes, { publicKey: keys.publicKey, now: NOW });
  assert.equal(signed.info().tokens, TOKENS);
  assert.equal(signed.check({ url: "/2.0/repositories/acme/web", headers: auth("soon-1"), now: NOW }).reason, "token_revoked");
  assert.deepEqual(new Uint8Array(full.bytes), fromFile.buildBundle(keys.privateKey, { ttlSeconds: 86_400 }), "the bundle of the exported state");
  await page.click("#discard");
  await steps(0);
  assert.deepEqual(problems, []);
});

test("a signed bundle: drop it with its key; estate, audit and decisions come from the bundle", async () => {
  await page.fill("#public-key", keys.publicKey);
  const dropped = await page.evaluateHandle((bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], "estate.bundle", { type: "application/octet-stream" }));
    return transfer;
  }, [...bundle]);
  await page.dispatchEvent("#dropzone", "drop", { dataTransfer: dropped });
  await page.waitForSelector('#source[data-source="bundle"]');
  assert.match(await text("#bundle-name"), /estate\.bundle/);
  assert.ok(await page.isHidden("#load-error"));
  assert.equal(await text("#source"), "signed bundle");
  assert.equal(await text('#info [data-field="tokens"]'), String(TOKENS));
  assert.match(await text('#info [data-field="signed"]'), /^yes/);
  assert.equal(await text('#info [data-field="bundleBytes"]'), `${bundle.length.toLocaleString("en")} bytes`);
  assert.equal(await text('#info [data-field="issuedAt"]'), estate.state.issued_at);
  await page.waitForSelector("#estate-total");
  assert.equal(await count("#estate-total"), TOKENS);
  assert.equal(await count('.buckets li[data-key="no-expiry"]'), 1);
  await page.waitForSelector('#audit-result tr[data-token="org-key"][data-kind="orphaned"]');
  assert.equal((await simulate({ token: estate.tokens["mary-readonly"] })).reason, "ok");
  await page.check("#t-api-tokens");
  await preview();
  assert.equal(await count("#pv-changed"), 1);
  assert.deepEqual(problems, []);
});

test("sign a change to a bundle: a delta on it and a full bundle; the dropped key is used once and cleared", async () => {
  await page.fill("#revoke-ids", "web-read");
  await page.click("#revoke");
  await steps(1);
  const changes = JSON.parse((await downloadOf("#export-changes")).bytes);
  assert.deepEqual(changes, { issued_at: iso(NOW), revoke: ["web-read"] });
  assert.ok(await page.isDisabled("#export-state"), "a bundle's digests are prefixes: no state from it");
  assert.match(await text("#export-note"), /16-byte prefix/);

  const before = admin.requests.length;
  await signWith(keys.privateKey, "2");
  assert.ok(await page.isHidden("#sign-error"), await text("#sign-error"));
  assert.ok(await page.isHidden("#key-mismatch"));
  await screenshot(page, "change-signed", "#change");
  const delta = await downloadOf("#signed-delta-download");
  const full = await downloadOf("#signed-full-download");
  assert.match(delta.name, /^delta-.*\.bundle$/);
  assert.match(full.name, /^bundle-.*\.bundle$/);

  // What the edge does with them: the delta on the base bundle, or the new full bundle.
  const edge = Engine.load(bundle, { publicKey: keys.publicKey, now: NOW });
  edge.applyDelta(delta.bytes, { now: NOW });
  const fresh = Engine.load(full.bytes, { publicKey: keys.publicKey, now: NOW });
  for (const e of [edge, fresh]) {
    assert.equal(e.check({ url: "/2.0/repositories/acme/web", headers: { authorization: `Bearer ${estate.tokens["web-read"]}` }, now: NOW }).reason, "token_revoked");
    assert.equal(e.check({ url: "/2.0/repositories/acme/web", headers: { authorization: `Bearer ${estate.tokens["web-deploy"]}` }, now: NOW }).reason, "ok");
  }
  assert.equal(fresh.info().expiresAt, iso(NOW + 2 * 3_600_000), "valid for the hours asked");

  // The key: not in any field, the page, its storage, or any request (nothing was sent at all).
  assert.equal(await page.inputValue("#private-key"), "");
  assert.equal(await page.inputValue("#key-file"), "");
  assert.match(await text("#key-name"), /never uploaded/);
  assert.ok(await page.isDisabled("#sign"), "signing again needs the key again");
  const kept = await page.evaluate(() => JSON.stringify([document.documentElement.outerHTML, { ...localStorage }, { ...sessionStorage }, location.href]));
  assert.ok(!kept.includes(keys.privateKey));
  const sent = admin.requests.slice(before);
  assert.ok(sent.every((r) => !r.url.includes(keys.privateKey) && !r.body.includes(keys.privateKey)), JSON.stringify(sent));

  // Pasted instead, and not the bundle's key: the page says a worker would refuse the delta.
  await page.fill("#private-key", generateKeyPair().privateKey);
  await page.click("#sign");
  await page.waitForSelector("#key-mismatch");
  assert.equal(await page.inputValue("#private-key"), "");
  // A key that is not one: the engine's error, and the field is cleared all the same.
  await page.fill("#private-key", "not-a-key");
  await page.click("#sign");
  await page.waitForSelector("#sign-error:not([hidden])");
  assert.match(await text("#sign-error"), /^Not signed: /);
  assert.ok(!(await text("#sign-error")).includes("not-a-key"), "the key is not echoed");
  assert.equal(await page.inputValue("#private-key"), "");

  assert.deepEqual(problems, []);
});

test("mint a token: shown once with its digest, added to the working state, gone after clearing", async () => {
  await page.selectOption("#kind", "api_token");
  await page.click("#mint-button");
  await page.waitForSelector("#minted:not([hidden])");
  const token = await text("#minted-token");
  const sha256 = await text("#minted-sha256");
  assert.match(token, /^sga_[0-9A-Za-z]{49}$/);
  assert.equal(sha256, digestToken(token), "the page's digest is the package's");
  assert.match(await text("#minted"), /Shown once/);

  await page.click("#copy-token");
  await page.waitForFunction(() => document.querySelector("#copy-note").textContent !== "");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);

  // Its record, into the working state (the bundle loaded above, one revocation so far).
  await page.fill("#m-id", "mary-laptop-2");
  await page.fill("#m-principal", "u-nobody");
  await page.fill("#m-scopes", "repository");
  await page.fill("#m-expires", iso(NOW + 30 * DAY));
  await page.click("#add-record");
  await page.waitForSelector("#record-error:not([hidden])");
  assert.match(await text("#record-error"), /upsert\[0\]\.principal: unknown principal "u-nobody"/);
  await page.fill("#m-principal", "u-mary");
  await page.click("#add-record");
  await steps(2);
  assert.match(await text("#change-steps"), /add mary-laptop-2/);
  const d = await simulate({ token });
  assert.equal(d.reason, "ok", d.text);
  assert.match(d.text, /mary-laptop-2/);

  const stored = await page.evaluate(() => JSON.stringify([location.href, { ...localStorage }, { ...sessionStorage }, document.cookie]));
  assert.ok(!stored.includes(token), "not in the URL, storage or cookies");
  await page.click("#clear-token");
  assert.ok(await page.isHidden("#minted"));
  await page.fill("#token", "");
  assert.ok(!(await page.evaluate(() => document.documentElement.outerHTML)).includes(token), "not in the page any more");

  // By keyboard: choose the kind, Tab to Mint, Enter; focus lands on Copy.
  await page.focus("#kind");
  await page.keyboard.press("Home");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "mint-button");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#minted:not([hidden])");
  assert.match(await text("#minted-token"), /^sgr_[0-9A-Za-z]{49}$/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "copy-token");
  await page.click("#clear-token");
  assert.deepEqual(problems, []);
});

test("simulate a request and read its decision and trace; the trace scrolls inside its box", async () => {
  await page.click("#discard");
  await steps(0);
  const ok = await simulate({ token: estate.tokens["web-read"], headers: "X-Forwarded-For: 203.0.113.9", remote: "127.0.0.1" });
  assert.equal(ok.reason, "ok", ok.text);
  assert.equal(ok.effect, "allow");
  assert.equal(ok.clientIp, "203.0.113.9", "resolved through the trusted proxy");
  assert.equal(ok.policy, "default");
  assert.match(ok.granted, /\brepository\b/);
  assert.match(ok.required, /repository/);
  for (const step of ["credential ok", "token_format ok", "digest_lookup ok", "token_state ok", "scope ok", "decision ok"]) {
    assert.ok(ok.steps.includes(step), `${step} in ${ok.steps}`);
  }
  const git = await simulate({ scheme: "basic", username: "x-token-auth", token: estate.tokens["web-read"], url: "/acme/web.git/info/refs?service=git-upload-pack" });
  assert.equal(git.reason, "ok", git.text);
  const write = await simulate({ scheme: "basic", username: "x-token-auth", token: estate.tokens["web-read"], url: "/acme/web.git/info/refs?service=git-receive-pack" });
  assert.equal(write.reason, "scope_missing", write.text);
  assert.equal((await simulate({ token: estate.tokens["old-ci"] })).reason, "token_revoked");
  assert.equal((await simulate({ token: typo(estate.tokens["web-read"]) })).reason, "bad_token_checksum");
  const none = await simulate({ scheme: "none" });
  assert.equal(none.reason, "no_credentials");
  assert.equal(none.steps.at(-1), "decision fail");
  // A long URL in the trace: the table scrolls in its box, the page does not widen.
  await page.selectOption("#scheme", "bearer");
  await simulate({ token: estate.tokens["web-read"], url: `/2.0/repositories/acme/web/src/main/${"very-long-path-segment/".repeat(20)}file.txt` });
  assert.equal(await overflowX(page), 0, "the page is as wide as the window");
  assert.ok(await page.$eval("#steps .scroll", (box) => box.scrollWidth <= box.clientWidth + 1 || getComputedStyle(box).overflowX === "auto"));
  await screenshot(page, "simulate", "#simulate");
  assert.deepEqual(problems, []);
});

test("permissions: may a principal create a token (canCreateToken)", async () => {
  const ask = async (fields) => {
    for (const [id, value] of Object.entries(fields)) {
      if (id === "c-kind" || id === "c-access") await page.selectOption(`#${id}`, value);
      else await page.fill(`#${id}`, value);
    }
    await page.evaluate(() => delete document.querySelector("#create-answer").dataset.reason);
    await page.click("#can-create");
    await page.waitForSelector("#create-answer[data-reason], #permission-error:not([hidden])");
    return page.getAttribute("#create-answer", "data-reason");
  };
  const signed = Engine.load(bundle, { publicKey: keys.publicKey, now: NOW });
  const expires = iso(NOW + 30 * DAY);
  const want = (actor, spec) => signed.canCreateToken(actor, spec, { now: NOW }).reason;
  assert.equal(await ask({ "c-actor": "u-mary", "c-kind": "api_token", "c-owner": "", "c-resource": "", "c-scopes": "repository", "c-access": "", "c-expires": expires }), want("u-mary", { kind: "api_token", scopes: ["repository"], expires_at: expires }));
  assert.equal(await page.textContent("#create-answer .effect"), "yes");
  assert.equal(await ask({ "c-actor": "u-gone" }), "principal_inactive");
  assert.equal(await ask({ "c-actor": "u-mary", "c-expires": "" }), want("u-mary", { kind: "api_token", scopes: ["repository"] }));
  assert.equal(await page.textContent("#create-answer .effect"), "no");
  // Bad input is an error naming the field, not a decision.
  await ask({ "c-expires": "soon" });
  assert.match(await text("#permission-error"), /expires_at/);
  assert.ok(await page.isHidden("#create-answer"));
  await screenshot(page, "permissions", "#permissions");
  assert.deepEqual(problems, []);
});

test("permissions: may a principal revoke a token (canRevokeToken)", async () => {
  const signed = Engine.load(bundle, { publicKey: keys.publicKey, now: NOW });
  const reasons = [];
  for (const [actor, token] of [["u-mary", "mary-readonly"], ["u-gone", "web-read"], ["u-mary", "org-key"]]) {
    await page.fill("#r-actor", actor);
    await page.fill("#r-token", token);
    await page.evaluate(() => delete document.querySelector("#revoke-answer").dataset.reason);
    await page.click("#can-revoke");
    await page.waitForSelector("#revoke-answer[data-reason], #permission-error:not([hidden])");
    const reason = await page.getAttribute("#revoke-answer", "data-reason");
    assert.equal(reason, signed.canRevokeToken(actor, token, { now: NOW }).reason, `${actor} revoking ${token}`);
    reasons.push(reason);
  }
  // Her own token, yes; a deactivated principal, no; an organisation key, not hers.
  assert.deepEqual(reasons.map((r) => r === "ok"), [true, false, false]);
  // An id no token has is an error, not a decision.
  await page.fill("#r-token", "nope");
  await page.click("#can-revoke");
  await page.waitForSelector("#permission-error:not([hidden])");
  assert.ok(await page.isHidden("#revoke-answer"));
  await page.fill("#r-token", "mary-readonly");
  await page.click("#can-revoke");
  await page.waitForSelector('#revoke-answer[data-reason="ok"]');
  assert.ok(await page.isHidden("#permission-error"));
  assert.doesNotMatch(await text("#permissions"), /undefined|null|\[object/, "no placeholder leaks into the answers");
  await screenshot(page, "permissions-revoke", "#permissions");
  assert.deepEqual(problems, []);
});

test("bundles that do not load: tampered, another key, and expired (which names the field to set)", async () => {
  const tampered = Buffer.from(bundle);
  tampered[tampered.length >> 1] ^= 0x01;
  await page.fill("#public-key", keys.publicKey);
  await page.setInputFiles("#bundle-file", { name: "tampered.bundle", mimeType: "application/octet-stream", buffer: tampered });
  await page.waitForSelector("#load-error:not([hidden])");
  let error = await text("#load-error");
  assert.match(error, /^The bundle was rejected: /, error);
  assert.match(error, /signature|tamper|corrupt|invalid/i, error);
  assert.equal(await text("#source"), "signed bundle", "the verified bundle stays loaded");

  await page.fill("#public-key", generateKeyPair().publicKey);
  await page.evaluate(() => (document.querySelector("#load-error").hidden = true));
  await page.setInputFiles("#bundle-file", { name: "estate.bundle", mimeType: "application/octet-stream", buffer: Buffer.from(bundle) });
  await page.waitForSelector("#load-error:not([hidden])");
  error = await text("#load-error");
  assert.match(error, /^The bundle was rejected: .*key/, error);

  // An hour-long bundle issued two hours before the evaluation time.
  const old = structuredClone(estate.state);
  old.issued_at = iso(NOW - 2 * 3_600_000);
  const expired = buildBundle(old, keys.privateKey, { ttlSeconds: 3600 });
  await page.fill("#public-key", keys.publicKey);
  await page.setInputFiles("#bundle-file", { name: "old.bundle", mimeType: "application/octet-stream", buffer: Buffer.from(expired) });
  await page.waitForSelector("#as-of-issued");
  error = await text("#load-error");
  assert.match(error, /This bundle has expired/, error);
  assert.match(error, /Evaluate as of/, error);
  assert.ok(error.includes(iso(NOW - 3_600_000)), `names when it expired: ${error}`);
  await screenshot(page, "expired-bundle", "#snapshot");
  // The button fills the field and loads it as of its issue time.
  await page.click("#as-of-issued");
  await page.waitForFunction((n) => document.querySelector('#info [data-field="issuedAt"]')?.textContent === n, old.issued_at);
  assert.equal(await page.inputValue("#as-of"), old.issued_at);
  assert.ok(await page.isHidden("#load-error"));
  await page.fill("#as-of", iso(NOW));
  await page.dispatchEvent("#as-of", "change");
  assert.deepEqual(problems, []);
});

test("another snapshot resets every panel", async () => {
  await loadEstateState();
  await page.check("#t-api-tokens");
  await preview();
  await simulate({ token: estate.tokens["web-read"] });
  await page.fill("#revoke-ids", "web-read");
  await page.click("#revoke");
  await steps(1);
  await page.fill("#c-actor", "u-mary");
  await page.fill("#c-expires", iso(NOW + DAY));
  await page.click("#can-create");
  await page.waitForSelector("#create-answer:not([hidden])");
  await page.selectOption("#audit-kind", "expiring_soon");
  await page.waitForFunction(() => [...document.querySelectorAll("#audit-result tr[data-kind]")].every((r) => r.dataset.kind === "expiring_soon"));

  await page.click("#load-demo");
  await page.waitForFunction(() => document.querySelector('#info [data-field="tokens"]')?.textContent === "5");
  await steps(0);
  assert.ok(await page.isHidden("#preview-result"));
  assert.ok(await page.isHidden("#decision"));
  assert.equal(await page.locator("#steps tr").count(), 0);
  assert.ok(await page.isHidden("#create-answer"));
  assert.ok(await page.isHidden("#signed"));
  assert.equal(await page.inputValue("#audit-kind"), "");
  assert.equal((await proposalJson()).default_policy.api_tokens, "allow");
  assert.equal(await count("#estate-total"), 5);
  assert.deepEqual(problems, []);
});

test("at 1280 and 390 px wide, the page fits its window, with a preview, a trace and the chart on screen", async () => {
  await loadEstateState();
  await page.selectOption("#weeks", "52");
  await page.check("#t-api-tokens");
  await page.check("#t-app-passwords");
  await preview();
  await simulate({ token: estate.tokens["web-read"], url: `/2.0/repositories/acme/web/src/${"segment/".repeat(30)}x` });
  await page.click("#mint-button");
  await page.waitForSelector("#minted:not([hidden])");
  assert.equal(await overflowX(page), 0, "1280 px");
  assert.doesNotMatch(await page.innerText("body"), /\bundefined\b|\bNaN\b|\[object Object\]/, "no placeholder leaks onto the page");
  await screenshot(page, "admin-1280");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => Number(document.querySelector("#timeline").dataset.width) < 400);
  assert.equal(await overflowX(page), 0, "390 px: no horizontal scrolling");
  await screenshot(page, "admin-390");
  for (const id of ["snapshot", "estate", "policies", "change", "simulate", "audit", "permissions", "mint"]) await screenshot(page, `390-${id}`, `#${id}`);
  await page.click("#clear-token");
  await page.setViewportSize({ width: 1280, height: 900 });
  assert.deepEqual(problems, [], "no errors over the whole run");
});
