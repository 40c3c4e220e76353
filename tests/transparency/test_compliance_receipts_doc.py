"""docs/evidence.md's example of the compliance report's receipts runs as written: the report holds
offline, and the copy with a receipt taken out is refused (exit 3) naming the figure."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_receipts_example_runs_as_written(tmp_path):
    doc = (ROOT / "docs" / "evidence.md").read_text()
    section = doc[doc.index("## The compliance report's receipts"):]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.S).group(1)
    script = ["set -u", f'export PATH="{Path(sys.executable).parent}:/usr/bin:/bin"']
    for number, line in enumerate(block.splitlines(), 1):
        if line.strip() and not line.lstrip().startswith("#"):
            expected = 3 if "edited.json" in line and "report check" in line else 0
            script += [line, f'rc=$?; if [ $rc -ne {expected} ]; then echo "line {number} exited $rc, not {expected}" >&2; exit 1; fi']
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICTION_")}
    env["DECONFLICTION_WITNESS_DIR"] = str(tmp_path / "witness")
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    said = " ".join((done.stdout + done.stderr).split())  # as one line, wherever the console wrapped it
    assert "PROVEN: 1 receipts" in said
    assert "parties[calfire].late_notices: the report counts 1, but 0 receipts back it" in said
