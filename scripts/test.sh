#!/usr/bin/env bash
# Sets up everything and runs every test: native Rust tests and clippy (host and wasm32, full
# and edge builds), the package build with its size budget, `tsc --noEmit` on the .d.ts, and the
# built package in Node (API, golden corpus, CLI, npm pack), workerd, miniflare (Workers KV,
# Cron Triggers), wrangler (deploy --dry-run of the template), Deno, Bun and headless Chromium.
# Every step runs; the summary lists the ones that failed, and any failure fails the whole run.
# Nothing is skipped: a missing browser or runtime fails.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash scripts/setup.sh rust wasm node browser

failed=()
passed=()
step() {
  local name=$1
  shift
  log "$name"
  local start=$SECONDS
  if "$@"; then
    passed+=("$name")
    printf '\033[32m--> %s: passed (%ss)\033[0m\n' "$name" $((SECONDS - start)) >&2
  else
    failed+=("$name")
    printf '\033[31m--> %s: FAILED (%ss)\033[0m\n' "$name" $((SECONDS - start)) >&2
  fi
}

# Only one cargo at a time: the machine has two cores.
step "cargo fmt --check" cargo fmt --check
step "cargo test" cargo test
step "cargo clippy (host)" cargo clippy --all-targets -- -D warnings
step "cargo clippy (wasm32, src/wasm.rs)" wasm_cargo clippy --release --lib -- -D warnings
step "cargo clippy (wasm32 edge build)" wasm_cargo --edge clippy --release --lib -- -D warnings
step "build pkg/ (size budget)" env SCOPEGATE_SKIP_SETUP=1 bash scripts/build.sh
step "tsc --noEmit (scopegate.d.ts)" node_modules/.bin/tsc --noEmit -p tests/js
step "node --test tests/js (Node)" node --test tests/js/*.test.mjs
step "node --test tests/workerd (workerd, miniflare, wrangler --dry-run)" node --test tests/workerd/*.test.mjs
step "node --test tests/runtimes (Deno, Bun)" node --test tests/runtimes/*.test.mjs
step "node --test tests/browser (Chromium)" node --test tests/browser/*.test.mjs
step "demo (make demo, --check)" node scripts/demo.mjs --check
# The benchmark at tiny sizes: it keeps working, and its contenders agree with scopegate.
step "bench smoke (benches/bench.mjs --smoke)" \
  node --max-old-space-size=2048 --expose-gc --allow-natives-syntax benches/bench.mjs --smoke

echo
log "summary"
for s in "${passed[@]}"; do printf '  \033[32mpassed\033[0m  %s\n' "$s"; done
for s in "${failed[@]}"; do printf '  \033[31mFAILED\033[0m  %s\n' "$s"; done
echo "steps: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
