// The admin page: loads the package in the browser, decides simulated requests, mints tokens.
// Everything runs locally in WebAssembly; no token or state leaves the page.
import { init, Engine, mintToken } from "./pkg/scopegate.js";

const $ = (id) => document.getElementById(id);
let engine = null;

function setStatus(text, isError = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", isError);
}

function loadState(text) {
  try {
    const next = Engine.fromState(text);
    engine?.free();
    engine = next;
    const i = engine.info();
    $("info").textContent =
      `${i.tokens} tokens, ${i.principals} principals, ${i.repositories} repositories, ` +
      `${i.policies} policies · profile ${i.profile} · issued ${i.issuedAt}`;
    $("info").classList.remove("error");
    $("check").disabled = false;
  } catch (e) {
    $("info").textContent = e.message; // names the JSON path of the problem
    $("info").classList.add("error");
  }
}

function showDecision({ decision: d, steps }) {
  const box = $("decision");
  box.hidden = false;
  box.dataset.effect = d.effect;
  box.dataset.reason = d.reason;
  box.replaceChildren();
  const head = document.createElement("div");
  head.className = "reason";
  head.textContent = `${d.effect.toUpperCase()} · ${d.reason}`;
  const message = document.createElement("p");
  message.textContent = d.message;
  box.append(head, message);
  const facts = [
    d.token && `token ${d.token.id} (${d.token.kind})`,
    d.required && `required: ${d.required.anyOf.map((s) => s.join(" + ")).join(" or ") || "nothing"}`,
    d.granted && `granted: ${d.granted.join(", ") || "none"}`,
    d.policy && `policy: ${d.policy}`,
    d.clientIp && `client ip: ${d.clientIp}`,
  ].filter(Boolean);
  if (facts.length) {
    const p = document.createElement("p");
    p.className = "muted";
    p.textContent = facts.join(" · ");
    box.append(p);
  }
  $("steps").replaceChildren(
    ...steps.map((s) => {
      const li = document.createElement("li");
      li.className = s.ok ? "ok" : "stop";
      li.textContent = `${s.step}: ${s.detail}`;
      return li;
    }),
  );
}

function check(event) {
  event.preventDefault();
  if (!engine) return;
  const token = $("token").value.trim();
  try {
    showDecision(
      engine.explain({
        method: $("method").value,
        url: $("url").value.trim(),
        headers: token ? { authorization: `Bearer ${token}` } : {},
        remoteAddr: $("remote").value.trim() || undefined,
      }),
    );
  } catch (e) {
    setStatus(e.message, true);
  }
}

function mint() {
  const minted = mintToken($("kind").value);
  $("minted").hidden = false;
  $("minted-token").textContent = minted.token;
  $("minted-sha256").textContent = minted.sha256;
}

async function main() {
  await init();
  $("load").addEventListener("click", () => loadState($("state").value));
  $("check-form").addEventListener("submit", check);
  $("mint").addEventListener("click", mint);
  $("mint").disabled = false;
  // The demo serves its state next to the page; elsewhere there is none and the button stays hidden.
  const demo = await fetch("./demo/state.json").catch(() => null);
  if (demo?.ok) {
    const text = await demo.text();
    $("load-demo").hidden = false;
    $("load-demo").addEventListener("click", () => {
      $("state").value = JSON.stringify(JSON.parse(text), null, 2);
      loadState(text);
    });
  }
  setStatus("ready: the engine runs in this page (WebAssembly)");
  document.body.dataset.ready = "true";
}

main().catch((e) => setStatus(`the engine failed to load: ${e.message}`, true));
