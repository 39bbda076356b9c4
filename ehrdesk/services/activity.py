"""Unusual-activity flags, computed from the audit log for the owner's Today view.

Each rule reads only the look-back window (default 7 days) through an index, so the
cost follows the recent events, not the size of the log (bench/audit.py measures it at
a million events). Each flag carries the audit filter that shows its events.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby

from ehrdesk.core import audit_actions as actions
from ehrdesk.core.activity_rules import bursts
from ehrdesk.core.audit_review import (
    ActivityFlag,
    ActivityThresholds,
    AuditFilter,
    FlagKind,
    PracticeHours,
)
from ehrdesk.core.clock import Clock
from ehrdesk.core.permissions import Action
from ehrdesk.services.guard import requires
from ehrdesk.services.session import Session
from ehrdesk.storage.audit_review import AuditQueries
from ehrdesk.storage.database import Connection
from ehrdesk.storage.users import SettingsRepository

THRESHOLDS_SETTING = "activity_thresholds"
HOURS_SETTING = "practice_hours"
_TICK = timedelta(microseconds=1)


def practice_hours(conn: Connection) -> PracticeHours:
    return PracticeHours.from_json(SettingsRepository(conn).get(HOURS_SETTING))


def thresholds(conn: Connection) -> ActivityThresholds:
    return ActivityThresholds.from_json(SettingsRepository(conn).get(THRESHOLDS_SETTING))


def compute_flags(
    conn: Connection, now: datetime, limits: ActivityThresholds, hours: PracticeHours
) -> list[ActivityFlag]:
    """Every flag in the look-back window ending at `now`, newest first."""
    since = now - timedelta(days=limits.lookback_days)
    queries = AuditQueries(conn)
    flags = [
        *_windowed(
            queries,
            FlagKind.MANY_RECORDS_OPENED,
            actions.CLIENT_RECORD_VIEWS,
            since,
            timedelta(minutes=limits.records_window_minutes),
            limits.records_opened,
            "client records opened within {minutes}",
            object_type=actions.CLIENT,
        ),
        *_windowed(
            queries,
            FlagKind.FAILED_SIGN_INS,
            {actions.SIGN_IN_FAILED},
            since,
            timedelta(minutes=limits.failed_window_minutes),
            limits.failed_sign_ins,
            "failed sign-ins within {minutes}",
        ),
        *_windowed(
            queries,
            FlagKind.EMERGENCY_ACCESS,
            {actions.EMERGENCY_ACCESS_GRANTED},
            since,
            timedelta(days=limits.lookback_days),
            1,
            "emergency access uses",
        ),
        *_windowed(
            queries,
            FlagKind.MANY_EXPORTS,
            actions.EXPORTS_AND_PRINTS,
            since,
            timedelta(hours=limits.exports_window_hours),
            limits.exports,
            "records printed or exported within {minutes}",
        ),
        *_outside_hours(queries, since, now, hours, limits.outside_hours_events),
    ]
    return sorted(flags, key=lambda f: f.last_at, reverse=True)


def _span(window: timedelta) -> str:
    minutes = int(window.total_seconds() // 60)
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "1 day" if days == 1 else f"{days} days"
    if minutes % 60 == 0:
        return "1 hour" if minutes == 60 else f"{minutes // 60} hours"
    return f"{minutes} minutes"


def _windowed(
    queries: AuditQueries,
    kind: FlagKind,
    names: frozenset[str] | set[str],
    since: datetime,
    window: timedelta,
    threshold: int,
    detail: str,
    *,
    object_type: str | None = None,
) -> list[ActivityFlag]:
    rows = queries.timeline(names, since, object_type=object_type)
    flags = []
    for (user_id, username), group in groupby(rows, key=lambda r: (r[0], r[1])):
        timeline = [(at, key) for _, _, at, key in group]
        for burst in bursts(timeline, window, threshold):
            flags.append(
                ActivityFlag(
                    kind=kind,
                    user_id=user_id,
                    username=username,
                    first_at=burst.first_at,
                    last_at=burst.last_at,
                    count=burst.peak,
                    detail=f"{burst.peak} " + detail.format(minutes=_span(window)),
                    events=AuditFilter(
                        since=burst.first_at,
                        until=burst.last_at + _TICK,
                        user_id=user_id,
                        actions=tuple(sorted(names)),
                        object_type=object_type,
                    ),
                )
            )
    return flags


def _outside_hours(
    queries: AuditQueries, since: datetime, now: datetime, hours: PracticeHours, threshold: int
) -> list[ActivityFlag]:
    """People at work while the practice is closed: the closed stretches between
    opening hours, each one index range, summed per user."""
    closed: list[tuple[datetime, datetime]] = []
    cursor = since
    for start, end in hours.open_periods(since, now):
        if start > cursor:
            closed.append((cursor, start))
        cursor = max(cursor, end)
    if cursor < now:
        closed.append((cursor, now + _TICK))
    per_user: dict[int, tuple[str | None, int, datetime, datetime]] = {}
    for low, high in closed:
        for uid, name, n, first, last in queries.counts_between(actions.ACCESS, low, high):
            if uid in per_user:
                _, total, lo, hi = per_user[uid]
                per_user[uid] = (name, total + n, min(lo, first), max(hi, last))
            else:
                per_user[uid] = (name, n, first, last)
    flags = []
    for uid, (name, count, first, last) in per_user.items():
        if count >= threshold:
            local = last.astimezone(hours.zone)
            flags.append(
                ActivityFlag(
                    kind=FlagKind.OUTSIDE_HOURS,
                    user_id=uid,
                    username=name,
                    first_at=first,
                    last_at=last,
                    count=count,
                    detail=(
                        f"{count} events outside {hours.describe()}, latest {local:%a %d %b %H:%M}"
                    ),
                    events=AuditFilter(
                        since=first,
                        until=last + _TICK,
                        user_id=uid,
                        actions=tuple(sorted(actions.ACCESS)),
                    ),
                )
            )
    return flags


class UnusualActivity:
    """The owner's unusual-activity flags and the settings they use."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    @requires(Action.VIEW_AUDIT_LOG)
    def flags(self) -> list[ActivityFlag]:
        conn = self._session.database.conn
        return compute_flags(conn, self._clock.now(), thresholds(conn), practice_hours(conn))

    @requires(Action.VIEW_AUDIT_LOG)
    def thresholds(self) -> ActivityThresholds:
        return thresholds(self._session.database.conn)

    @requires(Action.EDIT_PRACTICE_SETTINGS)
    def set_thresholds(self, limits: ActivityThresholds) -> None:
        with self._session.transaction() as tx:
            SettingsRepository(tx.conn).set(THRESHOLDS_SETTING, limits.to_json())
            tx.audit("settings_changed", object_type="setting", object_id=THRESHOLDS_SETTING)

    @requires(Action.VIEW_OWN_ACCOUNT)
    def practice_hours(self) -> PracticeHours:
        return practice_hours(self._session.database.conn)

    @requires(Action.EDIT_PRACTICE_SETTINGS)
    def set_practice_hours(self, hours: PracticeHours) -> None:
        with self._session.transaction() as tx:
            SettingsRepository(tx.conn).set(HOURS_SETTING, hours.to_json())
            tx.audit("settings_changed", object_type="setting", object_id=HOURS_SETTING)
