"""Run `deconfliction serve` as a real subprocess on a free loopback port (crash test and benchmarks).

The server gets its own process group, so `kill()` (SIGKILL to the group) takes any worker processes
down with it, as a crash would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]

# `deconfliction serve …` in a child process.
LAUNCHER = """
from deconfliction import cli
cli.main()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_available() -> bool:
    try:
        import deconfliction.cli.server  # noqa: F401
    except Exception:
        return False
    return True


class Server:
    def __init__(self, database: str | Path, port: int | None = None, *, workers: int | None = None, extra: list[str] = (), log: Path | None = None):
        self.database = str(database)
        self.port = port or free_port()
        self.workers = workers
        self.extra = list(extra)
        self.log = log
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [sys.executable, "-c", LAUNCHER, "serve", "--database", self.database, "--host", "127.0.0.1", "--port", str(self.port)]
        if self.workers:
            command += ["--workers", str(self.workers)]
        return command + self.extra

    def start(self, timeout_s: float = 30.0) -> "Server":
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.process = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env, cwd=ROOT)
        self.starts += 1
        self.wait_ready(timeout_s)
        return self

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {' '.join(self.command())}")
            try:
                if httpx.get(f"{self.url}/v1/health", timeout=1.0).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"server not ready on {self.url} after {timeout_s} s")

    def kill(self) -> None:
        """kill -9, the whole process group: no shutdown handler runs."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()
        self.process = None

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
