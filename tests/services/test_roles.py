"""The role-by-action matrix, walked over every guarded service method.

Every public method of every class in `GUARDED_SERVICES` must declare the action it
needs (`@requires`), and every method needs a row in `ARGUMENTS` below, so a new
method that is unguarded, or that nobody thought to call from each role, fails here.
Then each role calls each method: `PermissionDenied` exactly when the permissions
table says no, each refusal audited as `permission_denied`, and a refused call
changes nothing. A signed-out or locked session gets `SessionLocked` from every one.
The chart's methods (issue 5) take their arguments from tests/services/role_chart_args.py:
the front desk is refused every one of them.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import shutil
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ehrdesk.core.audit_review import ActivityThresholds, AuditFilter, PracticeHours
from ehrdesk.core.clock import FrozenClock
from ehrdesk.core.compliance import (
    BusinessAssociate,
    Incident,
    IncidentDraft,
    IncidentStatus,
    RiskAssessment,
    SecurityCheckReport,
)
from ehrdesk.core.errors import PermissionDenied, SessionLocked
from ehrdesk.core.front_desk import (
    AppointmentDraft,
    AppointmentStatus,
    CancelledBy,
    ClientDraft,
    Scope,
    WaitlistDraft,
)
from ehrdesk.core.models import Role
from ehrdesk.core.permissions import CLINICAL, Action, allowed
from ehrdesk.security import totp
from ehrdesk.security.passwords import PasswordPolicy
from ehrdesk.security.workstation import MemoryKeyring
from ehrdesk.services.documents import Purpose
from ehrdesk.services.guard import REQUIRED_ACTION
from ehrdesk.services.registry import GUARDED_SERVICES, Services
from ehrdesk.services.session import SessionState
from ehrdesk.storage.audit import ChainReport
from ehrdesk.storage.backup_records import BackupSettings
from tests.compliance_support import add_client
from tests.services.role_chart_args import (
    CHART_ARGUMENTS,
    ChartRecords,
    build_chart_records,
    chart_state,
)

OWNER_PASSWORD = "lantern orchard quietly 1987 tides"
USER_PASSWORD = "meadow copper violin 2024 rain"
NEW_PASSWORD = "harbour saffron pencil 4471 dunes"
#: One signed-in user per role (the owner comes with the vault).
USERS = {"owner": Role.OWNER, "carla": Role.CLINICIAN, "frank": Role.FRONT_DESK}
TARGET = "tessa"  # a front-desk user the user-management methods act on


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """A deadlock (say, on vault.lock) fails the test instead of stalling the run."""

    def timed_out(signum: int, frame: object) -> None:
        raise TimeoutError(f"over {seconds:g} s: is something waiting on itself?")

    previous = signal.signal(signal.SIGALRM, timed_out)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(autouse=True)
def _fail_instead_of_hanging() -> Iterator[None]:
    with _deadline(10):
        yield


def _public_methods(cls: type) -> list[str]:
    """Public names of `cls` that are methods, properties or other descriptors (a plain
    constant is not something a session can call)."""
    return [
        name
        for name in dir(cls)
        if not name.startswith("_")
        and (
            callable(inspect.getattr_static(cls, name))
            or hasattr(type(inspect.getattr_static(cls, name)), "__get__")
        )
    ]


GUARDED_METHODS = [(cls, name) for cls in GUARDED_SERVICES for name in _public_methods(cls)]


def _key(cls: type, name: str) -> str:
    return f"{cls.__name__}.{name}"


Args = tuple[tuple[Any, ...], dict[str, Any]]


@dataclass
class Caller:
    """What an argument factory may use: who is signed in and the practice. A factory
    whose call changes the caller's credentials says so in `after_success`."""

    username: str
    practice: Practice
    after_success: list[Callable[[], None]] = field(default_factory=list)

    @property
    def password(self) -> str:
        return str(self.practice.passwords[self.username])

    def new_password(self) -> Args:
        self.after_success.append(
            lambda: self.practice.passwords.update({self.username: NEW_PASSWORD})
        )
        return (self.password, NEW_PASSWORD), {}

    def new_second_factor(self) -> Args:
        """A secret from `start_second_factor` where the session may ask for one (the
        real flow: start with the password, finish with a code); else a fresh one."""
        services = self.practice.services
        user = services.session.user
        if (
            services.session.state is SessionState.SIGNED_IN
            and user is not None
            and allowed(user.role, Action.REENROL_OWN_SECOND_FACTOR)
        ):
            secret, _ = services.account.start_second_factor(self.password)
        else:
            secret = totp.new_secret()
        self.after_success.append(lambda: self.practice.secrets.update({self.username: secret}))
        return (secret, totp.current_code(secret, self.practice.clock.now())), {}

    @property
    def allowed_to_manage(self) -> bool:
        session = self.practice.services.session
        return self.username == "owner" and session.state is SessionState.SIGNED_IN

    @property
    def scratch(self) -> Path:
        return self.practice.services.data_dir.parent

    def client(self) -> int:
        """A client row (inserted directly: the owner's call needs one to exist)."""
        if not self.allowed_to_manage:
            return 1
        return add_client(self.practice.services, "Ann", "Able")

    def incident(self, *, with_client: bool = False) -> Incident:
        """A real incident when the owner calls; a stand-in for a refused caller, who
        never gets as far as using it."""
        services = self.practice.services
        if self.allowed_to_manage:
            incident = services.incidents.record(INCIDENT)
            if with_client:
                incident = services.incidents.add_clients(incident, [self.client()])
            return incident
        now = self.practice.clock.now()
        return Incident(
            1,
            "x",
            "",
            None,
            None,
            now,
            RiskAssessment(),
            "",
            IncidentStatus.OPEN,
            None,
            (1,),
            now,
            now,
            1,
        )

    def associate(self) -> BusinessAssociate:
        if self.allowed_to_manage:
            return self.practice.services.safeguards.add_business_associate("Fax", "", None, None)
        return BusinessAssociate(1, "Fax", "", None, None, True, 1)


