"""ASTERIX CAT021/CAT062: a hand-assembled record read by the decoder, round trips through the
library's encoder within the wire's resolution, broken blocks counted and skipped, a live UDP feed."""

import math
import socket
import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deconfliction.monitor import LiveFeed, Monitor, PositionReport
from deconfliction.monitor.asterix import AsterixDecoder, encode_cat021, encode_cat062, read_asterix, time_of_day_at
from deconfliction.monitor.formats import detect_format, read_track_file
from deconfliction.monitor.parties import PartyAssigner

NOON = 1_700_049_600.0  # 2023-11-15 12:00:00 UTC


def test_a_hand_assembled_cat021_record_is_read_field_by_field():
    # FSPEC: FRN 1 (010), 7 (131), FX | FRN 11 (080), FX | FRN 21 (145), written from the UAP by hand.
    lat, lon = round(48.5 * 2**30 / 180), round(-2.25 * 2**30 / 180)
    record = bytes([0x83, 0x11, 0x02, 7, 9]) + lat.to_bytes(4, "big", signed=True) + lon.to_bytes(4, "big", signed=True)
    record += (0x4CA2D6).to_bytes(3, "big") + (350 * 4).to_bytes(2, "big", signed=True)
    block = bytes([21]) + (3 + len(record)).to_bytes(2, "big") + record
    (report,) = AsterixDecoder(PartyAssigner("icao24")).decode(block, NOON)
    assert report.aircraft == "4ca2d6" and report.time == NOON
    assert report.lat == pytest.approx(48.5, abs=180 / 2**30) and report.lon == pytest.approx(-2.25, abs=180 / 2**30)
    assert report.altitude_m == pytest.approx(35_000 * 0.3048) and report.datum == "AMSL"


def test_times_of_day_land_on_the_nearest_day():
    assert time_of_day_at(43_200.0, NOON + 60) == NOON
    assert time_of_day_at(86_399.0, NOON + 43_200 - 30) == NOON + 43_199  # just before midnight
    assert time_of_day_at(1.0, NOON + 43_200 - 30) == NOON + 43_201  # just after


reports = st.builds(
    lambda lat, lon, fl, speed, track, rate, call, t: PositionReport(
        party="p", aircraft="4ca2d6", time=NOON + t, lat=lat, lon=lon, altitude_m=fl * 100 * 0.3048,
        ground_speed_ms=speed, track_deg=track, vertical_rate_ms=rate, callsign=call),
    st.floats(-90, 90), st.floats(-180, 180), st.floats(-10, 600), st.floats(0, 600), st.floats(0, 359.99),
    st.floats(-100, 100), st.sampled_from(["EIN5FK", "AFR12AB", "N123AB", "X"]), st.floats(-3_600, 3_600),
)


def _close(got: PositionReport, want: PositionReport, position_deg: float, speed_ms: float) -> None:
    assert got.aircraft == want.aircraft and got.callsign == want.callsign
    assert got.time == pytest.approx(want.time, abs=1 / 128)
    assert got.lat == pytest.approx(want.lat, abs=position_deg) and got.lon == pytest.approx(want.lon, abs=position_deg)
    assert got.altitude_m == pytest.approx(want.altitude_m, abs=25 * 0.3048 / 2 + 1e-6)  # 1/4 FL
    assert got.ground_speed_ms == pytest.approx(want.ground_speed_ms, abs=speed_ms)
    if want.ground_speed_ms > 2:  # the track's error is what the speed's quantum makes of it
        allowed = math.degrees(math.atan2(speed_ms, want.ground_speed_ms)) + 360 / 2**16
        assert abs((got.track_deg - want.track_deg + 180) % 360 - 180) <= allowed
    assert got.vertical_rate_ms == pytest.approx(want.vertical_rate_ms, abs=6.25 * 0.3048 / 60)


@settings(max_examples=60, deadline=None)
@given(st.lists(reports, min_size=1, max_size=5))
def test_cat021_round_trips_within_the_wire_resolution(batch):
    decoded = AsterixDecoder().decode(encode_cat021(batch), NOON)
    assert len(decoded) == len(batch)
    for got, want in zip(decoded, batch):
        _close(got, want, position_deg=180 / 2**30, speed_ms=2**-14 * 1852)


@settings(max_examples=60, deadline=None)
@given(st.lists(reports, min_size=1, max_size=5))
def test_cat062_round_trips_within_the_wire_resolution(batch):
    decoded = AsterixDecoder().decode(encode_cat062(batch), NOON)
    assert len(decoded) == len(batch)
    for got, want in zip(decoded, batch):
        _close(got, want, position_deg=180 / 2**25, speed_ms=0.25 * math.sqrt(2))


def _track(n=5):
    return [PositionReport(party="p", aircraft="4ca2d6", time=NOON + k, lat=48.5 + k * 0.001, lon=2.3, altitude_m=10_668,
                           ground_speed_ms=200.0, track_deg=0.0, callsign="EIN5FK") for k in range(n)]


def test_a_file_with_a_damaged_block_keeps_what_came_before(tmp_path):
    track = _track()
    other = bytes([48, 0, 3])  # a CAT048 block: not ours, skipped
    data = encode_cat021(track[:2]) + other + encode_cat062(track[2:4]) + encode_cat021(track[4:])[:-5]
    path = tmp_path / "recording.ast"
    path.write_bytes(data)
    assert detect_format(path) == "asterix"
    got, decoder = read_asterix(path, start=NOON)
    assert [r.time for r in got] == [r.time for r in track[:4]]
    assert decoder.skipped["CAT048 data block"] == 1
    assert sum(decoder.malformed.values()) == 1
    via_formats, problems = read_track_file(path, start=NOON)
    assert len(via_formats) == 4 and sum(problems.values()) == 1


def test_broken_datagrams_are_counted_and_skipped():
    decoder = AsterixDecoder()
    assert decoder.decode(b"\x15\x00", NOON) == []
    assert decoder.decode(b"\x15\x00\x09\xff\xff\xff\xff\xff\xff", NOON) == []
    assert len(decoder.decode(encode_cat021(_track(1)), NOON)) == 1
    assert sum(decoder.malformed.values()) == 2


def test_a_live_udp_feed_reaches_the_monitor():
    from deconfliction.monitor.live_binary import listen_asterix

    ingested, ready = [], threading.Event()
    monitor = Monitor()
    original = monitor.ingest
    monitor.ingest = lambda batch: (ingested.extend(batch), original(batch))[1]
    began = time.monotonic()
    feed = LiveFeed(monitor, cycle_s=0.05, clock=lambda: NOON + time.monotonic() - began)
    stop, port = threading.Event(), {}

    def on_ready(actual):
        port["udp"] = actual
        ready.set()

    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("d", listen_asterix(0, feed, stop, on_ready=on_ready)))
    worker.start()
    assert ready.wait(5)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    track = _track()
    for k, report in enumerate(track):
        sender.sendto((encode_cat021 if k % 2 else encode_cat062)([report]), ("127.0.0.1", port["udp"]))
    sender.sendto(b"\x3e\x00\x05\x00", ("127.0.0.1", port["udp"]))  # broken CAT062
    sender.close()
    deadline = time.monotonic() + 5
    while len(ingested) < len(track) and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    worker.join(5)
    assert [r.time for r in ingested] == [r.time for r in track]
    assert sum(result["d"].malformed.values()) == 1
