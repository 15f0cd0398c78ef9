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

test("deny reasons over HTTP: 401 and Bitbucket's challenge when the credentials do not authenticate, 403 otherwise", async () => {
  const cases = [
    [401, "no_credentials", undefined],
    [401, "malformed_credentials", "Token abc"],
    [401, "bad_token_checksum", `Bearer ${typo(fixture.tokens["web-read"])}`],
    [401, "unknown_token", `Bearer ${fixture.tokens.unknown}`],
    [401, "token_revoked", `Bearer ${fixture.tokens["old-ci"]}`],
    [401, "token_expired", `Bearer ${fixture.tokens.expired}`],
    [403, "scope_missing", `Bearer ${fixture.tokens["web-read"]}`, "DELETE"],
  ];
  for (const [status, reason, authorization, method = "GET"] of cases) {
    const res = await fetch(`${gate.url}${REPO}`, { method, headers: authorization ? { authorization } : {} });
    const body = await res.json();
    assert.equal(res.status, status, `${reason}: ${JSON.stringify(body)}`);
    assert.equal(body.type, "error");
    assert.equal(body.error.reason, reason);
    assert.equal(res.headers.get("x-scopegate-reason"), reason);
    // What Bitbucket Cloud sends, so Git clients and SDKs ask for credentials as they do there.
    assert.equal(res.headers.get("www-authenticate"), status === 401 ? 'Basic realm="Bitbucket.org HTTP"' : null, reason);
  }
});

test("a request the gate cannot read one way only is a 400, before any credential check", async () => {
  const res = await get(`${gate.url}/2.0/repositories/acme%2Fweb/src`, fixture.tokens["web-read"]);
  const body = await res.json();
  assert.equal(res.status, 400, JSON.stringify(body));
  assert.equal(body.error.reason, "malformed_request");
});

