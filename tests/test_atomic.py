"""Atomic writes: all or nothing, no temporary files left behind, usual permissions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from estimate.atomic import atomic_path, atomic_write_text, atomic_write_with


def test_write_replaces_whole_file_with_umask_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out" / "result.json"
    atomic_write_text(target, "old")
    atomic_write_text(target, "new")
    assert target.read_text() == "new"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["result.json"]


def test_failed_writer_leaves_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "result.csv"
    atomic_write_text(target, "complete\n")

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        atomic_write_with(target, broken)
    assert target.read_text() == "complete\n"
    assert [p.name for p in tmp_path.iterdir()] == ["result.csv"]


def test_overwrite_keeps_the_files_permissions_and_a_symlink(tmp_path: Path) -> None:
    private = tmp_path / "private.json"
    atomic_write_text(private, "old")
    private.chmod(0o600)  # e.g. a result the user made private
    atomic_write_text(private, "new")
    assert private.read_text() == "new" and private.stat().st_mode & 0o777 == 0o600
    link = tmp_path / "latest.json"
    link.symlink_to(private)
    atomic_write_text(link, "newer")
    assert link.is_symlink() and private.read_text() == "newer"


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux /proc only")
def test_new_file_mode_reads_the_umask_without_changing_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting the umask to read it would let another thread create a file with mode 0666 meanwhile."""
    umask = os.umask(0o027)
    try:
        def forbidden(mask: int) -> int:
            raise AssertionError("os.umask called")

        monkeypatch.setattr(os, "umask", forbidden)
        atomic_write_text(tmp_path / "new.txt", "x")
        assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o640
    finally:
        monkeypatch.undo()
        os.umask(umask)


def test_stale_temporaries_are_those_of_processes_that_are_gone(tmp_path: Path) -> None:
    import subprocess
    import sys

    from estimate.atomic import remove_stale_temporaries

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = tmp_path / f".out.csv.{gone.pid}.ab12cd34.tmp"
    mine = tmp_path / f".out.csv.{os.getpid()}.ef56gh78.tmp"
    dated = tmp_path / ".run.20240101120000.ab12cd34.tmp"  # digits that are no pid: os.kill overflowed
    other = tmp_path / ".other.csv.1.ab12cd34.tmp"
    for path in (stale, mine, dated, other):
        path.write_text("x")
    assert remove_stale_temporaries(tmp_path, "out.csv") == 1
    assert not stale.exists() and mine.exists() and dated.exists() and other.exists()
    assert remove_stale_temporaries(tmp_path) == 0  # pid 1 lives; the rest is ours or not a pid


def test_a_file_named_like_a_temporary_without_its_random_part_is_kept(tmp_path: Path) -> None:
    import subprocess
    import sys

    from estimate.atomic import remove_stale_temporaries

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    users = tmp_path / f".notes.{gone.pid}.backup.tmp"  # a user's own file: "backup" is not mkstemp's part
    users.write_text("x")
    assert remove_stale_temporaries(tmp_path) == 0 and users.exists()


def test_writing_to_a_pipe_streams_into_it_instead_of_replacing_it(tmp_path: Path) -> None:
    """-o FIFO (or, as root, -o /dev/null) renamed a regular file onto the pipe or device, replacing it."""
    import stat
    import threading

    from estimate.atomic import atomic_write_text

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    atomic_write_text(fifo, "estimate,lower\n1,2\n")
    reader.join(timeout=30)
    assert received == [b"estimate,lower\n1,2\n"]
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_long_names_loops_and_set_id_bits(tmp_path) -> None:
    """A valid 240-byte name failed (the temporary's name passed 255 bytes); a symlink loop raised RuntimeError;
    a set-uid bit of the old file was copied onto the new one."""
    long = tmp_path / ("z" * 240 + ".csv")
    atomic_write_text(long, "x\n")
    assert long.read_text() == "x\n" and [p.name for p in tmp_path.iterdir()] == [long.name]
    (tmp_path / "l1").symlink_to(tmp_path / "l2")
    (tmp_path / "l2").symlink_to(tmp_path / "l1")
    with pytest.raises(OSError, match="symlink loop"):
        atomic_write_text(tmp_path / "l1", "x\n")
    old = tmp_path / "old.json"
    old.write_text("{}")
    os.chmod(old, 0o4755)
    atomic_write_text(old, "[]")
    assert old.stat().st_mode & 0o7777 == 0o755


def test_a_write_that_fails_names_the_file(tmp_path: Path) -> None:
    """A full disk said "OSError: No space left on device" without saying which file."""
    import errno

    def full_disk(path: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    target = tmp_path / "result.csv"
    with pytest.raises(OSError) as raised:
        atomic_write_with(target, full_disk)
    assert raised.value.filename == str(target) and raised.value.errno == errno.ENOSPC
    # an error that names the hidden temporary (a writer refused mid-file: netCDF's library names what it opened)
    # names the file asked for instead (an audit's find: "cannot read or write a file (.d.nc.13940.x.tmp)")
    with pytest.raises(OSError) as raised, atomic_path(target) as tmp:
        raise OSError(errno.EPERM, "Operation not permitted", str(tmp))
    assert raised.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="Linux /dev/full")
def test_a_device_that_refuses_the_write_is_named() -> None:
    """``-o /dev/full`` (a device is written into as it is, not replaced) said "No space left on device" alone."""
    import errno

    with pytest.raises(OSError) as raised:
        atomic_write_text("/dev/full", "x" * 100_000)
    assert raised.value.filename == "/dev/full" and raised.value.errno == errno.ENOSPC


def test_a_batch_renames_every_file_or_none(tmp_path: Path) -> None:
    """atomic_batch: a failure at any file leaves every file of the batch as it was and no temporaries; on
    success all are in place, and after_commit's callbacks run then (not before, not after a failure)."""
    from estimate.atomic import after_commit, atomic_batch

    first, second = tmp_path / "a.txt", tmp_path / "b.txt"
    first.write_text("old a")
    said: list[str] = []
    with pytest.raises(OSError, match="disk full"):
        with atomic_batch():
            atomic_write_text(first, "new a")
            after_commit(lambda: said.append("a"))
            assert first.read_text() == "old a"  # held back until the batch ends
            with atomic_path(second) as tmp:
                tmp.write_text("half")
                raise OSError("disk full")
    assert first.read_text() == "old a" and not second.exists() and said == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]
    with atomic_batch():
        atomic_write_text(first, "new a")
        with atomic_batch():  # an inner batch joins the outer one
            atomic_write_text(second, "new b")
        assert not second.exists()
        after_commit(lambda: said.append("both"))
        assert said == []
    assert (first.read_text(), second.read_text(), said) == ("new a", "new b", ["both"])
    after_commit(lambda: said.append("outside"))  # outside a batch: at once
    assert said == ["both", "outside"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_writes_work_where_os_has_no_pathconf(tmp_path: Path, monkeypatch) -> None:
    """os.pathconf is Unix only: on Windows every write failed with AttributeError (a portability audit's find)."""
    from estimate.atomic import name_limit

    monkeypatch.delattr(os, "pathconf")
    assert name_limit(tmp_path) == 255
    atomic_write_text(tmp_path / "out.csv", "a\n")
    assert (tmp_path / "out.csv").read_text() == "a\n"
