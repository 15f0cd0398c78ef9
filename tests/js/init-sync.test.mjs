// initSync with the .wasm bytes (its own process: a module instantiates once), and the error
// before any init.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { initSync, init, Engine, mintToken, digestToken } from "../../pkg/scopegate.js";

test("before init: a clear Error, not a crash inside the glue", () => {
  assert.throws(() => mintToken("api_token"), /call `await init\(\)`/);
  assert.throws(() => digestToken("x"), /not initialised/);
  assert.throws(() => Engine.fromState({ issued_at: "2026-11-22T10:00:00Z" }), /not initialised/);
});

test("initSync with a compiled WebAssembly.Module, as workers import it", async () => {
  const bytes = readFileSync(new URL("../../pkg/scopegate_wasm_bg.wasm", import.meta.url));
  initSync(new WebAssembly.Module(bytes));
  assert.match(mintToken("org_api_key").token, /^sgo_/);
  await init(); // a second init is a no-op
  initSync({ module: bytes }); // wasm-bindgen's own form too
  const engine = Engine.fromState({ issued_at: "2026-11-22T10:00:00Z" });
  assert.equal(engine.check({ url: "/2.0/user" }).reason, "no_credentials");
});
