#!/usr/bin/env node
// `npx scopegate ...`: the command line over the same engine. More commands (keygen, build,
// delta, inspect, preview, audit, profile) arrive with the engine features behind them.
//
// Exit codes: 0 success (for check/explain: allowed), 1 denied or deferred, 2 bad usage or input.

import { readFileSync } from "node:fs";
import { init, Engine, mintToken, digestToken } from "./scopegate.js";

const USAGE = `usage: scopegate <command> [options]

commands:
  mint <kind>                    mint a token; prints it once with its SHA-256
  digest <token>                 SHA-256 of a token (a state's secret_sha256)
  check --state <file> <url>     decide one request
  explain --state <file> <url>   decide one request and print every step
  info --state <file>            counts and times of a state

check/explain options:
  -X, --method <method>          default GET
  -H, --header "<name>: <value>" repeatable
  --token <token>                shorthand for -H "Authorization: Bearer <token>"
  --remote-addr <ip>             the TCP peer
  --now <RFC 3339 | ms>          decide as of this time

  --json                         machine-readable output
  -h, --help, --version`;

class UsageError extends Error {}

function parseArgs(argv) {
  const opts = { headers: [], positional: [], json: false };
  const value = (i, name) => {
    if (i >= argv.length) throw new UsageError(`${name} needs a value`);
    return argv[i];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case "--json": opts.json = true; break;
      case "-h": case "--help": opts.help = true; break;
      case "--version": opts.version = true; break;
      case "--state": opts.state = value(++i, a); break;
      case "-X": case "--method": opts.method = value(++i, a); break;
      case "-H": case "--header": {
        const h = value(++i, a);
        const at = h.indexOf(":");
        if (at < 1) throw new UsageError(`header must be "name: value", got \`${h}\``);
        opts.headers.push([h.slice(0, at).trim(), h.slice(at + 1).trim()]);
        break;
      }
      case "--token": opts.headers.push(["authorization", `Bearer ${value(++i, a)}`]); break;
      case "--remote-addr": opts.remoteAddr = value(++i, a); break;
      case "--now": opts.now = value(++i, a); break;
      default:
        if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown option ${a}`);
        opts.positional.push(a);
    }
  }
  return opts;
}

function parseNow(text) {
  if (text === undefined) return undefined;
  const ms = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new UsageError(`--now must be an RFC 3339 time or milliseconds, got \`${text}\``);
  return ms;
}

function loadEngine(opts) {
  if (!opts.state) throw new UsageError("--state <file> is required");
  const text = opts.state === "-" ? readFileSync(0, "utf8") : readFileSync(opts.state, "utf8");
  return Engine.fromState(text);
}

function printDecision(d) {
  const lines = [`${d.effect.toUpperCase()}  ${d.reason}  ${d.message}`];
  if (d.token) lines.push(`  token     ${d.token.id} (${d.token.kind}${d.token.label ? `, ${d.token.label}` : ""})`);
  if (d.required) lines.push(`  required  ${d.required.anyOf.map((s) => s.join(" + ")).join("  or  ") || "(nothing)"}${d.required.resource ? ` on ${d.required.resource}` : ""}`);
  if (d.granted) lines.push(`  granted   ${d.granted.join(", ") || "(none)"}`);
  if (d.clientIp) lines.push(`  client ip ${d.clientIp}`);
  if (d.policy) lines.push(`  policy    ${d.policy}`);
  if (d.expiresAt) lines.push(`  expires   ${d.expiresAt}`);
  console.log(lines.join("\n"));
}

async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.version) {
    const pkg = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
    console.log(pkg.version);
    return 0;
  }
  const [command, ...args] = opts.positional;
  if (opts.help || !command) {
    console.log(USAGE);
    return opts.help ? 0 : 2;
  }
  await init();
  const out = (value, human) => (opts.json ? console.log(JSON.stringify(value, null, 2)) : human(value));
  switch (command) {
    case "mint": {
      if (args.length !== 1) throw new UsageError("mint needs one kind, e.g. `scopegate mint repository_access_token`");
      out(mintToken(args[0]), (m) => console.log(`token   ${m.token}\nsha256  ${m.sha256}\n\nShown once: store the token in a secret manager and only the sha256 in the state.`));
      return 0;
    }
    case "digest": {
      if (args.length !== 1) throw new UsageError("digest needs one token");
      out({ sha256: digestToken(args[0]) }, (d) => console.log(d.sha256));
      return 0;
    }
    case "check":
    case "explain": {
      if (args.length !== 1) throw new UsageError(`${command} needs one URL or path`);
      const engine = loadEngine(opts);
      const req = { method: opts.method ?? "GET", url: args[0], headers: opts.headers, remoteAddr: opts.remoteAddr, now: parseNow(opts.now) };
      if (command === "check") {
        const d = engine.check(req);
        out(d, printDecision);
        return d.allow ? 0 : 1;
      }
      const x = engine.explain(req);
      out(x, ({ decision, steps }) => {
        for (const s of steps) console.log(`${s.ok ? "ok  " : "STOP"}  ${s.step.padEnd(16)} ${s.detail}`);
        console.log();
        printDecision(decision);
      });
      return x.decision.allow ? 0 : 1;
    }
    case "info": {
      out(loadEngine(opts).info(), (i) => {
        for (const [k, v] of Object.entries(i)) console.log(`${k.padEnd(14)} ${v}`);
      });
      return 0;
    }
    default:
      throw new UsageError(`unknown command \`${command}\` (see scopegate --help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => {
    console.error(`scopegate: ${e.message}`);
    if (e instanceof UsageError) console.error("see scopegate --help");
    process.exitCode = 2;
  },
);
