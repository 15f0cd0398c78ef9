// The engine in a Web Worker: every call into the WebAssembly engine runs here, off the page's
// main thread, so a 100k-token state can be read, previewed and audited while the page stays
// responsive. The page talks to it through engine-client.js: `{ id, op, args }` in, `{ id,
// progress }` while working, then `{ id, ok, result | error }`. Calls run one at a time, in order.
//
// What it holds: the snapshot as loaded (`base`), the bytes of a loaded bundle (the base of a
// delta), the changes made since (a changes document, DESIGN.md §4 / docs/bundle-format.md, one
// version per step so a step can be undone) and the working engine (`base.withChanges(changes)`).
// Large results (a preview, an audit) stay here; the page asks for the page of rows it shows.
import { init, Engine, buildDelta, inspectBundle, mintToken, publicKeyOf } from "./pkg/scopegate.js";

/** Rows sent per table page. */
const ROWS = 50;
/** Owners in a preview's first "top owners" table. */
const TOP_OWNERS = 10;

const ready = init();
let session = null;

/** `2026-11-22T10:00:00Z` for a time in ms. */
const iso = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");

/** An Error carrying data for the page (`error.detail`). */
function failure(message, detail) {
  const e = new Error(message);
  e.detail = detail;
  return e;
}

function requireSession() {
  if (!session) throw new Error("no snapshot is loaded");
  return session;
}

function free(engine) {
  if (engine && engine !== session?.base && engine !== session?.working) engine.free();
}

/** A new session over `base`; the previous one (and its engines) is dropped. */
function start(base, source, name, bundleBytes = null) {
  const old = session;
  session = { base, working: base, source, name, bundleBytes, history: [], preview: null, audit: null };
  if (old) {
    for (const engine of new Set([old.base, old.working])) engine.free();
  }
  return summary();
}

/** The current changes document, or null before the first change. */
const changes = () => session.history.at(-1)?.doc ?? null;

/** What the page shows of the session: source, info, policies, the changes so far. */
function summary() {
  const s = requireSession();
  return {
    source: s.source,
    name: s.name,
    info: s.working.info(),
    policies: s.working.policies(),
    changes: changes(),
    steps: s.history.map((h) => h.label),
    canExportState: s.source === "state",
    canBuildDelta: s.bundleBytes !== null,
  };
}

/**
 * One more step of changes: `edit` turns the current document into the next one, stamped with
 * `now` as its `issued_at`. The engine applies the whole document to the loaded snapshot (as
 * the signed delta will); an error leaves everything as it was.
 */
function step(label, now, edit) {
  const s = requireSession();
  const { issued_at: _, ...rest } = edit(changes() ?? {});
  const doc = { issued_at: iso(now), ...rest };
  const working = s.base.withChanges(doc);
  const previous = s.working;
  s.history.push({ label, doc });
  s.working = working;
  s.preview = null;
  free(previous);
  return summary();
}

/** Rows `offset..offset+limit` of a list, with its length. */
function slice(list, offset = 0, limit = ROWS) {
  limit = Math.min(Math.max(1, limit), 500);
  return { total: list.length, offset, rows: list.slice(offset, offset + limit) };
}

