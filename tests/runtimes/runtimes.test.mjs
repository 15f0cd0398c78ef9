// The package in Deno and Bun (npm `deno` and `bun`): both entry points decide requests
// (tests/runtimes/decide.mjs). Deno needs read access to the package folder for `init()` to
// read the .wasm next to the module (as Node does); without it, init() fails and says so.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCRIPT = fileURLToPath(new URL("decide.mjs", import.meta.url));
const bin = (name) => {
  const path = join(ROOT, "node_modules/.bin", name);
  // Fail, never skip, when the runtime is missing.
  assert.ok(existsSync(path), `${name} is not installed: run \`bash scripts/setup.sh node\` (npm ci)`);
  return path;
};
const runIn = (command, args) => spawnSync(command, args, { cwd: ROOT, encoding: "utf8", timeout: 120_000, env: { ...process.env, NO_COLOR: "1" } });

const EXPECTED = { check: "ok", checkRequest: "ok", anonymous: "no_credentials", write: "scope_missing" };

function assertDecided(r, runtime) {
  assert.equal(r.status, 0, `${runtime}: ${r.stdout}\n${r.stderr}`);
  const results = JSON.parse(r.stdout.trim().split("\n").at(-1));
  assert.deepEqual(results, { scopegate: EXPECTED, "scopegate/edge": EXPECTED }, runtime);
}

test("Deno: both entry points decide requests, with read access to the package folder", () => {
  const deno = bin("deno");
  assertDecided(runIn(deno, ["run", "--no-prompt", `--allow-read=${join(ROOT, "pkg")}`, SCRIPT]), "deno");
  // Without it, init() cannot read the .wasm: an error that names the permission, not a decision.
  const denied = runIn(deno, ["run", "--no-prompt", SCRIPT]);
  assert.notEqual(denied.status, 0);
  assert.match(denied.stderr, /read access|allow-read|NotCapable/i, denied.stderr);
});

test("Bun: both entry points decide requests", () => {
  assertDecided(runIn(bin("bun"), [SCRIPT]), "bun");
});
