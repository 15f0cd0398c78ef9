// Signed bundles and the admin API through the built package (pkg/) in Node: keys, build,
// load, tamper, expiry, deltas, preview, audit, canCreateToken, canRevokeToken, profiles.
import { test, before } from "node:test";
import assert from "node:assert/strict";

import {
  init,
  Engine,
  buildBundle,
  buildDelta,
  generateKeyPair,
  publicKeyOf,
  mintToken,
  inspectBundle,
  profileFromOpenApi,
} from "../../pkg/scopegate.js";
import { makeFixture, iso } from "../../scripts/fixture.mjs";

const REPO = "/2.0/repositories/acme/web";
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let fixture, keys, bundle, now;

const bearer = (token) => ({ authorization: `Bearer ${token}` });
const fromBase64url = (text) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
/** Throws, with an Error whose message matches. */
const throwsError = (fn, pattern) => assert.throws(fn, (e) => e instanceof Error && pattern.test(e.message), `expected an Error matching ${pattern}`);

before(async () => {
  await init();
  fixture = makeFixture({ mintToken });
  ({ now } = fixture);
  keys = generateKeyPair();
  bundle = buildBundle(fixture.state, keys.privateKey, { ttlSeconds: 2 * 86_400 });
});

test("generateKeyPair gives base64url keys; publicKeyOf derives the public one", () => {
  assert.match(keys.publicKey, /^[A-Za-z0-9_-]{43}$/);
  assert.match(keys.privateKey, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(publicKeyOf(keys.privateKey), keys.publicKey);
  assert.equal(publicKeyOf(fromBase64url(keys.privateKey)), keys.publicKey, "a Uint8Array key works too");
  assert.notEqual(generateKeyPair().privateKey, keys.privateKey);
});

test("keygen -> buildBundle -> Engine.load -> check allows and denies", () => {
  assert.ok(bundle instanceof Uint8Array);
  const engine = Engine.load(bundle, { publicKey: keys.publicKey });
  const ok = engine.check({ url: REPO, headers: bearer(fixture.tokens["web-read"]), now });
  assert.equal(ok.reason, "ok", ok.message);
  assert.equal(ok.allow, true);
  assert.equal(ok.token.id, "web-read");
  const denied = engine.check({ method: "POST", url: `${REPO}/pullrequests`, headers: bearer(fixture.tokens["mary-readonly"]), now });
  assert.equal(denied.reason, "scope_missing");
  assert.equal(engine.check({ url: REPO, headers: bearer(fixture.tokens["old-ci"]), now }).reason, "token_revoked");
  assert.equal(engine.check({ url: REPO, headers: bearer(fixture.tokens.unknown), now }).reason, "unknown_token");

  const info = engine.info();
  assert.equal(info.signed, true);
  assert.equal(info.tokens, 5);
  assert.equal(info.bundleBytes, bundle.length);
  assert.equal(info.issuedAt, fixture.state.issued_at);
  assert.equal(Date.parse(info.expiresAt), Date.parse(fixture.state.issued_at) + 2 * DAY);
  // The bundle holds digests only, never a secret.
  const text = new TextDecoder("latin1").decode(bundle);
  for (const token of Object.values(fixture.tokens)) assert.ok(!text.includes(token));
  engine.free();
});

test("the same state and key give byte-identical bundles; keys and bytes in any accepted form", () => {
  const again = buildBundle(JSON.stringify(fixture.state), fromBase64url(keys.privateKey), { ttlSeconds: 2 * 86_400 });
  assert.deepEqual(again, bundle);
  const copy = new ArrayBuffer(bundle.length);
  new Uint8Array(copy).set(bundle);
  for (const [bytes, options] of [
    [copy, { publicKey: fromBase64url(keys.publicKey) }],
    [Buffer.from(bundle), { publicKeys: [keys.publicKey] }],
    [new DataView(copy), { publicKey: keys.publicKey, now }],
  ]) {
    assert.equal(Engine.load(bytes, options).info().tokens, 5);
  }
});

test("a tampered bundle throws: any flipped byte, and a cut", () => {
  // Spread over the header, meta, token tables and signature.
  const positions = [0, 5, 20, 40, 120, 500, Math.floor(bundle.length / 2), bundle.length - 300, bundle.length - 65, bundle.length - 1];
  for (const at of positions) {
    const bad = bundle.slice();
    bad[at] ^= 0x01;
    assert.throws(() => Engine.load(bad, { publicKey: keys.publicKey }), Error, `byte ${at}`);
  }
  const flipped = bundle.slice();
  flipped[Math.floor(bundle.length / 2)] ^= 0x40;
  throwsError(() => Engine.load(flipped, { publicKey: keys.publicKey }), /signature does not verify/);
  throwsError(() => Engine.load(bundle.subarray(0, bundle.length - 10), { publicKey: keys.publicKey }), /truncated/);
  throwsError(() => Engine.load(new Uint8Array(0), { publicKey: keys.publicKey }), /truncated|not a scopegate bundle/);
  throwsError(() => Engine.load(new TextEncoder().encode("hello, this is not a bundle at all........................................................................................................................."), { publicKey: keys.publicKey }), /not a scopegate bundle/);
});

test("the wrong key throws naming the bundle's key id; rotation takes a list", () => {
  const other = generateKeyPair();
  const { keyId } = inspectBundle(bundle, { publicKey: keys.publicKey });
  assert.match(keyId, /^[0-9a-f]{16}$/);
  throwsError(() => Engine.load(bundle, { publicKey: other.publicKey }), new RegExp(`key \`${keyId}\``));
  const rotated = Engine.load(bundle, { publicKeys: [other.publicKey, keys.publicKey] });
  assert.equal(rotated.check({ url: REPO, headers: bearer(fixture.tokens["web-read"]), now }).reason, "ok");
});

test("an expired bundle throws at load; one that expires after load denies with bundle_expired", () => {
  const expiresAt = Date.parse(fixture.state.issued_at) + 2 * DAY;
  throwsError(() => Engine.load(bundle, { publicKey: keys.publicKey, now: expiresAt + 1000 }), /bundle expired at/);
  const engine = Engine.load(bundle, { publicKey: keys.publicKey, now });
  const stale = engine.check({ url: REPO, headers: bearer(fixture.tokens["web-read"]), now: expiresAt + 1000 });
  assert.equal(stale.reason, "bundle_expired", stale.message);
  assert.equal(stale.effect, "deny");
  assert.equal(engine.check({ url: REPO, headers: bearer(fixture.tokens["web-read"]), now: expiresAt - 1000 }).reason, "ok");
});

test("misuse throws a TypeError or an Error that says what is missing", () => {
  assert.throws(() => Engine.load(bundle), TypeError);
  assert.throws(() => Engine.load(bundle, {}), /public key is needed/);
  assert.throws(() => Engine.load("not bytes", { publicKey: keys.publicKey }), TypeError);
  assert.throws(() => Engine.load(bundle, { publicKey: 42 }), TypeError);
  throwsError(() => Engine.load(bundle, { publicKey: "not a key" }), /public key: expected 32 bytes/);
  throwsError(() => Engine.load(bundle, { publicKey: new Uint8Array(31) }), /public key: expected 32 bytes, got 31/);
  throwsError(() => buildBundle(fixture.state, keys.privateKey, { ttlSeconds: 0 }), /ttlSeconds/);
  throwsError(() => buildBundle(fixture.state, keys.privateKey, { ttlSeconds: 1.5 }), /ttlSeconds/);
  assert.throws(() => new Engine(), TypeError);
});

test("a bad private key or state throws without echoing the key; nothing is built", () => {
  const secretish = "c2VjcmV0LXNlZWQtdGhhdC1pcy10b28tc2hvcnQ";
  assert.throws(
    () => buildBundle(fixture.state, secretish),
    (e) => e instanceof Error && /private key: expected a 32-byte/.test(e.message) && !e.message.includes(secretish),
  );
  const bad = structuredClone(fixture.state);
  bad.tokens[2].expires_at = "tomorrow";
  throwsError(() => buildBundle(bad, keys.privateKey), /^tokens\[2\]\.expires_at: .*tomorrow/);
});

test("applyDelta with a revocation flips the token to token_revoked", () => {
  const engine = Engine.load(bundle, { publicKey: keys.publicKey, now });
  const token = fixture.tokens["web-deploy"];
  assert.equal(engine.check({ url: REPO, headers: bearer(token), now }).reason, "ok");

  const next = structuredClone(fixture.state);
  next.issued_at = iso(now - 60_000);
  next.tokens.find((t) => t.id === "web-deploy").revoked_at = iso(now - 120_000);
  const delta = buildDelta(bundle, next, keys.privateKey);
  const info = inspectBundle(delta, { publicKey: keys.publicKey });
  assert.equal(info.kind, "delta");
  assert.equal(info.tokens, 1, "only the changed record travels");
  assert.equal(info.base, inspectBundle(bundle, { publicKey: keys.publicKey }).sha256);
  assert.ok(delta.length < bundle.length / 10, `a delta of ${delta.length} bytes for a bundle of ${bundle.length}`);

  engine.applyDelta(delta, { now });
  const d = engine.check({ url: REPO, headers: bearer(token), now });
  assert.equal(d.reason, "token_revoked", d.message);
  assert.equal(engine.check({ url: REPO, headers: bearer(fixture.tokens["web-read"]), now }).reason, "ok");
  assert.equal(engine.info().issuedAt, next.issued_at);
  assert.equal(engine.info().bundleBytes, bundle.length + delta.length);
  throwsError(() => Engine.load(delta, { publicKey: keys.publicKey }), /got a delta/);
});

test("buildDelta from a changes document: a revocation by id reaches token_revoked, same bytes as the full state", () => {
  const engine = Engine.load(bundle, { publicKey: keys.publicKey, now });
  const token = fixture.tokens["web-deploy"];
  assert.equal(engine.check({ url: REPO, headers: bearer(token), now }).reason, "ok");
  const changes = { issued_at: iso(now - 60_000), revoke: [{ id: "web-deploy", at: iso(now - 120_000) }] };
  const delta = buildDelta(bundle, changes, keys.privateKey);
  assert.equal(inspectBundle(delta, { publicKey: keys.publicKey }).tokens, 1);
  // The same end state given in full gives the same bytes; JSON text is detected too.
  const next = structuredClone(fixture.state);
  next.issued_at = changes.issued_at;
  next.tokens.find((t) => t.id === "web-deploy").revoked_at = changes.revoke[0].at;
  assert.deepEqual(buildDelta(bundle, next, keys.privateKey), delta);
  assert.deepEqual(buildDelta(bundle, JSON.stringify(changes), keys.privateKey), delta);

  engine.applyDelta(delta, { now });
  assert.equal(engine.check({ url: REPO, headers: bearer(token), now }).reason, "token_revoked");
  assert.equal(engine.check({ url: REPO, headers: bearer(fixture.tokens["web-read"]), now }).reason, "ok");
  throwsError(() => buildDelta(bundle, { issued_at: changes.issued_at, revoke: ["web-deploy", "nobody"] }, keys.privateKey),
    /^revoke\[1\]: unknown token "nobody"/);
});

test("a policy change alone must name its form: as a state it would remove every token", () => {
  const change = { issued_at: iso(now - 60_000), policies: [], default_policy: { api_tokens: "block" } };
  throwsError(() => buildDelta(bundle, change, keys.privateKey), /no `tokens`: as a new state it would remove every token/);
  const delta = buildDelta(bundle, change, keys.privateKey, { form: "changes" });
  const engine = Engine.load(bundle, { publicKey: keys.publicKey, now });
  engine.applyDelta(delta, { now });
  assert.equal(engine.info().tokens, Engine.load(bundle, { publicKey: keys.publicKey, now }).info().tokens);
});

test("a delta for another base throws and the engine keeps working", () => {
  const engine = Engine.load(bundle, { publicKey: keys.publicKey, now });
  const otherBase = buildBundle(fixture.state, keys.privateKey, { ttlSeconds: 3600 });
  const next = structuredClone(fixture.state);
  next.tokens.find((t) => t.id === "web-read").revoked_at = iso(now - 1000);
  const wrongBase = buildDelta(otherBase, next, keys.privateKey);
  throwsError(() => engine.applyDelta(wrongBase, { now }), /another base bundle/);
  assert.equal(engine.check({ url: REPO, headers: bearer(fixture.tokens["web-read"]), now }).reason, "ok");
  const foreign = buildDelta(bundle, next, generateKeyPair().privateKey);
  throwsError(() => engine.applyDelta(foreign, { now }), /not among the given public keys/);
  assert.throws(() => engine.applyDelta(bundle, { now }), /got a full bundle/);
  assert.throws(() => Engine.fromState(fixture.state).applyDelta(wrongBase), /signed bundle/);
  assert.equal(engine.check({ url: REPO, headers: bearer(fixture.tokens["web-read"]), now }).reason, "ok");
});

test("preview of blocking API tokens lists the token, its owner, and the replayed request that flips", () => {
  const engine = Engine.load(bundle, { publicKey: keys.publicKey, now });
  const change = { policies: [], default_policy: { ...fixture.state.default_policy, api_tokens: "block" } };
  const report = engine.preview(change, {
    now,
    replay: [
      { tokenId: "mary-readonly", url: REPO },
      { tokenId: "web-read", method: "GET", url: REPO, headers: new Headers({ "x-forwarded-for": "203.0.113.9" }) },
      { tokenId: "nobody", url: REPO },
    ],
  });
  assert.equal(report.tokensEvaluated, 5);
  assert.equal(report.changedCount, 1);
  assert.equal(report.newlyDenied, 1);
  assert.deepEqual(report.byReason, { api_tokens_blocked: 1 });
  assert.deepEqual(report.byOwner, { "u-mary": 1 });
  const [change0] = report.changed;
  assert.equal(change0.id, "mary-readonly");
  assert.equal(change0.kind, "api_token");
  assert.equal(change0.before, "ok");
  assert.equal(change0.after, "api_tokens_blocked");
  assert.equal(change0.policyAfter, "default");
  assert.equal(report.replay.requests, 3);
  assert.equal(report.replay.flippedCount, 1);
  assert.equal(report.replay.unknownTokenIds, 1);
  assert.deepEqual(report.replay.flipped[0].before, { effect: "allow", reason: "ok" });
  assert.deepEqual(report.replay.flipped[0].after, { effect: "deny", reason: "api_tokens_blocked" });
  // A whole proposed state works too (it has issued_at), as JSON text as well.
  const whole = structuredClone(fixture.state);
  whole.tokens = whole.tokens.filter((t) => t.id !== "web-read");
  const removed = engine.preview(JSON.stringify(whole), { now });
  assert.equal(removed.changed[0].id, "web-read");
  assert.equal(removed.changed[0].after, "unknown_token");
  assert.equal(removed.replay, undefined);
  throwsError(() => engine.preview({ policies: [{ name: "x", max_token_lifetime_days: "long" }], default_policy: {} }), /^policies\[0\]\.max_token_lifetime_days/);
  assert.throws(() => engine.preview(change, { replay: [{ tokenId: "x", url: REPO }, { tokenId: "x", url: REPO, secret: "no" }] }), (e) => e instanceof TypeError && /^replay\[1\]: unknown field `secret`/.test(e.message));
});

/** The fixture plus an app password, a deactivated admin's org key, and a user without 2FA. */
function auditState() {
  const state = structuredClone(fixture.state);
  state.principals.push(
    { id: "u-gone", kind: "user", email: "gone@acme.test", status: "deactivated", groups: ["admins"], two_factor: true },
    { id: "u-bob", kind: "user", email: "bob@acme.test", status: "active", groups: ["contractors"], two_factor: false },
  );
  state.policies = [{ name: "contractors", members: { groups: ["contractors"] }, require_2fa: true }];
  state.tokens.push(
    {
      id: "mary-app-password", kind: "app_password", principal: "u-mary", access: "read_write",
      secret_sha256: mintToken("app_password").sha256, created_at: iso(now - DAY), expires_at: iso(now + 100 * DAY),
    },
    {
      id: "gone-org-key", kind: "org_api_key", created_by: "u-gone", scopes: ["repository"],
      secret_sha256: mintToken("org_api_key").sha256, created_at: iso(now - DAY), expires_at: iso(now + 100 * DAY),
    },
  );
  return state;
}

test("audit finds the app password, the orphaned key, the expiring token and the user without 2FA", () => {
  const engine = Engine.load(buildBundle(auditState(), keys.privateKey), { publicKey: keys.publicKey, now });
  const report = engine.audit({ now, expiringWithinDays: 400 });
  const kinds = (id) => report.findings.filter((f) => f.tokenId === id).map((f) => f.kind);
  assert.ok(kinds("mary-app-password").includes("app_password"), JSON.stringify(report.findings));
  assert.ok(kinds("gone-org-key").includes("orphaned"));
  const orphan = report.findings.find((f) => f.tokenId === "gone-org-key" && f.kind === "orphaned");
  assert.equal(orphan.severity, "high");
  assert.match(orphan.message, /u-gone/);
  assert.ok(kinds("web-read").includes("expiring_soon"));
  assert.ok(report.findings.some((f) => f.kind === "no2fa" && f.principal === "u-bob"));
  assert.equal(report.summary.app_password, 1);
  assert.equal(report.tokens, 7);
  assert.equal(report.activeTokens, 5);
  assert.equal(report.truncated, false);
  // Most severe first.
  const order = ["high", "medium", "low", "info"];
  const ranks = report.findings.map((f) => order.indexOf(f.severity));
  assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b));
  // A 30-day window (the default) does not call a 300-day token expiring.
  assert.ok(!engine.audit({ now }).findings.some((f) => f.kind === "expiring_soon"));
  assert.throws(() => engine.audit({ expiringWithinDays: -1 }), /expiringWithinDays/);
});

