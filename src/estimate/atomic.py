"""Atomic file writes: write to a temporary file in the same directory, flush, fsync, then rename.

An interrupted run therefore never leaves a half-written result behind: a reader sees the old file or the new
one, nothing in between.
"""

from __future__ import annotations

import contextlib
import contextvars
import errno
import glob
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["atomic_write_text", "atomic_write_bytes", "atomic_path", "atomic_batch", "after_commit",
           "remove_stale_temporaries",
           "link_target", "name_limit", "is_device", "same_file"]

#: the renames an :func:`atomic_batch` holds back until all its files are written (None outside a batch)
_PENDING: contextvars.ContextVar[list[tuple[Path, Path]] | None] = contextvars.ContextVar("_PENDING", default=None)
#: what an :func:`atomic_batch` runs once its files are in place (see :func:`after_commit`)
_AFTER: contextvars.ContextVar[list[Callable[[], None]] | None] = contextvars.ContextVar("_AFTER", default=None)


def is_device(path: Path) -> bool:
    """An existing device, pipe or socket (``-o /dev/null``, ``/dev/stdout``), written into as it is; False for a
    path the file system cannot even look up (a name too long, a symlink loop)."""
    try:
        return path.exists() and not path.is_file() and not path.is_dir()
    except OSError:
        return False


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (spelt differently, through a symlink or a hard link); False when either
    cannot be looked up."""
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python 3.11's resolve)
        return False


def link_target(path: Path) -> Path:
    """Where the symlink ``path`` finally points (the target may not exist); ``OSError`` for a symlink loop —
    raised as RuntimeError by Python 3.11's ``resolve``, as OSError (ELOOP) by ``resolve(strict=True)`` on
    3.13, whose non-strict ``resolve`` returns a path inside the loop instead."""
    try:
        return path.resolve(strict=True)
    except FileNotFoundError:  # a dangling link: its target's path, followed without strictness
        return path.resolve()
    except RuntimeError as exc:
        raise OSError(f"{str(path)!r} is a symlink loop") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(f"{str(path)!r} is a symlink loop") from exc
        raise


def name_limit(folder: Path) -> int:
    """The longest file name, in bytes, the file system of ``folder`` takes (255 where it does not say)."""
    pathconf = getattr(os, "pathconf", None)  # Unix only: on Windows every write failed with AttributeError
    if pathconf is None:
        return 255
    try:
        return int(pathconf(folder if folder.exists() else ".", "PC_NAME_MAX"))
    except (OSError, ValueError):
        return 255


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Context manager yielding a temporary path; on success it is renamed onto ``path``."""
    target = Path(path)
    if is_device(target):
        # a device, FIFO or socket (-o /dev/null, a named pipe, /dev/stdout — tested before resolving it, as
        # /proc/self/fd/1 of a pipe resolves to no path): renaming a file onto it would replace it with a regular
        # file (as root, /dev/null itself); there is nothing to keep atomic, so stream into it
        with _streamed_into(target) as tmp:
            yield tmp
        return
    if target.is_symlink():  # write the file the link points to, and keep the link
        target = link_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # the writer's process id in the name: a later run removes only the leftovers of processes that are gone
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=_temporary_prefix(target), suffix=".tmp", dir=target.parent)
    except OSError as exc:  # a folder that takes no new file: name the file asked for, not a hidden temporary
        exc.filename = str(target)
        raise
    os.close(fd)
    tmp = Path(tmp_name)
    deferred = False  # left for the enclosing atomic_batch to rename
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        # mkstemp makes 0600: an existing file keeps its permissions (not a set-id bit), a new one gets the usual
        # umask ones
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else _default_mode())
        pending = _PENDING.get()
        if pending is not None:  # inside atomic_batch: renamed with the batch's other files, or not at all
            pending.append((tmp, target))
            deferred = True
            return
        _replace(tmp, target)
    except OSError as exc:
        # a full disk while writing, a refused rename: say which file it was (the one asked for, not the temporary)
        if exc.errno is not None and (exc.filename is None or str(exc.filename) == str(tmp)):
            exc.filename = str(target)
        raise
    finally:
        if not deferred and tmp.exists():
            tmp.unlink()


