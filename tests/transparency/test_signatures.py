"""Parties' signed statements over HTTP, in an agreement that requires them: a signed filing is kept
with its signature and checks with nothing but the party's public key; an unsigned, forged, borrowed,
tampered, replayed, expired or revoked one is refused, and nothing is written."""

from __future__ import annotations

import json

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient

from deconfliction import connect
from deconfliction.api import ApiSettings, create_app
from deconfliction.client import Client
from deconfliction.transparency.keys import SigningKey, unb64
from deconfliction.transparency.statements import sign_request
from deconfliction.transparency.witness import Witness
from factories import FixedClock, circle_volume, example_agreement

PATH = "/v1/notices"


@pytest.fixture
def world(tmp_path):
    clock = FixedClock()
    system = connect(tmp_path / "signed.db", clock=clock)
    system.add_agreement(example_agreement(signatures_required=True))
    system.add_agreement(example_agreement(id="open", parties=["blue", "red"]))  # signatures optional
    http = TestClient(create_app(system, ApiSettings()), raise_server_exceptions=False)
    keys = {"blue": SigningKey.generate(), "red": SigningKey.generate()}
    tokens = {party: system.issue_token(party)[1] for party in keys}
    for party, key in keys.items():
        system.add_party_key(party, key.public_b64)
    yield {"system": system, "http": http, "keys": keys, "tokens": tokens, "clock": clock}
    http.close()
    system.close()


def body(clock, agreement="pact", lon=10.0) -> dict:
    v = circle_volume(clock.now, lon=lon)
    return {"agreement_id": agreement, "volumes": [v.model_dump(mode="json")]}


def post(world, party, data, signature: str | None):
    headers = {"Authorization": f"Bearer {world['tokens'][party]}", "Content-Type": "application/json"}
    if signature is not None:
        headers["Deconfliction-Signature"] = signature
    return world["http"].post(PATH, content=json.dumps(data), headers=headers)


def signed(world, party, data, key=None, as_party=None, at=None):
    return sign_request(key or world["keys"][party], as_party or party, "POST", PATH, data, now=at or world["clock"].now)[1]


def log_size(world) -> int:
    return world["system"].tree_head().size


def refused(world, reply, says: str) -> None:
    assert reply.status_code == 403, reply.text
    assert reply.json()["field"] == "Deconfliction-Signature"
    assert says in reply.json()["detail"], reply.json()["detail"]


def test_a_signed_filing_is_kept_with_its_signature_which_checks_with_the_public_key_alone(world):
    data = body(world["clock"])
    reply = post(world, "blue", data, signed(world, "blue", data))
    assert reply.status_code == 201, reply.text
    notice_id = reply.json()["notice"]["id"]
    (kept,) = [e for e in world["system"].audit_entries(0, 1000) if e.action == "statement.signed"]
    assert kept.subject == notice_id and kept.actor == "blue"
    statement = kept.payload["statement"]
    assert statement["body"] == data and statement["party"] == "blue"
    # independent check: the raw Ed25519 key, the context line, RFC 8785 of the statement
    public = Ed25519PublicKey.from_public_bytes(unb64(world["keys"]["blue"].public_b64))
    public.verify(unb64(kept.payload["signature"]), b"deconfliction party statement v1\n" + rfc8785.dumps(statement))


def test_an_unsigned_filing_is_refused_where_the_agreement_requires_signatures_and_accepted_where_not(world):
    before = log_size(world)
    refused(world, post(world, "blue", body(world["clock"]), None), "requires blue's signature")
    refused(world, post(world, "blue", body(world["clock"]), None), "the web console with a key registered in its Signing panel")  # what the console shows
    assert log_size(world) == before
    assert post(world, "blue", body(world["clock"], agreement="open"), None).status_code == 201


def test_a_forged_signature_is_refused(world):
    data = body(world["clock"])
    forger = SigningKey.generate()
    header = signed(world, "blue", data, key=forger).replace(forger.id, world["keys"]["blue"].id)  # claims blue's key
    before = log_size(world)
    refused(world, post(world, "blue", data, header), "does not hold")
    assert log_size(world) == before


