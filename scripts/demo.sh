#!/usr/bin/env bash
# Sets up, builds the package, and serves the demo on 127.0.0.1: the example edge worker under
# workerd in front of a stand-in origin, and the admin page. Prints the URLs and demo tokens.
#   scripts/demo.sh [--check]    (--check: start, answer a few requests, stop; for CI and smoke tests)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash scripts/setup.sh wasm node
# The size budget is CI's gate (make test); the demo serves the package either way.
SCOPEGATE_SKIP_SETUP=1 SCOPEGATE_SIZE_BUDGET=warn bash scripts/build.sh
exec node scripts/demo.mjs "$@"
