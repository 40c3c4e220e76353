"""Weekly schedules ("MON-FRI 07:00-17:00 UTC") as the concrete time windows a zone is active in.

Zone files publish recurring schedules; conflict checks need windows. They are expanded over a
horizon from the import (by default 31 days, the longest planning horizon of the examples); a
zone imported again is expanded again. Windows that run past midnight (22:00-06:00) end on the
next day; adjacent windows are merged.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from ..geometry import TimeWindow

DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
DEFAULT_HORIZON = timedelta(days=31)


def parse_clock(text: str, field: str) -> time:
    """"07:00", "0700", "07:00:00.00Z", "24:00" (end of day) as a UTC time; ValueError naming the field."""
    raw = (text or "").strip().upper().removesuffix("Z").replace("+00:00", "")
    digits = raw.replace(":", "")
    try:
        hours, minutes = int(digits[0:2]), int(digits[2:4] or 0)
    except ValueError:
        raise ValueError(f"{field}: {text!r} is not a time of day (HH:MM)") from None
    if hours == 24 and minutes == 0:
        return time(23, 59, 59, 999999, tzinfo=timezone.utc)
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValueError(f"{field}: {text!r} is not a time of day (HH:MM)")
    return time(hours, minutes, tzinfo=timezone.utc)


def weekly_windows(rules: list[tuple[set[str], time, time]], start: datetime, end: datetime) -> list[TimeWindow]:
    """Windows between start and end for rules (days, from, to); days "ANY" means every day."""
    windows: list[tuple[datetime, datetime]] = []
    day = start.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    while day < end:
        name = DAYS[day.weekday()]
        for days, begin, finish in rules:
            if "ANY" not in days and name not in days:
                continue
            opens = datetime.combine(day.date(), begin)
            closes = datetime.combine(day.date(), finish)
            if closes <= opens:
                closes += timedelta(days=1)
            opens, closes = max(opens, start), min(closes, end)
            if opens < closes:
                windows.append((opens, closes))
        day += timedelta(days=1)
    windows.sort()
    merged: list[list[datetime]] = []
    for opens, closes in windows:
        if merged and opens <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], closes)
        else:
            merged.append([opens, closes])
    return [TimeWindow(start=a, end=b) for a, b in merged]


def day_set(values, field: str) -> set[str]:
    days = {str(v).strip().upper() for v in (values or [])}
    unknown = days - set(DAYS) - {"ANY"}
    if unknown:
        raise ValueError(f"{field}: unknown day(s) {', '.join(sorted(unknown))}")
    return days or {"ANY"}
