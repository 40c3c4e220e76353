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
    assert versions["leaflet"] and versions["world-atlas"] and versions["topojson-client"]
    assert "Volodymyr Agafonkin" in (vendor / "leaflet" / "LICENSE").read_text()
    assert (vendor / "world" / "LICENSE").read_text().strip()
    assert f'version="{versions["leaflet"]}"' in (vendor / "leaflet" / "leaflet.js").read_text()
    world = json.loads((vendor / "world" / "countries-110m.geojson").read_text())
    assert world["type"] == "FeatureCollection" and len(world["features"]) > 150
