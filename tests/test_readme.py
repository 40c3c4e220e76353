"""The README's snippets run as written: the walk-through and the hotline's shell blocks (bash, every
command's exit status checked: 0, or 2 where the README says "refused (exit 2)"), the library snippet
(python), and the set-up block is the one CI runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def block_starting(language: str, first_command: str) -> str:
    [found] = [b for b in blocks(language) if any(line.startswith(first_command) for line in b.splitlines())]
    return found


def checked(script: str) -> str:
    """The block as a bash script that stops at the first command whose exit status is not the one the
    README promises (2 for a line marked "refused (exit 2)", else 0)."""
    out = ["set -u"]
    for number, line in enumerate(script.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        expected = 2 if "refused (exit 2)" in line else 0
        out.append(line)
        out.append(f'rc=$?; if [ $rc -ne {expected} ]; then echo "README block line {number} exited $rc, not {expected}" >&2; exit 1; fi')
    return "\n".join(out) + "\n"


def scratch(tmp_path: Path) -> Path:
    """A directory laid out as the repository is for the snippets: examples/, src/, tests/ (its sample data) and an activatable .venv."""
    for name in ("examples", "src", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    activate = tmp_path / ".venv" / "bin" / "activate"
    activate.parent.mkdir(parents=True)
    # Activation puts the environment's scripts first on PATH: the one running these tests.
    activate.write_text(f'export PATH="{Path(sys.executable).parent}:$PATH"\n')
    return tmp_path


def test_the_walk_through_and_the_hotline_run_as_written(tmp_path):
    where = scratch(tmp_path)
    script = checked(block_starting("sh", "source .venv/bin/activate")) + checked(block_starting("sh", "deconfliction hotline send"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICTION_")}
    env["PATH"] = "/usr/bin:/bin"  # `deconfliction` comes from activating, as for a reader
    done = subprocess.run(["bash", "-c", script], cwd=where, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "refused [missing_key]" in done.stderr  # the first, keyless filing
    assert "Acknowledged" in out and "OK" in out  # conflicts ack, audit verify
    assert "calfire ✓" in out  # calfire's acknowledgment of the conflict, shown in the table
    assert (where / "log.jsonl").stat().st_size > 0 and (where / "walkthrough.db").exists()


def test_the_library_snippet_runs_as_written_and_finds_the_conflict(tmp_path):
    where = scratch(tmp_path)
    [snippet] = blocks("python")
    done = subprocess.run([sys.executable, "-c", snippet], cwd=where, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and "Fire air-to-air" in lines[0]  # the one conflict, on the fire's channel


def test_the_set_up_block_is_what_ci_runs():
    [setup] = [b for b in blocks("sh") if "python3.11 -m venv .venv" in b]
    commands = [line for line in setup.splitlines() if line and not line.startswith("#")]
    ci = (ROOT / ".ci" / "run").read_text()
    assert commands[1].replace(".venv/bin/pytest", "") in ci.replace("$PYTHON", "python3.11").replace(".venv/bin/pytest", "")
    assert "source .venv/bin/activate" in setup  # the walk-through's bare `deconfliction` needs it


def test_readme_pointers_to_examples_lead_somewhere():
    """Where the README sends readers for example files and agreements (it once said "examples/ has more"
    agreements, which are in src/deconfliction/examples/)."""
    pointers = re.findall(r"((?:src/deconfliction/)?examples/[\w./-]*)", README)
    assert "src/deconfliction/examples/" in pointers
    for path in pointers:
        assert (ROOT / path).exists(), path
    assert "agreement.toml" not in README.replace("wildfire.toml", "")
