"""The runtime starts and stops, together, what a server runs besides HTTP; `serve` and `demo` use it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from deconfliction.errors import InvalidInput
from deconfliction.runtime import Runtime


def test_start_runs_the_scheduler_and_the_tactical_loop_and_stop_ends_both(system):
    runtime = Runtime(system, interval_s=0.05)
    with runtime:
        scheduler, tactical = runtime.scheduler, runtime.tactical
        assert scheduler.running and tactical.running
    assert not scheduler.running and not tactical.running
    assert runtime.scheduler is None


def test_the_app_serves_the_runtime_s_own_tactical_monitor(system):
    runtime = Runtime(system)
    assert runtime.app.state.tactical is runtime.tactical.service
    assert runtime.app is runtime.app  # built once


def test_without_the_tactical_loop_the_tracks_answer_503(system):
    runtime = Runtime(system, tactical=False)
    token = system.issue_token("blue", label="t", actor="test")[1]
    with TestClient(runtime.app) as http:
        reply = http.get("/v1/alerts", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 503
    assert reply.json()["code"] == "unavailable"


def test_a_bad_tactical_setting_is_refused_before_anything_starts(system, monkeypatch):
    monkeypatch.setenv("DECONFLICTION_TACTICAL_LOOKAHEAD_S", "soon")
    with pytest.raises(InvalidInput) as refused:
        Runtime(system)
    assert refused.value.field == "environment"
