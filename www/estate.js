// The token estate: counts by kind and an expiry timeline, and its chart (inline SVG, by hand).

import { h, svg, shortDate, iso } from "./dom.js";

const DAY = 86_400_000;
const WEEK = 7 * DAY;

/**
 * The estate summary:
 *   { source, total, byKind: { kind: n }, revoked, expired, noExpiry, weeks: [n, ...], later }
 * `weeks[i]` counts live tokens expiring in [now + i weeks, now + i + 1 weeks); `later` those
 * beyond the last week. Revoked tokens are counted once, as revoked, not on the timeline.
 *
 * NOTE: this is the one switch between sources. The engine's own summary (`engine.estate()`,
 * asked of the lead; it also covers signed bundles) wins when the package has it; until then
 * the page computes the same figures from the state JSON it loaded. A bundle without
 * `estate()` gives null: its records are inside the WebAssembly engine only.
 */
export function estateOf(engine, state, { now, weeks }) {
  if (typeof engine?.estate === "function") return { ...engine.estate({ now, weeks }), source: "engine" };
  if (state) return estateFromState(state, { now, weeks });
  return null;
}

/** The summary computed from a state document's `tokens` (declared times, as exported). */
export function estateFromState(state, { now, weeks }) {
  const summary = { source: "state", total: 0, byKind: {}, revoked: 0, expired: 0, noExpiry: 0, weeks: new Array(weeks).fill(0), later: 0 };
  for (const t of Array.isArray(state?.tokens) ? state.tokens : []) {
    summary.total += 1;
    summary.byKind[t.kind] = (summary.byKind[t.kind] ?? 0) + 1;
    const revokedAt = t.revoked_at == null ? NaN : Date.parse(t.revoked_at);
    const expiresAt = t.expires_at == null ? NaN : Date.parse(t.expires_at);
    if (revokedAt <= now) summary.revoked += 1;
    else if (t.expires_at == null) summary.noExpiry += 1;
    else if (expiresAt <= now) summary.expired += 1;
    else {
      const week = Math.floor((expiresAt - now) / WEEK);
      if (week < weeks) summary.weeks[week] += 1;
      else summary.later += 1;
    }
  }
  return summary;
}

/** The bars of the timeline, left to right. */
function bars(summary, now) {
  const weeks = summary.weeks.map((count, i) => {
    const from = now + i * WEEK;
    return {
      key: `week-${i + 1}`,
      label: shortDate(from),
      count,
      kind: i < 4 ? "soon" : "week",
      title: `${count} expiring in week ${i + 1} (${shortDate(from)} – ${shortDate(from + WEEK - DAY)})`,
    };
  });
  return [
    { key: "expired", label: "expired", count: summary.expired, kind: "expired", title: `${summary.expired} expired` },
    ...weeks,
    { key: "later", label: "later", count: summary.later, kind: "later", title: `${summary.later} expiring after week ${summary.weeks.length}` },
    { key: "no-expiry", label: "no expiry", count: summary.noExpiry, kind: "none", title: `${summary.noExpiry} never expiring` },
  ];
}

/** A round step for the y axis: 1, 2, 5, 10, 20, 50, ... */
function niceStep(max) {
  const rough = Math.max(1, max / 4);
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough);
}

/** The expiry timeline as an SVG bar chart, with an accessible table of the same figures. */
export function timelineChart(summary, now) {
  const data = bars(summary, now);
  const max = Math.max(1, ...data.map((b) => b.count));
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const slot = 34;
  const left = 36;
  const plot = { x: left, y: 16, w: data.length * slot, h: 150 };
  const width = plot.x + plot.w + 8;
  const height = plot.y + plot.h + 46;
  const y = (v) => plot.y + plot.h - (v / top) * plot.h;
  // Label every bar when there is room, else every few weeks (the ends always).
  const every = Math.ceil(data.length / 18);

  const grid = [];
  for (let v = 0; v <= top; v += step) {
    grid.push(
      svg("line", { x1: plot.x, x2: plot.x + plot.w, y1: y(v), y2: y(v), class: v ? "grid" : "axis" }),
      svg("text", { x: plot.x - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, String(v)),
    );
  }
  const rects = data.map((b, i) => {
    const x = plot.x + i * slot + 5;
    const barH = plot.h * (b.count / top);
    const showLabel = i === 0 || i >= data.length - 2 || (i - 1) % every === 0;
    return svg(
      "g",
      { class: `bar ${b.kind}`, "data-key": b.key, "data-count": b.count },
      svg("title", {}, b.title),
      svg("rect", { x, y: plot.y + plot.h - barH, width: slot - 10, height: Math.max(barH, 0), rx: 2 }),
      b.count > 0 && svg("text", { x: x + (slot - 10) / 2, y: plot.y + plot.h - barH - 4, class: "count", "text-anchor": "middle" }, String(b.count)),
      showLabel &&
        svg(
          "text",
          { x: x + (slot - 10) / 2, y: plot.y + plot.h + 14, class: "label", "text-anchor": "end", transform: `rotate(-35 ${x + (slot - 10) / 2} ${plot.y + plot.h + 14})` },
          b.label,
        ),
    );
  });
  const total = data.reduce((n, b) => n + b.count, 0);
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-labelledby": "timeline-title timeline-desc", class: "timeline" },
    svg("title", { id: "timeline-title" }, "Token expiry timeline"),
    svg("desc", { id: "timeline-desc" }, `${total} live or expired tokens: ${data.filter((b) => b.count).map((b) => b.title).join("; ") || "none"}`),
    grid,
    rects,
  );
  const details = h(
    "details",
    {},
    h("summary", {}, "The chart's figures as a table"),
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "when"), h("th", { scope: "col", class: "num" }, "tokens"))),
      h("tbody", {}, data.map((b) => h("tr", {}, h("td", {}, b.title.replace(/^\d+ /, "")), h("td", { class: "num" }, String(b.count))))),
    ),
  );
  const legend = h(
    "ul",
    { class: "legend", "aria-hidden": "true" },
    h("li", { class: "expired" }, "expired"),
    h("li", { class: "soon" }, "within 4 weeks"),
    h("li", { class: "week" }, "later weeks"),
    h("li", { class: "later" }, `after week ${summary.weeks.length}`),
    h("li", { class: "none" }, "no expiry"),
  );
  return h(
    "figure",
    { class: "chart" },
    h("div", { class: "scroll" }, chart),
    h("figcaption", { class: "muted" }, legend, `Live tokens by the week they expire in, weeks from ${iso(now)}; revoked tokens are left out. `, details),
  );
}
