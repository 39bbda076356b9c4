"""The benchmark suite: every figure of issue 8 on synthetic practices of three sizes,
each beside a baseline measured in the same run, against the issue's targets.

    .venv/bin/python -m bench                       # everything: small, large, huge
    .venv/bin/python -m bench --sizes small --quick # a developer's loop
    .venv/bin/python -m bench --sizes huge --only search,gui

Practices are generated once and cached (bench/practices.py); each run measures a
fresh working copy of them. Figures are medians and 95th percentiles over many runs
for the quick ones and over a few for the slow ones (a whole backup of the huge
practice: one), with SQLCipher's memory security on, as for a real practice. Results
go to bench/results/ as Markdown, JSON and a PNG plot; the exit status is 1 when a
figure misses its target (each is printed), 0 when none does.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import process_figures, service_figures
from bench.figures import Figure, Target, parse_target
from bench.practices import SIZES, Practice, cache_root, discard, ensure, working_copy
from bench.report import markdown, plot, verdict, write_json
from ehrdesk.security import kdf

GROUPS = (
    "search",
    "week",
    "today",
    "chart",
    "fts",
    "audit",
    "audit_verify",
    "unlock",
    "backup",
    "startup",
    "gui",
)
IN_PROCESS = {"search", "week", "today", "chart", "fts", "audit", "audit_verify"}
#: Repetitions: (full, --quick). Slow ones are per size.
RUNS = {
    "search": (300, 100),
    "week": (50, 15),
    "today": (50, 15),
    "chart": (30, 10),
    "fts": (10, 3),  # rounds of the ten queries
    "audit": (50, 15),
    "unlock": (10, 5),
    "startup": (10, 5),
    "gui_searches": (40, 15),
    "gui_chart": (10, 5),
}
SLOW_RUNS = {
    "audit_verify": {"small": (5, 2), "large": (3, 1), "huge": (1, 1)},
    "backup": {"tiny": (1, 1), "large": (3, 1), "huge": (1, 1)},
}
RESULTS = Path(__file__).resolve().parent / "results"


def _runs(quick: bool, size: str) -> dict[str, int]:
    runs = {name: pair[1 if quick else 0] for name, pair in RUNS.items()}
    for name, by_size in SLOW_RUNS.items():
        pair = by_size.get(size)
        runs[name] = 0 if pair is None else pair[1 if quick else 0]
    return runs


def _machine() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores {model}".strip()


def measure_size(name: str, only: set[str], quick: bool, largest: bool) -> list[Figure]:
    size = SIZES[name]
    meta = ensure(size)
    print(
        f"== {size.label}: {meta['report']['notes']:,} notes, "
        f"{meta['report']['audit_events']:,} audit events, {meta['file_mb']:,} MB "
        f"(generated in {meta['generation_s']:.0f} s)",
        flush=True,
    )
    runs = _runs(quick, name)
    folder = working_copy(size)
    figures: list[Figure] = []
    try:
        practice = Practice(folder, size)
        if "unlock" in only:
            figures.append(process_figures.unlock(practice, runs["unlock"]))
        wanted = only & IN_PROCESS
        if "audit_verify" in wanted and not runs["audit_verify"]:
            wanted.discard("audit_verify")
        if wanted:
            figures += service_figures.measure(practice, wanted, runs)
        if "gui" in only:
            services = practice.sign_in("desk")
            typed = service_figures.typed_searches(
                services.session.database.conn, runs["gui_searches"], seed=11
            )
            services.session.sign_out()
            figures += process_figures.gui(practice, typed, runs["gui_chart"])
        if "startup" in only and largest:
            figures.append(process_figures.startup(practice, runs["startup"]))
        if "backup" in only and runs["backup"]:
            figures += process_figures.backups(practice, runs["backup"])
    finally:
        discard(folder)
    for f in figures:
        print(
            f"   {f.label}: median {f.median:.4g} {f.unit}, p95 {f.p95:.4g} — {verdict(f)}",
            flush=True,
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="small,large,huge",
        help="comma-separated: small,large,huge (or tiny: the suite's own test)",
    )
    parser.add_argument(
        "--only", default=",".join(GROUPS), help="comma-separated: " + ",".join(GROUPS)
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, for iterating")
    parser.add_argument("--generate-only", action="store_true", help="build the caches and stop")
    parser.add_argument(
        "--target",
        action="append",
        default=[],
        metavar="KEY:STAT<VALUE",
        help="check figure KEY against this target instead of issue 8's, e.g. search:p95<15",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the results go")
    args = parser.parse_args(argv)
    try:
        overrides: dict[str, list[Target]] = {}
        for text in args.target:
            key, target = parse_target(text)
            overrides.setdefault(key, []).append(target)
    except ValueError as error:
        parser.error(str(error))
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    only = {g.strip() for g in args.only.split(",") if g.strip()}
    unknown = [s for s in sizes if s not in SIZES] + sorted(only - set(GROUPS))
    if unknown:
        parser.error(f"unknown: {', '.join(unknown)}")
    os.environ.pop(kdf.TEST_SETTING, None)  # the shipped Argon2id, always
    cache_root().mkdir(parents=True, exist_ok=True)
    if args.generate_only:
        for name in sizes:
            meta = ensure(SIZES[name])
            print(f"{name}: generated in {meta['generation_s']} s, {meta['file_mb']} MB")
        return 0
    started = datetime.now(UTC)
    command = "python -m bench " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    figures: list[Figure] = []
    metas: dict[str, Any] = {}
    order = [s for s in SIZES if s in sizes]
    for name in order:
        figures += measure_size(name, set(only), args.quick, name == order[-1])
        metas[name] = ensure(SIZES[name])
    for f in figures:
        f.targets = overrides.get(f.key, f.targets)
    header = {
        "measured_at": started.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": _machine(),
        "command": command.strip(),
        "mode": "SQLCipher memory security ON in every measuring process (as for a real "
        "practice); the practices were generated with it off (demo vaults)",
        "practices": metas,
        "took_s": round(time.time() - started.timestamp()),
    }
    args.results.mkdir(parents=True, exist_ok=True)
    stem = args.results / f"suite-{started.strftime('%Y%m%dT%H%M%SZ')}"
    table = markdown(figures, header)
    stem.with_suffix(".md").write_text(table)
    write_json(figures, header, stem.with_suffix(".json"))
    plot(figures, f"ehrdesk benchmark suite, {header['measured_at']}", stem.with_suffix(".png"))
    print("\n" + table)
    print(f"Results: {stem}.md, .json, .png")
    missed = [f for f in figures if f.passed is False]
    for f in missed:
        texts = "; ".join(t.text(f.unit) for t, ok in f.verdicts if ok is False)
        print(
            f"MISSED [{f.size}] {f.label}: median {f.median:.4g}, p95 {f.p95:.4g} {f.unit}"
            + (f", ratio {f.ratio:.2f}" if f.ratio is not None else "")
            + f" — target {texts}"
        )
    return 1 if missed else 0
