// Compiled by `tsc --noEmit -p tests/js` (never run): the .d.ts describes the API as documented.
import {
  init,
  initSync,
  Engine,
  mintToken,
  digestToken,
  type Decision,
  type Effect,
  type Explanation,
  type Info,
  type MintedToken,
  type Reason,
  type State,
} from "../../pkg/scopegate.js";

export async function example(bytes: Uint8Array, module: WebAssembly.Module): Promise<Reason> {
  await init();
  await init(new URL("https://example.test/scopegate_wasm_bg.wasm"));
  await init(bytes);
  initSync(module);
  initSync({ module: bytes });
  await init({ module_or_path: "/pkg/scopegate_wasm_bg.wasm" });

  const minted: MintedToken = mintToken("repository_access_token");
  const hex: string = digestToken(minted.token);
  const state: State = {
    issued_at: "2026-11-22T10:00:00Z",
    tokens: [{ id: "t-1", kind: "repository_access_token", secret_sha256: hex, resource: "acme/web", scopes: ["repository"] }],
  };
  const engine = Engine.fromState(state);
  Engine.fromState(JSON.stringify(state));

  const d: Decision = engine.check({
    method: "GET",
    url: "/2.0/repositories/acme/web",
    headers: { authorization: `Bearer ${minted.token}` },
    remoteAddr: "203.0.113.9",
    now: Date.now(),
  });
  engine.check({ url: "/", headers: [["authorization", "Bearer x"]] });
  engine.check({ url: "/", headers: new Headers() });
  const effect: Effect = d.effect;
  const allowed: boolean = d.allow && effect === "allow";
  const required: string[][] | undefined = d.required?.anyOf;

  const fromFetch: Decision = engine.checkRequest(new Request("https://api.example.test/2.0/user"), { remoteAddr: "::1" });
  const x: Explanation = engine.explain({ url: "/2.0/user" });
  const firstStep: string | undefined = x.steps[0]?.step;
  const info: Info = engine.info();
  const count: number = info.tokens;
  engine.free();

  // @ts-expect-error: not a token kind
  mintToken("banana");
  // @ts-expect-error: the url is required
  engine.check({ method: "GET" });
  // @ts-expect-error: engines come from Engine.fromState
  new Engine();
  // @ts-expect-error: not a reason code
  const wrong: Reason = "nope";

  void [allowed, required, fromFetch, firstStep, count, wrong];
  return d.reason;
}
