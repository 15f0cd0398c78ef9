// The example edge worker (examples/worker/worker.js) on scopegate/edge, served by workerd on
// 127.0.0.1 in front of a Node origin that is also its bundle store; real HTTP requests from
// here, signed bundles and deltas built here with the full package.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";

import { init, mintToken, generateKeyPair, buildBundle, buildDelta } from "../../pkg/scopegate.js";
import { makeFixture, typo, iso } from "../../scripts/fixture.mjs";
import { startOrigin, DELTA_PATH } from "../../scripts/origin.mjs";
import { startWorker } from "../../scripts/workerd.mjs";

const REPO = "/2.0/repositories/acme/web";
const REFRESH_TOKEN = "test-refresh-token";
let origin, gate, fixture, keys, bundle;

before(async () => {
  // Fail, never skip, when the runtime is missing.
  assert.ok(existsSync(new URL("../../node_modules/.bin/workerd", import.meta.url)),
    "workerd is not installed: run `bash scripts/setup.sh node` (npm ci)");
  await init();
  fixture = makeFixture({ mintToken });
  keys = generateKeyPair();
  bundle = buildBundle(fixture.state, keys.privateKey);
  origin = await startOrigin({ bundle });
  gate = await startWorker({
    bundle,
    publicKey: keys.publicKey,
    originPort: origin.port,
    refreshSeconds: 3600,
    refreshToken: REFRESH_TOKEN,
  });
});

after(async () => {
  await gate?.stop();
  await origin?.stop();
});

const get = (url, token, init = {}) =>
  fetch(url, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
  });
const refresh = (base = gate.url) =>
  fetch(`${base}/_scopegate/refresh`, { method: "POST", headers: { authorization: `Bearer ${REFRESH_TOKEN}` } });

/** The fixture's state, issued now, with `change` applied to the token `id`. */
function stateWith(id, change) {
  const state = structuredClone(fixture.state);
  state.issued_at = iso(Date.now() - 1000);
  Object.assign(state.tokens.find((t) => t.id === id), change);
  return state;
}

test("allow: forwarded to the origin, which answers 200", async () => {
  const before = origin.requests.length;
  const res = await get(`${gate.url}${REPO}`, fixture.tokens["web-read"]);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-origin"), "yes");
  const body = await res.json();
  assert.equal(body.url, REPO);
  assert.equal(body.scopegate["x-scopegate-reason"], "ok");
  assert.equal(body.scopegate["x-scopegate-token-id"], "web-read");
  assert.equal(origin.requests.length, before + 1);
  // Git over HTTP with the access-token username, as a Git client sends it.
  const git = await fetch(`${gate.url}/acme/web.git/info/refs?service=git-upload-pack`, {
    headers: { authorization: `Basic ${btoa(`x-token-auth:${fixture.tokens["web-read"]}`)}` },
  });
  assert.equal(git.status, 200);
});

test("a client cannot forge the headers the worker sets for the origin", async () => {
  const res = await get(`${gate.url}${REPO}`, fixture.tokens["web-read"], { headers: { "x-scopegate-principal": "u-admin" } });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).scopegate["x-scopegate-principal"], undefined);
});

test("deny: 403 with a Bitbucket-shaped body and the reason", async () => {
  const before = origin.requests.length;
  const res = await get(`${gate.url}${REPO}/pullrequests`, fixture.tokens["mary-readonly"], { method: "POST", body: "{}" });
  assert.equal(res.status, 403);
  assert.equal(res.headers.get("x-scopegate-reason"), "scope_missing");
  const body = await res.json();
  assert.equal(body.type, "error");
  assert.equal(body.error.reason, "scope_missing");
  assert.equal(typeof body.error.message, "string");
  assert.ok(Array.isArray(body.error.detail.required));
  assert.ok(Array.isArray(body.error.detail.granted));
  assert.equal(origin.requests.length, before, "a denied request must not reach the origin");
});

test("deny reasons over HTTP: 401 without or with unreadable credentials, 403 otherwise", async () => {
  const cases = [
    [401, "no_credentials", undefined],
    [401, "malformed_credentials", "Token abc"],
    [403, "bad_token_checksum", `Bearer ${typo(fixture.tokens["web-read"])}`],
    [403, "unknown_token", `Bearer ${fixture.tokens.unknown}`],
    [403, "token_revoked", `Bearer ${fixture.tokens["old-ci"]}`],
    [403, "token_expired", `Bearer ${fixture.tokens.expired}`],
  ];
  for (const [status, reason, authorization] of cases) {
    const res = await fetch(`${gate.url}${REPO}`, { headers: authorization ? { authorization } : {} });
    const body = await res.json();
    assert.equal(res.status, status, `${reason}: ${JSON.stringify(body)}`);
    assert.equal(body.error.reason, reason);
    assert.equal(res.headers.get("x-scopegate-reason"), reason);
    if (status === 401) assert.match(res.headers.get("www-authenticate"), /Bearer/);
  }
});

