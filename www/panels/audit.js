// 6. Audit the working state: the engine's findings, most severe first, a page at a time;
// tokens can be ticked and revoked as a step of the change.
import { byId as $, h, num, pagedTable, showError } from "../dom.js";
import { page } from "../page.js";

const days = () => {
  const value = Number($("expiring-days").value);
  if (!Number.isInteger(value) || value < 0) throw new Error(`expiring within: expected a whole number of days, got \`${$("expiring-days").value}\``);
  return value;
};

async function run() {
  if (!page.snapshot) return;
  let report;
  const kind = $("audit-kind").value;
  try {
    report = await page.engine.call("audit", { now: page.now(), expiringWithinDays: days(), kind }, { label: "Auditing" });
  } catch (e) {
    showError($("audit-error"), `The audit did not run: ${e.message}`);
    return;
  }
  showError($("audit-error"), "");
  const select = $("audit-kind");
  const summary = report.summary ?? {};
  const total = Object.values(summary).reduce((a, b) => a + b, 0);
  select.replaceChildren(
    h("option", { value: "" }, `every finding (${num(total)})`),
    ...Object.entries(summary).map(([k, n]) => h("option", { value: k }, `${k.replaceAll("_", " ")} (${num(n)})`)),
  );
  select.value = kind in summary ? kind : "";
  $("audit-totals").textContent =
    `${num(report.tokens)} tokens, ${num(report.activeTokens)} live, as of ${report.now}` +
    (report.truncated ? "; the list is truncated, the counts are exact" : "");
  if (select.value !== kind) return run();
  render(report.findings, kind);
}

function render(first, kind) {
  const pick = (f) => f.tokenId && h("input", { type: "checkbox", class: "pick", value: f.tokenId, "aria-label": `select ${f.tokenId}` });
  const revoke = h("button", { type: "button", class: "secondary", id: "audit-revoke-selected" }, "Revoke the selected tokens");
  revoke.addEventListener("click", async () => {
    const ids = [...new Set([...document.querySelectorAll("#audit-table input.pick:checked")].map((box) => box.value))];
    if (ids.length === 0) return showError($("audit-error"), "Tick the tokens to revoke first.");
    try {
      await page.act("revoke", { ids }, "Revoking");
      page.setStatus(`${num(ids.length)} token${ids.length > 1 ? "s" : ""} revoked in the working state (unsigned): see Change`);
    } catch (e) {
      showError($("audit-error"), `Not revoked: ${e.message}`);
    }
  });
  $("audit-result").replaceChildren(
    pagedTable({
      id: "audit-table",
      caption: kind ? `Findings: ${kind.replaceAll("_", " ")}` : "Findings, most severe first",
      columns: [
        { label: "", cell: pick, class: "pick-cell" },
        { label: "severity", cell: (f) => h("span", { class: `sev ${f.severity}` }, f.severity) },
        { label: "kind", cell: (f) => f.kind.replaceAll("_", " ") },
        { label: "token", cell: (f) => (f.tokenId ? h("code", {}, f.tokenId) : "—") },
        { label: "principal", cell: (f) => f.principal ?? "—" },
        { label: "finding", cell: (f) => f.message, class: "wrap" },
      ],
      first,
      more: (offset, limit) => page.engine.call("rows", { table: "findings", offset, limit, kind }),
      rowAttrs: (f) => ({ "data-kind": f.kind, "data-severity": f.severity, "data-token": f.tokenId }),
      empty: "no findings",
    }),
    ...(first.total > 0 ? [h("div", { class: "row actions" }, revoke)] : []),
  );
}

export function wireAudit() {
  $("run-audit").addEventListener("click", run);
  $("expiring-days").addEventListener("change", run);
  $("audit-kind").addEventListener("change", async () => {
    const kind = $("audit-kind").value;
    render(await page.engine.call("rows", { table: "findings", offset: 0, kind }), kind);
  });
  page.on("snapshot", () => {
    $("audit-form").disabled = false;
    $("audit-kind").value = "";
    run();
  });
  page.on("working", run);
  page.on("time", run);
}
