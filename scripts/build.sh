#!/usr/bin/env bash
# Builds the server with the real widgets embedded — the one build recipe, used by the test
# command (debug) and the Dockerfile (release):
#   1. scripts/setup.sh: the wasm32 target and the wasm-bindgen CLI (Rust only, nothing else);
#   2. cargo xtask widgets: Leptos -> WASM -> one self-contained template per widget;
#   3. cargo build -p server: the `server` and `healthcheck` binaries, templates embedded.
#
#   scripts/build.sh [--release] [--out DIR]     # --out: copy both binaries into DIR
set -euo pipefail
cd "$(dirname "$0")/.."

profile=dev
out=""
while [ $# -gt 0 ]; do
    case "$1" in
        --release) profile=release ;;
        --out) out="${2:?--out needs a directory}"; shift ;;
        -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

bash scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
printf '==> build: widgets (cargo xtask widgets)\n'
cargo run --locked -q -p xtask -- widgets --locked
printf '==> build: server (%s profile)\n' "$profile"
cargo build --locked --profile "$profile" -p server --bins

if [ -n "$out" ]; then
    target_dir="${CARGO_TARGET_DIR:-target}"
    dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
    mkdir -p "$out"
    cp "$target_dir/$dir/server" "$target_dir/$dir/healthcheck" "$out/"
    printf '==> build: %s/server and %s/healthcheck\n' "$out" "$out"
fi
