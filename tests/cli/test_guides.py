"""A CLI that guides: one id-prefix rule for every command, tables that fit 80 columns, clear errors for
an unknown party and a missing store, times with zones (or 'now'), a deadline to the second."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from deconfliction.cli import app
from deconfliction.cli.arguments import parse_when, resolve_id
from deconfliction.errors import InvalidInput, NotFound

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()
WIDTH = 80


def run(db: str, *args: str, width: int = WIDTH) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", db, *args], env={"COLUMNS": str(width), "TERMINAL_WIDTH": str(width)})
    return result.exit_code, result.output


@pytest.fixture()
def story(tmp_path: Path) -> dict:
    """The walk-through's store: calfire's tanker circuit, sheriff's drone filed with the key (one conflict)."""
    db = str(tmp_path / "cli.db")
    assert run(db, "init")[0] == 0
    code, out = run(db, "notice", "file", str(EXAMPLES / "tanker-circuit.geojson"), "--as", "calfire", "--reference", "T1", "--json")
    tanker = json.loads(out)["notice"]
    code, out = run(db, "notice", "file", str(EXAMPLES / "mapping-drone.f3548.json"), "--as", "sheriff", "--key", tanker["version"], "--json")
    assert code == 0, out
    filed = json.loads(out)
    return {"db": db, "tanker": tanker, "drone": filed["notice"], "conflict": filed["conflicts"][0]}


# ---- one id-prefix rule ------------------------------------------------------------------------


def test_notice_show_and_ack_take_the_8_characters_that_notice_list_prints(story):
    db, tanker = story["db"], story["tanker"]
    code, out = run(db, "notice", "list", "--as", "skyview")
    assert code == 0 and tanker["id"][:8] in out
    code, out = run(db, "notice", "show", tanker["id"][:8], "--as", "skyview")
    assert code == 0 and tanker["id"] in out, out
    code, out = run(db, "notice", "ack", tanker["id"][:8], "--as", "skyview")
    assert code == 0 and f"Acknowledged notice {tanker['id']}" in out, out


def test_every_command_that_names_an_id_accepts_the_same_prefix(story):
    db = story["db"]
    assert run(db, "conflicts", "ack", story["conflict"]["id"][:8], "--as", "calfire")[0] == 0
    assert run(db, "conflicts", "--as", "calfire", "--notice", story["tanker"]["id"][:8], "--json")[0] == 0
    code, out = run(db, "notice", "end", story["drone"]["id"][:8], "--as", "sheriff")
    assert code == 0 and "ended" in out, out


def test_a_chosen_id_names_its_notice_in_its_agreements_scope():
    ids = ["valley-fire:tanker-t1", "other:tanker-t2", "6c7328b2-1c21-4e07-b63d-9c6b730cd454"]
    assert resolve_id("tanker-t1", ids, "notice", "notice_id") == "valley-fire:tanker-t1"
    assert resolve_id("valley-fire:tanker-t1", ids, "notice", "notice_id") == "valley-fire:tanker-t1"
    assert resolve_id("6c7328b2", ids, "notice", "notice_id") == ids[2]
    with pytest.raises(InvalidInput):
        resolve_id("tanker-t", ids, "notice", "notice_id")  # the start of two chosen ids


def test_an_unknown_or_ambiguous_prefix_is_a_clear_refusal(story):
    db = story["db"]
    code, out = run(db, "notice", "show", "zzzzzzzz", "--as", "skyview")
    assert code == 2 and "no notice 'zzzzzzzz'" in out
    code, out = run(db, "notice", "show", "ab", "--as", "skyview")
    assert code == 2 and ("at least 4 characters" in out or "no notice 'ab'" in out)


@settings(max_examples=200, deadline=None)
@given(ids=st.lists(st.text(alphabet="0123456789abcdef-", min_size=1, max_size=12), min_size=1, max_size=8, unique=True),
       given_id=st.text(alphabet="0123456789abcdef-", min_size=1, max_size=12))
def test_a_prefix_names_an_id_only_when_exactly_one_matches(ids, given_id):
    """Against the definition, written out: an exact id wins; else the only id it starts (with ≥ 4 characters)."""
    starting = [i for i in ids if i.startswith(given_id)]
    try:
        chosen = resolve_id(given_id, ids, "notice", "notice_id")
    except NotFound:
        assert not starting
    except InvalidInput:
        assert given_id not in ids and (len(starting) > 1 or (len(starting) == 1 and len(given_id) < 4))
    else:
        assert chosen == given_id if given_id in ids else (starting == [chosen] and len(given_id) >= 4)


