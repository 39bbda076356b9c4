"""The incident register.

Incidents carry `row_version`: an update that matches no row raises
`ConcurrentEditError` instead of overwriting someone's work.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, Final

from ehrdesk.core.compliance import (
    Incident,
    IncidentDraft,
    IncidentStatus,
    RiskAssessment,
    RiskConclusion,
)
from ehrdesk.core.errors import ConcurrentEditError, NotFound
from ehrdesk.storage.audit import format_time
from ehrdesk.storage.database import Connection

_COLUMNS: Final = (
    "id, title, what_happened, occurred_from, occurred_until, discovered_at, "
    "risk_nature_extent, risk_unauthorized, risk_acquired_viewed, risk_mitigation, "
    "risk_conclusion, decisions, status, notified_on, created_at, updated_at, row_version"
)


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _stamp(value: datetime | None) -> str | None:
    return None if value is None else format_time(value)


def _draft_values(draft: IncidentDraft) -> tuple[Any, ...]:
    risk = draft.risk
    return (
        draft.title,
        draft.what_happened,
        _stamp(draft.occurred_from),
        _stamp(draft.occurred_until),
        format_time(draft.discovered_at),
        risk.nature_and_extent,
        risk.unauthorized_person,
        risk.acquired_or_viewed,
        risk.mitigation,
        risk.conclusion.value,
        draft.decisions,
        draft.status.value,
        None if draft.notified_on is None else draft.notified_on.isoformat(),
    )


class IncidentRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def _incident(self, row: tuple[Any, ...]) -> Incident:
        (
            iid,
            title,
            what,
            occ_from,
            occ_until,
            discovered,
            nature,
            unauthorized,
            viewed,
            mitigation,
            conclusion,
            decisions,
            status,
            notified,
            created,
            updated,
            version,
        ) = row
        clients = tuple(
            int(r[0])
            for r in self._conn.execute(
                "SELECT client_id FROM incident_client WHERE incident_id = ? ORDER BY client_id",
                (iid,),
            )
        )
        return Incident(
            id=int(iid),
            title=str(title),
            what_happened=str(what),
            occurred_from=_time(occ_from),
            occurred_until=_time(occ_until),
            discovered_at=datetime.fromisoformat(str(discovered)),
            risk=RiskAssessment(
                str(nature),
                str(unauthorized),
                str(viewed),
                str(mitigation),
                RiskConclusion(str(conclusion)),
            ),
            decisions=str(decisions),
            status=IncidentStatus(str(status)),
            notified_on=None if notified is None else date.fromisoformat(str(notified)),
            client_ids=clients,
            created_at=datetime.fromisoformat(str(created)),
            updated_at=datetime.fromisoformat(str(updated)),
            row_version=int(version),
        )

    def add(self, draft: IncidentDraft, *, now: datetime, by: int) -> Incident:
        cur = self._conn.execute(
            "INSERT INTO incident (title, what_happened, occurred_from, occurred_until, "
            "discovered_at, risk_nature_extent, risk_unauthorized, risk_acquired_viewed, "
            "risk_mitigation, risk_conclusion, decisions, status, notified_on, created_at, "
            "created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*_draft_values(draft), format_time(now), by, format_time(now)),
        )
        return self.get(int(cur.lastrowid))

    def update(self, incident: Incident, draft: IncidentDraft, *, now: datetime) -> Incident:
        cur = self._conn.execute(
            "UPDATE incident SET title = ?, what_happened = ?, occurred_from = ?, "
            "occurred_until = ?, discovered_at = ?, risk_nature_extent = ?, "
            "risk_unauthorized = ?, risk_acquired_viewed = ?, risk_mitigation = ?, "
            "risk_conclusion = ?, decisions = ?, status = ?, notified_on = ?, updated_at = ?, "
            "row_version = row_version + 1 WHERE id = ? AND row_version = ?",
            (*_draft_values(draft), format_time(now), incident.id, incident.row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(incident.id)

    def get(self, incident_id: int) -> Incident:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM incident WHERE id = ?",  # noqa: S608
            (incident_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That incident does not exist.")
        return self._incident(row)

    def all(self, *, open_only: bool = False) -> list[Incident]:
        sql = f"SELECT {_COLUMNS} FROM incident"  # noqa: S608
        if open_only:
            sql += " WHERE status = 'open'"
        sql += " ORDER BY discovered_at DESC, id DESC"
        return [self._incident(r) for r in self._conn.execute(sql).fetchall()]

    def add_clients(
        self, incident_id: int, client_ids: Iterable[int], *, source: str, now: datetime
    ) -> list[int]:
        """Add clients not yet listed; returns the ids that were new."""
        added = []
        for client_id in sorted(set(client_ids)):
            cur = self._conn.execute(
                "INSERT OR IGNORE INTO incident_client (incident_id, client_id, source, added_at) "
                "VALUES (?, ?, ?, ?)",
                (incident_id, client_id, source, format_time(now)),
            )
            if cur.rowcount == 1:
                added.append(client_id)
        return added

    def remove_client(self, incident_id: int, client_id: int) -> bool:
        cur = self._conn.execute(
            "DELETE FROM incident_client WHERE incident_id = ? AND client_id = ?",
            (incident_id, client_id),
        )
        return bool(cur.rowcount)
