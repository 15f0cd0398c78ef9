// 2. The token estate: counts by kind and the expiry timeline, as the engine counts them
// (`engine.estate()`), for the working state at the page's evaluation time.
import { timelineChart } from "../chart.js";
import { byId as $, countTable, h, num } from "../dom.js";
import { page } from "../page.js";

let last = null;

async function render() {
  if (!page.snapshot) return;
  let now;
  try {
    now = page.now();
  } catch {
    return; // the as-of field shows its own error
  }
  const weeks = Number($("weeks").value);
  const estate = await page.engine.call("estate", { now, weeks }, { label: "Counting the estate" });
  last = { estate, now };
  $("estate-body").hidden = false;
  const live = estate.total - estate.revoked - estate.expired;
  $("estate-totals").replaceChildren(
    h("strong", { id: "estate-total", "data-count": estate.total }, `${num(estate.total)} tokens`),
    `: ${num(live)} live, ${num(estate.revoked)} revoked, ${num(estate.expired)} expired`,
  );
  $("kinds").replaceChildren(countTable("Tokens by kind", "kind", estate.byKind, "kind"));
  draw();
}

/** The chart at its box's width (again when the box is resized). */
function draw() {
  if (!last) return;
  const box = $("timeline");
  const width = Math.max(240, Math.floor(box.clientWidth));
  box.replaceChildren(timelineChart(last.estate, last.now, width));
  box.dataset.width = width;
}

export function wireEstate() {
  $("weeks").addEventListener("change", render);
  for (const type of ["snapshot", "working", "time"]) page.on(type, render);
  // Redraw when the box changes width (a window resize, a phone turned), not on every frame.
  let pending = 0;
  new ResizeObserver(() => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(() => {
      if (last && Number($("timeline").dataset.width) !== Math.max(240, Math.floor($("timeline").clientWidth))) draw();
    });
  }).observe($("timeline"));
}
