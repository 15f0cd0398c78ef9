#!/usr/bin/env bash
# Builds the npm package in pkg/ from a fresh machine of this kind, idempotently:
#   wasm32 build -> wasm-bindgen --target web -> wasm-opt -Oz -> hand-written JS + .d.ts
#   -> pkg/package.json from pkg.json.template -> size report and budget check.
#
# One package serves Node, Deno, Bun, workerd / Cloudflare Workers and browsers: the `web`
# target exports `init()` (fetch or bytes) and `initSync()` (a compiled module), and
# js/scopegate.js reads the .wasm with `fs` where `fetch` cannot (file: URLs in Node).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ "${SCOPEGATE_SKIP_SETUP:-}" = 1 ] || bash scripts/setup.sh wasm node

log "cargo build --release --target wasm32-unknown-unknown ($(wasm_toolchain))"
wasm_cargo build --release --lib
raw="$(wasm_target_dir)/wasm32-unknown-unknown/release/scopegate.wasm"
[ -f "$raw" ] || die "the build wrote no $raw"

# Build into a fresh directory and swap it in, so pkg/ is never half old, half new.
out="$ROOT/target/pkg-staging"
rm -rf "$out"
mkdir -p "$out"

log "wasm-bindgen --target web"
# NOTE: --out-name keeps wasm-bindgen's glue (scopegate_wasm.js) apart from the hand-written
# API (scopegate.js) that wraps it.
wasm-bindgen --target web --out-name scopegate_wasm --no-typescript --out-dir "$out" "$raw"

log "wasm-opt -Oz"
# The features rustc enables by default for wasm32 since LLVM 19/20; wasm-opt must accept them.
node_modules/.bin/wasm-opt -Oz \
  --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-multivalue --enable-reference-types \
  --strip-debug --strip-producers \
  -o "$out/scopegate_wasm_bg.wasm" "$out/scopegate_wasm_bg.wasm"

cp js/scopegate.js js/scopegate.d.ts js/cli.js README.md "$out/"
chmod +x "$out/cli.js"

# package.json: name, version, description and license from Cargo.toml.
node --input-type=module - "$out/package.json" <<'EOF'
import { readFileSync, writeFileSync } from "node:fs";
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
for (const file of pkg.files) readFileSync(new URL(file, `file://${process.argv[2]}`)); // every listed file exists
writeFileSync(process.argv[2], JSON.stringify(pkg, null, 2) + "\n");
EOF

rm -rf pkg
mv "$out" pkg

# Size report, every build; over budget fails the build.
wasm=pkg/scopegate_wasm_bg.wasm
size_raw=$(wc -c <"$wasm")
size_gz=$(gzip -9 -c "$wasm" | wc -c)
kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1000 }'; }
log "pkg/ built: scopegate $(node -p 'require("./pkg/package.json").version')"
printf 'wasm size: %s raw (%d bytes), %s gzip (%d bytes); budget %s raw, %s gzip\n' \
  "$(kb "$size_raw")" "$size_raw" "$(kb "$size_gz")" "$size_gz" \
  "$(kb "$WASM_BUDGET_RAW")" "$(kb "$WASM_BUDGET_GZIP")"
over=()
[ "$size_raw" -le "$WASM_BUDGET_RAW" ] || over+=("raw")
[ "$size_gz" -le "$WASM_BUDGET_GZIP" ] || over+=("gzip")
if [ ${#over[@]} -gt 0 ]; then
  # The demo builds with SCOPEGATE_SIZE_BUDGET=warn: it still serves an over-budget package.
  [ "${SCOPEGATE_SIZE_BUDGET:-}" = warn ] && { log "warning: the .wasm is over its ${over[*]} size budget"; exit 0; }
  die "the .wasm is over its ${over[*]} size budget"
fi
