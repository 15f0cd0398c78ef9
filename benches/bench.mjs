// The scopegate benchmark (issue 8): one command, one table of decisions in one process on the
// same requests, with the figures around it. Prints figures; asserts nothing about time
// (DESIGN.md §7). Not part of `make test`, which runs `--smoke` (tiny, to keep it working).
//
//   make bench                                   # builds pkg/, then 10k, 100k and 1M tokens
//   node --max-old-space-size=8192 --expose-gc --allow-natives-syntax benches/bench.mjs [sizes...] [--smoke]
//        [--memory-decisions N] [--memory-seconds S] [--cold-runs K] [--cell-ms MS]
//
// For each size, on a synthetic estate (benches/estate.mjs; token i has the secret
// `bench-secret-<i>`):
// - builds, each in a fresh process: the bundle from the tokens as an NDJSON file read in
//   1 MiB chunks (`BundleBuilder`, what `scopegate build --tokens` does), and from the whole
//   state as one JSON text (`buildBundle`); bytes per token;
// - `Engine.load` of that bundle, edge and full builds, in this process;
// - the decision table: µs per decision, p50 and p99 of single calls, for scopegate (edge and
//   full .wasm; `check()` and `checkRequest()`), hand-written JS (node:crypto SHA-256 + `Map`
//   + scope check) and Cedar (`statefulIsAuthorized`: the same question, entities given,
//   policies preparsed), on the same requests: allow (GET of a repository access token's
//   repository), scope_missing (its pull requests, without the scope), unknown token; plus
//   the floors (SHA-256 in the .wasm through `digestToken`; node:crypto). Rounds interleave
//   the contenders so load on the machine falls on all of them alike. Every contender's
//   answers are checked against scopegate's.
// Then cold start (fresh processes: init of each .wasm, the first `Engine.load` of a one-token
// bundle, the first decision), memory over many decisions (wasm memory and RSS; time
// bounded), and the issue's targets.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { closure, estate, ISSUED, NOW, repository, SCOPE_SETS, secret } from "./estate.mjs";

const PKG = new URL("../pkg/", import.meta.url);
const DAY = 86_400_000;
const mib = (bytes) => `${(bytes / 1_048_576).toFixed(1)} MiB`;
const ms = (t) => `${t < 10 ? t.toFixed(2) : t.toFixed(0)} ms`;
const us = (t) => (t < 10 ? t.toFixed(2) : t < 100 ? t.toFixed(1) : t.toFixed(0));
const sha256hex = (text) => createHash("sha256").update(text).digest("hex");
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const num = (n) => n.toLocaleString("en-US");
const short = (n) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

// ---------------------------------------------------------------------------------------------
// Children: builds and cold starts, each in a fresh process.

/** `--build <n> <dir> <ndjson|whole>`: builds the bundle of estate n and prints figures as JSON. */
async function buildChild([n, dir, how]) {
  const api = await import(new URL("scopegate.js", PKG).href);
  await api.init();
  const keys = JSON.parse(readFileSync(join(dir, "keys.json"), "utf8"));
  const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8"));
  const ndjson = join(dir, `tokens-${n}.ndjson`);
  const memory = await wasmMemory("scopegate_wasm.js");
  const before = memory.buffer.byteLength;
  let bytes, took, cpu;
  if (how === "ndjson") {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const builder = new api.BundleBuilder(state, { name: ndjson });
    const fd = openSync(ndjson, "r");
    const chunk = Buffer.alloc(1 << 20);
    for (let got; (got = readSync(fd, chunk, 0, chunk.length, null)) > 0; ) builder.addTokens(chunk.subarray(0, got));
    closeSync(fd);
    bytes = builder.finish(keys.privateKey, { ttlSeconds: 86_400 });
    took = performance.now() - t0;
    cpu = process.cpuUsage(c0);
    writeFileSync(join(dir, `bundle-${n}.bin`), bytes);
  } else {
    const lines = readFileSync(ndjson, "utf8");
    const text = `${JSON.stringify(state).slice(0, -1)},"tokens":[${lines.trimEnd().replaceAll("\n", ",")}]}`;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    bytes = api.buildBundle(text, keys.privateKey, { ttlSeconds: 86_400 });
    took = performance.now() - t0;
    cpu = process.cpuUsage(c0);
    const streamed = readFileSync(join(dir, `bundle-${n}.bin`));
    if (Buffer.compare(Buffer.from(bytes), streamed) !== 0) throw new Error("buildBundle and BundleBuilder gave different bytes");
  }
  console.log(JSON.stringify({
    ms: took,
    cpuMs: (cpu.user + cpu.system) / 1000,
    bytes: bytes.length,
    wasmGrowth: memory.buffer.byteLength - before,
    maxRss: process.resourceUsage().maxRSS * 1024,
  }));
}

