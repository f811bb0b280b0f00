"""The one atomic writer every save and export uses: old file kept on failure, links and modes kept."""

import errno
import os
import stat
import subprocess
import sys

import pytest

from engine import PlaygroundError
from engine.project.files import TMP_PREFIX, atomic_write, atomic_write_text


def _mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def test_a_new_file_gets_the_umask_mode_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "new.json", "{}")
        assert _mode(tmp_path / "new.json") == 0o644
        os.umask(0o027)
        atomic_write_text(tmp_path / "group.json", "{}")
        assert _mode(tmp_path / "group.json") == 0o640
    finally:
        os.umask(old)


def test_an_existing_file_keeps_its_mode(tmp_path):
    target = tmp_path / "shared.json"
    target.write_text("old")
    os.chmod(target, 0o664)
    atomic_write_text(target, "new")
    assert target.read_text() == "new" and _mode(target) == 0o664


def test_a_symlink_stays_a_link_and_its_target_is_written(tmp_path):
    real = tmp_path / "real" / "project.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert not any(p.name.startswith(TMP_PREFIX) for p in real.parent.iterdir())


def test_hard_links_all_see_the_new_content(tmp_path):
    a = tmp_path / "a.json"
    a.write_text("old")
    os.link(a, tmp_path / "b.json")
    atomic_write_text(a, "new content, longer than before")
    assert (tmp_path / "b.json").read_text() == "new content, longer than before"
    assert os.stat(a).st_ino == os.stat(tmp_path / "b.json").st_ino
    assert sorted(os.listdir(tmp_path)) == ["a.json", "b.json"]


@pytest.mark.parametrize("kind", ["fifo", "folder"])
def test_pipes_and_folders_are_refused_and_left_alone(tmp_path, kind):
    target = tmp_path / "out.json"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    with pytest.raises(PlaygroundError, match="out.json: is .*choose another name"):
        atomic_write_text(target, "x")
    assert stat.S_ISFIFO(os.stat(target).st_mode) if kind == "fifo" else target.is_dir()


def test_a_full_disk_names_the_users_file_and_keeps_the_old_one(tmp_path):
    target = tmp_path / "keep.json"
    target.write_text("old contents")

    def full(f):
        f.write(b"half")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(PlaygroundError) as info:
        atomic_write(target, full)
    assert str(info.value).startswith(f"{target}: could not be written (No space left on device)")
    assert TMP_PREFIX not in str(info.value)
    assert target.read_text() == "old contents" and os.listdir(tmp_path) == ["keep.json"]


def test_a_refused_rename_names_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "ro.json"

    def refuse(src, dst):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), src)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(PlaygroundError, match=r"ro.json: could not be written \(Permission denied\)") as info:
        atomic_write_text(target, "x")
    assert TMP_PREFIX not in str(info.value) and os.listdir(tmp_path) == []


def test_temporary_files_of_a_killed_writer_are_cleaned_on_the_next_save(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(dead.stdout)
    left = tmp_path / f"{TMP_PREFIX}model.json.{dead_pid}.k9xq1.tmp"
    left.write_bytes(b"x" * 1000)
    busy = tmp_path / f"{TMP_PREFIX}model.json.{os.getpid()}.live1.tmp"  # a writer still running
    busy.write_bytes(b"y")
    other = tmp_path / f"{TMP_PREFIX}other.json.{dead_pid}.abcde.tmp"  # another file's: not ours to judge
    other.write_bytes(b"z")
    atomic_write_text(tmp_path / "model.json", "{}")
    assert not left.exists() and busy.exists() and other.exists()
