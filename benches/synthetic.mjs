// Synthetic states for benchmarks and load tests: token ids `t-<n>` (zero-padded), a few
// thousand principals and repositories, a few dozen scope sets, most tokens expiring, 3%
// revoked; token `n` has the secret `bench-secret-<n>`. Shaped like benches/bundle.rs's, and
// the same from run to run. Used by benches/bundle.mjs and the admin page's 100k-token test.
//
//   import { stateJson, secret, NOW } from "../benches/synthetic.mjs";
//   const json = stateJson(100_000);   // the state JSON text, issued at ISSUED

import { createHash } from "node:crypto";

/** 2026-11-22T10:00:00Z, as benches/bundle.rs: the states' `issued_at`. */
export const ISSUED = Date.UTC(2026, 10, 22, 10, 0, 0);
/** A minute after: the time the figures are taken at. */
export const NOW = ISSUED + 60_000;
const DAY = 86_400_000;

const iso = (t) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
/** The secret of token `n`. */
export const secret = (n) => `bench-secret-${n}`;
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

/** xorshift64*: the same state from run to run. */
export function rng(seed) {
  let s = BigInt.asUintN(64, seed);
  return (n) => {
    s ^= s >> 12n;
    s = BigInt.asUintN(64, s ^ (s << 25n));
    s ^= s >> 27n;
    return Number(BigInt.asUintN(64, s * 0x2545f4914f6cdd1dn) % BigInt(n));
  };
}

const SCOPE_SETS = [
  ["repository"], ["repository:write"], ["repository", "pullrequest"], ["repository:write", "pullrequest:write"],
  ["pipeline", "repository"], ["pipeline:write", "repository:write"], ["account"], ["repository:admin"],
  ["project", "repository"], ["issue", "repository"], ["read:repository:bitbucket"],
  ["read:repository:bitbucket", "write:repository:bitbucket"], ["read:pullrequest:bitbucket", "read:repository:bitbucket"],
  ["snippet", "account"], ["webhook", "repository"],
];
const LABELS = ["CI deploy", "laptop", "release bot", "backup", "terraform", "renovate", "local dev", "jenkins"];
const KINDS = [
  [30, "api_token"], [45, "personal_access_token"], [55, "app_password"], [80, "repository_access_token"],
  [85, "project_access_token"], [90, "workspace_access_token"], [97, "service_account_token"], [100, "org_api_key"],
];

/** The state JSON text for `n` tokens, built in pieces (1M tokens is ~300 MB of text). */
export function stateJson(n) {
  const r = rng(0x9e3779b97f4a7c15n ^ BigInt(n));
  const workspaces = 40, projectsPerWs = 5, repos = 3000, users = 3000, serviceAccounts = 200;
  const parts = [`{"issued_at":"${iso(ISSUED)}","resources":{"workspaces":[`];
  parts.push(Array.from({ length: workspaces }, (_, w) => `{"slug":"ws${w}"}`).join(","), `],"projects":[`);
  const projects = [];
  for (let w = 0; w < workspaces; w++) for (let p = 0; p < projectsPerWs; p++) projects.push(`{"workspace":"ws${w}","key":"P${p}"}`);
  parts.push(projects.join(","), `],"repositories":[`);
  parts.push(Array.from({ length: repos }, (_, i) => `{"workspace":"ws${i % workspaces}","slug":"repo-${i}","project":"P${i % projectsPerWs}","public":${i % 17 === 0}}`).join(","));
  parts.push(`]},"principals":[`);
  const principals = [];
  for (let u = 0; u < users; u++) {
    principals.push(`{"id":"u-${String(u).padStart(5, "0")}","kind":"user","email":"user${u}@example.test","status":"${u % 50 === 0 ? "deactivated" : "active"}","groups":["${["developers", "contractors", "admins"][u % 3]}"],"two_factor":${u % 4 !== 0},"permissions":[{"resource":"ws${u % workspaces}","level":"${["read", "write", "admin"][u % 3]}"}]}`);
  }
  for (let a = 0; a < serviceAccounts; a++) {
    principals.push(`{"id":"sa-${String(a).padStart(4, "0")}","kind":"service_account","permissions":[{"resource":"ws${a % workspaces}","level":"write"}]}`);
  }
  parts.push(principals.join(","));
  parts.push(`],"policies":[{"name":"contractors","members":{"groups":["contractors"]},"max_token_lifetime_days":90,"app_passwords":"block"}],"tokens":[`);
  for (let i = 0; i < n; i++) {
    const roll = r(100);
    const kind = KINDS.find(([upTo]) => roll < upTo)[1];
    let t = `${i > 0 ? "," : ""}{"id":"t-${String(i).padStart(6, "0")}","kind":"${kind}","secret_sha256":"${sha256(secret(i))}"`;
    const user = String(r(users)).padStart(5, "0");
    if (kind === "api_token" || kind === "personal_access_token" || kind === "app_password") t += `,"principal":"u-${user}"`;
    else if (kind === "service_account_token") t += `,"principal":"sa-${String(r(serviceAccounts)).padStart(4, "0")}"`;
    else if (kind === "repository_access_token") {
      const repo = r(repos);
      t += `,"resource":"ws${repo % workspaces}/repo-${repo}"`;
    } else if (kind === "project_access_token") t += `,"resource":"ws${r(workspaces)}/P${r(projectsPerWs)}"`;
    else if (kind === "workspace_access_token") t += `,"resource":"ws${r(workspaces)}"`;
    if (r(100) < 30) t += `,"label":"${LABELS[r(LABELS.length)]}"`;
    if (kind === "app_password" || r(100) < 5) t += `,"access":"${r(2) === 0 ? "read_only" : "read_write"}"`;
    else t += `,"scopes":${JSON.stringify(SCOPE_SETS[r(SCOPE_SETS.length)])}`;
    const created = ISSUED - r(365) * DAY - r(DAY / 1000) * 1000;
    t += `,"created_at":"${iso(created)}"`;
    const e = r(100);
    if (e >= 20 && e < 30) t += `,"expires_at":"${iso(created + 1000 + r(400) * DAY)}"`;
    else if (e >= 30) t += `,"expires_at":"${iso(created + DAY * [7, 30, 60, 90, 180, 365][r(6)])}"`;
    if (["repository_access_token", "project_access_token", "workspace_access_token", "org_api_key"].includes(kind)) {
      t += `,"created_by":"u-${String(r(users)).padStart(5, "0")}"`;
    } else if (kind !== "service_account_token") t += `,"created_by":"u-${user}"`;
    if (r(100) < 3) t += `,"revoked_at":"${iso(ISSUED - r(30) * DAY)}"`;
    if (r(100) < 5) t += `,"allowed_ips":["203.0.113.0/24","2001:db8::/32"]`;
    parts.push(t + "}");
  }
  parts.push("]}");
  return parts.join("");
}

