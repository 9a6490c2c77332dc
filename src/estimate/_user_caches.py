"""A writable place for the on-disk caches of numba, ArviZ, PyTensor and matplotlib.

Four libraries the package uses write to the user's cache folders, and none of them copes well when it cannot:

* numba (the compiled samplers, ``cache=True``) writes beside the installed sources, else in
  ``$XDG_CACHE_HOME/numba`` (``~/.cache``); with neither writable the decorators raise "cannot cache function …:
  no locator available" as the sampler modules are imported;
* ArviZ 0.23 creates ``~/.cache/arviz`` when it is imported (a once-a-day notice) and the import fails with an
  OSError otherwise — after a sampler has run, so its work was lost;
* PyTensor (the PyMC models) compiles into ``~/.pytensor``;
* matplotlib (imported by ArviZ) writes its configuration and font cache to ``~/.config/matplotlib`` and
  ``~/.cache/matplotlib``, and where it cannot, prints two notices on stderr and rebuilds the font cache each time.

A read-only installation with a read-only or missing home folder is common: containers run as another user, HPC
nodes, system-wide installs.  :func:`ensure_writable_caches`, called before any of these libraries is imported,
leaves everything alone when the folders in use can be written (``XDG_CACHE_HOME`` or ``~/.cache``, and
``~/.pytensor`` unless ``PYTENSOR_FLAGS`` names a ``base_compiledir``); otherwise it points them to a folder of this
user in the system's temporary directory (``XDG_CACHE_HOME`` for numba and ArviZ, ``base_compiledir`` for
PyTensor, ``MPLCONFIGDIR`` for matplotlib), so fits run — compiled code is then kept only as long as that folder.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import sys
import tempfile
import threading
from pathlib import Path

__all__ = ["discard_temporary_folder", "ensure_writable_caches"]

_LOCK = threading.Lock()
_DONE = False
_REDIRECTED: Path | None = None
_TEMPORARY: Path | None = None


def ensure_writable_caches() -> Path | None:
    """Make sure numba, ArviZ, PyTensor and matplotlib have somewhere to write (see the module docstring).

    Returns the private folder the caches were redirected to, or None when the usual ones are writable.  Checked
    once per process; safe from several threads."""
    global _DONE, _REDIRECTED
    with _LOCK:
        if _DONE:
            return _REDIRECTED
        _DONE = True
        home = _home()
        cache_home = _xdg_folder("XDG_CACHE_HOME", home, ".cache")
        # the folders the libraries write (one left by a run as root or another user is as bad as a read-only home)
        if cache_home is None or not all(_writable(folder) for folder in (cache_home / "numba", cache_home / "arviz")):
            _REDIRECTED = _private_folder()
            os.environ["XDG_CACHE_HOME"] = str(_REDIRECTED)  # numba's user-wide cache and ArviZ read it
        flags = os.environ.get("PYTENSOR_FLAGS", "")
        if "pytensor" not in sys.modules and "base_compiledir" not in flags and not _pytensorrc_names_a_folder(
                home) and (home is None or not _writable(home / ".pytensor")):
            _REDIRECTED = _REDIRECTED or _private_folder()
            os.environ["PYTENSOR_FLAGS"] = ",".join(
                part for part in (flags, f"base_compiledir={_REDIRECTED / 'pytensor'}") if part)
        if "matplotlib" not in sys.modules and not os.environ.get("MPLCONFIGDIR") and not _matplotlib_folders_writable(
                home, _xdg_folder("XDG_CACHE_HOME", home, ".cache")):  # after any redirection above
            _REDIRECTED = _REDIRECTED or _private_folder()
            os.environ["MPLCONFIGDIR"] = str(_REDIRECTED / "matplotlib")
        return _REDIRECTED


def _matplotlib_folders_writable(home: Path | None, cache_home: Path | None) -> bool:
    """Whether matplotlib can write its configuration folder (``$XDG_CONFIG_HOME/matplotlib`` or
    ``~/.config/matplotlib``) and its font cache (``$XDG_CACHE_HOME/matplotlib``, after any redirection above).
    Otherwise it wrote two notices to stderr on every command (ArviZ imports it, so every LCMCR fit) and rebuilt its
    font cache in a new temporary folder each time.  Checked where matplotlib uses these XDG folders (Linux and
    FreeBSD); elsewhere (``~/.matplotlib``, ``%LOCALAPPDATA%``) its folders are left to it (True)."""
    if not sys.platform.startswith(("linux", "freebsd")):
        return True
    config_home = _xdg_folder("XDG_CONFIG_HOME", home, ".config")
    folders = (config_home / "matplotlib" if config_home is not None else None,
               cache_home / "matplotlib" if cache_home is not None else None)
    return all(folder is not None and _writable(folder) for folder in folders)


def _xdg_folder(variable: str, home: Path | None, default: str) -> Path | None:
    """``$XDG_CACHE_HOME`` / ``$XDG_CONFIG_HOME`` when set and not empty, else ``~/.cache`` / ``~/.config``."""
    value = os.environ.get(variable)
    if value:
        return Path(value)
    return home / default if home is not None else None


def discard_temporary_folder() -> None:
    """Remove the folder made for this process alone (the fallback of :func:`_private_folder`) now: a command ended
    by a signal runs no atexit functions."""
    global _TEMPORARY
    if _TEMPORARY is not None:
        shutil.rmtree(_TEMPORARY, ignore_errors=True)
        _TEMPORARY = None


def _pytensorrc_names_a_folder(home: Path | None) -> bool:
    """Whether the user's PyTensor configuration files (``$PYTENSORRC``, else ``~/.pytensorrc``) set
    ``base_compiledir``: a choice to keep (PYTENSOR_FLAGS would override it)."""
    import configparser

    names = os.environ.get("PYTENSORRC", "").split(os.pathsep) if os.environ.get("PYTENSORRC") else (
        [str(home / ".pytensorrc"), str(home / ".pytensorrc.txt")] if home is not None else [])
    parser = configparser.ConfigParser()
    try:
        parser.read([os.path.expanduser(name) for name in names if name])
    except (configparser.Error, OSError, UnicodeDecodeError):
        return False
    return any(parser.has_option(section, "base_compiledir") for section in parser.sections())


def _home() -> Path | None:
    try:
        return Path.home()
    except (RuntimeError, KeyError, OSError):  # no HOME and no password-database entry
        return None


def _writable(folder: Path) -> bool:
    """Whether files can be made in ``folder``, or it can be made in its nearest existing parent: asked of the
    system (``access``, which also says no on a read-only file system), so that nothing is created here."""
    try:
        for candidate in (folder, *folder.parents):
            if candidate.exists():
                return candidate.is_dir() and os.access(candidate, os.W_OK | os.X_OK)
    except OSError:
        pass
    return False


def _private_folder() -> Path:
    """``estimate-caches-UID`` in the temporary directory, kept between runs when it is this user's alone (cached
    compiled code is loaded with pickle, so a folder someone else could write is never used); else a fresh one."""
    uid = os.getuid() if hasattr(os, "getuid") else None
    if uid is not None:
        folder = Path(tempfile.gettempdir()) / f"estimate-caches-{uid}"
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            info = folder.lstat()
            if (stat.S_ISDIR(info.st_mode) and info.st_uid == uid and not info.st_mode & 0o022
                    and _writable(folder)):
                return folder
        except OSError:
            pass
    global _TEMPORARY
    folder = Path(tempfile.mkdtemp(prefix="estimate-caches-"))
    _TEMPORARY = folder
    atexit.register(discard_temporary_folder)  # of this process alone: not reused, so removed
    return folder
