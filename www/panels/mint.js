// 8. Mint a token in the browser (shown once, with its digest), and add its record to the
// working state as a step of the change.
import { byId as $, iso, showError, words } from "../dom.js";
import { page } from "../page.js";

/** The digest and kind of the token on screen (never the token itself outside its element). */
let minted = null;

async function mint() {
  const kind = $("kind").value;
  let result;
  try {
    result = await page.engine.call("mint", { kind }, { label: "Minting" });
  } catch (e) {
    page.setStatus(e.message, true);
    return;
  }
  // NOTE: the token lives only in this element's text: never in an input (browsers restore
  // those), storage or the URL; Clear and leaving the page wipe it.
  $("minted-token").textContent = result.token;
  $("minted-sha256").textContent = result.sha256;
  minted = { kind, sha256: result.sha256 };
  $("copy-note").textContent = "";
  $("minted").hidden = false;
  $("record-form").hidden = !page.snapshot;
  // A new token gets a new id and label; who it belongs to often stays the same.
  $("m-id").value = "";
  $("m-label").value = "";
  showError($("record-error"), "");
  $("copy-token").focus();
}

function clearMinted() {
  minted = null;
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

/** The minted token's record, as a state's `tokens` holds it (the engine checks it). */
function record(now) {
  const value = (id) => $(id).value.trim() || undefined;
  const scopes = words($("m-scopes").value);
  return {
    id: value("m-id") ?? "",
    kind: minted.kind,
    secret_sha256: minted.sha256,
    label: value("m-label"),
    principal: value("m-principal"),
    resource: value("m-resource"),
    scopes: scopes.length ? scopes : undefined,
    created_at: iso(now),
    expires_at: value("m-expires") ?? null,
    created_by: value("m-created-by"),
  };
}

async function addRecord(event) {
  event.preventDefault();
  if (!minted) return;
  try {
    const rec = record(page.now());
    await page.act("upsert", { record: rec }, "Adding the token");
    showError($("record-error"), "");
    page.setStatus(`token ${rec.id} added to the working state (unsigned): see Change`);
    $("record-form").hidden = true;
  } catch (e) {
    // Engine errors name the field: `upsert[0].principal: unknown principal "u-x"`.
    showError($("record-error"), `Not added: ${e.message}`);
  }
}

export function wireMint() {
  $("mint-button").addEventListener("click", mint);
  $("copy-token").addEventListener("click", copyToken);
  $("clear-token").addEventListener("click", clearMinted);
  $("record-form").addEventListener("submit", addRecord);
  // Leaving the page (or putting it in the back-forward cache) wipes a minted token.
  window.addEventListener("pagehide", clearMinted);
  page.on("snapshot", () => ($("record-form").hidden = !minted));
  $("mint-button").disabled = false;
}
