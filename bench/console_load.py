"""How long the web console takes to become usable, and to draw its base map, on fast and slow links —
against the same console with the base map's files refused, in the same run.

    .venv/bin/python bench/console_load.py              # 3 loads per row
    .venv/bin/python bench/console_load.py --runs 5 --profiles none,4g

What it does: builds the demo's store (`deconfliction demo --no-serve`), serves it with `deconfliction
serve` on a loopback port, and opens the console in Debian's Chromium (/usr/bin/chromium, headless, via
playwright) signed in as calfire — a fresh browser context per load, so nothing is cached. Links are
shaped with Chromium's own network emulation (DevTools protocol, the figures DevTools uses):

    none    no shaping (loopback)
    4g      9 Mbit/s down, 1.5 Mbit/s up, 170 ms round trip  (DevTools "Fast 4G"-like)
    3g      1.6 Mbit/s down, 0.75 Mbit/s up, 562 ms round trip  (DevTools "Fast 3G")
    slow3g  0.4 Mbit/s down, 0.4 Mbit/s up, 2000 ms round trip  (DevTools "Slow 3G")

Columns: usable = from navigation to the conflicts listed, the notices on the map and the live stream
up (`#map-area` no longer aria-busy, `#stream-state.live`); base map = until `#map[data-basemap=ready]`;
bytes = what crossed the wire (gzip where the browser accepts it, headers included), the live stream
excepted; requests. The baseline row ("without base map") answers the base map's two files with 404,
so the page is the same in every other way. Medians of --runs loads. Prints a table; no assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
CHROMIUM = os.environ.get("DECONFLICTION_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MBIT = 1_000_000 / 8  # bytes per second
PROFILES = {
    "none": None,
    "4g": dict(latency=170, downloadThroughput=9 * MBIT, uploadThroughput=1.5 * MBIT),
    "3g": dict(latency=562.5, downloadThroughput=1.6 * MBIT, uploadThroughput=0.75 * MBIT),
    "slow3g": dict(latency=2000, downloadThroughput=0.4 * MBIT, uploadThroughput=0.4 * MBIT),
}
BASEMAP_FILES = "**/console/vendor/basemap/*.json"


def cli(*args: str, db: str) -> str:
    return subprocess.run([str(BIN / "deconfliction"), "--db", db, *args], capture_output=True, text=True, check=True).stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(db: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen([str(BIN / "deconfliction"), "--db", db, "serve", "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server, url
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def load(browser, url: str, token: str, profile: dict | None, basemap: bool) -> dict:
    context = browser.new_context(viewport={"width": 1400, "height": 850})
    context.add_init_script(f"sessionStorage.setItem('deconfliction.token', {json.dumps(token)})")
    page = context.new_page()
    page.set_default_timeout(180_000)
    if not basemap:
        page.route(BASEMAP_FILES, lambda route: route.fulfill(status=404, body=""))
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if profile:
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **profile})
    wire = {"bytes": 0, "requests": 0}
    streams = set()

    def response(event):
        if "text/event-stream" in event["response"].get("mimeType", ""):
            streams.add(event["requestId"])

    def finished(event):
        if event["requestId"] not in streams:
            wire["bytes"] += event["encodedDataLength"]
            wire["requests"] += 1

    cdp.on("Network.responseReceived", response)
    cdp.on("Network.loadingFinished", finished)
    started = time.perf_counter()
    page.goto(url + "/")
    page.wait_for_selector("#map-area:not([aria-busy])", state="attached")
    page.wait_for_selector("#stream-state.live", state="attached")
    usable = time.perf_counter() - started
    drawn = None
    if basemap:
        page.wait_for_selector("#map[data-basemap=ready]", state="attached")
        drawn = time.perf_counter() - started
    page.wait_for_timeout(300)  # the last responses' loadingFinished
    context.close()
    return {"usable": usable, "basemap": drawn, **wire}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profiles", default="none,4g,3g,slow3g", help="comma-separated: " + ", ".join(PROFILES))
    options = parser.parse_args()
    profiles = options.profiles.split(",")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "demo.db")
        subprocess.run([str(BIN / "deconfliction"), "demo", "--no-serve", "--simulated-only", "--db", db], capture_output=True, check=True)
        token = json.loads(cli("token", "issue", "--party", "calfire", "--json", db=db))["token"]
        server, url = serve(db)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                load(browser, url, token, None, True)  # warm the server and the disk cache once
                print(f"| link | console ({options.runs} loads) | usable | base map drawn | bytes on the wire | requests |")
                print("|---|---|---:|---:|---:|---:|")
                for name in profiles:
                    for basemap in (False, True):
                        runs = [load(browser, url, token, PROFILES[name], basemap) for _ in range(options.runs)]
                        usable = statistics.median(r["usable"] for r in runs)
                        drawn = f"{statistics.median(r['basemap'] for r in runs):.2f} s" if basemap else "—"
                        size = statistics.median(r["bytes"] for r in runs)
                        requests = statistics.median(r["requests"] for r in runs)
                        label = "with base map" if basemap else "without base map (baseline)"
                        print(f"| {name} | {label} | {usable:.2f} s | {drawn} | {size / 1000:,.0f} kB | {requests:.0f} |", flush=True)
                browser.close()
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
