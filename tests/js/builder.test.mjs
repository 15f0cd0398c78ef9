// The streaming bundle builder through the built package (pkg/) in Node: a state without
// tokens, then NDJSON chunks split anywhere, then finish. Same bytes as buildBundle; errors
// that name the line; duplicates across chunks; a finished or failed builder refuses more.
import { test, before } from "node:test";
import assert from "node:assert/strict";

import { init, Engine, BundleBuilder, buildBundle, generateKeyPair } from "../../pkg/scopegate.js";
import * as edge from "../../pkg/edge.js";
import { makeFixture } from "../../scripts/fixture.mjs";
import { mintToken } from "../../pkg/scopegate.js";

const TTL = 2 * 86_400;
let fixture, keys, rest, lines, whole;

/** The fixture's state without its tokens, and its tokens as NDJSON lines. */
function split(state) {
  const { tokens, ...others } = state;
  return [others, tokens.map((t) => JSON.stringify(t))];
}

before(async () => {
  await init();
  await edge.init();
  fixture = makeFixture({ mintToken });
  keys = generateKeyPair();
  [rest, lines] = split(fixture.state);
  whole = buildBundle(fixture.state, keys.privateKey, { ttlSeconds: TTL });
});

function stream(chunks, options) {
  const builder = new BundleBuilder(rest, options);
  for (const chunk of chunks) builder.addTokens(chunk);
  return builder.finish(keys.privateKey, { ttlSeconds: TTL });
}

test("the same bytes as buildBundle, in one chunk, line by line, or cut anywhere", () => {
  const text = lines.join("\n") + "\n";
  assert.deepEqual(stream([text]), whole);
  assert.deepEqual(stream(lines.map((l) => l + "\n")), whole);
  for (const cut of [1, 7, 50, text.length - 1]) assert.deepEqual(stream([text.slice(0, cut), text.slice(cut)]), whole, `cut at ${cut}`);
  // Bytes, cut inside a multi-byte character of a label; no final newline; CRLF.
  const bytes = new TextEncoder().encode(lines.join("\r\n"));
  assert.deepEqual(stream([bytes.subarray(0, 100), bytes.subarray(100).buffer.slice(100)]), whole);
  assert.deepEqual(stream([bytes]), whole);
  const engine = Engine.load(stream([text]), { publicKey: keys.publicKey, now: fixture.now });
  const ok = engine.check({ url: "/2.0/repositories/acme/web", headers: { authorization: `Bearer ${fixture.tokens["web-read"]}` }, now: fixture.now });
  assert.equal(ok.reason, "ok", ok.message);
});

test("tokens counts as chunks arrive; a state's own tokens come first", () => {
  const builder = new BundleBuilder({ ...rest, tokens: [JSON.parse(lines[0])] });
  assert.equal(builder.tokens, 1);
  builder.addTokens(lines.slice(1).join("\n"));
  assert.equal(builder.tokens, lines.length - 1, "the last line waits for its end");
  builder.addTokens("\n");
  assert.equal(builder.tokens, lines.length);
  assert.deepEqual(builder.finish(keys.privateKey, { ttlSeconds: TTL }), whole);
  assert.equal(builder.tokens, 0);
});

test("a bad line is an Error naming the file, the line and the field", () => {
  const bad = JSON.stringify({ ...JSON.parse(lines[0]), id: "t-bad", secret: "other", expires_at: "tomorrow" });
  const chunks = [lines[0] + "\n\n" + bad.slice(0, 20), bad.slice(20) + "\n"];
  assert.throws(() => stream(chunks), { message: 'tokens.ndjson:3: expires_at: expected an RFC 3339 time, got "tomorrow"' });
  assert.throws(() => stream(chunks, { name: "export/tokens.ndjson" }), /^Error: export\/tokens\.ndjson:3: expires_at: /);
  // After an error the builder refuses every further call.
  const builder = new BundleBuilder(rest);
  assert.throws(() => builder.addTokens("{}\n"), /^Error: tokens\.ndjson:1: /);
  assert.throws(() => builder.addTokens(lines[0] + "\n"), { message: "this bundle builder stopped at an earlier error" });
  assert.throws(() => builder.finish(keys.privateKey), { message: "this bundle builder stopped at an earlier error" });
});

test("duplicates across chunks name the later line", () => {
  const first = JSON.parse(lines[0]);
  const again = JSON.stringify({ ...first, secret_sha256: undefined, secret: "a-new-secret" });
  assert.throws(() => stream([lines.join("\n") + "\n", again + "\n"]), {
    message: `tokens.ndjson:${lines.length + 1}: id: duplicate token id "${first.id}"`,
  });
  const sameSecret = JSON.stringify({ ...first, id: "t-copy" });
  assert.throws(() => stream([lines.join("\n") + "\n", sameSecret]), {
    message: `tokens.ndjson:${lines.length + 1}: same secret digest as line 1: every token needs its own secret`,
  });
});

test("finish checks the key and ttl first, and a finished builder refuses more", () => {
  const builder = new BundleBuilder(rest).addTokens(lines.join("\n"));
  assert.throws(() => builder.finish("not a key"), /private key/);
  assert.throws(() => builder.finish(keys.privateKey, { ttlSeconds: 0 }), /ttlSeconds/);
  assert.deepEqual(builder.finish(keys.privateKey, { ttlSeconds: TTL }), whole, "still usable after a wrong key");
  assert.throws(() => builder.finish(keys.privateKey), { message: "this bundle builder has finished: make a new one" });
  assert.throws(() => builder.addTokens(lines[0]), { message: "this bundle builder has finished: make a new one" });
});

test("argument errors are TypeErrors; a bad state names its JSON path; not in the edge build", () => {
  assert.throws(() => new BundleBuilder(rest).addTokens(42), TypeError);
  assert.throws(() => new BundleBuilder(rest, { name: 7 }), TypeError);
  assert.throws(() => new BundleBuilder(7), TypeError);
  assert.throws(() => new BundleBuilder({ ...rest, issued_at: "tomorrow" }), { message: 'issued_at: expected an RFC 3339 time, got "tomorrow"' });
  assert.equal(edge.BundleBuilder, undefined);
});
