"""Reading the audit log the way the owner reviews it: filtered, newest first, a page
at a time, and the narrow reads the unusual-activity flags and incidents need.

Pages are a keyset on (at, seq): every filter is a leading column of an index that
ends in `at` (migration 0004), so the first page and the thousandth cost the same at a
million events, and no OFFSET is ever used. Time order (not seq order) is what a
reviewer reads, and failed sign-ins copied into the log at the next sign-in keep their
real time. Conditions are built from fixed SQL pieces; every value is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from ehrdesk.core.audit_review import AuditFilter
from ehrdesk.core.models import AuditEvent
from ehrdesk.storage.audit import format_time
from ehrdesk.storage.database import Connection, limit_sql

_COLUMNS: Final = "seq, at, user_id, username, role, action, object_type, object_id, reason, mac"


@dataclass(frozen=True)
class AuditCursor:
    """Where the previous page ended: the last row's time (as stored) and seq."""

    at: str
    seq: int

    @classmethod
    def after(cls, event: AuditEvent) -> AuditCursor:
        return cls(format_time(event.at), event.seq)


def _conditions(filt: AuditFilter) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    if filt.since is not None:
        where.append("at >= ?")
        params.append(format_time(filt.since))
    if filt.until is not None:
        where.append("at < ?")
        params.append(format_time(filt.until))
    if filt.user_id is not None:
        where.append("user_id = ?")
        params.append(filt.user_id)
    if len(filt.actions) == 1:
        where.append("action = ?")
        params.append(filt.actions[0])
    elif filt.actions:
        # Unary + keeps the action index out: an IN list over it cannot give rows in
        # time order, and sorting every match is what paging must never do.
        where.append(f"+action IN ({','.join('?' * len(filt.actions))})")
        params.extend(filt.actions)
    if filt.object_type is not None:
        where.append("object_type = ?")
        params.append(filt.object_type)
    if filt.object_id is not None:
        where.append("object_id = ?")
        params.append(filt.object_id)
    return where, params


def search_sql(
    filt: AuditFilter, after: AuditCursor | None, limit: int | None
) -> tuple[str, list[Any]]:
    """The SQL of one page (also what bench/audit.py explains)."""
    where, params = _conditions(filt)
    if after is not None:
        # `at <= ?` is the index range; the OR only sorts out rows at the same instant.
        where.append("at <= ? AND (at < ? OR seq < ?)")
        params.extend([after.at, after.at, after.seq])
    sql = f"SELECT {_COLUMNS} FROM audit_event"  # noqa: S608 - fixed pieces, bound values
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY at DESC, seq DESC"
    if limit is not None:
        sql += " " + limit_sql(limit)
    return sql, params


def _event(row: tuple[Any, ...]) -> AuditEvent:
    seq, at, uid, uname, role, action, otype, oid, reason, mac = row
    return AuditEvent(
        int(seq),
        datetime.fromisoformat(at),
        uid,
        uname,
        role,
        action,
        otype,
        oid,
        reason,
        bytes(mac),
    )


class AuditQueries:
    """Read-only queries over `audit_event` for the review screens."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def page(
        self, filt: AuditFilter, *, after: AuditCursor | None = None, limit: int = 200
    ) -> list[AuditEvent]:
        sql, params = search_sql(filt, after, limit)
        return [_event(r) for r in self._conn.execute(sql, params)]

    def stream(self, filt: AuditFilter, *, batch: int = 2000) -> Iterator[AuditEvent]:
        """Every matching event, newest first, a batch of rows in memory at a time."""
        sql, params = search_sql(filt, None, None)
        cursor = self._conn.execute(sql, params)
        while rows := cursor.fetchmany(batch):
            yield from (_event(r) for r in rows)

    def plan(self, filt: AuditFilter, after: AuditCursor | None = None) -> list[str]:
        """EXPLAIN QUERY PLAN of a page, one detail line each (tests and bench)."""
        sql, params = search_sql(filt, after, 200)
        return [str(r[3]) for r in self._conn.execute("EXPLAIN QUERY PLAN " + sql, params)]

    def total(self) -> int:
        row = self._conn.execute("SELECT max(seq) FROM audit_event").fetchone()
        return int(row[0] or 0)

    # For the unusual-activity flags: bounded by `since`, each through an index. ------

    def timeline(
        self, actions: frozenset[str] | set[str], since: datetime, *, object_type: str | None = None
    ) -> list[tuple[int | None, str | None, datetime, str]]:
        """(user id, username, time, object id or seq) for `actions` since `since`,
        ordered by user then time."""
        marks = ",".join("?" * len(actions))
        sql = (
            "SELECT user_id, username, at, coalesce(object_id, CAST(seq AS TEXT)) "  # noqa: S608
            f"FROM audit_event WHERE action IN ({marks}) AND at >= ?"
        )
        params: list[Any] = [*sorted(actions), format_time(since)]
        if object_type is not None:
            sql += " AND object_type = ?"
            params.append(object_type)
        sql += " ORDER BY user_id, username, at"
        return [
            (uid, uname, datetime.fromisoformat(at), str(key))
            for uid, uname, at, key in self._conn.execute(sql, params)
        ]

    def counts_between(
        self, actions: frozenset[str] | set[str], since: datetime, until: datetime
    ) -> list[tuple[int, str | None, int, datetime, datetime]]:
        """Per user: (id, name, events, first, last) for `actions` in [since, until)."""
        marks = ",".join("?" * len(actions))
        sql = (
            "SELECT user_id, max(username), count(*), min(at), max(at) "  # noqa: S608
            f"FROM audit_event WHERE action IN ({marks}) AND at >= ? AND at < ? "
            "AND user_id IS NOT NULL GROUP BY user_id"
        )
        rows = self._conn.execute(sql, [*sorted(actions), format_time(since), format_time(until)])
        return [
            (int(uid), uname, int(n), datetime.fromisoformat(lo), datetime.fromisoformat(hi))
            for uid, uname, n, lo, hi in rows
        ]

    def objects_touched(
        self, user_id: int, object_type: str, since: datetime, until: datetime
    ) -> list[str]:
        """Distinct ids of `object_type` in the events of one user in [since, until)."""
        rows = self._conn.execute(
            "SELECT DISTINCT object_id FROM audit_event WHERE user_id = ? AND at >= ? "
            "AND at < ? AND object_type = ? AND object_id IS NOT NULL",
            (user_id, format_time(since), format_time(until), object_type),
        )
        return sorted((str(r[0]) for r in rows), key=lambda v: (len(v), v))

    def newest_of(self, action: str) -> datetime | None:
        row = self._conn.execute(
            "SELECT max(at) FROM audit_event WHERE action = ?", (action,)
        ).fetchone()
        return None if row[0] is None else datetime.fromisoformat(row[0])
