"""The records a practice keeps to show its safeguards work (owner only): staff
security training with a yearly reminder, business associates and their agreement
reviews, and the written incident-response plan (each save a new version)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Final

from ehrdesk import __version__
from ehrdesk.core import audit_actions as actions
from ehrdesk.core.clock import Clock
from ehrdesk.core.compliance import (
    TRAINING_INTERVAL_DAYS,
    BusinessAssociate,
    ResponsePlan,
    TrainingDue,
    TrainingRecord,
)
from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.models import UserStatus
from ehrdesk.core.permissions import Action
from ehrdesk.services.activity import practice_hours
from ehrdesk.services.documents import PreparedDocument, Purpose, file_name
from ehrdesk.services.guard import requires
from ehrdesk.services.session import Session
from ehrdesk.storage.database import Connection
from ehrdesk.storage.safeguards import BusinessAssociates, ResponsePlans, TrainingLog
from ehrdesk.storage.users import SettingsRepository, UserRepository

if TYPE_CHECKING:
    from ehrdesk.reports.compliance import SafeguardRecords

MAX_FIELD: Final = 500
MAX_PLAN: Final = 50_000


def _text(value: str, what: str, limit: int = MAX_FIELD, *, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidInput(f"Please enter the {what}.")
    if len(value) > limit:
        raise InvalidInput(f"The {what} is too long; {limit:,} characters at most.")
    return value


def training_due(conn: Connection) -> list[TrainingDue]:
    last = TrainingLog(conn).last_by_user()
    out = []
    for user in UserRepository(conn).all():
        if user.status is UserStatus.ACTIVE:
            done = last.get(user.id)
            due = None if done is None else done + timedelta(days=TRAINING_INTERVAL_DAYS)
            out.append(TrainingDue(user.id, user.username, done, due))
    return out


def _render(records: SafeguardRecords, practice: str, zone: str, now: datetime) -> bytes:
    from ehrdesk.reports.compliance import render_safeguards  # noqa: PLC0415

    return render_safeguards(records, practice, zone, now, __version__)


def collect_records(conn: Connection, today: date) -> SafeguardRecords:
    # Loaded when a document is made, not at start-up: reportlab takes a while.
    from ehrdesk.reports.compliance import SafeguardRecords  # noqa: PLC0415

    return SafeguardRecords(
        training=TrainingLog(conn).all(),
        training_due=training_due(conn),
        associates=BusinessAssociates(conn).all(),
        plan=ResponsePlans(conn).current(),
        today=today,
    )


class Safeguards:
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    def _today(self) -> date:
        zone = practice_hours(self._session.database.conn).zone
        return self._clock.now().astimezone(zone).date()

    # Training ----------------------------------------------------------------------

    @requires(Action.MANAGE_SAFEGUARDS)
    def training_log(self) -> list[TrainingRecord]:
        return TrainingLog(self._session.database.conn).all()

    @requires(Action.MANAGE_SAFEGUARDS)
    def training_due(self) -> list[TrainingDue]:
        return training_due(self._session.database.conn)

    @requires(Action.MANAGE_SAFEGUARDS)
    def record_training(self, user_id: int, completed_on: date, topic: str) -> TrainingRecord:
        topic = _text(topic, "topic")
        if completed_on > self._today():
            raise InvalidInput("Training cannot be recorded before it has happened.")
        with self._session.transaction() as tx:
            UserRepository(tx.conn).get(user_id)  # NotFound for a user who does not exist
            record = TrainingLog(tx.conn).add(
                user_id,
                completed_on,
                topic,
                now=self._clock.now(),
                by=self._session.current_user().id,
            )
            tx.audit("training_recorded", object_type="user", object_id=str(user_id))
        return record

    # Business associates -----------------------------------------------------------

    @requires(Action.MANAGE_SAFEGUARDS)
    def business_associates(self) -> list[BusinessAssociate]:
        return BusinessAssociates(self._session.database.conn).all()

    @requires(Action.MANAGE_SAFEGUARDS)
    def add_business_associate(
        self, vendor: str, handles: str, signed_on: date | None, review_on: date | None
    ) -> BusinessAssociate:
        vendor, handles = (
            _text(vendor, "vendor's name"),
            _text(handles, "description", required=False),
        )
        with self._session.transaction() as tx:
            added = BusinessAssociates(tx.conn).add(
                vendor, handles, signed_on, review_on, now=self._clock.now()
            )
            tx.audit(
                "business_associate_added",
                object_type="business_associate",
                object_id=str(added.id),
            )
        return added

    @requires(Action.MANAGE_SAFEGUARDS)
    def update_business_associate(
        self, associate: BusinessAssociate, replacement: BusinessAssociate
    ) -> BusinessAssociate:
        replacement = replace(
            replacement,
            vendor=_text(replacement.vendor, "vendor's name"),
            handles=_text(replacement.handles, "description", required=False),
        )
        with self._session.transaction() as tx:
            updated = BusinessAssociates(tx.conn).update(
                associate, replacement, now=self._clock.now()
            )
            tx.audit(
                "business_associate_updated",
                object_type="business_associate",
                object_id=str(associate.id),
            )
        return updated

    # The incident-response plan ----------------------------------------------------

    @requires(Action.MANAGE_SAFEGUARDS)
    def response_plan(self) -> ResponsePlan | None:
        return ResponsePlans(self._session.database.conn).current()

    @requires(Action.MANAGE_SAFEGUARDS)
    def response_plan_history(self) -> list[ResponsePlan]:
        return ResponsePlans(self._session.database.conn).history()

    @requires(Action.MANAGE_SAFEGUARDS)
    def save_response_plan(self, roles: str, steps: str, contacts: str) -> ResponsePlan:
        roles = _text(roles, "roles", MAX_PLAN)
        steps = _text(steps, "steps", MAX_PLAN)
        contacts = _text(contacts, "contacts", MAX_PLAN)
        with self._session.transaction() as tx:
            plan = ResponsePlans(tx.conn).save(
                roles, steps, contacts, now=self._clock.now(), by=self._session.current_user().id
            )
            tx.audit(
                "response_plan_saved", object_type="response_plan", object_id=str(plan.version)
            )
        return plan

    # Printing ----------------------------------------------------------------------

    @requires(Action.MANAGE_SAFEGUARDS)
    def safeguards_document(self, purpose: Purpose) -> PreparedDocument:
        conn = self._session.database.conn
        records = collect_records(conn, self._today())
        practice = str(SettingsRepository(conn).get("practice_name", ""))
        zone = practice_hours(conn).time_zone
        now = self._clock.now()
        with self._session.transaction() as tx:
            tx.audit(
                actions.DOCUMENT_PRINTED if purpose is Purpose.PRINT else actions.DOCUMENT_EXPORTED,
                object_type="document",
                object_id="safeguard_records",
            )
        return PreparedDocument(
            "Safeguard records",
            file_name("Safeguard records", now.strftime("%Y-%m-%d")),
            lambda: _render(records, practice, zone, now),
        )
