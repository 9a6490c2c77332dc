"""``warnings.catch_warnings`` made safe to use from several threads.

``warnings.catch_warnings`` saves the process-wide filter list on entry and puts it back on exit (and with
``record=True`` replaces ``warnings.showwarning``).  Two threads inside it at once restore each other's state:
two ``fit_strata`` calls in two threads could leave an "ignore everything" filter installed for good (Python 3.11
has no per-thread warning state).  Every such block in this package goes through :func:`catch_warnings`, which
holds one process-wide re-entrant lock for its duration, so such blocks run one at a time; the compiled samplers'
own threads never enter one.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Iterator

_LOCK = threading.RLock()


@contextlib.contextmanager
def catch_warnings(*, record: bool = False) -> Iterator[list[warnings.WarningMessage] | None]:
    """``warnings.catch_warnings(record=record)`` under the package's warning-state lock."""
    with _LOCK, warnings.catch_warnings(record=record) as caught:
        yield caught