const ops = {
  ready: () => true,

  async loadState({ file, text, name }, progress) {
    progress("reading the file");
    const json = file ? await file.text() : text;
    progress(`checking ${(json.length / 1_048_576).toFixed(1)} MB of state`);
    const engine = Engine.fromState(json); // errors name the JSON path
    return start(engine, "state", name ?? file?.name ?? "pasted state");
  },

  async loadBundle({ file, publicKey, now }, progress) {
    progress("reading the file");
    const bytes = new Uint8Array(await file.arrayBuffer());
    progress("verifying the signature");
    let engine;
    try {
      engine = Engine.load(bytes, { publicKey, now });
    } catch (e) {
      // NOTE: an expired bundle is the one failure the page can help with: it verifies, so
      // its times can be shown, with the field that gets past it.
      let header = null;
      try {
        header = inspectBundle(bytes, { publicKey });
      } catch {
        throw e;
      }
      if (header.kind === "bundle" && Date.parse(header.expiresAt) <= now) {
        throw failure(e.message, { expired: true, issuedAt: header.issuedAt, expiresAt: header.expiresAt });
      }
      throw e;
    }
    return start(engine, "bundle", file.name, bytes);
  },

  summary: () => summary(),

  estate: ({ now, weeks }) => requireSession().working.estate({ now, weeks }),

  explain: ({ request }) => requireSession().working.explain(request),

  preview({ proposal, replay, now }) {
    const s = requireSession();
    const report = s.working.preview(proposal, { replay, now });
    const owners = Object.entries(report.byOwner).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    s.preview = { report, owners, proposal, now };
    const { byOwner: _, changed, replay: r, ...counts } = report;
    return {
      ...counts,
      owners: slice(owners, 0, TOP_OWNERS),
      changed: slice(changed),
      replay: r && { ...r, flipped: slice(r.flipped) },
    };
  },

  /** More rows of the last preview or audit: `table` is `owners`, `changed`, `flipped` or `findings`. */
  rows({ table, offset, limit, kind }) {
    const s = requireSession();
    if (table === "findings") {
      if (!s.audit) throw new Error("run the audit first");
      const list = kind ? s.audit.findings.filter((f) => f.kind === kind) : s.audit.findings;
      return slice(list, offset, limit);
    }
    if (!s.preview) throw new Error("preview a change first");
    const list = { owners: s.preview.owners, changed: s.preview.report.changed, flipped: s.preview.report.replay?.flipped ?? [] }[table];
    if (!list) throw new Error(`no table \`${table}\``);
    return slice(list, offset, limit);
  },

  audit({ now, expiringWithinDays, kind }) {
    const s = requireSession();
    s.audit = s.working.audit({ now, expiringWithinDays });
    const { findings, ...rest } = s.audit;
    return { ...rest, findings: slice(kind ? findings.filter((f) => f.kind === kind) : findings) };
  },

  applyPolicies({ proposal, now }) {
    if (Object.hasOwn(proposal, "issued_at")) {
      throw new Error("a whole state can be previewed, not applied as a change: load it as the snapshot instead");
    }
    const { revoke: _r, remove: _m, upsert: _u, ...policy } = proposal;
    const keys = Object.keys(policy).join(", ");
    return step(`policy change (${keys || "nothing"})`, now, (doc) => ({ ...doc, ...policy }));
  },

  revoke({ ids, now, label }) {
    const unique = [...new Set(ids.map((id) => String(id).trim()).filter(Boolean))];
    if (unique.length === 0) throw new Error("name at least one token id to revoke");
    return step(label ?? `revoke ${unique.length === 1 ? unique[0] : `${unique.length.toLocaleString("en")} tokens`}`, now, (doc) => {
      const listed = new Set((doc.revoke ?? []).map((r) => (typeof r === "string" ? r : r.id)));
      const fresh = unique.filter((id) => !listed.has(id));
      if (fresh.length === 0) throw new Error("these tokens are revoked by this change already");
      return { ...doc, revoke: [...(doc.revoke ?? []), ...fresh] };
    });
  },

  /** Revokes every token the last preview shows going from usable to denied. */
  revokeBreaking({ now }) {
    const s = requireSession();
    if (!s.preview) throw new Error("preview a change first");
    const { proposal, report } = s.preview;
    // The preview lists 1000 tokens; ask again for all of them.
    const all = s.working.preview(proposal, { now: s.preview.now, maxListed: report.changedCount });
    const ids = all.changed.filter((c) => c.before === "ok" && c.after !== "ok").map((c) => c.id);
    if (ids.length === 0) throw new Error("the preview shows no token that stops working");
    return ops.revoke({ ids, now, label: `revoke the ${ids.length.toLocaleString("en")} tokens the preview breaks` });
  },

  upsert({ record, now }) {
    return step(`add ${record.id}`, now, (doc) => ({ ...doc, upsert: [...(doc.upsert ?? []), record] }));
  },

  undo() {
    const s = requireSession();
    if (s.history.length === 0) throw new Error("nothing to undo");
    const { label } = s.history.pop();
    const doc = changes();
    const previous = s.working;
    s.working = doc ? s.base.withChanges(doc) : s.base;
    s.preview = null;
    free(previous);
    return { ...summary(), undone: label };
  },

  discard() {
    const s = requireSession();
    const previous = s.working;
    s.history = [];
    s.working = s.base;
    s.preview = null;
    free(previous);
    return summary();
  },

  exportChanges() {
    const doc = changes();
    if (!doc) throw new Error("there is no change to export yet");
    return new Blob([JSON.stringify(doc, null, 2), "\n"], { type: "application/json" });
  },

  exportState(_, progress) {
    const s = requireSession();
    progress("writing the state");
    const state = s.working.state();
    return new Blob([JSON.stringify(state, null, 1), "\n"], { type: "application/json" });
  },

  /**
   * Signs the change: a delta on the loaded bundle (from the changes document) and a full
   * bundle of the working state. The private key is used here and dropped; it is never stored,
   * sent or returned.
   */
  sign({ privateKey, ttlSeconds, now }, progress) {
    const s = requireSession();
    let key = privateKey;
    try {
      const publicKey = publicKeyOf(key);
      // No change yet: a re-issue of the snapshot as of now.
      const doc = changes() ?? { issued_at: iso(now) };
      const working = changes() ? s.working : s.base.withChanges(doc);
      progress("signing the full bundle");
      let full;
      try {
        full = working.buildBundle(key, { ttlSeconds });
      } finally {
        if (working !== s.working) working.free();
      }
      const out = { full: { blob: new Blob([full]), header: inspectBundle(full, { publicKey }) }, delta: null };
      if (s.bundleBytes) {
        progress("signing the delta");
        const delta = buildDelta(s.bundleBytes, doc, key, { form: "changes", ttlSeconds });
        out.delta = { blob: new Blob([delta]), header: inspectBundle(delta, { publicKey }) };
        // A worker verifies a delta with the keys it trusts for its bundle: say so when this
        // key did not sign the loaded bundle.
        try {
          inspectBundle(s.bundleBytes, { publicKey });
          out.sameKeyAsBase = true;
        } catch {
          out.sameKeyAsBase = false;
        }
      }
      return out;
    } finally {
      key = null;
    }
  },

  canCreate: ({ actor, spec, now }) => requireSession().working.canCreateToken(actor, spec, { now }),

  canRevoke: ({ actor, tokenId, now }) => requireSession().working.canRevokeToken(actor, tokenId, { now }),

  mint: ({ kind }) => mintToken(kind),
};

// One call at a time, in the order they came: a later call sees what an earlier one changed.
let queue = ready;
self.addEventListener("message", ({ data }) => {
  const { id, op, args } = data;
  const progress = (phase) => self.postMessage({ id, progress: phase });
  queue = queue
    .then(async () => {
      if (!Object.hasOwn(ops, op)) throw new Error(`the engine worker has no operation \`${op}\``);
      const result = await ops[op](args ?? {}, progress);
      self.postMessage({ id, ok: true, result });
    })
    .catch((e) => self.postMessage({ id, ok: false, error: e?.message ?? String(e), detail: e?.detail }));
});