INCIDENT = IncidentDraft(
    title="Lost phone", what_happened="", discovered_at=datetime(2026, 3, 1, tzinfo=UTC)
)


def _no_args(caller: Caller) -> Args:
    return (), {}


def _backup_file(caller: Caller) -> Args:
    return (caller.practice.backup,), {}


def _prepared_restore(caller: Caller) -> Args:
    """A restore prepared by the owner; a role that may not restore is refused before
    the argument is looked at, so it gets a stand-in."""
    services = caller.practice.services
    user = services.session.user
    if (
        services.session.state is SessionState.SIGNED_IN
        and user is not None
        and allowed(user.role, Action.MANAGE_BACKUPS)
    ):
        return (services.backups.restore_over_job(caller.practice.backup).run(),), {}
    return (object(),), {}


# The front desk's records in the template practice (ids are fixed by creation order):
# carla's client, two of carla's appointments (today and tomorrow), a waitlist entry.
CLIENT_ID, TODAY_ID, TOMORROW_ID, WAITING_ID = 1, 1, 2, 1
CARLA_ID = 2  # the owner is 1; carla was added first
CHICAGO = "America/Chicago"


def _client_draft(**changes: Any) -> ClientDraft:
    fields: dict[str, Any] = {
        "legal_first_name": "Ana",
        "legal_last_name": "Lopez",
        "date_of_birth": date(1984, 3, 7),
        "phone_mobile": "312 555 0147",
        "assigned_clinician_id": CARLA_ID,
    }
    fields.update(changes)
    return ClientDraft(**fields)


def _booking(hour: int, day: int = 3) -> AppointmentDraft:
    """Carla and her client, on 2026-03-`day` at `hour`:00 UTC (Chicago is UTC-6)."""
    return AppointmentDraft(
        clinician_id=CARLA_ID,
        client_id=CLIENT_ID,
        type_code="individual",
        starts_at=datetime(2026, 3, day, hour, tzinfo=UTC),
        minutes=50,
    )


