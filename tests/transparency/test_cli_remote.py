"""The evidence commands through a real server, as a party: keep a head, register a key, file signed
(DECONFLICTION_SIGNING_KEY), and check later that the server's log still extends the kept head."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cli.test_remote import EXAMPLES, server  # noqa: F401  (the fixture: a uvicorn server over a store)
from deconfliction.cli import app

runner = CliRunner()


def as_party(url: str, token: str, *args: str, env: dict | None = None):
    result = runner.invoke(app, ["--server", url, "--token", token, *args], env=env)
    return result.exit_code, result.output


def test_a_party_keeps_a_head_signs_its_filing_and_checks_the_server_later(server, tmp_path):  # noqa: F811
    url, tokens = server
    head = tmp_path / "head.json"
    code, out = as_party(url, tokens["calfire"], "audit", "head", "--out", str(head))
    assert code == 0, out
    code, public = as_party(url, tokens["calfire"], "audit", "keygen", "--out", str(tmp_path / "calfire.pem"))
    code, out = as_party(url, tokens["calfire"], "keys", "add", "calfire", "--public-key", public.strip())
    assert code == 0, out
    env = {"DECONFLICTION_SIGNING_KEY": str(tmp_path / "calfire.pem")}
    code, out = as_party(url, tokens["calfire"], "--json", "notice", "file", str(EXAMPLES / "tanker-circuit.geojson"), env=env)
    assert code == 0, out
    code, out = as_party(url, tokens["calfire"], "audit", "verify", "--head", str(head))
    assert code == 0 and "extends the head you kept" in out, out
    code, out = as_party(url, tokens["sheriff"], "keys", "list", "calfire", "--json")
    assert code == 0 and json.loads(out)[0]["public_key"] == public.strip(), out


def test_the_cli_signs_with_the_key_it_is_given_and_the_server_checks_it(server, tmp_path):  # noqa: F811
    """A key not valid yet: the filing is refused, which only a signed request can be."""
    url, tokens = server
    code, public = as_party(url, tokens["sheriff"], "audit", "keygen", "--out", str(tmp_path / "sheriff.pem"))
    code, out = as_party(url, tokens["sheriff"], "keys", "add", "sheriff", "--public-key", public.strip(), "--valid-from", "2099-01-01")
    assert code == 0, out
    env = {"DECONFLICTION_SIGNING_KEY": str(tmp_path / "sheriff.pem")}
    code, out = as_party(url, tokens["sheriff"], "--json", "notice", "file", str(EXAMPLES / "tanker-circuit.geojson"), env=env)
    assert code == 2 and "valid only from" in out, out
    code, out = as_party(url, tokens["sheriff"], "--json", "notice", "file", str(EXAMPLES / "tanker-circuit.geojson"))
    assert code in (0, 2) and "valid only from" not in out, out  # unsigned: this agreement does not require signatures
