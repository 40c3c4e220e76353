"""SBS/BaseStation: parsing real-format lines, and real TCP loopback feeds (client and listener)."""

import socket
import threading
import time
from datetime import datetime, timezone

import pytest

from deconfliction.monitor import LiveFeed, Monitor, SbsDecoder, follow_sbs, format_sbs, listen_sbs, parse_sbs_line
from deconfliction.monitor.reports import MalformedReport

MSG3 = "MSG,3,1,1,4CA2D6,1,2021/10/07,12:00:01.250,2021/10/07,12:00:01.300,,35000,,,48.51234,2.31234,,,0,0,0,0"
MSG4 = "MSG,4,1,1,4CA2D6,1,2021/10/07,12:00:01.500,2021/10/07,12:00:01.550,,,451,273.5,,,-640,,0,0,0,0"
MSG1 = "MSG,1,1,1,4CA2D6,1,2021/10/07,12:00:00.900,2021/10/07,12:00:00.950,EIN5FK  ,,,,,,,,0,0,0,0"


def test_msg3_is_an_airborne_position_in_si_units():
    m = parse_sbs_line(MSG3)
    assert (m.kind, m.icao24) == (3, "4ca2d6")
    assert m.time == datetime(2021, 10, 7, 12, 0, 1, 250_000, tzinfo=timezone.utc).timestamp()
    assert m.altitude_m == pytest.approx(10_668.0)
    assert (m.lat, m.lon, m.on_ground) == (48.51234, 2.31234, False)


def test_msg4_is_a_velocity_in_si_units():
    m = parse_sbs_line(MSG4)
    assert m.ground_speed_ms == pytest.approx(451 * 1852 / 3600)
    assert m.track_deg == 273.5
    assert m.vertical_rate_ms == pytest.approx(-640 * 0.3048 / 60)
    assert m.lat is None


@pytest.mark.parametrize("line, reason", [
    ("MSG,3,1,1,4CA2D6,1,2021/10/07", "fields"),
    ("MSG,3,1,1,ZZZZZZ,1,2021/10/07,12:00:01.250,,,,35000,,,48.5,2.3,,,0,0,0,0", "icao24"),
    ("MSG,3,1,1,4CA2D6,1,07-10-2021,12:00:01,,,,35000,,,48.5,2.3,,,0,0,0,0", "date/time"),
    ("MSG,3,1,1,4CA2D6,1,2021/10/07,12:00:01.250,,,,high,,,48.5,2.3,,,0,0,0,0", "altitude"),
    ("garbage", "not an SBS message"),
])
def test_broken_lines_are_rejected_with_a_reason(line, reason):
    with pytest.raises(MalformedReport, match=reason):
        parse_sbs_line(line)


def test_decoder_waits_for_the_callsign_to_name_the_party():
    decoder = SbsDecoder(callsign_wait_s=15)
    assert decoder.decode(MSG3) is None and decoder.skipped["waiting for callsign"] == 1
    decoder.decode(MSG1)
    position = decoder.decode(MSG3.replace("01.250", "02.250"))
    velocity = decoder.decode(MSG4)
    assert position.party == "EIN" and position.callsign == "EIN5FK" and position.has_position
    assert velocity.party == "EIN" and velocity.has_velocity and not velocity.has_position
    assert decoder.decode("STA,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM") is None


def test_decoder_falls_back_to_icao24_when_no_callsign_comes():
    decoder = SbsDecoder(callsign_wait_s=15)
    assert decoder.decode(MSG3) is None
    late = decoder.decode(MSG3.replace("12:00:01.250", "12:00:20.000"))
    assert late.party == "4ca2d6"


def converging_lines(now: float) -> list[str]:
    """Two airline aircraft of different operators 10 km apart head-on at FL350, stamped `now`."""
    when = datetime.fromtimestamp(now, tz=timezone.utc)
    lines = []
    for hexid, call, lon, track in (("3c6444", "DLH4AB", 2.0, 90.0), ("4ca2d6", "EIN5FK", 2.135, 270.0)):
        lines.append(format_sbs(1, hexid, when, callsign=call))
        lines.append(format_sbs(3, hexid, when, altitude_ft=35000, lat=48.5, lon=lon))
        lines.append(format_sbs(4, hexid, when, ground_speed_kt=450, track_deg=track, vertical_rate_fpm=0))
    lines.append("MSG,3,1,1,4CA2D6,this is not right")
    return lines


def run_until(stop: threading.Event, predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate():
        time.sleep(0.02)
    stop.set()


def test_client_follows_a_tcp_feed_and_raises_an_alert():
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    alerts = []
    feed = LiveFeed(Monitor(sink=alerts.append), cycle_s=0.05)

    def serve():
        connection, _ = server.accept()
        with connection:
            connection.sendall(("\r\n".join(converging_lines(time.time())) + "\r\n").encode())
            stop.wait(5)

    stop = threading.Event()
    threads = [threading.Thread(target=serve, daemon=True), threading.Thread(target=follow_sbs, args=("127.0.0.1", port, feed, stop), daemon=True)]
    for thread in threads:
        thread.start()
    run_until(stop, lambda: alerts)
    for thread in threads:
        thread.join(5)
    server.close()
    assert not any(thread.is_alive() for thread in threads)
    assert alerts and alerts[0].kind == "separation.predicted" and alerts[0].parties == ("DLH", "EIN")
    assert sum(feed.malformed.values()) == 1


def test_listener_accepts_pushed_lines_from_several_senders():
    alerts, ready = [], []
    feed = LiveFeed(Monitor(sink=alerts.append), cycle_s=0.05)
    stop = threading.Event()
    got_port = threading.Event()
    listener = threading.Thread(target=listen_sbs, args=(0, feed, stop), kwargs={"on_ready": lambda p: (ready.append(p), got_port.set())}, daemon=True)
    listener.start()
    assert got_port.wait(5)
    lines = converging_lines(time.time())
    halves = (lines[:3], lines[3:])  # one sender per aircraft
    for half in halves:
        with socket.create_connection(("127.0.0.1", ready[0]), timeout=5) as sender:
            sender.sendall(("\n".join(half) + "\n").encode())
    run_until(stop, lambda: alerts)
    listener.join(5)
    assert not listener.is_alive()
    assert feed.lines == len(lines)
    assert alerts and {a.callsign for a in alerts[0].aircraft} == {"DLH4AB", "EIN5FK"}
