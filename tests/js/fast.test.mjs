// The fast check (js/fast.js over src/boundary.rs) against the full path, in both builds:
// `engine.check()` and `engine.checkRequest()` must give exactly `explain(req).decision` (the
// JSON path: same fields, same values, same key order) for every request of the golden corpus
// (each state signed into a bundle), for random requests, and after a delta. Decisions are
// fresh objects: changing one never changes the next.
//
//   node --test tests/js/fast.test.mjs        (after the build: see README / scripts/build.sh)

import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = new URL("../../", import.meta.url);
const casesDir = new URL("tests/cases/", root);

if (!existsSync(fileURLToPath(new URL("pkg/scopegate.js", root)))) {
  test("the built package exists", () => assert.fail("pkg/ is missing: run the build first (bash scripts/build.sh)"));
} else {
  const full = await import(new URL("pkg/scopegate.js", root).href);
  const edge = await import(new URL("pkg/edge.js", root).href);
  await full.init();
  await edge.init();
  const keys = full.generateKeyPair();
  // Long enough for every `now` in the corpus.
  const TTL = 20 * 365 * 86_400;

  const files = readdirSync(fileURLToPath(casesDir))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((name) => ({ name, doc: JSON.parse(readFileSync(new URL(name, casesDir), "utf8")) }));

  /** The same engine in both builds, from a state signed into a bundle. */
  function engines(state) {
    const bytes = full.buildBundle(state, keys.privateKey, { ttlSeconds: TTL });
    const now = Date.parse(state.issued_at);
    return [
      ["full", full.Engine.load(bytes, { publicKey: keys.publicKey, now })],
      ["edge", edge.Engine.load(bytes, { publicKey: keys.publicKey, now })],
    ];
  }

  /** A Fetch `Request` of a plain request, when one can be made of it. */
  function fetchRequest(req) {
    try {
      const url = /^https?:\/\//i.test(req.url) ? req.url : `https://api.example.test${req.url}`;
      const r = new Request(url, { method: req.method ?? "GET", headers: req.headers ?? {} });
      return new URL(r.url).pathname === new URL(url).pathname ? r : undefined;
    } catch {
      return undefined;
    }
  }

  /** Fast and full decisions of one request agree, for `check()` and (when it can be asked) `checkRequest()`. */
  function agree(engine, req, what) {
    const want = engine.explain(req).decision;
    const got = engine.check(req);
    assert.deepStrictEqual(got, want, what);
    assert.equal(JSON.stringify(got), JSON.stringify(want), `${what}: key order`);
    const fetched = fetchRequest(req);
    if (fetched !== undefined) {
      const options = { now: req.now, remoteAddr: req.remoteAddr };
      const viaFetch = engine.checkRequest(fetched, options);
      // What the full path makes of the same Fetch request: its headers, its URL.
      const plain = { method: fetched.method, url: fetched.url, headers: [...fetched.headers], remoteAddr: req.remoteAddr, now: req.now };
      assert.equal(JSON.stringify(viaFetch), JSON.stringify(engine.explain(plain).decision), `${what}: checkRequest`);
    }
    return got;
  }

  test("every request of the golden corpus decides alike on both paths, in both builds", () => {
    let compared = 0;
    for (const { name, doc } of files) {
      const shared = engines(doc.state);
      for (const c of doc.cases) {
        if (!c.request) continue;
        const list = c.state ? engines(c.state) : shared;
        for (const [build, engine] of list) {
          agree(engine, { ...c.request, now: Date.parse(c.now) }, `${build} ${name} / ${c.name}`);
          compared += 1;
        }
        if (c.state) for (const [, e] of list) e.free();
      }
      for (const [, e] of shared) e.free();
    }
    assert.ok(compared >= 700, `${compared} comparisons`);
  });

  // Random requests over the richest corpus states: methods, paths, credentials, forwarding
  // headers, peers and clocks drawn from pools that reach every step.
  test("random requests decide alike on both paths, in both builds", () => {
    let seed = 20261122;
    const rand = (n) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pick = (list) => list[rand(list.length)];
    for (const file of ["credentials.json", "resources_permissions.json", "client_ip.json", "policies.json", "routes_scopes.json", "token_state.json"]) {
      const doc = files.find((f) => f.name === file).doc;
      const secrets = doc.state.tokens.map((t) => t.secret).filter(Boolean);
      const requests = doc.cases.filter((c) => c.request).map((c) => c.request);
      const urls = [...new Set(requests.map((r) => r.url))];
      const auths = [...new Set(requests.map((r) => r.headers?.Authorization ?? r.headers?.authorization).filter(Boolean))];
      const peers = [undefined, "203.0.113.9", "10.0.0.1:443", "[2001:db8::1]:443", "::ffff:198.51.100.4", "garbage"];
      const extra = [
        {},
        { "X-Forwarded-For": "198.51.100.7, 10.1.1.1" },
        { "x-forwarded-for": ["203.0.113.5", "10.0.0.9"] },
        { Forwarded: 'for="[2001:db8:cafe::17]:4711", for=10.0.0.2' },
        { "CF-Connecting-IP": "203.0.113.77" },
        { "X-HTTP-Method-Override": "DELETE" },
      ];
      const issued = Date.parse(doc.state.issued_at);
      for (const [build, engine] of engines(doc.state)) {
        for (let i = 0; i < 400; i++) {
          const headers = { ...pick(extra) };
          const auth = rand(5);
          if (auth === 1) headers.Authorization = `Bearer ${pick(secrets)}`;
          else if (auth === 2) headers.Authorization = pick(auths);
          else if (auth === 3) headers.Authorization = `Basic ${btoa(`${pick(["x-token-auth", "mary@acme.test", "u-mary", "nobody"])}:${pick(secrets)}`)}`;
          else if (auth === 4) headers.authorization = [pick(auths), pick(auths)];
          const url = rand(10) === 0 ? `${pick(urls)}/é%C3%A9` : pick(urls);
          const req = {
            method: pick(["GET", "POST", "PUT", "DELETE", "HEAD", "get", "BR3W"]),
            url,
            headers,
            remoteAddr: pick(peers),
            now: issued + pick([-86_400_000 * 2, 0, 3_600_000, 86_400_000 * 40, 86_400_000 * 400, 86_400_000 * 4000]),
          };
          agree(engine, req, `${build} ${file} random ${i}: ${JSON.stringify(req)}`);
        }
        engine.free();
      }
    }
  });

  test("after a delta (records named by the delta's slots) both paths still agree", () => {
    const doc = files.find((f) => f.name === "token_state.json").doc;
    const base = full.buildBundle(doc.state, keys.privateKey, { ttlSeconds: TTL });
    const changes = { issued_at: new Date(Date.parse(doc.state.issued_at) + 60_000).toISOString(), revoke: [doc.state.tokens[0].id] };
    const delta = full.buildDelta(base, changes, keys.privateKey, { ttlSeconds: TTL });
    const now = Date.parse(changes.issued_at) + 1000;
    for (const api of [full, edge]) {
      const engine = api.Engine.load(base, { publicKey: keys.publicKey, now });
      const req = (secret) => ({ method: "GET", url: "/2.0/repositories/acme/web", headers: { Authorization: `Bearer ${secret}` }, remoteAddr: "203.0.113.9", now });
      const before = doc.state.tokens.map((t) => agree(engine, req(t.secret), `before ${t.id}`));
      engine.applyDelta(delta, { now });
      const after = doc.state.tokens.map((t) => agree(engine, req(t.secret), `after ${t.id}`));
      assert.notEqual(before[0].reason, "token_revoked");
      assert.equal(after[0].reason, "token_revoked");
      engine.free();
    }
  });

  test("decisions are fresh objects: changing one changes no later one", () => {
    const doc = files.find((f) => f.name === "routes_scopes.json").doc;
    for (const [, engine] of engines(doc.state)) {
      const c = doc.cases.find((x) => x.expect.reason === "ok" && x.request);
      const req = { ...c.request, now: Date.parse(c.now) };
      const first = engine.check(req);
      const copy = structuredClone(first);
      first.token.id = "changed";
      first.required.anyOf[0].push("changed");
      first.granted.push("changed");
      first.message = "changed";
      assert.deepStrictEqual(engine.check(req), copy);
      assert.deepStrictEqual({ ...engine.check(req) }, copy, "spreads like a plain object");
      engine.free();
    }
  });

  test("long requests, and engines over a state, take the full path with the same answer", () => {
    const doc = files.find((f) => f.name === "routes_scopes.json").doc;
    const c = doc.cases.find((x) => x.expect.reason === "ok" && x.request);
    for (const [, engine] of engines(doc.state)) {
      const now = Date.parse(c.now);
      const long = { ...c.request, url: `${c.request.url}?q=${"x".repeat(70_000)}`, now };
      agree(engine, long, "a request longer than the request area");
      const grown = { ...c.request, url: `${c.request.url}?q=${"y".repeat(10_000)}`, now };
      agree(engine, grown, "a request that grows the request area");
      agree(engine, { ...c.request, now }, "the next request after it");
      engine.free();
    }
    const unsigned = full.Engine.fromState(doc.state);
    agree(unsigned, { ...c.request, now: Date.parse(c.now) }, "an engine over a state");
    unsigned.free();
  });
}
