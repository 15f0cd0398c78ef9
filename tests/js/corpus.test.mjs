// The golden corpus (tests/cases/*.json) through the built npm package (pkg/), in Node: the same
// files and the same comparisons as the native runner (tests/corpus.rs), so the WebAssembly
// path and the native path must decide every case alike. Each case is decided on the unsigned
// engine of its state and on a signed bundle of that state loaded back (full build, and the
// edge build for requests), which must agree exactly. The reason codes and token kinds are the
// package's (`REASONS`, `TOKEN_KINDS`), not a list kept here.
//
//   node --test tests/js/corpus.test.mjs        (after the build: see README / scripts/build.sh)

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = new URL("../../", import.meta.url);
const pkgEntry = new URL("pkg/scopegate.js", root);
const edgeEntry = new URL("pkg/edge.js", root);
const casesDir = new URL("tests/cases/", root);

const MIN_CASES = 150;
// A signed bundle past its expires_at is covered by the bundle tests; internal_error has no
// state-JSON trigger.
const NOT_IN_CORPUS = new Set(["bundle_expired", "internal_error"]);
// What a signed bundle of a case's state is valid for: longer than any case's `now` is after its
// state's `issued_at` (at most hours).
const SIGNED_TTL_SECONDS = 30 * 86_400;
const ALLOWING = new Set(["ok", "anonymous_public_read"]);

const files = readdirSync(fileURLToPath(casesDir))
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((name) => ({ name, doc: JSON.parse(readFileSync(new URL(name, casesDir), "utf8")) }));

