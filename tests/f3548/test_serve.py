"""`deconfliction serve --f3548 --jwt-public-key FILE --jwt-audience AUD` as a real process: healthy,
a USS's signed request, and the refusals of a wrong configuration."""

from __future__ import annotations

import subprocess
import sys

import httpx

from deconfliction import Deconfliction
from deconfliction.store import SQLiteStore
from serverproc import LAUNCHER, Server

from . import spec
from .conftest import ALL_SCOPES, AUDIENCE, circle, new_id, token, utm_agreement


def test_serve_with_f3548_answers_ussss(tmp_path, keys, clock):
    db = tmp_path / "served.db"
    store = SQLiteStore(db)
    Deconfliction(store).add_agreement(utm_agreement())
    store.close()
    key_file = tmp_path / "authority.pem"
    key_file.write_bytes(keys[1])
    with Server(db, extra=["--f3548", "--jwt-public-key", str(key_file), "--jwt-audience", AUDIENCE]) as server:
        assert httpx.get(f"{server.url}/dss/v1/healthy").text == "ok"
        from datetime import datetime, timezone

        now = datetime.now(timezone.utc)
        path = f"/dss/v1/operational_intent_references/{new_id()}"
        body = {"extents": [circle(now)], "state": "Accepted", "uss_base_url": "https://uss1.example.com"}
        response = httpx.put(server.url + path, json=body, headers={"Authorization": "Bearer " + token(keys[0], "uss1", " ".join(ALL_SCOPES))})
        assert response.status_code == 201, response.text
        spec.check("PUT", path, 201, response.json())
        assert httpx.put(server.url + path, json=body).status_code == 401


def run_serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LAUNCHER, "serve", *args], capture_output=True, text=True, timeout=60)


def test_serve_f3548_needs_a_key_and_one_agreement(tmp_path, keys):
    db = tmp_path / "two.db"
    store = SQLiteStore(db)
    system = Deconfliction(store)
    system.add_agreement(utm_agreement())
    system.add_agreement(utm_agreement().model_copy(update={"id": "utm2"}))
    store.close()
    no_key = run_serve("--database", str(db), "--f3548")
    assert no_key.returncode == 2 and "--jwt-public-key" in no_key.stderr
    key_file = tmp_path / "authority.pem"
    key_file.write_bytes(keys[1])
    ambiguous = run_serve("--database", str(db), "--f3548", "--jwt-public-key", str(key_file), "--jwt-audience", AUDIENCE)
    assert ambiguous.returncode == 2 and "--f3548-agreement" in ambiguous.stderr
    unknown = run_serve("--database", str(db), "--f3548-agreement", "nope", "--jwt-public-key", str(key_file), "--jwt-audience", AUDIENCE)
    assert unknown.returncode == 2 and "nope" in unknown.stderr


def test_serve_f3548_on_a_new_store_creates_the_utm_agreement_and_serves_it(tmp_path, keys):
    """Zero set-up: no `init`, no agreement file; the built-in `utm` (F3548 semantics) is made."""
    from datetime import datetime, timezone

    db = tmp_path / "new.db"
    key_file = tmp_path / "authority.pem"
    key_file.write_bytes(keys[1])
    with Server(db, extra=["--f3548", "--jwt-public-key", str(key_file), "--jwt-audience", AUDIENCE]) as server:
        body = {"extents": [circle(datetime.now(timezone.utc))], "state": "Accepted", "uss_base_url": "https://uss1.example.com"}
        response = httpx.put(f"{server.url}/dss/v1/operational_intent_references/{new_id()}", json=body,
                             headers={"Authorization": "Bearer " + token(keys[0], "uss1", " ".join(ALL_SCOPES))})
        assert response.status_code == 201, response.text
    store = SQLiteStore(db)
    try:
        (agreement,) = Deconfliction(store).agreements()
    finally:
        store.close()
    assert agreement.id == "utm" and "uss1" in agreement.parties
    assert (agreement.separation.lateral_m, agreement.separation.vertical_m, agreement.separation.time_buffer_s) == (1.0, 0.0, 0.0)
    assert agreement.min_lead_time_s == 0 and agreement.planning_horizon_s == 30 * 86400
