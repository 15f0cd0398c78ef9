// scopegate/edge (pkg/edge.js over the edge .wasm): the same decisions as the full package from
// the same signed bundle, deltas, and a clear error for what the edge build leaves out.
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";

import * as full from "../../pkg/scopegate.js";
import * as edge from "../../pkg/edge.js";
import { makeFixture, iso } from "../../scripts/fixture.mjs";

const REPO = "/2.0/repositories/acme/web";
let fixture, keys, bundle, now;

before(async () => {
  await full.init();
  await edge.init(); // its own .wasm, next to edge.js
  fixture = makeFixture({ mintToken: full.mintToken });
  ({ now } = fixture);
  keys = full.generateKeyPair();
  bundle = full.buildBundle(fixture.state, keys.privateKey);
});

test("the edge module exports the worker's API only", () => {
  assert.deepEqual(Object.keys(edge).sort(), ["Engine", "REASONS", "TOKEN_KINDS", "digestToken", "init", "initSync"]);
  const pkg = new URL("../../pkg/", import.meta.url);
  const size = (f) => statSync(new URL(f, pkg)).size;
  assert.ok(size("scopegate_edge_wasm_bg.wasm") < size("scopegate_wasm_bg.wasm") / 2, "the edge .wasm is less than half the full one");
});

test("edge and full decide every fixture request alike from the same bundle", () => {
  const a = full.Engine.load(bundle, { publicKey: keys.publicKey, now });
  const b = edge.Engine.load(bundle, { publicKey: keys.publicKey, now });
  assert.deepEqual(b.info(), a.info());
  for (const token of Object.values(fixture.tokens)) {
    for (const [method, url] of [["GET", REPO], ["POST", `${REPO}/pullrequests`], ["GET", "/acme/web.git/info/refs?service=git-upload-pack"]]) {
      const req = { method, url, headers: { authorization: `Bearer ${token}` }, now };
      assert.deepEqual(b.check(req), a.check(req));
      assert.deepEqual(b.explain(req), a.explain(req));
    }
  }
  assert.equal(edge.digestToken("abc"), full.digestToken("abc"));
});

test("deltas and expiry at the edge", () => {
  const engine = edge.Engine.load(bundle, { publicKey: keys.publicKey, now });
  const next = structuredClone(fixture.state);
  next.issued_at = iso(now);
  next.tokens.find((t) => t.id === "web-read").revoked_at = iso(now - 1000);
  engine.applyDelta(full.buildDelta(bundle, next, keys.privateKey), { now });
  const auth = { authorization: `Bearer ${fixture.tokens["web-read"]}` };
  assert.equal(engine.check({ url: REPO, headers: auth, now }).reason, "token_revoked");
  const expired = Date.parse(engine.info().expiresAt) + 1000;
  assert.equal(engine.check({ url: REPO, headers: auth, now: expired }).reason, "bundle_expired");
  const tampered = bundle.slice();
  tampered[tampered.length - 2] ^= 1;
  assert.throws(() => edge.Engine.load(tampered, { publicKey: keys.publicKey }), /signature does not verify/);
});

test("the build side is not in the edge build, and says where it is", () => {
  assert.throws(() => edge.Engine.fromState(fixture.state), /not in the edge build.*import it from "scopegate"/);
  const engine = edge.Engine.load(bundle, { publicKey: keys.publicKey, now });
  assert.throws(() => engine.preview({}), /engine\.preview is not in the edge build/);
  assert.throws(() => engine.audit(), /engine\.audit is not in the edge build/);
  assert.throws(() => engine.canCreateToken("u-mary", { kind: "api_token" }), /not in the edge build/);
  assert.throws(() => engine.canRevokeToken("u-mary", "web-read"), /engine\.canRevokeToken is not in the edge build/);
  assert.equal(engine.check({ url: REPO, now }).reason, "no_credentials");
});

test("initSync takes the edge .wasm as workers import it", () => {
  const bytes = readFileSync(new URL("../../pkg/scopegate_edge_wasm_bg.wasm", import.meta.url));
  edge.initSync(new WebAssembly.Module(bytes)); // once initialised, a no-op that keeps working
  assert.equal(edge.Engine.load(bundle, { publicKey: keys.publicKey, now }).info().tokens, 5);
});
