"""The console for the person on duty, in a real browser against a real server: a phone-size layout with
no horizontal scroll, alerts that command attention, an honest connection state, aviation units, the
notice list, timeline and export, the base map, dark mode, keyboard access and an axe-core scan."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from pyproj import Geod

from deconfliction.api import ApiSettings, create_app
from deconfliction.models import MessageRefs, NoticePrivate
from deconfliction.workers.tactical import TacticalService

from .conftest import ARTIFACTS, Served, expect, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
PHONE = {"width": 390, "height": 844}
FOOT = 0.3048

# Records desktop notifications instead of showing them (headless Chromium has no notification centre).
NOTIFICATIONS = """
window.__notifications = [];
window.Notification = class {
  static permission = "granted";
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) { window.__notifications.push({title, body: options && options.body}); }
};
"""


@pytest.fixture
def scene(system, vol):
    """blue's notice and red's conflicting one in the 'pact' agreement (Paris, both 0–300 m W84), green's apart."""
    blue = system.file_notice("blue", "pact", [vol()], private=NoticePrivate(reference="SURVEY-7"))
    red = system.file_notice("red", "pact", [vol(lon=2.352, start_h=1.5, lower_m=100, upper_m=400)], key=[blue.notice.version])
    green = system.file_notice("green", "pact", [vol(lon=2.45, lat=48.80, radius_m=800, start_h=5)])
    return {"blue": blue.notice, "red": red.notice, "green": green.notice, "conflict": red.conflicts[0],
            "token": system.issue_token("blue")[1]}


def open_page(browser, url, token, viewport=None, color_scheme=None, init_script=None):
    context = browser.new_context(viewport=viewport or {"width": 1400, "height": 850}, color_scheme=color_scheme, accept_downloads=True)
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.on("console", lambda message: print(f"console {message.type}: {message.text}"))
    sign_in(page, url, token)
    return page


def screenshot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


# ---- layout ------------------------------------------------------------------------------------


def test_on_a_phone_everything_fits_the_width_and_the_top_stays_on_screen(browser, served, scene, system):
    page = open_page(browser, served.url, scene["token"], viewport=PHONE)
    try:
        system.send_message("red", "pact", kind="alert", text="Tanker inbound", to=["blue"])
        expect(page.locator("#alert-bar")).to_be_visible()
        page.wait_for_timeout(300)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        for selector in ("#signout", "#hotline", "#conflicts", "#notices", "#compose button[type=submit]", "#alert-bar button.act"):
            node = page.locator(selector).first
            node.scroll_into_view_if_needed()
            box = node.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (selector, box)
        screenshot(page, "console-phone.png")
        page.locator("#place").scroll_into_view_if_needed()  # far down the page
        assert page.evaluate("window.scrollY") > 500
        top = page.locator("#top").bounding_box()
        assert top["y"] == 0  # the header and the alert bar are still on screen (sticky)
        expect(page.locator("#alert-bar")).to_be_in_viewport()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert page.errors == []
    finally:
        page.context.close()


@pytest.mark.parametrize("viewport", [PHONE, {"width": 820, "height": 1180}, {"width": 1400, "height": 850}], ids=["phone", "tablet", "desktop"])
def test_nothing_covers_the_maps_buttons(browser, served, scene, viewport):
    """Seen on a phone: the scale and the attribution lay over Fit notices / Fit aircraft."""
    page = open_page(browser, served.url, scene["token"], viewport=viewport)
    try:
        page.evaluate("window.scrollTo(0, 0)")
        for selector in ("#fit-notices", "#fit-aircraft", ".leaflet-control-zoom-in", "#legend summary"):
            on_top = page.evaluate("""(selector) => { const node = document.querySelector(selector); const b = node.getBoundingClientRect();
                const top = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2); return node === top || node.contains(top); }""", selector)
            assert on_top, selector
    finally:
        page.context.close()


