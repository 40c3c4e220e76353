"""Conflicts open by themselves when notices come too close, follow them as they change, clear when they
part, are cancelled or end; each side acknowledges; every conflict names the channel for where it is."""

from __future__ import annotations

import pytest

from deconfliction.errors import DeconflictionError, NotFound

from factories import example_agreement, snapshot


def file_pair(system, vol, **theirs):
    red = system.file_notice("red", "pact", [vol()]).notice
    blue = system.file_notice("blue", "pact", [vol(**{"lon": 2.352, **theirs})], key=[red.version])
    return red, blue


def test_filing_into_a_conflict_opens_it_for_both_sides(system, vol):
    red, blue = file_pair(system, vol)
    (conflict,) = blue.conflicts
    assert conflict.state == "open" and conflict.agreement_id == "pact"
    by_party = {conflict.party_a: (conflict.notice_a, conflict.version_a), conflict.party_b: (conflict.notice_b, conflict.version_b)}
    assert by_party == {"red": (red.id, red.version), "blue": (blue.notice.id, blue.notice.version)}
    assert conflict.notice_a < conflict.notice_b
    assert conflict.lateral_m == 0.0 and conflict.vertical_m == 0.0  # 150 m apart, radii 500 m
    assert (conflict.time_start, conflict.time_end) == (red.volumes[0].time.start, red.volumes[0].time.end)
    for party in ("red", "blue"):
        assert "conflict.opened" in [e.kind for e in system.events(party)]
        assert [c.id for c in system.conflicts(party)] == [conflict.id]
        assert [d.state for d in system.deadlines(party, subject_id=conflict.id)] == ["pending"]
    assert system.conflicts("green") == []
    assert "conflict.opened" not in [e.kind for e in system.events("green")]


def test_the_closest_distance_is_reported(system, vol):
    red = system.file_notice("red", "pact", [vol(radius_m=200)]).notice
    # 0.02° of longitude at 48.85°N is ~1,465 m between centres: ~1,065 m between the circles.
    blue = system.file_notice("blue", "pact", [vol(lon=2.37, radius_m=200, lower_m=350, upper_m=400)], key=[red.version])
    (conflict,) = blue.conflicts
    assert 1_000 < conflict.lateral_m < 1_100 and conflict.vertical_m == 50.0
    assert 2.35 < conflict.where[0] < 2.37


def test_notices_far_apart_in_any_one_dimension_do_not_conflict(system, vol):
    system.file_notice("red", "pact", [vol()])
    assert system.file_notice("blue", "pact", [vol(lon=2.40)]).conflicts == []  # ~3 km apart
    assert system.file_notice("blue", "pact", [vol(lower_m=500, upper_m=600)]).conflicts == []  # 200 m above
    assert system.file_notice("blue", "pact", [vol(start_h=2.1)]).conflicts == []  # 6 min after
    assert system.conflicts("red") == []


def test_a_change_that_stays_in_conflict_updates_it_and_asks_both_to_acknowledge_again(system, vol):
    red, blue = file_pair(system, vol)
    (opened,) = blue.conflicts
    system.acknowledge_conflict("red", opened.id)
    moved = system.change_notice("red", red.id, volumes=[vol(lon=2.353)], key=[blue.notice.version])
    (updated,) = moved.conflicts
    assert updated.id == opened.id and updated.state == "open"
    assert updated.acknowledged_a is None and updated.acknowledged_b is None
    assert moved.notice.version in (updated.version_a, updated.version_b)
    assert "conflict.updated" in [e.kind for e in system.events("blue")]


@pytest.mark.parametrize("how", ["moved apart", "cancelled", "ended", "raised above"])
def test_a_conflict_clears_when_the_notices_part(system, vol, how):
    red, blue = file_pair(system, vol)
    (conflict,) = blue.conflicts
    if how == "moved apart":
        system.change_notice("red", red.id, volumes=[vol(lon=3.0)])
    elif how == "cancelled":
        system.cancel_notice("red", red.id)
    elif how == "ended":
        system.end_notice("blue", blue.notice.id)
    else:
        system.change_notice("blue", blue.notice.id, volumes=[vol(lon=2.352, lower_m=1000, upper_m=1200)])
    assert system.conflicts("red") == [] and system.conflicts("blue") == []
    (cleared,) = system.conflicts("red", open_only=False)
    assert cleared.id == conflict.id and cleared.state == "cleared" and cleared.cleared_at is not None
    for party in ("red", "blue"):
        assert system.events(party)[-1].kind in ("conflict.cleared", "notice.cancelled", "notice.ended", "notice.changed")
        assert "conflict.cleared" in [e.kind for e in system.events(party)]
        assert [d.state for d in system.deadlines(party, subject_id=conflict.id)] == ["withdrawn"]


def test_a_notice_ended_by_time_clears_its_conflicts(system, vol, clock):
    red, blue = file_pair(system, vol)
    clock.advance(hours=2, seconds=1)
    tick = system.tick()
    assert {n.id for n in tick.ended} == {red.id, blue.notice.id}
    assert system.conflicts("red") == []


# Acknowledgments --------------------------------------------------------------------------------------------


def test_each_side_acknowledges_and_the_other_side_is_told(system, vol):
    red, blue = file_pair(system, vol)
    (conflict,) = blue.conflicts
    red_seen = len(system.events("red"))
    acknowledged = system.acknowledge_conflict("blue", conflict.id)
    assert acknowledged.acknowledged_by("blue") is not None and acknowledged.acknowledged_by("red") is None
    told = system.events("red")[red_seen:]
    assert [e.kind for e in told] == ["conflict.acknowledged"] and told[0].payload["by"] == "blue"
    assert "conflict.acknowledged" not in [e.kind for e in system.events("blue")]
    assert [d.state for d in system.deadlines("blue", subject_id=conflict.id)] == ["acknowledged"]
    assert [d.state for d in system.deadlines("red", subject_id=conflict.id)] == ["pending"]
    assert any(e.action == "conflict.acknowledged" and e.actor == "blue" for e in system.audit_entries())


