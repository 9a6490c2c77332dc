"""Re-run a saved result from its provenance and check that the numbers match.

A result's provenance (:mod:`estimate.provenance`) names the method, every parameter, the seed actually used, the
data's content hash and where the data came from (a bundled example or a file, with the options it was read
with).  :func:`reproduce` reloads the data, checks its hash, rebuilds the estimator, fits again and compares the
point estimate and both interval ends::

    >>> import estimate
    >>> from estimate.reproduce import reproduce
    >>> result = estimate.make_estimator("loglinear").fit(estimate.datasets.load("kosovo"))
    >>> reproduce(result).matches
    True

With the same seed every estimator is deterministic, so the default tolerance is zero (exact equality); pass
``rtol`` when comparing across machines or library versions, where floating-point details may differ.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estimate._warning_state import catch_warnings
from estimate.data import CaptureData
from estimate.errors import DataError
from estimate.provenance import seed_from_record, versions
from estimate.results import Result

__all__ = ["Reproduction", "reproduce", "load_recorded_data", "rebuild_estimator"]


@dataclass
class Reproduction:
    """The outcome of :func:`reproduce`: the saved and the re-fitted numbers and whether they match."""

    method: str
    matches: bool
    rtol: float
    compared: list[dict[str, Any]] = field(default_factory=list)
    #: What was compared, in words (``"estimate 10,330, interval [8,808, 13,825]"``, ``"12 strata"``).
    what: str = ""
    version_changes: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    refit: Any = field(default=None, repr=False)

    @property
    def mismatches(self) -> list[dict[str, Any]]:
        return [row for row in self.compared if not row["match"]]

    def verdict(self) -> str:
        """One line: what was compared and whether it matched."""
        tolerance = "exactly" if self.rtol == 0 else f"within a relative tolerance of {self.rtol:g}"
        changed = ""
        if self.version_changes:
            changed = " (versions now differ: " + ", ".join(
                f"{name} {old} → {new}" for name, (old, new) in sorted(self.version_changes.items())) + ")"
        if self.matches:
            return f"reproduced: {self.method} {self.what}: {len(self.compared)} values match {tolerance}{changed}"
        bad = self.mismatches
        shown = "; ".join(f"{row['name']} saved {_fmt(row['saved'], exact=True)}, re-fitted "
                          f"{_fmt(row['refit'], exact=True)}{_difference(row['saved'], row['refit'])}"
                          for row in bad[:3])
        more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
        compared = "compared exactly" if self.rtol == 0 else f"compared {tolerance}"
        return f"NOT reproduced: {self.method}: {shown}{more}; {compared}{changed}"


def _fmt(value: Any, *, exact: bool = False) -> str:
    """A number for the verdict: one decimal, or with ``exact`` every significant digit (a mismatch of 0.01 in
    14,341.71 must not print as 14,341.7 twice)."""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        return f"{value:,.15g}" if exact else f"{value:,.1f}"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _difference(saved: Any, refit: Any) -> str:
    """`` (relative difference 7.0e-07)`` for two different finite numbers, else nothing."""
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (saved, refit))
    if not numbers or not (math.isfinite(saved) and math.isfinite(refit)) or saved == refit:
        return ""
    return f" (relative difference {abs(saved - refit) / max(abs(saved), abs(refit)):.1e})"


def _missing_number(value: Any) -> bool:
    """None or NaN: how a number that does not exist is held in memory (NaN) and in JSON (null, read as None)."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def _close(a: Any, b: Any, rtol: float) -> bool:
    if _missing_number(a) or _missing_number(b):  # a NaN standard error is saved as null and read back as None
        return _missing_number(a) and _missing_number(b)
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):  # the list names
        return isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and list(a) == list(b)
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return a == b if rtol == 0 else math.isclose(a, b, rel_tol=rtol, abs_tol=0.0)


def _check_provenance(provenance: dict[str, Any]) -> None:
    """Refuse a provenance record of the wrong shape (a file edited by hand) with the field it is about."""
    shapes = {"method": str, "params": dict, "data": dict, "versions": dict}
    for key, kind in shapes.items():
        value = provenance.get(key)
        if value is not None and not isinstance(value, kind):
            raise DataError(f"the result's provenance field {key!r} should be {'text' if kind is str else 'a record'}, "
                            f"got {value!r}")
    source = (provenance.get("data") or {}).get("source")
    if source is not None and not isinstance(source, dict):
        raise DataError(f"the result's provenance field 'data.source' should be a record, got {source!r}")
    seed = provenance.get("seed", (provenance.get("params") or {}).get("seed"))
    try:
        seed_from_record(seed)
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"the result's recorded seed {seed!r} is not a seed record (an integer, or entropy and "
                        "spawn_key)") from exc


