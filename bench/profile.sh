#!/usr/bin/env bash
# Where the release server's time goes per request: callgrind instruction counts (repeatable, whatever
# else the machine is doing) for one tool under a steady wrk load at concurrency 1.
#
#   bench/profile.sh [search|search-bearer|add-to-cart|ping] [--seconds S] [--no-build] [--redis URL]
#
# --redis URL: the server keeps its sessions in the Redis at URL (a scratch Redis: the run writes
# to it), so the counts include the Redis store's side of each request; results get a -redis suffix.
#
# search-bearer: the same search with `Authorization: Bearer <JWT>` from a local issuer
# (bench/lib/issuer.mjs, OAUTH_ISSUER), verified on every request: minus `search`, what checking
# a token costs.
#
# Writes bench/results/profile-<tool>.txt: requests, instructions per request, and the functions with
# the most inclusive instructions. The raw callgrind file stays in bench/results/work/.
# Installs valgrind and wrk from apt when missing.
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
LIB="$BENCH_DIR/lib"
TOOL=search SECONDS_RUN=15 NO_BUILD=0 PROFILE_REDIS=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    search|search-bearer|add-to-cart|ping) TOOL="$1"; shift ;;
    --seconds) SECONDS_RUN="$2"; shift 2 ;;
    --no-build) NO_BUILD=1; shift ;;
    --redis) PROFILE_REDIS="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench/profile.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
say() { echo "[profile] $*"; }
die() { echo "bench/profile.sh: error: $*" >&2; exit 1; }
APT_UPDATED=0
need() {
  command -v "$1" >/dev/null && return 0
  [[ $APT_UPDATED == 1 ]] || { apt-get update -qq >/dev/null; APT_UPDATED=1; }
  say "installing $2 from apt"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null || die "apt-get install $2 failed"
}
need valgrind valgrind; need callgrind_annotate valgrind; need wrk wrk; need node nodejs

WORK="$BENCH_DIR/results/work/profile"
mkdir -p "$WORK"
if [[ $NO_BUILD == 0 ]]; then
  say "cargo build --release -p server"
  (cd "$ROOT" && cargo build --release -p server 2>&1 | grep -E '^error|Finished' || true)
fi
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/server"
[[ -x "$BIN" ]] || die "$BIN missing: cargo build --release -p server"

PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
URL="http://127.0.0.1:$PORT/mcp/all"
OUTFILE="$WORK/callgrind.out"
rm -f "$OUTFILE"*
unset UNWRANGLE_API_KEY REDIS_URL RUST_LOG OAUTH_ISSUER
[[ -z $PROFILE_REDIS ]] || export REDIS_URL="$PROFILE_REDIS"
ISSUER_PID=""
if [[ $TOOL == search-bearer ]]; then
  node "$LIB/issuer.mjs" > "$WORK/issuer.out" 2> "$WORK/issuer.log" &
  ISSUER_PID=$!
  for _ in $(seq 100); do [[ -s "$WORK/issuer.out" ]] && break; sleep 0.1; done
  OAUTH_ISSUER=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).issuer)' "$WORK/issuer.out") \
    || die "the bench issuer did not start; its log: $WORK/issuer.log"
  export OAUTH_ISSUER
fi
say "starting the server under callgrind (slow: about 50× slower than native)"
PORT=$PORT RATE_LIMIT_PER_SEC=0 ACCOUNT_RATE_LIMIT_PER_SEC=0 valgrind --tool=callgrind --callgrind-out-file="$OUTFILE" "$BIN" > "$WORK/server.log" 2>&1 &
VPID=$!
trap 'kill $VPID $ISSUER_PID 2>/dev/null; wait $VPID 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  curl -fsS -m 5 -X POST "$URL" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
    -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' 2>/dev/null | grep -q '"tools"' && break
  kill -0 $VPID 2>/dev/null || die "the server exited; see $WORK/server.log"
  sleep 0.2
done
node "$LIB/client.mjs" prepare "$URL" "$WORK" 4 >/dev/null
case $TOOL in search|search-bearer) BODIES="$WORK/search.txt" ;; ping) BODIES="$WORK/ping.txt" ;; *) BODIES="$WORK/cart.txt" ;; esac
if [[ $TOOL == search-bearer ]]; then
  # A token for this server's connector (its audience is the public /mcp/all URL).
  BENCH_AUTH=$(curl -fsS "$OAUTH_ISSUER/token?aud=http://localhost:$PORT/mcp/all") || die "the bench issuer gave no token"
  export BENCH_AUTH
fi
say "warm-up"
BENCH_BODIES="$BODIES" wrk -t1 -c1 -d3s --timeout 30s -s "$LIB/mcp.lua" "$URL" >/dev/null
callgrind_control -z "$VPID" >/dev/null
say "measuring $TOOL for ${SECONDS_RUN}s at concurrency 1"
LINE=$(BENCH_BODIES="$BODIES" BENCH_EXPECT="${BODIES%.txt}.expect" BENCH_SAMPLE=1 wrk -t1 -c1 -d"${SECONDS_RUN}s" --timeout 30s -s "$LIB/mcp.lua" "$URL" | tail -n 1)
callgrind_control -d "$VPID" >/dev/null
sleep 1
DUMP=$(ls -t "$OUTFILE".* | head -1)
REQUESTS=$(node -e 'console.log(JSON.parse(process.argv[1]).requests)' "$LINE")
# A profile of refusals would be a profile of the wrong thing: every answer is checked.
BAD=$(node -e 'const r=JSON.parse(process.argv[1]); console.log((r.failed||0)+(r.socket_errors||0)+(r.wrong||0))' "$LINE")
[[ $BAD == 0 ]] || die "$BAD of $REQUESTS answers failed or were wrong ($LINE); see $WORK/server.log"
TOTAL=$(callgrind_annotate "$DUMP" 2>/dev/null | awk '/PROGRAM TOTALS/{gsub(",","",$1); print $1}')
OUT="$BENCH_DIR/results/profile-$TOOL${PROFILE_REDIS:+-redis}.txt"
set +o pipefail   # head closes the pipe early
{
  echo "callgrind profile of the release server: tools/call $TOOL over POST /mcp/all, wrk -c1 for ${SECONDS_RUN}s"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(cd "$ROOT" && git rev-parse --short HEAD)"
  echo "requests: $REQUESTS; instructions: $TOTAL; per request: $(( TOTAL / (REQUESTS > 0 ? REQUESTS : 1) ))"
  echo "(the counts include the tokio runtime, hyper, the middleware stack, logging and the kernel-side"
  echo " work is NOT included: callgrind sees user-space instructions only)"
  echo
  echo "functions by inclusive instructions (a caller includes its callees):"
  callgrind_annotate --inclusive=yes "$DUMP" 2>/dev/null | awk '/^[ 0-9,]+ \(/' | head -70 \
    | sed -E 's/ \[[^]]*\]$//; s/\?\?\?://; s#\./[^:]*:##' | cut -c1-200
} > "$OUT"
say "wrote ${OUT#"$ROOT"/}"
head -4 "$OUT"
