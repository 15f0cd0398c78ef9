// The package's command line (pkg/cli.js, the `scopegate` bin), run as a subprocess: output,
// files and exit codes (0 allow/ok, 1 deny/findings/changes, 2 usage or bad input, 3 defer).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { init, mintToken } from "../../pkg/scopegate.js";
import { makeFixture, iso } from "../../scripts/fixture.mjs";

const CLI = fileURLToPath(new URL("../../pkg/cli.js", import.meta.url));
const REPO = "/2.0/repositories/acme/web";
let dir, fixture, statePath, keyPath, pubPath, bundlePath;

const run = (...args) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: "utf8" });
/** Runs the CLI with `input` on stdin and `env` added to the environment. */
const runWith = ({ input, env }, ...args) =>
  spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: "utf8", input, env: { ...process.env, ...env } });
const file = (name) => join(dir, name);
/** One line on stderr, starting `scopegate: `. */
const oneLineError = (r) => {
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^scopegate: /);
  return lines[0];
};

before(async () => {
  await init();
  fixture = makeFixture({ mintToken });
  dir = mkdtempSync(join(tmpdir(), "scopegate-cli-"));
  statePath = file("state.json");
  writeFileSync(statePath, JSON.stringify(fixture.state));
  const keygen = run("keygen", "--out", "ci", "--json");
  assert.equal(keygen.status, 0, keygen.stderr);
  keyPath = file("ci.key");
  pubPath = file("ci.pub");
  bundlePath = file("bundle.bin");
  const build = run("build", "state.json", "--key", keyPath, "--out", bundlePath);
  assert.equal(build.status, 0, build.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("keygen writes typed keys: the private one only its owner can read", () => {
  assert.equal(statSync(keyPath).mode & 0o777, 0o600);
  assert.match(readFileSync(keyPath, "utf8").trim(), /^scopegate-ed25519-private:[A-Za-z0-9_-]{43}$/);
  assert.match(readFileSync(pubPath, "utf8").trim(), /^scopegate-ed25519-public:[A-Za-z0-9_-]{43}$/);
  const r = run("keygen", "--json");
  assert.equal(r.status, 0);
  const pair = JSON.parse(r.stdout);
  assert.match(pair.privateKey, /^scopegate-ed25519-private:[A-Za-z0-9_-]{43}$/);
  assert.match(pair.keyId, /^[0-9a-f]{16}$/);
  assert.match(run("keygen").stdout, /^public key\s+scopegate-ed25519-public:\S+\nprivate key\s+scopegate-ed25519-private:\S+\nkey id\s+[0-9a-f]{16}/);
  // The key id is the engine's: what the bundles this key signs carry.
  const written = JSON.parse(run("keygen", "--out", "other", "--json").stdout);
  writeFileSync(file("tiny.json"), JSON.stringify({ issued_at: iso(Date.now()) }));
  assert.equal(run("build", "tiny.json", "--key", "other.key", "--out", "tiny.bin").status, 0);
  assert.equal(JSON.parse(run("inspect", "tiny.bin", "--public-key", "other.pub", "--json").stdout).keyId, written.keyId);
});

test("keys of the wrong kind are errors naming the file; untyped keys are still read", () => {
  const wrongKey = run("build", "state.json", "--key", pubPath, "--out", "x.bin");
  assert.equal(wrongKey.status, 2);
  assert.equal(oneLineError(wrongKey), `scopegate: ${pubPath}: private key: got a public key (\`scopegate-ed25519-public:\`), which cannot sign: give the private key`);
  assert.ok(!existsSync(file("x.bin")));
  const wrongPublic = run("inspect", "bundle.bin", "--public-key", keyPath);
  assert.equal(wrongPublic.status, 2);
  assert.match(oneLineError(wrongPublic), new RegExp(`^scopegate: ${keyPath.replace(/[.]/g, "\\.")}: public key: got a private key`));
  const privateText = readFileSync(keyPath, "utf8").trim();
  assert.ok(!wrongPublic.stderr.includes(privateText.split(":")[1]), "the private key is never echoed");
  // A private key pasted as --public-key text: refused, never echoed.
  const pasted = run("inspect", "bundle.bin", "--public-key", privateText);
  assert.equal(pasted.status, 2);
  assert.ok(!pasted.stderr.includes(privateText.split(":")[1]), pasted.stderr);
  // Keys written by earlier versions (untyped base64url) still sign and verify.
  writeFileSync(file("raw.key"), `${privateText.split(":")[1]}\n`);
  writeFileSync(file("raw.pub"), `${readFileSync(pubPath, "utf8").trim().split(":")[1]}\n`);
  assert.equal(run("build", "state.json", "--key", "raw.key", "--out", "raw.bin").status, 0);
  assert.deepEqual(readFileSync(file("raw.bin")), readFileSync(bundlePath));
  assert.equal(run("inspect", "bundle.bin", "--public-key", "raw.pub").status, 0);
});

test("mint --json gives a token and its digest; digest agrees", () => {
  const r = run("mint", "api_token", "--json");
  assert.equal(r.status, 0, r.stderr);
  const { token, sha256 } = JSON.parse(r.stdout);
  assert.match(token, /^sga_/);
  assert.equal(run("digest", token).stdout.trim(), sha256);
  assert.equal(runWith({ input: `${token}\n` }, "digest", "--token", "-").stdout.trim(), sha256);
  assert.equal(runWith({ env: { MINTED: token } }, "digest", "--token-env", "MINTED").stdout.trim(), sha256);
  assert.equal(run("mint", "banana").status, 2);
});

test("build writes a signed bundle that inspect verifies; the same state gives the same bytes", () => {
  const r = run("inspect", "bundle.bin", "--public-key", pubPath, "--json");
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.kind, "bundle");
  assert.equal(info.tokens, 5);
  assert.equal(info.bytes, statSync(bundlePath).size);
  assert.equal(info.issuedAt, fixture.state.issued_at);
  // The public key as text works as well as its file; the human form is a table.
  const human = run("inspect", "bundle.bin", "--public-key", readFileSync(pubPath, "utf8").trim());
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /kind\s+bundle/);
  assert.match(human.stdout, /SECTION\s+BYTES/);

  const again = run("build", "state.json", "--key", keyPath, "--out", "again.bin", "--json");
  assert.equal(again.status, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).sha256, info.sha256);
  assert.deepEqual(readFileSync(file("again.bin")), readFileSync(bundlePath));
  // --ttl sets expires_at after issued_at.
  const short = JSON.parse(run("build", "state.json", "--key", keyPath, "--out", "short.bin", "--ttl", "60", "--json").stdout);
  assert.equal(Date.parse(short.expiresAt) - Date.parse(short.issuedAt), 60_000);
});

