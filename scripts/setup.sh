#!/usr/bin/env bash
# Installs what building and testing need, and nothing that is already there (idempotent).
#
#   scripts/setup.sh [rust] [wasm] [node] [browser]    (no argument: all of them)
#
#   rust     host cargo (rustup's) with clippy, for `cargo test` and clippy
#   wasm     the wasm32 toolchain (rustup target, else Debian rustc-web + lld-22 + clippy),
#            and wasm-bindgen-cli at the exact version Cargo.lock pins
#   node     Node.js >= 18 and the npm dev tools from package-lock.json (binaryen, workerd,
#            miniflare, wrangler, deno, bun, playwright-core, typescript) via `npm ci`
#   browser  Debian's chromium (Playwright cannot download browsers here)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

setup_rust() {
  need cargo "install Rust with rustup (https://rustup.rs), then run this again"
  if ! cargo clippy --version >/dev/null 2>&1; then
    command -v rustup >/dev/null && rustup component add clippy
  fi
}

setup_wasm() {
  setup_rust
  local tc
  tc=$(wasm_toolchain)
  if [ "$tc" = debian ]; then
    # rustc-web ships a std source (rust-web-src) that -Zbuild-std compiles for wasm32.
    apt_ensure rustc-web cargo-web rust-web-src lld-22 rust-web-clippy
  fi
  log "wasm toolchain: $tc"

  local want have
  want=$(wasm_bindgen_version)
  [ -n "$want" ] || die "wasm-bindgen not found in Cargo.lock"
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$want" ]; then
    log "cargo install wasm-bindgen-cli $want (have: ${have:-none})"
    # NOTE: --locked can fail on a yanked entry in the CLI's own lock file; the version pin
    # still holds without it.
    cargo install --locked wasm-bindgen-cli --version "$want" ||
      cargo install --force wasm-bindgen-cli --version "$want"
  fi
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  [ "$have" = "$want" ] || die "wasm-bindgen $have on PATH, need $want (is ~/.cargo/bin on PATH?)"
}

setup_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    apt_ensure nodejs npm
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 18 ] || die "Node.js $(node --version) is too old: scopegate needs Node >= 18"
  # Reinstall only when package-lock.json changed since the last `npm ci`.
  local stamp=node_modules/.scopegate-lock-sha256 sum
  sum=$(sha256sum package-lock.json | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$sum" ]; then
    log "npm ci"
    npm ci --no-audit --no-fund --loglevel=error
    echo "$sum" >"$stamp"
  fi
}

setup_browser() {
  apt_ensure chromium fonts-liberation
  need chromium "the browser tests need Debian's chromium at /usr/bin/chromium"
}

parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(rust wasm node browser)
for part in "${parts[@]}"; do
  case "$part" in
    rust) setup_rust ;;
    wasm) setup_wasm ;;
    node) setup_node ;;
    browser) setup_browser ;;
    *) die "unknown setup part $part (rust, wasm, node, browser)" ;;
  esac
done
