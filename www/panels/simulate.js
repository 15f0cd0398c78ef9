// 5. Simulate a request against the working state and read the engine's decision and trace.
import { byId as $, h, showError, table } from "../dom.js";
import { page } from "../page.js";

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
  const now = at ? Date.parse(at) : page.now();
  if (!Number.isFinite(now)) throw new Error(`time: expected an RFC 3339 time, got \`${at}\``);
  return { method: $("method").value, url: $("url").value.trim(), headers, remoteAddr: $("remote").value.trim() || undefined, now };
}

async function check(event) {
  event.preventDefault();
  if (!page.snapshot) return;
  let explanation;
  try {
    explanation = await page.engine.call("explain", { request: requestFromForm() }, { label: "Deciding the request" });
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
  const caption = "Trace: the pipeline's steps, in order (the decision names the one that decided)";
  const trace = table({
      columns: [
        { label: "#", cell: (s) => String(steps.indexOf(s) + 1), num: true },
        { label: "step", cell: (s) => h("code", {}, s.step) },
        { label: "result", cell: (s) => h("span", { class: s.ok ? "pass" : "fail" }, s.ok ? "✓ passed" : "✗ failed") },
        { label: "detail", cell: (s) => s.detail, class: "wrap" },
      ],
      rows: steps,
      rowAttrs: (s) => ({ class: s.ok ? "ok" : "fail", "data-step": s.step }),
  });
  trace.setAttribute("aria-label", caption);
  // The trace scrolls inside its box: a long detail never widens the page.
  $("steps").replaceChildren(h("p", { class: "caption" }, caption), h("div", { class: "scroll" }, trace));
}

function reset() {
  $("check-fields").disabled = false;
  $("decision").hidden = true;
  $("decision").replaceChildren();
  delete $("decision").dataset.reason;
  $("steps").replaceChildren();
  showError($("check-error"), "");
}

export function wireSimulate() {
  $("check-form").addEventListener("submit", check);
  $("scheme").addEventListener("change", () => {
    $("username-box").hidden = $("scheme").value !== "basic";
    $("token").disabled = $("scheme").value === "none";
  });
  page.on("snapshot", reset);
  // A decision made against the state before a change no longer says what happens now.
  page.on("working", reset);
}
