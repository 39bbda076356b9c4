"""Clients and appointments for the chart's tests, written through the front desk's
repositories (no service, so no role or audit event gets in the way of a fixture).
Everything else in the chart's tests goes through the real services over a real
SQLCipher file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from ehrdesk.core.chart import NoteStart
from ehrdesk.core.front_desk import AppointmentStatus, ClientDraft
from ehrdesk.core.models import Role
from ehrdesk.services.registry import Services
from ehrdesk.storage.appointments import AppointmentRepository, NewAppointment
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.users import UserRepository
from tests.conftest import Practice

CLINICIAN_PASSWORD = "meadow copper violin 2024 rain"


def user_id(services: Services, username: str) -> int:
    row = services.session.database.conn.execute(
        "SELECT id FROM user WHERE username = ?", (username,)
    ).fetchone()
    return int(row[0])


def add_client(
    services: Services,
    *,
    first: str = "Casey",
    last: str = "Rivers",
    born: date = date(1990, 6, 15),
    pronouns: str = "they/them",
    preferred: str = "",
    clinician_id: int | None = None,
) -> int:
    draft = ClientDraft(
        legal_first_name=first,
        legal_last_name=last,
        date_of_birth=born,
        preferred_name=preferred,
        pronouns=pronouns,
        assigned_clinician_id=clinician_id,
    )
    with services.session.database.transaction() as conn:
        return ClientRepository(conn).add(draft, services.clock.now()).id


def add_appointment(
    services: Services,
    client_id: int,
    clinician_id: int,
    starts_at: datetime,
    *,
    minutes: int = 50,
    type_code: str = "individual",
    location: str = "Room 2",
) -> int:
    """A completed appointment (in the past, so booked without the schedule's rules)."""
    new = NewAppointment(
        clinician_id=clinician_id,
        client_id=client_id,
        type_code=type_code,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        room_id=None,
        location=location,
        telehealth_link="",
        series_id=None,
        override_reason=None,
        created_at=services.clock.now(),
        created_by=None,
        status=AppointmentStatus.COMPLETED,
    )
    with services.session.database.transaction() as conn:
        return AppointmentRepository(conn).add(new)


def start_at(services: Services, hours_ago: float = 2) -> NoteStart:
    when = services.clock.now() - timedelta(hours=hours_ago)
    return NoteStart(when.replace(microsecond=0), 50, "90834", "Office")


@dataclass
class ChartPractice:
    """The owner, two clinicians (carla, dev), a front-desk user (frank), and two
    clients: Casey (carla's) and Robin (dev's)."""

    practice: Practice
    ids: dict[str, int]
    casey: int
    robin: int

    @property
    def services(self) -> Services:
        return self.practice.services

    def as_user(self, username: str) -> Services:
        session = self.services.session
        if session.user is not None:
            session.sign_out()
        self.practice.sign_in(username)
        return self.services


@pytest.fixture
def chart_practice(practice: Practice, add_user: Callable[..., None]) -> ChartPractice:
    add_user("carla", Role.CLINICIAN, CLINICIAN_PASSWORD)
    add_user("dev", Role.CLINICIAN, CLINICIAN_PASSWORD)
    add_user("frank", Role.FRONT_DESK, CLINICIAN_PASSWORD)
    practice.sign_in("owner")
    services = practice.services
    ids = {name: user_id(services, name) for name in ("owner", "carla", "dev", "frank")}
    with services.session.transaction() as tx:  # no forced password change at sign-in
        users = UserRepository(tx.conn)
        for name in ("carla", "dev", "frank"):
            record = users.find(name)
            assert record is not None
            users.password_changed(record, services.clock.now(), must_change=False)
    casey = add_client(services, clinician_id=ids["carla"])
    robin = add_client(
        services, first="Robin", last="Okafor", born=date(1978, 2, 1), pronouns="she/her",
        clinician_id=ids["dev"],
    )  # fmt: skip
    services.session.sign_out()
    return ChartPractice(practice, ids, casey, robin)


def a_while_ago(services: Services, **delta: float) -> datetime:
    return (services.clock.now() - timedelta(**delta)).astimezone(UTC)
