"""The chart's part of the role × action matrix (tests/services/test_roles.py): the
records the template practice holds, and plausible arguments for each chart method.

Arguments are read straight from the database (repositories, no service), so building
them never calls a guarded method and never adds a refusal of its own. For a role the
table refuses, the arguments only need to be well-formed: the guard refuses first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ehrdesk.core.chart import (
    Diagnosis,
    DiagnosisStatus,
    EmergencyGrant,
    Intake,
    IntakeRisk,
    MeasureResult,
    NoteSection,
    NoteStart,
    NoteTemplate,
    PlanGoal,
    PlanObjective,
    PlanProblem,
    ProgressNote,
    PsychotherapyNote,
    ReasonCategory,
    RiskLevel,
    TemplateField,
    TreatmentPlan,
)
from ehrdesk.core.measures import Instrument
from ehrdesk.services.registry import Services
from ehrdesk.storage.diagnoses import DiagnosisRepository
from ehrdesk.storage.measures import MeasureRepository
from tests.chart_support import add_appointment, add_client, user_id

Args = tuple[tuple[Any, ...], dict[str, Any]]
SOAP = 1
#: The tables a refused call must leave exactly as they were.
CHART_TABLES = (
    "progress_note",
    "note_addendum",
    "note_template",
    "psychotherapy_note",
    "intake_assessment",
    "treatment_plan",
    "diagnosis",
    "diagnosis_change",
    "measure_result",
    "emergency_access",
)


@dataclass(frozen=True)
class Own:
    """What one author (carla or the owner) wrote about Alex in the template."""

    signed_note: ProgressNote
    draft_note: ProgressNote
    psychotherapy: PsychotherapyNote
    intake: Intake
    plan: TreatmentPlan
    grant: EmergencyGrant


@dataclass(frozen=True)
class ChartRecords:
    """Built once with the template and valid in every copy of it, so the argument
    factories work signed out and locked too."""

    alex: int  # assigned to carla
    blair: int  # assigned to nobody: emergency access for anyone
    appointment: int
    practice_template: NoteTemplate
    diagnosis: Diagnosis
    measure: MeasureResult
    own: dict[str, Own]


def build_chart_records(
    services: Services, sign_in: Callable[[str], None], passwords: dict[str, str]
) -> ChartRecords:
    """Each of carla and the owner writes one of everything about Alex."""
    sign_in("owner")
    carla = user_id(services, "carla")
    alex = add_client(services, first="Alex", last="Rowe", clinician_id=carla)
    blair = add_client(services, first="Blair", last="Lund")
    when = services.clock.now() - timedelta(hours=3)
    appointment = add_appointment(services, alex, carla, when.replace(microsecond=0))
    template = services.notes.add_template(
        "Practice template", [TemplateField("", "Focus", "What for.")]
    )
    services.session.sign_out()
    own = {}
    for username in ("carla", "owner"):
        sign_in(username)
        own[username] = _write_everything(services, alex, blair, passwords[username])
        services.session.sign_out()
    sign_in("owner")
    conn = services.session.database.conn
    diagnosis = DiagnosisRepository(conn).for_client(alex)[0]
    measure = MeasureRepository(conn).for_client(alex)[0]
    services.session.sign_out()
    return ChartRecords(alex, blair, appointment, template, diagnosis, measure, own)


def _write_everything(services: Services, alex: int, blair: int, password: str) -> Own:
    start = NoteStart(services.clock.now() - timedelta(hours=2), 50, "90834", "Office")
    signed = services.notes.start_note(alex, SOAP, start)
    signed = services.notes.save_draft(signed, _sections(signed.sections, "Slept well."))
    signed = services.notes.sign_note(signed, password)
    draft = services.notes.start_note(alex, SOAP, start)
    draft = services.notes.save_draft(draft, _sections(draft.sections, "Draft words."))
    psychotherapy = services.psychotherapy.write(alex, "Process notes.")
    intake = services.intakes.start_intake(alex)
    intake = services.intakes.save_intake(
        intake, {"presenting_problem": "Low mood."}, IntakeRisk(RiskLevel.LOW), {}
    )
    plan = services.plans.start_plan(alex, _review(services))
    plan = services.plans.save_plan(plan, _problems(), review_date=_review(services))
    services.diagnoses.add_diagnosis(alex, "F33.1")
    services.measures.record_measure(alex, Instrument.PHQ9, [1] * 9)
    grant = services.emergency.request_access(
        blair, ReasonCategory.COVERING, "Covering a colleague."
    )
    return Own(signed, draft, psychotherapy, intake, plan, grant)


def _sections(sections: tuple[NoteSection, ...], text: str) -> list[NoteSection]:
    return [NoteSection(s.key, s.label, text) for s in sections]


def _review(services: Services) -> date:
    return services.clock.now().date() + timedelta(days=90)


def _problems() -> list[PlanProblem]:
    return [
        PlanProblem(
            "Low mood",
            (PlanGoal("PHQ-9 under 10", (PlanObjective("Walk three times a week"),)),),
            ("Behavioural activation",),
        )
    ]


def chart_state(services: Services) -> dict[str, Any]:
    """Row counts and versions of every chart table (read as the owner)."""
    conn = services.session.database.conn
    return {
        table: conn.execute(
            f"SELECT count(*), coalesce(sum(row_version), 0) FROM {table}"
        ).fetchone()
        for table in CHART_TABLES
    }


# Argument factories ------------------------------------------------------------------


def _records(c: Any) -> ChartRecords:
    return c.practice.records  # type: ignore[no-any-return]


def _own(c: Any) -> Own:
    """The caller's own records; carla's for a role that may not write any."""
    own = _records(c).own
    return own.get(c.username, own["carla"])


def _start(c: Any) -> NoteStart:
    now = c.practice.clock.now()
    return NoteStart(now - timedelta(hours=1), 50, "90834", "Office")


def _in(c: Any, days: int) -> date:
    return c.practice.clock.now().date() + timedelta(days=days)  # type: ignore[no-any-return]


def _none(c: Any) -> Args:
    return (), {}


CHART_ARGUMENTS: dict[str, Callable[[Any], Args]] = {
    "Charts.open_chart": lambda c: ((_records(c).alex,), {}),
    "Charts.header": lambda c: ((_records(c).alex,), {}),
    "Charts.timeline_page": lambda c: ((_records(c).alex, None), {}),
    "Charts.unsigned_notes": _none,
    "Charts.plan_reviews_due": _none,
    "Charts.search_notes": lambda c: (("slept",), {}),
    "ProgressNotes.templates": _none,
    "ProgressNotes.add_template": lambda c: (("Couples", [TemplateField("", "A", "b")]), {}),
    "ProgressNotes.update_template": lambda c: (
        (_records(c).practice_template, [TemplateField("", "Focus", "Changed prompt.")]),
        {},
    ),
    "ProgressNotes.start_note": lambda c: ((_records(c).alex, SOAP, _start(c)), {}),
    "ProgressNotes.start_from_appointment": lambda c: ((_records(c).appointment, SOAP), {}),
    "ProgressNotes.start_from_last_note": lambda c: ((_records(c).alex, _start(c)), {}),
    "ProgressNotes.note": lambda c: ((_own(c).signed_note.id,), {}),
    "ProgressNotes.save_draft": lambda c: (
        (_own(c).draft_note, _sections(_own(c).draft_note.sections, "More.")),
        {},
    ),
    "ProgressNotes.sign_note": lambda c: ((_own(c).draft_note, c.password), {}),
    "ProgressNotes.discard_draft": lambda c: ((_own(c).draft_note,), {}),
    "ProgressNotes.add_addendum": lambda c: (
        (_own(c).signed_note, "Correction.", c.password),
        {},
    ),
    "PsychotherapyNotes.write": lambda c: ((_records(c).alex, "More process notes."), {}),
    "PsychotherapyNotes.open": lambda c: ((_own(c).psychotherapy.id,), {}),
    "PsychotherapyNotes.save": lambda c: ((_own(c).psychotherapy, "Changed."), {}),
    "Intakes.start_intake": lambda c: ((_records(c).alex,), {}),
    "Intakes.latest_intake": lambda c: ((_records(c).alex,), {}),
    "Intakes.intake": lambda c: ((_own(c).intake.id,), {}),
    "Intakes.save_intake": lambda c: (
        (_own(c).intake, {"presenting_problem": "Changed."}, IntakeRisk(), {}),
        {},
    ),
    "Intakes.sign_intake": lambda c: ((_own(c).intake, c.password), {}),
    "TreatmentPlans.start_plan": lambda c: ((_records(c).alex, _in(c, 30)), {}),
    "TreatmentPlans.current_plan": lambda c: ((_records(c).alex,), {}),
    "TreatmentPlans.plan": lambda c: ((_own(c).plan.id,), {}),
    "TreatmentPlans.save_plan": lambda c: (
        (_own(c).plan, _problems()),
        {"review_date": _in(c, 60)},
    ),
    "TreatmentPlans.sign_plan": lambda c: ((_own(c).plan, c.password), {}),
    "Diagnoses.search_codes": lambda c: (("depress",), {}),
    "Diagnoses.diagnoses": lambda c: ((_records(c).alex,), {}),
    "Diagnoses.history": lambda c: ((_records(c).diagnosis,), {}),
    "Diagnoses.add_diagnosis": lambda c: ((_records(c).alex, "F41.1"), {}),
    "Diagnoses.change_diagnosis": lambda c: (
        (_records(c).diagnosis,),
        {"status": DiagnosisStatus.RESOLVED, "primary": False},
    ),
    "Measures.record_measure": lambda c: ((_records(c).alex, Instrument.GAD7, [1] * 7), {}),
    "Measures.begin_client_form": lambda c: ((_records(c).alex, Instrument.PHQ9), {}),
    "Measures.submit_client_form": lambda c: (
        (_records(c).alex, Instrument.PHQ9, [0] * 9),
        {},
    ),
    "Measures.measures": lambda c: ((_records(c).alex,), {}),
    "Measures.void_measure": lambda c: ((_records(c).measure,), {}),
    "EmergencyAccess.request_access": lambda c: (
        (_records(c).blair, ReasonCategory.CRISIS, "The client called in crisis."),
        {},
    ),
    "EmergencyAccess.end_access": lambda c: ((_own(c).grant,), {}),
    "EmergencyAccess.notices": _none,
    "EmergencyAccess.grant": lambda c: ((_own(c).grant.id,), {}),
    "EmergencyAccess.acknowledge": lambda c: ((_own(c).grant,), {}),
}