# ---------------------------------------------------------------------------------------------------- pieces
def load_recorded_data(provenance: dict[str, Any], data: CaptureData | None = None) -> CaptureData:
    """The data a result was fitted to: ``data`` if given, else its recorded source, else a bundled dataset
    with the same content hash.  Raises :class:`DataError` when the content hash does not match."""
    from estimate import datasets

    record = provenance.get("data") or {}
    if not isinstance(record, dict):
        raise DataError(f"the result's provenance 'data' entry is not a record of its data: {record!r}")
    expected = record.get("content_hash")
    source = record.get("source")
    if expected is not None and not isinstance(expected, str):
        raise DataError(f"the result's recorded content hash is not a hash (text): {expected!r}")
    where = "the data given"
    if data is None and source:
        data, where = _read_source(source)
    if data is None and expected:
        for name in datasets.names():
            candidate = datasets.load(name)
            if candidate._matches_recorded_hash(expected):
                data, where = candidate, f"bundled dataset {name!r}"
                break
    if data is None:
        raise DataError(
            "the result does not say where its data came from (it was not fitted from the CLI or a bundled dataset); "
            "give the data file with --data FILE (Python: reproduce(result, data=...))"
        )
    if expected and not data._matches_recorded_hash(expected):
        raise DataError(
            f"{where} does not match the data the result was fitted to: content hash {data.content_hash()[:12]}… "
            f"instead of {expected[:12]}… (the file changed, or was read with other --lists/--count/--strata options)"
        )
    return data


def _read_source(source: dict[str, Any]) -> tuple[CaptureData, str]:
    from estimate import datasets

    kind = source.get("kind")
    options = {"lists": source.get("lists"), "strata": source.get("strata"), "strict": bool(source.get("strict"))}
    with catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "example":
            frame = datasets.load_frame(source["name"])
            return CaptureData.from_frame(frame, count="count", **options), f"bundled dataset {source['name']!r}"
        if kind == "file":
            path = Path(source["path"])
            if not path.is_file():
                raise DataError(f"the recorded data file {str(path)!r} no longer exists; give it with --data FILE")
            read_options = {"encoding": source["encoding"]} if source.get("encoding") else {}
            return (CaptureData.read(path, count=source.get("count"), **options, **read_options),
                    f"data file {str(path)!r}")
    raise DataError(f"the data came from {kind or 'an unknown source'}, which cannot be re-read; give it with --data")


def rebuild_estimator(provenance: dict[str, Any]) -> Any:
    """The estimator of the recorded method with the recorded parameters and seed."""
    from estimate.estimators.base import get_estimator_class

    method = provenance.get("method")
    params = provenance.get("params")
    if not method or params is None:
        raise DataError("the result has no provenance to re-run (no method and parameters recorded)")
    cls = get_estimator_class(method)
    params = dict(params)
    if "seed" in params:
        params["seed"] = seed_from_record(provenance.get("seed", params["seed"]))
    unknown = sorted(set(params) - set(cls._param_names()))
    if unknown:
        made, this = provenance.get("estimate"), versions()["estimate"]
        if made == this:
            raise DataError(f"the recorded parameters of {method!r} include {unknown}, which {method!r} does not have "
                            f"(the result was made by this version, estimate {this}): the file was changed")
        raise DataError(f"method {method!r} no longer has parameter(s) {unknown}: the result was made by estimate "
                        f"{made}, this is {this}")
    return cls(**params)


