// build, delta, revoke, inspect: signed bundles and deltas.

import { BundleBuilder, buildBundle, buildDelta, inspectBundle } from "../../scopegate.js";

import { parseWhole, wantArgs } from "../args.js";
import { at, EXIT, InputError, UsageError } from "../errors.js";
import { readBytes, readChunks, readWithProgress, sizeOf, writeAtomic } from "../files.js";
import { makeProgress, mb } from "../progress.js";
import { count, printBundleInfo } from "../print.js";
import { privateKey, publicKeys } from "../sources.js";

const HOUR_MS = 3_600_000;
/** States from this size on get a progress bar on a terminal by default. */
const PROGRESS_FROM_BYTES = 1e6;

/** RFC 3339 in whole seconds: the form states and changes documents carry. */
export const rfc3339 = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

/**
 * The signed bytes as the edge will see them (verified, described from their own header),
 * refusing with `--strict`, or warning on stderr, when they are expired at `now` or will be
 * within the hour: a bundle's expires_at is its state's issued_at + the ttl, not build time + ttl.
 */
function checkSigned(bytes, { publicKey, now, strict, source }) {
  const info = inspectBundle(bytes, { publicKey, now });
  const soon = !info.expired && inspectBundle(bytes, { publicKey, now: now + HOUR_MS }).expired;
  if (info.expired || soon) {
    const ttl = Math.round((Date.parse(info.expiresAt) - Date.parse(info.issuedAt)) / 1000);
    const message =
      `${source}: the ${info.kind} ${info.expired ? "is already expired" : "expires within the hour"} ` +
      `(expires_at ${info.expiresAt} = issued_at ${info.issuedAt} + --ttl ${ttl} s): ` +
      `the edge refuses it ${info.expired ? "" : "from then on"}; export a fresh state or give a longer --ttl`.replace("it ;", "it;");
    if (strict) throw new InputError(message);
    process.stderr.write(`scopegate: warning: ${message}\n`);
  }
  return info;
}

/** Writes the signed bytes and reports them (`wrote ...`, or the header as JSON). */
function written(bytes, info, { opts, out, what }) {
  writeAtomic(opts.out, bytes);
  if (opts.out === "-") return EXIT.ok;
  out({ file: opts.out, ...info }, (i) =>
    console.log(`wrote ${i.file}: ${i.kind}, ${count(i.bytes)} bytes, ${what(i)}; issued ${i.issuedAt}, expires ${i.expiresAt}; key id ${i.keyId}`));
  return EXIT.ok;
}

const ttlOf = (opts) => parseWhole(opts.ttl, "--ttl", 1);

/** Runs `fn`; an engine error it throws already names the file and line: kept as it is. */
const atLine = (fn) => at("", fn, { prefix: false });

/**
 * `build <state.json> --tokens <tokens.ndjson>`: the state without its tokens, then the token
 * list streamed one line a token in 1 MiB pieces, so a large estate never sits in memory as
 * one JSON document; the bar moves with the bytes read, since the engine reads each piece as
 * it arrives.
 */
function buildStreamed({ args, opts, out, now }) {
  wantArgs("build", args, 1, "one state file: `scopegate build <state.json> --tokens <tokens.ndjson> --key <file> --out <bundle>`");
  if (!opts.out) throw new UsageError("build needs --out <file> (or --out - for stdout)");
  const [statePath] = args;
  const { key, publicKey } = privateKey(opts);
  const ttlSeconds = ttlOf(opts);
  const size = sizeOf(opts.tokens);
  const progress = makeProgress(!opts.noProgress && (opts.progress || (process.stderr.isTTY && size >= PROGRESS_FROM_BYTES)), [
    { id: "read", label: `reading ${statePath}`, weight: 2 },
    { id: "parse", label: `reading and checking ${opts.tokens}`, weight: 70 },
    { id: "build", label: "sorting, encoding and signing", weight: 23 },
    { id: "write", label: `writing ${opts.out}`, weight: 5 },
  ]);
  const stateText = readWithProgress(statePath, (done, total) => progress.update("read", done, total));
  const builder = at(statePath, () => new BundleBuilder(stateText, { name: opts.tokens }));
  try {
    // Errors from the token list already start with its name and line (`tokens.ndjson:41: ...`).
    readChunks(opts.tokens, (chunk, done) => {
      atLine(() => builder.addTokens(chunk));
      progress.update("parse", done, size, `(${mb(done)} of ${mb(size)}, ${count(builder.tokens)} tokens)`);
    });
    progress.update("build", 0, 0, `${count(builder.tokens)} tokens`);
    const bytes = atLine(() => builder.finish(key, { ttlSeconds }));
    const info = checkSigned(bytes, { publicKey, now: now ?? Date.now(), strict: opts.strict, source: statePath });
    progress.update("write", 0, 0, `(${mb(bytes.length)})`);
    const code = written(bytes, info, { opts, out, what: (i) => `${count(i.tokens)} tokens` });
    progress.finish();
    return code;
  } finally {
    builder.free();
  }
}

