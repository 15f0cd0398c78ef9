#!/usr/bin/env bash
# Builds the npm package in pkg/ from a fresh machine of this kind, idempotently:
#   wasm32 build (full and edge) -> wasm-bindgen --target web -> wasm-opt -Oz
#   -> hand-written JS + .d.ts -> pkg/package.json from pkg.json.template
#   -> size report and budget check.
#
# One package serves Node, Deno, Bun, workerd / Cloudflare Workers and browsers: the `web`
# target exports `init()` (fetch or bytes) and `initSync()` (a compiled module), and
# js/api.js reads the .wasm with `fs` where `fetch` cannot (file: URLs in Node).
#
# Two builds of the engine (src/wasm.rs): `scopegate` (full: scopegate_wasm_bg.wasm) and
# `scopegate/edge` (load, deltas, decisions: scopegate_edge_wasm_bg.wasm), the one a worker
# ships and the one the size budget applies to.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "${SCOPEGATE_SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh wasm node

# Build into a fresh directory and swap it in, so pkg/ is never half old, half new.
out="$ROOT/target/pkg-staging"
rm -rf "$out"
mkdir -p "$out"

# One flavour: cargo build, wasm-bindgen glue named `<name>.js`, and `<name>_bg.wasm` after
# wasm-opt. NOTE: the glue's name keeps it apart from the hand-written API that wraps it.
# The full build uses Cargo's `wasm-full` profile (faster bundle builds, no size budget), the
# edge build `release` (size first); see Cargo.toml.
build_flavor() {
  local flavor=$1 name=$2 flag= profile=wasm-full
  [ "$flavor" = edge ] && flag=--edge profile=release
  log "cargo build --profile $profile --target wasm32-unknown-unknown ($flavor, $(wasm_toolchain))"
  wasm_cargo $flag build --profile "$profile" --lib
  local raw
  raw="$(wasm_target_dir "$flavor")/wasm32-unknown-unknown/$profile/scopegate.wasm"
  [ -f "$raw" ] || die "the build wrote no $raw"
  log "wasm-bindgen --target web ($flavor)"
  wasm-bindgen --target web --out-name "$name" --no-typescript --out-dir "$out" "$raw"
  log "wasm-opt -Oz ($flavor)"
  # The features rustc enables by default for wasm32 since LLVM 19/20; wasm-opt must accept them.
  node_modules/.bin/wasm-opt -Oz \
    --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-multivalue --enable-reference-types \
    --strip-debug --strip-producers \
    -o "$out/${name}_bg.wasm" "$out/${name}_bg.wasm"
}
build_flavor full scopegate_wasm
build_flavor edge scopegate_edge_wasm

cp js/api.js js/fast.js js/scopegate.js js/scopegate.d.ts js/edge.js js/edge.d.ts js/cli.js README.md "$out/"
cp -R js/cli "$out/cli"
chmod +x "$out/cli.js"

# package.json: name, version, description and license from Cargo.toml.
node --input-type=module - "$out/package.json" <<'EOF'
import { readFileSync, statSync, writeFileSync } from "node:fs";
const cargo = readFileSync("Cargo.toml", "utf8");
const section = cargo.split(/^\[/m).find((s) => s.startsWith("package]")) ?? "";
const field = (name) => {
  const m = section.match(new RegExp(`^${name}\\s*=\\s*"([^"]*)"`, "m"));
  if (!m) throw new Error(`Cargo.toml: [package] has no ${name}`);
  return m[1];
};
const values = { VERSION: field("version"), DESCRIPTION: field("description"), LICENSE: field("license") };
const text = readFileSync("pkg.json.template", "utf8").replace(/\{\{(\w+)\}\}/g, (_, key) => {
  if (!(key in values)) throw new Error(`pkg.json.template: unknown placeholder {{${key}}}`);
  return JSON.stringify(values[key]).slice(1, -1);
});
const pkg = JSON.parse(text);
// Every listed file exists; a listed folder ("cli/") is a folder.
for (const file of pkg.files) {
  const url = new URL(file, `file://${process.argv[2]}`);
  if (file.endsWith("/") ? !statSync(url).isDirectory() : !statSync(url).isFile()) throw new Error(`pkg.json.template: files: ${file} is missing`);
}
writeFileSync(process.argv[2], JSON.stringify(pkg, null, 2) + "\n");
EOF

rm -rf pkg
mv "$out" pkg

# Size report, every build; the edge .wasm over budget fails the build.
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1000 }'; }
log "pkg/ built: scopegate $(node -p 'require("./pkg/package.json").version')"
report() {
  local label=$1 wasm=$2 budget=$3 raw gz
  raw=$(wc -c <"$wasm")
  gz=$(gzip -9 -c "$wasm" | wc -c)
  printf 'wasm size (%s, %s): %s raw (%d bytes), %s gzip (%d bytes)%s\n' "$label" "${wasm#pkg/}" \
    "$(kb "$raw")" "$raw" "$(kb "$gz")" "$gz" "$budget"
  size_raw=$raw size_gz=$gz
}
report full pkg/scopegate_wasm_bg.wasm ""
report edge pkg/scopegate_edge_wasm_bg.wasm "; budget $(kb "$WASM_BUDGET_RAW") raw, $(kb "$WASM_BUDGET_GZIP") gzip"
over=()
[ "$size_raw" -le "$WASM_BUDGET_RAW" ] || over+=("raw")
[ "$size_gz" -le "$WASM_BUDGET_GZIP" ] || over+=("gzip")
if [ ${#over[@]} -gt 0 ]; then
  # The demo builds with SCOPEGATE_SIZE_BUDGET=warn: it still serves an over-budget package.
  [ "${SCOPEGATE_SIZE_BUDGET:-}" = warn ] && { log "warning: the edge .wasm is over its ${over[*]} size budget"; exit 0; }
  die "the edge .wasm is over its ${over[*]} size budget"
fi
