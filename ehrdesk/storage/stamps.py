"""The front desk's stored time format: UTC text 'YYYY-MM-DDTHH:MM:SSZ'.

Fixed width, so text order is time order and a range of times is an index range
(migration 0003). Dates are 'YYYY-MM-DD'.
"""

from __future__ import annotations

from datetime import UTC, datetime


def stamp(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("stored times are aware")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(text: str) -> datetime:
    # fromisoformat reads the trailing Z (Python 3.11) about fifty times faster than
    # strptime, which was most of a busy week view's time.
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        raise ValueError("stored times are UTC with a Z")
    return parsed.astimezone(UTC)