test("canCreateToken decides by token-management permissions and policy", () => {
  const state = structuredClone(fixture.state);
  state.principals.push({ id: "u-viewer", kind: "user", email: "v@acme.test", status: "active", groups: ["viewers"] });
  state.token_permissions = { use: ["*"], create: ["developers"], create_write: ["developers"], create_for_others: [] };
  const engine = Engine.load(buildBundle(state, keys.privateKey), { publicKey: keys.publicKey, now });
  const expiresAt = iso(now + 30 * DAY);
  const ok = engine.canCreateToken("u-mary", { kind: "api_token", scopes: ["repository"], expiresAt }, { now });
  assert.equal(ok.reason, "ok", ok.message);
  assert.equal(ok.allow, true);
  assert.equal(ok.policy, "default");
  assert.equal(engine.canCreateToken("u-viewer", { kind: "api_token", expires_at: expiresAt }, { now }).reason, "principal_lacks_permission");
  assert.equal(engine.canCreateToken("u-mary", { kind: "api_token", principal: "u-viewer", expires_at: expiresAt }, { now }).reason, "principal_lacks_permission");
  assert.equal(engine.canCreateToken("u-mary", { kind: "api_token" }, { now }).reason, "token_lifetime_exceeds_policy");
  assert.equal(engine.canCreateToken("u-nobody", { kind: "api_token", expires_at: expiresAt }, { now }).reason, "principal_inactive");
  throwsError(() => engine.canCreateToken("u-mary", { kind: "api_token", scopes: ["no-such-scope"] }), /unknown scope `no-such-scope`/);
  throwsError(() => engine.canCreateToken("u-mary", { kind: "banana" }), /^spec: unknown variant `banana`/);
  assert.throws(() => engine.canCreateToken("u-mary", "api_token"), TypeError);
});

