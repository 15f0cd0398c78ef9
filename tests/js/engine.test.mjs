// The built package (pkg/) in Node: real decisions for a small state made here.
import { test, before } from "node:test";
import assert from "node:assert/strict";

import { init, Engine, mintToken, digestToken } from "../../pkg/scopegate.js";
import { makeFixture, typo } from "../../scripts/fixture.mjs";

const REPO = "/2.0/repositories/acme/web";
let engine, tokens, now, state;

before(async () => {
  await init(); // no argument: Node reads the .wasm next to the module from disk
  const fixture = makeFixture({ mintToken });
  ({ tokens, now, state } = fixture);
  engine = Engine.fromState(fixture.state);
});

const bearer = (token) => ({ authorization: `Bearer ${token}` });

test("mintToken gives a prefixed, checksummed token and its SHA-256", () => {
  const minted = mintToken("repository_access_token");
  assert.match(minted.token, /^sgr_[0-9A-Za-z]{49}$/);
  assert.match(minted.sha256, /^[0-9a-f]{64}$/);
  assert.equal(digestToken(minted.token), minted.sha256);
  assert.notEqual(mintToken("api_token").token, mintToken("api_token").token);
  assert.match(mintToken("api_token").token, /^sga_/);
});

test("digestToken is plain SHA-256 hex", () => {
  assert.equal(digestToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});

test("mintToken with an unknown kind throws a real Error", () => {
  assert.throws(() => mintToken("banana"), (e) => e instanceof Error && /unknown token kind/.test(e.message));
});

test("allow: a repository access token with scope `repository` reads its repository", () => {
  const d = engine.check({ method: "GET", url: REPO, headers: bearer(tokens["web-read"]), now });
  assert.equal(d.reason, "ok", d.message);
  assert.equal(d.effect, "allow");
  assert.equal(d.allow, true);
  assert.equal(d.token.id, "web-read");
  assert.equal(d.token.kind, "repository_access_token");
  assert.ok(d.granted.includes("repository"));
  // A plain object, as JSON would give: no Maps, nothing to convert before logging it.
  assert.equal(Object.getPrototypeOf(d), Object.prototype);
  assert.deepEqual(JSON.parse(JSON.stringify(d)), d);
  // Never the secret.
  assert.ok(!JSON.stringify(d).includes(tokens["web-read"]));
});

test("scope_missing: a write with a read-only token", () => {
  const d = engine.check({
    method: "POST",
    url: `${REPO}/pullrequests`,
    headers: bearer(tokens["mary-readonly"]),
    now,
  });
  assert.equal(d.reason, "scope_missing", d.message);
  assert.equal(d.effect, "deny");
  assert.equal(d.allow, false);
});

test("the same read-only token may read", () => {
  const d = engine.check({ method: "GET", url: REPO, headers: bearer(tokens["mary-readonly"]), now });
  assert.equal(d.reason, "ok", d.message);
});

test("deny reasons from the credential and the token's state", () => {
  const cases = [
    ["no_credentials", {}],
    ["malformed_credentials", { authorization: "Bearer" }],
    ["malformed_credentials", { authorization: "Token abc" }],
    ["bad_token_checksum", bearer(typo(tokens["web-read"]))],
    ["unknown_token", bearer(tokens.unknown)],
    ["token_revoked", bearer(tokens["old-ci"])],
    ["token_expired", bearer(tokens.expired)],
  ];
  for (const [reason, headers] of cases) {
    const d = engine.check({ method: "GET", url: REPO, headers, now });
    assert.equal(d.reason, reason, `${JSON.stringify(headers).slice(0, 40)}: ${d.message}`);
    assert.equal(d.effect, "deny");
    assert.equal(typeof d.message, "string");
    assert.ok(d.message.length > 0);
  }
});

test("anonymous reads of a public repository are allowed", () => {
  const d = engine.check({ url: "/2.0/repositories/acme/docs", now });
  assert.equal(d.reason, "anonymous_public_read", d.message);
  assert.equal(d.allow, true);
});

test("`now` decides expiry: the expired token was fine before it expired", () => {
  // A snapshot from 20 days ago, asked 10 days ago: a `now` before a snapshot's issued_at is
  // refused (`bundle_not_yet_valid`), so the snapshot must be older.
  const earlier = Engine.fromState({ ...state, issued_at: new Date(now - 20 * 86_400_000).toISOString() });
  const d = earlier.check({ url: REPO, headers: bearer(tokens.expired), now: now - 10 * 86_400_000 });
  assert.equal(d.reason, "ok", d.message);
  assert.equal(earlier.check({ url: REPO, headers: bearer(tokens.expired), now }).reason, "token_expired");
  earlier.free();
});

test("headers as an object, pairs, a Map or a Fetch Headers give the same decision", () => {
  const auth = `Bearer ${tokens["web-read"]}`;
  for (const headers of [
    { Authorization: auth },
    [["authorization", auth]],
    new Map([["authorization", auth]]),
    new Headers({ Authorization: auth }),
    { authorization: [auth] },
  ]) {
    assert.equal(engine.check({ url: REPO, headers, now }).reason, "ok");
  }
});

test("checkRequest takes a Fetch API Request", () => {
  const request = new Request(`https://api.bitbucket.org${REPO}`, {
    headers: { authorization: `Bearer ${tokens["web-read"]}`, "x-forwarded-for": "203.0.113.7" },
  });
  const d = engine.checkRequest(request, { remoteAddr: "127.0.0.1", now });
  assert.equal(d.reason, "ok", d.message);
  assert.equal(d.clientIp, "203.0.113.7");
  const denied = engine.checkRequest(new Request(`https://api.bitbucket.org${REPO}`, { method: "DELETE" }), { now });
  assert.equal(denied.reason, "no_credentials");
});

test("explain gives the decision and every step", () => {
  const { decision, steps } = engine.explain({ url: REPO, headers: bearer(tokens["old-ci"]), now });
  assert.equal(decision.reason, "token_revoked");
  assert.ok(Array.isArray(steps) && steps.length > 2);
  for (const s of steps) {
    assert.equal(typeof s.step, "string");
    assert.equal(typeof s.ok, "boolean");
    assert.equal(typeof s.detail, "string");
  }
  assert.ok(steps.some((s) => s.step === "token_state" && !s.ok));
});

test("info counts the snapshot", () => {
  const info = engine.info();
  assert.equal(info.profile, "bitbucket-cloud");
  assert.equal(info.tokens, 5);
  assert.equal(info.principals, 1);
  assert.equal(info.repositories, 2);
  assert.equal(info.signed, false);
  assert.match(info.issuedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test("fromState takes JSON text too", () => {
  const e = Engine.fromState(JSON.stringify({ issued_at: "2026-11-22T10:00:00Z" }));
  assert.equal(e.info().tokens, 0);
  assert.equal(e.check({ url: REPO }).reason, "no_credentials");
  e.free();
});

test("a bad state throws an Error naming the JSON path", () => {
  const { state } = makeFixture({ mintToken, now });
  state.tokens[1].expires_at = "tomorrow";
  assert.throws(
    () => Engine.fromState(state),
    (e) => e instanceof Error && e.message.startsWith("tokens[1].expires_at") && e.message.includes("tomorrow"),
  );
  assert.throws(() => Engine.fromState("{"), Error);
  assert.throws(() => Engine.fromState({}), (e) => e instanceof Error && /issued_at/.test(e.message));
});

test("misuse throws, a deny never does", () => {
  assert.throws(() => new Engine({}), TypeError);
  assert.throws(() => engine.check(null), TypeError);
  assert.throws(() => engine.check({ method: "GET" }), (e) => e instanceof Error && /url/.test(e.message));
  assert.throws(() => engine.check({ url: REPO, now: Number.NaN }), (e) => e instanceof Error && /now/.test(e.message));
  assert.throws(() => engine.check({ url: REPO, headers: 5 }), (e) => e instanceof Error && e.message.startsWith("request: "));
  assert.throws(() => engine.check({ url: REPO, method: 7 }), (e) => e instanceof Error && e.message.startsWith("request: "));
  assert.throws(() => engine.check({ url: REPO, headers: { authorization: 5 } }), (e) => e instanceof TypeError && e.message.startsWith("request: "));
  // NUL separates header parts on the way into the engine: refused inside a name or value, as HTTP does.
  assert.throws(() => engine.check({ url: REPO, headers: { authorization: "Bearer x\0injected" } }), /NUL/);
  assert.throws(() => engine.check({ url: REPO, remoteAddr: 127 }), /remoteAddr/);
  // The engine is still usable after a thrown error (no panic killed the instance).
  assert.equal(engine.check({ url: REPO, headers: bearer(tokens["web-read"]), now }).reason, "ok");
});

test("the default clock is Date.now()", () => {
  assert.equal(engine.check({ url: REPO, headers: bearer(tokens["web-read"]) }).reason, "ok");
  assert.equal(engine.check({ url: REPO, headers: bearer(tokens.expired) }).reason, "token_expired");
});
