// Bundle figures in Node through the built package (pkg/): bytes per token, build time, load
// time (signature check included), check() time per request, and memory after load, for
// synthetic states of 10k, 100k and 1M tokens. Prints figures; asserts nothing about time
// (DESIGN.md §7). Not part of `make test`.
//
//   make bench                                        # 10k, 100k, 1M (builds pkg/ first)
//   node --max-old-space-size=8192 benches/bundle.mjs [sizes...] [--from DIR | --out DIR] [--full]
//
// The states are benches/synthetic.mjs's (shaped like benches/bundle.rs's); token `n` has the
// secret `bench-secret-<n>`. `--from DIR` loads the bundles `cargo bench --bench
// bundle -- --out DIR <n>` wrote (DIR/bundle-<n>.bin, DIR/bundle-<n>.pub) instead of building;
// `--out DIR` keeps the bundles built here in the same form.
//
// Building and loading each run in a fresh child process (this script with `--build` and
// `--load`); loads use the edge build (`scopegate/edge`, what a worker ships; `--full` for the
// full one).

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { NOW, rng, secret, stateJson } from "./synthetic.mjs";

const PKG = new URL("../pkg/", import.meta.url);

const mib = (bytes) => `${(bytes / 1_048_576).toFixed(1)} MiB`;
const ms = (t) => `${t.toFixed(1)} ms`;

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
