// check, explain: one request against the snapshot.

import { parseRemoteAddr, readToken, wantArgs } from "../args.js";
import { exitFor, UsageError } from "../errors.js";
import { printDecision, printExplanation } from "../print.js";
import { loadEngine } from "../sources.js";

/** The request of `check` / `explain`: -X, -H (repeatable), the token, --remote-addr, --now. */
function requestOf(url, opts, now) {
  const headers = opts.header.map((h) => {
    const colon = h.indexOf(":");
    // NOTE: never echo the argument: it may carry a credential.
    if (colon < 1) throw new UsageError('a header is "name: value"; got one without a name and a colon');
    return [h.slice(0, colon).trim(), h.slice(colon + 1).trim()];
  });
  const token = readToken(opts);
  if (token !== undefined) headers.push(["authorization", `Bearer ${token}`]);
  return { method: opts.method ?? "GET", url, headers, remoteAddr: parseRemoteAddr(opts.remoteAddr), now };
}

export const decideCommands = {
  check: {
    usage: "check <url>",
    run({ args, opts, out, now }) {
      wantArgs("check", args, 1, "one URL or path");
      const req = requestOf(args[0], opts, now);
      const { engine } = loadEngine(opts, now);
      const d = engine.check(req);
      out(d, printDecision);
      return exitFor(d);
    },
  },
  explain: {
    usage: "explain <url>",
    run({ args, opts, out, now }) {
      wantArgs("explain", args, 1, "one URL or path");
      const req = requestOf(args[0], opts, now);
      const { engine } = loadEngine(opts, now);
      const x = engine.explain(req);
      out(x, printExplanation);
      return exitFor(x.decision);
    },
  },
};
