// 3. Policies: edit the policies, network and token permissions (form fields or JSON), preview
// the impact on every token (and on a replayed request log), then apply the change to the
// working state, or revoke what it would break. The engine reads and judges the proposal; the
// fields only write JSON.
import { byId as $, countTable, h, num, pagedTable, reasonCode, showError, stat, words } from "../dom.js";
import { page } from "../page.js";

/** The editor text of the last successful preview: Apply applies exactly what was previewed. */
let previewed = null;

/** Fields of the policy chosen in "Edit", and how they read and write it. */
const POLICY_FIELDS = [
  { id: "t-api-tokens", field: "api_tokens", type: "switch", on: "block", off: "allow" },
  { id: "t-app-passwords", field: "app_passwords", type: "switch", on: "block", off: "allow" },
  { id: "t-password-auth", field: "password_auth", type: "switch", on: "disable", off: "allow" },
  { id: "t-require-2fa", field: "require_2fa", type: "bool" },
  { id: "t-max-lifetime", field: "max_token_lifetime_days", type: "number" },
  { id: "t-ip-allowlist", field: "ip_allowlist", type: "list" },
  { id: "t-revoke-before", field: "revoke_issued_before", type: "text" },
];

/** Fields of the proposal's `network` and `token_permissions`. */
const SECTION_FIELDS = [
  { id: "n-trusted-proxies", section: "network", field: "trusted_proxies", type: "list" },
  { id: "n-client-ip-header", section: "network", field: "client_ip_header", type: "text" },
  { id: "p-use", section: "token_permissions", field: "use", type: "list" },
  { id: "p-create", section: "token_permissions", field: "create", type: "list" },
  { id: "p-create-write", section: "token_permissions", field: "create_write", type: "list" },
  { id: "p-create-for-others", section: "token_permissions", field: "create_for_others", type: "list" },
];

/** A field's control value for the object it edits. */
function read(field, object) {
  const value = object?.[field.field];
  switch (field.type) {
    case "switch":
      return value === field.on;
    case "bool":
      return value === true;
    case "list":
      return Array.isArray(value) ? value.join(", ") : "";
    default:
      return value == null ? "" : String(value);
  }
}

/** Writes a control value; an empty field removes the key (the engine's default applies). */
function write(field, object, value) {
  const text = String(value).trim();
  switch (field.type) {
    case "switch":
      object[field.field] = value ? field.on : field.off;
      return;
    case "bool":
      object[field.field] = Boolean(value);
      return;
    case "list":
      object[field.field] = words(text);
      return;
    case "number":
      if (text === "") delete object[field.field];
      else if (/^\d+$/.test(text)) object[field.field] = Number(text);
      else throw new Error(`${field.field}: expected a whole number of days, got \`${text}\``);
      return;
    default:
      if (text === "") delete object[field.field];
      else object[field.field] = text;
  }
}

const controlValue = (control) => (control.type === "checkbox" ? control.checked : control.value);
function setControl(control, value) {
  if (control.type === "checkbox") control.checked = value;
  else control.value = value;
}

function editorProposal() {
  let proposal;
  try {
    proposal = JSON.parse($("policy-json").value);
  } catch (e) {
    throw new Error(`the proposal is not JSON: ${e.message}`);
  }
  if (proposal === null || typeof proposal !== "object" || Array.isArray(proposal)) {
    throw new Error('the proposal must be an object: {"policies": [...], "default_policy": {...}}');
  }
  return proposal;
}

/** The policy the "Edit" choice names in `proposal`. */
function targetPolicy(proposal) {
  const target = $("t-target").value;
  if (target === "default") return (proposal.default_policy ??= {});
  const policy = proposal.policies?.[Number(target)];
  if (!policy) throw new Error(`policies[${target}]: no such policy in the proposal`);
  return policy;
}

/** The editor back to the working state's policies. */
function resetProposal() {
  $("policy-json").value = JSON.stringify(page.snapshot.policies, null, 2);
  $("replay").value = "";
  previewed = null;
  $("preview-result").hidden = true;
  showError($("preview-error"), "");
  syncFields();
}

/** The fields (and the policies under "Edit") from the editor's JSON. */
function syncFields() {
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
  for (const f of POLICY_FIELDS) setControl($(f.id), read(f, policy));
  for (const f of SECTION_FIELDS) setControl($(f.id), read(f, proposal[f.section]));
  updateApply();
}

