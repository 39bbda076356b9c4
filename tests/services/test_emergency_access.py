"""Emergency access: refused without a reason, time-boxed, audited, on the owner's
Today list until acknowledged; without it another clinician's client stays closed."""

from __future__ import annotations

import pytest

from ehrdesk.core.chart import AccessBasis, ReasonCategory
from ehrdesk.core.errors import ChartAccessRequired, InvalidInput, PermissionDenied
from tests.chart_support import ChartPractice

REASON = "zqxreason the client phoned in distress"


def events(chart: ChartPractice) -> list[tuple[str, str | None, str | None, str | None]]:
    services = chart.as_user("owner")
    return [
        (e.action, e.username, e.object_id, e.reason) for e in services.audit.events(limit=10_000)
    ]


def test_another_clinicians_chart_is_refused_and_the_refusal_audited(
    chart_practice: ChartPractice,
) -> None:
    services = chart_practice.as_user("dev")
    with pytest.raises(ChartAccessRequired) as refused:
        services.charts.open_chart(chart_practice.casey)
    assert "emergency access" in refused.value.message
    assert ("chart_access_denied", "dev", str(chart_practice.casey), None) in events(chart_practice)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_no_reason_no_access(chart_practice: ChartPractice, reason: str) -> None:
    services = chart_practice.as_user("dev")
    with pytest.raises(InvalidInput) as refused:
        services.emergency.request_access(chart_practice.casey, ReasonCategory.CRISIS, reason)
    assert refused.value.message.startswith("Please say why")
    with pytest.raises(ChartAccessRequired):
        services.charts.open_chart(chart_practice.casey)


def test_a_grant_opens_the_chart_for_its_time_and_is_audited(
    chart_practice: ChartPractice,
) -> None:
    services = chart_practice.as_user("dev")
    grant = services.emergency.request_access(
        chart_practice.casey, ReasonCategory.CRISIS, REASON, minutes=30
    )
    assert grant.reason == REASON
    opened = services.charts.open_chart(chart_practice.casey)
    assert opened.header.access is AccessBasis.EMERGENCY
    assert opened.header.emergency is not None and opened.header.emergency.id == grant.id
    chart_practice.practice.clock.advance(29 * 60)
    services.charts.header(chart_practice.casey)
    chart_practice.practice.clock.advance(61)
    with pytest.raises(ChartAccessRequired):
        services.charts.header(chart_practice.casey)
    log = events(chart_practice)
    casey = str(chart_practice.casey)
    assert ("emergency_access_started", "dev", casey, "crisis") in log
    assert ("chart_opened", "dev", casey, "emergency") in log
    assert all(REASON not in str(e) for e in log)  # the words stay out of the log


def test_ending_early_closes_the_chart(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("dev")
    grant = services.emergency.request_access(chart_practice.casey, ReasonCategory.OTHER, REASON)
    services.emergency.end_access(grant)
    with pytest.raises(ChartAccessRequired):
        services.charts.open_chart(chart_practice.casey)
    services = chart_practice.as_user("carla")
    with pytest.raises(PermissionDenied):
        services.emergency.end_access(grant)


def test_the_owner_sees_a_notice_until_acknowledging_it(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("dev")
    services.emergency.request_access(chart_practice.casey, ReasonCategory.COVERING, REASON)
    services = chart_practice.as_user("owner")
    notices = services.emergency.notices()
    assert [(n.user_name, n.client_id, n.reason_category) for n in notices] == [
        ("Dev", chart_practice.casey, ReasonCategory.COVERING)
    ]
    assert notices[0].client_name == "Rivers, Casey"
    grant = services.emergency.grant(notices[0].grant_id)
    assert grant.reason == REASON
    services.emergency.acknowledge(grant)
    assert services.emergency.notices() == []
    services = chart_practice.as_user("carla")
    with pytest.raises(PermissionDenied):
        services.emergency.notices()


def test_ones_own_client_needs_no_emergency_access(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("carla")
    with pytest.raises(InvalidInput, match="assigned to you"):
        services.emergency.request_access(chart_practice.casey, ReasonCategory.CRISIS, REASON)
    assert services.charts.open_chart(chart_practice.casey).header.access is AccessBasis.ASSIGNED


def test_the_owner_opens_every_chart_as_supervisor(chart_practice: ChartPractice) -> None:
    services = chart_practice.as_user("owner")
    header = services.charts.open_chart(chart_practice.robin).header
    assert header.access is AccessBasis.SUPERVISOR
    assert header.emergency is None


@pytest.mark.parametrize("minutes", [14, 241])
def test_the_time_box_has_limits(chart_practice: ChartPractice, minutes: int) -> None:
    services = chart_practice.as_user("dev")
    with pytest.raises(InvalidInput, match="15 minutes to 4 hours"):
        services.emergency.request_access(
            chart_practice.casey, ReasonCategory.CRISIS, REASON, minutes=minutes
        )
