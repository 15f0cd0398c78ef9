// The admin page (DESIGN.md §6): load a signed bundle or a state, see the token estate, edit
// policies and preview their impact before applying them, simulate a request and read its
// trace, audit the estate, and mint a token. Everything runs locally in WebAssembly; nothing
// the page is given (state, bundle, key, token) is sent anywhere or stored.
import { init, Engine, mintToken } from "./pkg/scopegate.js";

import { byId as $, countTable, h, iso, showError, table } from "./dom.js";
import { estateOf, timelineChart } from "./estate.js";
import { applyProposal, parseReplay, proposalFrom, readToggle, targetPolicy, TOGGLES, writeToggle } from "./policy.js";

/** What the page holds. The state is kept only when the snapshot came from one (or was edited). */
const page = {
  engine: null,
  /** The working state (object), or null for a signed bundle. */
  state: null,
  /** "bundle" | "state" */
  source: null,
  /** Policy changes were applied on top of what was loaded. */
  modified: false,
  /** A chosen bundle file waiting for its public key. */
  pendingBundle: null,
  /** The editor text of the last successful preview: Apply applies exactly what was previewed. */
  previewed: null,
  audit: null,
};

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

/** The page's evaluation time in ms: the "as of" field, else the clock. Throws on a bad field. */
function nowMs() {
  const text = $("as-of").value.trim();
  if (!text) return Date.now();
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new Error(`evaluate as of: expected an RFC 3339 time, got \`${text}\``);
  return ms;
}

// ---------------------------------------------------------------------------------------------
// 1. Load

/** Swaps in a new engine and redraws everything that depends on it. */
function setEngine(engine, { state, source, modified = false, keepProposal = false }) {
  page.engine?.free();
  Object.assign(page, { engine, state, source, modified, previewed: null });
  document.body.dataset.loaded = source;
  for (const note of document.querySelectorAll(".needs-engine")) note.hidden = true;
  for (const id of ["policy-form", "check-fields", "audit-form"]) $(id).disabled = false;
  renderInfo();
  renderEstate();
  if (!keepProposal) resetProposal();
  updateApply();
  runAudit();
}

function loadState(text) {
  let engine;
  try {
    engine = Engine.fromState(text);
  } catch (e) {
    // The engine's message names the JSON path (`tokens[3].expires_at: expected ...`).
    showError($("load-error"), `The state was not loaded: ${e.message}.${page.engine ? " The page still shows the previous snapshot." : ""}`);
    return false;
  }
  showError($("load-error"), "");
  setEngine(engine, { state: JSON.parse(text), source: "state" });
  setStatus("state loaded: unsigned, for previews");
  return true;
}

function loadBundle() {
  const key = $("public-key").value.trim();
  if (!page.pendingBundle) return showError($("load-error"), "Choose a bundle file first.");
  if (!key) {
    $("public-key").focus();
    return showError($("load-error"), "Enter the bundle's public key: a bundle is loaded only after its signature checks out.");
  }
  let engine;
  try {
    // NOTE: the expiry is checked at the page's evaluation time, like everything else here.
    engine = Engine.load(page.pendingBundle.bytes, { publicKey: key, now: nowMs() });
  } catch (e) {
    // The engine says which check failed (signature, version, truncated, expired, key).
    showError($("load-error"), `The bundle was rejected: ${e.message}.${page.engine ? " The page still shows the previous snapshot." : ""}`);
    return;
  }
  showError($("load-error"), "");
  setEngine(engine, { state: null, source: "bundle" });
  setStatus(`bundle ${page.pendingBundle.name} verified and loaded`);
}

/** A dropped or chosen file: a state if it looks like JSON, else a bundle. */
async function takeFile(file) {
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const first = bytes.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  if (first === 0x7b /* { */) {
    const text = new TextDecoder().decode(bytes);
    $("state").value = text;
    loadState(text);
    return;
  }
  page.pendingBundle = { bytes, name: file.name };
  $("bundle-name").textContent = `${file.name} (${bytes.length.toLocaleString("en")} bytes)`;
  $("load-bundle").disabled = false;
  if ($("public-key").value.trim()) loadBundle();
  else {
    showError($("load-error"), "");
    $("public-key").focus();
  }
}

