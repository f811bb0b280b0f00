"""Kill -9 at random moments during save, export and autosave, 100 times (tests/killing.py):
every file must stay whole and the next save must leave no temporary file.

    .venv/bin/python benchmarks/kill_loop.py [KILLS] [SEED]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from killing import kill_loop  # noqa: E402


def main() -> int:
    kills = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    with tempfile.TemporaryDirectory() as tmp:
        report = kill_loop(Path(tmp), kills, seed)
    print(f"{report.kills} kills, {report.mid_write} of them inside a write (a temporary file was left)")
    for p in report.problems[:10]:
        print("  " + p)
    print("PASS: every file whole, no temporary file after the next save" if not report.problems else "FAIL")
    return 0 if not report.problems else 1


if __name__ == "__main__":
    sys.exit(main())