def test_another_partys_key_cannot_sign_for_blue(world):
    data = body(world["clock"])
    refused(world, post(world, "blue", data, signed(world, "blue", data, key=world["keys"]["red"])), "not a registered key of blue")
    refused(world, post(world, "blue", data, signed(world, "red", data)), "signed as 'red'")


def test_a_signature_over_another_body_is_refused(world):
    data = body(world["clock"])
    header = signed(world, "blue", data)
    data["volumes"][0]["footprint"]["radius_m"] = 5000.0
    refused(world, post(world, "blue", data, header), "does not hold")


def test_a_replayed_statement_is_refused_and_files_nothing(world):
    data = body(world["clock"])
    header = signed(world, "blue", data)
    assert post(world, "blue", data, header).status_code == 201
    before = log_size(world)
    refused(world, post(world, "blue", data, header), "replayed")
    assert log_size(world) == before
    assert len(world["system"].notices("blue", agreement_id="pact")) == 1


def test_key_rotation_the_old_key_expires_and_the_next_one_signs(world):
    system, clock = world["system"], world["clock"]
    old = world["keys"]["blue"]
    (registered,) = system.party_keys("blue")
    nxt = SigningKey.generate()
    switch = clock.now.replace(hour=clock.now.hour + 1)
    # rotation: the operator ends the old key's validity at the switch, the next key starts there
    with system.store.transaction() as tx:
        tx.put_party_key(registered.model_copy(update={"valid_until": switch}))
    system.add_party_key("blue", nxt.public_b64, valid_from=switch)
    data = body(clock)
    refused(world, post(world, "blue", data, signed(world, "blue", data, key=nxt)), "valid only from")
    clock.advance(hours=1)
    data = body(clock, lon=11.0)
    refused(world, post(world, "blue", data, signed(world, "blue", data, key=old)), "expired")
    assert post(world, "blue", data, signed(world, "blue", data, key=nxt)).status_code == 201


def test_a_revoked_key_signs_nothing_more_and_what_it_signed_before_stays_checkable(world):
    data = body(world["clock"])
    assert post(world, "blue", data, signed(world, "blue", data)).status_code == 201
    reply = world["http"].post(f"/v1/parties/blue/keys/{world['keys']['blue'].id}/revoke", headers={"Authorization": f"Bearer {world['tokens']['blue']}"})
    assert reply.status_code == 200 and reply.json()["revoked_at"]
    data = body(world["clock"], lon=12.0)
    refused(world, post(world, "blue", data, signed(world, "blue", data)), "revoked")
    assert any(e.action == "statement.signed" for e in world["system"].audit_entries(0, 1000))


def test_the_client_library_signs_every_write_with_the_partys_key(world, tmp_path):
    client = Client("http://testserver", world["tokens"]["red"], http=world["http"], witness=Witness(tmp_path / "w"), signing_key=world["keys"]["red"], clock=world["clock"])
    filing = client.file_notice("pact", [circle_volume(world["clock"].now, lon=30.0)])
    client.cancel_notice(filing.notice.id)
    said = [e for e in world["system"].audit_entries(0, 1000) if e.action == "statement.signed"]
    assert [e.payload["statement"]["method"] + " " + e.payload["statement"]["path"] for e in said] == [
        "POST /v1/notices", f"POST /v1/notices/{filing.notice.id}/cancel",
    ]


def test_only_the_party_or_the_operator_registers_its_keys_and_bad_keys_are_refused_naming_the_field(world):
    http = world["http"]
    as_red = {"Authorization": f"Bearer {world['tokens']['red']}"}
    assert http.post("/v1/parties/blue/keys", json={"public_key": SigningKey.generate().public_b64}, headers=as_red).status_code == 403
    reply = http.post("/v1/parties/red/keys", json={"public_key": "A" * 44}, headers=as_red)
    assert reply.status_code == 400 and reply.json()["field"] == "public_key", reply.text
    reply = http.get("/v1/parties/blue/keys", headers=as_red)
    assert reply.status_code == 200 and [k["key_id"] for k in reply.json()["items"]] == [world["keys"]["blue"].id]


