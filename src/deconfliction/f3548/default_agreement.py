"""The agreement the F3548 interface serves when the operator names none.

`deconfliction serve --f3548` on a store without agreements creates the built-in example `utm`
(examples/utm.toml: conflicts are intersections, as F3548 has them; no lead time; a 30-day horizon),
so a DSS needs no set-up beyond its token issuer's key. A store that has agreements is left alone:
the operator says which one with --f3548-agreement, unless there is only one."""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from ..models.agreements import load_toml

if TYPE_CHECKING:
    from ..service import Deconfliction

DEFAULT_AGREEMENT = "utm"


def default_agreement_text() -> str:
    return (resources.files("deconfliction") / "examples" / f"{DEFAULT_AGREEMENT}.toml").read_text()


def choose_agreement(system: "Deconfliction", agreement_id: str | None) -> tuple[str, bool]:
    """The id of the agreement to serve, and whether it was created just now."""
    existing = [a.id for a in system.agreements()]
    if agreement_id is None and len(existing) == 1:
        return existing[0], False
    if agreement_id is None and existing:
        raise InvalidInput(f"give --f3548-agreement (the store has {len(existing)} agreements: {', '.join(existing)})", field="f3548_agreement")
    if agreement_id is not None and agreement_id in existing:
        return agreement_id, False
    if agreement_id not in (None, DEFAULT_AGREEMENT):
        raise InvalidInput(f"no agreement {agreement_id!r} in the store", field="f3548_agreement")
    agreement, parties = load_toml(default_agreement_text())
    system.add_agreement(agreement, parties, actor="f3548")
    return agreement.id, True
