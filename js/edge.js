// scopegate/edge: the engine a worker ships. Loads signed bundles, applies deltas and decides
// requests, from a .wasm less than half the size of the full one (src/wasm.rs, "Two builds").
// The build side (states, bundle building, keys, preview, audit) is in "scopegate".
// Types: ./edge.d.ts.

import * as raw from "./scopegate_edge_wasm.js";
import { bind } from "./api.js";

export { REASONS, TOKEN_KINDS } from "./api.js";

const api = bind(raw, { wasmFile: "scopegate_edge_wasm_bg.wasm", moduleUrl: () => import.meta.url, build: "edge" });

export const { init, initSync, Engine, digestToken } = api;
