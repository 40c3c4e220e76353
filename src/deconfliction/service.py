"""The system as a library: one object over a store and a clock, one transaction per call.

    >>> import deconfliction
    >>> system = deconfliction.connect("airspace.db")
    >>> filing = system.file_notice("blue", "syria-2015", volumes, key=[...])

The CLI and the HTTP API call these same methods.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

from . import conflicts as conflict_rules
from . import notices as notice_rules
from .agreements import Agreement, Party
from .conflicts import Finding, find_conflicts
from .errors import NotFound
from .geometry import Minima, Volume4D, volume_conflict
from .models import LIVE_STATES, Conflict, Event, Notice, NoticePrivate
from .notices import Filing
from .store import Store, open_store


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Deconfliction:
    def __init__(self, store: Store, clock: Callable[[], datetime] = utc_now):
        self.store = store
        self.clock = clock

    def close(self) -> None:
        self.store.close()

    # Agreements and parties -------------------------------------------------------------------
    def add_agreement(self, agreement: Agreement, parties: Iterable[Party] = ()) -> Agreement:
        """Create or replace an agreement, with any parties not yet known."""
        with self.store.transaction() as tx:
            for party in parties:
                tx.put_party(party)
            for party_id in agreement.parties:
                if tx.get_party(party_id) is None:
                    tx.put_party(Party(id=party_id, name=party_id))
            tx.put_agreement(agreement, self.clock())
        return agreement

    def agreement(self, agreement_id: str) -> Agreement:
        with self.store.transaction(write=False) as tx:
            found = tx.get_agreement(agreement_id)
        if found is None:
            raise NotFound(f"no agreement {agreement_id!r}", field="agreement_id")
        return found

    def agreements(self, party_id: str | None = None) -> list[Agreement]:
        with self.store.transaction(write=False) as tx:
            return tx.list_agreements(party_id)

    def parties(self) -> list[Party]:
        with self.store.transaction(write=False) as tx:
            return tx.list_parties()

    # Notices -------------------------------------------------------------------------------------
    def file_notice(
        self,
        party_id: str,
        agreement_id: str,
        volumes: list[Volume4D],
        *,
        key: Iterable[str] = (),
        private: NoticePrivate | None = None,
        notice_id: str | None = None,
    ) -> Filing:
        with self.store.transaction() as tx:
            return notice_rules.file_notice(
                tx, agreement_id=agreement_id, party_id=party_id, volumes=list(volumes), now=self.clock(),
                key=key, private=private, notice_id=notice_id,
            )

    def change_notice(
        self,
        party_id: str,
        notice_id: str,
        *,
        version: str | None = None,
        volumes: list[Volume4D] | None = None,
        state: str | None = None,
        key: Iterable[str] = (),
        private: NoticePrivate | None = None,
    ) -> Filing:
        with self.store.transaction() as tx:
            return notice_rules.change_notice(
                tx, notice_id=notice_id, party_id=party_id, now=self.clock(), version=version,
                volumes=list(volumes) if volumes is not None else None, state=state, key=key, private=private,
            )

    def cancel_notice(self, party_id: str, notice_id: str, version: str | None = None) -> Filing:
        return self.change_notice(party_id, notice_id, version=version, state="cancelled")

    def end_notice(self, party_id: str, notice_id: str, version: str | None = None) -> Filing:
        return self.change_notice(party_id, notice_id, version=version, state="ended")

    def activate_notice(self, party_id: str, notice_id: str, version: str | None = None) -> Filing:
        return self.change_notice(party_id, notice_id, version=version, state="active")

    def set_conformance(self, notice_id: str, conforming: bool) -> Notice | None:
        with self.store.transaction() as tx:
            return notice_rules.set_conformance(tx, notice_id=notice_id, conforming=conforming, now=self.clock())

    def notice(self, viewer: str, notice_id: str) -> Notice:
        with self.store.transaction(write=False) as tx:
            return notice_rules.visible_notice(tx, notice_id, viewer)

    def notices(
        self,
        viewer: str,
        *,
        agreement_id: str | None = None,
        party_id: str | None = None,
        area: Volume4D | None = None,
        live_only: bool = False,
        limit: int = 100,
        after_id: str | None = None,
    ) -> list[Notice]:
        """Notices the viewer may see, optionally only those that reach into `area` (exactly)."""
        states = LIVE_STATES if live_only else None
        with self.store.transaction(write=False) as tx:
            agreements = [a.id for a in tx.list_agreements(viewer)] if agreement_id is None else [agreement_id]
            if agreement_id is not None and agreement_id not in {a.id for a in tx.list_agreements(viewer)}:
                raise NotFound(f"no agreement {agreement_id!r} with {viewer!r} as a member", field="agreement_id")
            found: list[Notice] = []
            for agreement in agreements:
                if area is None:
                    found.extend(tx.find_notices(agreement_id=agreement, party_id=party_id, states=states, limit=limit, after_id=after_id))
                else:
                    touching = Minima(lateral_m=1e-3, vertical_m=0.0, time_buffer_s=0.0)
                    candidates = tx.candidate_notices(agreement, [area], touching, states or ("planned", "active", "nonconforming", "ended", "cancelled"))
                    found.extend(
                        n for n in candidates
                        if (party_id is None or n.party_id == party_id)
                        and (after_id is None or n.id > after_id)
                        and any(volume_conflict(v, area, touching) for v in n.volumes)
                    )
        return sorted(found, key=lambda n: n.id)[:limit]

    def check(self, party_id: str, agreement_id: str, volumes: list[Volume4D], exclude: str | None = None) -> list[Finding]:
        """What filing these volumes would conflict with, without writing anything."""
        with self.store.transaction(write=False) as tx:
            agreement = notice_rules.agreement_for(tx, agreement_id, party_id)
            return find_conflicts(tx, agreement, party_id, list(volumes), exclude=exclude)

    # Conflicts -----------------------------------------------------------------------------------
    def conflicts(
        self,
        viewer: str | None = None,
        *,
        agreement_id: str | None = None,
        notice_id: str | None = None,
        open_only: bool = True,
        limit: int = 100,
        after_id: str | None = None,
    ) -> list[Conflict]:
        """Conflicts, of a notice or of a party (`viewer`: only its own); all of them when viewer is None (admin)."""
        with self.store.transaction(write=False) as tx:
            if notice_id is not None:
                if viewer is not None:
                    notice_rules.visible_notice(tx, notice_id, viewer)
                found = [c for c in tx.conflicts_of_notice(notice_id, open_only) if viewer is None or c.involves(viewer)]
                return [c for c in found if after_id is None or c.id > after_id][:limit]
            return tx.find_conflicts(agreement_id=agreement_id, party_id=viewer, open_only=open_only, limit=limit, after_id=after_id)

    def acknowledge_conflict(self, party_id: str, conflict_id: str) -> Conflict:
        with self.store.transaction() as tx:
            return conflict_rules.acknowledge(tx, conflict_id, party_id, self.clock())

    # Events --------------------------------------------------------------------------------------
    def events(self, party_id: str, after_seq: int = 0, limit: int = 100) -> list[Event]:
        with self.store.transaction(write=False) as tx:
            return tx.events_after(party_id, after_seq, limit)


def connect(database: str | Path = "deconfliction.db", clock: Callable[[], datetime] = utc_now) -> Deconfliction:
    """Open (creating if need be) a store and return the system over it."""
    return Deconfliction(open_store(str(database)), clock)
