// The demo: a fresh state with minted tokens (.demo/), a key pair and a signed bundle of it, a
// stand-in origin that is also the bundle store, the example worker under workerd in front of
// it, and the admin page; all on 127.0.0.1. Editing .demo/state.json builds a signed delta that
// the worker picks up. Ctrl-C stops everything.
//
//   node scripts/demo.mjs [--check]
// Ports: SCOPEGATE_WORKER_PORT (8787), SCOPEGATE_ADMIN_PORT (8080), SCOPEGATE_ORIGIN_PORT (8790);
// a busy port falls back to a free one.

import { chmodSync, mkdirSync, readFileSync, watchFile, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

import { init, Engine, mintToken, generateKeyPair, buildBundle, buildDelta } from "../pkg/scopegate.js";
import { makeFixture } from "./fixture.mjs";
import { startOrigin } from "./origin.mjs";
import { serveStatic, DEFAULT_MOUNTS } from "./serve.mjs";
import { startWorker } from "./workerd.mjs";

const DEMO = fileURLToPath(new URL("../.demo/", import.meta.url));
const checkOnly = process.argv.includes("--check");

const portOr0 = (name, fallback) =>
  new Promise((resolve) => {
    const want = Number(process.env[name] ?? fallback);
    const probe = createServer();
    probe.once("error", () => resolve(0));
    probe.listen(want, "127.0.0.1", () => probe.close(() => resolve(want)));
  });

await init();
const { state, tokens } = makeFixture({ mintToken });
Engine.fromState(state).free(); // the state loads, or the demo stops here with the JSON path
mkdirSync(DEMO, { recursive: true });
const statePath = `${DEMO}state.json`;
writeFileSync(statePath, JSON.stringify(state, null, 2) + "\n");
writeFileSync(`${DEMO}tokens.json`, JSON.stringify(tokens, null, 2) + "\n");
// Demo keys: a real deployment keeps the private key in CI's secrets, never next to the bundle.
const keys = generateKeyPair();
writeFileSync(`${DEMO}scopegate.pub`, keys.publicKey + "\n");
writeFileSync(`${DEMO}scopegate.key`, keys.privateKey + "\n", { mode: 0o600 });
chmodSync(`${DEMO}scopegate.key`, 0o600);
const bundle = buildBundle(state, keys.privateKey);
writeFileSync(`${DEMO}bundle.bin`, bundle);

const origin = await startOrigin({ bundle, port: await portOr0("SCOPEGATE_ORIGIN_PORT", 8790) });
// Edits to .demo/state.json become a signed delta on the bundle, which the worker picks up at
// its next refresh (every 5 s here). A state that does not load is reported and skipped.
watchFile(statePath, { interval: 1000 }, () => {
  try {
    const next = JSON.parse(readFileSync(statePath, "utf8"));
    const delta = buildDelta(bundle, next, keys.privateKey);
    writeFileSync(`${DEMO}delta.bin`, delta);
    origin.setDelta(delta);
    console.log(`state changed: delta of ${delta.length} bytes published`);
  } catch (e) {
    console.error(`state.json: ${e.message} (the worker keeps the last good snapshot)`);
  }
});
const gate = await startWorker({
  bundle,
  publicKey: keys.publicKey,
  originPort: origin.port,
  port: await portOr0("SCOPEGATE_WORKER_PORT", 8787),
  refreshSeconds: 5,
});
const site = await serveStatic(DEFAULT_MOUNTS, { port: await portOr0("SCOPEGATE_ADMIN_PORT", 8080) });

const repo = "/2.0/repositories/acme/web";
console.log(`
scopegate demo (all on 127.0.0.1)

  edge worker (workerd)  ${gate.url}${repo}
  admin page             ${site.url}/
                         ("Load the demo state", or drop .demo/bundle.bin with the key in
                          .demo/scopegate.pub; sign a change with .demo/scopegate.key)
  origin (stand-in API)  http://127.0.0.1:${origin.port}/

  state   .demo/state.json   (edit it: a signed delta reaches the worker within seconds;
                              a change must move issued_at forward: one delta per time)
  tokens  .demo/tokens.json  (demo secrets; the state holds only their SHA-256)
  bundle  .demo/bundle.bin   signed with .demo/scopegate.key, verified with .demo/scopegate.pub
          try: node pkg/cli.js inspect .demo/bundle.bin --public-key .demo/scopegate.pub

try:
  curl -i ${gate.url}${repo} -H "Authorization: Bearer ${tokens["web-read"]}"
      -> 200 from the origin (allow, ok)
  curl -i -X POST ${gate.url}${repo}/pullrequests -H "Authorization: Bearer ${tokens["mary-readonly"]}"
      -> 403 scope_missing (a read-only token cannot write)
  curl -i ${gate.url}${repo} -H "Authorization: Bearer ${tokens["old-ci"]}"
      -> 401 token_revoked (with Bitbucket's WWW-Authenticate challenge)
  curl -i ${gate.url}${repo}
      -> 401 no_credentials
`);

async function stop() {
  await gate.stop();
  await site.stop();
  await origin.stop();
  process.exit(0);
}

if (checkOnly) {
  const status = async (path, token, method = "GET") =>
    (await fetch(`${gate.url}${path}`, { method, headers: token ? { authorization: `Bearer ${token}` } : {} })).status;
  const results = {
    allow: await status(repo, tokens["web-read"]),
    scope_missing: await status(`${repo}/pullrequests`, tokens["mary-readonly"], "POST"),
    no_credentials: await status(repo),
    admin_page: (await fetch(`${site.url}/`)).status,
    package: (await fetch(`${site.url}/pkg/scopegate_wasm_bg.wasm`)).status,
  };
  console.log("demo check:", JSON.stringify(results));
  const ok = results.allow === 200 && results.scope_missing === 403 && results.no_credentials === 401 &&
    results.admin_page === 200 && results.package === 200;
  await gate.stop();
  await site.stop();
  await origin.stop();
  process.exit(ok ? 0 : 1);
}

console.log("Ctrl-C to stop.");
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