def _version_changes(provenance: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    now = versions()
    recorded = {"estimate": provenance.get("estimate"), **(provenance.get("dependencies") or {})}
    return {name: (old, now.get(name)) for name, old in recorded.items() if name in now and old != now.get(name)}


# ---------------------------------------------------------------------------------------------------- reproduce
def reproduce(saved: Result | Any | str | Path, *, data: CaptureData | None = None, rtol: float = 0.0) -> Reproduction:
    """Fit again from ``saved``'s provenance and compare estimate, interval ends, level and kind and the standard
    error (per stratum for strata).

    ``saved`` is a :class:`Result`, a :class:`~estimate.strata.StrataResult` or the path of one saved as ``.json``
    or ``.nc``.  ``data`` replaces the recorded data source (its content hash must still match).
    """
    from estimate.export import load_result
    from estimate.strata import StrataResult

    if not rtol >= 0:
        raise DataError(f"rtol (CLI: --rtol) must be a number ≥ 0, got {rtol}")
    if isinstance(saved, (str, Path)):
        saved = load_result(saved)
    from estimate.compare import Comparison

    if isinstance(saved, Comparison):
        # a method given twice is labelled "loglinear#2" in the table; --methods takes it as written the first time
        methods = ",".join(re.sub(r"#\d+$", "", str(method)) for method in saved.table["method"])
        seed = f" --seed {saved.seed}" if isinstance(saved.seed, int) else ""
        raise DataError("this is a comparison of several methods; reproduce re-runs one result (a fit or a "
                        f"stratified run). Re-run the comparison: `estimate compare DATA --methods {methods}{seed}`, "
                        "with its --level and --interval if it set them; or reproduce one of its results (Python: "
                        "reproduce(comparison.results[name]))")
    if saved.provenance is not None and not isinstance(saved.provenance, dict):
        raise DataError(f"the result's provenance is not a record (a JSON object): {saved.provenance!r}")
    provenance = dict(saved.provenance or {})
    if not provenance:
        raise DataError("the result carries no provenance, so it cannot be re-run")
    _check_provenance(provenance)
    data = load_recorded_data(provenance, data)
    estimator = rebuild_estimator(provenance)
    with catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(saved, StrataResult):
            refit, compared = _refit_strata(saved, provenance, data, estimator, rtol)
        else:
            refit = estimator.fit(data)
            compared = [_row(name, getattr_path(saved, name), getattr_path(refit, name), rtol)
                        for name in (*_COMPARED, "observed", "lists")]
            if saved.posterior is not None and refit.posterior is not None:  # a .nc keeps the draws: them too
                compared.append(_draws_row("draws", saved.draws(), refit.draws(), rtol))
    with_draws = any(row["name"].endswith("draws") for row in compared)
    if isinstance(saved, StrataResult):
        what = f"{len(saved.outcomes)} strata (status, estimate, interval{', draws' if with_draws else ''})"
    else:
        what = (f"estimate {_fmt(saved.estimate)}, {saved.interval.describe()} [{_fmt(saved.interval.lower)}, "
                f"{_fmt(saved.interval.upper)}], observed {saved.observed:,}"
                + (f", {compared[-1]['saved']}" if with_draws else ""))
    return Reproduction(method=provenance["method"], matches=all(row["match"] for row in compared), rtol=rtol,
                        compared=compared, what=what, version_changes=_version_changes(provenance), refit=refit)


#: What a re-fit must give again: the numbers, and what they are (the interval's level and kind, the estimate's kind)
_COMPARED = ("estimate", "estimate_kind", "interval.lower", "interval.upper", "interval.level", "interval.kind",
             "std_error")


def getattr_path(obj: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def _row(name: str, saved: Any, refit: Any, rtol: float) -> dict[str, Any]:
    return {"name": name, "saved": saved, "refit": refit, "match": _close(saved, refit, rtol)}


def _draws_row(name: str, saved: Any, refit: Any, rtol: float) -> dict[str, Any]:
    """One row for the posterior draws of N (chains × draws): all equal (or within ``rtol``), or how many
    differ."""
    import numpy as np

    saved, refit = np.asarray(saved, dtype=float), np.asarray(refit, dtype=float)
    if saved.shape != refit.shape:
        return {"name": name, "saved": f"draws shaped {saved.shape}", "refit": f"draws shaped {refit.shape}",
                "match": False}
    same = saved == refit if rtol == 0 else np.isclose(saved, refit, rtol=rtol, atol=0.0)
    same |= np.isnan(saved) & np.isnan(refit)
    shape = " × ".join(f"{n:,}" for n in saved.shape)
    differ = int(saved.size - same.sum())
    return {"name": name, "saved": f"{shape} draws", "match": differ == 0,
            "refit": f"{shape} draws" if differ == 0 else f"{differ:,} of the {saved.size:,} draws differ"}


def _refit_strata(saved: Any, provenance: dict[str, Any], data: CaptureData, estimator: Any,
                  rtol: float) -> tuple[Any, list[dict[str, Any]]]:
    from estimate.strata import fit_strata

    options = provenance.get("strata") or {}
    refit = fit_strata(data, by=list(saved.by), estimator=estimator, seed=seed_from_record(provenance.get("seed")),
                       replicate=options.get("replicate", saved.replicate), min_lists=options.get("min_lists"),
                       min_records=options.get("min_records", 10), level=options.get("level", saved.level),
                       strict=bool(options.get("strict", False)))
    missing = [key for key in saved.outcomes if key not in refit.outcomes]
    if missing and len(refit.outcomes) == len(saved.outcomes):  # same strata, other labels: types, not numbers
        found = next(k for k in refit.outcomes if k not in saved.outcomes)
        raise DataError(
            f"the data give the same strata under other labels: saved {missing[0]!r} "
            f"({', '.join(type(v).__name__ for v in missing[0])}), now {found!r} "
            f"({', '.join(type(v).__name__ for v in found)}); the stratum values were read as other types (e.g. "
            "dates from Parquet, text from CSV), and each stratum's seed comes from its label: re-run with the data "
            "file the result was fitted from")
    compared: list[dict[str, Any]] = []
    for key, outcome in saved.outcomes.items():
        label = "/".join(map(str, key))
        again = refit.outcomes.get(key)
        if again is None:
            compared.append(_row(f"{label} stratum", "present", "missing", rtol))
            continue
        compared.append(_row(f"{label} status", outcome.status, again.status, rtol))
        if outcome.result is not None and again.result is not None:
            for name in _COMPARED:
                compared.append(_row(f"{label} {name}", getattr_path(outcome.result, name),
                                     getattr_path(again.result, name), rtol))
        if outcome.draws is not None and again.draws is not None:  # a .nc keeps the draws: them too
            compared.append(_draws_row(f"{label} draws", outcome.draws, again.draws, rtol))
    return refit, compared
