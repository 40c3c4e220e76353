"""F3548: create an operational intent reference over HTTP (in process, TestClient) with N intents
already stored in a 20 km box, each with its implicit subscription (so every write also searches the
subscriptions and bumps their notification indices), against two baselines in the same run.

    python bench/f3548_intents.py --sizes 100,1000,3000 --samples 200

Each sample is one random volume (a 200 m circle, 0-120 m W84, 30 min within the next 24 h), filed
three ways one after another, each undone (untimed) before the next, so all three meet the same N
stored intents:

- `F3548`: PUT /dss/v1/operational_intent_references/{id} with a new implicit subscription; the
  subscriptions it must notify come from the store's 4-D index (migration 004), then the exact check.
- `F3548, time-only search`: the same, with the previous candidate search swapped in (every
  subscription overlapping the intent's hours, then the exact check). The index is still kept up to
  date on writes, so this is the old search on the new schema, not the old build.
- `native POST`: POST /v1/notices with a party token, the same volume, no F3548 subscriptions.

A 409 is answered as a client would: a USS with the OVNs of the missing intents (read from the store,
standing in for the USS-to-USS details call), a native party with the versions in the 409 body. The
latency is that of the accepted request. The two F3548 searches must find the same subscribers for
the same volume (the script stops otherwise).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from deconfliction import Deconfliction
from deconfliction.models.agreements import Agreement, Party, Separation
from deconfliction.api import ApiSettings, create_app
from deconfliction.f3548 import subscriptions as subscription_rules
from deconfliction.store import SQLiteStore

T0 = datetime.now(timezone.utc).replace(microsecond=0)
USSS = [f"uss{i}" for i in range(8)]
PARTIES = [f"op{i}" for i in range(8)]
INDEXED_SEARCH = subscription_rules.candidates


def time_only_search(tx, cfg, volumes, manager=None):
    """The candidate search before migration 004: every subscription overlapping the volumes' hours."""
    start, end = min(v.time.start for v in volumes), max(v.time.end for v in volumes)
    return tx.f3548_subscriptions(cfg.agreement_id, start, end, manager=manager)


def volume(rng: random.Random) -> dict:
    lat, lng = 47.37 + rng.uniform(-0.09, 0.09), 8.54 + rng.uniform(-0.13, 0.13)  # ~20 km box over Zurich
    start = T0 + timedelta(minutes=10 + rng.uniform(0, 24 * 60))
    t = lambda m: {"value": m.isoformat().replace("+00:00", "Z"), "format": "RFC3339"}  # noqa: E731
    return {"volume": {"outline_circle": {"center": {"lat": lat, "lng": lng}, "radius": {"value": 200.0, "units": "M"}},
                       "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
                       "altitude_upper": {"value": 120, "reference": "W84", "units": "M"}},
            "time_start": t(start), "time_end": t(start + timedelta(minutes=30))}