@pytest.mark.parametrize("viewport", [{"width": 820, "height": 1180}, {"width": 2560, "height": 1440}], ids=["tablet", "wall"])
def test_tablet_and_wall_screen_show_map_and_panel_side_by_side_without_scrolling_sideways(browser, served, scene, viewport):
    page = open_page(browser, served.url, scene["token"], viewport=viewport)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        map_box, panel_box = page.locator("#map").bounding_box(), page.locator("#panel").bounding_box()
        assert map_box["x"] + map_box["width"] <= panel_box["x"] + 1  # side by side
        assert panel_box["x"] + panel_box["width"] <= viewport["width"] + 0.5
        if viewport["width"] > 1800:  # read from across the room
            assert page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 17
    finally:
        page.context.close()


# ---- attention ---------------------------------------------------------------------------------


def test_an_incoming_alert_commands_attention_and_muting_silences_the_tone(browser, served, scene, system, clock):
    page = open_page(browser, served.url, scene["token"], init_script=NOTIFICATIONS)
    try:
        page.click("#notify")  # the person allows desktop notifications
        tones = page.evaluate("window.__tones ?? 0")
        before = page.title()
        sent = system.send_message("red", "pact", kind="alert", text="Tanker 21 dropping on the ridge", to=["blue"])
        bar = page.locator(f'#alert-bar li[data-key="message:{sent.id}:pending"]')
        expect(bar).to_contain_text("ALERT from red")
        expect(bar).to_contain_text("Tanker 21 dropping on the ridge")
        expect(bar.locator(".countdown")).to_have_text(re.compile(r"due in 0:[0-5]\d"))
        expect(page.locator("#announcer")).to_contain_text("Tanker 21 dropping on the ridge")  # the ARIA live region
        assert page.evaluate("window.__tones") == tones + 1
        notes = page.evaluate("window.__notifications")
        assert [n["title"] for n in notes] == ["ALERT from red"] and "Tanker 21" in notes[0]["body"]
        # The title counts what needs you: the unacknowledged conflict and this alert.
        assert before == "(1) deconfliction console"
        expect(page).to_have_title("(2) deconfliction console")
        item = page.locator(f'#inbox li[data-message="{sent.id}"]')
        expect(item).to_have_class(re.compile(r"\bkind-alert\b"))  # styled apart from routine messages
        # The deadline passes: the countdown turns into an overdue count, the tone sounds again.
        clock.advance(seconds=61)
        system.tick()
        expect(page.locator(f'#alert-bar li[data-key="message:{sent.id}:overdue"]')).to_contain_text("OVERDUE")
        expect(item.locator(".countdown")).to_have_text(re.compile(r"overdue by \d+:\d\d"))
        assert page.evaluate("window.__tones") == tones + 2
        page.click("#mute")
        expect(page.locator("#mute")).to_have_attribute("aria-pressed", "true")
        system.send_message("green", "pact", kind="alert", text="Second alert", to=["blue"])
        expect(page.locator("#alert-bar")).to_contain_text("Second alert")
        expect(page).to_have_title("(3) deconfliction console")
        assert page.evaluate("window.__tones") == tones + 2  # muted
        page.locator(f'#alert-bar li[data-key="message:{sent.id}:overdue"] button.act').click()
        expect(page).to_have_title("(2) deconfliction console")
        [owed] = [i for i in system.inbox("blue", agreement_id="pact") if i.message.id == sent.id]
        assert owed.deadline.state == "acknowledged"
    finally:
        page.context.close()


# ---- connection --------------------------------------------------------------------------------


def test_a_stopped_server_greys_everything_stamps_its_age_and_stops_the_clock(browser, system, scene):
    with Served(create_app(system, ApiSettings(sse_ping_s=1.0, sse_poll_s=0.05))) as server:
        page = open_page(browser, server.url, scene["token"])
        try:
            expect(page.locator("#conn-banner")).to_be_hidden()
            expect(page.locator("body")).not_to_have_class(re.compile("stale"))
            server.__exit__(None, None, None)  # the server goes away
            expect(page.locator("#conn-banner")).to_be_visible(timeout=8000)
            expect(page.locator("#conn-banner")).to_contain_text("No contact with the server since")
            expect(page.locator("body")).to_have_class(re.compile(r"\bstale\b"))
            expect(page.locator("#stream-state")).not_to_have_text("live")
            expect(page.locator("#clock")).to_have_class(re.compile(r"\bfrozen\b"))
            frozen = page.locator("#server-time").text_content()
            page.wait_for_timeout(2200)
            assert page.locator("#server-time").text_content() == frozen  # the clock does not tick on
            expect(page.locator("#conflicts .as-of")).to_contain_text(re.compile(r"as of .* \d+ s ago"))
            screenshot(page, "console-offline.png")
        finally:
            page.context.close()