#: Plausible arguments for each guarded method, by "Class.method". An allowed call with
#: these arguments succeeds; a new guarded method needs a row here.
ARGUMENTS: dict[str, Callable[[Caller], Args]] = {
    "UserAdmin.list_users": _no_args,
    "UserAdmin.add_user": lambda c: (("nina", "Nina Newcomer", Role.FRONT_DESK, NEW_PASSWORD), {}),
    "UserAdmin.disable_user": lambda c: ((TARGET,), {}),
    "UserAdmin.unlock_user": lambda c: ((TARGET,), {}),
    "UserAdmin.reset_password": lambda c: ((TARGET, NEW_PASSWORD), {}),
    "UserAdmin.set_role": lambda c: ((TARGET, Role.CLINICIAN), {}),
    "Account.me": _no_args,
    "Account.change_password": Caller.new_password,
    "Account.start_second_factor": lambda c: ((c.password,), {}),
    "Account.finish_second_factor": Caller.new_second_factor,
    "PracticeSettings.practice_name": _no_args,
    "PracticeSettings.password_policy": _no_args,
    "PracticeSettings.set_password_policy": lambda c: ((PasswordPolicy(min_length=14),), {}),
    "PracticeSettings.idle_timeout_minutes": _no_args,
    "PracticeSettings.set_idle_timeout_minutes": lambda c: ((15,), {}),
    "AuditReview.events": lambda c: ((), {"limit": 5}),
    "AuditReview.newest_events": lambda c: ((), {"limit": 5}),
    "AuditReview.verify_chain": _no_args,
    "AuditReview.check_vault": _no_args,
    "Backups.settings": _no_args,
    "Backups.set_settings": lambda c: ((BackupSettings(keep=5),), {}),
    "Backups.recent_backups": _no_args,
    "Backups.newest_verified_backup": _no_args,
    "Backups.last_restore_drill": _no_args,
    "Backups.last_passed_restore_drill": _no_args,
    "Backups.reminder": _no_args,
    "Backups.automatic_folder": _no_args,
    "Backups.daily_backup_due": _no_args,
    "Backups.backup_job": lambda c: ((c.practice.backup.parent,), {}),
    "Backups.verify_job": _backup_file,
    "Backups.restore_drill_job": _backup_file,
    "Backups.restore_over_job": _backup_file,
    "Backups.finish_restore_over": _prepared_restore,
    "AuditReview.page": lambda c: ((AuditFilter(),), {"limit": 5}),
    "AuditReview.start_chain_verification": _no_args,
    "AuditReview.record_chain_verification": lambda c: ((ChainReport(1, None, None),), {}),
    "AuditReview.start_csv_export": lambda c: ((AuditFilter(), c.scratch / "log.csv"), {}),
    "AuditReview.audit_report": lambda c: ((AuditFilter(), Purpose.SAVE), {}),
    "UnusualActivity.flags": _no_args,
    "UnusualActivity.thresholds": _no_args,
    "UnusualActivity.set_thresholds": lambda c: ((ActivityThresholds(records_opened=40),), {}),
    "UnusualActivity.practice_hours": _no_args,
    "UnusualActivity.set_practice_hours": lambda c: ((PracticeHours("Europe/Berlin"),), {}),
    "IncidentRegister.incidents": _no_args,
    "IncidentRegister.incident": lambda c: ((c.incident().id,), {}),
    "IncidentRegister.record": lambda c: ((INCIDENT,), {}),
    "IncidentRegister.update": lambda c: ((c.incident(), INCIDENT), {}),
    "IncidentRegister.add_clients": lambda c: ((c.incident(), [c.client()]), {}),
    "IncidentRegister.add_clients_from_audit": lambda c: (
        (c.incident(), 1, INCIDENT.discovered_at - timedelta(days=1), INCIDENT.discovered_at),
        {},
    ),
    "IncidentRegister.remove_client": lambda c: ((c.incident(), 1), {}),
    "IncidentRegister.countdowns": _no_args,
    "IncidentRegister.letter_template": _no_args,
    "IncidentRegister.set_letter_template": lambda c: (("Dear {client_name},",), {}),
    "IncidentRegister.notification_letters": lambda c: (
        (c.incident(with_client=True), Purpose.PRINT),
        {},
    ),
    "IncidentRegister.incident_report": lambda c: ((c.incident(), Purpose.SAVE), {}),
    "Safeguards.training_log": _no_args,
    "Safeguards.training_due": _no_args,
    "Safeguards.record_training": lambda c: ((1, date(2026, 2, 1), "Phishing"), {}),
    "Safeguards.business_associates": _no_args,
    "Safeguards.add_business_associate": lambda c: (("Cloud fax", "Faxes", None, None), {}),
    "Safeguards.update_business_associate": lambda c: (
        (c.associate(), replace(c.associate(), handles="Faxes and e-mail")),
        {},
    ),
    "Safeguards.response_plan": _no_args,
    "Safeguards.response_plan_history": _no_args,
    "Safeguards.save_response_plan": lambda c: (("Owner leads", "Contain", "Insurer"), {}),
    "Safeguards.safeguards_document": lambda c: ((Purpose.PRINT,), {}),
    "SecurityCheck.run": _no_args,
    "SecurityCheck.review_record": lambda c: (
        (SecurityCheckReport(c.practice.clock.now(), ()), Purpose.SAVE),
        {},
    ),
    **CHART_ARGUMENTS,
    "Clients.search": lambda c: (("lop",), {}),
    "Clients.clinicians": _no_args,
    "Clients.open": lambda c: ((CLIENT_ID,), {}),
    "Clients.likely_duplicates": lambda c: ((_client_draft(),), {}),
    "Clients.create": lambda c: ((_client_draft(legal_first_name="Bea"),), {}),
    "Clients.update": lambda c: ((CLIENT_ID, 1, _client_draft(city="Evanston")), {}),
    "Schedule.settings": _no_args,
    "Schedule.set_time_zone": lambda c: (("America/New_York",), {}),
    "Schedule.set_late_cancel_hours": lambda c: ((12,), {}),
    "Schedule.clinicians": _no_args,
    "Schedule.appointment_types": _no_args,
    "Schedule.rooms": _no_args,
    "Schedule.add_room": lambda c: (("Room 9",), {}),
    "Schedule.days": lambda c: ((date(2026, 3, 2), 7, CARLA_ID), {}),
    "Schedule.today": _no_args,
    "Schedule.entry": lambda c: ((TODAY_ID,), {}),
    "Schedule.conflicts": lambda c: ((_booking(20),), {}),
    "Schedule.book": lambda c: ((_booking(20),), {}),
    "Schedule.conflicts_for_change": lambda c: ((TOMORROW_ID, _booking(21)), {}),
    "Schedule.reschedule": lambda c: ((TOMORROW_ID, 1, _booking(21)), {"scope": Scope.ONE}),
    "Schedule.cancel": lambda c: ((TOMORROW_ID, 1, CancelledBy.CLIENT), {}),
    "Schedule.set_status": lambda c: ((TODAY_ID, 1, AppointmentStatus.CHECKED_IN), {}),
    "Waitlist.waiting": _no_args,
    "Waitlist.add": lambda c: ((WaitlistDraft(CLIENT_ID, "family"),), {}),
    "Waitlist.remove": lambda c: ((WAITING_ID, 1), {}),
    "Waitlist.mark_booked": lambda c: ((WAITING_ID, 1), {}),
    "ScheduleExport.clinician_ics": lambda c: ((CARLA_ID, date(2026, 3, 1), date(2026, 3, 31)), {}),
}


