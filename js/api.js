// The JavaScript API over either build of the engine (./scopegate.js: full, ./edge.js: edge).
//
// The engine is Rust (src/); its raw binding is wasm-bindgen's glue. This file only shapes
// arguments (requests to their parts, objects to JSON text, keys to text, bytes to Uint8Array),
// supplies the clock, parses results, and picks how to load the .wasm per runtime. Types:
// ./scopegate.d.ts. Errors: the engine's (real `Error`s made in src/wasm.rs), and `TypeError`
// for arguments of the wrong type, found here before anything crosses and made in one place,
// `argumentError`.

import { FastCheck, OVERRIDE_HEADERS } from "./fast.js";

const DEFAULT_TTL_SECONDS = 86_400;
const utf8 = new TextEncoder();
const SCRATCH_MAX = 16 << 20;
let scratch = new Uint8Array(0);

/**
 * UTF-8 of `text` in a buffer reused from call to call (valid until the next call).
 * NOTE: encoded here, natively, rather than by wasm-bindgen's string glue (a JS loop per
 * character), and into one buffer rather than a new one per chunk: 270 MB of token lists in
 * fresh buffers kept the garbage collector busy for seconds.
 */
function encodeText(text) {
  const most = text.length * 3; // UTF-16 code units to UTF-8 bytes: at most 3 each
  if (most > SCRATCH_MAX) return utf8.encode(text); // not kept: a large buffer would stay alive
  if (scratch.length < most) scratch = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(most, 2 * scratch.length)));
  return scratch.subarray(0, utf8.encodeInto(text, scratch).written);
}
const DEFAULT_EXPIRING_WITHIN_DAYS = 30;
const DEFAULT_ESTATE_WEEKS = 26;
const DEFAULT_MAX_LISTED = 1000;

/**
 * The API over one wasm-bindgen glue module.
 * @param {object} raw the glue module's namespace
 * @param {{ wasmFile: string, moduleUrl: () => string | undefined, build: "full" | "edge" }} options
 */
