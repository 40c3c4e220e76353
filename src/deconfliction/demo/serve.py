"""`deconfliction demo` as the main job: the example story on a fresh embedded store, served.

It seeds the wildfire agreement and its three parties' notices (story.py), sends a hotline alert,
issues one token per party, starts the runtime (the HTTP API with the web console, the scheduler for
deadlines and hotline escalation, the tactical monitor), feeds it aircraft (aircraft.py), prints what
to open, and runs until Ctrl-C (or SIGTERM).
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..errors import InvalidInput
from ..models import MessageRefs
from ..service import Deconfliction, connect
from .aircraft import Feeder, find_recording, recorded_reports
from .story import seed


@dataclass
class DemoWorld:
    system: Deconfliction
    agreement_id: str
    story: list[str]
    tokens: dict[str, str] = field(default_factory=dict)  # party id -> token; "operator" -> admin token


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def fresh_store(database: Path) -> Deconfliction:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    return connect(database)


def prepare(database: Path) -> DemoWorld:
    """The story on a fresh store, a hotline alert from calfire to the others, and a token per party."""
    system = fresh_store(database)
    story = seed(system)
    agreement = system.agreements()[0]
    tanker = next(n for n in system.notices("calfire", agreement_id=agreement.id, party_id="calfire") if n.private.reference == "TANKER-CIRCUIT-1")
    message = system.send_message(
        "calfire", agreement.id, kind="alert",
        text="Air tankers on the eastern flank from +1 h (circuit 1,500-5,000 ft). Drones stay clear of the circuit; "
             "call on Fire air-to-air 122.925 MHz before entering.",
        refs=MessageRefs(notices=[tanker.id]),
    )
    story.lines.append(
        f"calfire sends a hotline alert to {', '.join(message.to)} about its tanker circuit: each must acknowledge "
        f"within {agreement.alert_ack_deadline_s:.0f} s, or it escalates."
    )
    world = DemoWorld(system, agreement.id, story.lines)
    for party in agreement.parties:
        world.tokens[party] = system.issue_token(party, label="demo", actor="demo")[1]
    world.tokens["operator"] = system.issue_token(None, ["admin"], label="demo", actor="demo")[1]
    return world


def serve(
    database: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tracks: Path | None = None,
    real_tracks: bool = True,
    tracks_party: str = "calfire",
    out: Callable[[str], None] = lambda line: print(line, flush=True),
) -> None:
    """Serve the demo until Ctrl-C or SIGTERM."""
    import uvicorn

    from ..api.settings import ApiSettings
    from ..runtime import Runtime
    from ..web import console_url

    world = prepare(database)
    system = world.system
    recording_path = tracks if tracks is not None else (find_recording() if real_tracks else None)
    recording = recorded_reports(recording_path) if recording_path is not None else []
    port = port or free_port(host)
    runtime = Runtime(system, ApiSettings(database=str(database))).start()
    feeder = Feeder(runtime.tactical.service.ingest, recording, recording_party=tracks_party).start()
    runtime.app.state.closing = threading.Event()  # ends open event streams (a console's) on Ctrl-C
    server = uvicorn.Server(uvicorn.Config(runtime.app, host=host, port=port, log_level="warning", lifespan="off", timeout_graceful_shutdown=3))
    thread = threading.Thread(target=server.run, name="deconfliction-demo-server", daemon=True)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if not server.started:
            raise InvalidInput(f"could not listen on {host}:{port} (in use?)", field="--port")
        base = f"http://{host}:{port}"
        for line in world.story:
            out(f"• {line}")
        if recording_path is not None:
            aircraft = len({r["aircraft"] for _, r in recording})
            out(f"• Tracks: 3 simulated aircraft over the fire, and {aircraft} recorded aircraft of {tracks_party} "
                f"from {recording_path} ({len(recording)} reports), replayed in real time from now; they fly where they "
                f"were recorded, away from the fire: sign in as {tracks_party} and click 'Fit aircraft' in the console.")
        else:
            out("• Tracks: 3 simulated aircraft over the fire (no recording found; give one with --tracks FILE).")
        out("")
        out(f"Console: {console_url(base, world.agreement_id)}")
        out(f"API:     {base}/v1 (OpenAPI: {base}/docs)   store: {database}")
        out("Sign in to the console with one party's token:")
        for who, token in world.tokens.items():
            out(f"  {who:<9} {token}")
        out("Press Ctrl-C to stop.")
        while thread.is_alive() and not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        runtime.app.state.closing.set()
        server.should_exit = True
        thread.join(10)
        feeder.stop()
        runtime.stop()
        system.close()
        out("Demo stopped; its store stays for exploring: deconfliction --db " + str(database) + " conflicts")
