// scopegate: verify API tokens and evaluate access policies locally (WebAssembly engine).
//
// The public JS API. The engine is Rust (src/), its raw binding is wasm-bindgen's glue
// (./scopegate_wasm.js); this file only shapes requests and picks how to load the .wasm per
// runtime. Types: ./scopegate.d.ts.

import wasmInit, {
  initSync as wasmInitSync,
  Engine as RawEngine,
  mintToken as rawMintToken,
  digestToken as rawDigestToken,
} from "./scopegate_wasm.js";

const WASM_FILE = "scopegate_wasm_bg.wasm";

let ready = false;

// A clear error instead of wasm-bindgen's "cannot read properties of undefined".
function assertReady() {
  if (!ready) throw new Error("scopegate is not initialised: call `await init()` (or `initSync(module)`) first");
}

/**
 * Instantiates the WebAssembly module; call (and await) once before anything else.
 *
 * `input` is anything wasm-bindgen's `web` target takes: a URL or path to fetch, a `Response`,
 * the bytes, or a compiled `WebAssembly.Module` (what workerd / Cloudflare Workers give for a
 * `.wasm` import). Without it, the .wasm next to this file is loaded: fetched in browsers, Deno
 * and Bun, read from disk in Node (whose `fetch` cannot read `file:` URLs).
 */
export async function init(input) {
  if (input === undefined) {
    // NOTE: resolved lazily: `import.meta.url` is not a URL in every runtime (workerd).
    let url;
    try {
      url = new URL(WASM_FILE, import.meta.url);
    } catch {
      throw new Error(
        "init(): this runtime gives no module URL; pass the .wasm (a WebAssembly.Module, its bytes or a URL)",
      );
    }
    if (url.protocol === "file:" && typeof process === "object" && process.versions?.node) {
      const { readFile } = await import("node:fs/promises");
      input = await readFile(url);
    } else {
      input = url;
    }
  }
  input = await input;
  // wasm-bindgen's own `{ module_or_path }` form is accepted as well.
  await wasmInit(isPlainObject(input) && "module_or_path" in input ? input : { module_or_path: input });
  ready = true;
}

/** Instantiates synchronously from a compiled `WebAssembly.Module` or the .wasm bytes. */
export function initSync(module) {
  wasmInitSync(isPlainObject(module) && "module" in module ? module : { module });
  ready = true;
}

function isPlainObject(value) {
  return value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype;
}

// Fetch `Headers` (and `Map`s) to [name, value] pairs; plain objects and pair lists pass as is.
function headerPairs(headers) {
  if (headers == null || Array.isArray(headers)) return headers;
  if (typeof headers.entries === "function" && Object.getPrototypeOf(headers) !== Object.prototype) {
    return Array.from(headers.entries());
  }
  return headers;
}

// The request as the engine reads it; `now` travels separately.
function requestOf(req) {
  if (req === null || typeof req !== "object") {
    throw new TypeError("expected a request object { method, url, headers, remoteAddr, now }");
  }
  if (typeof req.url !== "string") throw new TypeError("request.url must be a URL or a path, as a string");
  return {
    method: req.method ?? "GET",
    url: req.url,
    headers: headerPairs(req.headers),
    remoteAddr: req.remoteAddr ?? undefined,
  };
}

/** Decides requests against one snapshot of tokens, principals and policies. */
export class Engine {
  #raw;

  /** @private Use `Engine.fromState` (or `Engine.load` for signed bundles). */
  constructor(raw) {
    if (!(raw instanceof RawEngine)) {
      throw new TypeError("use Engine.fromState(state) to make an engine");
    }
    this.#raw = raw;
  }

  /**
   * An engine over an unsigned state (DESIGN.md §3): an object or its JSON text. A bad
   * state throws an `Error` whose message names the JSON path (`tokens[0].kind: ...`).
   */
  static fromState(state) {
    assertReady();
    const json = typeof state === "string" ? state : JSON.stringify(state);
    if (typeof json !== "string") throw new TypeError("expected a state object or JSON text");
    return new Engine(RawEngine.fromStateJson(json));
  }

  /** Decides `{ method, url, headers, remoteAddr, now }`; never throws for a deny. */
  check(req) {
    return this.#raw.check(requestOf(req), req.now);
  }

  /** Decides a Fetch API `Request` (workers, service workers, Deno, Bun). */
  checkRequest(request, options = {}) {
    return this.#raw.check(
      {
        method: request.method,
        url: request.url,
        headers: headerPairs(request.headers),
        remoteAddr: options.remoteAddr ?? undefined,
      },
      options.now,
    );
  }

  /** Like `check`, with every pipeline step: `{ decision, steps: [{ step, ok, detail }] }`. */
  explain(req) {
    return this.#raw.explain(requestOf(req), req.now);
  }

  /** Counts, times and profile of the loaded snapshot. */
  info() {
    return this.#raw.info();
  }

  /** Frees the engine's WebAssembly memory now instead of at garbage collection. */
  free() {
    this.#raw.free();
  }
}

// `using engine = ...` where the runtime has explicit resource management.
if (typeof Symbol.dispose === "symbol") Engine.prototype[Symbol.dispose] = Engine.prototype.free;

/** A fresh token of `kind` and its SHA-256: `{ token, sha256 }`. Show the token once. */
export function mintToken(kind) {
  assertReady();
  return rawMintToken(kind);
}

/** Lower-case hex SHA-256 of a token, as a state's `secret_sha256`. */
export function digestToken(token) {
  assertReady();
  return rawDigestToken(token);
}
