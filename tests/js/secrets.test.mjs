// Secrets never reach a message (issue 11 item 4), through the built package and the CLI:
// tokens go into every field of a state and of a changes document (values of every type, one
// more list element, unknown keys) and into every position of a credential, and every output
// (errors, decisions, traces, audits, CLI stdout and stderr) is scanned for any 10 characters
// of them. tests/secrets_in_messages.rs does the same natively.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { init, Engine, buildBundle, buildDelta, generateKeyPair, mintToken } from "../../pkg/scopegate.js";

const CLI = fileURLToPath(new URL("../../pkg/cli.js", import.meta.url));
const NOW = Date.parse("2026-11-22T12:00:00Z");
const REPO = "/2.0/repositories/acme/web";
let tokens, dir;

const STATE = {
  issued_at: "2026-11-22T10:00:00Z",
  profile: "bitbucket-cloud",
  resources: {
    workspaces: [{ slug: "acme" }],
    projects: [{ workspace: "acme", key: "PROJ" }],
    repositories: [{ workspace: "acme", slug: "web", project: "PROJ", public: false }],
  },
  principals: [
    {
      id: "u-mary", kind: "user", email: "mary@acme.test", username: "mary", status: "active", groups: ["developers"],
      two_factor: true, name: "Mary", permissions: [{ resource: "acme/web", level: "write" }],
    },
    { id: "sa-ci", kind: "service_account", permissions: [{ resource: "acme", level: "read" }] },
  ],
  tokens: [
    {
      id: "t-1", kind: "api_token", label: "laptop", secret: "secret-1", principal: "u-mary", scopes: ["repository"],
      created_at: "2026-10-01T00:00:00Z", expires_at: "2027-01-01T00:00:00Z", created_by: "u-mary",
      allowed_ips: ["203.0.113.0/24"], revoked_at: null,
    },
    {
      id: "t-2", kind: "repository_access_token", secret_sha256: "10c7c24c304bc5af386a8bf7790fe9ef845928024b997444cac97eebb1f1e6e0",
      resource: "acme/web", access: "read_only", created_at: "2026-10-01T00:00:00Z",
    },
  ],
  policies: [
    {
      name: "contractors", members: { groups: ["contractors"], principals: ["sa-ci"] }, api_tokens: "allow",
      app_passwords: "block", password_auth: "disable", max_token_lifetime_days: 90, ip_allowlist: ["198.51.100.0/24"],
      revoke_issued_before: "2026-01-01T00:00:00Z", require_2fa: true,
    },
  ],
  default_policy: { api_tokens: "allow", app_passwords: "allow", password_auth: "allow", max_token_lifetime_days: 365, ip_allowlist: [] },
  network: { trusted_proxies: ["10.0.0.0/8"], client_ip_header: "x-forwarded-for" },
  token_permissions: { use: ["*"], create: ["developers"], create_write: ["developers"], create_for_others: ["admins"] },
  unknown_route: "deny",
};

/** Which 10 consecutive characters of `token` `output` shows, if any. */
function leak(output, token) {
  for (let i = 0; i + 10 <= token.length; i++) {
    const part = token.slice(i, i + 10);
    if (output.includes(part)) return part;
  }
  return null;
}
function assertClean(output, token, what) {
  const part = leak(output, token);
  assert.equal(part, null, `${what}: shows \`${part}\` of a token:\n${output}`);
}

/** Every variant of `doc` with `token` in one place (a leaf, one more list element, an unknown key). */
function variants(doc, token) {
  const out = [];
  const walk = (value, path) => {
    const clone = structuredClone(doc);
    let target = clone;
    for (const k of path.slice(0, -1)) target = target[k];
    const last = path.at(-1);
    if (value !== null && typeof value === "object") {
      const here = path.length === 0 ? clone : target[last];
      if (Array.isArray(here)) here.push(token);
      else here[token] = "x";
      out.push([`${path.join("/")} (added)`, clone]);
      for (const [k, v] of Object.entries(value)) walk(v, [...path, Array.isArray(value) ? Number(k) : k]);
    } else {
      target[last] = token;
      out.push([path.join("/"), clone]);
    }
  };
  walk(doc, []);
  return out;
}

