// The command line's driver: arguments, the command table, output, and exit codes. Each
// command is a module under ./commands/; they all run on the engine through ../scopegate.js.

import { readFileSync } from "node:fs";

import { init } from "../scopegate.js";

import { parseArgs, parseTime } from "./args.js";
import { EXIT, UsageError } from "./errors.js";
import { USAGE } from "./usage.js";
import { adminCommands } from "./commands/admin.js";
import { bundleCommands } from "./commands/bundles.js";
import { decideCommands } from "./commands/decide.js";
import { keyCommands } from "./commands/keys.js";

/** Every command: `{ usage, run(context) -> exit code }`. */
const COMMANDS = { ...keyCommands, ...bundleCommands, ...decideCommands, ...adminCommands };

/** Runs the command line `argv`; resolves to the exit code. */
export async function main(argv) {
  const opts = parseArgs(argv);
  if (opts.version) {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
    console.log(pkg.version);
    return EXIT.ok;
  }
  const [name, ...args] = opts.positional;
  if (opts.help || !name) {
    console.log(USAGE);
    return opts.help ? EXIT.ok : EXIT.usage;
  }
  if (!Object.hasOwn(COMMANDS, name)) throw new UsageError(`unknown command \`${name}\``);
  await init();
  const json = Boolean(opts.json);
  const out = (value, human) => (json ? console.log(JSON.stringify(value, null, 2)) : human(value));
  return COMMANDS[name].run({ args, opts, out, json, now: parseTime(opts.now, "--now") });
}

/** `main`, with errors as one line on stderr and the exit code set. */
export function run(argv) {
  return main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
      const hint = e instanceof UsageError ? " (see scopegate --help)" : "";
      console.error(`scopegate: ${e.message}${hint}`);
      process.exitCode = EXIT.usage;
    },
  );
}
