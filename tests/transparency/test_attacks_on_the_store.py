"""The attacks of issue 14, by an operator who rewrites the store, its hash chain, its Merkle tree and
its signed heads: each passes the chain check, and each is caught, by name, against a head a party kept
(`deconfliction audit verify --head`), on the store and on an export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deconfliction import connect
from deconfliction.cli import app
from factories import FixedClock, circle_volume, example_agreement

from .operator import delete_from_seq, delete_newest, rewrite_history, rewrite_last, swap

runner = CliRunner()
ALARM = 3


def cli(db: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.output


@pytest.fixture
def store(tmp_path) -> dict:
    """blue files, red files a conflicting notice with blue's version as key, both acknowledge; then
    green files elsewhere, twice. Returns the store path and the seq of red's notice.filed."""
    db = tmp_path / "attacked.db"
    system = connect(db, clock=FixedClock())
    system.add_agreement(example_agreement())
    now = system.clock()
    blue = system.file_notice("blue", "pact", [circle_volume(now)])
    red = system.file_notice("red", "pact", [circle_volume(now, lon=2.351)], key=[blue.notice.version])
    system.acknowledge_conflict("blue", red.conflicts[0].id)
    system.acknowledge_conflict("red", red.conflicts[0].id)
    for lon in (10.0, 11.0):
        system.file_notice("green", "pact", [circle_volume(now, lon=lon)])
    filed = next(e.seq for e in system.audit_entries(0, 1000) if e.action == "notice.filed" and e.subject == red.notice.id)
    system.close()
    return {"db": db, "red_filed": filed, "red_notice": red.notice.id}


def kept_head(db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "head.json"
    code, output = cli(db, "audit", "head", "--out", str(path))
    assert code == 0, output
    return path


def caught(db: Path, head: Path, kind: str, *more: str) -> str:
    code, output = cli(db, "audit", "verify", "--head", str(head), *more)
    assert code == ALARM, output
    assert f"[{kind}]" in output, output
    return output


def test_deleting_the_newest_five_entries_is_caught_as_truncation(store, tmp_path):
    head = kept_head(store["db"], tmp_path)
    rewrite_history(store["db"], delete_newest(5))
    assert cli(store["db"], "audit", "verify")[0] == 0  # the chain alone says OK: that was the hole
    caught(store["db"], head, "truncated")


def test_deleting_everything_from_a_notices_filing_onward_is_caught(store, tmp_path):
    head = kept_head(store["db"], tmp_path)
    rewrite_history(store["db"], delete_from_seq(store["red_filed"]))
    assert cli(store["db"], "audit", "verify")[0] == 0
    output = caught(store["db"], head, "truncated")
    assert f"signed over {json.loads(head.read_text())['size']}" in " ".join(output.split())


def test_rewriting_the_last_entry_with_its_hash_recomputed_is_caught(store, tmp_path):
    head = kept_head(store["db"], tmp_path)
    rewrite_history(store["db"], rewrite_last({"forged": True}))
    assert cli(store["db"], "audit", "verify")[0] == 0
    caught(store["db"], head, "rewritten")


def test_reordering_two_entries_is_caught(store, tmp_path):
    head = kept_head(store["db"], tmp_path)
    rewrite_history(store["db"], swap(store["red_filed"], store["red_filed"] + 1))
    assert cli(store["db"], "audit", "verify")[0] == 0
    caught(store["db"], head, "rewritten")


def test_a_truncated_export_is_caught(store, tmp_path):
    head = kept_head(store["db"], tmp_path)
    export = tmp_path / "log.jsonl"
    assert cli(store["db"], "audit", "export", "--out", str(export))[0] == 0
    lines = export.read_text().splitlines(keepends=True)
    export.write_text("".join(lines[:-3]))
    assert cli(store["db"], "audit", "verify", "--file", str(export))[0] == 0  # the chain alone says OK
    caught(store["db"], head, "truncated", "--file", str(export))


def test_an_honest_log_that_grew_still_extends_the_kept_head_on_the_store_and_on_an_export(store, tmp_path):
    head = kept_head(store["db"], tmp_path)
    system = connect(store["db"], clock=FixedClock())
    system.file_notice("green", "pact", [circle_volume(system.clock(), lon=12.0)])
    system.close()
    code, output = cli(store["db"], "audit", "verify", "--head", str(head))
    assert code == 0 and "OK" in output, output
    export = tmp_path / "log.jsonl"
    cli(store["db"], "audit", "export", "--out", str(export))
    assert cli(store["db"], "audit", "verify", "--head", str(head), "--file", str(export))[0] == 0


def test_a_kept_head_with_a_forged_signature_is_refused_not_trusted(store, tmp_path):
    head = kept_head(store["db"], tmp_path)
    data = json.loads(head.read_text())
    data["size"] -= 1  # a head edited to look older, signature unchanged
    head.write_text(json.dumps(data))
    caught(store["db"], head, "bad_signature")
