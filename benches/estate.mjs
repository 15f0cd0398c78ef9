// A synthetic token estate for the benchmarks, shaped like a real one (and like
// benches/bundle.rs's): a few thousand principals and repositories, a few dozen scope
// combinations, most tokens expiring N days after creation. Deterministic: the same `n` gives
// the same estate. Token `i` has the secret `bench-secret-<i>`.
//
//   const { state, tokens } = estate(n);
//   state      the state document without `tokens` (an object)
//   tokens()   each token in order: `{ line, facts }`, its NDJSON line (no newline) and what
//              the hand-written contenders know of it (see `Facts`)

import { createHash } from "node:crypto";

export const ISSUED = Date.UTC(2026, 10, 22, 10, 0, 0); // 2026-11-22T10:00:00Z
export const NOW = ISSUED + 60_000;
const DAY = 86_400_000;

export const secret = (i) => `bench-secret-${i}`;
export const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const iso = (t) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");

export const SCOPE_SETS = [
  ["repository"], ["repository:write"], ["repository", "pullrequest"], ["repository:write", "pullrequest:write"],
  ["pipeline", "repository"], ["pipeline:write", "repository:write"], ["account"], ["repository:admin"],
  ["project", "repository"], ["issue", "repository"], ["read:repository:bitbucket"],
  ["read:repository:bitbucket", "write:repository:bitbucket"], ["read:pullrequest:bitbucket", "read:repository:bitbucket"],
  ["snippet", "account"], ["webhook", "repository"],
];

/**
 * The built-in Bitbucket profile's implications among the scopes above (src/profile/
 * bitbucket-cloud.json), as a hand-written checker would hard-code them.
 */
const IMPLIES = {
  "repository:write": ["repository"],
  pullrequest: ["repository"],
  "pullrequest:write": ["pullrequest", "repository:write"],
  project: ["repository"],
  "issue:write": ["issue"],
  "snippet:write": ["snippet"],
  "account:write": ["account"],
};

/** A scope set closed under IMPLIES, sorted. */
export function closure(scopes) {
  const out = new Set();
  const walk = (s) => {
    if (out.has(s)) return;
    out.add(s);
    for (const t of IMPLIES[s] ?? []) walk(t);
  };
  scopes.forEach(walk);
  return [...out].sort();
}

const LABELS = ["CI deploy", "laptop", "release bot", "backup", "terraform", "renovate", "local dev", "jenkins"];
const KINDS = [
  [30, "api_token"], [45, "personal_access_token"], [55, "app_password"], [80, "repository_access_token"],
  [85, "project_access_token"], [90, "workspace_access_token"], [97, "service_account_token"], [100, "org_api_key"],
];
const WORKSPACES = 40, PROJECTS_PER_WS = 5, REPOS = 3000, USERS = 3000, SERVICE_ACCOUNTS = 200;

/** A repository's workspace, slug and project. */
export const repository = (r) => ({ workspace: `ws${r % WORKSPACES}`, slug: `repo-${r}`, project: `P${r % PROJECTS_PER_WS}` });

/** splitmix32: fast and deterministic (the estates need millions of draws). */
function rng(seed) {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    return z % n;
  };
}

function stateOf() {
  const projects = [];
  for (let w = 0; w < WORKSPACES; w++) for (let p = 0; p < PROJECTS_PER_WS; p++) projects.push({ workspace: `ws${w}`, key: `P${p}` });
  const principals = [];
  for (let u = 0; u < USERS; u++) {
    principals.push({
      id: `u-${String(u).padStart(5, "0")}`, kind: "user", email: `user${u}@example.test`,
      status: u % 50 === 0 ? "deactivated" : "active", groups: [["developers", "contractors", "admins"][u % 3]],
      two_factor: u % 4 !== 0, permissions: [{ resource: `ws${u % WORKSPACES}`, level: ["read", "write", "admin"][u % 3] }],
    });
  }
  for (let a = 0; a < SERVICE_ACCOUNTS; a++) {
    principals.push({ id: `sa-${String(a).padStart(4, "0")}`, kind: "service_account", permissions: [{ resource: `ws${a % WORKSPACES}`, level: "write" }] });
  }
  return {
    issued_at: iso(ISSUED),
    resources: {
      workspaces: Array.from({ length: WORKSPACES }, (_, w) => ({ slug: `ws${w}` })),
      projects,
      repositories: Array.from({ length: REPOS }, (_, i) => ({ ...repository(i), public: i % 17 === 0 })),
    },
    principals,
    policies: [{ name: "contractors", members: { groups: ["contractors"] }, max_token_lifetime_days: 90, app_passwords: "block" }],
  };
}