/** A field changed: write it into the editor's JSON. */
function onField(edit) {
  try {
    const proposal = editorProposal();
    edit(proposal);
    $("policy-json").value = JSON.stringify(proposal, null, 2);
    showError($("policy-json-error"), "");
  } catch (e) {
    showError($("policy-json-error"), e.message);
  }
  updateApply();
}

function updateApply() {
  const fresh = previewed !== null && previewed === $("policy-json").value;
  $("apply").disabled = !page.snapshot || !fresh;
  $("apply").title = fresh ? "" : "preview the proposal first: Apply applies exactly what was previewed";
}

/** A pasted replay log: the list (or undefined when empty); the engine checks each entry. */
function parseReplay(text) {
  if (!text.trim()) return undefined;
  let list;
  try {
    list = JSON.parse(text);
  } catch (e) {
    throw new Error(`replay: not JSON (${e.message})`);
  }
  if (!Array.isArray(list)) throw new Error("replay: expected a JSON list of {tokenId, method, url, remoteAddr?}");
  return list;
}

async function preview() {
  showError($("preview-error"), "");
  const text = $("policy-json").value;
  let report;
  try {
    const args = { proposal: editorProposal(), replay: parseReplay($("replay").value), now: page.now() };
    report = await page.engine.call("preview", args, { label: "Previewing the change" });
  } catch (e) {
    // Engine errors name the JSON path of the proposal (`default_policy.ip_allowlist[0]: ...`).
    showError($("preview-error"), `The proposal cannot be previewed: ${e.message}`);
    $("preview-result").hidden = true;
    previewed = null;
    updateApply();
    return;
  }
  previewed = text;
  updateApply();
  renderPreview(report);
}

/** A row of figures: `[label, value, id]` each (a falsy entry is left out). */
const figures = (rows) => h("div", { class: "stats" }, rows.filter(Boolean).map(([label, value, id]) => stat(label, value, id)));
const outcome = (o) => h("span", {}, h("span", { class: `effect ${o.effect}` }, o.effect), " ", reasonCode(o.reason));
const rows = (table) => (offset, limit) => page.engine.call("rows", { table, offset, limit });

async function revoke(ids, label) {
  try {
    await page.act("revoke", { ids }, label);
    page.setStatus(`${num(ids.length)} token${ids.length > 1 ? "s" : ""} revoked in the working state (unsigned): see Change`);
  } catch (e) {
    showError($("preview-error"), `Not revoked: ${e.message}`);
  }
}

