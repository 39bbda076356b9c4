"""No client data from the chart in the audit log, in an exception's text, or in plain
sight in any file of the data folder (the marker search of test_no_plaintext.py).

Every chart record is written with unusual marker strings; then every audit event's
every field, every refusal's message and every byte of every file are searched."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ehrdesk.core.chart import (
    IntakeRisk,
    NoteSection,
    PlanGoal,
    PlanProblem,
    ReasonCategory,
    RiskLevel,
)
from ehrdesk.core.errors import UserFacingError
from ehrdesk.core.measures import Instrument
from tests.chart_support import CLINICIAN_PASSWORD, ChartPractice, add_client, start_at
from tests.security.test_no_plaintext import Needles

NOTE = "Zqxnotemarker said the bridge frightened them"
ADDENDUM = "Zqxaddendummarker corrected date"
PSYCHOTHERAPY = "Zqxpsychomarker transference thoughts"
REASON = "Zqxreasonmarker called from the station"
INTAKE = "Zqxintakemarker panic since the accident"
PLAN = "Zqxplanmarker sleep through the night"
FIRST, LAST = "Zqxfirstname", "Zqxlastname"
MARKERS = (NOTE, ADDENDUM, PSYCHOTHERAPY, REASON, INTAKE, PLAN, FIRST, LAST)


def write_everything(chart: ChartPractice) -> tuple[int, list[str]]:
    services = chart.as_user("owner")
    client = add_client(services, first=FIRST, last=LAST, clinician_id=chart.ids["carla"])
    services = chart.as_user("carla")
    note = services.notes.start_note(client, 1, start_at(services))
    note = services.notes.save_draft(
        note, [NoteSection(s.key, s.label, NOTE) for s in note.sections]
    )
    note = services.notes.sign_note(note, CLINICIAN_PASSWORD)
    services.notes.add_addendum(note, ADDENDUM, CLINICIAN_PASSWORD)
    services.psychotherapy.write(client, PSYCHOTHERAPY)
    intake = services.intakes.start_intake(client)
    services.intakes.save_intake(
        intake, {"presenting_problem": INTAKE}, IntakeRisk(RiskLevel.HIGH), {"coping": INTAKE}
    )
    review = services.clock.now().date() + timedelta(days=30)
    plan = services.plans.start_plan(client, review)
    services.plans.save_plan(plan, [PlanProblem(PLAN, (PlanGoal(PLAN),))], review_date=review)
    services.measures.record_measure(client, Instrument.PHQ9, [1] * 9)
    services.diagnoses.add_diagnosis(client, "F43.10", primary=True)
    services.charts.search_notes("bridge frightened")

    messages: list[str] = []
    attempts = [
        lambda: services.notes.save_draft(
            note, [NoteSection(s.key, s.label, NOTE * 10_000) for s in note.sections]
        ),
        lambda: services.notes.sign_note(note, "wrong " + NOTE),
        lambda: services.notes.add_addendum(note, ADDENDUM, "wrong " + ADDENDUM),
    ]
    services = chart.as_user("dev")
    attempts += [
        lambda: services.charts.open_chart(client),
        lambda: services.psychotherapy.open(1),
        lambda: services.emergency.request_access(client, ReasonCategory.CRISIS, REASON * 50),
    ]
    for attempt in attempts:
        with pytest.raises(UserFacingError) as refused:
            attempt()
        messages.append(str(refused.value))
    grant = services.emergency.request_access(client, ReasonCategory.CRISIS, REASON)
    services.charts.open_chart(client)
    services.emergency.end_access(grant)
    services = chart.as_user("frank")
    with pytest.raises(UserFacingError) as refused:
        services.charts.search_notes(NOTE)
    messages.append(str(refused.value))
    return client, messages


def test_no_marker_in_the_audit_log_or_any_message(chart_practice: ChartPractice) -> None:
    _, messages = write_everything(chart_practice)
    services = chart_practice.as_user("owner")
    events = services.audit.events(limit=100_000)
    assert {"note_signed", "chart_opened", "emergency_access_started", "notes_searched"} <= {
        e.action for e in events
    }
    fields = [
        str(getattr(e, name))
        for e in events
        for name in ("username", "role", "action", "object_type", "object_id", "reason")
    ]
    for marker in MARKERS:
        for word in marker.split():
            if word.startswith("Zqx"):
                assert not any(word.casefold() in f.casefold() for f in fields), word
                assert not any(word.casefold() in m.casefold() for m in messages), word
    assert len(messages) == 7 and all(m.strip() for m in messages)


def test_no_marker_in_plain_sight_in_any_file(chart_practice: ChartPractice) -> None:
    write_everything(chart_practice)
    needles = Needles()
    for marker in MARKERS:
        needles.add_text("chart marker", marker)
    services = chart_practice.services
    data_dir: Path = services.data_dir
    assert (data_dir / "practice.ehrdb-wal").exists()
    assert needles.scan(data_dir) == []
    services.session.sign_out()
    assert needles.scan(data_dir) == []
