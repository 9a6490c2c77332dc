"""Caches of numba, ArviZ and PyTensor where the home folder cannot be written (:mod:`estimate._user_caches`).

A read-only install with a read-only home (containers run as another user, HPC nodes) made every LCMCR fit fail as
the samplers were imported ("cannot cache function …: no locator available"), and ArviZ's import fail after the
sampling ("cannot read or write a file (~/.cache)").  Checked by hand with read-only bind mounts of the package and
the home folder (``unshare -m``); here the home and cache folders are made unusable by putting them under a file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from estimate import _user_caches


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """The module's once-per-process check undone, the temporary directory in tmp_path, pytensor not imported."""
    monkeypatch.setattr(_user_caches, "_DONE", False)
    monkeypatch.setattr(_user_caches, "_REDIRECTED", None)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.delitem(sys.modules, "pytensor", raising=False)
    monkeypatch.delitem(sys.modules, "matplotlib", raising=False)
    monkeypatch.setenv("PYTENSOR_FLAGS", "")
    monkeypatch.delenv("MPLCONFIGDIR", raising=False)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    return tmp_path


def test_unwritable_cache_folders_are_redirected_to_a_private_temporary_one(fresh: Path, monkeypatch) -> None:
    blocker = fresh / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("HOME", str(blocker))  # ~/.cache and ~/.pytensor would lie under a file
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    folder = _user_caches.ensure_writable_caches()
    uid = os.getuid()
    assert folder == fresh / "tmp" / f"estimate-caches-{uid}" and folder.is_dir()
    assert folder.stat().st_mode & 0o777 == 0o700
    assert os.environ["XDG_CACHE_HOME"] == str(folder)
    assert os.environ["PYTENSOR_FLAGS"] == f"base_compiledir={folder / 'pytensor'}"
    assert os.environ["MPLCONFIGDIR"] == str(folder / "matplotlib")
    assert _user_caches.ensure_writable_caches() == folder  # decided once


def test_writable_folders_and_the_users_own_choices_are_left_alone(fresh: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(fresh))
    monkeypatch.setenv("XDG_CACHE_HOME", str(fresh / "not-yet" / "cache"))  # can be made: fine, and not made here
    monkeypatch.setenv("PYTENSOR_FLAGS", "floatX=float64")
    assert _user_caches.ensure_writable_caches() is None
    assert os.environ["XDG_CACHE_HOME"] == str(fresh / "not-yet" / "cache")
    assert os.environ["PYTENSOR_FLAGS"] == "floatX=float64"
    assert "MPLCONFIGDIR" not in os.environ
    assert not (fresh / "not-yet").exists() and not (fresh / ".pytensor").exists()


def test_a_shared_temporary_folder_someone_else_could_write_is_not_used(fresh: Path, monkeypatch) -> None:
    """Cached compiled code is loaded with pickle: a group- or world-writable folder is never reused."""
    blocker = fresh / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("HOME", str(blocker))
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    shared = fresh / "tmp" / f"estimate-caches-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)
    folder = _user_caches.ensure_writable_caches()
    assert folder != shared and folder.parent == fresh / "tmp" and folder.stat().st_mode & 0o777 == 0o700


def test_arviz_loads_where_the_home_cache_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {**os.environ, "HOME": str(blocker), "XDG_CACHE_HOME": str(blocker / "cache"), "TMPDIR": str(tmp_path)}
    bare = subprocess.run([sys.executable, "-c", "import arviz"], env=env, capture_output=True, text=True,
                          timeout=120)
    if bare.returncode == 0:
        pytest.skip("this ArviZ imports without writing to the cache folder")
    code = "from estimate.inference_data import _arviz; print(_arviz().__name__)"
    ours = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert ours.returncode == 0 and ours.stdout.strip() == "arviz", ours.stderr


def test_a_library_folder_left_by_another_user_counts_as_unwritable(fresh: Path, monkeypatch) -> None:
    """~/.cache writable but ~/.cache/numba not (left by a run as root): numba still had nowhere to write."""
    monkeypatch.setenv("HOME", str(fresh))
    cache = fresh / "cache"
    cache.mkdir()
    (cache / "numba").write_text("")  # not a folder: as unusable as one of another user
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    folder = _user_caches.ensure_writable_caches()
    assert folder is not None and os.environ["XDG_CACHE_HOME"] == str(folder)


def test_a_pytensor_folder_chosen_in_pytensorrc_is_kept(fresh: Path, monkeypatch) -> None:
    blocker = fresh / "a-file"
    blocker.write_text("")
    rc = fresh / "pytensorrc"
    rc.write_text("[global]\nbase_compiledir = /somewhere/of/mine\n")
    monkeypatch.setenv("HOME", str(blocker))
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    monkeypatch.setenv("PYTENSORRC", str(rc))
    _user_caches.ensure_writable_caches()
    assert os.environ["PYTENSOR_FLAGS"] == ""  # PYTENSOR_FLAGS would have overridden the user's choice


def test_the_fallback_folder_of_one_process_is_removed(fresh: Path, monkeypatch) -> None:
    """A fresh folder (the shared one is not safe) is this process's alone: removed at exit, and by a command that
    ends by a signal (no atexit then)."""
    blocker = fresh / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("HOME", str(blocker))
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    monkeypatch.setattr(_user_caches, "_TEMPORARY", None)
    shared = fresh / "tmp" / f"estimate-caches-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)
    folder = _user_caches.ensure_writable_caches()
    assert folder.is_dir() and folder != shared
    _user_caches.discard_temporary_folder()
    assert not folder.exists()


def test_matplotlib_says_nothing_where_the_home_folder_cannot_be_written(tmp_path: Path) -> None:
    """With a read-only home, matplotlib (imported by ArviZ, so by every fit) printed 'mkdir -p failed for path
    …/.config/matplotlib' and 'Matplotlib created a temporary cache directory …' on stderr on every command (a
    fault-injection audit's find): its folder goes with the others now."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    env = {key: value for key, value in os.environ.items()
           if key not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME")}
    env.update(HOME=str(blocker), TMPDIR=str(tmp_path))
    code = ("from estimate.inference_data import _arviz; _arviz()\n"
            "import matplotlib, matplotlib.font_manager\nprint(matplotlib.get_configdir())")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    for notice in ("mkdir -p failed", "is not a writable directory", "created a temporary cache directory"):
        assert notice not in proc.stderr, proc.stderr
    assert proc.stdout.strip() == str(tmp_path / f"estimate-caches-{os.getuid()}" / "matplotlib")
