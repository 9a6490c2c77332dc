"""Provenance: what is needed to know where a result came from and to run it again.

Every :class:`~estimate.results.Result` (and every :class:`~estimate.strata.StrataResult`) carries a
``provenance`` dictionary made by :func:`collect`::

    {
      "estimate": "0.1.0",                      # package version
      "python": "3.12.3", "platform": "Linux-...-x86_64",
      "machine": {"cpu": "AMD EPYC ...", "cores": 2},   # timings (µs per sweep, ESS per second) depend on it
      "dependencies": {"numpy": "2.4.6", "scipy": ..., "pandas": ..., "statsmodels": ..., "numba": ...,
                       "llvmlite": ..., "pymc": ..., "pytensor": ..., "arviz": ..., "xarray": ...},
                                                                      # None when not installed
      "method": "lcmcr", "estimator": "LCMCR",
      "params": {"K": 10, ..., "seed": 1},      # get_params(), JSON-ready
      "seed": 1,                                # int, or {"entropy": ..., "spawn_key": [...]}, or None
      "preset": {"name": "lcmcr-default", "path": ".../lcmcr-default.toml", "text": "<full TOML>",
                 "overrides": {"seed": 1}} | None,
      "data": {"content_hash": "<sha256>", "lists": [...], "observed": 4400, "patterns": 15,
               "strata_columns": [], "source": {"kind": "example", "name": "kosovo", ...} | None},
      "command": ["estimate", "fit", ...] | None,       # the command line, when run from the CLI
      "started": "2025-01-01T12:00:00.000+00:00", "finished": "...", "seconds": 1.25,
    }

Only aggregates and settings are recorded (no host or user names): the data enter as their content hash, list
names and observed count, never as records.  ``estimate reproduce RESULT.json`` uses ``data.source``, ``method``,
``params`` and ``seed`` to fit again and checks that the numbers match.

Versions are read with :mod:`importlib.metadata`, so recording them never imports the heavy libraries.
"""

from __future__ import annotations

import datetime as dt
import functools
import platform
import sys
import threading
import weakref
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from estimate._checks import seed_from_argument, sequence_record

if TYPE_CHECKING:  # pragma: no cover
    from estimate.data import CaptureData

__all__ = [
    "DEPENDENCIES",
    "collect",
    "versions",
    "seed_record",
    "seed_from_record",
    "params_record",
    "note_source",
    "source_of",
    "command_line",
    "machine",
    "timestamp",
]

#: Libraries whose versions are recorded.
#: pytensor compiles the PyMC models and llvmlite the numba kernels: either may change a result's last digits.
DEPENDENCIES = ("numpy", "scipy", "pandas", "statsmodels", "numba", "llvmlite", "pymc", "pytensor", "arviz", "xarray")


@functools.cache
def versions() -> dict[str, str | None]:
    """Installed versions of ``estimate`` and :data:`DEPENDENCIES` (``None`` for a missing one)."""
    found: dict[str, str | None] = {}
    for name in ("estimate", *DEPENDENCIES):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    if found["estimate"] is None:  # running from a source tree that is not installed
        from estimate import __version__

        found["estimate"] = __version__
    return found


def timestamp(moment: dt.datetime | str | None = None) -> str | None:
    """ISO 8601 time with time zone (UTC when ``moment`` is naive); ``None`` stays ``None``."""
    if moment is None or isinstance(moment, str):
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.isoformat(timespec="milliseconds")


def now() -> dt.datetime:
    """The current time in UTC (what :meth:`Estimator.fit` records as start and end)."""
    return dt.datetime.now(dt.UTC)


# ---------------------------------------------------------------------------------------------------- seeds
def seed_record(seed: Any) -> Any:
    """A seed as JSON: an int stays an int; a SeedSequence becomes its entropy (plus spawn key if it has one, and
    pool size if not numpy's default)."""
    if seed is None:
        return None
    if isinstance(seed, np.random.SeedSequence):
        return sequence_record(seed)
    if isinstance(seed, (int, np.integer)):
        return int(seed)
    if isinstance(seed, Mapping) and "entropy" in seed:  # already a record (Comparison.seed of a spawned root)
        return seed_record(seed_from_record(seed))
    if isinstance(seed, Sequence) and not isinstance(seed, str):
        return [int(s) for s in seed]
    raise TypeError(f"cannot record seed of type {type(seed).__name__}; use an int or numpy.random.SeedSequence")


def seed_from_record(record: Any) -> Any:
    """Inverse of :func:`seed_record`: the int (or SeedSequence) to pass as ``seed=`` to fit again."""
    if record is None or isinstance(record, int | Mapping | list):
        return seed_from_argument(record)
    raise ValueError(f"unrecognised seed record {record!r}")


