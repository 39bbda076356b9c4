"""Handing records out leaves no client data behind: not in a temporary file (the system's
temporary folder stays empty while every document is made), not in the data folder in
the clear (the scanned release form is inside the encrypted database), not in an audit
event (ids and action words only), not in a refusal's sentence. The package is the only
file written, and only where the person chose."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest

from ehrdesk.core.errors import UserFacingError
from ehrdesk.core.records import (
    STANDARD_CATEGORIES,
    Delivery,
    DisclosureBasis,
    LegalBasis,
    RecordRequest,
    ReleaseDraft,
    ShareCategory,
)
from ehrdesk.services.documents import Purpose, save_document
from tests.records_support import (
    ADDENDUM_MARKER,
    CARLA_PSYCHOTHERAPY,
    INTAKE_MARKER,
    NOTE_MARKER,
    RecordPractice,
)

FORM_MARKER = "Zqxsignedformmarker"
RECIPIENT = "Zqxrecipientmarker Clinic"
MARKERS = (
    NOTE_MARKER,
    ADDENDUM_MARKER,
    INTAKE_MARKER,
    CARLA_PSYCHOTHERAPY,
    FORM_MARKER,
    RECIPIENT,
)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_every_way_out_leaves_nothing_behind(
    record_practice: RecordPractice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "system-temp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    for name in ("TMPDIR", "TEMP", "TMP"):
        monkeypatch.setenv(name, str(scratch))
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    casey = record_practice.casey
    services = record_practice.as_user("carla")
    today = date(2026, 3, 2)
    form = b"%PDF-1.4\n" + FORM_MARKER.encode() + b"\n"
    narrow = services.releases.record(
        casey,
        ReleaseDraft(RECIPIENT, frozenset({ShareCategory.DIAGNOSES}), "Zqx purpose",
                     today - timedelta(days=3), today + timedelta(days=90)),
        form,
    )  # fmt: skip
    full = services.releases.record(
        casey,
        ReleaseDraft(RECIPIENT, frozenset(ShareCategory), "Care", today, today + timedelta(9)),
    )
    refusals: list[str] = []
    for request in (
        RecordRequest(to=DisclosureBasis(release_id=narrow.id)),
        RecordRequest(psychotherapy_note_ids=(record_practice.owner_psychotherapy,)),
    ):
        with pytest.raises(UserFacingError) as refused:
            services.records.export(casey, request, Delivery.PDF)
        refusals.append(str(refused.value))
    with pytest.raises(UserFacingError) as refused:
        DisclosureBasis(legal_basis=LegalBasis.OTHER, recipient=RECIPIENT, purpose="x")
    refusals.append(str(refused.value))
    documents = [
        services.records.export(casey, RecordRequest(all_my_psychotherapy_notes=True), d)
        for d in (Delivery.PRINTED, Delivery.PDF, Delivery.FHIR)
    ]
    documents.append(
        services.records.export(
            casey,
            RecordRequest(categories=STANDARD_CATEGORIES, to=DisclosureBasis(release_id=full.id)),
            Delivery.PACKAGE,
            passphrase=services.records.new_passphrase(),
        )
    )
    documents.append(services.records.accounting(casey, Purpose.PRINT))
    february = (date(2026, 2, 1), date(2026, 2, 28))
    documents.append(services.superbills.superbill(casey, *february, Purpose.PRINT))
    carla = record_practice.chart.ids["carla"]
    documents.append(services.schedule_print.schedule(date(2026, 2, 16), 7, carla, Purpose.SAVE))
    assert services.releases.signed_form(narrow.id).data == form
    rendered = [d.render() for d in documents]
    save_document(chosen / documents[3].file_name, rendered[3])

    assert _files(scratch) == []  # no temporary file, ever
    assert [p.name for p in _files(chosen)] == [documents[3].file_name]
    package = (chosen / documents[3].file_name).read_bytes()
    assert package.startswith(b"age-encryption.org/v1\n")
    for marker in MARKERS:
        assert marker.encode() not in package
        assert not any(marker in text for text in refusals), refusals
        for path in _files(record_practice.services.data_dir):
            assert marker.encode() not in path.read_bytes(), (marker, path.name)
    services = record_practice.as_user("owner")
    for event in services.audit.events(limit=10_000):
        text = " ".join(str(v) for v in (event.object_type, event.object_id, event.reason))
        assert not any(m in text for m in (*MARKERS, "Zqx", "Rivers", "Casey")), event
