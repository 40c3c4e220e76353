"""`deconfliction hotline …`: send, inbox, sent, ack, thread, lines."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Optional

import typer

from . import arguments, render
from .app import app
from .output import Json, console, emit, guarded, show
from .session import AgreementId, AsParty, acting, agreement_of

if TYPE_CHECKING:
    from .session import System

hotline_app = typer.Typer(help="The hotline: messages between parties, acknowledged or escalated.", no_args_is_help=True)
app.add_typer(hotline_app, name="hotline")


def _message_id(system: System, party: str, given: str) -> str:
    """A message id, or an unambiguous prefix of one in the party's inbox or sent messages."""
    return arguments.message_id(system, party, given)


@hotline_app.command("send")
def hotline_send(
    text: Annotated[str, typer.Argument(help="The message.")],
    kind: Annotated[str, typer.Option("--kind", "-k", help="One of notice, query, alert, info, test.")] = "info",
    to: Annotated[Optional[list[str]], typer.Option("--to", help="A co-party (repeat); default: all of them.")] = None,
    notice: Annotated[Optional[list[str]], typer.Option("--notice", help="A notice the message is about (repeat).")] = None,
    conflict: Annotated[Optional[list[str]], typer.Option("--conflict", help="A conflict the message is about (repeat).")] = None,
    aircraft: Annotated[Optional[list[str]], typer.Option("--aircraft", help="An aircraft (callsign or ICAO address; repeat).")] = None,
    reply_to: Annotated[Optional[str], typer.Option("--reply-to", help="The message this answers.")] = None,
    agreement: AgreementId = None,
    party: AsParty = None,
    as_json: Json = False,
) -> None:
    """Send a hotline message; every recipient owes an acknowledgment by the agreement's deadline."""
    with guarded(as_json):
        system, party = acting(party)
        agreement_id = agreement_of(system, party, agreement)
        from ..models import MessageRefs

        refs = MessageRefs(notices=notice or [], conflicts=conflict or [], aircraft=aircraft or [])
        in_reply_to = _message_id(system, party, reply_to) if reply_to else None
        message = system.send_message(party, agreement_id, kind=kind, text=text, to=to, refs=refs, in_reply_to=in_reply_to)
        if as_json:
            emit(message.model_dump(mode="json"))
        else:
            due = max((a.due_at for a in message.acknowledgments), default=None)
            left = f" (in {(due - message.created_at).total_seconds():,.0f} s)" if due else ""
            console.print(f"Sent {message.kind} {message.id} to {', '.join(message.to)}; acknowledgment due {render.when(due, seconds=True)}{left}")


@hotline_app.command("inbox")
def hotline_inbox(
    state: Annotated[Optional[str], typer.Option(help="Only pending, overdue or acknowledged messages.")] = None,
    agreement: Annotated[Optional[str], typer.Option("--agreement", "-a", help="Only this agreement.")] = None,
    party: AsParty = None,
    as_json: Json = False,
) -> None:
    """Messages to you: overdue first, then pending by due time, then the rest."""
    with guarded(as_json):
        system, party = acting(party)
        items = system.inbox(party, agreement_id=agreement, state=state, limit=1000)
        show(as_json, lambda: [i.model_dump(mode="json") for i in items], lambda: render.inbox_table(items))


@hotline_app.command("sent")
def hotline_sent(
    agreement: Annotated[Optional[str], typer.Option("--agreement", "-a", help="Only this agreement.")] = None,
    party: AsParty = None,
    as_json: Json = False,
) -> None:
    """Messages you sent, newest first, with who has acknowledged them."""
    with guarded(as_json):
        system, party = acting(party)
        messages = system.sent(party, agreement_id=agreement, limit=1000)
        show(as_json, lambda: [m.model_dump(mode="json") for m in messages], lambda: render.messages_table(messages, title="Sent"))


@hotline_app.command("ack")
def hotline_ack(message_id: str, party: AsParty = None, as_json: Json = False) -> None:
    """Acknowledge a message you received (its id or a unique prefix)."""
    with guarded(as_json):
        system, party = acting(party)
        deadline = system.acknowledge_message(party, _message_id(system, party, message_id))
        if as_json:
            emit(deadline.model_dump(mode="json"))
        else:
            late = deadline.acknowledged_at and deadline.acknowledged_at > deadline.due_at
            console.print(f"Acknowledged message {deadline.subject_id}" + (" [yellow]after the deadline[/]" if late else ""))


@hotline_app.command("thread")
def hotline_thread(message_id: str, party: AsParty = None, as_json: Json = False) -> None:
    """The conversation a message belongs to, with who acknowledged each message."""
    with guarded(as_json):
        system, party = acting(party)
        messages = system.thread(party, _message_id(system, party, message_id))
        show(as_json, lambda: [m.model_dump(mode="json") for m in messages], lambda: render.messages_table(messages))


@hotline_app.command("lines")
def hotline_lines(agreement: AgreementId = None, party: AsParty = None, as_json: Json = False) -> None:
    """Whose hotline answers: each party's line, from its last settled line test."""
    with guarded(as_json):
        system, party = acting(party)
        lines = system.lines(party, agreement_of(system, party, agreement))
        show(as_json, lambda: [line.model_dump(mode="json") for line in lines], lambda: render.lines_table(lines))
