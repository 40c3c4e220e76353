"""`deconfliction --help` loads the command, not the library: no geometry, store, API or monitor
until a command runs (how fast that is: bench/cli_startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ["numpy", "shapely", "pyproj", "pydantic", "fastapi", "httpx", "deconfliction.service", "deconfliction.store",
         "deconfliction.api", "deconfliction.monitor", "deconfliction.geometry"]

PROBE = """
import json, sys
sys.argv = ["deconfliction", "--help"]
from deconfliction.cli import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)), file=sys.stderr)
"""


def test_help_loads_none_of_the_library():
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY)], capture_output=True, text=True, timeout=60)
    assert "Usage: deconfliction" in done.stdout
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


def test_a_command_that_needs_the_library_still_finds_it(tmp_path):
    done = subprocess.run([sys.executable, "-m", "deconfliction.cli", "--db", str(tmp_path / "s.db"), "--json", "init"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["agreement"]["id"] == "valley-fire"
