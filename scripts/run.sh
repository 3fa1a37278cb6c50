#!/usr/bin/env bash
# Runs the server on its embedded defaults (embedded catalog, in-memory store) at
# http://localhost:${PORT:-8000}. Every setting is an environment variable; see --help.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo run --release --locked -p server --bin server -- "$@"
