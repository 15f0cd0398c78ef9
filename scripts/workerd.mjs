// Runs examples/worker/worker.js under workerd (npm) on 127.0.0.1, in front of an origin:
// writes a capnp config and the modules it embeds into a fresh directory, starts workerd and
// waits until it answers. Used by tests/workerd/ and by the demo.
//
//   const gate = await startWorker({ bundle, publicKey, originPort });  ...  await gate.stop();

import { spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const WORKERD = join(ROOT, "node_modules/.bin/workerd");

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const capnpString = (s) => JSON.stringify(String(s)); // capnp text literals escape like JSON

/** The workerd config: the worker, the package's edge modules, and the origin as a service. */
function config({ port, originPort, refreshSeconds, refreshToken, publicKey, embedBundle, cfBlobHeader }) {
  const text = (name, value) => `(name = ${capnpString(name)}, text = ${capnpString(value)})`;
  const bindings = [
    text("SCOPEGATE_PUBLIC_KEY", publicKey),
    `(name = "ORIGIN", service = "origin")`,
    `(name = "BUNDLE_SOURCE", service = "origin")`,
    text("REFRESH_SECONDS", refreshSeconds),
  ];
  if (embedBundle) bindings.unshift(`(name = "SCOPEGATE_BUNDLE", data = embed "bundle.bin")`);
  if (refreshToken) bindings.push(text("REFRESH_TOKEN", refreshToken));
  // NOTE: only to stand in for Cloudflare in tests: workerd then builds `request.cf` from a header
  // the client sends, as Cloudflare's edge builds it from the connection.
  const http = cfBlobHeader ? `(cfBlobHeader = ${capnpString(cfBlobHeader)})` : "()";
  return `using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "main", worker = .gate),
    (name = "origin", external = (address = "127.0.0.1:${originPort}", http = ())),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = ${http}, service = "main")],
);

const gate :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "worker.js"),
    # The npm package under the names a bundler would resolve: "scopegate/edge" and its .wasm
    # export; the relative imports inside edge.js resolve next to it, under "scopegate/".
    (name = "scopegate/edge", esModule = embed "edge.js"),
    (name = "scopegate/api.js", esModule = embed "api.js"),
    (name = "scopegate/fast.js", esModule = embed "fast.js"),
    (name = "scopegate/scopegate_edge_wasm.js", esModule = embed "scopegate_edge_wasm.js"),
    (name = "scopegate/edge.wasm", wasm = embed "scopegate_edge_wasm_bg.wasm"),
  ],
  bindings = [
    ${bindings.join(",\n    ")},
  ],
  compatibilityDate = "2025-09-01",
);
`;
}

/**
 * Starts workerd with the worker in front of `http://127.0.0.1:<originPort>`, which is also its
 * bundle store. `bundle` (optional) is embedded as the bundle the worker starts from.
 * `cfBlobHeader` makes workerd read `request.cf` from that request header, standing in for
 * Cloudflare's edge (without it, workerd sets `request.cf.clientIp` to the TCP peer).
 * @param {{ bundle?: Uint8Array, publicKey: string, originPort: number, port?: number,
 *           refreshSeconds?: number, refreshToken?: string,
 *           cfBlobHeader?: string, pkgDir?: string, log?: (line: string) => void }} options
 */
export async function startWorker({
  bundle,
  publicKey,
  originPort,
  port,
  refreshSeconds = 60,
  refreshToken,
  cfBlobHeader,
  pkgDir = join(ROOT, "pkg"),
  log = () => {},
}) {
  const dir = mkdtempSync(join(tmpdir(), "scopegate-workerd-"));
  for (const file of ["edge.js", "api.js", "fast.js", "scopegate_edge_wasm.js", "scopegate_edge_wasm_bg.wasm"]) {
    copyFileSync(join(pkgDir, file), join(dir, file));
  }
  copyFileSync(join(ROOT, "examples/worker/worker.js"), join(dir, "worker.js"));
  if (bundle) writeFileSync(join(dir, "bundle.bin"), bundle);
  port ??= await freePort();
  writeFileSync(
    join(dir, "config.capnp"),
    config({ port, originPort, refreshSeconds, refreshToken, publicKey, embedBundle: Boolean(bundle), cfBlobHeader }),
  );

  const child = spawn(WORKERD, ["serve", join(dir, "config.capnp"), "--verbose"], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const collect = (chunk) => {
    output += chunk;
    for (const line of String(chunk).split("\n")) if (line.trim()) log(line);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  // Ready when it answers HTTP; bounded, and a workerd that exits early fails at once.
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  let early = null;
  exited.then((e) => (early = e));
  for (;;) {
    if (early) {
      await stop();
      throw new Error(`workerd exited (${early.code ?? early.signal}) before serving:\n${output}`);
    }
    try {
      await fetch(`${url}/_scopegate/ready`, { signal: AbortSignal.timeout(1000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`workerd did not answer on ${url} within 30 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, port, dir, stop, output: () => output };
}
