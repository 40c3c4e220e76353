"""The web console in a real browser (Debian's Chromium, headless) against a real server: sign in, the
conflict on the map, the time slider, the channel of a clicked place, the hotline (acknowledge, send,
an overdue alert escalating as the test moves the clock), live notices and tactical alerts — and not
one request to anywhere but the server itself."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from deconfliction.models import MessageRefs
from deconfliction.workers.tactical import TacticalService

from .conftest import ARTIFACTS, expect, sign_in

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

OFF_TIME = re.compile(r"\boff-time\b")


@pytest.fixture
def scene(system, vol):
    """blue's notice and red's conflicting one in the 'pact' agreement (Paris), and blue's token."""
    blue = system.file_notice("blue", "pact", [vol()])
    red = system.file_notice("red", "pact", [vol(lon=2.352, start_h=1.5)], key=[blue.notice.version])
    assert red.conflicts
    system.file_notice("green", "pact", [vol(lon=2.45, lat=48.80, radius_m=800, start_h=5)])  # no conflict
    return {
        "blue": blue.notice, "red": red.notice, "conflict": red.conflicts[0],
        "token": system.issue_token("blue")[1], "red_token": system.issue_token("red")[1],
    }


def test_signing_in_shows_the_conflict_on_the_map_without_any_request_elsewhere(page, served, scene):
    started = time.perf_counter()
    sign_in(page, served.url, scene["token"])
    marker = page.locator(f'path.conflict-marker[data-conflict="{scene["conflict"].id}"]')
    expect(marker).to_have_count(1)
    loaded_s = time.perf_counter() - started
    expect(page.locator(f'path.volume.own.in-conflict[data-notice="{scene["blue"].id}"]')).to_have_count(1)
    expect(page.locator(f'path.volume.other.in-conflict[data-notice="{scene["red"].id}"]')).to_have_count(1)
    expect(page.locator("path.volume:not(.in-conflict)")).to_have_count(1)  # green's, apart
    expect(page.locator("path.world").first).to_be_attached()  # the world outline, from package data
    item = page.locator(f'#conflict-list li[data-conflict="{scene["conflict"].id}"]')
    expect(item).to_contain_text("with red")
    expect(item).to_contain_text("paris")  # the channel the server named for it
    expect(page.locator("#who")).to_contain_text("blue")
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console.png"))
    assert page.requests.urls, "the page made no request at all?"
    assert page.requests.elsewhere() == [], "requests to other origins"
    assert page.errors == []
    print(f"console loaded and showed the conflict in {loaded_s:.2f} s; {len(page.requests.urls)} requests")


