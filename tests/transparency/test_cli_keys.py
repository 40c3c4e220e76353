"""`deconfliction keys add|list|revoke` on a store, with a key made by `audit keygen`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from deconfliction.cli import app

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_party_key_is_added_rotated_listed_and_revoked_from_the_cli(tmp_path):
    db = str(tmp_path / "keys.db")
    assert run("--db", db, "init")[0] == 0
    publics = []
    for name in ("one", "two"):
        code, public = run("audit", "keygen", "--out", str(tmp_path / f"{name}.pem"))
        assert code == 0
        publics.append(public.strip())
    assert run("audit", "keygen", "--out", str(tmp_path / "one.pem"))[0] == 2  # never overwrites a key
    code, out = run("--db", db, "keys", "add", "calfire", "--public-key", publics[0], "--valid-until", "2030-01-01", "--json")
    assert code == 0, out
    first = json.loads(out)
    code, out = run("--db", db, "keys", "add", "calfire", "--public-key", publics[1], "--valid-from", "2030-01-01", "--json")
    assert code == 0, out
    code, out = run("--db", db, "keys", "list", "calfire", "--json")
    listed = json.loads(out)
    assert [k["public_key"] for k in listed] == publics and listed[0]["valid_until"].startswith("2030-01-01")
    code, out = run("--db", db, "keys", "revoke", "calfire", first["key_id"], "--json")
    assert code == 0 and json.loads(out)["revoked_at"], out
    code, out = run("--db", db, "keys", "add", "calfire", "--public-key", "not-a-key", "--json")
    assert code == 2 and json.loads(out)["error"]["field"] == "public_key", out
