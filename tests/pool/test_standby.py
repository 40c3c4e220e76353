"""With its standby gone, a pg_auto_failover primary acknowledges writes alone (`wait_primary`: it turns
synchronous replication off). Such a write, or a signed head over it, could be missing on a standby
promoted later. An instance started with --require-standby answers neither until a standby has it;
an instance without it (the same database, the same moment) shows the hole.
"""

from __future__ import annotations

import threading
import time

import httpx

from serverproc import Server, free_port

from .workload import set_up, volume


def _wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout_s:.0f} s: {what}"
        time.sleep(0.2)


def _reported(cluster) -> set[str]:
    try:
        return {n["reported"] for n in cluster.nodes_state()}
    except Exception:  # noqa: BLE001 - the monitor may be busy
        return set()


def test_without_its_standby_a_strict_instance_answers_no_write_and_no_head_until_the_standby_has_them(cluster, pool_url, tmp_path):
    tokens = set_up(pool_url)
    strict = Server(pool_url, free_port(), extra=["--require-standby"], log=tmp_path / "strict.log").start(60)
    lax = Server(pool_url, free_port(), log=tmp_path / "lax.log").start(60)
    blue = {"Authorization": f"Bearer {tokens['blue']}"}
    try:
        assert httpx.post(f"{strict.url}/v1/notices", json={"agreement_id": "pool", "volumes": [volume(0, 0)]},
                          headers=blue, timeout=30).status_code == 201  # with its standby: at once

        standby = next(n["name"] for n in cluster.nodes_state() if n["reported"] == "secondary")
        cluster.stop(standby)
        _wait_for(lambda: "wait_primary" in _reported(cluster), 60, "the primary going on alone (wait_primary)")

        # The hole, on the instance that does not require a standby: acknowledged with one copy.
        alone = httpx.post(f"{lax.url}/v1/notices", json={"agreement_id": "pool", "volumes": [volume(0, 1)]}, headers=blue, timeout=30)
        assert alone.status_code == 201

        # The strict instance: a write without a key is answered 503 (committed here, not yet durable there) …
        unkeyed = httpx.post(f"{strict.url}/v1/notices", json={"agreement_id": "pool", "volumes": [volume(0, 2)]}, headers=blue, timeout=60)
        assert unkeyed.status_code == 503 and unkeyed.headers.get("Retry-After"), unkeyed.text
        # … and so is a signed head: a reader could see what the standby lacks.
        head = httpx.get(f"{strict.url}/v1/log/head", headers=blue, timeout=60)
        assert head.status_code == 503, head.text
        red = {"Authorization": f"Bearer {tokens['red']}"}  # told of blue's filings: its feed waits for the standby too
        assert httpx.get(f"{strict.url}/v1/events", headers=red, timeout=60).status_code == 503
        assert httpx.get(f"{lax.url}/v1/events", headers=red, timeout=60).status_code == 200

        # A keyed write waits for the standby (retried with its key), and is answered once it is back.
        keyed: dict = {}

        def file_with_key() -> None:
            keyed["reply"] = httpx.post(
                f"{strict.url}/v1/notices", json={"agreement_id": "pool", "volumes": [volume(0, 3)]},
                headers=blue | {"Idempotency-Key": "while-alone"}, timeout=120,
            )
            keyed["at"] = time.monotonic()

        writer = threading.Thread(target=file_with_key)
        writer.start()
        time.sleep(3.0)
        assert "reply" not in keyed, "answered while the primary was alone"
        cluster.restart(standby)
        cluster.wait_replicated(120)
        back = time.monotonic()
        writer.join(120)
        reply = keyed["reply"]
        if reply.status_code == 503:  # the standby took longer than the write's failover budget: the key makes a retry safe
            reply = httpx.post(f"{strict.url}/v1/notices", json={"agreement_id": "pool", "volumes": [volume(0, 3)]},
                               headers=blue | {"Idempotency-Key": "while-alone"}, timeout=60)
        else:
            assert keyed["at"] >= back - 1.0  # not before the standby was back (the monitor's report lags a little)
        assert reply.status_code == 201, reply.text
        assert httpx.get(f"{strict.url}/v1/log/head", headers=blue, timeout=60).status_code == 200
        assert httpx.get(f"{strict.url}/v1/events", headers=red, timeout=60).status_code == 200

        notices = httpx.get(f"{strict.url}/v1/notices", params={"party_id": "blue", "limit": 100}, headers=blue, timeout=30).json()
        items = notices["items"] if isinstance(notices, dict) else notices
        assert len([n for n in items if n.get("party_id", "blue") == "blue"]) == 4  # each filed once, the keyed one too
    finally:
        strict.kill()
        lax.kill()