# ---- tables at 80 columns ----------------------------------------------------------------------


def _fits(output: str) -> None:
    wide = [line for line in output.splitlines() if len(line) > WIDTH]
    assert wide == [], "\n".join(wide)


def test_the_tables_fit_80_columns_and_keep_ids_and_times_whole(story):
    db, tanker, conflict = story["db"], story["tanker"], story["conflict"]
    code, out = run(db, "notice", "list", "--as", "calfire")
    assert code == 0
    _fits(out)
    start = datetime.fromisoformat(min(v["time"]["start"] for v in tanker["volumes"]))
    assert tanker["id"][:8] in out and f"{start:%Y-%m-%d %H:%MZ}" in out and "T1" in out
    code, out = run(db, "notice", "show", tanker["id"], "--as", "calfire")
    _fits(out)
    assert tanker["id"] in out and tanker["version"] in out  # whole, not cut
    code, out = run(db, "conflicts", "--as", "calfire")
    _fits(out)
    assert conflict["id"][:8] in out and f"{datetime.fromisoformat(conflict['time_start']):%Y-%m-%d %H:%MZ}" in out
    assert "calfire ✗" in out and "sheriff ✗" in out
    code, out = run(db, "report", "compliance", "-a", "valley-fire", "--from", "2026-01-01", "--to", "2030-01-01")
    assert code == 0, out
    _fits(out)
    for words in ("notices filed", "lead time, least", "calfire", "sheriff", "skyview"):
        assert words in out
    # No one-character columns: every header word of the compliance table is whole on one line.
    assert re.search(r"calfire\s+sheriff\s+skyview", out)


# ---- clear errors ------------------------------------------------------------------------------


def test_an_unknown_party_is_an_error_with_a_non_zero_exit(story):
    code, out = run(story["db"], "conflicts", "--as", "police")
    assert code == 2 and "no party 'police'" in out and "calfire" in out
    code, out = run(story["db"], "notice", "list", "--as", "police")
    assert code == 2 and "--as" in out


def test_a_read_command_on_a_missing_store_errors_and_creates_nothing(tmp_path):
    missing = tmp_path / "typo.db"
    for command in (["conflicts", "--as", "calfire"], ["notice", "list", "--as", "calfire"], ["agreement", "list"], ["audit", "verify"]):
        code, out = run(str(missing), *command)
        assert code == 2 and "no store at" in out and "init" in out, (command, out)
    assert not missing.exists()
    assert run(str(missing), "init")[0] == 0 and missing.exists()  # init creates it


# ---- times -------------------------------------------------------------------------------------


def test_channels_at_now_is_accepted_and_a_naive_time_is_refused(story):
    db = story["db"]
    code, out = run(db, "channels", "--as", "sheriff", "--at-lon", "-122.6", "--at-lat", "38.8", "--at", "now", "--json")
    assert code == 0, out
    assert json.loads(out)[0]["name"] == "Fire air-to-air"
    code, out = run(db, "channels", "--as", "sheriff", "--at", "2026-06-01T09:00:00")
    assert code == 2 and "--at" in out and "no time zone" in out
    code, out = run(db, "report", "compliance", "-a", "valley-fire", "--from", "2026-06-01T09:00:00", "--to", "2030-01-01")
    assert code == 2 and "--from" in out


@given(moment=st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.timezones()))
def test_a_zoned_time_parses_to_the_same_instant_in_utc(moment):
    if moment.utcoffset() is None:
        return
    text = moment.isoformat()
    parsed = parse_when(text, now=datetime.now(timezone.utc), field="--at")
    assert parsed == moment.astimezone(timezone.utc) and parsed.utcoffset() == timedelta(0)
    with pytest.raises(InvalidInput):
        parse_when(moment.replace(tzinfo=None).isoformat(), now=datetime.now(timezone.utc), field="--at")


def test_hotline_send_shows_the_deadline_to_the_second(story):
    code, out = run(story["db"], "hotline", "send", "Tanker drops on the ridge", "--kind", "alert", "--to", "sheriff", "--as", "calfire")
    assert code == 0, out
    match = re.search(r"acknowledgment\s+due\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ)\s+\(in 60 s\)", out)
    assert match, out