def _service(services: Services, cls: type) -> Any:
    found = [s for s in vars(services).values() if type(s) is cls]
    assert len(found) == 1, f"Services should hold exactly one {cls.__name__}"
    return found[0]


def _bound_method(services: Services, cls: type, name: str) -> Callable[..., Any]:
    return getattr(_service(services, cls), name)  # type: ignore[no-any-return]


def _action(cls: type, name: str) -> Action:
    return getattr(getattr(cls, name), REQUIRED_ACTION)  # type: ignore[no-any-return]


# What every method must declare -----------------------------------------------------


def test_there_are_guarded_methods_to_check() -> None:
    names = {_key(cls, name) for cls, name in GUARDED_METHODS}
    assert {"UserAdmin.add_user", "Account.change_password", "AuditReview.events"} <= names
    assert {"Clients.open", "Schedule.book", "Waitlist.add", "ScheduleExport.clinician_ics"} <= (
        names
    )


@pytest.mark.parametrize(
    ("cls", "name"), GUARDED_METHODS, ids=[_key(c, n) for c, n in GUARDED_METHODS]
)
def test_every_public_method_declares_its_action(cls: type, name: str) -> None:
    member = inspect.getattr_static(cls, name)
    assert inspect.isfunction(member), f"{_key(cls, name)} is public but not a plain method"
    action = getattr(member, REQUIRED_ACTION, None)
    assert isinstance(action, Action), f"{_key(cls, name)} lacks @requires(Action.…)"


def test_every_guarded_method_has_an_argument_row() -> None:
    methods = {_key(cls, name) for cls, name in GUARDED_METHODS}
    assert sorted(methods - ARGUMENTS.keys()) == [], "add a row to ARGUMENTS"
    assert sorted(ARGUMENTS.keys() - methods) == [], "a row in ARGUMENTS names no method"