def p99(times: list[float]) -> float:
    times = sorted(times)
    return times[min(len(times) - 1, int(0.99 * len(times)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,3000")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    folder = Path(tempfile.mkdtemp())
    (folder / "k.pem").write_bytes(pem)
    store = SQLiteStore(folder / "bench.db")
    system = Deconfliction(store)
    for p in PARTIES:
        system.add_party(Party(id=p, name=p))
    system.add_agreement(Agreement(id="utm", name="UTM", parties=PARTIES, min_lead_time_s=0,
                                   separation=Separation(lateral_m=1.0, vertical_m=0.0, time_buffer_s=0.0)))
    party_tokens = {p: system.issue_token(p)[1] for p in PARTIES}
    settings = ApiSettings(jwt_public_key_file=folder / "k.pem", jwt_audience="dss", f3548_agreement="utm")
    uss_tokens = {u: jwt.encode({"sub": u, "aud": "dss", "exp": int(time.time()) + 7200, "scope": "utm.strategic_coordination"},
                                key, algorithm="RS256") for u in USSS}
    rng = random.Random(args.seed)
    stored = 0
    print("| stored intents | F3548 p50 | F3548 p99 | time-only search p50 | time-only search p99 | native POST p50 | native POST p99 "
          "| subscribers/create | 409s answered (F3548, native) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with TestClient(create_app(system, settings)) as http:

        def f3548_create(extent: dict) -> tuple[float, int, int, str, str, str]:
            uss = rng.choice(USSS)
            body = {"extents": [extent], "state": "Accepted", "uss_base_url": f"https://{uss}.example", "key": [],
                    "new_subscription": {"uss_base_url": f"https://{uss}.example"}}
            entity = str(uuid.uuid4())
            headers = {"Authorization": f"Bearer {uss_tokens[uss]}"}
            retries = 0
            while True:
                started = time.perf_counter()
                response = http.put(f"/dss/v1/operational_intent_references/{entity}", json=body, headers=headers)
                elapsed = time.perf_counter() - started
                if response.status_code == 201:
                    reply = response.json()
                    subscribers = sum(len(s["subscriptions"]) for s in reply["subscribers"])
                    return elapsed, retries, subscribers, uss, entity, reply["operational_intent_reference"]["ovn"]
                assert response.status_code == 409, response.text
                retries += 1
                with store.transaction(write=False) as tx:  # the USS-to-USS details call, in short
                    body["key"] += [tx.get_notice(m["id"]).version for m in response.json()["missing_operational_intents"]]

        def f3548_delete(uss: str, entity: str, ovn: str) -> None:
            response = http.delete(f"/dss/v1/operational_intent_references/{entity}/{ovn}", headers={"Authorization": f"Bearer {uss_tokens[uss]}"})
            assert response.status_code == 200, response.text

        def native_file(extent: dict) -> tuple[float, int, str, str, str]:
            party = rng.choice(PARTIES)
            headers = {"Authorization": f"Bearer {party_tokens[party]}"}
            body = {"agreement_id": "utm", "volumes": [extent], "key": []}
            retries = 0
            while True:
                started = time.perf_counter()
                response = http.post("/v1/notices", json=body, headers=headers)
                elapsed = time.perf_counter() - started
                if response.status_code == 201:
                    notice = response.json()["notice"]
                    return elapsed, retries, party, notice["id"], notice["version"]
                assert response.status_code == 409, response.text
                retries += 1
                body["key"] += [m["version"] for m in response.json()["missing"]]

        def native_cancel(party: str, notice_id: str, version: str) -> None:
            response = http.post(f"/v1/notices/{notice_id}/cancel", json={"version": version},
                                 headers={"Authorization": f"Bearer {party_tokens[party]}"})
            assert response.status_code == 200, response.text

        for size in [int(s) for s in args.sizes.split(",")]:
            seeding = time.perf_counter()
            while stored < size:
                f3548_create(volume(rng))
                stored += 1
            print(f"(seeded {size:,} intents, {time.perf_counter() - seeding:.0f} s)", file=sys.stderr, flush=True)
            indexed, scanned, native, subscribers, retries = [], [], [], [], [0, 0]
            for _ in range(args.samples):
                extent = volume(rng)
                found = {}
                for search, out in ((INDEXED_SEARCH, indexed), (time_only_search, scanned)):
                    subscription_rules.candidates = search
                    try:
                        elapsed, tries, count, uss, entity, ovn = f3548_create(extent)
                    finally:
                        subscription_rules.candidates = INDEXED_SEARCH
                    f3548_delete(uss, entity, ovn)
                    out.append(elapsed)
                    found[search] = count
                    retries[0] += tries
                assert found[INDEXED_SEARCH] == found[time_only_search], f"the searches disagree: {found}"
                subscribers.append(found[INDEXED_SEARCH])
                elapsed, tries, party, notice_id, version = native_file(extent)
                native_cancel(party, notice_id, version)
                native.append(elapsed)
                retries[1] += tries
            ms = lambda x: f"{x * 1000:.1f} ms"  # noqa: E731
            print(f"| {size:,} | {ms(statistics.median(indexed))} | {ms(p99(indexed))} | {ms(statistics.median(scanned))} | "
                  f"{ms(p99(scanned))} | {ms(statistics.median(native))} | {ms(p99(native))} | "
                  f"{statistics.mean(subscribers):.1f} | {retries[0]}, {retries[1]} |", flush=True)
    store.close()


if __name__ == "__main__":
    sys.exit(main())
