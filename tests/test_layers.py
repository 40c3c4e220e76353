"""The layers of docs/architecture.md hold: `lint-imports` checks the contracts in pyproject.toml
(no upward import, no cycle), and it does fail on a wrong import (shown on a copy of the package)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(cwd: Path, package_parent: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(package_parent), "PATH": "/usr/bin:/bin"},
    )


def test_the_package_keeps_its_layer_contracts():
    done = lint(ROOT, ROOT / "src")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "src" / "deconfliction", tmp_path / "src" / "deconfliction", ignore=shutil.ignore_patterns("static", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path / "src" / "deconfliction"


def test_an_upward_import_breaks_the_contracts(tmp_path):
    # A copy of the package where the store reaches up to the facade: the layers contract must break.
    copy_of_the_package(tmp_path)
    base = tmp_path / "src" / "deconfliction" / "store" / "base.py"
    base.write_text(base.read_text() + "\nfrom ..service import Deconfliction  # the wrong way up\n")
    done = lint(tmp_path, tmp_path / "src")
    assert done.returncode != 0
    assert "deconfliction.store.base -> deconfliction.service" in done.stdout, done.stdout


def test_an_import_cycle_breaks_the_contracts(tmp_path):
    copy_of_the_package(tmp_path)
    footprint = tmp_path / "src" / "deconfliction" / "geometry" / "footprint.py"
    footprint.write_text(footprint.read_text() + "\nfrom .volume import Polygon  # a loop: volume imports footprint\n")
    done = lint(tmp_path, tmp_path / "src")
    assert done.returncode != 0
    assert "No cycles are allowed in deconfliction.geometry" in done.stdout, done.stdout