export function bind(raw, { wasmFile, moduleUrl, build }) {
  let ready = false;
  /** The module's `WebAssembly.Memory`, once instantiated: the fast check writes into it. */
  let memory;

  // A clear error instead of wasm-bindgen's "cannot read properties of undefined".
  function assertReady() {
    if (!ready) throw new Error("scopegate is not initialised: call `await init()` (or `initSync(module)`) first");
  }

  // What the edge build leaves out, named, instead of "is not a function".
  function fullOnly(name) {
    if (build !== "full") {
      throw new Error(`${name} is not in the edge build (scopegate/edge): import it from "scopegate"`);
    }
  }

  /**
   * Instantiates the WebAssembly module; call (and await) once before anything else.
   *
   * `input` is anything wasm-bindgen's `web` target takes: a URL or path to fetch, a
   * `Response`, the bytes, or a compiled `WebAssembly.Module` (what workerd / Cloudflare
   * Workers give for a `.wasm` import). Without it, the .wasm next to this file is loaded:
   * fetched in browsers, Deno and Bun, read from disk in Node (whose `fetch` cannot read
   * `file:` URLs).
   */
  async function init(input) {
    if (input === undefined) {
      // NOTE: resolved lazily: `import.meta.url` is not a URL in every runtime (workerd).
      let url;
      try {
        url = new URL(wasmFile, moduleUrl());
      } catch {
        throw new Error(
          "init(): this runtime gives no module URL; pass the .wasm (a WebAssembly.Module, its bytes or a URL)",
        );
      }
      if (url.protocol === "file:" && typeof process === "object" && process.versions?.node) {
        input = await readNodeFile(url);
      } else {
        input = url;
      }
    }
    input = await input;
    // wasm-bindgen's own `{ module_or_path }` form is accepted as well.
    const exports = await raw.default(isPlainObject(input) && "module_or_path" in input ? input : { module_or_path: input });
    memory = exports.memory;
    ready = true;
  }

  /** Instantiates synchronously from a compiled `WebAssembly.Module` or the .wasm bytes. */
  function initSync(module) {
    memory = raw.initSync(isPlainObject(module) && "module" in module ? module : { module }).memory;
    ready = true;
  }

  const RawEngine = raw.Engine;
  // Only `Engine.load` and `Engine.fromState` may construct: the raw engine is passed with this.
  const constructing = Symbol("scopegate.Engine");

  /** Decides requests against one snapshot of tokens, principals and policies. */
  class Engine {
    #raw;
    /** The fast check, made on the first decision (`null`: this engine's tokens cannot take it). */
    #fast;

    /** @private Use `Engine.load` (signed bundle) or `Engine.fromState` (unsigned state). */
    constructor(key, rawEngine) {
      if (key !== constructing || !(rawEngine instanceof RawEngine)) {
        throw argumentError("new Engine()", "no direct call: make an engine with Engine.load(bundleBytes, { publicKey }) or Engine.fromState(state)");
      }
      this.#raw = rawEngine;
    }

    /**
     * An engine over a signed bundle: verifies the signature with `publicKey` (or one of
     * `publicKeys`, for key rotation), refuses an expired bundle or one issued more than five
     * minutes after `now` (default `Date.now()`), refuses a bundle issued before
     * `minIssuedAt` (a refresh passes `current.info().issuedAt`: no rollback to an older
     * bundle), and reads the token table in place. Throws an `Error` saying what is wrong with
     * a bad bundle (truncated, tampered, unknown key id, expired, not yet valid, a rollback, a
     * delta).
     */
    static load(bundle, options = {}) {
      assertReady();
      const keys = publicKeyList(options, "Engine.load");
      const now = clock(options.now, "Engine.load");
      const [minMs, minText] = floorOf(options.minIssuedAt, "Engine.load");
      return new Engine(constructing, RawEngine.load(bytesOf(bundle, "bundle"), keys, now, minMs, minText));
    }

    /**
     * An engine over an unsigned state (DESIGN.md §3): an object or its JSON text. A bad
     * state throws an `Error` whose message names the JSON path (`tokens[0].kind: ...`).
     */
    static fromState(state) {
      assertReady();
      fullOnly("Engine.fromState");
      return new Engine(constructing, RawEngine.fromStateJson(jsonOf(state, "state")));
    }

    /** Decides `{ method, url, headers, remoteAddr, now }`; never throws for a deny. */
    check(req) {
      const fast = this.#fastCheck();
      if (fast === null) {
        const r = requestOf(req);
        return JSON.parse(this.#raw.check(r.method, r.url, r.headers, r.remoteAddr, clock(req.now, "check")));
      }
      const p = partsOf(req, fast.clientIpHeader);
      const now = clock(req.now, "check");
      return (
        fast.decide(p.method, p.url, p.authCount, p.auth, p.ip, p.remoteAddr, p.overrides, now) ??
        JSON.parse(this.#raw.check(p.method, p.url, headerText(req.headers), p.remoteAddr, now))
      );
    }

    /** Decides a Fetch API `Request` (workers, service workers, Deno, Bun). */
    checkRequest(request, options = {}) {
      const fast = this.#fastCheck();
      if (fast === null) {
        const r = fetchRequestOf(request, options);
        const now = clock(options.now, "checkRequest");
        return JSON.parse(this.#raw.check(r.method, r.url, r.headers, r.remoteAddr, now));
      }
      const p = fetchPartsOf(request, options, fast.clientIpHeader);
      const now = clock(options.now, "checkRequest");
      return (
        fast.decide(p.method, p.url, p.authCount, p.auth, p.ip, p.remoteAddr, p.overrides, now) ??
        JSON.parse(this.#raw.check(p.method, p.url, headerText(request.headers), p.remoteAddr, now))
      );
    }

    #fastCheck() {
      if (this.#fast === undefined) {
        const fast = new FastCheck(this.#raw, memory);
        this.#fast = fast.usable ? fast : null;
      }
      return this.#fast;
    }

    /** Like `check`, with every pipeline step: `{ decision, steps: [{ step, ok, detail }] }`. */
    explain(req) {
      const r = requestOf(req);
      return JSON.parse(this.#raw.explain(r.method, r.url, r.headers, r.remoteAddr, clock(req.now, "explain")));
    }

    /**
     * Applies a signed delta built against this engine's bundle (`buildDelta`). Atomic: on
     * an error (another base, bad signature, expired, not yet valid, stale) the engine is
     * unchanged. Deltas only move forward: one issued before the snapshot in use, or another
     * one with the same `issued_at` as the delta applied, is refused (the same bytes again
     * change nothing); `minIssuedAt` holds a fresh engine to the `issuedAt` of another.
     */
    applyDelta(delta, options = {}) {
      const now = clock(options.now, "applyDelta");
      const [minMs, minText] = floorOf(options.minIssuedAt, "applyDelta");
      this.#raw.applyDelta(bytesOf(delta, "delta"), now, minMs, minText);
      // New tokens, policies and routes: the fast check's tables start over.
      this.#fast = undefined;
    }

    /**
     * What a proposed change would do: `proposal` is a whole state (it has `issued_at`) or a
     * policy change (`{ policies, default_policy, network, token_permissions }`), as an object
     * or JSON text; `replay` lists past requests by token id. `maxListed` (default 1000) caps
     * the changed tokens and flipped requests listed one by one; the counts are exact.
     */
    preview(proposal, options = {}) {
      fullOnly("engine.preview");
      const replay = options.replay ?? [];
      if (!Array.isArray(replay)) throw argumentError("replay", "an array of requests", replay);
      const maxListed = options.maxListed ?? DEFAULT_MAX_LISTED;
      if (typeof maxListed !== "number") throw argumentError("preview: maxListed", "a number", maxListed);
      const entries = replay.map((entry, i) => replayOf(entry, i));
      const proposalJson = jsonOf(proposal, "proposal");
      const now = clock(options.now, "preview");
      return JSON.parse(this.#raw.preview(proposalJson, JSON.stringify(entries), now, maxListed));
    }

    /** Findings over the token estate: expiring, orphaned, no expiry, over-broad, ... */
    audit(options = {}) {
      fullOnly("engine.audit");
      const days = options.expiringWithinDays ?? DEFAULT_EXPIRING_WITHIN_DAYS;
      if (typeof days !== "number") throw argumentError("audit: expiringWithinDays", "a number of days", days);
      return JSON.parse(this.#raw.audit(clock(options.now, "audit"), days));
    }

    /**
     * The token estate at a glance: counts by kind, revoked, expired, without expiry, and how
     * many live tokens expire in each of the next `weeks` weeks (default 26, at most 104).
     */
    estate(options = {}) {
      fullOnly("engine.estate");
      const weeks = options.weeks ?? DEFAULT_ESTATE_WEEKS;
      if (typeof weeks !== "number") throw argumentError("estate: weeks", "a number of weeks", weeks);
      return JSON.parse(this.#raw.estate(clock(options.now, "estate"), weeks));
    }

    /** The policies, network and token permissions in the state's form, ready to edit. */
    policies() {
      fullOnly("engine.policies");
      return JSON.parse(this.#raw.policies());
    }

    /**
     * A new unsigned engine over the same tokens with a policy change applied (what the
     * admin page's "apply" does after a preview); this engine is unchanged.
     */
    withPolicies(change) {
      fullOnly("engine.withPolicies");
      return new Engine(constructing, this.#raw.withPolicies(jsonOf(change, "change")));
    }

    /**
     * A new unsigned engine with a changes document applied (`issued_at`, `revoke`, `remove`,
     * `upsert`, policy keys; see `buildDelta`): what a delta of the same document makes of
     * this engine's bundle. This engine is unchanged.
     */
    withChanges(changes) {
      fullOnly("engine.withChanges");
      return new Engine(constructing, this.#raw.withChanges(jsonOf(changes, "changes")));
    }

    /**
     * The whole snapshot as a state document (DESIGN.md §3). Throws for an engine over a signed
     * bundle: a bundle keeps only a prefix of each secret digest.
     */
    state() {
      fullOnly("engine.state");
      return JSON.parse(this.#raw.state());
    }

    /** A signed full bundle of this snapshot (say, after `withChanges`), like `buildBundle`. */
    buildBundle(privateKey, options = {}) {
      fullOnly("engine.buildBundle");
      return this.#raw.buildBundle(keyText(privateKey, "privateKey"), ttlOf(options));
    }

    /** Whether `actorId` may create the token `spec` describes, as a `Decision`. */
    canCreateToken(actorId, spec, options = {}) {
      fullOnly("engine.canCreateToken");
      if (typeof actorId !== "string") throw argumentError("canCreateToken: actorId", "a principal id string", actorId);
      if (!isPlainObject(spec)) throw argumentError("canCreateToken: spec", "an object { kind, ... }", spec);
      const now = clock(options.now, "canCreateToken");
      return JSON.parse(this.#raw.canCreateToken(actorId, JSON.stringify(spec), now));
    }

    /**
     * Whether `actorId` may revoke the token with id `tokenId`, as a `Decision`: its own
     * tokens; anybody's with `create_for_others`; an access token as an admin of its resource.
     * Throws for an id no token has.
     */
    canRevokeToken(actorId, tokenId, options = {}) {
      fullOnly("engine.canRevokeToken");
      if (typeof actorId !== "string") throw argumentError("canRevokeToken: actorId", "a principal id string", actorId);
      if (typeof tokenId !== "string") throw argumentError("canRevokeToken: tokenId", "a token id string", tokenId);
      return JSON.parse(this.#raw.canRevokeToken(actorId, tokenId, clock(options.now, "canRevokeToken")));
    }

    /** Counts, times, profile and size of the loaded snapshot. */
    info() {
      return JSON.parse(this.#raw.info());
    }

    /** Frees the engine's WebAssembly memory now instead of at garbage collection. */
    free() {
      this.#fast = undefined;
      this.#raw.free();
    }
  }

  // `using engine = ...` where the runtime has explicit resource management.
  if (typeof Symbol.dispose === "symbol") Engine.prototype[Symbol.dispose] = Engine.prototype.free;

  /**
   * A signed bundle of `state` (object or JSON text), valid for `ttlSeconds` (default one
   * day) after the state's `issued_at`. Deterministic: the same state and key give the same
   * bytes. `onProgress({ phase })` is called before each step (`parse`, `build`).
   */
  function buildBundle(state, privateKey, options = {}) {
    assertReady();
    fullOnly("buildBundle");
    return withState(state, options, (s, key, ttl) => s.buildBundle(key, ttl), privateKey);
  }

  /**
   * A signed delta that turns `baseBundle` (built from an earlier state with the same key)
   * into `newState`: removed, new and changed tokens, and policies when they changed. Or,
   * given a changes document (`revoke`, `remove`, `upsert` and no `tokens`, `resources` or
   * `principals`; or any document with `{ form: "changes" }`, e.g. a policy change alone), a
   * delta that applies those changes to the base bundle's own tokens and policies.
   */
  function buildDelta(baseBundle, newStateOrChanges, privateKey, options = {}) {
    assertReady();
    fullOnly("buildDelta");
    const base = bytesOf(baseBundle, "baseBundle");
    const form = options.form ?? (isChanges(newStateOrChanges) ? "changes" : "state");
    if (form !== "changes" && form !== "state") throw argumentError("buildDelta: form", '"state" or "changes"', form);
    // NOTE: a new state without `tokens` removes every token; that is almost always a policy
    // change sent without `form: "changes"`, so it must be asked for by name.
    if (options.form === undefined && form === "state" && !mentionsTokens(newStateOrChanges)) {
      throw argumentError(
        "buildDelta: options",
        '{ form: "changes" } for a change of policies alone, or { form: "state" } if that is meant: ' +
          "this document has no `tokens`: as a new state it would remove every token",
      );
    }
    if (form === "changes") {
      const key = keyText(privateKey, "privateKey");
      const ttl = ttlOf(options);
      // One step (no `onProgress`): a changes document is small and the base is read once.
      const json = jsonOf(newStateOrChanges, "changes");
      return raw.buildDeltaFromChanges(base, json, key, ttl);
    }
    return withState(newStateOrChanges, options, (s, key, ttl) => s.buildDelta(base, key, ttl), privateKey);
  }

  function ttlOf(options) {
    const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    if (typeof ttl !== "number") throw argumentError("ttlSeconds", "a number of seconds", ttl);
    return ttl;
  }

  function withState(state, options, build, privateKey) {
    const key = keyText(privateKey, "privateKey");
    const ttl = ttlOf(options);
    const progress = typeof options.onProgress === "function" ? options.onProgress : () => {};
    const json = jsonOf(state, "state");
    progress({ phase: "parse" });
    // NOTE: as UTF-8 bytes: wasm-bindgen's string glue copies ASCII one character at a time.
    const compiled = raw.State.fromJsonBytes(encodeText(json));
    try {
      progress({ phase: "build", tokens: compiled.tokens });
      return build(compiled, key, ttl);
    } finally {
      compiled.free();
    }
  }

  /**
   * A signed bundle built from a state and its tokens streamed as NDJSON (one token object per
   * line), for estates too large for one JSON document: `new BundleBuilder(state)` (a state,
   * usually without `tokens`), then `addTokens(chunk)` as often as needed (text or UTF-8
   * bytes; a chunk may end anywhere, even inside a line), then `finish(privateKey, {
   * ttlSeconds })`. The same bytes as `buildBundle` of the whole state. Errors name the line:
   * `tokens.ndjson:41: expires_at: expected an RFC 3339 time, got "tomorrow"` (`name` sets
   * the file name); after one, the builder refuses every further call.
   */
  class BundleBuilder {
    #raw;

    constructor(state, options = {}) {
      assertReady();
      fullOnly("BundleBuilder");
      if (!isPlainObject(options)) throw argumentError("BundleBuilder: options", "an object { name }", options);
      const name = options.name ?? "tokens.ndjson";
      if (typeof name !== "string") throw argumentError("BundleBuilder: name", "a string (the token list's file name)", name);
      this.#raw = new raw.BundleBuilder(jsonOf(state, "state"), name);
    }

    /** Reads the next chunk of the NDJSON token list (a string, or UTF-8 bytes). */
    addTokens(chunk) {
      if (typeof chunk === "string") {
        this.#live().addBytes(encodeText(chunk));
      } else if (chunk instanceof Uint8Array || chunk instanceof ArrayBuffer || ArrayBuffer.isView(chunk)) {
        this.#live().addBytes(bytesOf(chunk, "chunk"));
      } else {
        throw argumentError("addTokens: chunk", "NDJSON text or its UTF-8 bytes (a Uint8Array)", chunk);
      }
      return this;
    }

    /** Tokens added so far. */
    get tokens() {
      return this.#raw === undefined ? 0 : this.#raw.tokens;
    }

    /**
     * Reads the last line, checks ids and secrets across every chunk, and signs: the bundle's
     * bytes, valid for `ttlSeconds` (default one day) after the state's `issued_at`.
     */
    finish(privateKey, options = {}) {
      const key = keyText(privateKey, "privateKey");
      const ttl = ttlOf(options);
      const live = this.#live();
      const bytes = live.finish(key, ttl);
      this.#raw = undefined;
      live.free();
      return bytes;
    }

    /** Frees the builder's WebAssembly memory now instead of at garbage collection. */
    free() {
      this.#raw?.free();
      this.#raw = undefined;
    }

    #live() {
      if (this.#raw === undefined) throw new Error("this bundle builder has finished: make a new one");
      return this.#raw;
    }
  }

  if (typeof Symbol.dispose === "symbol") BundleBuilder.prototype[Symbol.dispose] = BundleBuilder.prototype.free;

  /**
   * A fresh Ed25519 key pair `{ publicKey, privateKey, keyId }`: base64url, or with `typed` in
   * the typed text form (`scopegate-ed25519-public:...`, `scopegate-ed25519-private:...`) that
   * key files use. Keep the private key secret.
   */
  function generateKeyPair(options = {}) {
    assertReady();
    fullOnly("generateKeyPair");
    return JSON.parse(raw.generateKeyPair(typedOf(options, "generateKeyPair")));
  }

  /** The public key (base64url, or typed with `{ typed: true }`) that verifies bundles signed with `privateKey`. */
  function publicKeyOf(privateKey, options = {}) {
    assertReady();
    fullOnly("publicKeyOf");
    return raw.publicKeyOf(keyText(privateKey, "publicKeyOf: privateKey"), typedOf(options, "publicKeyOf"));
  }

  /** The hex id of a public key, as the bundles its private key signs name it (`inspectBundle`'s `keyId`). */
  function keyIdOf(publicKey) {
    assertReady();
    fullOnly("keyIdOf");
    return raw.keyIdOf(keyText(publicKey, "keyIdOf: publicKey"));
  }

  /** A fresh token of `kind` and its SHA-256: `{ token, sha256 }`. Show the token once. */
  function mintToken(kind) {
    assertReady();
    fullOnly("mintToken");
    if (typeof kind !== "string") throw argumentError("mintToken: kind", "a token kind string", kind);
    return JSON.parse(raw.mintToken(kind));
  }

  /** Lower-case hex SHA-256 of a token, as a state's `secret_sha256`. */
  function digestToken(token) {
    assertReady();
    if (typeof token !== "string") throw argumentError("digestToken: token", "a string", token);
    return raw.digestToken(token);
  }

  /**
   * A profile (scope catalogue and route table) from an OpenAPI 3 document, an object or
   * JSON text. `name` defaults to the spec's `info.title`, lower-cased and dashed.
   */
  function profileFromOpenApi(spec, options = {}) {
    assertReady();
    fullOnly("profileFromOpenApi");
    const json = jsonOf(spec, "spec");
    const name = options.name ?? nameOf(typeof spec === "string" ? parseOrNull(spec) : spec);
    if (typeof name !== "string") throw argumentError("profileFromOpenApi: name", "a string", name);
    return JSON.parse(raw.profileFromOpenApi(json, name));
  }

  /**
   * Verifies a bundle or delta (signature and layout) and reports its header, with `expired`:
   * whether it is past its `expires_at` at `now` (default `Date.now()`), when loading it fails.
   */
  function inspectBundle(bytes, options = {}) {
    assertReady();
    fullOnly("inspectBundle");
    const keys = publicKeyList(options, "inspectBundle");
    return JSON.parse(raw.inspectBundle(bytesOf(bytes, "bundle"), keys, clock(options.now, "inspectBundle")));
  }

  return {
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
  };
}

/**
 * The one place an argument error is made: a `TypeError` saying where (`request: url`,
 * `replay[3].tokenId`), what was expected and, when `got` is passed, what kind of value came
 * instead: its type, never the value (it may be a secret).
 */
function argumentError(where, expected, ...got) {
  return new TypeError(`${where}: expected ${expected}${got.length > 0 ? `, got ${kindOf(got[0])}` : ""}`);
}

function kindOf(value) {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  // Not a secret: say which (a clock that gives NaN is worth knowing).
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (Object.prototype.toString.call(value) === "[object Date]") return Number.isFinite(value.getTime()) ? "a Date" : "an invalid Date";
  const type = typeof value;
  return type === "object" ? `an object (${value.constructor?.name ?? "without a prototype"})` : /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/** `{ typed }` of the key functions: a boolean, false by default. */
function typedOf(options, caller) {
  if (!isPlainObject(options)) throw argumentError(`${caller}: options`, "an object { typed }", options);
  const typed = options.typed ?? false;
  if (typeof typed !== "boolean") throw argumentError(`${caller}: typed`, "a boolean", typed);
  return typed;
}

/**
 * Reads a file in Node (and Bun, Deno), whose `fetch` cannot read `file:` URLs.
 *
 * NOTE: the module name is not a literal in an `import`, so bundlers (esbuild in wrangler,
 * webpack, Vite) neither resolve `node:fs` nor ask a worker for `nodejs_compat`; workers never
 * reach this line.
 */
async function readNodeFile(url) {
  const name = ["node:fs", "promises"].join("/");
  const fs = process.getBuiltinModule?.(name) ?? (await import(/* webpackIgnore: true */ /* @vite-ignore */ name));
  return fs.readFile(url);
}

function isPlainObject(value) {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `now` as the engine takes it: a finite number of ms since the epoch or a `Date`; `undefined`
 * means `Date.now()`. Anything else (`true`, `[]`, `"0"`, `{ valueOf() { ... } }`, `null`, an
 * invalid `Date`) is a `TypeError` naming the call: coerced, it read as 1970, and revoked and
 * expired tokens came back.
 */
function clock(now, caller) {
  if (now === undefined) return Date.now();
  const ms = instantOf(now);
  if (ms === undefined) {
    throw argumentError(`${caller}: now`, "a finite number of milliseconds since the epoch or a valid Date", now);
  }
  return ms;
}

/** A finite number of ms, or a valid `Date` (from any realm) as ms; else `undefined`. */
function instantOf(value) {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (Object.prototype.toString.call(value) === "[object Date]") {
    const ms = Date.prototype.getTime.call(value);
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

/**
 * `minIssuedAt` as src/wasm.rs takes it: `[ms, undefined]` for a number or a `Date`,
 * `[undefined, text]` for RFC 3339 text (what `info().issuedAt` gives), nothing for `undefined`.
 */
function floorOf(value, caller) {
  if (value === undefined) return [undefined, undefined];
  if (typeof value === "string") return [undefined, value];
  const ms = instantOf(value);
  if (ms === undefined) {
    throw argumentError(`${caller}: minIssuedAt`, "a number of milliseconds, a Date or an RFC 3339 time", value);
  }
  return [ms, undefined];
}

function jsonOf(value, what) {
  if (typeof value === "string") return value;
  if (value === null || typeof value !== "object") throw argumentError(what, "an object or JSON text", value);
  return JSON.stringify(value);
}

const CHANGE_KEYS = ["revoke", "remove", "upsert"];
const STATE_KEYS = ["tokens", "resources", "principals"];

/**
 * Whether `buildDelta`'s second argument is a changes document: an object (or JSON text) with
 * any of `revoke` / `remove` / `upsert` and none of `tokens` / `resources` / `principals`.
 * JSON text is parsed only when it mentions one of the change keys (a large state is not).
 */
function isChanges(value) {
  let doc = value;
  if (typeof value === "string") {
    if (!CHANGE_KEYS.some((k) => value.includes(`"${k}"`))) return false;
    doc = parseOrNull(value);
  }
  if (!isPlainObject(doc)) return false;
  return CHANGE_KEYS.some((k) => Object.hasOwn(doc, k)) && !STATE_KEYS.some((k) => Object.hasOwn(doc, k));
}

/** Whether a state (object or JSON text) has a `tokens` list. */
function mentionsTokens(value) {
  if (typeof value === "string") return value.includes('"tokens"');
  return isPlainObject(value) && Object.hasOwn(value, "tokens");
}

function parseOrNull(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A profile name from an OpenAPI document's title: `Bitbucket API` -> `bitbucket-api`. */
function nameOf(spec) {
  const title = spec?.info?.title;
  const slug = typeof title === "string" ? title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "") : "";
  return slug.slice(0, 64) || "openapi";
}

/** A `Uint8Array` view of bytes given as one, an `ArrayBuffer` or another typed array (no copy). */
function bytesOf(value, what) {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw argumentError(what, "bytes: a Uint8Array, an ArrayBuffer or a typed array", value);
}

/** A key as the engine reads it: base64url or base64 text, or its raw bytes (encoded here). */
function keyText(key, what) {
  if (typeof key === "string") return key;
  if (key instanceof Uint8Array || key instanceof ArrayBuffer || ArrayBuffer.isView(key)) {
    const bytes = bytesOf(key, what);
    let binary = "";
    for (const b of bytes) binary += String.fromCharCode(b);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  throw argumentError(what, "key text (`scopegate-ed25519-...:`, base64url or base64) or the key's bytes (a Uint8Array)", key);
}

/** `{ publicKey }` or `{ publicKeys: [...] }` -> the comma-separated list src/wasm.rs reads. */
function publicKeyList(options, caller) {
  if (!isPlainObject(options)) throw argumentError(`${caller}: options`, "an object { publicKey } or { publicKeys }", options);
  const given = options.publicKeys ?? (options.publicKey === undefined ? [] : [options.publicKey]);
  if (!Array.isArray(given)) throw argumentError(`${caller}: publicKeys`, "an array of keys", given);
  if (given.length === 0) {
    throw argumentError(`${caller}: options`, "{ publicKey } or { publicKeys }: a public key is needed to verify the bundle");
  }
  return given
    .map((key, i) => {
      const what = given.length > 1 ? `publicKeys[${i}]` : "publicKey";
      const text = keyText(key, `${caller}: ${what}`);
      if (text.includes(",")) throw argumentError(`${caller}: ${what}`, "one key: key text has no commas");
      return text;
    })
    .join(",");
}

/**
 * Calls `visit(name, value)` for every header value, checked: a plain object (a value may be a
 * list), [name, value] pairs, or a Fetch `Headers` / `Map`.
 */
function eachHeader(headers, visit) {
  if (headers == null) return;
  let entries;
  if (Array.isArray(headers)) {
    entries = headers;
  } else if (typeof headers === "object" && typeof headers.entries === "function" && !isPlainObject(headers)) {
    entries = headers.entries();
  } else if (isPlainObject(headers)) {
    entries = Object.entries(headers);
  } else {
    throw argumentError("request: headers", "an object of names to values, [name, value] pairs, or a Headers", headers);
  }
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2) {
      throw argumentError("request: headers", "each pair as [name, value]", entry);
    }
    const [name, value] = entry;
    if (Array.isArray(value)) {
      for (const v of value) visit(header(name, v), v);
    } else {
      visit(header(name, value), value);
    }
  }
}

/** Headers as src/wasm.rs reads them: names and values alternating, each ended by NUL. */
function headerText(headers) {
  let text = "";
  eachHeader(headers, (name, value) => {
    text += `${name}\0${value}\0`;
  });
  return text;
}

/**
 * What the fast check reads of a request's headers (src/boundary.rs): how many
 * `Authorization` headers and the first; the values of the client-IP header `ipHeader`
 * (joined by `,` for the list-valued ones: the same hops); which method overrides are present.
 * Every header is checked as `headerText` checks it.
 */
function pickHeaders(headers, ipHeader, parts) {
  parts.authCount = 0;
  parts.auth = "";
  parts.ip = undefined;
  parts.overrides = 0;
  if (isPlainObject(headers)) return pickPlainHeaders(headers, ipHeader, parts);
  eachHeader(headers, (name, value) => pickHeader(name, value, ipHeader, parts));
  return parts;
}

/**
 * `pickHeaders` for the usual shape, `{ name: value | [values] }`: the own enumerable names in
 * `Object.entries` order, without its array of pairs or a call per header, and a name lower-cased
 * only when it is as long as one the engine reads.
 */
function pickPlainHeaders(headers, ipHeader, parts) {
  const names = Object.keys(headers);
  for (let k = 0; k < names.length; k++) {
    const name = names[k];
    const value = headers[name];
    if (typeof value === "string") {
      pickHeader(header(name, value), value, ipHeader, parts);
    } else if (Array.isArray(value)) {
      for (const v of value) pickHeader(header(name, v), v, ipHeader, parts);
    } else {
      header(name, value); // throws: not a string
    }
  }
  return parts;
}

/** The lengths of the names `pickHeader` looks for (besides the client-IP header's). */
const PICKED_LENGTHS = new Set(["authorization", ...OVERRIDE_HEADERS].map((n) => n.length));

function pickHeader(name, value, ipHeader, parts) {
  if (name.length !== ipHeader.length && !PICKED_LENGTHS.has(name.length)) return;
  const lower = name.toLowerCase();
  if (lower === "authorization") {
    if (parts.authCount++ === 0) parts.auth = value;
  } else if (lower === ipHeader) {
    if (parts.ip === undefined) parts.ip = value;
    else if (ipHeader === "x-forwarded-for" || ipHeader === "forwarded") parts.ip += "," + value;
  } else {
    const i = OVERRIDE_HEADERS.indexOf(lower);
    if (i >= 0) parts.overrides |= 1 << i;
  }
}

/** A Fetch `Headers` read by name: the values it combines are what its `entries()` give. */
function pickFetchHeaders(headers, ipHeader, parts) {
  const auth = headers.get("authorization");
  parts.authCount = auth === null ? 0 : 1;
  parts.auth = auth ?? "";
  parts.ip = headers.get(ipHeader) ?? undefined;
  parts.overrides = 0;
  for (let i = 0; i < OVERRIDE_HEADERS.length; i++) if (headers.has(OVERRIDE_HEADERS[i])) parts.overrides |= 1 << i;
  return parts;
}

function header(name, value) {
  if (typeof name !== "string" || typeof value !== "string") {
    throw argumentError(`request: headers: \`${typeof name === "string" ? name : String(name)}\``, "a string name and a string value", typeof name === "string" ? value : name);
  }
  if (name.includes("\0") || value.includes("\0")) {
    throw argumentError(`request: headers: \`${name.replaceAll("\0", "\\0")}\``, "a name and a value without NUL characters");
  }
  return name;
}

/** A request's method and URL, checked: the one place their argument errors are made. */
function methodAndUrl(req) {
  if (req === null || typeof req !== "object") {
    throw argumentError("request", "an object { method, url, headers, remoteAddr, now }", req);
  }
  const method = req.method ?? "GET";
  if (typeof method !== "string") throw argumentError("request: method", 'a string such as "GET"', method);
  if (typeof req.url !== "string") throw argumentError("request: url", "a URL or a path, as a string", req.url);
  return { method, url: req.url };
}

/** A Fetch `Request`'s method and URL, checked. */
function fetchMethodAndUrl(request) {
  if (request === null || typeof request !== "object" || typeof request.url !== "string") {
    throw argumentError("checkRequest: request", "a Fetch API Request", request);
  }
  return { method: request.method ?? "GET", url: request.url };
}

// The request as src/wasm.rs takes it: its parts; `now` travels separately.
function requestOf(req) {
  const r = methodAndUrl(req);
  r.headers = headerText(req.headers);
  r.remoteAddr = remoteAddrOf(req.remoteAddr);
  return r;
}

/** `requestOf` for the fast check: the same checks, the headers picked (see `pickHeaders`). */
function partsOf(req, ipHeader) {
  const parts = methodAndUrl(req);
  pickHeaders(req.headers, ipHeader, parts);
  parts.remoteAddr = remoteAddrOf(req.remoteAddr);
  return parts;
}

/** `fetchRequestOf` for the fast check. */
function fetchPartsOf(request, options, ipHeader) {
  const parts = fetchMethodAndUrl(request);
  const headers = request.headers;
  if (typeof Headers === "function" && headers instanceof Headers) pickFetchHeaders(headers, ipHeader, parts);
  else pickHeaders(headers, ipHeader, parts);
  parts.remoteAddr = remoteAddrOf(options.remoteAddr);
  return parts;
}

function fetchRequestOf(request, options) {
  const r = fetchMethodAndUrl(request);
  r.headers = headerText(request.headers);
  r.remoteAddr = remoteAddrOf(options.remoteAddr);
  return r;
}

function remoteAddrOf(addr) {
  if (addr == null) return undefined;
  if (typeof addr !== "string") throw argumentError("request: remoteAddr", "an IP address as a string", addr);
  return addr;
}

const REPLAY_FIELDS = ["tokenId", "method", "url", "headers", "remoteAddr", "now"];

// A replayed request for `preview`: headers as [name, value] pairs whatever they were given as.
// Fields are checked here so an error can name the entry (`replay[3]`).
function replayOf(entry, i) {
  if (!isPlainObject(entry)) throw argumentError(`replay[${i}]`, "an object { tokenId, method, url, ... }", entry);
  for (const key of Object.keys(entry)) {
    if (!REPLAY_FIELDS.includes(key)) {
      throw argumentError(`replay[${i}]: unknown field \`${key}\``, `one of ${REPLAY_FIELDS.map((f) => `\`${f}\``).join(", ")}`);
    }
  }
  if (typeof entry.tokenId !== "string") throw argumentError(`replay[${i}].tokenId`, "a token id string", entry.tokenId);
  if (typeof entry.url !== "string") throw argumentError(`replay[${i}].url`, "a URL or a path", entry.url);
  const { headers, ...rest } = entry;
  if (entry.now !== undefined) {
    const ms = instantOf(entry.now);
    if (ms === undefined) {
      throw argumentError(`replay[${i}].now`, "a finite number of milliseconds since the epoch or a Date", entry.now);
    }
    rest.now = ms;
  }
  if (headers == null) return rest;
  const text = headerText(headers);
  const parts = text.split("\0");
  const pairs = [];
  for (let p = 0; p + 1 < parts.length; p += 2) pairs.push([parts[p], parts[p + 1]]);
  return { ...rest, headers: pairs };
}

// The contract's reason codes and token kinds (DESIGN.md §2, §5), in the engine's order
// (`Reason::ALL`, `TokenKind::ALL`): for callers that list or validate them without keeping a
// copy. tests/corpus.rs checks these lists, and the .d.ts unions, against the engine's.
export const REASONS = Object.freeze([
  "ok", "no_credentials", "malformed_credentials", "bad_token_checksum", "unknown_token", "token_revoked",
  "token_expired", "token_lifetime_exceeds_policy", "token_kind_blocked", "api_tokens_blocked",
  "password_auth_disabled", "password_auth_deferred", "ip_not_allowed", "route_unknown", "scope_missing",
  "resource_out_of_scope", "principal_inactive", "principal_lacks_permission", "bundle_expired",
  "anonymous_public_read", "internal_error", "malformed_request", "bundle_not_yet_valid",
]);
export const TOKEN_KINDS = Object.freeze([
  "repository_access_token", "project_access_token", "workspace_access_token", "api_token", "app_password",
  "personal_access_token", "service_account_token", "org_api_key",
]);
