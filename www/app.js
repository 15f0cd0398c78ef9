// The admin page (DESIGN.md §6): load a signed bundle or a state, see the token estate, edit
// policies and preview their impact, act on a change (apply, revoke, add a minted token, undo;
// export it; sign it into a delta and a bundle), simulate a request and read its trace, audit,
// ask the token-management questions, and mint a token. The engine runs in a Web Worker
// (engine-worker.js); each panel is a module under panels/. Nothing the page is given (state,
// bundle, key, token) is sent anywhere or stored.
import { byId as $, h } from "./dom.js";
import { startEngine } from "./engine-client.js";
import { KINDS, page } from "./page.js";
import { wireAudit } from "./panels/audit.js";
import { wireChange } from "./panels/change.js";
import { wireEstate } from "./panels/estate.js";
import { wireMint } from "./panels/mint.js";
import { wirePermissions } from "./panels/permissions.js";
import { wirePolicies } from "./panels/policies.js";
import { wireSimulate } from "./panels/simulate.js";
import { wireSnapshot } from "./panels/snapshot.js";

async function main() {
  page.engine = startEngine({ onCrash: (message) => page.setStatus(`the engine stopped: ${message}`, true) });
  for (const select of document.querySelectorAll("select.kinds")) select.replaceChildren(...KINDS.map((k) => h("option", {}, k)));
  // A file dropped beside a drop zone must not navigate away from the page (and its state).
  for (const type of ["dragover", "drop"]) window.addEventListener(type, (e) => e.preventDefault());
  page.on("snapshot", () => {
    document.body.dataset.loaded = page.snapshot.source;
    for (const note of document.querySelectorAll(".needs-engine")) note.hidden = true;
  });
  wireEstate();
  wirePolicies();
  wireChange();
  wireSimulate();
  wireAudit();
  wirePermissions();
  wireMint();
  const demo = wireSnapshot();
  // The worker answers once its .wasm is instantiated: the first call waits for it.
  await page.engine.call("ready", {}, { label: "Loading the engine" });
  await demo;
  page.setStatus("ready: the engine runs in this page (WebAssembly, in a worker)");
  document.body.dataset.ready = "true";
}

main().catch((e) => page.setStatus(`the engine failed to load: ${e.message}`, true));
