"""The records that show a practice's safeguards work: staff security training,
business associates, the written incident-response plan (each save a new version),
and which password policy each user's current password was checked against.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ehrdesk.core.compliance import BusinessAssociate, ResponsePlan, TrainingRecord
from ehrdesk.core.errors import ConcurrentEditError, NotFound
from ehrdesk.storage.audit import format_time
from ehrdesk.storage.database import Connection


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(str(value))


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


class TrainingLog:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def add(
        self, user_id: int, completed_on: date, topic: str, *, now: datetime, by: int
    ) -> TrainingRecord:
        cur = self._conn.execute(
            "INSERT INTO training_record (user_id, completed_on, topic, recorded_at, recorded_by)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, completed_on.isoformat(), topic, format_time(now), by),
        )
        return next(r for r in self.all() if r.id == int(cur.lastrowid))

    def all(self) -> list[TrainingRecord]:
        rows = self._conn.execute(
            "SELECT t.id, t.user_id, u.username, t.completed_on, t.topic FROM training_record t "
            "JOIN user u ON u.id = t.user_id ORDER BY t.completed_on DESC, t.id DESC"
        )
        return [
            TrainingRecord(int(i), int(uid), str(name), date.fromisoformat(str(on)), str(topic))
            for i, uid, name, on, topic in rows
        ]

    def last_by_user(self) -> dict[int, date]:
        rows = self._conn.execute(
            "SELECT user_id, max(completed_on) FROM training_record GROUP BY user_id"
        )
        return {int(uid): date.fromisoformat(str(on)) for uid, on in rows}


_BA_COLUMNS = "id, vendor, handles, agreement_signed_on, next_review_on, active, row_version"


class BusinessAssociates:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    @staticmethod
    def _associate(row: tuple[Any, ...]) -> BusinessAssociate:
        i, vendor, handles, signed, review, active, version = row
        return BusinessAssociate(
            int(i),
            str(vendor),
            str(handles),
            _date(signed),
            _date(review),
            bool(active),
            int(version),
        )

    def add(
        self,
        vendor: str,
        handles: str,
        signed_on: date | None,
        review_on: date | None,
        *,
        now: datetime,
    ) -> BusinessAssociate:
        cur = self._conn.execute(
            "INSERT INTO business_associate (vendor, handles, agreement_signed_on, "
            "next_review_on, updated_at) VALUES (?, ?, ?, ?, ?)",
            (vendor, handles, _iso(signed_on), _iso(review_on), format_time(now)),
        )
        return self.get(int(cur.lastrowid))

    def update(
        self, associate: BusinessAssociate, replacement: BusinessAssociate, *, now: datetime
    ) -> BusinessAssociate:
        cur = self._conn.execute(
            "UPDATE business_associate SET vendor = ?, handles = ?, agreement_signed_on = ?, "
            "next_review_on = ?, active = ?, updated_at = ?, row_version = row_version + 1 "
            "WHERE id = ? AND row_version = ?",
            (
                replacement.vendor,
                replacement.handles,
                _iso(replacement.agreement_signed_on),
                _iso(replacement.next_review_on),
                int(replacement.active),
                format_time(now),
                associate.id,
                associate.row_version,
            ),
        )
        if cur.rowcount != 1:
            raise ConcurrentEditError
        return self.get(associate.id)

    def get(self, associate_id: int) -> BusinessAssociate:
        row = self._conn.execute(
            f"SELECT {_BA_COLUMNS} FROM business_associate WHERE id = ?",  # noqa: S608
            (associate_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That business associate is not in the list.")
        return self._associate(row)

    def all(self) -> list[BusinessAssociate]:
        rows = self._conn.execute(
            f"SELECT {_BA_COLUMNS} FROM business_associate "  # noqa: S608
            "ORDER BY active DESC, vendor COLLATE NOCASE, id"
        )
        return [self._associate(r) for r in rows]


class ResponsePlans:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def save(
        self, roles: str, steps: str, contacts: str, *, now: datetime, by: int
    ) -> ResponsePlan:
        self._conn.execute(
            "INSERT INTO response_plan_version (roles, steps, contacts, saved_at, saved_by) "
            "VALUES (?, ?, ?, ?, ?)",
            (roles, steps, contacts, format_time(now), by),
        )
        current = self.current()
        assert current is not None
        return current

    def history(self) -> list[ResponsePlan]:
        rows = self._conn.execute(
            "SELECT p.version, p.roles, p.steps, p.contacts, p.saved_at, "
            "coalesce(u.username, '') FROM response_plan_version p "
            "LEFT JOIN user u ON u.id = p.saved_by ORDER BY p.version DESC"
        )
        return [
            ResponsePlan(int(v), str(r), str(s), str(c), datetime.fromisoformat(str(at)), str(by))
            for v, r, s, c, at, by in rows
        ]

    def current(self) -> ResponsePlan | None:
        history = self.history()
        return history[0] if history else None


class PasswordPolicyChecks:
    """Which policy (by fingerprint) each user's current password passed when set."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def record(self, user_id: int, fingerprint: str, now: datetime) -> None:
        self._conn.execute(
            "INSERT INTO password_policy_check (user_id, policy_fingerprint, checked_at) "
            "VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
            "policy_fingerprint = excluded.policy_fingerprint, checked_at = excluded.checked_at",
            (user_id, fingerprint, format_time(now)),
        )

    def all(self) -> dict[int, str]:
        rows = self._conn.execute("SELECT user_id, policy_fingerprint FROM password_policy_check")
        return {int(uid): str(fp) for uid, fp in rows}
