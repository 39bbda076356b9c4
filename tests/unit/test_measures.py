"""PHQ-9 and GAD-7 scoring: the published bands at every boundary, the item-9 flag."""

from __future__ import annotations

import pytest

from ehrdesk.core.errors import InvalidInput
from ehrdesk.core.measures import Instrument, band_for, score

PHQ9_BANDS = [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
    (14, "moderate"), (15, "moderately severe"), (19, "moderately severe"),
    (20, "severe"), (27, "severe"),
]  # fmt: skip
GAD7_BANDS = [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
    (14, "moderate"), (15, "severe"), (21, "severe"),
]  # fmt: skip


def answers_totalling(instrument: Instrument, total: int, *, last: int = 0) -> list[int]:
    """Answers adding up to `total`, with the last item fixed to `last`."""
    items = [0] * len(instrument.items)
    items[-1] = last
    left = total - last
    for i in range(len(items) - 1):
        items[i] = min(3, left)
        left -= items[i]
    assert left == 0
    return items


@pytest.mark.parametrize(("total", "band"), PHQ9_BANDS)
def test_phq9_bands(total: int, band: str) -> None:
    assert band_for(Instrument.PHQ9, total) == band
    last = 0 if total <= 24 else 3
    result = score(Instrument.PHQ9, answers_totalling(Instrument.PHQ9, total, last=last))
    assert (result.total, result.band) == (total, band)
    assert result.risk_flag is (last > 0)


@pytest.mark.parametrize(("total", "band"), GAD7_BANDS)
def test_gad7_bands(total: int, band: str) -> None:
    assert band_for(Instrument.GAD7, total) == band
    result = score(Instrument.GAD7, answers_totalling(Instrument.GAD7, total, last=total // 7))
    assert (result.total, result.band) == (total, band)
    assert not result.risk_flag


def test_every_total_has_exactly_the_published_band() -> None:
    edges = {Instrument.PHQ9: [5, 10, 15, 20], Instrument.GAD7: [5, 10, 15]}
    for instrument, starts in edges.items():
        bands = [band_for(instrument, t) for t in range(instrument.max_total + 1)]
        changes = [t for t in range(1, len(bands)) if bands[t] != bands[t - 1]]
        assert changes == starts
    assert Instrument.PHQ9.max_total == 27 and Instrument.GAD7.max_total == 21


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phq9_item9_above_zero_flags_whatever_the_total(item9: int) -> None:
    result = score(Instrument.PHQ9, [0] * 8 + [item9])
    assert result.risk_flag
    assert result.band == "minimal"


def test_phq9_item9_zero_does_not_flag_even_when_severe() -> None:
    result = score(Instrument.PHQ9, [3] * 8 + [0])
    assert result.total == 24 and result.band == "severe" and not result.risk_flag


@pytest.mark.parametrize(
    ("instrument", "answers", "message"),
    [
        (Instrument.PHQ9, [0] * 8, "answer all 9"),
        (Instrument.GAD7, [0] * 8, "answer all 7"),
        (Instrument.GAD7, [0] * 6 + [4], "one of the four"),
        (Instrument.GAD7, [0] * 6 + [-1], "one of the four"),
        (Instrument.GAD7, [0] * 6 + [True], "one of the four"),
    ],
)
def test_incomplete_or_impossible_answers_are_refused(
    instrument: Instrument, answers: list[int], message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        score(instrument, answers)


def test_out_of_range_totals_are_refused() -> None:
    with pytest.raises(InvalidInput):
        band_for(Instrument.PHQ9, 28)
    with pytest.raises(InvalidInput):
        band_for(Instrument.GAD7, -1)
