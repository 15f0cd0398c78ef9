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

/** A command that decides one request: `ask` the engine, print the answer, exit by its decision. */
const deciding = (name, ask, print, decisionOf) => ({
  usage: `${name} <url>`,
  run({ args, opts, out, now }) {
    wantArgs(name, args, 1, "one URL or path");
    const req = requestOf(args[0], opts, now);
    const { engine } = loadEngine(opts, now);
    const answer = ask(engine, req);
    out(answer, print);
    return exitFor(decisionOf(answer));
  },
});

export const decideCommands = {
  check: deciding("check", (engine, req) => engine.check(req), printDecision, (d) => d),
  explain: deciding("explain", (engine, req) => engine.explain(req), printExplanation, (x) => x.decision),
};
