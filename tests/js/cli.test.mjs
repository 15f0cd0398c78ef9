// The package's command line (pkg/cli.js, the `scopegate` bin): output and exit codes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { init, mintToken } from "../../pkg/scopegate.js";
import { makeFixture } from "../../scripts/fixture.mjs";

const CLI = fileURLToPath(new URL("../../pkg/cli.js", import.meta.url));
const run = (...args) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8" });
let dir, statePath, fixture;

before(async () => {
  await init();
  fixture = makeFixture({ mintToken });
  dir = mkdtempSync(join(tmpdir(), "scopegate-cli-"));
  statePath = join(dir, "state.json");
  writeFileSync(statePath, JSON.stringify(fixture.state));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("mint --json gives a token and its digest; digest agrees", () => {
  const r = run("mint", "api_token", "--json");
  assert.equal(r.status, 0, r.stderr);
  const { token, sha256 } = JSON.parse(r.stdout);
  assert.match(token, /^sga_/);
  const d = run("digest", token);
  assert.equal(d.stdout.trim(), sha256);
});

test("check exits 0 on allow and 1 on deny", () => {
  const ok = run("check", "--state", statePath, "--token", fixture.tokens["web-read"], "/2.0/repositories/acme/web");
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^ALLOW\s+ok/);
  const no = run("check", "--json", "--state", statePath, "-X", "POST", "--token", fixture.tokens["mary-readonly"], "/2.0/repositories/acme/web/pullrequests");
  assert.equal(no.status, 1);
  assert.equal(JSON.parse(no.stdout).reason, "scope_missing");
});

test("explain prints the steps", () => {
  const r = run("explain", "--state", statePath, "--token", fixture.tokens["old-ci"], "/2.0/repositories/acme/web");
  assert.equal(r.status, 1);
  assert.match(r.stdout, /token_state/);
  assert.match(r.stdout, /DENY\s+token_revoked/);
});

test("info, and exit 2 with a message for bad usage or input", () => {
  const info = run("info", "--json", "--state", statePath);
  assert.equal(JSON.parse(info.stdout).tokens, 5);
  const bad = run("check", "/x");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--state/);
  writeFileSync(join(dir, "bad.json"), JSON.stringify({ issued_at: "tomorrow" }));
  const badState = run("info", "--state", join(dir, "bad.json"));
  assert.equal(badState.status, 2);
  assert.match(badState.stderr, /issued_at/);
  assert.equal(run("frobnicate").status, 2);
  assert.equal(run("--help").status, 0);
});
