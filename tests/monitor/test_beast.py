"""Mode S Beast: the shared real sample decoded against an independent CPR oracle, random positions
anywhere on Earth round-tripped through frames built by the oracle, broken input counted and
skipped, and a live TCP feed into the monitor."""

import math
import os
import random
import socket
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from deconfliction.monitor import LiveFeed, Monitor
from deconfliction.monitor.beast import BeastStream, ModeSDecoder, encode_beast_frame, read_beast
from deconfliction.monitor.parties import PartyAssigner

from . import modes_oracle as oracle

SAMPLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "adsb" / "sample_dump1090.bin"
START = 1_700_000_000.0
needs_sample = pytest.mark.skipif(not SAMPLE.exists() and not os.environ.get("CI"),
                                  reason=f"{SAMPLE} absent (../shared is not part of a fresh clone)")


def oracle_positions(data: bytes) -> list[tuple[float, str, float, float]]:
    """(time, icao, lat, lon) of every ADS-B airborne position in the bytes, by the oracle alone:
    a global fix from the first even/odd pair within 10 s, then local decoding from the last fix."""
    frames = oracle.beast_frames(data)
    first = frames[0][1]
    last: dict[int, dict] = {}
    out = []
    for kind, ticks, payload in frames:
        if kind != 0x33 or payload[0] >> 3 != 17:
            continue
        f = oracle.fields_of(payload)
        if not (9 <= f["typecode"] <= 18) or not f["parity_ok"]:
            continue
        when = START + (ticks - first) / 12e6
        state = last.setdefault(f["icao"], {})
        state[f["odd"]] = (when, (f["lat"], f["lon"]))
        if "fix" in state and when - state["fix"][0] <= 60:
            lat, lon = oracle.local_decode((f["lat"], f["lon"]), f["odd"], *state["fix"][1:])
        else:
            other = state.get(1 - f["odd"])
            if other is None or when - other[0] > 10:
                continue
            fix = oracle.global_decode(state[0][1], state[1][1], newest_odd=bool(f["odd"]))
            if fix is None:
                continue
            lat, lon = fix
        state["fix"] = (when, lat, lon)
        out.append((when, f"{f['icao']:06x}", lat, lon))
    return out


@needs_sample
def test_the_shared_beast_sample_yields_the_positions_an_independent_cpr_decode_gives():
    reports, stream = read_beast(SAMPLE, start=START, parties=PartyAssigner("icao24"))
    positions = [(r.time, r.aircraft, r.lat, r.lon) for r in reports if r.has_position]
    expected = oracle_positions(SAMPLE.read_bytes())
    assert len(expected) >= 3 and len(positions) == len(expected)
    for got, want in zip(positions, expected):
        assert got[0] == pytest.approx(want[0], abs=1e-6) and got[1] == want[1]
        assert oracle.haversine_m(got[2], got[3], want[2], want[3]) < 0.01
    # Toulouse, where the sample was recorded (Transavia TRA89M at FL380)
    assert all(43 < p[2] < 44.5 and 0.5 < p[3] < 2 for p in positions)
    assert {r.callsign for r in reports} >= {"TRA89M"}
    altitude = {round(r.altitude_m) for r in reports if r.has_position}
    assert altitude == {round(38_000 * 0.3048)}
    velocity = [r for r in reports if r.has_velocity]
    assert velocity and velocity[0].ground_speed_ms == pytest.approx(395 * 1852 / 3600)
    assert stream.frames == 239 and not stream.malformed
    assert stream.decoder.global_fixes == 1 and stream.decoder.local_fixes == len(expected) - 1


def _frames_for(track: list[tuple[float, float, float]], icao: int, seed: int) -> bytes:
    """Beast bytes for positions (lat, lon, feet) 0.5 s apart, alternating even and odd; the MLAT
    counter starts at a value rich in 0x1a bytes so that escaping is exercised."""
    ticks = 0x1A1A1A00001A
    out = b""
    for index, (lat, lon, feet) in enumerate(track):
        message = oracle.airborne_position_message(icao, lat, lon, feet, odd=index % 2)
        out += encode_beast_frame(message, ticks + index * 6_000_000, signal=0x1A)
    return out


def _decode_in_chunks(data: bytes, seed: int) -> list:
    stream = BeastStream(ModeSDecoder(PartyAssigner("icao24")), start=START)
    rng, reports, i = random.Random(seed), [], 0
    while i < len(data):
        step = rng.randint(1, 40)
        reports += stream.feed(data[i:i + step])
        i += step
    return reports, stream


