"""`Services`: everything the GUI and the command line use, built once by `app.py`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ehrdesk.core.clock import Clock, SystemClock
from ehrdesk.core.events import EventBus
from ehrdesk.security.workstation import WorkstationKeyring
from ehrdesk.services.activity import UnusualActivity
from ehrdesk.services.assessments import Intakes, TreatmentPlans
from ehrdesk.services.audit import AuditReview
from ehrdesk.services.auth import Auth
from ehrdesk.services.backup import Backups, BackupStatus
from ehrdesk.services.calendar_export import ScheduleExport
from ehrdesk.services.charting import Charts
from ehrdesk.services.clients import Clients
from ehrdesk.services.diagnoses import Diagnoses
from ehrdesk.services.emergency import EmergencyAccess
from ehrdesk.services.icd10 import CodeIndex
from ehrdesk.services.incidents import IncidentRegister
from ehrdesk.services.measures import Measures
from ehrdesk.services.notes import ProgressNotes
from ehrdesk.services.psychotherapy import PsychotherapyNotes
from ehrdesk.services.records import ClientRecords
from ehrdesk.services.releases import Releases
from ehrdesk.services.restore import Restorer
from ehrdesk.services.safeguards import Safeguards
from ehrdesk.services.schedule_print import SchedulePrint
from ehrdesk.services.scheduling import Schedule
from ehrdesk.services.security_check import SecurityCheck
from ehrdesk.services.session import Session
from ehrdesk.services.settings import PracticeSettings
from ehrdesk.services.superbills import Superbills
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
    Backups,
    UnusualActivity,
    IncidentRegister,
    Safeguards,
    SecurityCheck,
    Charts,
    ProgressNotes,
    PsychotherapyNotes,
    Intakes,
    TreatmentPlans,
    Diagnoses,
    Measures,
    EmergencyAccess,
    Clients,
    Schedule,
    Waitlist,
    ScheduleExport,
    ClientRecords,
    Releases,
    Superbills,
    SchedulePrint,
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
    backups: Backups
    restorer: Restorer
    activity: UnusualActivity
    incidents: IncidentRegister
    safeguards: Safeguards
    security: SecurityCheck
    charts: Charts
    notes: ProgressNotes
    psychotherapy: PsychotherapyNotes
    intakes: Intakes
    plans: TreatmentPlans
    diagnoses: Diagnoses
    measures: Measures
    emergency: EmergencyAccess
    clients: Clients
    schedule: Schedule
    waitlist: Waitlist
    schedule_export: ScheduleExport
    records: ClientRecords
    releases: Releases
    superbills: Superbills
    schedule_print: SchedulePrint

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
        backups = Backups(session, vaults, clock)
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
            audit=AuditReview(session, store, clock),
            backups=backups,
            restorer=Restorer(store, keyring, clock),
            activity=UnusualActivity(session, clock),
            incidents=IncidentRegister(session, clock),
            safeguards=Safeguards(session, clock),
            security=SecurityCheck(session, store, clock, backups=BackupStatus(backups)),
            charts=Charts(session, clock, auth),
            notes=ProgressNotes(session, clock, auth),
            psychotherapy=PsychotherapyNotes(session, clock, auth),
            intakes=Intakes(session, clock, auth),
            plans=TreatmentPlans(session, clock, auth),
            diagnoses=Diagnoses(session, clock, auth, CodeIndex()),
            measures=Measures(session, clock, auth),
            emergency=EmergencyAccess(session, clock, auth),
            clients=Clients(session, clock),
            schedule=Schedule(session, clock),
            waitlist=Waitlist(session, clock),
            schedule_export=ScheduleExport(session, clock),
            records=ClientRecords(session, clock),
            releases=Releases(session, clock),
            superbills=Superbills(session, clock),
            schedule_print=SchedulePrint(session, clock),
        )