test("build on bad input: one line naming the file and the JSON path, exit 2, nothing written", () => {
  const bad = structuredClone(fixture.state);
  bad.tokens[3].expires_at = "tomorrow";
  writeFileSync(file("bad.json"), JSON.stringify(bad));
  writeFileSync(file("existing.bin"), "old contents");
  const before = readdirSync(dir).sort();
  for (const out of ["new.bin", "existing.bin"]) {
    const r = run("build", "bad.json", "--key", keyPath, "--out", out);
    assert.equal(r.status, 2);
    assert.equal(oneLineError(r), 'scopegate: bad.json: tokens[3].expires_at: expected an RFC 3339 time, got "tomorrow"');
  }
  assert.equal(readFileSync(file("existing.bin"), "utf8"), "old contents", "an existing file is untouched");
  assert.deepEqual(readdirSync(dir).sort(), before, "no bundle and no temporary file left behind");

  assert.match(oneLineError(run("build", "missing.json", "--key", keyPath, "--out", "x.bin")), /missing\.json: no such file/);
  assert.match(oneLineError(run("build", "state.json", "--out", "x.bin")), /--key/);
  assert.match(oneLineError(run("build", "state.json", "--key", keyPath)), /--out/);
  writeFileSync(file("short.key"), "c2VjcmV0LXNlZWQtdGhhdC1pcy10b28tc2hvcnQ\n");
  const leaked = run("build", "state.json", "--key", "short.key", "--out", "x.bin");
  assert.equal(leaked.status, 2);
  assert.match(oneLineError(leaked), /private key: expected a 32-byte/);
  assert.ok(!leaked.stderr.includes("c2VjcmV0"), "the key is never echoed");
  assert.ok(!existsSync(file("x.bin")));
  assert.equal(run("build", "state.json", "--key", keyPath, "--out", join("no", "such", "dir.bin")).status, 2);
});

test("build --progress reports its phases on stderr", () => {
  const r = run("build", "state.json", "--key", keyPath, "--out", "progress.bin", "--progress");
  assert.equal(r.status, 0, r.stderr);
  for (const phase of [/reading state\.json: done/, /parsing and checking state\.json/, /encoding and signing 5 tokens: done/, /writing progress\.bin/]) {
    assert.match(r.stderr, phase);
  }
  assert.match(r.stdout, /^wrote progress\.bin: bundle, [\d,]+ bytes, 5 tokens/);
  assert.equal(run("build", "state.json", "--key", keyPath, "--out", "quiet.bin").stderr, "", "no progress off a terminal by default");
});