def params_record(params: Mapping[str, Any]) -> dict[str, Any]:
    """Estimator parameters as JSON-ready values (the seed in the form of :func:`seed_record`)."""
    from estimate.results import _jsonable

    out: dict[str, Any] = {}
    for key, value in params.items():
        out[key] = seed_record(value) if key == "seed" else _jsonable(value)
    return out


# ---------------------------------------------------------------------------------------------------- data source
# Which file or bundled example a CaptureData object was read from.  Kept beside the object (weak references,
# keyed by id) rather than on it, so the data class stays free of I/O concerns.
_SOURCES: dict[int, tuple[weakref.ref, dict[str, Any]]] = {}
#: re-entrant: a garbage-collection pass started while note_source holds it can free a noted object, whose
#: callback (_forget) then takes it again in the same thread (a plain Lock deadlocked there)
_SOURCES_LOCK = threading.RLock()


def note_source(data: CaptureData, source: Mapping[str, Any]) -> None:
    """Remember where ``data`` came from (``{"kind": "example", "name": "kosovo", ...}`` or a file path).

    Fits of this very object record it in ``provenance["data"]["source"]`` so ``estimate reproduce`` can reload it.
    """
    key = id(data)

    def _forget(_ref: weakref.ref, key: int = key) -> None:
        with _SOURCES_LOCK:
            _SOURCES.pop(key, None)

    with _SOURCES_LOCK:
        _SOURCES[key] = (weakref.ref(data, _forget), dict(source))


def source_of(data: Any) -> dict[str, Any] | None:
    """The source noted for ``data`` with :func:`note_source`, or ``None``."""
    with _SOURCES_LOCK:
        entry = _SOURCES.get(id(data))
    if entry is None or entry[0]() is not data:
        return None
    return dict(entry[1])


def file_source(path: str | Path, *, lists: Sequence[str] | None = None, count: str | None = None,
                strata: Sequence[str] | None = None, strict: bool = False,
                encoding: str | None = None) -> dict[str, Any]:
    """Source record of a CSV/Parquet file read with these options (``"-"`` is standard input); ``encoding`` is
    recorded when one was named."""
    extra = {"encoding": encoding} if encoding else {}
    if str(path) == "-":
        return {"kind": "stdin", "lists": _opt(lists), "count": count, "strata": _opt(strata), "strict": strict,
                **extra}
    return {"kind": "file", "path": str(Path(path).expanduser().resolve()), "lists": _opt(lists), "count": count,
            "strata": _opt(strata), "strict": strict, **extra}


def example_source(name: str, *, lists: Sequence[str] | None = None, strata: Sequence[str] | None = None,
                   strict: bool = False) -> dict[str, Any]:
    """Source record of a bundled dataset (``estimate.datasets``)."""
    return {"kind": "example", "name": name, "lists": _opt(lists), "count": "count", "strata": _opt(strata),
            "strict": strict}


