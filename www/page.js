// What the panels share: the engine (in its worker), the loaded snapshot's summary, the page's
// evaluation time, and three events:
//   "snapshot"  another snapshot was loaded: every panel starts over;
//   "working"   the working state changed (a change applied, revoked, added or undone);
//   "time"      the evaluation time changed.
import { byId as $ } from "./dom.js";

const events = new EventTarget();

/** The token kinds (DESIGN.md §2), for the pickers: resource-bound first, as the engine lists them. */
export const KINDS = [
  "repository_access_token",
  "project_access_token",
  "workspace_access_token",
  "api_token",
  "app_password",
  "personal_access_token",
  "service_account_token",
  "org_api_key",
];

export const page = {
  /** `engine.call(op, args, { label })`: see engine-client.js. Set by app.js. */
  engine: null,
  /** The worker's summary of the session (source, info, policies, changes), or null. */
  snapshot: null,

  /** Calls `listener(detail)` on each `type` event; an error it throws (or rejects with) shows in the status line. */
  on(type, listener) {
    events.addEventListener(type, (e) => {
      Promise.resolve()
        .then(() => listener(e.detail))
        .catch((error) => page.setStatus(error.message, true));
    });
  },

  emit(type, detail) {
    events.dispatchEvent(new CustomEvent(type, { detail }));
  },

  /** Takes a new summary from the worker and tells the panels. */
  update(summary, type) {
    page.snapshot = summary;
    page.emit(type, summary);
  },

  /** The evaluation time in ms: the "Evaluate as of" field, else the clock. Throws on a bad field. */
  now() {
    const text = $("as-of").value.trim();
    if (!text) return Date.now();
    const ms = Date.parse(text);
    if (!Number.isFinite(ms)) throw new Error(`evaluate as of: expected an RFC 3339 time, got \`${text}\``);
    return ms;
  },

  /**
   * A step of the change (apply, revoke, add, undo): runs `op` in the worker at the page's
   * evaluation time, then tells the panels about the new working state. Throws the engine's
   * error (nothing changed then).
   */
  async act(op, args = {}, label = "Updating the working state") {
    const summary = await page.engine.call(op, { ...args, now: page.now() }, { label });
    page.update(summary, "working");
    return summary;
  },

  setStatus(text, isError = false) {
    $("status").textContent = text;
    $("status").classList.toggle("error", isError);
  },
};