test("on a terminal, a large state gets a progress bar", () => {
  // A state over 1 MB: the fixture plus a few thousand tokens.
  const big = structuredClone(fixture.state);
  for (let i = 0; i < 6000; i++) {
    big.tokens.push({
      id: `bulk-${i}`, kind: "repository_access_token", resource: "acme/web", scopes: ["repository"],
      secret: `bulk-secret-${i}`, label: "x".repeat(150), created_at: iso(fixture.now - 86_400_000), expires_at: iso(fixture.now + 86_400_000),
    });
  }
  writeFileSync(file("big.json"), JSON.stringify(big));
  assert.ok(statSync(file("big.json")).size > 1e6);
  // `script` gives the CLI a pseudo-terminal (util-linux, on every Debian machine).
  const r = spawnSync("script", ["-qec", `${process.execPath} ${CLI} build big.json --key ${keyPath} --out big.bin`, "/dev/null"], { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  // One bar over every step, not only the reading: it moves on through parse, encode and sign.
  const percent = (label) => [...r.stdout.matchAll(new RegExp(`\\[#*-*\\]\\s+(\\d+)%  ${label}`, "g"))].map((m) => Number(m[1]));
  assert.ok(percent("reading big\\.json").length > 0, r.stdout);
  const parsing = percent("parsing and checking big\\.json");
  const signing = percent("encoding and signing 6,005 tokens");
  assert.ok(parsing.length > 0 && signing.length > 0, r.stdout);
  assert.ok(Math.min(...parsing) > 0 && Math.min(...signing) > Math.max(...parsing), `${parsing} then ${signing}`);
  assert.match(r.stdout, /wrote big\.bin: bundle, [\d,]+ bytes, 6,005 tokens/);
});

test("build --tokens: the token list as NDJSON gives the same bytes; a bad line names the file and line", () => {
  const { tokens, ...rest } = fixture.state;
  writeFileSync(file("estate.json"), JSON.stringify(rest));
  writeFileSync(file("tokens.ndjson"), tokens.map((t) => JSON.stringify(t)).join("\n") + "\n");
  const r = run("build", "estate.json", "--tokens", "tokens.ndjson", "--key", keyPath, "--out", "streamed.bin", "--progress");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^wrote streamed\.bin: bundle, [\d,]+ bytes, 5 tokens/);
  assert.match(r.stderr, /reading and checking tokens\.ndjson.*: done/);
  assert.match(r.stderr, /sorting, encoding and signing 5 tokens: done/);
  // Byte for byte the bundle of the whole state: the two paths cannot drift.
  assert.deepEqual(readFileSync(file("streamed.bin")), readFileSync(bundlePath));

  const bad = tokens.map((t, i) => JSON.stringify(i === 3 ? { ...t, expires_at: "tomorrow" } : t));
  writeFileSync(file("bad.ndjson"), bad.join("\n") + "\n");
  const b = run("build", "estate.json", "--tokens", "bad.ndjson", "--key", keyPath, "--out", "never.bin");
  assert.equal(b.status, 2);
  assert.equal(oneLineError(b), 'scopegate: bad.ndjson:4: expires_at: expected an RFC 3339 time, got "tomorrow"');
  assert.ok(!existsSync(file("never.bin")), "nothing written");
  assert.match(oneLineError(run("build", "estate.json", "--tokens", "none.ndjson", "--key", keyPath, "--out", "x.bin")), /none\.ndjson: no such file/);
  assert.match(oneLineError(run("delta", "bundle.bin", "state.json", "--tokens", "tokens.ndjson", "--key", keyPath, "--out", "x.bin")), /--tokens is for `scopegate build`/);
});

test("the token stays out of argv: --token-env and --token - (stdin)", () => {
  const args = ["--bundle", "bundle.bin", "--public-key", pubPath, "--json", REPO];
  const fromEnv = runWith({ env: { SCOPEGATE_TEST_TOKEN: fixture.tokens["web-read"] } }, "check", "--token-env", "SCOPEGATE_TEST_TOKEN", ...args);
  assert.equal(fromEnv.status, 0, fromEnv.stderr);
  assert.equal(JSON.parse(fromEnv.stdout).token.id, "web-read");
  const fromStdin = runWith({ input: `${fixture.tokens["old-ci"]}\n` }, "check", "--token", "-", ...args);
  assert.equal(fromStdin.status, 1, fromStdin.stderr);
  assert.equal(JSON.parse(fromStdin.stdout).reason, "token_revoked");
  const unset = runWith({ env: { SCOPEGATE_TEST_TOKEN: "" } }, "check", "--token-env", "SCOPEGATE_TEST_TOKEN", ...args);
  assert.equal(unset.status, 2);
  assert.match(oneLineError(unset), /--token-env SCOPEGATE_TEST_TOKEN: the environment variable `SCOPEGATE_TEST_TOKEN` is not set/);
  assert.equal(runWith({ input: "" }, "check", "--token", "-", ...args).status, 2);
  // The help's examples never put a token in argv.
  const help = run("--help").stdout;
  assert.ok(help.includes("--token-env TOKEN"), help);
  for (const line of help.split("\n").filter((l) => /^\s+(TOKEN=\S+ )?scopegate /.test(l))) assert.doesNotMatch(line, /--token (?!-)/, line);
});

test("--remote-addr must be an IP address", () => {
  const args = ["check", "--state", "state.json", "--token-env", "T", REPO];
  const env = { T: fixture.tokens["web-read"] };
  for (const addr of ["localhost", "203.0.113.300", "1.2.3.4/24", ""]) {
    const r = runWith({ env }, ...args, "--remote-addr", addr);
    assert.equal(r.status, 2, addr);
    assert.match(oneLineError(r), /--remote-addr must be an IP address/);
  }
  const ok = runWith({ env }, ...args, "--remote-addr", "2001:db8::1", "--json");
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).clientIp, "2001:db8::1");
});