test("canCreateToken asks create_write for every scope that writes, by level or by verb", () => {
  const state = structuredClone(fixture.state);
  state.token_permissions = { use: ["*"], create: ["developers"], create_write: ["maintainers"], create_for_others: [] };
  const engine = Engine.fromState(state);
  const expiresAt = iso(now + 30 * DAY);
  for (const scopes of [["snippet:write"], ["account:write"], ["write:repository:bitbucket"], ["delete:snippet:bitbucket"]]) {
    const d = engine.canCreateToken("u-mary", { kind: "api_token", scopes, expiresAt }, { now });
    assert.equal(d.reason, "principal_lacks_permission", scopes[0]);
    assert.match(d.message, /may create read-only tokens only: scope `.+` writes$/);
  }
  assert.equal(engine.canCreateToken("u-mary", { kind: "api_token", access: "read_write", expiresAt }, { now }).reason, "principal_lacks_permission");
  assert.equal(engine.canCreateToken("u-mary", { kind: "api_token", scopes: ["snippet", "account"], expiresAt }, { now }).reason, "ok");
  engine.free();
});

test("canRevokeToken: own tokens, create_for_others, admins of an access token's resource", () => {
  const state = structuredClone(fixture.state);
  state.principals.push(
    { id: "u-root", kind: "user", email: "root@acme.test", status: "active", groups: ["admins"] },
    { id: "u-wade", kind: "user", email: "wade@acme.test", status: "active", groups: [], permissions: [{ resource: "acme/web", level: "admin" }] },
    { id: "u-bob", kind: "user", email: "bob@acme.test", status: "active", groups: ["developers"], permissions: [{ resource: "acme", level: "write" }] },
    { id: "u-gone", kind: "user", email: "gone@acme.test", status: "deactivated", groups: ["admins"] },
  );
  state.token_permissions = { use: ["*"], create: ["developers"], create_write: ["developers"], create_for_others: ["admins"] };
  // Through a signed bundle: the tokens are found by id in the zero-copy table.
  const engine = Engine.load(buildBundle(state, keys.privateKey), { publicKey: keys.publicKey, now });
  const revoke = (actor, id) => engine.canRevokeToken(actor, id, { now });
  const own = revoke("u-mary", "mary-readonly");
  assert.equal(own.reason, "ok", own.message);
  assert.equal(own.allow, true);
  assert.equal(own.effect, "allow");
  assert.deepEqual(own.token, { id: "mary-readonly", kind: "api_token", label: "mary's laptop (read only)", principal: "u-mary" });
  assert.equal(revoke("u-mary", "web-read").reason, "ok", "the creator of an access token");
  assert.equal(revoke("u-bob", "mary-readonly").reason, "principal_lacks_permission");
  assert.equal(revoke("u-bob", "web-read").reason, "principal_lacks_permission", "a writer is no admin");
  assert.equal(revoke("u-wade", "web-read").reason, "ok", "an admin of the token's repository");
  assert.equal(revoke("u-wade", "mary-readonly").reason, "principal_lacks_permission");
  assert.equal(revoke("u-root", "mary-readonly").reason, "ok", "create_for_others");
  assert.equal(revoke("u-gone", "mary-readonly").reason, "principal_inactive");
  assert.equal(revoke("u-nobody", "mary-readonly").reason, "principal_inactive");
  assert.match(revoke("u-mary", "old-ci").message, /already revoked/);
  throwsError(() => revoke("u-root", "no-such-token"), /^tokenId: no token has this id$/);
  const secret = fixture.tokens["web-read"];
  throwsError(() => revoke("u-root", secret), /^tokenId: expected a token id, got a token secret/);
  try {
    revoke("u-root", secret);
  } catch (e) {
    assert.ok(!e.message.includes(secret), "the secret is never echoed");
  }
  assert.throws(() => engine.canRevokeToken("u-root", 7), TypeError);
  assert.throws(() => engine.canRevokeToken(undefined, "web-read"), TypeError);
  engine.free();
});

