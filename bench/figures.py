"""A figure of the suite: what was measured, its median and 95th percentile, the
baseline measured beside it in the same run, and the issue's target, if it sets one.

The targets are issue 8's, each checked on the statistic it names: latencies on the
95th percentile (the search target says so; "under 150 ms" for a chart is read the
same way, the stricter reading), throughput on the median, ratios as median over
baseline median. A target that names a scale (search "at 100,000 clients", full-text
search "over 100,000 notes", backup "of the large practice", memory "with the huge
practice open") is checked at that scale only; elsewhere the figure is shown beside
its target for information.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


def percentile_95(values: list[float]) -> float:
    """The nearest-rank 95th percentile (with 20 runs or fewer: the largest but one,
    or the largest)."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Stats:
    n: int
    median: float
    p95: float
    low: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> Stats:
        if not values:
            raise ValueError("no samples")
        return cls(
            len(values), statistics.median(values), percentile_95(values), min(values), max(values)
        )


def timed_ms(work: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds of `runs` calls of `work`, one by one."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        out.append((time.perf_counter() - start) * 1000)
    return out


@dataclass(frozen=True)
class Target:
    """`stat` ("p95", "median" or "ratio") compared with `value`: at most ("<="),
    under ("<"), at least (">="), or between `value` and `upper` ("between", checked
    on the median and the 95th percentile both)."""

    stat: str
    op: str
    value: float
    upper: float | None = None
    #: The sizes it is checked at (None: every size).
    sizes: tuple[str, ...] | None = None

    def text(self, unit: str) -> str:
        if self.op == "between":
            return f"{self.value:g}–{self.upper:g} {unit}"
        shown = "ratio" if self.stat == "ratio" else self.stat
        where = f" ({'/'.join(self.sizes)})" if self.sizes else ""
        unit_text = "" if self.stat == "ratio" else f" {unit}"
        return f"{shown} {self.op} {self.value:g}{unit_text}{where}"

    def check(self, figure: Figure) -> bool | None:
        if self.sizes is not None and figure.size not in self.sizes:
            return None
        if self.op == "between":
            assert self.upper is not None
            return self.value <= figure.median and figure.p95 <= self.upper
        measured = {"p95": figure.p95, "median": figure.median, "ratio": figure.ratio}[self.stat]
        if measured is None:
            return None
        return {
            "<": measured < self.value,
            "<=": measured <= self.value,
            ">=": measured >= self.value,
        }[self.op]


@dataclass
class Figure:
    key: str
    size: str
    label: str
    unit: str
    median: float
    p95: float
    n: int
    baseline_label: str = ""
    baseline_median: float | None = None
    baseline_p95: float | None = None
    ratio: float | None = None
    targets: list[Target] = field(default_factory=list)
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def verdicts(self) -> list[tuple[Target, bool | None]]:
        return [(t, t.check(self)) for t in self.targets]

    @property
    def passed(self) -> bool | None:
        """True or False when a target applies here; None when none does."""
        checked = [ok for _, ok in self.verdicts if ok is not None]
        return None if not checked else all(checked)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["targets"] = [
            {"text": t.text(self.unit), "applies": ok is not None, "met": ok}
            for t, ok in self.verdicts
        ]
        out["passed"] = self.passed
        return out


def figure(
    key: str,
    size: str,
    label: str,
    unit: str,
    samples: list[float],
    *,
    baseline: list[float] | None = None,
    baseline_label: str = "",
    targets: list[Target] | None = None,
    note: str = "",
    higher_is_better: bool = False,
    **extra: Any,
) -> Figure:
    """A figure from its samples and its baseline's; the ratio is median over baseline
    median (for a throughput, baseline over median: how many times slower)."""
    s = Stats.of(samples)
    b = Stats.of(baseline) if baseline else None
    ratio = None
    if b is not None and b.median > 0 and s.median > 0:
        ratio = b.median / s.median if higher_is_better else s.median / b.median
    p95 = s.p95
    if higher_is_better:  # the slow end of a throughput is its low percentile
        ordered = sorted(samples)
        p95 = ordered[max(0, len(ordered) - round(0.95 * len(ordered)))]
    return Figure(
        key=key,
        size=size,
        label=label,
        unit=unit,
        median=s.median,
        p95=p95,
        n=s.n,
        baseline_label=baseline_label,
        baseline_median=None if b is None else b.median,
        baseline_p95=None if b is None else b.p95,
        ratio=ratio,
        targets=targets or [],
        note=note,
        extra=extra,
    )


#: Issue 8's targets, by figure key.
TARGETS: dict[str, list[Target]] = {
    "unlock": [Target("median", "between", 0.25, 1.0)],
    "search": [
        Target("p95", "<", 20, sizes=("huge",)),
        Target("ratio", "<", 1.5, sizes=("huge",)),
    ],
    "chart_open": [Target("p95", "<", 150)],
    "gui_chart": [Target("p95", "<", 150)],
    "week_clinician": [Target("p95", "<", 50)],
    "audit_first_page": [Target("p95", "<", 50)],
    "audit_filtered_page": [Target("p95", "<", 50)],
    "fts": [Target("p95", "<", 50, sizes=("large", "huge"))],
    "audit_verify": [Target("median", ">=", 200_000)],
    "backup": [Target("ratio", "<=", 3, sizes=("large",))],
    "restore": [Target("ratio", "<=", 4, sizes=("large",))],
    "startup": [Target("p95", "<", 1.5)],
    "memory": [Target("median", "<", 400, sizes=("huge",))],
}


def parse_target(text: str) -> tuple[str, Target]:
    """`KEY:STAT<VALUE` (or `<=`, `>=`), e.g. `search:p95<15`: a target to check a
    figure against instead of the issue's (to try a stricter one, or to check that a
    miss is reported)."""
    key, _, rule = text.partition(":")
    stat = next((s for s in ("p95", "median", "ratio") if rule.startswith(s)), None)
    if not key or stat is None:
        raise ValueError(f"not KEY:STAT<VALUE: {text!r}")
    rest = rule[len(stat) :]
    op = next((o for o in ("<=", ">=", "<") if rest.startswith(o)), None)
    if op is None:
        raise ValueError(f"not KEY:STAT<VALUE: {text!r}")
    return key, Target(stat, op, float(rest[len(op) :]))