test("check over a signed bundle: exit 0 allow, 1 deny, 3 defer", () => {
  const bundleArgs = ["--bundle", "bundle.bin", "--public-key", pubPath];
  const ok = run("check", ...bundleArgs, "--token", fixture.tokens["web-read"], REPO);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^ALLOW\s+ok/);
  const no = run("check", "--json", ...bundleArgs, "-X", "POST", "--token", fixture.tokens["mary-readonly"], `${REPO}/pullrequests`);
  assert.equal(no.status, 1);
  assert.equal(JSON.parse(no.stdout).reason, "scope_missing");
  const password = `Basic ${Buffer.from("mary@acme.test:correct horse battery staple").toString("base64")}`;
  const defer = run("check", ...bundleArgs, "-H", `Authorization: ${password}`, REPO);
  assert.equal(defer.status, 3, defer.stdout);
  assert.match(defer.stdout, /^DEFER\s+password_auth_deferred/);
  // The same over the unsigned state.
  assert.equal(run("check", "--state", "state.json", "--token", fixture.tokens["web-read"], REPO).status, 0);
});

test("explain prints the steps", () => {
  const r = run("explain", "--state", "state.json", "--token", fixture.tokens["old-ci"], REPO);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /token_state/);
  assert.match(r.stdout, /DENY\s+token_revoked/);
});

test("delta: a revocation applied with --delta; a bundle that does not verify or has expired is exit 2", () => {
  const next = structuredClone(fixture.state);
  next.issued_at = iso(Date.now() - 1000);
  next.tokens.find((t) => t.id === "web-read").revoked_at = iso(Date.now() - 2000);
  writeFileSync(file("next.json"), JSON.stringify(next));
  const d = run("delta", "bundle.bin", "next.json", "--key", keyPath, "--out", "delta.bin", "--json");
  assert.equal(d.status, 0, d.stderr);
  const info = JSON.parse(d.stdout);
  assert.equal(info.kind, "delta");
  assert.equal(info.tokens, 1);
  const args = ["--bundle", "bundle.bin", "--public-key", pubPath, "--token", fixture.tokens["web-read"], REPO];
  assert.equal(run("check", ...args).status, 0);
  const revoked = run("check", "--delta", "delta.bin", "--json", ...args);
  assert.equal(revoked.status, 1);
  assert.equal(JSON.parse(revoked.stdout).reason, "token_revoked");

  const other = JSON.parse(run("keygen", "--json").stdout);
  const wrongKey = run("check", "--bundle", "bundle.bin", "--public-key", other.publicKey, REPO);
  assert.equal(wrongKey.status, 2);
  const keyId = JSON.parse(run("inspect", "bundle.bin", "--public-key", pubPath, "--json").stdout).keyId;
  assert.equal(oneLineError(wrongKey), `scopegate: bundle.bin: bundle is signed by key \`${keyId}\`, which is not among the given public keys`);
  const expired = run("check", "--bundle", "bundle.bin", "--public-key", pubPath, "--now", "2099-01-01T00:00:00Z", REPO);
  assert.equal(expired.status, 2);
  assert.match(oneLineError(expired), /^scopegate: bundle\.bin: bundle expired at /);
  const tampered = readFileSync(bundlePath);
  tampered[tampered.length - 200] ^= 1;
  writeFileSync(file("tampered.bin"), tampered);
  assert.match(oneLineError(run("inspect", "tampered.bin", "--public-key", pubPath)), /tampered\.bin: bundle signature does not verify/);
  assert.match(oneLineError(run("check", "--bundle", "bundle.bin", "--public-key", pubPath, "--delta", "tampered.bin", REPO)), /tampered\.bin: /);
});

