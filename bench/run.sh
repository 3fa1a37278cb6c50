#!/usr/bin/env bash
# MCP load benchmark (docs/benchmarks.md): wrk against tools/call over stateless Streamable HTTP.
#
#   bench/run.sh                      build and start the release server, measure it with the memory
#                                     store and with Redis, cold start, idle RSS, 10k sessions, and the
#                                     TypeScript and Python SDK peers; results in bench/results/latest.*
#   bench/run.sh --url URL [--pid P]  measure any MCP endpoint (search, ping, and add-to-cart if it has
#                                     create-target-session); RSS and CPU only with --pid; results/url.*
#   bench/run.sh --only-acp           only the ACP checkout row (create → update → complete over REST, 2000
#                                     checkouts at concurrency 16, memory store and Redis); results/acp.*
#
# Options: --duration S (each measured run, default 10) --warmup S (default 3) --sessions N (default
# 10000) --skip-redis --skip-peers --skip-sessions --only-bearer (just the search rows: anonymous, with a session,
# with a bearer token, memory store, c=64) --server-cpu N (default 0) --load-cpu N (default 1)
# --out BASE (results file name without extension) --no-build --quiet-wait S (before each measured
# run, wait up to S seconds, default 30, for both CPUs to be under 15% busy: other work skews figures).
# It installs what it lacks: wrk, redis-server, python3-venv, nodejs/npm from apt; the peers'
# packages with npm ci and pip. A run stops on a failed or wrong answer under load, and when a peer
# does not answer like ours (same products, same fields): bench/peers/README.md says what each peer
# does and how the answers are checked.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
LIB="$BENCH_DIR/lib"
URL="" PID_GIVEN="" QUIET_MAX=30 DURATION=10 WARMUP=3 SESSIONS=10000 SKIP_REDIS=0 SKIP_PEERS=0 SKIP_SESSIONS=0 NO_BUILD=0 ONLY_BEARER=0
SERVER_CPU=0 LOAD_CPU=1 OUT="" ONLY_ACP=0 ACP_CHECKOUTS=2000
CONCURRENCIES=(1 16 64)
ORIG_ARGS="$*"

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --url) URL="$2"; shift 2 ;;
    --pid) PID_GIVEN="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --quiet-wait) QUIET_MAX="$2"; shift 2 ;;
    --sessions) SESSIONS="$2"; shift 2 ;;
    --skip-redis) SKIP_REDIS=1; shift ;;
    --skip-peers) SKIP_PEERS=1; shift ;;
    --skip-sessions) SKIP_SESSIONS=1; shift ;;
    --only-bearer) ONLY_BEARER=1; SKIP_REDIS=1; SKIP_PEERS=1; SKIP_SESSIONS=1; shift ;;
    --no-build) NO_BUILD=1; shift ;;
    --only-acp) ONLY_ACP=1; shift ;;
    --acp-checkouts) ACP_CHECKOUTS="$2"; shift 2 ;;
    --server-cpu) SERVER_CPU="$2"; shift 2 ;;
    --load-cpu) LOAD_CPU="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done

[[ $ONLY_ACP == 0 ]] || SKIP_PEERS=1
START=$(date +%s)
say() { printf '[bench %4ss] %s\n' "$(( $(date +%s) - START ))" "$*"; }
die() { echo "bench/run.sh: error: $*" >&2; exit 1; }

RESULTS="$BENCH_DIR/results"
WORK="$RESULTS/work"           # request bodies and logs of this run (ignored by git)
mkdir -p "$WORK"
[[ -n "$OUT" ]] || { if [[ -n "$URL" ]]; then OUT="$RESULTS/url"; elif [[ $ONLY_ACP == 1 ]]; then OUT="$RESULTS/acp"; else OUT="$RESULTS/latest"; fi; }
JSONL="$WORK/results.jsonl"
: > "$JSONL"