/** `--cold <edge|full> <bundle> <publicKey>`: a first decision in a fresh process, timed. */
async function coldChild([flavor, path, publicKey]) {
  const t0 = performance.now();
  const api = await import(new URL(flavor === "edge" ? "edge.js" : "scopegate.js", PKG).href);
  const t1 = performance.now();
  await api.init();
  const t2 = performance.now();
  const engine = api.Engine.load(readFileSync(path), { publicKey, now: NOW });
  const t3 = performance.now();
  const request = { method: "GET", url: "/2.0/repositories/ws1/repo-1", headers: { authorization: `Bearer ${secret(0)}` }, now: NOW };
  const first = engine.check(request);
  const t4 = performance.now();
  engine.check(request);
  const t5 = performance.now();
  if (first.reason !== "ok") throw new Error(`cold start: the first decision is ${first.reason}: ${first.message}`);
  console.log(JSON.stringify({ import: t1 - t0, init: t2 - t1, load: t3 - t2, first: t4 - t3, second: t5 - t4 }));
}

/** This script again in a fresh process with the same Node flags; its stdout parsed as JSON. */
function child(...args) {
  const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...args], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 1 << 20,
  });
  return JSON.parse(out.trim().split("\n").pop());
}

/** The WebAssembly memory of one build's glue module (already initialised by `init()`). */
async function wasmMemory(glue) {
  const raw = await import(new URL(glue, PKG).href);
  return (await raw.default()).memory;
}

// ---------------------------------------------------------------------------------------------
// The contenders.

/** The two routes the bench asks about, as a hand-written checker would match them. */
function routeOf(method, url) {
  const parts = url.split("/"); // "", "2.0", "repositories", ws, repo[, "pullrequests"]
  if (method !== "GET" || parts[1] !== "2.0" || parts[2] !== "repositories" || parts.length < 5) return null;
  if (parts.length === 5) return { action: "read_repository", anyOf: [["repository"], ["read:repository:bitbucket"]], resource: `${parts[3]}/${parts[4]}` };
  if (parts.length === 6 && parts[5] === "pullrequests") {
    return { action: "read_pullrequests", anyOf: [["pullrequest"], ["read:pullrequest:bitbucket"]], resource: `${parts[3]}/${parts[4]}` };
  }
  return null;
}

const NEVER = 253_402_300_799; // 9999-12-31T23:59:59Z, for "no expiry" in Cedar's whole numbers
const YEAR_MS = 365 * DAY; // the default policy's max_token_lifetime_days

/** What the hand-written JS keeps per token (only repository access tokens are asked about). */
function jsRecord(f) {
  const r = repository(f.repo);
  return {
    kind: f.kind,
    resource: f.repo >= 0 ? `${r.workspace}/${r.slug}` : null,
    granted: new Set(f.scopeSet >= 0 ? closure(SCOPE_SETS[f.scopeSet]) : []),
    liveUntil: Math.min(f.expires, f.revoked > NOW ? Infinity : f.revoked, f.created + YEAR_MS),
    revoked: f.revoked,
    ips: f.ips,
  };
}

/** Hand-written JS: node:crypto SHA-256 + Map + scope check. */
function handWritten(tokens) {
  return (req) => {
    const auth = req.headers.authorization;
    if (typeof auth !== "string" || !auth.startsWith("Bearer ")) return false;
    const t = tokens.get(createHash("sha256").update(auth.slice(7)).digest("hex"));
    if (t === undefined || t.kind !== "repository_access_token" || t.ips) return false;
    if (t.revoked <= req.now || t.liveUntil <= req.now) return false;
    const route = routeOf(req.method, req.url);
    if (route === null || route.resource !== t.resource) return false;
    // NOTE: plain loops: Node 20's V8 crashed deoptimising `some`/`every` callbacks here.
    for (const set of route.anyOf) {
      let all = true;
      for (const s of set) all &&= t.granted.has(s);
      if (all) return true;
    }
    return false;
  };
}

