"""The day's or the week's schedule, for one clinician or the whole practice.

For the front desk's clipboard and the clinician's door: times, clients' names, the
appointment type, the room or place, the clinician and the status. No clinical content
is ever read to make it (the schedule's own rows only). Cancelled appointments are left
out, as the schedule view leaves them out; a no-show stays, marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer

from ehrdesk import __version__
from ehrdesk.core.front_desk import AppointmentStatus, ScheduleEntry
from ehrdesk.reports.layout import PageDecoration, markup, paragraph_styles, render_document
from ehrdesk.reports.tables import data_table, title_block

DOCUMENT_TITLE: Final = "Schedule"


@dataclass(frozen=True)
class SchedulePrintout:
    practice_name: str
    first_day: date
    days: int
    whose: str  # a clinician's name, or "Whole practice"
    entries: Sequence[ScheduleEntry]
    clinician_names: dict[int, str]
    time_zone: str
    generated_at: datetime


def render_schedule(printout: SchedulePrintout) -> bytes:
    zone = ZoneInfo(printout.time_zone)
    styles = paragraph_styles()
    practice_wide = printout.whose == "Whole practice"

    def story() -> list[Flowable]:
        first, last = printout.first_day, printout.first_day + timedelta(days=printout.days - 1)
        span = f"{first:%A %d %B %Y}" if printout.days == 1 else f"{first:%d %B} – {last:%d %B %Y}"
        parts = title_block(
            "Schedule", f"{printout.whose} · {span}", f"Times in {printout.time_zone}."
        )
        shown = [
            e for e in printout.entries if e.appointment.status is not AppointmentStatus.CANCELLED
        ]
        for offset in range(printout.days):
            day = first + timedelta(days=offset)
            todays = [e for e in shown if e.appointment.starts_at.astimezone(zone).date() == day]
            parts += [
                CondPageBreak(80),
                Paragraph(markup(f"{day:%A %d %B}"), styles["heading"]),
            ]
            if not todays:
                parts += [Paragraph("No appointments.", styles["small"]), Spacer(1, 6)]
                continue
            rows = []
            for entry in todays:
                a = entry.appointment
                start, end = a.starts_at.astimezone(zone), a.ends_at.astimezone(zone)
                where = entry.room_name or a.location or ("Telehealth" if a.telehealth_link else "")
                row = [f"{start:%H:%M}–{end:%H:%M}", entry.client_name, entry.type_label, where]
                if practice_wide:
                    row.append(printout.clinician_names.get(a.clinician_id, ""))
                row.append(a.status.label)
                rows.append(row)
            headers = ["Time", "Client", "Type", "Room or place"]
            widths = [0.14, 0.3, 0.16, 0.18]
            if practice_wide:
                headers.append("Clinician")
                widths = [0.13, 0.25, 0.13, 0.15, 0.2]
            headers.append("Status")
            widths.append(1 - sum(widths))
            parts += [data_table(headers, rows, widths), Spacer(1, 8)]
        return parts

    decoration = PageDecoration(
        printout.practice_name, f"{DOCUMENT_TITLE} — {printout.whose}", printout.generated_at,
        __version__,
    )  # fmt: skip
    return render_document(story, decoration)
