#!/usr/bin/env node
// `npx scopegate ...`: the command line over the same engine as the JS API (./scopegate.js).
// Human-readable tables by default, `--json` for machines; exit codes in ./cli/usage.js. The
// commands live in ./cli/ (a command table, one module per concern).

import { run } from "./cli/main.js";

run(process.argv.slice(2));
