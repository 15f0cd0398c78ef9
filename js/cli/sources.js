// What the commands run on: the signing key, the verifying keys, and the engine (an unsigned
// state, or a verified bundle and its delta). Every key is read by the engine, which knows the
// typed key forms (`scopegate-ed25519-public:` / `-private:`): a key of the wrong kind is an
// error naming the file it came from.

import { Engine, keyIdOf, publicKeyOf } from "../scopegate.js";

import { at, InputError, UsageError } from "./errors.js";
import { isFile, readBytes, readText } from "./files.js";

/** The private key of `--key <file>` (or $SCOPEGATE_PRIVATE_KEY), checked to be a private key. */
export function privateKey(opts) {
  let text;
  let where;
  if (opts.key) {
    text = readText(opts.key).trim();
    where = opts.key;
  } else if (process.env.SCOPEGATE_PRIVATE_KEY) {
    text = process.env.SCOPEGATE_PRIVATE_KEY.trim();
    where = "SCOPEGATE_PRIVATE_KEY";
  } else {
    throw new UsageError("--key <file> (the private key) is required, or set SCOPEGATE_PRIVATE_KEY");
  }
  // `build --key ci.pub` fails here, naming ci.pub, instead of signing with a public key.
  const publicKey = at(where, () => publicKeyOf(text));
  return { key: text, publicKey, where };
}

/** The words of a key file: one key a line (several while rotating). */
const keysIn = (text) => text.split(/\s+/).filter(Boolean);

/**
 * Each `--public-key` is a key, or a file holding one or several (one a line); else
 * $SCOPEGATE_PUBLIC_KEY (comma-separated). Each is checked to be a public key.
 */
export function publicKeys(opts) {
  const given = opts.publicKey.length > 0 ? opts.publicKey : (process.env.SCOPEGATE_PUBLIC_KEY ?? "").split(",").filter(Boolean);
  if (given.length === 0) throw new UsageError("--public-key <key or file> is required to verify a bundle, or set SCOPEGATE_PUBLIC_KEY");
  return given.flatMap((k) => {
    if (isFile(k)) {
      const keys = keysIn(readText(k));
      if (keys.length === 0) throw new InputError(`${k}: no key in the file`);
      for (const key of keys) at(k, () => keyIdOf(key));
      return keys;
    }
    // NOTE: not echoed: a private key pasted here by mistake must not reach a log.
    if (!/^[A-Za-z0-9_+/=:-]{40,}$/.test(k.trim())) throw new InputError("--public-key: neither a key nor a file");
    at("--public-key", () => keyIdOf(k.trim()));
    return [k.trim()];
  });
}

/**
 * The engine the decision commands run on: an unsigned state, or a verified bundle (+ delta)
 * loaded at `now` (the clock: the bundle's expiry is checked against it).
 */
export function loadEngine(opts, now) {
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
