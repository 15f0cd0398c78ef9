// The wrangler.toml template next to the example worker: `wrangler deploy --dry-run` (offline:
// nothing is uploaded) bundles the worker with scopegate/edge and its .wasm as a Cloudflare
// deploy would, without asking for `nodejs_compat`; the bundle it writes then runs in
// miniflare on a KV store and decides a request.
//
// NOTE: wrangler 4 needs Node >= 22.12; it runs here under Bun (the npm `bun` package), which
// wrangler supports, so the test does not depend on the machine's Node.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { Miniflare } from "miniflare";

import { init, mintToken, generateKeyPair, buildBundle } from "../../pkg/scopegate.js";
import { makeFixture } from "../../scripts/fixture.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BUN = join(ROOT, "node_modules/.bin/bun");
const WRANGLER = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
let dir, result;

before(() => {
  assert.ok(existsSync(BUN) && existsSync(WRANGLER), "bun and wrangler are not installed: run `bash scripts/setup.sh node` (npm ci)");
  // A project as a user sets it up: the template, the worker, and the package in node_modules.
  dir = mkdtempSync(join(tmpdir(), "scopegate-wrangler-"));
  for (const file of ["worker.js", "wrangler.toml"]) cpSync(join(ROOT, "examples/worker", file), join(dir, file));
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(join(ROOT, "pkg"), join(dir, "node_modules/scopegate"), "dir");
  result = spawnSync(BUN, [WRANGLER, "deploy", "--dry-run", "--outdir", "out"], {
    cwd: dir,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", WRANGLER_LOG_PATH: join(dir, "logs"), NO_COLOR: "1" },
  });
});

after(() => rmSync(dir, { recursive: true, force: true }));

test("wrangler deploy --dry-run bundles the worker from the template, with no nodejs_compat warning", () => {
  const output = `${result.stdout}\n${result.stderr}`;
  assert.equal(result.status, 0, output);
  assert.match(output, /--dry-run: exiting now/);
  assert.doesNotMatch(output, /nodejs_compat|WARNING|node:fs/, output);
  // The template's bindings, as wrangler read them.
  for (const binding of ["env.BUNDLE_KV", "env.SCOPEGATE_PUBLIC_KEY", "env.ORIGIN_URL"]) assert.ok(output.includes(binding), `${binding}:\n${output}`);
  const files = readdirSync(join(dir, "out"));
  assert.ok(files.includes("worker.js"), files.join(", "));
  assert.ok(files.some((f) => f.endsWith(".wasm")), files.join(", "));
  assert.doesNotMatch(readFileSync(join(dir, "out/worker.js"), "utf8"), /\bimport\b[^;]*["']node:/, "no import of a Node built-in");
});

test("the bundle wrangler wrote runs and decides a request", async () => {
  await init();
  const fixture = makeFixture({ mintToken });
  const keys = generateKeyPair({ typed: true });
  const bundle = buildBundle(fixture.state, keys.privateKey);
  const out = join(dir, "out");
  const wasm = readdirSync(out).find((f) => f.endsWith(".wasm"));
  const mf = new Miniflare({
    workers: [
      {
        config: {
          name: "bundled",
          compatibilityDate: "2025-09-01",
          manifest: {
            mainModule: "worker.js",
            modules: {
              "worker.js": { type: "esm", contents: readFileSync(join(out, "worker.js"), "utf8") },
              [wasm]: { type: "wasm", contents: readFileSync(join(out, wasm)) },
            },
          },
          env: {
            SCOPEGATE_PUBLIC_KEY: { type: "text", value: keys.publicKey },
            BUNDLE_KV: { type: "kv" },
            ORIGIN: { type: "fetcher", handler: () => new Response("from the origin") },
          },
        },
      },
    ],
  });
  try {
    const kv = await mf.getKVNamespace("BUNDLE_KV");
    await kv.put("scopegate/bundle", bundle);
    await kv.put("scopegate/bundle.sha256", createHash("sha256").update(bundle).digest("hex"));
    const allowed = await mf.dispatchFetch("http://gate.test/2.0/repositories/acme/web", { headers: { authorization: `Bearer ${fixture.tokens["web-read"]}` } });
    assert.equal(allowed.status, 200);
    assert.equal(await allowed.text(), "from the origin");
    const denied = await mf.dispatchFetch("http://gate.test/2.0/repositories/acme/web");
    assert.equal(denied.status, 401);
    assert.equal((await denied.json()).error.reason, "no_credentials");
  } finally {
    await mf.dispose();
  }
});
