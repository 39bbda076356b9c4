"""The one exception tree of ehrdesk.

    EhrdeskError
    ├── UserCancelled              the person cancelled; shown as nothing at all
    └── UserFacingError            carries one plain, safe sentence for the person
        ├── AuthenticationFailed   wrong username, password or code (never says which)
        ├── SignInThrottled        too many failures: wait `retry_after` seconds
        ├── AccountLocked          ten failures: the owner or the Emergency Kit unlocks
        ├── SessionLocked          the session is locked or signed out; sign in again
        ├── PermissionDenied       the role may not do this (the attempt is audited)
        │   └── ChartAccessRequired  not this person's client: emergency access opens it
        ├── PasswordRejected       the password policy said no; `reasons` say why
        ├── InvalidInput           a value a person typed is not acceptable
        │   ├── InvalidFields      several fields of a form, one sentence each
        │   └── ConflictsFound     a booking overlaps others; needs an override reason
        ├── NotFound               the thing asked for does not exist
        ├── ConcurrentEditError    someone else saved this record first
        ├── AuditChainBroken       the audit log fails verification at `first_bad_seq`
        ├── VaultError             the vault on disk cannot be used as it is
        │   ├── VaultNotFound      no vault in this data folder
        │   ├── VaultExists        a vault is already there; setup never overwrites it
        │   ├── VaultDamaged       unreadable, tampered with, or not ours
        │   ├── VaultTooNew        made by a newer ehrdesk than this one
        │   ├── KeyringUnavailable the OS keyring cannot be reached or is locked
        │   └── WorkstationSecretMissing  a bound vault whose keyring secret is gone
        └── BackupError            a backup cannot be taken, read or restored
            ├── BackupDamaged      flipped bytes or a cut-off file: the backup is unusable
            ├── BackupKeyWrong     the recovery key typed does not open this backup
            ├── BackupOfAnotherPractice  a sound backup, but of a different practice
            ├── BackupTooNew       made by a newer ehrdesk than this one
            ├── BackupTargetFull   not enough free space on the drive; nothing written
            └── BackupTargetUnavailable  the folder or drive cannot be written or read

Every message is written for the person in front of the screen and never contains
client data, usernames typed at a sign-in prompt, or secrets. Anything that is not an
`EhrdeskError` is a bug: it is logged with its traceback and shown as a generic
sentence that names the log's location.
"""

from __future__ import annotations


class EhrdeskError(Exception):
    """Root of every error ehrdesk raises on purpose."""


class UserCancelled(EhrdeskError):
    """The person cancelled a long piece of work; nothing to show."""


class UserFacingError(EhrdeskError):
    """An error whose message is one safe sentence meant for the person."""

    default_message = "Something went wrong."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class AuthenticationFailed(UserFacingError):
    default_message = "The username, password or code is not right. Please try again."


class SignInThrottled(UserFacingError):
    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(0.0, retry_after)
        seconds = max(1, round(self.retry_after))
        super().__init__(
            f"Too many unsuccessful sign-ins. Please wait {seconds} seconds before trying again."
        )


class AccountLocked(UserFacingError):
    default_message = (
        "This account is locked after too many unsuccessful sign-ins. Ask the practice "
        "owner to unlock it, or use the recovery key from the Emergency Kit."
    )


class SessionLocked(UserFacingError):
    default_message = "ehrdesk is locked. Please sign in again."


class PermissionDenied(UserFacingError):
    default_message = "Your role does not allow this."


class ChartAccessRequired(PermissionDenied):
    default_message = (
        "This client is not assigned to you. To open the chart in an emergency, use "
        "emergency access and say why."
    )


class PasswordRejected(UserFacingError):
    def __init__(self, reasons: list[str]) -> None:
        self.reasons = list(reasons)
        super().__init__(self.reasons[0] if self.reasons else "This password is not allowed.")


class InvalidInput(UserFacingError):
    default_message = "That value is not valid."


class InvalidFields(InvalidInput):
    """A form with one or more bad fields: `fields` maps each field's name to one
    sentence, so a form can show each beside its field. The message is the first."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = dict(fields)
        super().__init__(next(iter(self.fields.values()), None))


class ConflictsFound(InvalidInput):
    """Saving would double-book a clinician, a client or a room. `conflicts` lists
    them (ehrdesk.core.front_desk.ScheduleConflict); saving anyway needs a reason."""

    def __init__(self, conflicts: tuple[object, ...]) -> None:
        self.conflicts = conflicts
        n = len(conflicts)
        super().__init__(
            f"This time overlaps {n} other booking{'s' if n != 1 else ''}. "
            "Choose another time, or book anyway with a reason."
        )


class NotFound(UserFacingError):
    default_message = "That record does not exist."


class ConcurrentEditError(UserFacingError):
    default_message = (
        "Someone else saved this record while you were editing it. "
        "Please reopen it and make your change again."
    )


class AuditChainBroken(UserFacingError):
    def __init__(self, first_bad_seq: int | None, why: str) -> None:
        self.first_bad_seq = first_bad_seq
        self.why = why
        where = f" at event {first_bad_seq}" if first_bad_seq is not None else ""
        super().__init__(f"The audit log fails verification{where}: {why}.")


class VaultError(UserFacingError):
    default_message = "The practice's data folder cannot be used as it is."


class VaultNotFound(VaultError):
    default_message = "There is no ehrdesk practice in this data folder."


class VaultExists(VaultError):
    default_message = (
        "This data folder already holds an ehrdesk practice; setup never overwrites one."
    )


class VaultDamaged(VaultError):
    default_message = (
        "The practice's data in this folder is damaged or is not an ehrdesk vault. "
        "Restore it from a backup."
    )


class VaultTooNew(VaultError):
    default_message = (
        "This practice was saved by a newer version of ehrdesk. Please update ehrdesk."
    )


class KeyringUnavailable(VaultError):
    default_message = (
        "The system keyring cannot be reached or is locked. Unlock it (sign in to the "
        "desktop) and try again, or open the practice with the recovery key from the "
        "Emergency Kit."
    )


class WorkstationSecretMissing(VaultError):
    default_message = (
        "This practice is bound to a workstation whose keyring key is not here. "
        "Open it once with the recovery key from the Emergency Kit to bind it to this "
        "workstation."
    )


class BackupError(UserFacingError):
    default_message = "That backup cannot be used."


class BackupDamaged(BackupError):
    default_message = (
        "This backup is damaged or incomplete and cannot be used; nothing was changed. "
        "Please try another backup."
    )


class BackupKeyWrong(BackupError):
    default_message = (
        "That recovery key does not open this backup. Check that it is the key on the "
        "Emergency Kit of the practice the backup was taken from."
    )


class BackupOfAnotherPractice(BackupError):
    default_message = (
        "This backup is of another practice, not the one in this data folder; nothing was changed."
    )


class BackupTooNew(BackupError):
    default_message = (
        "This backup was made by a newer version of ehrdesk. Please update ehrdesk to use it."
    )


class BackupTargetFull(BackupError):
    def __init__(self, needed_bytes: int, free_bytes: int) -> None:
        self.needed_bytes = needed_bytes
        self.free_bytes = free_bytes
        super().__init__(
            f"The drive does not have enough free space for this backup (it needs about "
            f"{_megabytes(needed_bytes)} and has {_megabytes(free_bytes)} free); "
            "nothing was written."
        )


class BackupTargetUnavailable(BackupError):
    default_message = (
        "ehrdesk cannot write to or read from that folder; check that the drive is still "
        "connected and try again."
    )


def _megabytes(count: int) -> str:
    return f"{max(count, 0) / 1_000_000:.1f} MB"