test("delta --changes: a revocation by id and a policy change alone; a bad change writes nothing", () => {
  const issued_at = iso(Date.now() - 1000);
  writeFileSync(file("revoke.json"), JSON.stringify({ issued_at, revoke: ["web-read"] }));
  const d = run("delta", "bundle.bin", "--changes", "revoke.json", "--key", keyPath, "-o", "changes.delta", "--json");
  assert.equal(d.status, 0, d.stderr);
  assert.equal(JSON.parse(d.stdout).tokens, 1);
  const args = ["--bundle", "bundle.bin", "--public-key", pubPath, "--json"];
  const revoked = run("check", ...args, "--delta", "changes.delta", "--token", fixture.tokens["web-read"], REPO);
  assert.equal(JSON.parse(revoked.stdout).reason, "token_revoked");

  // No revoke/remove/upsert: --changes still reads it as changes (not a state with no tokens).
  writeFileSync(file("block-changes.json"), JSON.stringify({ issued_at, policies: [], default_policy: { api_tokens: "block" } }));
  const p = run("delta", "bundle.bin", "--changes", "block-changes.json", "--key", keyPath, "-o", "policy.delta", "--json");
  assert.equal(p.status, 0, p.stderr);
  assert.deepEqual([JSON.parse(p.stdout).tokens, JSON.parse(p.stdout).removed], [0, 0]);
  const blocked = run("check", ...args, "--delta", "policy.delta", "--token", fixture.tokens["mary-readonly"], REPO);
  assert.equal(JSON.parse(blocked.stdout).reason, "api_tokens_blocked");
  assert.equal(JSON.parse(run("check", ...args, "--delta", "policy.delta", "--token", fixture.tokens["web-read"], REPO).stdout).reason, "ok");

  writeFileSync(file("bad-changes.json"), JSON.stringify({ issued_at, revoke: ["web-read"], remove: ["nobody"] }));
  const bad = run("delta", "bundle.bin", "--changes", "bad-changes.json", "--key", keyPath, "-o", "bad.delta");
  assert.equal(bad.status, 2, bad.stderr);
  assert.match(oneLineError(bad), /bad-changes\.json: remove\[0\]: unknown token "nobody"/);
  assert.equal(existsSync(file("bad.delta")), false);
  assert.equal(run("delta", "bundle.bin", "next.json", "--changes", "revoke.json", "--key", keyPath, "-o", "x.delta").status, 2);
});

test("preview: exit 1 and a table when tokens change, 0 when nothing does; replay by token id", () => {
  writeFileSync(file("block.json"), JSON.stringify({ policies: [], default_policy: { api_tokens: "block" } }));
  writeFileSync(file("replay.json"), JSON.stringify([{ tokenId: "mary-readonly", url: REPO }, { tokenId: "web-read", url: REPO }]));
  const r = run("preview", "block.json", "--bundle", "bundle.bin", "--public-key", pubPath, "--replay", "replay.json");
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /1 token changes: 1 newly denied/);
  assert.match(r.stdout, /mary-readonly\s+api_token\s+u-mary\s+ok\s+api_tokens_blocked/);
  assert.match(r.stdout, /replay: 2 requests, 1 flipped/);
  const json = JSON.parse(run("preview", "block.json", "--state", "state.json", "--json").stdout);
  assert.equal(json.changed[0].id, "mary-readonly");
  writeFileSync(file("same.json"), JSON.stringify({ policies: [], default_policy: fixture.state.default_policy }));
  const same = run("preview", "same.json", "--state", "state.json");
  assert.equal(same.status, 0, same.stdout + same.stderr);
  assert.match(same.stdout, /0 tokens change/);

  writeFileSync(file("badpolicy.json"), JSON.stringify({ policies: [{ name: "p", max_token_lifetime_days: "long" }], default_policy: {} }));
  assert.match(oneLineError(run("preview", "badpolicy.json", "--state", "state.json")), /^scopegate: badpolicy\.json: policies\[0\]\.max_token_lifetime_days: /);
  writeFileSync(file("badreplay.json"), JSON.stringify([{ tokenId: "a", url: "/" }, { tokenId: "b", url: "/", secret: "x" }]));
  assert.match(oneLineError(run("preview", "block.json", "--state", "state.json", "--replay", "badreplay.json")), /^scopegate: badreplay\.json: replay\[1\]: unknown field `secret`/);
  writeFileSync(file("notjson.json"), "{ nope");
  assert.match(oneLineError(run("preview", "block.json", "--state", "state.json", "--replay", "notjson.json")), /^scopegate: notjson\.json: not JSON/);
});

