// The package as a user gets it: `npm pack` pkg/, install the tarball into an empty project,
// then import "scopegate" through its exports map and run its `scopegate` bin.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const PKG = fileURLToPath(new URL("../../pkg/", import.meta.url));
const npm = (args, cwd) => execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8" });
let dir;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "scopegate-consumer-"));
  npm(["pack", "--pack-destination", dir], PKG);
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  assert.ok(tarball, "npm pack wrote no tarball");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  npm(["install", "--offline", `./${tarball}`], dir);
});

after(() => rmSync(dir, { recursive: true, force: true }));

test("import \"scopegate\" and \"scopegate/edge\" resolve through the exports map and work", () => {
  writeFileSync(
    join(dir, "use.mjs"),
    `import { init, Engine, mintToken, digestToken, generateKeyPair, buildBundle } from "scopegate";
import * as edge from "scopegate/edge";
await init();
await edge.init();
const { token, sha256 } = mintToken("api_token");
if (digestToken(token) !== sha256) throw new Error("digest mismatch");
const engine = Engine.fromState({ issued_at: "2026-11-22T10:00:00Z" });
console.log(engine.check({ url: "/2.0/user" }).reason);
const keys = generateKeyPair();
const bundle = buildBundle({ issued_at: new Date(Date.now() - 1000).toISOString().replace(/\\.\\d+Z$/, "Z") }, keys.privateKey);
console.log(edge.Engine.load(bundle, { publicKey: keys.publicKey }).check({ url: "/2.0/user" }).reason);
console.log(import.meta.resolve("scopegate/scopegate.wasm").endsWith("/scopegate_wasm_bg.wasm"));
console.log(import.meta.resolve("scopegate/edge.wasm").endsWith("/scopegate_edge_wasm_bg.wasm"));`,
  );
  const out = execFileSync(process.execPath, ["use.mjs"], { cwd: dir, encoding: "utf8" });
  assert.deepEqual(out.trim().split("\n"), ["no_credentials", "no_credentials", "true", "true"]);
});

test("the `scopegate` bin is installed and runs, with its command modules", () => {
  const bin = join(dir, "node_modules/.bin/scopegate");
  const out = execFileSync(bin, ["mint", "workspace_access_token", "--json"], { encoding: "utf8" });
  assert.match(JSON.parse(out).token, /^sgw_/);
  const pair = JSON.parse(execFileSync(bin, ["keygen", "--json"], { encoding: "utf8" }));
  assert.match(pair.publicKey, /^scopegate-ed25519-public:/);
  const shipped = readdirSync(join(dir, "node_modules/scopegate/cli/commands")).sort();
  assert.deepEqual(shipped, ["admin.js", "bundles.js", "decide.js", "keys.js"]);
  assert.match(execFileSync(bin, ["--help"], { encoding: "utf8" }), /^usage: scopegate <command>/);
});
