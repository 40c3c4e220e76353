"""Rules for parties' keys and signed statements, inside the caller's store transaction.

`accept` runs at the end of a write transaction (rules/evidence.py: `sealed`): it checks the
statement the request presented, records it as the audit entry `statement.signed` next to the entries
of the write, and claims its nonce; a write that an agreement requires signed and that came without a
valid statement is refused, and with it everything the write did."""

from __future__ import annotations

import threading
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any, Sequence

from ..errors import Forbidden, InvalidInput, NotFound
from ..models import AuditEntry
from ..transparency.statements import PartyKey, Presented, new_key, signature_holds

# How far a statement's signedAt may be from the server's clock, either way: a client's clock (NTP keeps
# them within a second) plus a request's time in transit and retries (the client retries for 30 s).
SIGNED_AT_SKEW = timedelta(minutes=5)

# What a party says itself: these audit actions, by the party as actor, need its signature where its
# agreement requires signatures.
SIGNED_ACTIONS = frozenset({
    "notice.filed", "notice.changed", "notice.cancelled", "notice.activated", "notice.ended",
    "conflict.acknowledged", "notice.acknowledged", "hotline.sent", "hotline.acknowledged",
})


class Pending:
    """The statement a request presented; used by the first write made for it."""

    def __init__(self, presented: Presented | None, error: str | None = None):
        self.presented, self.error, self.used = presented, error, False
        self.lock = threading.Lock()

    def take(self) -> "Pending | None":
        with self.lock:
            if self.used:
                return None
            self.used = True
            return self


_pending: ContextVar[Pending | None] = ContextVar("statement", default=None)


def presenting(pending: Pending):
    return _pending.set(pending)


def done_presenting(token) -> None:
    _pending.reset(token)


def take_pending() -> Pending | None:
    pending = _pending.get()
    return pending.take() if pending is not None else None


def add_key(tx: Any, party_id: str, public_key: str, now: datetime, valid_from: datetime | None, valid_until: datetime | None, actor: str) -> PartyKey:
    from . import audit

    if tx.get_party(party_id) is None:
        raise NotFound(f"no party {party_id!r}", field="party_id")
    try:
        key = new_key(party_id, public_key, valid_from or now, valid_until)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="public_key") from None
    if valid_until is not None and valid_until <= key.valid_from:
        raise InvalidInput("valid_until must be after valid_from", field="valid_until")
    existing = tx.get_party_key(key.key_id)
    if existing is not None:
        raise InvalidInput(f"this key is already registered (to {existing.party_id})", field="public_key")
    tx.put_party_key(key)
    audit.record(tx, actor, "party.key.added", party_id, key.model_dump(mode="json"), now)
    return key


def register_listed_keys(tx: Any, party: Any, now: datetime, actor: str, where: str) -> None:
    """The keys a party's record lists (an agreement file's [[parties.keys]]), with the same force as keys
    added over the API. Loading the file again adds what is new and sets the validity the file gives;
    it never lifts a revocation, and a key the file no longer lists stays as it is (revoke it)."""
    from . import audit

    for j, spec in enumerate(party.keys):
        field = f"{where}.keys.{j}".lstrip(".")
        try:
            key = new_key(party.id, spec.public_key, spec.valid_from or now, spec.valid_until)
        except ValueError as exc:
            raise InvalidInput(str(exc), field=f"{field}.public_key") from None
        existing = tx.get_party_key(key.key_id)
        if existing is not None and existing.party_id != party.id:
            raise InvalidInput(f"this key is already registered to {existing.party_id}", field=f"{field}.public_key")
        if existing is None:
            if key.valid_until is not None and key.valid_until <= key.valid_from:
                raise InvalidInput("valid_until must be after valid_from (when no valid_from is given: now)", field=f"{field}.valid_until")
            tx.put_party_key(key)
            audit.record(tx, actor, "party.key.added", party.id, key.model_dump(mode="json"), now)
            continue
        wanted = {"valid_from": spec.valid_from or existing.valid_from, "valid_until": spec.valid_until}
        if wanted["valid_until"] is not None and wanted["valid_until"] <= wanted["valid_from"]:
            raise InvalidInput("valid_until must be after valid_from", field=f"{field}.valid_until")
        if (existing.valid_from, existing.valid_until) != (wanted["valid_from"], wanted["valid_until"]):
            changed = existing.model_copy(update=wanted)
            tx.put_party_key(changed)
            audit.record(tx, actor, "party.key.changed", party.id, changed.model_dump(mode="json"), now)