def test_acknowledging_twice_changes_nothing(system, vol, db_path):
    _, blue = file_pair(system, vol)
    (conflict,) = blue.conflicts
    first = system.acknowledge_conflict("blue", conflict.id)
    before = snapshot(db_path)
    assert system.acknowledge_conflict("blue", conflict.id).acknowledged_by("blue") == first.acknowledged_by("blue")
    assert snapshot(db_path) == before


def test_only_a_side_of_the_conflict_may_acknowledge_it(system, vol, db_path):
    _, blue = file_pair(system, vol)
    (conflict,) = blue.conflicts
    before = snapshot(db_path)
    for party in ("green", "yellow"):
        with pytest.raises(NotFound):
            system.acknowledge_conflict(party, conflict.id)
    with pytest.raises(NotFound):
        system.acknowledge_conflict("blue", "no-such-conflict")
    assert snapshot(db_path) == before


def test_a_cleared_conflict_cannot_be_acknowledged(system, vol):
    red, blue = file_pair(system, vol)
    (conflict,) = blue.conflicts
    system.cancel_notice("red", red.id)
    with pytest.raises(DeconflictionError) as caught:
        system.acknowledge_conflict("blue", conflict.id)
    assert caught.value.code == "invalid_state"


# Channels -------------------------------------------------------------------------------------------------------


def test_a_conflict_names_the_channel_for_its_area(system, vol):
    _, blue = file_pair(system, vol)  # over Paris: the agreement's Paris channel
    assert blue.conflicts[0].channel.name == "paris" and blue.conflicts[0].channel.contact == "tel:+33-1-0000"


def test_elsewhere_a_conflict_names_the_channel_without_an_area(system, vol):
    red = system.file_notice("red", "pact", [vol(lon=10.0, lat=50.0)]).notice
    blue = system.file_notice("blue", "pact", [vol(lon=10.001, lat=50.0)], key=[red.version])
    assert blue.conflicts[0].channel.name == "guard" and blue.conflicts[0].channel.contact == "121.500 MHz"


def test_without_channels_a_conflict_names_none(system, vol):
    system.add_agreement(example_agreement(id="quiet", channels=[]))
    red = system.file_notice("red", "quiet", [vol()]).notice
    assert system.file_notice("blue", "quiet", [vol()], key=[red.version]).conflicts[0].channel is None


# Check --------------------------------------------------------------------------------------------------------------


def test_check_reports_conflicts_and_writes_nothing(system, vol, db_path):
    red = system.file_notice("red", "pact", [vol()]).notice
    before = snapshot(db_path)
    (finding,) = system.check("blue", "pact", [vol(lon=2.352)])
    assert finding.notice.id == red.id and finding.closest.lateral_m == 0.0
    assert system.check("blue", "pact", [vol(lon=5.0)]) == []
    assert system.check("red", "pact", [vol()]) == []  # its own notice is not a conflict
    assert snapshot(db_path) == before


def test_conflicts_are_per_agreement(system, vol):
    system.file_notice("yellow", "other", [vol()])
    assert system.file_notice("red", "pact", [vol()]).conflicts == []
    assert system.conflicts("yellow") == [] and system.conflicts("red") == []


def test_a_filing_that_opens_many_conflicts_tells_each_in_order_with_its_deliveries_deadlines_and_audit_entry(system, vol):
    # The conflicts of one filing are told as a batch (endpoints and the audit head read once): each
    # side still hears every conflict in the filing's order, each webhook gets one delivery per event,
    # each side owes one acknowledgment per conflict, and the audit has one chained entry per conflict.
    system.add_endpoint("blue", "https://blue.example/hook", kinds=["conflict."])
    for i, party in enumerate(["red", "green", "red"]):
        volumes = [vol(lon=2.35 + 0.004 * i, radius_m=100)]
        system.file_notice(party, "pact", volumes, key=[f.notice.version for f in system.check(party, "pact", volumes)])
    before = system.audit_entries()[-1].seq
    mine = [vol(radius_m=2_000)]
    filing = system.file_notice("blue", "pact", mine, key=[f.notice.version for f in system.check("blue", "pact", mine)])
    assert len(filing.conflicts) == 3
    expected = [c.model_dump(mode="json") for c in filing.conflicts]
    told_blue = [e.payload["conflict"] for e in system.events("blue") if e.kind == "conflict.opened"]
    assert told_blue == expected
    for party in ("red", "green"):
        heard = [e.payload["conflict"] for e in system.events(party) if e.kind == "conflict.opened"]
        assert [c for c in heard if filing.notice.id in (c["notice_a"], c["notice_b"])] == [
            c for c in expected if party in (c["party_a"], c["party_b"])
        ]
    blue_seqs = [e.seq for e in system.events("blue") if e.kind == "conflict.opened"]
    assert sorted(d.event_seq for d in system.deliveries("blue")) == blue_seqs
    for conflict in filing.conflicts:
        assert sorted(d.party_id for d in system.deadlines(None, subject_id=conflict.id)) == sorted([conflict.party_a, conflict.party_b])
    entries = [e for e in system.audit_entries() if e.seq > before and e.action == "conflict.opened"]
    assert [(e.subject, e.payload) for e in entries] == [(c["id"], c) for c in expected]
    assert system.verify_audit().ok
