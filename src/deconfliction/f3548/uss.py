"""USSs as parties: enrolment in the interface's agreement, availability, and reports."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..rules import audit
from ..models.agreements import Party
from ..errors import Unavailable, UssDown, VersionMismatch
from ..rules.notices import new_version
from .config import F3548Config
from ..models.f3548 import DssReport, UssAvailability
from .wire import new_id

if TYPE_CHECKING:
    from ..store import Transaction


def is_member(tx: Transaction, cfg: F3548Config, uss: str) -> bool:
    agreement = tx.get_agreement(cfg.agreement_id)
    return agreement is not None and uss in agreement.parties


def enrol(tx: Transaction, cfg: F3548Config, uss: str, now: datetime) -> None:
    """A USS whose token the configured authority signed is a party of the interface's agreement: the
    authority decides who is a USS (as with the reference DSS), so the first request enrols it."""
    agreement = tx.get_agreement(cfg.agreement_id)
    if agreement is None:
        raise Unavailable(f"the F3548 agreement {cfg.agreement_id!r} does not exist")
    if tx.get_party(uss) is None:
        tx.put_party(Party(id=uss, name=uss[:200]))
        audit.record(tx, "f3548", "party.saved", uss, {"id": uss, "name": uss[:200]}, now)
    if uss not in agreement.parties:
        tx.put_agreement(agreement.model_copy(update={"parties": [*agreement.parties, uss]}), now)
        audit.record(tx, "f3548", "agreement.joined", agreement.id, {"party_id": uss}, now)


def availability(tx: Transaction, uss: str) -> UssAvailability:
    return tx.get_uss_availability(uss) or UssAvailability(uss_id=uss)


def require_not_down(tx: Transaction, uss: str, what: str) -> None:
    if availability(tx, uss).availability == "Down":
        raise UssDown(f"{uss} is marked Down in the DSS and may not {what}", field="uss_availability")


def set_availability(tx: Transaction, *, uss_id: str, availability_state: str, old_version: str, actor: str, now: datetime) -> UssAvailability:
    current = availability(tx, uss_id)
    if old_version != current.version:
        raise VersionMismatch(
            f"the availability of {uss_id} is at version {current.version!r}, not {old_version!r}", field="old_version",
        )
    changed = UssAvailability(uss_id=uss_id, availability=availability_state, version=new_version(), updated_at=now)
    tx.put_uss_availability(changed)
    audit.record(tx, actor, "uss.availability", uss_id, {"availability": availability_state}, now)
    return changed


def availability_any_case(body: Any) -> Any:
    """`normal`, `DOWN`: the reference DSS takes the availability in any letter case."""
    if isinstance(body, dict) and isinstance(body.get("availability"), str):
        spelled = {state.lower(): state for state in ("Unknown", "Normal", "Down")}
        return {**body, "availability": spelled.get(body["availability"].lower(), body["availability"])}
    return body


def availability_to_wire(record: UssAvailability) -> dict[str, Any]:
    return {"status": {"uss": record.uss_id, "availability": record.availability}, "version": record.version}


def report(tx: Transaction, *, reporter: str, body: dict[str, Any], now: datetime) -> DssReport:
    """Archived as sent, with the id we give it; the audit chain records that it came."""
    saved = DssReport(id=new_id(), reporter=reporter, report={**body, "report_id": None}, created_at=now)
    saved = saved.model_copy(update={"report": {**body, "report_id": saved.id}})
    tx.put_dss_report(saved)
    audit.record(tx, reporter, "dss.report", saved.id, {"reporter": reporter}, now)
    return saved
