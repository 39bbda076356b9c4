"""The incident register (owner only): what happened, whom it may affect, the breach
rule's four-factor risk assessment, decisions, the 60-day notification deadline, and
notification letters made from the practice's template.

Audit events name the incident and, for each letter, the client by id; the incident's
words and the client's name and address never go into the log.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from ehrdesk import __version__
from ehrdesk.core import audit_actions as actions
from ehrdesk.core.clock import Clock
from ehrdesk.core.compliance import (
    Incident,
    IncidentDraft,
    LetterAddressee,
    NotificationCountdown,
)
from ehrdesk.core.errors import InvalidInput, NotFound
from ehrdesk.core.front_desk import postal_lines
from ehrdesk.core.permissions import Action
from ehrdesk.services.activity import practice_hours
from ehrdesk.services.documents import PreparedDocument, Purpose, file_name
from ehrdesk.services.guard import requires
from ehrdesk.services.session import Session
from ehrdesk.storage.audit_review import AuditQueries
from ehrdesk.storage.clients import ClientRepository
from ehrdesk.storage.incidents import IncidentRepository
from ehrdesk.storage.users import SettingsRepository

LETTER_TEMPLATE_SETTING: Final = "incident_letter_template"
MAX_TEXT: Final = 20_000
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

DEFAULT_LETTER_TEMPLATE: Final = """{date}

{client_name}
{address}

Dear {client_name},

We are writing to tell you about an incident at {practice_name} that may have involved \
some of your health information.

What happened: {what_happened} The incident took place {occurred} and we discovered \
it on {discovered_on}.

What information was involved: {information_involved}

What we are doing: {what_we_are_doing}

What you can do: watch for any statements or letters about services you did not \
receive, and tell us about anything unexpected. You may also ask us for a copy of \
your record and for a list of the disclosures we have made.

For more information, please contact us. We are sorry this happened, and we take the \
privacy of your information seriously.

Sincerely,

{practice_name}"""

PLACEHOLDERS: Final = (
    "date",
    "client_name",
    "address",
    "practice_name",
    "what_happened",
    "occurred",
    "discovered_on",
    "information_involved",
    "what_we_are_doing",
    "incident_id",
)


def addressee(clients: ClientRepository, client_id: int) -> LetterAddressee:
    """The client's legal name and postal address, for a notification letter."""
    try:
        client = clients.get(client_id)
    except NotFound:
        raise NotFound("A client listed in this incident no longer exists.") from None
    name = f"{client.legal_first_name} {client.legal_last_name}".strip()
    return LetterAddressee(client_id, name, postal_lines(client))


