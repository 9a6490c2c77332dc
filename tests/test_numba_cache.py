"""numba's on-disk cache stays coherent with the samplers' sources (:mod:`estimate.samplers._numba_cache`)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from estimate.samplers import _numba_cache, lcmcr_kernel, variates

CALLEE = """
from numba import njit


@njit(cache=True)
def value():
    return {value}
"""

CALLER = """
from numba import njit

from {package}.callee import value


@njit(cache=True)
def call():
    return value() + 0
"""

INIT_WITH_REFRESH = """
from estimate.samplers._numba_cache import refresh
from {package} import callee, caller

refresh([callee, caller])
"""


def _make_package(root: Path, package: str, init: str, value: int) -> None:
    directory = root / package
    directory.mkdir()
    (directory / "__init__.py").write_text(textwrap.dedent(init.format(package=package)))
    (directory / "callee.py").write_text(CALLEE.format(value=value))
    (directory / "caller.py").write_text(CALLER.format(package=package))


def _call(root: Path, package: str) -> int:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *sys.path])}
    env.pop("NUMBA_CACHE_DIR", None)
    out = subprocess.run([sys.executable, "-c", f"import {package}.caller as c; print(c.call())"], env=env,
                         capture_output=True, text=True, check=True, timeout=300)
    return int(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("refreshed", [True, False])
def test_a_change_in_a_callees_module_reaches_the_cached_caller(tmp_path: Path, refreshed: bool) -> None:
    """Without the refresh numba serves the caller with the old callee compiled in (the hazard, shown as the
    control); with it the caller follows the edited source."""
    package = "refreshed_pkg" if refreshed else "plain_pkg"
    _make_package(tmp_path, package, INIT_WITH_REFRESH if refreshed else "", value=1)
    assert _call(tmp_path, package) == 1
    assert list((tmp_path / package / "__pycache__").glob("caller.*.nbi")), "numba did not cache the caller"
    (tmp_path / package / "callee.py").write_text(CALLEE.format(value=2))
    value = _call(tmp_path, package)
    if refreshed:
        assert value == 2
    elif value == 2:
        pytest.skip("this numba version invalidates a caller's cache when a callee's module changes")
    else:
        assert value == 1  # the hazard: the cached caller still has the old callee compiled in


def test_the_samplers_cache_is_marked_with_the_current_sources() -> None:
    modules = [variates, lcmcr_kernel]
    digest = _numba_cache.sources_digest(modules)
    assert digest == _numba_cache.sources_digest(reversed(modules))
    directories = _numba_cache._cache_directories(modules)
    assert directories, "no cache=True function found"
    for directory in directories:
        marker = directory / _numba_cache.MARKER
        if not marker.exists() and not os.access(directory, os.W_OK):
            pytest.skip(f"numba's cache directory {directory} cannot be written")
        assert marker.read_text().strip() == digest
