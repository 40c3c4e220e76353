"""One row for the two deadlines that both sides of a conflict owe at once.

When a filing opens or updates a conflict, each side owes an acknowledgment by the same moment: two
deadlines alike but for the party. A filing that opens hundreds of conflicts wrote twice as many
deadline rows, each into a table with five indexes. Written together, the two are now one row (its
party_id PAIR, its id the deadline's with PAIR for the party, its body the first side's deadline and
the other side's party), and every read gives them back as the two deadlines they are, so the rules
(acknowledgments, the scheduler, escalation, the compliance report) see nothing different. As soon as
one side's deadline changes alone (acknowledged, overdue, withdrawn), the row becomes the two sides'
own rows again: a pair row only ever holds two pending deadlines that differ only by party.
"""

from __future__ import annotations

import json
from typing import Iterator, Sequence

from ..models import Deadline

PAIR = "*"  # never a party's id (check_id: letters, digits, '_', '.', '-')
PAIRED_KINDS = ("conflict",)
_string = json.encoder.encode_basestring_ascii


def pair_id(deadline: Deadline) -> str:
    """The pair row's id: the deadline's own (`kind:subject:party`) with PAIR for the party."""
    return f"{deadline.kind}:{deadline.subject_id}:{PAIR}"


def _alike(first: Deadline, second: Deadline) -> bool:
    """Two pending deadlines on one conflict that differ only by who owes them."""
    if first.kind not in PAIRED_KINDS or first.state != "pending" or first.subject_id != second.subject_id or first.party_id == second.party_id:
        return False
    one, other = dict(first.__dict__), dict(second.__dict__)
    for name in ("id", "party_id"):
        one.pop(name), other.pop(name)
    return one == other and first.id == f"{first.kind}:{first.subject_id}:{first.party_id}" and second.id == f"{second.kind}:{second.subject_id}:{second.party_id}"


def grouped(deadlines: Sequence[Deadline]) -> Iterator[tuple[Deadline, Deadline | None]]:
    """(first, second) for each two neighbours that make a pair, (deadline, None) for the others, in order."""
    k = 0
    while k < len(deadlines):
        if k + 1 < len(deadlines) and _alike(deadlines[k], deadlines[k + 1]):
            yield deadlines[k], deadlines[k + 1]
            k += 2
        else:
            yield deadlines[k], None
            k += 1


def pair_body(first: Deadline, second: Deadline) -> str:
    """The first side's deadline as JSON, with the other side's party under "pair"."""
    return f'{{"pair":{_string(second.party_id)},{first.model_dump_json()[1:]}'


def both(body: str) -> list[Deadline]:
    """The two deadlines of a pair row, in the order of their ids (as two rows would be read)."""
    fields = json.loads(body)
    other = fields.pop("pair")
    first = Deadline.model_validate(fields)
    second = first.model_copy(update={"party_id": other, "id": f"{first.kind}:{first.subject_id}:{other}"})
    return sorted((first, second), key=lambda d: d.id)
