// Run by runtimes.test.mjs under Deno and Bun: both entry points of the built package
// (`scopegate` and `scopegate/edge`) load their .wasm the default way (`init()` with no
// argument) and decide requests, from a plain request and from a Fetch API Request. Prints
// one JSON line with what happened.

import * as full from "../../pkg/scopegate.js";
import * as edge from "../../pkg/edge.js";

await full.init();
await edge.init();

const now = Date.now();
const iso = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
const { token, sha256 } = full.mintToken("repository_access_token");
const state = {
  issued_at: iso(now - 60_000),
  resources: { workspaces: [{ slug: "acme" }], repositories: [{ workspace: "acme", slug: "web" }] },
  tokens: [{ id: "t-1", kind: "repository_access_token", secret_sha256: sha256, resource: "acme/web",
             scopes: ["repository"], created_at: iso(now - 86_400_000), expires_at: iso(now + 86_400_000) }],
};
const keys = full.generateKeyPair({ typed: true });
const bundle = full.buildBundle(state, keys.privateKey);
const url = "https://api.example.test/2.0/repositories/acme/web";
const headers = { authorization: `Bearer ${token}` };

const results = {};
for (const [name, api] of [["scopegate", full], ["scopegate/edge", edge]]) {
  const engine = api.Engine.load(bundle, { publicKey: keys.publicKey });
  results[name] = {
    check: engine.check({ url, headers }).reason,
    checkRequest: engine.checkRequest(new Request(url, { headers })).reason,
    anonymous: engine.checkRequest(new Request(url)).reason,
    write: engine.check({ url: `${url}/pullrequests`, method: "POST", headers }).reason,
  };
  engine.free();
}
console.log(JSON.stringify(results));
