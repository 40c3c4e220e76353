"""`deconfliction channels`: the channel plan as a table or JSON, for a place, for an area; refusals name the option."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from deconfliction.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


def run(db: Path, *args: str):
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.output


def test_the_plan_of_the_example_agreement_as_a_table_and_as_json(tmp_path):
    db = tmp_path / "c.db"
    assert run(db, "init")[0] == 0
    code, table = run(db, "channels", "--as", "sheriff")
    assert code == 0 and "Fire air-to-air" in table and "122.925 MHz" in table and "everywhere" in table
    code, output = run(db, "channels", "--as", "sheriff", "--json")
    assert code == 0
    assert [(i["name"], i["source"], i["area"]["type"] if i["area"] else None) for i in json.loads(output)] == [
        ("Fire air-to-air", "agreement", "Polygon"), ("Common traffic", "agreement", None)
    ]


def test_for_a_place_the_channel_that_applies_comes_first(tmp_path):
    db = tmp_path / "c.db"
    run(db, "init")
    code, output = run(db, "channels", "--as", "skyview", "--at-lon", "-122.6", "--at-lat", "38.8", "--at", "2026-06-01T09:00:00Z", "--json")
    assert code == 0 and [i["name"] for i in json.loads(output)] == ["Fire air-to-air", "Common traffic"]
    code, output = run(db, "channels", "--as", "skyview", "--at-lon", "-120", "--at-lat", "38.8", "--json")
    assert [i["name"] for i in json.loads(output)] == ["Common traffic"]


def test_for_an_area_from_a_file_channels_that_do_not_reach_it_are_left_out(tmp_path):
    db = tmp_path / "c.db"
    run(db, "init")
    code, output = run(db, "channels", "--as", "skyview", "--area", str(EXAMPLES / "tanker-circuit.geojson"), "--json")
    assert code == 0 and [i["name"] for i in json.loads(output)] == ["Fire air-to-air", "Common traffic"]
    far = tmp_path / "far.json"
    mapping = json.loads((EXAMPLES / "mapping-drone.f3548.json").read_text())
    mapping["volume"]["outline_circle"]["center"] = {"lat": 48.85, "lng": 2.35}  # the same flight over Paris
    far.write_text(json.dumps(mapping))
    code, output = run(db, "channels", "--as", "skyview", "--area", str(far), "--json")
    assert code == 0 and [i["name"] for i in json.loads(output)] == ["Common traffic"]


def test_half_a_place_or_a_stranger_is_refused(tmp_path):
    db = tmp_path / "c.db"
    run(db, "init")
    code, output = run(db, "channels", "--as", "sheriff", "--at-lon", "-122.6")
    assert code == 2 and "--at-lat" in output
    code, output = run(db, "channels", "--as", "nobody", "--agreement", "valley-fire")
    assert code == 2 and "--as" in output and "no party 'nobody'" in output
