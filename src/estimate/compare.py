"""Fit several methods to the same data and put their estimates side by side.

Different models make different assumptions (independent lists, log-linear dependence, latent classes,
decomposable graphs ...) and on real data their estimates of the total can differ by far more than any one of
their intervals.  :func:`compare` fits each requested method, keeps going when one does not apply or fails, and
returns a :class:`Comparison` with a tidy table and a forest plot with the documented count marked::

    >>> import estimate
    >>> comparison = estimate.compare(estimate.datasets.load("kosovo"), ["chapman", "loglinear"])
    >>> comparison.table[["method", "status"]].to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'method': 'chapman', 'status': 'not applicable'}, {'method': 'loglinear', 'status': 'ok'}]

Methods are registry names (``"lcmcr"``) or ``"name:preset"`` (``"lcmcr:lcmcr-long"``, the preset being a bundled
name or a TOML path), or already configured estimator objects.  Each method gets its own seed derived from
``seed`` and its method and preset names (``SeedSequence(seed, spawn_key=(crc32("lcmcr:my-preset"),))``; a
bare method by its name; an estimator object by its name and the parameters it sets away from their defaults,
as a ``models={"lcmcr": {"K": 5}}`` mapping of those parameters is — or by its label when a parameter's value
has no text that stays the same from run to run, such as an object of a user's class), so its draws do not
depend on which other methods are compared or in what order, nor on how the preset's path is spelled or
whether it came through ``models=``.  Only rows that would draw alike (the same method twice, with the same
settings) are told apart by their position (``"lcmcr#2"``).
"""

from __future__ import annotations

