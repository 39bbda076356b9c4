"""A client's record handed out: the right-of-access PDF, the FHIR R4 bundle (validated
with fhir.resources' R4 models), the age package that opens only with its passphrase,
psychotherapy notes only by their author's choice, and who may export at all."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

import pyrage
import pytest
from fhir.resources import __fhir_version__
from fhir.resources.bundle import Bundle

from ehrdesk.core.errors import InvalidInput, PermissionDenied
from ehrdesk.core.records import Delivery, RecordRequest, ShareCategory
from ehrdesk.security import passphrase as passphrases
from ehrdesk.services.documents import Purpose
from ehrdesk.services.registry import Services
from tests.records_support import (
    ADDENDUM_MARKER,
    CARLA_PSYCHOTHERAPY,
    DRAFT_MARKER,
    INTAKE_MARKER,
    NOTE_MARKER,
    OWNER_PSYCHOTHERAPY,
    RecordPractice,
    pdf_page_texts,
    pdf_pngs,
    pdf_text,
)

#: Required bindings of FHIR R4 that the models do not check (they check structure,
#: types, cardinality and required elements): the codes we write must be in these.
R4_CODES = {
    ("Encounter", "status"): {"planned", "arrived", "triaged", "in-progress", "onleave",
                              "finished", "cancelled", "entered-in-error", "unknown"},
    ("Observation", "status"): {"registered", "preliminary", "final", "amended"},
    ("DocumentReference", "status"): {"current", "superseded", "entered-in-error"},
    ("DocumentReference", "docStatus"): {"preliminary", "final", "amended", "entered-in-error"},
}  # fmt: skip


def validate_r4(data: bytes) -> dict:  # type: ignore[type-arg]
    """Parse with the R4 (4.0.1) models; fails on any element R4 does not know."""
    assert __fhir_version__ == "4.0.1"
    bundle = json.loads(data)
    Bundle.parse_obj(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        assert entry["fullUrl"].startswith("urn:uuid:")
        for (kind, element), codes in R4_CODES.items():
            if resource["resourceType"] == kind:
                assert resource[element] in codes, (kind, element, resource[element])
    return bundle  # type: ignore[no-any-return]


def resources(bundle: dict, kind: str) -> list[dict]:  # type: ignore[type-arg]
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def attachment_texts(bundle: dict) -> str:  # type: ignore[type-arg]
    return " ".join(
        base64.b64decode(c["attachment"]["data"]).decode("utf-8")
        for r in resources(bundle, "DocumentReference")
        for c in r["content"]
    )


def test_the_right_of_access_pdf_holds_the_signed_record_and_no_more(
    record_practice: RecordPractice, tmp_path: Path
) -> None:
    services = record_practice.as_user("carla")
    prepared = services.records.export(record_practice.casey, RecordRequest(), Delivery.PDF)
    assert prepared.file_name.endswith(".pdf") and "Rivers" not in prepared.file_name
    pdf = prepared.render()
    pdf_pngs(pdf, tmp_path, "right-of-access-record", pages=4)
    text = pdf_text(pdf, tmp_path, "record")
    for expected in (
        "Client record", "Rivers, Casey", "Right of access", "Riverside Counselling",
        "F33.1", "Major depressive disorder", "Resolved", NOTE_MARKER, ADDENDUM_MARKER,
        INTAKE_MARKER, "Behavioural activation", "PHQ-9", "GAD-7", "moderate", "Blue Lake Health",
        "Completed", "Confidential", "Page 1 of",
    ):  # fmt: skip
        assert expected in text, expected
    for absent in (DRAFT_MARKER, CARLA_PSYCHOTHERAPY, OWNER_PSYCHOTHERAPY, "27 of 27"):
        assert absent not in text, absent
    # A label is never left at the foot of a page with its text overleaf.
    pages = pdf_page_texts(pdf, tmp_path, "record-pages")
    assert len(pages) >= 2
    (with_addendum,) = [p for p in pages if "Addendum by" in p]
    assert ADDENDUM_MARKER in with_addendum


def test_the_fhir_bundle_is_valid_r4_with_the_chosen_codes(
    record_practice: RecordPractice,
) -> None:
    services = record_practice.as_user("carla")
    data = services.records.export(record_practice.casey, RecordRequest(), Delivery.FHIR).render()
    bundle = validate_r4(data)
    assert bundle["type"] == "collection"
    (patient,) = resources(bundle, "Patient")
    assert patient["name"][0]["family"] == "Rivers" and patient["birthDate"] == "1990-06-15"
    assert patient["address"][0]["city"] == "Springfield"
    codes = {c["code"]["coding"][0]["code"]: c for c in resources(bundle, "Condition")}
    assert codes["F33.1"]["code"]["coding"][0]["system"] == "http://hl7.org/fhir/sid/icd-10-cm"
    assert codes["F41.1"]["clinicalStatus"]["coding"][0]["code"] == "resolved"
    loinc = sorted(o["code"]["coding"][0]["code"] for o in resources(bundle, "Observation"))
    assert loinc == ["44261-6", "70274-6"]  # the voided PHQ-9 is not there
    phq9 = next(o for o in resources(bundle, "Observation") if o["code"]["text"] == "PHQ-9")
    assert phq9["valueInteger"] == 10 and phq9["interpretation"][0]["text"] == "moderate"
    encounters = resources(bundle, "Encounter")
    assert len(encounters) == 3 and {e["status"] for e in encounters} == {"finished"}
    documents = resources(bundle, "DocumentReference")
    addendum = next(d for d in documents if "relatesTo" in d)
    assert addendum["relatesTo"][0]["code"] == "appends"
    linked = [d for d in documents if "context" in d and "encounter" in d["context"]]
    assert len(linked) == 2  # each signed note points at its visit
    texts = attachment_texts(bundle)
    assert NOTE_MARKER in texts and ADDENDUM_MARKER in texts and INTAKE_MARKER in texts
    assert DRAFT_MARKER not in texts and CARLA_PSYCHOTHERAPY not in texts
    assert OWNER_PSYCHOTHERAPY not in data.decode()
    # The same record twice names its resources the same.
    again = services.records.export(record_practice.casey, RecordRequest(), Delivery.FHIR)
    assert [e["fullUrl"] for e in json.loads(again.render())["entry"]] == [
        e["fullUrl"] for e in bundle["entry"]
    ]


def test_the_package_opens_with_its_passphrase_only(
    record_practice: RecordPractice, tmp_path: Path
) -> None:
    services = record_practice.as_user("carla")
    words = services.records.new_passphrase()
    assert len(words.split()) == 8
    before = set(tmp_path.iterdir())
    sealed = services.records.export(
        record_practice.casey, RecordRequest(), Delivery.PACKAGE, passphrase=words
    )
    assert sealed.file_name.endswith(".age") and sealed.media_type == "application/age"
    data = sealed.render()
    assert set(tmp_path.iterdir()) == before  # rendering wrote no file anywhere
    # The age format: its version line, then one scrypt stanza (passphrase mode).
    header = data.split(b"\n---", 1)[0].decode("ascii").splitlines()
    assert header[0] == "age-encryption.org/v1"
    assert header[1].startswith("-> scrypt ")
    assert NOTE_MARKER.encode() not in data and b"Rivers" not in data
    with pytest.raises(InvalidInput, match="does not open"):
        passphrases.unseal(data, "wrong horse battery staple again")
    # Opened with pyrage's own passphrase decryption (age's rules), not ehrdesk's code,
    # and with the words exactly as the sheet prints them.
    with pytest.raises(pyrage.DecryptError):
        pyrage.passphrase.decrypt(data, words.upper())
    archive = zipfile.ZipFile(io.BytesIO(pyrage.passphrase.decrypt(data, words)))
    assert sorted(archive.namelist()) == ["README.txt", "record.fhir.json", "record.pdf"]
    assert archive.read("record.pdf").startswith(b"%PDF-")
    validate_r4(archive.read("record.fhir.json"))
    assert NOTE_MARKER in pdf_text(archive.read("record.pdf"), tmp_path, "from-package")


def test_a_typed_passphrase_must_be_strong(record_practice: RecordPractice) -> None:
    services = record_practice.as_user("carla")
    with pytest.raises(InvalidInput, match="too easy to guess"):
        services.records.export(
            record_practice.casey, RecordRequest(), Delivery.PACKAGE, passphrase="password123"
        )
    strong = "cobalt meadow lantern quietly orbit ferns"
    assert passphrases.check_passphrase(strong) == strong


def test_the_author_alone_includes_psychotherapy_notes(
    record_practice: RecordPractice, tmp_path: Path
) -> None:
    casey = record_practice.casey
    services = record_practice.as_user("carla")
    outline = services.records.outline(casey)
    assert [i for i, _ in outline.my_psychotherapy_notes] == [record_practice.carla_psychotherapy]
    mine = RecordRequest(all_my_psychotherapy_notes=True)
    pdf = services.records.export(casey, mine, Delivery.PDF).render()
    text = pdf_text(pdf, tmp_path, "with-psychotherapy")
    assert CARLA_PSYCHOTHERAPY in text and OWNER_PSYCHOTHERAPY not in text
    data = services.records.export(casey, mine, Delivery.FHIR).render()
    assert CARLA_PSYCHOTHERAPY in attachment_texts(validate_r4(data))
    # Naming someone else's note is refused, and the refusal is audited.
    theirs = RecordRequest(psychotherapy_note_ids=(record_practice.owner_psychotherapy,))
    with pytest.raises(PermissionDenied, match="only by the clinician who wrote them"):
        services.records.export(casey, theirs, Delivery.PDF)

    services = record_practice.as_user("owner")
    with pytest.raises(PermissionDenied):
        services.records.export(
            casey,
            RecordRequest(psychotherapy_note_ids=(record_practice.carla_psychotherapy,)),
            Delivery.PDF,
        )
    own = services.records.export(
        casey, RecordRequest(all_my_psychotherapy_notes=True), Delivery.PDF
    )
    text = pdf_text(own.render(), tmp_path, "owner-psychotherapy")
    assert OWNER_PSYCHOTHERAPY in text and CARLA_PSYCHOTHERAPY not in text
    refused = [
        (e.action, e.object_id)
        for e in services.audit.events(limit=10_000)
        if e.action == "psychotherapy_note_refused"
    ]
    assert refused == [
        ("psychotherapy_note_refused", str(record_practice.owner_psychotherapy)),
        ("psychotherapy_note_refused", str(record_practice.carla_psychotherapy)),
    ]


def test_only_those_who_may_see_the_chart_export_it(record_practice: RecordPractice) -> None:
    casey = record_practice.casey
    services = record_practice.as_user("dev")  # another clinician: not Casey's
    with pytest.raises(PermissionDenied):
        services.records.export(casey, RecordRequest(), Delivery.PDF)
    services = record_practice.as_user("frank")  # the front desk: never clinical records
    with pytest.raises(PermissionDenied):
        services.records.export(casey, RecordRequest(), Delivery.PDF)
    services = record_practice.as_user("owner")
    denials = [
        (e.username, e.object_type, e.object_id)
        for e in services.audit.events(limit=10_000)
        if e.action == "permission_denied"
    ]
    assert ("dev", "client", str(casey)) in denials
    assert ("frank", "action", "release_records") in denials


def test_a_narrowed_request_leaves_the_rest_out(
    record_practice: RecordPractice, tmp_path: Path
) -> None:
    services = record_practice.as_user("carla")
    request = RecordRequest(categories=frozenset({ShareCategory.DIAGNOSES}))
    text = pdf_text(
        services.records.export(record_practice.casey, request, Delivery.PDF).render(),
        tmp_path,
        "narrow",
    )
    assert "F33.1" in text and NOTE_MARKER not in text and "Blue Lake Health" not in text
    bundle = validate_r4(
        services.records.export(record_practice.casey, request, Delivery.FHIR).render()
    )
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"Patient", "Condition"}
    with pytest.raises(InvalidInput, match="at least one part"):
        services.records.export(
            record_practice.casey, RecordRequest(categories=frozenset()), Delivery.PDF
        )


def test_every_export_is_audited_with_ids_only(record_practice: RecordPractice) -> None:
    services = record_practice.as_user("carla")
    services.records.export(record_practice.casey, RecordRequest(), Delivery.PRINTED)
    services.records.export(record_practice.casey, RecordRequest(), Delivery.FHIR)
    services = record_practice.as_user("owner")
    events = [e for e in services.audit.events(limit=10_000) if e.action.startswith("record_")]
    assert [(e.action, e.object_type, e.object_id, e.reason) for e in events] == [
        ("record_printed", "client", str(record_practice.casey), "right of access, printed"),
        ("record_exported", "client", str(record_practice.casey), "right of access, fhir"),
    ]
    assert services.records.disclosures(record_practice.casey) == []  # not a disclosure


def _no_marker_in(services: Services, markers: tuple[str, ...]) -> None:
    for event in services.audit.events(limit=10_000):
        text = " ".join(str(v) for v in vars(event).values())
        assert not any(m in text for m in markers), event


def test_the_passphrase_sheet_names_the_file_but_not_the_client(
    record_practice: RecordPractice, tmp_path: Path
) -> None:
    services = record_practice.as_user("carla")
    words = services.records.new_passphrase()
    sheet = services.records.passphrase_sheet(words, "Client record 7.age", Purpose.PRINT)
    pdf = sheet.render()
    assert len(pdf_pngs(pdf, tmp_path, "passphrase-sheet", pages=1)) == 1
    text = pdf_text(pdf, tmp_path, "sheet")
    for expected in ("Your records’ passphrase", "Riverside Counselling", "Client record 7.age",
                     "Confidential", "Page 1 of 1",
                     # a name with spaces, quoted so the command works as printed
                     'age --decrypt -o record.zip "Client record 7.age"'):  # fmt: skip
        assert expected in text, expected
    for i, word in enumerate(words.split(), 1):
        assert f"{i}. {word}" in text
    assert "Rivers, Casey" not in text and "Casey" not in text
    services = record_practice.as_user("owner")
    printed = [e for e in services.audit.events(limit=1000) if e.reason == "passphrase sheet"]
    assert [(e.action, e.object_id) for e in printed] == [("document_printed", None)]
