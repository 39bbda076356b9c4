"""What a client record may hold, checked before anything is written.

`check_client` returns the cleaned draft or raises `InvalidFields` naming every bad
field with one sentence each; the form shows each sentence beside its field. The
sentences never repeat what was typed (no client data in messages or logs).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from typing import Any

from ehrdesk.core.errors import InvalidFields, InvalidInput
from ehrdesk.core.front_desk import ClientDraft
from ehrdesk.core.search_terms import digits

OLDEST_AGE_YEARS = 125
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15
MAX_ADMIN_NOTES = 10_000
#: Longest value of each short field, in characters.
MAX_LENGTHS = {
    "legal_first_name": 100,
    "legal_middle_name": 100,
    "legal_last_name": 100,
    "preferred_name": 100,
    "pronouns": 40,
    "phone_mobile": 40,
    "phone_home": 40,
    "email": 254,
    "address_line1": 200,
    "address_line2": 200,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "emergency_name": 200,
    "emergency_relationship": 60,
    "emergency_phone": 40,
    "insurance_payer": 120,
    "insurance_member_id": 60,
    "insurance_group": 60,
    "admin_notes": MAX_ADMIN_NOTES,
}
LABELS = {
    "legal_first_name": "legal first name",
    "legal_middle_name": "middle name",
    "legal_last_name": "legal last name",
    "preferred_name": "preferred name",
    "pronouns": "pronouns",
    "phone_mobile": "mobile phone",
    "phone_home": "home phone",
    "email": "e-mail address",
    "address_line1": "address",
    "address_line2": "second address line",
    "city": "city",
    "region": "state or region",
    "postal_code": "postal code",
    "emergency_name": "emergency contact's name",
    "emergency_relationship": "emergency contact's relationship",
    "emergency_phone": "emergency contact's phone",
    "insurance_payer": "insurance payer",
    "insurance_member_id": "member id",
    "insurance_group": "group number",
    "admin_notes": "administrative notes",
}
_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def phone_problem(value: str) -> str | None:
    if not value:
        return None
    if not _PHONE_CHARS.match(value):
        return "A phone number may hold only digits, spaces, brackets, dashes and a leading +."
    count = len(digits(value))
    if not MIN_PHONE_DIGITS <= count <= MAX_PHONE_DIGITS:
        return f"A phone number has {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits."
    return None


def birth_problem(born: date, today: date) -> str | None:
    if born > today:
        return "The date of birth cannot be in the future."
    if today.year - born.year > OLDEST_AGE_YEARS:
        return f"The date of birth is more than {OLDEST_AGE_YEARS} years ago; please check it."
    return None


def parse_date_of_birth(text: str) -> date:
    """A typed date in the practice's conventions: 1984-03-07, 03/07/1984 (month
    first) or 7.3.1984 (day first). Raises InvalidInput with one sentence."""
    text = text.strip()
    for pattern, order in ((_ISO, "ymd"), (_US, "mdy"), (_DOTTED, "dmy")):
        match = pattern.match(text)
        if match:
            parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                raise InvalidInput(
                    "That date does not exist; please check the day and month."
                ) from None
    raise InvalidInput("Type the date as 1984-03-07, 03/07/1984 or 7.3.1984.")


def check_client(draft: ClientDraft, today: date) -> ClientDraft:
    """The draft with surrounding spaces trimmed, or InvalidFields."""
    trimmed: dict[str, Any] = {
        name: (getattr(draft, name).strip() if name != "admin_notes" else draft.admin_notes)
        for name in MAX_LENGTHS
    }
    problems: dict[str, str] = {}
    for name, value in trimmed.items():
        limit = MAX_LENGTHS[name]
        if len(value) > limit:
            problems[name] = (
                f"The {LABELS[name]} is too long: at most {limit:,} characters (nothing was saved)."
            )
        elif name != "admin_notes" and _CONTROL.search(value):
            problems[name] = f"The {LABELS[name]} holds characters that cannot be typed."
    for required in ("legal_first_name", "legal_last_name"):
        if not trimmed[required] and required not in problems:
            problems[required] = f"Please enter the {LABELS[required]}."
    born = birth_problem(draft.date_of_birth, today)
    if born:
        problems["date_of_birth"] = born
    for name in ("phone_mobile", "phone_home", "emergency_phone"):
        problem = None if name in problems else phone_problem(trimmed[name])
        if problem:
            problems[name] = problem
    if trimmed["email"] and "email" not in problems and not _EMAIL.match(trimmed["email"]):
        problems["email"] = "The e-mail address should look like name@example.org."
    if problems:
        raise InvalidFields(problems)
    return dataclasses.replace(draft, **trimmed)