def test_a_revoked_token_signs_out_with_the_reason(browser, system, scene):
    credential, token = system.issue_token("blue")
    with Served(create_app(system, ApiSettings(sse_max_s=1.0, sse_poll_s=0.05))) as server:
        page = open_page(browser, server.url, token)
        try:
            system.revoke_token(credential.id)
            expect(page.locator("#signin")).to_be_visible(timeout=8000)
            expect(page.locator("#signin-error")).to_contain_text("the server no longer accepts your token")
            expect(page.locator("#signin-error")).to_contain_text("restarted demo")
            assert page.evaluate("sessionStorage.getItem('deconfliction.token')") is None
        finally:
            page.context.close()


def test_panels_say_they_are_loading_until_the_data_comes(browser, served, scene):
    context = browser.new_context(viewport={"width": 1400, "height": 850})
    page = context.new_page()
    try:
        held = []
        page.route(re.compile(r".*/v1/conflicts\?.*"), lambda route: held.append(route))
        page.goto(served.url + "/#agreement=pact")
        page.fill("#token", scene["token"])
        page.click("#signin-form button[type=submit]")
        expect(page.locator("#conflict-list li.loading")).to_have_text("Loading conflicts…")
        expect(page.locator("#stream-state")).to_have_class(re.compile(r"\bwait\b"))
        # The "connecting" badge is legible: WCAG AA contrast (4.5:1) against its background.
        ratio = page.evaluate("""() => {
            const lum = (c) => { const [r, g, b] = c.match(/\\d+/g).slice(0, 3).map(Number).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
                                 return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
            const s = getComputedStyle(document.getElementById("stream-state"));
            const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x);
            return (a + 0.05) / (b + 0.05); }""")
        assert ratio >= 4.5, ratio
        page.unroute(re.compile(r".*/v1/conflicts\?.*"))
        for route in held:
            route.continue_()
        expect(page.locator(f'#conflict-list li[data-conflict="{scene["conflict"].id}"]')).to_be_visible()
    finally:
        context.close()


# ---- aviation units ----------------------------------------------------------------------------