const basic = (user, secret) => `Basic ${btoa(`${user}:${secret}`)}`;

/** `token` in every position of the Authorization header, next to the listed `secret-1`. */
function credentials(token) {
  return [
    `Bearer ${token}`,
    `Bearer ${token} ${token}`,
    basic(token, "x"),
    basic("mary@acme.test", token),
    basic(token, token),
    basic(token, "secret-1"),
    basic("secret-1", token),
    basic("x-token-auth", token),
    basic(token, "hunter2"),
    `Basic ${token}`,
    `Token ${token}`,
    token,
  ];
}

before(async () => {
  await init();
  tokens = [
    mintToken("api_token").token,
    mintToken("repository_access_token").token,
    `ATBB${"k3Xq9ZpT7wLm2Rv8Yb4Nc6Hd1Fg5Js0A"}`,
    `ATATT3xFfGF0${"Qw7Er9Ty2Ui4Op6As8Df1Gh3Jk5Lz7Xc9Vb2Nm4Qw6Er8Ty0Ui3Op5As7Df9Gh"}=1A2B3C4D`,
    `ATCTT3xFfGN0${"Zx1Cv3Bn5Mq7Wr9Ty2Ui4Op6As8Df0Gh2Jk4Lz6Xc8Vb1Nm3Qw5Er7Ty9Ui2Op"}=9F8E7D6C`,
  ];
  dir = mkdtempSync(join(tmpdir(), "scopegate-secrets-"));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("tokens in state fields never reach errors, decisions, traces or reports", () => {
  let refused = 0;
  let loaded = 0;
  for (const token of tokens) {
    for (const [where, state] of variants(STATE, token)) {
      let engine;
      try {
        engine = Engine.fromState(state);
      } catch (e) {
        refused += 1;
        assertClean(e.message, token, `state error for ${where}`);
        continue;
      }
      loaded += 1;
      let out = "";
      for (const authorization of credentials(token)) {
        out += JSON.stringify(engine.explain({ url: REPO, headers: { authorization }, now: NOW }));
      }
      out += JSON.stringify([engine.audit({ now: NOW }), engine.estate({ now: NOW }), engine.policies(), engine.info()]);
      assertClean(out, token, `outputs of a state with it at ${where}`);
      engine.free();
    }
  }
  assert.ok(refused > 100 && loaded > 0, `${refused} refused, ${loaded} loaded`);
});

test("tokens in credentials never reach decisions or traces, listed or not", () => {
  const engine = Engine.fromState(STATE);
  for (const token of tokens) {
    const listed = structuredClone(STATE);
    Object.assign(listed.tokens[0], { secret: token, kind: token.startsWith("ATBB") ? "app_password" : "api_token" });
    if (/^(sgr_|ATCT)/.test(token)) {
      Object.assign(listed.tokens[0], { kind: "repository_access_token", resource: "acme/web" });
      delete listed.tokens[0].principal;
    }
    const listing = Engine.fromState(listed);
    for (const e of [engine, listing]) {
      for (const authorization of credentials(token)) {
        for (const now of [NOW, 0]) {
          const out = JSON.stringify(e.explain({ url: `${REPO}?access_token=${token}`, headers: { authorization }, now }));
          assertClean(out, token, `a credential of ${authorization.length} characters`);
        }
      }
    }
    listing.free();
  }
  engine.free();
});

test("tokens in changes documents never reach errors", () => {
  const keys = generateKeyPair();
  const base = buildBundle(STATE, keys.privateKey);
  const changes = {
    issued_at: "2026-11-22T11:00:00Z",
    revoke: ["t-1", { id: "t-2", at: "2026-11-22T10:30:00Z" }],
    remove: [],
    upsert: [{ ...STATE.tokens[0], id: "t-9", secret: "secret-9" }],
    policies: STATE.policies,
    default_policy: STATE.default_policy,
    network: STATE.network,
    token_permissions: STATE.token_permissions,
    unknown_route: "defer",
  };
  assert.ok(buildDelta(base, changes, keys.privateKey, { form: "changes" }) instanceof Uint8Array);
  let refused = 0;
  for (const token of tokens) {
    for (const [where, doc] of variants(changes, token)) {
      try {
        buildDelta(base, doc, keys.privateKey, { form: "changes" });
      } catch (e) {
        refused += 1;
        assertClean(e.message, token, `changes error for ${where}`);
      }
    }
  }
  assert.ok(refused > 100, `${refused}`);
});

test("the CLI shows no part of a token on stdout or stderr", () => {
  const run = (...args) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: "utf8" });
  writeFileSync(join(dir, "state.json"), JSON.stringify(STATE));
  const keygen = run("keygen", "--out", "ci");
  assert.equal(keygen.status, 0, keygen.stderr);
  assert.equal(run("build", "state.json", "--key", "ci.key", "--out", "bundle.bin").status, 0);
  let runs = 0;
  for (const token of [tokens[0], tokens[2]]) {
    const scan = (r, what) => {
      runs += 1;
      assertClean(r.stdout + r.stderr, token, what);
    };
    // In state fields: errors name the field, never the value.
    for (const path of [["tokens", 0, "label"], ["tokens", 0, "created_at"], ["tokens", 0, "scopes", 0], ["principals", 0, "username"], ["resources", "workspaces", 0, "slug"]]) {
      const state = structuredClone(STATE);
      let at = state;
      for (const k of path.slice(0, -1)) at = at[k];
      at[path.at(-1)] = token;
      writeFileSync(join(dir, "bad.json"), JSON.stringify(state));
      const check = run("check", "--state", "bad.json", REPO);
      assert.equal(check.status, 2, check.stderr);
      scan(check, `check --state with it at ${path.join(".")}`);
      scan(run("build", "bad.json", "--key", "ci.key", "--out", "bad.bin"), `build with it at ${path.join(".")}`);
    }
    const unknownKey = structuredClone(STATE);
    unknownKey.tokens[0][token] = 1;
    writeFileSync(join(dir, "bad.json"), JSON.stringify(unknownKey));
    scan(run("audit", "--state", "bad.json"), "audit with it as an unknown key");
    writeFileSync(join(dir, "changes.json"), JSON.stringify({ issued_at: "2026-11-22T11:00:00Z", revoke: [token] }));
    scan(run("delta", "bundle.bin", "--changes", "changes.json", "--key", "ci.key", "--out", "d.bin"), "delta --changes");
    // In credentials: decisions and traces, as tables and as JSON.
    for (const authorization of credentials(token)) {
      const header = ["--state", "state.json", "--now", "2026-11-22T12:00:00Z", "-H", `Authorization: ${authorization}`];
      scan(run("explain", ...header, REPO), "explain (the trace table)");
      scan(run("check", ...header, "--json", REPO), "check --json");
    }
    scan(run("check", "--state", "state.json", "--token", token, REPO), "check --token");
    // A JSON syntax error next to a token: V8's message quotes the text around it.
    writeFileSync(join(dir, "replay.json"), `[{"tokenId": "t-1", "url": ${token}}]`);
    writeFileSync(join(dir, "policies.json"), JSON.stringify({ policies: [] }));
    const replay = run("preview", "policies.json", "--state", "state.json", "--replay", "replay.json");
    assert.equal(replay.status, 2, replay.stderr);
    scan(replay, "preview --replay with a syntax error");
  }
  assert.ok(runs > 50, `${runs}`);
});
