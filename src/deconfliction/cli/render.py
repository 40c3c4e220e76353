"""Tables for people: aviation units appear here, at the edge, next to SI."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Iterable

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from . import aviation

if TYPE_CHECKING:
    from ..models import Conflict, HotlineMessage, InboxItem, LineStatus, Notice


def when(moment: datetime | None, seconds: bool = False) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ" if seconds else "%Y-%m-%d %H:%MZ") if moment else "—"


def span(start: datetime, end: datetime) -> str:
    """A time window in two short lines: the day and start, then the end (its day too when it differs)."""
    same_day = start.date() == end.date()
    return f"{start:%Y-%m-%d %H:%MZ}\n→ {end:%H:%MZ}" if same_day else f"{start:%Y-%m-%d %H:%MZ}\n→ {end:%Y-%m-%d %H:%MZ}"


def stacked(aviation_text: str, si_text: str) -> str:
    """Aviation first, SI under it: keeps the column narrow."""
    return f"{aviation_text}\n{si_text}"


# Tables are built to fit 80 columns: few columns, narrow cells, several lines per row where needed
# (ids are the 8 characters every command accepts as a prefix).
def _table(title: str) -> Table:
    return Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1))


distance = aviation.distance  # '0.54 NM (1,000 m)'


def zone_hit(hit) -> str:
    """One line for a zone a filing reaches into: what, where, when, whom to call."""
    zone = hit.zone
    line = (f"volume {hit.volume_index} enters {zone['restriction'].replace('_', ' ')} zone {zone['name']} "
            f"({zone['lower']} – {zone['upper']}) {when(hit.time_start)} → {when(hit.time_end)}")
    if zone.get("contact"):
        line += f"; contact {zone['contact']}"
    if zone.get("message"):
        line += f": {zone['message']}"
    return line


def short(identifier: str) -> str:
    return identifier[:8]


def notices_table(notices: Iterable[Notice], viewer: str | None = None, title: str = "Notices") -> Table:
    table = _table(title)
    table.add_column("id", no_wrap=True, min_width=8)
    table.add_column("party", overflow="fold")
    table.add_column("state", overflow="fold")
    table.add_column("when (UTC)", no_wrap=True)
    table.add_column("vol", justify="right")
    table.add_column("lead", no_wrap=True)
    table.add_column("your ref", overflow="fold")
    for notice in notices:
        own = viewer is None or notice.party_id == viewer
        lead = f"{notice.lead_time_s / 60:,.0f} min" + ("\nLATE" if own and notice.late else "")
        table.add_row(
            short(notice.id), notice.party_id, notice.state, span(notice.start, notice.end), str(len(notice.volumes)),
            lead, (notice.private.reference or "") if own else "",
        )
    return table


def conflicts_table(conflicts: Iterable[Conflict], title: str = "Conflicts") -> Table:
    """Per conflict: both parties with their acknowledgment, distances (aviation over SI), time, channel.
    The notices' ids are in --json (and `conflicts --notice ID` filters by one)."""
    table = _table(title)
    table.add_column("id", no_wrap=True, min_width=8)
    table.add_column("parties, ack", no_wrap=True)
    table.add_column("lateral", no_wrap=True)
    table.add_column("vertical", no_wrap=True)
    table.add_column("when (UTC)", no_wrap=True)
    table.add_column("channel", overflow="fold", min_width=10)
    for c in conflicts:
        acks = "\n".join(f"{p} {'✓' if t else '✗'}" for p, t in ((c.party_a, c.acknowledged_a), (c.party_b, c.acknowledged_b)))
        vertical = stacked(aviation.feet(c.vertical_m), f"{c.vertical_m:,.0f} m") if c.vertical_m > 0 else "overlapping"
        channel = (f"{c.channel.name}\n{c.channel.contact}" + ("\n(pool exhausted)" if c.channel.pool_exhausted else "")) if c.channel else "—"
        table.add_row(
            short(c.id) + ("" if c.state == "open" else f"\n{c.state}"),
            acks,
            stacked(aviation.nautical_miles(c.lateral_m), aviation.si_length(c.lateral_m)),
            vertical,
            span(c.time_start, c.time_end),
            channel,
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


COMPLIANCE_ROWS = (
    ("notices filed", lambda p: str(p.notices)),
    ("lead time, least", lambda p: _minutes(p.lead_time_min_s)),
    ("lead time, median", lambda p: _minutes(p.lead_time_median_s)),
    ("late notices", lambda p: str(p.late_notices)),
    ("acknowledgments owed", lambda p: str(p.acknowledgments_owed)),
    ("acknowledged", lambda p: str(p.acknowledged)),
    ("acknowledged late", lambda p: str(p.acknowledged_late)),
    ("ack delay, median", lambda p: _minutes(p.ack_delay_median_s)),
    ("ack delay, longest", lambda p: _minutes(p.ack_delay_max_s)),
    ("overdue", lambda p: str(p.overdue)),
    ("hotline escalations", lambda p: str(p.hotline_escalations)),
    ("line tests missed", lambda p: str(p.line_tests_missed)),
    ("receipts", lambda p: str(len(p.citations))),  # the audit entries behind the five figures above that count lapses
)
PARTIES_PER_TABLE = 4  # a measure per row and a party per column: 4 parties fit 80 columns


def compliance_table(report) -> Group:
    """One row per measure and one column per party (4 parties a table), so it stays legible at 80 columns."""
    parties = list(report.parties)
    tables = []
    for first in range(0, max(1, len(parties)), PARTIES_PER_TABLE):
        group = parties[first:first + PARTIES_PER_TABLE]
        title = f"Compliance — {report.agreement_id}\n{when(report.start)} to {when(report.end)}" if first == 0 else ""
        table = _table(title)
        table.add_column("", no_wrap=True)
        for p in group:
            table.add_column(p.party_id, justify="right", overflow="fold")
        for label, value in COMPLIANCE_ROWS:
            table.add_row(label, *(value(p) for p in group))
        tables.append(table)
    receipts = sum(len(p.citations) for p in parties)
    tables.append(Text(
        f"{receipts} receipts back the late notices, late and overdue acknowledgments, escalations and missed "
        "line tests: see them with --json, save the report with them with --receipts FILE, and check it "
        "with no server: deconfliction report check FILE"
    ))
    return Group(*tables)


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


def notice_details(notice: Notice, viewer: str | None = None, display: str = "feet") -> Group:
    """One notice as label–value lines and one short block per volume: fits 80 columns whatever its size.
    `display`: the agreement's altitude_display (flight levels or feet, metres beside)."""
    own = viewer is None or notice.party_id == viewer
    fields = Table.grid(padding=(0, 2))
    fields.add_column(style="bold", no_wrap=True)
    fields.add_column(overflow="fold")
    rows = [
        ("notice", notice.id), ("party", notice.party_id + (" (yours)" if own and viewer else "")), ("state", notice.state),
        ("version", notice.version), ("filed", when(notice.filed_at)),
        ("lead time", f"{notice.lead_time_s / 60:,.0f} min" + (" (LATE)" if own and notice.late else "")),
    ]
    if own and notice.private.reference:
        rows.append(("your reference", notice.private.reference))
    if own and notice.private.remarks:
        rows.append(("your remarks", notice.private.remarks))
    for label, value in rows:
        fields.add_row(label, value)
    volumes = Table.grid(padding=(0, 1))
    volumes.add_column(no_wrap=True)
    volumes.add_column(overflow="fold")
    for i, v in enumerate(notice.volumes):
        fp, band = v.footprint, v.altitude
        shape = (f"circle, radius {aviation.distance(fp.radius_m)}, centre {fp.lat:.5f}, {fp.lon:.5f}"
                 if fp.kind == "circle" else f"polygon of {len(fp.vertices)} vertices")
        heights = aviation.band(band.lower_m, band.upper_m, band.datum, display)
        volumes.add_row(f"volume {i}", f"{shape}\n{heights}\n{when(v.time.start)} → {when(v.time.end)}")
    return Group(fields, "", volumes)
