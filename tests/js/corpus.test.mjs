// The golden corpus (tests/cases/*.json) through the built npm package (pkg/), in Node: the same
// files and the same comparisons as the native runner (tests/corpus.rs), so the WebAssembly
// path and the native path must decide every case alike.
//
//   node --test tests/js/corpus.test.mjs        (after the build: see README / scripts/build.sh)

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = new URL("../../", import.meta.url);
const pkgEntry = new URL("pkg/scopegate.js", root);
const casesDir = new URL("tests/cases/", root);

const MIN_CASES = 150;
// A signed bundle past its expires_at is covered by the bundle tests; internal_error has no
// state-JSON trigger.
const NOT_IN_CORPUS = new Set(["bundle_expired", "internal_error"]);
const REASONS = [
  "ok", "no_credentials", "malformed_credentials", "bad_token_checksum", "unknown_token", "token_revoked",
  "token_expired", "token_lifetime_exceeds_policy", "token_kind_blocked", "api_tokens_blocked",
  "password_auth_disabled", "password_auth_deferred", "ip_not_allowed", "route_unknown", "scope_missing",
  "resource_out_of_scope", "principal_inactive", "principal_lacks_permission", "bundle_expired",
  "anonymous_public_read", "internal_error", "malformed_request", "bundle_not_yet_valid",
];
const KINDS = [
  "repository_access_token", "project_access_token", "workspace_access_token", "api_token", "app_password",
  "personal_access_token", "service_account_token", "org_api_key",
];
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
  const { init, Engine } = await import(pkgEntry.href);
  await init();

  const seenReasons = new Set();
  const seenKinds = new Map(KINDS.map((k) => [k, new Set()]));
  let cases = 0;

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
          shared = Engine.fromState(doc.state);
        } catch (e) {
          sharedError = e;
        }
      });
      after(() => {
        shared?.free();
        for (const e of owned) e.free();
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
          let engine = shared;
          if (c.state) {
            engine = Engine.fromState(c.state);
            owned.push(engine);
          } else if (sharedError) {
            throw new Error(`the state does not load: ${sharedError.message}`);
          }
          const now = Date.parse(c.now);
          assert.ok(!Number.isNaN(now), `now ${c.now} is not a time`);
          const questions = ["request", "create", "revoke"].filter((k) => k in c);
          assert.equal(questions.length, 1, "expected exactly one of request, create, revoke");
          let d;
          let diffs;
          if (c.create) {
            d = engine.canCreateToken(c.create.actor, c.create.spec, { now });
            diffs = compare(c.expect, d);
          } else if (c.revoke) {
            d = engine.canRevokeToken(c.revoke.actor, c.revoke.token, { now });
            diffs = compare(c.expect, d);
          } else {
            d = engine.check({ ...c.request, now });
            if (d.token) seenKinds.get(d.token.kind)?.add(d.effect);
            diffs = compare(c.expect, d);
            const x = engine.explain({ ...c.request, now });
            if (JSON.stringify(x.decision) !== JSON.stringify(d)) diffs.push("explain() decides differently from check()");
            if (x.steps.at(-1)?.step !== "decision") diffs.push("explain() steps do not end in a `decision` step");
          }
          assert.deepEqual(diffs, [], `${file} / ${c.name}: ${d.message}`);
        });
      }
    });
  }

  // Registered last, so it runs after every case above has recorded what it saw.
  test("corpus coverage", () => {
    const problems = [];
    if (cases < MIN_CASES) problems.push(`the corpus has ${cases} cases, fewer than ${MIN_CASES}`);
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
