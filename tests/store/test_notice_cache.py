"""The store's parsed-notice cache (store/notice_cache.py), on every backend: a conflict search reads a
stored notice's JSON once, and a notice written since is never answered from what was parsed before."""

from __future__ import annotations

from deconfliction.geometry import Minima
from deconfliction.models import LIVE_STATES
from deconfliction.store import tables
from deconfliction.store.notice_cache import NoticeCache

from store.test_store_contract import circle_volume, make_notice, polygon_volume, put, setup

MINIMA = Minima(lateral_m=1852.0, vertical_m=150.0, time_buffer_s=300.0)
SQUARE = [(2.30, 48.80), (2.40, 48.80), (2.40, 48.90), (2.30, 48.90)]


def _counting_parses(monkeypatch, *modules) -> list[str]:
    parsed: list[str] = []
    original = tables.notice_from

    def counting(body: str):
        notice = original(body)
        parsed.append(notice.id)
        return notice

    for module in modules:
        monkeypatch.setattr(module, "notice_from", counting)
    return parsed


def _candidates(store, volumes):
    with store.transaction(write=False) as tx:
        return {n.id: n for n in tx.candidate_notices("pact", volumes, MINIMA, LIVE_STATES)}


def test_a_candidate_is_parsed_once_across_searches(any_store, monkeypatch):
    from deconfliction.store import postgres, sqlite

    setup(any_store)
    stored = make_notice([polygon_volume(SQUARE)], party="red")
    put(any_store, stored)
    parsed = _counting_parses(monkeypatch, sqlite, postgres)
    query = [circle_volume(lon=2.35, lat=48.85)]
    first, second = _candidates(any_store, query), _candidates(any_store, query)
    assert parsed == [stored.id]  # the second search took the parsed notice
    assert first[stored.id] == second[stored.id] == stored
    assert first[stored.id] is not second[stored.id]  # each caller gets its own object


def test_a_notice_written_since_is_read_again(any_store):
    setup(any_store)
    stored = make_notice([polygon_volume(SQUARE)], party="red")
    put(any_store, stored)
    query = [circle_volume(lon=2.35, lat=48.85)]
    assert _candidates(any_store, query)[stored.id].volumes == stored.volumes
    moved = stored.model_copy(update={"version": "v2", "volumes": [polygon_volume([(x, y + 0.001) for x, y in SQUARE])]})
    put(any_store, moved)
    found = _candidates(any_store, query)[stored.id]
    assert found.version == "v2" and found.volumes == moved.volumes


def test_the_cache_holds_at_most_its_vertex_budget_least_recent_out_first():
    cache = NoticeCache(max_vertices=10)
    squares = [make_notice([polygon_volume(SQUARE)]) for _ in range(3)]  # 4 vertices each
    for notice in squares:
        cache.put(notice)
    assert cache.get(squares[0].id, squares[0].version) is None
    assert cache.get(squares[1].id, squares[1].version) == squares[1]
    cache.put(make_notice([circle_volume()]))  # weight 1: fits beside two squares
    assert len(cache) == 3
    assert cache.get(squares[2].id, squares[2].version) == squares[2]