const INFO_LABELS = {
  profile: "profile",
  issuedAt: "issued at",
  expiresAt: "expires at",
  tokens: "tokens",
  principals: "principals",
  workspaces: "workspaces",
  projects: "projects",
  repositories: "repositories",
  policies: "policies",
  routes: "routes",
  signed: "signed",
  bundleBytes: "bundle size",
};

function renderInfo() {
  const info = page.engine.info();
  const source = page.source === "bundle" ? "signed bundle" : "unsigned state";
  $("source").textContent = page.modified ? `${source}, policy changes applied (unsigned)` : source;
  $("source").dataset.source = page.modified ? "modified" : page.source;
  const value = (key, v) => {
    if (key === "bundleBytes") return v ? `${v.toLocaleString("en")} bytes` : "—";
    if (key === "signed") return v ? "yes (Ed25519 verified)" : "no";
    return typeof v === "number" ? v.toLocaleString("en") : String(v);
  };
  // Known fields in order, then whatever else the engine reports.
  const keys = [...Object.keys(INFO_LABELS).filter((k) => k in info), ...Object.keys(info).filter((k) => !(k in INFO_LABELS))];
  $("info").replaceChildren(
    ...keys.flatMap((k) => [h("dt", {}, INFO_LABELS[k] ?? k), h("dd", { "data-field": k }, value(k, info[k]))]),
  );
  $("info-box").hidden = false;
}

// ---------------------------------------------------------------------------------------------
// 2. Estate

function renderEstate() {
  $("estate-body").hidden = false;
  let now;
  try {
    now = nowMs();
  } catch {
    return; // the as-of field shows its own error
  }
  const weeks = Number($("weeks").value);
  const summary = estateOf(page.engine, page.state, { now, weeks });
  const note = $("estate-note");
  if (!summary) {
    const total = page.engine.info().tokens;
    $("estate-totals").textContent = `${total.toLocaleString("en")} tokens in the bundle.`;
    $("kinds").replaceChildren();
    $("timeline").replaceChildren();
    note.textContent =
      "This version of the package cannot list a signed bundle's tokens, so counts by kind and the expiry timeline " +
      "are not available for it. Load the state the bundle was built from to see them; the audit below covers the bundle.";
    note.hidden = false;
    return;
  }
  note.hidden = true;
  const live = summary.total - summary.revoked - summary.expired;
  $("estate-totals").replaceChildren(
    h("strong", { id: "estate-total", "data-count": summary.total }, `${summary.total.toLocaleString("en")} tokens`),
    `: ${live.toLocaleString("en")} live, ${summary.revoked.toLocaleString("en")} revoked, ${summary.expired.toLocaleString("en")} expired`,
  );
  $("kinds").replaceChildren(countTable("Tokens by kind", "kind", summary.byKind, "kind"));
  $("timeline").replaceChildren(timelineChart(summary, now));
}

// ---------------------------------------------------------------------------------------------
// 3. Policies

function editorProposal() {
  const text = $("policy-json").value;
  let proposal;
  try {
    proposal = JSON.parse(text);
  } catch (e) {
    throw new Error(`the proposal is not JSON: ${e.message}`);
  }
  if (proposal === null || typeof proposal !== "object" || Array.isArray(proposal)) {
    throw new Error('the proposal must be an object: {"policies": [...], "default_policy": {...}}');
  }
  return proposal;
}

/** The editor back to the loaded policies (from the state, or the engine when it can say). */
function resetProposal() {
  let source = page.state;
  let note = "";
  if (!source && typeof page.engine.policies === "function") source = page.engine.policies();
  else if (!source) {
    note = "This bundle's policies cannot be read back in this version of the package: the proposal starts from the defaults and replaces the bundle's policies.";
  }
  $("policy-json").value = JSON.stringify(proposalFrom(source), null, 2);
  $("apply-note").textContent = note;
  $("preview-result").hidden = true;
  showError($("preview-error"), "");
  syncToggles();
}

