#!/usr/bin/env bash
# Refresh the axe-core copy the accessibility test injects (run by hand; tests only, never shipped to users).
#   AXE_CORE=4.14.1 bash tests/web/vendor/refresh_axe.sh
set -euo pipefail
AXE_CORE=${AXE_CORE:-4.14.1}
OUT="$(cd "$(dirname "$0")" && pwd)/axe-core"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts --save-exact "axe-core@$AXE_CORE" >/dev/null
mkdir -p "$OUT"
cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE node_modules/axe-core/LICENSE-3RD-PARTY.txt "$OUT/"
echo "$AXE_CORE" > "$OUT/VERSION"
ls -l "$OUT"
