"""Unusual-activity flags at their thresholds, outside-hours in the practice's time
zone, and each flag's filter showing exactly its events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import pytest

from ehrdesk.core import audit_actions as actions
from ehrdesk.core.activity_rules import bursts
from ehrdesk.core.audit_review import ActivityThresholds, FlagKind, PracticeHours
from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.models import Role
from ehrdesk.services.registry import Services
from tests.compliance_support import log, user
from tests.conftest import Practice

# Monday 2 March 2026, 14:00 UTC is the fixtures' "now"; look back from there.
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_bursts_count_distinct_keys_in_a_half_open_window() -> None:
    window = timedelta(minutes=10)
    at = [T0 + timedelta(minutes=m) for m in (0, 3, 6, 9, 10, 30)]
    events = list(zip(at, ["a", "b", "c", "d", "e", "f"], strict=True))
    assert [(b.first_at, b.last_at, b.peak) for b in bursts(events, window, 4)] == [
        (at[0], at[4], 4)
    ]
    assert bursts(events, window, 5) == []  # 0 and 10 are not in one window
    same = [(T0 + timedelta(minutes=m), "a") for m in range(8)]
    assert bursts(same, window, 2) == []  # one record opened eight times is one record


@pytest.fixture
def team(practice: Practice, add_user: Callable[..., None]) -> Services:
    add_user("carla", Role.CLINICIAN)
    add_user("frank", Role.FRONT_DESK)
    practice.sign_in()
    # Open around the clock by default here, so only the rule under test fires.
    practice.services.activity.set_practice_hours(
        PracticeHours(days=tuple(range(7)), opens=time(0, 0), closes=time(23, 59, 59))
    )
    return practice.services


def _open_records(services: Services, n: int, *, minutes: float) -> None:
    carla = user(services, "carla")
    for i in range(n):
        at = T0 + timedelta(minutes=minutes * i / max(1, n - 1))
        log(services, actions.CHART_OPENED, at, carla, object_type="client", object_id=str(i + 1))


def _kinds(services: Services) -> list[FlagKind]:
    return [f.kind for f in services.activity.flags()]


def test_records_opened_flag_at_its_threshold(team: Services) -> None:
    team.activity.set_thresholds(ActivityThresholds(records_opened=10, records_window_minutes=30))
    _open_records(team, 9, minutes=20)
    assert FlagKind.MANY_RECORDS_OPENED not in _kinds(team)
    _open_records(team, 10, minutes=20)
    [flag] = [f for f in team.activity.flags() if f.kind is FlagKind.MANY_RECORDS_OPENED]
    assert (flag.username, flag.count) == ("carla", 10)
    assert flag.detail == "10 client records opened within 30 minutes"
    shown = team.audit.page(flag.events, limit=100)
    assert len(shown) == 19 and {e.action for e in shown} == {actions.CHART_OPENED}


def test_records_spread_wider_than_the_window_are_not_flagged(team: Services) -> None:
    team.activity.set_thresholds(ActivityThresholds(records_opened=10, records_window_minutes=30))
    _open_records(team, 10, minutes=40)
    assert FlagKind.MANY_RECORDS_OPENED not in _kinds(team)


def test_failed_sign_ins(team: Services) -> None:
    team.activity.set_thresholds(ActivityThresholds(failed_sign_ins=3, failed_window_minutes=15))
    frank = user(team, "frank")
    for minutes in (0, 5):
        log(
            team,
            actions.SIGN_IN_FAILED,
            T0 + timedelta(minutes=minutes),
            frank,
            object_type="sign_in_attempt",
            object_id=f"sign_in:{minutes}",
        )
    assert FlagKind.FAILED_SIGN_INS not in _kinds(team)
    log(
        team,
        actions.SIGN_IN_FAILED,
        T0 + timedelta(minutes=14, seconds=59),
        frank,
        object_type="sign_in_attempt",
        object_id="sign_in:14",
    )
    [flag] = [f for f in team.activity.flags() if f.kind is FlagKind.FAILED_SIGN_INS]
    assert (flag.username, flag.count) == ("frank", 3)


def test_emergency_access_is_always_flagged(team: Services) -> None:
    log(
        team,
        actions.EMERGENCY_ACCESS_GRANTED,
        T0,
        user(team, "carla"),
        object_type="client",
        object_id="4",
    )
    [flag] = [f for f in team.activity.flags() if f.kind is FlagKind.EMERGENCY_ACCESS]
    assert flag.username == "carla" and flag.summary.startswith("Emergency access used: carla")


def test_many_exports(team: Services) -> None:
    team.activity.set_thresholds(ActivityThresholds(exports=3, exports_window_hours=1))
    frank = user(team, "frank")
    for i in range(3):
        log(
            team,
            actions.RECORD_PRINTED,
            T0 + timedelta(minutes=20 * i),
            frank,
            object_type="client",
            object_id=str(i),
        )
    [flag] = [f for f in team.activity.flags() if f.kind is FlagKind.MANY_EXPORTS]
    assert flag.count == 3


def test_old_events_are_outside_the_look_back(team: Services) -> None:
    log(team, actions.EMERGENCY_ACCESS_GRANTED, T0 - timedelta(days=8), user(team, "carla"))
    assert _kinds(team) == []


def test_outside_hours_in_the_practice_s_time_zone(team: Services) -> None:
    """Open Monday to Friday 08:00-18:00 in New York (UTC-5 in winter)."""
    hours = PracticeHours("America/New_York", (0, 1, 2, 3, 4), time(8), time(18))
    team.activity.set_practice_hours(hours)
    carla = user(team, "carla")
    # Monday 2 March 12:30 UTC = 07:30 in New York: before opening.
    log(team, actions.SIGN_IN, datetime(2026, 3, 2, 12, 30, tzinfo=UTC), carla)
    # Monday 2 March 13:30 UTC = 08:30 in New York: open. Not counted.
    log(
        team,
        actions.CHART_OPENED,
        datetime(2026, 3, 2, 13, 30, tzinfo=UTC),
        carla,
        object_type="client",
        object_id="1",
    )
    # Saturday 28 February 15:00 UTC = 10:00 on a Saturday: closed.
    log(team, actions.SIGN_IN, datetime(2026, 2, 28, 15, 0, tzinfo=UTC), carla)
    # Friday 27 February 22:59 UTC = 17:59 in New York: still open.
    log(team, actions.UNLOCK, datetime(2026, 2, 27, 22, 59, tzinfo=UTC), carla)
    [flag] = [f for f in team.activity.flags() if f.kind is FlagKind.OUTSIDE_HOURS]
    assert (flag.username, flag.count) == ("carla", 2)
    assert "latest Mon 02 Mar 07:30" in flag.detail
    assert not hours.is_open(datetime(2026, 3, 2, 12, 30, tzinfo=UTC))
    assert hours.is_open(datetime(2026, 2, 27, 22, 59, tzinfo=UTC))
    team.activity.set_thresholds(ActivityThresholds(outside_hours_events=3))
    assert FlagKind.OUTSIDE_HOURS not in _kinds(team)


def test_daylight_saving_moves_nothing() -> None:
    """Opening hours stay 08:00 local on both sides of the US change (8 March 2026)."""
    hours = PracticeHours("America/New_York", (0, 1, 2, 3, 4), time(8), time(18))
    periods = hours.open_periods(
        datetime(2026, 3, 6, tzinfo=UTC), datetime(2026, 3, 10, 23, tzinfo=UTC)
    )
    starts = [p[0].astimezone(UTC).hour for p in periods]
    assert starts == [13, 12, 12]  # Fri 08:00 EST = 13 UTC; Mon, Tue 08:00 EDT = 12 UTC


def test_settings_are_validated() -> None:
    with pytest.raises(InvalidInput):
        ActivityThresholds(records_opened=0)
    with pytest.raises(InvalidInput):
        PracticeHours("Mars/Olympus")
    with pytest.raises(InvalidInput):
        PracticeHours(opens=time(18), closes=time(8))
    assert ActivityThresholds.from_json(ActivityThresholds(exports=4).to_json()).exports == 4
    hours = PracticeHours("Europe/Berlin", (1, 3), time(9, 30), time(17))
    assert PracticeHours.from_json(hours.to_json()) == hours
