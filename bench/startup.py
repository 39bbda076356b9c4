"""Start-up time: from launching `python -m ehrdesk` to its sign-in window shown.

Each run starts a fresh process on an existing practice and leaves as soon as the
first screen is painted (EHRDESK_BENCH_QUIT_WHEN_SHOWN=1). The baseline, measured in
the same run, is a bare PySide6 program that shows one empty window and quits the
same way, so the ratio is what ehrdesk adds to Python and Qt starting at all.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, EHRDESK_TEST_FAST_KDF="1", HOME=tmp)
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
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
        env["EHRDESK_BENCH_QUIT_WHEN_SHOWN"] = "1"
        app = [sys.executable, "-m", "ehrdesk", "--data-dir", str(data)]
        bare = [sys.executable, "-c", BARE_QT]
        timed(app, env)  # warm the file cache once, for both
        timed(bare, env)
        ehrdesk_times, bare_times = [], []
        for _ in range(runs):
            ehrdesk_times.append(timed(app, env))
            bare_times.append(timed(bare, env))
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
