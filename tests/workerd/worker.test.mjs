// The example edge worker (examples/worker/worker.js) with the built package, served by workerd
// on 127.0.0.1 in front of a Node origin; real HTTP requests from here.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";

import { init, mintToken } from "../../pkg/scopegate.js";
import { makeFixture, typo, iso } from "../../scripts/fixture.mjs";
import { startOrigin } from "../../scripts/origin.mjs";
import { startWorker } from "../../scripts/workerd.mjs";

const REPO = "/2.0/repositories/acme/web";
const REFRESH_TOKEN = "test-refresh-token";
let origin, gate, fixture;

before(async () => {
  // Fail, never skip, when the runtime is missing.
  assert.ok(existsSync(new URL("../../node_modules/.bin/workerd", import.meta.url)),
    "workerd is not installed: run `bash scripts/setup.sh node` (npm ci)");
  await init();
  fixture = makeFixture({ mintToken });
  origin = await startOrigin({ state: fixture.state });
  gate = await startWorker({
    state: fixture.state,
    originPort: origin.port,
    refreshSeconds: 3600,
    refreshToken: REFRESH_TOKEN,
  });
});

after(async () => {
  await gate?.stop();
  await origin?.stop();
});

const get = (path, token, init = {}) =>
  fetch(`${gate.url}${path}`, {
    ...init,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers },
  });

test("allow: forwarded to the origin, which answers 200", async () => {
  const before = origin.requests.length;
  const res = await get(REPO, fixture.tokens["web-read"]);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-origin"), "yes");
  const body = await res.json();
  assert.equal(body.url, REPO);
  assert.equal(body.scopegate["x-scopegate-reason"], "ok");
  assert.equal(body.scopegate["x-scopegate-token-id"], "web-read");
  assert.equal(origin.requests.length, before + 1);
});

test("a client cannot forge the headers the worker sets for the origin", async () => {
  const res = await get(REPO, fixture.tokens["web-read"], { headers: { "x-scopegate-principal": "u-admin" } });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).scopegate["x-scopegate-principal"], undefined);
});

test("deny: 403 with a Bitbucket-shaped body and the reason", async () => {
  const before = origin.requests.length;
  const res = await get(`${REPO}/pullrequests`, fixture.tokens["mary-readonly"], { method: "POST", body: "{}" });
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

test("refresh: a revocation in fresh state reaches the worker", async () => {
  const token = fixture.tokens["web-deploy"];
  assert.equal((await get(REPO, token)).status, 200);

  const revoked = structuredClone(fixture.state);
  revoked.tokens.find((t) => t.id === "web-deploy").revoked_at = iso(Date.now() - 1000);
  origin.setState(revoked);

  const denied = await fetch(`${gate.url}/_scopegate/refresh`, { method: "POST" });
  assert.equal(denied.status, 403, "refresh needs the refresh token");
  const res = await fetch(`${gate.url}/_scopegate/refresh`, {
    method: "POST",
    headers: { authorization: `Bearer ${REFRESH_TOKEN}` },
  });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).tokens, 5);

  const after = await get(REPO, token);
  assert.equal(after.status, 403);
  assert.equal((await after.json()).error.reason, "token_revoked");
});

test("a broken fresh state keeps the last good snapshot", async () => {
  origin.setState("{ not json");
  const res = await fetch(`${gate.url}/_scopegate/refresh`, {
    method: "POST",
    headers: { authorization: `Bearer ${REFRESH_TOKEN}` },
  });
  assert.equal(res.status, 502);
  assert.equal((await get(REPO, fixture.tokens["web-read"])).status, 200);
});

test("periodic refresh: with REFRESH_SECONDS 0 a revocation arrives without being asked", async () => {
  const state = structuredClone(fixture.state);
  const source = await startOrigin({ state });
  const eager = await startWorker({ state, originPort: source.port, refreshSeconds: 0 });
  try {
    const token = fixture.tokens["web-read"];
    assert.equal((await fetch(`${eager.url}${REPO}`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    state.tokens.find((t) => t.id === "web-read").revoked_at = iso(Date.now() - 1000);
    source.setState(state);
    // The refresh runs after a response (waitUntil); a few requests later it is in. Bounded.
    let status = 0;
    for (let i = 0; i < 50 && status !== 403; i++) {
      status = (await fetch(`${eager.url}${REPO}`, { headers: { authorization: `Bearer ${token}` } })).status;
      if (status !== 403) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 403);
  } finally {
    await eager.stop();
    await source.stop();
  }
});
