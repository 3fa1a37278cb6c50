#!/usr/bin/env bash
# The one test command. In order: tools (scripts/setup.sh --test), the build (scripts/build.sh:
# Leptos → WASM → one self-contained template per widget, embedded into the server), formatting,
# lints (native and wasm32), every test of the workspace, the templates' size budget (cargo xtask
# budget; WIDGET_BUDGET_KB=N changes the 300 KB limit), the container image (scripts/image-test.sh:
# the Dockerfile's runtime stage built with the debug binaries and run), and the browser suite
# (end2end/run.sh, which ends with the first-render report) when it exists. Stops at the first failure and prints how long each step took.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
timings=""
E2E_STEP="browser tests (end2end/run.sh)"
step() {
    finish_step
    step_name="$*"
    step_start=$SECONDS
    printf '\n==> %s\n' "$*"
}
finish_step() {
    if [ -n "${step_name:-}" ]; then
        timings+=$(printf '%6ss  %s' "$((SECONDS - step_start))" "$step_name")$'\n'
    fi
}

report() {
    local rc=$1 failed_step="${step_name:-}"
    finish_step
    step_name=""
    if [ "$rc" = 0 ]; then
        # After the browser suite, its "N passed, N failed" line stays the last line.
        [ "$failed_step" = "$E2E_STEP" ] || printf '\n==> all checks passed in %ss\n%s' "$((SECONDS - started))" "$timings"
    else
        printf '\n==> FAILED at: %s (after %ss)\n%s' "$failed_step" "$((SECONDS - started))" "$timings" >&2
    fi
}
trap 'report $?' EXIT

if ! command -v cargo >/dev/null; then
    echo "cargo is missing: install Rust with rustup first" >&2
    exit 1
fi

step "setup (scripts/setup.sh --test)"
bash scripts/setup.sh --test
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
        echo "installing the $component component"
        rustup component add "$component"
    fi
done

step "build (scripts/build.sh: widgets, then the server with them; the Dockerfile runs it with --release)"
bash scripts/build.sh

step "format (cargo fmt --check)"
cargo fmt --all --check

step "lints (cargo clippy, warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "lints for the browser (cargo clippy -p widgets-app --target wasm32-unknown-unknown)"
cargo clippy -p widgets-app --target wasm32-unknown-unknown --locked -- -D warnings

step "tests (cargo test)"
cargo test --workspace --locked

step "size budget (cargo xtask budget, ${WIDGET_BUDGET_KB:-300} KB per resources/read)"
cargo run --locked -q -p xtask -- budget --locked --limit-kb "${WIDGET_BUDGET_KB:-300}"

step "image (scripts/image-test.sh: the Dockerfile's runtime stage on a local bookworm, run)"
bash scripts/image-test.sh

if [ -f end2end/run.sh ]; then
    finish_step
    step_name=""
    printf '\n==> every check before the browser suite passed in %ss\n%s' "$((SECONDS - started))" "$timings"
    step "$E2E_STEP"
    bash end2end/run.sh
fi
