"""Work for the multiprocessing awareness test: a module of its own, so spawned processes can import it."""

from __future__ import annotations

from datetime import datetime


def file_once(path: str, party: str, now_iso: str, ready, go, results) -> None:
    """Open the store file afresh, wait for the others, then file a notice over Paris with an empty key.
    Puts (party, 'accepted' or the error code) on `results`."""
    from deconfliction import Deconfliction
    from deconfliction.errors import DeconflictionError
    from deconfliction.store import SQLiteStore

    from factories import FixedClock, circle_volume

    now = datetime.fromisoformat(now_iso)
    system = Deconfliction(SQLiteStore(path), clock=FixedClock(now))
    volume = circle_volume(now, lon=2.35, lat=48.85, radius_m=500)
    ready.release()
    go.wait(30)
    try:
        system.file_notice(party, "pact", [volume], key=[])
        results.put((party, "accepted"))
    except DeconflictionError as exc:
        results.put((party, exc.code))
    finally:
        system.close()
