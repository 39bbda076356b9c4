"""A practice ready for front-desk work: a clinician, a front-desk user, the
practice's zone set to Chicago (so daylight saving is exercised), two rooms."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ehrdesk.core.front_desk import AppointmentDraft, ClientDraft, Room
from ehrdesk.core.models import Role
from ehrdesk.services.registry import Services
from tests.conftest import Practice

CHICAGO = ZoneInfo("America/Chicago")


@dataclass
class FrontDesk:
    practice: Practice
    clinician_id: int
    other_clinician_id: int
    rooms: list[Room]

    @property
    def services(self) -> Services:
        return self.practice.services

    def as_(self, username: str) -> Services:
        if self.services.session.state.value != "signed_out":
            self.services.session.sign_out()
        self.practice.sign_in(username)
        return self.services

    def client(self, first: str = "Ana", last: str = "Lopez", **fields: object) -> int:
        draft = ClientDraft(
            legal_first_name=first,
            legal_last_name=last,
            date_of_birth=fields.pop("date_of_birth", date(1984, 3, 7)),  # type: ignore[arg-type]
            assigned_clinician_id=fields.pop("assigned_clinician_id", self.clinician_id),  # type: ignore[arg-type]
            **fields,  # type: ignore[arg-type]
        )
        return self.services.clients.create(draft).id

    def draft(
        self,
        client_id: int,
        when: datetime,
        *,
        minutes: int = 50,
        type_code: str = "individual",
        room: int | None = 0,
        clinician_id: int | None = None,
    ) -> AppointmentDraft:
        return AppointmentDraft(
            clinician_id=clinician_id or self.clinician_id,
            client_id=client_id,
            type_code=type_code,
            starts_at=when,
            minutes=minutes,
            room_id=None if room is None else self.rooms[room].id,
        )


def local(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=CHICAGO)


@pytest.fixture
def desk(practice: Practice, add_user: Callable[..., None]) -> FrontDesk:
    add_user("carla", Role.CLINICIAN)
    add_user("colin", Role.CLINICIAN)
    add_user("frank", Role.FRONT_DESK)
    services = practice.services
    practice.sign_in("owner")
    services.schedule.set_time_zone("America/Chicago")
    users = {u.username: u.id for u, _ in services.users.list_users()}
    rooms = [services.schedule.add_room("Room 1"), services.schedule.add_room("Room 2")]
    services.session.sign_out()
    practice.sign_in("frank")
    return FrontDesk(practice, users["carla"], users["colin"], rooms)
