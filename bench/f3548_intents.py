"""F3548: create an operational intent reference over HTTP (in process, TestClient) with N intents
already stored in a 20 km box, each with its implicit subscription (so every write also searches the
subscriptions and bumps their notification indices). A 409 is answered as a USS would: with the OVNs
of the missing intents (here read from the store, standing in for the USS-to-USS details call).

    python bench/f3548_intents.py --sizes 100,1000,3000 --samples 200
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
from deconfliction.agreements import Agreement, Separation
from deconfliction.api import ApiSettings, create_app
from deconfliction.store import SQLiteStore

T0 = datetime.now(timezone.utc).replace(microsecond=0)


def volume(rng: random.Random) -> dict:
    lat, lng = 47.37 + rng.uniform(-0.09, 0.09), 8.54 + rng.uniform(-0.13, 0.13)  # ~20 km box over Zurich
    start = T0 + timedelta(minutes=10 + rng.uniform(0, 24 * 60))
    t = lambda m: {"value": m.isoformat().replace("+00:00", "Z"), "format": "RFC3339"}  # noqa: E731
    return {"volume": {"outline_circle": {"center": {"lat": lat, "lng": lng}, "radius": {"value": 200.0, "units": "M"}},
                       "altitude_lower": {"value": 0, "reference": "W84", "units": "M"},
                       "altitude_upper": {"value": 120, "reference": "W84", "units": "M"}},
            "time_start": t(start), "time_end": t(start + timedelta(minutes=30))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,3000")
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    folder = Path(tempfile.mkdtemp())
    (folder / "k.pem").write_bytes(pem)
    store = SQLiteStore(folder / "bench.db")
    system = Deconfliction(store)
    system.add_agreement(Agreement(id="utm", name="UTM", parties=["op"], min_lead_time_s=0, separation=Separation(lateral_m=1.0, vertical_m=0.0)))
    settings = ApiSettings(jwt_public_key_file=folder / "k.pem", jwt_audience="dss", f3548_agreement="utm")
    tokens = {u: jwt.encode({"sub": u, "aud": "dss", "exp": int(time.time()) + 7200, "scope": "utm.strategic_coordination"}, key, algorithm="RS256")
              for u in (f"uss{i}" for i in range(8))}
    rng = random.Random(7)
    stored = 0
    print("| stored intents | create p50 | create p99 | 409s answered | subscribers/create |")
    print("|---:|---:|---:|---:|---:|")
    with TestClient(create_app(system, settings)) as http:

        def create(measure: bool) -> tuple[float, int, int]:
            uss = rng.choice(list(tokens))
            body = {"extents": [volume(rng)], "state": "Accepted", "uss_base_url": f"https://{uss}.example", "key": [],
                    "new_subscription": {"uss_base_url": f"https://{uss}.example"}}
            path = f"/dss/v1/operational_intent_references/{uuid.uuid4()}"
            headers = {"Authorization": f"Bearer {tokens[uss]}"}
            retries = 0
            while True:
                started = time.perf_counter()
                response = http.put(path, json=body, headers=headers)
                elapsed = time.perf_counter() - started
                if response.status_code == 201:
                    return elapsed, retries, sum(len(s["subscriptions"]) for s in response.json()["subscribers"])
                assert response.status_code == 409, response.text
                retries += 1
                with store.transaction(write=False) as tx:  # the USS-to-USS details call, in short
                    body["key"] += [tx.get_notice(m["id"]).version for m in response.json()["missing_operational_intents"]]

        for size in [int(s) for s in args.sizes.split(",")]:
            while stored < size:
                create(False)
                stored += 1
            samples = [create(True) for _ in range(args.samples)]
            stored += args.samples
            times = sorted(s[0] for s in samples)
            p99 = times[min(len(times) - 1, int(0.99 * len(times)))]
            print(f"| {size:,} | {statistics.median(times) * 1000:.1f} ms | {p99 * 1000:.1f} ms | "
                  f"{sum(s[1] for s in samples)} | {statistics.mean(s[2] for s in samples):.1f} |", flush=True)
    store.close()


if __name__ == "__main__":
    sys.exit(main())
