"""Keep numba's on-disk cache of the compiled samplers coherent with their source files.

numba (``@njit(cache=True)``) keys a cached function on its *own* source file only (modification time and size,
plus its bytecode); the compiled code of a function also contains every function it calls from another module.
So when only :mod:`estimate.samplers.variates` changes — a ``git pull`` or an edit in an editable install, the
install the README recommends — :func:`~estimate.samplers.lcmcr_kernel.lcmcr_chain_kernel` is loaded from the
cache with the *old* variates compiled into it, while the variates called directly are recompiled: the kernel's
draws no longer follow the source, and the same seed gives different draws on a machine with a fresh cache.
(Seen while changing the multinomial's thresholds: the kernel's draws did not change until the cache was cleared.)

:func:`refresh` (called when :mod:`estimate.samplers.lcmcr_kernel` is imported) records a digest of the kernel's
and the variates' sources beside numba's cache files and deletes their cache entries whenever the digest differs,
so every compiled function is rebuilt from the current sources.  A cache directory that cannot be written is left
alone (numba then falls back to its user-wide cache, which this also covers, since the directory is the one numba
chose).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

__all__ = ["refresh", "sources_digest"]

MARKER = "estimate-samplers-sources.sha256"


def sources_digest(modules: Iterable[ModuleType]) -> str:
    """SHA-256 over the source files of ``modules`` (by module name, so the order given does not matter)."""
    digest = hashlib.sha256()
    for module in sorted(modules, key=lambda m: m.__name__):
        digest.update(module.__name__.encode())
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


def _cache_directories(modules: Iterable[ModuleType]) -> set[Path]:
    """The directories numba caches the modules' ``cache=True`` functions in (numba's own choice per function)."""
    directories = set()
    for module in modules:
        for value in vars(module).values():
            cache = getattr(value, "_cache", None)
            path = getattr(cache, "cache_path", None)
            if path and getattr(value, "py_func", None) is not None and value.py_func.__module__ == module.__name__:
                directories.add(Path(path))
    return directories


def refresh(modules: Iterable[ModuleType]) -> list[Path]:
    """Delete the cached compiled code of ``modules`` wherever it was built from other sources than the current ones.

    Returns the cache files deleted.  Safe to call from several processes at once: a file deleted twice or a
    function compiled twice costs only time.
    """
    modules = list(modules)
    digest = sources_digest(modules)
    stems = tuple(module.__name__.rsplit(".", 1)[-1] + "." for module in modules)
    deleted: list[Path] = []
    for directory in _cache_directories(modules):
        marker = directory / MARKER
        try:
            if marker.read_text().strip() == digest:
                continue
        except OSError:
            pass  # no marker yet: an old cache, or none
        if not directory.is_dir():
            continue
        try:
            for path in directory.iterdir():
                if path.name.startswith(stems) and path.suffix in (".nbi", ".nbc"):
                    path.unlink(missing_ok=True)
                    deleted.append(path)
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=".marker-")
            with os.fdopen(handle, "w") as out:
                out.write(digest + "\n")
            os.replace(temporary, marker)
        except OSError:
            continue  # not ours to write: numba will not cache there either
    return deleted
