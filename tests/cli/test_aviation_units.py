"""The CLI reads like aviation: altitudes in FL or ft as the agreement says, NM, kt and headings, with SI
beside; `--json` stays SI. Figures are checked against the definitions (1 ft = 0.3048 m, 1 NM = 1852 m,
1 kt = 1 NM/h), worked out by hand here, not through the code under test."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from deconfliction.cli import app, aviation
from deconfliction.cli.monitor import AlertLog, describe
from deconfliction.monitor.alerts import AircraftState, Alert

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()
WIDTH = 80


def run(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", db, *args], env={"COLUMNS": str(WIDTH), "TERMINAL_WIDTH": str(WIDTH)})
    return result.exit_code, result.output


# ---- the words, against the definitions --------------------------------------------------------


def test_an_amsl_altitude_reads_as_a_flight_level_only_when_the_agreement_says_so():
    assert aviation.altitude(2590.8, "AMSL", "flight_level") == "FL085 (2,591 m AMSL)"  # 8500 ft
    assert aviation.altitude(2590.8, "AMSL", "feet") == "8,500 ft AMSL (2,591 m)"
    # A W84 (ellipsoid) height is no pressure altitude: feet, whatever the setting.
    assert aviation.altitude(609.6, "W84", "flight_level") == "2,000 ft W84 (610 m)"
    assert aviation.band(1524.0, 2590.8, "AMSL", "flight_level") == "FL050–FL085 (1,524–2,591 m AMSL)"
    assert aviation.band(457.2, 1524.0, "AMSL", "feet") == "1,500–5,000 ft AMSL (457–1,524 m)"


@given(st.integers(min_value=0, max_value=600))
def test_every_flight_level_reads_back_as_itself(level):
    metres = level * 100 * 0.3048
    assert aviation.flight_level(metres) == f"FL{level:03d}"
    assert aviation.short_altitude(metres, "AMSL", "flight_level") == f"FL{level:03d}"


def test_distances_are_nautical_miles_with_metres_or_kilometres_beside():
    assert aviation.distance(1852.0) == "1.00 NM (1,852 m)"
    assert aviation.distance(1000.0) == "0.54 NM (1,000 m)"
    assert aviation.distance(25_000.0) == "13.5 NM (25.0 km)"  # 25 000 / 1852 = 13.499


def test_speeds_are_knots_headings_three_digits_and_a_zero_gap_is_overlapping():
    assert aviation.speed(200.0) == "389 kt (200 m/s)"  # 200 × 3600 / 1852 = 388.8
    assert aviation.knots(51.444) == "100 kt"
    assert aviation.heading(90.0) == "090°" and aviation.heading(359.7) == "000°" and aviation.heading(-90) == "270°"
    assert aviation.vertical_gap(0.0) == "overlapping"
    assert aviation.vertical_gap(152.4) == "500 ft (152 m)"


# ---- the commands ------------------------------------------------------------------------------


def _operation(tmp_path: Path, lower: str, upper: str, hours_ahead: float = 3) -> str:
    """A square over the memorandum's area, at the given heights, a few hours ahead (its lead time is 2 h)."""
    start = datetime.now(timezone.utc) + timedelta(hours=hours_ahead)
    path = tmp_path / f"op-{lower}-{upper}.geojson".replace(" ", "")
    path.write_text(json.dumps({
        "type": "Feature",
        "properties": {"altitude_lower": lower, "altitude_upper": upper, "altitude_datum": "AMSL",
                       "time_start": start.isoformat(), "time_end": (start + timedelta(hours=2)).isoformat()},
        "geometry": {"type": "Polygon", "coordinates": [[[36.0, 35.0], [36.2, 35.0], [36.2, 35.2], [36.0, 35.2], [36.0, 35.0]]]},
    }))
    return str(path)


def test_notice_show_and_check_give_flight_levels_where_the_agreement_reads_them(tmp_path):
    db = str(tmp_path / "mou.db")
    assert run(db, "init", "--example", "memorandum")[0] == 0
    code, out = run(db, "notice", "file", _operation(tmp_path, "FL050", "FL085"), "--as", "north", "--json")
    assert code == 0, out
    filed = json.loads(out)["notice"]
    # --json stays SI: the band in metres, exactly FL050 and FL085 on the standard atmosphere.
    assert filed["volumes"][0]["altitude"]["lower_m"] == 1524.0 and filed["volumes"][0]["altitude"]["upper_m"] == 2590.8

    code, out = run(db, "notice", "show", filed["id"][:8], "--as", "north")
    assert code == 0, out
    assert "FL050–FL085 (1,524–2,591 m AMSL)" in out
    assert all(len(line) <= WIDTH for line in out.splitlines())

    code, out = run(db, "check", _operation(tmp_path, "FL080", "FL120"), "--as", "south")
    assert code == 0, out
    flat = " ".join(out.split())
    assert "FL050–FL085 (1,524–2,591 m AMSL)" in flat and "vertical overlapping" in flat
    code, out = run(db, "check", _operation(tmp_path, "FL090", "FL120"), "--as", "south")
    flat = " ".join(out.split())
    assert "vertical 500 ft (152 m)" in flat  # FL085 to FL090, inside the 1000 ft minimum