if (!existsSync(fileURLToPath(pkgEntry))) {
  // Fail, never skip: a corpus that silently does not run proves nothing.
  test("the built package exists", () => {
    assert.fail(`${fileURLToPath(pkgEntry)} is missing: run the build first (bash scripts/build.sh)`);
  });
} else {
  const { init, Engine, buildBundle, generateKeyPair, REASONS, TOKEN_KINDS } = await import(pkgEntry.href);
  const edge = await import(edgeEntry.href);
  await init();
  await edge.init();
  const keys = generateKeyPair();

  /** The engines a case runs on: its state's own, and a signed bundle of it loaded back. */
  function enginesFor(state) {
    const unsigned = Engine.fromState(state);
    const bytes = buildBundle(state, keys.privateKey, { ttlSeconds: SIGNED_TTL_SECONDS });
    const options = { publicKey: keys.publicKey, now: Date.parse(state.issued_at) };
    return { unsigned, signed: Engine.load(bytes, options), edge: edge.Engine.load(bytes, options) };
  }
  const freeAll = (engines) => engines && Object.values(engines).forEach((e) => e.free());

  const seenReasons = new Set();
  const seenKinds = new Map(TOKEN_KINDS.map((k) => [k, new Set()]));
  let cases = 0;
  let signedCases = 0;

  const sorted = (list) => [...list].sort();
  const sortedSets = (sets) => sets.map((s) => sorted(s)).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const rfc3339 = (text) => {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? `unreadable ${JSON.stringify(text)}` : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
  };

  // Every difference between the expectation and the decision, as in tests/corpus.rs.
  function compare(expect, d) {
    const diffs = [];
    const check = (field, want, got) => {
      if (JSON.stringify(want) !== JSON.stringify(got)) {
        diffs.push(`${field}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
      }
    };
    check("effect", expect.effect, d.effect);
    check("reason", expect.reason, d.reason);
    if ("policy" in expect) check("policy", expect.policy, d.policy);
    if ("clientIp" in expect) check("clientIp", expect.clientIp, d.clientIp);
    if ("token" in expect) check("token", expect.token, d.token?.id);
    if ("granted" in expect) check("granted", sorted(expect.granted), d.granted && sorted(d.granted));
    if ("required" in expect) {
      check("required.anyOf", sortedSets(expect.required), d.required && sortedSets(d.required.anyOf));
    }
    if ("expiresAt" in expect) check("expiresAt", rfc3339(expect.expiresAt), d.expiresAt);
    if (d.allow !== (d.effect === "allow")) diffs.push(`allow is ${d.allow} but effect is ${d.effect}`);
    const effect = ALLOWING.has(d.reason) ? "allow" : d.reason === "password_auth_deferred" ? "defer" : "deny";
    if (d.effect !== effect && d.reason !== "route_unknown") diffs.push(`reason ${d.reason} carries effect ${d.effect}`);
    if (!d.message) diffs.push("empty message");
    return diffs;
  }

  const KNOWN_CASE_FIELDS = new Set(["name", "note", "now", "state", "request", "create", "revoke", "expect"]);
  const KNOWN_EXPECT_FIELDS = new Set(["effect", "reason", "policy", "clientIp", "token", "granted", "required", "expiresAt"]);

  for (const { name: file, doc } of files) {
    describe(file, () => {
      let shared;
      let sharedError;
      const owned = [];
      before(() => {
        try {
          shared = enginesFor(doc.state);
        } catch (e) {
          sharedError = e;
        }
      });
      after(() => {
        freeAll(shared);
        owned.forEach(freeAll);
      });

      for (const c of doc.cases) {
        cases += 1;
        seenReasons.add(c.expect?.reason);
        test(c.name, () => {
          const unknown = [
            ...Object.keys(c).filter((k) => !KNOWN_CASE_FIELDS.has(k)),
            ...Object.keys(c.expect).filter((k) => !KNOWN_EXPECT_FIELDS.has(k)).map((k) => `expect.${k}`),
          ];
          assert.deepEqual(unknown, [], "unknown fields in the case");
          assert.ok(["allow", "deny", "defer"].includes(c.expect.effect), `expect.effect ${c.expect.effect}`);
          assert.ok(REASONS.includes(c.expect.reason), `expect.reason ${c.expect.reason} is no reason code`);
          let engines = shared;
          if (c.state) {
            engines = enginesFor(c.state);
            owned.push(engines);
          } else if (sharedError) {
            throw new Error(`the state does not load: ${sharedError.message}`);
          }
          const engine = engines.unsigned;
          const now = Date.parse(c.now);
          assert.ok(!Number.isNaN(now), `now ${c.now} is not a time`);
          const questions = ["request", "create", "revoke"].filter((k) => k in c);
          assert.equal(questions.length, 1, "expected exactly one of request, create, revoke");
          // The same question of each engine: `edge` only for requests (it has no admin questions).
          const ask = (e) => {
            if (c.create) return e.canCreateToken(c.create.actor, c.create.spec, { now });
            if (c.revoke) return e.canRevokeToken(c.revoke.actor, c.revoke.token, { now });
            return e.check({ ...c.request, now });
          };
          const d = ask(engine);
          const diffs = compare(c.expect, d);
          const same = (other) => JSON.stringify(other) === JSON.stringify(d);
          const signed = ask(engines.signed);
          if (!same(signed)) diffs.push(`the signed bundle decides ${signed.reason} (${signed.message})`);
          if (c.request) {
            if (d.token) seenKinds.get(d.token.kind)?.add(d.effect);
            const x = engine.explain({ ...c.request, now });
            if (!same(x.decision)) diffs.push("explain() decides differently from check()");
            if (x.steps.at(-1)?.step !== "decision") diffs.push("explain() steps do not end in a `decision` step");
            if (!same(engines.signed.explain({ ...c.request, now }).decision)) {
              diffs.push("explain() on the signed bundle decides differently from check()");
            }
            const atEdge = ask(engines.edge);
            if (!same(atEdge)) diffs.push(`the signed bundle in the edge build decides ${atEdge.reason} (${atEdge.message})`);
          }
          signedCases += 1;
          assert.deepEqual(diffs, [], `${file} / ${c.name}: ${d.message}`);
        });
      }
    });
  }

  // Registered last, so it runs after every case above has recorded what it saw.
  test("corpus coverage", () => {
    const problems = [];
    if (cases < MIN_CASES) problems.push(`the corpus has ${cases} cases, fewer than ${MIN_CASES}`);
    if (signedCases !== cases) problems.push(`${signedCases} of ${cases} cases ran on a signed bundle`);
    for (const r of REASONS) {
      if (!NOT_IN_CORPUS.has(r) && !seenReasons.has(r)) problems.push(`no case expects reason ${r}`);
    }
    for (const [kind, effects] of seenKinds) {
      for (const effect of ["allow", "deny"]) {
        if (!effects.has(effect)) problems.push(`no case decides ${effect} for a token of kind ${kind}`);
      }
    }
    assert.deepEqual(problems, []);
  });
}
