"""The chart's timeline, which merges every kind of chart entry, and the chart's stored
time format.

Who the client is and their appointments are the front desk's repositories'
(storage/clients.py, storage/appointments.py); the timeline asks them. It is read
newest first by keyset: each table answers `(client_id, at, id) < cursor` from its
own index with at most one page, and the pages are merged here, so a chart with a
thousand notes costs the same as one with ten.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from ehrdesk.core.chart import (
    TimelineCursor,
    TimelineEntry,
    TimelineKind,
    TimelinePage,
)
from ehrdesk.core.measures import Instrument
from ehrdesk.storage.appointments import AppointmentRepository, OlderThan
from ehrdesk.storage.database import Connection, limit_sql
from ehrdesk.storage.stamps import parse_stamp
from ehrdesk.storage.users import UserRepository

_STAMP = "%Y-%m-%dT%H:%M:%SZ"


def utc_text(moment: datetime) -> str:
    """'YYYY-MM-DDTHH:MM:SSZ', the chart's (and the schedule's) stored form of a time."""
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware datetime is needed")
    return moment.astimezone(UTC).strftime(_STAMP)


def parse_utc(text: str) -> datetime:
    """A stored time back (fromisoformat: strptime was a third of a chart's opening)."""
    return parse_stamp(text)


def parse_date(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


class ChartRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # The timeline ----------------------------------------------------------------

    def timeline(
        self,
        client_id: int,
        *,
        viewer_id: int,
        before: TimelineCursor | None,
        limit: int,
    ) -> TimelinePage:
        """One page, newest first. Psychotherapy notes appear only to their author."""
        entries = self._appointments(client_id, _older_than(before), limit + 1)
        for kind, fetch in (
            (TimelineKind.NOTE, self._notes),
            (TimelineKind.MEASURE, self._measures),
            (TimelineKind.INTAKE, self._intakes),
            (TimelineKind.PLAN, self._plans),
            (TimelineKind.PSYCHOTHERAPY, self._psychotherapy),
        ):
            where, params = _keyset(kind, before)
            entries += fetch(client_id, viewer_id, where, params, limit + 1)
        entries.sort(key=lambda e: e.cursor, reverse=True)
        return TimelinePage(tuple(entries[:limit]), len(entries) > limit)

    def _rows(self, sql: str, params: tuple[object, ...]) -> list[tuple[object, ...]]:
        return list(self._conn.execute(sql, params))

    def _notes(
        self, client_id: int, viewer: int, where: str, params: tuple[object, ...], limit: int
    ) -> list[TimelineEntry]:
        rows = self._rows(
            "SELECT n.service_at, n.id, n.template_name, n.cpt_code, n.duration_minutes, "  # noqa: S608 - fixed fragments
            "n.status, u.full_name, "
            "(SELECT count(*) FROM note_addendum a WHERE a.note_id = n.id) "
            "FROM progress_note n JOIN user u ON u.id = n.author_id "
            f"WHERE n.client_id = ? AND {where.format(at='n.service_at', id='n.id')} "
            f"ORDER BY n.service_at DESC, n.id DESC {limit_sql(limit)}",
            (client_id, *params),
        )
        out = []
        for at, nid, template, cpt, minutes, status, author, addenda in rows:
            title = f"{template} note" + (f" · {cpt}" if cpt else "") + f" · {minutes} min"
            detail = f"{'Signed' if status == 'signed' else 'Draft'} · {author}"
            if addenda:
                detail += f" · {addenda} addend{'um' if addenda == 1 else 'a'}"
            out.append(_entry(TimelineKind.NOTE, nid, at, title, detail, status == "draft"))
        return out

    def _appointments(
        self, client_id: int, older: OlderThan | None, limit: int
    ) -> list[TimelineEntry]:
        """From the front desk's repository; type labels and clinicians' names from their
        small tables once a page, not joined to each row."""
        repo = AppointmentRepository(self._conn)
        found = repo.for_client(client_id, older_than=older, limit=limit)
        if not found:
            return []
        labels = {t.code: t.label for t in repo.types(active_only=False)}
        names = {u.id: u.full_name for u in UserRepository(self._conn).all()}
        out = []
        for a in found:
            minutes = round((a.ends_at - a.starts_at).total_seconds() / 60)
            out.append(
                _entry(
                    TimelineKind.APPOINTMENT,
                    a.id,
                    utc_text(a.starts_at),
                    f"{labels.get(a.type_code, a.type_code)} appointment · {minutes} min",
                    f"{a.status.label} · {names.get(a.clinician_id, '')}",
                )
            )
        return out

    def _measures(
        self, client_id: int, viewer: int, where: str, params: tuple[object, ...], limit: int
    ) -> list[TimelineEntry]:
        rows = self._rows(
            "SELECT m.administered_at, m.id, m.instrument, m.total, m.band, m.risk_flag, "  # noqa: S608 - fixed fragments
            "m.by_client, m.voided_at FROM measure_result m "
            f"WHERE m.client_id = ? AND {where.format(at='m.administered_at', id='m.id')} "
            f"ORDER BY m.administered_at DESC, m.id DESC {limit_sql(limit)}",
            (client_id, *params),
        )
        out = []
        for at, mid, instrument, total, band, risk, by_client, voided in rows:
            name = Instrument(str(instrument)).label
            title = f"{name} · {total} ({band})"
            detail = "Filled in by the client" if by_client else "Entered by the clinician"
            if voided:
                detail = "Voided: entered in error"
            if risk and not voided:
                detail += " · item 9 above zero"
            out.append(
                _entry(TimelineKind.MEASURE, mid, at, title, detail, bool(risk) and not voided)
            )
        return out

    def _intakes(
        self, client_id: int, viewer: int, where: str, params: tuple[object, ...], limit: int
    ) -> list[TimelineEntry]:
        rows = self._rows(
            "SELECT i.created_at, i.id, i.status, u.full_name FROM intake_assessment i "  # noqa: S608 - fixed fragments
            "JOIN user u ON u.id = i.author_id "
            f"WHERE i.client_id = ? AND {where.format(at='i.created_at', id='i.id')} "
            f"ORDER BY i.created_at DESC, i.id DESC {limit_sql(limit)}",
            (client_id, *params),
        )
        return [
            _entry(
                TimelineKind.INTAKE,
                iid,
                at,
                "Intake assessment",
                f"{'Signed' if status == 'signed' else 'Draft'} · {author}",
                status == "draft",
            )
            for at, iid, status, author in rows
        ]

    def _plans(
        self, client_id: int, viewer: int, where: str, params: tuple[object, ...], limit: int
    ) -> list[TimelineEntry]:
        rows = self._rows(
            "SELECT p.created_at, p.id, p.status, p.review_date, u.full_name "  # noqa: S608 - fixed fragments
            "FROM treatment_plan p JOIN user u ON u.id = p.author_id "
            f"WHERE p.client_id = ? AND {where.format(at='p.created_at', id='p.id')} "
            f"ORDER BY p.created_at DESC, p.id DESC {limit_sql(limit)}",
            (client_id, *params),
        )
        return [
            _entry(
                TimelineKind.PLAN,
                pid,
                at,
                f"Treatment plan · review by {review}",
                f"{'Signed' if status == 'signed' else 'Draft'} · {author}",
                status == "draft",
            )
            for at, pid, status, review, author in rows
        ]

    def _psychotherapy(
        self, client_id: int, viewer: int, where: str, params: tuple[object, ...], limit: int
    ) -> list[TimelineEntry]:
        rows = self._rows(
            "SELECT p.created_at, p.id FROM psychotherapy_note p "  # noqa: S608 - fixed fragments
            "WHERE p.author_id = ? AND p.client_id = ? "
            f"AND {where.format(at='p.created_at', id='p.id')} "
            f"ORDER BY p.created_at DESC, p.id DESC {limit_sql(limit)}",
            (viewer, client_id, *params),
        )
        return [
            _entry(
                TimelineKind.PSYCHOTHERAPY,
                pid,
                at,
                "Psychotherapy note",
                "Yours alone · left out of prints unless you include it",
            )
            for at, pid in rows
        ]


def _keyset(kind: TimelineKind, before: TimelineCursor | None) -> tuple[str, tuple[object, ...]]:
    """The condition "older than the cursor" for one table, whose kind is fixed: an
    index range on (client_id, at, id) whichever side of the cursor's kind it is."""
    if before is None:
        return "1", ()
    if kind.value < before.kind:
        return "{at} <= ?", (before.at,)
    if kind.value > before.kind:
        return "{at} < ?", (before.at,)
    return "({at}, {id}) < (?, ?)", (before.at, before.id)


def _older_than(before: TimelineCursor | None) -> OlderThan | None:
    """`_keyset` for the appointments, in the appointment repository's terms."""
    if before is None:
        return None
    kind = TimelineKind.APPOINTMENT.value
    if kind < before.kind:
        return OlderThan(before.at, inclusive=True)
    if kind > before.kind:
        return OlderThan(before.at)
    return OlderThan(before.at, before.id)


def _entry(
    kind: TimelineKind,
    entry_id: object,
    at: object,
    title: str,
    detail: str,
    flagged: bool = False,
) -> TimelineEntry:
    stamp, ident = str(at), int(str(entry_id))
    return TimelineEntry(
        kind,
        ident,
        parse_utc(stamp),
        title,
        detail,
        TimelineCursor(stamp, kind.value, ident),
        flagged,
    )
