// A stand-in for the API behind the edge worker, on 127.0.0.1: answers every request with 200
// and what it received (so tests can see what the worker forwarded), and is the worker's
// bundle store (a KV-like endpoint, see examples/worker/worker.js):
//   GET /scopegate/bundle              the current signed bundle
//   GET /scopegate/delta?base=<sha256> the current delta on that bundle; 204 when there is
//                                      none, 404 when <sha256> is not the current bundle

import { createHash } from "node:crypto";
import { createServer } from "node:http";

export const BUNDLE_PATH = "/scopegate/bundle";
export const DELTA_PATH = "/scopegate/delta";

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** @param {{ bundle: Uint8Array, delta?: Uint8Array | null, port?: number }} options */
export function startOrigin({ bundle, delta = null, port = 0 }) {
  let store = { bundle: Buffer.from(bundle), base: sha256(bundle), delta: delta && Buffer.from(delta) };
  const requests = [];
  const storeRequests = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://origin");
    if (url.pathname === BUNDLE_PATH || url.pathname === DELTA_PATH) {
      storeRequests.push(req.url);
      const send = (status, body) => {
        res.writeHead(status, body ? { "content-type": "application/octet-stream" } : {});
        res.end(body);
      };
      if (url.pathname === BUNDLE_PATH) return send(200, store.bundle);
      if (url.searchParams.get("base") !== store.base) return send(404);
      return store.delta ? send(200, store.delta) : send(204);
    }
    requests.push({ method: req.method, url: req.url, headers: req.headers });
    const seen = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k.startsWith("x-scopegate-")));
    res.writeHead(200, { "content-type": "application/json", "x-origin": "yes" });
    res.end(JSON.stringify({ origin: "ok", method: req.method, url: req.url, scopegate: seen }));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      resolve({
        port: server.address().port,
        /** Requests forwarded by the worker (not the bundle store's). */
        requests,
        /** Paths the worker fetched from the bundle store. */
        storeRequests,
        /** A new full bundle; the delta, which was on the old one, is dropped. */
        setBundle(next) {
          store = { bundle: Buffer.from(next), base: sha256(next), delta: null };
        },
        /** A delta on the current bundle (null: none). */
        setDelta(next) {
          store.delta = next && Buffer.from(next);
        },
        stop: () =>
          new Promise((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
