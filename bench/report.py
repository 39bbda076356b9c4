"""The suite's output: a Markdown table, a JSON file and a PNG plot of the figures
against their targets, all under bench/results/ (git-ignored).

The plot is drawn with Qt (already a dependency) on an offscreen image rather than
with a plotting library: one row per figure that has a target, the measured statistic
the target is checked on as a bar on a logarithmic scale where the target sits at 1,
green when met, red when missed, grey where the target names another scale; the
baseline, where it is in the same unit, as a tick.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from bench.figures import Figure


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "events/s":
        return f"{value:,.0f}"
    if unit == "MB":
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    if value >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def verdict(f: Figure) -> str:
    return {True: "pass", False: "**MISS**", None: "—"}[f.passed]


def markdown(figures: list[Figure], header: dict[str, Any]) -> str:
    lines = [
        f"Measured {header['measured_at']} on {header['machine']} with `{header['command']}`; "
        f"{header['mode']}.",
        "",
        "| size | figure | median | p95 | n | baseline (same run) | baseline median | ratio "
        "| target | result |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in figures:
        targets = "; ".join(t.text(f.unit) for t in f.targets) or "—"
        ratio = "—" if f.ratio is None else f"{f.ratio:.2f}"
        lines.append(
            f"| {f.size} | {f.label} | {_number(f.median, f.unit)} {f.unit} "
            f"| {_number(f.p95, f.unit)} {f.unit} | {f.n} | {f.baseline_label or '—'} "
            f"| {_number(f.baseline_median, f.unit)} | {ratio} | {targets} | {verdict(f)} |"
        )
    return "\n".join(lines) + "\n"


def write_json(figures: list[Figure], header: dict[str, Any], path: Path) -> None:
    path.write_text(
        json.dumps({**header, "figures": [f.to_json() for f in figures]}, indent=1) + "\n"
    )


def _checked(f: Figure) -> list[tuple[str, float, float, bool | None, float | None]]:
    """(label, measured, target value, met, baseline) for each target of the figure,
    the measured value being the statistic the target checks."""
    rows = []
    for target, met in f.verdicts:
        if target.op == "between":
            assert target.upper is not None
            rows.append((f"{f.label} [{f.size}]", f.p95, target.upper, met, f.baseline_p95))
            continue
        value = {"p95": f.p95, "median": f.median, "ratio": f.ratio}[target.stat]
        if value is None:
            continue
        baseline = None if target.stat == "ratio" else f.baseline_median
        suffix = " (ratio)" if target.stat == "ratio" else ""
        rows.append((f"{f.label}{suffix} [{f.size}]", value, target.value, met, baseline))
    return rows


def plot(figures: list[Figure], title: str, path: Path) -> None:
    """Every figure with a target, as a bar of measured / target on a log scale."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: PLC0415 - only when plotting
    from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPen  # noqa: PLC0415

    _app = QGuiApplication.instance() or QGuiApplication([])
    rows = [
        (label, value, target, met, base, f.unit, f.key in ("audit_verify",))
        for f in figures
        for label, value, target, met, base in _checked(f)
    ]
    row_h, left, right, top = 30, 560, 60, 70
    width, span = 1500, (0.01, 100.0)
    height = top + row_h * max(1, len(rows)) + 60
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont("DejaVu Sans", 9)
    p.setFont(font)
    plot_w = width - left - right

    def x_of(ratio: float) -> float:
        ratio = min(max(ratio, span[0]), span[1])
        return left + plot_w * (math.log10(ratio) - math.log10(span[0])) / (
            math.log10(span[1]) - math.log10(span[0])
        )

    title_font = QFont("DejaVu Sans", 12)
    title_font.setBold(True)
    p.setFont(title_font)
    p.drawText(QRectF(10, 8, width - 20, 24), Qt.AlignmentFlag.AlignLeft, title)
    p.setFont(font)
    p.drawText(
        QRectF(10, 32, width - 20, 20),
        Qt.AlignmentFlag.AlignLeft,
        "measured ÷ target (log scale; for a throughput, target ÷ measured): left of the line "
        "is within target. Green met, red missed, grey: the target names another size. "
        "Tick: baseline.",
    )
    for decade in (0.01, 0.1, 1, 10, 100):
        x = x_of(decade)
        p.setPen(QPen(QColor("#888" if decade == 1 else "#ddd"), 2 if decade == 1 else 1))
        p.drawLine(QPointF(x, top - 8), QPointF(x, height - 45))
        p.setPen(QColor("#444"))
        p.drawText(
            QRectF(x - 30, height - 42, 60, 16), Qt.AlignmentFlag.AlignCenter, f"{decade:g}×"
        )
    for i, (label, value, target, met, base, unit, inverse) in enumerate(rows):
        y = top + i * row_h
        share = (target / value if value else span[1]) if inverse else value / target
        colour = {True: "#2e7d32", False: "#c62828", None: "#9e9e9e"}[met]
        p.setPen(QColor("#222"))
        p.drawText(
            QRectF(10, y, left - 20, row_h),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            label if len(label) < 80 else label[:77] + "…",
        )
        p.fillRect(
            QRectF(x_of(span[0]), y + 7, x_of(share) - x_of(span[0]), row_h - 14), QColor(colour)
        )
        shown = f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
        p.drawText(
            QRectF(x_of(share) + 6, y, 260, row_h),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            f"{shown} {'' if '(ratio)' in label else unit} (target {target:g})",
        )
        if base:
            bx = x_of((target / base) if inverse else base / target)
            p.setPen(QPen(QColor("#000"), 2))
            p.drawLine(QPointF(bx, y + 3), QPointF(bx, y + row_h - 3))
    p.end()
    image.save(str(path))
