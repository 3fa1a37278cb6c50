#!/usr/bin/env bash
# The browser suite: the four widgets rendered from real tool results in a host page that plays
# ChatGPT (window.openai) and an MCP Apps host (ui/* postMessage), in Debian's headless chromium.
#
#   end2end/run.sh                    # every spec
#   end2end/run.sh tests/cart.spec.ts # Playwright arguments pass through
#
# Installs what is missing (chromium from apt, node_modules with npm ci; never a browser
# download), builds target/debug/server only if it does not exist (run `cargo build -p server`
# after `cargo xtask widgets` to test new templates), starts it on a free port, counts the tests
# the suite (or the named specs) defines with `playwright test --list`, runs `npx playwright test`
# with CI=1 (forbidOnly: a stray test.only fails), stops the server, and ends with the line
# "N passed, N failed". The run fails on any failed or skipped test, and when fewer tests ran
# than were listed.
# SERVER_BIN=<path> tests another server binary (e.g. one built with CARGO_TARGET_DIR).
# After the whole suite (or with FIRST_RENDER=1; FIRST_RENDER=0 skips it) it measures each widget's
# first render with first-render.mjs against the same server and prints the table.
# Report: end2end/playwright-report/ (traces of failures in end2end/test-results/); first-render
# times: end2end/results/first-render.json. E2E_OUT=<dir> puts those three there instead (for two
# runs at once on one checkout). UPDATE_SCREENSHOTS=1 rewrites end2end/screenshots/*.png.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$here"

step() { printf '\n==> %s\n' "$*"; }

if [ ! -x /usr/bin/chromium ]; then
    step "installing Debian's chromium (apt)"
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y chromium
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "node and npm (Node >= 20) are needed: apt-get install -y nodejs npm" >&2
    exit 1
fi

lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -d node_modules ] || [ "$(cat node_modules/.lock-hash 2>/dev/null || true)" != "$lock_hash" ]; then
    step "npm ci (no browser download)"
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
    echo "$lock_hash" > node_modules/.lock-hash
fi

server_bin="${SERVER_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/server}"
if [ ! -x "$server_bin" ] && [ -z "${SERVER_BIN:-}" ]; then
    step "building the server (cargo build -p server)"
    (cd "$root" && cargo build -p server --bin server)
fi
[ -x "$server_bin" ] || { echo "no server binary at $server_bin" >&2; exit 1; }

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port="$(free_port)"
host_port="$(free_port)"
while [ "$host_port" = "$port" ]; do host_port="$(free_port)"; done
base="http://127.0.0.1:$port"

out="${E2E_OUT:-$here}"
out="${out%/}"
export E2E_OUT="$out"
rm -rf "$out/results"
mkdir -p "$out/results"
step "starting the server on $base ($(date -r "$server_bin" '+built %F %T'))"
PORT="$port" HOST=127.0.0.1 PUBLIC_BASE_URL="$base" ALLOWED_ORIGINS=null \
    ACCOUNTS_FILE="$here/accounts.json" LOG_FORMAT=json RUST_LOG="${RUST_LOG:-info,rmcp=warn}" \
    "$server_bin" >"$out/results/server.log" 2>&1 &
server_pid=$!
stop_server() {
    if kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
}
trap stop_server EXIT INT TERM

ready=""
for _ in $(seq 1 150); do # up to ~30 s
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the server exited during start-up; $out/results/server.log:" >&2
        tail -n 30 "$out/results/server.log" >&2
        exit 1
    fi
    if node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(1000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$base/healthz"; then
        ready=yes
        break
    fi
    sleep 0.2
done
if [ -z "$ready" ]; then
    echo "the server did not answer $base/healthz within 30 s" >&2
    exit 1
fi

# Playwright's CI settings whatever the caller's environment (scripts/test.sh, .ci/run, a shell):
# forbidOnly (a stray test.only fails the run), one retry (reported as flaky), no reuse of a server
# already on the host page's port.
export CI=1

# How many tests the suite (or the spec files named) defines, counted by Playwright itself: the
# run must pass every one of them, none skipped and none missing.
step "npx playwright test --list $*"
listing="$(TARGET_SERVER_URL="$base" HOST_PAGE_PORT="$host_port" npx playwright test --list --reporter=list "$@" 2>&1)" || {
    echo "$listing" >&2
    echo "Playwright could not list the tests (see above)" >&2
    exit 1
}
defined="$(printf '%s\n' "$listing" | sed -n 's/^Total: \([0-9][0-9]*\) tests\{0,1\} in .*/\1/p' | tail -n 1)"
if [ -z "$defined" ] || [ "$defined" -eq 0 ]; then
    printf '%s\n' "$listing" >&2
    echo "Playwright listed no test for: ${*:-the whole suite}" >&2
    exit 1
fi
echo "$defined tests defined"

step "npx playwright test $*"
status=0
TARGET_SERVER_URL="$base" HOST_PAGE_PORT="$host_port" npx playwright test "$@" || status=$?

# The first-render budget (docs/first-render.md), measured without Playwright attached (see first-render.mjs):
# after the whole suite, or with FIRST_RENDER=1; FIRST_RENDER=0 skips it.
first_render=""
if [ "${FIRST_RENDER:-}" = 1 ] || { [ $# -eq 0 ] && [ "${FIRST_RENDER:-}" != 0 ]; }; then
    step "first render (node first-render.mjs)"
    first_render=ok
    node first-render.mjs "$base" --out "$out/results" || first_render=failed
fi

# The last line is "N passed, N failed"; the lines before it say why a run that Playwright let pass
# is refused here: a skipped test, fewer tests run than the suite defines, or errors outside tests.
summary_status=0
summary="$(node -e '
const [out, defined] = [process.argv[1], Number(process.argv[2])];
const r = JSON.parse(require("fs").readFileSync(out + "/results/report.json", "utf8"));
const s = r.stats || {};
const passed = (s.expected || 0) + (s.flaky || 0), failed = s.unexpected || 0, skipped = s.skipped || 0;
const problems = [];
if (s.flaky) console.log(`${s.flaky} flaky (passed on retry)`);
if (skipped) problems.push(`${skipped} skipped: every test must run (no test.skip / test.fixme, no skip at run time)`);
if (passed + failed + skipped < defined) problems.push(`only ${passed + failed + skipped} of the ${defined} tests the suite defines ran`);
for (const e of r.errors || []) problems.push(`error outside a test: ${(e.message || "").split("\n")[0]}`);
for (const p of problems) console.log(`REFUSED: ${p}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(problems.length ? 3 : 0);
' "$out" "$defined" 2>/dev/null)" || summary_status=$?
[ -n "$summary" ] || summary="$(printf '%s\n' "no Playwright report: it did not run the tests" "0 passed, 0 failed")"
stop_server
echo
if [ "$first_render" = failed ]; then
    echo "first render: a widget did not show its content (see above)"
    status=1
fi
echo "$summary"
if [ "$status" -eq 0 ] && { [ "$summary_status" -ne 0 ] || [ "$(echo "$summary" | tail -n1 | sed -n 's/.* \([0-9]*\) failed$/\1/p')" != "0" ]; }; then
    status=1
fi
exit "$status"
