"""Sliding-window rules over one person's events, for the unusual-activity flags.

Pure functions over lists already read from the log (bounded by the look-back), so the
thresholds can be tested at their edges without a database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Burst:
    """A stretch of time in which some window held at least the threshold."""

    first_at: datetime
    last_at: datetime
    peak: int  # the most distinct keys seen inside one window


def bursts(
    events: Sequence[tuple[datetime, str]], window: timedelta, threshold: int
) -> list[Burst]:
    """Stretches where `threshold` or more distinct keys fall inside `window`.

    `events` are (time, key) in time order; the key is what counts as "one" (a client
    id for records opened; an event's own seq to count every event). A window is
    half-open: an event exactly `window` after another is outside it. Overlapping
    qualifying windows merge into one burst.
    """
    found: list[Burst] = []
    inside: Counter[str] = Counter()
    left = 0
    for at, key in events:
        inside[key] += 1
        while events[left][0] <= at - window:
            old = events[left][1]
            inside[old] -= 1
            if not inside[old]:
                del inside[old]
            left += 1
        if len(inside) >= threshold:
            start = events[left][0]
            if found and start <= found[-1].last_at:
                last = found[-1]
                found[-1] = Burst(last.first_at, at, max(last.peak, len(inside)))
            else:
                found.append(Burst(start, at, len(inside)))
    return found
