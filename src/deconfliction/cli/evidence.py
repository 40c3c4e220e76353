"""`deconfliction audit head|cosign|keygen|prove|check|compare`, and `audit verify --head`: the
commands a party uses to keep what the server signed and to check it later, with or without it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import InvalidInput
from .app import app
from .audit import audit_app
from .kept_heads import ALARM_EXIT, _report, read_head, write_json
from .output import Json, console, emit, guarded, stderr
from .session import State, local

# The library is imported only inside the commands: `deconfliction --help` stays fast.

Out = Annotated[Optional[Path], typer.Option("--out", help="File to write (default: standard output).")]
When = Annotated[Optional[datetime], typer.Option(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%z"], help="UTC unless an offset is given.")]


def register(audit_app: typer.Typer) -> None:
    @audit_app.command("head")
    def audit_head(out: Out = None) -> None:
        """Save the log's current signed tree head (size, root hash, time, signature): keep it, and
        later `audit verify --head` proves whether the log still extends it."""
        from ..transparency.heads import TreeHead

        with guarded(False):
            if State.server:
                from ..client import Client

                with Client(State.server, State.token or "") as client:  # checked against the head kept before
                    head = TreeHead.model_validate(client._get("/v1/log/head"))
            else:
                head = local().tree_head()
            write_json(head.model_dump(mode="json"), out)
            if out:
                stderr.print(f"head of {head.size} entries, root {head.root_hash[:16]}…, signed by log key {head.log_id[:16]}…")

    @audit_app.command("keygen")
    def audit_keygen(out: Annotated[Path, typer.Option("--out", help="Private key file to create (PEM, mode 0600).")]) -> None:
        """Make an Ed25519 key for a party (to co-sign heads, and to sign what it says); prints the public key."""
        from ..transparency.keys import load_or_create

        with guarded(False):
            if Path(out).exists():
                raise InvalidInput(f"{out} exists; not overwriting a key", field="--out")
            key = load_or_create(out)
            typer.echo(key.public_b64)

    @audit_app.command("cosign")
    def audit_cosign(
        head_file: Annotated[Path, typer.Argument(help="A signed head (audit head --out).")],
        key: Annotated[Path, typer.Option("--key", help="Your Ed25519 private key (audit keygen).")],
        signer: Annotated[str, typer.Option("--signer", help="Who co-signs (your party id).")],
        out: Out = None,
    ) -> None:
        """Add your co-signature to a head: you vouch that you saw the log in this state."""
        from ..transparency.heads import cosign
        from ..transparency.keys import SigningKey

        with guarded(False):
            head = read_head(head_file)
            try:
                signed = cosign(head, signer, SigningKey.from_pem(Path(key).read_bytes()))
            except (OSError, ValueError) as exc:
                raise InvalidInput(str(exc), field="--key") from None
            write_json(signed.model_dump(mode="json"), out)

    @audit_app.command("compare")
    def audit_compare(
        first: Annotated[Path, typer.Argument(help="One party's kept head.")],
        second: Annotated[Path, typer.Argument(help="Another party's kept head of the same log.")],
        as_json: Json = False,
    ) -> None:
        """Can both heads be true? Two heads of one size with different roots are a split view; heads of
        different sizes are checked with the server's consistency proof when --server is given."""
        from ..transparency.heads import HeadError
        from ..transparency.offline import HeadVerdict
        from ..transparency.witness import LogAlarm, compare_heads

        with guarded(as_json):
            a, b = read_head(first, "first"), read_head(second, "second")
            consistency = None
            client = None
            if State.server:
                from ..client import Client

                client = Client(State.server, State.token or "", witness=False)
                consistency = client.log.consistency
            try:
                compare_heads(a, b, consistency)
            except (LogAlarm, HeadError) as exc:
                kind = getattr(exc, "kind", "bad_signature")
                _report(HeadVerdict(False, max(a.size, b.size), min(a.size, b.size), str(getattr(exc, "message", exc)), kind), as_json)
            finally:
                if client is not None:
                    client.close()
            _report(HeadVerdict(True, max(a.size, b.size), min(a.size, b.size)), as_json)

    @audit_app.command("prove")
    def audit_prove(
        notice_id: Annotated[str, typer.Argument(help="The notice.")],
        out: Out = None,
    ) -> None:
        """Write self-contained evidence about a notice: its entries, its conflicts' and acknowledgments'
        entries, each with its inclusion proof under one signed head; `audit check` verifies it offline."""
        from ..rules.evidence import prove

        from . import arguments

        with guarded(False):
            system = local()
            # The same id rule as every command: a full id, the id its party chose, or a prefix.
            stored = system.read(lambda tx: [n.id for n in tx.find_notices(limit=10_000_000)])
            notice_id = arguments.resolve_id(notice_id, stored, "notice", "notice_id")
            evidence = prove(system, notice_id)
            write_json(evidence.model_dump(mode="json"), out)
            if out:
                stderr.print(f"{len(evidence.entries)} entries about {notice_id}, under the signed head of {evidence.tree_head.size} entries")

    @audit_app.command("check")
    def audit_check(
        file: Annotated[Path, typer.Argument(help="An evidence file (audit prove --out), or a saved compliance report (report compliance --receipts).")],
        log_key: Annotated[Optional[str], typer.Option("--log-key", help="The server's log key you trust (base64); default: the one in the file.")] = None,
        as_json: Json = False,
    ) -> None:
        """Verify an evidence file with no server: the head's signature, and each entry's inclusion proof.
        Given a saved compliance report, check it as `report check` does."""
        from ..transparency.heads import verify_cosignatures
        from ..transparency.offline import Evidence, EvidenceError, check_evidence

        if _is_compliance_report(file):
            from .audit import check_report_file

            return check_report_file(file, log_key, as_json)
        with guarded(as_json):
            try:
                evidence = Evidence.model_validate_json(Path(file).read_text())
            except (OSError, ValueError) as exc:
                raise InvalidInput(f"cannot read the evidence: {exc}", field="file") from None
            try:
                entries = check_evidence(evidence, log_key)
            except EvidenceError as exc:
                if as_json:
                    emit({"ok": False, "reason": str(exc)})
                else:
                    stderr.print(f"[bold red]NOT PROVEN[/]: {exc}")
                raise typer.Exit(code=ALARM_EXIT)
            cosigners = verify_cosignatures(evidence.tree_head)
            if as_json:
                emit({"ok": True, "entries": len(entries), "head_size": evidence.tree_head.size, "cosigned_by": cosigners})
                return
            trust = "the log key you gave" if log_key else "the log key in the file (compare it with the one you trust)"
            console.print(f"[green]PROVEN[/]: {len(entries)} entries about {evidence.notice_id} are in the log of "
                              f"{evidence.tree_head.size} entries signed at {evidence.tree_head.timestamp:%Y-%m-%d %H:%M:%S} UTC by {trust}"
                              + (f", co-signed by {', '.join(cosigners)}" if cosigners else "") + ":")
            for entry in entries:
                console.print(f"  #{entry.seq} {entry.at:%Y-%m-%d %H:%M:%S} {entry.actor} {entry.action} {entry.subject}")