def test_a_wrong_token_is_refused_at_sign_in_and_nothing_is_kept(page, served, scene):
    page.goto(served.url + "/")
    page.fill("#token", "dcf_not-a-token")
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#signin-error")).to_have_text("Unknown or revoked token.")
    expect(page.locator("#console")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0


def test_an_operator_token_is_refused_because_the_console_acts_for_a_party(page, served, system, scene):
    page.goto(served.url + "/")
    page.fill("#token", system.issue_token(None, ["admin"])[1])
    page.click("#signin-form button[type=submit]")
    expect(page.locator("#signin-error")).to_contain_text("operator token")
    expect(page.locator("#console")).to_be_hidden()


def test_the_token_lasts_for_the_tab_and_sign_out_forgets_it(page, served, scene):
    sign_in(page, served.url, scene["token"])
    page.reload()
    expect(page.locator("#console")).to_be_visible()
    expect(page.locator("path.conflict-marker")).to_have_count(1)
    page.click("#signout")
    expect(page.locator("#signin")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


def test_the_time_slider_dims_what_is_not_planned_at_the_chosen_time(page, served, scene, clock):
    sign_in(page, served.url, scene["token"])
    marker = page.locator("path.conflict-marker")
    expect(marker).not_to_have_class(OFF_TIME)  # "all times"
    conflict = scene["conflict"]

    def slide_to(when):
        page.eval_on_selector("#time", "(el, v) => { el.value = v; el.dispatchEvent(new Event('input')); }", str(int(when.timestamp())))

    slide_to(clock.now)  # now: nothing is planned yet
    expect(marker).to_have_class(OFF_TIME)
    expect(page.locator("path.volume.off-time")).to_have_count(3)
    expect(page.locator("#all-times")).not_to_be_checked()
    slide_to(conflict.time_start + (conflict.time_end - conflict.time_start) / 2)
    expect(marker).not_to_have_class(OFF_TIME)
    expect(page.locator("path.volume.off-time")).to_have_count(1)  # green's, later
    expect(page.locator("#time-label")).to_contain_text(f"{conflict.time_start:%Y-%m-%d}")


def test_clicking_a_place_shows_the_channel_that_applies_there(page, served, scene):
    sign_in(page, served.url, scene["token"])
    page.locator("path.conflict-marker").click()  # focuses the map on the conflict
    box = page.locator("#map").bounding_box()
    page.wait_for_timeout(400)  # the pan animates
    # Beside the conflict (a click on its marker selects the conflict instead), well inside the 'paris' area.
    page.mouse.click(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2 + 80)
    expect(page.locator("#place-info")).to_contain_text("paris")
    expect(page.locator("#place-info")).to_contain_text("tel:+33-1-0000")
    for _ in range(5):  # far out, to click beyond the 'paris' channel's 50 km
        page.locator(".leaflet-control-zoom-out").click()
        page.wait_for_timeout(350)  # each zoom animates
    page.mouse.click(box["x"] + 20, box["y"] + box["height"] - 60)
    expect(page.locator("#place-info")).to_contain_text("guard")  # the agreement's fallback channel
    expect(page.locator("#place-info")).to_contain_text("121.500 MHz")


def test_a_conflict_is_acknowledged_from_its_list_item(page, served, system, scene):
    sign_in(page, served.url, scene["token"])
    item = page.locator(f'#conflict-list li[data-conflict="{scene["conflict"].id}"]')
    expect(item.locator('.ack-state[data-party="blue"]')).to_have_text("blue ✗ not yet acknowledged")
    expect(item.locator('.ack-state[data-party="red"]')).to_have_text("red ✗ not yet acknowledged")
    item.locator("button.ack").click()
    expect(item.locator('.ack-state[data-party="blue"]')).to_contain_text("blue ✓ acknowledged")
    expect(item.locator('.ack-state[data-party="red"]')).to_have_text("red ✗ not yet acknowledged")  # both sides, told apart
    expect(item.locator("button.ack")).to_have_count(0)
    conflict = system.conflicts("blue", agreement_id="pact")[0]
    assert conflict.id == scene["conflict"].id
    assert (conflict.acknowledged_a if conflict.party_a == "blue" else conflict.acknowledged_b) is not None


def test_a_notice_filed_elsewhere_appears_live(page, served, system, scene, vol):
    sign_in(page, served.url, scene["token"])
    expect(page.locator("path.volume")).to_have_count(3)
    filed = system.file_notice("green", "pact", [vol(lon=2.20, lat=48.90, start_h=3)])
    expect(page.locator(f'path.volume.other[data-notice="{filed.notice.id}"]')).to_have_count(1)


def test_a_hotline_alert_arrives_live_and_is_acknowledged_with_its_button(page, served, system, scene):
    sign_in(page, served.url, scene["token"])
    sent = system.send_message("red", "pact", kind="alert", text="Tanker 21 entering your area", to=["blue"],
                               refs=MessageRefs(conflicts=[scene["conflict"].id]))
    item = page.locator(f'#inbox li[data-message="{sent.id}"]')
    expect(item).to_have_attribute("data-state", "pending")
    expect(item).to_contain_text("Tanker 21 entering your area")
    expect(page.locator("#inbox-count")).to_contain_text("1 to acknowledge")
    item.locator("button.ack").click()
    expect(item).to_have_attribute("data-state", "acknowledged")
    expect(item.locator("button.ack")).to_have_count(0)
    [owed] = [i for i in system.inbox("blue", agreement_id="pact") if i.message.id == sent.id]
    assert owed.deadline.state == "acknowledged"
    assert page.requests.elsewhere() == []


def test_an_overdue_alert_escalates_and_goes_to_the_top(page, served, system, scene, clock):
    sign_in(page, served.url, scene["token"])
    agreement = system.agreement("pact")
    info = system.send_message("red", "pact", kind="info", text="Survey flights all week", to=["blue"])
    clock.advance(seconds=1)
    alert = system.send_message("red", "pact", kind="alert", text="Drone lost link near the river", to=["blue"])
    first = page.locator("#inbox li").first
    expect(page.locator(f'#inbox li[data-message="{alert.id}"]')).to_have_attribute("data-state", "pending")
    # Both pending: the one due first (the alert: 60 s, against an info's longer deadline) leads.
    expect(first).to_have_attribute("data-message", alert.id)

    clock.advance(seconds=agreement.alert_ack_deadline_s + 1)
    system.tick()
    expect(first).to_have_attribute("data-state", "overdue")
    expect(first).to_have_attribute("data-message", alert.id)
    expect(first.locator(".escalations")).to_have_text(" · escalated 1×")
    expect(page.locator("#inbox-count")).to_contain_text("1 overdue")

    clock.advance(seconds=agreement.hotline_escalation_interval_s + 1)
    system.tick()
    expect(first.locator(".escalations")).to_have_text(" · escalated 2×")

    first.locator("button.ack").click()
    expect(page.locator(f'#inbox li[data-message="{alert.id}"]')).to_have_attribute("data-state", "acknowledged")
    expect(page.locator("#inbox li").first).to_have_attribute("data-message", info.id)  # what is still owed leads


def test_a_message_is_sent_from_the_console(page, served, system, scene):
    sign_in(page, served.url, scene["token"])
    page.locator(f'#conflict-list li[data-conflict="{scene["conflict"].id}"]').click()  # messages now refer to it
    page.select_option("#compose-kind", "query")
    page.select_option("#compose-to", "red")
    page.fill("#compose-text", "Can you hold north of the river until 10:30Z?")
    page.click("#compose button[type=submit]")
    expect(page.locator("#compose-state")).to_contain_text("Sent query to red")
    [received] = [i for i in system.inbox("red", agreement_id="pact") if i.message.sender == "blue"]
    assert received.message.kind == "query"
    assert received.message.text == "Can you hold north of the river until 10:30Z?"
    assert list(received.message.refs.conflicts) == [scene["conflict"].id]
    assert received.deadline.state == "pending"


def wait_for(found, seconds: float = 10.0):
    """What `found()` returns once it returns something (or its last answer after `seconds`): under load,
    a single read right after the page said "Sent" once came back empty in CI-like runs."""
    deadline = time.monotonic() + seconds
    while not (result := found()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return result


def test_the_sender_watches_its_message_being_acknowledged_live(page, served, system, scene):
    sign_in(page, served.url, scene["token"])
    page.select_option("#compose-kind", "alert")
    page.select_option("#compose-to", "red")
    page.fill("#compose-text", "Helicopter lifting from the pad now")
    page.click("#compose button[type=submit]")
    expect(page.locator("#compose-state")).to_contain_text("Sent alert to red")
    page.click("#sent-box summary")
    [sent] = wait_for(lambda: [m for m in system.sent("blue") if m.text == "Helicopter lifting from the pad now"])
    mine = page.locator(f'#sent li[data-message="{sent.id}"]')
    expect(mine.locator('.ack-of[data-party="red"]')).to_have_text("red pending")
    expect(page.locator("#sent-count")).to_contain_text("awaiting acknowledgment")
    system.acknowledge_message("red", sent.id)
    expect(mine.locator('.ack-of[data-party="red"]')).to_have_text("red ✓")  # over SSE, no reload


def test_a_refused_message_says_why_and_sends_nothing(page, served, system, scene):
    sign_in(page, served.url, scene["token"])
    page.fill("#compose-text", "x" * 10)
    page.eval_on_selector("#compose-to", "el => { el.add(new Option('nobody', 'nobody')); el.value = 'nobody'; }")
    page.click("#compose button[type=submit]")
    expect(page.locator("#compose-state")).to_contain_text("Not sent")
    assert not any(i.message.sender == "blue" for p in ("red", "green") for i in system.inbox(p, agreement_id="pact"))


def test_live_tracks_and_alerts_show_when_the_monitor_runs(page, served, system, scene, clock):
    tactical = TacticalService(system)
    served.app.state.tactical = tactical
    sign_in(page, served.url, scene["token"])
    expect(page.locator("#alerts-state")).to_have_text("")
    t = clock.now.timestamp()
    # Head-on at the same altitude, 10 km apart, closing at 400 m/s: predicted loss of separation.
    tactical.ingest("blue", [{"aircraft": "b1", "callsign": "BLUE1", "time": t, "lon": 2.30, "lat": 48.85, "altitude_m": 1000.0,
                              "datum": "AMSL", "ground_speed_ms": 200.0, "track_deg": 90.0, "vertical_rate_ms": 0.0}])
    # Your own aircraft show as they report (polled), before any alert; red's is not yours to see yet.
    expect(page.locator(".leaflet-tooltip.callsign", has_text="BLUE1")).to_have_count(1)
    tactical.ingest("red", [{"aircraft": "r1", "callsign": "RED1", "time": t, "lon": 2.436, "lat": 48.85, "altitude_m": 1000.0,
                             "datum": "AMSL", "ground_speed_ms": 200.0, "track_deg": 270.0, "vertical_rate_ms": 0.0}])
    page.wait_for_timeout(2500)  # a poll of /v1/tracks after red's report
    expect(page.locator("path.aircraft")).to_have_count(1)
    cycle = tactical.step(clock.now)
    assert cycle.published, "the monitor raised no alert"
    alert = page.locator("#alert-list li").first
    expect(alert).to_contain_text("separation predicted")
    expect(alert).to_contain_text("BLUE1 (blue)")
    expect(alert).to_contain_text("paris")
    expect(page.locator("path.aircraft")).to_have_count(2)  # red's, as the alert tells blue
    expect(page.locator(".leaflet-tooltip.callsign", has_text="RED1")).to_have_count(1)
    tactical.step(clock.now.timestamp() + tactical.config.stale_after_s + 1)  # both tracks go stale: the alert closes
    expect(page.locator("#alert-list li[data-alert]")).to_have_count(0)
    expect(page.locator("#alert-list")).to_have_text("No open alert involving your aircraft.")
    expect(page.locator("path.aircraft")).to_have_count(0)


def test_the_console_files_are_package_data_served_with_a_same_origin_policy(served):
    page = httpx.get(served.url + "/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy and "script-src 'self'" in policy
    for path in ("/console/js/main.js", "/console/vendor/leaflet/leaflet.js", "/console/vendor/basemap/basemap-50m.json", "/console/vendor/basemap/places.json",
                 "/console/vendor/leaflet/LICENSE", "/console/vendor/basemap/LICENSE"):
        reply = httpx.get(served.url + path)
        assert reply.status_code == 200, path
        assert reply.headers["content-security-policy"] == policy
    assert httpx.get(served.url + "/console/../../service.py").status_code == 404
    assert "/" not in served.app.openapi()["paths"]  # not an API operation


def test_a_busy_console_is_captured_as_a_screenshot(page, served, system, clock, vol):
    """The picture in the README (docs/img/console.png is a copy of test-artifacts/web/console-busy.png):
    notices of three parties, a conflict, the hotline with an overdue alert that escalated, a pending
    query and an acknowledged message, two aircraft in a predicted loss of separation."""
    from deconfliction import AltitudeBand, Volume4D
    from factories import square, window

    blue = system.file_notice("blue", "pact", [Volume4D(footprint=square(2.33, 48.86, 0.02), altitude=AltitudeBand(lower_m=0, upper_m=600, datum="W84"),
                                                        time=window(clock.now, 1, 3))])
    red = system.file_notice("red", "pact", [vol(lon=2.365, lat=48.875, radius_m=1200, start_h=2)], key=[blue.notice.version])
    system.file_notice("green", "pact", [vol(lon=2.42, lat=48.83, radius_m=900, start_h=4)])
    system.file_notice("blue", "pact", [vol(lon=2.27, lat=48.82, radius_m=600, start_h=6)])
    done = system.send_message("green", "pact", kind="info", text="Line test at 08:00Z: all good", to=["blue"])
    system.acknowledge_message("blue", done.id)
    system.send_message("red", "pact", kind="alert", text="Medevac helicopter inbound to the hospital pad, 5 min",
                        to=["blue"], refs=MessageRefs(conflicts=[red.conflicts[0].id]))
    clock.advance(seconds=system.agreement("pact").alert_ack_deadline_s + 5)
    system.tick()
    system.send_message("green", "pact", kind="query", text="Are you still flying the survey grid this afternoon?", to=["blue"])
    tactical = TacticalService(system)
    served.app.state.tactical = tactical
    t = clock.now.timestamp()
    tactical.ingest("blue", [{"aircraft": "b1", "callsign": "BLUE21", "time": t, "lon": 2.31, "lat": 48.845, "altitude_m": 400.0,
                              "datum": "AMSL", "ground_speed_ms": 60.0, "track_deg": 80.0}])
    tactical.ingest("red", [{"aircraft": "r7", "callsign": "SAMU75", "time": t, "lon": 2.37, "lat": 48.85, "altitude_m": 450.0,
                             "datum": "AMSL", "ground_speed_ms": 70.0, "track_deg": 265.0}])
    sign_in(page, served.url, system.issue_token("blue")[1])
    tactical.step(clock.now)
    expect(page.locator("path.aircraft")).to_have_count(2)
    expect(page.locator("#inbox li").first).to_have_attribute("data-state", "overdue")
    expect(page.locator("path.conflict-marker")).to_have_count(1)
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "console-busy.png"))
    assert page.requests.elsewhere() == []
    assert page.errors == []


def test_a_party_whose_line_is_down_is_flagged_and_acknowledging_the_test_brings_yours_up(page, served, system, scene, clock):
    system.add_agreement(system.agreement("pact").model_copy(update={"line_test_interval_s": 3600.0}))
    sign_in(page, served.url, scene["token"])
    expect(page.locator('#lines .line[data-party="red"]')).to_have_text("red unknown")
    system.tick()  # the system tests every party's line
    test = page.locator('#inbox li[data-state="pending"]', has=page.locator(".kind", has_text="test"))
    expect(test).to_have_count(1)
    test.locator("button.ack").click()  # blue answers its line test; red and green do not
    clock.advance(seconds=system.agreement("pact").alert_ack_deadline_s + 1)
    system.tick()
    expect(page.locator('#lines .line[data-party="red"]')).to_have_text("red down")
    expect(page.locator('#lines .line[data-party="red"]')).to_have_class(re.compile(r"\bdown\b"))
    expect(page.locator('#lines .line[data-party="blue"]')).to_have_text("blue up")


def test_text_from_other_parties_is_shown_as_text_never_run_as_html(page, served, system, scene, clock):
    tactical = TacticalService(system)
    served.app.state.tactical = tactical
    sign_in(page, served.url, scene["token"])
    payload = '<img src="/x" onerror="window.pwned = 1">'
    sent = system.send_message("red", "pact", kind="alert", text=payload, to=["blue"])
    t = clock.now.timestamp()
    tactical.ingest("blue", [{"aircraft": "b1", "callsign": payload, "time": t, "lon": 2.30, "lat": 48.85, "altitude_m": 1000.0,
                              "datum": "AMSL", "ground_speed_ms": 200.0, "track_deg": 90.0, "vertical_rate_ms": 0.0}])
    expect(page.locator(f'#inbox li[data-message="{sent.id}"] .text')).to_have_text(payload)
    expect(page.locator(".leaflet-tooltip.callsign .name")).to_have_text(payload)
    assert page.locator("img").count() == 0
    assert page.evaluate("window.pwned") is None


def test_the_console_reconnects_a_dropped_stream_and_misses_nothing(browser, system, scene, vol):
    """The server ends every stream after 1 s; the console resumes with Last-Event-ID each time."""
    from deconfliction.api import ApiSettings, create_app

    from .conftest import Served

    with Served(create_app(system, ApiSettings(sse_max_s=1.0, sse_poll_s=0.05))) as server:
        context = browser.new_context()
        page = context.new_page()
        try:
            sign_in(page, server.url, scene["token"])
            page.wait_for_timeout(2500)  # two dropped streams
            streams = []
            page.on("request", lambda r: streams.append(r.headers.get("last-event-id")) if r.url.endswith("/v1/events/stream") else None)
            filed = system.file_notice("green", "pact", [vol(lon=2.20, lat=48.90, start_h=3)])
            expect(page.locator(f'path.volume.other[data-notice="{filed.notice.id}"]')).to_have_count(1)
            for _ in range(60):  # a stream lasts 1 s and the console waits 1 s before resuming
                if streams:
                    break
                page.wait_for_timeout(100)
            assert streams and all(seq is not None and int(seq) > 0 for seq in streams), streams
            sent = system.send_message("red", "pact", kind="alert", text="after a reconnect", to=["blue"])
            expect(page.locator(f'#inbox li[data-message="{sent.id}"]')).to_have_attribute("data-state", "pending")
        finally:
            context.close()