# ------------------------------------------------------------------------------------ tools
APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "$* missing and there is no apt-get to install it: install it by hand"
  if [[ $APT_UPDATED == 0 ]]; then say "apt-get update"; apt-get update -qq >/dev/null || die "apt-get update failed"; APT_UPDATED=1; fi
  say "installing $* from apt"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null || die "apt-get install $* failed"
}
need() { local cmd="$1"; shift; command -v "$cmd" >/dev/null || apt_install "$@"; command -v "$cmd" >/dev/null || die "$cmd still missing after installing $*"; }

need taskset util-linux
[[ $ONLY_ACP == 1 ]] || need wrk wrk   # the ACP row runs its own client
need node nodejs
need curl curl
if [[ -z "$URL" && $SKIP_REDIS == 0 ]]; then need redis-server redis-server; fi
if [[ -z "$URL" && $SKIP_PEERS == 0 ]]; then need npm npm; fi
CPUS=$(nproc)
(( SERVER_CPU < CPUS && LOAD_CPU < CPUS )) || die "--server-cpu $SERVER_CPU / --load-cpu $LOAD_CPU: this machine has $CPUS CPUs"
[[ $SERVER_CPU != "$LOAD_CPU" ]] || say "warning: the server and the load generator share CPU $SERVER_CPU"

