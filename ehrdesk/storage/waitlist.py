"""The waitlist: clients waiting for a slot, and what would suit them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ehrdesk.core.errors import ConcurrentEditError, NotFound
from ehrdesk.core.front_desk import WaitlistDraft, WaitlistEntry
from ehrdesk.storage.database import Connection
from ehrdesk.storage.stamps import parse_stamp, stamp

_COLUMNS = (
    "id, client_id, clinician_id, type_code, weekdays, times_of_day, notes, status, "
    "added_at, row_version"
)


def _split(text: object) -> tuple[str, ...]:
    return tuple(p for p in str(text).split(",") if p)


def _entry(row: Sequence[object]) -> WaitlistEntry:
    eid, client, clinician, type_code, weekdays, times, notes, status, added, version = row
    return WaitlistEntry(
        id=int(str(eid)),
        client_id=int(str(client)),
        clinician_id=None if clinician is None else int(str(clinician)),
        type_code=str(type_code),
        weekdays=_split(weekdays),
        times_of_day=_split(times),
        notes=str(notes),
        status=str(status),
        added_at=parse_stamp(str(added)),
        row_version=int(str(version)),
    )


class WaitlistRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(self, draft: WaitlistDraft, now: datetime, by: int | None) -> WaitlistEntry:
        cur = self._conn.execute(
            "INSERT INTO waitlist_entry (client_id, clinician_id, type_code, weekdays, "
            "times_of_day, notes, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                draft.client_id,
                draft.clinician_id,
                draft.type_code,
                ",".join(draft.weekdays),
                ",".join(draft.times_of_day),
                draft.notes,
                stamp(now),
                by,
            ),
        )
        return self.get(int(cur.lastrowid))

    def add_many(self, rows: Sequence[tuple[int, WaitlistDraft, datetime, int | None]]) -> None:
        self._conn.executemany(
            "INSERT INTO waitlist_entry (id, client_id, clinician_id, type_code, weekdays, "
            "times_of_day, notes, added_at, added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    eid,
                    d.client_id,
                    d.clinician_id,
                    d.type_code,
                    ",".join(d.weekdays),
                    ",".join(d.times_of_day),
                    d.notes,
                    stamp(at),
                    by,
                )
                for eid, d, at, by in rows
            ],
        )

    def get(self, entry_id: int) -> WaitlistEntry:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM waitlist_entry WHERE id = ?",  # noqa: S608
            (entry_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That waitlist entry does not exist.")
        return _entry(row)

    def waiting(self, *, after_id: int = 0, limit: int = 200) -> list[WaitlistEntry]:
        """Oldest first: who has waited longest is offered first."""
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM waitlist_entry WHERE status = 'waiting' AND id > ? "  # noqa: S608
            "ORDER BY added_at, id LIMIT ?",
            (after_id, limit),
        )
        return [_entry(r) for r in rows]

    def candidates(self, clinician_id: int, type_code: str) -> list[WaitlistEntry]:
        rows = self._conn.execute(
            f"SELECT {_COLUMNS} FROM waitlist_entry WHERE status = 'waiting' "  # noqa: S608
            "AND type_code = ? AND (clinician_id IS NULL OR clinician_id = ?) "
            "ORDER BY added_at, id",
            (type_code, clinician_id),
        )
        return [_entry(r) for r in rows]

    def set_status(self, entry: WaitlistEntry, status: str) -> WaitlistEntry:
        cur = self._conn.execute(
            "UPDATE waitlist_entry SET status = ?, row_version = row_version + 1 "
            "WHERE id = ? AND row_version = ?",
            (status, entry.id, entry.row_version),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(entry.id)

    def count_waiting(self) -> int:
        row = self._conn.execute(
            "SELECT count(*) FROM waitlist_entry WHERE status = 'waiting'"
        ).fetchone()
        return int(row[0])
