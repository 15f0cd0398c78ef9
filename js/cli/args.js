// Arguments: the option table, the parser, and the readers of option values (times, numbers,
// addresses, the token). Nothing here touches the engine or the file system, except reading a
// token from stdin (`--token -`).

import { readFileSync } from "node:fs";
import { isIP } from "node:net";

import { UsageError } from "./errors.js";

/** Options that take no value. */
const FLAGS = {
  "--json": "json",
  "-h": "help",
  "--help": "help",
  "--version": "version",
  "--progress": "progress",
  "--no-progress": "noProgress",
  "--strict": "strict",
};

/** Options that take a value, by the name the commands read it under. */
const OPTIONS = {
  "--state": "state",
  "--bundle": "bundle",
  "--delta": "delta",
  "--changes": "changes",
  "--tokens": "tokens",
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
  "--token-env": "tokenEnv",
  "--remote-addr": "remoteAddr",
  "--now": "now",
  "--at": "at",
  "--horizon": "horizon",
  "--replay": "replay",
  "--expiring-within": "expiringWithin",
  "--kind": "kind",
  "--limit": "limit",
  "--from-openapi": "fromOpenapi",
  "--name": "name",
  "--resource": "resource",
  "--scope": "scope",
  "--access": "access",
  "--principal": "principal",
  "--expires-at": "expiresAt",
};

/** Options that may be given more than once: collected in a list. */
const REPEATABLE = new Set(["header", "publicKey", "kind", "scope"]);

/** `argv` -> `{ positional: [...], <option name>: value, ... }`; repeatable options are lists. */
export function parseArgs(argv) {
  const opts = { positional: [] };
  for (const name of REPEATABLE) opts[name] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (Object.hasOwn(FLAGS, a)) {
      opts[FLAGS[a]] = true;
    } else if (Object.hasOwn(OPTIONS, a)) {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      const name = OPTIONS[a];
      const value = argv[++i];
      if (REPEATABLE.has(name)) opts[name].push(value);
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

/** A command's positional arguments: exactly `n`, else a usage error saying what is needed. */
export function wantArgs(command, args, n, what) {
  if (args.length !== n) throw new UsageError(`${command} needs ${what}`);
}

/** `--now`, `--at`, `--expires-at`: an RFC 3339 time or milliseconds since the epoch. */
export function parseTime(text, option) {
  if (text === undefined) return undefined;
  const ms = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new UsageError(`${option} must be an RFC 3339 time or milliseconds, got \`${text}\``);
  return ms;
}

/** A whole number option of at least `min`. */
export function parseWhole(text, option, min, max = Number.MAX_SAFE_INTEGER) {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError(`${option} must be a whole number ${range}, got \`${text}\``);
  }
  return n;
}

/** `--remote-addr`: an IP address (the TCP peer), never a host name or anything else. */
export function parseRemoteAddr(text) {
  if (text === undefined) return undefined;
  if (isIP(text) === 0) throw new UsageError(`--remote-addr must be an IP address such as 203.0.113.7 or 2001:db8::1, got \`${text}\``);
  return text;
}

/** Values of a repeatable option, each possibly a comma-separated list. */
export function listOf(values) {
  return values.flatMap((v) => v.split(",")).map((v) => v.trim()).filter(Boolean);
}

/**
 * The token of `check` / `explain` / `digest`, kept out of argv (where `ps` and shell history
 * see it): `--token-env NAME` reads it from an environment variable, `--token -` from stdin.
 * `--token <token>` still works, for throwaway tokens. Undefined when none is given.
 */
export function readToken(opts, { stdin = () => readFileSync(0, "utf8") } = {}) {
  if (opts.token !== undefined && opts.tokenEnv !== undefined) throw new UsageError("give --token or --token-env, not both");
  if (opts.tokenEnv !== undefined) {
    const value = process.env[opts.tokenEnv];
    if (!value) throw new UsageError(`--token-env ${opts.tokenEnv}: the environment variable \`${opts.tokenEnv}\` is not set or empty`);
    return value.trim();
  }
  if (opts.token === "-") {
    const value = stdin().trim();
    if (!value) throw new UsageError("--token -: stdin gave no token");
    return value;
  }
  return opts.token;
}
