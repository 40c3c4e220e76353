"""Several trusted issuer keys and several accepted audiences (`serve --jwt-public-key A --jwt-public-key B
--jwt-audience X --jwt-audience Y`): a token from any trusted key for any accepted audience is let in;
anything else is still a 401."""

from __future__ import annotations

from fastapi.testclient import TestClient

from deconfliction.api import ApiSettings, create_app

from .conftest import AUDIENCE, ISSUER, bearer, make_jwt


def test_tokens_from_any_trusted_key_for_any_accepted_audience_are_accepted(system, tmp_path, issuer_keys):
    (first, first_pem), (second, second_pem) = issuer_keys
    paths = [tmp_path / "a.pem", tmp_path / "b.pem"]
    paths[0].write_bytes(first_pem)
    paths[1].write_bytes(second_pem)
    settings = ApiSettings(
        jwt_public_key_file=paths[0], more_jwt_public_key_files=(paths[1],),
        jwt_audience=AUDIENCE, more_jwt_audiences=("dss.example.org",), jwt_issuer=ISSUER,
    )
    assert ApiSettings.from_env(settings.to_env()).jwt_key_files == paths  # as passed to worker processes
    assert ApiSettings.from_env(settings.to_env()).jwt_audiences == [AUDIENCE, "dss.example.org"]
    http = TestClient(create_app(system, settings))
    for key in (first, second):
        for audience in (AUDIENCE, "dss.example.org"):
            token = make_jwt(key, "blue", "notices:read", aud=audience)
            assert http.get("/v1/notices", headers=bearer(token)).status_code == 200, audience
    assert http.get("/v1/notices", headers=bearer(make_jwt(first, "blue", "notices:read", aud="elsewhere"))).status_code == 401


def test_a_cli_with_two_keys_needs_each_file(tmp_path):
    from typer.testing import CliRunner

    from deconfliction.cli import app

    key = tmp_path / "a.pem"
    key.write_text("not used")
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "s.db"), "serve", "--jwt-public-key", str(key),
                                      "--jwt-public-key", str(tmp_path / "missing.pem"), "--jwt-audience", "x"])
    assert result.exit_code == 2 and "jwt_public_key" in result.output and "missing" in result.output