def test_the_table_keeps_clinical_and_admin_work_apart() -> None:
    """DESIGN §1: only the owner administers; everyone looks after their own account;
    clinicians (and the owner) do the chart's work, the front desk none of it; the
    front desk keeps every clinician's clients and schedule; a clinician reads their
    own clients and keeps their own schedule."""
    own = {Action.CHANGE_OWN_PASSWORD, Action.REENROL_OWN_SECOND_FACTOR, Action.VIEW_OWN_ACCOUNT}
    clinician = own | {
        Action.VIEW_CLIENTS,
        Action.VIEW_SCHEDULE,
        Action.EDIT_SCHEDULE,
        Action.EXPORT_SCHEDULE,
    }
    desk = clinician | {
        Action.EDIT_CLIENTS,
        Action.MANAGE_WAITLIST,
        Action.MANAGE_ROOMS,
        Action.ALL_CLINICIANS,
    }
    for action in Action:
        assert allowed(Role.OWNER, action)
        assert allowed(Role.CLINICIAN, action) is (action in clinician | CLINICAL), action
        assert allowed(Role.FRONT_DESK, action) is (action in desk), action
    assert {Action.VIEW_CHART, Action.SIGN_NOTES, Action.EMERGENCY_ACCESS} <= CLINICAL
    assert Action.REVIEW_EMERGENCY_ACCESS not in CLINICAL
    assert not CLINICAL & desk


# The matrix --------------------------------------------------------------------------
#
# Every matrix test starts from a copy of one practice, built once per module: the
# owner, a clinician, a front-desk user, and TARGET, whom user management acts on.


@dataclass
class Practice:
    services: Services
    clock: FrozenClock
    secrets: dict[str, str]
    passwords: dict[str, str]
    #: A backup of the template practice (for the backup methods to act on).
    backup: Path = Path()
    records: ChartRecords | None = None

    def sign_in(self, username: str) -> None:
        self.clock.advance(30)  # a fresh TOTP step: a code is accepted only once
        code = totp.current_code(self.secrets[username], self.clock.now())
        self.services.auth.sign_in(username, self.passwords[username], code)


@dataclass(frozen=True)
class Template:
    data_dir: Path
    keyring: MemoryKeyring
    now: datetime
    secrets: dict[str, str]
    passwords: dict[str, str]
    observed: Observed
    backup: Path
    records: ChartRecords


@dataclass(frozen=True)
class Observed:
    """Everything a refused call could have touched, and the refusals audited so far."""

    state: dict[str, Any]
    denials: list[tuple[str | None, str | None, str | None, str | None]]


def _user_slots(data_dir: Path) -> list[tuple[str, str]]:
    vault = json.loads((data_dir / "vault.json").read_text())
    return sorted((s["slot_id"], s["salt"]) for s in vault["slots"])


def _front_desk_rows(services: Services) -> dict[str, Any]:
    """Every front-desk table's rows and versions, and the schedule's settings."""
    conn = services.session.database.conn
    rows = {
        table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        for table in (
            "client",
            "client_search_term",
            "appointment",
            "appointment_series",
            "room",
            "waitlist_entry",
        )
    }
    rows["settings"] = conn.execute(
        "SELECT * FROM practice_setting WHERE name IN ('time_zone', 'late_cancel_hours')"
    ).fetchall()
    return rows


