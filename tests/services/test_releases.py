"""Releases of information and the accounting of disclosures: a record goes to someone
else only under a release in force that covers it, or a recorded legal basis; every
such export is a disclosure in the accounting and an audit event with ids only."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from ehrdesk.core.errors import InvalidInput, PermissionDenied
from ehrdesk.core.records import (
    MAX_FORM_BYTES,
    STANDARD_CATEGORIES,
    Delivery,
    DisclosureBasis,
    LegalBasis,
    RecordRequest,
    ReleaseDraft,
    ShareCategory,
)
from ehrdesk.services.documents import Purpose
from ehrdesk.services.registry import Services
from tests.records_support import (
    CARLA_PSYCHOTHERAPY,
    NOTE_MARKER,
    RecordPractice,
    pdf_pngs,
    pdf_text,
    signature_png,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n% a scanned form\n"
TODAY = date(2026, 3, 2)  # the frozen clock's day in Chicago


def release(
    services: Services,
    client_id: int,
    *,
    categories: frozenset[ShareCategory] = STANDARD_CATEGORIES,
    signed: date = TODAY - timedelta(days=10),
    expires: date = TODAY + timedelta(days=180),
    form: bytes | None = PDF,
):  # type: ignore[no-untyped-def]
    draft = ReleaseDraft(
        "Dr. Lee, Lakeside Psychiatry", categories, "Continuity of care", signed, expires,
        "fax 312 555 0199",
    )  # fmt: skip
    return services.releases.record(client_id, draft, form)


def to(release_id: int) -> RecordRequest:
    return RecordRequest(to=DisclosureBasis(release_id=release_id))


def test_a_release_is_recorded_with_its_signed_form_inside_the_vault(
    record_practice: RecordPractice,
) -> None:
    services = record_practice.as_user("carla")
    recorded = release(services, record_practice.casey, form=PNG)
    assert recorded.form_type == "image/png" and recorded.form_size == len(PNG)
    assert recorded.status(TODAY) == "In force"
    assert services.releases.signed_form(recorded.id).data == PNG
    assert services.releases.releases(record_practice.casey) == [recorded]
    # A better scan may replace the form until the release is used.
    replaced = services.releases.attach_form(recorded, PDF)
    assert replaced.form_type == "application/pdf"


def test_a_signed_form_must_be_a_scan_of_reasonable_size(record_practice: RecordPractice) -> None:
    services = record_practice.as_user("carla")
    with pytest.raises(InvalidInput, match="must be a PDF, PNG or JPEG file"):
        release(services, record_practice.casey, form=b"GIF89a not accepted")
    with pytest.raises(InvalidInput, match=r"too large \(8\.0 MB\); forms up to 8 MB"):
        release(services, record_practice.casey, form=PDF + b"0" * MAX_FORM_BYTES)
    with pytest.raises(InvalidInput, match="expire after the day it was signed"):
        release(services, record_practice.casey, expires=TODAY - timedelta(days=10))
    assert services.releases.releases(record_practice.casey) == []


def test_a_release_signed_on_screen_keeps_the_authorisation_with_the_signature(
    record_practice: RecordPractice, tmp_path: Path
) -> None:
    casey = record_practice.casey
    services = record_practice.as_user("carla")
    unsigned = release(services, casey, form=None)
    before = sorted(tmp_path.rglob("*"))
    signed = services.releases.sign_on_screen(unsigned, signature_png())
    assert sorted(tmp_path.rglob("*")) == before  # drawn in memory: no file anywhere new
    assert signed.form_type == "application/pdf" and signed.form_size > 0
    form = services.releases.signed_form(signed.id)
    pngs = pdf_pngs(form.data, tmp_path, "release-signed-on-screen", pages=1)
    assert len(pngs) == 1  # one page: the terms and the signature together
    text = pdf_text(form.data, tmp_path, "signed-release")
    for expected in (
        "Release of information", "Authorisation by Rivers, Casey", "1990-06-15",
        "Riverside Counselling", "Dr. Lee, Lakeside Psychiatry", "fax 312 555 0199",
        "Progress notes", "Continuity of care", "I may revoke this authorisation",
        "do not depend", "Signature of the client", "Signed on screen on 02 March 2026",
        f"release #{signed.id}", "Confidential", "Page 1 of 1",
    ):  # fmt: skip
        assert expected in text, expected
    assert "Psychotherapy notes" not in text  # not ticked on this release
    services = record_practice.as_user("owner")
    events = [e for e in services.audit.events(limit=10_000) if e.action.startswith("release_")]
    assert ("release_signed_on_screen", "client", str(casey), f"release {signed.id}") in [
        (e.action, e.object_type, e.object_id, e.reason) for e in events
    ]


def test_a_signature_must_be_a_drawn_image_and_a_used_form_stays(
    record_practice: RecordPractice,
) -> None:
    casey = record_practice.casey
    services = record_practice.as_user("carla")
    unsigned = release(services, casey, form=None)
    for bad in (PNG, PDF, b"\xff\xd8\xff not a signature"):
        with pytest.raises(InvalidInput, match="The signature could not be read"):
            services.releases.sign_on_screen(unsigned, bad)
    with pytest.raises(InvalidInput, match="must be a PDF, PNG or JPEG file"):
        services.releases.sign_on_screen(unsigned, b"GIF89a")
    assert services.releases.releases(casey)[0].form_type is None  # nothing was kept
    services.records.export(casey, to(unsigned.id), Delivery.PDF)
    with pytest.raises(InvalidInput, match="kept as it is"):
        services.releases.sign_on_screen(unsigned, signature_png())


def test_a_disclosure_under_a_release_is_in_the_accounting_and_the_audit_log(
    record_practice: RecordPractice, tmp_path: Path
) -> None:
    casey = record_practice.casey
    services = record_practice.as_user("carla")
    recorded = release(services, casey)
    pdf = services.records.export(casey, to(recorded.id), Delivery.PDF).render()
    text = pdf_text(pdf, tmp_path, "disclosed")
    assert "Dr. Lee, Lakeside Psychiatry" in text and f"Release #{recorded.id}" in text
    assert NOTE_MARKER in text
    (disclosure,) = services.records.disclosures(casey)
    assert disclosure.recipient == "Dr. Lee, Lakeside Psychiatry"
    assert disclosure.release_id == recorded.id and disclosure.delivery is Delivery.PDF
    assert disclosure.purpose == "Continuity of care" and disclosure.by_name == "Carla"
    # The form is evidence now.
    with pytest.raises(InvalidInput, match="kept as it is"):
        services.releases.attach_form(services.releases.releases(casey)[0], PNG)
    accounting = services.records.accounting(casey, Purpose.SAVE).render()
    pdf_pngs(accounting, tmp_path, "accounting-of-disclosures", pages=1)
    text = pdf_text(accounting, tmp_path, "accounting")
    for expected in ("Accounting of disclosures", "Rivers, Casey", "Dr. Lee", "Continuity of",
                     f"Release #{recorded.id}", "Carla", "Confidential"):  # fmt: skip
        assert expected in text, expected
    services = record_practice.as_user("owner")
    exported = [
        (e.action, e.object_type, e.object_id, e.reason)
        for e in services.audit.events(limit=10_000)
        if e.action == "record_exported"
    ]
    assert exported == [
        ("record_exported", "client", str(casey), f"disclosure {disclosure.id}, pdf"),
        ("record_exported", "client", str(casey), "accounting of disclosures"),
    ]


def test_without_a_release_or_legal_basis_there_is_one_clear_refusal() -> None:
    with pytest.raises(InvalidInput) as refused:
        DisclosureBasis()
    assert refused.value.message == (
        "Choose a release signed by the client, or record the legal basis for sharing without one."
    )


def test_an_expired_or_revoked_or_narrower_release_is_refused(
    record_practice: RecordPractice,
) -> None:
    casey = record_practice.casey
    services = record_practice.as_user("carla")
    expired = release(
        services, casey, signed=TODAY - timedelta(days=400), expires=TODAY - timedelta(days=1)
    )
    with pytest.raises(InvalidInput, match=r"^This release expired on 01 March 2026; ask"):
        services.records.export(casey, to(expired.id), Delivery.PDF)
    revoked = services.releases.revoke(release(services, casey))
    assert revoked.status(TODAY) == "Revoked"
    with pytest.raises(InvalidInput, match=r"^This release was revoked by the client"):
        services.records.export(casey, to(revoked.id), Delivery.PDF)
    narrow = release(services, casey, categories=frozenset({ShareCategory.DIAGNOSES}))
    with pytest.raises(InvalidInput, match="does not cover demographics"):
        services.records.export(casey, to(narrow.id), Delivery.PDF)
    fits = RecordRequest(categories=frozenset({ShareCategory.DIAGNOSES}), to=to(narrow.id).to)
    services.records.export(casey, fits, Delivery.PRINTED)
    with pytest.raises(InvalidInput, match="does not cover psychotherapy notes;"):
        services.records.export(
            casey,
            RecordRequest(
                categories=frozenset({ShareCategory.DIAGNOSES}),
                all_my_psychotherapy_notes=True,
                to=to(narrow.id).to,
            ),
            Delivery.PDF,
        )
    assert len(services.records.disclosures(casey)) == 1


def test_psychotherapy_notes_go_out_only_under_a_release_that_names_them(
    record_practice: RecordPractice, tmp_path: Path
) -> None:
    casey = record_practice.casey
    services = record_practice.as_user("carla")
    court = DisclosureBasis(
        legal_basis=LegalBasis.COURT_ORDER, recipient="County court", purpose="Subpoena 24-117"
    )
    with pytest.raises(InvalidInput, match="only under a release that names them"):
        services.records.export(
            casey, RecordRequest(all_my_psychotherapy_notes=True, to=court), Delivery.PDF
        )
    named = release(services, casey, categories=frozenset(ShareCategory))
    request = RecordRequest(all_my_psychotherapy_notes=True, to=to(named.id).to)
    text = pdf_text(services.records.export(casey, request, Delivery.PDF).render(), tmp_path, "p")
    assert CARLA_PSYCHOTHERAPY in text
    (disclosure,) = services.records.disclosures(casey)
    assert ShareCategory.PSYCHOTHERAPY_NOTES in disclosure.categories


def test_a_legal_basis_is_recorded_instead_of_a_release(record_practice: RecordPractice) -> None:
    casey = record_practice.casey
    services = record_practice.as_user("carla")
    with pytest.raises(InvalidInput, match="Please fill in the reason"):
        DisclosureBasis(legal_basis=LegalBasis.OTHER, recipient="Crisis team", purpose="Safety")
    with pytest.raises(InvalidInput, match="Please fill in the recipient"):
        DisclosureBasis(legal_basis=LegalBasis.TREATMENT, purpose="Admission")
    court = DisclosureBasis(
        legal_basis=LegalBasis.COURT_ORDER,
        legal_detail="Order 24-117, Judge Ames",
        recipient="County court",
        purpose="Custody hearing",
    )
    services.records.export(casey, RecordRequest(to=court), Delivery.PRINTED)
    (disclosure,) = services.records.disclosures(casey)
    assert disclosure.release_id is None and disclosure.legal_basis is LegalBasis.COURT_ORDER
    assert disclosure.basis_text == (
        "A court order or subpoena signed by a judge: Order 24-117, Judge Ames"
    )
    assert disclosure.delivery is Delivery.PRINTED


def test_no_client_data_reaches_the_audit_log_or_an_error(record_practice: RecordPractice) -> None:
    casey = record_practice.casey
    services = record_practice.as_user("carla")
    used = release(services, casey)
    services.records.export(casey, to(used.id), Delivery.FHIR)
    court = DisclosureBasis(
        legal_basis=LegalBasis.COURT_ORDER, legal_detail="Order Zqxordermarker",
        recipient="Zqxcourtmarker", purpose="Zqxpurposemarker",
    )  # fmt: skip
    services.records.export(casey, RecordRequest(to=court), Delivery.PDF)
    services.releases.revoke(services.releases.releases(casey)[0])
    services = record_practice.as_user("owner")
    markers = ("Zqx", "Lee", "Lakeside", "Rivers", "Casey", "Continuity")
    for event in services.audit.events(limit=10_000):
        fields = (event.action, event.object_type, event.object_id, event.reason)
        text = " ".join(str(v) for v in fields)
        assert not any(m in text for m in markers), event


def test_the_front_desk_and_other_clinicians_reach_no_release(
    record_practice: RecordPractice,
) -> None:
    casey = record_practice.casey
    for username in ("frank", "dev"):
        services = record_practice.as_user(username)
        with pytest.raises(PermissionDenied):
            services.releases.releases(casey)
        with pytest.raises(PermissionDenied):
            services.records.disclosures(casey)
    services = record_practice.as_user("owner")  # the owner, as supervisor, may
    assert services.records.disclosures(casey) == []
