"""A client's record as a PDF, for the client (right of access) or a disclosure.

Made from a `ClientRecord` snapshot, so it needs no database. It prints only what the
snapshot holds: the services have already left out drafts, psychotherapy notes the
author did not include, voided measures, and every part not asked for. The cover says
for whom it was made, on what basis, and what it holds; each part follows in the
order a reader expects: who, diagnoses, visits, measures, intake, plans, notes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Paragraph, Spacer

from ehrdesk import __version__
from ehrdesk.core.chart import Intake, ProgressNote, TreatmentPlan
from ehrdesk.core.front_desk import postal_lines
from ehrdesk.core.intake_questions import INTAKE_SECTIONS, SAFETY_PLAN_STEPS
from ehrdesk.core.records import ClientRecord, ShareCategory, categories_text
from ehrdesk.reports.layout import PageDecoration, markup, paragraph_styles, render_document
from ehrdesk.reports.tables import data_table, fields, local_time, paragraphs, title_block

DOCUMENT_TITLE: Final = "Client record"


def _heading(text: str) -> list[Flowable]:
    return [
        CondPageBreak(90),
        Spacer(1, 10),
        Paragraph(markup(text), paragraph_styles()["heading"]),
    ]


def _none(text: str) -> Paragraph:
    return Paragraph(markup(text), paragraph_styles()["small"])


def _cover(record: ClientRecord, zone: ZoneInfo) -> list[Flowable]:
    client = record.client
    story = title_block("Client record", client.display_name)
    left_out = [c for c in ShareCategory if not record.includes(c)]
    period = "the whole record"
    if record.request.since or record.request.until:
        start = record.request.since.isoformat() if record.request.since else "the start"
        end = record.request.until.isoformat() if record.request.until else "today"
        period = f"{start} to {end}"
    rows = [
        ("Client", client.display_name),
        ("Date of birth", client.date_of_birth.isoformat()),
        ("Prepared for", record.recipient),
        ("Basis", record.basis),
        ("Prepared on", local_time(record.generated_at, zone)),
        ("Period", period),
        ("Includes", categories_text(record.request.shared)),
        ("Not included", categories_text(left_out) or "—"),
        ("Times", f"in {record.time_zone}"),
    ]
    story.append(fields(rows))
    story.append(Spacer(1, 8))
    story.append(
        _none(
            "Only signed documents are included: drafts are not part of the record yet. "
            "Corrections to a signed note are shown as signed addenda after it."
        )
    )
    return story


def _demographics(record: ClientRecord) -> list[Flowable]:
    c = record.client
    address = "\n".join(postal_lines(c))

    def joined(*parts: str) -> str:
        return " · ".join(p for p in parts if p)

    rows = [
        (
            "Legal name",
            " ".join(p for p in (c.legal_first_name, c.legal_middle_name, c.legal_last_name) if p),
        ),
        ("Preferred name", c.preferred_name),
        ("Pronouns", c.pronouns),
        ("Date of birth", c.date_of_birth.isoformat()),
        ("Address", address),
        ("Phone", joined(c.phone_mobile, c.phone_home)),
        ("E-mail", c.email),
        (
            "Emergency contact",
            joined(c.emergency_name, c.emergency_relationship, c.emergency_phone),
        ),
        ("Insurance", joined(c.insurance_payer, c.insurance_member_id, c.insurance_group)),
        ("Assigned clinician", record.assigned_clinician or ""),
    ]
    return [*_heading("Demographics and contact details"), fields(rows)]


def _diagnoses(record: ClientRecord, zone: ZoneInfo) -> list[Flowable]:
    story = _heading("Diagnoses")
    if not record.diagnoses:
        return [*story, _none("No diagnosis is recorded.")]
    rows = []
    for diagnosis, history in record.diagnoses:
        changes = "; ".join(
            f"{h.changed_at.astimezone(zone):%Y-%m-%d} {h.status.label.lower()}"
            + (", primary" if h.primary else "")
            + f" ({h.changed_by_name})"
            for h in history
        )
        rows.append(
            [
                diagnosis.code,
                diagnosis.description,
                diagnosis.status.label + (" · primary" if diagnosis.primary else ""),
                "" if diagnosis.onset is None else diagnosis.onset.isoformat(),
                changes,
            ]
        )
    story.append(
        data_table(
            ["ICD-10-CM", "Description", "Status", "Onset", "History"],
            rows,
            [0.12, 0.31, 0.15, 0.1, 0.32],
        )
    )
    return story


def _appointments(record: ClientRecord, zone: ZoneInfo) -> list[Flowable]:
    story = _heading("Appointments")
    if not record.appointments:
        return [*story, _none("No appointment in this period.")]
    rows = []
    for line in record.appointments:
        a = line.appointment
        place = a.location or ("Telehealth" if line.telehealth else line.room_name)
        rows.append(
            [
                local_time(a.starts_at, zone),
                f"{round((a.ends_at - a.starts_at).total_seconds() / 60)} min",
                line.type_label,
                line.clinician_name,
                place,
                a.status.label,
            ]
        )
    story.append(
        data_table(
            ["When", "Length", "Type", "Clinician", "Where", "Status"],
            rows,
            [0.2, 0.1, 0.16, 0.22, 0.17, 0.15],
        )
    )
    return story


def _measures(record: ClientRecord, zone: ZoneInfo) -> list[Flowable]:
    story = _heading("Measures")
    if not record.measures:
        return [*story, _none("No PHQ-9 or GAD-7 in this period.")]
    rows = [
        [
            local_time(m.administered_at, zone),
            m.instrument.label,
            f"{m.total} of {m.instrument.max_total}",
            m.band,
            " ".join(str(a) for a in m.answers),
            "the client" if m.by_client else m.entered_by_name,
        ]
        for m in record.measures
    ]
    story.append(
        data_table(
            ["When", "Measure", "Score", "Band", "Answers (item 1 on)", "Entered by"],
            rows,
            [0.2, 0.1, 0.12, 0.18, 0.2, 0.2],
        )
    )
    return story


def _signature(name: str | None, at: datetime | None, zone: ZoneInfo) -> str:
    return f"Signed by {name or '—'} on {local_time(at, zone)}"


def _intake(intake: Intake, zone: ZoneInfo) -> list[Flowable]:
    styles = paragraph_styles()
    story: list[Flowable] = [
        Paragraph(markup(f"Intake assessment by {intake.author_name}"), styles["lead"]),
        Paragraph(
            markup(_signature(intake.signed_by_name, intake.signed_at, zone)), styles["small"]
        ),
        Spacer(1, 4),
    ]
    question = styles["body"].clone("question", fontName=styles["label"].fontName)
    for section, questions in INTAKE_SECTIONS:
        answered = [(label, intake.answers.get(key, "")) for key, label, _ in questions]
        answered = [(label, text) for label, text in answered if text.strip()]
        if answered:
            story.append(Paragraph(markup(section), styles["label"]))
            for label, text in answered:
                if label != section:
                    story.append(Paragraph(markup(label), question))
                story += paragraphs(text)
    risk = intake.risk
    story.append(
        fields(
            [
                ("Suicide risk", risk.suicide.label),
                ("Self-harm risk", risk.self_harm.label),
                ("Violence risk", risk.violence.label),
            ]
        )
    )
    plan = [(label, intake.safety_plan.get(key, "")) for key, label in SAFETY_PLAN_STEPS]
    plan = [(label, text) for label, text in plan if text.strip()]
    if plan:
        story += [Spacer(1, 6), Paragraph("Safety plan", styles["label"]), fields(plan)]
    return story


def _plan(plan: TreatmentPlan, zone: ZoneInfo) -> list[Flowable]:
    styles = paragraph_styles()
    story: list[Flowable] = [
        Paragraph(markup(f"Treatment plan by {plan.author_name}"), styles["lead"]),
        Paragraph(
            markup(
                f"{_signature(plan.signed_by_name, plan.signed_at, zone)} · review by "
                f"{plan.review_date.isoformat()}"
                + (f" · target {plan.target_date.isoformat()}" if plan.target_date else "")
            ),
            styles["small"],
        ),
        Spacer(1, 4),
    ]
    objective_style = styles["item"].clone("objective", leftIndent=28)
    for number, problem in enumerate(plan.problems, 1):
        story.append(Paragraph(markup(f"Problem {number}: {problem.text}"), styles["body"]))
        for goal in problem.goals:
            story.append(Paragraph(markup(f"Goal: {goal.text}"), styles["item"]))
            for objective in goal.objectives:
                due = f" (by {objective.target_date.isoformat()})" if objective.target_date else ""
                story.append(
                    Paragraph(markup(f"Objective: {objective.text}{due}"), objective_style)
                )
        for intervention in problem.interventions:
            story.append(Paragraph(markup(f"Intervention: {intervention}"), styles["item"]))
    return story


def _note(note: ProgressNote, zone: ZoneInfo) -> list[Flowable]:
    styles = paragraph_styles()
    facts = (
        f"{local_time(note.service_at, zone)} · {note.template_name} note · "
        f"{note.cpt_code or 'no service code'} · {note.duration_minutes} min · "
        f"{note.location or '—'} · by {note.author_name}"
    )
    head: list[Flowable] = [
        Paragraph(markup(facts), styles["lead"]),
        Paragraph(markup(_signature(note.signed_by_name, note.signed_at, zone)), styles["small"]),
    ]
    # Each label stays with the first paragraph under it, and the note's heading with its
    # first section, so no page ends on a heading whose text is overleaf.
    blocks: list[list[Flowable]] = []
    for section in note.sections:
        if section.text.strip():
            blocks.append([Paragraph(markup(section.label), styles["label"])])
            blocks[-1] += paragraphs(section.text)
    for addendum in note.addenda:
        label = f"Addendum by {addendum.author_name}, signed {local_time(addendum.signed_at, zone)}"
        blocks.append([Paragraph(markup(label), styles["label"])])
        blocks[-1] += paragraphs(addendum.text)
    head.append(Spacer(1, 3))
    if not blocks:
        return [KeepTogether(head), Spacer(1, 8)]
    story: list[Flowable] = []
    for i, (label, *body) in enumerate(blocks):
        story.append(KeepTogether([*(head if i == 0 else []), label, *body[:1]]))
        story += body[1:]
    story.append(Spacer(1, 8))
    return story


def _documents(record: ClientRecord, zone: ZoneInfo) -> list[Flowable]:
    story: list[Flowable] = []
    if record.includes(ShareCategory.INTAKE):
        story += _heading("Intake assessment")
        story += [f for intake in record.intakes for f in _intake(intake, zone)] or [
            _none("No signed intake assessment.")
        ]
    if record.includes(ShareCategory.TREATMENT_PLANS):
        story += _heading("Treatment plans")
        story += [f for plan in record.plans for f in _plan(plan, zone)] or [
            _none("No signed treatment plan.")
        ]
    if record.includes(ShareCategory.PROGRESS_NOTES):
        story += _heading("Progress notes")
        story += [f for note in record.notes for f in _note(note, zone)] or [
            _none("No signed progress note in this period.")
        ]
    if record.psychotherapy:
        styles = paragraph_styles()
        story += _heading("Psychotherapy notes (included by their author)")
        for item in record.psychotherapy:
            story.append(
                Paragraph(
                    markup(f"{local_time(item.note.created_at, zone)} · by {item.author_name}"),
                    styles["lead"],
                )
            )
            story += paragraphs(item.note.text)
    return story


def render_client_record(record: ClientRecord) -> bytes:
    zone = ZoneInfo(record.time_zone)

    def story() -> list[Flowable]:
        parts = _cover(record, zone)
        if record.includes(ShareCategory.DEMOGRAPHICS):
            parts += _demographics(record)
        if record.includes(ShareCategory.DIAGNOSES):
            parts += _diagnoses(record, zone)
        if record.includes(ShareCategory.APPOINTMENTS):
            parts += _appointments(record, zone)
        if record.includes(ShareCategory.MEASURES):
            parts += _measures(record, zone)
        return parts + _documents(record, zone)

    decoration = PageDecoration(
        record.practice_name,
        f"{DOCUMENT_TITLE} — {record.client.display_name}",
        record.generated_at,
        __version__,
    )
    return render_document(story, decoration)
