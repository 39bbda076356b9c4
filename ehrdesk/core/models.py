"""Frozen dataclasses that services return and the UI shows. No behaviour, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    OWNER = "owner"
    CLINICIAN = "clinician"
    FRONT_DESK = "front_desk"

    @property
    def label(self) -> str:
        return {"owner": "Owner", "clinician": "Clinician", "front_desk": "Front desk"}[self.value]


class UserStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    full_name: str
    role: Role
    status: UserStatus
    created_at: datetime
    password_changed_at: datetime
    must_change_password: bool
    row_version: int


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One row of the audit log. Never holds clinical content."""

    seq: int
    at: datetime
    user_id: int | None
    username: str | None
    role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    reason: str | None
    mac: bytes


@dataclass(frozen=True, slots=True)
class UserEnrolment:
    """What a new or re-enrolled user must be shown once: second factor and codes."""

    user: User
    totp_uri: str
    totp_secret: str
    recovery_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ThrottleStatus:
    """Sign-in throttle for one account, as the sign-in and settings screens show it."""

    failures: int
    locked: bool
    retry_after: float
