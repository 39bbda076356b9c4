"""Audit action names that the audit review and its unusual-activity flags look for.

One place for the names, so the parts of ehrdesk that write these events (the chart,
the front desk, printing and export) and the rules that read them agree. An event
about a client record names the client as its object: `object_type = "client"` and
`object_id = str(client_id)`, whatever the record inside the chart is, so "who opened
this chart" and the incident register's "clients this user touched" are one filter.
Audit events carry ids only, never names or clinical words.
"""

from __future__ import annotations

from typing import Final

#: The object type of every event about one client's record.
CLIENT: Final = "client"

# Viewing client records ---------------------------------------------------------------
CLIENT_VIEWED: Final = "client_viewed"  # demographics, contact, insurance (front desk)
CHART_OPENED: Final = "chart_opened"  # the clinical chart (clinicians)
NOTE_VIEWED: Final = "note_viewed"
#: Actions that count as opening a client's record, for the "many records opened" flag.
#: An engineer adding a new way to look at a client's record adds its action here.
CLIENT_RECORD_VIEWS: Final = frozenset({CLIENT_VIEWED, CHART_OPENED, NOTE_VIEWED})

# Emergency ("break the glass") access ----------------------------------------------------
#: Written by services/emergency.py when a grant starts (the flag and the review read it).
EMERGENCY_ACCESS_GRANTED: Final = "emergency_access_started"
EMERGENCY_ACCESS_ENDED: Final = "emergency_access_ended"
EMERGENCY_ACCESS_ACKNOWLEDGED: Final = "emergency_access_acknowledged"

# Records leaving the app -------------------------------------------------------------------
RECORD_PRINTED: Final = "record_printed"
RECORD_EXPORTED: Final = "record_exported"
AUDIT_LOG_EXPORTED: Final = "audit_log_exported"
AUDIT_REPORT_PRINTED: Final = "audit_report_printed"
BREACH_LETTER_GENERATED: Final = "breach_letter_generated"
DOCUMENT_PRINTED: Final = "document_printed"
DOCUMENT_EXPORTED: Final = "document_exported"
#: Actions that put records on paper or in a file, for the "many records exported" flag.
EXPORTS_AND_PRINTS: Final = frozenset(
    {
        RECORD_PRINTED,
        RECORD_EXPORTED,
        AUDIT_LOG_EXPORTED,
        AUDIT_REPORT_PRINTED,
        BREACH_LETTER_GENERATED,
        DOCUMENT_PRINTED,
        DOCUMENT_EXPORTED,
    }
)

# Sign-in --------------------------------------------------------------------------------
SIGN_IN: Final = "sign_in"
SIGN_IN_FAILED: Final = "sign_in_failed"
UNLOCK: Final = "unlock"
#: What counts as a person working, for the "outside the practice's hours" flag.
ACCESS: Final = frozenset({SIGN_IN, UNLOCK}) | CLIENT_RECORD_VIEWS | {EMERGENCY_ACCESS_GRANTED}

#: Names offered by the audit screen's action filter (any other name can be typed).
KNOWN_ACTIONS: Final = tuple(
    sorted(
        {
            "account_recovered",
            "audit_chain_verified",
            "lock",
            "password_changed",
            "password_reset",
            "permission_denied",
            "role_changed",
            "second_factor_enrolled",
            "settings_changed",
            "sign_out",
            "user_added",
            "user_disabled",
            "user_unlocked",
            "vault_checked",
            "vault_created",
            "incident_recorded",
            "incident_updated",
            "release_recorded",
            "release_revoked",
            "release_form_attached",
            "release_signed_on_screen",
            "release_form_viewed",
            EMERGENCY_ACCESS_ENDED,
            EMERGENCY_ACCESS_ACKNOWLEDGED,
            *ACCESS,
            *EXPORTS_AND_PRINTS,
            SIGN_IN_FAILED,
        }
    )
)
