// What is checked is what is served (issue 11 item 1, issue 7 item 4), through the built package:
// for random URLs (paths with dot segments, escapes, `://`, backslashes, random query strings,
// absolute and origin forms), the resource the engine checks is the one WHATWG `URL` (what a
// worker's `request.url` and the origin behind it read) finds in the path, or the engine
// refuses the request as `malformed_request`. tests/url_agreement.rs does the same natively
// against the `url` crate.
import { test, before } from "node:test";
import assert from "node:assert/strict";

import { init, Engine, buildBundle, generateKeyPair } from "../../pkg/scopegate.js";
import * as edge from "../../pkg/edge.js";

const STATE = {
  issued_at: "2026-11-22T10:00:00Z",
  resources: {
    workspaces: [{ slug: "acme" }, { slug: "globex" }],
    repositories: [
      { workspace: "acme", slug: "web", public: true },
      { workspace: "acme", slug: "secret" },
      { workspace: "globex", slug: "engine" },
    ],
  },
};
const NOW = Date.parse("2026-11-22T12:00:00Z");
let engine;

before(async () => {
  await init();
  engine = Engine.fromState(STATE);
});

/** A small seeded generator (mulberry32): the same URLs on every run. */
function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SHAPES = [
  ["2.0", "repositories", "acme", "web"],
  ["2.0", "repositories", "acme", "secret", "src", "main", "README.md"],
  ["2.0", "repositories", "globex", "engine", "pullrequests"],
  ["2.0", "repositories", "acme"],
  ["acme", "web.git", "info", "refs"],
  ["acme", "secret", "git-upload-pack"],
];
const SEGMENTS = [
  "acme", "web", "secret", "globex", "engine", "src", "2.0", "repositories",
  ".", "..", "%2e", "%2E%2e", ".%2e", "web.git",
  "%2f", "a%2Fb", "%5c", "%20", "%41", "%zz", "%", "we%2Eb", "%C3%A9",
  ";", "a;b", "\\", "a\\b", "\t", "a\nb", "", "x:", "http:", "we b", "é", "?", "#",
];
const QUERIES = [
  "", "", "",
  "?next=http://h/2.0/repositories/acme/web",
  "?x=https://h/2.0/repositories/globex/engine&y=1",
  "?service=git-upload-pack&x=http://h/acme/web.git/info/refs",
  "?a=/../secret", "#frag://h/2.0/repositories/acme/web", "?q=%2e%2e/%2fsecret#x",
];
const PREFIXES = [
  "", "", "", "", "", "", "",
  "https://api.bitbucket.test", "http://api.bitbucket.test", "HTTPS://api.bitbucket.test:443",
  "http://user:pw@api.bitbucket.test", "http://[2001:db8::1]:8080", "http://203.0.113.9",
  "//api.bitbucket.test", "http:/api.bitbucket.test", "http:\\\\api.bitbucket.test", "http:",
  "http://h\\@api.bitbucket.test", "ftp://api.bitbucket.test", "x", "http://1.2.3.4.5", "http://a..b",
];

function url(next) {
  const pick = (list) => list[Math.floor(next() * list.length)];
  const parts = [...pick(SHAPES)];
  const inserts = next() < 0.35 ? 0 : 1 + Math.floor(next() * 2);
  for (let i = 0; i < inserts; i++) parts.splice(Math.floor(next() * (parts.length + 1)), 0, pick(SEGMENTS));
  return `${pick(PREFIXES)}/${parts.join("/")}${next() < 0.1 ? "/" : ""}${pick(QUERIES)}`;
}

/** What WHATWG `URL` finds: a resource, `null` for no known shape; throws when it refuses. */
function reference(text) {
  const parsed = new URL(text, "http://origin.test/");
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new Error(`scheme ${parsed.protocol}`);
  const segments = parsed.pathname.split("/").slice(1).map((s) => decodeURIComponent(s));
  if (segments.at(-1) === "") segments.pop();
  const [a, b, c, d] = segments;
  if (a === "2.0" && b === "repositories" && segments.length === 3) return `workspace:${c}`;
  if (a === "2.0" && b === "repositories" && segments.length >= 4) return `repository:${c}/${d}`;
  const git = (segments.length === 4 && c === "info" && d === "refs") || (segments.length === 3 && /^git-(upload|receive)-pack$/.test(c));
  if (git) return `repository:${a}/${b.replace(/\.git$/, "")}`;
  return null;
}

test("the checked resource is the one WHATWG URL reads, or the request is refused", () => {
  const next = random(0x5c09e);
  const counts = { agreed: 0, refused: 0, unrouted: 0 };
  for (let i = 0; i < 6000; i++) {
    const u = url(next);
    const d = engine.check({ url: u, now: NOW });
    if (d.reason === "malformed_request") {
      counts.refused += 1;
      continue;
    }
    assert.ok(["no_credentials", "anonymous_public_read"].includes(d.reason), `${JSON.stringify(u)}: ${d.reason}`);
    const checked = d.required?.resource;
    if (checked === undefined) {
      counts.unrouted += 1;
      continue;
    }
    let read;
    try {
      read = reference(u);
    } catch (e) {
      assert.fail(`${JSON.stringify(u)}: the engine checked ${checked}, WHATWG URL refuses it: ${e.message}`);
    }
    assert.equal(checked, read, JSON.stringify(u));
    counts.agreed += 1;
  }
  // Both sides of the property are exercised.
  assert.ok(counts.agreed > 700 && counts.refused > 700, JSON.stringify(counts));
});

test("a Fetch Request's URL agrees too: the worker's path (checkRequest)", () => {
  for (const u of [
    "https://api.test/2.0/repositories/acme/secret?next=http://h/2.0/repositories/acme/web",
    "https://api.test/2.0/repositories/acme/web/../secret",
    "https://api.test/2.0/repositories/acme/web/%2e%2e/secret",
  ]) {
    // `new Request` normalises dot segments the way the origin will see them.
    const request = new Request(u);
    const d = engine.checkRequest(request, { now: NOW });
    assert.equal(d.required?.resource, reference(request.url), u);
    assert.equal(d.required?.resource, "repository:acme/secret", u);
  }
});

test("the edge build reads URLs the same way", async () => {
  await edge.init();
  const keys = generateKeyPair();
  const signed = edge.Engine.load(buildBundle(STATE, keys.privateKey, { ttlSeconds: 86_400 }), { publicKey: keys.publicKey, now: NOW });
  const next = random(0xed6e);
  for (let i = 0; i < 500; i++) {
    const u = url(next);
    const a = engine.check({ url: u, now: NOW });
    const b = signed.check({ url: u, now: NOW });
    assert.deepEqual([b.reason, b.required], [a.reason, a.required], JSON.stringify(u));
  }
  signed.free();
});
