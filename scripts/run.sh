#!/usr/bin/env bash
# Builds and serves Étrange France on http://127.0.0.1:8080 with its embedded SQLite database.
# Extra arguments go to `etrange serve` (e.g. --port 9000). Installs libqrencode when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f /usr/include/qrencode.h ]; then
    if [ "$(id -u)" = 0 ]; then sudo_cmd=(); else sudo_cmd=(sudo); fi
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libqrencode-dev libsqlite3-dev >/dev/null
fi
swift build -c release --product etrange
exec .build/release/etrange serve "$@"