import json
import math
import time
import warnings
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from estimate._checks import (
    check_interval_kind,
    check_level,
    check_seed,
    is_real,
    seed_from_argument,
    seed_record,
)
from estimate._warning_state import catch_warnings
from estimate.data import CaptureData
from estimate.errors import DataError
from estimate.estimators.base import Estimator, NotApplicable, get_estimator_class, method_names
from estimate.results import (
    Result,
    _from_json_float,
    _jsonable,
    interval_label,
    is_timing_key,
    level_percent,
    preformatted_html,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["compare", "Comparison", "TABLE_COLUMNS"]

#: Columns of :attr:`Comparison.table`, in order.
TABLE_COLUMNS = (
    "method",
    "status",
    "estimate",
    "lower",
    "upper",
    "level",
    "interval_kind",
    "estimate_kind",
    "observed",
    "r_hat",
    "ess_bulk",
    "ess_tail",
    "divergences",
    "std_error",
    "deviance",
    "df",
    "aic",
    "seconds",
    "model",
    "reason",
    "warnings",
)

OK, NOT_APPLICABLE, FAILED = "ok", "not applicable", "failed"
#: numeric columns of the table (NaN is written to JSON as null and read back as NaN)
_NUMERIC_COLUMNS = ("estimate", "lower", "upper", "level", "r_hat", "ess_bulk", "ess_tail", "divergences",
                    "std_error", "deviance", "df", "aic", "seconds")
#: the likelihood methods' fit statistics, as Rcapture's closedp.t tabulates them (NaN for the others)
_FIT_COLUMNS = ("std_error", "deviance", "df", "aic")


@dataclass(eq=False)
class Comparison:
    """The outcome of :func:`compare`: one row per method, the fitted results and a forest plot.

    Attributes
    ----------
    table
        DataFrame with the columns of ``estimate.compare.TABLE_COLUMNS``: the method label, ``status``
        (``"ok"``, ``"not applicable"``, ``"failed"``), point estimate, interval (lower, upper, level, kind), what
        the estimate is (MLE, posterior median ...), the observed count, sampler diagnostics where relevant (R-hat,
        bulk and tail ESS of N, NUTS divergences), the frequentist methods' standard error and the likelihood
        methods' deviance, degrees of freedom and AIC (the columns of Rcapture's ``closedp.t``; NaN for the
        others), run time in seconds, the model description, for rows that are not ``ok`` the reason, and the
        warnings each method gave.
    results
        ``{label: Result}`` of the methods that succeeded.
    observed
        The number of distinct people documented on at least one list.
    lists
        The list names.
    seed
        The root seed all per-method seeds were derived from: the integer given, else the entropy, with the spawn
        key when the root was a spawned SeedSequence (pass it back as ``seed=`` to repeat the comparison).
    """

    table: pd.DataFrame
    results: dict[str, Result] = field(default_factory=dict)
    observed: int = 0
    lists: tuple[str, ...] = ()
    seed: Any = None

    def __str__(self) -> str:
        notes = {name: str(result.details["interval_note"]) for name, result in self.results.items()
                 if result.details.get("interval_note")}
        return format_table(self.table, notes=notes)

    def _repr_html_(self) -> str:
        """Jupyter's display: the table of ``str()``."""
        return preformatted_html(str(self))

    def __repr__(self) -> str:  # the dataclass default printed the whole table and every result (≈ 6,000 characters)
        status = self.table["status"].value_counts()
        counts = ", ".join(f"{name.replace(' ', '_')}={int(status.get(name, 0))}"
                           for name in (OK, NOT_APPLICABLE, FAILED))
        return (f"Comparison(methods={list(self.table['method'])}, {counts}, observed={self.observed}, "
                f"seed={self.seed!r})")

    def __eq__(self, other: object) -> bool:
        """Equal when the rows, results, documented count, lists and seed are; run times are not compared (two
        comparisons with the same seed are equal)."""
        if not isinstance(other, Comparison):
            return NotImplemented
        timing = [c for c in {*self.table.columns, *other.table.columns} if is_timing_key(str(c))]
        return ((self.observed, tuple(self.lists), self.seed) == (other.observed, tuple(other.lists), other.seed)
                and self.results == other.results
                and self.table.drop(columns=timing, errors="ignore").equals(
                    other.table.drop(columns=timing, errors="ignore")))

    def ok(self) -> pd.DataFrame:
        """Rows of the methods that produced an estimate."""
        return self.table[self.table["status"] == OK]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: observed count, lists, seed, and the table as records (with each result's details)."""
        rows = self.table.to_dict(orient="records")  # not table.to_json, which writes ∞ as null
        for row in rows:
            result = self.results.get(row["method"])
            if result is not None:
                row["result"] = result.to_dict()
        return _jsonable({"kind": "Comparison", "observed": self.observed, "lists": list(self.lists),
                          "seed": self.seed, "methods": rows})

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> Comparison:
        """Inverse of :meth:`to_dict` (the results without posterior draws, as :meth:`Result.from_dict`)."""
        rows, results = [], {}
        for record in payload["methods"]:
            row = {column: record.get(column) for column in TABLE_COLUMNS}
            for column in _NUMERIC_COLUMNS:
                row[column] = math.nan if row[column] is None else _from_json_float(row[column])
            if record.get("result") is not None:
                results[row["method"]] = Result._from_dict_unchecked(record["result"])
                if not any(column in record for column in _FIT_COLUMNS):  # saved before these columns existed
                    row.update({column: value for column, value in _closedp_columns(results[row["method"]]).items()
                                if not math.isnan(value)})
            rows.append(row)
        return cls(table=pd.DataFrame(rows, columns=list(TABLE_COLUMNS)), results=results,
                   observed=int(payload["observed"]), lists=tuple(payload.get("lists", ())),
                   seed=payload.get("seed"))

    def save(self, path: Any) -> Path:
        """Write atomically, format by suffix: ``.json`` (the table with every result and the seed; read back with
        :func:`estimate.load_result`), ``.csv`` or ``.parquet`` (the table).  Returns the path."""
        from estimate.atomic import atomic_write_text, atomic_write_with
        from estimate.export import output_path, parquet_ready, refuse_writing_over_data

        path = output_path(path)
        suffix = path.suffix.lower()
        for result in self.results.values():
            refuse_writing_over_data(result.provenance, path)
        if suffix == ".json":
            atomic_write_text(path, self.to_json() + "\n")
        elif suffix == ".csv":
            atomic_write_with(path, lambda tmp: self.table.to_csv(tmp, index=False, lineterminator="\n"))
        elif suffix in (".parquet", ".pq"):
            atomic_write_with(path, lambda tmp: parquet_ready(self.table).to_parquet(tmp, index=False))
        else:
            raise DataError(f"cannot save a comparison as {path.name!r}: give a .json, .csv or .parquet (.pq) file")
        return path

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as JSON text (``kwargs`` go to :func:`json.dumps`; indented by 2 by default)."""
        kwargs.setdefault("indent", 2)
        return json.dumps(self.to_dict(), **kwargs)

    def plot(self, ax: Any = None, *, title: str | None = None) -> Figure:
        """Forest plot: each method's estimate and interval, the documented count as a dashed line.

        Methods that did not produce an estimate are listed with the reason.  Returns the matplotlib Figure
        (save it with ``fig.savefig("compare.png")``).  ``title`` replaces the default title; ``ax`` draws on
        that Axes instead of a new figure.
        """
        from estimate.plots import plot_forest

        return plot_forest(self, ax, title=title)


# ---------------------------------------------------------------------------------------------------- fitting
def _parse_method(spec: str | Estimator, models: Mapping[str, Any] | None) -> tuple[str, str | None, Any]:
    """(label, method name or None, preset or None / the estimator object)."""
    if isinstance(spec, Estimator):
        return spec.name or type(spec).__name__, None, spec
    if not isinstance(spec, str) or not spec.strip():
        raise DataError(f"a method must be a name such as 'lcmcr' or 'lcmcr:lcmcr-long', got {spec!r}")
    text = spec.strip()
    name, _, preset = text.partition(":")
    name = name.strip().lower()
    preset = preset.strip() or None
    settings = {str(key).strip().lower(): value for key, value in (models or {}).items()}  # as compare checks them
    if name in settings:
        if preset is not None:  # both would configure the row, and one would be dropped without a word
            raise DataError(f"method {text!r} names its preset and models= also gives settings for {name!r}; use "
                            "one or the other")
        preset = settings[name]
    return text, name, preset


def _configure(name: str | None, preset: Any, seed: int, level: float | None,
               interval: str | None = None) -> Estimator:
    """The estimator for one row: from the registry (and preset or parameter dict), or a given object.  ``level``
    (when not None) replaces the estimator's or preset's own level, and ``interval`` the credible-interval kind
    of a Bayesian method (a frequentist one keeps its own kind of interval).  A seed the row sets itself (an object's, a
    preset's ``seed = 7``, a parameter dict's) is kept; otherwise the row gets ``seed``."""
    from estimate.presets import make_estimator

    if name is not None:  # built from the registry, then configured as a given object is
        params = dict(preset) if isinstance(preset, Mapping) else {}  # models={"lcmcr": {"K": 5}}
        preset = make_estimator(name, None if isinstance(preset, Mapping) else preset, **params)
    valid = set(preset._param_names())
    changes: dict[str, Any] = {"level": level} if "level" in valid and level is not None else {}
    if "interval" in valid and interval is not None and preset.bayesian:  # sparsemse's interval= is bca/log-normal
        changes["interval"] = interval
    if "seed" in valid and getattr(preset, "seed", None) is None:
        changes["seed"] = seed
    return preset.clone(**changes) if changes else preset


def _seed_label(label: str, name: str | None, preset: Any) -> str:
    """What a row's seed is derived from: the method and its preset's own name, so that ``"lcmcr:my.toml"``,
    ``"lcmcr:./my.toml"``, a full path and ``models={"lcmcr": "my.toml"}`` draw alike; parameters given as a
    mapping by their sorted text; an estimator object (or a bare method) by its label."""
    from estimate.presets import load_preset

    if name is None:  # an estimator object: by what it sets, not by its place among the methods compared
        return _object_seed_label(label, preset)
    if not preset:  # 'dga', 'DGA ' and models={'dga': {}} alike
        return name
    if isinstance(preset, Mapping):
        return _settings_label(name, preset)
    return f"{name}:{load_preset(preset).name}"


def _settings_label(name: str, settings: Mapping[str, Any]) -> str:
    """``name:{...}``: a method and parameters by their sorted text (a ``models=`` mapping, or what an estimator
    object changes from its defaults: the two draw alike)."""
    return f"{name}:{json.dumps({str(k): repr(v) for k, v in sorted(settings.items())}, sort_keys=True)}"


def _object_seed_label(label: str, estimator: Estimator) -> str:
    """``name`` for an estimator object with default parameters, ``name:{...}`` with those it sets otherwise
    (the text a ``models=`` mapping of the same settings gives); the seed and thread count draw nothing."""
    try:
        defaults = type(estimator)().get_params()
        params = estimator.get_params()
    except Exception:  # noqa: BLE001 - an estimator class of the user's that needs arguments: its label
        return label
    changed = {k: _plain_value(v) for k, v in params.items()
               if k != "seed" and (k not in defaults or repr(_plain_value(defaults[k])) != repr(_plain_value(v)))}
    if not all(_has_stable_text(v) for v in changed.values()):  # e.g. an object whose text is its memory address
        return label
    name = estimator.name or label
    return _settings_label(name, changed) if changed else name


def _plain_value(value: Any) -> Any:
    """A numpy scalar as the Python number it holds (``np.int64(5)`` reads ``5``, as in a preset or a mapping)."""
    return value.item() if isinstance(value, np.generic) else value


def _has_stable_text(value: Any) -> bool:
    """Whether ``repr(value)`` is the same in every run: numbers, text, booleans, None, and tuples or lists of
    them — not an object shown by its memory address."""
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, tuple | list):
        return all(_has_stable_text(v) for v in value)
    return False


def _method_seed(root: np.random.SeedSequence, label: str) -> int:
    child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, zlib.crc32(label.encode("utf-8"))))
    return int(child.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))  # non-negative int63 for any API


def _row(label: str, status: str, *, result: Result | None = None, reason: str = "", seconds: float = math.nan,
         observed: int, caught: Sequence[str] = ()) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(TABLE_COLUMNS, None)
    if result is not None:  # a two-list method given lists= documents fewer people than the data holds
        observed = result.observed
    row.update({"method": label, "status": status, "observed": observed, "seconds": seconds, "reason": reason,
                "warnings": "; ".join(caught), "estimate": math.nan, "lower": math.nan, "upper": math.nan,
                "r_hat": math.nan, "ess_bulk": math.nan, "ess_tail": math.nan, "divergences": math.nan,
                "level": math.nan, **dict.fromkeys(_FIT_COLUMNS, math.nan)})
    if result is not None:
        diag = result.diagnostics
        row.update(
            {
                "model": result.model,
                "estimate": float(result.estimate),
                "lower": float(result.interval.lower),
                "upper": float(result.interval.upper),
                "level": float(result.interval.level),
                "interval_kind": result.interval.kind,
                "estimate_kind": result.estimate_kind,
                "r_hat": float(diag.get("r_hat", math.nan) if diag.get("r_hat") is not None else math.nan),
                "ess_bulk": float(diag.get("ess_bulk", math.nan) if diag.get("ess_bulk") is not None else math.nan),
                "ess_tail": float(diag.get("ess_tail", math.nan) if diag.get("ess_tail") is not None else math.nan),
                "divergences": float(diag["divergences"]) if diag.get("divergences") is not None else math.nan,
            }
        )
        row.update(_closedp_columns(result))
    return row


def _closedp_columns(result: Result) -> dict[str, float]:
    """closedp.t's columns of a result: a frequentist method's standard error (a posterior's SD is not one: NaN
    here), and the deviance, df and AIC of the methods that report them."""
    # by the method: dga's lower bound (its posterior past the grid) still carries a posterior SD
    bayesian = result.method in method_names() and get_estimator_class(result.method).bayesian
    posterior = bayesian or str(result.estimate_kind).startswith("posterior")
    values = {"std_error": None if posterior else result.std_error, "deviance": result.diagnostics.get("deviance"),
              "df": result.diagnostics.get("df"), "aic": result.diagnostics.get("aic")}
    return {column: float(value) if is_real(value) else math.nan for column, value in values.items()}


def compare(
    data: CaptureData | pd.DataFrame,
    methods: Iterable[str | Estimator] | str,
    *,
    seed: int | np.random.SeedSequence | None = None,
    level: float | None = None,
    models: Mapping[str, str | Path | Mapping[str, Any]] | None = None,
    interval: str | None = None,
) -> Comparison:
    """Fit every method to ``data``; rows for methods that do not apply or fail say why instead of raising.

    A method name that is not registered (a typo), a preset that does not exist or configures another method,
    and a parameter a method does not have raise :class:`~estimate.errors.DataError` before any fit.

    Parameters
    ----------
    data
        Unstratified :class:`CaptureData` (or a DataFrame accepted by ``CaptureData.from_frame``).
    methods
        Registry names (``"chapman"``, ``"loglinear"``, ``"lcmcr"``, ``"dga"``, ``"bayes-loglinear"`` ...),
        ``"name:preset"`` strings, configured :class:`~estimate.estimators.base.Estimator` objects (a list or any
        iterable, read once), or one comma-separated string.
    seed
        Root seed (int, ``SeedSequence`` or a recorded :attr:`Comparison.seed`); each random method gets an
        independent seed derived from it and its label, unless the row sets its own (an estimator object with a
        seed, a preset with ``seed = …``, or ``models={"lcmcr": {"seed": 7}}``), which is kept.  ``None`` draws
        fresh entropy, recorded in :attr:`Comparison.seed`.
    level
        Interval level given to every method that has a ``level`` parameter; by default each method keeps its own
        (0.95, or its preset's).
    interval
        Credible-interval kind, ``"equal-tailed"`` or ``"hdi"``, for every Bayesian method; frequentist methods keep
        their own kind of confidence interval.  By default each method keeps its own (its preset's).
    models
        Preset (name or TOML path) or a dict of parameters per method name, used when a method is given without
        ``:preset``; e.g. ``{"lcmcr": "lcmcr-long", "bayes-loglinear": {"chains": 2}}``.

    A method raising :class:`~estimate.estimators.base.NotApplicable` (e.g. Chapman with more than two lists)
    gives a ``"not applicable"`` row with the reason; any other exception gives a ``"failed"`` row with the
    message; the other methods still run.  Warnings issued by a method are recorded in its row and re-issued
    with its label in front (``[chapman] chapman: only …``), so a ``message=`` filter must allow for the prefix
    (``message=r".*chapman: only"``; category filters work as they are).
    """
    if isinstance(data, pd.DataFrame):
        data = CaptureData.from_frame(data)
    if not isinstance(data, CaptureData):
        raise DataError(f"compare needs CaptureData or a pandas DataFrame, got {type(data).__name__}")
    if data.strata_columns:
        raise DataError(
            f"the data is stratified by {list(data.strata_columns)}; compare the pooled data "
            "(data.without_strata()) or each stratum (data.by(...))"
        )
    if level is not None:
        check_level(level)
    interval = check_interval_kind(interval)
    if isinstance(methods, str):
        methods = [m for m in methods.split(",") if m.strip()]
    elif isinstance(methods, Estimator) or not isinstance(methods, Iterable):  # None, a number: a TypeError before
        raise DataError("methods must be a list of method names or estimators (or one comma-separated text), e.g. "
                        f"['chapman', 'loglinear', 'lcmcr'], got {methods!r}")
    else:  # once: an iterator read by the first pass left none for the fits (an empty Comparison, silently)
        methods = list(methods)
    if models is not None and not isinstance(models, Mapping):  # a list: an AttributeError from .items() before
        raise DataError("models must map a method name to its preset or settings, e.g. {'lcmcr': 'lcmcr-long'}, "
                        f"got {models!r}")
    if not methods:
        raise DataError("give at least one method to compare, e.g. ['chapman', 'loglinear', 'lcmcr']")
    check_seed(seed, "compare")
    seed = seed_from_argument(seed)  # a recorded seed ({"entropy", "spawn_key"}, or [1, 2]) as its SeedSequence
    names = [_parse_method(spec, models)[1] for spec in methods]
    unknown = [name for name in names if name is not None and name not in method_names()]
    unknown += [key for key in (models or {}) if str(key).strip().lower() not in method_names()]
    if unknown:  # a typo is the user's to fix, not a "failed" row (nor a silently ignored models= entry)
        from estimate.presets import load_preset, preset_names

        presets = {key: load_preset(key).method for key in (str(u).strip().lower() for u in unknown)
                   if key in preset_names()}
        hint = "".join(f"; {key!r} is a model preset: compare it as '{method}:{key}'"
                       for key, method in presets.items())
        raise DataError(f"unknown method(s) {unknown}; available: {', '.join(method_names())}{hint}")
    unused = [key for key in (models or {}) if str(key).strip().lower() not in names]
    if unused:  # settings for a method that is not compared would be silently ignored
        raise DataError(f"models= gives settings for {unused}, which are not among the methods compared {names}")
    root = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    rows: list[dict[str, Any]] = []
    results: dict[str, Result] = {}
    seen: dict[str, int] = {}
    seen_seeds: dict[str, int] = {}
    configured: list[tuple[str, Estimator]] = []
    for spec in methods:  # every estimator built first: a bad preset or parameter stops the run before any fit
        label, name, preset = _parse_method(spec, models)
        suffix = ""
        if label in seen:  # the same method twice (e.g. two configured objects): keep labels unique
            seen[label] += 1
            suffix = f"#{seen[label]}"
        else:
            seen[label] = 1
        seed_label = _seed_label(label, name, preset)
        seen_seeds[seed_label] = seen_seeds.get(seed_label, 0) + 1
        if seen_seeds[seed_label] > 1:  # rows that would draw alike: told apart by their position
            seed_label += f"#{seen_seeds[seed_label]}"
        estimator = _configure(name, preset, _method_seed(root, seed_label), level, interval)
        label += suffix
        estimator.check_params()
        configured.append((label, estimator))
    for label, estimator in configured:
        start = time.perf_counter()
        result: Result | None = None
        status, reason = OK, ""
        with catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = estimator.fit(data)
            except NotApplicable as exc:
                status, reason = NOT_APPLICABLE, str(exc)
            except Exception as exc:  # one broken method must not stop the comparison
                status = FAILED
                reason = str(exc) if isinstance(exc, DataError) else f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - start
        rows.append(_row(label, status, result=result, reason=reason, seconds=seconds, observed=data.observed,
                         caught=[str(w.message) for w in caught]))
        if result is not None:
            results[label] = result
        for w in caught:
            warnings.warn(f"[{label}] {w.message}", w.category, stacklevel=2)
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS))
    return Comparison(table=table, results=results, observed=data.observed, lists=data.lists,
                      seed=seed_record(seed, root))  # with a spawned sequence's key: entropy alone names another


# ---------------------------------------------------------------------------------------------------- output
def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    return f"{value:,.0f}"


def _kind_text(level: float, kind: str) -> str:
    """"95% confidence (log-normal)", "95% credible (hdi)", or "95%: no upper limit": what the interval is."""
    return f"{level_percent(level)}: no upper limit" if kind == "none" else interval_label(level, kind)


def format_table(table: pd.DataFrame, notes: dict[str, str] | None = None) -> str:
    """A compact human-readable rendering of a comparison table; ``notes`` (method → text) are printed under it,
    e.g. that a searched log-linear model's interval leaves out the search (the results' ``interval_note``)."""
    lines = []
    shown = pd.DataFrame(
        {
            "method": table["method"],
            # a lower bound (Chao's; dga's past its grid) is not an estimate of N: "≥ 12,299" says so where read
            "estimate": [("≥ " if kind == "lower bound" and status == OK and math.isfinite(value) else "")
                         + _fmt(value) for value, kind, status
                         in zip(table["estimate"], table["estimate_kind"], table["status"], strict=True)],
            "interval": [
                f"[{_fmt(lo)}, {_fmt(hi)}]" if status == OK else ""
                for lo, hi, status in zip(table["lower"], table["upper"], table["status"], strict=True)
            ],
            "kind": [_kind_text(lvl, kind) if status == OK else "" for lvl, kind, status
                     in zip(table["level"], table["interval_kind"], table["status"], strict=True)],
            "r_hat": table["r_hat"].map(lambda v: "" if v is None or math.isnan(v) else f"{v:.3f}"),
            "ess_bulk": table["ess_bulk"].map(lambda v: "" if v is None or math.isnan(v) else f"{v:,.0f}"),
            "ess_tail": table["ess_tail"].map(lambda v: "" if v is None or math.isnan(v) else f"{v:,.0f}"),
            "seconds": table["seconds"].map(lambda v: "" if v is None or math.isnan(v) else f"{v:.1f}"),
            "status": table["status"],
        }
    )
    if "aic" in table.columns and table["aic"].notna().any():  # the likelihood methods' fit, as closedp.t shows it
        position = list(shown.columns).index("seconds")
        for column, template in (("deviance", "{:,.1f}"), ("df", "{:.0f}"), ("aic", "{:,.1f}")):
            shown.insert(position, column.upper() if column == "aic" else column,
                         table[column].map(lambda v, t=template: "" if v is None or math.isnan(v) else t.format(v)))
            position += 1
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_colwidth", 60):
        lines.append(shown.to_string(index=False))
    observed = int(table["observed"].max()) if len(table) else 0  # the data's (a row on fewer lists has fewer)
    lines.append(f"\nDocumented (on at least one list): {observed:,}")
    if ((table["estimate_kind"] == "lower bound") & (table["status"] == OK)).any():
        lines.append("≥: the method's estimate is only a lower bound of the total (Chao's bound, or a dga posterior "
                     "reaching past its grid), not the total itself; its interval is the bound's, not an upper limit "
                     "for the total")
    for method, note in (notes or {}).items():  # an interval that means less than its label (beside BCa's, say)
        lines.append(f"{method}: note: {note}")
    for _, row in table[table["status"] != OK].iterrows():
        lines.append(f"{row['method']}: {row['status']}: {row['reason']}")
    for _, row in table[(table["status"] == OK) & (table["warnings"].fillna("") != "")].iterrows():
        lines.append(f"{row['method']}: warned: {row['warnings']}")  # a prior-driven or unconverged fit says so
    differing = table[(table["status"] == OK) & (table["observed"] != observed)]
    for _, row in differing.iterrows():
        lines.append(f"{row['method']}: documents {row['observed']:,} of them (the lists it uses)")
    return "\n".join(lines)


def forest_plot(table: pd.DataFrame, observed: int, *, ax: Any = None, title: str | None = None) -> Figure:
    """Forest plot of a comparison table: :func:`estimate.plots.plot_forest` (the one implementation)."""
    from estimate.plots import plot_forest

    return plot_forest(table, ax, observed=observed, title=title)