const TINY_SPEC = {
  openapi: "3.0.3",
  info: { title: "Tiny Notes API", version: "1" },
  servers: [{ url: "https://api.example.test/v1" }],
  components: {
    securitySchemes: {
      oauth: { type: "oauth2", flows: { clientCredentials: { tokenUrl: "https://x", scopes: { "notes:read": "", "notes:write": "" } } } },
    },
  },
  paths: {
    "/workspaces/{workspace}/notes/{id}": {
      get: { security: [{ oauth: ["notes:read"] }, { oauth: ["notes:write"] }] },
      delete: { security: [{ oauth: ["notes:write"] }] },
    },
  },
};

test("profileFromOpenApi turns a tiny spec into a profile a state can use", () => {
  const profile = profileFromOpenApi(TINY_SPEC);
  assert.equal(profile.name, "tiny-notes-api");
  assert.equal(profile.base_path, "/v1");
  assert.deepEqual(profile.scopes.map((s) => s.name), ["notes:read", "notes:write"]);
  const get = profile.routes.find((r) => r.method === "GET");
  assert.equal(get.path, "/v1/workspaces/{workspace}/notes/{id}");
  assert.deepEqual(get.any_of, [["notes:read"], ["notes:write"]]);
  assert.equal(profileFromOpenApi(JSON.stringify(TINY_SPEC), { name: "notes" }).name, "notes");
  throwsError(() => profileFromOpenApi({ openapi: "2.0" }), /^openapi: expected an OpenAPI 3 version/);
  throwsError(() => profileFromOpenApi("{"), /not a JSON document/);

  const reader = mintToken("workspace_access_token");
  const state = {
    issued_at: fixture.state.issued_at,
    profile,
    resources: { workspaces: [{ slug: "acme" }] },
    tokens: [{
      id: "notes-reader", kind: "workspace_access_token", resource: "acme", scopes: ["notes:read"], secret_sha256: reader.sha256,
      created_at: iso(now - DAY), expires_at: iso(now + 30 * DAY),
    }],
  };
  const engine = Engine.load(buildBundle(state, keys.privateKey), { publicKey: keys.publicKey, now });
  assert.equal(engine.info().profile, "tiny-notes-api");
  assert.equal(engine.check({ url: "https://api.example.test/v1/workspaces/acme/notes/7", headers: bearer(reader.token), now }).reason, "ok");
  const d = engine.check({ method: "DELETE", url: "/v1/workspaces/acme/notes/7", headers: bearer(reader.token), now });
  assert.equal(d.reason, "scope_missing");
  assert.deepEqual(d.required.anyOf, [["notes:write"]]);
  assert.equal(engine.check({ url: "/v1/elsewhere", headers: bearer(reader.token), now }).reason, "route_unknown");
});

