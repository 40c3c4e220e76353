"""Escalation contacts as an agreement writes them: member party ids, or contact points.

A contact point is an e-mail address (bare or `mailto:`) or a `tel:` number: people to call, kept in
`escalation_contact_points`. Anything else must be a member party's id (rules/escalation.py says what
a contact hears).
"""

from __future__ import annotations

import re
from typing import Any, Iterable

_EMAIL = re.compile(r"^[^@\s:<>\"'\\]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$")
_TEL = re.compile(r"^tel:\+?[0-9][0-9().\- ]{2,30}$")
_PARTY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def is_contact_point(value: str) -> bool:
    """An e-mail address (bare or `mailto:`) or a `tel:` number, written without control characters."""
    if not isinstance(value, str) or len(value) > 200:
        return False
    if value.startswith("mailto:"):
        return bool(_EMAIL.match(value.removeprefix("mailto:")))
    return bool(_TEL.match(value) or _EMAIL.match(value))


def split_contacts(contacts: Iterable[Any], members: Iterable[str]) -> tuple[list[str], list[str]]:
    """(party ids, contact points) from the contacts as written; ContactError naming the index of the
    first that is neither a member nor a contact point."""
    members = set(members)
    parties, points = [], []
    for index, contact in enumerate(contacts):
        if isinstance(contact, str) and is_contact_point(contact):
            points.append(contact)
        elif isinstance(contact, str) and _PARTY_ID.match(contact) and contact in members:
            parties.append(contact)
        elif isinstance(contact, str) and _PARTY_ID.match(contact):
            raise ContactError(index, f"{contact!r} is not a member party of the agreement (a contact that is a party must be a member)")
        else:
            raise ContactError(index, f"{contact!r} is neither a member party nor a contact point (mailto:, tel: or an e-mail address)")
    return parties, points


class ContactError(ValueError):
    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index = index
