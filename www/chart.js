// The expiry timeline: live tokens by the week they expire in, as the engine counts them
// (`engine.estate()`: week 1 is (now, now + 7 days]). An inline SVG drawn at the width of its
// box, so its labels stay readable from 4 to 52 weeks and on a phone. Expired, later, no-expiry
// and revoked tokens are bars of their own, beside the weeks, on their own scale: a large
// expired count cannot flatten the weekly bars.
import { h, num, shortDate, svg } from "./dom.js";

const DAY = 86_400_000;
const WEEK = 7 * DAY;

/** A round step for the y axis: 1, 2, 5, 10, 20, 50, ... */
function niceStep(max) {
  const rough = Math.max(1, max / 4);
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough);
}

/** The weekly bars as an SVG of `width` px. */
function weeklyChart(weeks, now, width) {
  const max = Math.max(1, ...weeks);
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  // Room for the widest tick label (about 7 px a digit at 11 px) and the axis labels below.
  const left = 14 + 7 * num(top).length;
  const plot = { x: left, y: 14, w: Math.max(60, width - left - 8), h: 150 };
  const height = plot.y + plot.h + 40;
  const slot = plot.w / weeks.length;
  const gap = slot > 8 ? Math.min(6, slot * 0.2) : 1;
  const y = (v) => plot.y + plot.h - (v / top) * plot.h;
  // A date label every `every` weeks, at least 56 px apart.
  const every = Math.max(1, Math.ceil(56 / slot));

  const grid = [];
  for (let v = 0; v <= top; v += step) {
    grid.push(
      svg("line", { x1: plot.x, x2: plot.x + plot.w, y1: y(v), y2: y(v), class: v ? "grid" : "axis" }),
      svg("text", { x: plot.x - 6, y: y(v) + 4, class: "tick", "text-anchor": "end" }, num(v)),
    );
  }
  const bars = weeks.map((count, i) => {
    const from = now + i * WEEK;
    const x = plot.x + i * slot + gap / 2;
    const barH = (count / top) * plot.h;
    const title = `${num(count)} expiring in week ${i + 1} (${shortDate(from)} – ${shortDate(from + WEEK)})`;
    const label = i % every === 0 && i * slot + 40 <= plot.w + 8;
    return svg(
      "g",
      { class: `bar ${i < 4 ? "soon" : "week"}`, "data-key": `week-${i + 1}`, "data-count": count },
      svg("title", {}, title),
      svg("rect", { x, y: plot.y + plot.h - barH, width: Math.max(1, slot - gap), height: barH, rx: slot > 8 ? 2 : 0 }),
      count > 0 && slot >= 22 && svg("text", { x: x + (slot - gap) / 2, y: plot.y + plot.h - barH - 4, class: "count", "text-anchor": "middle" }, num(count)),
      label && svg("line", { x1: plot.x + i * slot, x2: plot.x + i * slot, y1: plot.y + plot.h, y2: plot.y + plot.h + 4, class: "axis" }),
      label && svg("text", { x: plot.x + i * slot, y: plot.y + plot.h + 17, class: "label", "text-anchor": "start" }, shortDate(from)),
    );
  });
  return svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-labelledby": "timeline-title", class: "timeline" },
    svg("title", { id: "timeline-title" }, `Live tokens expiring in each of the next ${weeks.length} weeks`),
    grid,
    bars,
    svg("text", { x: plot.x, y: height - 6, class: "label" }, "week starting"),
  );
}

/** The other counts, each a bar on its own scale (the largest of them fills the row). */
function otherBars(estate, weeks) {
  const rows = [
    { key: "expired", label: "expired", count: estate.expired, kind: "expired" },
    { key: "later", label: `after week ${weeks}`, count: estate.later, kind: "later" },
    { key: "no-expiry", label: "no expiry", count: estate.noExpiry, kind: "none" },
    { key: "revoked", label: "revoked", count: estate.revoked, kind: "revoked" },
  ];
  const max = Math.max(1, ...rows.map((r) => r.count));
  return h(
    "ul",
    { class: "buckets", "aria-label": "Tokens outside the weekly timeline" },
    rows.map((r) =>
      h(
        "li",
        { class: `bucket ${r.kind}`, "data-key": r.key, "data-count": r.count },
        h("span", { class: "bucket-label" }, r.label),
        h("span", { class: "bucket-bar" }, h("span", { class: "fill", "data-width": Math.round((100 * r.count) / max) })),
        h("span", { class: "bucket-count" }, num(r.count)),
      ),
    ),
  );
}

/** The timeline for an `estate` at `now`, `width` px wide, with a table of the same figures. */
export function timelineChart(estate, now, width) {
  const chart = weeklyChart(estate.weeks, now, width);
  const others = otherBars(estate, estate.weeks.length);
  // NOTE: widths are set through the CSSOM: the page's CSP allows no inline style attributes.
  for (const fill of others.querySelectorAll(".fill")) fill.style.width = `${fill.dataset.width}%`;
  const figures = [
    ...estate.weeks.map((n, i) => [`week ${i + 1} (from ${shortDate(now + i * WEEK)})`, n]),
    ["after the last week", estate.later],
    ["expired", estate.expired],
    ["no expiry", estate.noExpiry],
    ["revoked", estate.revoked],
  ];
  return h(
    "figure",
    { class: "chart" },
    h("h4", {}, `Live tokens expiring, week by week (next ${estate.weeks.length} weeks)`),
    h("div", { class: "chart-weeks" }, chart),
    h("h4", {}, "Outside the weekly timeline"),
    others,
    h(
      "figcaption",
      { class: "muted" },
      h(
        "ul",
        { class: "legend", "aria-hidden": "true" },
        h("li", { class: "soon" }, "within 4 weeks"),
        h("li", { class: "week" }, "later weeks"),
      ),
      "Week 1 ends 7 days from the evaluation time. The bars under the chart have their own scale. ",
      h(
        "details",
        {},
        h("summary", {}, "The figures as a table"),
        h(
          "table",
          {},
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "when"), h("th", { scope: "col", class: "num" }, "tokens"))),
          h("tbody", {}, figures.map(([when, n]) => h("tr", {}, h("td", {}, when), h("td", { class: "num" }, num(n))))),
        ),
      ),
    ),
  );
}
