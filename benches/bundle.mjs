// Bundle figures in Node through the built package (pkg/): bytes per token, build time, load
// time (signature check included), check() time per request, and memory after load, for
// synthetic states of 10k, 100k and 1M tokens. Prints figures; asserts nothing about time
// (DESIGN.md §7). Not part of `make test`.
//
//   make bench                                        # 10k, 100k, 1M (builds pkg/ first)
//   node --max-old-space-size=8192 benches/bundle.mjs [sizes...] [--from DIR | --out DIR] [--full]
//
// The states are shaped like benches/bundle.rs's: token ids `t-<n>` (zero-padded), a few
// thousand principals and repositories, a few dozen scope sets, most tokens expiring; token
// `n` has the secret `bench-secret-<n>`. `--from DIR` loads the bundles `cargo bench --bench
// bundle -- --out DIR <n>` wrote (DIR/bundle-<n>.bin, DIR/bundle-<n>.pub) instead of building;
// `--out DIR` keeps the bundles built here in the same form.
//
// Building and loading each run in a fresh child process (this script with `--build` and
// `--load`); loads use the edge build (`scopegate/edge`, what a worker ships; `--full` for the
// full one).

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PKG = new URL("../pkg/", import.meta.url);
const ISSUED = Date.UTC(2026, 10, 22, 10, 0, 0); // 2026-11-22T10:00:00Z, as benches/bundle.rs
const DAY = 86_400_000;
const NOW = ISSUED + 60_000;

const mib = (bytes) => `${(bytes / 1_048_576).toFixed(1)} MiB`;
const ms = (t) => `${t.toFixed(1)} ms`;
const iso = (t) => new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z");
const secret = (n) => `bench-secret-${n}`;
const sha256 = (text) => createHash("sha256").update(text).digest("hex");

