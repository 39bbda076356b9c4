"""The audit report: the events of a filtered audit view, on the shared page.

Audit events hold ids, names of staff and actions only, never clinical content, so the
report holds nothing else either. A very large view is cut at `MAX_EVENTS` with a line
saying so; the CSV export carries every event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from reportlab.platypus import Flowable, Paragraph, Spacer

from ehrdesk.core.chart import EmergencyUse
from ehrdesk.core.models import AuditEvent
from ehrdesk.reports.layout import PageDecoration, markup, paragraph_styles, render_document
from ehrdesk.reports.tables import data_table, fields, local_time, title_block

DOCUMENT_TITLE: Final = "Audit report"
#: Beyond this many events a PDF stops being read; the CSV export has them all.
MAX_EVENTS: Final = 5000


@dataclass(frozen=True)
class AuditReport:
    practice_name: str
    filter_description: str
    events: Sequence[AuditEvent]
    truncated: bool
    chain_note: str
    time_zone: str
    generated_at: datetime
    app_version: str
    #: Uses of emergency access that started in the report's period (any filter).
    emergency: Sequence[EmergencyUse] = ()


def _rows(report: AuditReport) -> list[list[str]]:
    zone = ZoneInfo(report.time_zone)
    return [
        [
            str(e.seq),
            local_time(e.at, zone),
            e.username or "—",
            (e.role or "").replace("_", " "),
            e.action.replace("_", " "),
            " ".join(p for p in (e.object_type, e.object_id) if p),
            e.reason or "",
        ]
        for e in report.events
    ]


def _emergency(report: AuditReport) -> list[Flowable]:
    """Emergency access in the period: each use, how long, and the owner's review."""
    styles = paragraph_styles()
    zone = ZoneInfo(report.time_zone)
    parts: list[Flowable] = [
        Spacer(1, 12),
        Paragraph("Emergency access in this period", styles["heading"]),
    ]
    if not report.emergency:
        return [*parts, Paragraph("No chart was opened with emergency access.", styles["small"])]
    now = report.generated_at
    rows = [
        [
            local_time(use.started_at, zone),
            use.user_name,
            f"client {use.client_id}",
            use.reason_category.value,
            f"{use.minutes(now)} min, {use.state(now)}",
            (
                f"{local_time(use.acknowledged_at, zone)} by {use.acknowledged_by_name}"
                if use.acknowledged_at is not None
                else "not yet"
            ),
        ]
        for use in report.emergency
    ]
    parts.append(
        data_table(
            ["Started", "Who", "Chart", "Reason", "How long", "Acknowledged"],
            rows,
            [0.16, 0.17, 0.12, 0.13, 0.18, 0.24],
        )
    )
    return parts


def render_audit_report(report: AuditReport) -> bytes:
    styles = paragraph_styles()

    def story() -> list[Flowable]:
        parts: list[Flowable] = title_block("Audit report", report.practice_name)
        parts.append(
            fields(
                [
                    ("Events shown", report.filter_description),
                    ("Number of events", f"{len(report.events):,}"),
                    ("Times", f"in {report.time_zone}"),
                    ("Audit chain", report.chain_note),
                ]
            )
        )
        parts.append(Spacer(1, 12))
        if report.truncated:
            parts += [
                Paragraph(
                    markup(
                        f"Only the newest {MAX_EVENTS:,} events are printed; export the same "
                        "view as CSV for all of them."
                    ),
                    styles["small"],
                ),
                Spacer(1, 6),
            ]
        if report.events:
            parts.append(
                data_table(
                    ["#", "Time", "User", "Role", "Action", "Object", "Reason"],
                    _rows(report),
                    [0.08, 0.16, 0.13, 0.1, 0.2, 0.15, 0.18],
                )
            )
        else:
            parts.append(Paragraph("No events match this view.", styles["body"]))
        parts += _emergency(report)
        return parts

    decoration = PageDecoration(
        report.practice_name, DOCUMENT_TITLE, report.generated_at, report.app_version
    )
    return render_document(story, decoration)
