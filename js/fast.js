// The fast check behind `engine.check()` and `engine.checkRequest()`: the request's parts are
// written as UTF-8 into a reused area of WebAssembly memory (one `encodeInto`), the engine
// answers with numbers, and the `Decision` is built here from tables the engine formats once
// per entry (constants, per policy, per route, per token). src/boundary.rs has the layout, and
// proves natively that the numbers and tables make the full decision; tests/js/fast.test.mjs
// compares the two paths in both builds. Decisions are fresh plain objects: nothing in them is
// shared with the tables, so callers may change them.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// The layout of src/boundary.rs: result slots, code bits, request flags.
const SLOT = 1;
const POLICY = 2;
const ROUTE = 3;
const RESOURCE_KIND = 4;
const RESOURCE_AT = 5;
const IP_AT = 9;
const IP_LEN = 10;
const MESSAGE = 11;
const MESSAGE_AT = 12;
const MESSAGE_LEN = 13;
const OUT_LEN = 16;
const TEXT_LEN = 2048;
const HAS_TOKEN = 1 << 7;
const HAS_POLICY = 1 << 8;
const HAS_ROUTE = 1 << 9;
const HAS_GRANTED = 1 << 10;
const HAS_CLIENT_IP = 1 << 11;
const IP_AS_GIVEN = 1 << 12;
const HAS_RESOURCE = 1 << 13;
const RESOURCE_TEXT = 1 << 14;
const FULL = 1 << 15;
const HAS_CLIENT_IP_HEADER = 1 << 2;
const HAS_PEER = 1 << 3;
const OVERRIDE_SHIFT = 4;

const EFFECTS = ["allow", "deny", "defer"];
const RESOURCE_PREFIX = ["workspace:", "project:", "repository:"];

/** The method-override headers, in the order of src/pipeline/request.rs's list. */
export const OVERRIDE_HEADERS = ["x-http-method-override", "x-http-method", "x-method-override"];

/** Tokens whose details are kept; past that the cache starts over (a bound on memory). */
const TOKEN_CACHE = 8192;
/** The request area's first size; requests larger than the engine's area take the full path. */
const FIRST_AREA = 4096;

/** Fresh copies of a route's scope sets. */
function sets(anyOf) {
  const out = new Array(anyOf.length);
  for (let i = 0; i < anyOf.length; i++) out[i] = anyOf[i].slice();
  return out;
}

export class FastCheck {
  #raw;
  #memory;
  #buffer = null;
  #requestPtr;
  #requestCap = FIRST_AREA;
  #resultPtr;
  #textPtr;
  #request;
  #out;
  #text;
  #constants;
  #policies = [];
  #routes = [];
  #tokens = new Map();

  /** @param raw the glue's engine; @param memory the module's `WebAssembly.Memory`. */
  constructor(raw, memory) {
    this.#raw = raw;
    this.#memory = memory;
    this.#requestPtr = raw.requestArea(FIRST_AREA);
    this.#resultPtr = raw.resultArea();
    this.#textPtr = raw.textArea();
  }

