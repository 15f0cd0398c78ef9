// An edge worker (module syntax) that fronts an API with scopegate: every request is decided
// locally from a signed digest bundle; allowed and deferred ones go on to the origin, denied
// ones are answered here the way Bitbucket Cloud answers them (401 with `WWW-Authenticate` for
// credentials that do not authenticate, 403 for scope, permission and policy denies) with a
// Bitbucket-shaped JSON body. Runs in workerd and Cloudflare Workers, on `scopegate/edge` (the
// small .wasm: load, deltas, decisions). `wrangler.toml` next to it deploys it.
//
// Bindings (see wrangler.toml, or scripts/workerd.mjs for a plain workerd config):
//   SCOPEGATE_PUBLIC_KEY  text: the Ed25519 public key bundles are signed for, typed
//                         (scopegate-ed25519-public:...) or base64url; several, comma-separated,
//                         while rotating keys
//   SCOPEGATE_BUNDLE      optional data: the signed bundle the worker starts from; without it
//                         the first request reads one from the bundle store
//   ORIGIN                service binding to the origin (else ORIGIN_URL: its base URL)
//   The bundle store, one of:
//   BUNDLE_KV             a Workers KV namespace holding
//                           scopegate/bundle            the latest full bundle
//                           scopegate/bundle.sha256     its hex SHA-256 (written after it)
//                           scopegate/delta/<sha256>    the latest delta on that bundle
//   BUNDLE_SOURCE         service binding to an HTTP store (else BUNDLE_URL: its base URL)
//                         serving GET BUNDLE_PATH (default /scopegate/bundle): the latest full
//                         bundle, and GET DELTA_PATH?base=<sha256> (default /scopegate/delta):
//                         the latest delta on that bundle, 204 when there is none, 404 when
//                         <sha256> is not the store's current bundle (read the full one)
//   REFRESH_SECONDS       refresh when the snapshot is older than this (default 60)
//   REFRESH_TOKEN         enables POST /_scopegate/refresh with `Authorization: Bearer <token>`
//
// A refresh asks for a delta first (a revocation reaches the edge in a few hundred bytes) and
// falls back to the full bundle. It never goes back in time: a full bundle issued before the
// snapshot in use is refused (`minIssuedAt`), and so is a delta older than the one applied, or
// another delta of the same time. A failed refresh keeps the snapshot in use; once that is past
// its `expires_at`, every request is denied with `bundle_expired` (503, fail closed). A Cron
// Trigger (`scheduled`) refreshes too, so an idle isolate does not start from a stale snapshot.

import { Engine, initSync } from "scopegate/edge";
import wasmModule from "scopegate/edge.wasm";

initSync(wasmModule);

const DEFAULT_REFRESH_SECONDS = 60;
const REFRESH_PATH = "/_scopegate/refresh";
const KV_BUNDLE = "scopegate/bundle";
const KV_BUNDLE_SHA256 = "scopegate/bundle.sha256";
const KV_DELTA_PREFIX = "scopegate/delta/";
/** What Bitbucket Cloud challenges with, so Git clients and SDKs ask for credentials as they do there. */
const WWW_AUTHENTICATE = 'Basic realm="Bitbucket.org HTTP"';
/**
 * Denies whose credentials do not authenticate: answered 401 with a challenge, as Bitbucket
 * does. Every other deny (scope, resource, permission, policy, IP) is a 403.
 */
const UNAUTHENTICATED = new Set([
  "no_credentials",
  "malformed_credentials",
  "bad_token_checksum",
  "unknown_token",
  "token_revoked",
  "token_expired",
  "principal_inactive",
]);
/** Denies where the gate cannot decide (its snapshot is stale, or ahead of its clock): 503, retry later. */
const UNAVAILABLE = new Set(["bundle_expired", "bundle_not_yet_valid", "internal_error"]);
/** A request the gate cannot read one way only (the origin might read it another way): 400. */
const MALFORMED = new Set(["malformed_request"]);

/** The snapshot in use: engine, hex SHA-256 of its base bundle, when it was loaded. One per isolate. */
let current = null;
let refreshing = null;