test("audit: exit 1 with findings in a table, 0 without", () => {
  const r = run("audit", "--bundle", "bundle.bin", "--public-key", pubPath, "--expiring-within", "400");
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /SEVERITY\s+KIND\s+TOKEN/);
  assert.match(r.stdout, /expiring_soon\s+web-read/);
  const json = JSON.parse(run("audit", "--state", "state.json", "--expiring-within", "400", "--json").stdout);
  assert.ok(json.findings.some((f) => f.kind === "expiring_soon" && f.tokenId === "web-read"));
  writeFileSync(file("empty.json"), JSON.stringify({ issued_at: fixture.state.issued_at }));
  const clean = run("audit", "--state", "empty.json");
  assert.equal(clean.status, 0, clean.stdout);
  assert.match(clean.stdout, /0 findings/);
  assert.equal(run("audit", "--state", "state.json", "--expiring-within", "soon").status, 2);
});

test("profile --from-openapi prints routes, writes the profile with --out, and the profile works in a state", () => {
  const spec = {
    openapi: "3.0.3",
    info: { title: "Notes" },
    components: { securitySchemes: { oauth: { type: "oauth2", flows: {} } } },
    paths: { "/workspaces/{workspace}/notes": { get: { security: [{ oauth: ["notes:read"] }] }, post: { security: [{ oauth: ["notes:write"] }] } } },
  };
  writeFileSync(file("spec.json"), JSON.stringify(spec));
  const human = run("profile", "--from-openapi", "spec.json");
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /profile notes: base path \/, 2 scopes, 2 routes/);
  assert.match(human.stdout, /POST\s+\/workspaces\/\{workspace\}\/notes\s+notes:write/);
  const written = run("profile", "--from-openapi", "spec.json", "--name", "notes-api", "--out", "profile.json");
  assert.equal(written.status, 0, written.stderr);
  const profile = JSON.parse(readFileSync(file("profile.json"), "utf8"));
  assert.equal(profile.name, "notes-api");
  assert.deepEqual(JSON.parse(run("profile", "--from-openapi", "spec.json", "--json", "--name", "notes-api").stdout), profile);

  const token = JSON.parse(run("mint", "workspace_access_token", "--json").stdout);
  writeFileSync(file("notes-state.json"), JSON.stringify({
    issued_at: fixture.state.issued_at,
    profile,
    resources: { workspaces: [{ slug: "acme" }] },
    tokens: [{ id: "n", kind: "workspace_access_token", resource: "acme", scopes: ["notes:read"], secret_sha256: token.sha256,
               created_at: iso(fixture.now - 86_400_000), expires_at: iso(fixture.now + 86_400_000) }],
  }));
  assert.equal(run("check", "--state", "notes-state.json", "--token", token.token, "/workspaces/acme/notes").status, 0);
  assert.equal(run("check", "--state", "notes-state.json", "--token", token.token, "-X", "POST", "/workspaces/acme/notes").status, 1);
  writeFileSync(file("swagger.json"), JSON.stringify({ swagger: "2.0" }));
  assert.match(oneLineError(run("profile", "--from-openapi", "swagger.json")), /^scopegate: swagger\.json: openapi: /);
});

test("info, and exit 2 with a one-line message for bad usage or input", () => {
  const info = run("info", "--json", "--bundle", "bundle.bin", "--public-key", pubPath);
  assert.equal(JSON.parse(info.stdout).tokens, 5);
  assert.equal(JSON.parse(info.stdout).signed, true);
  const bad = run("check", "/x");
  assert.equal(bad.status, 2);
  assert.match(oneLineError(bad), /--state/);
  writeFileSync(file("bad-issued.json"), JSON.stringify({ issued_at: "tomorrow" }));
  const badState = run("info", "--state", "bad-issued.json");
  assert.equal(badState.status, 2);
  assert.match(oneLineError(badState), /^scopegate: bad-issued\.json: issued_at/);
  assert.equal(run("frobnicate").status, 2);
  assert.equal(run("check", "--bogus", "/x").status, 2);
  const noColon = run("check", "--state", "state.json", "-H", `Authorization Bearer ${fixture.tokens["web-read"]}`, "/x");
  assert.equal(noColon.status, 2);
  assert.ok(!noColon.stderr.includes(fixture.tokens["web-read"]), "a malformed header is not echoed: it may carry a secret");
  const help = run("--help");
  assert.equal(help.status, 0);
  assert.match(help.stdout, /exit codes\n\s+0 /);
  assert.equal(run().status, 2);
});

