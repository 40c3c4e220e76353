"""Witnessing over HTTP: the client library keeps the last signed head a server showed and raises a
LogAlarm, by name, when a later contact shows a log that does not extend it: a server restored from an
older backup (rollback), a rewritten history re-signed by the operator, a new log key, and a split view
(one log shown to one party, another to another) once the parties compare what they kept."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from deconfliction import Deconfliction, connect
from deconfliction.api import ApiSettings, create_app
from deconfliction.client import Client
from deconfliction.transparency.heads import TreeHead, verify_head
from deconfliction.transparency.keys import load_or_create
from deconfliction.transparency.witness import LogAlarm, Witness, compare_heads
from factories import FixedClock, circle_volume, example_agreement

from .operator import rewrite_history, rewrite_last

URL = "http://testserver"


class Server:
    """One store file served over HTTP (in process), as the operator chooses to run it."""

    def __init__(self, db: Path, key: Path | None = None):
        self.system: Deconfliction = connect(db, clock=FixedClock(), log_key=key)
        self.http = TestClient(create_app(self.system, ApiSettings()))

    def token(self, party: str) -> str:
        return self.system.issue_token(party)[1]

    def client(self, token: str, witness: Witness) -> Client:
        return Client(URL, token, http=self.http, witness=witness)

    def close(self) -> None:
        self.http.close()
        self.system.close()


@pytest.fixture
def db(tmp_path) -> Path:
    path = tmp_path / "server.db"
    system = connect(path, clock=FixedClock())
    system.add_agreement(example_agreement())
    system.close()
    return path


def file(client: Client, lon: float) -> None:
    client.file_notice("pact", [circle_volume(FixedClock().now, lon=lon)])


def test_receipts_and_event_heads_are_checked_and_the_latest_head_is_kept(db, tmp_path):
    server = Server(db)
    witness = Witness(tmp_path / "blue")
    blue = server.client(server.token("blue"), witness)
    file(blue, 10.0)
    file(blue, 11.0)
    assert [r.entry.action for r in blue.log.receipts] == ["notice.filed", "notice.filed"]
    kept = witness.kept(URL)
    assert kept == blue.log.receipts[-1].tree_head
    red = server.client(server.token("red"), Witness(tmp_path / "red"))
    file(red, 20.0)
    blue.events()  # the page of events carries the latest head: blue now keeps red's filing's head too
    assert witness.kept(URL).size > kept.size
    server.close()


def test_a_server_restored_from_an_older_backup_raises_a_rollback_alarm(db, tmp_path):
    backup = tmp_path / "backup.db"
    shutil.copy(db, backup)
    shutil.copy(str(db) + ".log-key.pem", str(backup) + ".log-key.pem")
    server = Server(db)
    token = server.token("blue")
    witness = Witness(tmp_path / "blue")
    file(server.client(token, witness), 10.0)
    server.close()

    restored = Server(backup)  # the same key, an older log
    original = connect(db)
    with restored.system.store.transaction() as tx:  # the operator copies blue's token over too
        tx.put_credential(original.tokens("blue")[0])
    original.close()
    with pytest.raises(LogAlarm) as alarm:
        restored.client(token, witness).agreements()
    assert alarm.value.kind == "rollback"
    assert alarm.value.evidence.exists()
    for head in (alarm.value.kept, alarm.value.seen):  # both signed by the server's own key: proof for anyone
        verify_head(head, alarm.value.kept.public_key)
    restored.close()


def test_a_rewritten_and_re_signed_history_raises_an_alarm_at_the_next_contact(db, tmp_path):
    server = Server(db)
    token = server.token("blue")
    witness = Witness(tmp_path / "blue")
    file(server.client(token, witness), 10.0)
    server.close()
    rewrite_history(db, rewrite_last({"forged": True}))  # same size, another root, signed by the log key
    again = Server(db)
    with pytest.raises(LogAlarm) as alarm:
        again.client(token, witness).agreements()
    assert alarm.value.kind == "split_view"
    again.close()


def test_a_rewrite_hidden_under_later_entries_raises_a_rewritten_alarm(db, tmp_path):
    server = Server(db)
    token = server.token("blue")
    witness = Witness(tmp_path / "blue")
    file(server.client(token, witness), 10.0)
    server.close()
    rewrite_history(db, rewrite_last({"forged": True}))
    later = Server(db)
    file(later.client(later.token("red"), Witness(tmp_path / "red")), 20.0)  # the log grows past blue's head
    with pytest.raises(LogAlarm) as alarm:
        later.client(token, witness).agreements()
    assert alarm.value.kind == "rewritten"
    later.close()


def test_a_server_that_changed_its_log_key_raises_a_key_changed_alarm(db, tmp_path):
    server = Server(db)
    token = server.token("blue")
    witness = Witness(tmp_path / "blue")
    file(server.client(token, witness), 10.0)
    server.close()
    other_key = tmp_path / "other.pem"
    load_or_create(other_key)
    moved = Server(db, key=other_key)
    with pytest.raises(LogAlarm) as alarm:
        file(moved.client(token, witness), 11.0)
    assert alarm.value.kind == "key_changed"
    moved.close()


def test_a_split_view_shown_to_two_parties_is_caught_when_they_compare_their_heads(db, tmp_path):
    fork = tmp_path / "fork.db"
    shutil.copy(db, fork)
    shutil.copy(str(db) + ".log-key.pem", str(fork) + ".log-key.pem")
    shown_to_blue, shown_to_red = Server(db), Server(fork)  # one operator, one key, two logs
    blue_witness, red_witness = Witness(tmp_path / "blue"), Witness(tmp_path / "red")
    file(shown_to_blue.client(shown_to_blue.token("blue"), blue_witness), 10.0)
    file(shown_to_red.client(shown_to_red.token("red"), red_witness), 20.0)
    blue_head, red_head = blue_witness.kept(URL), red_witness.kept(URL)
    assert blue_head.size == red_head.size  # each party alone sees a log that only grows
    with pytest.raises(LogAlarm) as alarm:
        compare_heads(blue_head, red_head)
    assert alarm.value.kind == "split_view"
    # and with the server's own proofs, at different sizes: no proof joins the two logs
    file(shown_to_red.client(shown_to_red.token("red"), red_witness), 21.0)
    with pytest.raises(LogAlarm) as alarm:
        compare_heads(blue_head, red_witness.kept(URL), shown_to_red.client(shown_to_red.token("green"), False).log.consistency)
    assert alarm.value.kind == "rewritten"
    shown_to_blue.close()
    shown_to_red.close()


def test_heads_of_an_honest_log_compare_clean(db, tmp_path):
    server = Server(db)
    blue_witness, red_witness = Witness(tmp_path / "blue"), Witness(tmp_path / "red")
    file(server.client(server.token("blue"), blue_witness), 10.0)
    first = blue_witness.kept(URL)
    red = server.client(server.token("red"), red_witness)
    file(red, 20.0)
    compare_heads(first, red_witness.kept(URL), red.log.consistency)
    compare_heads(first, first)
    assert isinstance(first, TreeHead)
    server.close()


def test_heads_observed_from_many_threads_at_once_keep_the_largest_and_raise_nothing(db, tmp_path):
    """Event streams and writes observe heads concurrently: checking and keeping is one step."""
    from concurrent.futures import ThreadPoolExecutor

    server = Server(db)
    client = server.client(server.token("blue"), Witness(tmp_path / "blue"))
    for lon in range(6):
        file(client, 10.0 + lon)
    system = server.system
    heads = [h for h in (system.signed_tree_head(size) for size in range(1, system.tree_head().size + 1)) if h is not None]
    witness = Witness(tmp_path / "fresh")
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda h: witness.observe(URL, h, client.log.consistency), heads * 3))
    assert witness.kept(URL) == heads[-1]
    with pytest.raises(LogAlarm) as alarm:  # but the server's own claim of a smaller log now is a rollback
        witness.observe(URL, heads[0], client.log.consistency, latest=True)
    assert alarm.value.kind == "rollback"
    server.close()


def test_a_latest_head_older_than_one_another_client_kept_meanwhile_is_no_rollback(db, tmp_path):
    """Two clients of one party share a witness: while one asks for the server's latest head, the
    other's write reply keeps a newer one. The answer is then older than the kept head but not older
    than what was kept when it was asked for: a prefix to check, not a rollback (this raised a false
    rollback alarm between concurrent writers); smaller than what was kept before, it still is one."""
    server = Server(db)
    client = server.client(server.token("blue"), Witness(tmp_path / "blue"))
    for lon in range(4):
        file(client, 10.0 + lon)
    system = server.system
    heads = [h for h in (system.signed_tree_head(size) for size in range(1, system.tree_head().size + 1)) if h is not None]
    witness = Witness(tmp_path / "shared")
    witness.observe(URL, heads[0], client.log.consistency)
    before = witness.kept(URL)
    witness.observe(URL, heads[-1], client.log.consistency)  # the other client, meanwhile
    assert witness.observe(URL, heads[1], client.log.consistency, latest=True, kept_before=before) == heads[-1]
    with pytest.raises(LogAlarm) as alarm:
        witness.observe(URL, heads[0], client.log.consistency, latest=True, kept_before=heads[1])
    assert alarm.value.kind == "rollback"
    server.close()


def test_a_server_that_cannot_give_a_proof_now_raises_no_alarm_and_the_kept_head_stays(db, tmp_path):
    """A 503 (the database failing over) when asked for a consistency proof is no answer, not a
    rewrite: the newer head is not kept, and the next contact checks again."""
    import httpx

    from deconfliction.transparency.watch import LogWatch

    server = Server(db)
    client = server.client(server.token("blue"), Witness(tmp_path / "blue"))
    for lon in range(3):
        file(client, 10.0 + lon)
    system = server.system
    heads = [h for h in (system.signed_tree_head(size) for size in range(1, system.tree_head().size + 1)) if h is not None]
    failing = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(503)), base_url=URL)
    witness = Witness(tmp_path / "fresh")
    watch = LogWatch(failing, URL, witness)
    watch.observe(heads[0])
    watch.observe(heads[-1])  # needs a proof the server cannot give now
    assert witness.kept(URL) == heads[0]
    refusing = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(404)), base_url=URL)
    with pytest.raises(LogAlarm) as alarm:  # a server that answers but will not prove: still an alarm
        LogWatch(refusing, URL, witness).observe(heads[-1])
    assert alarm.value.kind == "rewritten"
    server.close()
