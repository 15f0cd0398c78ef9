// The two ways a command fails, both exit 2 (js/cli/main.js): bad usage (the message, and a
// pointer to --help) and bad input (the message names the file, then the JSON path).

/** Bad usage: a missing or unknown option, a value of the wrong form. */
export class UsageError extends Error {}

/** Bad input: a file that is missing, unreadable, or whose content the engine refuses. */
export class InputError extends Error {}

/**
 * Runs `fn`; an engine error it throws becomes an InputError prefixed with `where` (a file
 * name), or kept as it is with `{ prefix: false }` (messages that name their file and line).
 */
export function at(where, fn, { prefix = true } = {}) {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputError) throw e;
    throw new InputError(prefix ? `${where}: ${e.message}` : e.message);
  }
}

/** Exit codes scripts can use. */
export const EXIT = { ok: 0, deny: 1, usage: 2, defer: 3 };

/** The exit code of a decision: 0 allow, 1 deny, 3 defer. */
export const exitFor = (d) => (d.effect === "allow" ? EXIT.ok : d.effect === "defer" ? EXIT.defer : EXIT.deny);
