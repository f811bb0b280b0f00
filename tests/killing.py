"""Kill -9 at any moment: a child process saves a project, exports weights and autosaves the
recovery file in a loop through the app's own writers; it is SIGKILLed at a random moment, then
every file must be whole (the previous or the new version), and the next save leaves no
temporary file behind. `tests/test_kill.py` runs a few kills; `benchmarks/kill_loop.py` 100."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import sys, itertools
from pathlib import Path
from engine.project.files import save_project, save_weights
from engine.project import normalize_project
from engine.run.training import Trainer
from playground.run.recovery import RecoveryFile
folder = Path(sys.argv[1])
tr = Trainer(normalize_project({"format": "nn-playground/1", "seed": 0,
                                "network": {"layers": [{"units": 64}, {"units": 64}]}}))
recovery = RecoveryFile(folder / "recovery.json")
for i in itertools.count():
    project = {**tr.project, "seed": i % 2}
    tr.network.params[...] = i % 2
    save_project(folder / "project.json", project)
    save_weights(folder / "weights.npz", tr.network, tr.project)
    recovery.write(project, folder / "project.json", tr.network.get_weights())
    if i == 0:
        print("ready", flush=True)  # every file written once: from here on a kill may land anywhere
"""


@dataclass
class KillReport:
    kills: int
    mid_write: int  # kills that left a temporary file (they landed inside a write)
    problems: list[str]


def check(folder: Path) -> list[str]:
    """What is wrong with the files after a kill (nothing: an empty list)."""
    from engine.project import normalize_project
    from engine.project.files import load_project, load_weights
    from engine.run.training import Trainer
    from playground.run.recovery import RecoveryFile

    problems = []
    tr = Trainer(normalize_project({"format": "nn-playground/1", "seed": 0,
                                    "network": {"layers": [{"units": 64}, {"units": 64}]}}))  # fmt: skip
    try:
        if load_project(folder / "project.json")["seed"] not in (0, 1):
            problems.append("project.json holds neither version")
    except Exception as exc:  # any failure to read back is what this test looks for
        problems.append(f"project.json: {exc}")
    try:
        load_weights(folder / "weights.npz", tr.network)
        if len(set(tr.network.params.tolist())) != 1:
            problems.append("weights.npz mixes two versions")
    except Exception as exc:
        problems.append(f"weights.npz: {exc}")
    try:
        got = RecoveryFile(folder / "recovery.json").read()
        if got.weights is None:
            problems.append("the recovery file lost its weights")
    except Exception as exc:
        problems.append(f"recovery.json: {exc}")
    return problems


def kill_loop(folder: Path, kills: int, seed: int = 0) -> KillReport:
    from engine.project.files import TMP_PREFIX

    rng = random.Random(seed)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    problems: list[str] = []
    mid = 0
    for k in range(kills):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(folder)], stdout=subprocess.PIPE, env=env)
        assert child.stdout is not None and child.stdout.readline().strip() == b"ready"
        time.sleep(0.02 + rng.random() * 0.15)  # the kill lands at a random moment: this wait is the dice
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        if any(p.name.startswith(TMP_PREFIX) for p in folder.iterdir()):
            mid += 1
        problems += [f"kill {k + 1}: {p}" for p in check(folder)]
    # The next save of each file (the app's next save or autosave) cleans what a killed writer left.
    from engine.project.files import load_project, save_project, save_weights
    from engine.run.training import Trainer
    from playground.run.recovery import RecoveryFile

    project = load_project(folder / "project.json")
    save_project(folder / "project.json", project)
    tr = Trainer(project)
    save_weights(folder / "weights.npz", tr.network, project)
    RecoveryFile(folder / "recovery.json").write(project, None, tr.network.get_weights())
    left = [p.name for p in folder.iterdir() if p.name.startswith(TMP_PREFIX)]
    if left:
        problems.append(f"temporary files left after the next save: {left}")
    return KillReport(kills, mid, problems)
