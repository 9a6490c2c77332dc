"""Run ``python -m MODULE ARGS...`` in this process and write its own peak resident memory (MB) to a file.

    python -m benchmarks._peak_rss OUT_FILE MODULE [ARGS...]

Used for benchmark children (the ``estimate`` CLI) because ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of a child
on Linux includes the parent's resident size at fork time; the child's own high-water mark (``VmHWM``) does not.
The figure is written at interpreter exit, also when the module exits with ``SystemExit``.
"""

from __future__ import annotations

import atexit
import runpy
import sys
from pathlib import Path

from benchmarks import _common as C


def main() -> None:
    out, module, *args = sys.argv[1:]
    atexit.register(lambda: Path(out).write_text(f"{C.peak_rss_mb():.1f}\n"))
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
