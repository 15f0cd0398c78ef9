#!/usr/bin/env bash
# Runs the fuzz targets (fuzz/: bundles, deltas, state JSON, requests, OpenAPI specs) for a
# bounded time each. Not part of `cargo test`.
#
#   scripts/fuzz.sh            # 60 s per target
#   scripts/fuzz.sh 600        # 10 min per target
#   scripts/fuzz.sh 30 bundle_load
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain; without nightly it
# falls back to the stable toolchain with RUSTC_BOOTSTRAP=1 (cargo-fuzz passes -Z flags).
# The committed seeds in fuzz/corpus/<target>/ are read, never written: new inputs go to
# fuzz/target/corpus/<target>/, crashes to fuzz/artifacts/<target>/.
# Regenerate the seeds after a format change:
#   SCOPEGATE_WRITE_FUZZ_CORPUS=1 cargo test --test bundle_fuzz_corpus
set -euo pipefail

seconds="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(bundle_load apply_delta state_json request openapi)
fi

cd "$(dirname "$0")/../fuzz"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
  exit 2
fi

toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  toolchain=(+nightly)
else
  export RUSTC_BOOTSTRAP=1
fi

for target in "${targets[@]}"; do
  work="target/corpus/$target"
  mkdir -p "$work"
  echo "== $target: ${seconds}s"
  cargo "${toolchain[@]}" fuzz run "$target" "$work" "corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1
done
