"""The hotline over HTTP: send, inbox, acknowledge, thread, lines; bad input names the field and changes nothing."""

from __future__ import annotations

import pytest

from .conftest import bearer


def send(http, token, **body):
    return http.post("/v1/hotline/messages", json={"agreement_id": "pact", "kind": "info", "text": "hello"} | body, headers=bearer(token))


def test_a_message_sent_over_http_reaches_the_recipients_inbox_and_is_acknowledged(http, tokens, system, clock):
    sent = send(http, tokens["owner"], kind="alert", text="Opposite direction traffic, FL240", to=["red"],
                refs={"aircraft": ["RCH123"]})
    assert sent.status_code == 201, sent.text
    message = sent.json()
    assert message["sender"] == "blue" and message["to"] == ["red"] and message["refs"]["aircraft"] == ["RCH123"]
    assert message["acknowledgments"][0]["state"] == "pending"

    inbox = http.get("/v1/hotline/inbox", headers=bearer(tokens["member"])).json()["items"]
    assert [item["message"]["id"] for item in inbox] == [message["id"]]
    assert inbox[0]["deadline"]["state"] == "pending"

    clock.advance(seconds=5)
    ack = http.post(f"/v1/hotline/messages/{message['id']}/ack", headers=bearer(tokens["member"]))
    assert ack.status_code == 200 and ack.json()["state"] == "acknowledged"
    seen = http.get(f"/v1/hotline/messages/{message['id']}", headers=bearer(tokens["owner"])).json()
    assert seen["acknowledgments"][0]["state"] == "acknowledged"
    events = http.get("/v1/events", headers=bearer(tokens["owner"])).json()["items"]
    assert events[-1]["kind"] == "hotline.acknowledged"
    sent_box = http.get("/v1/hotline/sent", headers=bearer(tokens["owner"])).json()["items"]
    assert sent_box[0]["id"] == message["id"] and sent_box[0]["acknowledgments"][0]["state"] == "acknowledged"


def test_an_overdue_message_comes_first_in_the_inbox_and_escalates_again(http, tokens, system, clock):
    first = send(http, tokens["owner"], kind="info", text="info", to=["red"]).json()
    alert = send(http, tokens["owner"], kind="alert", text="alert", to=["red"]).json()
    clock.advance(seconds=system.agreement("pact").alert_ack_deadline_s + 1)
    system.tick()
    inbox = http.get("/v1/hotline/inbox", headers=bearer(tokens["member"])).json()["items"]
    assert [i["message"]["id"] for i in inbox] == [alert["id"], first["id"]]
    assert inbox[0]["deadline"]["state"] == "overdue" and inbox[0]["deadline"]["escalations"] == 1
    clock.advance(seconds=system.agreement("pact").hotline_escalation_interval_s)
    system.tick()
    inbox = http.get("/v1/hotline/inbox?state=overdue", headers=bearer(tokens["member"])).json()["items"]
    assert inbox[0]["deadline"]["escalations"] == 2


def test_the_inbox_pages_in_its_own_order(http, tokens):
    ids = [send(http, tokens["owner"], text=f"m{i}", to=["red"]).json()["id"] for i in range(5)]
    seen, after = [], None
    while True:
        page = http.get("/v1/hotline/inbox", params={"limit": 2, **({"after": after} if after else {})}, headers=bearer(tokens["member"])).json()
        seen += [i["message"]["id"] for i in page["items"]]
        after = page["next"]
        if after is None:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))


def test_a_reply_threads_and_lines_are_listed(http, tokens, clock):
    question = send(http, tokens["owner"], kind="query", text="Who is on 123.45?", to=["red"]).json()
    clock.advance(seconds=1)
    answer = send(http, tokens["member"], kind="info", text="We are", in_reply_to=question["id"]).json()
    assert answer["to"] == ["blue"]
    thread = http.get(f"/v1/hotline/messages/{question['id']}/thread", headers=bearer(tokens["owner"])).json()["items"]
    assert [m["id"] for m in thread] == [question["id"], answer["id"]]
    lines = http.get("/v1/hotline/lines", params={"agreement_id": "pact"}, headers=bearer(tokens["owner"])).json()["items"]
    assert {line["party_id"] for line in lines} == {"blue", "red", "green"}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "rumour"}, "kind"),
        ({"text": ""}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({"to": ["mallory"]}, "to"),
        ({"to": ["blue"]}, "to"),
        ({"refs": {"notices": ["nope"]}}, "refs.notices[0]"),
        ({"refs": {"satellites": []}}, "refs.satellites"),
        ({"colour": "red"}, "colour"),
        ({"in_reply_to": "no-such-message"}, "in_reply_to"),
    ],
)
def test_bad_messages_are_refused_naming_the_field(http, tokens, system, body, field):
    before = system.last_event_seq()
    reply = send(http, tokens["owner"], **body)
    assert reply.status_code in (400, 404), reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert field in reply.json().get("field", ""), reply.json()
    assert system.last_event_seq() == before