def test_evidence_about_a_signed_filing_carries_the_statement_and_the_key_and_checks_offline(world):
    from deconfliction.rules.evidence import prove
    from deconfliction.transparency.offline import EvidenceError, check_evidence

    data = body(world["clock"])
    reply = post(world, "blue", data, signed(world, "blue", data))
    evidence = prove(world["system"], reply.json()["notice"]["id"])
    assert [k["key_id"] for k in evidence.party_keys] == [world["keys"]["blue"].id]
    assert any(e.entry.action == "statement.signed" for e in evidence.entries)
    check_evidence(evidence)
    impostor = SigningKey.generate()
    swapped = evidence.model_copy(update={"party_keys": [{**evidence.party_keys[0], "public_key": impostor.public_b64}]})
    with pytest.raises(EvidenceError, match="signature does not hold"):
        check_evidence(swapped)
    with pytest.raises(EvidenceError, match="key of blue's signed statement is not in the evidence"):
        check_evidence(evidence.model_copy(update={"party_keys": []}))


def test_a_key_with_a_validity_that_is_not_a_date_time_string_is_refused_naming_the_field(world):
    as_blue = {"Authorization": f"Bearer {world['tokens']['blue']}"}
    before = world["system"].party_keys("blue")
    for bad in (1234567890, True, "next tuesday"):
        reply = world["http"].post("/v1/parties/blue/keys", json={"public_key": SigningKey.generate().public_b64, "valid_from": bad}, headers=as_blue)
        assert reply.status_code == 400 and reply.json()["field"] == "valid_from", reply.text
    assert world["system"].party_keys("blue") == before


def test_a_statement_signed_outside_the_stated_skew_of_the_servers_clock_is_refused_naming_signed_at(world):
    from datetime import timedelta

    from deconfliction.rules.signing import SIGNED_AT_SKEW

    now, before = world["clock"].advance(minutes=10), log_size(world)  # blue's key is valid from 10 min ago
    for off, says in ((SIGNED_AT_SKEW + timedelta(seconds=1), "ahead of the server's clock"),
                      (-SIGNED_AT_SKEW - timedelta(seconds=1), "behind the server's clock"),
                      (timedelta(days=-1), "86400 s behind")):
        data = body(world["clock"])
        reply = post(world, "blue", data, signed(world, "blue", data, at=now + off))
        assert reply.status_code == 403 and reply.json()["field"] == "Deconfliction-Signature.signedAt", reply.text
        assert says in reply.json()["detail"], reply.json()["detail"]
    assert log_size(world) == before
    for off in (SIGNED_AT_SKEW, -SIGNED_AT_SKEW):  # the bound itself is inside
        data = body(world["clock"], lon=10.0 + off.total_seconds() / 1000)
        assert post(world, "blue", data, signed(world, "blue", data, at=now + off)).status_code == 201


def test_a_signed_at_that_is_not_a_utc_date_time_is_refused_naming_it(world):
    data = body(world["clock"])
    good = signed(world, "blue", data)
    stamp = good.split("signedAt=")[1].split(",")[0]
    for bad in ("yesterday", stamp.removesuffix("Z")):
        reply = post(world, "blue", data, good.replace(stamp, bad))
        assert reply.status_code == 400 and reply.json()["field"] == "Deconfliction-Signature.signedAt", reply.text


def test_a_statement_dated_before_its_keys_validity_is_refused_though_the_key_is_valid_now(world):
    from datetime import timedelta

    system, clock = world["system"], world["clock"]
    fresh = SigningKey.generate()
    system.add_party_key("blue", fresh.public_b64, valid_from=clock.now + timedelta(minutes=2))
    clock.advance(minutes=3)
    data = body(clock)
    reply = post(world, "blue", data, signed(world, "blue", data, key=fresh, at=clock.now - timedelta(minutes=2)))  # within the skew
    assert reply.status_code == 403 and "valid only from" in reply.json()["detail"], reply.text
    assert post(world, "blue", data, signed(world, "blue", data, key=fresh)).status_code == 201