/** The toggles (and the policy list of "Apply to") from the editor's JSON. */
function syncToggles() {
  let proposal;
  try {
    proposal = editorProposal();
  } catch (e) {
    showError($("policy-json-error"), e.message);
    updateApply();
    return;
  }
  showError($("policy-json-error"), "");
  const target = $("t-target");
  const chosen = target.value;
  const listed = Array.isArray(proposal.policies) ? proposal.policies : [];
  target.replaceChildren(
    h("option", { value: "default" }, "the default policy"),
    ...listed.map((p, i) => h("option", { value: String(i) }, `policy ${p?.name ? `“${p.name}”` : `#${i + 1}`}`)),
  );
  target.value = [...target.options].some((o) => o.value === chosen) ? chosen : "default";
  const policy = target.value === "default" ? (proposal.default_policy ?? {}) : listed[Number(target.value)];
  for (const t of TOGGLES) {
    const control = $(t.id);
    const value = readToggle(t, policy);
    if (control.type === "checkbox") control.checked = value;
    else control.value = value;
  }
  updateApply();
}

/** A toggle changed: write it into the editor's JSON. */
function onToggle(toggle) {
  try {
    const proposal = editorProposal();
    const control = $(toggle.id);
    writeToggle(toggle, targetPolicy(proposal, $("t-target").value), control.type === "checkbox" ? control.checked : control.value);
    $("policy-json").value = JSON.stringify(proposal, null, 2);
    showError($("policy-json-error"), "");
  } catch (e) {
    showError($("policy-json-error"), e.message);
  }
  updateApply();
}

function canApply() {
  return Boolean(page.state) || typeof page.engine?.withPolicies === "function";
}

function updateApply() {
  const fresh = page.previewed !== null && page.previewed === $("policy-json").value;
  $("apply").disabled = !page.engine || !fresh || !canApply();
  $("apply").title = !canApply()
    ? "a signed bundle's policies cannot be changed in this version of the package; load its state to try changes"
    : fresh
      ? ""
      : "preview the proposal first: Apply applies exactly what was previewed";
}

const reasonCode = (reason) => h("code", { class: reason === "ok" ? "reason ok" : "reason bad" }, reason);
const outcome = (o) => h("span", {}, h("span", { class: `effect ${o.effect}` }, o.effect), " ", reasonCode(o.reason));

function stat(label, value, id) {
  return h("div", { class: "stat", id, "data-count": value }, h("span", { class: "value" }, value.toLocaleString("en")), h("span", { class: "label" }, label));
}

function preview() {
  showError($("preview-error"), "");
  let report;
  try {
    const proposal = editorProposal();
    const replay = parseReplay($("replay").value);
    report = page.engine.preview(proposal, { replay, now: nowMs() });
  } catch (e) {
    // Engine errors name the JSON path of the proposal (`default_policy.ip_allowlist[0]: ...`).
    showError($("preview-error"), `The proposal cannot be previewed: ${e.message}`);
    $("preview-result").hidden = true;
    page.previewed = null;
    updateApply();
    return;
  }
  page.previewed = $("policy-json").value;
  updateApply();
  renderPreview(report);
}

function renderPreview(report) {
  const parts = [
    h("h3", {}, "Impact"),
    h(
      "div",
      { class: "stats" },
      stat("tokens evaluated", report.tokensEvaluated, "pv-evaluated"),
      stat("changed", report.changedCount, "pv-changed"),
      stat("newly denied", report.newlyDenied, "pv-denied"),
      stat("newly allowed", report.newlyAllowed, "pv-allowed"),
    ),
  ];
  if (report.changedCount === 0) parts.push(h("p", { class: "muted" }, "No token's standing changes."));
  else {
    parts.push(
      h("div", { class: "columns" }, h("div", { id: "pv-by-reason" }, countTable("By reason, after the change", "reason", report.byReason, "reason")),
        h("div", { id: "pv-by-owner" }, countTable("By owner", "owner", report.byOwner, "owner"))),
      h(
        "div",
        { class: "scroll", id: "pv-changed-table" },
        table({
          caption: report.changed.length < report.changedCount ? `Changed tokens (first ${report.changed.length} of ${report.changedCount})` : "Changed tokens",
          columns: [
            { label: "token", cell: (c) => h("code", {}, c.id) },
            { label: "kind", cell: (c) => c.kind },
            { label: "owner", cell: (c) => c.owner },
            { label: "before → after", cell: (c) => h("span", {}, reasonCode(c.before), " → ", reasonCode(c.after)) },
            { label: "why", cell: (c) => c.message },
            { label: "policy", cell: (c) => (c.policyBefore === c.policyAfter ? c.policyAfter : `${c.policyBefore} → ${c.policyAfter}`) },
          ],
          rows: report.changed,
          rowAttrs: (c) => ({ "data-token": c.id, "data-after": c.after }),
        }),
      ),
    );
  }
  const r = report.replay;
  if (r) {
    parts.push(
      h("h3", {}, "Replayed requests"),
      h(
        "div",
        { class: "stats" },
        stat("requests", r.requests, "rp-requests"),
        stat("flipped", r.flippedCount, "rp-flipped"),
        stat("newly denied", r.newlyDenied, "rp-denied"),
        stat("newly allowed", r.newlyAllowed, "rp-allowed"),
        r.unknownTokenIds ? stat("unknown token ids", r.unknownTokenIds, "rp-unknown") : null,
      ),
      r.flippedCount === 0
        ? h("p", { class: "muted" }, "No replayed request would be decided differently.")
        : h(
            "div",
            { class: "scroll", id: "rp-flipped-table" },
            table({
              caption: "Requests that flip",
              columns: [
                { label: "#", cell: (f) => String(f.index + 1), num: true },
                { label: "token", cell: (f) => h("code", {}, f.tokenId) },
                { label: "request", cell: (f) => h("code", {}, `${f.method} ${f.url}`) },
                { label: "before", cell: (f) => outcome(f.before) },
                { label: "after", cell: (f) => outcome(f.after) },
              ],
              rows: r.flipped,
              rowAttrs: (f) => ({ "data-token": f.tokenId, "data-after": f.after.reason }),
            }),
          ),
    );
  }
  $("preview-result").replaceChildren(...parts);
  $("preview-result").hidden = false;
}

function apply() {
  let proposal;
  let engine;
  let state = null;
  try {
    proposal = editorProposal();
    if (page.state) {
      state = applyProposal(page.state, proposal);
      engine = Engine.fromState(state);
    } else {
      engine = page.engine.withPolicies(proposal);
    }
  } catch (e) {
    showError($("preview-error"), `The proposal was not applied: ${e.message}`);
    return;
  }
  setEngine(engine, { state, source: page.source, modified: true, keepProposal: true });
  $("preview-result").replaceChildren(
    h("p", { class: "applied", id: "applied-note" }, "Applied to the working state. Further previews compare against it; nothing was signed or published."),
  );
  setStatus("policy change applied to the working state (unsigned)");
}

// ---------------------------------------------------------------------------------------------
// 4. Simulate

/** `Basic` credentials: base64 of the UTF-8 bytes of `user:secret`. */
function basic(user, secret) {
  let binary = "";
  for (const b of new TextEncoder().encode(`${user}:${secret}`)) binary += String.fromCharCode(b);
  return btoa(binary);
}

function requestFromForm() {
  const headers = {};
  $("headers").value.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const at = line.indexOf(":");
    if (at <= 0) throw new Error(`headers, line ${i + 1}: expected \`Name: value\``);
    headers[line.slice(0, at).trim().toLowerCase()] = line.slice(at + 1).trim();
  });
  const token = $("token").value.trim();
  const scheme = $("scheme").value;
  if (scheme === "bearer" && token) headers.authorization = `Bearer ${token}`;
  if (scheme === "basic") headers.authorization = `Basic ${basic($("username").value.trim(), token)}`;
  const at = $("at").value.trim();
  const now = at ? Date.parse(at) : nowMs();
  if (!Number.isFinite(now)) throw new Error(`time: expected an RFC 3339 time, got \`${at}\``);
  return { method: $("method").value, url: $("url").value.trim(), headers, remoteAddr: $("remote").value.trim() || undefined, now };
}

