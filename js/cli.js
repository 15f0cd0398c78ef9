#!/usr/bin/env node
// `npx scopegate ...`: the command line over the same engine as the JS API (./scopegate.js).
// Human-readable tables by default, `--json` for machines; exit codes in USAGE below. Errors are
// one line on stderr naming what went wrong and where (the file, then the JSON path).

import { closeSync, fsyncSync, openSync, readFileSync, readSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { createHash, randomBytes } from "node:crypto";
import { basename, dirname, join } from "node:path";

import {
  init,
  Engine,
  buildBundle,
  buildDelta,
  generateKeyPair,
  mintToken,
  digestToken,
  inspectBundle,
  profileFromOpenApi,
  publicKeyOf,
} from "./scopegate.js";

const EXIT = { ok: 0, deny: 1, usage: 2, defer: 3 };

const USAGE = `usage: scopegate <command> [options]

keys and tokens
  keygen [--out <prefix>]             a new Ed25519 key pair; with --out, writes <prefix>.key
                                      (private, mode 0600) and <prefix>.pub
  mint <kind>                         a new token, shown once, and its SHA-256
  digest <token>                      SHA-256 of a token (a state's secret_sha256)

bundles
  build <state.json> --key <file> --out <bundle>
                                      sign a bundle of a state (a progress bar on a terminal)
  delta <base-bundle> <state.json> --key <file> --out <delta>
                                      sign a delta that turns the base bundle into the state
  delta <base-bundle> --changes <changes.json> --key <file> --out <delta>
                                      sign a delta applying changes (revoke, remove, upsert,
                                      policies) to the base bundle; changes are against the base
  inspect <bundle> --public-key <key> verify a bundle or delta and show its header and sections
    --key <file>                      the private key (or env SCOPEGATE_PRIVATE_KEY)
    --public-key <key|file>           a public key, or a file holding one; repeat while rotating
                                      (or env SCOPEGATE_PUBLIC_KEY)
    --ttl <seconds>                   how long the bundle is trusted after issued_at (default 86400)
    --out <file>                      written atomically (a temporary file, then renamed);
                                      nothing is written on an error. "-" writes to stdout
    --progress, --no-progress         force the progress display on or off

decisions and admin questions, over --state <state.json> or --bundle <bundle> --public-key <key>
[--delta <delta>]
  check <url>                         decide one request
  explain <url>                       decide one request and print every pipeline step
    -X, --method <method>             default GET
    -H, --header "<name>: <value>"    repeatable
    --token <token>                   shorthand for -H "Authorization: Bearer <token>"
    --remote-addr <ip>                the TCP peer
  preview <proposal.json>             what a proposed state or policy change would do
    --replay <requests.json>          past requests ([{ tokenId, method, url, ... }]) to replay
  audit                               expiring, orphaned, unbounded, over-broad tokens; no 2FA
    --expiring-within <days>          the window for expiring tokens (default 30)
  info                                counts and times of the snapshot
    --now <RFC 3339 | ms>             decide (and check bundle expiry) as of this time

profiles
  profile --from-openapi <spec.json> [--name <name>] [--out <file>]
                                      a profile (scopes, routes) from an OpenAPI 3 document

  --json                              machine-readable output on stdout
  -h, --help, --version

exit codes
  0  allowed; or done, with nothing to report (no findings, no changes)
  1  denied (check, explain); findings (audit); tokens or requests that change (preview)
  2  bad usage or bad input: a missing or unreadable file, a state or spec error (with its
     JSON path), a bundle that does not verify or has expired
  3  deferred to the origin (check, explain: passwords, unknown routes when so configured)`;

/** Bad usage: the message and a pointer to --help. */
class UsageError extends Error {}
/** Bad input: the message names the file and the JSON path. */
class InputError extends Error {}

const REPEATABLE = new Set(["header", "publicKey"]);
const FLAGS = {
  "--json": "json",
  "-h": "help",
  "--help": "help",
  "--version": "version",
  "--progress": "progress",
  "--no-progress": "noProgress",
};
const OPTIONS = {
  "--state": "state",
  "--bundle": "bundle",
  "--delta": "delta",
  "--changes": "changes",
  "--public-key": "publicKey",
  "--key": "key",
  "--out": "out",
  "-o": "out",
  "--ttl": "ttl",
  "-X": "method",
  "--method": "method",
  "-H": "header",
  "--header": "header",
  "--token": "token",
  "--remote-addr": "remoteAddr",
  "--now": "now",
  "--replay": "replay",
  "--expiring-within": "expiringWithin",
  "--from-openapi": "fromOpenapi",
  "--name": "name",
};

function parseArgs(argv) {
  const opts = { header: [], publicKey: [], positional: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a in FLAGS) {
      opts[FLAGS[a]] = true;
    } else if (a in OPTIONS) {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      const name = OPTIONS[a];
      const value = argv[++i];
      if (REPEATABLE.has(name)) opts[name].push(value);
      else if (name === "token") opts.header.push(`authorization: Bearer ${value}`);
      else if (opts[name] !== undefined) throw new UsageError(`${a} is given twice`);
      else opts[name] = value;
    } else if (a.startsWith("-") && a !== "-") {
      throw new UsageError(`unknown option ${a}`);
    } else {
      opts.positional.push(a);
    }
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Files

function readError(path, e) {
  const why = { ENOENT: "no such file", EISDIR: "is a directory", EACCES: "permission denied" }[e.code] ?? e.message;
  return new InputError(`${path}: ${why}`);
}

function readBytes(path) {
  try {
    return path === "-" ? readFileSync(0) : readFileSync(path);
  } catch (e) {
    throw readError(path, e);
  }
}

function readText(path) {
  return readBytes(path).toString("utf8");
}

function readJson(path) {
  const text = readText(path);
  try {
    return JSON.parse(text);
  } catch (e) {
    // NOTE: V8 quotes the text around the error ("...": sga_0El6XF"...), which may be a secret.
    const why = e.message.replace(/,? *(?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, "");
    throw new InputError(`${path}: not JSON: ${why}`);
  }
}

/** Reads a file with a progress bar (large files): the state of a big build. */
function readWithProgress(path, progress) {
  if (path === "-") return readText(path);
  let fd;
  try {
    fd = openSync(path, "r");
    const size = statSync(path).size;
    const buffer = Buffer.allocUnsafe(size);
    let done = 0;
    const chunk = 8 * 1024 * 1024;
    while (done < size) {
      const n = readSync(fd, buffer, done, Math.min(chunk, size - done), done);
      if (n === 0) break;
      done += n;
      progress.bar(`reading ${path}`, done, size);
    }
    return buffer.toString("utf8", 0, done);
  } catch (e) {
    throw readError(path, e);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes `bytes` to `path` atomically: a temporary file next to it, flushed, then renamed over
 * it; on any error the temporary file is removed and `path` is untouched.
 */
function writeAtomic(path, bytes, mode = 0o644) {
  if (path === "-") {
    if (process.stdout.isTTY && !(typeof bytes === "string")) {
      throw new UsageError("refusing to write binary bytes to a terminal: give --out <file>");
    }
    writeSync(1, bytes);
    return;
  }
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
  let fd;
  try {
    fd = openSync(tmp, "wx", mode);
    writeSync(fd, bytes);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw new InputError(`${path}: cannot write: ${e.code === "ENOENT" ? "no such directory" : e.message}`);
  }
}

/** Runs `fn`; an error it throws becomes an InputError prefixed with `where` (a file name). */
function at(where, fn) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputError) throw e;
    throw new InputError(`${where}: ${e.message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Keys, time, snapshots

function privateKey(opts) {
  if (opts.key) return readText(opts.key).trim();
  if (process.env.SCOPEGATE_PRIVATE_KEY) return process.env.SCOPEGATE_PRIVATE_KEY.trim();
  throw new UsageError("--key <file> (the private key) is required, or set SCOPEGATE_PRIVATE_KEY");
}

/** Each --public-key is a key, or a file holding one (or several, one a line). */
function publicKeys(opts) {
  const given = opts.publicKey.length > 0 ? opts.publicKey : (process.env.SCOPEGATE_PUBLIC_KEY ?? "").split(",").filter(Boolean);
  if (given.length === 0) throw new UsageError("--public-key <key or file> is required to verify a bundle, or set SCOPEGATE_PUBLIC_KEY");
  return given.flatMap((k) => {
    const looksLikeKey = /^[A-Za-z0-9_+/=-]{40,}$/.test(k.trim());
    let isFile = false;
    try {
      isFile = statSync(k).isFile();
    } catch {
      // not a file
    }
    if (isFile) return readText(k).split(/\s+/).filter(Boolean);
    if (looksLikeKey) return [k.trim()];
    throw new InputError(`--public-key ${k}: neither a base64url key nor a file`);
  });
}

/** A key id as bundles name it: the first 8 bytes of SHA-256 of the 32-byte public key. */
function keyIdOf(publicKey) {
  const bytes = Buffer.from(publicKey.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  return createHash("sha256").update(bytes).digest("hex").slice(0, 16);
}

function parseNow(text) {
  if (text === undefined) return undefined;
  const ms = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new UsageError(`--now must be an RFC 3339 time or milliseconds, got \`${text}\``);
  return ms;
}

function parseWhole(text, name, min) {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${name} must be a whole number of at least ${min}, got \`${text}\``);
  return n;
}

/** The engine the decision commands run on: an unsigned state, or a verified bundle (+ delta). */
function loadEngine(opts) {
  const now = parseNow(opts.now);
  if (opts.state && opts.bundle) throw new UsageError("give --state or --bundle, not both");
  if (opts.state) {
    if (opts.delta) throw new UsageError("--delta applies to a --bundle, not a --state");
    const text = readText(opts.state);
    return { engine: at(opts.state, () => Engine.fromState(text)), source: opts.state };
  }
  if (opts.bundle) {
    const keys = publicKeys(opts);
    const bytes = readBytes(opts.bundle);
    const engine = at(opts.bundle, () => Engine.load(bytes, { publicKeys: keys, now }));
    if (opts.delta) {
      const delta = readBytes(opts.delta);
      at(opts.delta, () => engine.applyDelta(delta, { now }));
    }
    return { engine, source: opts.bundle };
  }
  throw new UsageError("--state <state.json> or --bundle <bundle> --public-key <key> is required");
}

// ---------------------------------------------------------------------------------------------
// Output

/** Progress on stderr: a redrawn bar on a terminal, one line per phase elsewhere (--progress). */
function makeProgress(enabled) {
  const tty = process.stderr.isTTY;
  let phase = null;
  let started = 0;
  let lastDraw = 0;
  const write = (s) => process.stderr.write(s);
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  const finish = () => {
    if (phase === null) return;
    write(`${tty ? "\r\x1b[K" : ""}${phase}: done in ${elapsed()}\n`);
    phase = null;
  };
  return {
    /** Starts a phase that reports no progress of its own (one synchronous engine call). */
    step(label) {
      if (!enabled) return;
      finish();
      phase = label;
      started = performance.now();
      if (tty) write(`\r\x1b[K${label} ...`);
    },
    /** A phase with a known size: redrawn at most every 50 ms. */
    bar(label, done, total) {
      if (!enabled) return;
      if (phase !== label) {
        finish();
        phase = label;
        started = performance.now();
      }
      if (!tty) return;
      const now = performance.now();
      if (done < total && now - lastDraw < 50) return;
      lastDraw = now;
      const width = 30;
      const ratio = total > 0 ? done / total : 1;
      const fill = Math.round(ratio * width);
      write(`\r\x1b[K${label} [${"#".repeat(fill)}${"-".repeat(width - fill)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${mb(done)} / ${mb(total)}`);
    },
    finish,
  };
}

const mb = (bytes) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : bytes >= 1e3 ? `${(bytes / 1e3).toFixed(1)} KB` : `${bytes} B`);
const count = (n) => n.toLocaleString("en-US");

/** Rows of cells as a table with a header row; the last column is not padded. */
function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map((c) => String(c ?? "")));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd()).join("\n");
}

