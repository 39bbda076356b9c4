"""A client's record as a FHIR R4 (4.0.1) Bundle of type "collection", as JSON.

Made from the same `ClientRecord` snapshot as the PDF and holding the same parts:

    Patient            demographics (always: every other resource points at it)
    Condition          each diagnosis (ICD-10-CM), its history as notes
    Encounter          each appointment (class AMB, or VR for telehealth)
    Observation        each PHQ-9 (LOINC 44261-6) and GAD-7 (LOINC 70274-6) total
    DocumentReference  each signed progress note, intake, treatment plan and included
                       psychotherapy note, its text as a UTF-8 attachment; each addendum
                       its own, "appends" to its note

Entries are named `urn:uuid:` ids made from the vault's id and the row's id, so one
record exported twice names its resources the same. The standard library writes it;
the tests validate it with fhir.resources' R4 models.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any, Final

from ehrdesk.core.chart import DiagnosisStatus, Intake, ProgressNote, TreatmentPlan
from ehrdesk.core.front_desk import AppointmentStatus
from ehrdesk.core.intake_questions import INTAKE_SECTIONS, SAFETY_PLAN_STEPS
from ehrdesk.core.measures import Instrument
from ehrdesk.core.records import ClientRecord, ShareCategory

Json = dict[str, Any]

ICD10CM: Final = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC: Final = "http://loinc.org"
CPT: Final = "http://www.ama-assn.org/go/cpt"
#: The LOINC codes of the two totals, and their names as LOINC gives them.
MEASURE_CODES: Final = {
    Instrument.PHQ9: (
        "44261-6",
        "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    ),
    Instrument.GAD7: (
        "70274-6",
        "Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]",
    ),
}
_ENCOUNTER_STATUS: Final = {
    AppointmentStatus.BOOKED: "planned",
    AppointmentStatus.CHECKED_IN: "arrived",
    AppointmentStatus.COMPLETED: "finished",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "cancelled",
}
_ACT_CODE: Final = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
_CLINICAL: Final = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_VERIFICATION: Final = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/condition-category"
_OBS_CATEGORY: Final = "http://terminology.hl7.org/CodeSystem/observation-category"


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _text_attachment(title: str, text: str, created: datetime) -> Json:
    return {
        "contentType": "text/plain; charset=utf-8",
        "language": "en",
        "data": base64.b64encode(text.encode("utf-8")).decode("ascii"),
        "title": title,
        "creation": _instant(created),
    }


class _Builder:
    def __init__(self, record: ClientRecord) -> None:
        self.record = record
        self.space = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:ehrdesk:{record.namespace}")
        self.entries: list[Json] = []
        self.patient = self.url("client", record.client.id)
        self.identifier_system = f"urn:ehrdesk:{record.namespace}:client"

    def url(self, kind: str, row_id: int) -> str:
        return f"urn:uuid:{uuid.uuid5(self.space, f'{kind}/{row_id}')}"

    def add(self, full_url: str, resource: Json) -> None:
        self.entries.append({"fullUrl": full_url, "resource": resource})

    def subject(self) -> Json:
        return {"reference": self.patient, "display": self.record.client.display_name}

    # Resources -----------------------------------------------------------------------

    def patient_resource(self) -> Json:
        c = self.record.client
        given = [p for p in (c.legal_first_name, c.legal_middle_name) if p]
        names: list[Json] = [{"use": "official", "family": c.legal_last_name, "given": given}]
        if c.preferred_name and c.preferred_name != c.legal_first_name:
            names.append({"use": "usual", "given": [c.preferred_name]})
        patient: Json = {
            "resourceType": "Patient",
            "identifier": [{"system": self.identifier_system, "value": str(c.id)}],
            "active": c.status.value == "active",
            "name": names,
            "birthDate": c.date_of_birth.isoformat(),
        }
        if not self.record.includes(ShareCategory.DEMOGRAPHICS):
            return patient
        telecom = [
            {"system": system, "value": value, "use": use}
            for system, value, use in (
                ("phone", c.phone_mobile, "mobile"),
                ("phone", c.phone_home, "home"),
                ("email", c.email, "home"),
            )
            if value
        ]
        if telecom:
            patient["telecom"] = telecom
        lines = [p for p in (c.address_line1, c.address_line2) if p]
        if lines or c.city or c.postal_code:
            address: Json = {"use": "home", "type": "postal"}
            for key, value in (
                ("line", lines),
                ("city", c.city),
                ("state", c.region),
                ("postalCode", c.postal_code),
            ):
                if value:
                    address[key] = value
            patient["address"] = [address]
        if c.emergency_name or c.emergency_phone:
            contact: Json = {}
            if c.emergency_relationship:
                contact["relationship"] = [{"text": c.emergency_relationship}]
            if c.emergency_name:
                contact["name"] = {"text": c.emergency_name}
            if c.emergency_phone:
                contact["telecom"] = [{"system": "phone", "value": c.emergency_phone}]
            patient["contact"] = [contact]
        return patient

    def conditions(self) -> None:
        for diagnosis, history in self.record.diagnoses:
            condition: Json = {
                "resourceType": "Condition",
                "category": [{"coding": [{"system": _CATEGORY, "code": "problem-list-item"}]}],
                "code": {
                    "coding": [
                        {
                            "system": ICD10CM,
                            "code": diagnosis.code,
                            "display": diagnosis.description,
                        }
                    ],
                    "text": diagnosis.description,
                },
                "subject": self.subject(),
                "recordedDate": _instant(diagnosis.added_at),
                "recorder": {"display": diagnosis.added_by_name},
            }
            if diagnosis.status is DiagnosisStatus.ENTERED_IN_ERROR:
                # R4 con-5: no clinical status on a condition entered in error.
                condition["verificationStatus"] = _coded(_VERIFICATION, "entered-in-error")
            else:
                clinical = "active" if diagnosis.status is DiagnosisStatus.ACTIVE else "resolved"
                condition["clinicalStatus"] = _coded(_CLINICAL, clinical)
                condition["verificationStatus"] = _coded(_VERIFICATION, "confirmed")
            if diagnosis.onset is not None:
                condition["onsetDateTime"] = diagnosis.onset.isoformat()
            notes = [
                {
                    "time": _instant(h.changed_at),
                    "authorString": h.changed_by_name,
                    "text": h.status.label + (", primary diagnosis" if h.primary else ""),
                }
                for h in history
            ]
            if notes:
                condition["note"] = notes
            self.add(self.url("diagnosis", diagnosis.id), condition)

    def encounters(self) -> None:
        for line in self.record.appointments:
            a = line.appointment
            code, name = ("VR", "virtual") if line.telehealth else ("AMB", "ambulatory")
            encounter: Json = {
                "resourceType": "Encounter",
                "status": _ENCOUNTER_STATUS[a.status],
                "class": {"system": _ACT_CODE, "code": code, "display": name},
                "type": [{"text": line.type_label}],
                "subject": self.subject(),
                "participant": [{"individual": {"display": line.clinician_name}}],
                "period": {"start": _instant(a.starts_at), "end": _instant(a.ends_at)},
            }
            if a.status is AppointmentStatus.NO_SHOW:
                encounter["type"].append({"text": "No-show"})
            place = a.location or ("" if line.telehealth else line.room_name)
            if place:
                encounter["location"] = [{"location": {"display": place}}]
            self.add(self.url("appointment", a.id), encounter)

    def observations(self) -> None:
        for m in self.record.measures:
            code, display = MEASURE_CODES[m.instrument]
            observation: Json = {
                "resourceType": "Observation",
                "status": "final",
                "category": [
                    {"coding": [{"system": _OBS_CATEGORY, "code": "survey", "display": "Survey"}]}
                ],
                "code": {
                    "coding": [{"system": LOINC, "code": code, "display": display}],
                    "text": m.instrument.label,
                },
                "subject": self.subject(),
                "effectiveDateTime": _instant(m.administered_at),
                "valueInteger": m.total,
                "interpretation": [{"text": m.band}],
                "performer": [{"display": "the client" if m.by_client else m.entered_by_name}],
            }
            self.add(self.url("measure", m.id), observation)

    def document(
        self,
        full_url: str,
        kind: str,
        author: str,
        at: datetime,
        text: str,
        *,
        encounter: str | None = None,
        appends: str | None = None,
        service_code: str = "",
    ) -> None:
        reference: Json = {
            "resourceType": "DocumentReference",
            "status": "current",
            "docStatus": "final",
            "type": {"text": kind},
            "subject": self.subject(),
            "date": _instant(at),
            "author": [{"display": author}],
            "description": kind,
            "content": [{"attachment": _text_attachment(kind, text, at)}],
        }
        if appends is not None:
            reference["relatesTo"] = [{"code": "appends", "target": {"reference": appends}}]
        context: Json = {}
        if encounter is not None:
            context["encounter"] = [{"reference": encounter}]
        if service_code:
            context["event"] = [{"coding": [{"system": CPT, "code": service_code}]}]
        if context:
            reference["context"] = context
        self.add(full_url, reference)

    def documents(self) -> None:
        record = self.record
        shown = {line.appointment.id for line in record.appointments}
        for note in record.notes:
            url = self.url("progress_note", note.id)
            encounter = None
            if note.appointment_id is not None and note.appointment_id in shown:
                encounter = self.url("appointment", note.appointment_id)
            assert note.signed_at is not None
            self.document(
                url,
                f"Progress note ({note.template_name})",
                note.author_name,
                note.signed_at,
                note_text(note),
                encounter=encounter,
                service_code=note.cpt_code,
            )
            for addendum in note.addenda:
                self.document(
                    self.url("addendum", addendum.id),
                    "Addendum to a progress note",
                    addendum.author_name,
                    addendum.signed_at,
                    addendum.text,
                    appends=url,
                )
        for intake in record.intakes:
            assert intake.signed_at is not None
            self.document(
                self.url("intake", intake.id),
                "Intake assessment",
                intake.author_name,
                intake.signed_at,
                intake_text(intake),
            )
        for plan in record.plans:
            assert plan.signed_at is not None
            self.document(
                self.url("plan", plan.id),
                "Treatment plan",
                plan.author_name,
                plan.signed_at,
                plan_text(plan),
            )
        for item in record.psychotherapy:
            self.document(
                self.url("psychotherapy_note", item.note.id),
                "Psychotherapy note",
                item.author_name,
                item.note.updated_at,
                item.note.text,
            )


def _coded(system: str, code: str) -> Json:
    return {"coding": [{"system": system, "code": code}]}


def note_text(note: ProgressNote) -> str:
    parts = [f"{s.label}\n{s.text.strip()}" for s in note.sections if s.text.strip()]
    return "\n\n".join(parts)


def intake_text(intake: Intake) -> str:
    parts = []
    for _, questions in INTAKE_SECTIONS:
        for key, label, _prompt in questions:
            answer = intake.answers.get(key, "").strip()
            if answer:
                parts.append(f"{label}\n{answer}")
    risk = intake.risk
    parts.append(
        f"Risk: suicide {risk.suicide.label.lower()}, self-harm {risk.self_harm.label.lower()}, "
        f"violence {risk.violence.label.lower()}"
    )
    for key, label in SAFETY_PLAN_STEPS:
        step = intake.safety_plan.get(key, "").strip()
        if step:
            parts.append(f"Safety plan: {label}\n{step}")
    return "\n\n".join(parts)


def plan_text(plan: TreatmentPlan) -> str:
    lines = [f"Review by {plan.review_date.isoformat()}"]
    if plan.target_date is not None:
        lines.append(f"Target {plan.target_date.isoformat()}")
    for number, problem in enumerate(plan.problems, 1):
        lines.append(f"\nProblem {number}: {problem.text}")
        for goal in problem.goals:
            lines.append(f"  Goal: {goal.text}")
            for objective in goal.objectives:
                due = f" (by {objective.target_date.isoformat()})" if objective.target_date else ""
                lines.append(f"    Objective: {objective.text}{due}")
        lines += [f"  Intervention: {i}" for i in problem.interventions]
    return "\n".join(lines)


def fhir_bundle(record: ClientRecord) -> Json:
    builder = _Builder(record)
    builder.add(builder.patient, builder.patient_resource())
    if record.includes(ShareCategory.DIAGNOSES):
        builder.conditions()
    if record.includes(ShareCategory.APPOINTMENTS):
        builder.encounters()
    if record.includes(ShareCategory.MEASURES):
        builder.observations()
    builder.documents()
    return {
        "resourceType": "Bundle",
        "meta": {"lastUpdated": _instant(record.generated_at)},
        "type": "collection",
        "timestamp": _instant(record.generated_at),
        "entry": builder.entries,
    }


def render_fhir_json(record: ClientRecord) -> bytes:
    """The bundle as UTF-8 JSON, keys in the order written, two-space indents."""
    return json.dumps(fhir_bundle(record), ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
