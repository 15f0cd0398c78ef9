// 7. Token-management questions, answered by the engine as decisions: may this principal
// create this token (`canCreateToken`), may it revoke that one (`canRevokeToken`)?
import { byId as $, h, showError, words } from "../dom.js";
import { page } from "../page.js";

function answer(box, d) {
  box.dataset.effect = d.effect;
  box.dataset.reason = d.reason;
  const parts = [
    h("span", { class: `effect ${d.effect}` }, d.effect === "allow" ? "yes" : "no"),
    " ",
    h("code", { class: d.reason === "ok" ? "reason ok" : "reason bad" }, d.reason),
    h("p", { class: "message" }, d.message),
  ];
  if (d.policy) parts.push(h("p", { class: "muted" }, `policy: ${d.policy}`));
  box.replaceChildren(...parts);
  box.hidden = false;
}

async function ask(op, args, box) {
  showError($("permission-error"), "");
  try {
    answer(box, await page.engine.call(op, { ...args, now: page.now() }, { label: "Asking the engine" }));
  } catch (e) {
    box.hidden = true;
    showError($("permission-error"), e.message);
  }
}

/** The token spec the form describes (empty fields left out). */
function spec() {
  const value = (id) => $(id).value.trim() || undefined;
  return {
    kind: $("c-kind").value,
    principal: value("c-owner"),
    resource: value("c-resource"),
    scopes: words($("c-scopes").value),
    access: value("c-access"),
    expires_at: value("c-expires"),
  };
}

function reset() {
  $("permission-forms").disabled = false;
  for (const id of ["create-answer", "revoke-answer"]) {
    $(id).hidden = true;
    $(id).replaceChildren();
  }
  showError($("permission-error"), "");
}

export function wirePermissions() {
  $("create-form").addEventListener("submit", (e) => {
    e.preventDefault();
    ask("canCreate", { actor: $("c-actor").value.trim(), spec: spec() }, $("create-answer"));
  });
  $("revoke-check-form").addEventListener("submit", (e) => {
    e.preventDefault();
    ask("canRevoke", { actor: $("r-actor").value.trim(), tokenId: $("r-token").value.trim() }, $("revoke-answer"));
  });
  page.on("snapshot", reset);
  page.on("working", reset);
}
