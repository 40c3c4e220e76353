"""Offline evidence about a notice (`audit prove` / `audit check`), co-signed heads, and what tampering
with either looks like: each change is refused, naming what does not hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deconfliction import connect
from deconfliction.cli import app
from deconfliction.transparency.heads import HeadError, TreeHead, cosign, sign_head, verify_cosignatures
from deconfliction.transparency.keys import SigningKey
from deconfliction.transparency.offline import Evidence, EvidenceError, check_evidence
from factories import FixedClock, circle_volume, example_agreement

runner = CliRunner()


def cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def proven(tmp_path) -> dict:
    db = tmp_path / "store.db"
    system = connect(db, clock=FixedClock())
    system.add_agreement(example_agreement())
    now = system.clock()
    blue = system.file_notice("blue", "pact", [circle_volume(now)])
    red = system.file_notice("red", "pact", [circle_volume(now, lon=2.351)], key=[blue.notice.version])
    system.acknowledge_conflict("blue", red.conflicts[0].id)
    system.file_notice("green", "pact", [circle_volume(now, lon=20.0)])  # unrelated
    log_key = system.log_key.public_b64
    system.close()
    out = tmp_path / "evidence.json"
    code, output = cli("--db", str(db), "audit", "prove", red.notice.id, "--out", str(out))
    assert code == 0, output
    return {"file": out, "notice": red.notice.id, "conflict": red.conflicts[0].id, "log_key": log_key, "db": db}


def test_evidence_holds_the_notice_its_conflict_and_the_acknowledgment_and_checks_offline(proven):
    evidence = Evidence.model_validate_json(proven["file"].read_text())
    actions = [(e.entry.action, e.entry.subject) for e in evidence.entries]
    assert ("notice.filed", proven["notice"]) in actions
    assert ("conflict.opened", proven["conflict"]) in actions
    assert ("conflict.acknowledged", proven["conflict"]) in actions
    assert all(e.entry.actor != "green" for e in evidence.entries)
    proven["db"].unlink()  # no server, no store
    code, output = cli("audit", "check", str(proven["file"]), "--log-key", proven["log_key"])
    assert code == 0 and "PROVEN" in output, output


def tampered(proven, change) -> tuple[int, str]:
    data = json.loads(proven["file"].read_text())
    change(data)
    proven["file"].write_text(json.dumps(data))
    return cli("audit", "check", str(proven["file"]), "--log-key", proven["log_key"])


def _entry_of(action):
    def find(data):
        return next(e for e in data["entries"] if e["entry"]["action"] == action)
    return find


@pytest.mark.parametrize("name, change, says", [
    ("an entry's payload edited", lambda d: _entry_of("conflict.acknowledged")(d)["entry"]["payload"].update(versions=["x"]), "is not in the signed log"),
    ("an entry's time moved", lambda d: _entry_of("notice.filed")(d)["entry"].update(at="2020-01-01T00:00:00+00:00"), "is not in the signed log"),
    ("an entry's actor changed", lambda d: _entry_of("conflict.acknowledged")(d)["entry"].update(actor="red"), "is not in the signed log"),
    ("a proof hash dropped", lambda d: d["entries"][0]["inclusion_proof"].pop(), "is not in the signed log"),
    ("a leaf moved", lambda d: d["entries"][0].update(leaf_index=d["entries"][0]["leaf_index"] + 1), "claims to be leaf"),
    ("the head's size changed", lambda d: d["tree_head"].update(size=d["tree_head"]["size"] + 1), "bad signature"),
    ("the head's root changed", lambda d: d["tree_head"].update(root_hash="0" * 64), "bad signature"),
    ("no entries left", lambda d: d.update(entries=[]), "no entries"),
])
def test_a_tampered_evidence_file_is_not_proven(proven, name, change, says):
    code, output = tampered(proven, change)
    assert code == 3, f"{name}: {output}"
    assert says in " ".join(output.split()), f"{name}: {output}"


def test_evidence_re_signed_with_another_key_fails_against_the_trusted_log_key(proven):
    forger = SigningKey.generate()

    def resign(data):
        head = TreeHead.model_validate(data["tree_head"])
        data["tree_head"] = sign_head(forger, head.size, head.root, head.timestamp).model_dump(mode="json")

    code, output = tampered(proven, resign)
    assert code == 3 and "not by the key you trust" in " ".join(output.split()), output


def test_co_signed_heads_name_their_co_signers_and_a_forged_co_signature_is_refused(proven, tmp_path):
    evidence = Evidence.model_validate_json(proven["file"].read_text())
    blue, red = SigningKey.generate(), SigningKey.generate()
    head = cosign(cosign(evidence.tree_head, "blue", blue), "red", red)
    assert verify_cosignatures(head) == ["blue", "red"]
    check_evidence(evidence.model_copy(update={"tree_head": head}), proven["log_key"])
    forged = head.model_copy(update={"cosignatures": [head.cosignatures[0].model_copy(update={"signer": "blue", "public_key": red.public_b64})]})
    with pytest.raises(HeadError, match="co-signature by 'blue'"):
        verify_cosignatures(forged)
    with pytest.raises(EvidenceError, match="co-signature"):
        check_evidence(evidence.model_copy(update={"tree_head": forged}), proven["log_key"])


def test_the_cli_co_signs_a_kept_head(proven, tmp_path):
    head = tmp_path / "head.json"
    assert cli("--db", str(proven["db"]), "audit", "head", "--out", str(head))[0] == 0
    key = tmp_path / "blue.pem"
    code, public = cli("audit", "keygen", "--out", str(key))
    assert code == 0
    signed = tmp_path / "cosigned.json"
    assert cli("audit", "cosign", str(head), "--key", str(key), "--signer", "blue", "--out", str(signed))[0] == 0
    got = TreeHead.model_validate_json(signed.read_text())
    assert [c.signer for c in got.cosignatures] == ["blue"] and got.cosignatures[0].public_key == public.strip()
    assert cli("--db", str(proven["db"]), "audit", "verify", "--head", str(signed))[0] == 0


def test_the_compliance_report_cites_the_signed_head_its_figures_were_read_under(proven):
    from datetime import timedelta

    system = connect(proven["db"], clock=FixedClock())
    now = system.clock()
    report = system.compliance("pact", now - timedelta(days=1), now + timedelta(days=1))
    head = report.log_head
    assert head is not None and head.size == len(system.audit_entries(0, 10**6))
    from deconfliction.transparency.heads import verify_head

    verify_head(head, proven["log_key"])
    system.close()
