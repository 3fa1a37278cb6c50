#!/usr/bin/env bash
# Builds the Dockerfile's runtime stage for real and runs the image. scripts/test.sh runs it after
# the tests; on its own: scripts/image-test.sh (it builds target/debug/server first if missing).
#
#   1. tools: podman, buildah, runc, debootstrap, curl (scripts/setup.sh --test installs them);
#   2. base: the local image debian:bookworm-slim, made with `debootstrap --variant=minbase
#      bookworm` from the Debian mirror this machine's apt sources name (DEBIAN_MIRROR=URL picks
#      another) when podman's storage does not have it yet. Nothing is pulled from a registry;
#   3. build: a Containerfile made of a stand-in build stage (`FROM scratch AS build` holding the
#      debug `server` and `healthcheck` the test command built) and the Dockerfile's own lines
#      from its second FROM to the end, built with buildah (its apt-get and useradd really run);
#   4. run: the image with PORT and PUBLIC_BASE_URL: /healthz answers 200, /readyz says the
#      widgets are built, the server runs as uid/gid 10001 and listens on PORT only, the image's
#      HEALTHCHECK passes; started without PUBLIC_BASE_URL it exits non-zero naming it.
#
# Not built here: the Dockerfile's build stage (rust:1.95-bookworm, `scripts/build.sh --release`).
# The debug binaries are linked against this machine's glibc, so the machine's glibc must not be
# newer than bookworm's (2.36), as on the Debian 12 machines this project is tested on.
# Removes the containers and the image it made when it ends; keeps the base image as a cache.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=docker.io/library/debian:bookworm-slim
IMAGE="localhost/target-mcp-test:$$"
CTR="target-mcp-test-$$"
started=$SECONDS
timings=()
tmp=""
rootfs=""
step_start=$SECONDS
say() { printf '==> image: %s\n' "$*"; }
fail() {
    printf 'image-test: FAILED: %s\n' "$*" >&2
    exit 1
}
lap() {
    timings+=("$1 $((SECONDS - step_start))s")
    step_start=$SECONDS
}

if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi
as_root() { "${SUDO[@]}" "$@"; }
# runc, not crun: Debian 12's crun refuses hybrid cgroups ("cgroups in hybrid mode not
# supported"); cgroupfs because there is no systemd to manage cgroups.
pod() { as_root podman --runtime runc --cgroup-manager cgroupfs "$@"; }
# Without CAP_SYS_RESOURCE podman's default limits (the host's hard maximum) fail with setrlimit
# EPERM, so the container gets explicit ones; --network host: no bridge or slirp needed.
RUN_FLAGS=(--network host --ulimit nofile=1024:1024 --ulimit nproc=1000:1000)

cleanup() {
    local rc=$?
    set +e
    if [ "$rc" != 0 ] && pod container exists "$CTR" 2>/dev/null; then
        printf 'image-test: the container log:\n' >&2
        pod logs "$CTR" 2>&1 | tail -n 40 >&2
    fi
    pod rm -f -t 0 "$CTR" "$CTR-closed" >/dev/null 2>&1
    pod rmi -f "$IMAGE" >/dev/null 2>&1
    [ -n "$tmp" ] && rm -rf "$tmp"
    if [ -n "$rootfs" ] && [ -d "$rootfs" ]; then
        # debootstrap may leave /proc, /sys or a bind-mounted /dev mounted if it failed.
        awk -v r="$rootfs/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r |
            while read -r m; do as_root umount -l "$m"; done
        as_root rm -rf --one-file-system "$rootfs"
    fi
    exit "$rc"
}
trap cleanup EXIT

# --- 1. tools ---
[ "$(uname -s)" = Linux ] || fail "the image test needs Linux (podman, buildah, runc, debootstrap)"
have() { command -v "$1" >/dev/null || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }
for tool in podman buildah runc debootstrap curl; do
    if ! have "$tool"; then
        say "$tool is missing: scripts/setup.sh --test installs the test tools"
        bash scripts/setup.sh --test
        break
    fi
done
for tool in podman buildah runc debootstrap curl; do
    have "$tool" || fail "$tool is still missing (on Debian: apt-get install $tool)"
done
lap tools

