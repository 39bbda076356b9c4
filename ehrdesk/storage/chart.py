"""The chart's shared reads: who the client is, whom they are assigned to, an
appointment's facts, and the timeline that merges every kind of chart entry.

The client and appointment tables belong to the front desk's repositories; the chart
reads only the few columns it needs here, with narrow queries (to be swapped for those
repositories' own reads at merge). The timeline is read newest first by keyset: each
table answers `(client_id, at, id) < cursor` from its own index with at most one
page, and the pages are merged here, so a chart with a thousand notes costs the same
as one with ten.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from ehrdesk.core.chart import (
    AppointmentFacts,
    TimelineCursor,
    TimelineEntry,
    TimelineKind,
    TimelinePage,
)
from ehrdesk.core.errors import NotFound
from ehrdesk.core.measures import Instrument
from ehrdesk.storage.database import Connection, limit_sql
from ehrdesk.storage.stamps import parse_stamp

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


def display_name(last: str, first: str, preferred: str) -> str:
    """As `Client.display_name` says it: "Last, First (Preferred)"."""
    if preferred and preferred != first:
        first = f"{first} ({preferred})"
    return f"{last}, {first}"


#: The client's name as SQL, for lists that join the client table.
CLIENT_NAME_SQL = (
    "c.legal_last_name || ', ' || c.legal_first_name || "
    "CASE WHEN c.preferred_name != '' AND c.preferred_name != c.legal_first_name "
    "THEN ' (' || c.preferred_name || ')' ELSE '' END"
)


class ChartRepository:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    # The client and the people around them ------------------------------------

    def client_facts(self, client_id: int) -> tuple[str, date, str, int | None, str | None]:
        """(display name, date of birth, pronouns, assigned clinician id and name)."""
        row = self._conn.execute(
            "SELECT c.legal_last_name, c.legal_first_name, c.preferred_name, "
            "c.date_of_birth, c.pronouns, c.assigned_clinician_id, u.full_name "
            "FROM client c LEFT JOIN user u ON u.id = c.assigned_clinician_id "
            "WHERE c.id = ?",
            (client_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That client does not exist.")
        last, first, preferred, born, pronouns, clinician_id, clinician = row
        return (
            display_name(last, first, preferred),
            date.fromisoformat(born),
            str(pronouns),
            None if clinician_id is None else int(clinician_id),
            None if clinician is None else str(clinician),
        )

    def assigned_clinician(self, client_id: int) -> int | None:
        row = self._conn.execute(
            "SELECT assigned_clinician_id FROM client WHERE id = ?", (client_id,)
        ).fetchone()
        if row is None:
            raise NotFound("That client does not exist.")
        return None if row[0] is None else int(row[0])

    def client_names(self, client_ids: set[int]) -> dict[int, str]:
        names: dict[int, str] = {}
        ids = sorted(client_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn.execute(
                f"SELECT c.id, {CLIENT_NAME_SQL} FROM client c WHERE c.id IN ({marks})",  # noqa: S608 - placeholders only
                chunk,
            )
            names.update((int(r[0]), str(r[1])) for r in rows)
        return names

    def user_name(self, user_id: int) -> str:
        row = self._conn.execute("SELECT full_name FROM user WHERE id = ?", (user_id,)).fetchone()
        return "" if row is None else str(row[0])

    def appointment(self, appointment_id: int) -> AppointmentFacts:
        row = self._conn.execute(
            "SELECT a.id, a.client_id, a.clinician_id, a.starts_at, a.ends_at, "
            "CASE WHEN a.location != '' THEN a.location "
            "     WHEN t.is_telehealth THEN 'Telehealth' ELSE coalesce(r.name, '') END, "
            "a.type_code "
            "FROM appointment a JOIN appointment_type t ON t.code = a.type_code "
            "LEFT JOIN room r ON r.id = a.room_id WHERE a.id = ?",
            (appointment_id,),
        ).fetchone()
        if row is None:
            raise NotFound("That appointment does not exist.")
        aid, client_id, clinician_id, starts, ends, location, type_code = row
        return AppointmentFacts(
            int(aid),
            int(client_id),
            int(clinician_id),
            parse_utc(starts),
            parse_utc(ends),
            str(location),
            str(type_code),
        )

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
        entries: list[TimelineEntry] = []
        for kind, fetch in (
            (TimelineKind.NOTE, self._notes),
            (TimelineKind.APPOINTMENT, self._appointments),
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
        self, client_id: int, viewer: int, where: str, params: tuple[object, ...], limit: int
    ) -> list[TimelineEntry]:
        rows = self._rows(
            "SELECT a.starts_at, a.id, t.label, a.status, u.full_name, a.ends_at "  # noqa: S608 - fixed fragments
            "FROM appointment a JOIN appointment_type t ON t.code = a.type_code "
            "JOIN user u ON u.id = a.clinician_id "
            f"WHERE a.client_id = ? AND {where.format(at='a.starts_at', id='a.id')} "
            f"ORDER BY a.starts_at DESC, a.id DESC {limit_sql(limit)}",
            (client_id, *params),
        )
        out = []
        for at, aid, label, status, clinician, ends in rows:
            minutes = round((parse_utc(str(ends)) - parse_utc(str(at))).total_seconds() / 60)
            state = str(status).replace("_", " ").replace("no show", "no-show").capitalize()
            out.append(
                _entry(
                    TimelineKind.APPOINTMENT,
                    aid,
                    at,
                    f"{label} appointment · {minutes} min",
                    f"{state} · {clinician}",
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
                "Yours alone · kept out of every print and export",
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
