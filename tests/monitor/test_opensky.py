"""OpenSky state vectors: the three file shapes, SI units kept as they are, broken vectors counted;
and `replay --format` on Beast, ASTERIX and OpenSky files through the CLI."""

import gzip
import json
import os
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from deconfliction.monitor.asterix import encode_cat021
from deconfliction.cli.monitor import register
from deconfliction.monitor.formats import detect_format, read_track_file
from deconfliction.monitor.opensky import read_opensky
from deconfliction.monitor.reports import PositionReport

SAMPLE = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "adsb" / "sample_dump1090.bin"

# Two snapshots as the REST API returns them (fields 0-16; 17 "category" only with extended=1).
FIRST = {"time": 1700000010, "states": [
    ["4ca2d6", "EIN5FK  ", "Ireland", 1700000009, 1700000010, 2.31, 48.51, 10668.0, False, 231.5, 273.5, -3.25,
     None, 10700.2, "1000", False, 0],
    ["3944ef", "AFR12AB ", "France", None, 1700000010, None, None, None, False, 120.0, 90.0, 0.0, None, None, None, False, 0],
    ["39ac47", "FHMJP   ", "France", 1700000008, 1700000008, 2.1, 48.0, None, True, 0.0, 0.0, None, None, None, None, False, 0],
]}
SECOND = {"time": 1700000020, "states": [
    ["4ca2d6", "EIN5FK  ", "Ireland", 1700000019, 1700000020, 2.29, 48.51, 10668.0, False, 231.5, 273.5, 0.0,
     None, 10700.2, "1000", False, 0, 3],
    ["bad"],
    ["4ca2d7", "X", "Ireland", 1700000019, 1700000020, 2.29, 91.0, 10668.0, False, 231.5, 273.5, 0.0, None, None, None, False, 0],
]}


@pytest.mark.parametrize("shape", ["object", "array", "lines", "gzip"])
def test_state_vector_files_of_every_shape_read_to_the_same_reports(tmp_path, shape):
    path = tmp_path / ("states.json.gz" if shape == "gzip" else "states.json")
    if shape == "object":
        path.write_text(json.dumps(FIRST))
    elif shape == "array":
        path.write_text(json.dumps([FIRST, SECOND]))
    elif shape == "lines":
        path.write_text(json.dumps(FIRST) + "\n" + json.dumps(SECOND) + "\n")
    else:
        path.write_bytes(gzip.compress(json.dumps([FIRST, SECOND]).encode()))
    assert detect_format(path) == "opensky"
    reports, malformed = read_opensky(path)
    first = reports[0]
    assert (first.aircraft, first.callsign, first.party, first.time) == ("4ca2d6", "EIN5FK", "EIN", 1700000009)
    assert (first.lat, first.lon, first.altitude_m, first.geometric_altitude_m) == (48.51, 2.31, 10668.0, 10700.2)
    assert (first.ground_speed_ms, first.track_deg, first.vertical_rate_ms) == (231.5, 273.5, -3.25)
    velocity_only = [r for r in reports if r.aircraft == "3944ef"][0]
    assert not velocity_only.has_position and velocity_only.time == 1700000010
    assert all(not r.on_ground for r in reports)  # FHMJP on the ground is left out
    if shape == "object":
        assert len(reports) == 2 and not malformed
    else:
        assert len(reports) == 3
        assert sum(malformed.values()) == 2 and any("latitude 91" in reason for reason in malformed)


def _app():
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    return app


def _summary(result):
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"summary"')][0]["summary"]


@pytest.mark.skipif(not SAMPLE.exists() and not os.environ.get("CI"), reason=f"{SAMPLE} absent")
def test_replay_reads_the_beast_sample_from_a_given_start():
    result = CliRunner().invoke(_app(), ["replay", str(SAMPLE), "--as-fast-as-possible", "--json", "--party-by", "icao24",
                                         "--start", "2026-01-01T12:00:00Z"])
    summary = _summary(result)
    assert summary["reports"] == 11 and summary["accepted"] == 11 and summary["unreadable_lines"] == 0
    bad = CliRunner().invoke(_app(), ["replay", str(SAMPLE), "--start", "yesterday"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output


def test_replay_detects_asterix_and_opensky_files(tmp_path):
    track = [PositionReport(party="p", aircraft="4ca2d6", time=1700049600.0 + k, lat=48.5, lon=2.3 + k * 0.001,
                            altitude_m=10668, callsign="EIN5FK") for k in range(3)]
    asterix = tmp_path / "feed.ast"
    asterix.write_bytes(encode_cat021(track))
    summary = _summary(CliRunner().invoke(_app(), ["replay", str(asterix), "--as-fast-as-possible", "--json",
                                                   "--start", "2023-11-15T11:00:00Z"]))
    assert summary["reports"] == 3
    states = tmp_path / "states.json"
    states.write_text(json.dumps([FIRST, SECOND]))
    summary = _summary(CliRunner().invoke(_app(), ["replay", str(states), "--format", "opensky", "--as-fast-as-possible", "--json"]))
    assert summary["reports"] == 3 and summary["unreadable_lines"] == 2
    reports, _ = read_track_file(states, "opensky")
    assert len(reports) == 3
    wrong = CliRunner().invoke(_app(), ["replay", str(states), "--format", "kml"])
    assert wrong.exit_code != 0 and "format must be one of" in wrong.output
