#!/usr/bin/env bash
# The command line as a host uses it, on the built binary, from a folder other than the
# repository: typos refused (status 2, nothing created), help and version without a database,
# each failure as one French line, `migrate --dry-run`, the server installed by
# scripts/install.sh serving its page from anywhere, a backup under writes and a restore, the
# mobile app's dump (Tests/fixtures/app-export) imported twice and a broken one refused; on
# PostgreSQL (ETRANGE_TEST_POSTGRES_URL), the pg_dump and pg_restore commands printed, run.
# Extra arguments go to pytest (e.g. -k backup).
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
source "$repo/Tests/lib/stage.sh"
stage_binary cli "${1:-}"
binary=$(realpath "$1")
shift
work=$(mktemp -d /tmp/etrange-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The install under test: scripts/install.sh itself, given this binary rather than building the
# release (minutes on a small machine; the layout it installs is the same).
bash "$repo/scripts/install.sh" --binary "$binary" "$work/prefix" >/dev/null

cd "$work"
ETRANGE_CLI_PREFIX="$work/prefix" PYTHONDONTWRITEBYTECODE=1 \
    python3 -m pytest -p no:cacheprovider -s -v "$repo/Tests/cli/test_cli.py" "$@"
