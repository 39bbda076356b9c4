"""Diagnoses: the current state in `diagnosis`, every change appended to
`diagnosis_change`. A code is never edited or removed (the schema refuses it); a wrong
one is marked "entered in error" and a right one added."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from ehrdesk.core.chart import Diagnosis, DiagnosisChange, DiagnosisStatus
from ehrdesk.core.errors import ConcurrentEditError, NotFound
from ehrdesk.storage.chart import parse_date, parse_utc, utc_text
from ehrdesk.storage.database import Connection

_COLUMNS = (
    "d.id, d.client_id, d.code, d.description, d.onset, d.status, d.is_primary, "
    "u.full_name, d.added_at, d.row_version"
)


@dataclass(frozen=True, slots=True)
class HistoricalDiagnosis:
    """A diagnosis added in the past (bulk path)."""

    id: int
    client_id: int
    code: str
    description: str
    onset: date | None
    primary: bool
    added_by: int
    added_at: datetime


def _diagnosis(row: tuple[object, ...]) -> Diagnosis:
    did, client, code, description, onset, status, primary, by, at, version = row
    return Diagnosis(
        id=int(str(did)),
        client_id=int(str(client)),
        code=str(code),
        description=str(description),
        onset=parse_date(None if onset is None else str(onset)),
        status=DiagnosisStatus(str(status)),
        primary=bool(primary),
        added_by_name=str(by),
        added_at=parse_utc(str(at)),
        row_version=int(str(version)),
    )


class DiagnosisRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(
        self,
        client_id: int,
        code: str,
        description: str,
        onset: date | None,
        primary: bool,
        user_id: int,
        now: datetime,
    ) -> Diagnosis:
        if primary:
            self._clear_primary(client_id, user_id, now)
        cur = self._conn.execute(
            "INSERT INTO diagnosis (client_id, code, description, onset, is_primary, "
            "added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                client_id,
                code,
                description,
                None if onset is None else onset.isoformat(),
                int(primary),
                user_id,
                utc_text(now),
            ),
        )
        diagnosis = self.get(int(cur.lastrowid))
        self._history(diagnosis, user_id, now)
        return diagnosis

    def add_many(self, rows: list[HistoricalDiagnosis]) -> None:
        """Bulk-insert diagnoses made in the past, each with its first history row, as
        `add` leaves them (the synthetic practices' generator; at most one primary a
        client, and no earlier primary to clear)."""
        self._conn.executemany(
            "INSERT INTO diagnosis (id, client_id, code, description, onset, is_primary, "
            "added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.id,
                    r.client_id,
                    r.code,
                    r.description,
                    None if r.onset is None else r.onset.isoformat(),
                    int(r.primary),
                    r.added_by,
                    utc_text(r.added_at),
                )
                for r in rows
            ],
        )
        self._conn.executemany(
            "INSERT INTO diagnosis_change (diagnosis_id, status, is_primary, changed_at, "
            "changed_by) VALUES (?, 'active', ?, ?, ?)",
            [(r.id, int(r.primary), utc_text(r.added_at), r.added_by) for r in rows],
        )

    def get(self, diagnosis_id: int) -> Diagnosis:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM diagnosis d JOIN user u ON u.id = d.added_by "  # noqa: S608 - constants
            "WHERE d.id = ?",
            (diagnosis_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That diagnosis does not exist.")
        return _diagnosis(row)

    def for_client(self, client_id: int, *, active_only: bool = False) -> list[Diagnosis]:
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM diagnosis d JOIN user u ON u.id = d.added_by "  # noqa: S608 - constants
            "WHERE d.client_id = ? AND (d.status = 'active' OR NOT ?) "
            "ORDER BY d.is_primary DESC, d.status, d.id",
            (client_id, int(active_only)),
        )
        return [_diagnosis(r) for r in rows]

    def change(
        self,
        diagnosis: Diagnosis,
        *,
        status: DiagnosisStatus,
        primary: bool,
        user_id: int,
        now: datetime,
    ) -> Diagnosis:
        primary = primary and status is DiagnosisStatus.ACTIVE
        if primary and not diagnosis.primary:
            self._clear_primary(diagnosis.client_id, user_id, now)
        cur = self._conn.execute(
            "UPDATE diagnosis SET status = ?, is_primary = ?, row_version = row_version + 1 "
            "WHERE id = ? AND row_version = ?",
            (status.value, int(primary), diagnosis.id, diagnosis.row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        changed = self.get(diagnosis.id)
        self._history(changed, user_id, now)
        return changed

    def _clear_primary(self, client_id: int, user_id: int, now: datetime) -> None:
        for row in self._conn.execute(
            "SELECT id FROM diagnosis WHERE client_id = ? AND is_primary = 1", (client_id,)
        ).fetchall():
            self._conn.execute(
                "UPDATE diagnosis SET is_primary = 0, row_version = row_version + 1 WHERE id = ?",
                (row[0],),
            )
            self._history(self.get(int(row[0])), user_id, now)

    def _history(self, diagnosis: Diagnosis, user_id: int, now: datetime) -> None:
        self._conn.execute(
            "INSERT INTO diagnosis_change (diagnosis_id, status, is_primary, changed_at, "
            "changed_by) VALUES (?, ?, ?, ?, ?)",
            (diagnosis.id, diagnosis.status.value, int(diagnosis.primary), utc_text(now), user_id),
        )

    def history(self, diagnosis_id: int) -> list[DiagnosisChange]:
        rows = self._conn.execute(
            "SELECT h.status, h.is_primary, h.changed_at, u.full_name FROM diagnosis_change h "
            "JOIN user u ON u.id = h.changed_by WHERE h.diagnosis_id = ? ORDER BY h.id",
            (diagnosis_id,),
        )
        return [
            DiagnosisChange(DiagnosisStatus(str(s)), bool(p), parse_utc(str(at)), str(by))
            for s, p, at, by in rows
        ]
