// Progress on stderr for the slow commands (a big `build` or `delta`): one bar over every step
// (reading the file, then the engine's parse, check, sort, encode and sign), redrawn in place
// on a terminal; off a terminal (`--progress`), one line per finished step.

/**
 * A progress display over `steps` ([{ id, label, weight }]; weights are the share of the
 * whole each step usually takes). `update(id, done, total)` moves within a step and finishes
 * the ones before it; `finish()` ends the last one.
 */
export function makeProgress(enabled, steps, { stream = process.stderr, clock = () => performance.now() } = {}) {
  const tty = Boolean(stream.isTTY);
  const totalWeight = steps.reduce((sum, s) => sum + s.weight, 0) || 1;
  let index = -1;
  let started = 0;
  let lastDraw = -Infinity;
  let label = "";
  const write = (s) => stream.write(s);
  const elapsed = () => `${((clock() - started) / 1000).toFixed(1)} s`;

  const endStep = () => {
    if (index < 0 || index >= steps.length || label === "") return;
    if (!tty) write(`${label}: done in ${elapsed()}\n`);
    label = "";
  };
  const draw = (fraction, force) => {
    if (!tty) return;
    const now = clock();
    if (!force && now - lastDraw < 50) return;
    lastDraw = now;
    const before = steps.slice(0, index).reduce((sum, s) => sum + s.weight, 0);
    const ratio = Math.min(1, (before + fraction * (steps[index]?.weight ?? 0)) / totalWeight);
    const width = 30;
    const fill = Math.round(ratio * width);
    write(`\r\x1b[K[${"#".repeat(fill)}${"-".repeat(width - fill)}] ${String(Math.floor(ratio * 100)).padStart(3)}%  ${label}`);
  };

  return {
    /** Moves to step `id` (finishing the ones before it) and to `done` of `total` within it. */
    update(id, done = 0, total = 0, detail = undefined) {
      if (!enabled) return;
      const at = steps.findIndex((s) => s.id === id);
      if (at < 0) return;
      if (at !== index) {
        endStep();
        index = at;
        started = clock();
        lastDraw = -Infinity;
      }
      label = detail ? `${steps[at].label} ${detail}` : steps[at].label;
      draw(total > 0 ? Math.min(1, done / total) : 0, done === 0);
    },
    /** Ends the display: the bar at 100% on a terminal, the last step's line elsewhere. */
    finish() {
      if (!enabled) return;
      if (tty && index >= 0) {
        index = steps.length;
        draw(0, true);
        write(`\r\x1b[K`);
      }
      endStep();
      index = steps.length;
    },
  };
}

export const mb = (bytes) => (bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : bytes >= 1e3 ? `${(bytes / 1e3).toFixed(1)} KB` : `${bytes} B`);
