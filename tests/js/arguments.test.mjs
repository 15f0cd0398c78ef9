// Arguments of the wrong type: a TypeError from js/api.js's one helper, naming where and the
// kind of value that came, never the value itself (it may be a secret).
import { test, before } from "node:test";
import assert from "node:assert/strict";

import { init, Engine, buildBundle, generateKeyPair, publicKeyOf, keyIdOf, inspectBundle, digestToken } from "../../pkg/scopegate.js";

let engine;
before(async () => {
  await init();
  engine = Engine.fromState({ issued_at: "2026-11-22T10:00:00Z" });
});

const SECRET = "sgr_not-a-real-token-but-treated-as-one";

test("each argument error says where, what was expected and what kind of value came", () => {
  const cases = [
    [() => engine.check({ url: 42 }), "request: url: expected a URL or a path, as a string, got a number"],
    [() => engine.check({ url: "/", method: ["GET"] }), 'request: method: expected a string such as "GET", got an array'],
    [() => engine.check(null), "request: expected an object { method, url, headers, remoteAddr, now }, got null"],
    [() => engine.check({ url: "/", remoteAddr: 7 }), "request: remoteAddr: expected an IP address as a string, got a number"],
    [() => engine.canCreateToken(undefined, { kind: "api_token" }), "canCreateToken: actorId: expected a principal id string, got nothing"],
    [() => engine.audit({ expiringWithinDays: "30" }), "audit: expiringWithinDays: expected a number of days, got a string"],
    [() => engine.preview({}, { replay: {} }), "replay: expected an array of requests, got an object (Object)"],
    [() => generateKeyPair({ typed: "yes" }), "generateKeyPair: typed: expected a boolean, got a string"],
    [() => digestToken(SECRET.length), "digestToken: token: expected a string, got a number"],
    [() => buildBundle({ issued_at: "2026-11-22T10:00:00Z" }, 5), /^privateKey: expected key text .* got a number$/],
  ];
  for (const [call, message] of cases) {
    assert.throws(call, (e) => e instanceof TypeError && (message instanceof RegExp ? message.test(e.message) : e.message === message), String(call));
  }
});

test("a header value is never quoted in an argument error", () => {
  assert.throws(
    () => engine.check({ url: "/", headers: { authorization: 5, [SECRET]: "x" } }),
    (e) => e instanceof TypeError && e.message.startsWith("request: headers: `authorization`") && !e.message.includes(SECRET),
  );
  assert.throws(
    () => engine.check({ url: "/", headers: [["authorization", `Bearer ${SECRET}`, "extra"]] }),
    (e) => e instanceof TypeError && !e.message.includes(SECRET),
  );
});

test("typed keys are accepted everywhere a key is; keyIdOf is the id bundles carry", () => {
  const typed = generateKeyPair({ typed: true });
  const raw = generateKeyPair();
  assert.match(typed.publicKey, /^scopegate-ed25519-public:[A-Za-z0-9_-]{43}$/);
  assert.match(raw.publicKey, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(publicKeyOf(typed.privateKey, { typed: true }), typed.publicKey);
  assert.equal(publicKeyOf(typed.privateKey), typed.publicKey.split(":")[1]);
  assert.equal(keyIdOf(typed.publicKey), typed.keyId);
  assert.equal(keyIdOf(raw.publicKey), raw.keyId);
  const now = Date.parse("2026-11-22T10:30:00Z");
  const bundle = buildBundle({ issued_at: "2026-11-22T10:00:00Z" }, typed.privateKey);
  assert.equal(inspectBundle(bundle, { publicKey: typed.publicKey, now }).keyId, typed.keyId);
  assert.equal(Engine.load(bundle, { publicKeys: [raw.publicKey, typed.publicKey], now }).info().tokens, 0);
  assert.throws(() => buildBundle({ issued_at: "2026-11-22T10:00:00Z" }, typed.publicKey), /^Error: private key: got a public key/);
  assert.throws(() => Engine.load(bundle, { publicKey: typed.privateKey, now }), (e) => /public key: got a private key/.test(e.message) && !e.message.includes(typed.privateKey.split(":")[1]));
  assert.throws(() => keyIdOf(typed.privateKey), /public key: got a private key/);
});
