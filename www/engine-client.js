// The page's side of engine-worker.js: `engine.call(op, args)` is a promise of the result (or
// of an `Error`, with the worker's `detail`), and the busy indicator shows what is running, its
// latest step and for how long, while the page stays usable.
import { byId as $ } from "./dom.js";

/** Starts the worker; `onCrash(message)` hears when it cannot run at all. */
export function startEngine({ onCrash }) {
  const worker = new Worker(new URL("./engine-worker.js", import.meta.url), { type: "module" });
  const pending = new Map();
  let next = 1;
  let ticker = null;

  function renderBusy() {
    const box = $("busy");
    const running = [...pending.values()];
    document.body.toggleAttribute("aria-busy", running.length > 0);
    if (running.length === 0) {
      box.hidden = true;
      clearInterval(ticker);
      ticker = null;
      return;
    }
    const first = running[0];
    const seconds = (performance.now() - first.started) / 1000;
    $("busy-text").textContent = first.phase ? `${first.label}: ${first.phase}` : first.label;
    $("busy-time").textContent = seconds >= 0.5 ? `${seconds.toFixed(1)} s` : "";
    // NOTE: quick calls (a simulated request) finish before the indicator would flash.
    box.hidden = seconds < 0.15;
    ticker ??= setInterval(renderBusy, 200);
  }

  worker.addEventListener("message", ({ data }) => {
    const call = pending.get(data.id);
    if (!call) return;
    if ("progress" in data) {
      call.phase = data.progress;
      renderBusy();
      return;
    }
    pending.delete(data.id);
    renderBusy();
    if (data.ok) call.resolve(data.result);
    else call.reject(Object.assign(new Error(data.error), { detail: data.detail }));
  });
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    const message = event.message || "the engine's worker could not start";
    for (const call of pending.values()) call.reject(new Error(message));
    pending.clear();
    renderBusy();
    onCrash(message);
  });

  /** Runs `op` in the worker; `label` is what the busy indicator says while it runs. */
  function call(op, args = {}, { label = "working" } = {}) {
    const id = next++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject, label, phase: "", started: performance.now() });
      worker.postMessage({ id, op, args });
      renderBusy();
    });
  }

  return { call };
}