def _replace(tmp: Path, target: Path) -> None:
    os.replace(tmp, target)
    _fsync_folder(target.parent)  # the rename itself survives a power cut


@contextlib.contextmanager
def atomic_batch() -> Iterator[None]:
    """All-or-nothing writes of several files: every :func:`atomic_path` write inside the block goes to its
    temporary file, and the temporaries are renamed into place only when the block ends without an error — a
    failure while writing any of them (a full disk at the last, smallest file) leaves every earlier file as it
    was, and removes the temporaries.

    The renames at the end are each atomic, one after another: only a rename that fails (rare: the folder's
    permissions changed meanwhile) can leave some files new and the others old.  Writes to devices and pipes
    (``-o -``, ``/dev/stdout``) are not held back, nor are writes from other threads (a context variable holds
    the batch).  Batches do not nest: an inner one joins the outer, so an error inside it that the outer block
    catches does not undo the inner block's writes.
    """
    if _PENDING.get() is not None:
        yield
        return
    pending: list[tuple[Path, Path]] = []
    callbacks: list[Callable[[], None]] = []
    token, after_token = _PENDING.set(pending), _AFTER.set(callbacks)
    try:
        yield
    except BaseException:
        for tmp, _ in pending:
            tmp.unlink(missing_ok=True)
        raise
    finally:
        _PENDING.reset(token)
        _AFTER.reset(after_token)
    for position, (tmp, target) in enumerate(pending):
        try:
            _replace(tmp, target)
        except BaseException as exc:  # a refused rename, or Ctrl-C between two renames: no temporaries left
            for left, _ in pending[position:]:
                left.unlink(missing_ok=True)
            if isinstance(exc, OSError) and (exc.filename is None or str(exc.filename) == str(tmp)):
                exc.filename = str(target)
            raise
    for callback in callbacks:
        callback()


def after_commit(callback: Callable[[], None]) -> None:
    """Run ``callback`` (e.g. say "wrote FILE") once the files written so far are in place: at the end of the
    enclosing :func:`atomic_batch`, and not if it fails; at once outside a batch."""
    callbacks = _AFTER.get()
    if callbacks is None:
        callback()
    else:
        callbacks.append(callback)


def _temporary_prefix(target: Path) -> str:
    """``.NAME.PID.`` for the temporary of ``target`` (see :func:`_temporary_name`)."""
    return f".{_temporary_name(target.parent, target.name)}.{os.getpid()}."


def _temporary_name(folder: Path, name: str) -> str:
    """The NAME of a temporary ``.NAME.PID.XXXXXXXX.tmp``: the target's name, cut short when the whole would pass
    the folder's limit on name length (usually 255 bytes); a character cut in two is dropped."""
    room = name_limit(folder) - len(f"..{2 ** 22}.") - 8 - len(".tmp")  # process ids reach 2^22 on Linux
    encoded = os.fsencode(name)
    return name if len(encoded) <= room else encoded[:room].decode("utf-8", "ignore")


