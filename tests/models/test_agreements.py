"""Agreements from TOML: units converted once ('5 NM', '1000 ft', '1 h'), bad values refused naming the
field, and the channel that applies at a place and time."""

from __future__ import annotations

from datetime import datetime, timezone
from importlib import resources

import pytest

from deconfliction.models.agreements import Agreement, Channel, Separation, load_toml
from deconfliction.errors import InvalidInput
from deconfliction.geometry import Circle, Minima

BASE = """
[agreement]
id = "mou"
name = "Memorandum"
parties = ["north", "south"]
{agreement}

[agreement.separation]
lateral = {lateral}
vertical = "1000 ft"
time_buffer = "15 min"
{rest}
"""


def toml(agreement: str = "", lateral: str = '"5 NM"', rest: str = "") -> str:
    return BASE.format(agreement=agreement, lateral=lateral, rest=rest)


def refused(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        load_toml(text)
    assert caught.value.code == "invalid_input" and caught.value.status == 400
    return caught.value


def test_units_are_converted_to_seconds_and_metres():
    agreement, parties = load_toml(
        toml('min_lead_time = "1 h"\nplanning_horizon = "3 d"\nnotice_ack_deadline = "15 min"\nalert_ack_deadline = "60 s"')
    )
    separation = agreement.separation
    assert (separation.lateral_m, separation.vertical_m, separation.time_buffer_s) == (9260.0, pytest.approx(304.8), 900.0)
    assert agreement.min_lead_time_s == 3600.0 and agreement.planning_horizon_s == 3 * 86400.0
    assert agreement.notice_ack_deadline_s == 900.0 and agreement.alert_ack_deadline_s == 60.0
    assert isinstance(separation.minima(), Minima) and separation.minima().lateral_m == 9260.0
    assert [p.id for p in parties] == ["north", "south"]


def test_plain_numbers_are_metres_and_seconds_and_kilometres_work():
    agreement, _ = load_toml(toml("min_lead_time = 90", lateral='"2 km"'))
    assert agreement.min_lead_time_s == 90.0 and agreement.separation.lateral_m == 2000.0
    agreement, _ = load_toml(toml(lateral="1500"))
    assert agreement.separation.lateral_m == 1500.0


def test_parties_may_be_described_and_the_rest_are_implied():
    agreement, parties = load_toml(toml(rest='[[parties]]\nid = "north"\nname = "Northern air force"\ncontacts = ["ops@north.example"]'))
    assert {p.id: p.name for p in parties} == {"north": "Northern air force", "south": "south"}


def test_channels_with_areas_in_nautical_miles_and_polygons():
    rest = """
[[agreement.channels]]
name = "guard"
contact = "121.500 MHz"

[[agreement.channels]]
name = "sector"
contact = "243.000 MHz"
area = {lon = 36.0, lat = 35.0, radius = "10 NM"}

[[agreement.channels]]
name = "box"
contact = "tel:+1"
area = [[40.0, 35.0], [41.0, 35.0], [41.0, 36.0], [40.0, 36.0]]
"""
    agreement, _ = load_toml(toml(rest=rest))
    assert agreement.channels[1].area == Circle(lon=36.0, lat=35.0, radius_m=18520.0)
    assert agreement.channel_at(36.0, 35.1).name == "sector"  # ~11 km from the centre: inside 18.5 km
    assert agreement.channel_at(40.5, 35.5).name == "box"
    assert agreement.channel_at(38.0, 35.0).name == "guard"


def test_a_channel_with_an_area_wins_over_one_without_and_time_bounds_apply():
    when = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
    agreement = Agreement(
        id="a",
        name="a",
        parties=["x"],
        separation=Separation(lateral_m=1000, vertical_m=100),
        channels=[
            Channel(name="everywhere", contact="1"),
            Channel(name="night", contact="2", area=Circle(lon=0, lat=0, radius_m=10_000), start=datetime(2026, 6, 1, 20, tzinfo=timezone.utc)),
            Channel(name="day", contact="3", area=Circle(lon=0, lat=0, radius_m=10_000), end=datetime(2026, 6, 1, 20, tzinfo=timezone.utc)),
        ],
    )
    assert agreement.channel_at(0.0, 0.0, when).name == "day"
    assert agreement.channel_at(0.0, 0.0, datetime(2026, 6, 1, 21, tzinfo=timezone.utc)).name == "night"
    assert agreement.channel_at(1.0, 1.0, when).name == "everywhere"


@pytest.mark.parametrize("name", ["memorandum.toml", "wildfire.toml"])
def test_the_shipped_examples_load(name):
    text = (resources.files("deconfliction") / "examples" / name).read_text()
    agreement, parties = load_toml(text)
    assert agreement.separation.lateral_m > 0 and set(agreement.parties) <= {p.id for p in parties}


# Refused, naming the field ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lateral", ["0", '"0 NM"', '"-5 NM"'])
def test_the_lateral_minimum_must_be_above_zero(lateral):
    error = refused(toml(lateral=lateral))
    assert error.field.startswith("agreement.separation.lateral") and "greater than 0" in error.message


@pytest.mark.parametrize(
    "agreement, lateral, rest, field, words",
    [
        ("", '"5 parsecs"', "", "agreement.separation.lateral", "cannot read"),
        ('min_lead_time = "soon"', '"5 NM"', "", "agreement.min_lead_time", "cannot read"),
        ('planning_horizon = "2 fortnights"', '"5 NM"', "", "agreement.planning_horizon", "cannot read"),
        ('min_lead_time = "-1 h"', '"5 NM"', "", "agreement.min_lead_time", "greater than or equal to 0"),
        ('conflict_policy = "ignore"', '"5 NM"', "", "agreement.conflict_policy", "'notify' or 'reject'"),
        ('late_notices = "shrug"', '"5 NM"', "", "agreement.late_notices", "'reject' or 'flag'"),
        ('colour = "red"', '"5 NM"', "", "agreement.colour", "Extra"),
        ("max_area_km2 = 0", '"5 NM"', "", "agreement.max_area_km2", "greater than 0"),
        ("", '"5 NM"', '[[agreement.channels]]\nname = "c"\ncontact = "1"\narea = {lon = 1, lat = 2, radius = "ten"}', "agreement.channels.0.area.radius", "cannot read"),
        ("", '"5 NM"', '[[agreement.channels]]\nname = "c"\ncontact = "1"\narea = [[0, 0], [1, 1], [1, 0], [0, 1]]', "agreement.channels.0.area", "not a simple polygon"),
        ("", '"5 NM"', '[[parties]]\nid = "north"\nname = "N"\nbogus = 1', "parties.0.bogus", "Extra"),
    ],
)
def test_bad_values_are_refused_naming_the_field(agreement, lateral, rest, field, words):
    error = refused(toml(agreement, lateral, rest))
    assert error.field == field and words in error.message


def test_a_party_listed_twice_or_with_a_bad_id_is_refused():
    assert refused(toml().replace('["north", "south"]', '["north", "north"]')).field == "agreement.parties"
    assert refused(toml().replace('["north", "south"]', '["north", "so uth"]')).field == "agreement.parties"


def test_broken_toml_and_a_missing_agreement_table_are_refused():
    assert "not valid TOML" in refused("[agreement\n").message
    assert refused('[[parties]]\nid = "x"\nname = "x"').field == "agreement"
