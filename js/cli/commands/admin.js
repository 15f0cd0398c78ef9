// preview, audit, info, can-create, can-revoke, profile: the admin questions.

import { profileFromOpenApi } from "../../scopegate.js";

import { listOf, parseTime, parseWhole, wantArgs } from "../args.js";
import { at, EXIT, exitFor, InputError, UsageError } from "../errors.js";
import { readJson, readText, writeAtomic } from "../files.js";
import { count, printAudit, printDecision, printPreview, table } from "../print.js";
import { loadEngine } from "../sources.js";
import { rfc3339 } from "./bundles.js";

const DAY_MS = 86_400_000;
/** Most points of a `--horizon` timeline: each is a whole preview. */
const HORIZON_POINTS = 12;
/** Findings listed by default in the human form (`--limit` changes it; --json lists all). */
const DEFAULT_AUDIT_LIMIT = 50;

/** Runs the engine's preview, naming the file a problem is in (the replay list's say `replay`). */
function preview(engine, proposal, { replay, now, proposalPath, replayPath }) {
  try {
    return engine.preview(proposal, { replay, now });
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const where = replayPath && /^replay\b/.test(e.message) ? replayPath : proposalPath;
    throw new InputError(`${where}: ${e.message}`);
  }
}

export const adminCommands = {
  preview: {
    usage: "preview <proposal.json>",
    run({ args, opts, out, now }) {
      wantArgs("preview", args, 1, "one proposal file (a state, or { policies, default_policy, ... })");
      const asOf = parseTime(opts.at, "--at");
      const horizonDays = parseWhole(opts.horizon, "--horizon", 1, 3660);
      if (asOf !== undefined && horizonDays !== undefined) throw new UsageError("give --at or --horizon, not both");
      const { engine, source } = loadEngine(opts, now);
      const proposal = readText(args[0]);
      const replay = opts.replay === undefined ? [] : readJson(opts.replay);
      if (!Array.isArray(replay)) throw new InputError(`${opts.replay}: expected a list of requests [{ tokenId, method, url, ... }]`);
      const files = { proposalPath: args[0], replayPath: opts.replay };
      // As tokens age, a lifetime cap denies more of them: --at previews one later time,
      // --horizon the end of a window and points along it.
      const start = now ?? Date.now();
      const evaluatedAt = asOf ?? (horizonDays === undefined ? undefined : start + horizonDays * DAY_MS);
      const report = preview(engine, proposal, { ...files, replay, now: evaluatedAt ?? now });
      if (horizonDays !== undefined) {
        const points = Math.min(HORIZON_POINTS, horizonDays);
        report.horizon = Array.from({ length: points + 1 }, (_, k) => {
          const t = start + Math.round((k * horizonDays * DAY_MS) / points);
          const r = preview(engine, proposal, { ...files, replay: [], now: t });
          return { at: rfc3339(t), changedCount: r.changedCount, newlyDenied: r.newlyDenied, newlyAllowed: r.newlyAllowed };
        });
      }
      out(report, (r) => printPreview(r, { proposal: args[0], source, at: evaluatedAt }));
      return report.changedCount > 0 || (report.replay?.flippedCount ?? 0) > 0 ? EXIT.deny : EXIT.ok;
    },
  },
  audit: {
    usage: "audit",
    run({ args, opts, out, now, json }) {
      wantArgs("audit", args, 0, "no arguments (--state or --bundle)");
      const { engine, source } = loadEngine(opts, now);
      const expiringWithinDays = parseWhole(opts.expiringWithin, "--expiring-within", 0);
      const limit = parseWhole(opts.limit, "--limit", 0) ?? (json ? undefined : DEFAULT_AUDIT_LIMIT);
      const kinds = listOf(opts.kind);
      const report = engine.audit({ now, expiringWithinDays });
      const matching = kinds.length > 0 ? report.findings.filter((f) => kinds.includes(f.kind)) : report.findings;
      const shown = { findings: limit === undefined ? matching : matching.slice(0, limit), total: matching.length };
      // --json: the engine's report with the findings --kind and --limit select; the summary
      // counts every finding.
      out({ ...report, findings: shown.findings, matching: matching.length }, () => printAudit(report, { source, kinds, shown }));
      return matching.length > 0 ? EXIT.deny : EXIT.ok;
    },
  },
  info: {
    usage: "info",
    run({ args, opts, out, now }) {
      wantArgs("info", args, 0, "no arguments (--state or --bundle)");
      const { engine } = loadEngine(opts, now);
      out(engine.info(), (i) => {
        for (const [k, v] of Object.entries(i)) console.log(`${k.padEnd(14)} ${v}`);
      });
      return EXIT.ok;
    },
  },
  "can-create": {
    usage: "can-create <actor-id> <kind>",
    run({ args, opts, out, now }) {
      wantArgs("can-create", args, 2, "an actor (principal id) and a token kind: `scopegate can-create u-mary api_token --scope repository`");
      const [actor, kind] = args;
      const spec = { kind, scopes: listOf(opts.scope) };
      if (opts.resource !== undefined) spec.resource = opts.resource;
      if (opts.access !== undefined) spec.access = opts.access;
      if (opts.principal !== undefined) spec.principal = opts.principal;
      if (opts.expiresAt !== undefined) spec.expires_at = rfc3339(parseTime(opts.expiresAt, "--expires-at"));
      const { engine, source } = loadEngine(opts, now);
      const d = at(source, () => engine.canCreateToken(actor, spec, { now }));
      out(d, printDecision);
      return exitFor(d);
    },
  },
  "can-revoke": {
    usage: "can-revoke <actor-id> <token-id>",
    run({ args, opts, out, now }) {
      wantArgs("can-revoke", args, 2, "an actor (principal id) and a token id: `scopegate can-revoke u-admin t-1`");
      const [actor, tokenId] = args;
      const { engine, source } = loadEngine(opts, now);
      const d = at(source, () => engine.canRevokeToken(actor, tokenId, { now }));
      out(d, printDecision);
      return exitFor(d);
    },
  },
  profile: {
    usage: "profile --from-openapi <spec.json>",
    run({ args, opts, out }) {
      wantArgs("profile", args, 0, "--from-openapi <spec.json>");
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
    },
  },
};