  /** The engine's constant tables (fetched once). */
  get tables() {
    return (this.#constants ??= JSON.parse(this.#raw.constants()));
  }

  /** The (lower-case) header the engine reads the client address from, behind trusted proxies. */
  get clientIpHeader() {
    return this.tables.clientIpHeader;
  }

  /** Whether the engine's tokens can be named by slot (a bundle's): else the full path decides. */
  get usable() {
    return this.tables.fast;
  }

  /** The engine's snapshot changed (a delta): every table starts over. */
  reset() {
    this.#constants = undefined;
    this.#policies = [];
    this.#routes = [];
    this.#tokens.clear();
  }

  /** Views of the areas, made again when the memory grew (a grown memory has a new buffer). */
  #views() {
    const buffer = this.#memory.buffer;
    if (buffer === this.#buffer) return;
    this.#buffer = buffer;
    this.#request = new Uint8Array(buffer, this.#requestPtr, this.#requestCap);
    this.#out = new Int32Array(buffer, this.#resultPtr, OUT_LEN);
    this.#text = new Uint8Array(buffer, this.#textPtr, TEXT_LEN);
  }

  /**
   * The decision for a request given by its parts, or `undefined` when the full path must
   * decide it. `authCount`: how many `Authorization` headers (`auth` is the first); `ip`: the
   * client-IP header's value(s) or `undefined`; `overrides`: bit i for `OVERRIDE_HEADERS[i]`.
   */
  decide(method, url, authCount, auth, ip, peer, overrides, now) {
    const text = method + url + auth + (ip ?? "") + (peer ?? "");
    const most = text.length * 3; // UTF-16 code units to UTF-8 bytes: at most 3 each
    if (most > this.#requestCap) {
      const ptr = this.#raw.requestArea(most);
      if (ptr === 0) return undefined;
      this.#requestPtr = ptr;
      this.#requestCap = most;
      this.#buffer = null;
    }
    this.#views();
    const flags =
      Math.min(authCount, 2) |
      (ip === undefined ? 0 : HAS_CLIENT_IP_HEADER) |
      (peer === undefined ? 0 : HAS_PEER) |
      (overrides << OVERRIDE_SHIFT);
    let code;
    if (encoder.encodeInto(text, this.#request).written === text.length) {
      // ASCII: byte lengths are string lengths.
      code = this.#raw.checkFast(method.length, url.length, auth.length, ip?.length ?? 0, peer?.length ?? 0, flags, now);
    } else {
      const lens = [];
      let at = 0;
      for (const part of [method, url, auth, ip ?? "", peer ?? ""]) {
        const n = encoder.encodeInto(part, this.#request.subarray(at)).written;
        lens.push(n);
        at += n;
      }
      code = this.#raw.checkFast(lens[0], lens[1], lens[2], lens[3], lens[4], flags, now);
    }
    if (code & FULL) return undefined;
    return this.#build(code, url, peer);
  }

  #build(code, url, peer) {
    this.#views();
    const out = this.#out;
    // Everything the result area says, read before any table call (which may grow the memory).
    const slot = out[SLOT] >>> 0;
    const policyAt = out[POLICY];
    const routeAt = out[ROUTE];
    const param = out[MESSAGE];
    const kind = code >>> 16;
    let resource;
    if (code & HAS_RESOURCE) {
      const k = out[RESOURCE_KIND];
      const part = (i) =>
        code & RESOURCE_TEXT
          ? decoder.decode(this.#text.subarray(out[RESOURCE_AT + 2 * i], out[RESOURCE_AT + 2 * i + 1]))
          : url.slice(out[RESOURCE_AT + 2 * i], out[RESOURCE_AT + 2 * i + 1]);
      resource = k === 0 ? RESOURCE_PREFIX[0] + part(0) : RESOURCE_PREFIX[k] + part(0) + "/" + part(1);
    }
    let clientIp;
    if (code & HAS_CLIENT_IP) {
      clientIp = code & IP_AS_GIVEN ? peer : decoder.decode(this.#text.subarray(out[IP_AT], out[IP_AT] + out[IP_LEN]));
    }
    const text = kind === 11 ? decoder.decode(this.#text.subarray(out[MESSAGE_AT], out[MESSAGE_AT] + out[MESSAGE_LEN])) : undefined;

    const tables = this.tables;
    const token = code & HAS_TOKEN ? this.#token(slot) : undefined;
    const policy = code & HAS_POLICY ? this.#policy(policyAt) : undefined;
    const route = code & HAS_ROUTE ? this.#route(routeAt) : undefined;
    let message;
    switch (kind) {
      case 0: message = tables.messages[param]; break;
      case 1: message = tables.routeUnknown; break;
      case 2: message = tables.bundleExpired; break;
      case 3: message = policy.passwordDisabled; break;
      case 4: message = policy.apiTokensBlocked; break;
      case 5: message = policy.appPasswordsBlocked; break;
      case 6: message = route.scopeMissing; break;
      case 7: message = tables.access[param]; break;
      case 8: message = token.revoked; break;
      case 9: message = token.expired; break;
      case 10: message = token.outOfScope; break;
      default: message = text;
    }
    const effect = EFFECTS[(code >>> 5) & 3];
    // The fields in the order of the contract (and of the full path's JSON).
    const d = { effect, allow: effect === "allow", reason: tables.reasons[code & 31], message };
    if (token !== undefined) d.token = { ...token.token };
    if (route !== undefined) {
      d.required = resource === undefined ? { anyOf: sets(route.anyOf) } : { anyOf: sets(route.anyOf), resource };
    }
    if (code & HAS_GRANTED) d.granted = token.granted.slice();
    if (clientIp !== undefined) d.clientIp = clientIp;
    if (policy !== undefined) d.policy = policy.name;
    if (token !== undefined && token.expiresAt !== undefined) d.expiresAt = token.expiresAt;
    return d;
  }

  #token(slot) {
    let t = this.#tokens.get(slot);
    if (t === undefined) {
      if (this.#tokens.size >= TOKEN_CACHE) this.#tokens.clear();
      t = JSON.parse(this.#raw.tokenInfo(slot));
      this.#tokens.set(slot, t);
    }
    return t;
  }

  #policy(i) {
    return (this.#policies[i] ??= JSON.parse(this.#raw.policyInfo(i)));
  }

  #route(i) {
    return (this.#routes[i] ??= JSON.parse(this.#raw.routeInfo(i)));
  }
}