/** `build` and `delta` from a state (or changes) file, with a progress bar over every step. */
function buildFrom(command, { args, opts, out, now }) {
  const isDelta = command === "delta";
  if (opts.tokens !== undefined && isDelta) throw new UsageError("--tokens is for `scopegate build`");
  if (opts.tokens !== undefined) return buildStreamed({ args, opts, out, now });
  if (opts.changes !== undefined && !isDelta) throw new UsageError("--changes is for `scopegate delta`");
  const changes = opts.changes !== undefined;
  wantArgs(command, args, isDelta ? (changes ? 1 : 2) : 1, isDelta
    ? "a base bundle and a state, or a base bundle and --changes: `scopegate delta <base> <state.json> --key <file> --out <delta>` or `scopegate delta <base> --changes <changes.json> --key <file> --out <delta>`"
    : "one state file: `scopegate build <state.json> --key <file> --out <bundle>`");
  if (!opts.out) throw new UsageError(`${command} needs --out <file> (or --out - for stdout)`);
  const statePath = changes ? opts.changes : isDelta ? args[1] : args[0];
  const { key, publicKey } = privateKey(opts);
  const ttlSeconds = ttlOf(opts);
  const base = isDelta ? readBytes(args[0]) : undefined;
  const size = sizeOf(statePath);
  // A bar for large states on a terminal; --progress forces it, --no-progress hides it.
  const progress = makeProgress(!opts.noProgress && (opts.progress || (process.stderr.isTTY && size >= PROGRESS_FROM_BYTES)), [
    { id: "read", label: `reading ${statePath}`, weight: 5 },
    { id: "parse", label: `parsing and checking ${statePath}`, weight: 60 },
    { id: "build", label: isDelta ? "diffing, encoding and signing" : "encoding and signing", weight: 30 },
    { id: "write", label: `writing ${opts.out}`, weight: 5 },
  ]);
  const text = readWithProgress(statePath, (done, total) => progress.update("read", done, total, `(${mb(done)} of ${mb(total)})`));
  progress.update("read", 1, 1);
  const onProgress = (p) => {
    if (p.phase === "parse") progress.update("parse", 0, 0, `(${mb(size || text.length)})`);
    if (p.phase === "build") progress.update("build", 0, 0, `${count(p.tokens)} tokens`);
  };
  const bytes = at(statePath, () =>
    isDelta
      ? buildDelta(base, text, key, { ttlSeconds, onProgress, ...(changes ? { form: "changes" } : {}) })
      : buildBundle(text, key, { ttlSeconds, onProgress }));
  const info = checkSigned(bytes, { publicKey, now: now ?? Date.now(), strict: opts.strict, source: statePath });
  progress.update("write", 0, 0, `(${mb(bytes.length)})`);
  const code = written(bytes, info, {
    opts,
    out,
    what: (i) => (isDelta ? `${count(i.tokens)} new or changed tokens, ${count(i.removed)} removed` : `${count(i.tokens)} tokens`),
  });
  progress.finish();
  return code;
}

export const bundleCommands = {
  build: {
    usage: "build <state.json> [--tokens <tokens.ndjson>] --key <file> --out <bundle>",
    run: (ctx) => buildFrom("build", ctx),
  },
  delta: {
    usage: "delta <base-bundle> (<state.json> | --changes <changes.json>) --key <file> --out <delta>",
    run: (ctx) => buildFrom("delta", ctx),
  },
  revoke: {
    usage: "revoke <base-bundle> <token-id>... --key <file> --out <delta>",
    run({ args, opts, out, now }) {
      if (args.length < 2) throw new UsageError("revoke needs a base bundle and at least one token id: `scopegate revoke <base-bundle> <token-id>... --key <file> --out <delta>`");
      if (!opts.out) throw new UsageError("revoke needs --out <file> (or --out - for stdout)");
      const [basePath, ...ids] = args;
      const { key, publicKey } = privateKey(opts);
      const base = readBytes(basePath);
      const when = now ?? Date.now();
      // Revoked now: the delta's issued_at, and each token's revoked_at.
      const changes = { issued_at: rfc3339(when), revoke: ids };
      const bytes = at(basePath, () => buildDelta(base, changes, key, { form: "changes", ttlSeconds: ttlOf(opts) }));
      const info = checkSigned(bytes, { publicKey, now: when, strict: opts.strict, source: basePath });
      return written(bytes, info, { opts, out, what: (i) => `${count(ids.length)} token ids revoked, ${count(i.tokens)} records changed` });
    },
  },
  inspect: {
    usage: "inspect <bundle> --public-key <key>",
    run({ args, opts, out, now }) {
      wantArgs("inspect", args, 1, "one bundle or delta file");
      const keys = publicKeys(opts);
      const bytes = readBytes(args[0]);
      const info = at(args[0], () => inspectBundle(bytes, { publicKeys: keys, now: now ?? Date.now() }));
      out(info, (i) => printBundleInfo(i, args[0]));
      if (!info.expired) return EXIT.ok;
      // Shown in full, then exit 2: the edge would refuse this bundle.
      process.stderr.write(`scopegate: ${args[0]}: ${info.kind} expired at ${info.expiresAt}\n`);
      return EXIT.usage;
    },
  },
};

