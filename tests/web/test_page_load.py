"""What makes the console quick on a slow line (bench/console_load.py measures it): every module is
preloaded with the page, the first API requests go out together, and the base map waits until the
notices and conflicts are shown."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from deconfliction.api import create_app
from deconfliction.web import static_dir

from .conftest import expect, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_the_page_preloads_every_module_of_the_console(system):
    client = TestClient(create_app(system))
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-security-policy"].startswith("default-src 'self'")
    preloaded = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page.text)
    on_disk = sorted(f"/console/js/{p.name}" for p in (static_dir() / "js").glob("*.js"))
    assert on_disk and sorted(preloaded) == on_disk
    for href in preloaded:
        module = client.get(href)
        assert module.status_code == 200 and "javascript" in module.headers["content-type"]


def _log(page) -> list[tuple[str, str]]:
    events: list[tuple[str, str]] = []
    page.on("request", lambda r: events.append(("sent", r.url)))
    page.on("requestfinished", lambda r: events.append(("finished", r.url)))
    return events


def _first(events, kind: str, part: str) -> int:
    return next(i for i, (k, url) in enumerate(events) if k == kind and part in url)


def test_health_and_agreements_are_asked_for_together_with_who_i_am(page, served, system):
    sign_in(page, served.url, system.issue_token("blue")[1])
    events = _log(page)
    page.reload()
    expect(page.locator("#map-area:not([aria-busy])")).to_have_count(1)
    me_answered = _first(events, "finished", "/v1/me")
    assert _first(events, "sent", "/v1/health") < me_answered
    assert _first(events, "sent", "/v1/agreements") < me_answered


def test_the_base_map_is_asked_for_only_once_the_notices_and_conflicts_are_in(page, served, system):
    sign_in(page, served.url, system.issue_token("blue")[1])
    events = _log(page)
    page.reload()
    expect(page.locator('#map[data-basemap="ready"]')).to_have_count(1, timeout=30_000)
    basemap = _first(events, "sent", "/console/vendor/basemap/")
    assert _first(events, "finished", "/v1/notices") < basemap
    assert _first(events, "finished", "/v1/conflicts") < basemap
    assert page.errors == []
