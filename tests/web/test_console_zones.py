"""The agreement's zones in the console (js/zones.js), in a real browser against a real server: each
drawn with its restriction's style and its name, in the legend, dimmed outside its schedule by the
time slider, and its details (limits, when, contact, message, manager) on a click or with the keyboard.
Imported zones and F3548 constraints are drawn alike."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from deconfliction.geometry import AltitudeBand, Circle, Polygon, TimeWindow, Volume4D
from deconfliction.models.zones import VerticalLimit, Zone, constraint_zone, stable_zone_id

from .conftest import ARTIFACTS, expect, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

OFF_TIME = re.compile(r"\boff-time\b")


@pytest.fixture
def zoned(system, clock, vol):
    """blue's notice near three zones of 'pact': a prohibited one always active, an authorisation one
    active 3-4 h from now, and a constraint (as F3548 makes them) active 1-2 h from now."""
    system.file_notice("blue", "pact", [vol()])
    system.file_notice("green", "pact", [vol(lon=2.45, lat=48.80, start_h=3, hours=2)])  # the slider spans the notices: to 5 h
    now = clock.now
    prison = Zone(id=stable_zone_id("test:prison"), agreement_id="pact", name="Prison de la Santé", restriction="prohibited",
                  footprint=Circle(lon=2.40, lat=48.83, radius_m=400.0),
                  lower=VerticalLimit(reference="SFC", text="SFC"), upper=VerticalLimit(reference="AGL", value_m=150.0, text="150 m AGL"),
                  contact="+33 1 00 00 00 00", message="No drones: penitentiary", source="test")
    stadium = Zone(id=stable_zone_id("test:stadium"), agreement_id="pact", name="Stadium", restriction="authorisation_required",
                   footprint=Polygon(vertices=((2.416, 48.841), (2.424, 48.841), (2.424, 48.849), (2.416, 48.849))),
                   lower=VerticalLimit(reference="SFC", text="SFC"), upper=VerticalLimit(reference="FL", value_m=1981.2, text="FL65"),
                   schedule=[TimeWindow(start=now + timedelta(hours=3), end=now + timedelta(hours=4))],
                   contact="stadium-ops@example.org", message="Match day", source="test")
    constraint = constraint_zone(
        zone_id="6f1f2c3d-4b5a-4c6d-8e7f-9a0b1c2d3e4f", agreement_id="pact", manager="blue", version=1, ovn="o" * 16,
        uss_base_url="https://uss.example/utm", created_at=now,
        volumes=[Volume4D(footprint=Circle(lon=2.38, lat=48.81, radius_m=300.0), altitude=AltitudeBand(lower_m=0, upper_m=120, datum="W84"),
                          time=TimeWindow(start=now + timedelta(hours=1), end=now + timedelta(hours=2)))])
    system.save_zones("admin", "pact", [prison, stadium])
    with system.store.transaction() as tx:  # as /dss/v1 writes it
        tx.put_zone(constraint)
    return {"prison": prison, "stadium": stadium, "constraint": constraint, "token": system.issue_token("red")[1]}


def zone_path(page, zone):
    return page.locator(f'path.zone[data-zone="{zone.id}"]')


def test_zones_are_drawn_by_restriction_named_in_the_legend_and_open_their_details(page, served, zoned):
    sign_in(page, served.url, zoned["token"])
    prison, stadium, constraint = zone_path(page, zoned["prison"]), zone_path(page, zoned["stadium"]), zone_path(page, zoned["constraint"])
    expect(prison).to_have_class(re.compile(r"\bprohibited\b"))
    expect(stadium).to_have_class(re.compile(r"\bauthorisation_required\b"))
    expect(constraint).to_have_class(re.compile(r"\bconditional\b"))
    strokes = {name: page.eval_on_selector(f'path.zone[data-zone="{zoned[name].id}"]', "p => getComputedStyle(p).stroke")
               for name in ("prison", "stadium", "constraint")}
    assert len(set(strokes.values())) == 3, strokes  # each restriction its own colour
    legend = page.locator("#legend")
    for words in ("prohibited", "authorisation required", "conditional", "information"):
        expect(legend).to_contain_text(words)
    expect(page.locator(".leaflet-tooltip.zone-label", has_text="Prison de la Santé")).to_have_count(1)

    prison.click()
    details = page.locator(f'.zone-details[data-zone="{zoned["prison"].id}"]')
    expect(details).to_contain_text("prohibited")
    expect(details).to_contain_text("SFC – 150 m AGL")
    expect(details).to_contain_text("+33 1 00 00 00 00")
    expect(details).to_contain_text("No drones: penitentiary")
    expect(details).to_contain_text("always")

    # The keyboard reaches it too: a named control that Enter opens.
    expect(stadium).to_have_attribute("role", "button")
    expect(stadium).to_have_attribute("aria-label", re.compile("authorisation required zone Stadium"))
    stadium.focus()
    page.keyboard.press("Enter")
    details = page.locator(f'.zone-details[data-zone="{zoned["stadium"].id}"]')
    expect(details).to_contain_text("FL65")
    expect(details).to_contain_text("stadium-ops@example.org")
    constraint.focus()
    page.keyboard.press("Enter")
    expect(page.locator(f'.zone-details[data-zone="{zoned["constraint"].id}"]')).to_contain_text("blue")  # its manager
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-zones.png"))
    assert page.errors == [] and page.requests.elsewhere() == []


def test_the_time_slider_dims_zones_outside_their_schedule(page, served, zoned, clock):
    sign_in(page, served.url, zoned["token"])
    prison, stadium, constraint = zone_path(page, zoned["prison"]), zone_path(page, zoned["stadium"]), zone_path(page, zoned["constraint"])
    expect(stadium).not_to_have_class(OFF_TIME)  # all times

    def slide_to(moment):
        page.eval_on_selector("#time", "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", str(int(moment.timestamp())))

    slide_to(clock.now + timedelta(hours=1, minutes=30))
    expect(stadium).to_have_class(OFF_TIME)
    expect(constraint).not_to_have_class(OFF_TIME)
    expect(prison).not_to_have_class(OFF_TIME)  # always active
    slide_to(clock.now + timedelta(hours=3, minutes=30))
    expect(stadium).not_to_have_class(OFF_TIME)
    expect(constraint).to_have_class(OFF_TIME)
    expect(prison).not_to_have_class(OFF_TIME)
