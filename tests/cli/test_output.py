"""Table or --json: `--json` means the same before the command as after it, for answers and refusals."""

from __future__ import annotations

import json

from .test_commands import EXAMPLES, db, run  # noqa: F401 - the same store fixture and runner

TANKER = str(EXAMPLES / "tanker-circuit.geojson")


def test_json_before_the_command_gives_the_same_answer_as_after_it(db):
    assert run(db, "notice", "file", TANKER, "--as", "calfire", "--json")[0] == 0
    for command in (["agreement", "show", "valley-fire"], ["notice", "list", "--as", "sheriff"], ["events", "--as", "calfire"]):
        after_code, after = run(db, *command, "--json")
        before_code, before = run(db, "--json", *command)
        assert after_code == before_code == 0
        assert json.loads(before) == json.loads(after)


def test_json_before_the_command_also_shapes_a_refusal(db):
    code, output = run(db, "--json", "notice", "show", "no-such-notice", "--as", "sheriff")
    assert code == 2
    assert json.loads(output)["error"]["code"] == "not_found"


def test_without_json_the_answer_is_for_people(db):
    code, output = run(db, "agreement", "show", "valley-fire")
    assert code == 0
    assert "valley-fire" in output
    try:
        json.loads(output)
    except ValueError:
        pass
    else:
        raise AssertionError("a table was expected, got JSON")


def test_json_before_the_command_also_works_for_tokens(db):
    code, output = run(db, "--json", "token", "issue", "--party", "calfire")
    assert code == 0
    issued = json.loads(output)
    assert issued["token"].startswith("dcf_") and issued["credential"]["party_id"] == "calfire"
    code, output = run(db, "--json", "token", "list")
    assert code == 0 and [c["id"] for c in json.loads(output)] == [issued["credential"]["id"]]
