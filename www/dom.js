// Small DOM helpers for the admin page: build elements and tables without innerHTML, so
// nothing from a state, a bundle or an error message is ever parsed as markup.

/** `document.getElementById`, failing loudly on a typo in the page's ids. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`the page has no #${id}`);
  return node;
}

/**
 * `h("td", { class: "num", "data-kind": k }, "text", child)`: an element with attributes
 * (`false`/`null`/`undefined` values are left out) and children (strings become text).
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  node.append(...children.flat().filter((c) => c != null && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

/** The same, in the SVG namespace. */
export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    node.setAttribute(name, String(value));
  }
  node.append(...children.flat().filter((c) => c != null && c !== false).map((c) => (c instanceof Node ? c : String(c))));
  return node;
}

/**
 * A table: `columns` are `{ label, cell: (row) => string | Node, num?: true }`; `rowAttrs(row)`
 * gives attributes for each `<tr>` (`data-*` hooks for filters and tests).
 */
export function table({ caption, columns, rows, rowAttrs = () => ({}), empty = "nothing to show" }) {
  const head = h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num && "num" }, c.label))));
  const body = h(
    "tbody",
    {},
    rows.length
      ? rows.map((row) => h("tr", rowAttrs(row), columns.map((c) => h("td", { class: c.num && "num" }, c.cell(row)))))
      : h("tr", { class: "empty" }, h("td", { colspan: columns.length }, empty)),
  );
  return h("table", {}, caption && h("caption", {}, caption), head, body);
}

/** `{ name: count }` as a two-column table, largest first. */
export function countTable(caption, label, counts, attr) {
  const rows = Object.entries(counts ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return table({
    caption,
    columns: [
      { label, cell: ([name]) => h("code", {}, name) },
      { label: "tokens", cell: ([, n]) => String(n), num: true },
    ],
    rows,
    rowAttrs: ([name, n]) => ({ [`data-${attr}`]: name, "data-count": n }),
  });
}

/** Shows `message` in an alert box (or hides the box when `message` is empty). */
export function showError(box, message) {
  box.textContent = message ?? "";
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
