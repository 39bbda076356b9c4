"""Superbills (the front desk's billing codes: no clinical words), the billing settings,
schedule printing, the owner's emergency-access review and its place in the audit
report, and the owner's "who opened this record" report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ehrdesk.core.audit_review import AuditFilter
from ehrdesk.core.billing import ClinicianIdentity, PracticeIdentity, npi_valid, parse_money
from ehrdesk.core.chart import ReasonCategory
from ehrdesk.core.errors import InvalidInput, PermissionDenied
from ehrdesk.services.documents import Purpose
from tests.records_support import (
    ADDENDUM_MARKER,
    NOTE_MARKER,
    VALID_NPI,
    RecordPractice,
    pdf_pngs,
    pdf_text,
)

FEB = (date(2026, 2, 1), date(2026, 2, 28))


def test_the_front_desk_prints_a_superbill_of_codes_and_fees(
    record_practice: RecordPractice, tmp_path: Path
) -> None:
    services = record_practice.as_user("frank")
    visits = services.superbills.visits(record_practice.casey, *FEB)
    assert [v.cpt_code for v in visits] == ["90834", "90834", None]  # the third: no note
    bill = services.superbills.superbill(record_practice.casey, *FEB, Purpose.PRINT)
    pdf = bill.render()
    pdf_pngs(pdf, tmp_path, "superbill", pages=1)
    text = pdf_text(pdf, tmp_path, "superbill")
    for expected in (
        "Superbill", "Riverside Counselling", "1 River Road", VALID_NPI, "12-3456789",
        "Carla", "LCSW 0451", "Casey Rivers", "1990-06-15", "Blue Lake Health", "BLH-0042",
        "F33.1", "90834", "$150.00", "$300.00", "2026-02-16", "2026-02-23",
        "1 visit(s) in this period are not listed",
    ):  # fmt: skip
        assert expected in text, expected
    assert "F41.1" not in text  # resolved: not billed against
    assert NOTE_MARKER not in text and ADDENDUM_MARKER not in text and "Subjective" not in text
    services = record_practice.as_user("owner")
    (event,) = [e for e in services.audit.events(limit=10_000) if e.reason == "superbill, 2 visits"]
    assert (event.username, event.action, event.object_id) == (
        "frank",
        "record_printed",
        str(record_practice.casey),
    )


def test_a_superbill_for_one_visit_and_its_refusals(record_practice: RecordPractice) -> None:
    casey = record_practice.casey
    services = record_practice.as_user("carla")
    first, _ = record_practice.visits
    services.superbills.superbill(casey, *FEB, Purpose.SAVE, appointment_ids=[first])
    unsigned = services.superbills.visits(casey, *FEB)[2].appointment_id
    with pytest.raises(InvalidInput, match="no signed note yet"):
        services.superbills.superbill(casey, *FEB, Purpose.SAVE, appointment_ids=[unsigned])
    with pytest.raises(InvalidInput, match="no visit with a signed note"):
        services.superbills.superbill(casey, date(2026, 1, 1), date(2026, 1, 31), Purpose.SAVE)
    services = record_practice.as_user("owner")
    services.superbills.set_fee_schedule({"90837": 190_00})
    with pytest.raises(InvalidInput, match="no fee for 90834; the owner sets fees in Settings"):
        services.superbills.superbill(casey, *FEB, Purpose.SAVE)
    services = record_practice.as_user("dev")  # not Dev's client
    with pytest.raises(PermissionDenied):
        services.superbills.visits(casey, *FEB)


def test_billing_settings_are_checked(record_practice: RecordPractice) -> None:
    services = record_practice.as_user("owner")
    assert npi_valid(VALID_NPI) and not npi_valid("1234567890")
    with pytest.raises(InvalidInput, match="not a valid NPI"):
        services.superbills.set_clinician_identity(2, ClinicianIdentity("1234567890"))
    with pytest.raises(InvalidInput, match="EIN"):
        services.superbills.set_practice_identity(PracticeIdentity(tax_id="12-34"))
    with pytest.raises(InvalidInput, match="not a CPT code"):
        services.superbills.set_fee_schedule({"9083": 100})
    assert parse_money("$1,200.5") == 120050
    settings = services.superbills.billing_settings()
    assert settings.fees["90834"] == 150_00
    assert settings.clinicians[record_practice.chart.ids["carla"]].licence == "LCSW 0451"
    services = record_practice.as_user("frank")
    with pytest.raises(PermissionDenied):
        services.superbills.set_fee_schedule({"90834": 1})


def test_the_front_desk_prints_the_week_without_clinical_content(
    record_practice: RecordPractice, tmp_path: Path
) -> None:
    services = record_practice.as_user("frank")
    week = services.schedule_print.schedule(date(2026, 2, 23), 7, None, Purpose.PRINT).render()
    pdf_pngs(week, tmp_path, "schedule-week-practice", pages=1)
    text = pdf_text(week, tmp_path, "week")
    for expected in ("Schedule", "Whole practice", "Monday 23 February", "10:00–10:50",
                     "Rivers, Casey", "Individual", "Room 2", "Carla", "Completed"):  # fmt: skip
        assert expected in text, expected
    assert NOTE_MARKER not in text and "F33.1" not in text
    day = services.schedule_print.schedule(
        date(2026, 2, 16), 1, record_practice.chart.ids["carla"], Purpose.SAVE
    ).render()
    pdf_pngs(day, tmp_path, "schedule-day-clinician", pages=1)
    assert "Monday 16 February 2026" in pdf_text(day, tmp_path, "day")
    services = record_practice.as_user("carla")
    with pytest.raises(PermissionDenied):  # a clinician prints only their own
        services.schedule_print.schedule(date(2026, 2, 23), 7, None, Purpose.PRINT)


def test_the_owner_reviews_every_emergency_access_and_the_report_shows_it(
    record_practice: RecordPractice, tmp_path: Path
) -> None:
    robin = record_practice.chart.robin
    services = record_practice.as_user("carla")
    services.emergency.request_access(robin, ReasonCategory.CRISIS, "Zqxreasonmarker", minutes=30)
    services = record_practice.as_user("owner")
    (use,) = services.emergency.uses()
    assert (use.user_name, use.client_id, use.reason_category) == (
        "Carla",
        robin,
        ReasonCategory.CRISIS,
    )
    assert use.acknowledged_at is None and use.state(services.clock.now()) == "open now"
    assert [f.kind.value for f in services.activity.flags()].count("emergency_access") == 1
    report = services.audit.audit_report(AuditFilter(), Purpose.SAVE).render()
    pdf_pngs(report, tmp_path, "audit-report-emergency", pages=2)
    text = pdf_text(report, tmp_path, "audit")
    assert "Emergency access in this period" in text and f"client {robin}" in text
    assert "crisis" in text and "not yet" in text and "Zqxreasonmarker" not in text
    services.emergency.acknowledge(services.emergency.grant(use.grant_id))
    assert services.emergency.uses(waiting_only=True) == []
    (reviewed,) = services.emergency.uses()
    assert reviewed.acknowledged_by_name == "Olive Owner"
    for username in ("carla", "frank"):
        services = record_practice.as_user(username)
        with pytest.raises(PermissionDenied):
            services.emergency.uses()


def test_who_opened_this_record_is_the_owners_printable_report(
    record_practice: RecordPractice, tmp_path: Path
) -> None:
    casey = record_practice.casey
    services = record_practice.as_user("carla")
    services.charts.open_chart(casey)
    services = record_practice.as_user("owner")
    pdf = services.audit.client_access_report(casey, Purpose.PRINT).render()
    pdf_pngs(pdf, tmp_path, "who-opened-this-record", pages=1)
    text = pdf_text(pdf, tmp_path, "access")
    for expected in ("Who opened this record", "Rivers, Casey", "Opened the chart", "Carla",
                     "clinician", "Confidential"):  # fmt: skip
        assert expected in text, expected
    assert NOTE_MARKER not in text
    services = record_practice.as_user("carla")
    with pytest.raises(PermissionDenied):
        services.audit.client_access_report(casey, Purpose.PRINT)
