// Printing: tables and the human forms of decisions, previews, audits and bundle headers.
// `--json` output is the engine's own JSON, printed by `output` in js/cli/main.js.

export const count = (n) => n.toLocaleString("en-US");

/** Rows of cells as a table with a header row; the last column is not padded. */
export function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map((c) => String(c ?? "")));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join("  ").trimEnd()).join("\n");
}

/** `key  value` lines with the keys padded to one column. */
export function fields(rows, width = 24) {
  return rows.map(([k, v]) => `${k.padEnd(width)}${v}`).join("\n");
}

const anyOf = (sets) => sets.map((s) => s.join(" + ") || "(any token)");

export function printDecision(d) {
  const lines = [`${d.effect.toUpperCase()}  ${d.reason}  ${d.message}`];
  if (d.token) lines.push(`  token     ${d.token.id} (${d.token.kind}${d.token.label ? `, ${d.token.label}` : ""})`);
  if (d.required) lines.push(`  required  ${anyOf(d.required.anyOf).join("  or  ") || "(nothing)"}${d.required.resource ? ` on ${d.required.resource}` : ""}`);
  if (d.granted) lines.push(`  granted   ${d.granted.join(", ") || "(none)"}`);
  if (d.clientIp) lines.push(`  client ip ${d.clientIp}`);
  if (d.policy) lines.push(`  policy    ${d.policy}`);
  if (d.expiresAt) lines.push(`  expires   ${d.expiresAt}`);
  console.log(lines.join("\n"));
}

export function printExplanation({ decision, steps }) {
  for (const s of steps) console.log(`${s.ok ? "ok  " : "STOP"}  ${s.step.padEnd(16)} ${s.detail}`);
  console.log();
  printDecision(decision);
}

const when = (at) => (at === undefined ? "" : ` as of ${new Date(at).toISOString()}`);

export function printPreview(r, { proposal, source, at }) {
  console.log(`preview of ${proposal} against ${source}${when(at)}: ${count(r.tokensEvaluated)} tokens evaluated`);
  console.log(`${count(r.changedCount)} ${r.changedCount === 1 ? "token changes" : "tokens change"}: ${count(r.newlyDenied)} newly denied, ${count(r.newlyAllowed)} newly allowed`);
  if (r.horizon) {
    console.log();
    console.log(table(
      ["AS OF", "CHANGED", "NEWLY DENIED", "NEWLY ALLOWED"],
      r.horizon.map((h) => [h.at, count(h.changedCount), count(h.newlyDenied), count(h.newlyAllowed)]),
    ));
  }
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
      // Numbered from 1, like the admin page: request #1 is the first entry of the replay file.
      console.log(table(
        ["#", "TOKEN", "METHOD", "URL", "BEFORE", "AFTER"],
        p.flipped.map((f) => [f.index + 1, f.tokenId, f.method, f.url, `${f.before.effect} ${f.before.reason}`, `${f.after.effect} ${f.after.reason}`]),
      ));
    }
  }
}

/** The audit: the summary by kind first, then the findings (those `kinds` selects, at most `limit`). */
export function printAudit(r, { source, kinds, shown }) {
  console.log(`audit of ${source} at ${r.now}: ${count(r.tokens)} tokens, ${count(r.activeTokens)} active, ${count(r.findings.length)} findings${r.truncated ? " (truncated)" : ""}`);
  if (r.findings.length === 0) return;
  console.log();
  console.log(table(["KIND", "FINDINGS"], Object.entries(r.summary).map(([k, n]) => [k, count(n)])));
  console.log();
  const selected = kinds.length > 0 ? ` of kind ${kinds.join(", ")}` : "";
  if (shown.total === 0) {
    console.log(`no findings${selected} (kinds with findings: ${Object.keys(r.summary).join(", ")})`);
    return;
  }
  console.log(table(["SEVERITY", "KIND", "TOKEN", "PRINCIPAL", "MESSAGE"], shown.findings.map((f) => [f.severity, f.kind, f.tokenId ?? "-", f.principal ?? "-", f.message])));
  if (shown.findings.length < shown.total) {
    console.log(`(${count(shown.findings.length)} of ${count(shown.total)} findings${selected} listed: --limit <n> for more)`);
  }
}

export function printBundleInfo(i, path) {
  const rows = [
    ["file", path],
    ["kind", i.kind],
    ["format version", i.version],
    ["signed by key id", i.keyId],
    ["issued at", i.issuedAt],
    ["expires at", `${i.expiresAt}${i.expired ? " (EXPIRED: the edge refuses it)" : ""}`],
    [i.kind === "delta" ? "new or changed tokens" : "tokens", count(i.tokens)],
  ];
  if (i.kind === "delta") rows.push(["removed tokens", count(i.removed)], ["base (sha256)", i.base], ["new policies/directory", i.meta ? "yes" : "no"]);
  rows.push(["sha256", i.sha256], ["size", `${count(i.bytes)} bytes${i.tokens > 0 ? ` (${(i.bytes / i.tokens).toFixed(1)} bytes/token)` : ""}`]);
  console.log(fields(rows));
  console.log();
  console.log(table(["SECTION", "BYTES"], Object.entries(i.sections).map(([k, v]) => [k, count(v)])));
}
