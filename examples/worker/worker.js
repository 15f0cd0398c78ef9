// An edge worker (module syntax) that fronts an API with scopegate: every request is decided
// locally from a snapshot; allowed ones go on to the origin, denied ones are answered here with
// 401/403 and a Bitbucket-shaped JSON error. Runs in workerd and Cloudflare Workers.
//
// Bindings (see tests/workerd/ for a workerd config, or wrangler.toml for Cloudflare):
//   SCOPEGATE_STATE   text: the state JSON the worker starts from
//   ORIGIN            service binding to the origin (else ORIGIN_URL: its base URL)
//   STATE_SOURCE      optional service binding serving fresh state at STATE_PATH (else STATE_URL)
//   STATE_PATH        path of the fresh state on STATE_SOURCE (default /scopegate/state.json)
//   REFRESH_SECONDS   re-fetch the state when it is older than this (default 60)
//   REFRESH_TOKEN     enables POST /_scopegate/refresh with `Authorization: Bearer <token>`
//
// NOTE: the snapshot is an unsigned state until signed bundles land; then `load()` becomes
// `Engine.load(bytes, { publicKey: env.SCOPEGATE_PUBLIC_KEY })` and the rest stays.

import { Engine, initSync } from "scopegate";
import wasmModule from "scopegate/scopegate.wasm";

initSync(wasmModule);

const DEFAULT_REFRESH_SECONDS = 60;
const REFRESH_PATH = "/_scopegate/refresh";

/** The snapshot in use and when it was loaded; one per isolate. */
let current = null;
let refreshing = null;

function load(source) {
  return Engine.fromState(source);
}

function snapshot(env) {
  if (current === null) current = { engine: load(env.SCOPEGATE_STATE), loadedAt: Date.now() };
  return current;
}

async function fetchState(env) {
  const path = env.STATE_PATH ?? "/scopegate/state.json";
  const response = env.STATE_SOURCE
    ? await env.STATE_SOURCE.fetch(new Request(`http://state-source${path}`))
    : await fetch(env.STATE_URL);
  if (!response.ok) throw new Error(`state source answered ${response.status}`);
  return response.text();
}

/** Loads a fresh snapshot; a failure keeps the old one (it stays valid until it expires). */
function refresh(env) {
  refreshing ??= fetchState(env)
    .then((text) => {
      const engine = load(text);
      current?.engine.free();
      current = { engine, loadedAt: Date.now() };
      return current;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

function canRefresh(env) {
  return Boolean(env.STATE_SOURCE || env.STATE_URL);
}

/** Serves the current snapshot; refreshes in the background once it is older than allowed. */
function engineFor(env, ctx) {
  const snap = snapshot(env);
  const maxAge = Number(env.REFRESH_SECONDS ?? DEFAULT_REFRESH_SECONDS) * 1000;
  if (canRefresh(env) && Date.now() - snap.loadedAt >= maxAge) {
    ctx.waitUntil(refresh(env).catch((e) => console.error(`scopegate: refresh failed: ${e.message}`)));
  }
  return snap.engine;
}

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** A deny, in the shape Bitbucket Cloud answers with. */
function denied(decision) {
  const unauthenticated = decision.reason === "no_credentials" || decision.reason === "malformed_credentials";
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
  return json(unauthenticated ? 401 : 403, body, headers);
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
    const snap = await refresh(env);
    return json(200, snap.engine.info());
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
      decision = engineFor(env, ctx).checkRequest(request, {
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
