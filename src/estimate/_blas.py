"""One BLAS thread while an estimator fits.

The frequentist fits (log-linear models, the Rcapture family, Chao's and the two-list estimators) solve many small
least-squares problems: a 1,023 × 11 design for 10 lists, refitted tens of times per profile interval.  OpenBLAS
splits such a problem over every core, and on a machine whose cores are busy (another fit, a sampler's threads,
other jobs) each call then waits for its threads: measured on a shared 2-core machine, a 10-list ``mth-chao`` fit
took 4.2 s with two BLAS threads and 0.39 s with one, ``loglinear`` 1.25 s against 0.47 s.  One thread is never
slower at these sizes.  The limit is process-wide while it holds (BLAS has no per-thread setting), so numpy code in
another thread of the same process runs single-threaded for that time as well; fits overlapping in threads share
one limit, lifted when the last of them ends.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@functools.cache
def _controller() -> Any:
    import scipy.linalg  # noqa: F401  - loads SciPy's own OpenBLAS, so the controller sees it beside NumPy's
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # scanning the loaded libraries takes ≈ 5 ms: once per process


# Fits in several threads of one process share the limit: the first to enter sets it, the last to leave restores
# the numbers of threads it found (each fit restoring on its own exit left BLAS at one thread for good when two
# overlapped, and lifted the limit under the one still running).
_lock = threading.Lock()
_holders = 0
_limiter: Any = None


def _reset_after_fork() -> None:  # a fork taken while another thread held the lock must not inherit it held
    global _lock, _holders, _limiter
    _lock, _holders, _limiter = threading.Lock(), 0, None


os.register_at_fork(after_in_child=_reset_after_fork)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit the BLAS libraries of NumPy and SciPy to one thread inside the block (≈ 15 µs to enter and leave)."""
    global _holders, _limiter
    entered = False
    try:  # entered inside the try: a KeyboardInterrupt between the count and the try left the limit held for good
        with _lock:
            if _holders == 0:
                _restore_locked()  # a limit whose release an interrupt cut short: its original numbers first
                _clear_openblas_control()
                _limiter = _controller().limit(limits=1, user_api="blas")
            _holders += 1
            entered = True  # no call between these two statements: an asynchronous exception cannot land there
        yield
    finally:
        interrupted = _acquire_through_interrupts(_lock)  # a Ctrl-C while waiting skipped the release for good
        try:
            if entered:
                _holders -= 1
            if _holders == 0:  # also a limit set by an entry interrupted before it counted itself
                _restore_locked()
        finally:
            _lock.release()
        if interrupted is not None:
            raise interrupted


def _acquire_through_interrupts(lock: Any) -> KeyboardInterrupt | None:
    """Acquire ``lock``, waiting again if a KeyboardInterrupt cuts the wait short; return that interrupt (to raise
    once the work under the lock is done) or None."""
    interrupted = None
    while True:
        try:
            lock.acquire()
            return interrupted
        except KeyboardInterrupt as exc:
            interrupted = exc


def _restore_locked() -> None:
    """Lift the limit, if one is set (caller holds ``_lock``); ``_limiter`` is cleared only once it is lifted, so
    a release cut short by an interrupt is completed by the next fit."""
    global _limiter
    if _limiter is not None:
        _clear_openblas_control()
        _limiter.restore_original_limits()
        _limiter = None
        _clear_openblas_control()


def _clear_openblas_control() -> None:
    """threadpoolctl lets one thread at a time set OpenBLAS's (process-wide) thread count and silently ignores the
    others.  Cleared under ``_lock`` before this thread sets or restores the limit (the last fit to leave may run in
    another thread than the first), and after, so that the user's own ``threadpool_limits`` work again."""
    from threadpoolctl import OpenBLASController

    OpenBLASController.clear_controlling_thread(force=True)
