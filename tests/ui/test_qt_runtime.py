"""Guards against a Qt binding that corrupts the interpreter.

PySide6 6.12.0 on Python 3.11 dropped a reference to `True` on every signal emitted
from Python, and the interpreter aborted after a few hundred emits ("bool_dealloc").
pyproject excludes that version; this fails if such a build is installed again.
"""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys
from PySide6.QtCore import QObject, Signal
class Sender(QObject):
    plain = Signal()
    value = Signal(object)
s = Sender()
before = sys.getrefcount(True)
for _ in range(5000):
    s.plain.emit()
    s.value.emit(1)
print(before - sys.getrefcount(True))
"""


def test_emitting_signals_does_not_leak_references() -> None:
    # In a child process: a leaking build aborts the interpreter, not the test run.
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr[-500:]
    assert int(result.stdout.strip()) < 10
