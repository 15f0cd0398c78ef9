// An edge worker (module syntax) that fronts an API with scopegate: every request is decided
// locally from a signed digest bundle; allowed ones go on to the origin, denied ones are
// answered here with 401/403 and a Bitbucket-shaped JSON error. Runs in workerd and Cloudflare
// Workers, on `scopegate/edge` (the small .wasm: load, deltas, decisions).
//
// Bindings (see scripts/workerd.mjs for a workerd config, or wrangler.toml for Cloudflare):
//   SCOPEGATE_PUBLIC_KEY  text: the base64url Ed25519 public key bundles are signed for
//                         (several, comma-separated, while rotating keys)
//   SCOPEGATE_BUNDLE      optional data: the signed bundle the worker starts from; without it
//                         the first request fetches one from the bundle source
//   ORIGIN                service binding to the origin (else ORIGIN_URL: its base URL)
//   BUNDLE_SOURCE         service binding to the bundle store (else BUNDLE_URL: its base URL),
//                         a KV-like endpoint serving
//                           GET BUNDLE_PATH (default /scopegate/bundle): the latest full bundle
//                           GET DELTA_PATH?base=<sha256> (default /scopegate/delta): the latest
//                               delta on that base bundle, 204 when there is none, 404 when the
//                               base is not the store's current bundle (fetch the full one)
//   REFRESH_SECONDS       refresh when the snapshot is older than this (default 60)
//   REFRESH_TOKEN         enables POST /_scopegate/refresh with `Authorization: Bearer <token>`
//
// A refresh asks for a delta first (a revocation reaches the edge in a few hundred bytes) and
// falls back to the full bundle. A failed refresh keeps the snapshot in use; once that is past
// its `expires_at`, every request is denied with `bundle_expired` (fail closed).

import { Engine, initSync } from "scopegate/edge";
import wasmModule from "scopegate/edge.wasm";

initSync(wasmModule);

const DEFAULT_REFRESH_SECONDS = 60;
const REFRESH_PATH = "/_scopegate/refresh";

/** The snapshot in use: engine, hex SHA-256 of its base bundle, when it was loaded. One per isolate. */
let current = null;
let refreshing = null;

function publicKeys(env) {
  const keys = String(env.SCOPEGATE_PUBLIC_KEY ?? "").split(",").map((k) => k.trim()).filter(Boolean);
  if (keys.length === 0) throw new Error("SCOPEGATE_PUBLIC_KEY is not set");
  return keys;
}

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function swap(engine, base) {
  const old = current?.engine;
  current = { engine, base, loadedAt: Date.now() };
  // NOTE: safe: decisions are synchronous, so no request holds the old engine across an await.
  if (old && old !== engine) old.free();
  return current;
}

/** A full bundle, verified; throws (and changes nothing) when it does not verify or has expired. */
async function loadBundle(env, bytes) {
  const engine = Engine.load(bytes, { publicKeys: publicKeys(env) });
  return swap(engine, await sha256Hex(bytes));
}

async function fetchFromSource(env, path) {
  const response = env.BUNDLE_SOURCE
    ? await env.BUNDLE_SOURCE.fetch(new Request(`http://bundle-source${path}`))
    : await fetch(new URL(path, env.BUNDLE_URL));
  if (response.status === 204 || response.status === 404) return { status: response.status };
  if (!response.ok) throw new Error(`bundle source answered ${response.status} for ${path.split("?")[0]}`);
  return { status: response.status, bytes: new Uint8Array(await response.arrayBuffer()) };
}

/**
 * Brings the snapshot up to date: the delta on our base if the store has one, else the full
 * bundle if it is another one. Resolves to what happened; a failure keeps the old snapshot.
 */
function refresh(env) {
  refreshing ??= (async () => {
    const bundlePath = env.BUNDLE_PATH ?? "/scopegate/bundle";
    const deltaPath = env.DELTA_PATH ?? "/scopegate/delta";
    if (current) {
      const delta = await fetchFromSource(env, `${deltaPath}?base=${current.base}`);
      if (delta.status === 204) {
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
          console.warn(`scopegate: delta refused (${e.message}); fetching the full bundle`);
        }
      }
    }
    const full = await fetchFromSource(env, bundlePath);
    if (!full.bytes) throw new Error(`bundle source has no bundle at ${bundlePath}`);
    if (current && (await sha256Hex(full.bytes)) === current.base) {
      current.loadedAt = Date.now();
      return "unchanged";
    }
    await loadBundle(env, full.bytes);
    return "bundle";
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

function canRefresh(env) {
  return Boolean(env.BUNDLE_SOURCE || env.BUNDLE_URL);
}

/** The engine for this request: loaded on first use, refreshed in the background when old. */
async function engineFor(env, ctx) {
  if (current === null) {
    if (env.SCOPEGATE_BUNDLE) {
      try {
        await loadBundle(env, env.SCOPEGATE_BUNDLE);
      } catch (e) {
        // An old bundle deployed with the worker: a fresh one from the source may still do.
        if (!canRefresh(env)) throw e;
        console.warn(`scopegate: SCOPEGATE_BUNDLE refused (${e.message}); fetching one`);
      }
    }
    if (current === null) {
      if (!canRefresh(env)) throw new Error("no SCOPEGATE_BUNDLE and no bundle source");
      await refresh(env);
    }
  }
  const maxAge = Number(env.REFRESH_SECONDS ?? DEFAULT_REFRESH_SECONDS) * 1000;
  if (canRefresh(env) && Date.now() - current.loadedAt >= maxAge) {
    ctx.waitUntil(refresh(env).catch((e) => console.error(`scopegate: refresh failed: ${e.message}`)));
  }
  return current.engine;
}

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/**
 * A deny, in the shape Bitbucket Cloud answers with: 401 without usable credentials, 503 when
 * the gate itself cannot decide (its snapshot expired: retry later), 403 otherwise.
 */
function denied(decision) {
  const unauthenticated = decision.reason === "no_credentials" || decision.reason === "malformed_credentials";
  const unavailable = decision.reason === "bundle_expired" || decision.reason === "internal_error";
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
  if (unauthenticated) headers["www-authenticate"] = 'Bearer realm="scopegate", Basic realm="scopegate"';
  if (unavailable) headers["retry-after"] = "30";
  return json(unauthenticated ? 401 : unavailable ? 503 : 403, body, headers);
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
  if (!expected || !canRefresh(env)) return json(404, { type: "error", error: { message: "not found" } });
  if (request.method !== "POST" || request.headers.get("authorization") !== `Bearer ${expected}`) {
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
      // NOTE: at the Cloudflare edge CF-Connecting-IP is set by the platform, so it is the peer.
      decision = (await engineFor(env, ctx)).checkRequest(request, {
        remoteAddr: request.headers.get("cf-connecting-ip") ?? undefined,
      });
    } catch (e) {
      // Fail closed: no snapshot, or a request the engine cannot read.
      console.error(`scopegate: ${e.message}`);
      return json(503, { type: "error", error: { message: "access check unavailable", reason: "internal_error" } });
    }
    // Allowed and deferred (passwords, unknown routes when so configured) go to the origin.
    return decision.effect === "deny" ? denied(decision) : forward(request, env, decision);
  },
};
