"""How long the `deconfliction` command takes to answer `--help`, against importing the library.

    .venv/bin/python bench/cli_startup.py            # 10 runs of each
    .venv/bin/python bench/cli_startup.py --runs 20

Each row starts a fresh Python process (as a shell does) and times it to exit, wall clock. The
baseline, same run: a process that only imports the facade (`deconfliction.service`), which is what
every command that touches a store loads anyway, and a bare `python -c pass`. Target: `--help`
under 0.5 s. Prints a table; no assertions.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def timed(command: list[str], runs: int) -> list[float]:
    subprocess.run(command, capture_output=True, check=True)  # warm the file cache once
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    rows = [
        ("deconfliction --help", [str(BIN / "deconfliction"), "--help"]),
        ("deconfliction notice --help", [str(BIN / "deconfliction"), "notice", "--help"]),
        ("baseline: import deconfliction.service", [sys.executable, "-c", "import deconfliction.service"]),
        ("baseline: import deconfliction.api.app", [sys.executable, "-c", "import deconfliction.api.app"]),
        ("baseline: python -c pass", [sys.executable, "-c", "pass"]),
    ]
    print(f"| command ({runs} runs) | median | min | max |")
    print("|---|---:|---:|---:|")
    for name, command in rows:
        t = timed(command, runs)
        print(f"| {name} | {statistics.median(t) * 1000:.0f} ms | {min(t) * 1000:.0f} ms | {max(t) * 1000:.0f} ms |", flush=True)


if __name__ == "__main__":
    main()