test("a profile from profileFromOpenApi, given back broken, is refused with its path inside the state", () => {
  const base = { issued_at: fixture.state.issued_at, resources: { workspaces: [{ slug: "acme" }] } };
  const withProfile = (edit) => {
    const profile = profileFromOpenApi(TINY_SPEC);
    edit(profile);
    return { ...base, profile };
  };
  assert.equal(Engine.fromState(withProfile(() => {})).info().profile, "tiny-notes-api");
  throwsError(() => Engine.fromState(withProfile((p) => { p.routes[1].any_of[0].push(5); })),
    /^profile\.routes\[1\]\.any_of\[0\]\[1\]: expected a scope name, got number `5`$/);
  throwsError(() => Engine.fromState(withProfile((p) => { p.scopes[0].level = "owner"; })),
    /^profile\.scopes\[0\]\.level: unknown variant "owner", expected one of `read`, `write`, `admin`$/);
  throwsError(() => Engine.fromState(withProfile((p) => { p.scopes[0].implies = ["nope"]; })),
    /^profile\.scopes\[0\]\.implies\[0\]: unknown scope `nope`$/);
  throwsError(() => Engine.fromState(withProfile((p) => { p.routes[0].methd = "GET"; })),
    /^profile\.routes\[0\]\.methd: unknown field `methd`, expected one of `method`, `path`/);
  throwsError(() => buildBundle(withProfile((p) => { delete p.base_path; }), keys.privateKey), /^profile: missing field `base_path`$/);
});

