#!/usr/bin/env bash
# Runs the server on its embedded defaults (embedded catalog, in-memory store) at
# http://localhost:${PORT:-8000}. Every setting is an environment variable; see --help.
#
# First builds the widget templates (scripts/setup.sh + cargo xtask widgets) when they are
# missing or older than any file under widgets-app/, style/, shared/src/ or xtask/; the server
# embeds them when it is compiled.
set -euo pipefail
cd "$(dirname "$0")/.."

widgets_dir="${WIDGETS_DIR:-${CARGO_TARGET_DIR:-target}/widgets}"
manifest="$widgets_dir/manifest.json"

wants_help=false
for arg in "$@"; do
    case "$arg" in -h | --help | -V | --version) wants_help=true ;; esac
done

stale=""
if [ ! -f "$manifest" ]; then
    stale="not built yet"
else
    newer=$(find widgets-app style shared/src xtask -type f -newer "$manifest" 2>/dev/null | head -n1)
    [ -z "$newer" ] || stale="$newer changed"
fi
if [ -n "$stale" ] && [ "$wants_help" = false ]; then
    printf '==> building the widgets (%s)\n' "$stale"
    bash scripts/setup.sh
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
    cargo run --locked -q -p xtask -- widgets --locked
fi
exec cargo run --release --locked -p server --bin server -- "$@"