/** xorshift64*: the same state from run to run. */
function rng(seed) {
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
function stateJson(n) {
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

/** The child: load one bundle in a fresh process and report timings and memory. */
async function child([path, n, publicKey, flavor]) {
  const api = await import(new URL(flavor === "full" ? "scopegate.js" : "edge.js", PKG).href);
  await api.init();
  const before = process.memoryUsage();
  const bytes = readFileSync(path);
  const withBytes = process.memoryUsage();
  const started = performance.now();
  const engine = api.Engine.load(bytes, { publicKey, now: NOW });
  const load = performance.now() - started;
  const after = process.memoryUsage();
  // A second load of the same bytes: the WebAssembly memory has grown already.
  const again = performance.now();
  api.Engine.load(bytes, { publicKey, now: NOW }).free();
  const reload = performance.now() - again;

  const count = Number(n);
  const r = rng(7n);
  const checks = Math.min(50_000, count);
  const requests = Array.from({ length: checks }, () => ({
    method: "GET",
    url: "/2.0/repositories/ws1/repo-41",
    headers: { authorization: `Bearer ${secret(r(count))}` },
    now: NOW,
  }));
  for (const req of requests.slice(0, 1000)) engine.check(req); // warm up
  const t0 = performance.now();
  let allowed = 0;
  for (const req of requests) allowed += engine.check(req).allow ? 1 : 0;
  const check = ((performance.now() - t0) / checks) * 1000;
  const unknown = Array.from({ length: 10_000 }, (_, i) => ({ url: "/2.0/repositories/ws1/repo-41", headers: { authorization: `Bearer missing-${i}` }, now: NOW }));
  const t1 = performance.now();
  for (const req of unknown) if (engine.check(req).reason !== "unknown_token") throw new Error("a missing token was found");
  const miss = ((performance.now() - t1) / unknown.length) * 1000;
  const info = engine.info();
  if (info.tokens !== count) throw new Error(`loaded ${info.tokens} tokens, expected ${count}`);
  console.log(`  load (${flavor} .wasm, fresh process): Engine.load ${ms(load)} (signature check included; again ${ms(reload)}); check() ${check.toFixed(2)} µs/request (${allowed} of ${checks} allowed), unknown token ${miss.toFixed(2)} µs`);
  console.log(`  memory after load: rss ${mib(after.rss)} (+${mib(after.rss - before.rss)} since init, of which reading the file ${mib(withBytes.rss - before.rss)}), arrayBuffers ${mib(after.arrayBuffers)} (the file's Buffer), external ${mib(after.external)}; the bundle in WebAssembly memory ${mib(info.bundleBytes)}`);
}

/** A build in its own process (`--build`): writes `<dir>/bundle-<n>.bin` and `.pub`, prints figures. */
async function builder([n, dir]) {
  const count = Number(n);
  const api = await import(new URL("scopegate.js", PKG).href);
  await api.init();
  const keys = api.generateKeyPair();
  let t = performance.now();
  const json = stateJson(count);
  const generated = performance.now() - t;
  const phases = {};
  t = performance.now();
  const bytes = api.buildBundle(json, keys.privateKey, { ttlSeconds: 86_400, onProgress: ({ phase }) => (phases[phase] = performance.now()) });
  const end = performance.now();
  console.log(`  build: state JSON ${mib(json.length)} generated in ${ms(generated)}; buildBundle ${ms(end - t)} (parse+check ${ms(phases.build - phases.parse)}, encode+sign ${ms(end - phases.build)})`);
  writeFileSync(join(dir, `bundle-${count}.bin`), bytes);
  writeFileSync(join(dir, `bundle-${count}.pub`), keys.publicKey);
}

/** This script again, in a fresh process with the same Node flags; its figures go to stdout. */
function again(...args) {
  const script = fileURLToPath(import.meta.url);
  const figures = execFileSync(process.execPath, [...process.execArgv, script, ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.stdout.write(figures);
}

// NOTE: build and load each run in a child process: the parent stays small, so neither the
// build's WebAssembly memory (it never shrinks) nor the garbage of a 300 MB state being
// collected on another core skews the load figures.
function run(n, { from, out, flavor, dir }) {
  console.log(`${n.toLocaleString("en-US")} tokens`);
  const source = from ?? out ?? dir;
  if (from) {
    if (!existsSync(join(from, `bundle-${n}.bin`))) {
      throw new Error(`${join(from, `bundle-${n}.bin`)} is missing: run \`cargo bench --bench bundle -- --out ${from} ${n}\``);
    }
    console.log(`  read ${join(from, `bundle-${n}.bin`)} (built earlier, e.g. by cargo bench)`);
  } else {
    again("--build", String(n), source);
  }
  const path = join(source, `bundle-${n}.bin`);
  const size = statSync(path).size;
  console.log(`  size: ${size.toLocaleString("en-US")} bytes, ${(size / n).toFixed(2)} bytes/token`);
  const publicKey = readFileSync(join(source, `bundle-${n}.pub`), "utf8").trim();
  again("--load", path, String(n), publicKey, flavor);
}

const args = process.argv.slice(2);
if (args[0] === "--load") {
  await child(args.slice(1));
} else if (args[0] === "--build") {
  await builder(args.slice(1));
} else {
  if (!existsSync(new URL("scopegate.js", PKG))) throw new Error("pkg/ is missing: run `make build` first");
  const at = args.indexOf("--from");
  const from = at >= 0 ? args[at + 1] : undefined;
  const outAt = args.indexOf("--out");
  const out = outAt >= 0 ? args[outAt + 1] : undefined;
  if (out) mkdirSync(out, { recursive: true });
  const flavor = args.includes("--full") ? "full" : "edge";
  const sizes = args.filter((a, i) => /^\d+$/.test(a) && args[i - 1] !== "--from" && args[i - 1] !== "--out").map(Number);
  const dir = mkdtempSync(join(tmpdir(), "scopegate-bench-"));
  console.log(`scopegate bundle benchmark: Node ${process.version}, ${flavor} .wasm for loads\n`);
  try {
    for (const n of sizes.length > 0 ? sizes : [10_000, 100_000, 1_000_000]) run(n, { from, out, flavor, dir });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
