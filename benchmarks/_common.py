"""Shared plumbing of the benchmark suite: machine facts, versions, seeds, result files, Markdown and plot helpers.

Every benchmark module exposes ``run(quick: bool) -> dict`` (the measurements, JSON-ready), ``markdown(result) ->
str`` and ``plot(result, path)``.  :func:`write_result` stores the JSON atomically and then regenerates the Markdown
and PNG *from the JSON file just written*, so no figure in a report is typed in or taken from memory.
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
QUICK_RESULTS = RESULTS / "quick"
REFERENCE_FILE = HERE / "reference.json"
ROOT_SEED = 20261125  # root of every SeedSequence in the suite (recorded in every JSON)

PACKAGES = ("estimate", "numpy", "scipy", "pandas", "statsmodels", "numba", "llvmlite", "pymc", "pytensor",
            "arviz", "matplotlib")


# ---------------------------------------------------------------------------------------------------- facts
def cpu_model() -> str:
    """The CPU model as the package's own provenance records it."""
    from estimate.provenance import machine

    return machine()["cpu"]


def ram_gb() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return math.nan


def load_average() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return []


def machine() -> dict[str, Any]:
    """CPU model, logical cores, RAM, OS, Python and the load average when asked (other jobs share the cores)."""
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "ram_gb": ram_gb(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_average_1_5_15min": load_average(),
    }


def versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_commit() -> str | None:
    """The checkout's short commit, with ``+dirty`` when tracked files differ from it (the results were then made
    by code that commit does not hold); None outside a git checkout."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True,
                             timeout=10)
        commit = out.stdout.strip()
        if not commit:
            return None
        # the results folder aside: an earlier benchmark of the same run rewrote its files there, which made
        # every later one read as +dirty
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                 ":(exclude)benchmarks/results"], cwd=HERE.parent,
                                capture_output=True, text=True, timeout=10)
        return commit + "+dirty" if status.returncode == 0 and status.stdout.strip() else commit
    except (OSError, subprocess.SubprocessError):
        return None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def header(name: str, quick: bool) -> dict[str, Any]:
    """The provenance block every result file starts with."""
    return {
        "benchmark": name,
        "mode": "quick" if quick else "full",
        "date": now(),
        "machine": machine(),
        "versions": versions(),
        "git_commit": git_commit(),
        "root_seed": ROOT_SEED,
        "command": " ".join([Path(sys.executable).name, "-m", "benchmarks", *sys.argv[1:]]),
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB): its own high-water mark (Linux ``VmHWM``).

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: on Linux that survives ``exec``, so a benchmark process started by a
    large parent would report the parent's resident size at fork time (seen: every speed case reported the
    621 MB of the process that had run the other benchmarks).  ``ru_maxrss`` is the fallback elsewhere.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reference() -> dict[str, Any]:
    """R (and hand-written PyMC) reference figures copied from shared/data (see the file's ``_source``)."""
    return json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------------- seeds
def seed_for(*labels: str | int) -> np.random.SeedSequence:
    """A SeedSequence keyed by labels under the suite's root seed (strings hashed with CRC-32)."""
    key = tuple(zlib.crc32(v.encode("utf-8")) if isinstance(v, str) else int(v) for v in labels)
    return np.random.SeedSequence(ROOT_SEED, spawn_key=key)


def seed_record(seq: np.random.SeedSequence) -> dict[str, Any]:
    return {"entropy": int(seq.entropy), "spawn_key": [int(k) for k in seq.spawn_key]}


# ---------------------------------------------------------------------------------------------------- output
def results_dir(quick: bool) -> Path:
    return QUICK_RESULTS if quick else RESULTS


def _json_default(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def _clean(value: Any) -> Any:
    """NaN/inf → None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_result(name: str, result: dict[str, Any], quick: bool,
                 markdown: Callable[[dict[str, Any]], str],
                 plot: Callable[[dict[str, Any], Path], None] | None) -> dict[str, Path]:
    """Write ``<name>.json`` atomically, then ``<name>.md`` and ``<name>.png`` generated from that JSON file."""
    from estimate.atomic import atomic_write_text

    folder = results_dir(quick)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    atomic_write_text(path, json.dumps(_clean(result), indent=1, default=_json_default, ensure_ascii=False) + "\n")
    return render(path, markdown, plot)


def render(path: Path, markdown: Callable[[dict[str, Any]], str],
           plot: Callable[[dict[str, Any], Path], None] | None) -> dict[str, Path]:
    """Regenerate the Markdown (and PNG) of one JSON result file."""
    from estimate.atomic import atomic_write_text

    stored = json.loads(path.read_text(encoding="utf-8"))
    md_path = path.with_suffix(".md")
    atomic_write_text(md_path, markdown(stored).rstrip() + "\n")
    written = {"json": path, "md": md_path}
    if plot is not None:
        png = path.with_suffix(".png")
        plot(stored, png)
        written["png"] = png
    return written


def save_figure(fig: Any, path: Path) -> None:
    """Save a matplotlib figure atomically as PNG."""
    import matplotlib.pyplot as plt

    from estimate.atomic import atomic_write_with

    atomic_write_with(path, lambda tmp: fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight"))
    plt.close(fig)


def provenance_lines(result: dict[str, Any]) -> list[str]:
    """Markdown lines with date, mode, machine, load, versions, seed and command."""
    m = result["machine"]
    v = result["versions"]
    load = m.get("load_average_1_5_15min") or []
    extra = ""
    if result.get("load_average_end"):
        extra = f"; at the end {', '.join(f'{x:.2f}' for x in result['load_average_end'])}"
    return [
        f"*{result['mode']} run, {result['date']}; {m['cpu']}, {m['cores']} logical cores, {m['ram_gb']} GB RAM; "
        f"load average (1, 5, 15 min) at the start {', '.join(f'{x:.2f}' for x in load)}{extra}; "
        f"Python {m['python']}; " + ", ".join(f"{k} {val}" for k, val in v.items() if val != "not installed")
        + f"; git {result.get('git_commit')}; root seed {result['root_seed']}; "
        f"`{result['command']}`.*",
    ]


def fmt(value: Any, digits: int = 0, *, pct: bool = False, sign: bool = False) -> str:
    """Number for a Markdown table ('—' for missing)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if pct:
        return f"{100 * value:+.{digits}f}%" if sign else f"{100 * value:.{digits}f}%"
    if sign:
        return f"{value:+,.{digits}f}"
    return f"{value:,.{digits}f}"


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


class Stopwatch:
    """Wall and process-CPU seconds of a block."""

    def __enter__(self) -> Stopwatch:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def band_miss_probability(replicates: int, low: float = 0.93, high: float = 0.97, nominal: float = 0.95) -> float:
    """The chance that a perfectly calibrated interval's measured coverage over ``replicates`` independent
    replicates falls outside [low, high]: the Monte Carlo error a met / not met verdict cannot see."""
    from scipy import stats

    below = stats.binom.cdf(math.ceil(low * replicates - 1e-9) - 1, replicates, nominal)
    above = stats.binom.sf(math.floor(high * replicates + 1e-9), replicates, nominal)
    return float(below + above)
