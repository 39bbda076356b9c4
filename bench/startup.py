"""Start-up time: from launching `python -m ehrdesk` to its sign-in window shown.

Each run starts a fresh process on an existing practice and leaves as soon as the
first screen is painted (EHRDESK_BENCH_QUIT_WHEN_SHOWN=1). The baseline, measured in
the same run, is a bare PySide6 program that shows one empty window and quits the
same way, so the ratio is what ehrdesk adds to Python and Qt starting at all. The
suite (`python -m bench`) measures it on its practices with `startup_samples`; on its
own this script makes an empty practice.
Run: `.venv/bin/python -m bench.startup [--runs N]` (offscreen unless DISPLAY is set).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BARE_QT = (
    "from PySide6.QtCore import QTimer\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication([])\n"
    "w = QMainWindow(); w.show()\n"
    "QTimer.singleShot(0, app.quit)\n"
    "app.exec()\n"
)


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def environment(home: Path) -> dict[str, str]:
    """A throwaway home, no keyring, offscreen unless there is a display; and Python's
    bytecode cached (in the throwaway home, written by the warm-up run), as an
    installed app starts: PYTHONDONTWRITEBYTECODE would make every run compile every
    module again, a second of start-up no user sees."""
    env = dict(os.environ, HOME=str(home))
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    return env


def startup_samples(data_dir: Path, runs: int, home: Path) -> tuple[list[float], list[float]]:
    """Seconds to the sign-in window of the practice in `data_dir` (a fresh process
    each run), and of a bare PySide6 window; one run of each first warms the caches."""
    env = environment(home)
    env["EHRDESK_BENCH_QUIT_WHEN_SHOWN"] = "1"
    app = [sys.executable, "-m", "ehrdesk", "--data-dir", str(data_dir)]
    bare = [sys.executable, "-c", BARE_QT]
    timed(app, env)  # warm the file cache once, for both
    timed(bare, env)
    ehrdesk_times, bare_times = [], []
    for _ in range(runs):
        ehrdesk_times.append(timed(app, env))
        bare_times.append(timed(bare, env))
    return ehrdesk_times, bare_times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(environment(Path(tmp)), EHRDESK_TEST_FAST_KDF="1")
        data = Path(tmp) / "practice"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "ehrdesk",
                "--data-dir",
                str(data),
                "init",
                "--practice",
                "Bench",
                "--owner",
                "owner",
                "--full-name",
                "Bench Owner",
                "--emergency-kit",
                str(Path(tmp) / "kit.pdf"),
            ],
            input="lantern orchard quietly 1987 tides\n",
            text=True,
            env=env,
            check=True,
            capture_output=True,
        )
        ehrdesk_times, bare_times = startup_samples(data, runs, Path(tmp))
    result = {
        "runs": runs,
        "startup_median_s": round(statistics.median(ehrdesk_times), 3),
        "startup_max_s": round(max(ehrdesk_times), 3),
        "bare_qt_median_s": round(statistics.median(bare_times), 3),
        "ratio": round(statistics.median(ehrdesk_times) / statistics.median(bare_times), 2),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
