"""`report compliance` shows the receipts behind its figures (JSON in full, a count in the table and the
CSV, `--receipts FILE` to keep them) and `report check FILE` verifies a saved report with no store."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from deconfliction.cli import app
from deconfliction.transparency.keys import SigningKey

from builders import circle, make_system

runner = CliRunner()
WINDOW = ("-a", "pact", "--from", "2026-01-01", "--to", "2030-01-01")


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "100"})
    return result.exit_code, result.output


def flat(out: str) -> str:
    return " ".join(out.split())  # as one line, wherever the console wrapped it


@pytest.fixture
def lapses(tmp_path) -> dict:
    """blue files late; green lets red's alert go overdue, and it escalates once."""
    system, clock = make_system(tmp_path, min_lead_time_s=3600, late_notices="flag", alert_ack_deadline_s=60, hotline_escalation_interval_s=60)
    late = system.file_notice("blue", "pact", [circle(clock, start_h=0.5)]).notice
    system.acknowledge_notice("red", late.id)
    system.acknowledge_notice("green", late.id)
    alert = system.send_message("red", "pact", kind="alert", text="!", to=["green"])
    clock.advance(seconds=61)
    system.tick()
    system.close()
    return {"db": str(tmp_path / "test.db"), "late": late.id, "alert": alert.id}


def test_the_json_report_carries_a_receipt_for_each_lapse_it_counts(lapses):
    code, out = cli("--db", lapses["db"], "report", "compliance", *WINDOW, "--json")
    assert code == 0, out
    rows = {row["party_id"]: row for row in json.loads(out)["parties"]}
    assert [(c["figure"], c["kind"], c["subject"]) for c in rows["blue"]["citations"]] == [("late_notices", "notice.filed", lapses["late"])]
    assert sorted((c["figure"], c["kind"], c["subject"]) for c in rows["green"]["citations"]) == [
        ("hotline_escalations", "hotline.escalated", lapses["alert"]), ("overdue", "ack.overdue", lapses["alert"]),
    ]
    assert rows["red"]["citations"] == []
    assert all(c["inclusion_proof"] for row in rows.values() for c in row["citations"])


def test_the_table_and_the_csv_count_the_receipts_and_say_how_to_get_them(lapses):
    code, out = cli("--db", lapses["db"], "report", "compliance", *WINDOW)
    assert code == 0, out
    (row,) = [line for line in out.splitlines() if line.strip().startswith("receipts")]
    assert row.split()[1:] == ["1", "0", "2"]  # blue, red, green
    assert "--json" in flat(out) and "--receipts FILE" in flat(out) and "report check FILE" in flat(out)
    code, out = cli("--db", lapses["db"], "report", "compliance", *WINDOW, "--format", "csv")
    lines = out.splitlines()
    assert lines[0].endswith(",line_tests_missed,receipts") and "citations" not in lines[0]
    assert [line.rsplit(",", 1)[1] for line in lines[1:]] == ["1", "0", "2"]


def test_a_saved_report_is_checked_with_no_store_and_a_tampered_one_is_named(lapses, tmp_path):
    saved = tmp_path / "report.json"
    code, out = cli("--db", lapses["db"], "report", "compliance", *WINDOW, "--receipts", str(saved))
    assert code == 0 and saved.exists(), out
    log_key = json.loads(saved.read_text())["log_head"]["public_key"]
    for leftover in tmp_path.glob("test.db*"):
        leftover.unlink()  # no store, no server: the file and a key
    code, out = cli("report", "check", str(saved), "--log-key", log_key)
    assert code == 0 and "PROVEN: 3 receipts" in flat(out), out
    code, out = cli("audit", "check", str(saved), "--log-key", log_key)  # the evidence checker knows a report too
    assert code == 0 and "PROVEN: 3 receipts" in flat(out), out
    code, out = cli("report", "check", str(saved), "--log-key", SigningKey.generate().public_b64)
    assert code == 3 and "not by the key you trust" in flat(out), out

    report = json.loads(saved.read_text())
    green = next(row for row in report["parties"] if row["party_id"] == "green")
    green["citations"] = [c for c in green["citations"] if c["figure"] != "overdue"]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(report))
    code, out = cli("report", "check", str(edited), "--json")
    verdict = json.loads(out)
    assert code == 3 and not verdict["ok"]
    assert verdict["problems"] == ["parties[green].overdue: the report counts 1, but 0 receipts back it"]
    code, out = cli("audit", "check", str(edited))
    assert code == 3 and "parties[green].overdue" in flat(out), out


def test_a_file_that_is_no_report_is_refused_naming_it(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"agreement_id": "pact"}')
    code, out = cli("report", "check", str(bad))
    assert code == 2 and "cannot read the report" in flat(out) and "file" in out, out
