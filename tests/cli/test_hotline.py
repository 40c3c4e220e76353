"""The hotline from the command line: send, inbox, ack by short id, thread, lines; refusals name the field."""

from __future__ import annotations

import json

from .test_commands import db, run  # noqa: F401 - the same store fixture and runner as the other CLI tests


def parties(db: str) -> list[str]:
    code, output = run(db, "agreement", "list", "--json")
    assert code == 0, output
    return json.loads(output)[0]["parties"]


def test_send_inbox_ack_and_thread(db: str):
    sender, recipient = parties(db)[:2]
    code, output = run(db, "hotline", "send", "Tanker on 123.45 in ten minutes", "--kind", "alert", "--to", recipient,
                       "--aircraft", "RCH123", "--as", sender, "--json")
    assert code == 0, output
    message = json.loads(output)
    assert message["to"] == [recipient] and message["kind"] == "alert"

    code, output = run(db, "hotline", "inbox", "--as", recipient)
    assert code == 0 and "Tanker" in output and "pending" in output

    code, output = run(db, "hotline", "ack", message["id"][:8], "--as", recipient)
    assert code == 0 and f"Acknowledged message {message['id']}" in output
    code, output = run(db, "hotline", "inbox", "--as", recipient, "--json")
    assert json.loads(output)[0]["deadline"]["state"] == "acknowledged"

    code, output = run(db, "hotline", "send", "Copied", "--reply-to", message["id"][:8], "--as", recipient, "--json")
    assert code == 0, output
    assert json.loads(output)["to"] == [sender]
    code, output = run(db, "hotline", "sent", "--as", sender, "--json")
    assert code == 0 and json.loads(output)[0]["acknowledgments"][0]["state"] == "acknowledged"
    code, output = run(db, "hotline", "thread", message["id"][:6], "--as", sender, "--json")  # a prefix of a message it sent
    assert [m["text"] for m in json.loads(output)] == ["Tanker on 123.45 in ten minutes", "Copied"]


def test_lines_lists_every_party(db: str):
    everyone = parties(db)
    code, output = run(db, "hotline", "lines", "--as", everyone[0], "--json")
    assert code == 0, output
    assert [line["party_id"] for line in json.loads(output)] == everyone


def test_a_bad_kind_is_refused_naming_the_field_and_nothing_is_sent(db: str):
    sender, recipient = parties(db)[:2]
    code, output = run(db, "hotline", "send", "hello", "--kind", "gossip", "--as", sender)
    assert code == 2 and "kind" in output
    code, output = run(db, "hotline", "inbox", "--as", recipient, "--json")
    assert json.loads(output) == []