def test_an_agreement_in_feet_shows_feet_and_says_so(tmp_path):
    db = str(tmp_path / "fire.db")
    assert run(db, "init")[0] == 0
    code, out = run(db, "notice", "file", str(EXAMPLES / "tanker-circuit.geojson"), "--as", "calfire", "--json")
    notice = json.loads(out)["notice"]
    code, out = run(db, "notice", "show", notice["id"], "--as", "calfire")
    assert "1,500–5,000 ft AMSL (457–1,524 m)" in out and not re.search(r"\bFL ?\d", out)  # ids and versions may hold "FL"
    code, out = run(db, "agreement", "show", "valley-fire")
    assert "altitudes shown as: feet" in out and "1.00 NM (1,852 m) lateral" in out and "500 ft (152 m) vertical" in out


def test_conflicts_show_lateral_in_nm_over_metres_and_overlapping_bands_as_such(tmp_path):
    db = str(tmp_path / "fire.db")
    assert run(db, "init")[0] == 0
    code, out = run(db, "notice", "file", str(EXAMPLES / "tanker-circuit.geojson"), "--as", "calfire", "--json")
    tanker = json.loads(out)["notice"]
    code, out = run(db, "notice", "file", str(EXAMPLES / "mapping-drone.f3548.json"), "--as", "sheriff", "--key", tanker["version"], "--json")
    conflict = json.loads(out)["conflicts"][0]
    code, out = run(db, "conflicts", "--as", "calfire")
    assert code == 0
    assert all(len(line) <= WIDTH for line in out.splitlines())
    lateral_nm = conflict["lateral_m"] / 1852
    assert f"{lateral_nm:.2f} NM" in out
    assert ("overlapping" in out) == (conflict["vertical_m"] == 0)
    code, out = run(db, "conflicts", "--as", "calfire", "--json")
    assert json.loads(out)[0]["lateral_m"] == conflict["lateral_m"]  # SI, unrounded


def _alert(altitude_a: float, altitude_b: float) -> Alert:
    at = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    aircraft = (
        AircraftState(party="calfire", aircraft="a1b2c3", callsign="CAL12", lon=-122.6, lat=38.8, altitude_m=altitude_a,
                      datum="AMSL", ground_speed_ms=92.6, track_deg=90.0),
        AircraftState(party="sheriff", aircraft="d4e5f6", callsign=None, lon=-122.5, lat=38.8, altitude_m=altitude_b, datum="AMSL"),
    )
    return Alert(id="sep-1", kind="separation.predicted", status="opened", at=at, opened_at=at, parties=("calfire", "sheriff"),
                 aircraft=aircraft, t_cpa_s=45.0, d_cpa_m=926.0, distance_m=5556.0, vertical_gap_m=152.4)


def test_an_alert_line_gives_each_aircraft_its_level_speed_and_heading_and_si_beside():
    line = describe(_alert(2590.8, 2438.4), "flight_level")
    assert "CAL12 (calfire, FL085, 180 kt, 090°)" in line  # 92.6 m/s = 180.0 kt
    assert "d4e5f6 (sheriff, FL080)" in line
    assert "closest 0.50 NM (926 m) in +45 s" in line and "now 3.00 NM (5,556 m) apart" in line
    assert "vertical 500 ft (152 m)" in line
    assert "CAL12 (calfire, 8,500 ft, 180 kt, 090°)" in describe(_alert(2590.8, 2438.4), "feet")


def test_the_encounters_table_fits_80_columns(tmp_path):
    from rich.console import Console

    console = Console(width=WIDTH, record=True, file=open(tmp_path / "out.txt", "w"))
    log = AlertLog(console, as_json=False)
    for i in range(3):
        log(_alert(2590.8, 2438.4).model_copy(update={"id": f"sep-{i}"}))
    console.print(log.table())
    text = console.export_text()
    assert all(len(line) <= WIDTH for line in text.splitlines()), text
    assert "0.50 NM" in text and "926 m" in text and "CAL12 (calfire)" in text


def test_an_unknown_altitude_display_is_refused_naming_the_option(tmp_path):
    result = runner.invoke(app, ["replay", str(EXAMPLES / "tanker-circuit.geojson"), "--altitudes", "metres"])
    assert result.exit_code == 2
    assert "--altitudes" in result.output
