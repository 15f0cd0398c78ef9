// scopegate: verify API tokens and evaluate access policies locally (WebAssembly engine).
//
// The full package: decisions, signed bundles and deltas, and the build side (state reader,
// bundle builder, keys, tokens, preview, audit, OpenAPI importer), for Node, Deno, Bun,
// browsers and workers. A worker that only loads bundles and decides can import the smaller
// `scopegate/edge` instead. The API is js/api.js over wasm-bindgen's glue; types:
// ./scopegate.d.ts.

import * as raw from "./scopegate_wasm.js";
import { bind } from "./api.js";

export { REASONS, TOKEN_KINDS } from "./api.js";

const api = bind(raw, { wasmFile: "scopegate_wasm_bg.wasm", moduleUrl: () => import.meta.url, build: "full" });

export const {
  init,
  initSync,
  Engine,
  BundleBuilder,
  buildBundle,
  buildDelta,
  generateKeyPair,
  publicKeyOf,
  keyIdOf,
  mintToken,
  digestToken,
  profileFromOpenApi,
  inspectBundle,
} = api;