def fill_template(template: str, values: dict[str, str]) -> str:
    """Replace each {name} that is a known placeholder; leave anything else as typed."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def _check(draft: IncidentDraft) -> IncidentDraft:
    if not draft.title.strip():
        raise InvalidInput("Give the incident a short title.")
    texts = (draft.title, draft.what_happened, draft.decisions, *vars(draft.risk).values())
    if any(isinstance(t, str) and len(t) > MAX_TEXT for t in texts):
        raise InvalidInput(f"Each text is at most {MAX_TEXT:,} characters.")
    if draft.discovered_at.tzinfo is None:
        raise ValueError("discovered_at must be timezone-aware")
    if draft.occurred_from and draft.occurred_until and draft.occurred_until < draft.occurred_from:
        raise InvalidInput("The incident must end after it began.")
    if draft.occurred_from and draft.occurred_from > draft.discovered_at:
        raise InvalidInput("An incident cannot be discovered before it happened.")
    return draft


class IncidentRegister:
    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    def _repo(self) -> IncidentRepository:
        return IncidentRepository(self._session.database.conn)

    @requires(Action.MANAGE_INCIDENTS)
    def incidents(self) -> list[Incident]:
        return self._repo().all()

    @requires(Action.MANAGE_INCIDENTS)
    def incident(self, incident_id: int) -> Incident:
        return self._repo().get(incident_id)

    @requires(Action.MANAGE_INCIDENTS)
    def record(self, draft: IncidentDraft) -> Incident:
        draft = _check(draft)
        with self._session.transaction() as tx:
            incident = IncidentRepository(tx.conn).add(
                draft, now=self._clock.now(), by=self._session.current_user().id
            )
            tx.audit("incident_recorded", object_type="incident", object_id=str(incident.id))
        return incident

    @requires(Action.MANAGE_INCIDENTS)
    def update(self, incident: Incident, draft: IncidentDraft) -> Incident:
        draft = _check(draft)
        with self._session.transaction() as tx:
            updated = IncidentRepository(tx.conn).update(incident, draft, now=self._clock.now())
            tx.audit(
                "incident_updated",
                object_type="incident",
                object_id=str(incident.id),
                reason=updated.status.value,
            )
        return updated

    @requires(Action.MANAGE_INCIDENTS)
    def add_clients(self, incident: Incident, client_ids: list[int]) -> Incident:
        """Clients picked by id; ids that are not clients are refused."""
        with self._session.transaction() as tx:
            missing = set(client_ids) - ClientRepository(tx.conn).existing(client_ids)
            if missing:
                raise InvalidInput(f"{len(missing)} of those ids are not clients of the practice.")
            added = IncidentRepository(tx.conn).add_clients(
                incident.id, client_ids, source="picked", now=self._clock.now()
            )
            tx.audit(
                "incident_clients_added",
                object_type="incident",
                object_id=str(incident.id),
                reason=f"{len(added)} picked",
            )
        return self._repo().get(incident.id)

    @requires(Action.MANAGE_INCIDENTS)
    def add_clients_from_audit(
        self, incident: Incident, user_id: int, since: datetime, until: datetime
    ) -> Incident:
        """Every client whose record `user_id` touched in [since, until), from the log."""
        if until <= since:
            raise InvalidInput("The end of the period must be after its start.")
        with self._session.transaction() as tx:
            touched = AuditQueries(tx.conn).objects_touched(user_id, actions.CLIENT, since, until)
            ids = [int(i) for i in touched if i.isdigit()]
            existing = ClientRepository(tx.conn).existing(ids)
            added = IncidentRepository(tx.conn).add_clients(
                incident.id,
                [i for i in ids if i in existing],
                source="audit_log",
                now=self._clock.now(),
            )
            tx.audit(
                "incident_clients_added",
                object_type="incident",
                object_id=str(incident.id),
                reason=f"{len(added)} from the audit log of user {user_id}",
            )
        return self._repo().get(incident.id)

    @requires(Action.MANAGE_INCIDENTS)
    def remove_client(self, incident: Incident, client_id: int) -> Incident:
        with self._session.transaction() as tx:
            if IncidentRepository(tx.conn).remove_client(incident.id, client_id):
                tx.audit(
                    "incident_client_removed", object_type="incident", object_id=str(incident.id)
                )
        return self._repo().get(incident.id)

    @requires(Action.MANAGE_INCIDENTS)
    def countdowns(self) -> list[NotificationCountdown]:
        """Incidents still counting down to the 60-day deadline, soonest first."""
        zone = practice_hours(self._session.database.conn).zone
        today = self._clock.now().astimezone(zone).date()
        out = []
        for incident in self._repo().all(open_only=True):
            if incident.needs_notification:
                deadline = incident.notification_deadline(zone)
                out.append(
                    NotificationCountdown(
                        incident.id,
                        incident.title,
                        incident.discovered_at.astimezone(zone).date(),
                        deadline,
                        (deadline - today).days,
                    )
                )
        return sorted(out, key=lambda c: c.deadline)

    @requires(Action.MANAGE_INCIDENTS)
    def letter_template(self) -> str:
        value = SettingsRepository(self._session.database.conn).get(LETTER_TEMPLATE_SETTING)
        return value if isinstance(value, str) and value.strip() else DEFAULT_LETTER_TEMPLATE

    @requires(Action.MANAGE_INCIDENTS)
    def set_letter_template(self, template: str) -> None:
        if not template.strip() or len(template) > MAX_TEXT:
            raise InvalidInput(f"The letter needs some text, at most {MAX_TEXT:,} characters.")
        with self._session.transaction() as tx:
            SettingsRepository(tx.conn).set(LETTER_TEMPLATE_SETTING, template)
            tx.audit("settings_changed", object_type="setting", object_id=LETTER_TEMPLATE_SETTING)

    @requires(Action.MANAGE_INCIDENTS)
    def notification_letters(self, incident: Incident, purpose: Purpose) -> list[PreparedDocument]:
        """One letter per affected client, each its own document; each one audited
        against the client's id."""
        if not incident.client_ids:
            raise InvalidInput("No clients are listed for this incident yet.")
        conn = self._session.database.conn
        zone = practice_hours(conn).zone
        practice = str(SettingsRepository(conn).get("practice_name", ""))
        template = self.letter_template()
        now = self._clock.now()
        addressees = [addressee(ClientRepository(conn), cid) for cid in incident.client_ids]
        with self._session.transaction() as tx:
            for person in addressees:
                tx.audit(
                    actions.BREACH_LETTER_GENERATED,
                    object_type=actions.CLIENT,
                    object_id=str(person.client_id),
                    reason=f"incident {incident.id}, {purpose.value}",
                )
        return [
            self._letter(incident, person, template, practice, zone, now) for person in addressees
        ]

    def _letter(
        self,
        incident: Incident,
        person: LetterAddressee,
        template: str,
        practice: str,
        tz: ZoneInfo,
        now: datetime,
    ) -> PreparedDocument:
        def day(moment: datetime) -> str:
            local = moment.astimezone(tz)
            return f"{local.day} {local:%B %Y}"

        start, end = incident.occurred_from, incident.occurred_until
        if start is None:
            occurred = "on a date we are still establishing"
        elif end is None or day(start) == day(end):
            occurred = f"on {day(start)}"
        else:
            occurred = f"between {day(start)} and {day(end)}"
        values = {
            "date": day(now),
            "client_name": person.name,
            "address": "\n".join(person.address_lines),
            "practice_name": practice,
            "what_happened": incident.what_happened.strip(),
            "occurred": occurred,
            "discovered_on": day(incident.discovered_at),
            "information_involved": incident.risk.nature_and_extent.strip(),
            "what_we_are_doing": incident.risk.mitigation.strip(),
            "incident_id": str(incident.id),
        }
        from ehrdesk.reports.compliance import NotificationLetter, render_letter  # noqa: PLC0415

        letter = NotificationLetter(
            practice_name=practice,
            body=fill_template(template, values),
            generated_at=now,
            app_version=__version__,
        )
        name = file_name(
            "Notification letter", f"incident {incident.id}", f"client {person.client_id}"
        )
        return PreparedDocument("Notification letter", name, lambda: render_letter(letter))

    @requires(Action.MANAGE_INCIDENTS)
    def incident_report(self, incident: Incident, purpose: Purpose) -> PreparedDocument:
        conn = self._session.database.conn
        hours = practice_hours(conn)
        with self._session.transaction() as tx:
            tx.audit(
                actions.DOCUMENT_PRINTED if purpose is Purpose.PRINT else actions.DOCUMENT_EXPORTED,
                object_type="incident",
                object_id=str(incident.id),
            )
        from ehrdesk.reports.compliance import IncidentRecord, render_incident  # noqa: PLC0415

        record = IncidentRecord(
            practice_name=str(SettingsRepository(conn).get("practice_name", "")),
            incident=incident,
            time_zone=hours.time_zone,
            generated_at=self._clock.now(),
            app_version=__version__,
        )
        name = file_name("Incident", str(incident.id))
        return PreparedDocument("Incident record", name, lambda: render_incident(record))
