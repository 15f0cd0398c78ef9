// 4. The change: every step taken since loading (a policy applied, tokens revoked, a minted
// token added) is one changes document against the loaded snapshot. Undo a step, revoke more
// tokens, export the proposal (the changes document and the new state), and sign it with a
// private key dropped into the page into a delta on the loaded bundle and a full bundle.
import { byId as $, download, h, num, showError, words } from "../dom.js";
import { page } from "../page.js";

/** The text of a dropped key file, until it signs once. Never shown, stored or sent. */
let droppedKey = null;

function describe(changes) {
  if (!changes) return "No change yet: apply a policy, revoke tokens or add a minted token.";
  const parts = [];
  if (changes.revoke?.length) parts.push(`revokes ${num(changes.revoke.length)} token${changes.revoke.length > 1 ? "s" : ""}`);
  if (changes.upsert?.length) parts.push(`adds ${num(changes.upsert.length)} token${changes.upsert.length > 1 ? "s" : ""}`);
  const policy = Object.keys(changes).filter((k) => !["issued_at", "revoke", "remove", "upsert"].includes(k));
  if (policy.length) parts.push(`sets ${policy.map((k) => `\`${k}\``).join(", ")}`);
  return `The working state ${parts.join(", ") || "changes nothing"}, issued at ${changes.issued_at}. Nothing is signed or published until you sign it below.`;
}

function render(snapshot) {
  $("change-body").hidden = false;
  const { changes, steps } = snapshot;
  $("change-summary").textContent = describe(changes);
  $("change-summary").dataset.steps = steps.length;
  $("change-steps").replaceChildren(...steps.map((label) => h("li", {}, label)));
  $("undo").disabled = steps.length === 0;
  $("discard").disabled = steps.length === 0;
  $("export-changes").disabled = !changes;
  $("export-state").disabled = !snapshot.canExportState;
  $("export-note").textContent = snapshot.canExportState
    ? ""
    : "A signed bundle keeps only a 16-byte prefix of each secret digest, so the new state cannot be written from it: " +
      "the changes document and the signed files carry the change.";
  updateSign();
}

function updateSign() {
  $("sign").disabled = !page.snapshot || !(droppedKey || $("private-key").value.trim());
}

/** Forgets the key: the pasted text, the dropped file's text, the file input. */
function clearKey() {
  droppedKey = null;
  $("private-key").value = "";
  $("key-file").value = "";
  $("key-name").textContent = "used here, never uploaded, cleared after signing";
  updateSign();
}

async function takeKey(file) {
  if (!file) return;
  // NOTE: a key file is a line of base64url; anything longer is not one.
  if (file.size > 4096) {
    showError($("sign-error"), `${file.name} is not a private key file (${num(file.size)} bytes)`);
    return;
  }
  droppedKey = (await file.text()).trim();
  $("key-file").value = "";
  $("key-name").textContent = `${file.name}: ready to sign, cleared after signing`;
  showError($("sign-error"), "");
  updateSign();
}

const fileTime = (iso) => iso.replaceAll(":", "");

function signedFile(id, title, { blob, header }, name) {
  const save = h("button", { type: "button", id: `${id}-download` }, `Download ${name}`);
  save.addEventListener("click", () => download(blob, name));
  return h(
    "div",
    { class: "signed-file", id, "data-bytes": header.bytes },
    h("h4", {}, title),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "size"),
      h("dd", {}, `${num(header.bytes)} bytes, ${num(header.tokens)} record${header.tokens === 1 ? "" : "s"}${header.removed ? `, ${num(header.removed)} removed` : ""}`),
      h("dt", {}, "valid"),
      h("dd", {}, `${header.issuedAt} to ${header.expiresAt}`),
      h("dt", {}, "key id"),
      h("dd", {}, h("code", {}, header.keyId)),
      h("dt", {}, "sha-256"),
      h("dd", {}, h("code", {}, header.sha256)),
    ),
    save,
  );
}

async function sign() {
  showError($("sign-error"), "");
  const ttlHours = Number($("ttl-hours").value);
  let privateKey = droppedKey ?? $("private-key").value.trim();
  let result;
  try {
    if (!Number.isInteger(ttlHours) || ttlHours < 1) throw new Error(`valid for: expected a whole number of hours, got \`${$("ttl-hours").value}\``);
    result = await page.engine.call("sign", { privateKey, ttlSeconds: ttlHours * 3600, now: page.now() }, { label: "Signing" });
  } catch (e) {
    showError($("sign-error"), `Not signed: ${e.message}`);
    return;
  } finally {
    // Used once: the key leaves the page's memory and fields whatever happened.
    privateKey = null;
    clearKey();
  }
  const stamp = fileTime(result.full.header.issuedAt);
  const parts = [
    h("p", { class: "applied" }, "Signed in this page. Download the files and publish them as you publish bundles; the key has been cleared."),
    h(
      "div",
      { class: "columns" },
      result.delta && signedFile("signed-delta", "Delta on the loaded bundle", result.delta, `delta-${stamp}.bundle`),
      signedFile("signed-full", "Full bundle", result.full, `bundle-${stamp}.bundle`),
    ),
  ];
  if (!result.delta) parts.push(h("p", { class: "muted" }, "No delta: a delta is built on a signed bundle, and this snapshot was loaded from a state."));
  if (result.sameKeyAsBase === false) {
    parts.push(h("p", { class: "warning", id: "key-mismatch" }, "This key did not sign the loaded bundle: a worker that trusts only that bundle's key will refuse the delta."));
  }
  $("signed").replaceChildren(...parts);
  $("signed").hidden = false;
  page.setStatus("change signed: download the delta and the bundle");
}

async function act(op, args, label) {
  try {
    await page.act(op, args, label);
    showError($("change-error"), "");
    return true;
  } catch (e) {
    showError($("change-error"), e.message);
    return false;
  }
}

export function wireChange() {
  $("revoke-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await act("revoke", { ids: words($("revoke-ids").value) }, "Revoking")) $("revoke-ids").value = "";
  });
  $("undo").addEventListener("click", () => act("undo", {}, "Undoing"));
  $("discard").addEventListener("click", () => act("discard", {}, "Discarding the change"));
  $("export-changes").addEventListener("click", async () => {
    try {
      download(await page.engine.call("exportChanges", {}, { label: "Exporting" }), "changes.json");
    } catch (e) {
      showError($("change-error"), e.message);
    }
  });
  $("export-state").addEventListener("click", async () => {
    try {
      const name = `state-${fileTime(page.snapshot.info.issuedAt)}.json`;
      download(await page.engine.call("exportState", {}, { label: "Writing the new state" }), name);
    } catch (e) {
      showError($("change-error"), e.message);
    }
  });

  $("key-file").addEventListener("change", (e) => takeKey(e.target.files[0]));
  const zone = $("key-drop");
  zone.addEventListener("dragover", (e) => {
    e.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    takeKey(e.dataTransfer?.files?.[0]);
  });
  $("private-key").addEventListener("input", updateSign);
  $("sign").addEventListener("click", sign);
  // Leaving the page (or the back-forward cache) forgets a key that was not used.
  window.addEventListener("pagehide", clearKey);

  page.on("snapshot", (snapshot) => {
    showError($("change-error"), "");
    showError($("sign-error"), "");
    $("signed").hidden = true;
    $("signed").replaceChildren();
    render(snapshot);
  });
  page.on("working", (snapshot) => {
    showError($("change-error"), "");
    $("signed").hidden = true;
    $("signed").replaceChildren();
    render(snapshot);
  });
}