function printDecision(d) {
  const lines = [`${d.effect.toUpperCase()}  ${d.reason}  ${d.message}`];
  if (d.token) lines.push(`  token     ${d.token.id} (${d.token.kind}${d.token.label ? `, ${d.token.label}` : ""})`);
  if (d.required) lines.push(`  required  ${d.required.anyOf.map((s) => s.join(" + ") || "(any token)").join("  or  ") || "(nothing)"}${d.required.resource ? ` on ${d.required.resource}` : ""}`);
  if (d.granted) lines.push(`  granted   ${d.granted.join(", ") || "(none)"}`);
  if (d.clientIp) lines.push(`  client ip ${d.clientIp}`);
  if (d.policy) lines.push(`  policy    ${d.policy}`);
  if (d.expiresAt) lines.push(`  expires   ${d.expiresAt}`);
  console.log(lines.join("\n"));
}

const exitFor = (d) => (d.effect === "allow" ? EXIT.ok : d.effect === "defer" ? EXIT.defer : EXIT.deny);

function printPreview(r, proposal, source) {
  console.log(`preview of ${proposal} against ${source}: ${count(r.tokensEvaluated)} tokens evaluated`);
  console.log(`${count(r.changedCount)} ${r.changedCount === 1 ? "token changes" : "tokens change"}: ${count(r.newlyDenied)} newly denied, ${count(r.newlyAllowed)} newly allowed`);
  if (r.changedCount > 0) {
    console.log();
    console.log(table(["REASON AFTER", "TOKENS"], Object.entries(r.byReason)));
    console.log();
    console.log(table(["OWNER", "TOKENS"], Object.entries(r.byOwner)));
    console.log();
    console.log(table(
      ["TOKEN", "KIND", "OWNER", "BEFORE", "AFTER", "POLICY"],
      r.changed.map((c) => [c.id, c.kind, c.owner, c.before, c.after, c.policyBefore === c.policyAfter ? c.policyAfter : `${c.policyBefore} -> ${c.policyAfter}`]),
    ));
    if (r.changed.length < r.changedCount) console.log(`(the first ${r.changed.length} of ${r.changedCount} listed)`);
  }
  if (r.replay) {
    const p = r.replay;
    console.log();
    console.log(`replay: ${count(p.requests)} requests, ${count(p.flippedCount)} flipped: ${count(p.newlyDenied)} newly denied, ${count(p.newlyAllowed)} newly allowed${p.unknownTokenIds ? `; ${count(p.unknownTokenIds)} name a token id neither snapshot knows` : ""}`);
    if (p.flipped.length > 0) {
      console.log(table(
        ["#", "TOKEN", "METHOD", "URL", "BEFORE", "AFTER"],
        p.flipped.map((f) => [f.index, f.tokenId, f.method, f.url, `${f.before.effect} ${f.before.reason}`, `${f.after.effect} ${f.after.reason}`]),
      ));
    }
  }
}