def revoke_key(tx: Any, party_id: str, key_id: str, now: datetime, actor: str) -> PartyKey:
    from . import audit

    key = tx.get_party_key(key_id)
    if key is None or key.party_id != party_id:
        raise NotFound(f"no key {key_id!r} of {party_id}", field="key_id")
    if key.revoked_at is not None:
        return key
    key = key.model_copy(update={"revoked_at": now})
    tx.put_party_key(key)
    audit.record(tx, actor, "party.key.revoked", party_id, {"key_id": key_id, "revoked_at": now.isoformat()}, now)
    return key


def _signed_at(text: str, now: datetime) -> datetime:
    """When the party says it signed: an RFC 3339 UTC instant within SIGNED_AT_SKEW of the server's clock,
    so that a statement cannot be held back and presented later (nor dated ahead) as if said then."""
    field = "Deconfliction-Signature.signedAt"
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"signedAt {text!r} is not an RFC 3339 date-time", field=field) from None
    if moment.utcoffset() is None:
        raise InvalidInput(f"signedAt {text!r} has no time zone (sign in UTC, ending in Z)", field=field)
    off = (moment - now).total_seconds()
    if abs(off) > SIGNED_AT_SKEW.total_seconds():
        direction = "ahead of" if off > 0 else "behind"
        raise Forbidden(
            f"signedAt {text} is {abs(off):.0f} s {direction} the server's clock ({now.isoformat()}); "
            f"a statement must be signed within {SIGNED_AT_SKEW.total_seconds():.0f} s of when it is presented: check your clock and sign again",
            field=field,
        )
    return moment


def _agreement_of(tx: Any, entry: AuditEntry) -> str | None:
    if "agreement_id" in entry.payload:
        return entry.payload["agreement_id"]
    for getter in (tx.get_notice, tx.get_conflict, tx.get_message):
        found = getter(entry.subject)
        if found is not None:
            return found.agreement_id
    return None


def accept(tx: Any, pending: Pending | None, entries: Sequence[AuditEntry], now: datetime) -> None:
    """Check and record the request's statement; refuse an unsigned write that must be signed."""
    from . import audit

    said = [e for e in entries if e.action in SIGNED_ACTIONS and e.actor != "system" and not e.actor.startswith("admin")]
    if pending is None or pending.presented is None:
        if pending is not None and pending.error:
            raise InvalidInput(f"unreadable signature: {pending.error}", field="Deconfliction-Signature")
        for entry in said:
            agreement_id = _agreement_of(tx, entry)
            if agreement_id and tx.signatures_required(agreement_id):
                raise Forbidden(
                    f"agreement {agreement_id} requires {entry.actor}'s signature on {entry.action}: sign with your registered key "
                    "(the Python client with signing_key, the CLI with DECONFLICTION_SIGNING_KEY, or the web console with a key registered in its Signing panel)",
                    field="Deconfliction-Signature",
                )
        return
    presented = pending.presented
    party = presented.statement.party
    actors = {e.actor for e in entries if e.actor != "system" and not e.actor.startswith("admin")}
    if actors - {party}:
        raise Forbidden(f"the statement is signed as {party!r}, but the write is by {', '.join(sorted(actors))}", field="Deconfliction-Signature")
    key = tx.get_party_key(presented.key_id)
    if key is None or key.party_id != party:
        raise Forbidden(f"key {presented.key_id[:16]}… is not a registered key of {party}", field="Deconfliction-Signature")
    signed_at = _signed_at(presented.statement.signed_at, now)
    why_not = key.usable_at(now) or key.usable_at(signed_at)
    if why_not:
        raise Forbidden(why_not, field="Deconfliction-Signature")
    if not signature_holds(key, presented):
        raise Forbidden(f"the signature does not hold over this request by {party}", field="Deconfliction-Signature")
    subject = entries[0].subject if entries else party
    entry = audit.record(tx, party, "statement.signed", subject, {
        "key_id": key.key_id, "signature": presented.signature, "statement": presented.statement.model_dump(mode="json"),
    }, now)
    if not tx.add_party_statement(party, presented.statement.nonce, key.key_id, entry.seq):
        raise Forbidden(f"{party} already used nonce {presented.statement.nonce!r}: a replayed statement", field="Deconfliction-Signature")