function publicKeys(env) {
  const keys = String(env.SCOPEGATE_PUBLIC_KEY ?? "").split(",").map((k) => k.trim()).filter(Boolean);
  if (keys.length === 0) throw new Error("SCOPEGATE_PUBLIC_KEY is not set");
  return keys;
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

async function sha256Hex(bytes) {
  return Array.from(await sha256(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Whether two strings are equal, in a time that does not depend on where they differ. */
async function sameSecret(given, expected) {
  const encoder = new TextEncoder();
  // NOTE: comparing digests gives equal lengths, so the length of the secret does not leak either.
  const [a, b] = await Promise.all([sha256(encoder.encode(given)), sha256(encoder.encode(expected))]);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

function swap(engine, base) {
  const old = current?.engine;
  current = { engine, base, loadedAt: Date.now() };
  // NOTE: safe: decisions are synchronous, so no request holds the old engine across an await.
  if (old && old !== engine) old.free();
  return current;
}

/**
 * A full bundle, verified; throws (and changes nothing) when it does not verify, has expired,
 * or was issued before the snapshot in use (a rollback that would bring revoked tokens back).
 */
async function loadBundle(env, bytes) {
  const minIssuedAt = current?.engine.info().issuedAt;
  const engine = Engine.load(bytes, { publicKeys: publicKeys(env), ...(minIssuedAt ? { minIssuedAt } : {}) });
  return swap(engine, await sha256Hex(bytes));
}

/** The bundle store over HTTP: a service binding or a base URL. */
function httpStore(env) {
  const bundlePath = env.BUNDLE_PATH ?? "/scopegate/bundle";
  const deltaPath = env.DELTA_PATH ?? "/scopegate/delta";
  const get = async (path) => {
    const response = env.BUNDLE_SOURCE
      ? await env.BUNDLE_SOURCE.fetch(new Request(`http://bundle-source${path}`))
      : await fetch(new URL(path, env.BUNDLE_URL));
    if (response.status === 204 || response.status === 404) return { status: response.status };
    if (!response.ok) throw new Error(`bundle store answered ${response.status} for ${path.split("?")[0]}`);
    return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
  };
  return {
    where: bundlePath,
    async delta(base) {
      const r = await get(`${deltaPath}?base=${base}`);
      return r.status === 204 ? { none: true } : r.status === 404 ? { otherBase: true } : { bytes: r.bytes };
    },
    async bundle() {
      return (await get(bundlePath)).bytes;
    },
  };
}

/** The bundle store on Workers KV (a publisher writes the keys; see the header of this file). */
function kvStore(kv) {
  const bytesAt = async (key) => {
    const value = await kv.get(key, "arrayBuffer");
    return value === null ? undefined : new Uint8Array(value);
  };
  return {
    where: `KV ${KV_BUNDLE}`,
    async delta(base) {
      const head = await kv.get(KV_BUNDLE_SHA256);
      if (head !== null && head.trim() !== base) return { otherBase: true };
      const bytes = await bytesAt(`${KV_DELTA_PREFIX}${base}`);
      return bytes ? { bytes } : { none: true };
    },
    bundle: () => bytesAt(KV_BUNDLE),
  };
}

function storeOf(env) {
  if (env.BUNDLE_KV) return kvStore(env.BUNDLE_KV);
  if (env.BUNDLE_SOURCE || env.BUNDLE_URL) return httpStore(env);
  return null;
}

/**
 * Brings the snapshot up to date: the delta on our base if the store has one, else the full
 * bundle if it is another one. Resolves to what happened; a failure keeps the old snapshot.
 */
function refresh(env) {
  refreshing ??= (async () => {
    const store = storeOf(env);
    if (!store) throw new Error("no bundle store (BUNDLE_KV, BUNDLE_SOURCE or BUNDLE_URL)");
    if (current) {
      const delta = await store.delta(current.base);
      if (delta.none) {
        current.loadedAt = Date.now();
        return "unchanged";
      }
      if (delta.bytes) {
        try {
          current.engine.applyDelta(delta.bytes);
          current.loadedAt = Date.now();
          return "delta";
        } catch (e) {
          // Another base, stale or expired: the full bundle settles it.
          console.warn(`scopegate: delta refused (${e.message}); reading the full bundle`);
        }
      }
    }
    const full = await store.bundle();
    if (!full) throw new Error(`bundle store has no bundle at ${store.where}`);
    if (current && (await sha256Hex(full)) === current.base) {
      current.loadedAt = Date.now();
      return "unchanged";
    }
    await loadBundle(env, full);
    return "bundle";
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

/** The engine for this request: loaded on first use, refreshed in the background when old. */
async function engineFor(env, ctx) {
  if (current === null) {
    if (env.SCOPEGATE_BUNDLE) {
      try {
        await loadBundle(env, env.SCOPEGATE_BUNDLE);
      } catch (e) {
        // An old bundle deployed with the worker: a fresh one from the store may still do.
        if (!storeOf(env)) throw e;
        console.warn(`scopegate: SCOPEGATE_BUNDLE refused (${e.message}); reading one from the store`);
      }
    }
    if (current === null) await refresh(env);
  }
  const maxAge = Number(env.REFRESH_SECONDS ?? DEFAULT_REFRESH_SECONDS) * 1000;
  if (storeOf(env) && Date.now() - current.loadedAt >= maxAge) {
    ctx.waitUntil(refresh(env).catch((e) => console.error(`scopegate: refresh failed: ${e.message}`)));
  }
  return current.engine;
}

/**
 * The TCP peer as the platform knows it, never from a header the client could write. workerd
 * puts it in `request.cf.clientIp` (`ip:port`). On Cloudflare (and in miniflare / wrangler dev)
 * `request.cf` describes the connection and the platform writes CF-Connecting-IP itself, so
 * that header is the client's address. Without `request.cf` there is no peer address: the
 * engine reads CF-Connecting-IP, X-Forwarded-For and the others only from trusted proxies, so a
 * client's own header proves nothing and IP allowlists deny (fail closed).
 */
function peerAddress(request) {
  const cf = request.cf;
  if (!cf) return undefined;
  if (typeof cf.clientIp === "string") return cf.clientIp;
  return request.headers.get("cf-connecting-ip") ?? undefined;
}

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/**
 * A deny, in the shape Bitbucket Cloud answers with: 401 and a Basic challenge when the
 * credentials do not authenticate (none, unreadable, unknown, expired, revoked), 503 when the
 * gate itself cannot decide (its snapshot expired: retry later), 400 for a request it cannot
 * read one way only, 403 otherwise. The body is the
 * decision's message and what the route needs; never the credentials.
 */
function denied(decision) {
  const unauthenticated = UNAUTHENTICATED.has(decision.reason);
  const unavailable = UNAVAILABLE.has(decision.reason);
  const status = unauthenticated ? 401 : unavailable ? 503 : MALFORMED.has(decision.reason) ? 400 : 403;
  const anyOf = decision.required?.anyOf ?? [];
  const body = {
    type: "error",
    error: {
      message: decision.message,
      detail: {
        required: anyOf[0] ?? [],
        anyOf,
        granted: decision.granted ?? [],
        ...(decision.required?.resource ? { resource: decision.required.resource } : {}),
      },
      reason: decision.reason,
    },
  };
  const headers = { "x-scopegate-reason": decision.reason };
  if (unauthenticated) headers["www-authenticate"] = WWW_AUTHENTICATE;
  if (unavailable) headers["retry-after"] = "30";
  return json(status, body, headers);
}

/** Forwards to the origin, telling it who was let through (never the secret). */
function forward(request, env, decision) {
  const headers = new Headers(request.headers);
  for (const name of [...headers.keys()]) if (name.startsWith("x-scopegate-")) headers.delete(name);
  headers.set("x-scopegate-reason", decision.reason);
  if (decision.token) headers.set("x-scopegate-token-id", decision.token.id);
  if (decision.token?.principal) headers.set("x-scopegate-principal", decision.token.principal);
  const init = { method: request.method, headers, body: request.body, redirect: "manual" };
  if (env.ORIGIN) return env.ORIGIN.fetch(new Request(request.url, init));
  const url = new URL(request.url);
  const origin = new URL(env.ORIGIN_URL);
  url.protocol = origin.protocol;
  url.host = origin.host;
  return fetch(new Request(url, init));
}

async function handleRefresh(request, env) {
  const expected = env.REFRESH_TOKEN;
  if (!expected || !storeOf(env)) return json(404, { type: "error", error: { message: "not found" } });
  const given = request.headers.get("authorization") ?? "";
  if (request.method !== "POST" || !(await sameSecret(given, `Bearer ${expected}`))) {
    return json(403, { type: "error", error: { message: "refresh needs POST with the refresh token" } });
  }
  try {
    const refreshed = await refresh(env);
    return json(200, { refreshed, ...current.engine.info() });
  } catch (e) {
    return json(502, { type: "error", error: { message: `refresh failed: ${e.message}` } });
  }
}

export default {
  async fetch(request, env, ctx) {
    if (new URL(request.url).pathname === REFRESH_PATH) return handleRefresh(request, env);
    let decision;
    try {
      decision = (await engineFor(env, ctx)).checkRequest(request, { remoteAddr: peerAddress(request) });
    } catch (e) {
      // Fail closed: no snapshot, or a request the engine cannot read.
      console.error(`scopegate: ${e.message}`);
      return json(503, { type: "error", error: { message: "access check unavailable", reason: "internal_error" } }, { "retry-after": "30" });
    }
    // Allowed and deferred (passwords, unknown routes when so configured) go to the origin.
    return decision.effect === "deny" ? denied(decision) : forward(request, env, decision);
  },

  /** Cron Trigger: refresh this isolate's snapshot from the store (wrangler.toml `crons`). */
  async scheduled(controller, env) {
    // A failure throws: the Cron Trigger's run is then reported as failed.
    const what = await refresh(env);
    console.log(`scopegate: scheduled refresh (${controller.cron}): ${what}`);
  },
};
