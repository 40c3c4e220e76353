#!/usr/bin/env bash
# Refresh the console's vendored third-party files from npm (run by hand, never at install time).
#
#   bash src/deconfliction/web/refresh_vendor.sh            # the pinned versions below
#   LEAFLET=1.9.4 bash …/refresh_vendor.sh                   # another version (then update docs/console.md)
#
# What it writes (package data, shipped in the wheel, served by the API app under /console/vendor/):
#   static/vendor/leaflet/{leaflet.js,leaflet.css,LICENSE}       Leaflet's built dist files
#   (the base map — land, water, borders, places — is refresh_basemap.sh's)
#   static/vendor/versions.json                                  the exact versions used
set -euo pipefail
LEAFLET=${LEAFLET:-1.9.4}

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts --save-exact \
    "leaflet@$LEAFLET" >/dev/null

mkdir -p "$OUT/leaflet"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$OUT/leaflet/"
# The source map is not shipped: drop the comment that points at it.
sed -i '/^\/\/# sourceMappingURL=/d' "$OUT/leaflet/leaflet.js"
cp node_modules/leaflet/LICENSE "$OUT/leaflet/LICENSE"


node -e '
const fs = require("fs");
const version = (name) => require(name + "/package.json").version;
const out = {leaflet: version("leaflet"), source: "npm registry", note: "written by refresh_vendor.sh; the base map has its own versions.json"};
fs.writeFileSync(process.argv[1], JSON.stringify(out, null, 2) + "\n");
' "$OUT/versions.json"

ls -l "$OUT"/leaflet "$OUT/versions.json"
