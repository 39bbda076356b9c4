"""The demo practice: published credentials, a fixed second factor, marked DEMO.

A newcomer can look around in one minute without an authenticator app: the sign-in
screen of a demo practice shows the current code. The demo lives in its own data
folder, is never bound to the keyring, and holds only synthetic people.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ehrdesk.core.models import Role
from ehrdesk.security import recovery, totp
from ehrdesk.services.registry import Services
from ehrdesk.services.vault import NewVaultPlan, plan_new_vault
from ehrdesk.storage.users import UserRepository

if TYPE_CHECKING:
    from ehrdesk.services.demo_data import DemoReport, Progress

PRACTICE_NAME = "Demo Practice"
PASSWORD = "sunlit harbour kettle 2026"  # noqa: S105 - published demo credentials
#: Published on purpose: type it into any authenticator app, or read the code off the
#: demo's sign-in screen.
TOTP_SECRET = "EHRDESKDEMOEHRDESKDEMOEHRDESKDEM"  # noqa: S105 - published on purpose


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role


#: The size of `ehrdesk demo` without --patients: enough to look around in.
DEFAULT_PATIENTS = 250
DEFAULT_YEARS = 2.0

USERS = (
    DemoUser("demo", "Dana Whitfield", Role.OWNER),
    DemoUser("clinician", "Casey Morgan", Role.CLINICIAN),
    DemoUser("desk", "Robin Ellis", Role.FRONT_DESK),
)


def current_code(services: Services) -> str:
    return totp.current_code(TOTP_SECRET, services.clock.now())


def create_demo_practice(
    services: Services,
    *,
    patients: int = DEFAULT_PATIENTS,
    years: float = DEFAULT_YEARS,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    long_chart_notes: int = 0,
) -> DemoReport:
    """Create the demo practice in `services.data_dir` (which must hold none) and
    fill it with a synthetic practice of `patients` clients over `years` years (and,
    if asked, one long-term client with a chart of `long_chart_notes` notes)."""
    # The generator is imported here, not with this module: the app imports this module
    # at start-up for the demo's credentials, and need not load the generator then.
    from ehrdesk.services.demo_data import fill_practice  # noqa: PLC0415

    fresh = plan_new_vault()
    plan = NewVaultPlan(
        fresh.vault_id, recovery.new_recovery_key(), TOTP_SECRET, fresh.recovery_codes
    )
    owner = USERS[0]
    services.vaults.create(
        practice_name=PRACTICE_NAME,
        owner_username=owner.username,
        owner_full_name=owner.full_name,
        owner_password=PASSWORD,
        bind_workstation=False,
        plan=plan,
        demo=True,
    )
    # A recovery code, so the current TOTP step stays free for the person.
    services.auth.sign_in(owner.username, PASSWORD, plan.recovery_codes[0])
    try:
        for user in USERS[1:]:
            services.users.add_user(user.username, user.full_name, user.role, PASSWORD)
        with services.session.transaction() as tx:
            users = UserRepository(tx.conn)
            for user in USERS[1:]:
                record = users.find(user.username)
                assert record is not None
                users.set_totp_secret(record.id, TOTP_SECRET)
                users.password_changed(record, services.clock.now(), must_change=False)
            tx.audit("demo_prepared")
        return fill_practice(
            services,
            patients=patients,
            years=years,
            progress=progress,
            cancelled=cancelled,
            long_chart_notes=long_chart_notes,
        )
    finally:
        services.session.sign_out()
