"""PHQ-9 and GAD-7: the items as published, scoring, and the published severity bands.

Both instruments ask how often, over the last two weeks, the person was bothered by
each problem, answered 0 (not at all) to 3 (nearly every day); the total is the sum.
Bands (Kroenke, Spitzer and Williams 2001; Spitzer et al. 2006):

    PHQ-9  0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe
    GAD-7  0-4 minimal, 5-9 mild, 10-14 moderate, 15-21 severe

PHQ-9 item 9 (thoughts of being better off dead or of self-harm) above zero raises a
risk flag whatever the total: the chart shows it until a newer PHQ-9 says otherwise.
Both instruments were developed by Drs. Spitzer, Williams, Kroenke and colleagues with
an educational grant from Pfizer Inc.; no permission is required to reproduce them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ehrdesk.core.errors import InvalidInput

STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
OPTIONS = ("Not at all", "Several days", "More than half the days", "Nearly every day")


class Instrument(StrEnum):
    PHQ9 = "phq9"
    GAD7 = "gad7"

    @property
    def label(self) -> str:
        return "PHQ-9" if self is Instrument.PHQ9 else "GAD-7"

    @property
    def items(self) -> tuple[str, ...]:
        return PHQ9_ITEMS if self is Instrument.PHQ9 else GAD7_ITEMS

    @property
    def max_total(self) -> int:
        return 3 * len(self.items)


PHQ9_ITEMS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself "
    "or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — "
    "being so fidgety or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)

GAD7_ITEMS = (
    "Feeling nervous, anxious or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
)

#: (lowest total, band) in ascending order; a total's band is the last one it reaches.
BANDS: dict[Instrument, tuple[tuple[int, str], ...]] = {
    Instrument.PHQ9: (
        (0, "minimal"),
        (5, "mild"),
        (10, "moderate"),
        (15, "moderately severe"),
        (20, "severe"),
    ),
    Instrument.GAD7: ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe")),
}

#: PHQ-9's item 9, counted from zero.
PHQ9_SELF_HARM_ITEM = 8


@dataclass(frozen=True, slots=True)
class Score:
    instrument: Instrument
    answers: tuple[int, ...]
    total: int
    band: str
    risk_flag: bool


def band_for(instrument: Instrument, total: int) -> str:
    if not 0 <= total <= instrument.max_total:
        raise InvalidInput(f"A {instrument.label} total is 0 to {instrument.max_total}.")
    return [name for lowest, name in BANDS[instrument] if total >= lowest][-1]


def score(instrument: Instrument, answers: tuple[int, ...] | list[int]) -> Score:
    """Score a complete set of answers; every item must be answered 0 to 3."""
    answers = tuple(answers)
    if len(answers) != len(instrument.items):
        raise InvalidInput(f"Please answer all {len(instrument.items)} questions.")
    if any(not isinstance(a, int) or isinstance(a, bool) or not 0 <= a <= 3 for a in answers):
        raise InvalidInput("Each answer is one of the four choices.")
    total = sum(answers)
    risk = instrument is Instrument.PHQ9 and answers[PHQ9_SELF_HARM_ITEM] > 0
    return Score(instrument, answers, total, band_for(instrument, total), risk)