def _is_compliance_report(file: Path) -> bool:
    import json

    try:
        data = json.loads(Path(file).read_text())
    except (OSError, ValueError):
        return False  # the evidence check names what is wrong with it
    return isinstance(data, dict) and "parties" in data and "notice_id" not in data


def register_keys(app: typer.Typer) -> None:
    """`deconfliction keys add|list|revoke`: parties' signing keys, on the store or (as the party) --server."""
    keys_app = typer.Typer(help="Parties' Ed25519 signing keys: register (rotate with validity periods), list, revoke.", no_args_is_help=True)
    app.add_typer(keys_app, name="keys")

    def remote():
        from ..client import Client

        return Client(State.server, State.token or "")

    def show(keys: list) -> None:
        for k in keys:
            state = "revoked " + k["revoked_at"] if k.get("revoked_at") else f"valid {k['valid_from']} → {k.get('valid_until') or 'until revoked'}"
            console.print(f"{k['key_id'][:16]}…  {k['party_id']}  {k['public_key']}  {state}")

    @keys_app.command("add")
    def keys_add(
        party: Annotated[str, typer.Argument(help="The party whose key it is.")],
        public_key: Annotated[str, typer.Option("--public-key", help="Ed25519 public key, base64 (audit keygen prints it).")],
        valid_from: When = None,
        valid_until: When = None,
        as_json: Json = False,
    ) -> None:
        """Register a signing key; to rotate, add the next key with --valid-from and end the old one's validity."""
        from datetime import timezone

        def utc(moment):
            return None if moment is None else (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))

        with guarded(as_json):
            if State.server:
                body = {"public_key": public_key, "valid_from": utc(valid_from), "valid_until": utc(valid_until)}
                with remote() as client:
                    key = client._post(f"/v1/parties/{party}/keys", {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in body.items() if v is not None})
            else:
                key = local().add_party_key(party, public_key, valid_from=utc(valid_from), valid_until=utc(valid_until), actor="cli").model_dump(mode="json")
            emit(key) if as_json else show([key])

    @keys_app.command("list")
    def keys_list(party: Annotated[str, typer.Argument(help="The party.")], as_json: Json = False) -> None:
        """A party's keys, with their validity and revocation."""
        with guarded(as_json):
            if State.server:
                with remote() as client:
                    keys = client._get(f"/v1/parties/{party}/keys")["items"]
            else:
                keys = [k.model_dump(mode="json") for k in local().party_keys(party)]
            emit(keys) if as_json else show(keys)

    @keys_app.command("revoke")
    def keys_revoke(party: Annotated[str, typer.Argument()], key_id: Annotated[str, typer.Argument(help="The key's id (keys list).")], as_json: Json = False) -> None:
        """Revoke a key from now on: what it signs is refused; what it signed before stays checkable."""
        with guarded(as_json):
            if State.server:
                with remote() as client:
                    key = client._post(f"/v1/parties/{party}/keys/{key_id}/revoke")
            else:
                key = local().revoke_party_key(party, key_id, actor="cli").model_dump(mode="json")
            emit(key) if as_json else show([key])


register(audit_app)
register_keys(app)