def test_conflicts_read_as_aviation_overlapping_bands_both_acknowledgments_nm_and_local_time(page, served, scene):
    sign_in(page, served.url, scene["token"])
    item = page.locator(f'#conflict-list li[data-conflict="{scene["conflict"].id}"]')
    # Both bands, in feet first (0–300 m and 100–400 m W84), instead of "vertical 0 m".
    expect(item.locator(".overlapping")).to_contain_text("vertically overlapping")
    expect(item.locator(".overlapping")).to_contain_text(f"0–{round(300 / FOOT):,} ft W84 (0–300 m)".replace(",", "\u202f"))
    expect(item.locator(".overlapping")).to_contain_text(f"{round(100 / FOOT)}–{round(400 / FOOT):,} ft W84 (100–400 m)".replace(",", "\u202f"))
    lateral = scene["conflict"].lateral_m
    expect(item).to_contain_text(f"lateral {lateral / 1852:.2f} NM")
    expect(item).to_contain_text("local)")
    expect(page.locator(".leaflet-control-scale-line.nm")).to_have_text(re.compile(r"^[\d.]+ NM$"))
    expect(page.locator("#local-time")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d local$"))


def test_an_agreement_that_reads_flight_levels_shows_them_on_aircraft_labels_and_alerts(browser, served, system, scene, clock):
    system.add_agreement(system.agreement("pact").model_copy(update={"altitude_display": "flight_level"}))
    tactical = TacticalService(system)
    served.app.state.tactical = tactical
    page = open_page(browser, served.url, scene["token"])
    try:
        t = clock.now.timestamp()
        tactical.ingest("blue", [{"aircraft": "b1", "callsign": "BLUE1", "time": t, "lon": 2.30, "lat": 48.85, "altitude_m": 2590.8,
                                  "datum": "AMSL", "ground_speed_ms": 200.0, "track_deg": 92.0, "vertical_rate_ms": 0.0}])
        tactical.ingest("red", [{"aircraft": "r1", "callsign": "RED1", "time": t, "lon": 2.436, "lat": 48.85, "altitude_m": 2590.8,
                                 "datum": "AMSL", "ground_speed_ms": 200.0, "track_deg": 272.0, "vertical_rate_ms": 0.0}])
        label = page.locator(".leaflet-tooltip.callsign", has=page.locator(".name", has_text="BLUE1"))
        # 2590.8 m = 8500 ft: FL085; 200 m/s = 389 kt; heading 092°.
        expect(label.locator(".data")).to_have_text("FL085 389kt 092°")
        tactical.step(clock.now)
        alert = page.locator("#alert-list li").first
        expect(alert).to_contain_text("BLUE1 (blue): FL085 (2\u202f591 m AMSL), 389 kt (200 m/s), heading 092°")
        expect(page.locator("#alert-bar li.tactical")).to_contain_text("Traffic: separation predicted")
        path = page.locator("path.aircraft").first
        expect(path).to_have_attribute("aria-label", re.compile(r"aircraft \w+1 of \w+: FL085 389kt 09?2|27?2"))
    finally:
        page.context.close()


def test_crowded_aircraft_labels_are_decluttered_and_fit_aircraft_finds_far_ones(browser, served, system, scene, clock):
    tactical = TacticalService(system)
    served.app.state.tactical = tactical
    page = open_page(browser, served.url, scene["token"])
    try:
        t = clock.now.timestamp()
        # Three aircraft 700 km from the notices (as the demo's recording is), two of them 50 m apart.
        reports = [{"aircraft": f"b{i}", "callsign": f"FAR{i}", "time": t, "lon": lon, "lat": 43.6, "altitude_m": 1000.0, "datum": "AMSL",
                    "ground_speed_ms": 60.0, "track_deg": 0.0} for i, lon in enumerate([1.44, 1.4406, 1.60])]
        tactical.ingest("blue", reports)
        expect(page.locator("#fit-aircraft")).to_have_text("Fit aircraft (3)")
        assert not page.evaluate("""() => { const b = document.querySelector('path.aircraft').getBoundingClientRect();
                                            const m = document.getElementById('map').getBoundingClientRect();
                                            return b.left >= m.left && b.right <= m.right && b.top >= m.top && b.bottom <= m.bottom; }""")
        page.click("#fit-aircraft")
        page.wait_for_timeout(600)
        inside = page.evaluate("""() => { const m = document.getElementById('map').getBoundingClientRect();
            return [...document.querySelectorAll('path.aircraft')].every((p) => { const b = p.getBoundingClientRect();
              return b.left >= m.left && b.right <= m.right && b.top >= m.top && b.bottom <= m.bottom; }); }""")
        assert inside
        expect(page.locator(".leaflet-tooltip.callsign:not(.decluttered)")).to_have_count(2)  # the two close ones share one label
        expect(page.locator(".leaflet-tooltip.callsign.decluttered")).to_have_count(1)
    finally:
        page.context.close()


def test_live_alerts_say_so_when_there_is_none_and_when_no_monitor_runs(browser, served, system, scene):
    served.app.state.tactical = TacticalService(system)
    page = open_page(browser, served.url, scene["token"])
    try:
        expect(page.locator("#alert-list")).to_have_text("No open alert involving your aircraft.")
    finally:
        page.context.close()
    served.app.state.tactical = None
    page = open_page(browser, served.url, scene["token"])
    try:
        expect(page.locator("#alerts-state")).to_have_text("The tactical monitor does not run on this server.")
        expect(page.locator("#alert-list li")).to_have_count(0)
    finally:
        page.context.close()


def test_an_aircraft_label_is_never_overprinted_by_a_notice_label(browser, served, system, scene, clock):
    tactical = TacticalService(system)
    served.app.state.tactical = tactical
    page = open_page(browser, served.url, scene["token"])
    try:
        green_label = page.locator(".notice-label", has_text="green")
        expect(green_label).to_be_visible()
        t = clock.now.timestamp()
        # blue's aircraft right over the centre of green's notice, where its label is.
        over = {"aircraft": "b9", "callsign": "BLUE9", "time": t, "lon": 2.45, "lat": 48.80, "altitude_m": 500.0, "datum": "AMSL",
                "ground_speed_ms": 50.0, "track_deg": 90.0}
        tactical.ingest("blue", [over])
        callsign = page.locator(".leaflet-tooltip.callsign", has_text="BLUE9")
        expect(callsign).to_be_visible()
        expect(green_label).to_have_class(re.compile(r"\bdecluttered\b"))
        overlap = page.evaluate("""() => { const a = [...document.querySelectorAll('.leaflet-tooltip.callsign')].map((e) => e.getBoundingClientRect());
            return [...document.querySelectorAll('.leaflet-tooltip.notice-label:not(.decluttered)')].some((e) => { const r = e.getBoundingClientRect();
              return a.some((q) => r.left < q.right && q.left < r.right && r.top < q.bottom && q.top < r.bottom); }); }""")
        assert not overlap
        # Once the aircraft has flown on (15 km east), the notice's label is back.
        tactical.ingest("blue", [{**over, "time": t + 1, "lon": 2.65}])
        expect(green_label).to_be_visible()
    finally:
        page.context.close()


# ---- notices: list, filters, search, details, timeline, export ----------------------------------


def test_each_notice_row_is_laid_out_in_its_own_item_one_under_another(page, served, scene):
    """Seen on the demo: the rows' items were 2 px tall, their borders struck through the first row."""
    sign_in(page, served.url, scene["token"])
    expect(page.locator("#notice-list li.notice")).to_have_count(3)
    boxes = page.evaluate("""() => [...document.querySelectorAll('#notice-list li.notice')].map((li) => {
        const b = li.getBoundingClientRect(), r = li.querySelector('button.row').getBoundingClientRect();
        return [b.top, b.bottom, r.top, r.bottom]; })""")
    for top, bottom, row_top, row_bottom in boxes:
        assert top <= row_top + 0.5 and row_bottom <= bottom + 0.5  # the item holds its row
    for (_, bottom, _, _), (top, _, _, _) in zip(boxes, boxes[1:]):
        assert top >= bottom - 1.5  # and the next one starts below it (borders may touch)


def test_the_notice_list_filters_searches_and_shows_details(page, served, scene):
    sign_in(page, served.url, scene["token"])
    rows = page.locator("#notice-list li.notice")
    expect(rows).to_have_count(3)
    page.select_option("#notice-whose", "mine")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("blue SURVEY-7")  # your own reference names your notice
    page.select_option("#notice-whose", "others")
    expect(rows).to_have_count(2)
    page.select_option("#notice-whose", "all")
    page.fill("#notice-search", scene["green"].id[:8])
    expect(rows).to_have_count(1)
    expect(page.locator("#notice-count")).to_have_text("1 of 3")
    rows.first.locator("button.row").click()
    details = page.locator("#notice-details")
    expect(details).to_contain_text(scene["green"].id)
    expect(details).to_contain_text("green")
    expect(details).to_contain_text("circle of 0.43 NM (800 m) radius")
    expect(page.locator(f'path.volume.selected[data-notice="{scene["green"].id}"]')).to_have_count(1)


def test_the_timeline_moves_the_slider_and_the_slider_moves_its_cursor(page, served, scene):
    sign_in(page, served.url, scene["token"])
    chart = page.locator("#timeline .chart")
    expect(chart.locator(".bar")).to_have_count(3)
    red_bar = page.locator(f'#timeline .row[data-notice="{scene["red"].id}"] .bar')
    red_bar.scroll_into_view_if_needed()
    box = red_bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)  # the middle of red's window
    expect(page.locator("#all-times")).not_to_be_checked()
    middle = scene["red"].volumes[0].time.start + (scene["red"].volumes[0].time.end - scene["red"].volumes[0].time.start) / 2
    slider = int(page.locator("#time").input_value())
    assert abs(slider - middle.timestamp()) < 600, (slider, middle)
    expect(page.locator("#timeline .cursor")).to_have_count(1)
    expect(page.locator(f'path.volume.off-time[data-notice="{scene["green"].id}"]')).to_have_count(1)
    chart.focus()
    page.keyboard.press("ArrowRight")  # 15 minutes on
    assert int(page.locator("#time").input_value()) - slider in range(900, 961)


