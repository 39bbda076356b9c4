"""Who may do what: the roles × actions table, in one place.

Services check it before they touch anything (`services.guard.requires`); the UI only
hides what a role cannot use. Adding an action means adding it here, to the table and
to the role × action test, which fails for any service method that does not declare
the action it needs.

The chart's actions (the clinician's work) belong to clinicians and to the owner; the
front desk has none of them. The table says only *which kind* of work a role may do:
*whose* chart a person may open (their own clients; the owner as supervisor; anyone
else through emergency access) and that a psychotherapy note is its author's alone are
decided per record in `services/chart_access.py`.
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
    MANAGE_NOTE_TEMPLATES = "manage_note_templates"
    REVIEW_EMERGENCY_ACCESS = "review_emergency_access"
    # The clinician's chart.
    VIEW_CHART = "view_chart"
    WRITE_NOTES = "write_notes"
    SIGN_NOTES = "sign_notes"
    WRITE_PSYCHOTHERAPY_NOTES = "write_psychotherapy_notes"
    MANAGE_DIAGNOSES = "manage_diagnoses"
    MANAGE_TREATMENT_PLANS = "manage_treatment_plans"
    RECORD_MEASURES = "record_measures"
    EMERGENCY_ACCESS = "emergency_access"
    # Handing a client's record out (issue 7): to the client, or disclosed under a
    # release or a legal basis; releases of information; the accounting of disclosures.
    RELEASE_RECORDS = "release_records"
    MANAGE_RELEASES = "manage_releases"
    VIEW_DISCLOSURES = "view_disclosures"
    #: A superbill: diagnosis and service codes (ICD-10-CM, CPT), dates and fees, never a
    #: note's words. The front desk's billing work (DESIGN §1), and a clinician's for
    #: their own clients.
    PRINT_SUPERBILLS = "print_superbills"
    # The front desk: clients' demographics and the schedule (never clinical content).
    VIEW_CLIENTS = "view_clients"
    EDIT_CLIENTS = "edit_clients"
    VIEW_SCHEDULE = "view_schedule"
    EDIT_SCHEDULE = "edit_schedule"
    EXPORT_SCHEDULE = "export_schedule"
    MANAGE_WAITLIST = "manage_waitlist"
    MANAGE_ROOMS = "manage_rooms"
    #: Act for every clinician. Without it, VIEW_CLIENTS, VIEW_SCHEDULE, EDIT_SCHEDULE,
    #: EXPORT_SCHEDULE and PRINT_SUPERBILLS reach only the signed-in clinician's own clients and
    #: appointments; the services enforce that per record, not just per method.
    ALL_CLINICIANS = "all_clinicians"


_EVERYONE = frozenset(
    {Action.CHANGE_OWN_PASSWORD, Action.REENROL_OWN_SECOND_FACTOR, Action.VIEW_OWN_ACCOUNT}
)

#: The clinician's work on charts. The owner has it too (DESIGN §1: "everything below").
CLINICAL = frozenset(
    {
        Action.VIEW_CHART,
        Action.WRITE_NOTES,
        Action.SIGN_NOTES,
        Action.WRITE_PSYCHOTHERAPY_NOTES,
        Action.MANAGE_DIAGNOSES,
        Action.MANAGE_TREATMENT_PLANS,
        Action.RECORD_MEASURES,
        Action.EMERGENCY_ACCESS,
        Action.RELEASE_RECORDS,
        Action.MANAGE_RELEASES,
        Action.VIEW_DISCLOSURES,
    }
)
_FRONT_DESK = frozenset(
    {
        Action.VIEW_CLIENTS,
        Action.EDIT_CLIENTS,
        Action.VIEW_SCHEDULE,
        Action.EDIT_SCHEDULE,
        Action.EXPORT_SCHEDULE,
        Action.MANAGE_WAITLIST,
        Action.MANAGE_ROOMS,
        Action.ALL_CLINICIANS,
        Action.PRINT_SUPERBILLS,
    }
)
#: A clinician reads their own clients' records and keeps their own schedule (books,
#: moves, checks in, cancels their own appointments); the front desk keeps everyone's.
_OWN_CLINICAL_DAY = frozenset(
    {
        Action.VIEW_CLIENTS,
        Action.VIEW_SCHEDULE,
        Action.EDIT_SCHEDULE,
        Action.EXPORT_SCHEDULE,
        Action.PRINT_SUPERBILLS,
    }
)

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.CLINICIAN: _EVERYONE | CLINICAL | _OWN_CLINICAL_DAY,
    Role.FRONT_DESK: _EVERYONE | _FRONT_DESK,
}


def allowed(role: Role, action: Action) -> bool:
    return action in PERMISSIONS[role]
