"""The CLI's remote mode: the same commands through a real server's API, the token saying who acts."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from deconfliction import connect
from deconfliction.api import ApiSettings, create_app
from deconfliction.cli import app
from deconfliction.demo.story import example_agreement_text
from deconfliction.models.agreements import load_toml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
runner = CliRunner()


@pytest.fixture()
def server(tmp_path):
    system = connect(tmp_path / "remote.db")
    system.add_agreement(*load_toml(example_agreement_text()))
    tokens = {party: system.issue_token(party)[1] for party in ("calfire", "sheriff")}
    tokens["admin"] = system.issue_token(None, ["admin"])[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(system, ApiSettings()), host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/v1/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    yield url, tokens
    uv.should_exit = True
    thread.join(10)


def remote(url: str, token: str, *args: str):
    result = runner.invoke(app, ["--server", url, "--token", token, *args, "--json"])
    return result.exit_code, json.loads(result.output) if result.output.strip() else None


def test_two_parties_file_through_the_server_and_the_key_is_enforced(server):
    url, tokens = server
    code, first = remote(url, tokens["calfire"], "notice", "file", str(EXAMPLES / "tanker-circuit.geojson"))
    assert code == 0 and first["notice"]["party_id"] == "calfire"  # no --as: the token's party

    code, refused = remote(url, tokens["sheriff"], "notice", "file", str(EXAMPLES / "mapping-drone.f3548.json"))
    assert code == 2 and refused["error"]["code"] == "missing_key"
    assert [n["version"] for n in refused["error"]["missing"]] == [first["notice"]["version"]]

    code, second = remote(url, tokens["sheriff"], "notice", "file", str(EXAMPLES / "mapping-drone.f3548.json"), "--key", first["notice"]["version"])
    assert code == 0 and len(second["conflicts"]) == 1

    code, acked = remote(url, tokens["calfire"], "conflicts", "ack", second["conflicts"][0]["id"][:8])
    assert code == 0
    assert (acked["acknowledged_a"] if acked["party_a"] == "calfire" else acked["acknowledged_b"]) is not None

    code, events = remote(url, tokens["sheriff"], "events")
    assert code == 0 and "conflict.acknowledged" in [e["kind"] for e in events]


def test_acting_as_another_party_than_the_token_is_refused(server):
    url, tokens = server
    code, refused = remote(url, tokens["calfire"], "notice", "list", "--as", "sheriff")
    assert code == 2 and refused["error"]["code"] == "forbidden"


def test_store_only_commands_refuse_remote_mode(server):
    url, tokens = server
    code, refused = remote(url, tokens["calfire"], "init")
    assert code == 2 and refused["error"]["field"] == "--server"


def test_the_hotline_through_the_server(server):
    url, tokens = server
    code, sent = remote(url, tokens["calfire"], "hotline", "send", "Retardant drop on the ridge at 14:10Z", "--kind", "alert", "--to", "sheriff")
    assert code == 0 and sent["sender"] == "calfire" and sent["to"] == ["sheriff"]
    code, inbox = remote(url, tokens["sheriff"], "hotline", "inbox")
    assert code == 0 and [i["message"]["id"] for i in inbox] == [sent["id"]]
    code, done = remote(url, tokens["sheriff"], "hotline", "ack", sent["id"][:8])
    assert code == 0 and done["state"] == "acknowledged"
    code, thread = remote(url, tokens["calfire"], "hotline", "thread", sent["id"])
    assert code == 0 and thread[0]["acknowledgments"][0]["state"] == "acknowledged"
    code, lines = remote(url, tokens["calfire"], "hotline", "lines")
    assert code == 0 and {line["party_id"] for line in lines} >= {"calfire", "sheriff"}


def test_zones_are_imported_listed_and_exported_through_the_server(server, tmp_path):
    url, tokens = server
    openair = Path(__file__).resolve().parents[1] / "data" / "zones" / "openair-circular.txt"
    code, summary = remote(url, tokens["admin"], "zones", "import", str(openair), "-a", "valley-fire")
    assert code == 0 and summary["imported"] == 1 and summary["agreement"] == "valley-fire"
    code, listed = remote(url, tokens["sheriff"], "zones", "list")
    assert code == 0 and len(listed) == 1 and listed[0]["ovn"] == "" and listed[0]["version"] == 1  # the OVN is not a member's
    code, _ = remote(url, tokens["sheriff"], "zones", "import", str(openair), "-a", "valley-fire")
    assert code != 0  # only the operator
    out = tmp_path / "valley-fire.geojson"
    result = runner.invoke(app, ["--server", url, "--token", tokens["sheriff"], "export", "--format", "geojson", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [f["properties"]["name"] for f in json.loads(out.read_text())["features"] if f["properties"]["kind"] == "zone"] == [listed[0]["name"]]
