"""The command line, driven as a user would: exit codes, tables, --json, refusals that name the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deconfliction.cli import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


@pytest.fixture()
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "cli.db")
    result = runner.invoke(app, ["--db", path, "init"])
    assert result.exit_code == 0, result.output
    return path


def run(db: str, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", db, *args])
    return result.exit_code, result.output


def run_json(db: str, *args: str):
    code, output = run(db, *args, "--json")
    return code, json.loads(output)


def test_demo_prints_the_conflicts_and_leaves_a_store_to_explore(tmp_path: Path):
    store = tmp_path / "demo.db"
    result = runner.invoke(app, ["demo", "--no-serve", "--db", str(store), "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert len(shown["conflicts"]) == 2
    assert {frozenset((c["party_a"], c["party_b"])) for c in shown["conflicts"]} == {
        frozenset(("calfire", "sheriff")),
        frozenset(("calfire", "skyview")),
    }
    assert any("refused (missing_key)" in line for line in shown["story"])
    assert store.exists()
    code, conflicts = run_json(str(store), "conflicts", "--as", "skyview")
    assert code == 0 and len(conflicts) == 1


def test_filing_without_the_key_is_refused_with_the_versions_to_present(db: str):
    code, filed = run_json(db, "notice", "file", str(EXAMPLES / "tanker-circuit.geojson"), "--as", "calfire", "--reference", "T1")
    assert code == 0
    version = filed["notice"]["version"]

    code, refused = run_json(db, "notice", "file", str(EXAMPLES / "mapping-drone.f3548.json"), "--as", "sheriff")
    assert code == 2
    assert refused["error"]["code"] == "missing_key"
    assert [n["version"] for n in refused["error"]["missing"]] == [version]
    assert "private" not in refused["error"]["missing"][0]

    code, accepted = run_json(db, "notice", "file", str(EXAMPLES / "mapping-drone.f3548.json"), "--as", "sheriff", "--key", version)
    assert code == 0
    assert len(accepted["conflicts"]) == 1
    assert accepted["conflicts"][0]["channel"]["contact"] == "122.925 MHz"


def test_human_refusal_names_the_code_and_the_keys_to_present(db: str):
    run(db, "notice", "file", str(EXAMPLES / "tanker-circuit.geojson"), "--as", "calfire")
    code, output = run(db, "notice", "file", str(EXAMPLES / "mapping-drone.f3548.json"), "--as", "sheriff")
    assert code == 2
    assert "[missing_key]" in output
    assert "--key " in output


def test_bad_geometry_is_refused_naming_the_field_and_nothing_is_stored(db: str):
    code, refused = run_json(db, "notice", "file", str(EXAMPLES / "bowtie.geojson"), "--as", "sheriff")
    assert code == 2
    assert refused["error"]["code"] == "invalid_input"
    assert refused["error"]["field"] == "geometry.coordinates"
    code, listed = run_json(db, "notice", "list", "--as", "sheriff")
    assert code == 0 and listed == []


def test_check_reports_conflicts_without_filing(db: str):
    run(db, "notice", "file", str(EXAMPLES / "tanker-circuit.geojson"), "--as", "calfire")
    code, found = run_json(db, "check", str(EXAMPLES / "mapping-drone.f3548.json"), "--as", "sheriff")
    assert code == 0 and len(found["conflicts"]) == 1 and found["zones"] == [] and found["refused"] is None
    code, clear = run_json(db, "check", str(EXAMPLES / "survey-corridor.geojson"), "--as", "skyview")
    assert code == 0 and clear["conflicts"] == []
    code, listed = run_json(db, "notice", "list", "--as", "sheriff")
    assert [n["party_id"] for n in listed] == ["calfire"]


def test_other_parties_see_notices_minimised(db: str):
    run(db, "notice", "file", str(EXAMPLES / "tanker-circuit.geojson"), "--as", "calfire", "--reference", "SECRET-REF")
    _, own = run_json(db, "notice", "list", "--as", "calfire")
    _, theirs = run_json(db, "notice", "list", "--as", "skyview")
    assert own[0]["private"]["reference"] == "SECRET-REF"
    assert "private" not in theirs[0] and "SECRET-REF" not in json.dumps(theirs)


def test_acknowledge_by_short_id_and_cancel_clears_the_conflict(db: str):
    _, filed = run_json(db, "notice", "file", str(EXAMPLES / "tanker-circuit.geojson"), "--as", "calfire")
    _, second = run_json(
        db, "notice", "file", str(EXAMPLES / "mapping-drone.f3548.json"), "--as", "sheriff", "--key", filed["notice"]["version"]
    )
    conflict_id = second["conflicts"][0]["id"]
    code, acked = run_json(db, "conflicts", "ack", conflict_id[:8], "--as", "calfire")
    assert code == 0
    side = "acknowledged_a" if acked["party_a"] == "calfire" else "acknowledged_b"
    assert acked[side] is not None

    code, _ = run_json(db, "notice", "cancel", second["notice"]["id"], "--as", "sheriff")
    assert code == 0
    _, still_open = run_json(db, "conflicts")
    assert still_open == []
    _, history = run_json(db, "conflicts", "--all")
    assert [c["state"] for c in history] == ["cleared"]


def test_change_needs_the_current_version(db: str):
    _, filed = run_json(db, "notice", "file", str(EXAMPLES / "survey-corridor.geojson"), "--as", "skyview")
    notice_id = filed["notice"]["id"]
    code, refused = run_json(db, "notice", "change", notice_id, "--as", "skyview", "--version", "stale", "--state", "active")
    assert code == 2 and refused["error"]["code"] == "version_mismatch"
    code, changed = run_json(db, "notice", "change", notice_id, "--as", "skyview", "--version", filed["notice"]["version"], "--state", "active")
    assert code == 0 and changed["notice"]["state"] == "active"
    assert changed["notice"]["version"] != filed["notice"]["version"]


def test_events_feed_resumes_after_a_sequence_number(db: str):
    run(db, "notice", "file", str(EXAMPLES / "tanker-circuit.geojson"), "--as", "calfire")
    run(db, "notice", "file", str(EXAMPLES / "survey-corridor.geojson"), "--as", "skyview")
    _, events = run_json(db, "events", "--as", "sheriff")
    assert [e["kind"] for e in events] == ["notice.filed", "notice.filed"]
    _, rest = run_json(db, "events", "--as", "sheriff", "--after", str(events[0]["seq"]))
    assert rest == events[1:]


def test_missing_file_is_a_clear_error(db: str):
    code, refused = run_json(db, "notice", "file", "/nonexistent/volumes.json", "--as", "calfire")
    assert code == 2 and refused["error"]["field"] == "file"
