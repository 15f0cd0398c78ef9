// 1. The snapshot: load a signed bundle (verified with its public key) or a state (a file, the
// demo's, or pasted), the evaluation time, and what is loaded. The engine reads everything in
// its worker; a file goes there whole, its text never sits in the page.
import { byId as $, h, num, showError } from "../dom.js";
import { page } from "../page.js";

/** A bundle file chosen and waiting for its public key. */
let pendingBundle = null;

const keepNote = () => (page.snapshot ? " The page still shows the previous snapshot." : "");

async function loadState(args, status) {
  try {
    page.update(await page.engine.call("loadState", args, { label: "Loading the state" }), "snapshot");
  } catch (e) {
    // The engine's message names the JSON path (`tokens[3].expires_at: expected ...`).
    showError($("load-error"), `The state was not loaded: ${e.message}.${keepNote()}`);
    return false;
  }
  showError($("load-error"), "");
  page.setStatus(status);
  return true;
}

async function loadBundle() {
  const key = $("public-key").value.trim();
  if (!pendingBundle) return showError($("load-error"), "Choose a bundle file first.");
  if (!key) {
    $("public-key").focus();
    return showError($("load-error"), "Enter the bundle's public key: a bundle is loaded only after its signature checks out.");
  }
  let now;
  try {
    now = page.now();
  } catch (e) {
    return showError($("load-error"), e.message);
  }
  const file = pendingBundle;
  try {
    // NOTE: the expiry is checked at the page's evaluation time, like everything else here.
    page.update(await page.engine.call("loadBundle", { file, publicKey: key, now }, { label: "Loading the bundle" }), "snapshot");
  } catch (e) {
    showError($("load-error"), e.detail?.expired ? expiredHelp(e.detail) : `The bundle was rejected: ${e.message}.${keepNote()}`);
    return;
  }
  showError($("load-error"), "");
  page.setStatus(`bundle ${file.name} verified and loaded`);
}

/** What to do about an expired bundle: name the field, and offer to fill it. */
function expiredHelp({ issuedAt, expiresAt }) {
  const retry = h("button", { type: "button", class: "small", id: "as-of-issued" }, `Evaluate as of ${issuedAt}`);
  retry.addEventListener("click", () => {
    $("as-of").value = issuedAt;
    onTime();
    loadBundle();
  });
  return [
    h("strong", {}, "This bundle has expired"),
    ` (it was valid from ${issuedAt} until ${expiresAt}). A stale bundle is refused, so a revoked token cannot live on in it. ` +
      "To look at it anyway, set ",
    h("strong", {}, "Evaluate as of"),
    " (below) to a time before it expired.",
    retry,
    keepNote().trim(),
  ];
}

/** A dropped or chosen file: a state if its text starts with `{`, else a bundle. */
async function takeFile(file) {
  if (!file) return;
  const head = new Uint8Array(await file.slice(0, 64).arrayBuffer());
  const first = head.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09 && b !== 0xef && b !== 0xbb && b !== 0xbf);
  if (first === 0x7b /* { */) {
    await loadState({ file }, `state ${file.name} loaded: unsigned, for previews`);
    return;
  }
  pendingBundle = file;
  $("bundle-name").textContent = `${file.name} (${num(file.size)} bytes)`;
  $("load-bundle").disabled = false;
  if ($("public-key").value.trim()) await loadBundle();
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

function renderInfo(snapshot) {
  const { info, source, steps } = snapshot;
  const what = source === "bundle" ? "signed bundle" : "unsigned state";
  $("source").textContent = steps.length ? `${what}, with ${steps.length} unsigned change${steps.length > 1 ? "s" : ""}` : what;
  $("source").dataset.source = steps.length ? "modified" : source;
  const value = (key, v) => {
    if (key === "bundleBytes") return v ? `${num(v)} bytes` : "—";
    if (key === "signed") return v ? "yes (Ed25519 verified)" : "no";
    return typeof v === "number" ? num(v) : String(v);
  };
  // Known fields in order, then whatever else the engine reports.
  const keys = [...Object.keys(INFO_LABELS).filter((k) => k in info), ...Object.keys(info).filter((k) => !(k in INFO_LABELS))];
  $("info").replaceChildren(...keys.flatMap((k) => [h("dt", {}, INFO_LABELS[k] ?? k), h("dd", { "data-field": k }, value(k, info[k]))]));
  $("info-box").hidden = false;
}

function onTime() {
  try {
    page.now();
    showError($("as-of-error"), "");
  } catch (e) {
    showError($("as-of-error"), e.message);
    return;
  }
  if (page.snapshot) page.emit("time");
}

async function offerDemo() {
  // The demo serves its state next to the page (`make demo`); elsewhere the button stays hidden.
  const response = await fetch("./demo/state.json", { cache: "no-store" }).catch(() => null);
  if (!response?.ok) return;
  const text = await response.text();
  $("load-demo").hidden = false;
  $("load-demo").addEventListener("click", () => loadState({ text, name: "the demo state" }, "demo state loaded: unsigned, for previews"));
}

export function wireSnapshot() {
  $("load").addEventListener("click", async () => {
    // NOTE: the pasted text goes to the worker and leaves the text box: a large state in a
    // live text box makes every keystroke slow.
    const text = $("state").value;
    if (await loadState({ text, name: "pasted state" }, "state loaded: unsigned, for previews")) $("state").value = "";
  });
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
  $("as-of").addEventListener("change", onTime);

  page.on("snapshot", renderInfo);
  page.on("working", renderInfo);
  $("load").disabled = false;
  return offerDemo();
}
