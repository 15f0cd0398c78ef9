// A stand-in for the API behind the edge worker, on 127.0.0.1: answers every request with 200
// and what it received (so tests can see what the worker forwarded), and serves the current
// state at /scopegate/state.json for the worker's refresh.

import { createServer } from "node:http";

export const STATE_PATH = "/scopegate/state.json";

/** @param {{ state: object | string, port?: number }} options */
export function startOrigin({ state, port = 0 }) {
  let stateText = typeof state === "string" ? state : JSON.stringify(state);
  const requests = [];
  const server = createServer((req, res) => {
    if (req.url === STATE_PATH) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(stateText);
      return;
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
        requests,
        setState(next) {
          stateText = typeof next === "string" ? next : JSON.stringify(next);
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
