# Shared helpers for scripts/*.sh. Sourced, not run.
#
# The wasm toolchain is chosen once here: rustup's `wasm32-unknown-unknown` target when it is
# installed, else Debian's `rustc-web` with `-Zbuild-std` (rustup on this kind of machine cannot
# download a target's std). Each path has its own CARGO_TARGET_DIR so it never invalidates the
# native `cargo test` build in target/.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# The .wasm budget (DESIGN.md §7): edge platforms limit script size, so it applies to the edge
# build, the one a worker ships. The full build (Node, CLI, admin page) is measured and printed.
WASM_BUDGET_RAW=${WASM_BUDGET_RAW:-250000}
WASM_BUDGET_GZIP=${WASM_BUDGET_GZIP:-100000}

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# apt-get install, only for the packages that are missing, with one `apt-get update` first.
APT_UPDATED=
apt_ensure() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get to install them"
  local sudo=
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  if [ -z "$APT_UPDATED" ]; then
    log "apt-get update"
    $sudo apt-get update -qq
    APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# `rustup` when it has the wasm32 target, else `debian`.
wasm_toolchain() {
  if [ -n "${SCOPEGATE_WASM_TOOLCHAIN:-}" ]; then
    echo "$SCOPEGATE_WASM_TOOLCHAIN"
  elif command -v rustup >/dev/null 2>&1 &&
    rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo rustup
  else
    echo debian
  fi
}

# The two builds of the .wasm (see src/wasm.rs): `full` (everything: Node, CLI, admin page) and
# `edge` (load, deltas, decisions: what a worker ships, under the size budget). The edge build
# turns off the default `admin` Cargo feature; each flavour has its own target dir so switching
# never rebuilds the other.
#
# Runs `cargo <subcommand> ...` for wasm32 with the chosen toolchain's flags and target dir.
#   wasm_cargo [--edge] <subcommand> [args...]
# getrandom 0.3 on wasm32 needs its `wasm_js` backend chosen by a cfg flag.
# NOTE: `strip = false` here only: wasm-bindgen reads the `target_features` section that
# stripping removes; wasm-opt --strip-debug drops names and producers afterwards.
wasm_cargo() {
  local flavor=full
  if [ "$1" = --edge ]; then
    flavor=edge
    shift
  fi
  local sub=$1
  shift
  local flags='--cfg getrandom_backend="wasm_js"'
  local features=()
  [ "$flavor" = edge ] && features=(--no-default-features)
  local dir
  dir=$(wasm_target_dir "$flavor")
  case "$(wasm_toolchain)" in
    rustup)
      CARGO_PROFILE_RELEASE_STRIP=false RUSTFLAGS="$flags" CARGO_TARGET_DIR="$dir" \
        cargo "$sub" --target wasm32-unknown-unknown "${features[@]}" "$@"
      ;;
    debian)
      # Debian's binaries first in PATH: rustup's proxies must not answer for cargo-clippy/rustc.
      # std is rebuilt here anyway, so it is rebuilt small: no file/line strings in panics,
      # panics trap at once instead of formatting a message nobody reads (-33 KB), and
      # `optimize_for_size` swaps driftsort/quicksort for a small merge sort and heapsort, still
      # O(n log n), instead of one large instantiation per sorted type (-44 KB raw, -12 KB gzip).
      flags="$flags -Zlocation-detail=none -Zunstable-options -Cpanic=immediate-abort"
      # The edge build is optimised for size, except the request path: its functions carry
      # `optimize(speed)` under this cfg (src/lib.rs), which drops LLVM's minsize from them,
      # and an explicit inline threshold then applies to them (minsize callers stay capped at
      # the size threshold). Together +12 KB raw, +3.4 KB gzip; the check 1.4x faster
      # (docs/performance.md). The whole crate at opt-level "s" or 2 is over the budget.
      [ "$flavor" = edge ] && flags="$flags --cfg scopegate_speed -Cllvm-args=-inline-threshold=60"
      PATH="/usr/bin:$PATH" RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
        CARGO_PROFILE_RELEASE_STRIP=false RUSTFLAGS="$flags" CARGO_TARGET_DIR="$dir" \
        CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=wasm-ld-22 \
        /usr/bin/cargo "$sub" --target wasm32-unknown-unknown "${features[@]}" \
        -Zbuild-std=std,panic_abort -Zbuild-std-features=optimize_for_size "$@"
      ;;
    *) die "unknown SCOPEGATE_WASM_TOOLCHAIN $(wasm_toolchain) (rustup or debian)" ;;
  esac
}

# wasm_target_dir [full|edge]
wasm_target_dir() {
  local suffix=
  [ "${1:-full}" = edge ] && suffix=-edge
  case "$(wasm_toolchain)" in
    rustup) echo "$ROOT/target/wasm$suffix" ;;
    *) echo "$ROOT/target/wasm-debian$suffix" ;;
  esac
}

# The wasm-bindgen crate version Cargo.lock resolved; the CLI must match it exactly.
wasm_bindgen_version() {
  [ -f Cargo.lock ] || cargo generate-lockfile >/dev/null 2>&1 || die "cannot write Cargo.lock"
  awk '/^name = "wasm-bindgen"$/ { found = 1; next } found && /^version = / { gsub(/"/, "", $3); print $3; exit }' Cargo.lock
}

# Fails with a clear message when a command a test needs is not there.
need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found: $2"
}