function renderPreview(report) {
  const parts = [
    h("h3", {}, "Impact"),
    figures([
      ["tokens evaluated", report.tokensEvaluated, "pv-evaluated"],
      ["changed", report.changedCount, "pv-changed"],
      ["newly denied", report.newlyDenied, "pv-denied"],
      ["newly allowed", report.newlyAllowed, "pv-allowed"],
    ]),
  ];
  if (report.changedCount === 0) parts.push(h("p", { class: "muted" }, "No token's standing changes."));
  else {
    const pick = (c) => h("input", { type: "checkbox", class: "pick", value: c.id, "aria-label": `select ${c.id}` });
    const selected = h("button", { type: "button", class: "secondary", id: "pv-revoke-selected" }, "Revoke the selected tokens");
    selected.addEventListener("click", () => {
      const ids = [...document.querySelectorAll("#pv-changed-table input.pick:checked")].map((box) => box.value);
      if (ids.length === 0) return showError($("preview-error"), "Tick the tokens to revoke first.");
      revoke(ids);
    });
    const breaking = report.newlyDenied > 0 && h("button", { type: "button", class: "danger", id: "pv-revoke-breaking" }, `Revoke all ${num(report.newlyDenied)} tokens this change stops`);
    breaking?.addEventListener("click", async () => {
      try {
        await page.act("revokeBreaking", {}, "Revoking what the change breaks");
        page.setStatus(`the ${num(report.newlyDenied)} tokens the change stops are revoked in the working state (unsigned): see Change`);
      } catch (e) {
        showError($("preview-error"), `Not revoked: ${e.message}`);
      }
    });
    parts.push(
      h(
        "div",
        { class: "columns" },
        h("div", { id: "pv-by-reason" }, countTable("By reason, after the change", "reason", report.byReason, "reason")),
        pagedTable({
          id: "pv-by-owner",
          caption: `Owners most affected (${num(report.owners.total)} in all)`,
          columns: [
            { label: "owner", cell: ([owner]) => h("code", {}, owner) },
            { label: "tokens", cell: ([, n]) => num(n), num: true },
          ],
          first: report.owners,
          more: rows("owners"),
          rowAttrs: ([owner, n]) => ({ "data-owner": owner, "data-count": n }),
        }),
      ),
      pagedTable({
        id: "pv-changed-table",
        caption: report.changed.total < report.changedCount ? `Changed tokens (the first ${num(report.changed.total)} of ${num(report.changedCount)}, by id)` : "Changed tokens",
        columns: [
          { label: "", cell: pick, class: "pick-cell" },
          { label: "token", cell: (c) => h("code", {}, c.id) },
          { label: "kind", cell: (c) => c.kind },
          { label: "owner", cell: (c) => h("code", {}, c.owner) },
          { label: "before → after", cell: (c) => h("span", { class: "nowrap" }, reasonCode(c.before), " → ", reasonCode(c.after)) },
          { label: "why", cell: (c) => c.message, class: "wrap" },
          { label: "policy", cell: (c) => (c.policyBefore === c.policyAfter ? c.policyAfter : `${c.policyBefore} → ${c.policyAfter}`) },
        ],
        first: report.changed,
        more: rows("changed"),
        rowAttrs: (c) => ({ "data-token": c.id, "data-after": c.after }),
      }),
      h("div", { class: "row actions" }, selected, breaking),
    );
  }
  const r = report.replay;
  if (r) {
    parts.push(
      h("h3", {}, "Replayed requests"),
      figures([
        ["requests", r.requests, "rp-requests"],
        ["flipped", r.flippedCount, "rp-flipped"],
        ["newly denied", r.newlyDenied, "rp-denied"],
        ["newly allowed", r.newlyAllowed, "rp-allowed"],
        r.unknownTokenIds && ["unknown token ids", r.unknownTokenIds, "rp-unknown"],
      ]),
      r.flippedCount === 0
        ? h("p", { class: "muted" }, "No replayed request would be decided differently.")
        : pagedTable({
            id: "rp-flipped-table",
            caption: "Requests that flip",
            columns: [
              { label: "#", cell: (f) => String(f.index + 1), num: true },
              { label: "token", cell: (f) => h("code", {}, f.tokenId) },
              { label: "request", cell: (f) => h("code", {}, `${f.method} ${f.url}`) },
              { label: "before", cell: (f) => outcome(f.before) },
              { label: "after", cell: (f) => outcome(f.after) },
            ],
            first: r.flipped,
            more: rows("flipped"),
            rowAttrs: (f) => ({ "data-token": f.tokenId, "data-after": f.after.reason }),
          }),
    );
  }
  $("preview-result").replaceChildren(...parts);
  $("preview-result").hidden = false;
}

async function apply() {
  let proposal;
  try {
    proposal = editorProposal();
    await page.act("applyPolicies", { proposal }, "Applying the change");
  } catch (e) {
    showError($("preview-error"), `The proposal was not applied: ${e.message}`);
    return;
  }
  const undo = h("button", { type: "button", class: "small secondary", id: "undo-apply" }, "Undo");
  undo.addEventListener("click", async () => {
    try {
      await page.act("undo", {}, "Undoing the change");
      page.setStatus("policy change undone");
    } catch (e) {
      showError($("preview-error"), e.message);
    }
  });
  $("preview-result").replaceChildren(
    h(
      "p",
      { class: "applied", id: "applied-note" },
      "Applied to the working state. Further previews compare against it; nothing was signed or published (see Change). ",
      undo,
    ),
  );
  $("preview-result").hidden = false;
  page.setStatus("policy change applied to the working state (unsigned)");
}

export function wirePolicies() {
  $("policy-json").addEventListener("input", syncFields);
  $("t-target").addEventListener("change", syncFields);
  for (const f of POLICY_FIELDS) $(f.id).addEventListener("change", () => onField((p) => write(f, targetPolicy(p), controlValue($(f.id)))));
  for (const f of SECTION_FIELDS) {
    $(f.id).addEventListener("change", () => onField((p) => write(f, (p[f.section] ??= {}), controlValue($(f.id)))));
  }
  $("preview").addEventListener("click", preview);
  $("apply").addEventListener("click", apply);
  $("reset-policies").addEventListener("click", resetProposal);

  page.on("snapshot", () => {
    $("policy-form").disabled = false;
    resetProposal();
  });
  // The editor follows the working state; a preview of the state before is stale.
  page.on("working", resetProposal);
}
