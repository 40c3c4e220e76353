"""Browser fixtures: Debian's Chromium (/usr/bin/chromium) driven by Python playwright, and a real HTTP
server (uvicorn on a loopback port, in this process) over the core `system`, whose FixedClock the
tests move and whose `tick()` they call, so escalation is tested without waiting.

Without Chromium or playwright these tests skip on a developer's machine and fail in CI (env CI set),
where .ci/run installs Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips, or fails in CI
    expect = None

from deconfliction.api import ApiSettings, create_app
from deconfliction.web import console_url

CHROMIUM = os.environ.get("DECONFLICTION_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"  # ignored by git; CI keeps what a run leaves there


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser tests: .ci/run installs chromium)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("python playwright is not installed (pip install -e '.[test]')")
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(CHROMIUM):
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`create_app(system)` under uvicorn on 127.0.0.1 in a thread: the same app `serve` runs, over a
    system whose clock the test holds."""

    def __init__(self, app):
        self.app = app
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Served":
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.server.force_exit = True  # open event streams would hold a graceful shutdown
        self.thread.join(10)


@pytest.fixture
def served(system):
    app = create_app(system, ApiSettings(sse_ping_s=1.0, sse_poll_s=0.05))
    with Served(app) as server:
        yield server


class Requests:
    """Every request a page makes, to check that none leaves the server's origin."""

    def __init__(self, page, origin: str):
        self.origin = origin
        self.urls: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))

    def elsewhere(self) -> list[str]:
        own = urlsplit(self.origin)
        return [u for u in self.urls if (urlsplit(u).scheme, urlsplit(u).netloc) != (own.scheme, own.netloc)]


@pytest.fixture
def page(browser, served):
    context = browser.new_context(viewport={"width": 1400, "height": 850})
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Shown by pytest when a test fails: what the page said.
    page.on("console", lambda message: print(f"console {message.type}: {message.text}"))
    page.requests = Requests(page, served.url)
    page.errors = errors
    yield page
    context.close()


def sign_in(page, url: str, token: str, agreement: str = "pact") -> None:
    page.goto(console_url(url, agreement))
    page.fill("#token", token)
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#console:not([hidden])")
    page.wait_for_selector("#stream-state.live")
