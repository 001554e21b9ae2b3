#!/usr/bin/env bash
# The project's test command (README "Testing"): installs what the tests
# need, runs every test, and stops whatever it started.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets --locked
