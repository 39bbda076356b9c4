"""The figures that take whole operations or whole processes: unlock, start-up,
backup / verify / restore, and the app offscreen (keystroke to list, click to chart,
resident memory).

Backup, verify and restore go through the real jobs with bench/backup.py's own helpers
(its job context, its copy-and-fsync baseline, its restore), so whatever that script
and the backup code measure on a branch, the suite reports. The target folder is a
scratch folder on the same disk as the practice, as the baseline's copy is.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import backup as backup_script
from bench.figures import TARGETS, Figure, figure
from bench.practices import Practice, cache_root
from bench.startup import startup_samples
from bench.unlock import unlock_samples
from ehrdesk.services import demo
from ehrdesk.services.backup_jobs import BackupJob, VerifyJob
from ehrdesk.storage.database import Database
from ehrdesk.storage.vault_file import DATABASE_FILE


def unlock(practice: Practice, runs: int) -> Figure:
    seconds, with_key, argon2 = unlock_samples(practice.services, "demo", demo.PASSWORD, runs)
    return figure(
        "unlock",
        practice.size.name,
        "unlock: Argon2id (shipped) + open + first query",
        "s",
        seconds,
        baseline=argon2,
        baseline_label="Argon2id alone, same parameters (the floor)",
        targets=TARGETS["unlock"],
        open_with_key_median_s=round(statistics.median(with_key), 4),
    )


def startup(practice: Practice, runs: int) -> Figure:
    with tempfile.TemporaryDirectory(prefix="ehrdesk-bench-home-") as home:
        seconds, bare = startup_samples(practice.folder, runs, Path(home))
    return figure(
        "startup",
        practice.size.name,
        "start-up to the sign-in window",
        "s",
        seconds,
        baseline=bare,
        baseline_label="a bare PySide6 window",
        targets=TARGETS["startup"],
    )


def backups(practice: Practice, runs: int) -> list[Figure]:
    """Backup, verify and restore (database key: a demo keeps no recovery key), each
    beside copying and fsyncing `practice.ehrdb` to the same folder."""
    ctx = backup_script.context_for(practice.folder, None)
    Database.open(practice.folder / DATABASE_FILE, ctx.db_key, memory_security=True).close()
    database = practice.folder / DATABASE_FILE
    copies, made, verified, restored = [], [], [], []
    size = 0
    scratch = Path(tempfile.mkdtemp(prefix="backup-", dir=cache_root()))
    try:
        for run in range(runs):
            target = scratch / f"run-{run}"
            target.mkdir()
            start = time.perf_counter()
            backup_script.copy_and_fsync(database, target)
            copies.append(time.perf_counter() - start)
            (target / DATABASE_FILE).unlink()
            start = time.perf_counter()
            path = BackupJob(target, ctx).run().path
            made.append(time.perf_counter() - start)
            size = path.stat().st_size
            start = time.perf_counter()
            VerifyJob(path, ctx).run()
            verified.append(time.perf_counter() - start)
            new = scratch / f"restored-{run}"
            start = time.perf_counter()
            backup_script.restore(path, new, ctx, None)
            restored.append(time.perf_counter() - start)
            shutil.rmtree(new)
            shutil.rmtree(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    mb = database.stat().st_size / 2**20
    base = f"copy + fsync of practice.ehrdb ({mb:,.0f} MB)"
    name = practice.size.name
    return [
        figure(
            "backup",
            name,
            "backup: snapshot, encrypt, write, read back, verify",
            "s",
            made,
            baseline=copies,
            baseline_label=base,
            targets=TARGETS["backup"],
            backup_mb=round(size / 2**20),
        ),
        figure(
            "verify",
            name,
            "verify a backup in full",
            "s",
            verified,
            baseline=copies,
            baseline_label=base,
        ),
        figure(
            "restore",
            name,
            "restore with full verification (database key)",
            "s",
            restored,
            baseline=copies,
            baseline_label=base,
            targets=TARGETS["restore"],
        ),
    ]


def _probe(args: list[str]) -> dict[str, Any]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("DISPLAY", None)
    done = subprocess.run(
        [sys.executable, "-m", "bench.gui_probe", *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return dict(json.loads(done.stdout))


def gui(practice: Practice, searches: list[str], chart_runs: int) -> list[Figure]:
    """The app offscreen, signed in as the owner (bench/gui_probe.py)."""
    services = practice.sign_in("clinician")
    conn = services.session.database.conn
    long_client, last, first = conn.execute(
        "SELECT n.client_id, c.legal_last_name, c.legal_first_name FROM progress_note n "
        "JOIN client c ON c.id = n.client_id GROUP BY n.client_id ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()
    services.session.sign_out()
    spec = {
        "now": (practice.clock.now()).isoformat(),
        "user": "demo",
        "searches": searches,
        "long_client": long_client,
        "long_client_name": f"{last} {first}",
        "chart_runs": chart_runs,
    }
    practice.clock.advance(60)  # the probe signs in: a fresh second-factor step
    spec_file = practice.folder.with_name(f"gui-{practice.size.name}.json")
    spec_file.write_text(json.dumps(spec))
    try:
        out = _probe([str(practice.folder), str(spec_file)])
    finally:
        spec_file.unlink()
    bare = _probe(["--bare"])
    name = practice.size.name
    mode = f"cipher_memory_security={'ON' if out['memory_security'] == '1' else 'OFF'}"
    return [
        figure(
            "gui_search",
            name,
            f"GUI: keystroke in client search to list repainted "
            f"(includes the {out['debounce_ms']} ms typing pause)",
            "ms",
            out["keystroke_ms"],
            baseline=out["search_service_ms"],
            baseline_label="the search service alone",
            note=mode,
        ),
        figure(
            "gui_chart",
            name,
            "GUI: click on Chart to the 1,000-note chart shown",
            "ms",
            out["chart_shown_ms"],
            baseline=out["chart_service_ms"],
            baseline_label="opening it through the service alone",
            targets=TARGETS["gui_chart"],
            note=mode,
        ),
        figure(
            "gui_week",
            name,
            "GUI: Schedule to the whole practice's week painted",
            "ms",
            [out["week_shown_ms"]],
            note="one run: the first opening",
        ),
        figure(
            "memory",
            name,
            "resident memory, signed in: Today, client list, week, chart",
            "MB",
            [out["memory_mb"]["VmRSS"]],
            baseline=[bare["VmRSS"]],
            baseline_label="a bare PySide6 window",
            targets=TARGETS["memory"],
            note=f"peak {out['memory_mb']['VmHWM']} MB; {mode}",
        ),
    ]