# --- 2. the base image ---
# The URI of the first deb source (one-line .list or deb822 .sources) whose suites include $1.
apt_uri_for() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v s="$1" '$1 == "deb" {
            i = 2
            if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
            for (j = i + 1; j <= NF; j++) if ($j == s) { print $i; exit }
        }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v s="$1" 'BEGIN { RS = ""; FS = "\n" } {
            types = ""; uris = ""; suites = ""; on = 1
            for (k = 1; k <= NF; k++) {
                line = $k
                if (line ~ /^#/) continue
                key = tolower(substr(line, 1, index(line, ":") - 1)); val = substr(line, index(line, ":") + 1)
                if (key == "types") types = " " val " "
                else if (key == "uris") uris = val
                else if (key == "suites") suites = " " val " "
                else if (key == "enabled" && val ~ /no/) on = 0
            }
            gsub(/[ \t]+/, " ", types); gsub(/[ \t]+/, " ", suites)
            if (on && types ~ / deb / && index(suites, " " s " ")) { split(uris, u, " "); print u[1]; exit }
        }' "$f"
    done
}
debian_mirror() {
    local uri codename
    uri="${DEBIAN_MIRROR:-}"
    [ -n "$uri" ] || uri=$(apt_uri_for bookworm | head -n1)
    if [ -z "$uri" ] && grep -qx 'ID=debian' /etc/os-release 2>/dev/null; then
        # Another Debian release: its mirror serves bookworm too.
        codename=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
        [ -z "$codename" ] || uri=$(apt_uri_for "$codename" | head -n1)
    fi
    [ -n "$uri" ] || fail "no Debian mirror in /etc/apt/sources.list*: set DEBIAN_MIRROR=<a Debian mirror URL>"
    printf '%s\n' "$uri"
}

base_note="cached"
if pod image exists "$BASE"; then
    say "base image $BASE: in podman's storage"
else
    mirror=$(debian_mirror)
    say "base image $BASE: making it with debootstrap --variant=minbase bookworm from $mirror"
    rootfs=$(mktemp -d /tmp/image-test-rootfs.XXXXXX)
    as_root debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 ||
        { tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; fail "debootstrap failed"; }
    rm -f "$rootfs.log"
    as_root rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    # The same PATH and CMD as Debian's published image.
    as_root tar -C "$rootfs" --numeric-owner -c . |
        pod import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            --change 'CMD ["bash"]' - "$BASE" >/dev/null
    as_root rm -rf --one-file-system "$rootfs"
    rootfs=""
    base_note="debootstrap"
fi
lap "base ($base_note)"

# --- 3. the build ---
bin="${CARGO_TARGET_DIR:-target}/debug"
if [ ! -x "$bin/server" ] || [ ! -x "$bin/healthcheck" ]; then
    say "$bin/server or $bin/healthcheck is missing: building them (scripts/build.sh)"
    bash scripts/build.sh
fi
tmp=$(mktemp -d /tmp/image-test.XXXXXX)
mkdir "$tmp/out"
cp "$bin/server" "$bin/healthcheck" "$tmp/out/"
runtime=$(awk 'toupper($1) == "FROM" { n++ } n >= 2' Dockerfile)
[ "$(printf '%s\n' "$runtime" | grep -ci '^[[:space:]]*FROM[[:space:]]')" = 1 ] ||
    fail "the Dockerfile should have exactly two FROM lines (build, runtime)"
{
    printf '# Stand-in for the build stage: the debug binaries scripts/build.sh made.\n'
    printf 'FROM scratch AS build\nCOPY out/ /out/\n\n# The Dockerfile from its second FROM:\n'
    printf '%s\n' "$runtime"
} >"$tmp/Containerfile"
say "building $IMAGE from $bin/{server,healthcheck} and the Dockerfile's runtime stage:"
sed 's/^/    /' "$tmp/Containerfile"
# --format docker keeps HEALTHCHECK (OCI image configs have no field for it); --pull=never:
# FROM debian:bookworm-slim must be the local image; chroot isolation needs no OCI runtime.
as_root buildah bud --format docker --pull=never --network host --isolation chroot \
    -f "$tmp/Containerfile" -t "$IMAGE" "$tmp"
lap build

# --- 4. run and check ---
free_port() {
    local p
    for _ in $(seq 50); do
        p=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
    done
    fail "no free port found"
}
port=$(free_port)
public="http://image-test.example:$port"
say "running it: PORT=$port PUBLIC_BASE_URL=$public"
# Without systemd podman cannot set up the HEALTHCHECK's timer and logs two errors saying so;
# they are dropped here (the check itself is run below with `podman healthcheck run`).
pod run -d --name "$CTR" "${RUN_FLAGS[@]}" -e PORT="$port" -e PUBLIC_BASE_URL="$public" "$IMAGE" \
    >/dev/null 2>"$tmp/run.err" || { cat "$tmp/run.err" >&2; fail "podman run failed"; }