@contextlib.contextmanager
def _streamed_into(target: Path) -> Iterator[Path]:
    """A temporary path in the system's temporary folder whose content is then written into ``target`` (a
    device or pipe), and removed."""
    fd, tmp_name = tempfile.mkstemp(suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        try:
            with open(tmp, "rb") as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink)
        except OSError as exc:
            if exc.filename is None and exc.errno is not None:  # -o /dev/full, a pipe whose reader left: name it
                exc.filename = str(target)
            raise
    finally:
        tmp.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. a platform without directory handles
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_temporaries(folder: str | Path, name: str | None = None, *,
                             targets: re.Pattern[str] | None = None) -> int:
    """Delete temporary files an interrupted :func:`atomic_path` left in ``folder`` (a process killed by a signal
    runs no clean-up) — those of ``name`` only, when given, or of the target names ``targets`` matches in full —
    and returns how many.  A temporary is removed only when the process that wrote it (its id is in the name) no
    longer runs: another run writing to the same folder keeps its half-written files.  Give ``name`` or
    ``targets`` for a folder that holds users' files too: otherwise any ``.NAME.PID.XXXXXXXX.tmp`` goes."""
    removed = 0
    pattern = f".{glob.escape(_temporary_name(Path(folder), name))}.*.tmp" if name else ".*.tmp"
    for leftover in Path(folder).glob(pattern):
        parts = leftover.name[:-len(".tmp")].split(".")
        pid = parts[-2] if len(parts) >= 3 else ""
        if targets is not None and not targets.fullmatch(".".join(parts[:-2])[1:]):
            continue  # a file of that shape whose target is not one we write: the user's (.thesis.….tmp)
        if not (pid.isdigit() and _MKSTEMP_PART.fullmatch(parts[-1])) or _process_alive(int(pid)):
            continue  # not ours, or its writer is still at work
        with contextlib.suppress(OSError):
            leftover.unlink()
            removed += 1
    return removed


#: the random part tempfile.mkstemp puts in a name (eight letters, digits or underscores): a file named like a
#: temporary without it is somebody else's
_MKSTEMP_PART = re.compile(r"[a-z0-9_]{8}")


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would send CTRL_C_EVENT to the console there, not test the process
        return _windows_process_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OverflowError, ValueError):  # digits that are no process id (a date in an older name): not ours
        return True
    except (PermissionError, OSError):  # it exists (another user's), or we cannot tell: keep its file
        return True
    return True


def _windows_process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (Windows): its exit code is STILL_ACTIVE; a process that cannot be opened
    for another reason than not existing (another user's) is taken to run, and its files are kept."""
    try:
        import _winapi
    except ImportError:
        return True
    try:
        handle = _winapi.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    except OSError as exc:
        return getattr(exc, "winerror", None) != 87  # ERROR_INVALID_PARAMETER: no such process
    try:
        return _winapi.GetExitCodeProcess(handle) == 259  # STILL_ACTIVE
    except OSError:
        return True
    finally:
        _winapi.CloseHandle(handle)


def _default_mode() -> int:
    """0666 minus the process umask: the mode ``open(path, "w")`` would have given."""
    return 0o666 & ~_process_umask()


def _process_umask() -> int:
    """The umask, read from /proc on Linux; elsewhere set and restored, which is not thread-safe (another thread
    creating a file in between would get mode 0666), so only the fallback."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0)
    os.umask(umask)
    return umask


def atomic_write_bytes(path: str | Path, payload: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    atomic_write_bytes(path, text.encode(encoding))


def atomic_create_text(path: str | Path, text: str, encoding: str = "utf-8") -> bool:
    """Create ``path`` with ``text`` atomically unless it exists; False (nothing written) when it does, e.g.
    because another process created it first.  The complete file is hard-linked into place, which fails when the
    name is taken, so two processes racing to create the same file cannot both win; on a file system without hard
    links it is renamed into place (the last writer wins)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=_temporary_prefix(target), suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode(encoding))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _default_mode())
        try:
            os.link(tmp, target)
        except FileExistsError:
            return False
        except OSError:  # no hard links here (some network or FAT file systems)
            if target.exists():
                return False
            os.replace(tmp, target)
        _fsync_folder(target.parent)
        return True
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_with(path: str | Path, writer: Callable[[Path], None]) -> None:
    """Atomically create ``path`` with ``writer(tmp_path)`` (e.g. ``frame.to_parquet``)."""
    with atomic_path(path) as tmp:
        writer(tmp)