def test_the_filtered_notices_export_as_geojson_and_csv(page, served, scene):
    sign_in(page, served.url, scene["token"])
    page.select_option("#notice-whose", "others")
    with page.expect_download() as download:
        page.click("#export-geojson")
    collection = json.loads(Path(download.value.path()).read_text())
    assert {f["properties"]["party_id"] for f in collection["features"]} == {"red", "green"}
    green = next(f for f in collection["features"] if f["properties"]["notice_id"] == scene["green"].id)
    # The circle as a polygon: every vertex 800 m (geodesic, pyproj) from the centre, ring closed.
    ring = green["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) >= 33
    geod = Geod(ellps="WGS84")
    for lon, lat in ring:
        assert abs(geod.inv(2.45, 48.80, lon, lat)[2] - 800) < 5
    with page.expect_download() as download:
        page.click("#export-csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert sorted(r["notice_id"] for r in rows) == sorted([scene["red"].id, scene["green"].id])
    red = next(r for r in rows if r["notice_id"] == scene["red"].id)
    assert (red["lower_m"], red["upper_m"], red["lower_ft"], red["upper_ft"], red["datum"]) == ("100", "400", "328", "1312", "W84")
    assert red["start"].startswith(f"{scene['red'].volumes[0].time.start:%Y-%m-%dT%H:%M}")


# ---- map ---------------------------------------------------------------------------------------


def test_the_base_map_shows_water_borders_and_town_names_offline(page, served, scene):
    sign_in(page, served.url, scene["token"])
    expect(page.locator('#map[data-basemap="ready"]')).to_have_count(1, timeout=30_000)  # 2.5 MB to parse on a loaded machine
    expect(page.locator("path.lake").first).to_be_attached()
    expect(page.locator("path.river").first).to_be_attached()
    expect(page.locator("path.border").first).to_be_attached()
    expect(page.locator(".place", has_text="Paris").first).to_be_visible()  # at working zoom over the notices
    expect(page.locator(".notice-label", has_text="green")).to_be_visible()
    # blue's and red's notices share a centre: one label shows, the other is decluttered, not overprinted.
    overlapping = page.locator(".notice-label", has_text=re.compile(r"^(blue SURVEY-7|red \w{8})$"))
    expect(overlapping).to_have_count(2)
    expect(page.locator(".notice-label.decluttered")).to_have_count(1)
    legend = page.locator("#legend")
    for words in ("your notices", "others' notices", "channel area", "aircraft", "lakes", "rivers", "borders", "towns"):
        expect(legend).to_contain_text(words)
    # The towns' key is one dot in its row; a town on the map has its dot (seen: the key's dot strayed to the legend's corner).
    before = "(selector) => getComputedStyle(document.querySelector(selector), '::before').content"
    assert page.evaluate(before, "#legend .key.place") == "none"
    assert page.evaluate(before, ".leaflet-marker-icon.place") != "none"
    assert page.requests.elsewhere() == []


def test_every_action_is_reachable_by_keyboard_and_map_shapes_have_names(page, served, scene):
    sign_in(page, served.url, scene["token"])
    marker = page.locator("path.conflict-marker")
    expect(marker).to_have_attribute("aria-label", re.compile(r"conflict between (blue and red|red and blue), lateral .* NM"))
    expect(marker).to_have_attribute("tabindex", "0")
    marker.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#compose-state")).to_contain_text(f"refer to conflict {scene['conflict'].id[:8]}")
    volume = page.locator(f'path.volume[data-notice="{scene["green"].id}"]')
    expect(volume).to_have_attribute("aria-label", re.compile(r"green's notice green \w+, volume 1, planned"))
    volume.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#notice-details")).to_contain_text(scene["green"].id)
    # Tab order reaches the conflict card's buttons (no mouse-only controls).
    reached = set()
    page.locator("#compose-text").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.className + '|' + (document.activeElement.closest('li')?.dataset.conflict || '')"))
    assert any(r.startswith("show|") and r.endswith(scene["conflict"].id) for r in reached)
    assert any(r.startswith("ack|") and r.endswith(scene["conflict"].id) for r in reached)


def test_dark_mode_follows_the_system_and_the_toggle(browser, served, scene, system):
    page = open_page(browser, served.url, scene["token"], color_scheme="dark")
    try:
        system.send_message("red", "pact", kind="alert", text="Night drops on the ridge", to=["blue"])
        expect(page.locator("#alert-bar")).to_be_visible()
        background = lambda: page.evaluate("getComputedStyle(document.body).backgroundColor")  # noqa: E731
        assert background() == "rgb(13, 17, 23)"
        page.wait_for_timeout(300)
        screenshot(page, "console-dark.png")
        page.click("#theme")  # auto -> dark
        assert background() == "rgb(13, 17, 23)"
        page.click("#theme")  # dark -> light
        expect(page.locator("#theme")).to_have_text("Theme: light")
        assert background() == "rgb(246, 247, 249)"
        page.reload()
        expect(page.locator("#console")).to_be_visible()
        assert background() == "rgb(246, 247, 249)"  # the choice is kept
    finally:
        page.context.close()


def test_lines_unknown_is_explained(page, served, scene):
    sign_in(page, served.url, scene["token"])
    expect(page.locator('#lines .line[data-party="red"]')).to_have_text("red unknown")
    expect(page.locator("#lines .explain")).to_contain_text("unknown: this agreement runs no line tests")


# ---- accessibility -----------------------------------------------------------------------------


def _axe(page) -> list[dict]:
    page.evaluate(AXE.read_text())  # evaluated through the DevTools protocol: the page's CSP does not apply
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_accessibility_violation(browser, served, system, scene, scheme):
    page = open_page(browser, served.url, scene["token"], color_scheme=scheme)
    try:
        system.send_message("red", "pact", kind="alert", text="Tanker inbound", to=["blue"],
                            refs=MessageRefs(conflicts=[scene["conflict"].id]))
        expect(page.locator("#alert-bar")).to_be_visible()
        page.locator(f'#notice-list li[data-notice="{scene["green"].id}"] button.row').click()
        page.wait_for_timeout(500)
        assert _axe(page) == []
    finally:
        page.context.close()


def test_axe_finds_no_serious_violation_on_the_sign_in_page(page, served):
    page.goto(served.url + "/")
    expect(page.locator("#signin")).to_be_visible()
    assert _axe(page) == []


def test_the_screenshots_for_the_docs_are_taken(browser, served, system, scene, clock):
    """docs/img/console-desktop.png, -phone.png and -dark.png are copies of these artefacts."""
    tactical = TacticalService(system)
    served.app.state.tactical = tactical
    system.send_message("red", "pact", kind="alert", text="Medevac helicopter inbound to the hospital pad, 5 min", to=["blue"],
                        refs=MessageRefs(conflicts=[scene["conflict"].id]))
    t = clock.now.timestamp()
    tactical.ingest("blue", [{"aircraft": "b1", "callsign": "BLUE21", "time": t, "lon": 2.33, "lat": 48.845, "altitude_m": 400.0,
                              "datum": "AMSL", "ground_speed_ms": 60.0, "track_deg": 80.0}])
    tactical.ingest("red", [{"aircraft": "r7", "callsign": "SAMU75", "time": t, "lon": 2.37, "lat": 48.85, "altitude_m": 450.0,
                             "datum": "AMSL", "ground_speed_ms": 70.0, "track_deg": 265.0}])
    tactical.step(clock.now)
    for name, options in {"console-desktop.png": {}, "console-phone-top.png": {"viewport": PHONE},
                          "console-dark-desktop.png": {"color_scheme": "dark"}}.items():
        page = open_page(browser, served.url, scene["token"], **options)
        try:
            expect(page.locator("path.aircraft")).to_have_count(2)
            expect(page.locator('#map[data-basemap="ready"]')).to_have_count(1, timeout=30_000)
            page.wait_for_timeout(500)
            screenshot(page, name)
        finally:
            page.context.close()