test("a deny never echoes the credentials it was sent", async () => {
  const [a, b] = [fixture.tokens["web-read"], fixture.tokens["web-deploy"]];
  const credentials = [
    `Basic ${btoa(`${a}:${b}`)}`,
    `Basic ${btoa(`${b}:${b}`)}`,
    `Basic ${btoa(`${fixture.tokens.unknown}:${a}`)}`,
    `Bearer ${fixture.tokens.unknown}`,
    `Bearer ${typo(a)}`,
  ];
  for (const authorization of credentials) {
    const res = await fetch(`${gate.url}${REPO}`, { headers: { authorization } });
    const text = `${[...res.headers].join("\n")}\n${await res.text()}`;
    assert.equal(res.status, 401, text);
    for (const secret of [a, b, fixture.tokens.unknown, typo(a), authorization.split(" ")[1]]) {
      assert.ok(!text.includes(secret), `the answer echoes a credential: ${text}`);
    }
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
  assert.equal(after.status, 401);
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
    for (let i = 0; i < 50 && status !== 401; i++) {
      status = (await get(`${eager.url}${REPO}`, token)).status;
      if (status !== 401) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 401);
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

/** The fixture's state with web-read usable only from 203.0.113.0/24, issued now. */
function officeOnlyState(trustedProxies) {
  const state = stateWith("web-read", { allowed_ips: ["203.0.113.0/24"] });
  state.network = { trusted_proxies: trustedProxies, client_ip_header: "cf-connecting-ip" };
  return state;
}

test("client IP: the peer comes from the platform; a forged CF-Connecting-IP from a disallowed peer is denied", async () => {
  const office = "203.0.113.5";
  const elsewhere = "198.51.100.9";
  // The tests' connections come from 127.0.0.1: not a trusted proxy in one state, one in the other.
  const untrusting = buildBundle(officeOnlyState(["10.0.0.0/8"]), keys.privateKey);
  const trusting = buildBundle(officeOnlyState(["127.0.0.0/8"]), keys.privateKey);
  const source = await startOrigin({ bundle: untrusting });
  const start = (bundle, options = {}) =>
    startWorker({ bundle, publicKey: keys.publicKey, originPort: source.port, refreshSeconds: 3600, ...options });
  // Plain workerd (request.cf.clientIp is the TCP peer), twice; and standing in for
  // Cloudflare (request.cf describes the connection and CF-Connecting-IP is the platform's).
  const workers = await Promise.all([start(untrusting), start(trusting), start(untrusting, { cfBlobHeader: "cf-blob" })]);
  const [plain, behindProxy, cloudflare] = workers;
  try {
    const ask = async (worker, headers) => {
      const res = await get(`${worker.url}${REPO}`, fixture.tokens["web-read"], { headers });
      const body = await res.json();
      return [res.status, body.error?.reason ?? body.scopegate["x-scopegate-reason"]];
    };
    const forged = { "cf-connecting-ip": office, "x-forwarded-for": office, "x-real-ip": office };
    assert.deepEqual(await ask(plain, forged), [403, "ip_not_allowed"], "a forged header from a disallowed peer");
    assert.deepEqual(await ask(behindProxy, { "cf-connecting-ip": office }), [200, "ok"], "a trusted proxy's header counts");
    assert.deepEqual(await ask(behindProxy, { "cf-connecting-ip": elsewhere }), [403, "ip_not_allowed"]);
    assert.deepEqual(await ask(cloudflare, { "cf-blob": "{}", "cf-connecting-ip": office }), [200, "ok"], "Cloudflare's CF-Connecting-IP is the peer");
    assert.deepEqual(await ask(cloudflare, { "cf-blob": "{}", "cf-connecting-ip": elsewhere }), [403, "ip_not_allowed"]);
    assert.deepEqual(await ask(cloudflare, forged), [403, "ip_not_allowed"], "no request.cf: no peer, and the header is the client's");
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await source.stop();
  }
});

test("rollback: a refresh refuses a full bundle older than the snapshot in use, and another delta of the same time", async () => {
  const token = fixture.tokens["web-deploy"];
  const older = buildBundle(stateWith("web-deploy", {}), keys.privateKey);
  await new Promise((r) => setTimeout(r, 1100)); // a later issued_at, in whole seconds
  const revokedAt = iso(Date.now() - 500);
  const newer = buildBundle(stateWith("web-deploy", { revoked_at: revokedAt }), keys.privateKey);
  const source = await startOrigin({ bundle: newer });
  const edge = await startWorker({ bundle: newer, publicKey: keys.publicKey, originPort: source.port, refreshSeconds: 3600, refreshToken: REFRESH_TOKEN });
  try {
    assert.equal((await get(`${edge.url}${REPO}`, token)).status, 401, "revoked in the bundle in use");
    // 1. The store serves an older, still valid, signed bundle in which the token is not revoked.
    source.setBundle(older);
    const refused = await refresh(edge.url);
    assert.equal(refused.status, 502);
    assert.match((await refused.json()).error.message, /issued/);
    assert.equal((await get(`${edge.url}${REPO}`, token)).status, 401, "the revocation stands");

    // 2. A delta revokes another token; a different delta with the same issued_at undoes it.
    source.setBundle(newer);
    assert.equal((await (await refresh(edge.url)).json()).refreshed, "unchanged");
    const other = fixture.tokens["web-read"];
    await new Promise((r) => setTimeout(r, 1100));
    const later = stateWith("web-deploy", { revoked_at: revokedAt });
    later.tokens.find((t) => t.id === "web-read").revoked_at = iso(Date.now() - 500);
    source.setDelta(buildDelta(newer, later, keys.privateKey));
    assert.equal((await (await refresh(edge.url)).json()).refreshed, "delta");
    assert.equal((await get(`${edge.url}${REPO}`, other)).status, 401);
    const undo = structuredClone(later);
    undo.tokens.find((t) => t.id === "web-read").revoked_at = null;
    source.setDelta(buildDelta(newer, undo, keys.privateKey));
    const after = await refresh(edge.url);
    assert.notEqual((await after.json()).refreshed, "delta", "the same-time delta is refused");
    assert.equal((await get(`${edge.url}${REPO}`, other)).status, 401, "the revocation stands");
  } finally {
    await edge.stop();
    await source.stop();
  }
});
