// The clock and rollback through the built package (issue 11, items 2 and 3): `now` is a finite
// number or a Date (anything else a TypeError), a snapshot issued after `now` (beyond five
// minutes of skew) is refused at load and denied at check, and bundles and deltas only move
// forward (`minIssuedAt`, one delta per issued_at). Both entry points: scopegate and
// scopegate/edge.
import { test, before } from "node:test";
import assert from "node:assert/strict";

import * as full from "../../pkg/scopegate.js";
import * as edge from "../../pkg/edge.js";
import { makeFixture, iso } from "../../scripts/fixture.mjs";

const { Engine, buildBundle, buildDelta, generateKeyPair, mintToken } = full;
const REPO = "/2.0/repositories/acme/web";
const MINUTE = 60_000;
const DAY = 86_400_000;
let fixture, keys, now, issuedAt, bundle;

const bearer = (token) => ({ authorization: `Bearer ${token}` });
const throwsMatching = (fn, pattern) =>
  assert.throws(fn, (e) => e instanceof Error && pattern.test(e.message), `expected an Error matching ${pattern}`);

/** The fixture's state re-issued at `at`, with the `web-read` token revoked or not. */
function stateAt(at, { revoked = false, label } = {}) {
  const state = structuredClone(fixture.state);
  state.issued_at = iso(at);
  const web = state.tokens.find((t) => t.id === "web-read");
  if (revoked) web.revoked_at = iso(issuedAt + MINUTE);
  if (label) web.label = label;
  return state;
}

before(async () => {
  await full.init();
  await edge.init();
  fixture = makeFixture({ mintToken });
  ({ now } = fixture);
  issuedAt = Date.parse(fixture.state.issued_at);
  keys = generateKeyPair();
  bundle = buildBundle(fixture.state, keys.privateKey, { ttlSeconds: 2 * 86_400 });
});

test("`now` must be a finite number or a Date: anything else is a TypeError naming the call", () => {
  const engine = Engine.fromState(fixture.state);
  const signed = Engine.load(bundle, { publicKey: keys.publicKey, now });
  const req = { url: REPO, headers: bearer(fixture.tokens["web-read"]) };
  const bad = [true, [], "0", { valueOf() { return 0; } }, null, Number.NaN, Infinity, new Date(Number.NaN), 0n];
  const calls = {
    check: (v) => engine.check({ ...req, now: v }),
    explain: (v) => engine.explain({ ...req, now: v }),
    checkRequest: (v) => engine.checkRequest(new Request(`https://api.test${REPO}`), { now: v }),
    "Engine.load": (v) => Engine.load(bundle, { publicKey: keys.publicKey, now: v }),
    applyDelta: (v) => signed.applyDelta(buildDelta(bundle, stateAt(issuedAt + MINUTE), keys.privateKey), { now: v }),
    audit: (v) => engine.audit({ now: v }),
    estate: (v) => engine.estate({ now: v }),
    preview: (v) => engine.preview({ policies: [] }, { now: v }),
    canCreateToken: (v) => engine.canCreateToken("u-mary", { kind: "api_token", scopes: ["repository"] }, { now: v }),
    "replay[0].now": (v) => engine.preview({ policies: [] }, { replay: [{ tokenId: "web-read", url: REPO, now: v }], now }),
  };
  for (const [name, call] of Object.entries(calls)) {
    for (const value of bad) {
      assert.throws(
        () => call(value),
        (e) => e instanceof TypeError && e.message.startsWith(name) && /now/.test(e.message) && /Date/.test(e.message),
        `${name} with ${String(typeof value)} ${Array.isArray(value) ? "array" : ""}`,
      );
    }
  }
  // A Date is the same as its milliseconds; undefined is Date.now().
  assert.deepEqual(engine.check({ ...req, now: new Date(now) }), engine.check({ ...req, now }));
  assert.equal(engine.check(req).reason, "ok");
  // The edge build applies the same rule.
  const edgeEngine = edge.Engine.load(bundle, { publicKey: keys.publicKey });
  assert.throws(() => edgeEngine.check({ ...req, now: "0" }), TypeError);
  assert.throws(() => edge.Engine.load(bundle, { publicKey: keys.publicKey, now: true }), TypeError);
  assert.equal(edgeEngine.check({ ...req, now: new Date(now) }).reason, "ok");
});

test("a bundle issued after `now` is refused at load, naming both times", () => {
  for (const api of [full, edge]) {
    throwsMatching(
      () => api.Engine.load(bundle, { publicKey: keys.publicKey, now: 0 }),
      new RegExp(`^bundle is not valid yet: issued at ${fixture.state.issued_at}, more than 5 minutes after now \\(1970-01-01T00:00:00Z\\)`),
    );
    throwsMatching(() => api.Engine.load(bundle, { publicKey: keys.publicKey, now: issuedAt - 5 * MINUTE - 1000 }), /not valid yet/);
    assert.ok(api.Engine.load(bundle, { publicKey: keys.publicKey, now: issuedAt - 5 * MINUTE }), "five minutes of skew");
  }
});