def _observe(practice: Practice) -> Observed:
    """Read as the owner, who then signs out again."""
    services = practice.services
    practice.sign_in("owner")
    try:
        assert services.audit.verify_chain().ok
        state = {
            "users": [
                (u.username, u.role, u.status, u.must_change_password, u.row_version, t.locked)
                for u, t in services.users.list_users()
            ],
            "policy": services.settings.password_policy(),
            "idle": services.settings.idle_timeout_minutes(),
            "practice": services.settings.practice_name(),
            "slots": _user_slots(services.data_dir),
            "chart": chart_state(services),
            "front_desk": _front_desk_rows(services),
        }
        denials = [
            (e.username, e.role, e.object_type, e.object_id)
            for e in services.audit.events(limit=10_000)
            if e.action == "permission_denied"
        ]
        return Observed(state, denials)
    finally:
        services.session.sign_out()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    data_dir = tmp_path_factory.mktemp("roles") / "practice"
    keyring = MemoryKeyring()
    clock = FrozenClock(datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    services = Services.build(data_dir, keyring=keyring, clock=clock)
    created = services.vaults.create(
        practice_name="Riverside Counselling",
        owner_username="owner",
        owner_full_name="Olive Owner",
        owner_password=OWNER_PASSWORD,
    )
    practice = Practice(
        services, clock, {"owner": created.owner.totp_secret}, {"owner": OWNER_PASSWORD}
    )
    with _deadline(60):  # module fixtures are set up before the autouse deadline
        return _build_template(practice, data_dir, keyring)


def _build_template(practice: Practice, data_dir: Path, keyring: MemoryKeyring) -> Template:
    services = practice.services
    practice.sign_in("owner")
    for username, role in (
        ("carla", Role.CLINICIAN),
        ("frank", Role.FRONT_DESK),
        (TARGET, Role.FRONT_DESK),
    ):
        enrolment = services.users.add_user(username, username.title(), role, USER_PASSWORD)
        practice.secrets[username] = enrolment.totp_secret
        practice.passwords[username] = USER_PASSWORD
    services.schedule.set_time_zone(CHICAGO)
    services.schedule.add_room("Room 1")
    client = services.clients.create(_client_draft())
    today = services.schedule.book(_booking(16, day=2))[0]  # 10:00 in Chicago, today
    tomorrow = services.schedule.book(_booking(16))[0]
    entry = services.waitlist.add(WaitlistDraft(CLIENT_ID, "individual"))
    assert (client.id, today.id, tomorrow.id, entry.id) == (
        CLIENT_ID,
        TODAY_ID,
        TOMORROW_ID,
        WAITING_ID,
    )
    assert client.assigned_clinician_id == CARLA_ID
    drive = data_dir.parent / "usb"
    drive.mkdir()
    backup = services.backups.backup_job(drive).run().path
    services.session.sign_out()
    records = build_chart_records(services, practice.sign_in, practice.passwords)
    observed = _observe(practice)
    assert observed.denials == []
    now = practice.clock.now()
    return Template(
        data_dir, keyring, now, practice.secrets, practice.passwords, observed, backup, records
    )


@pytest.fixture
def copy(template: Template, tmp_path: Path) -> Practice:
    """A fresh copy of the template practice, signed out."""
    data_dir = tmp_path / "practice"
    shutil.copytree(template.data_dir, data_dir)
    clock = FrozenClock(template.now)
    services = Services.build(data_dir, keyring=template.keyring, clock=clock)
    return Practice(
        services,
        clock,
        dict(template.secrets),
        dict(template.passwords),
        template.backup,
        template.records,
    )


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize(
    ("cls", "name"), GUARDED_METHODS, ids=[_key(c, n) for c, n in GUARDED_METHODS]
)
def test_each_role_may_call_exactly_what_the_table_allows(
    template: Template, copy: Practice, role: Role, cls: type, name: str
) -> None:
    services = copy.services
    username = next(u for u, r in USERS.items() if r is role)
    action = _action(cls, name)
    may = allowed(role, action)

    copy.sign_in(username)
    caller = Caller(username, copy)
    args, kwargs = ARGUMENTS[_key(cls, name)](caller)
    method = _bound_method(services, cls, name)
    if may:
        method(*args, **kwargs)
        for update in caller.after_success:
            update()
    else:
        with pytest.raises(PermissionDenied):
            method(*args, **kwargs)
        # A refusal leaves the session as it was.
        assert services.session.state is SessionState.SIGNED_IN
        assert services.account.me().username == username
    services.session.sign_out()

    after = _observe(copy)
    if may:
        assert after.denials == []
    else:
        assert after.denials == [(username, role.value, "action", action.value)]
        assert after.state == template.observed.state


# Signed out or locked ------------------------------------------------------------------


def _files(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(data_dir.iterdir()) if p.is_file()}


@pytest.mark.parametrize(
    ("cls", "name"), GUARDED_METHODS, ids=[_key(c, n) for c, n in GUARDED_METHODS]
)
def test_signed_out_every_guarded_method_raises_session_locked(
    copy: Practice, cls: type, name: str
) -> None:
    services = copy.services
    assert services.session.state is SessionState.SIGNED_OUT
    before = _files(services.data_dir)
    args, kwargs = ARGUMENTS[_key(cls, name)](Caller("owner", copy))
    with pytest.raises(SessionLocked):
        _bound_method(services, cls, name)(*args, **kwargs)
    assert _files(services.data_dir) == before


@pytest.mark.parametrize(
    ("cls", "name"), GUARDED_METHODS, ids=[_key(c, n) for c, n in GUARDED_METHODS]
)
def test_locked_every_guarded_method_raises_session_locked(
    copy: Practice, cls: type, name: str
) -> None:
    services = copy.services
    copy.sign_in("owner")
    services.session.lock()
    assert services.session.state is SessionState.LOCKED
    before = _files(services.data_dir)
    args, kwargs = ARGUMENTS[_key(cls, name)](Caller("owner", copy))
    with pytest.raises(SessionLocked):
        _bound_method(services, cls, name)(*args, **kwargs)
    assert _files(services.data_dir) == before
    assert services.session.state is SessionState.LOCKED