test("a changes document is read like a state: its errors name their JSON path", () => {
  const at = iso(now - 60_000);
  const token = fixture.state.tokens[0];
  throwsError(() => buildDelta(bundle, { issued_at: at, revoke: [7] }, keys.privateKey),
    /^revoke\[0\]: expected a token id or \{"id", "at"\}, got number `7`$/);
  throwsError(() => buildDelta(bundle, { issued_at: at, revoke: [{ id: token.id, at: "soon" }] }, keys.privateKey),
    /^revoke\[0\]\.at: expected an RFC 3339 time, got "soon"$/);
  throwsError(() => buildDelta(bundle, { issued_at: at, upsert: [{ ...token, id: "t-x", created_at: 5 }] }, keys.privateKey),
    /^upsert\[0\]\.created_at: expected an RFC 3339 time, got number `5`$/);
  throwsError(() => buildDelta(bundle, { issued_at: at, remove: [token.id], default_policy: { ip_allowlist: ["nope"] } }, keys.privateKey),
    /^default_policy\.ip_allowlist\[0\]: expected a CIDR block like "203\.0\.113\.0\/24", got "nope"$/);
  const signed = Engine.load(bundle, { publicKey: keys.publicKey, now });
  throwsError(() => signed.withChanges({ issued_at: at, upsert: [{ ...token, id: "t-x", kind: "repo_token" }] }),
    /^upsert\[0\]\.kind: unknown variant "repo_token", expected one of `repository_access_token`/);
});

