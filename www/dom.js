// Small DOM helpers for the admin page: build elements and tables without innerHTML, so
// nothing from a state, a bundle or an error message is ever parsed as markup.

/** `document.getElementById`, failing loudly on a typo in the page's ids. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}

function fill(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((c) => c != null && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

/**
 * `h("td", { class: "num", "data-kind": k }, "text", child)`: an element with attributes
 * (`false`/`null`/`undefined` values are left out) and children (strings become text).
 */
export function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** The same, in the SVG namespace. */
export function svg(tag, attrs = {}, ...children) {
  return fill(document.createElementNS("http://www.w3.org/2000/svg", tag), attrs, children);
}

/** A number for people: `12,345`. */
export const num = (n) => Number(n).toLocaleString("en");

/** One `<tr>` of a table's `columns` (`{ label, cell: (row) => string | Node, num?: true }`). */
function rowOf(columns, rowAttrs, row) {
  return h("tr", rowAttrs(row), columns.map((c) => h("td", { class: c.num ? "num" : c.class }, c.cell(row))));
}

/**
 * A table: `columns` are `{ label, cell: (row) => string | Node, num?: true }`; `rowAttrs(row)`
 * gives attributes for each `<tr>` (`data-*` hooks for filters and tests).
 */
export function table({ caption, columns, rows, rowAttrs = () => ({}), empty = "nothing to show" }) {
  const head = h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : c.class }, c.label))));
  const body = h(
    "tbody",
    {},
    rows.length ? rows.map((row) => rowOf(columns, rowAttrs, row)) : h("tr", { class: "empty" }, h("td", { colspan: columns.length }, empty)),
  );
  return h("table", {}, caption && h("caption", {}, caption), head, body);
}

/**
 * A long table shown a page at a time: `first` is `{ total, rows }` (the first page), and
 * "Show more" asks `more(offset, pageSize)` for the next `{ rows }`. The table scrolls inside
 * its box.
 */
export function pagedTable({ id, caption, columns, first, more, rowAttrs = () => ({}), empty, pageSize = 50 }) {
  const t = table({ columns, rows: first.rows, rowAttrs, empty });
  t.setAttribute("aria-label", caption);
  const body = t.tBodies[0];
  let shown = first.rows.length;
  const count = h("span", { class: "muted", "data-shown": shown, "data-total": first.total });
  const button = h("button", { type: "button", class: "secondary small" });
  const update = () => {
    count.dataset.shown = shown;
    count.textContent = shown < first.total ? `showing ${num(shown)} of ${num(first.total)}` : first.total > 0 ? `all ${num(first.total)}` : "";
    button.hidden = shown >= first.total;
    button.textContent = `Show ${num(Math.min(pageSize, first.total - shown))} more`;
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const page = await more(shown, pageSize);
      body.append(...page.rows.map((row) => rowOf(columns, rowAttrs, row)));
      shown += page.rows.length;
    } finally {
      button.disabled = false;
      update();
    }
  });
  update();
  // NOTE: the title sits above the scrolling box, so a wide table does not push it out of view.
  return h("div", { class: "table-box", id }, h("p", { class: "caption" }, caption), h("div", { class: "scroll" }, t), h("div", { class: "pager" }, count, button));
}

/** `{ name: count }` as a two-column table, largest first. */
export function countTable(caption, label, counts, attr) {
  const rows = Object.entries(counts ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return table({
    caption,
    columns: [
      { label, cell: ([name]) => h("code", {}, name) },
      { label: "tokens", cell: ([, n]) => num(n), num: true },
    ],
    rows,
    rowAttrs: ([name, n]) => ({ [`data-${attr}`]: name, "data-count": n }),
  });
}

/** A figure with a label: `<div class="stat" data-count>`. */
export function stat(label, value, id) {
  return h("div", { class: "stat", id, "data-count": value }, h("span", { class: "value" }, num(value)), h("span", { class: "label" }, label));
}

/** A reason code, green for `ok`. */
export const reasonCode = (reason) => h("code", { class: reason === "ok" ? "reason ok" : "reason bad" }, reason);

/** Shows `message` in an alert box (or hides the box when `message` is empty). */
export function showError(box, message) {
  box.replaceChildren(...[message ?? ""].flat());
  box.hidden = !message;
}

/** `2026-11-22T10:00:00Z` for a time in ms; "" for none. */
export function iso(ms) {
  if (ms == null || !Number.isFinite(ms)) return "";
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** A short date for labels: `23 Nov`. */
export function shortDate(ms) {
  return new Date(ms).toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
}

/** Saves `blob` as `name` through the browser's downloads: nothing leaves the machine. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // NOTE: revoked later, not at once: the download starts after this task.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Words from a text field: `a, b c` -> `["a", "b", "c"]`. */
export const words = (text) => String(text).split(/[\s,]+/).filter(Boolean);
