"""`deconfliction demo`, the main job: it serves the example story until stopped (tested as a real
subprocess, as a user runs it), and its aircraft make alerts between parties on the fire's channel."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from deconfliction.demo.story import seed
from deconfliction.demo.aircraft import Feeder, find_recording, recorded_reports
from deconfliction.service import connect
from deconfliction.workers.tactical import TacticalService

from serverproc import free_port

ROOT = Path(__file__).resolve().parents[2]


def _lines(stream, into: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        into.put(line.rstrip("\n"))
    into.put(None)


def _read_until(lines: queue.Queue, prefix: str, timeout_s: float, seen: list[str]) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        if line.startswith(prefix):
            return line
    raise AssertionError(f"no line starting {prefix!r} within {timeout_s} s; output so far:\n" + "\n".join(seen))


def test_demo_serves_the_story_with_a_token_per_party_until_it_is_stopped(tmp_path):
    port = free_port()
    command = [sys.executable, "-m", "deconfliction.cli", "demo", "--port", str(port), "--db", str(tmp_path / "demo.db")]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=dict(os.environ, PYTHONUNBUFFERED="1"), start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
    seen: list[str] = []
    try:
        console = _read_until(lines, "Console:", 60, seen)
        assert console.split()[1].startswith(f"http://127.0.0.1:{port}/")
        tokens = {}
        while len(tokens) < 4:
            line = _read_until(lines, "  ", 5, seen).split()
            tokens[line[0]] = line[1]
        assert set(tokens) == {"calfire", "sheriff", "skyview", "operator"}
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/v1/health", timeout=5).json()["status"] == "ok"
        assert httpx.get(f"{base}/", timeout=5).status_code == 200  # the console's page
        sheriff = {"Authorization": f"Bearer {tokens['sheriff']}"}
        notices = httpx.get(f"{base}/v1/notices", headers=sheriff, timeout=5).json()["items"]
        assert len(notices) == 6 and {n["party_id"] for n in notices} == {"calfire", "sheriff", "skyview"}
        conflicts = httpx.get(f"{base}/v1/conflicts", headers=sheriff, timeout=5).json()["items"]
        assert [c["channel"]["name"] for c in conflicts] == ["Fire air-to-air"]
        inbox = httpx.get(f"{base}/v1/hotline/inbox", headers=sheriff, timeout=5).json()["items"]
        assert [(i["message"]["sender"], i["message"]["kind"]) for i in inbox] == [("calfire", "alert")]
        assert httpx.get(f"{base}/v1/alerts", headers=sheriff, timeout=5).status_code == 200  # the monitor runs
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
        _read_until(lines, "Demo stopped", 5, seen)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def test_demo_without_serving_prints_the_story_and_exits(tmp_path):
    done = subprocess.run([sys.executable, "-m", "deconfliction.cli", "demo", "--no-serve", "--db", str(tmp_path / "d.db")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Open conflicts" in done.stdout and "Console:" not in done.stdout


def test_a_port_in_use_is_refused_naming_the_option(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "deconfliction.cli", "demo", "--port", str(port), "--db", str(tmp_path / "d.db"), "--simulated-only"],
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--port" in done.stderr + done.stdout


def test_the_demo_aircraft_raise_alerts_between_parties_on_the_fires_channel_within_minutes(tmp_path):
    system = connect(tmp_path / "d.db")
    seed(system)
    tactical = TacticalService(system)
    now = [1_000_000.0]
    feeder = Feeder(tactical.ingest, clock=lambda: now[0])
    for t in range(0, 300, 2):
        now[0] = feeder.started + t
        feeder.feed()
        tactical.step(now[0])
    alerts = [e.payload for p in ("calfire", "sheriff", "skyview") for e in system.events(p, 0, 10_000) if e.kind.startswith("alert.separation")]
    pairs = {tuple(a["alert"]["parties"]) for a in alerts}
    assert {("calfire", "sheriff"), ("calfire", "skyview")} <= pairs
    assert {a["channel"]["name"] for a in alerts} == {"Fire air-to-air"}
    system.close()


def test_a_recording_is_replayed_from_now_as_the_named_partys_aircraft(tmp_path):
    recording = [(0.0, dict(aircraft="abc123", lon=-120.0, lat=37.0, altitude_m=1000.0, datum="AMSL", ground_speed_ms=50.0, track_deg=0.0, vertical_rate_ms=0.0)),
                 (30.0, dict(aircraft="abc123", lon=-120.0, lat=37.01, altitude_m=1000.0, datum="AMSL", ground_speed_ms=50.0, track_deg=0.0, vertical_rate_ms=0.0))]
    got: list[tuple[str, list[dict]]] = []
    now = [5_000.0]
    feeder = Feeder(lambda party, reports: got.append((party, reports)), recording, recording_party="skyview", clock=lambda: now[0])
    feeder.feed()
    recorded = [(p, r["time"]) for p, batch in got for r in batch if r["aircraft"] == "abc123"]
    assert recorded == [("skyview", 5_000.0)]
    got.clear()
    now[0] += 31
    feeder.feed()
    assert [(p, r["time"]) for p, batch in got for r in batch if r["aircraft"] == "abc123"] == [("skyview", 5_030.0)]


def test_the_shared_recording_is_found_and_read_when_present():
    path = find_recording()
    if path is None:
        import pytest

        pytest.skip("../shared/data is absent (a fresh clone): the demo flies simulated aircraft only")
    reports = recorded_reports(path)
    assert len(reports) > 1000 and reports[0][0] == 0.0
    assert all(a[0] <= b[0] for a, b in zip(reports, reports[1:]))


def test_ctrl_c_stops_the_demo_promptly_while_a_console_holds_an_event_stream_open(tmp_path):
    """An open console keeps an event stream (SSE) open; Ctrl-C must end it instead of waiting for it."""
    port = free_port()
    command = [sys.executable, "-m", "deconfliction.cli", "demo", "--port", str(port), "--db", str(tmp_path / "demo.db"), "--simulated-only"]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=dict(os.environ, PYTHONUNBUFFERED="1"), start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True).start()
    seen: list[str] = []
    ended = threading.Event()
    try:
        _read_until(lines, "Console:", 60, seen)
        tokens = {}
        while len(tokens) < 4:
            line = _read_until(lines, "  ", 5, seen).split()
            tokens[line[0]] = line[1]
        opened = threading.Event()

        def console_stream():
            headers = {"Authorization": f"Bearer {tokens['sheriff']}", "Accept": "text/event-stream"}
            with httpx.stream("GET", f"http://127.0.0.1:{port}/v1/events/stream", headers=headers, timeout=None) as reply:
                opened.set()
                for _ in reply.iter_lines():
                    pass
            ended.set()

        threading.Thread(target=console_stream, daemon=True).start()
        assert opened.wait(10)
        _read_until(lines, "Press Ctrl-C", 5, seen)
        process.send_signal(signal.SIGINT)
        # uvicorn would otherwise wait for the stream for as long as the client keeps it (the demo gave up after 10 s).
        assert process.wait(6) == 0
        assert ended.wait(2), "the console's stream was not closed"
        _read_until(lines, "Demo stopped", 5, seen)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
