"""Optimistic concurrency on every kind of clinical row: two edits start from the same
version; the first saves, the second gets ConcurrentEditError and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ehrdesk.core.chart import (
    DiagnosisStatus,
    IntakeRisk,
    NoteSection,
    PlanGoal,
    PlanProblem,
    ReasonCategory,
    TemplateField,
)
from ehrdesk.core.errors import ConcurrentEditError
from ehrdesk.core.measures import Instrument
from tests.chart_support import CLINICIAN_PASSWORD, ChartPractice, start_at
from tests.services.role_chart_args import CHART_TABLES


def text(note, words: str) -> list[NoteSection]:  # type: ignore[no-untyped-def]
    return [NoteSection(s.key, s.label, words) for s in note.sections]


def test_progress_note_draft(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    note = services.notes.start_note(chart_practice.casey, 1, start_at(services))
    services.notes.save_draft(note, text(note, "first window"))
    with pytest.raises(ConcurrentEditError):
        services.notes.save_draft(note, text(note, "second window"))
    with pytest.raises(ConcurrentEditError):
        services.notes.sign_note(note, CLINICIAN_PASSWORD)
    with pytest.raises(ConcurrentEditError):
        services.notes.discard_draft(note)
    assert services.notes.note(note.id).sections[0].text == "first window"


def test_psychotherapy_note(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    note = services.psychotherapy.write(chart_practice.casey, "v1")
    services.psychotherapy.save(note, "first")
    with pytest.raises(ConcurrentEditError):
        services.psychotherapy.save(note, "second")


def test_intake(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    intake = services.intakes.start_intake(chart_practice.casey)
    services.intakes.save_intake(intake, {"presenting_problem": "a"}, IntakeRisk(), {})
    with pytest.raises(ConcurrentEditError):
        services.intakes.save_intake(intake, {"presenting_problem": "b"}, IntakeRisk(), {})
    with pytest.raises(ConcurrentEditError):
        services.intakes.sign_intake(intake, CLINICIAN_PASSWORD)


def test_treatment_plan(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    review = services.clock.now().date() + timedelta(days=90)
    plan = services.plans.start_plan(chart_practice.casey, review)
    problems = [PlanProblem("Low mood", (PlanGoal("PHQ-9 under 10"),))]
    services.plans.save_plan(plan, problems, review_date=review)
    with pytest.raises(ConcurrentEditError):
        services.plans.save_plan(plan, problems, review_date=review)


def test_diagnosis(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    diagnosis = services.diagnoses.add_diagnosis(chart_practice.casey, "F32.1")
    services.diagnoses.change_diagnosis(diagnosis, status=DiagnosisStatus.RESOLVED, primary=False)
    with pytest.raises(ConcurrentEditError):
        services.diagnoses.change_diagnosis(diagnosis, status=DiagnosisStatus.ACTIVE, primary=True)
    assert [h.status for h in services.diagnoses.history(diagnosis)] == [
        DiagnosisStatus.ACTIVE,
        DiagnosisStatus.RESOLVED,
    ]


def test_measure(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    result = services.measures.record_measure(chart_practice.casey, Instrument.GAD7, [2] * 7)
    services.measures.void_measure(result)
    with pytest.raises(ConcurrentEditError):
        services.measures.void_measure(result)


def test_emergency_grant(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("dev")
    grant = services.emergency.request_access(chart_practice.casey, ReasonCategory.CRISIS, "Why.")
    services.emergency.end_access(grant)
    with pytest.raises(ConcurrentEditError):
        services.emergency.end_access(grant)
    services = chart_practice.as_user("owner")
    with pytest.raises(ConcurrentEditError):  # ending it moved the version on
        services.emergency.acknowledge(grant)
    fresh = services.emergency.grant(grant.id)
    services.emergency.acknowledge(fresh)
    with pytest.raises(ConcurrentEditError):
        services.emergency.acknowledge(fresh)


def test_note_template(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("owner")
    template = services.notes.add_template("Brief", [TemplateField("", "Note", "")])
    services.notes.update_template(template, [TemplateField("", "Note", "Changed.")])
    with pytest.raises(ConcurrentEditError):
        services.notes.update_template(template, [TemplateField("", "Note", "Again.")])


def test_every_chart_table_carries_row_version(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("owner")
    conn = services.session.database.conn
    for table in CHART_TABLES:
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        assert "row_version" in columns, table
