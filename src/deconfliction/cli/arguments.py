"""What the `deconfliction` command accepts, one rule each, for every command: ids or their prefixes,
the party you act as, times, and the store file.

    resolve_id("a80e6be5", ids, "notice", "notice_id")  # the one id starting so, or a clear error
    party_known(system, "police")                      # InvalidInput naming --as and the store's parties
    parse_when("now", now=clock())                     # 'now', or RFC 3339 with a zone; naive refused
    existing_store("walkthrough.db")                   # a read command never creates a store
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from ..errors import InvalidInput, NotFound

MIN_PREFIX = 4  # shorter prefixes match too much to be a deliberate choice
PAGE = 1000


def resolve_id(given: str, ids: Iterable[str], what: str, field: str) -> str:
    """The id `given` names: itself when it is one, or the one whose chosen part it is ('tanker-t1' for
    'valley-fire:tanker-t1'), else the only id it is a prefix of. No match: NotFound; several: InvalidInput listing them (8 characters each,
    as the tables print them)."""
    ids = list(dict.fromkeys(ids))
    if given in ids:
        return given
    # An id a party chose is kept scoped to its agreement ("valley-fire:tanker-t1"): the chosen part names it too.
    chosen = [i for i in ids if i.partition(":")[2] == given]
    if len(chosen) == 1:
        return chosen[0]
    matches = [i for i in ids if i.startswith(given) or i.partition(":")[2].startswith(given)]
    if len(matches) == 1 and len(given) >= MIN_PREFIX:
        return matches[0]
    if len(matches) > 1:
        shown = ", ".join(sorted(m[: max(8, len(given) + 2)] for m in matches)[:5])
        raise InvalidInput(f"{given!r} is the start of {len(matches)} {what} ids ({shown}…): give more characters", field=field)
    if matches:
        raise InvalidInput(f"give at least {MIN_PREFIX} characters of the {what} id", field=field)
    raise NotFound(f"no {what} {given!r} that you may see", field=field)


def _all_notices(system: Any, party: str) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        page = system.notices(party, limit=PAGE, after_id=after)
        ids.extend(n.id for n in page)
        if len(page) < PAGE:
            return ids
        after = page[-1].id


def notice_id(system: Any, party: str, given: str) -> str:
    """A notice id, or an unambiguous prefix of one the party may see (what `notice list` prints)."""
    return resolve_id(given, _all_notices(system, party), "notice", "notice_id")


def conflict_id(system: Any, party: str | None, given: str) -> str:
    return resolve_id(given, [c.id for c in system.conflicts(party, open_only=False, limit=100_000)], "conflict", "conflict_id")


def message_id(system: Any, party: str, given: str) -> str:
    """A message in the party's inbox or among those it sent."""
    known = [i.message.id for i in system.inbox(party, limit=PAGE)] + [m.id for m in system.sent(party, limit=PAGE)]
    return resolve_id(given, known, "message", "message_id")


def party_known(system: Any, party: str, field: str = "--as") -> str:
    """`party`, when the store has it; otherwise a clear error naming the ones it has."""
    parties = sorted(p.id for p in system.parties())
    if party not in parties:
        raise InvalidInput(f"no party {party!r} in this store; its parties: {', '.join(parties) or 'none (run deconfliction init)'}", field=field)
    return party


_ZONE = re.compile(r"(Z|[+-]\d\d:?\d\d)$", re.IGNORECASE)


def parse_when(text: str, *, now: datetime, field: str) -> datetime:
    """A moment in UTC: 'now', an RFC 3339 time with its zone (Z or ±hh:mm), or a date (that day's 00:00Z).
    A time without a zone is refused: whose local time it meant cannot be known."""
    value = text.strip()
    if value.lower() == "now":
        return now.astimezone(timezone.utc)
    if re.fullmatch(r"\d{4}-\d\d-\d\d", value):
        day = date.fromisoformat(value)
        return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    if not _ZONE.search(value):
        raise InvalidInput(f"{text!r} has no time zone: add Z for UTC (e.g. 2026-06-01T14:00:00Z) or say 'now'", field=field)
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise InvalidInput(f"{text!r} is not a time: use RFC 3339 with a zone (2026-06-01T14:00:00Z), a date, or 'now'", field=field) from None
    return moment.astimezone(timezone.utc)


def existing_store(database: str) -> str:
    """A SQLite store that must already exist: a read (or any command but `init`) on a missing file is an
    error instead of an empty store created by mistake (a typo in --db would otherwise look like 'no notices')."""
    if "://" in database or database == ":memory:":
        return database
    if not Path(database).is_file():
        raise InvalidInput(f"no store at {database}: create one with `deconfliction --db {database} init` "
                           "(or point --db / DECONFLICTION_DB at yours)", field="--db")
    return database