# ------------------------------------------------------------------------------- processes
STARTED=()   # pids this script started; stopped on exit
stop_pid() {
  local pid="$1"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() { for pid in "${STARTED[@]}"; do stop_pid "$pid"; done; }
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
TICKS=$(getconf CLK_TCK)
cpu_ticks() { [[ -n "$1" && -r "/proc/$1/stat" ]] || return 0; sed -E 's/^.*\) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
cpu_seconds() { awk -v a="$2" -v b="$(cpu_ticks "$1")" -v t="$TICKS" 'BEGIN{printf "%.2f", (b - a) / t}'; }
# busy and total ticks of one CPU from /proc/stat
cpu_line() { awk -v c="cpu$1" '$1==c{t=0; for(i=2;i<=NF;i++) t+=$i; print t - $5 - $6, t}' /proc/stat; }
# wait_quiet: until both CPUs are under 15% busy over one second (at most QUIET_MAX seconds)
wait_quiet() {
  local waited=0 a0 a1 b0 b1 busy
  while (( waited < QUIET_MAX )); do
    a0=$(cpu_line "$SERVER_CPU"); a1=$(cpu_line "$LOAD_CPU"); sleep 1; b0=$(cpu_line "$SERVER_CPU"); b1=$(cpu_line "$LOAD_CPU")
    busy=$(awk -v a="$a0" -v b="$b0" -v c="$a1" -v d="$b1" 'BEGIN{split(a,x," ");split(b,y," ");split(c,u," ");split(d,v," ");
      d=y[2]-x[2]; e=v[2]-u[2]; if (d<=0) d=1; if (e<=0) e=1; p=(y[1]-x[1])/d; q=(v[1]-u[1])/e; print int(100*(p>q?p:q))}')
    (( busy < 15 )) && return 0
    (( waited == 0 )) && say "waiting for the machine to calm down (a CPU is ${busy}% busy with other work)"
    waited=$(( waited + 1 ))
  done
  say "still busy after ${QUIET_MAX}s; measuring anyway (see the 'other' column)"
}
kb() { awk -v f="$2:" '$1==f{print $2}' "/proc/$1/status" 2>/dev/null || true; }
client() { taskset -c "$LOAD_CPU" node "$LIB/client.mjs" "$@"; }

# wait_mcp URL PID NAME: until tools/list answers (or the process dies / 60 s pass).
wait_mcp() {
  local url="$1" pid="$2" name="$3" i
  for i in $(seq 600); do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then die "$name exited while starting; its log: $WORK/$name.log"; fi
    if curl -fsS -m 2 -X POST "$url" -H 'content-type: application/json' -H 'accept: application/json, text/event-stream' \
         -d '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' 2>/dev/null | grep -q '"tools"'; then return 0; fi
    sleep 0.1
  done
  die "$name did not answer tools/list at $url within 60 s; its log: $WORK/$name.log"
}

# load SERVER STORE TOOL BODIES URL: warm up, then one wrk run per concurrency, each a JSON line.
load() {
  local server="$1" store="$2" tool="$3" bodies="$4" url="$5" c threads line
  [[ -s "$bodies" ]] || { say "$server: no $tool request bodies, skipped"; return 0; }
  say "$server ($store): $tool warm-up ${WARMUP}s"
  BENCH_BODIES="$bodies" taskset -c "$LOAD_CPU" wrk -t1 -c16 -d"${WARMUP}s" --timeout 10s -s "$LIB/mcp.lua" "$url" >/dev/null
  for c in "${CONCURRENCIES[@]}"; do
    [[ -z "${ONLY_C:-}" || "$c" == "$ONLY_C" ]] || continue
    threads=1
    local before_server before_redis before_core after_core
    wait_quiet
    before_server=$(cpu_ticks "${LOAD_PID:-}"); before_redis=$(cpu_ticks "${LOAD_REDIS_PID:-}"); before_core=$(cpu_line "$SERVER_CPU")
    line=$(BENCH_BODIES="$bodies" BENCH_EXPECT="${bodies%.txt}.expect" BENCH_LABEL="{\"kind\":\"load\",\"server\":\"$server\",\"store\":\"$store\",\"tool\":\"$tool\",\"concurrency\":$c" \
      taskset -c "$LOAD_CPU" wrk -t"$threads" -c"$c" -d"${DURATION}s" --timeout 10s -s "$LIB/mcp.lua" "$url" | tail -n 1)
    [[ "$line" == '{"kind":"load"'* ]] || die "wrk printed no result for $server $tool c=$c: $line"
    # A fast wrong answer is no result: every answer is checked for an error, and one in 16 for the
    # products (or cart, or empty ping result) the server gave at rest (bench/lib/mcp.lua).
    check_answers "$server" "$tool" "$c" "$line"
    # CPU seconds the server (and redis-server) used during the run: /proc/PID/stat utime + stime.
    [[ -z "$before_server" ]] || line="${line%\}},\"server_cpu_s\":$(cpu_seconds "$LOAD_PID" "$before_server")}"
    [[ -z "$before_redis" ]] || line="${line%\}},\"redis_cpu_s\":$(cpu_seconds "$LOAD_REDIS_PID" "$before_redis")}"
    # Busy time of the server's CPU during the run, all processes: what is not the server's (or
    # redis-server's) is other work that took the core from it.
    after_core=$(cpu_line "$SERVER_CPU")
    line="${line%\}},\"core_busy_s\":$(awk -v a="$before_core" -v b="$after_core" -v t="$TICKS" 'BEGIN{split(a,x," ");split(b,y," ");printf "%.2f",(y[1]-x[1])/t}')}"
    echo "$line" >> "$JSONL"
    say "$server ($store) $tool c=$c: $(node -e 'const r=JSON.parse(process.argv[1]);console.log(`${r.rps.toFixed(0)} req/s, p50 ${r.p50_ms.toFixed(2)} ms, p99 ${r.p99_ms.toFixed(2)} ms, failed ${r.failed + r.socket_errors}`)' "$line")"
  done
}

# check_answers SERVER TOOL C LINE: dies when the run had failed or wrong answers, or checked none.
check_answers() {
  local verdict
  verdict=$(node -e 'const r=JSON.parse(process.argv[1]);
    if (r.failed) console.log(`${r.failed} answers failed (not 200, a JSON-RPC error or isError)`);
    else if (r.wrong) console.log(`${r.wrong} of the ${r.checked} answers checked were wrong (see wrk above)`);
    else if (!r.checked) console.log("no answer was checked");' "$4")
  [[ -z "$verdict" ]] || die "$1 $2 c=$3: $verdict"
}

answer() { # answer SERVER DIR: what the search for "desk lamp" found, for the report's comparison
  [[ -s "$2/search-answer.json" ]] || return 0
  echo "{\"kind\":\"answer\",\"server\":\"$1\",$(sed -E 's/^\{//' "$2/search-answer.json")" >> "$JSONL"
}

peak() { # peak SERVER STORE PID
  local hwm; hwm=$(kb "$3" VmHWM)
  [[ -n "$hwm" ]] || return 0
  echo "{\"kind\":\"peak_rss\",\"server\":\"$1\",\"store\":\"$2\",\"hwm_kb\":$hwm,\"rss_kb\":$(kb "$3" VmRSS)}" >> "$JSONL"
  say "$1 ($2): peak RSS $(( hwm / 1024 )) MB"
}

versions() {
  local v="node $(node --version)"
  command -v wrk >/dev/null && v="wrk $(wrk --version 2>&1 | head -1 | awk '{print $2}'), $v"
  command -v rustc >/dev/null && v+=", $(rustc --version | awk '{print $1, $2}')"
  command -v redis-server >/dev/null && v+=", redis-server $(redis-server --version | grep -o 'v=[^ ]*' | cut -c3-)"
  v+=", @modelcontextprotocol/sdk $(node -p 'require(process.argv[1]).dependencies["@modelcontextprotocol/sdk"]' "$BENCH_DIR/peers/typescript/package.json")"
  v+=", mcp (PyPI) $(sed -n 's/^mcp==//p' "$BENCH_DIR/peers/python/requirements.txt")"
  echo "$v"
}

machine() {
  local cpu mem
  cpu=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo)
  mem=$(awk '/^MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo)
  echo "$CPUS × ${cpu:-unknown CPU}, $mem, Linux $(uname -r), load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
}

node -e 'const [m,d,c,p,v]=process.argv.slice(1);console.log(JSON.stringify({kind:"meta",date:d,machine:m,command:c,pinning:p,versions:v}))' \
  "$(machine)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "bench/run.sh${ORIG_ARGS:+ $ORIG_ARGS}" \
  "server (and redis-server) on CPU $SERVER_CPU, wrk and the client on CPU $LOAD_CPU; wrk -t1, ${DURATION}s per run after a ${WARMUP}s warm-up" \
  "$(versions)" >> "$JSONL"

# ------------------------------------------------------------------------ any MCP URL
if [[ -n "$URL" ]]; then
  say "measuring $URL"
  wait_mcp "$URL" "" "target"
  client prepare "$URL" "$WORK/url"
  LOAD_PID="$PID_GIVEN" load url - search "$WORK/url/search.txt" "$URL"
  LOAD_PID="$PID_GIVEN" load url - add-to-cart "$WORK/url/cart.txt" "$URL"
  ONLY_C=64 LOAD_PID="$PID_GIVEN" load url - ping "$WORK/url/ping.txt" "$URL"
  [[ -z "$PID_GIVEN" ]] || peak url - "$PID_GIVEN"
  client report "$JSONL" "$OUT"
  exit 0
fi

# ------------------------------------------------------------------------ our server
if [[ $NO_BUILD == 0 ]]; then
  say "cargo build --release -p server (waits for the cargo lock if another build holds it)"
  if ! (cd "$ROOT" && cargo build --release -p server > "$WORK/build.log" 2>&1); then
    tail -n 30 "$WORK/build.log" >&2
    die "cargo build --release -p server failed (another change to server/ may be half-way: try again later); log: $WORK/build.log"
  fi
  grep -E '^\s+(Compiling server|Finished)' "$WORK/build.log" || true
fi
TARGET_DIR="${CARGO_TARGET_DIR:-target}"; [[ "$TARGET_DIR" == /* ]] || TARGET_DIR="$ROOT/$TARGET_DIR"
BIN="$TARGET_DIR/release/server"
[[ -x "$BIN" ]] || die "$BIN was not built: run cargo build --release -p server and look at its errors"
export RATE_LIMIT_PER_SEC=0 ACP_RATE_LIMIT_PER_SEC=0 ACCOUNT_RATE_LIMIT_PER_SEC=0   # rate limits off for the load (harmless where a knob does not exist)
# The server runs on its defaults (embedded catalog, default log filter), whatever this shell has set.
unset UNWRANGLE_API_KEY REDIS_URL RUST_LOG PORT

# A local OAuth issuer (bench/lib/issuer.mjs) whose JWTs the server accepts (OAUTH_ISSUER), for the
# row of a search with a bearer token; on the load CPU, it only answers the key fetch.
taskset -c "$LOAD_CPU" node "$LIB/issuer.mjs" > "$WORK/issuer.out" 2> "$WORK/issuer.log" &
ISSUER_PID=$!; STARTED+=("$ISSUER_PID")
for _ in $(seq 100); do [[ -s "$WORK/issuer.out" ]] && break; sleep 0.1; done
ISSUER_URL=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).issuer)' "$WORK/issuer.out") \
  || die "the bench issuer did not start; its log: $WORK/issuer.log"

# start_ours NAME [REDIS_URL] → sets OURS_PID, OURS_URL and OURS_RESOURCE (its public /mcp/all URL)
start_ours() {
  local name="$1" redis="${2:-}" port; port=$(free_port)
  if [[ -n "$redis" ]]; then
    PORT=$port REDIS_URL="$redis" OAUTH_ISSUER="$ISSUER_URL" taskset -c "$SERVER_CPU" "$BIN" > "$WORK/$name.log" 2>&1 &
  else
    PORT=$port OAUTH_ISSUER="$ISSUER_URL" taskset -c "$SERVER_CPU" "$BIN" > "$WORK/$name.log" 2>&1 &
  fi
  OURS_PID=$!; STARTED+=("$OURS_PID"); OURS_URL="http://127.0.0.1:$port/mcp/all"
  OURS_RESOURCE="http://localhost:$port/mcp/all"
  wait_mcp "$OURS_URL" "$OURS_PID" "$name"
  say "$name started: pid $OURS_PID, $OURS_URL"
}

# start_redis → sets REDIS_PID and REDIS_URL_NOW
start_redis() {
  local rport; rport=$(free_port)
  taskset -c "$SERVER_CPU" redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
    --protected-mode yes --daemonize no > "$WORK/redis.log" 2>&1 &
  REDIS_PID=$!; STARTED+=("$REDIS_PID")
  for _ in $(seq 100); do redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG || die "redis-server did not start; its log: $WORK/redis.log"
  REDIS_URL_NOW="redis://127.0.0.1:$rport/0"
  say "redis-server started: pid $REDIS_PID, port $rport (CPU $SERVER_CPU)"
}

# ------------------------------------------------------------------- the ACP checkout row only
if [[ $ONLY_ACP == 1 ]]; then
  for store in memory redis; do
    REDIS_URL_NOW="" REDIS_PID=""
    if [[ $store == redis ]]; then [[ $SKIP_REDIS == 0 ]] || continue; start_redis; fi
    start_ours "ours-$store-acp" "$REDIS_URL_NOW"
    wait_quiet
    say "$store store: $ACP_CHECKOUTS ACP checkouts at concurrency 16"
    client acp "${OURS_URL%/mcp/all}" "$ACP_CHECKOUTS" 16 "$OURS_PID" "$store" >> "$JSONL"
    say "$store: $(tail -n 1 "$JSONL")"
    stop_pid "$OURS_PID"
    [[ -z "$REDIS_PID" ]] || { stop_pid "$REDIS_PID"; REDIS_PID=""; }
  done
  client report "$JSONL" "$OUT"
  exit 0
fi

if [[ $ONLY_BEARER == 0 ]]; then
  say "cold start and idle RSS (5 starts)"
  client coldstart /mcp/all 5 taskset -c "$SERVER_CPU" "$BIN" >> "$JSONL"
  say "cold start: $(tail -n 1 "$JSONL")"
fi

REDIS_PID=""
for store in memory redis; do
  REDIS_URL_NOW=""
  if [[ $store == redis ]]; then
    [[ $SKIP_REDIS == 0 ]] || continue
    rport=$(free_port)
    taskset -c "$SERVER_CPU" redis-server --port "$rport" --bind 127.0.0.1 --save '' --appendonly no \
      --protected-mode yes --daemonize no > "$WORK/redis.log" 2>&1 &
    REDIS_PID=$!; STARTED+=("$REDIS_PID")
    for _ in $(seq 100); do redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
    redis-cli -p "$rport" ping 2>/dev/null | grep -q PONG || die "redis-server did not start; its log: $WORK/redis.log"
    REDIS_URL_NOW="redis://127.0.0.1:$rport/0"
    say "redis-server started: pid $REDIS_PID, port $rport (CPU $SERVER_CPU)"
  fi
  start_ours "ours-$store" "$REDIS_URL_NOW"
  client prepare "$OURS_URL" "$WORK/ours-$store"
  [[ $store != memory ]] || answer ours "$WORK/ours-$store"
  if [[ $ONLY_BEARER == 1 ]]; then
    ONLY_C=64 LOAD_PID=$OURS_PID load ours "$store" search "$WORK/ours-$store/search.txt" "$OURS_URL"
  else
    LOAD_PID=$OURS_PID LOAD_REDIS_PID=${REDIS_PID:-} load ours "$store" search "$WORK/ours-$store/search.txt" "$OURS_URL"
    LOAD_PID=$OURS_PID LOAD_REDIS_PID=${REDIS_PID:-} load ours "$store" add-to-cart "$WORK/ours-$store/cart.txt" "$OURS_URL"
  fi
  # The same search with a bearer token, verified on every request: what checking the token costs.
  # A linked shopper's search is recorded in the account's session, so the base it is compared
  # with is the same search by a shopper with a session and no token (anonymous in OAuth terms),
  # which records it too; the search without any session is the row above.
  if [[ $store == memory ]]; then
    node -e '
      const fs = require("fs");
      const [search, cart] = process.argv.slice(1).map((f) => fs.readFileSync(f, "utf8").split("\n").filter(Boolean));
      const session = JSON.parse(cart[0]).params.arguments.sessionId;
      for (const line of search) {
        const body = JSON.parse(line);
        body.params.arguments.sessionId = session;
        console.log(JSON.stringify(body));
      }' "$WORK/ours-$store/search.txt" "$WORK/ours-$store/cart.txt" > "$WORK/ours-$store/search-session.txt" \
      || die "cannot write the session search bodies"
    cp "$WORK/ours-$store/search.expect" "$WORK/ours-$store/search-session.expect"
    ONLY_C=64 LOAD_PID=$OURS_PID load ours "$store" search-session "$WORK/ours-$store/search-session.txt" "$OURS_URL"
    BENCH_AUTH=$(curl -fsS "$ISSUER_URL/token?aud=$OURS_RESOURCE") || die "the bench issuer gave no token"
    BENCH_AUTH="$BENCH_AUTH" ONLY_C=64 LOAD_PID=$OURS_PID load ours "$store" search-bearer "$WORK/ours-$store/search.txt" "$OURS_URL"
  fi
  # The floor: a JSON-RPC ping through the same HTTP and MCP layers, no tool.
  [[ $store != memory || $ONLY_BEARER == 1 ]] || ONLY_C=64 LOAD_PID=$OURS_PID load ours "$store" ping "$WORK/ours-$store/ping.txt" "$OURS_URL"
  peak ours "$store" "$OURS_PID"
  stop_pid "$OURS_PID"

  if [[ $SKIP_SESSIONS == 0 ]]; then
    start_ours "ours-$store-sessions" "$REDIS_URL_NOW"
    say "$store store: $SESSIONS sessions with a 3-item cart each"
    client sessions "$OURS_URL" "$SESSIONS" 64 "$OURS_PID" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.stringify({...JSON.parse(s),store:process.argv[1]})))' "$store" >> "$JSONL"
    say "$store store sessions: $(tail -n 1 "$JSONL")"
    stop_pid "$OURS_PID"
  fi
  if [[ $store == redis ]]; then
    echo "{\"kind\":\"redis_rss\",\"rss_kb\":$(kb "$REDIS_PID" VmRSS)}" >> "$JSONL"
    stop_pid "$REDIS_PID"; REDIS_PID=""
  fi
done

# ------------------------------------------------------------------------------ peers
if [[ $SKIP_PEERS == 0 ]]; then
  PEERS="$BENCH_DIR/peers"
  if [[ ! -d "$PEERS/typescript/node_modules/@modelcontextprotocol/sdk" ]]; then
    say "typescript peer: npm ci"
    (cd "$PEERS/typescript" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci in bench/peers/typescript failed"
  fi
  PY="$PEERS/python/.venv/bin/python"
  if [[ ! -x "$PY" ]] || ! "$PY" -c 'import mcp.server.mcpserver' 2>/dev/null; then
    SYSPY=$(command -v /usr/bin/python3 python3 | head -1) || true
    [[ -n "$SYSPY" ]] || { apt_install python3 python3-venv; SYSPY=/usr/bin/python3; }
    "$SYSPY" -m venv --help >/dev/null 2>&1 && "$SYSPY" -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
    say "python peer: venv and pip install -r requirements.txt"
    rm -rf "$PEERS/python/.venv"
    "$SYSPY" -m venv "$PEERS/python/.venv" || die "python3 -m venv failed"
    "$PY" -m pip install -q --disable-pip-version-check -r "$PEERS/python/requirements.txt" || die "pip install of the python peer failed"
  fi
  for peer in typescript python; do
    port=$(free_port)
    if [[ $peer == typescript ]]; then
      PORT=$port taskset -c "$SERVER_CPU" node "$PEERS/typescript/server.mjs" > "$WORK/$peer.log" 2>&1 &
    else
      PORT=$port taskset -c "$SERVER_CPU" "$PY" "$PEERS/python/server.py" > "$WORK/$peer.log" 2>&1 &
    fi
    PEER_PID=$!; STARTED+=("$PEER_PID"); PEER_URL="http://127.0.0.1:$port/mcp"
    wait_mcp "$PEER_URL" "$PEER_PID" "$peer"
    say "$peer peer started: pid $PEER_PID, $PEER_URL"
    client prepare "$PEER_URL" "$WORK/$peer" 1 >/dev/null
    answer "$peer" "$WORK/$peer"
    compared=$(node "$LIB/client.mjs" compare "$WORK/ours-memory/search-answer.json" "$WORK/$peer/search-answer.json" 2>&1) \
      || die "the $peer peer does not answer like for like with ours (bench/peers/README.md): $compared"
    say "$peer peer: $compared"
    ONLY_C=64 LOAD_PID=$PEER_PID load "$peer" - search "$WORK/$peer/search.txt" "$PEER_URL"
    ONLY_C=64 LOAD_PID=$PEER_PID load "$peer" - ping "$WORK/$peer/ping.txt" "$PEER_URL"
    peak "$peer" - "$PEER_PID"
    stop_pid "$PEER_PID"
  done
fi

say "report"
client report "$JSONL" "$OUT"
say "done in $(( $(date +%s) - START )) s; results: ${OUT#"$ROOT"/}.txt and .json"
