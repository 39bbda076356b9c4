"""A chart full enough to hand out: Casey (carla's client) with demographics and
insurance, two attended visits with signed notes (one with an addendum), a draft, an
intake and a plan (signed), two diagnoses (one resolved), a PHQ-9 and a GAD-7 (and a
voided PHQ-9), and psychotherapy notes by carla and by the owner; the billing settings
a superbill needs. Every clinical text holds a marker, so a test can tell whether it
leaked into an audit event, an error or a file.
"""

from __future__ import annotations

import dataclasses
import io
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from ehrdesk.core.billing import ClinicianIdentity, PracticeIdentity
from ehrdesk.core.chart import (
    DiagnosisStatus,
    IntakeRisk,
    NoteSection,
    PlanGoal,
    PlanObjective,
    PlanProblem,
    RiskLevel,
)
from ehrdesk.core.front_desk import ClientDraft
from ehrdesk.core.measures import Instrument
from ehrdesk.services.registry import Services
from tests.chart_support import CLINICIAN_PASSWORD, ChartPractice, add_appointment, start_at
from tests.conftest import OWNER_PASSWORD

SHOTS = Path("/tmp/records-shots")
SOAP = 1
NOTE_MARKER = "Zqxnotemarker"
ADDENDUM_MARKER = "Zqxaddendummarker"
DRAFT_MARKER = "Zqxdraftmarker"
CARLA_PSYCHOTHERAPY = "Zqxcarlaprocess"
OWNER_PSYCHOTHERAPY = "Zqxownerprocess"
INTAKE_MARKER = "Zqxintakemarker"
VALID_NPI = "1234567893"


@dataclass
class RecordPractice:
    chart: ChartPractice
    casey: int
    visits: tuple[int, int]
    carla_psychotherapy: int
    owner_psychotherapy: int

    @property
    def services(self) -> Services:
        return self.chart.services

    def as_user(self, username: str) -> Services:
        return self.chart.as_user(username)


def _sign(services: Services, note, text: str, password: str):  # type: ignore[no-untyped-def]
    sections = [NoteSection(s.key, s.label, f"{s.label}: {text}") for s in note.sections]
    return services.notes.sign_note(services.notes.save_draft(note, sections), password)