def cpr_resolution_m(lat: float) -> float:
    """Half a CPR quantum in each direction at this latitude (odd frames: the coarser zones),
    plus a centimetre of float noise."""
    zones = max(min(oracle.nl(lat - 0.001), oracle.nl(lat + 0.001)) - 1, 1)
    metres_per_degree = 111_320.0
    north = 360.0 / 59 / oracle.CPR_BITS * metres_per_degree
    east = 360.0 / zones / oracle.CPR_BITS * metres_per_degree * math.cos(math.radians(lat))
    return math.hypot(north, east) / 2 + 0.01


positions = st.tuples(
    st.one_of(st.floats(-89.99, 89.99), st.sampled_from([0.0, 87.0, -87.0, 86.99, 89.9, -89.9, 10.47047130, 59.95392])),
    st.one_of(st.floats(-180.0, 179.999), st.sampled_from([-180.0, 179.9999, 0.0, -0.0001])),
    st.floats(-1000, 50_000),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=positions, drift=st.tuples(st.floats(-0.002, 0.002), st.floats(-0.002, 0.002)), seed=st.integers(0, 1000))
@example(start=(86.999, 0.0, 0.0), drift=(0.002, 0.0), seed=0)  # across 87°N, where NL drops from 2 to 1
def test_positions_anywhere_round_trip_through_cpr_within_its_resolution(start, drift, seed):
    lat, lon, feet = start
    feet = round((feet + 1000) / 25) * 25 - 1000
    track = [(lat, lon, feet), (lat, lon, feet)]
    for k in range(1, 4):  # then single frames resolved locally, the aircraft drifting (≤ 222 m per 0.5 s)
        moved_lat = max(-89.99, min(89.99, lat + k * drift[0]))
        track.append((moved_lat, (lon + k * drift[1] + 180) % 360 - 180, feet))
    reports, stream = _decode_in_chunks(_frames_for(track, 0xABC123, seed), seed)
    even, odd = oracle.cpr_encode(lat, lon, 0), oracle.cpr_encode(lat, lon, 1)
    if oracle.global_decode(even, odd, newest_odd=True) is None:
        # the pair straddles a longitude-zone boundary: no global fix is the right answer
        assert not reports or stream.decoder.global_fixes
        return
    assert len(reports) == len(track) - 1
    for report, truth in zip(reports, track[1:]):
        assert oracle.haversine_m(report.lat, report.lon, truth[0], truth[1]) <= cpr_resolution_m(truth[0])
        assert report.altitude_m == pytest.approx(truth[2] * 0.3048)
        assert report.datum == "AMSL"


def test_garbage_cut_frames_and_bad_parity_are_counted_and_skipped():
    good = _frames_for([(48.5, 2.3, 35_000), (48.5, 2.3, 35_000), (48.51, 2.3, 35_000)], 0x4CA2D6, 1)
    bad_parity = bytearray(oracle.airborne_position_message(0x4CA2D6, 48.5, 2.3, 35_000, 0))
    bad_parity[-1] ^= 0x01
    cut = encode_beast_frame(oracle.airborne_position_message(0x4CA2D6, 48.5, 2.3, 35_000, 1))[:9]
    data = b"\x00\xffjunk" + cut + encode_beast_frame(bytes(bad_parity)) + b"\x1a\x39\x00" + good
    reports, stream = _decode_in_chunks(data, 7)
    assert len(reports) == 2  # the good frames still decode
    malformed = stream.malformed
    assert malformed["CRC mismatch"] == 1
    assert malformed["frame cut short"] == 1
    assert malformed["unknown frame type 0x39"] == 1
    assert malformed["bytes outside a frame"] >= 7


def test_a_live_beast_feed_over_tcp_reaches_the_monitor():
    from deconfliction.monitor.live_binary import follow_beast

    track = [(48.5 + k * 0.001, 2.3, 35_000) for k in range(6)]
    data = _frames_for(track, 0x4CA2D6, 3)
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve():
        connection, _ = server.accept()
        with connection:
            for i in range(0, len(data), 13):
                connection.sendall(data[i:i + 13])
        server.close()

    threading.Thread(target=serve, daemon=True).start()
    ingested = []
    monitor = Monitor()
    original = monitor.ingest
    monitor.ingest = lambda batch: (ingested.extend(batch), original(batch))[1]
    feed = LiveFeed(monitor, cycle_s=0.05)
    stop = threading.Event()
    timer = threading.Timer(5.0, stop.set)
    timer.start()
    try:
        stats = follow_beast("127.0.0.1", port, feed, stop, parties=PartyAssigner("icao24"), reconnect=False)
    finally:
        timer.cancel()
    feed.tick(force=True)
    assert len(ingested) == len(track) - 1
    assert all(r.aircraft == "4ca2d6" and abs(r.lat - 48.5) < 0.01 for r in ingested)
    assert stats.frames == len(track)
