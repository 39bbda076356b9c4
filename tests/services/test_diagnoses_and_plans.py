"""Diagnoses from ICD-10-CM with their history; the intake; treatment plans signed like
notes, with review reminders."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest

from ehrdesk.core.chart import (
    DiagnosisStatus,
    IntakeRisk,
    NoteStatus,
    PlanGoal,
    PlanObjective,
    PlanProblem,
    RiskLevel,
)
from ehrdesk.core.errors import InvalidInput, PermissionDenied
from tests.chart_support import CLINICIAN_PASSWORD, ChartPractice


def test_code_search_by_words_and_by_code_f_chapter_first(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    found = services.diagnoses.search_codes("major depress recurrent")
    assert found and all(m.code.startswith("F33") for m in found[:5])
    assert "F33.1" in [m.code for m in found]
    mixed = services.diagnoses.search_codes("insomnia", limit=500)
    assert {m.code[0] for m in mixed} >= {"F", "G"}
    first_other = next(i for i, m in enumerate(mixed) if not m.code.startswith("F"))
    assert all(m.code.startswith("F") for m in mixed[:first_other])
    assert [m.code for m in services.diagnoses.search_codes("F41.1")] == ["F41.1"]
    assert services.diagnoses.search_codes("f411")[0].code == "F41.1"
    assert services.diagnoses.search_codes("F43.1")[0].code == "F43.1"
    assert services.diagnoses.search_codes("zzzqqq") == []
    assert services.diagnoses.search_codes("") == []
    assert services.diagnoses.search_codes("F33")[0].description.startswith("Major depressive")


def test_code_search_is_fast_once_built(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    services.diagnoses.codes.warm()
    start = time.perf_counter()
    for query in ("depress", "generalized anxiety", "F43", "post traumatic", "alcohol use"):
        assert services.diagnoses.search_codes(query)
    assert (time.perf_counter() - start) / 5 < 0.05


def test_diagnoses_keep_their_history(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    casey = chart_practice.casey
    first = services.diagnoses.add_diagnosis(casey, "F32.1", onset=date(2025, 11, 1), primary=True)
    assert first.description.startswith("Major depressive disorder, single episode, moderate")
    second = services.diagnoses.add_diagnosis(casey, "f41.1", primary=True)
    assert second.code == "F41.1"
    listed = {d.code: d for d in services.diagnoses.diagnoses(casey)}
    assert listed["F41.1"].primary and not listed["F32.1"].primary
    resolved = services.diagnoses.change_diagnosis(
        listed["F32.1"], status=DiagnosisStatus.RESOLVED, primary=False
    )
    history = services.diagnoses.history(resolved)
    assert [(h.status, h.primary) for h in history] == [
        (DiagnosisStatus.ACTIVE, True),
        (DiagnosisStatus.ACTIVE, False),
        (DiagnosisStatus.RESOLVED, False),
    ]
    conn = services.session.database.conn
    with pytest.raises(Exception, match="keeps its code"):
        conn.execute("UPDATE diagnosis SET code = 'F99' WHERE id = ?", (first.id,))
    with pytest.raises(Exception, match="never deleted"):
        conn.execute("DELETE FROM diagnosis")
    with pytest.raises(Exception, match="never changed"):
        conn.execute("UPDATE diagnosis_change SET status = 'active'")


def test_bad_diagnoses_are_refused(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    with pytest.raises(InvalidInput, match="not an ICD-10-CM code"):
        services.diagnoses.add_diagnosis(chart_practice.casey, "F99.99")
    with pytest.raises(InvalidInput, match="future"):
        services.diagnoses.add_diagnosis(
            chart_practice.casey, "F41.1", onset=services.clock.now().date() + timedelta(days=2)
        )
    wrong = services.diagnoses.add_diagnosis(chart_practice.casey, "F41.0")
    wrong = services.diagnoses.change_diagnosis(
        wrong, status=DiagnosisStatus.ENTERED_IN_ERROR, primary=False
    )
    with pytest.raises(InvalidInput, match="stays so"):
        services.diagnoses.change_diagnosis(wrong, status=DiagnosisStatus.ACTIVE, primary=False)


def test_the_intake_is_structured_and_signed(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    intake = services.intakes.start_intake(chart_practice.casey)
    intake = services.intakes.save_intake(
        intake,
        {"presenting_problem": "Panic at work.", "mse_speech": "Normal rate."},
        IntakeRisk(RiskLevel.LOW, RiskLevel.NONE, RiskLevel.NONE),
        {"warning_signs": "Not sleeping.", "reasons_for_living": "My sister."},
    )
    with pytest.raises(InvalidInput, match="does not know"):
        services.intakes.save_intake(intake, {"favourite_colour": "red"}, IntakeRisk(), {})
    signed = services.intakes.sign_intake(intake, CLINICIAN_PASSWORD)
    assert signed.status is NoteStatus.SIGNED and signed.signed_by_name == "Carla"
    assert services.intakes.latest_intake(chart_practice.casey) == signed
    assert signed.safety_plan["reasons_for_living"] == "My sister."
    with pytest.raises(InvalidInput, match="signed intake"):
        services.intakes.save_intake(signed, {}, IntakeRisk(), {})
    with pytest.raises(Exception, match="signed intake is never"):
        services.session.database.conn.execute("DELETE FROM intake_assessment")
    services = chart_practice.as_user("owner")
    assert services.intakes.intake(signed.id).answers["presenting_problem"] == "Panic at work."


def plan_problems() -> list[PlanProblem]:
    return [
        PlanProblem(
            "Panic attacks at work",
            (
                PlanGoal(
                    "Fewer than one panic attack a week (self-report)",
                    (PlanObjective("Practise paced breathing daily", date(2026, 4, 15)),),
                ),
            ),
            ("CBT for panic", "Interoceptive exposure"),
        )
    ]


def test_treatment_plans_are_signed_and_revised_openly(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    review = services.clock.now().date() + timedelta(days=10)
    plan = services.plans.start_plan(chart_practice.casey, review)
    with pytest.raises(InvalidInput, match="at least one problem"):
        services.plans.sign_plan(plan, CLINICIAN_PASSWORD)
    plan = services.plans.save_plan(plan, plan_problems(), review_date=review)
    assert plan.problems == tuple(plan_problems())
    signed = services.plans.sign_plan(plan, CLINICIAN_PASSWORD)
    with pytest.raises(InvalidInput, match="revise it"):
        services.plans.save_plan(signed, [], review_date=review)
    assert [r.plan_id for r in services.charts.plan_reviews_due()] == [signed.id]
    assert services.charts.plan_reviews_due(within_days=5) == []

    revised = services.plans.start_plan(
        chart_practice.casey, review + timedelta(days=90), revise=True
    )
    assert revised.problems == signed.problems and revised.status is NoteStatus.DRAFT
    services.plans.sign_plan(revised, CLINICIAN_PASSWORD)
    assert services.charts.plan_reviews_due() == []  # the new plan is in force
    with pytest.raises(InvalidInput, match="in the past"):
        services.plans.start_plan(chart_practice.casey, date(2020, 1, 1))
    services = chart_practice.as_user("owner")
    with pytest.raises(PermissionDenied):
        services.plans.save_plan(revised, plan_problems(), review_date=review)