@pytest.fixture
def record_practice(chart_practice: ChartPractice) -> RecordPractice:
    casey = chart_practice.casey
    carla = chart_practice.ids["carla"]
    services = chart_practice.as_user("owner")
    services.schedule.set_time_zone("America/Chicago")
    client = services.clients.open(casey).client
    draft = dataclasses.replace(
        ClientDraft.of(client),
        address_line1="12 Elm Street",
        city="Springfield",
        region="IL",
        postal_code="62701",
        phone_mobile="312 555 0147",
        email="casey@example.org",
        insurance_payer="Blue Lake Health",
        insurance_member_id="BLH-0042",
        insurance_group="G-77",
    )
    services.clients.update(casey, client.row_version, draft)
    services.superbills.set_practice_identity(
        PracticeIdentity("1 River Road", "", "Springfield, IL 62701", "312 555 0100",
                         VALID_NPI, "12-3456789")
    )  # fmt: skip
    services.superbills.set_fee_schedule({"90834": 150_00, "90837": 190_00, "90791": 220_00})
    services.superbills.set_clinician_identity(carla, ClinicianIdentity(VALID_NPI, "LCSW 0451"))
    first = add_appointment(services, casey, carla, datetime(2026, 2, 16, 16, 0, tzinfo=UTC))
    second = add_appointment(services, casey, carla, datetime(2026, 2, 23, 16, 0, tzinfo=UTC))
    add_appointment(services, casey, carla, datetime(2026, 2, 25, 16, 0, tzinfo=UTC))  # no note
    owner_note = services.psychotherapy.write(casey, f"Owner's view: {OWNER_PSYCHOTHERAPY}")

    services = chart_practice.as_user("carla")
    note = services.notes.start_from_appointment(first, SOAP)
    note = _sign(services, note, NOTE_MARKER, CLINICIAN_PASSWORD)
    services.notes.add_addendum(note, f"Correction: {ADDENDUM_MARKER}", CLINICIAN_PASSWORD)
    _sign(
        services, services.notes.start_from_appointment(second, SOAP), "Steady.", CLINICIAN_PASSWORD
    )
    services.notes.save_draft(
        services.notes.start_note(casey, SOAP, start_at(services, hours_ago=1)),
        [NoteSection("subjective", "Subjective", DRAFT_MARKER)],
    )
    intake = services.intakes.start_intake(casey)
    intake = services.intakes.save_intake(
        intake,
        {"presenting_problem": f"Low mood since winter. {INTAKE_MARKER}"},
        IntakeRisk(RiskLevel.LOW, RiskLevel.NONE, RiskLevel.NONE),
        {"coping": "Walks by the river."},
    )
    services.intakes.sign_intake(intake, CLINICIAN_PASSWORD)
    review = services.clock.now().date().replace(month=6)
    plan = services.plans.start_plan(casey, review)
    plan = services.plans.save_plan(
        plan,
        [PlanProblem("Low mood", (PlanGoal("PHQ-9 under 10", (PlanObjective("Walk daily"),)),),
                     ("Behavioural activation",))],
        review_date=review,
    )  # fmt: skip
    services.plans.sign_plan(plan, CLINICIAN_PASSWORD)
    services.diagnoses.add_diagnosis(casey, "F33.1", primary=True)
    resolved = services.diagnoses.add_diagnosis(casey, "F41.1")
    services.diagnoses.change_diagnosis(resolved, status=DiagnosisStatus.RESOLVED, primary=False)
    services.measures.record_measure(casey, Instrument.PHQ9, [2, 2, 1, 1, 1, 1, 1, 1, 0])
    services.measures.record_measure(casey, Instrument.GAD7, [1, 1, 1, 1, 1, 1, 1])
    voided = services.measures.record_measure(casey, Instrument.PHQ9, [3] * 9)
    services.measures.void_measure(voided)
    carla_note = services.psychotherapy.write(casey, f"Process: {CARLA_PSYCHOTHERAPY}")
    services.session.sign_out()
    return RecordPractice(chart_practice, casey, (first, second), carla_note.id, owner_note.id)


def signature_png() -> bytes:
    """A drawn signature, as the signature pad hands it over: a real PNG."""
    image = Image.new("RGB", (360, 120), "white")
    ImageDraw.Draw(image).line(
        [(10, 90), (60, 20), (90, 95), (150, 30), (200, 90), (340, 60)], fill="#1a2a3a", width=4
    )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is needed: apt-get install poppler-utils")
    return found


def pdf_text(data: bytes, tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        [_tool("pdftotext"), str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return " ".join(out.split())


def pdf_page_texts(data: bytes, tmp_path: Path, name: str) -> list[str]:
    """Each page's text (pdftotext ends each page with a form feed), whitespace folded."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        [_tool("pdftotext"), str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [" ".join(page.split()) for page in out.split("\f") if page.strip()]


def pdf_pngs(data: bytes, tmp_path: Path, name: str, *, pages: int = 2) -> list[Path]:
    """The first `pages` pages as PNGs, copied to /tmp/records-shots for a person to see."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    subprocess.run(
        [_tool("pdftoppm"), "-png", "-r", "70", "-l", str(pages), str(path), str(tmp_path / name)],
        check=True,
    )
    pngs = sorted(tmp_path.glob(f"{name}*.png"))
    assert pngs and all(p.read_bytes().startswith(b"\x89PNG") for p in pngs)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for png in pngs:
        shutil.copy(png, SHOTS / png.name)
    return pngs


__all__ = ["OWNER_PASSWORD", "RecordPractice", "record_practice"]
