"""The incident register: the 60-day deadline, clients from the audit log, letters
per affected client, and nothing about clients in the audit events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ehrdesk.core import audit_actions as actions
from ehrdesk.core.audit_review import PracticeHours
from ehrdesk.core.compliance import (
    IncidentDraft,
    IncidentStatus,
    RiskAssessment,
    RiskConclusion,
    notification_deadline,
)
from ehrdesk.core.errors import ConcurrentEditError, InvalidInput
from ehrdesk.core.models import Role
from ehrdesk.services.documents import Purpose
from ehrdesk.services.incidents import fill_template
from tests.compliance_support import add_client, log, pdf_page_png, pdf_words, user
from tests.conftest import Practice

DISCOVERED = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
TITLE = "Laptop left on the train"
WHAT = "A practice laptop was left on a commuter train and later returned by the rail company."


def _draft(**changes: object) -> IncidentDraft:
    draft = IncidentDraft(
        title=TITLE,
        what_happened=WHAT,
        discovered_at=DISCOVERED,
        occurred_from=DISCOVERED - timedelta(hours=20),
        occurred_until=DISCOVERED - timedelta(hours=2),
        risk=RiskAssessment(
            nature_and_extent="Names and appointment dates; no notes.",
            unauthorized_person="Unknown member of the public.",
            acquired_or_viewed="Unknown; the disk is encrypted.",
            mitigation="Laptop recovered; passwords changed.",
        ),
    )
    return replace(draft, **changes)  # type: ignore[arg-type]


def test_deadline_is_sixty_calendar_days_after_the_day_of_discovery() -> None:
    utc = PracticeHours().zone
    assert notification_deadline(DISCOVERED, utc) == date(2026, 5, 1)
    # 02:00 UTC on 3 March is still 2 March in New York: the practice's day counts.
    late = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    assert notification_deadline(late, utc) == date(2026, 5, 2)
    new_york = PracticeHours(time_zone="America/New_York").zone
    assert notification_deadline(late, new_york) == date(2026, 5, 1)
    # Across a leap day.
    assert notification_deadline(datetime(2028, 1, 15, tzinfo=UTC), utc) == date(2028, 3, 15)


def test_countdown_on_the_owner_s_today_view(practice: Practice) -> None:
    practice.sign_in()
    register = practice.services.incidents
    incident = register.record(_draft())
    [countdown] = register.countdowns()
    assert (countdown.incident_id, countdown.deadline, countdown.days_left) == (
        incident.id,
        date(2026, 5, 1),
        60,
    )
    assert "60 days left" in countdown.summary
    practice.clock.advance(days=60)
    assert register.countdowns()[0].days_left == 0
    assert "due today" in register.countdowns()[0].summary
    practice.clock.advance(days=2)
    assert register.countdowns()[0].days_left == -2
    assert "overdue by 2 days" in register.countdowns()[0].summary


@pytest.mark.parametrize(
    "change",
    [
        {"risk": RiskAssessment(conclusion=RiskConclusion.LOW_PROBABILITY)},
        {"status": IncidentStatus.NOTIFIED, "notified_on": date(2026, 3, 20)},
        {"status": IncidentStatus.CLOSED},
    ],
    ids=["low-probability", "notified", "closed"],
)
def test_countdown_stops(practice: Practice, change: dict[str, object]) -> None:
    practice.sign_in()
    register = practice.services.incidents
    incident = register.record(_draft())
    register.update(incident, _draft(**change))
    assert register.countdowns() == []


def test_a_stale_copy_cannot_overwrite_a_newer_edit(practice: Practice) -> None:
    practice.sign_in()
    register = practice.services.incidents
    incident = register.record(_draft())
    register.update(incident, _draft(decisions="Notify everyone."))
    with pytest.raises(ConcurrentEditError):
        register.update(incident, _draft(decisions="Notify nobody."))
    assert register.incident(incident.id).decisions == "Notify everyone."


def test_discovered_before_it_happened_is_refused(practice: Practice) -> None:
    practice.sign_in()
    with pytest.raises(InvalidInput):
        practice.services.incidents.record(_draft(occurred_from=DISCOVERED + timedelta(days=1)))
    with pytest.raises(InvalidInput):
        practice.services.incidents.record(_draft(title="  "))


def test_clients_taken_from_the_audit_log_of_a_user_and_a_span(
    practice: Practice, add_user: Callable[..., None]
) -> None:
    add_user("carla", Role.CLINICIAN)
    practice.sign_in()
    services = practice.services
    ids = [add_client(services, f"Client{n}", "Test") for n in range(4)]
    carla, owner = user(services, "carla"), user(services, "owner")
    start = DISCOVERED - timedelta(days=2)
    log(
        services,
        actions.CHART_OPENED,
        start + timedelta(hours=1),
        carla,
        object_type="client",
        object_id=str(ids[0]),
    )
    log(
        services,
        actions.CLIENT_VIEWED,
        start + timedelta(hours=2),
        carla,
        object_type="client",
        object_id=str(ids[1]),
    )
    log(
        services,
        actions.CHART_OPENED,
        start - timedelta(hours=1),
        carla,
        object_type="client",
        object_id=str(ids[2]),
    )
    log(
        services,
        actions.CHART_OPENED,
        start + timedelta(hours=3),
        owner,
        object_type="client",
        object_id=str(ids[3]),
    )
    incident = services.incidents.record(_draft())
    incident = services.incidents.add_clients_from_audit(
        incident, carla.id, start, start + timedelta(days=1)
    )
    assert incident.client_ids == (ids[0], ids[1])
    incident = services.incidents.add_clients(incident, [ids[3]])
    assert incident.client_ids == (ids[0], ids[1], ids[3])
    with pytest.raises(InvalidInput, match="not clients"):
        services.incidents.add_clients(incident, [99_999])
    incident = services.incidents.remove_client(incident, ids[1])
    assert incident.client_ids == (ids[0], ids[3])


def test_one_letter_per_affected_client_and_no_client_data_in_the_log(
    practice: Practice, tmp_path: Path
) -> None:
    practice.sign_in()
    services = practice.services
    zoe = add_client(
        services,
        "Zoë",
        "Ærø-Lindqvist",
        line1="3 Fjord Lane",
        city="Oslo",
        region="",
        postal="0150",
    )
    wei = add_client(
        services, "伟", "王", line1="1 Harbour Road", city="Hong Kong", region="", postal=""
    )
    incident = services.incidents.record(_draft())
    incident = services.incidents.add_clients(incident, [zoe, wei])
    letters = services.incidents.notification_letters(incident, Purpose.SAVE)
    assert len(letters) == 2
    first = pdf_words(letters[0].render(), tmp_path, "zoe")
    for phrase in [
        "Dear Zoë Ærø-Lindqvist",
        "3 Fjord Lane",
        "Oslo 0150",
        "Riverside Counselling",
        "left on a commuter train",
        "on 2 March 2026",
        "Names and appointment dates",
        "Laptop recovered",
        "Confidential",
        "Page 1 of 1",
        "Notification letter",
    ]:
        assert phrase in first, phrase
    second = pdf_words(letters[1].render(), tmp_path, "wei")
    assert "Dear 伟 王" in second and "Hong Kong" in second
    pdf_page_png(letters[1].render(), tmp_path, "notification-letter")
    assert [d.file_name for d in letters] == [
        f"Notification letter incident {incident.id} client {zoe}.pdf",
        f"Notification letter incident {incident.id} client {wei}.pdf",
    ]
    events = services.audit.events(limit=10_000)
    letters_logged = [e for e in events if e.action == actions.BREACH_LETTER_GENERATED]
    assert [(e.object_type, e.object_id) for e in letters_logged] == [
        ("client", str(zoe)),
        ("client", str(wei)),
    ]
    everything = " ".join(
        " ".join(str(v) for v in (e.username, e.action, e.object_type, e.object_id, e.reason))
        for e in events
    )
    for secret in ["Zoë", "Ærø", "伟", "王", "Fjord", "Oslo", "Harbour", "Laptop", "train"]:
        assert secret not in everything, secret


def test_template_placeholders() -> None:
    filled = fill_template(
        "Dear {client_name}, {unknown} {date}", {"client_name": "A", "date": "1"}
    )
    assert filled == "Dear A, {unknown} 1"


def test_the_practice_s_own_template_is_used(practice: Practice, tmp_path: Path) -> None:
    practice.sign_in()
    services = practice.services
    client = add_client(services, "Ann", "Able")
    services.incidents.set_letter_template("Hello {client_name} of {address}. Ref {incident_id}.")
    incident = services.incidents.add_clients(services.incidents.record(_draft()), [client])
    [letter] = services.incidents.notification_letters(incident, Purpose.PRINT)
    words = pdf_words(letter.render(), tmp_path)
    assert f"Hello Ann Able of 12 Elm Street Springfield, IL 62701. Ref {incident.id}." in words


def test_incident_record_prints_the_four_factors(practice: Practice, tmp_path: Path) -> None:
    practice.sign_in()
    services = practice.services
    incident = services.incidents.record(_draft(decisions="Notify the two clients by post."))
    document = services.incidents.incident_report(incident, Purpose.SAVE)
    words = pdf_words(document.render(), tmp_path)
    for phrase in [
        f"Incident #{incident.id}: {TITLE}",
        "NOTIFY BY 2026-05-01 (60 days after discovery)",
        "The nature and extent of the PHI involved",
        "Unknown member of the public",
        "Whether the PHI was actually acquired or viewed",
        "Notify the two clients",
        "Confidential",
        "Page 1 of",
    ]:
        assert phrase in words, phrase
    pdf_page_png(document.render(), tmp_path, "incident-record")
    exported = [e for e in services.audit.events(limit=1000) if e.action == "document_exported"]
    assert [(e.object_type, e.object_id) for e in exported] == [("incident", str(incident.id))]
