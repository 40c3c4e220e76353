"""Tables for people: aviation units appear here, at the edge, next to SI."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Iterable

from rich.table import Table

from ..units import metres_to_feet, metres_to_nautical_miles

if TYPE_CHECKING:
    from ..models import Conflict, HotlineMessage, InboxItem, LineStatus, Notice


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%MZ") if moment else "—"


def distance(metres: float) -> str:
    return f"{metres:,.0f} m ({metres_to_nautical_miles(metres):.2f} NM)"


def height(metres: float) -> str:
    return f"{metres:,.0f} m ({metres_to_feet(metres):,.0f} ft)"


def short(identifier: str) -> str:
    return identifier[:8]


def notices_table(notices: Iterable[Notice], viewer: str | None = None, title: str = "Notices") -> Table:
    table = Table(title=title)
    for column in ("id", "party", "state", "volumes", "from", "to", "lead time", "version", "reference"):
        table.add_column(column, overflow="fold", no_wrap=column in ("from", "to", "version"))
    for notice in notices:
        own = viewer is None or notice.party_id == viewer
        lead = f"{notice.lead_time_s / 60:,.0f} min" + (" LATE" if own and notice.late else "")
        table.add_row(
            short(notice.id), notice.party_id, notice.state, str(len(notice.volumes)), when(notice.start), when(notice.end),
            lead, notice.version, (notice.private.reference or "") if own else "",
        )
    return table


def conflicts_table(conflicts: Iterable[Conflict], title: str = "Conflicts") -> Table:
    table = Table(title=title)
    for column in ("id", "between", "lateral", "vertical gap", "time", "channel", "acknowledged", "state"):
        table.add_column(column)
    for c in conflicts:
        acks = ", ".join(f"{p} {'✓' if t else '✗'}" for p, t in ((c.party_a, c.acknowledged_a), (c.party_b, c.acknowledged_b)))
        table.add_row(
            short(c.id),
            f"{c.party_a} {short(c.notice_a)} ↔ {c.party_b} {short(c.notice_b)}",
            distance(c.lateral_m),
            height(c.vertical_m),
            f"{when(c.time_start)} → {c.time_end.strftime('%H:%MZ')}",
            (f"{c.channel.name} {c.channel.contact}" + (" (pool exhausted: a neighbour shares it)" if c.channel.pool_exhausted else "")) if c.channel else "—",
            acks,
            c.state,
        )
    return table


def _area(area: dict | None) -> str:
    if area is None:
        return "everywhere"
    if area["type"] == "Point":
        lon, lat = area["coordinates"]
        return f"within {distance(area['radius_m'])} of {lat:.4f},{lon:.4f}"
    if area["type"] == "Polygon":
        return f"polygon of {len(area['coordinates'][0]) - 1} vertices"
    return f"{len(area['geometries'])} footprint(s) of its cluster"


def channels_table(items, title: str = "Channels") -> Table:
    table = Table(title=title)
    for column in ("channel", "contact", "area", "from", "to", "source"):
        table.add_column(column, overflow="fold")
    for item in items:
        source = "assigned" + (f" to {len(item.notices)} notices" if item.notices else "") + (", pool exhausted" if item.pool_exhausted else "") if item.source == "assigned" else item.source
        table.add_row(item.name, item.contact, _area(item.area), when(item.start), when(item.end), source)
    return table


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:,.1f} min"


def compliance_table(report) -> Table:
    table = Table(title=f"Compliance — {report.agreement_id}, {when(report.start)} to {when(report.end)}")
    for column in ("party", "notices", "lead min", "lead median", "late", "acks owed", "acknowledged", "late acks", "ack delay median", "ack delay max", "overdue", "hotline escalations", "line tests missed"):
        table.add_column(column, justify="right" if column != "party" else "left")
    for p in report.parties:
        table.add_row(
            p.party_id, str(p.notices), _minutes(p.lead_time_min_s), _minutes(p.lead_time_median_s), str(p.late_notices),
            str(p.acknowledgments_owed), str(p.acknowledged), str(p.acknowledged_late),
            _minutes(p.ack_delay_median_s), _minutes(p.ack_delay_max_s), str(p.overdue),
            str(p.hotline_escalations), str(p.line_tests_missed),
        )
    return table


def inbox_table(items: Iterable[InboxItem], title: str = "Hotline inbox") -> Table:
    table = Table(title=title)
    for column in ("id", "kind", "from", "sent", "text", "due", "state"):
        table.add_column(column, overflow="fold")
    for item in items:
        m, d = item.message, item.deadline
        state = d.state + (f" ×{d.escalations}" if d.escalations else "")
        style = "bold red" if d.state == "overdue" else ""
        table.add_row(short(m.id), m.kind, m.sender or "(line test)", when(m.created_at), m.text, when(d.due_at), state, style=style)
    return table


def messages_table(messages: Iterable[HotlineMessage], title: str = "Thread") -> Table:
    table = Table(title=title)
    for column in ("id", "kind", "from", "to", "sent", "text", "acknowledged by"):
        table.add_column(column, overflow="fold")
    for m in messages:
        acks = ", ".join(f"{a.party_id} {'✓' if a.state == 'acknowledged' else a.state}" for a in m.acknowledgments)
        table.add_row(short(m.id), m.kind, m.sender or "(line test)", ", ".join(m.to), when(m.created_at), m.text, acks)
    return table


def lines_table(lines: Iterable[LineStatus], title: str = "Hotline lines") -> Table:
    table = Table(title=title)
    for column in ("party", "line", "last test", "last answered"):
        table.add_column(column)
    for line in lines:
        colour = {"up": "green", "down": "bold red"}.get(line.state, "yellow")
        table.add_row(line.party_id, f"[{colour}]{line.state}[/]", when(line.last_test_at), when(line.last_ack_at))
    return table
