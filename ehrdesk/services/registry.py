"""`Services`: everything the GUI and the command line use, built once by `app.py`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ehrdesk.core.clock import Clock, SystemClock
from ehrdesk.core.events import EventBus
from ehrdesk.security.workstation import WorkstationKeyring
from ehrdesk.services.audit import AuditReview
from ehrdesk.services.auth import Auth
from ehrdesk.services.calendar_export import ScheduleExport
from ehrdesk.services.clients import Clients
from ehrdesk.services.scheduling import Schedule
from ehrdesk.services.session import Session
from ehrdesk.services.settings import PracticeSettings
from ehrdesk.services.users import Account, UserAdmin
from ehrdesk.services.vault import Vaults
from ehrdesk.services.waitlist import Waitlist
from ehrdesk.storage.vault_file import VaultStore

#: The classes whose every public method checks a permission (see services/guard.py).
GUARDED_SERVICES = (
    UserAdmin,
    Account,
    PracticeSettings,
    AuditReview,
    Clients,
    Schedule,
    Waitlist,
    ScheduleExport,
)


@dataclass
class Services:
    data_dir: Path
    clock: Clock
    events: EventBus
    vaults: Vaults
    session: Session
    auth: Auth
    users: UserAdmin
    account: Account
    settings: PracticeSettings
    audit: AuditReview
    clients: Clients
    schedule: Schedule
    waitlist: Waitlist
    schedule_export: ScheduleExport

    @classmethod
    def build(
        cls, data_dir: Path, *, keyring: WorkstationKeyring, clock: Clock | None = None
    ) -> Services:
        clock = clock or SystemClock()
        events = EventBus()
        store = VaultStore(data_dir)
        vaults = Vaults(store, keyring, clock)
        session = Session(store, clock, events)
        auth = Auth(vaults, session, clock)
        return cls(
            data_dir=data_dir,
            clock=clock,
            events=events,
            vaults=vaults,
            session=session,
            auth=auth,
            users=UserAdmin(session, vaults, auth, clock),
            account=Account(session, vaults, auth, clock),
            settings=PracticeSettings(session),
            audit=AuditReview(session, store),
            clients=Clients(session, clock),
            schedule=Schedule(session, clock),
            waitlist=Waitlist(session, clock),
            schedule_export=ScheduleExport(session, clock),
        )