/**
 * What a hand-written checker knows of a token: `kind`, `repo` (the repository index of a
 * repository access token, else -1), `scopeSet` (index into SCOPE_SETS, -1 for an access
 * mode), `created`, `expires` (ms, Infinity if none), `revoked` (ms, Infinity if none), `ips`
 * (whether it has an allowlist), `digest` (hex SHA-256 of its secret).
 * @typedef {{ kind: string, repo: number, scopeSet: number, created: number, expires: number, revoked: number, ips: boolean, digest: string }} Facts
 */

/** One token: its NDJSON line and its facts. */
function token(i, r) {
  const roll = r(100);
  const kind = KINDS.find(([upTo]) => roll < upTo)[1];
  const digest = sha256(secret(i));
  let t = `{"id":"t-${String(i).padStart(6, "0")}","kind":"${kind}","secret_sha256":"${digest}"`;
  const user = String(r(USERS)).padStart(5, "0");
  let repo = -1;
  if (kind === "api_token" || kind === "personal_access_token" || kind === "app_password") t += `,"principal":"u-${user}"`;
  else if (kind === "service_account_token") t += `,"principal":"sa-${String(r(SERVICE_ACCOUNTS)).padStart(4, "0")}"`;
  else if (kind === "repository_access_token") {
    repo = r(REPOS);
    t += `,"resource":"ws${repo % WORKSPACES}/repo-${repo}"`;
  } else if (kind === "project_access_token") t += `,"resource":"ws${r(WORKSPACES)}/P${r(PROJECTS_PER_WS)}"`;
  else if (kind === "workspace_access_token") t += `,"resource":"ws${r(WORKSPACES)}"`;
  if (r(100) < 30) t += `,"label":"${LABELS[r(LABELS.length)]}"`;
  let scopeSet = -1;
  if (kind === "app_password" || r(100) < 5) t += `,"access":"${r(2) === 0 ? "read_only" : "read_write"}"`;
  else {
    scopeSet = r(SCOPE_SETS.length);
    t += `,"scopes":${JSON.stringify(SCOPE_SETS[scopeSet])}`;
  }
  const created = ISSUED - r(365) * DAY - r(DAY / 1000) * 1000;
  t += `,"created_at":"${iso(created)}"`;
  let expires = Infinity;
  const e = r(100);
  if (e >= 20 && e < 30) expires = created + 1000 + r(400) * DAY;
  else if (e >= 30) expires = created + DAY * [7, 30, 60, 90, 180, 365][r(6)];
  if (expires !== Infinity) t += `,"expires_at":"${iso(expires)}"`;
  if (["repository_access_token", "project_access_token", "workspace_access_token", "org_api_key"].includes(kind)) {
    t += `,"created_by":"u-${String(r(USERS)).padStart(5, "0")}"`;
  } else if (kind !== "service_account_token") t += `,"created_by":"u-${user}"`;
  let revoked = Infinity;
  if (r(100) < 3) {
    revoked = ISSUED - r(30) * DAY;
    t += `,"revoked_at":"${iso(revoked)}"`;
  }
  const ips = r(100) < 5;
  if (ips) t += `,"allowed_ips":["203.0.113.0/24","2001:db8::/32"]`;
  return { line: t + "}", facts: { kind, repo, scopeSet, created, expires, revoked, ips, digest } };
}

/** The estate of `n` tokens. */
export function estate(n) {
  return {
    state: stateOf(),
    *tokens() {
      const r = rng(0x9e3779b9 ^ n);
      for (let i = 0; i < n; i++) yield token(i, r);
    },
  };
}
