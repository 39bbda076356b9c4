"""Two per-client accounts of who had the record: the accounting of disclosures (every
time it left for someone other than the client, and why it could) and "who opened this
record" (the audit log's events about the client, for the owner).

The access report names staff and actions only, never clinical words: audit events hold
ids, and the report adds only the client's name and date of birth at the top.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from reportlab.platypus import Flowable, Paragraph, Spacer

from ehrdesk import __version__
from ehrdesk.core.models import AuditEvent
from ehrdesk.core.records import Disclosure, categories_text
from ehrdesk.reports.layout import PageDecoration, markup, paragraph_styles, render_document
from ehrdesk.reports.tables import data_table, fields, local_time, title_block

ACCOUNTING_TITLE: Final = "Accounting of disclosures"
ACCESS_TITLE: Final = "Who opened this record"
#: Plain words for the audit actions a client's record collects.
ACTION_WORDS: Final = {
    "client_viewed": "Opened the client's details",
    "client_created": "Created the client's record",
    "client_updated": "Changed the client's details",
    "chart_opened": "Opened the chart",
    "chart_access_denied": "Was refused the chart",
    "emergency_access_started": "Opened the chart with emergency access",
    "emergency_access_ended": "Ended emergency access",
    "record_printed": "Printed the record",
    "record_exported": "Exported the record",
    "client_form_started": "Handed a questionnaire to the client",
    "permission_denied": "Was refused",
    "breach_letter_generated": "Made a breach notification letter",
    "release_recorded": "Recorded a release of information",
    "release_revoked": "Recorded a release's revocation",
    "release_form_attached": "Attached a signed release form",
    "release_signed_on_screen": "Had a release signed on screen",
    "release_form_viewed": "Viewed a signed release form",
    "audit_report_printed": "Printed this access report",
    "audit_log_exported": "Saved this access report",
}


@dataclass(frozen=True)
class AccountingReport:
    practice_name: str
    client_name: str
    client_born: date
    disclosures: Sequence[Disclosure]
    time_zone: str
    generated_at: datetime


def render_accounting(report: AccountingReport) -> bytes:
    zone = ZoneInfo(report.time_zone)
    styles = paragraph_styles()

    def story() -> list[Flowable]:
        parts = title_block(
            ACCOUNTING_TITLE,
            report.client_name,
            "Every time this client's record was given to someone other than the client: "
            "when, to whom, what, why, and on what authority.",
        )
        parts.append(
            fields(
                [
                    ("Client", report.client_name),
                    ("Date of birth", report.client_born.isoformat()),
                    ("Disclosures", str(len(report.disclosures))),
                    ("Times", f"in {report.time_zone}"),
                ]
            )
        )
        parts.append(Spacer(1, 12))
        if not report.disclosures:
            parts.append(Paragraph("No disclosure has been made.", styles["body"]))
            return parts
        rows = [
            [
                local_time(d.disclosed_at, zone),
                d.recipient,
                categories_text(d.categories) + f" ({d.period_text})",
                d.purpose,
                d.basis_text,
                f"{d.by_name} · {d.delivery.label.lower()}",
            ]
            for d in report.disclosures
        ]
        parts.append(
            data_table(
                ["When", "To whom", "What", "Purpose", "Authority", "By, how"],
                rows,
                [0.13, 0.16, 0.22, 0.15, 0.18, 0.16],
            )
        )
        return parts

    decoration = PageDecoration(
        report.practice_name,
        f"{ACCOUNTING_TITLE} — {report.client_name}",
        report.generated_at,
        __version__,
    )
    return render_document(story, decoration)


@dataclass(frozen=True)
class AccessReport:
    practice_name: str
    client_id: int
    client_name: str
    client_born: date
    events: Sequence[AuditEvent]
    truncated: bool
    staff_names: dict[int, str]
    time_zone: str
    generated_at: datetime


def render_access_report(report: AccessReport) -> bytes:
    zone = ZoneInfo(report.time_zone)
    styles = paragraph_styles()

    def story() -> list[Flowable]:
        parts = title_block(
            ACCESS_TITLE,
            report.client_name,
            "Everyone who opened, changed, printed or exported this client's record, from "
            "the practice's audit log, newest first.",
        )
        parts.append(
            fields(
                [
                    ("Client", f"{report.client_name} (#{report.client_id})"),
                    ("Date of birth", report.client_born.isoformat()),
                    ("Events", f"{len(report.events):,}"),
                    ("Times", f"in {report.time_zone}"),
                ]
            )
        )
        parts.append(Spacer(1, 12))
        if report.truncated:
            parts += [
                Paragraph(
                    markup("Only the newest events are printed; the audit screen has them all."),
                    styles["small"],
                ),
                Spacer(1, 6),
            ]
        if not report.events:
            parts.append(Paragraph("No one has opened this record yet.", styles["body"]))
            return parts
        rows = [
            [
                local_time(e.at, zone),
                report.staff_names.get(e.user_id or -1, e.username or "—"),
                (e.role or "").replace("_", " "),
                ACTION_WORDS.get(e.action, e.action.replace("_", " ")),
                (e.reason or "").replace(",", ", ").replace(",  ", ", "),
            ]
            for e in report.events
        ]
        parts.append(
            data_table(
                ["When", "Who", "Role", "What", "Detail"], rows, [0.17, 0.2, 0.12, 0.31, 0.2]
            )
        )
        return parts

    decoration = PageDecoration(
        report.practice_name,
        f"{ACCESS_TITLE} — {report.client_name}",
        report.generated_at,
        __version__,
    )
    return render_document(story, decoration)