test("refresh: a revocation reaches the edge as a delta (applyDelta), not a new bundle", async () => {
  const token = fixture.tokens["web-deploy"];
  assert.equal((await get(`${gate.url}${REPO}`, token)).status, 200);
  const delta = buildDelta(bundle, stateWith("web-deploy", { revoked_at: iso(Date.now() - 2000) }), keys.privateKey);
  origin.setDelta(delta);

  const denied = await fetch(`${gate.url}/_scopegate/refresh`, { method: "POST" });
  assert.equal(denied.status, 403, "refresh needs the refresh token");
  const fetched = origin.storeRequests.length;
  const res = await refresh();
  assert.equal(res.status, 200);
  const info = await res.json();
  assert.equal(info.refreshed, "delta");
  assert.equal(info.tokens, 5);
  assert.equal(info.bundleBytes, bundle.length + delta.length);
  assert.deepEqual(origin.storeRequests.slice(fetched).map((p) => p.split("?")[0]), [DELTA_PATH], "only the delta travelled");

  const after = await get(`${gate.url}${REPO}`, token);
  assert.equal(after.status, 403);
  assert.equal((await after.json()).error.reason, "token_revoked");
  assert.equal((await get(`${gate.url}${REPO}`, fixture.tokens["web-read"])).status, 200);
  // Nothing newer: the delta is applied again, harmlessly.
  assert.equal((await (await refresh()).json()).refreshed, "delta");
});

test("a new full bundle in the store replaces the snapshot; a tampered one is refused and the last good one kept", async () => {
  const next = buildBundle(stateWith("web-deploy", { revoked_at: null, label: "CI deploy (restored)" }), keys.privateKey);
  origin.setBundle(next);
  const res = await refresh();
  assert.equal(res.status, 200);
  assert.equal((await res.json()).refreshed, "bundle");
  assert.equal((await get(`${gate.url}${REPO}`, fixture.tokens["web-deploy"])).status, 200);
  assert.equal((await (await refresh()).json()).refreshed, "unchanged");

  const tampered = next.slice();
  tampered[tampered.length - 100] ^= 0x20;
  origin.setBundle(tampered);
  const bad = await refresh();
  assert.equal(bad.status, 502);
  assert.match((await bad.json()).error.message, /signature does not verify/);
  assert.equal((await get(`${gate.url}${REPO}`, fixture.tokens["web-read"])).status, 200);
  const otherKey = buildBundle(fixture.state, generateKeyPair().privateKey);
  origin.setBundle(otherKey);
  assert.equal((await refresh()).status, 502, "a bundle signed by another key is refused");
  assert.equal((await get(`${gate.url}${REPO}`, fixture.tokens["web-deploy"])).status, 200);
  origin.setBundle(next);
});

test("periodic refresh: with REFRESH_SECONDS 0 a revocation arrives without being asked", async () => {
  const source = await startOrigin({ bundle });
  const eager = await startWorker({ bundle, publicKey: keys.publicKey, originPort: source.port, refreshSeconds: 0 });
  try {
    const token = fixture.tokens["web-read"];
    assert.equal((await get(`${eager.url}${REPO}`, token)).status, 200);
    source.setDelta(buildDelta(bundle, stateWith("web-read", { revoked_at: iso(Date.now() - 2000) }), keys.privateKey));
    // The refresh runs after a response (waitUntil); a few requests later it is in. Bounded.
    let status = 0;
    for (let i = 0; i < 50 && status !== 403; i++) {
      status = (await get(`${eager.url}${REPO}`, token)).status;
      if (status !== 403) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 403);
  } finally {
    await eager.stop();
    await source.stop();
  }
});

test("without an embedded bundle the worker fetches one from the store on its first request", async () => {
  const source = await startOrigin({ bundle });
  const lazy = await startWorker({ publicKey: keys.publicKey, originPort: source.port, refreshSeconds: 3600 });
  try {
    assert.equal((await get(`${lazy.url}${REPO}`, fixture.tokens["web-read"])).status, 200);
    assert.deepEqual(source.storeRequests, ["/scopegate/bundle"]);
  } finally {
    await lazy.stop();
    await source.stop();
  }
});

test("an expired bundle denies with bundle_expired (503, retry later) until a fresh one arrives", async () => {
  // Expires about four seconds from now: time to load it and see one request through.
  const ttlSeconds = Math.ceil((Date.now() + 4000 - Date.parse(fixture.state.issued_at)) / 1000);
  const short = buildBundle(fixture.state, keys.privateKey, { ttlSeconds });
  const expiresAt = (Date.parse(fixture.state.issued_at) + ttlSeconds * 1000);
  const source = await startOrigin({ bundle: short });
  const stale = await startWorker({ bundle: short, publicKey: keys.publicKey, originPort: source.port, refreshSeconds: 3600, refreshToken: REFRESH_TOKEN });
  try {
    const token = fixture.tokens["web-read"];
    assert.equal((await get(`${stale.url}${REPO}`, token)).status, 200);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 500));
    const res = await get(`${stale.url}${REPO}`, token);
    const body = await res.json();
    assert.equal(res.status, 503, JSON.stringify(body));
    assert.equal(body.error.reason, "bundle_expired");
    assert.equal(res.headers.get("x-scopegate-reason"), "bundle_expired");
    assert.ok(res.headers.get("retry-after"));
    // The store has nothing newer: still expired, still denied (fail closed).
    assert.equal((await (await refresh(stale.url)).json()).refreshed, "unchanged");
    assert.equal((await get(`${stale.url}${REPO}`, token)).status, 503);
    source.setBundle(buildBundle(fixture.state, keys.privateKey));
    assert.equal((await (await refresh(stale.url)).json()).refreshed, "bundle");
    assert.equal((await get(`${stale.url}${REPO}`, token)).status, 200);
  } finally {
    await stale.stop();
    await source.stop();
  }
});
