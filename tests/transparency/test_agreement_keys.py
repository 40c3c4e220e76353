"""Party keys written in the agreement TOML ([[parties.keys]]): registered when the file is loaded, with
the force of keys registered over the API (they sign, rotate by their validity, are revoked), and a bad
key refuses the whole file naming the party and key index, changing nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from deconfliction import connect, load_toml
from deconfliction.api import ApiSettings, create_app
from deconfliction.cli import app
from deconfliction.errors import InvalidInput
from deconfliction.transparency.keys import SigningKey
from deconfliction.transparency.statements import sign_request
from factories import T0, FixedClock, circle_volume

SWITCH = T0 + timedelta(hours=2)


def agreement_toml(keys: dict[str, list[dict]], signatures_required: bool = True) -> str:
    """The agreement 'pact' of blue and red, each party with the keys given (TOML written by hand)."""
    lines = [
        "[agreement]", 'id = "pact"', 'name = "Signed pact"', 'parties = ["blue", "red"]', 'min_lead_time = "10 min"',
        f"signatures_required = {'true' if signatures_required else 'false'}",
        "[agreement.separation]", 'lateral = "1 NM"', 'vertical = "500 ft"',
    ]
    for party in ("blue", "red"):
        lines += ["[[parties]]", f'id = "{party}"', f'name = "{party.title()} ops"']
        for key in keys.get(party, []):
            lines.append("[[parties.keys]]")
            lines += [f"{name} = {value}" for name, value in key.items()]
    return "\n".join(lines) + "\n"


def quoted(text: str) -> str:
    return json.dumps(text)


@pytest.fixture
def world(tmp_path):
    clock = FixedClock()
    system = connect(tmp_path / "toml-keys.db", clock=clock)
    http = TestClient(create_app(system, ApiSettings()), raise_server_exceptions=False)
    yield {"system": system, "http": http, "clock": clock, "tokens": {}}
    http.close()
    system.close()


def load(world, text: str) -> None:
    agreement, parties = load_toml(text)
    world["system"].add_agreement(agreement, parties)


def file_signed(world, party: str, key: SigningKey, lon: float):
    if party not in world["tokens"]:
        world["tokens"][party] = world["system"].issue_token(party)[1]
    data = {"agreement_id": "pact", "volumes": [circle_volume(world["clock"].now, lon=lon).model_dump(mode="json")]}
    header = sign_request(key, party, "POST", "/v1/notices", data, now=world["clock"].now)[1]
    headers = {"Authorization": f"Bearer {world['tokens'][party]}", "Content-Type": "application/json", "Deconfliction-Signature": header}
    return world["http"].post("/v1/notices", content=json.dumps(data), headers=headers)


def snapshot(world) -> tuple:
    system = world["system"]
    return (system.tree_head().size, [a.model_dump() for a in system.agreements()],
            [k.model_dump() for party in ("blue", "red") for k in system.party_keys(party)])


def test_a_key_listed_in_the_agreement_file_signs_filings_where_signatures_are_required(world):
    blue = SigningKey.generate()
    load(world, agreement_toml({"blue": [{"public_key": quoted(blue.public_b64)}]}))
    assert [k.key_id for k in world["system"].party_keys("blue")] == [blue.id]
    assert file_signed(world, "blue", blue, lon=10.0).status_code == 201
    unregistered = SigningKey.generate()
    reply = file_signed(world, "blue", unregistered, lon=11.0)
    assert reply.status_code == 403 and "not a registered key of blue" in reply.json()["detail"], reply.text


def test_keys_in_the_file_rotate_by_their_validity_periods(world):
    old, new = SigningKey.generate(), SigningKey.generate()
    load(world, agreement_toml({"blue": [
        {"public_key": quoted(old.public_b64), "valid_until": SWITCH.isoformat().replace("+00:00", "Z")},
        {"public_key": quoted(new.public_b64), "valid_from": SWITCH.isoformat().replace("+00:00", "Z")},  # TOML date-times
    ]}))
    reply = file_signed(world, "blue", new, lon=10.0)
    assert reply.status_code == 403 and "valid only from" in reply.json()["detail"], reply.text
    assert file_signed(world, "blue", old, lon=10.0).status_code == 201
    world["clock"].advance(hours=2)
    reply = file_signed(world, "blue", old, lon=11.0)
    assert reply.status_code == 403 and "expired" in reply.json()["detail"], reply.text
    assert file_signed(world, "blue", new, lon=11.0).status_code == 201


def test_a_key_from_the_file_is_revoked_over_the_api_and_loading_the_file_again_does_not_lift_it(world):
    blue = SigningKey.generate()
    text = agreement_toml({"blue": [{"public_key": quoted(blue.public_b64)}]})
    load(world, text)
    token = world["tokens"]["blue"] = world["system"].issue_token("blue")[1]
    reply = world["http"].post(f"/v1/parties/blue/keys/{blue.id}/revoke", headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text
    world["clock"].advance(minutes=1)
    load(world, text)
    (kept,) = world["system"].party_keys("blue")
    assert kept.revoked_at == T0
    reply = file_signed(world, "blue", blue, lon=10.0)
    assert reply.status_code == 403 and "revoked" in reply.json()["detail"], reply.text


def test_loading_the_same_file_twice_registers_each_key_once_and_logs_nothing_new_about_it(world):
    blue = SigningKey.generate()
    text = agreement_toml({"blue": [{"public_key": quoted(blue.public_b64)}]})
    load(world, text)
    load(world, text)
    actions = [e.action for e in world["system"].audit_entries(0, 1000)]
    assert actions.count("party.key.added") == 1 and "party.key.changed" not in actions
    assert len(world["system"].party_keys("blue")) == 1


def test_a_key_the_api_registered_is_the_same_key_when_the_file_lists_it_and_the_file_sets_its_validity(world):
    blue = SigningKey.generate()
    load(world, agreement_toml({}))
    world["system"].add_party_key("blue", blue.public_b64)
    load(world, agreement_toml({"blue": [{"public_key": quoted(blue.public_b64), "valid_until": (T0 + timedelta(hours=1)).isoformat()}]}))
    (key,) = world["system"].party_keys("blue")
    assert key.valid_until == T0 + timedelta(hours=1) and key.valid_from == T0
    assert "party.key.changed" in [e.action for e in world["system"].audit_entries(0, 1000)]


BAD_KEYS = [
    ({"public_key": quoted("not a key")}, "public_key", "base64"),
    ({"public_key": quoted("A" * 40)}, "public_key", "32 bytes"),
    ({"public_key": "{good}", "valid_from": "2027-01-02T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"}, "valid_until", "after valid_from"),
    ({"public_key": "{good}", "valid_until": "2027-01-01T00:00:00"}, "valid_until", "time zone"),
    ({"public_key": "{good}", "valid_until": "12"}, "valid_until", ""),
    ({"public_key": "{good}", "revoked": "true"}, "revoked", "Extra inputs"),
]


@pytest.mark.parametrize("bad,field,says", BAD_KEYS, ids=[f"{f}-{s or 'number'}" for _, f, s in BAD_KEYS])
def test_a_bad_key_in_the_file_is_refused_naming_the_party_and_key_index(world, bad, field, says):
    good = quoted(SigningKey.generate().public_b64)
    bad = {name: value.replace("{good}", good) for name, value in bad.items()}
    text = agreement_toml({"red": [{"public_key": quoted(SigningKey.generate().public_b64)}, bad]})
    with pytest.raises(InvalidInput) as refused:
        load_toml(text)
    assert refused.value.field == f"parties.1.keys.1.{field}"
    assert says in str(refused.value)


def test_one_key_listed_for_two_parties_is_refused_naming_the_second(world):
    shared = quoted(SigningKey.generate().public_b64)
    with pytest.raises(InvalidInput) as refused:
        load_toml(agreement_toml({"blue": [{"public_key": shared}], "red": [{"public_key": shared}]}))
    assert refused.value.field == "parties.1.keys.0.public_key"


def test_a_file_listing_a_key_registered_to_another_party_changes_nothing(world):
    taken = SigningKey.generate()
    load(world, agreement_toml({}))
    world["system"].add_party_key("blue", taken.public_b64)
    before = snapshot(world)
    fresh = SigningKey.generate()
    text = agreement_toml({"red": [{"public_key": quoted(fresh.public_b64)}, {"public_key": quoted(taken.public_b64)}]}, signatures_required=False)
    with pytest.raises(InvalidInput) as refused:
        load(world, text)
    assert refused.value.field == "parties.1.keys.1.public_key" and "registered to blue" in str(refused.value)
    assert snapshot(world) == before  # not red's first key, nor the agreement's new flag


def test_init_loads_the_keys_of_the_file_and_a_bad_one_leaves_the_store_as_it_was(tmp_path):
    runner = CliRunner()
    db = str(tmp_path / "init.db")
    blue = SigningKey.generate()
    good = tmp_path / "good.toml"
    good.write_text(agreement_toml({"blue": [{"public_key": quoted(blue.public_b64), "valid_until": "2030-01-01T00:00:00Z"}]}))
    result = runner.invoke(app, ["--db", db, "init", "--agreement", str(good)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["--db", db, "keys", "list", "blue", "--json"])
    (listed,) = json.loads(result.output)
    assert listed["key_id"] == blue.id and listed["valid_until"].startswith("2030-01-01")

    bad = tmp_path / "bad.toml"
    bad.write_text(agreement_toml({"blue": [{"public_key": quoted(blue.public_b64)}], "red": [{"public_key": quoted("x" * 44)}]}, signatures_required=False))
    result = runner.invoke(app, ["--db", db, "init", "--agreement", str(bad), "--json"])
    assert result.exit_code == 2, result.output
    assert json.loads(result.output)["error"]["field"] == "parties.1.keys.0.public_key"
    shown = json.loads(runner.invoke(app, ["--db", db, "agreement", "show", "pact", "--json"]).output)
    assert shown["signatures_required"] is True
    assert json.loads(runner.invoke(app, ["--db", db, "keys", "list", "red", "--json"]).output) == []


def test_keys_sent_with_a_party_over_the_api_are_registered_and_a_bad_one_is_refused_naming_it(world):
    load(world, agreement_toml({}))
    admin = {"Authorization": f"Bearer {world['system'].issue_token(None, ['admin'])[1]}"}
    blue = SigningKey.generate()
    party = {"id": "blue", "name": "Blue ops", "keys": [{"public_key": blue.public_b64, "valid_until": "2030-01-01T00:00:00Z"}]}
    reply = world["http"].post("/v1/parties", json=party, headers=admin)
    assert reply.status_code == 201 and "keys" not in reply.json(), reply.text  # the keys live apart: /v1/parties/blue/keys
    assert [(k.key_id, k.valid_until.year) for k in world["system"].party_keys("blue")] == [(blue.id, 2030)]
    before = snapshot(world)
    party = {"id": "blue", "name": "Renamed", "keys": [{"public_key": SigningKey.generate().public_b64}, {"public_key": "AAAA"}]}
    reply = world["http"].post("/v1/parties", json=party, headers=admin)
    assert reply.status_code == 400 and reply.json()["field"] == "keys.1.public_key", reply.text
    assert snapshot(world) == before and world["system"].party("blue").name == "Blue ops"