grep -v 'unable to get systemd connection' "$tmp/run.err" >&2 || true
deadline=$((SECONDS + 30))
until curl -fsS -o /dev/null -m 2 "http://127.0.0.1:$port/healthz" 2>/dev/null; do
    [ "$(pod inspect -f '{{.State.Running}}' "$CTR")" = true ] || fail "the server exited before answering /healthz"
    [ "$SECONDS" -lt "$deadline" ] || fail "GET /healthz on port $port did not answer 200 within 30 s"
    sleep 0.3
done
say "GET /healthz: 200"
ready=$(curl -fsS -m 5 "http://127.0.0.1:$port/readyz")
case "$ready" in
    *'"widgets":"built"'*) say "GET /readyz: widgets built" ;;
    *) fail "GET /readyz does not say the widgets are built (run scripts/build.sh): $ready" ;;
esac

user=$(pod image inspect --format '{{.Config.User}}' "$IMAGE")
[ "$user" = "10001:10001" ] || fail "the image's user is '$user', not 10001:10001"
pid=$(pod inspect -f '{{.State.Pid}}' "$CTR")
comm=$(as_root cat "/proc/$pid/comm")
status=$(as_root cat "/proc/$pid/status")
uids=$(printf '%s\n' "$status" | awk '/^Uid:/ { print $2, $3, $4, $5 }')
gids=$(printf '%s\n' "$status" | awk '/^Gid:/ { print $2, $3, $4, $5 }')
[ "$comm" = server ] || fail "the container's first process is '$comm', not server"
if [ "$uids" != "10001 10001 10001 10001" ] || [ "$gids" != "10001 10001 10001 10001" ]; then
    fail "the server runs as uids '$uids' gids '$gids' (real, effective, saved, fs), not 10001"
fi
say "user: image $user, server process uid/gid 10001"

# The ports the server process listens on: its socket inodes, looked up in the listening (0A)
# sockets of its network namespace (the host's, with --network host).
inodes=$(as_root ls -l "/proc/$pid/fd" | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' | tr '\n' ' ')
tables=("/proc/$pid/net/tcp")
[ ! -e "/proc/$pid/net/tcp6" ] || tables+=("/proc/$pid/net/tcp6")
ports=$(as_root cat "${tables[@]}" |
    awk -v inodes="$inodes" 'BEGIN { n = split(inodes, a, " "); for (i = 1; i <= n; i++) mine[a[i]] = 1 }
        $4 == "0A" && ($10 in mine) { split($2, la, ":"); print la[2] }' |
    while read -r hex; do echo $((16#$hex)); done | sort -u | tr '\n' ' ')
[ "$ports" = "$port " ] || fail "the server listens on ports '${ports% }', not only on PORT=$port"
say "listens on PORT=$port only (not the image's default 8000)"

hc=$(pod image inspect --format '{{json .HealthCheck}}' "$IMAGE")
case "$hc" in
    *'/usr/local/bin/healthcheck'*) ;;
    *) fail "the image has no HEALTHCHECK running /usr/local/bin/healthcheck: $hc" ;;
esac
# `podman healthcheck run` runs the command once, now (only its timer needs systemd).
pod healthcheck run "$CTR" || fail "podman healthcheck run failed"
say "HEALTHCHECK: in the image ($hc), podman healthcheck run: healthy"

other_port=$(free_port)
set +e
closed=$(pod run --rm --name "$CTR-closed" "${RUN_FLAGS[@]}" -e PORT="$other_port" "$IMAGE" 2>&1)
closed_rc=$?
set -e
[ "$closed_rc" != 0 ] || fail "without PUBLIC_BASE_URL the server started (exit 0)"
case "$closed" in
    *PUBLIC_BASE_URL*) say "without PUBLIC_BASE_URL: exit $closed_rc, and the log says PUBLIC_BASE_URL" ;;
    *) fail "without PUBLIC_BASE_URL the server exited $closed_rc but did not name PUBLIC_BASE_URL: $closed" ;;
esac
lap "run and checks"

summary=$(printf '%s, ' "${timings[@]}")
say "passed in $((SECONDS - started))s (${summary%, })"
