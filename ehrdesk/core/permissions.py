"""Who may do what: the roles × actions table, in one place.

Services check it before they touch anything (`services.guard.requires`); the UI only
hides what a role cannot use. Adding an action means adding it here, to the table and
to the role × action test, which fails for any service method that does not declare
the action it needs.
"""

from __future__ import annotations

from enum import StrEnum

from ehrdesk.core.models import Role


class Action(StrEnum):
    # Any signed-in person, about themselves.
    CHANGE_OWN_PASSWORD = "change_own_password"  # noqa: S105 - an action, not a secret
    REENROL_OWN_SECOND_FACTOR = "reenrol_own_second_factor"
    VIEW_OWN_ACCOUNT = "view_own_account"
    # Practice administration.
    MANAGE_USERS = "manage_users"
    VIEW_USERS = "view_users"
    EDIT_PRACTICE_SETTINGS = "edit_practice_settings"
    VIEW_AUDIT_LOG = "view_audit_log"
    EXPORT_AUDIT_LOG = "export_audit_log"
    CHECK_VAULT = "check_vault"
    MANAGE_BACKUPS = "manage_backups"
    # The practice's compliance records (issue 7).
    MANAGE_INCIDENTS = "manage_incidents"
    MANAGE_SAFEGUARDS = "manage_safeguards"
    RUN_SECURITY_CHECK = "run_security_check"


_EVERYONE = frozenset(
    {Action.CHANGE_OWN_PASSWORD, Action.REENROL_OWN_SECOND_FACTOR, Action.VIEW_OWN_ACCOUNT}
)

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.CLINICIAN: _EVERYONE,
    Role.FRONT_DESK: _EVERYONE,
}


def allowed(role: Role, action: Action) -> bool:
    return action in PERMISSIONS[role]