function printAudit(r, source) {
  console.log(`audit of ${source} at ${r.now}: ${count(r.tokens)} tokens, ${count(r.activeTokens)} active, ${count(r.findings.length)} findings${r.truncated ? " (truncated)" : ""}`);
  if (r.findings.length === 0) return;
  console.log();
  console.log(table(["SEVERITY", "KIND", "TOKEN", "PRINCIPAL", "MESSAGE"], r.findings.map((f) => [f.severity, f.kind, f.tokenId ?? "-", f.principal ?? "-", f.message])));
  console.log();
  console.log(table(["KIND", "FINDINGS"], Object.entries(r.summary)));
}

function printBundleInfo(i, path) {
  const rows = [
    ["file", path],
    ["kind", i.kind],
    ["format version", i.version],
    ["signed by key id", i.keyId],
    ["issued at", i.issuedAt],
    ["expires at", `${i.expiresAt}${Date.parse(i.expiresAt) <= Date.now() ? " (expired)" : ""}`],
    [i.kind === "delta" ? "new or changed tokens" : "tokens", count(i.tokens)],
  ];
  if (i.kind === "delta") rows.push(["removed tokens", count(i.removed)], ["base (sha256)", i.base], ["new policies/directory", i.meta ? "yes" : "no"]);
  rows.push(["sha256", i.sha256], ["size", `${count(i.bytes)} bytes${i.tokens > 0 ? ` (${(i.bytes / i.tokens).toFixed(1)} bytes/token)` : ""}`]);
  console.log(rows.map(([k, v]) => `${k.padEnd(24)}${v}`).join("\n"));
  console.log();
  console.log(table(["SECTION", "BYTES"], Object.entries(i.sections).map(([k, v]) => [k, count(v)])));
}

