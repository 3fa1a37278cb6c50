#!/usr/bin/env bash
# The front-end dev loop: `trunk serve` with the dev host on http://127.0.0.1:8089/ (a page that
# plays ChatGPT or an MCP Apps host around one widget: fixtures or live tool results, theme and
# display mode switches, a log of every callTool / follow-up / setWidgetState).
#
#   scripts/dev.sh           # trunk serve (rebuilds and reloads on every change)
#   scripts/dev.sh build     # trunk build into dist/ once
#
# For live results run the server too (`scripts/run.sh`, port 8000); trunk proxies /mcp (/mcp/all),
# /api and /images to it. Installs what is missing: the wasm32 target, trunk 0.21.14 (about 10
# minutes on 2 cores, once), and the wasm-bindgen CLI matching Cargo.lock.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    step "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null || true)" != "trunk 0.21.14" ]; then
    # 0.22 needs a newer Rust; no default features = no TLS and no update check, so trunk can
    # never download anything; the profile overrides halve trunk's own build time.
    step "installing trunk 0.21.14 (about 10 minutes, once)"
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        cargo install --locked trunk --version 0.21.14 --no-default-features
fi

wasm_bindgen_version="$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')"
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $wasm_bindgen_version" ]; then
    # Not --locked: its lock file pins a webpki-roots the registry does not serve.
    step "installing wasm-bindgen-cli $wasm_bindgen_version"
    cargo install --force wasm-bindgen-cli --version "$wasm_bindgen_version"
fi

case "${1:-serve}" in
    serve)
        shift || true
        echo "dev host: http://127.0.0.1:8089/  (live results: run scripts/run.sh alongside)"
        exec trunk serve "$@"
        ;;
    build)
        shift
        exec trunk build "$@"
        ;;
    *)
        echo "usage: scripts/dev.sh [serve|build] [trunk options]" >&2
        exit 2
        ;;
esac
