"""A real `deconfliction serve`, killed with kill -9 after a keyed write committed and before its reply
was recorded: the retry, to the restarted server, gets the original reply and nothing is applied twice.

The window between the commit and the recording is too short to kill the server in on demand, so the
state a kill there leaves is made exactly: the server is killed after answering, and the recorded
reply is erased from the file (the key, the write and its kept result stay, as they committed together).
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import city  # noqa: E402
from deconfliction import connect  # noqa: E402
from serverproc import Server, serve_available  # noqa: E402

pytestmark = pytest.mark.skipif(not serve_available(), reason="the HTTP API (deconfliction serve) is not installed")


def test_a_retry_after_kill_9_between_the_commit_and_the_recorded_reply_gets_the_original_reply(tmp_path):
    database = tmp_path / "crash.db"
    system = connect(str(database))
    system.add_agreement(city.agreement(["alpha", "bravo"]))
    token = system.issue_token("alpha")[1]
    system.close()
    body = {"agreement_id": "city", "volumes": city.volumes(1, 7, city.day_start())}
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "filing-after-crash"}

    server = Server(database).start()
    try:
        first = httpx.post(f"{server.url}/v1/notices", json=body, headers=headers, timeout=30)
        assert first.status_code == 201, first.text
        server.kill()
        with sqlite3.connect(database) as db:  # what a kill before the recording leaves behind
            erased = db.execute("UPDATE idempotency_keys SET status = NULL, reply = NULL WHERE key = 'filing-after-crash'").rowcount
        assert erased == 1
        server.start()
        again = httpx.post(f"{server.url}/v1/notices", json=body, headers=headers, timeout=30)
    finally:
        server.kill()

    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and again.headers["Location"] == first.headers["Location"]
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM notices").fetchone()[0] == 1
        assert db.execute("SELECT count(*) FROM events WHERE kind = 'notice.filed'").fetchone()[0] == 1