test("profileFromOpenApi gives every route a level: granular verbs, else the method class", () => {
  const spec = structuredClone(TINY_SPEC);
  spec.components.securitySchemes.oauth.flows.clientCredentials.scopes["read:notes"] = "";
  spec.components.securitySchemes.oauth.flows.clientCredentials.scopes["admin:notes"] = "";
  spec.paths["/workspaces/{workspace}/notes/{id}"].post = { security: [{ oauth: ["read:notes"] }] };
  spec.paths["/workspaces/{workspace}/notes/{id}"].put = { security: [{ oauth: ["admin:notes"] }] };
  const profile = profileFromOpenApi(spec);
  const level = (method) => profile.routes.find((r) => r.method === method).level;
  assert.equal(level("GET"), "read");
  assert.equal(level("DELETE"), "write", "no granular-style scope: the method class");
  assert.equal(level("POST"), "read", "the spec's verb");
  assert.equal(level("PUT"), "admin");
  assert.ok(profile.routes.every((r) => r.owner_check === false));

  const minted = { ro: mintToken("workspace_access_token"), rw: mintToken("workspace_access_token") };
  const token = (id, access) => ({
    id, kind: "workspace_access_token", resource: "acme", access, secret_sha256: minted[id].sha256,
    created_at: iso(now - DAY), expires_at: iso(now + 30 * DAY),
  });
  const engine = Engine.fromState({
    issued_at: fixture.state.issued_at, profile, resources: { workspaces: [{ slug: "acme" }] },
    tokens: [token("ro", "read_only"), token("rw", "read_write")],
  });
  const check = (method, id) => engine.check({ method, url: "/v1/workspaces/acme/notes/7", headers: bearer(minted[id].token), now }).reason;
  assert.equal(check("GET", "ro"), "ok");
  assert.equal(check("POST", "ro"), "scope_missing", "a read-only mode never changes anything");
  assert.equal(check("DELETE", "rw"), "ok");
  assert.equal(check("PUT", "rw"), "scope_missing", "no access mode stands for admin scopes");
  // A profile without levels (written before them) takes the method class.
  const old = structuredClone(profile);
  for (const r of old.routes) delete r.level;
  const legacy = Engine.fromState({ issued_at: fixture.state.issued_at, profile: old, resources: { workspaces: [{ slug: "acme" }] },
    tokens: [token("rw", "read_write")] });
  assert.equal(legacy.check({ method: "PUT", url: "/v1/workspaces/acme/notes/7", headers: bearer(minted.rw.token), now }).reason, "ok");
  engine.free();
  legacy.free();
});

test("the built-in Bitbucket profile: REST and Git over HTTP, through a signed bundle", () => {
  const engine = Engine.load(bundle, { publicKey: keys.publicKey, now });
  assert.equal(engine.info().profile, "bitbucket-cloud");
  assert.ok(engine.info().routes > 100);
  const read = fixture.tokens["web-read"];
  const deploy = fixture.tokens["web-deploy"];
  const basic = (user, secret) => ({ authorization: `Basic ${btoa(`${user}:${secret}`)}` });
  const cases = [
    // A pull request list needs `pullrequest`; `pullrequest:write` implies it, `repository` does not.
    ["GET", `${REPO}/pullrequests`, bearer(deploy), "ok"],
    ["GET", `${REPO}/pullrequests`, bearer(read), "scope_missing"],
    // Git smart HTTP with the access-token username.
    ["GET", "/acme/web.git/info/refs?service=git-upload-pack", basic("x-token-auth", read), "ok"],
    ["GET", "/acme/web.git/info/refs?service=git-receive-pack", basic("x-token-auth", read), "scope_missing"],
    ["POST", "/acme/web.git/git-receive-pack", basic("x-token-auth", deploy), "ok"],
    // An API token with Basic email:token, within its user's permission.
    ["GET", REPO, basic("mary@acme.test", fixture.tokens["mary-readonly"]), "ok"],
    // Another principal's name with it is refused.
    ["GET", REPO, basic("someone@else.test", fixture.tokens["mary-readonly"]), "unknown_token"],
  ];
  for (const [method, url, headers, reason] of cases) {
    const d = engine.check({ method, url, headers, now });
    assert.equal(d.reason, reason, `${method} ${url}: ${d.message}`);
  }
});

test("estate, policies and withPolicies over a signed bundle (the admin page's view)", () => {
  const engine = Engine.load(bundle, { publicKey: keys.publicKey, now });
  const estate = engine.estate({ now, weeks: 52 });
  assert.equal(estate.total, 5);
  assert.deepEqual(estate.byKind, { api_token: 1, repository_access_token: 4 });
  assert.equal(estate.revoked, 1);
  assert.equal(estate.expired, 1);
  assert.equal(estate.weeks.length, 52);
  assert.equal(estate.weeks.reduce((a, b) => a + b, 0) + estate.later + estate.noExpiry, 3);
  assert.equal(engine.estate({ now }).weeks.length, 26);
  assert.throws(() => engine.estate({ weeks: 500 }), /weeks/);

  const policies = engine.policies();
  assert.deepEqual(policies.policies, []);
  assert.equal(policies.default_policy.api_tokens, "allow");
  assert.equal(policies.network.client_ip_header, "x-forwarded-for");
  assert.equal(engine.preview(policies, { now }).changedCount, 0, "the policies as given change nothing");

  const blocked = engine.withPolicies({ ...policies, default_policy: { ...policies.default_policy, api_tokens: "block" } });
  const auth = bearer(fixture.tokens["mary-readonly"]);
  assert.equal(blocked.check({ url: REPO, headers: auth, now }).reason, "api_tokens_blocked");
  assert.equal(blocked.info().signed, false);
  assert.equal(engine.check({ url: REPO, headers: auth, now }).reason, "ok", "the signed engine is unchanged");
  throwsError(() => engine.withPolicies({ policies: [{ name: "p", max_token_lifetime_days: 0 }], default_policy: {} }), /^policies\[0\]\.max_token_lifetime_days/);
});

