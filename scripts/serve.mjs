// A small static file server on 127.0.0.1 for the admin page (www/), the package (pkg/) and
// the demo's files. Used by the demo and by the browser tests.
//
//   node scripts/serve.mjs [--port 8080]      serves / -> www/, /pkg/ -> pkg/, /demo/ -> .demo/
//   const site = await serveStatic({ "/": "www", "/pkg/": "pkg" });  ...  await site.stop();

import { createReadStream, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm", // instantiateStreaming insists on it
  ".ts": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

export const DEFAULT_MOUNTS = { "/": "www", "/pkg/": "pkg", "/demo/": ".demo" };

// The admin page's policy (as its <meta>), also sent as a header so it covers the engine's
// worker script, which no <meta> reaches; and no framing.
const CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The file a URL path names under `mounts`, or null; never outside the mounted directories. */
function fileFor(mounts, urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (path.includes("\0")) return null;
  // Longest mount prefix first, so /pkg/ wins over /.
  const prefix = Object.keys(mounts)
    .filter((p) => path.startsWith(p))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix === undefined) return null;
  const base = resolve(ROOT, mounts[prefix]);
  let file = resolve(base, "." + sep + path.slice(prefix.length));
  if (file !== base && !file.startsWith(base + sep)) return null;
  try {
    if (statSync(file).isDirectory()) file = join(file, "index.html");
    return statSync(file).isFile() ? file : null;
  } catch {
    return null;
  }
}

/**
 * @param {Record<string, string>} [mounts] URL prefix (ending in /) -> directory (from the repo root)
 * @param {{ port?: number }} [options]
 */
export function serveStatic(mounts = DEFAULT_MOUNTS, { port = 0 } = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const file = req.method === "GET" || req.method === "HEAD" ? fileFor(mounts, url.pathname) : null;
    if (!file) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      res.end("not found\n");
      return;
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "content-security-policy": CSP,
      "referrer-policy": "no-referrer",
    });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address();
      resolvePromise({
        url: `http://127.0.0.1:${bound}`,
        port: bound,
        stop: () =>
          new Promise((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}

// Run directly: serve the default mounts until interrupted.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--port");
  const port = at > 0 ? Number(process.argv[at + 1]) : 8080;
  const site = await serveStatic(DEFAULT_MOUNTS, { port });
  console.log(`serving www/ at ${site.url}/  (pkg/ at /pkg/, .demo/ at /demo/)`);
}