function check(event) {
  event.preventDefault();
  if (!page.engine) return;
  let explanation;
  try {
    explanation = page.engine.explain(requestFromForm());
  } catch (e) {
    showError($("check-error"), e.message);
    return;
  }
  showError($("check-error"), "");
  showDecision(explanation);
}

function showDecision({ decision: d, steps }) {
  const box = $("decision");
  box.dataset.effect = d.effect;
  box.dataset.reason = d.reason;
  const facts = [
    ["effect", d.effect],
    ["reason", h("code", {}, d.reason)],
    d.token && ["token", `${d.token.id} (${d.token.kind}${d.token.label ? `, ${d.token.label}` : ""})`],
    d.token?.principal && ["principal", d.token.principal],
    d.token?.resource && ["token resource", d.token.resource],
    d.required && ["required", d.required.anyOf.length ? d.required.anyOf.map((set) => set.join(" + ")).join("  or  ") : "nothing"],
    d.required?.resource && ["resource", d.required.resource],
    d.granted && ["granted", d.granted.join(", ") || "none"],
    d.policy && ["policy", d.policy],
    d.clientIp && ["client IP", d.clientIp],
    d.expiresAt && ["token expires", d.expiresAt],
  ].filter(Boolean);
  box.replaceChildren(
    h("div", { class: "verdict" }, h("span", { class: "effect-big" }, d.effect.toUpperCase()), " ", h("code", { class: "reason-big" }, d.reason)),
    h("p", { class: "message" }, d.message),
    h("dl", { class: "facts" }, facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { "data-field": k }, v)])),
  );
  box.hidden = false;
  $("steps").replaceChildren(
    table({
      caption: "Trace: the pipeline's steps, in order (the decision names the one that decided)",
      columns: [
        { label: "#", cell: (s) => String(steps.indexOf(s) + 1), num: true },
        { label: "step", cell: (s) => h("code", {}, s.step) },
        { label: "result", cell: (s) => h("span", { class: s.ok ? "pass" : "fail" }, s.ok ? "✓ passed" : "✗ failed") },
        { label: "detail", cell: (s) => s.detail },
      ],
      rows: steps,
      rowAttrs: (s) => ({ class: s.ok ? "ok" : "fail", "data-step": s.step }),
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// 5. Audit

function runAudit() {
  if (!page.engine) return;
  const days = Number($("expiring-days").value);
  try {
    if (!Number.isInteger(days) || days < 0) throw new Error(`expiring within: expected a whole number of days, got \`${$("expiring-days").value}\``);
    page.audit = page.engine.audit({ now: nowMs(), expiringWithinDays: days });
  } catch (e) {
    showError($("audit-error"), `The audit did not run: ${e.message}`);
    return;
  }
  showError($("audit-error"), "");
  const kindSelect = $("audit-kind");
  const chosen = kindSelect.value;
  const summary = page.audit.summary ?? {};
  kindSelect.replaceChildren(
    h("option", { value: "" }, `every finding (${page.audit.findings.length})`),
    ...Object.entries(summary).map(([kind, n]) => h("option", { value: kind }, `${kind.replaceAll("_", " ")} (${n})`)),
  );
  kindSelect.value = chosen in summary ? chosen : "";
  $("audit-totals").textContent =
    `${page.audit.tokens.toLocaleString("en")} tokens, ${page.audit.activeTokens.toLocaleString("en")} live, as of ${page.audit.now}` +
    (page.audit.truncated ? "; the list is truncated, the counts are exact" : "");
  renderAudit();
}

const AUDIT_ROWS = 500;

function renderAudit() {
  const kind = $("audit-kind").value;
  const matching = page.audit.findings.filter((f) => !kind || f.kind === kind);
  // NOTE: a large estate has thousands of findings; the DOM gets the first few hundred.
  const rows = matching.slice(0, AUDIT_ROWS);
  const shown = rows.length < matching.length ? ` (the first ${rows.length} of ${matching.length.toLocaleString("en")})` : "";
  $("audit-result").replaceChildren(
    h(
      "div",
      { class: "scroll" },
      table({
        caption: (kind ? `Findings: ${kind.replaceAll("_", " ")}` : "Findings, most severe first") + shown,
        columns: [
          { label: "severity", cell: (f) => h("span", { class: `sev ${f.severity}` }, f.severity) },
          { label: "kind", cell: (f) => f.kind.replaceAll("_", " ") },
          { label: "token", cell: (f) => (f.tokenId ? h("code", {}, f.tokenId) : "—") },
          { label: "principal", cell: (f) => f.principal ?? "—" },
          { label: "finding", cell: (f) => f.message },
        ],
        rows,
        rowAttrs: (f) => ({ "data-kind": f.kind, "data-severity": f.severity, "data-token": f.tokenId }),
        empty: "no findings",
      }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// 6. Mint

function mint() {
  let minted;
  try {
    minted = mintToken($("kind").value);
  } catch (e) {
    setStatus(e.message, true);
    return;
  }
  // NOTE: the token lives only in this element's text: never in an input (browsers restore
  // those), storage or the URL; Clear and leaving the page wipe it.
  $("minted-token").textContent = minted.token;
  $("minted-sha256").textContent = minted.sha256;
  $("copy-note").textContent = "";
  $("minted").hidden = false;
  $("copy-token").focus();
}

function clearMinted() {
  $("minted-token").textContent = "";
  $("minted-sha256").textContent = "";
  $("copy-note").textContent = "";
  $("minted").hidden = true;
}

async function copyToken() {
  const token = $("minted-token").textContent;
  try {
    await navigator.clipboard.writeText(token);
    $("copy-note").textContent = "copied";
  } catch {
    // No clipboard permission: select the text for Ctrl+C instead.
    getSelection().selectAllChildren($("minted-token"));
    $("copy-note").textContent = "selected: press Ctrl+C (⌘C) to copy";
  }
}

// ---------------------------------------------------------------------------------------------

function onAsOf() {
  try {
    nowMs();
    showError($("as-of-error"), "");
  } catch (e) {
    showError($("as-of-error"), e.message);
    return;
  }
  if (!page.engine) return;
  renderEstate();
  runAudit();
}

async function offerDemo() {
  // The demo serves its state next to the page (`make demo`); elsewhere the button stays hidden.
  const response = await fetch("./demo/state.json", { cache: "no-store" }).catch(() => null);
  if (!response?.ok) return;
  const text = await response.text();
  $("load-demo").hidden = false;
  $("load-demo").addEventListener("click", () => {
    $("state").value = JSON.stringify(JSON.parse(text), null, 2);
    loadState(text);
  });
}

function wire() {
  $("load").addEventListener("click", () => loadState($("state").value));
  $("state-file").addEventListener("change", (e) => takeFile(e.target.files[0]).finally(() => (e.target.value = "")));
  $("bundle-file").addEventListener("change", (e) => takeFile(e.target.files[0]).finally(() => (e.target.value = "")));
  $("load-bundle").addEventListener("click", loadBundle);
  $("public-key").addEventListener("keydown", (e) => e.key === "Enter" && loadBundle());

  const zone = $("dropzone");
  const over = (on) => (e) => {
    e.preventDefault();
    zone.classList.toggle("over", on);
  };
  zone.addEventListener("dragenter", over(true));
  zone.addEventListener("dragover", over(true));
  zone.addEventListener("dragleave", over(false));
  zone.addEventListener("drop", (e) => {
    over(false)(e);
    takeFile(e.dataTransfer?.files?.[0]);
  });
  // A file dropped beside the zone must not navigate away from the page (and its state).
  for (const type of ["dragover", "drop"]) window.addEventListener(type, (e) => e.preventDefault());

  $("as-of").addEventListener("change", onAsOf);
  $("weeks").addEventListener("change", renderEstate);

  $("policy-json").addEventListener("input", syncToggles);
  $("t-target").addEventListener("change", syncToggles);
  for (const t of TOGGLES) $(t.id).addEventListener("change", () => onToggle(t));
  $("preview").addEventListener("click", preview);
  $("apply").addEventListener("click", apply);
  $("reset-policies").addEventListener("click", resetProposal);

  $("check-form").addEventListener("submit", check);
  $("scheme").addEventListener("change", () => {
    $("username-box").hidden = $("scheme").value !== "basic";
    $("token").disabled = $("scheme").value === "none";
  });

  $("run-audit").addEventListener("click", runAudit);
  $("expiring-days").addEventListener("change", runAudit);
  $("audit-kind").addEventListener("change", renderAudit);

  $("mint-button").addEventListener("click", mint);
  $("copy-token").addEventListener("click", copyToken);
  $("clear-token").addEventListener("click", clearMinted);
  // Leaving the page (or putting it in the back-forward cache) wipes a minted token.
  window.addEventListener("pagehide", clearMinted);
}

async function main() {
  await init();
  wire();
  for (const id of ["load", "mint-button"]) $(id).disabled = false;
  await offerDemo();
  setStatus("ready: the engine runs in this page (WebAssembly)");
  document.body.dataset.ready = "true";
}

main().catch((e) => setStatus(`the engine failed to load: ${e.message}`, true));
