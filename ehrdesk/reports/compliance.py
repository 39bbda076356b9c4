"""The compliance documents: an incident's record, a notification letter, the
safeguard records, and the security check as the yearly risk-review record.

All on the shared page (`layout.render_document`). These hold the practice's own words
about its safeguards; a letter holds one client's name and address and nothing else
about them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from ehrdesk.core.compliance import (
    BusinessAssociate,
    CheckStatus,
    Incident,
    ResponsePlan,
    SecurityCheckReport,
    TrainingDue,
    TrainingRecord,
)
from ehrdesk.reports.layout import PageDecoration, markup, paragraph_styles, render_document
from ehrdesk.reports.tables import data_table, fields, local_time, paragraphs, title_block

INCIDENT_TITLE: Final = "Incident record"
LETTER_TITLE: Final = "Notification letter"
SAFEGUARDS_TITLE: Final = "Safeguard records"
REVIEW_TITLE: Final = "Security risk review"


def _day(value: date | None) -> str:
    return "—" if value is None else value.isoformat()


def _heading(text: str) -> list[Flowable]:
    return [Spacer(1, 10), Paragraph(markup(text), paragraph_styles()["heading"])]


@dataclass(frozen=True)
class IncidentRecord:
    practice_name: str
    incident: Incident
    time_zone: str
    generated_at: datetime
    app_version: str


def _incident_story(record: IncidentRecord) -> list[Flowable]:
    incident = record.incident
    zone = ZoneInfo(record.time_zone)
    deadline = incident.notification_deadline(zone)
    story = title_block(f"Incident #{incident.id}: {incident.title}", record.practice_name)
    story.append(
        fields(
            [
                ("Status", incident.status.label),
                (
                    "Happened",
                    f"{local_time(incident.occurred_from, zone)} to "
                    f"{local_time(incident.occurred_until, zone)}",
                ),
                ("Discovered", local_time(incident.discovered_at, zone)),
                ("Notify by", f"{deadline.isoformat()} (60 days after discovery)"),
                ("Notified on", _day(incident.notified_on)),
                ("Clients possibly affected", f"{len(incident.client_ids)}"),
                ("Times", f"in {record.time_zone}"),
            ]
        )
    )
    story += _heading("What happened") + paragraphs(incident.what_happened)
    risk = incident.risk
    story += _heading("Risk assessment (45 CFR 164.402)")
    for label, text in (
        ("1. The nature and extent of the PHI involved", risk.nature_and_extent),
        (
            "2. The unauthorised person who used it or to whom it was disclosed",
            risk.unauthorized_person,
        ),
        ("3. Whether the PHI was actually acquired or viewed", risk.acquired_or_viewed),
        ("4. The extent to which the risk has been mitigated", risk.mitigation),
    ):
        story.append(Paragraph(markup(label), paragraph_styles()["label"]))
        story += paragraphs(text)
    story.append(fields([("Conclusion", risk.conclusion.label)]))
    story += _heading("Decisions") + paragraphs(incident.decisions)
    if incident.client_ids:
        story += _heading("Client ids possibly affected")
        story.append(
            Paragraph(markup(", ".join(map(str, incident.client_ids))), paragraph_styles()["small"])
        )
    return story


def render_incident(record: IncidentRecord) -> bytes:
    decoration = PageDecoration(
        record.practice_name, INCIDENT_TITLE, record.generated_at, record.app_version
    )
    return render_document(lambda: _incident_story(record), decoration)


@dataclass(frozen=True)
class NotificationLetter:
    practice_name: str
    body: str  # the template, filled in
    generated_at: datetime
    app_version: str


def render_letter(letter: NotificationLetter) -> bytes:
    def story() -> list[Flowable]:
        styles = paragraph_styles()
        out: list[Flowable] = [
            Paragraph(markup(letter.practice_name), styles["subtitle"]),
            Spacer(1, 18),
        ]
        return out + paragraphs(letter.body, "lead")

    decoration = PageDecoration(
        letter.practice_name, LETTER_TITLE, letter.generated_at, letter.app_version
    )
    return render_document(story, decoration)


@dataclass(frozen=True)
class SafeguardRecords:
    training: Sequence[TrainingRecord]
    training_due: Sequence[TrainingDue]
    associates: Sequence[BusinessAssociate]
    plan: ResponsePlan | None
    today: date


def safeguards_story(records: SafeguardRecords, time_zone: str) -> list[Flowable]:
    styles = paragraph_styles()
    story = _heading("Security training")
    due = [
        [
            t.username,
            _day(t.last_completed),
            "now" if t.due_on is None else t.due_on.isoformat(),
            "due" if t.is_due(records.today) else "up to date",
        ]
        for t in records.training_due
    ]
    if due:
        story.append(
            data_table(
                ["Person", "Last trained", "Next due", "Status"], due, [0.3, 0.25, 0.25, 0.2]
            )
        )
        story.append(Spacer(1, 6))
    rows = [[r.completed_on.isoformat(), r.username, r.topic] for r in records.training]
    story.append(
        data_table(["Completed", "Person", "Topic"], rows, [0.18, 0.22, 0.6])
        if rows
        else Paragraph("No training has been recorded.", styles["body"])
    )
    story += _heading("Business associates")
    rows = [
        [
            a.vendor,
            a.handles,
            _day(a.agreement_signed_on),
            _day(a.next_review_on),
            ("review due" if a.review_due(records.today) else "current") if a.active else "ended",
        ]
        for a in records.associates
    ]
    story.append(
        data_table(
            ["Vendor", "What they handle", "Agreement signed", "Next review", "Status"],
            rows,
            [0.2, 0.34, 0.16, 0.16, 0.14],
        )
        if rows
        else Paragraph("No business associates are listed.", styles["body"])
    )
    story += _heading("Incident-response plan")
    plan = records.plan
    if plan is None:
        story.append(Paragraph("No written plan has been saved.", styles["body"]))
    else:
        saved = local_time(plan.saved_at, ZoneInfo(time_zone))
        story.append(
            Paragraph(
                markup(f"Version {plan.version}, saved {saved} by {plan.saved_by}"), styles["small"]
            )
        )
        for label, text in (
            ("Roles", plan.roles),
            ("Steps", plan.steps),
            ("Contacts", plan.contacts),
        ):
            story.append(Paragraph(markup(label.upper()), styles["label"]))
            story += paragraphs(text)
    return story


def render_safeguards(
    records: SafeguardRecords,
    practice_name: str,
    time_zone: str,
    generated_at: datetime,
    app_version: str,
) -> bytes:
    def story() -> list[Flowable]:
        return title_block("Safeguard records", practice_name) + safeguards_story(
            records, time_zone
        )

    decoration = PageDecoration(practice_name, SAFEGUARDS_TITLE, generated_at, app_version)
    return render_document(story, decoration)


_MARK = {
    CheckStatus.GOOD: "Good",
    CheckStatus.TO_DO: "Needs doing",
    CheckStatus.UNKNOWN: "Not known",
}


def render_security_review(
    report: SecurityCheckReport,
    records: SafeguardRecords,
    practice_name: str,
    time_zone: str,
    app_version: str,
) -> bytes:
    """The security check and the safeguard records: the yearly risk-review record."""

    def story() -> list[Flowable]:
        styles = paragraph_styles()
        when = local_time(report.checked_at, ZoneInfo(time_zone))
        out = title_block(
            "Security risk review",
            practice_name,
            f"The practice's own state as ehrdesk found it on {when} ({time_zone}): "
            f"{len(report.items) - len(report.to_do)} of {len(report.items)} items are good.",
        )
        rows = [[item.title, _MARK[item.status], item.finding, item.to_do] for item in report.items]
        out.append(data_table(["Item", "Status", "Found", "To do"], rows, [0.2, 0.12, 0.38, 0.3]))
        out += safeguards_story(records, time_zone)
        out += _heading("Review")
        out.append(
            KeepTogether(
                [
                    Paragraph("Reviewed by (name and role):", styles["body"]),
                    Spacer(1, 22),
                    Paragraph("Signature and date:", styles["body"]),
                    Spacer(1, 22),
                ]
            )
        )
        return out

    decoration = PageDecoration(practice_name, REVIEW_TITLE, report.checked_at, app_version)
    return render_document(story, decoration)