def _opt(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else [str(v) for v in values]


def data_record(data: CaptureData, source: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Aggregate description of the data: content hash, list names, counts; never records."""
    if source is None:
        source = source_of(data)
    return {
        "content_hash": data.content_hash(),
        "lists": list(data.lists),
        "observed": int(data.observed),
        "patterns": int(len(data.counts)),
        "strata_columns": list(data.strata_columns),
        "source": None if source is None else dict(source),
    }


# ---------------------------------------------------------------------------------------------------- command
def command_line() -> list[str]:
    """The command line of this run, e.g. ``["estimate", "fit", "data.csv", "--method", "lcmcr"]``.

    ``sys.argv`` when the ``estimate`` program (or ``python -m estimate``) is running; when the CLI is invoked
    in-process (tests, notebooks via ``typer.testing``) ``sys.argv`` belongs to the host program, so the
    command and its parameters are rebuilt from the click context instead.
    """
    path = Path(sys.argv[0]) if sys.argv else Path()
    program = path.name
    # the console script, or ``python -m estimate`` (whose argv[0] is estimate/__main__.py, not pytest's)
    if program.startswith("estimate") or (program == "__main__.py" and path.parent.name == "estimate"):
        return ["estimate", *sys.argv[1:]]
    ctx = _click_context()
    if ctx is None:
        return [program, *sys.argv[1:]]
    words = ["estimate", *ctx.command_path.split()[1:]]
    declared = {param.name: param for param in getattr(ctx.command, "params", [])}
    arguments, options = [], []
    for key, value in ctx.params.items():
        if value is None or value is False:
            continue
        param = declared.get(key)
        if param is not None and getattr(param, "param_type_name", "") == "argument":  # positional, as typed
            arguments.extend(str(v) for v in (value if isinstance(value, (list, tuple)) else [value]))
            continue
        # the option as the user types it (--format, not the parameter's Python name fmt)
        long = [o for o in getattr(param, "opts", []) if o.startswith("--")] if param is not None else []
        name = long[0] if long else f"--{key.replace('_', '-')}"
        options.append(name if value is True else f"{name}={value}")
    return [*words, *arguments, *options]


def _click_context() -> Any:
    """The running CLI command's context: typer >= 0.29 ships its own copy of click, older ones use click."""
    import importlib

    for module in ("typer._click.globals", "click"):
        try:
            ctx = importlib.import_module(module).get_current_context(silent=True)
        except (ImportError, AttributeError):
            continue
        if ctx is not None:
            return ctx
    return None


# ---------------------------------------------------------------------------------------------------- collect
def _preset_record(preset: Any) -> dict[str, Any] | None:
    if preset is None:
        return None
    if isinstance(preset, Mapping):
        return {"name": preset.get("name"), "path": preset.get("path"), "text": preset.get("text")}
    if isinstance(preset, (str, Path)):
        from estimate.presets import load_preset

        preset = load_preset(preset)
    return {"name": preset.name, "path": preset.path, "text": preset.text}


def _preset_overrides(preset: Any, estimator: Any) -> dict[str, Any]:
    """The parameters the fit used that are not the preset's: a value the preset sets, changed, or one it leaves
    to the estimator's default, given (``make_estimator(model="lcmcr-default", K=2)``, ``--seed``, ``--level``)."""
    used = params_record(estimator.get_params())
    defaults = params_record(type(estimator)().get_params())
    meant = {**defaults, **params_record(dict(preset.params))}
    return {key: value for key, value in used.items() if key in meant and meant[key] != value}


@functools.cache
def machine() -> dict[str, Any]:
    """CPU model (from /proc/cpuinfo, else :func:`platform.processor`) and logical core count: the timing
    diagnostics of a result depend on them.  No host name (results are shared; it can identify who ran them)."""
    import os

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu or platform.processor() or platform.machine(), "cores": os.cpu_count()}


def collect(
    *,
    seed: Any = None,
    preset: Any = None,
    data: CaptureData | None = None,
    command: Sequence[str] | None = None,
    started: dt.datetime | str | None = None,
    finished: dt.datetime | str | None = None,
    estimator: Any = None,
    source: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The provenance record of one fit or run (see the module docstring for its fields).

    Parameters
    ----------
    seed
        The seed actually used: an int or a ``numpy.random.SeedSequence`` (recorded as its entropy and spawn key).
        Defaults to the estimator's ``seed`` parameter.
    preset
        A :class:`~estimate.presets.Preset`, a preset name or path, or ``None``; defaults to the preset the
        estimator was built from by :func:`~estimate.presets.make_estimator`.
    data
        The :class:`~estimate.data.CaptureData` fitted: recorded by content hash, list names and counts.
    command
        The command line (the CLI passes :func:`command_line`).
    started, finished
        Start and end of the fit (datetimes or ISO strings).
    estimator
        The fitted estimator: its registry name, class and :meth:`get_params`.
    source
        Where the data came from (defaults to what :func:`note_source` recorded for ``data``).
    """
    found = versions()
    record: dict[str, Any] = {
        "estimate": found["estimate"],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": dict(machine()),
        "dependencies": {name: found[name] for name in DEPENDENCIES},
        "method": None,
        "estimator": None,
        "params": None,
        "seed": None,
        "preset": None,
        "data": None,
        "command": None if command is None else [str(word) for word in command],
        "started": timestamp(started),
        "finished": timestamp(finished),
        "seconds": None,
    }
    if estimator is not None:
        params = estimator.get_params()
        record["method"] = getattr(estimator, "name", None) or None
        record["estimator"] = type(estimator).__name__
        record["params"] = params_record(params)
        if seed is None:
            seed = params.get("seed")
        if preset is None:
            preset = getattr(estimator, "_preset", None)
    record["seed"] = seed_record(seed)
    record["preset"] = _preset_record(preset)
    if record["preset"] is not None and estimator is not None and not isinstance(preset, (Mapping, str, Path)):
        record["preset"]["overrides"] = _preset_overrides(preset, estimator)
    if data is not None:
        record["data"] = data_record(data, source)
    elif source is not None:
        record["data"] = {"source": dict(source)}
    if isinstance(started, dt.datetime) and isinstance(finished, dt.datetime):
        record["seconds"] = (finished - started).total_seconds()
    return record
