"""Emergency-access grants: who opened which chart outside their assignment, why, and
until when. Rows are never deleted; only the end and the owner's acknowledgement are
ever written after the start (the schema refuses changes to the facts)."""

from __future__ import annotations

from datetime import datetime

from ehrdesk.core.chart import EmergencyGrant, EmergencyNotice, EmergencyUse, ReasonCategory
from ehrdesk.core.errors import ConcurrentEditError, NotFound
from ehrdesk.storage.chart import parse_utc, utc_text
from ehrdesk.storage.clients import CLIENT_NAME_SQL
from ehrdesk.storage.database import Connection, limit_sql

_COLUMNS = (
    "g.id, g.user_id, u.full_name, g.client_id, g.reason_category, g.reason, g.started_at, "
    "g.expires_at, g.ended_at, g.acknowledged_at, g.row_version"
)


def _grant(row: tuple[object, ...]) -> EmergencyGrant:
    gid, uid, name, client, category, reason, started, expires, ended, acked, version = row
    return EmergencyGrant(
        id=int(str(gid)),
        user_id=int(str(uid)),
        user_name=str(name),
        client_id=int(str(client)),
        reason_category=ReasonCategory(str(category)),
        reason=str(reason),
        started_at=parse_utc(str(started)),
        expires_at=parse_utc(str(expires)),
        ended_at=None if ended is None else parse_utc(str(ended)),
        acknowledged_at=None if acked is None else parse_utc(str(acked)),
        row_version=int(str(version)),
    )


class EmergencyAccessRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(
        self,
        user_id: int,
        client_id: int,
        category: ReasonCategory,
        reason: str,
        started_at: datetime,
        expires_at: datetime,
    ) -> EmergencyGrant:
        cur = self._conn.execute(
            "INSERT INTO emergency_access (user_id, client_id, reason_category, reason, "
            "started_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (
                user_id,
                client_id,
                category.value,
                reason,
                utc_text(started_at),
                utc_text(expires_at),
            ),
        )
        return self.get(int(cur.lastrowid))

    def get(self, grant_id: int) -> EmergencyGrant:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM emergency_access g JOIN user u ON u.id = g.user_id "  # noqa: S608 - constants
            "WHERE g.id = ?",
            (grant_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That emergency access does not exist.")
        return _grant(row)

    def active(self, user_id: int, client_id: int, now: datetime) -> EmergencyGrant | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM emergency_access g JOIN user u ON u.id = g.user_id "  # noqa: S608 - constants
            "WHERE g.user_id = ? AND g.client_id = ? AND g.expires_at > ? "
            "AND g.started_at <= ? AND g.ended_at IS NULL ORDER BY g.expires_at DESC LIMIT 1",
            (user_id, client_id, utc_text(now), utc_text(now)),
        ).fetchone()
        return None if row is None else _grant(row)

    def end(self, grant: EmergencyGrant, now: datetime) -> EmergencyGrant:
        cur = self._conn.execute(
            "UPDATE emergency_access SET ended_at = ?, row_version = row_version + 1 "
            "WHERE id = ? AND row_version = ? AND ended_at IS NULL",
            (utc_text(now), grant.id, grant.row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(grant.id)

    def acknowledge(self, grant: EmergencyGrant, owner_id: int, now: datetime) -> EmergencyGrant:
        cur = self._conn.execute(
            "UPDATE emergency_access SET acknowledged_by = ?, acknowledged_at = ?, "
            "row_version = row_version + 1 "
            "WHERE id = ? AND row_version = ? AND acknowledged_at IS NULL",
            (owner_id, utc_text(now), grant.id, grant.row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(grant.id)

    def waiting(self, limit: int = 100) -> list[EmergencyNotice]:
        """Grants the owner has not acknowledged yet, oldest first."""
        rows = self._conn.execute(
            f"SELECT g.id, u.full_name, g.client_id, {CLIENT_NAME_SQL}, g.reason_category, "  # noqa: S608 - constants
            "g.started_at FROM emergency_access g JOIN user u ON u.id = g.user_id "
            "JOIN client c ON c.id = g.client_id "
            f"WHERE g.acknowledged_at IS NULL ORDER BY g.started_at {limit_sql(limit)}",
        )
        return [
            EmergencyNotice(int(i), str(u), int(c), str(n), ReasonCategory(str(r)), parse_utc(s))
            for i, u, c, n, r, s in rows
        ]

    def uses(
        self,
        *,
        waiting_only: bool = False,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
    ) -> list[EmergencyUse]:
        """Every use, newest first: for the owner's review (waiting: not acknowledged
        yet), or those that started in [since, until) for the audit report."""
        where, params = ["1"], list[object]()
        if waiting_only:
            where.append("g.acknowledged_at IS NULL")
        if since is not None:
            where.append("g.started_at >= ?")
            params.append(utc_text(since))
        if until is not None:
            where.append("g.started_at < ?")
            params.append(utc_text(until))
        rows = self._conn.execute(
            f"SELECT g.id, u.full_name, g.client_id, {CLIENT_NAME_SQL}, g.reason_category, "  # noqa: S608 - constants
            "g.started_at, g.expires_at, g.ended_at, g.acknowledged_at, a.full_name "
            "FROM emergency_access g JOIN user u ON u.id = g.user_id "
            "JOIN client c ON c.id = g.client_id LEFT JOIN user a ON a.id = g.acknowledged_by "
            f"WHERE {' AND '.join(where)} ORDER BY g.started_at DESC, g.id DESC LIMIT ?",
            (*params, limit),
        )
        return [
            EmergencyUse(
                int(i),
                str(u),
                int(c),
                str(n),
                ReasonCategory(str(r)),
                parse_utc(str(s)),
                parse_utc(str(e)),
                None if ended is None else parse_utc(str(ended)),
                None if acked is None else parse_utc(str(acked)),
                None if by is None else str(by),
            )
            for i, u, c, n, r, s, e, ended, acked, by in rows
        ]
