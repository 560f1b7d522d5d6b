#!/usr/bin/env bash
# Installs the server under PREFIX: the release binary and its resource bundles (the OpenAPI
# document is one; the binary looks for them beside itself) in PREFIX/bin, the web interface in
# PREFIX/share/etrange/Public, where `etrange serve` finds it from any folder.
#
#   scripts/install.sh /usr/local                              builds the release, then installs it
#   scripts/install.sh --binary .build/debug/etrange /tmp/x    installs a binary already built
#
# Exit status: 0 installed, 1 the build or a copy failed, 2 bad arguments.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage : scripts/install.sh [--binary CHEMIN] PREFIX" >&2; exit 2; }
binary=""
prefix=""
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) [ $# -ge 2 ] || usage; binary="$2"; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "install.sh : option inconnue $1" >&2; usage ;;
        *) [ -z "$prefix" ] || usage; prefix="$1"; shift ;;
    esac
done
[ -n "$prefix" ] || usage

if [ -z "$binary" ]; then
    echo "install.sh : swift build -c release (plusieurs minutes la première fois)…"
    swift build -c release --product etrange
    binary=".build/release/etrange"
fi
[ -x "$binary" ] || { echo "install.sh : $binary manque ou n'est pas exécutable" >&2; exit 1; }

bin="$prefix/bin"
share="$prefix/share/etrange"
mkdir -p "$bin" "$share"
install -m 0755 "$binary" "$bin/etrange"
for bundle in "$(dirname "$binary")"/*.resources; do
    [ -d "$bundle" ] || continue
    rm -rf "$bin/$(basename "$bundle")"
    cp -R "$bundle" "$bin/"
done
# The new page replaces the old one whole: a file removed from Public/ must not linger.
rm -rf "$share/Public.new"
cp -R Public "$share/Public.new"
rm -rf "$share/Public"
mv "$share/Public.new" "$share/Public"
echo "install.sh : $bin/etrange et $share/Public installés ; essayez « $bin/etrange --help »."
