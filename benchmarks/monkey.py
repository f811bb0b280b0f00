"""The GUI monkey's long form: 10,000 random actions on the real window while it trains, under
the watchdog of tests/monkey.py. Prints what it did and the watchdog's figures.

    .venv/bin/python benchmarks/monkey.py [ACTIONS] [SEED]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from monkey import run_monkey  # noqa: E402
from PySide6.QtCore import QEventLoop, QSettings, QTimer  # noqa: E402

from playground.app import make_app  # noqa: E402
from playground.main_window import MainWindow  # noqa: E402
from playground.run.worker_thread import _WorkerThread  # noqa: E402
from playground.widgets import plain  # noqa: E402


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    make_app()
    plain.ask = lambda *a, **k: plain.QMessageBox.StandardButton.Discard  # closing discards, no dialog
    with tempfile.TemporaryDirectory() as tmp:
        win = MainWindow(settings=QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat))
        win.show()
        while win.session.snapshot is None:
            wait(20)
        report = run_monkey(win, n, seed, Path(tmp), wait)
        win.session.state.set_dirty(False)
        win.shutdown()
        left = [t for t in list(_WorkerThread.started_threads) if t.isRunning()]
    print(f"{report.actions:,} actions in {report.seconds:.0f} s (seed {seed})")
    print("  " + ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items(), key=lambda kv: -kv[1])))
    print(f"uncaught exceptions: {len(report.exceptions)}  worker failures: {len(report.failures)}")
    print(f"longest event-loop stall: {report.longest_stall:.2f} s "
          f"(the slowest action: {report.slowest[0]}, {report.slowest[1]:.2f} s)")
    if report.stall_stack:
        print("the UI thread during the longest stall past a second:\n" + report.stall_stack)
    print(f"memory growth after the warm-up (first fifth; freed heap returned first): {report.rss_growth_mb:.0f} MB "
          f"(from the start, caches filling included: {report.rss_total_mb:.0f} MB)")
    print(f"threads left after closing: {len(left)}")
    ok = not report.exceptions and not report.failures and report.longest_stall < 2 and report.rss_growth_mb < 50
    ok = ok and not left
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