test("build warns when the bundle it writes is expired or expires within the hour; --strict fails and writes nothing", () => {
  // The fixture's state was issued an hour ago: --ttl 60 is stale at once, 5400 s leaves 30 minutes.
  const stale = run("build", "state.json", "--key", keyPath, "--out", "stale.bin", "--ttl", "60");
  assert.equal(stale.status, 0, stale.stderr);
  assert.match(oneLineError(stale), /^scopegate: warning: state\.json: the bundle is already expired \(expires_at \S+ = issued_at \S+ \+ --ttl 60 s\)/);
  assert.ok(existsSync(file("stale.bin")));
  const soon = run("build", "state.json", "--key", keyPath, "--out", "soon.bin", "--ttl", "5400");
  assert.equal(soon.status, 0);
  assert.match(oneLineError(soon), /the bundle expires within the hour/);
  const strict = run("build", "state.json", "--key", keyPath, "--out", "strict.bin", "--ttl", "5400", "--strict");
  assert.equal(strict.status, 2);
  assert.match(oneLineError(strict), /^scopegate: state\.json: the bundle expires within the hour/);
  assert.ok(!existsSync(file("strict.bin")), "--strict writes nothing");
  const fine = run("build", "state.json", "--key", keyPath, "--out", "fine.bin", "--strict");
  assert.equal(fine.status, 0);
  assert.equal(fine.stderr, "");
  // --help explains the rule.
  assert.match(run("--help").stdout, /expires_at = the state's issued_at \+ ttl/);
});

test("inspect of an expired bundle shows it, says expired: true in --json, and exits 2", () => {
  const json = run("inspect", "bundle.bin", "--public-key", pubPath, "--now", "2099-01-01T00:00:00Z", "--json");
  assert.equal(json.status, 2);
  assert.equal(JSON.parse(json.stdout).expired, true);
  assert.match(oneLineError(json), /^scopegate: bundle\.bin: bundle expired at /);
  assert.equal(JSON.parse(run("inspect", "bundle.bin", "--public-key", pubPath, "--json").stdout).expired, false);
  const human = run("inspect", "bundle.bin", "--public-key", pubPath, "--now", "2099-01-01T00:00:00Z");
  assert.equal(human.status, 2);
  assert.match(human.stdout, /expires at\s+\S+ \(EXPIRED/);
});

test("revoke: a signed delta revoking token ids on the base bundle", () => {
  const r = run("revoke", "bundle.bin", "web-read", "web-deploy", "--key", keyPath, "--out", "revoke.delta", "--json");
  assert.equal(r.status, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  assert.equal(info.kind, "delta");
  assert.equal(info.tokens, 2);
  const check = (token) =>
    JSON.parse(runWith({ env: { T: token } }, "check", "--bundle", "bundle.bin", "--delta", "revoke.delta", "--public-key", pubPath, "--token-env", "T", "--json", REPO).stdout);
  assert.equal(check(fixture.tokens["web-read"]).reason, "token_revoked");
  assert.equal(check(fixture.tokens["web-deploy"]).reason, "token_revoked");
  assert.equal(check(fixture.tokens["mary-readonly"]).reason, "ok");
  const unknown = run("revoke", "bundle.bin", "nobody", "--key", keyPath, "--out", "nobody.delta");
  assert.equal(unknown.status, 2);
  assert.match(oneLineError(unknown), /^scopegate: bundle\.bin: revoke\[0\]: unknown token "nobody"/);
  assert.ok(!existsSync(file("nobody.delta")));
  assert.equal(run("revoke", "bundle.bin", "--key", keyPath, "--out", "none.delta").status, 2);
});

test("preview --at and --horizon: what a lifetime cap breaks as tokens age", () => {
  // The fixture's tokens are 30 days old: a 60-day cap breaks nothing today, three of them in 31 days.
  writeFileSync(file("cap.json"), JSON.stringify({ policies: [], default_policy: { ...fixture.state.default_policy, max_token_lifetime_days: 60 } }));
  const today = run("preview", "cap.json", "--state", "state.json", "--json");
  assert.equal(today.status, 0, today.stderr);
  assert.equal(JSON.parse(today.stdout).changedCount, 0);
  const later = run("preview", "cap.json", "--state", "state.json", "--at", iso(Date.now() + 40 * 86_400_000), "--json");
  assert.equal(later.status, 1);
  const report = JSON.parse(later.stdout);
  assert.deepEqual(report.changed.map((c) => c.id).sort(), ["mary-readonly", "web-deploy", "web-read"]);
  assert.ok(report.changed.every((c) => c.after === "token_lifetime_exceeds_policy"), later.stdout);

  const horizon = run("preview", "cap.json", "--bundle", "bundle.bin", "--public-key", pubPath, "--horizon", "60");
  assert.equal(horizon.status, 1, horizon.stderr);
  assert.match(horizon.stdout, /AS OF\s+CHANGED\s+NEWLY DENIED\s+NEWLY ALLOWED/);
  const json = JSON.parse(run("preview", "cap.json", "--state", "state.json", "--horizon", "60", "--json").stdout);
  assert.equal(json.horizon.length, 13);
  assert.equal(json.horizon[0].newlyDenied, 0);
  assert.equal(json.horizon.at(-1).newlyDenied, 3);
  assert.ok(json.horizon.every((h, i) => i === 0 || h.newlyDenied >= json.horizon[i - 1].newlyDenied));
  assert.equal(run("preview", "cap.json", "--state", "state.json", "--at", "soon").status, 2);
  assert.equal(run("preview", "cap.json", "--state", "state.json", "--at", iso(Date.now()), "--horizon", "3").status, 2);
});

test("audit --kind and --limit: the summary first, then the findings selected", () => {
  const args = ["audit", "--state", "state.json", "--expiring-within", "400"];
  const all = JSON.parse(run(...args, "--json").stdout);
  const expiring = all.findings.filter((f) => f.kind === "expiring_soon").length;
  assert.ok(expiring >= 2, JSON.stringify(all.summary));
  const human = run(...args, "--kind", "expiring_soon", "--limit", "1");
  assert.equal(human.status, 1);
  assert.ok(human.stdout.indexOf("KIND  ") < human.stdout.indexOf("SEVERITY"), human.stdout);
  const rows = human.stdout.split("\n").filter((l) => /^(info|low|medium|high)\s/.test(l));
  assert.equal(rows.length, 1, human.stdout);
  assert.match(human.stdout, new RegExp(`\\(1 of ${expiring} findings of kind expiring_soon listed`));
  const json = JSON.parse(run(...args, "--kind", "expiring_soon", "--json").stdout);
  assert.equal(json.matching, expiring);
  assert.ok(json.findings.every((f) => f.kind === "expiring_soon"));
  assert.deepEqual(json.summary, all.summary, "the summary counts every finding");
  const none = run(...args, "--kind", "orphaned");
  assert.equal(none.status, 0, "no finding of the kinds asked for");
  assert.match(none.stdout, /no findings of kind orphaned \(kinds with findings: /);
  assert.equal(run(...args, "--limit", "-1").status, 2);
});

test("preview takes a change of the default policy alone", () => {
  writeFileSync(file("default-only.json"), JSON.stringify({ default_policy: { ...fixture.state.default_policy, api_tokens: "block" } }));
  const r = run("preview", "default-only.json", "--state", "state.json", "--json");
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.deepEqual(JSON.parse(r.stdout).changed.map((c) => c.id), ["mary-readonly"]);
});

test("preview numbers replayed requests from 1, like the admin page", () => {
  writeFileSync(file("block2.json"), JSON.stringify({ policies: [], default_policy: { api_tokens: "block" } }));
  writeFileSync(file("replay2.json"), JSON.stringify([{ tokenId: "web-read", url: REPO }, { tokenId: "mary-readonly", url: REPO }]));
  const r = run("preview", "block2.json", "--state", "state.json", "--replay", "replay2.json");
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^2\s+mary-readonly\s+GET/m);
});

test("can-create and can-revoke: the engine's token-management decisions, exit 0 or 1", () => {
  const state = structuredClone(fixture.state);
  state.token_permissions = { use: ["*"], create: ["developers"], create_write: ["maintainers"], create_for_others: ["admins"] };
  writeFileSync(file("perms.json"), JSON.stringify(state));
  const base = ["--state", "perms.json", "--json"];
  const expires = ["--expires-at", iso(Date.now() + 30 * 86_400_000)];
  const read = run("can-create", "u-mary", "api_token", "--access", "read_only", ...expires, ...base);
  assert.equal(read.status, 0, read.stdout + read.stderr);
  assert.equal(JSON.parse(read.stdout).effect, "allow");
  const write = run("can-create", "u-mary", "repository_access_token", "--resource", "acme/web", "--scope", "repository:write", ...expires, ...base);
  assert.equal(write.status, 1, write.stdout);
  assert.equal(JSON.parse(write.stdout).effect, "deny");
  assert.equal(run("can-create", "u-mary", ...base).status, 2);
  const unknownScope = run("can-create", "u-mary", "repository_access_token", "--resource", "acme/web", "--scope", "nope", "--state", "perms.json");
  assert.equal(unknownScope.status, 2);
  assert.match(oneLineError(unknownScope), /^scopegate: perms\.json: /);

  const own = run("can-revoke", "u-mary", "mary-readonly", ...base);
  assert.equal(own.status, 0, own.stdout + own.stderr);
  assert.equal(JSON.parse(own.stdout).effect, "allow");
  const human = run("can-revoke", "u-nobody", "mary-readonly", "--state", "perms.json");
  assert.equal(human.status, 1, human.stdout + human.stderr);
  assert.match(human.stdout, /^DENY\s+/);
});
