#!/usr/bin/env bash
# Refresh the console's vendored third-party files from npm (run by hand, never at install time).
#
#   bash src/deconfliction/web/refresh_vendor.sh            # the pinned versions below
#   LEAFLET=1.9.4 WORLD_ATLAS=2.0.2 bash …/refresh_vendor.sh  # other versions (then update docs/console.md)
#
# What it writes (package data, shipped in the wheel, served by the API app under /console/vendor/):
#   static/vendor/leaflet/{leaflet.js,leaflet.css,LICENSE}       Leaflet's built dist files
#   static/vendor/world/{countries-110m.geojson,LICENSE}         Natural Earth 1:110m countries (via world-atlas),
#                                                                converted from TopoJSON with topojson-client,
#                                                                coordinates rounded to 0.01° (~1 km; it is a backdrop)
#   static/vendor/versions.json                                  the exact versions used
set -euo pipefail
LEAFLET=${LEAFLET:-1.9.4}
WORLD_ATLAS=${WORLD_ATLAS:-2.0.2}
TOPOJSON_CLIENT=${TOPOJSON_CLIENT:-3.1.0}

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts --save-exact \
    "leaflet@$LEAFLET" "world-atlas@$WORLD_ATLAS" "topojson-client@$TOPOJSON_CLIENT" >/dev/null

mkdir -p "$OUT/leaflet" "$OUT/world"
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$OUT/leaflet/"
# The source map is not shipped: drop the comment that points at it.
sed -i '/^\/\/# sourceMappingURL=/d' "$OUT/leaflet/leaflet.js"
cp node_modules/leaflet/LICENSE "$OUT/leaflet/LICENSE"
cp node_modules/world-atlas/LICENSE "$OUT/world/LICENSE"

node - "$OUT/world/countries-110m.geojson" <<'JS'
const fs = require("fs");
const topojson = require("topojson-client");
const topology = require("world-atlas/countries-110m.json");
const round = (value) => (Array.isArray(value) ? value.map(round) : Math.round(value * 100) / 100);
const collection = topojson.feature(topology, topology.objects.countries);
for (const feature of collection.features) {
  feature.geometry.coordinates = round(feature.geometry.coordinates);
  feature.properties = { name: feature.properties.name };
}
fs.writeFileSync(process.argv[2], JSON.stringify(collection));
JS

node -e '
const fs = require("fs");
const version = (name) => require(name + "/package.json").version;
const out = {leaflet: version("leaflet"), "world-atlas": version("world-atlas"), "topojson-client": version("topojson-client"),
             source: "npm registry", note: "written by refresh_vendor.sh; Natural Earth data is public domain"};
fs.writeFileSync(process.argv[1], JSON.stringify(out, null, 2) + "\n");
' "$OUT/versions.json"

ls -l "$OUT"/leaflet "$OUT"/world "$OUT/versions.json"
