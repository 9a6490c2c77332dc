"""One BLAS thread while an estimator fits.

The frequentist fits (log-linear models, the Rcapture family, Chao's and the two-list estimators) solve many small
least-squares problems: a 1,023 × 11 design for 10 lists, refitted tens of times per profile interval.  OpenBLAS
splits such a problem over every core, and on a machine whose cores are busy (another fit, a sampler's threads,
other jobs) each call then waits for its threads: measured on a shared 2-core machine, a 10-list ``mth-chao`` fit
took 4.2 s with two BLAS threads and 0.35 s with one, ``loglinear`` 1.2 s against 0.29 s.  One thread is never
slower at these sizes.  The limit is process-wide while it holds (BLAS has no per-thread setting), so numpy code in
another thread of the same process runs single-threaded for that time as well.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@functools.cache
def _controller() -> Any:
    import scipy.linalg  # noqa: F401  - loads SciPy's own OpenBLAS, so the controller sees it beside NumPy's
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()  # scanning the loaded libraries takes ≈ 5 ms: once per process


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit the BLAS libraries of NumPy and SciPy to one thread inside the block (≈ 15 µs to enter and leave)."""
    with _controller().limit(limits=1, user_api="blas"):
        yield
