#!/usr/bin/env bash
# Installs what is missing, and nothing that is already there.
#
#   scripts/setup.sh          # what building the widgets needs, with Rust only (rustup + crates.io):
#                             # the wasm32-unknown-unknown target and the wasm-bindgen CLI at exactly
#                             # Cargo.lock's wasm-bindgen version (its glue must match the library).
#                             # scripts/run.sh and scripts/build.sh run this.
#   scripts/setup.sh --test   # also the test-only tools: redis-server and redis-cli (the Redis store,
#                             # TLS and cluster tests start their own), openssl (the TLS tests make
#                             # a certificate), and podman, buildah, runc, debootstrap and curl (the
#                             # image test, scripts/image-test.sh). With apt on Debian/Ubuntu;
#                             # elsewhere it names what to install and stops (for the image test's
#                             # tools it only warns: that step then fails). scripts/test.sh runs this.
#
# Idempotent; it never downloads a prebuilt binary. A second run only checks (about a second).
#
# Not installed on purpose: wasm-opt (Debian's binaryen 108 breaks wasm-bindgen output; the
# inliner drops the name section instead) and trunk (only for `trunk serve` during development).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> setup: %s\n' "$*"; }

if ! command -v cargo >/dev/null || ! command -v rustup >/dev/null; then
    echo "setup: cargo and rustup are missing: install Rust with rustup first" >&2
    exit 1
fi
# cargo install puts binaries here; make sure this script (and its caller's checks) see them.
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
case ":$PATH:" in *":$CARGO_BIN:"*) ;; *) export PATH="$CARGO_BIN:$PATH" ;; esac

if rustup target list --installed | grep -qx 'wasm32-unknown-unknown'; then
    say "rust target wasm32-unknown-unknown: installed"
else
    say "rust target wasm32-unknown-unknown: adding"
    rustup target add wasm32-unknown-unknown
fi

WB_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p' | head -n1)
if [ -z "$WB_VERSION" ]; then
    echo "setup: Cargo.lock has no wasm-bindgen package" >&2
    exit 1
fi
FOUND=$(wasm-bindgen --version 2>/dev/null || true)
if [ "$FOUND" = "wasm-bindgen $WB_VERSION" ]; then
    say "wasm-bindgen-cli $WB_VERSION: installed ($(command -v wasm-bindgen))"
else
    say "wasm-bindgen-cli $WB_VERSION: installing (found: ${FOUND:-none}; takes 3-6 minutes on 2 cores)"
    # Not --locked: its lock file pins webpki-roots 1.0.11, which the
    # registry may not serve.
    cargo install --force wasm-bindgen-cli --version "$WB_VERSION"
    FOUND=$(wasm-bindgen --version 2>/dev/null || true)
    if [ "$FOUND" != "wasm-bindgen $WB_VERSION" ]; then
        echo "setup: after installing, wasm-bindgen --version says '${FOUND:-nothing}', not $WB_VERSION" >&2
        exit 1
    fi
fi
if [ "${1:-}" = "--test" ]; then
    missing=()
    image_missing=()
    # runc and debootstrap live in /usr/sbin, which a user's PATH may lack.
    have() { command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
    have redis-server || missing+=(redis-server)
    have redis-cli || missing+=(redis-tools)
    have openssl || missing+=(openssl)
    for tool in podman buildah runc debootstrap curl; do
        have "$tool" || image_missing+=("$tool")
    done
    if [ ${#missing[@]} -eq 0 ] && [ ${#image_missing[@]} -eq 0 ]; then
        say "test tools: redis-server $(redis-server --version | cut -d' ' -f3 | cut -d= -f2), redis-cli, openssl," \
            "podman, buildah, runc, debootstrap, curl: installed"
    elif command -v apt-get >/dev/null; then
        missing+=("${image_missing[@]}")
        say "test tools: installing ${missing[*]} with apt"
        if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
    elif [ ${#missing[@]} -eq 0 ]; then
        echo "setup: WARNING: the image test (scripts/image-test.sh) needs ${image_missing[*]} and this is not" >&2
        echo "setup: a Debian-like system: install them yourself (Linux only), or that step fails" >&2
    else
        echo "setup: the tests need ${missing[*]} (Redis 7 with TLS, and openssl), and this is not a Debian-like" >&2
        echo "setup: system: install them yourself (macOS: brew install redis openssl) and run again" >&2
        exit 1
    fi
fi
say "done"
