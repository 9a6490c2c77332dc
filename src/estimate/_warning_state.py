"""``warnings.catch_warnings`` made safe to use from several threads.

``warnings.catch_warnings`` saves the process-wide filter list on entry and puts it back on exit (and with
``record=True`` replaces ``warnings.showwarning``).  Two threads inside it at once restore each other's state:
two ``fit_strata`` calls in two threads could leave an "ignore everything" filter installed for good (Python 3.11
has no per-thread warning state).  Every such block in this package goes through :func:`catch_warnings`, which
holds one process-wide re-entrant lock for its duration, so such blocks run one at a time; the compiled samplers'
own threads never enter one.  The price: those blocks of fits in several threads of one process run one at a
time (a PyMC fit's sampling is one such block, so an LCMCR fit in another thread can wait for it), while the
rest of a fit runs alongside.  Warnings themselves stay process-wide: a warning a fit raises while another
thread records warnings (``compare``, or a user's ``catch_warnings(record=True)``) can be recorded there instead
of shown to its caller.  For parallel fits whose warnings matter, use processes, such as dask workers with one
thread each (what ``--dask-workers`` starts).
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from collections.abc import Iterator

_LOCK = threading.RLock()


def _new_lock_in_child() -> None:
    """A process forked while another thread held the lock would wait for it forever: the child gets its own."""
    global _LOCK
    _LOCK = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)


@contextlib.contextmanager
def catch_warnings(*, record: bool = False) -> Iterator[list[warnings.WarningMessage] | None]:
    """``warnings.catch_warnings(record=record)`` under the package's warning-state lock."""
    with _LOCK, warnings.catch_warnings(record=record) as caught:
        yield caught
