// The example worker on a Workers KV bundle store, in miniflare (npm): Cloudflare's local
// simulator of Workers, KV and Cron Triggers, running workerd. A publisher writes the bundle
// and deltas into KV; the Cron Trigger (`scheduled`) refreshes the worker's snapshot.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

import { Miniflare } from "miniflare";

import { init, mintToken, generateKeyPair, buildBundle, buildDelta } from "../../pkg/scopegate.js";
import { makeFixture, iso } from "../../scripts/fixture.mjs";

const PKG = new URL("../../pkg/", import.meta.url);
const REPO = "/2.0/repositories/acme/web";
let mf, kv, fixture, keys, bundle;
const forwarded = [];

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** What a publisher (CI) does: the full bundle, then its digest, the key deltas are filed under. */
async function publishBundle(bytes) {
  await kv.put("scopegate/bundle", bytes);
  await kv.put("scopegate/bundle.sha256", sha256(bytes));
}
const publishDelta = (base, delta) => kv.put(`scopegate/delta/${sha256(base)}`, delta);

/** The fixture's state, issued now, with `change` applied to the token `id`. */
function stateWith(id, change) {
  const state = structuredClone(fixture.state);
  state.issued_at = iso(Date.now() - 1000);
  Object.assign(state.tokens.find((t) => t.id === id), change);
  return state;
}

const module = (type, path) => ({ type, contents: readFileSync(new URL(path, PKG)) });

before(async () => {
  await init();
  fixture = makeFixture({ mintToken });
  keys = generateKeyPair({ typed: true });
  bundle = buildBundle(fixture.state, keys.privateKey);
  mf = new Miniflare({
    unsafeTriggerHandlers: true,
    workers: [
      {
        config: {
          name: "gate",
          compatibilityDate: "2025-09-01",
          triggers: [{ type: "scheduled", schedule: "* * * * *" }],
          manifest: {
            mainModule: "worker.js",
            // The package's edge modules under the names a bundler resolves (as in workerd.mjs).
            modules: {
              "worker.js": { type: "esm", contents: readFileSync(new URL("../../examples/worker/worker.js", import.meta.url), "utf8") },
              "scopegate/edge": module("esm", "edge.js"),
              "scopegate/api.js": module("esm", "api.js"),
              "scopegate/fast.js": module("esm", "fast.js"),
              "scopegate/scopegate_edge_wasm.js": module("esm", "scopegate_edge_wasm.js"),
              "scopegate/edge.wasm": module("wasm", "scopegate_edge_wasm_bg.wasm"),
            },
          },
          env: {
            SCOPEGATE_PUBLIC_KEY: { type: "text", value: keys.publicKey },
            BUNDLE_KV: { type: "kv" },
            // Only the Cron Trigger refreshes in these tests.
            REFRESH_SECONDS: { type: "text", value: "3600" },
            ORIGIN: {
              type: "fetcher",
              handler: (request) => {
                forwarded.push(new URL(request.url).pathname);
                return new Response(JSON.stringify({ origin: "ok", reason: request.headers.get("x-scopegate-reason") }), {
                  headers: { "content-type": "application/json" },
                });
              },
            },
          },
        },
      },
    ],
  });
  kv = await mf.getKVNamespace("BUNDLE_KV");
  await publishBundle(bundle);
});

after(async () => {
  await mf?.dispose();
});

const get = async (token, path = REPO) => {
  const res = await mf.dispatchFetch(`http://gate.test${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = await res.json();
  return { status: res.status, reason: body.error?.reason ?? body.reason, res };
};
const cron = async () => (await mf.getWorker("gate")).scheduled({ cron: "* * * * *" });

test("the first request reads the bundle from KV; allowed requests reach the origin", async () => {
  const r = await get(fixture.tokens["web-read"]);
  assert.deepEqual([r.status, r.reason], [200, "ok"]);
  assert.deepEqual(forwarded, [REPO]);
  const revoked = await get(fixture.tokens["old-ci"]);
  assert.deepEqual([revoked.status, revoked.reason], [401, "token_revoked"]);
  assert.equal(revoked.res.headers.get("www-authenticate"), 'Basic realm="Bitbucket.org HTTP"');
});

test("publish a delta to KV; the Cron Trigger applies it and the revoked token is denied", async () => {
  const token = fixture.tokens["web-deploy"];
  assert.equal((await get(token)).status, 200);
  await publishDelta(bundle, buildDelta(bundle, stateWith("web-deploy", { revoked_at: iso(Date.now() - 2000) }), keys.privateKey));
  assert.equal((await get(token)).status, 200, "nothing refreshes before the cron runs");
  assert.equal((await cron()).outcome, "ok");
  const after = await get(token);
  assert.deepEqual([after.status, after.reason], [401, "token_revoked"]);
  assert.equal((await get(fixture.tokens["web-read"])).status, 200);
});

test("a new full bundle in KV replaces the snapshot at the next cron; an older one is refused", async () => {
  const fresh = mintToken("repository_access_token");
  const state = stateWith("web-deploy", { revoked_at: iso(Date.now() - 2000) });
  state.tokens.push({ ...state.tokens[0], id: "new-ci", secret_sha256: fresh.sha256, label: "new CI" });
  const older = bundle;
  await new Promise((r) => setTimeout(r, 1000)); // a later issued_at, in whole seconds
  state.issued_at = iso(Date.now());
  const next = buildBundle(state, keys.privateKey);
  await publishBundle(next);
  assert.equal((await get(fresh.token)).status, 401, "unknown until the cron runs");
  assert.equal((await cron()).outcome, "ok");
  assert.deepEqual([(await get(fresh.token)).status, (await get(fresh.token)).reason], [200, "ok"]);

  // A rollback in the store: the older bundle, still valid, in which web-deploy is not revoked.
  await publishBundle(older);
  assert.notEqual((await cron()).outcome, "ok", "the refresh refuses a bundle older than the one in use");
  assert.deepEqual([(await get(fixture.tokens["web-deploy"])).status, (await get(fresh.token)).status], [401, 200]);
});
