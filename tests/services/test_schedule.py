"""The schedule through the service: booking, conflicts and overrides, series across
daylight saving, edits by scope, the status flow, late cancels, the waitlist, .ics."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from ehrdesk.core.errors import ConflictsFound, InvalidInput, PermissionDenied
from ehrdesk.core.front_desk import (
    AppointmentStatus,
    CancelledBy,
    ClientDraft,
    Repeat,
    Scope,
    WaitlistDraft,
)
from ehrdesk.core.recurrence import MAX_OCCURRENCES
from tests.services.front_desk_fixtures import CHICAGO, FrontDesk, local

# The frozen clock: Monday 2026-03-02 08:00 in Chicago. Clocks go forward on 03-08.


def test_a_booking_shows_in_the_day_and_week_views(desk: FrontDesk) -> None:
    cid = desk.client("Ana", "Lopez")
    [booked] = desk.services.schedule.book(desk.draft(cid, local(2026, 3, 3, 10)))
    assert booked.starts_at == datetime(2026, 3, 3, 16, tzinfo=UTC)
    assert booked.ends_at - booked.starts_at == timedelta(minutes=50)
    week = desk.services.schedule.days(date(2026, 3, 2), 7, desk.clinician_id)
    assert [(e.appointment.id, e.client_name, e.type_label, e.room_name) for e in week] == [
        (booked.id, "Lopez, Ana", "Individual", "Room 1")
    ]
    assert desk.services.schedule.days(date(2026, 3, 3), 1)[0].appointment.id == booked.id
    assert desk.services.schedule.days(date(2026, 3, 4), 1) == []
    assert desk.services.schedule.days(date(2026, 3, 2), 7, desk.other_clinician_id) == []


def test_conflicts_are_listed_and_need_an_override_reason(desk: FrontDesk) -> None:
    ana, bea = desk.client("Ana", "Lopez"), desk.client("Bea", "Kim")
    [first] = desk.services.schedule.book(desk.draft(ana, local(2026, 3, 3, 10)))
    clash = desk.draft(bea, local(2026, 3, 3, 10, 30))  # same clinician, same room
    found = desk.services.schedule.conflicts(clash)
    assert sorted(c.kind for c in found) == ["clinician", "room"]
    assert {c.other_id for c in found} == {first.id}
    with pytest.raises(ConflictsFound) as refused:
        desk.services.schedule.book(clash)
    assert len(refused.value.conflicts) == 2
    other_room = desk.draft(
        ana, local(2026, 3, 3, 10, 30), room=1, clinician_id=desk.other_clinician_id
    )
    assert [c.kind for c in desk.services.schedule.conflicts(other_room)] == ["client"]
    with pytest.raises(InvalidInput):
        desk.services.schedule.book(clash, override_reason=" ")
    [second] = desk.services.schedule.book(clash, override_reason="Approved double booking")
    assert second.override_reason == "Approved double booking"
    desk.as_("owner")
    overrides = [
        e for e in desk.services.audit.events(limit=500) if e.action == "conflict_overridden"
    ]
    assert [(e.object_id, e.reason) for e in overrides] == [(str(second.id), "clinician,room")]
    # Right after, the end of one and the start of the next touch but do not overlap.
    assert desk.services.schedule.conflicts(desk.draft(bea, local(2026, 3, 3, 11, 20))) == []


def test_group_sessions_share_time_clinician_and_room(desk: FrontDesk) -> None:
    ana, bea = desk.client("Ana", "Lopez"), desk.client("Bea", "Kim")
    desk.services.schedule.book(
        desk.draft(ana, local(2026, 3, 4, 18), type_code="group", minutes=90)
    )
    same = desk.draft(bea, local(2026, 3, 4, 18), type_code="group", minutes=90)
    assert desk.services.schedule.conflicts(same) == []
    desk.services.schedule.book(same)
    twice = desk.draft(ana, local(2026, 3, 4, 18), type_code="group", minutes=90)
    assert [c.kind for c in desk.services.schedule.conflicts(twice)] == ["client"]


def test_cancelled_and_no_show_slots_are_free(desk: FrontDesk) -> None:
    ana, bea = desk.client("Ana", "Lopez"), desk.client("Bea", "Kim")
    [first] = desk.services.schedule.book(desk.draft(ana, local(2026, 3, 3, 10)))
    desk.services.schedule.cancel(first.id, first.row_version, CancelledBy.CLIENT)
    assert desk.services.schedule.conflicts(desk.draft(bea, local(2026, 3, 3, 10))) == []


def test_a_weekly_series_keeps_its_wall_clock_time_across_daylight_saving(
    desk: FrontDesk,
) -> None:
    cid = desk.client()
    series = desk.services.schedule.book(
        desk.draft(cid, local(2026, 3, 3, 10)), Repeat(interval_weeks=1, count=4)
    )
    assert [a.starts_at.astimezone(CHICAGO).hour for a in series] == [10, 10, 10, 10]
    assert [a.starts_at.hour for a in series] == [16, 15, 15, 15]  # UTC moves, the wall doesn't
    assert len({a.series_id for a in series}) == 1
    fortnightly = desk.services.schedule.book(
        desk.draft(cid, local(2026, 3, 5, 9)), Repeat(interval_weeks=2, until=date(2026, 4, 30))
    )
    assert [a.starts_at.astimezone(CHICAGO).date().day for a in fortnightly] == [5, 19, 2, 16, 30]


def test_unbounded_or_huge_series_are_refused(desk: FrontDesk) -> None:
    cid = desk.client()
    draft = desk.draft(cid, local(2026, 3, 3, 10))
    with pytest.raises(InvalidInput, match="needs an end"):
        desk.services.schedule.book(draft, Repeat())
    with pytest.raises(InvalidInput, match=str(MAX_OCCURRENCES)):
        desk.services.schedule.book(draft, Repeat(count=MAX_OCCURRENCES + 1))
    with pytest.raises(InvalidInput, match=str(MAX_OCCURRENCES)):
        desk.services.schedule.book(draft, Repeat(until=date(2040, 1, 1)))
    assert desk.services.schedule.days(date(2026, 3, 2), 7) == []


def test_a_booking_in_the_past_is_refused(desk: FrontDesk) -> None:
    cid = desk.client()
    with pytest.raises(InvalidInput, match="in the past"):
        desk.services.schedule.book(desk.draft(cid, local(2026, 3, 1, 10)))
    # Earlier today is allowed: a walk-in entered after they arrived.
    desk.services.schedule.book(desk.draft(cid, local(2026, 3, 2, 7)))


def test_edit_one_this_and_following_and_the_whole_series(desk: FrontDesk) -> None:
    cid = desk.client()
    schedule = desk.services.schedule
    series = schedule.book(desk.draft(cid, local(2026, 3, 3, 10)), Repeat(count=6))
    # One occurrence moved to 14:00: it is detached, the others stay.
    moved = schedule.reschedule(
        series[1].id, series[1].row_version, desk.draft(cid, local(2026, 3, 10, 14)), Scope.ONE
    )
    assert moved[0].detached and moved[0].starts_at.astimezone(CHICAGO).hour == 14
    # The whole series to 11:00: every open occurrence but the detached one moves.
    s0 = schedule.entry(series[0].id).appointment
    schedule.reschedule(s0.id, s0.row_version, desk.draft(cid, local(2026, 3, 3, 11)), Scope.SERIES)
    hours = [
        e.appointment.starts_at.astimezone(CHICAGO).hour
        for e in schedule.days(date(2026, 3, 2), 42, desk.clinician_id)
    ]
    assert hours == [11, 14, 11, 11, 11, 11]
    # This and following from the 4th, to room 2: the series splits there.
    s3 = schedule.entry(series[3].id).appointment
    changed = schedule.reschedule(
        s3.id, s3.row_version, desk.draft(cid, local(2026, 3, 24, 11), room=1), Scope.FOLLOWING
    )
    assert [a.id for a in changed] == [series[3].id, series[4].id, series[5].id]
    assert len({a.series_id for a in changed}) == 1
    assert changed[0].series_id != series[0].series_id
    rooms = [e.room_name for e in schedule.days(date(2026, 3, 2), 42, desk.clinician_id)]
    assert rooms == ["Room 1", "Room 1", "Room 1", "Room 2", "Room 2", "Room 2"]


def test_cancelling_one_occurrence_leaves_the_rest(desk: FrontDesk) -> None:
    cid = desk.client()
    schedule = desk.services.schedule
    series = schedule.book(desk.draft(cid, local(2026, 3, 3, 10)), Repeat(count=4))
    outcome = schedule.cancel(series[2].id, series[2].row_version, CancelledBy.PRACTICE)
    assert [a.id for a in outcome.cancelled] == [series[2].id]
    statuses = [e.appointment.status for e in schedule.days(date(2026, 3, 2), 28)]
    assert statuses.count(AppointmentStatus.CANCELLED) == 1
    assert statuses.count(AppointmentStatus.BOOKED) == 3
    rest = schedule.cancel(series[1].id, series[1].row_version, CancelledBy.CLIENT, Scope.FOLLOWING)
    assert [a.id for a in rest.cancelled] == [series[1].id, series[3].id]


def test_status_flow_and_late_cancel_counts(desk: FrontDesk) -> None:
    cid = desk.client()
    schedule = desk.services.schedule
    [today] = schedule.book(desk.draft(cid, local(2026, 3, 2, 9)))
    [tomorrow] = schedule.book(desk.draft(cid, local(2026, 3, 3, 7)))
    [later] = schedule.book(desk.draft(cid, local(2026, 3, 10, 9)))
    with pytest.raises(InvalidInput, match="today's"):
        schedule.set_status(tomorrow.id, tomorrow.row_version, AppointmentStatus.CHECKED_IN)
    with pytest.raises(InvalidInput, match="has begun"):
        schedule.set_status(today.id, today.row_version, AppointmentStatus.NO_SHOW)
    with pytest.raises(InvalidInput, match="cannot become"):
        schedule.set_status(today.id, today.row_version, AppointmentStatus.COMPLETED)
    checked = schedule.set_status(today.id, today.row_version, AppointmentStatus.CHECKED_IN)
    done = schedule.set_status(checked.id, checked.row_version, AppointmentStatus.COMPLETED)
    assert done.status is AppointmentStatus.COMPLETED
    # Within 24 hours, by the client: late. A week ahead: not late.
    late = schedule.cancel(tomorrow.id, tomorrow.row_version, CancelledBy.CLIENT).cancelled[0]
    early = schedule.cancel(later.id, later.row_version, CancelledBy.CLIENT).cancelled[0]
    assert (late.late_cancel, early.late_cancel) == (True, False)
    desk.practice.clock.advance(hours=2)  # 10:00: the 09:00 ones have begun
    [missed] = schedule.book(desk.draft(cid, local(2026, 3, 2, 9, 50), room=1))
    schedule.set_status(missed.id, missed.row_version, AppointmentStatus.NO_SHOW)
    overview = desk.services.clients.open(cid)
    assert (overview.no_shows, overview.late_cancels) == (1, 1)


def test_a_cancellation_offers_matching_waitlist_entries(desk: FrontDesk) -> None:
    ana, bea, cy, dee = (desk.client(n, "Lopez") for n in ("Ana", "Bea", "Cy", "Dee"))
    waitlist = desk.services.waitlist
    waitlist.add(WaitlistDraft(bea, "individual", weekdays=("TU",), times_of_day=("morning",)))
    waitlist.add(WaitlistDraft(cy, "individual", clinician_id=desk.other_clinician_id))
    waitlist.add(WaitlistDraft(dee, "individual", desk.clinician_id, ("WE",)))
    [slot] = desk.services.schedule.book(desk.draft(ana, local(2026, 3, 3, 10)))  # a Tuesday
    outcome = desk.services.schedule.cancel(slot.id, slot.row_version, CancelledBy.CLIENT)
    assert [m.client_name for m in outcome.waitlist_matches] == ["Lopez, Bea"]
    entry = outcome.waitlist_matches[0].entry
    waitlist.mark_booked(entry.id, entry.row_version)
    assert [m.client_name for m in waitlist.waiting()] == ["Lopez, Cy", "Lopez, Dee"]


def test_ics_export_has_busy_blocks_and_types_only(desk: FrontDesk) -> None:
    cid = desk.client(
        "Ximena",
        "Quartermaine",
        preferred_name="Mena",
        phone_mobile="312 555 0147",
        email="ximena@example.org",
        address_line1="1 Lakeshore Drive",
        insurance_member_id="MEM998877",
        admin_notes="prefers mornings",
    )
    schedule = desk.services.schedule
    series = schedule.book(
        dataclasses.replace(
            desk.draft(cid, local(2026, 3, 3, 10)), location="Annex", telehealth_link=""
        ),
        Repeat(count=3),
    )
    schedule.cancel(series[2].id, series[2].row_version, CancelledBy.CLIENT)
    data = desk.services.schedule_export.clinician_ics(
        desk.clinician_id, date(2026, 3, 1), date(2026, 3, 31)
    )
    events = Calendar.from_ical(data).walk("VEVENT")
    assert [(str(e["summary"]), e.decoded("dtstart")) for e in events] == [
        ("Individual", datetime(2026, 3, 3, 16, tzinfo=UTC)),
        ("Individual", datetime(2026, 3, 10, 15, tzinfo=UTC)),
    ]
    client = desk.services.clients.open(cid).client
    text = data.decode().casefold()
    for field in ClientDraft.__dataclass_fields__:
        value = getattr(client, field)
        if isinstance(value, str) and value:
            assert value.casefold() not in text, field
    for other in ("annex", "room 1", "lopez"):
        assert other not in text


def test_a_clinician_keeps_only_their_own_schedule(desk: FrontDesk) -> None:
    mine = desk.client("Ana", "Lopez")
    theirs = desk.client("Bea", "Kim", assigned_clinician_id=desk.other_clinician_id)
    [other] = desk.services.schedule.book(
        desk.draft(theirs, local(2026, 3, 3, 10), clinician_id=desk.other_clinician_id)
    )
    services = desk.as_("carla")
    schedule = services.schedule
    [own] = schedule.book(desk.draft(mine, local(2026, 3, 3, 12)))
    assert [e.appointment.id for e in schedule.days(date(2026, 3, 2), 7, desk.clinician_id)] == [
        own.id
    ]
    for refused in (
        lambda: schedule.days(date(2026, 3, 2), 7),
        lambda: schedule.days(date(2026, 3, 2), 7, desk.other_clinician_id),
        lambda: schedule.book(desk.draft(theirs, local(2026, 3, 4, 12))),
        lambda: schedule.cancel(other.id, other.row_version, CancelledBy.CLINICIAN),
        lambda: schedule.entry(other.id),
        lambda: services.schedule_export.clinician_ics(
            desk.other_clinician_id, date(2026, 3, 1), date(2026, 3, 2)
        ),
    ):
        with pytest.raises(PermissionDenied):
            refused()
    assert [c.id for c in schedule.clinicians()] == [desk.clinician_id]
