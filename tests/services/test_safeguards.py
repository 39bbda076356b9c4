"""Safeguard records and the security check: training reminders, business-associate
reviews, the versioned response plan, and the check's items, printed as the yearly
risk-review record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ehrdesk.core import audit_actions as actions
from ehrdesk.core.audit_review import AuditFilter
from ehrdesk.core.compliance import CheckStatus, IncidentDraft
from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.models import Role
from ehrdesk.security.passwords import PasswordPolicy
from ehrdesk.services.documents import Purpose
from ehrdesk.services.security_check import SecurityCheck
from tests.compliance_support import log, pdf_page_png, pdf_words, user
from tests.conftest import Practice

TODAY = date(2026, 3, 2)


def test_training_is_due_yearly_per_user(practice: Practice, add_user: Callable[..., None]) -> None:
    add_user("carla", Role.CLINICIAN)
    practice.sign_in()
    safeguards = practice.services.safeguards
    carla = user(practice.services, "carla")
    assert {t.username: t.is_due(TODAY) for t in safeguards.training_due()} == {
        "carla": True,
        "owner": True,
    }
    safeguards.record_training(carla.id, date(2025, 3, 2), "HIPAA privacy basics")
    due = {t.username: t for t in safeguards.training_due()}
    assert due["carla"].due_on == date(2026, 3, 2) and due["carla"].is_due(TODAY)
    safeguards.record_training(carla.id, date(2025, 3, 3), "Phishing")
    assert not {t.username: t for t in safeguards.training_due()}["carla"].is_due(TODAY)
    with pytest.raises(InvalidInput):
        safeguards.record_training(carla.id, TODAY + timedelta(days=1), "Future")
    assert [r.topic for r in safeguards.training_log()] == ["Phishing", "HIPAA privacy basics"]


def test_business_associates_and_their_reviews(practice: Practice) -> None:
    practice.sign_in()
    safeguards = practice.services.safeguards
    fax = safeguards.add_business_associate(
        "FaxCloud", "Incoming referral faxes", date(2024, 1, 10), date(2026, 3, 1)
    )
    assert fax.review_due(TODAY)
    fax = safeguards.update_business_associate(fax, replace(fax, next_review_on=date(2027, 3, 1)))
    assert not fax.review_due(TODAY) and fax.row_version == 2
    with pytest.raises(InvalidInput):
        safeguards.add_business_associate(" ", "", None, None)


def test_response_plan_keeps_its_history(practice: Practice) -> None:
    practice.sign_in()
    safeguards = practice.services.safeguards
    assert safeguards.response_plan() is None
    safeguards.save_response_plan("Owner leads.", "1. Contain.", "Insurer: 555-0100")
    practice.clock.advance(days=1)
    safeguards.save_response_plan("Owner leads.", "1. Contain. 2. Assess.", "Insurer: 555-0100")
    history = safeguards.response_plan_history()
    assert [p.version for p in history] == [2, 1]
    assert safeguards.response_plan() == history[0]
    assert history[1].steps == "1. Contain." and history[0].saved_by == "owner"


def _items(practice: Practice) -> dict[str, tuple[CheckStatus, str]]:
    report = practice.services.security.run()
    return {i.key: (i.status, i.finding) for i in report.items}


def test_security_check_items(practice: Practice, add_user: Callable[..., None]) -> None:
    add_user("carla", Role.CLINICIAN)
    practice.sign_in()
    services = practice.services
    items = _items(practice)
    assert set(items) == {
        "second_factor",
        "passwords",
        "key_slots",
        "backups",
        "restore_drill",
        "workstation",
        "idle_timeout",
        "audit_chain",
        "activity",
        "incidents",
        "training",
        "business_associates",
        "response_plan",
    }
    assert items["second_factor"][0] is CheckStatus.GOOD
    assert items["passwords"][0] is CheckStatus.GOOD
    assert items["backups"] == (CheckStatus.TO_DO, "No verified backup yet.")
    assert items["restore_drill"] == (CheckStatus.TO_DO, "No restore drill yet.")
    assert items["idle_timeout"][0] is CheckStatus.GOOD
    assert items["audit_chain"] == (CheckStatus.TO_DO, "The chain has never been verified.")
    assert items["training"][0] is CheckStatus.TO_DO
    assert items["response_plan"][0] is CheckStatus.TO_DO
    assert items["incidents"][0] is CheckStatus.GOOD

    services.audit.verify_chain()
    services.settings.set_idle_timeout_minutes(30)
    services.incidents.record(
        IncidentDraft("USB stick lost", "", datetime(2025, 12, 1, tzinfo=UTC))
    )
    log(services, actions.EMERGENCY_ACCESS_GRANTED, services.clock.now(), user(services, "carla"))
    items = _items(practice)
    assert items["audit_chain"] == (CheckStatus.GOOD, "Last verified today: intact.")
    assert items["idle_timeout"] == (CheckStatus.TO_DO, "ehrdesk locks after 30 idle minutes.")
    assert items["incidents"] == (
        CheckStatus.TO_DO,
        "1 open incident, 1 past the 60-day notification deadline.",
    )
    assert items["activity"][0] is CheckStatus.TO_DO


def test_a_policy_change_marks_every_password_as_set_under_an_older_policy(
    practice: Practice, add_user: Callable[..., None]
) -> None:
    """Stored passwords cannot be re-checked; the check says whose predates the policy."""
    add_user("carla", Role.CLINICIAN)
    practice.sign_in()
    services = practice.services
    services.settings.set_password_policy(PasswordPolicy(min_length=16))
    status, finding = _items(practice)["passwords"]
    assert status is CheckStatus.TO_DO and "carla, owner" in finding
    services.users.reset_password("carla", "sparrow lantern quietly 5512 harbour")
    assert "carla" not in _items(practice)["passwords"][1]


class _Backups:
    available = True

    def __init__(self, newest: datetime | None, drill: datetime | None) -> None:
        self._newest, self._drill = newest, drill

    def newest_verified_backup_at(self) -> datetime | None:
        return self._newest

    def last_restore_drill(self) -> datetime | None:
        return self._drill


def test_backup_status_comes_from_its_source(practice: Practice) -> None:
    practice.sign_in()
    services = practice.services
    now = services.clock.now()
    check = SecurityCheck(
        services.session,
        services.vaults.store,
        services.clock,
        _Backups(now - timedelta(days=2), None),
    )
    items = {i.key: i for i in check.run().items}
    assert (items["backups"].status, items["backups"].finding) == (
        CheckStatus.GOOD,
        "Taken and verified 2 days ago.",
    )
    assert items["restore_drill"].status is CheckStatus.TO_DO


def test_the_yearly_risk_review_record(
    practice: Practice, add_user: Callable[..., None], tmp_path: Path
) -> None:
    add_user("carla", Role.CLINICIAN)
    practice.sign_in()
    services = practice.services
    services.safeguards.record_training(
        user(services, "carla").id, date(2026, 1, 12), "Phishing and lost devices"
    )
    services.safeguards.add_business_associate(
        "FaxCloud", "Referral faxes", date(2024, 1, 10), date(2027, 1, 10)
    )
    services.safeguards.save_response_plan(
        "Owner: incident lead.\nFront desk: first contact.",
        "1. Contain.\n2. Assess the four factors.\n3. Notify within 60 days.",
        "Cyber insurer: 555-0100",
    )
    report = services.security.run()
    document = services.security.review_record(report, Purpose.SAVE)
    data = document.render()
    words = pdf_words(data, tmp_path)
    for phrase in [
        "Security risk review",
        "Second factor",
        "Needs doing",
        "Newest verified backup",
        "No verified backup yet.",
        "Security training",
        "Phishing and lost devices",
        "FaxCloud",
        "Incident-response plan",
        "Notify within 60 days",
        "Reviewed by",
        "Confidential",
        "Page 1 of",
    ]:
        assert phrase in words, phrase
    pdf_page_png(data, tmp_path, "security-review")
    pdf_page_png(data, tmp_path, "security-review-2", page=2)
    safeguards = services.safeguards.safeguards_document(Purpose.PRINT).render()
    assert "FaxCloud" in pdf_words(safeguards, tmp_path, "safeguards")
    pdf_page_png(safeguards, tmp_path, "safeguard-records")
    logged = services.audit.page(AuditFilter(object_type="document"), limit=10)
    assert [(e.action, e.object_id) for e in logged] == [
        ("document_printed", "safeguard_records"),
        ("document_exported", "security_risk_review"),
    ]