const CEDAR_POLICIES = ["read_repository", "read_pullrequests"].map((action, i) => {
  const [a, b] = i === 0 ? ["repository", "read:repository:bitbucket"] : ["pullrequest", "read:pullrequest:bitbucket"];
  return `permit (principal is Token, action == Action::"${action}", resource is Repository)
when { (principal.granted.contains("${a}") || principal.granted.contains("${b}"))
  && resource in principal.repository && !principal.ipRestricted
  && context.now < principal.expiresAt && context.now < principal.revokedAt && context.now < principal.lifetimeEnd };`;
}).join("\n");

/** The entities a Cedar caller hands over for one repository (its project and workspace). */
function resourceEntities(resource) {
  const [ws, slug] = resource.split("/");
  const project = repository(Number(slug.slice(5))).project;
  return [
    { uid: { type: "Repository", id: resource }, attrs: {}, parents: [{ type: "Project", id: `${ws}/${project}` }] },
    { uid: { type: "Project", id: `${ws}/${project}` }, attrs: {}, parents: [{ type: "Workspace", id: ws }] },
    { uid: { type: "Workspace", id: ws }, attrs: {}, parents: [] },
  ];
}

/**
 * Keeps `f` out of V8's optimising compiler. NOTE: Node 20's V8 aborts the process ("unreachable
 * code" in Deoptimizer::DoComputeBuiltinContinuation) when an optimised function that inlined
 * a call into Cedar's .wasm (which returns a JS reference) is deoptimised during that call.
 * Cedar's calls are ~100 µs, so an unoptimised caller costs it nothing measurable; scopegate's
 * calls are left alone. Needs `--allow-natives-syntax` (the Makefile passes it).
 */
const neverOptimize = process.execArgv.includes("--allow-natives-syntax")
  ? new Function("f", "%NeverOptimizeFunction(f); return f;")
  : (f) => f;

/** Cedar: node:crypto SHA-256 + Map to the token's entities, then `statefulIsAuthorized`. */
function cedarContender(cedar, entitiesByDigest) {
  const check = cedar.preparsePolicySet("bench", { staticPolicies: CEDAR_POLICIES });
  if (check.type !== "success") throw new Error(`Cedar refused the bench policies: ${JSON.stringify(check)}`);
  neverOptimize(cedar.statefulIsAuthorized);
  return neverOptimize((req) => {
    const digest = createHash("sha256").update(req.headers.authorization.slice(7)).digest("hex");
    const route = routeOf(req.method, req.url);
    const entities = entitiesByDigest.get(digest) ?? resourceEntities(route.resource);
    const answer = cedar.statefulIsAuthorized({
      principal: { type: "Token", id: digest },
      action: { type: "Action", id: route.action },
      resource: { type: "Repository", id: route.resource },
      context: { now: Math.floor(req.now / 1000) },
      preparsedPolicySetId: "bench",
      entities,
    });
    return answer.type === "success" && answer.response.decision === "allow";
  });
}

function cedarEntities(f, digest) {
  const r = repository(f.repo);
  const resource = `${r.workspace}/${r.slug}`;
  const seconds = (t) => (t === Infinity ? NEVER : Math.floor(t / 1000));
  return [
    {
      uid: { type: "Token", id: digest },
      attrs: {
        granted: f.scopeSet >= 0 ? closure(SCOPE_SETS[f.scopeSet]) : [],
        repository: { __entity: { type: "Repository", id: resource } },
        expiresAt: seconds(f.expires),
        revokedAt: f.revoked === Infinity ? NEVER : seconds(f.revoked),
        lifetimeEnd: seconds(f.created + YEAR_MS),
        ipRestricted: f.ips,
      },
      parents: [],
    },
    ...resourceEntities(resource),
  ];
}

// ---------------------------------------------------------------------------------------------
// Timing.

/** The cost of timing an empty call, subtracted from every sample. */
function timerOverhead() {
  const xs = [];
  const noop = () => 0;
  for (let i = 0; i < 20_000; i++) {
    const t = performance.now();
    noop();
    xs.push(performance.now() - t);
  }
  return median(xs);
}

/**
 * Times `cells` (name -> { run(i), count }) in interleaved rounds until each has about
 * `cellMs` of samples (at least `minSamples`): µs per call, p50 and p99.
 */
