"""Repeating appointments: a bounded weekly RFC 5545 rule, expanded in the practice's
time zone so that 10:00 stays 10:00 on the wall clock across daylight saving.

Every rule is bounded (UNTIL or COUNT) and yields at most `MAX_OCCURRENCES`; an
unbounded or larger one is refused with one sentence. Times in and out are aware
UTC datetimes; the wall-clock arithmetic happens on naive local times.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import WEEKLY, rrule

from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.front_desk import Repeat

MAX_OCCURRENCES = 500
MAX_INTERVAL_WEEKS = 12


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput("That time zone is not known; choose one from the list.") from None


def to_local(at: datetime, tz: ZoneInfo) -> datetime:
    """An aware time as naive wall-clock time in `tz`."""
    return at.astimezone(tz).replace(tzinfo=None)


def from_local(wall: datetime, tz: ZoneInfo) -> datetime:
    """Naive wall-clock time in `tz` as aware UTC (the earlier of an ambiguous hour)."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def local_day_bounds(day: date, days: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC bounds of `days` local calendar days from `day` (23 or 25 hours on a DST day)."""
    start = from_local(datetime.combine(day, time()), tz)
    end = from_local(datetime.combine(day + timedelta(days=days), time()), tz)
    return start, end


def _rule(repeat: Repeat, first_local: datetime) -> rrule:
    if not 1 <= repeat.interval_weeks <= MAX_INTERVAL_WEEKS:
        raise InvalidInput(f"Repeat every 1 to {MAX_INTERVAL_WEEKS} weeks.")
    if repeat.until is None and repeat.count is None:
        raise InvalidInput("A repeating appointment needs an end: a date or a number of times.")
    if repeat.until is not None and repeat.count is not None:
        raise InvalidInput("Choose either an end date or a number of times, not both.")
    if repeat.count is not None and not 1 <= repeat.count <= MAX_OCCURRENCES:
        raise InvalidInput(f"A series has 1 to {MAX_OCCURRENCES} appointments.")
    until = None
    if repeat.until is not None:
        if repeat.until < first_local.date():
            raise InvalidInput("The series' end date is before its first appointment.")
        until = datetime.combine(repeat.until, time(23, 59, 59))
    return rrule(
        WEEKLY,
        interval=repeat.interval_weeks,
        dtstart=first_local,
        until=until,
        count=repeat.count,
    )


def rule_text(repeat: Repeat) -> str:
    """The RRULE property value stored with the series."""
    parts = ["FREQ=WEEKLY", f"INTERVAL={repeat.interval_weeks}"]
    if repeat.count is not None:
        parts.append(f"COUNT={repeat.count}")
    if repeat.until is not None:
        parts.append(f"UNTIL={repeat.until:%Y%m%d}T235959")
    return ";".join(parts)


def parse_rule_text(text: str) -> Repeat:
    fields = dict(part.split("=", 1) for part in text.split(";"))
    until = fields.get("UNTIL")
    return Repeat(
        interval_weeks=int(fields.get("INTERVAL", "1")),
        until=datetime.strptime(until[:8], "%Y%m%d").date() if until else None,
        count=int(fields["COUNT"]) if "COUNT" in fields else None,
    )


def occurrences(repeat: Repeat, first: datetime, tz: ZoneInfo) -> list[datetime]:
    """Each occurrence's start, aware UTC; the first is `first` itself."""
    first_local = to_local(first, tz)
    rule = _rule(repeat, first_local)
    starts: list[datetime] = []
    for wall in rule:
        if len(starts) == MAX_OCCURRENCES:
            raise InvalidInput(
                f"A series has at most {MAX_OCCURRENCES} appointments; choose an earlier end."
            )
        starts.append(from_local(wall, tz))
    return starts


def shift_wall_clock(at: datetime, delta: timedelta, tz: ZoneInfo) -> datetime:
    """`at` moved by `delta` of wall-clock time in `tz` (a series moved from 10:00 to
    11:00 stays at 11:00 after the clocks change)."""
    return from_local(to_local(at, tz) + delta, tz)
