"""Kill -9 during save, export and autosave loses nothing (a few kills here; benchmarks/kill_loop.py
does 100)."""

import sys

import pytest
from killing import kill_loop


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_writer_leaves_every_file_whole(tmp_path):
    report = kill_loop(tmp_path, kills=4, seed=3)
    assert report.problems == []
