"""`deconfliction cluster …` refuses clearly when there is no cluster (the cluster itself: conftest.py)."""

from __future__ import annotations

from typer.testing import CliRunner

from deconfliction.cli import app


def test_status_of_a_directory_without_a_cluster_is_refused_with_what_to_run(tmp_path):
    result = CliRunner().invoke(app, ["cluster", "status", "--dir", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "refused [unavailable]" in result.output
    assert "cluster up" in result.output or "apt-get install" in result.output
    assert not (tmp_path / "none").exists(), "status created nothing"