test("a default_policy-only change keeps the listed policies (preview, withPolicies, buildDelta)", () => {
  const state = structuredClone(fixture.state);
  state.policies = [{ name: "devs", members: { groups: ["developers"] }, api_tokens: "allow" }];
  const engine = Engine.fromState(state);
  const change = { default_policy: { api_tokens: "block" } };
  // Mary is in `devs`, which still allows API tokens: nothing changes for her token.
  assert.equal(engine.preview(change, { now }).changedCount, 0);
  const applied = engine.withPolicies(change);
  assert.deepEqual(applied.policies().policies.map((p) => p.name), ["devs"]);
  assert.equal(applied.policies().default_policy.api_tokens, "block");
  // Without `devs`, the same change blocks her token.
  assert.equal(Engine.fromState(fixture.state).preview(change, { now }).changedCount, 1);
  const delta = buildDelta(bundle, { issued_at: fixture.state.issued_at, ...change }, keys.privateKey, { form: "changes" });
  const signed = Engine.load(bundle, { publicKey: keys.publicKey, now });
  signed.applyDelta(delta, { now });
  assert.equal(signed.check({ url: REPO, headers: bearer(fixture.tokens["mary-readonly"]), now }).reason, "api_tokens_blocked");
});

test("preview lists up to maxListed changed tokens; the counts are exact", () => {
  const engine = Engine.fromState(fixture.state);
  const cap = { default_policy: { max_token_lifetime_days: 1 } };
  const all = engine.preview(cap, { now, maxListed: 1e9 });
  assert.equal(all.changedCount, 3);
  assert.equal(all.changed.length, 3);
  const one = engine.preview(cap, { now, maxListed: 1 });
  assert.equal(one.changedCount, 3);
  assert.deepEqual(one.changed, all.changed.slice(0, 1));
  throwsError(() => engine.preview(cap, { maxListed: -1 }), /maxListed/);
  assert.throws(() => engine.preview(cap, { maxListed: "all" }), TypeError);
});

test("withChanges: the working state of a bundle or a state, as its signed delta would make it", () => {
  const signed = Engine.load(bundle, { publicKey: keys.publicKey, now });
  const minted = mintToken("api_token");
  const changes = {
    issued_at: iso(now),
    revoke: ["web-read"],
    upsert: [{ id: "mary-new", kind: "api_token", secret_sha256: minted.sha256, principal: "u-mary", access: "read_only",
               created_at: iso(now), expires_at: iso(now + 30 * DAY) }],
  };
  const viaDelta = Engine.load(bundle, { publicKey: keys.publicKey, now });
  viaDelta.applyDelta(buildDelta(bundle, changes, keys.privateKey), { now });
  const onBundle = signed.withChanges(changes);
  const onState = Engine.fromState(fixture.state).withChanges(changes);
  for (const token of [fixture.tokens["web-read"], fixture.tokens["web-deploy"], minted.token, fixture.tokens["old-ci"]]) {
    const want = viaDelta.check({ url: REPO, headers: bearer(token), now });
    assert.deepEqual(onBundle.check({ url: REPO, headers: bearer(token), now }), want);
    assert.deepEqual(onState.check({ url: REPO, headers: bearer(token), now }), want);
  }
  assert.equal(onBundle.check({ url: REPO, headers: bearer(fixture.tokens["web-read"]), now }).reason, "token_revoked");
  assert.equal(onBundle.check({ url: REPO, headers: bearer(minted.token), now }).reason, "ok");
  assert.equal(signed.check({ url: REPO, headers: bearer(fixture.tokens["web-read"]), now }).reason, "ok", "unchanged");
  assert.deepEqual(onBundle.info(), { ...onState.info() }, "the same snapshot either way");
  throwsError(() => signed.withChanges({ issued_at: iso(now), revoke: ["nope"] }), /^revoke\[0\]: unknown token "nope"$/);
  throwsError(() => signed.withChanges({ issued_at: "2000-01-01T00:00:00Z" }), /^issued_at: .* before the base/);
});

test("engine.buildBundle and engine.state: sign the working state, export it as a state", () => {
  const changes = { issued_at: iso(now), revoke: ["web-read"] };
  const onState = Engine.fromState(fixture.state).withChanges(changes);
  const onBundle = Engine.load(bundle, { publicKey: keys.publicKey, now }).withChanges(changes);
  const rebuilt = onState.buildBundle(keys.privateKey, { ttlSeconds: 3600 });
  assert.ok(rebuilt instanceof Uint8Array);
  assert.deepEqual(onBundle.buildBundle(keys.privateKey, { ttlSeconds: 3600 }), rebuilt, "the same bytes from a bundle or its state");
  const exported = onState.state();
  assert.equal(exported.issued_at, iso(now));
  assert.equal(exported.tokens.find((t) => t.id === "web-read").revoked_at, iso(now));
  assert.deepEqual(buildBundle(exported, keys.privateKey, { ttlSeconds: 3600 }), rebuilt, "the exported state builds the same bundle");
  assert.ok(!JSON.stringify(exported).includes(fixture.tokens["web-read"]), "digests, never secrets");
  const loaded = Engine.load(rebuilt, { publicKey: keys.publicKey, now });
  assert.equal(loaded.check({ url: REPO, headers: bearer(fixture.tokens["web-read"]), now }).reason, "token_revoked");
  throwsError(() => onBundle.state(), /keeps only the first 16 bytes of each secret digest/);
  throwsError(() => onState.buildBundle(keys.publicKey.slice(0, 10)), /key/i);
});