function timeCells(cells, { cellMs, rounds = 6, minSamples = 500, maxSamples = 60_000 }) {
  const overhead = timerOverhead();
  const samples = new Map(cells.map(([name]) => [name, []]));
  const spent = new Map(cells.map(([name]) => [name, 0]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, cell] of cells) {
      const xs = samples.get(name);
      const budget = (cellMs * (round + 1)) / rounds;
      let i = xs.length;
      while ((spent.get(name) < budget || xs.length < (minSamples * (round + 1)) / rounds) && xs.length < maxSamples) {
        const t = performance.now();
        cell.run(i++);
        const dt = performance.now() - t;
        xs.push(Math.max(0, dt - overhead) * 1000);
        spent.set(name, spent.get(name) + dt);
      }
    }
  }
  const out = new Map();
  for (const [name, xs] of samples) {
    xs.sort((a, b) => a - b);
    out.set(name, { p50: xs[Math.floor(xs.length * 0.5)], p99: xs[Math.floor(xs.length * 0.99)], n: xs.length });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// One size.

/** Writes estate n's state, NDJSON and keys into `dir`; returns the facts of every token. */
function writeEstate(n, dir, keys) {
  const { state, tokens } = estate(n);
  writeFileSync(join(dir, "state.json"), JSON.stringify(state));
  writeFileSync(join(dir, "keys.json"), JSON.stringify(keys));
  const fd = openSync(join(dir, `tokens-${n}.ndjson`), "w");
  const facts = [];
  let text = "";
  for (const t of tokens()) {
    facts.push(t.facts);
    text += t.line + "\n";
    if (text.length > 1 << 20) {
      writeSync(fd, text);
      text = "";
    }
  }
  writeSync(fd, text);
  closeSync(fd);
  return facts;
}

/** Requests of each kind, at most `most` each, the same for every contender. */
function requestsOf(facts, most) {
  const live = (f) => f.kind === "repository_access_token" && !f.ips && f.expires > NOW && f.revoked > NOW && f.created + YEAR_MS > NOW;
  const reads = (f, route) => {
    const granted = new Set(f.scopeSet >= 0 ? closure(SCOPE_SETS[f.scopeSet]) : []);
    return route.anyOf.some((set) => set.every((s) => granted.has(s)));
  };
  const allow = [], scopeMissing = [];
  for (let i = 0; i < facts.length && (allow.length < most || scopeMissing.length < most); i++) {
    const f = facts[i];
    if (!live(f) || f.scopeSet < 0) continue;
    const r = repository(f.repo);
    const base = `/2.0/repositories/${r.workspace}/${r.slug}`;
    const req = (url) => ({ method: "GET", url, headers: { authorization: `Bearer ${secret(i)}` }, now: NOW, token: i });
    if (allow.length < most && reads(f, routeOf("GET", base))) allow.push(req(base));
    const pulls = `${base}/pullrequests`;
    if (scopeMissing.length < most && !reads(f, routeOf("GET", pulls))) scopeMissing.push(req(pulls));
  }
  const unknown = Array.from({ length: most }, (_, i) => ({
    method: "GET",
    url: `/2.0/repositories/ws${i % 40}/repo-${i}`,
    headers: { authorization: `Bearer bench-missing-${i}` },
    now: NOW,
  }));
  return { allow, scope_missing: scopeMissing, unknown };
}

async function runSize(n, opts, apis, dir, keys, report) {
  console.log(`\n${"=".repeat(100)}\n${num(n)} tokens\n`);
  let t = performance.now();
  const facts = writeEstate(n, dir, keys);
  const ndjsonBytes = statSync(join(dir, `tokens-${n}.ndjson`)).size;
  const generated = performance.now() - t;

  // Builds, in fresh processes.
  const streamed = child("--build", String(n), dir, "ndjson");
  const whole = child("--build", String(n), dir, "whole");
  const bundlePath = join(dir, `bundle-${n}.bin`);
  const bundle = readFileSync(bundlePath);
  console.log(`estate: ${mib(ndjsonBytes)} of NDJSON (generated and written in ${ms(generated)})`);
  console.log(`bundle: ${num(bundle.length)} bytes, ${(bundle.length / n).toFixed(2)} bytes/token`);
  console.log(`build from the NDJSON file (BundleBuilder, 1 MiB chunks): ${ms(streamed.ms)} (cpu ${ms(streamed.cpuMs)}), wasm memory +${mib(streamed.wasmGrowth)}, peak RSS ${mib(streamed.maxRss)}`);
  console.log(`build from the whole state JSON (buildBundle, same bytes): ${ms(whole.ms)} (cpu ${ms(whole.cpuMs)}), wasm memory +${mib(whole.wasmGrowth)}, peak RSS ${mib(whole.maxRss)}`);
  report.builds.push({ n, streamed, whole, bytesPerToken: bundle.length / n });

  // Loads, in this process.
  const engines = {};
  for (const flavor of ["edge", "full"]) {
    const copy = new Uint8Array(bundle);
    t = performance.now();
    engines[flavor] = apis[flavor].Engine.load(copy, { publicKey: keys.publicKey, now: NOW });
    const took = performance.now() - t;
    console.log(`Engine.load (${flavor} .wasm, signature check included): ${ms(took)}`);
    report.loads.push({ n, flavor, ms: took });
  }

  // The decision table.
  const requests = requestsOf(facts, opts.requests);
  const tokens = new Map();
  const cedarEntitiesByDigest = new Map();
  for (let i = 0; i < facts.length; i++) {
    const f = facts[i];
    tokens.set(f.digest, jsRecord(f));
  }
  for (const req of [...requests.allow, ...requests.scope_missing]) {
    const f = facts[req.token];
    cedarEntitiesByDigest.set(f.digest, cedarEntities(f, f.digest));
  }
  const fetchRequests = Object.fromEntries(
    Object.entries(requests).map(([k, list]) => [k, list.map((r) => new Request(`https://api.example.test${r.url}`, { method: r.method, headers: r.headers }))]),
  );
  const js = handWritten(tokens);
  const cedar = cedarContender(apis.cedar, cedarEntitiesByDigest);
  const contenders = [
    ["scopegate edge check()", (req) => engines.edge.check(req).allow],
    ["scopegate edge checkRequest()", (req, k, i) => engines.edge.checkRequest(fetchRequests[k][i], { now: NOW }).allow],
    ["scopegate full check()", (req) => engines.full.check(req).allow],
    ["scopegate full checkRequest()", (req, k, i) => engines.full.checkRequest(fetchRequests[k][i], { now: NOW }).allow],
    ["hand-written JS", (req) => js(req)],
    ["Cedar statefulIsAuthorized", (req) => cedar(req)],
  ];
  const kinds = ["allow", "scope_missing", "unknown"];
  // Every answer, once, before timing: they must agree with scopegate's and with the kind.
  let checked = 0;
  for (const k of kinds) {
    for (let i = 0; i < requests[k].length; i++) {
      const want = engines.edge.check(requests[k][i]);
      const wantReason = k === "unknown" ? "unknown_token" : k === "allow" ? "ok" : "scope_missing";
      if (want.reason !== wantReason) throw new Error(`${k} request ${i}: scopegate says ${want.reason} (${want.message})`);
      for (const [name, run] of contenders) {
        if (run(requests[k][i], k, i) !== want.allow) throw new Error(`${name} answers ${!want.allow} to ${k} request ${i}, scopegate ${want.allow}`);
      }
      checked++;
    }
  }
  const cells = [];
  for (const [name, run] of contenders) {
    for (const k of kinds) {
      const list = requests[k];
      cells.push([`${name}|${k}`, { run: (i) => run(list[i % list.length], k, i % list.length) }]);
    }
  }
  const digestFloor = requests.allow.map((r) => r.headers.authorization.slice(7));
  cells.push(["floor: SHA-256 in the .wasm (digestToken, edge)|allow", { run: (i) => apis.edge.digestToken(digestFloor[i % digestFloor.length]) }]);
  cells.push(["floor: node:crypto SHA-256 hex|allow", { run: (i) => sha256hex(digestFloor[i % digestFloor.length]) }]);
  const times = timeCells(cells, { cellMs: opts.cellMs });

  const base = (k) => times.get(`scopegate edge check()|${k}`).p50;
  const rows = [...contenders.map(([name]) => name), "floor: SHA-256 in the .wasm (digestToken, edge)", "floor: node:crypto SHA-256 hex"];
  console.log(`\ndecisions at ${short(n)} tokens: µs per call, p50 (p99) of single calls; "x" = this p50 / scopegate edge check() p50`);
  console.log(`(${requests.allow.length} allow, ${requests.scope_missing.length} scope_missing, ${requests.unknown.length} unknown-token requests; answers agree on all ${checked}; timer overhead subtracted)\n`);
  const head = ["", "allow", "scope_missing", "unknown token"];
  const widths = [50, 24, 24, 24];
  const line = (cols) => cols.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("");
  console.log(line(head));
  for (const row of rows) {
    const cols = [row];
    for (const k of kinds) {
      const cell = times.get(`${row}|${k}`);
      cols.push(cell ? `${us(cell.p50)} (${us(cell.p99)}) ${(cell.p50 / base(k)).toFixed(2)}x` : "");
    }
    console.log(line(cols));
  }
  report.decisions.push({ n, times: Object.fromEntries(times) });
  return { engines, requests };
}

/** Decisions in a loop, reading wasm memory and RSS at checkpoints, within a time bound. */
function memoryRun(engine, memory, requests, { decisions, seconds }) {
  // Mostly allows, some of each deny: every path that could leak.
  const list = [...requests.allow, ...requests.allow, ...requests.scope_missing, ...requests.unknown];
  const every = Math.max(1, Math.floor(decisions / 10));
  const points = [];
  const read = (done) => {
    globalThis.gc?.();
    const m = process.memoryUsage();
    points.push({ done, wasm: memory.buffer.byteLength, rss: m.rss, heap: m.heapUsed });
  };
  read(0);
  const started = performance.now();
  let done = 0;
  while (done < decisions && performance.now() - started < seconds * 1000) {
    const end = Math.min(decisions, done + every);
    for (; done < end; done++) engine.check(list[done % list.length]);
    read(done);
  }
  return { points, ms: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------

async function main(args) {
  const smoke = args.includes("--smoke");
  const option = (name, fallback) => {
    const at = args.indexOf(name);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  const sizes = args.filter((a, i) => /^\d+$/.test(a) && !args[i - 1]?.startsWith("--")).map(Number);
  const opts = {
    sizes: sizes.length > 0 ? sizes : smoke ? [300] : [10_000, 100_000, 1_000_000],
    cellMs: option("--cell-ms", smoke ? 20 : 500),
    requests: smoke ? 20 : 2000,
    coldRuns: option("--cold-runs", smoke ? 1 : 7),
    memoryDecisions: option("--memory-decisions", smoke ? 20_000 : 10_000_000),
    memorySeconds: option("--memory-seconds", smoke ? 20 : 90),
  };
  if (!readFileSync(new URL("package.json", PKG), "utf8")) throw new Error("pkg/ is missing: run `make build` first");
  const apis = {
    edge: await import(new URL("edge.js", PKG).href),
    full: await import(new URL("scopegate.js", PKG).href),
    cedar: createRequire(import.meta.url)("@cedar-policy/cedar-wasm/nodejs"),
  };
  await apis.edge.init();
  await apis.full.init();
  const edgeMemory = await wasmMemory("scopegate_edge_wasm.js");
  const keys = apis.full.generateKeyPair();
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  console.log(`scopegate benchmark${smoke ? " (smoke run: tiny sizes, figures meaningless)" : ""}: Node ${process.version}, ${cpus().length} x ${cpu}`);
  console.log(`load average at start: ${loadavg().map((l) => l.toFixed(2)).join(", ")}; Cedar ${apis.cedar.getCedarVersion()}`);
  const size = (f) => statSync(new URL(f, PKG)).size;
  console.log(`.wasm: edge ${(size("scopegate_edge_wasm_bg.wasm") / 1000).toFixed(1)} KB, full ${(size("scopegate_wasm_bg.wasm") / 1000).toFixed(1)} KB (raw)`);

  const report = { builds: [], loads: [], decisions: [] };
  const dir = mkdtempSync(join(tmpdir(), "scopegate-bench-"));
  let last;
  try {
    for (const n of opts.sizes) {
      last?.engines.edge.free();
      last?.engines.full.free();
      last = { n, ...(await runSize(n, opts, apis, dir, keys, report)) };
    }

    // Cold start: a one-token bundle of a small estate (the built-in profile, one repository),
    // fresh processes.
    const small = apis.full.buildBundle({
      issued_at: new Date(ISSUED).toISOString(),
      resources: { workspaces: [{ slug: "ws1" }], repositories: [{ workspace: "ws1", slug: "repo-1" }] },
      tokens: [{ id: "t-0", kind: "repository_access_token", secret: secret(0), resource: "ws1/repo-1", scopes: ["repository"], created_at: "2026-11-01T00:00:00Z" }],
    }, keys.privateKey, { ttlSeconds: 86_400 });
    const smallPath = join(dir, "small.bin");
    writeFileSync(smallPath, small);
    console.log(`\n${"=".repeat(100)}\ncold start: fresh process each, median of ${opts.coldRuns} (a ${num(small.length)}-byte, one-token bundle)\n`);
    const cold = {};
    for (const flavor of ["edge", "full"]) {
      const runs = Array.from({ length: opts.coldRuns }, () => child("--cold", flavor, smallPath, keys.publicKey));
      const m = Object.fromEntries(["import", "init", "load", "first", "second"].map((k) => [k, median(runs.map((r) => r[k]))]));
      cold[flavor] = m;
      console.log(`${flavor.padEnd(5)} import ${ms(m.import)}, init() ${ms(m.init)}, first Engine.load ${ms(m.load)}, first check() ${ms(m.first)}, second check() ${ms(m.second)}; first decision after init (load + check): ${ms(m.load + m.first)}`);
    }
    report.cold = cold;

    // Memory over many decisions: the edge engine of the last size.
    console.log(`\n${"=".repeat(100)}\nmemory over ${num(opts.memoryDecisions)} decisions (half allow, a quarter each scope_missing and unknown token; edge, ${num(last.n)} tokens; at most ${opts.memorySeconds} s)\n`);
    const mem = memoryRun(last.engines.edge, edgeMemory, last.requests, { decisions: opts.memoryDecisions, seconds: opts.memorySeconds });
    for (const p of mem.points) console.log(`after ${num(p.done).padStart(12)} decisions: wasm memory ${mib(p.wasm)}, RSS ${mib(p.rss)}, JS heap ${mib(p.heap)}`);
    const done = mem.points.at(-1).done;
    const flat = mem.points.length > 2 && mem.points[1].wasm === mem.points.at(-1).wasm;
    console.log(`${num(done)} decisions in ${ms(mem.ms)}${done < opts.memoryDecisions ? ` (stopped at the ${opts.memorySeconds} s bound)` : ""}; wasm memory ${flat ? "flat" : "NOT flat"} after the first checkpoint`);
    report.memory = { done, flat };

    // The targets of issue 8, from this run.
    const biggest = report.decisions.at(-1);
    const p50 = (row) => biggest.times[`${row}|allow`].p50;
    const sg = p50("scopegate edge check()");
    const edgeWasm = size("scopegate_edge_wasm_bg.wasm");
    const gz = (await import("node:zlib")).gzipSync(readFileSync(new URL("scopegate_edge_wasm_bg.wasm", PKG)), { level: 9 }).length;
    const mark = (ok) => (ok ? "met" : "NOT MET");
    console.log(`\n${"=".repeat(100)}\ntargets (issue 8), at ${num(biggest.n)} tokens, this run\n`);
    console.log(`allow p50 through engine.check() (edge)     ${us(sg)} µs            target <= 1 µs            ${mark(sg <= 1)}`);
    console.log(`speed-up over hand-written JS               ${(p50("hand-written JS") / sg).toFixed(2)}x             target >= 2.5x            ${mark(p50("hand-written JS") / sg >= 2.5)}`);
    console.log(`speed-up over Cedar                         ${(p50("Cedar statefulIsAuthorized") / sg).toFixed(1)}x              target >= 50x             ${mark(p50("Cedar statefulIsAuthorized") / sg >= 50)}`);
    const first = cold.edge.load + cold.edge.first;
    console.log(`first decision after init (edge)            ${ms(first)}           target <= 5 ms            ${mark(first <= 5)}`);
    console.log(`wasm memory over ${short(done)} decisions             ${flat ? "flat" : "grew"}                                      ${mark(flat && done >= 10_000_000)}${done < 10_000_000 ? " (fewer than 10M run)" : ""}`);
    console.log(`edge .wasm                                  ${(edgeWasm / 1000).toFixed(1)} KB raw, ${(gz / 1000).toFixed(1)} KB gzip   target <= 250 / 100 KB   ${mark(edgeWasm <= 250_000 && gz <= 100_000)}`);
    console.log(`\nload average at the end: ${loadavg().map((l) => l.toFixed(2)).join(", ")}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args[0] === "--build") await buildChild(args.slice(1));
else if (args[0] === "--cold") await coldChild(args.slice(1));
else await main(args);