test("requests at a `now` before the snapshot's issued_at are denied bundle_not_yet_valid", () => {
  const signed = edge.Engine.load(bundle, { publicKey: keys.publicKey, now });
  const unsigned = Engine.fromState(fixture.state);
  for (const engine of [signed, unsigned]) {
    for (const early of [0, new Date(0), issuedAt - DAY]) {
      const d = engine.check({ url: REPO, headers: bearer(fixture.tokens["web-read"]), now: early });
      assert.equal(d.reason, "bundle_not_yet_valid", d.message);
      assert.equal(d.effect, "deny");
      assert.ok(d.message.includes(fixture.state.issued_at), d.message);
      // Revoked and expired tokens stay denied whatever the clock says.
      assert.notEqual(engine.check({ url: REPO, headers: bearer(fixture.tokens.expired), now: early }).allow, true);
      assert.notEqual(engine.check({ url: REPO, headers: bearer(fixture.tokens["old-ci"]), now: early }).allow, true);
    }
    assert.equal(engine.explain({ url: REPO, now: 0 }).steps[0].step, "bundle");
  }
});

test("a refresh refuses a full bundle older than the one in use (minIssuedAt)", () => {
  const older = buildBundle(stateAt(issuedAt), keys.privateKey, { ttlSeconds: 86_400 });
  const newer = buildBundle(stateAt(issuedAt + 2 * MINUTE, { revoked: true }), keys.privateKey, { ttlSeconds: 86_400 });
  for (const api of [full, edge]) {
    const current = api.Engine.load(newer, { publicKey: keys.publicKey, now });
    assert.equal(current.check({ url: REPO, headers: bearer(fixture.tokens["web-read"]), now }).reason, "token_revoked");
    const inUse = current.info().issuedAt;
    for (const minIssuedAt of [inUse, Date.parse(inUse), new Date(inUse)]) {
      assert.throws(
        () => api.Engine.load(older, { publicKey: keys.publicKey, now, minIssuedAt }),
        (e) =>
          e instanceof Error &&
          e.message ===
            `bundle is a rollback: issued at ${iso(issuedAt)}, before ${inUse} (the one in use); an older snapshot would bring back revoked tokens`,
      );
      // The same bundle again, or a newer one, loads.
      api.Engine.load(newer, { publicKey: keys.publicKey, now, minIssuedAt }).free();
    }
    throwsMatching(() => api.Engine.load(older, { publicKey: keys.publicKey, now, minIssuedAt: "yesterday" }), /^`minIssuedAt`: expected an RFC 3339 time, got "yesterday"$/);
    assert.throws(() => api.Engine.load(older, { publicKey: keys.publicKey, now, minIssuedAt: true }), TypeError);
    assert.throws(() => api.Engine.load(older, { publicKey: keys.publicKey, now, minIssuedAt: null }), TypeError);
    current.free();
  }
});

test("deltas only move forward: another delta with the same issued_at is refused, the same one is a no-op", () => {
  const base = buildBundle(stateAt(issuedAt), keys.privateKey, { ttlSeconds: 86_400 });
  const at = issuedAt + MINUTE;
  const revoking = buildDelta(base, stateAt(at, { revoked: true }), keys.privateKey, { ttlSeconds: 86_400 });
  const undoing = buildDelta(base, stateAt(at, { label: "relabelled" }), keys.privateKey, { ttlSeconds: 86_400 });
  const older = buildDelta(base, stateAt(issuedAt + 30_000), keys.privateKey, { ttlSeconds: 86_400 });
  const web = { url: REPO, headers: bearer(fixture.tokens["web-read"]), now };
  for (const api of [full, edge]) {
    const engine = api.Engine.load(base, { publicKey: keys.publicKey, now });
    engine.applyDelta(revoking, { now });
    assert.equal(engine.check(web).reason, "token_revoked");
    throwsMatching(() => engine.applyDelta(undoing, { now }), /^delta is stale: issued at .*, like the delta applied, but not the same bytes/);
    assert.equal(engine.check(web).reason, "token_revoked", "the revocation stands");
    engine.applyDelta(revoking, { now });
    assert.equal(engine.check(web).reason, "token_revoked");
    throwsMatching(() => engine.applyDelta(older, { now }), /^delta is stale: .*: a rollback$/);

    // A fresh engine on the same base is held to the issued_at in use.
    const fresh = api.Engine.load(base, { publicKey: keys.publicKey, now });
    throwsMatching(() => fresh.applyDelta(older, { now, minIssuedAt: engine.info().issuedAt }), /^bundle is a rollback/);
    fresh.applyDelta(revoking, { now, minIssuedAt: engine.info().issuedAt });
    assert.equal(fresh.check(web).reason, "token_revoked");
    engine.free();
    fresh.free();
  }
});