// ---------------------------------------------------------------------------------------------
// Commands

function wantArgs(command, args, n, what) {
  if (args.length !== n) throw new UsageError(`${command} needs ${what}`);
}

async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.version) {
    const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
    console.log(pkg.version);
    return EXIT.ok;
  }
  const [command, ...args] = opts.positional;
  if (opts.help || !command) {
    console.log(USAGE);
    return opts.help ? EXIT.ok : EXIT.usage;
  }
  await init();
  const out = (value, human) => (opts.json ? console.log(JSON.stringify(value, null, 2)) : human(value));
  switch (command) {
    case "keygen": {
      wantArgs(command, args, 0, "no arguments (--out <prefix> to write files)");
      const pair = generateKeyPair();
      const keyId = keyIdOf(pair.publicKey);
      if (opts.out) {
        writeAtomic(`${opts.out}.key`, `${pair.privateKey}\n`, 0o600);
        writeAtomic(`${opts.out}.pub`, `${pair.publicKey}\n`);
        out({ publicKey: pair.publicKey, keyId, privateKeyFile: `${opts.out}.key`, publicKeyFile: `${opts.out}.pub` }, (r) =>
          console.log(`public key   ${r.publicKey}\nkey id       ${r.keyId}\nwrote        ${r.privateKeyFile} (private: keep it secret) and ${r.publicKeyFile}`));
      } else {
        out({ ...pair, keyId }, (r) =>
          console.log(`public key   ${r.publicKey}\nprivate key  ${r.privateKey}\nkey id       ${r.keyId}\n\nKeep the private key secret (CI secrets); give the public key to the edge.`));
      }
      return EXIT.ok;
    }
    case "mint": {
      wantArgs(command, args, 1, "one kind, e.g. `scopegate mint repository_access_token`");
      out(mintToken(args[0]), (m) => console.log(`token   ${m.token}\nsha256  ${m.sha256}\n\nShown once: store the token in a secret manager and only the sha256 in the state.`));
      return EXIT.ok;
    }
    case "digest": {
      wantArgs(command, args, 1, "one token");
      out({ sha256: digestToken(args[0]) }, (d) => console.log(d.sha256));
      return EXIT.ok;
    }
    case "build":
    case "delta": {
      const isDelta = command === "delta";
      if (opts.changes !== undefined && !isDelta) throw new UsageError("--changes is for `scopegate delta`");
      const changes = opts.changes !== undefined;
      wantArgs(command, args, isDelta ? (changes ? 1 : 2) : 1, isDelta
        ? "a base bundle and a state, or a base bundle and --changes: `scopegate delta <base> <state.json> --key <file> --out <delta>` or `scopegate delta <base> --changes <changes.json> --key <file> --out <delta>`"
        : "one state file: `scopegate build <state.json> --key <file> --out <bundle>`");
      if (!opts.out) throw new UsageError(`${command} needs --out <file> (or --out - for stdout)`);
      const statePath = changes ? opts.changes : isDelta ? args[1] : args[0];
      const key = privateKey(opts);
      const ttlSeconds = opts.ttl === undefined ? undefined : parseWhole(opts.ttl, "--ttl", 1);
      const base = isDelta ? readBytes(args[0]) : undefined;
      let size = 0;
      try {
        size = statePath === "-" ? 0 : statSync(statePath).size;
      } catch (e) {
        throw readError(statePath, e);
      }
      // A bar for large states on a terminal; --progress forces it, --no-progress hides it.
      const progress = makeProgress(!opts.noProgress && (opts.progress || (process.stderr.isTTY && size >= 1e6)));
      const text = readWithProgress(statePath, progress);
      const onProgress = (p) => {
        if (p.phase === "parse") progress.step(`parsing and checking ${statePath} (${mb(size || text.length)})`);
        if (p.phase === "build") progress.step(`${isDelta ? "diffing, encoding" : "encoding"} and signing ${count(p.tokens)} tokens`);
      };
      const bytes = at(statePath, () =>
        isDelta ? buildDelta(base, text, key, { ttlSeconds, onProgress, ...(changes ? { form: "changes" } : {}) }) : buildBundle(text, key, { ttlSeconds, onProgress }));
      progress.step(`writing ${opts.out} (${mb(bytes.length)})`);
      writeAtomic(opts.out, bytes);
      progress.finish();
      if (opts.out === "-") return EXIT.ok;
      // Verified as the edge will verify it, and described from its own header.
      const info = inspectBundle(bytes, { publicKey: publicKeyOf(key) });
      out({ file: opts.out, ...info }, (i) =>
        console.log(`wrote ${i.file}: ${i.kind}, ${count(i.bytes)} bytes, ${count(i.tokens)} ${isDelta ? "new or changed tokens" : "tokens"}${isDelta ? `, ${count(i.removed)} removed` : ""}; issued ${i.issuedAt}, expires ${i.expiresAt}; key id ${i.keyId}`));
      return EXIT.ok;
    }
    case "inspect": {
      wantArgs(command, args, 1, "one bundle or delta file");
      const keys = publicKeys(opts);
      const bytes = readBytes(args[0]);
      const info = at(args[0], () => inspectBundle(bytes, { publicKeys: keys }));
      out(info, (i) => printBundleInfo(i, args[0]));
      return EXIT.ok;
    }
    case "check":
    case "explain": {
      wantArgs(command, args, 1, "one URL or path");
      const { engine } = loadEngine(opts);
      const headers = opts.header.map((h) => {
        const colon = h.indexOf(":");
        // NOTE: never echo the argument: it may carry a credential.
        if (colon < 1) throw new UsageError(`a header is "name: value"; got one without a name and a colon`);
        return [h.slice(0, colon).trim(), h.slice(colon + 1).trim()];
      });
      const req = { method: opts.method ?? "GET", url: args[0], headers, remoteAddr: opts.remoteAddr, now: parseNow(opts.now) };
      if (command === "check") {
        const d = engine.check(req);
        out(d, printDecision);
        return exitFor(d);
      }
      const x = engine.explain(req);
      out(x, ({ decision, steps }) => {
        for (const s of steps) console.log(`${s.ok ? "ok  " : "STOP"}  ${s.step.padEnd(16)} ${s.detail}`);
        console.log();
        printDecision(decision);
      });
      return exitFor(x.decision);
    }
    case "preview": {
      wantArgs(command, args, 1, "one proposal file (a state, or { policies, default_policy, ... })");
      const { engine, source } = loadEngine(opts);
      const proposal = readText(args[0]);
      const replay = opts.replay === undefined ? [] : readJson(opts.replay);
      if (!Array.isArray(replay)) throw new InputError(`${opts.replay}: expected a list of requests [{ tokenId, method, url, ... }]`);
      let report;
      try {
        report = engine.preview(proposal, { replay, now: parseNow(opts.now) });
      } catch (e) {
        if (e instanceof UsageError) throw e;
        // Name the file the problem is in: the replay list's errors say `replay`.
        const where = opts.replay && /^replay\b/.test(e.message) ? opts.replay : args[0];
        throw new InputError(`${where}: ${e.message}`);
      }
      out(report, (r) => printPreview(r, args[0], source));
      return report.changedCount > 0 || (report.replay?.flippedCount ?? 0) > 0 ? EXIT.deny : EXIT.ok;
    }
    case "audit": {
      wantArgs(command, args, 0, "no arguments (--state or --bundle)");
      const { engine, source } = loadEngine(opts);
      const expiringWithinDays = opts.expiringWithin === undefined ? undefined : parseWhole(opts.expiringWithin, "--expiring-within", 0);
      const report = engine.audit({ now: parseNow(opts.now), expiringWithinDays });
      out(report, (r) => printAudit(r, source));
      return report.findings.length > 0 ? EXIT.deny : EXIT.ok;
    }
    case "info": {
      wantArgs(command, args, 0, "no arguments (--state or --bundle)");
      const { engine } = loadEngine(opts);
      out(engine.info(), (i) => {
        for (const [k, v] of Object.entries(i)) console.log(`${k.padEnd(14)} ${v}`);
      });
      return EXIT.ok;
    }
    case "profile": {
      wantArgs(command, args, 0, "--from-openapi <spec.json>");
      if (!opts.fromOpenapi) throw new UsageError("profile needs --from-openapi <spec.json>");
      const spec = readText(opts.fromOpenapi);
      const profile = at(opts.fromOpenapi, () => profileFromOpenApi(spec, opts.name === undefined ? {} : { name: opts.name }));
      if (opts.out) writeAtomic(opts.out, `${JSON.stringify(profile, null, 2)}\n`);
      out(profile, (p) => {
        console.log(`profile ${p.name}: base path ${p.base_path || "/"}, ${count(p.scopes.length)} scopes, ${count(p.routes.length)} routes${opts.out ? `; wrote ${opts.out}` : " (--out <file> or --json for the profile itself)"}`);
        console.log();
        console.log(table(["METHOD", "PATH", "NEEDS (any of)"], p.routes.map((r) => [r.method, r.path + (r.query ? `?${r.query}` : ""), r.any_of.map((s) => s.join(" + ") || "(any token)").join("  |  ")])));
      });
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown command \`${command}\``);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write("\r\x1b[K".repeat(process.stderr.isTTY ? 1 : 0));
    const hint = e instanceof UsageError ? " (see scopegate --help)" : "";
    console.error(`scopegate: ${e.message}${hint}`);
    process.exitCode = EXIT.usage;
  },
);
