"""Stratified estimation: fit every stratum, pool imputation replicates, add strata up to totals.

Real analyses estimate per stratum (region × period × victim group) and then need totals. The total of independent
strata is N_total = Σ_s N_s, and its posterior is obtained by summing *aligned posterior draws*: draw d of the total
is Σ_s N_s^(d). Because strata are fitted independently, the draws of different strata are independent, so these
sums are draws from the posterior of the total (as good as the strata's own: MCMC draws, autocorrelated within each
chain, or dga's draws from its exact posterior on a grid) and their quantiles give an honest credible interval, up
to Monte Carlo error, which a heavy tail makes large at the upper limit. Summing the interval ends instead is wrong:
it treats every stratum as simultaneously at its 2.5% (or 97.5%) quantile, which is far less likely than 2.5%, so
the summed interval is too wide (for S similar strata its half-width grows like S instead of √S).

Multiple imputation: when record-level stratum fields were imputed several times, the input carries a replicate
column.  Every replicate is fitted and the draws are pooled as a mixture (concatenated along the draw axis), as
practitioners do, so the interval reflects both sampling and imputation uncertainty.

Reproducibility: the seed of each (stratum, replicate) is derived from the user's seed and a stable hash of the
stratum key, so results do not depend on the number of workers, the executor, or the order strata run in.
Each finished stratum is cached (atomically) under a key made from its data content, the estimator and its
parameters, its seed, the package version and a digest of the package's source code (the version alone does not
change while an editable install's code does), so an interrupted run resumes where it stopped and a run after an
upgrade or a code change fits afresh.
"""

from __future__ import annotations

import datetime
import decimal
import functools
import hashlib
import io
import json
import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from estimate._checks import check_seed, is_real, is_whole, normalised_interval_kind, seed_from_argument
from estimate._warning_state import catch_warnings
from estimate.atomic import atomic_create_text, atomic_write_bytes, atomic_write_text, remove_stale_temporaries
from estimate.data import CaptureData, _column_name, _plain, replicate_column_named, stratum_order_key
from estimate.errors import (
    ConvergenceWarning,
    DataError,
    DataWarning,
    EstimateWarning,
    MissingDependencyError,
    UninformativeDataWarning,
)
from estimate.results import Interval, Result, _fmt, no_draws_error, preformatted_html

if TYPE_CHECKING:  # pragma: no cover
    import arviz as az
    import xarray as xr

__all__ = ["fit_strata", "StrataResult", "StratumOutcome", "stratum_seed"]

STATUS_OK = "ok"
STATUS_NOT_ESTIMABLE = "not estimable"
STATUS_FAILED = "failed"
# the reason given for a stratum that the input names but where nobody was documented
NO_RECORDS = ("nobody documented: the input gives this stratum only zero counts (or people on lists left out), "
              "so there is nothing to estimate from")


def _package_version() -> str:
    from estimate import __version__

    return __version__


#: libraries whose versions can change a fit's numbers: a cached stratum is reused only under the same ones
_NUMERIC_LIBRARIES = ("numpy", "scipy", "pandas", "numba", "statsmodels", "pymc", "pytensor", "arviz")


@functools.lru_cache(maxsize=1)
def _library_versions() -> dict[str, str]:
    from importlib import metadata

    versions = {}
    for name in _NUMERIC_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = ""
    return versions


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    """SHA-256 of the package's Python sources (relative path and bytes of every module, in sorted order): a cached
    stratum is reused only by the code that fitted it."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _fitting_environment() -> dict[str, Any]:
    """What a fit's numbers depend on besides its data, model and seed: the package's version and code and the
    numeric libraries' versions (the parts of a cache key that are the machine's).  Run on each dask worker to
    compare with the client's."""
    return {"estimate": _package_version(), "code": _code_digest(), **_library_versions()}


def _fit_chunk_remotely(estimator: Any, problems: list[CaptureData], seeds: list[Any]) -> tuple[dict, str, list]:
    """:func:`_fit_chunk` on a dask worker, returning also the worker's :func:`_fitting_environment` and address:
    every chunk's results are checked against the client's code and libraries, including those of workers that
    join the cluster after the run started."""
    from estimate import strata

    try:
        from distributed import get_worker

        worker = str(get_worker().address)
    except (ImportError, ValueError):  # not on a worker (a test calling it directly)
        worker = "?"
    return strata._fitting_environment(), worker, strata._fit_chunk(estimator, problems, seeds)


def _check_worker_environment(theirs: dict[str, Any], worker: str) -> None:
    """Refuse the results of a dask worker that fits with other code or libraries than this machine: they would
    be cached (and recorded for ``estimate reproduce``) under this machine's versions, and a stratum's draws would
    depend on the worker that fitted it."""
    mine = _fitting_environment()
    differ = [f"{name} {theirs.get(name) or 'none'} (here {mine[name] or 'none'})"
              for name in mine if theirs.get(name) != mine[name]]
    if differ:
        raise DataError(
            f"the dask worker {worker} fits with other code or libraries than this machine: {', '.join(differ)}. "
            "Its results would be cached and recorded under this machine's versions, and a stratum's draws would "
            "depend on the worker that fitted it: install the same versions on the workers (pip install of this "
            "estimate, and the same numpy, scipy, numba ...), or run without --scheduler (scheduler=); strata "
            "finished before are kept in the cache folder, if any")


def _stable_key_int(key: Sequence[Any]) -> int:
    digest = hashlib.sha256(json.dumps([key_text(k) for k in key]).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def key_text(value: Any) -> str:
    """A stratum value as its seed reads it: one text for one value, however its column was typed — a whole
    number written 1 or 1.0 (a column turned float by one value 4.5, or by a missing one), a float32's 0.1 and a
    float64's, a date parsed by pandas (``Timestamp('2020-01-01')``) and the text of a CSV read as it is
    (``'2020-01-01'``) — so a stratum's draws do not change when other strata change its column's type."""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, decimal.Decimal) and value.is_finite():  # a Parquet decimal column: Decimal('1.0')
        value = float(value)
    if isinstance(value, float | np.floating):
        number = float(np.format_float_positional(value, unique=True)) if isinstance(value, np.floating) \
            else float(value)  # the shortest text of a float32 (0.1, not 0.10000000149011612)
        return str(int(number)) if number.is_integer() else str(number)
    if isinstance(value, pd.Timestamp | datetime.datetime | np.datetime64) and not pd.isna(value):
        stamp = pd.Timestamp(value)
        if stamp.tz is None and stamp == stamp.normalize():  # a date: as a CSV writes it
            return stamp.date().isoformat()
        return stamp.isoformat()
    return str(value)


def stratum_seed(seed: int | np.random.SeedSequence | None, key: Sequence[Any]) -> np.random.SeedSequence:
    """SeedSequence of one (stratum, replicate): a function of the run's seed (an integer, or a SeedSequence's
    entropy and spawn key) and the key only."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(entropy=seed.entropy, spawn_key=(*seed.spawn_key, _stable_key_int(key)),
                                      pool_size=seed.pool_size)
    entropy = 0 if seed is None else int(seed)
    return np.random.SeedSequence(entropy=entropy, spawn_key=(_stable_key_int(key),))


_RUN_SEED_FILE = "run-seed.json"
#: the names of the files a cache folder holds (a cache entry is named by its 32-hex-digit key, see _cache_key)
_CACHE_FILE_NAMES = re.compile(rf"[0-9a-f]{{32}}\.npz|{re.escape(_RUN_SEED_FILE)}")


def kept_run_seed(cache: Path | None) -> int | None:
    """The seed an earlier unseeded run kept in the cache folder, or None (no folder, no file, or not a seed)."""
    if cache is None or not (cache / _RUN_SEED_FILE).is_file():
        return None
    try:
        kept = json.loads((cache / _RUN_SEED_FILE).read_text())["seed"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return kept if isinstance(kept, int) and not isinstance(kept, bool) and kept >= 0 else None


def _fresh_run_seed(cache: Path | None) -> int:
    """Seed of an unseeded run: fresh entropy (as an unseeded ``Estimator.fit`` draws), recorded in the result's
    provenance.  With a cache directory it is kept there, so that resuming the run reuses it (and the strata
    already done) instead of starting over with other seeds."""
    # whether a file was there is looked at before it is read: one that another run creates (whole: it is
    # hard-linked into place) between the two is then read as its seed, never taken for an invalid file
    existed = cache is not None and (cache / _RUN_SEED_FILE).is_file()
    kept = kept_run_seed(cache)
    if kept is not None:
        return kept
    if existed:
        # unreadable or not a seed (1.5 was used as 1, -3 failed later without naming the file): draw a new one —
        # the strata cached under the old seed are then not reused
        warnings.warn(f"{cache / _RUN_SEED_FILE} does not hold a seed; this run draws a new one", DataWarning,
                      stacklevel=3)
    seed = int(np.random.SeedSequence().entropy)
    if cache is None:
        return seed
    text = json.dumps({"seed": seed}) + "\n"
    if existed:  # not a seed (warned above): replace it
        atomic_write_text(cache / _RUN_SEED_FILE, text)
    elif not atomic_create_text(cache / _RUN_SEED_FILE, text):
        # another run sharing the folder kept its seed between our look and our write: use that one, so that
        # the two runs share their strata instead of each fitting all of them with its own seed
        kept = kept_run_seed(cache)
        if kept is not None:
            return kept
        atomic_write_text(cache / _RUN_SEED_FILE, text)
    return seed


@dataclass
class StratumOutcome:
    """What happened to one stratum (or one replicate of it)."""

    key: tuple[Any, ...]
    observed: int
    status: str
    reason: str = ""
    result: Result | None = None
    # not compared (as Result's draws): the generated == compared arrays, whose truth value is ambiguous, and a
    # result loaded from .json (which has no draws) equals the one saved
    draws: np.ndarray | None = field(default=None, repr=False, compare=False)
    # the warnings the stratum's own fit gave (silenced one by one in a run; summarised once for the run)
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.draws is not None:  # read-only: totals sum these, and a user's write would change them silently
            self.draws = np.asarray(self.draws).view()
            self.draws.setflags(write=False)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling and ``copy.deepcopy`` rebuild the draws writeable: read-only again, as made."""
        self.__dict__.update(state)
        self.__post_init__()

    def to_bytes(self, cache_key: str = "") -> bytes:
        """Serialise (result summary as JSON, draws as .npy) for the cache, which names the entry ``cache_key``."""
        buffer = io.BytesIO()
        payload = {
            "cache_key": cache_key,
            "key": [str(k) for k in self.key],
            "observed": self.observed,
            "status": self.status,
            "reason": self.reason,
            "result": None if self.result is None else self.result.to_dict(),
            "warnings": list(self.warnings),
        }
        arrays = {"meta": np.frombuffer(json.dumps(payload).encode(), dtype=np.uint8)}
        if self.draws is not None:
            arrays["draws"] = np.asarray(self.draws)
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, blob: bytes, key: tuple[Any, ...], cache_key: str | None = None) -> StratumOutcome:
        """The outcome :meth:`to_bytes` wrote; with ``cache_key``, only if it was written under that key (an entry
        copied or renamed onto another stratum's file name would be that other stratum's result)."""
        with np.load(io.BytesIO(blob)) as archive:
            payload = json.loads(archive["meta"].tobytes().decode())
            draws = archive["draws"] if "draws" in archive.files else None
        if cache_key is not None and payload.get("cache_key") != cache_key:
            raise ValueError(f"the entry was written for another stratum or run (key {payload.get('cache_key')!r})")
        result = None if payload["result"] is None else Result._from_dict_unchecked(payload["result"])
        return cls(key, int(payload["observed"]), payload["status"], payload["reason"], result, draws,
                   tuple(payload.get("warnings", ())))


def _check_cache_folder(cache: Path) -> None:
    """Make the cache folder, and refuse it before any fitting if it is a file or cannot be written (a run failed
    only when writing its first chunk, losing that chunk's work)."""
    import tempfile

    if cache.exists() and not cache.is_dir():
        raise DataError(f"cache folder {str(cache)!r} is a file; give a folder (it is created if missing)")
    try:
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=cache):
            pass
    except OSError as exc:
        raise DataError(f"cache folder {str(cache)!r} cannot be written: {exc.strerror or exc}") from exc


def _read_cache_entry(path: Path, key: tuple[Any, ...]) -> StratumOutcome | None:
    """A cached stratum, or None (refit) when the file cannot be read back — truncated, emptied or overwritten
    (atomic writes make that rare: a full disk, another program), with a warning naming the file."""
    try:
        return StratumOutcome.from_bytes(path.read_bytes(), key, cache_key=path.stem)
    except Exception as exc:  # noqa: BLE001 - any unreadable entry is a cache miss, never a crash
        # the first sentence only: numpy's goes on to advise loading pickled data "unsafely", which a cache never does
        reason = str(exc).split(". ")[0]
        if "pickled" in reason:  # numpy's reading of a truncated or overwritten array inside the file
            reason = "its arrays are damaged (truncated or overwritten)"
        warnings.warn(f"cache entry {path} could not be read ({type(exc).__name__}: {reason}); it is not a cache "
                      "file this version wrote whole: fitting that stratum again", DataWarning, stacklevel=3)
        return None


def _check_estimable(data: CaptureData, min_lists: int, min_records: int) -> str:
    """Reason the stratum cannot be estimated, or '' if it can."""
    if data.n_lists < min_lists:
        return f"only {data.n_lists} usable list{'' if data.n_lists == 1 else 's'} (need {min_lists})"
    if data.observed < min_records:
        # people, not table rows: aggregated data has one row per pattern ("records" read as rows there)
        return (f"only {data.observed} {'person' if data.observed == 1 else 'people'} documented (need "
                f"{min_records}, min_records)")
    if not data.lists_overlap:
        return "no one is on two or more lists: the lists never overlap, so the total is unbounded"
    return ""


@dataclass
class StrataResult:
    """The outcome of :func:`fit_strata`: per-stratum outcomes and totals from summed posterior draws.

    Attributes
    ----------
    by
        The stratum columns.
    method
        The method's registry name.
    outcomes
        ``{stratum key (tuple): StratumOutcome}`` — status ("ok", "not estimable", "failed"), reason, observed
        count, the fitted :class:`~estimate.results.Result` and the posterior draws of N (chains × draws).
    level, interval_kind
        Level and kind of the per-stratum intervals (totals use them by default).
    replicate, replicate_outcomes
        The imputation-replicate column and each stratum's per-replicate outcomes (the pooled draws are their
        mixture).
    provenance
        The run's record (versions, seed, data hash, command, times); not compared by ``==``.

    :meth:`summary` is the tidy per-stratum table, :meth:`total` sums aligned draws for any aggregate, and
    :meth:`save` / :func:`estimate.load_result` round-trip it (``.nc`` keeps the draws).
    """

    by: list[str]
    method: str
    outcomes: dict[tuple[Any, ...], StratumOutcome]
    level: float = 0.95
    replicate: str | None = None
    replicate_outcomes: dict[tuple[Any, ...], list[StratumOutcome]] = field(default_factory=dict, repr=False)
    #: Kind of the per-stratum intervals: the estimator's ("equal-tailed" or "hdi") for Bayesian methods, which
    #: totals of summed draws use by default; for other methods the strata's own (e.g. "profile-likelihood"),
    #: their totals being sums of estimates with an interval from log-normal stand-ins for the strata.
    interval_kind: str = "equal-tailed"
    #: Run-level provenance (:mod:`estimate.provenance`); kept out of :meth:`summary` so tables stay reproducible.
    provenance: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __repr__(self) -> str:
        counts = self.counts
        return (f"StrataResult(method={self.method!r}, by={self.by}, strata={len(self.outcomes)}, "
                f"done={counts[STATUS_OK]}, not_estimable={counts[STATUS_NOT_ESTIMABLE]}, "
                f"failed={counts[STATUS_FAILED]})")

    def __str__(self) -> str:
        """Readable report: method, counts, the overall total (when the draws are at hand) and the strata table
        (the largest 20 by documented count if there are more)."""
        from estimate.results import interval_name, level_percent

        counts = self.counts
        name = interval_name(self.interval_kind)
        lines = [f"{self.method} by {' × '.join(map(str, self.by))}: {len(self.outcomes)} strata "
                 f"({counts[STATUS_OK]} estimated, {counts[STATUS_NOT_ESTIMABLE]} not estimable, "
                 f"{counts[STATUS_FAILED]} failed); {level_percent(self.level)} {name} intervals "
                 f"({self.interval_kind})"
                 + (f"; imputation replicates pooled ({self.replicate})" if self.replicate else "")]
        # what total() warns (e.g. a sum of skewed MLEs) becomes a note of the report: raised from here, a warning
        # pointed into this file at every print or notebook display, not at the user's line
        with catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                total = self.total().iloc[0]
            except (DataError, ValueError) as exc:  # e.g. loaded from .json: no draws to add up; draws of two shapes
                total = None
                lines.append(f"  total: not computed ({str(exc).split(': ')[0] if ': ' in str(exc) else exc})")
        if total is not None and not counts[STATUS_OK]:
            lines.append(f"  total: no stratum could be estimated (documented {int(total['observed']):,})")
        elif total is not None:
            what = "total (a lower bound: a sum of lower bounds)" if total.get("estimate_kind") == "lower bound" \
                else "total"
            level_text = (level_percent(float(total["level"])) if math.isfinite(float(total["level"]))
                          else "strata's own levels:")  # lower limits of strata fitted at different levels
            lines.append(f"  {what}: {total['estimate']:,.0f}  {level_text} "
                         f"{interval_name(str(total['interval_kind']))} interval ({total['interval_kind']}) "
                         f"{_fmt(total['lower'])} – {_fmt(total['upper'])}  "
                         f"(documented {int(total['observed']):,})")
        lines.extend(f"  note: {message}" for message in dict.fromkeys(str(w.message) for w in caught))
        table = self.summary()
        shown = table
        if len(table) > 20:
            shown = table.nlargest(20, "observed").sort_index()
        columns = [*self.by, "observed", "estimate", "lower", "upper", "r_hat", "ess_bulk", "ess_tail", "status"]
        columns = [c for c in columns if c in shown.columns and not (c in ("r_hat", "ess_bulk", "ess_tail")
                                                                   and shown[c].isna().all())]
        formats = {c: (lambda v: "" if v != v else f"{v:,.0f}")
                   for c in ("estimate", "lower", "upper", "ess_bulk", "ess_tail")}
        formats["r_hat"] = lambda v: "" if v != v else f"{v:.3f}"
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            lines.append(shown[columns].to_string(index=False, formatters=formats, na_rep=""))
        if len(table) > 20:
            lines.append(f"  ... {len(table) - 20} smaller strata not shown (see .summary())")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """Jupyter's display: the readable report of ``str()``."""
        return preformatted_html(str(self))

    @property
    def counts(self) -> dict[str, int]:
        """Number of strata done / not estimable / failed."""
        tally = {STATUS_OK: 0, STATUS_NOT_ESTIMABLE: 0, STATUS_FAILED: 0}
        for outcome in self.outcomes.values():
            tally[outcome.status] += 1
        return tally

    @property
    def not_converged(self) -> dict[tuple[Any, ...], list[str]]:
        """Estimated strata whose N failed a convergence check (R-hat > 1.01, bulk or tail ESS < 400, NUTS
        divergences): key → the failed checks.  Empty for methods without MCMC diagnostics."""
        from estimate.inference_data import convergence_problems

        failed = {}
        for key, outcome in self.outcomes.items():
            if outcome.status == STATUS_OK and outcome.result is not None:
                problems = convergence_problems(outcome.result.diagnostics)
                if problems:
                    failed[key] = problems
        return failed

    def summary(self) -> pd.DataFrame:
        """Tidy table: stratum columns, observed, estimate and its kind, interval, lists used, diagnostics and whether
        they pass (``converged``), status and reason, the warnings the stratum's fit gave, and the method."""
        failed = self.not_converged
        rows = []
        for key, outcome in self.outcomes.items():
            row: dict[str, Any] = dict(zip(self.by, key, strict=True))
            row["observed"] = outcome.observed
            result = outcome.result
            row["estimate"] = result.estimate if result else math.nan
            # what the estimate is: a posterior median, an MLE, or (Chao's) only a lower bound of N
            row["estimate_kind"] = result.estimate_kind if result else ""
            row["lower"] = result.interval.lower if result else math.nan
            row["upper"] = result.interval.upper if result else math.nan
            row["level"] = result.interval.level if result else self.level
            row["interval_kind"] = result.interval.kind if result else ""
            # lists with no records in a stratum are dropped there: its estimate uses fewer lists than others
            row["lists_used"] = len(result.lists) if result and result.lists else math.nan
            diag = result.diagnostics if result else {}
            row["r_hat"] = diag.get("r_hat", math.nan)
            row["ess_bulk"] = diag.get("ess_bulk", math.nan)
            row["ess_tail"] = diag.get("ess_tail", math.nan)
            # an estimated stratum can still be unreliable: whether its N passed R-hat ≤ 1.01 and ESS ≥ 400 (empty
            # for methods without MCMC diagnostics and for strata not estimated)
            row["converged"] = (key not in failed) if result and "r_hat" in diag else None
            row["status"] = outcome.status
            row["reason"] = outcome.reason
            row["warnings"] = " | ".join(outcome.warnings)  # what the stratum's own fit warned (not convergence)
            row["method"] = self.method
            rows.append(row)
        frame = pd.DataFrame(rows)
        if len(frame):  # the same column types for every method and run (NaN made lists_used a float column,
            # and converged was all None, a null column in Parquet, for methods without MCMC diagnostics)
            frame["lists_used"] = frame["lists_used"].astype("Int64")
            frame["converged"] = frame["converged"].astype("boolean")
        return frame

    def _draw_stack(self) -> tuple[list[tuple[Any, ...]], np.ndarray]:
        """The strata with draws and their draws of N, shaped (stratum, chain, draw)."""
        keys = [k for k, o in self.outcomes.items() if o.status == STATUS_OK and o.draws is not None]
        if not keys:
            return [], np.empty((0, 0, 0), dtype=np.int64)
        shapes = {self.outcomes[k].draws.shape for k in keys}
        if len(shapes) != 1:
            raise DataError(f"strata have posterior draws of different shapes {shapes}; cannot pool them")
        return keys, np.stack([np.asarray(self.outcomes[k].draws, dtype=np.int64) for k in keys])

    def _draw_table(self) -> tuple[list[tuple[Any, ...]], np.ndarray]:
        """The strata with draws and their draws of N, shaped (stratum, sample)."""
        keys, stacked = self._draw_stack()
        return keys, stacked.reshape(len(keys), -1) if keys else np.empty((0, 0))

    def total(self, by: str | Sequence[str] | None = None, *, level: float | None = None,
              kind: str | None = None) -> pd.DataFrame:
        """Posterior of aggregates: sum aligned draws of N over the strata in each group.

        ``by=None`` gives the overall total; ``by="region"`` one row per region.  Strata that could not be
        estimated contribute their observed count (a floor, not an estimate) and are counted in
        ``strata_not_estimated``.  Nothing bounds the people such a stratum's lists missed, so a group with one
        has ``upper = inf``; ``upper_estimated_strata`` keeps the upper limit of the rest (the estimated strata's
        summed draws plus the others' observed counts), which is a bound only for the estimated part.  A group
        with no estimated stratum has no estimate (NaN) and ``upper = inf``.

        ``level`` and ``kind`` ("equal-tailed" or "hdi") default to those of the per-stratum intervals.  Methods
        without posterior draws give T = Σ N̂_s with the spread around it (quantiles minus median) of a sum of
        independent log-normal stand-ins for the strata's undocumented counts, each matched to its stratum's
        estimate and interval (two-piece, so a skewed interval keeps its skew; ``kind`` does not apply; a group of
        one stratum keeps that stratum's own interval); a stratum whose interval is unbounded makes the total's
        upper limit infinite, its lower limit the sum of the strata's lower limits (at the strata's own level,
        which the row's ``level`` then gives, whatever ``level`` asked for: a conservative lower bound).  A stratum
        with draws whose own interval is unbounded (dga's posterior running past its grid) also makes the upper
        limit infinite, at any ``level``: its draws stop at the grid and cannot say how far the tail reaches.  With
        imputation replicates a stratum not estimated adds its count in each replicate to the draws of that
        replicate (a result read back from a .nc or .json file too: it keeps the per-replicate counts). When a group's
        strata include an estimate that is only a lower bound (Chao's; dga's with half its posterior past the grid),
        so is the group's sum: ``estimate_kind`` says so.

        The last columns, ``r_hat``, ``ess_bulk`` and ``ess_tail``, diagnose the summed draws themselves (chains
        kept apart; with imputation replicates each replicate's part apart: the largest R-hat and the smallest ESS),
        so that the Monte Carlo error of a total's interval can be judged as a stratum's can; NaN for methods
        without draws.
        """
        from estimate.inference_data import interval_from_draws

        if self._draws_missing():
            raise DataError(
                "this stratified result holds no posterior draws (a .json file keeps the per-stratum summaries "
                "only), and a total must sum aligned draws: load the .nc file written with the draws "
                "(StrataResult.save('….nc') / --draws-output) instead"
            )

        level = self.level if level is None else level
        kind = self.interval_kind if kind is None else normalised_interval_kind(kind)  # "HDI" as compare takes it
        if not (is_real(level) and 0 < level < 1):
            raise DataError(f"level must be a number strictly between 0 and 1 (e.g. 0.95), got {level!r}")
        if kind not in ("equal-tailed", "hdi") and not (kind == self.interval_kind):
            raise DataError(f"kind must be 'equal-tailed' or 'hdi', got {kind!r}")
        group_cols = [] if by is None else ([by] if isinstance(by, str) else
                                            list(by) if isinstance(by, Iterable) else None)
        if group_cols is None or not all(isinstance(c, str) for c in group_cols):  # 1, [["region"]]: a TypeError
            raise DataError(f"by must name stratum columns (text, or a list of texts) among {self.by}, got {by!r}")
        unknown = [c for c in group_cols if c not in self.by]
        if unknown:
            raise DataError(f"cannot total by {unknown}: the strata are {self.by}")
        if len(set(group_cols)) < len(group_cols):
            raise DataError(f"by names a column twice: {group_cols}")
        keys, by_chain = self._draw_stack()
        stacked = by_chain.reshape(len(keys), -1) if keys else np.empty((0, 0))
        chains = by_chain.shape[1] if keys else 0
        floors = self._replicate_floors(keys)
        if not keys and kind != self.interval_kind and any(
                o.status == STATUS_OK for o in self.outcomes.values()):
            raise DataError(f"kind={kind!r} applies to totals summed from posterior draws; the {self.method} strata "
                            "have none, and their total is a sum of estimates with a log-normal interval")
        index = {k: i for i, k in enumerate(keys)}
        bounds = {k for k, o in self.outcomes.items()
                  if o.status == STATUS_OK and o.result is not None and o.result.estimate_kind == "lower bound"}
        kinds = {o.result.estimate_kind for o in self.outcomes.values() if o.status == STATUS_OK and o.result}
        own_kind = kinds.pop() if len(kinds) == 1 else ""  # a sum of maximum-likelihood estimates ("mle")
        groups: dict[tuple[Any, ...], list[tuple[Any, ...]]] = {}
        for key in self.outcomes:
            label = tuple(key[self.by.index(c)] for c in group_cols)
            groups.setdefault(label, []).append(key)
        if keys:
            self._warn_truncated_draws(keys)
        rows = []
        skewed: list[tuple[str, float, int]] = []  # groups whose summed estimates the strata's skew pulls up
        # in the order of the values (months 1, 2, …, 10, as summary() lists them), not of their text
        ordered = sorted(groups.items(), key=lambda item: stratum_order_key(item[0]))
        for label, members in ordered:
            row: dict[str, Any] = dict(zip(group_cols, label, strict=True))
            row["observed"] = self._documented(members)
            convergence = dict.fromkeys(("r_hat", "ess_bulk", "ess_tail"), math.nan)  # no draws, none summed
            if keys:
                ok = [k for k in members if k in index]
                # a stratum not estimated adds its documented count to each draw — with imputation replicates,
                # its count in the replicate that draw comes from (the mean would pair replicates wrongly)
                floor = sum(floors[k] if k in floors else self.outcomes[k].observed
                            for k in members if k not in index)
                if ok:
                    draws = stacked[[index[k] for k in ok]].sum(axis=0) + floor
                    interval = interval_from_draws(draws, level=level, kind=kind)
                    # a stratum whose own interval is unbounded (dga's posterior running past its grid, whose
                    # draws stop there) leaves the total unbounded too: its draws cannot say how far
                    unbounded = any(not math.isfinite(self.outcomes[k].result.interval.upper) for k in ok)
                    row.update(estimate=float(np.median(draws)), lower=interval.lower,
                               upper=math.inf if unbounded else interval.upper)
                    own = self.outcomes[ok[0]].result.diagnostics if len(ok) == len(members) == 1 else {}
                    if all(key in own for key in ("r_hat", "ess_bulk", "ess_tail")):
                        # a group of one stratum: its draws are the stratum's, already diagnosed (1,000 groups of
                        # one took 3 s more to total otherwise)
                        convergence = {key: float(own[key]) if own[key] is not None else math.nan
                                       for key in ("r_hat", "ess_bulk", "ess_tail")}
                    else:
                        convergence = self._total_convergence(draws.reshape(chains, -1))
                else:
                    row.update(estimate=math.nan, lower=math.nan, upper=math.nan)
                row.update(level=level, interval_kind=kind if ok else "")
            else:
                ok = self._total_without_draws(members, level, row, skewed)
            row["upper_estimated_strata"] = row["upper"]
            if len(ok) < len(members):
                row["upper"] = math.inf  # the missed people of the strata not estimated are unbounded
            row.update(strata=len(members), strata_not_estimated=len(members) - len(ok))
            # in every table (a fixed set of columns whatever the method): what the total's estimate is
            # (none when strata not estimated enter as their observed floors: a sum of two kinds of number)
            # a group holding a stratum whose estimate is only a lower bound (Chao's; dga's past its grid) sums to
            # one; the other groups do not
            bound = any(k in bounds for k in members)
            row["estimate_kind"] = "lower bound" if bound else (("posterior median" if keys else own_kind)
                                                                if len(ok) == len(members) else "")
            row.update(convergence)  # last: the same columns for every method (NaN without draws)
            rows.append(row)
        if skewed:
            self._warn_summed_bias(skewed, len(rows))
        return pd.DataFrame(rows)

    def _warn_summed_bias(self, skewed: list[tuple[str, float, int]], groups: int) -> None:
        """A total of maximum-likelihood estimates over many small strata: each N̂ sits a little above the truth
        on average (its interval's long upper side says how much), and summed over the strata that bias grows like
        S while the spread grows like √S, so the total's interval, centred on Σ N̂, misses the truth from above."""
        label, ratio, strata = max(skewed, key=lambda item: item[1])
        warnings.warn(
            f"{len(skewed)} of {groups} totals sum maximum-likelihood estimates whose skewed intervals say that "
            f"each lies a little above the truth on average (e.g. {label}: {strata} strata; summed, "
            f"{ratio:.1f} standard deviations of the total): that bias adds up over the strata while the spread "
            "grows only like the square root of their number, so such a total is likely too high and its interval "
            "covers less than its level (simulated Mt strata of 100-300 people, 95% intervals: 90% coverage over "
            "30 strata, 73% over 100). Fit the strata with a Bayesian method, whose totals sum posterior draws, "
            "or pool small strata",
            EstimateWarning, stacklevel=3)

    def _total_convergence(self, draws: np.ndarray) -> dict[str, float]:
        """R-hat and bulk/tail ESS of a total's summed draws, shaped (chain, draw): the Monte Carlo error of its
        quantiles (a sum of strata each with ESS ≥ 400 can still have fewer effective draws in its tails).  Pooled
        imputation replicates run one after another along ``draw``, and a chain that jumps from one replicate's
        posterior to the next is not a stationary chain: each replicate's part is diagnosed apart, and the total
        gets the largest R-hat and the smallest ESS, as a pooled stratum does (the worst replicate's)."""
        from estimate.inference_data import convergence_diagnostics

        replicates = len(self._replicate_labels()) if self.replicate else 1
        if replicates < 1 or draws.shape[1] % replicates:
            replicates = 1
        width = draws.shape[1] // replicates
        parts = [convergence_diagnostics(draws[:, r * width:(r + 1) * width]) for r in range(replicates)]
        # a replicate's part can be constant (a group none of whose strata that replicate has: zeros): no failure,
        # left out, as for a pooled stratum; a part whose diagnostics could not be computed makes them NaN
        worst = _worst_replicate_diagnostics(parts)
        return {key: worst.get(key, math.nan) for key in ("r_hat", "ess_bulk", "ess_tail")}

    def _replicate_labels(self) -> list[Any]:
        """The imputation replicates' labels, sorted as text: the order in which the pooled draws run."""
        return sorted({o.key[-1] for outcomes in self.replicate_outcomes.values() for o in outcomes}, key=str)

    def _replicate_floors(self, keys: list[tuple[Any, ...]]) -> dict[tuple[Any, ...], np.ndarray]:
        """Per-draw documented counts of the strata not estimated, for a run with imputation replicates: the
        pooled draws run replicate by replicate (labels as text, sorted; see :func:`_pool_replicates`), so each
        draw gets the stratum's count in its own replicate (0 where the replicate put nobody there).  Empty without
        replicates."""
        if not (self.replicate and self.replicate_outcomes and keys):
            return {}
        labels = self._replicate_labels()
        chains, width = np.shape(self.outcomes[keys[0]].draws)
        if width % len(labels):
            return {}
        floors = {}
        for key in self.outcomes:
            if key in keys or key not in self.replicate_outcomes:
                continue
            counts = {o.key[-1]: o.observed for o in self.replicate_outcomes[key]}
            per_draw = np.repeat([counts.get(label, 0) for label in labels], width // len(labels))
            floors[key] = np.tile(per_draw, chains)  # the (chain, draw) layout of _draw_table, flattened
        return floors

    def _documented(self, members: list[tuple[Any, ...]]) -> int:
        """People documented in a group of strata.  With imputation replicates a stratum's count is the mean
        over the replicates, rounded (halves up); the group's is the mean of the replicates' group counts, rounded
        once (two strata at 10.5 and 12.5 are 23 people, not 11 + 13)."""
        replicates = self._replicate_labels()
        if not (self.replicate and replicates and all(k in self.replicate_outcomes for k in members)):
            return sum(self.outcomes[k].observed for k in members)
        people = sum(o.observed for k in members for o in self.replicate_outcomes[k])
        return mean_rounded_half_up(people, len(replicates))

    def _warn_truncated_draws(self, keys: list[tuple[Any, ...]]) -> None:
        """Totals sum draws; dga's come from its grid of N, so a stratum with posterior mass beyond the grid
        enters a total with its tail cut off (its own summary allows for the tail): say so."""
        from estimate.estimators.dga import WARN_TAIL_MASS

        cut = [(k, float(self.outcomes[k].result.diagnostics.get("truncated_mass") or 0.0)) for k in keys]
        cut = [(k, mass) for k, mass in cut if mass > WARN_TAIL_MASS]
        if cut:
            key, mass = cut[0]
            share = "an unbounded share" if mass >= 1.0 else f"{mass:.2g}"
            warnings.warn(
                f"{len(cut)} of {len(keys)} estimated strata have posterior mass beyond their grid of N (e.g. "
                f"{stratum_label(key, self.by)}: "
                f"{share}); their draws "
                "stop at the grid's end, so totals that include them are understated (their upper limits are given "
                "as ∞ where a stratum's own is). Refit with a larger max_missing",
                EstimateWarning,
                stacklevel=3,
            )

    def _draws_missing(self) -> bool:
        """True if strata estimated by a posterior (a median with draws) came without their draws (a result
        re-read from JSON), so that totals would silently fall back to a sum of medians."""
        return any(o.status == STATUS_OK and o.draws is None and o.result is not None
                   and str(o.result.estimate_kind).startswith("posterior") for o in self.outcomes.values())

    def _total_without_draws(self, members: list[tuple[Any, ...]], level: float, row: dict[str, Any],
                             skewed: list[tuple[str, float, int]] | None = None) -> list:
        """Total for methods without posterior draws: T = Σ N̂_s, its interval T + (quantiles − median) of the sum of
        independent stand-ins for the strata, each matched to that stratum's own interval
        (:func:`_undocumented_draws`), so that a skewed profile-likelihood interval keeps its long side in the
        total (with Var = Σ SE_s² and one log-normal, a stratum at 2,811 [660, 47,789] beside one at 271
        [242, 309] gave a total's upper limit of 14,441).  A group of one estimated stratum keeps that stratum's
        interval."""
        from scipy.special import ndtri

        ok = [k for k in members if self.outcomes[k].status == STATUS_OK and self.outcomes[k].result is not None]
        floor = sum(self.outcomes[k].observed for k in members if k not in ok)
        estimate = sum(self.outcomes[k].result.estimate for k in ok) + floor
        unbounded = [k for k in ok if not math.isfinite(self.outcomes[k].result.interval.upper)
                     or not math.isfinite(self.outcomes[k].result.estimate)]
        kind = "log-normal"
        used_level = level
        if ok and unbounded:  # the data bound such a stratum only from below: so is the total
            lower = sum(self.outcomes[k].result.interval.lower for k in ok) + floor
            lower, upper = max(lower, row["observed"]), math.inf
            alone = self.outcomes[ok[0]].result.interval
            # a sum of lower limits is no log-normal interval: "no upper limit", or the one stratum's own kind;
            # the limits are the strata's own, at their own level, whatever level was asked for: the row says so
            kind = alone.kind if len(ok) == 1 and alone.level == level else "none"
            levels = {self.outcomes[k].result.interval.level for k in ok}
            used_level = levels.pop() if len(levels) == 1 else math.nan
        elif len(ok) == 1 and self.outcomes[ok[0]].result.interval.level == level:
            own = self.outcomes[ok[0]].result.interval
            lower, upper, kind = own.lower + floor, own.upper + floor, own.kind
        elif ok and all(math.isfinite(self.outcomes[k].result.interval.lower) for k in ok):
            total = np.full(_TOTAL_DRAWS, float(floor))
            largest_gap = 0.0  # the largest one stratum's stand-in mean above its estimate
            for key in sorted(ok, key=stratum_order_key):  # a fixed order: the same sum whatever the strata order
                outcome = self.outcomes[key]
                stand_in = _undocumented_draws(key, outcome.result, outcome.observed)
                total += outcome.observed + stand_in
                own_gap = float(stand_in.mean()) - (outcome.result.estimate - outcome.observed)
                largest_gap = max(largest_gap, own_gap) if math.isfinite(own_gap) else largest_gap
            # the sum's spread around T = Σ N̂: a stand-in's median is N̂ but its mean lies on its long side, and
            # over many strata those gaps add up (1,000 strata at 150 [130, 180] put the sum's quantiles at
            # 150,384–151,973, beside T = 150,000)
            low, middle, high = np.quantile(total, [(1 - level) / 2, 0.5, (1 + level) / 2])
            lower = max(float(estimate + low - middle), float(row["observed"]))
            upper = float(estimate + high - middle)
            # the stand-ins' summed mean-above-median gap: for maximum-likelihood estimates about their summed bias
            # (an audit's simulation: 109 against 138 over 30 strata, 658 against 639 over 100)
            spread = (high - low) / (2 * float(ndtri(0.5 + level / 2)))
            gap = float(total.mean()) - estimate  # Σ (stand-in's mean − N̂_s)
            mle = all(self.outcomes[k].result.estimate_kind == "mle" for k in ok)
            # what adding up does: one skewed stratum beside an exact one is no sum of biases (the gap without the
            # largest stratum's own must pass the line; an overflowing stand-in is no measure at all)
            if skewed is not None and mle and len(ok) > 1 and spread > 0 and math.isfinite(gap) \
                    and gap - largest_gap > _SUMMED_BIAS_SD * spread:
                label = ", ".join(f"{c}={row[c]}" for c in self.by if c in row) or "the overall total"
                skewed.append((label, gap / spread, len(ok)))
        else:
            lower = upper = math.nan
        row.update(estimate=estimate if ok else math.nan, lower=lower if ok else math.nan,
                   upper=upper if ok else math.nan, level=used_level, interval_kind=kind if ok else "")
        return ok

    def plot(self, ax: Any = None, *, totals_by: str | Sequence[str] | None = None) -> Any:
        """Dot-and-interval plot per stratum with the documented counts, totals below
        (:func:`estimate.plots.plot_strata`); returns the matplotlib Figure.  ``totals_by`` adds the totals of
        those stratum columns (as :meth:`total`'s ``by``); ``ax`` draws on that Axes instead of a new figure."""
        from estimate.plots import plot_strata

        return plot_strata(self, ax, totals_by=totals_by)

    def draws_dataset(self) -> xr.Dataset:
        """Posterior draws of N per stratum as an xarray Dataset (dims stratum, sample) for further pooling.

        Strata without draws (not estimable or failed) are left out; the attribute ``strata_without_draws`` (JSON,
        as :meth:`to_inference_data` gives it) names them with their status and documented count, which a total
        from this Dataset alone must add (as :meth:`total` does: a floor, with no upper limit).  Raises
        ValueError, as :meth:`Result.draws` does, for a method without posterior draws (chao, loglinear …) or a
        result read from ``.json``.
        """
        import xarray as xr

        from estimate.inference_data import add_stratum_coords

        keys, stacked = self._draw_table()
        if not keys and any(o.status == STATUS_OK for o in self.outcomes.values()):  # estimated, yet no draws
            raise no_draws_error(self.method)
        coords: dict[str, Any] = {"stratum": stratum_labels(keys)}
        add_stratum_coords(coords, {column: [k[i] for k in keys] for i, column in enumerate(self.by)},
                           reserved=("N", "sample"))
        data = xr.Dataset(
            {"N": (("stratum", "sample"), stacked)},
            coords=coords,
            attrs={"method": self.method, "by": ",".join(self.by),
                   "strata_without_draws": self._strata_without_draws(keys)},
        )
        return data

    def _strata_without_draws(self, keys: list[tuple[Any, ...]]) -> str:
        """The strata not among ``keys`` (those with draws), as JSON: each one's label, and under "values" each
        stratum column's value (a total by a column reads them: two labels can read alike, region "a, period=b"
        with period "c", and region "a" with period "b, period=c"), its status and documented count."""
        with_draws = set(keys)
        left_out = [{"stratum": stratum_label(k, self.by), "values": dict(zip(self.by, map(_plain, k), strict=False)),
                     "status": o.status, "observed": o.observed}
                    for k, o in self.outcomes.items() if k not in with_draws]
        return json.dumps(left_out, ensure_ascii=False, default=str)

    def to_inference_data(self) -> az.InferenceData:
        """Posterior draws of N per stratum as ArviZ InferenceData: ``posterior.N`` with dims (chain, draw,
        stratum), the stratum columns as coordinates along ``stratum``; each stratum's documented count as
        ``constant_data.observed``.

        Strata without draws (not estimable, failed, or a method without draws) are left out; the posterior's
        attribute ``strata_without_draws`` (JSON) names them (a label, and under "values" each stratum column's
        value) with their status and documented count, which a total from this object alone must add (as
        :meth:`total` does: a floor, with no upper limit).
        Imputation replicates are pooled along ``draw``, replicate after replicate, and the coordinate
        ``replicate`` says which replicate each draw comes from: ArviZ's R-hat and ESS over the pooled draws
        compare posteriors that differ on purpose (the summary's are the worst replicate's, from its own chains);
        ``posterior.N.groupby("replicate")`` takes them apart.
        """
        from estimate.inference_data import strata_inference_data

        keys, draws = self._draw_stack()
        replicates = None
        if self.replicate and keys:
            labels = list(self.outcomes[keys[0]].result.details.get("replicate_labels") or [])
            if labels and draws.shape[-1] % len(labels) == 0:
                labels = labels if len({type(v) for v in labels}) == 1 else [str(v) for v in labels]
                replicates = np.repeat(np.asarray(labels), draws.shape[-1] // len(labels))
        return strata_inference_data(draws, stratum_labels(keys),
                                     {column: [k[i] for k in keys] for i, column in enumerate(self.by)},
                                     attrs={"method": self.method, "by": ",".join(self.by),
                                            "strata_without_draws": self._strata_without_draws(keys)},
                                     observed=[self.outcomes[k].observed for k in keys],
                                     draw_replicates=replicates)

    def to_netcdf(self, path: str | Path) -> None:
        """Write the per-stratum draws (atomically) as netCDF, with the full result in its attributes: an
        InferenceData file (``az.from_netcdf`` reads :meth:`to_inference_data`), loaded back whole by
        :func:`estimate.load_result`."""
        from estimate.export import save_strata_result

        save_strata_result(self, path, fmt="nc")

    def save(self, path: str | Path) -> Path:
        """Write atomically, format by suffix: .json (per-stratum results, provenance), .csv/.parquet
        (:meth:`summary`), .nc (draws + the JSON result).  Read back with :func:`estimate.load_result`."""
        from estimate.export import save_strata_result

        return save_strata_result(self, path)


#: Monte Carlo draws per stratum for the totals of methods without posterior draws
_TOTAL_DRAWS = 20_000
_TOTAL_SEED = 20_260_103  # fixed: a total of the same strata is the same numbers on every call


#: a total of MLEs whose strata's summed skew (mean minus median of the stand-ins) exceeds this many standard
#: deviations of the total is warned about: a bias of 0.3 SD takes a 95% interval's coverage to about 94%
_SUMMED_BIAS_SD = 0.3


def _undocumented_draws(key: tuple[Any, ...], result: Result, observed: int) -> np.ndarray:
    """Draws of a stratum's undocumented count f = N − n for totals of methods without posterior draws: a
    two-piece log-normal matched to the stratum's own estimate and interval,

        log(1 + f) = log(1 + f̂) + Z·σ₋ (Z < 0) or + Z·σ₊ (Z ≥ 0),   Z ~ N(0, 1),
        σ₋ = [log(1 + f̂) − log(1 + L − n)] / z,   σ₊ = [log(1 + U − n) − log(1 + f̂)] / z,

    z the normal quantile of the interval's level, so that its median is N̂ and its quantiles at that level are
    the interval's ends [L, U] (a profile-likelihood interval's skew included; 1 + f keeps f̂ = 0 and L = n
    finite).  The normals are a Latin hypercube sample, in an order drawn from a stream of the stratum's own (a
    fixed seed and the stratum key), so the strata are independent and a total is the same numbers on every
    call."""
    from scipy.special import ndtri  # the normal quantile function (scipy.stats' norm.ppf)

    interval = result.interval
    z = float(ndtri(0.5 + interval.level / 2))
    centre = math.log1p(max(result.estimate - observed, 0.0))
    low = math.log1p(max(interval.lower - observed, 0.0))
    high = math.log1p(max(interval.upper - observed, 0.0))
    sigma_low, sigma_high = max(centre - low, 0.0) / z, max(high - centre, 0.0) / z
    normal = _normal_grid()[np.random.default_rng(stratum_seed(_TOTAL_SEED, key)).permutation(_TOTAL_DRAWS)]
    with np.errstate(over="ignore"):  # an interval end near 1e300 overflows to ∞ in the draws: as it should
        return np.expm1(centre + normal * np.where(normal < 0.0, sigma_low, sigma_high))


@functools.cache
def _normal_grid() -> np.ndarray:
    """Normal quantiles at (i + ½)/D, i = 0 … D − 1 (Latin hypercube draws: each stratum's stand-in gets these in
    an order of its own, so its quantiles are exact to the grid, and only the pairing of the strata is random —
    random normals left the 97.5% point of a skewed stand-in (σ₊ = 1.5) off by ≈ 2%)."""
    from scipy.special import ndtri

    grid = ndtri((np.arange(_TOTAL_DRAWS) + 0.5) / _TOTAL_DRAWS)
    grid.setflags(write=False)
    return grid


def _confidence_kind(outcomes: dict[tuple[Any, ...], StratumOutcome]) -> str:
    """The kind of a non-Bayesian method's per-stratum intervals (the commonest, unbounded ones aside)."""
    from collections import Counter

    kinds = Counter(o.result.interval.kind for o in outcomes.values()
                    if o.status == STATUS_OK and o.result is not None and o.result.interval.kind != "none")
    return kinds.most_common(1)[0][0] if kinds else "none"


def mean_rounded_half_up(total: int, count: int) -> int:
    """total / count rounded to a whole number, halves up (as readers round, and as Result.sentence rounds;
    Python's round() takes halves to the even neighbour: 12.5 → 12), in exact integer arithmetic."""
    return (2 * int(total) + int(count)) // (2 * int(count))


def stratum_labels(keys: Sequence[tuple[Any, ...]]) -> list[str]:
    """One text label per stratum key: its values joined by "/", or — if that makes two keys alike, e.g.
    ("a/b", "c") and ("a", "b/c") — each key as a JSON list."""
    labels = ["/".join(map(str, key)) for key in keys]
    if len(set(labels)) < len(labels):
        labels = [json.dumps([str(part) for part in key]) for key in keys]
    return labels


_MIN_CHUNKS = 8

#: the columns StrataResult.summary and total add beside the stratum columns (a stratum may not be so named)
RESULT_COLUMNS = ("observed", "estimate", "estimate_kind", "lower", "upper", "level", "interval_kind", "lists_used",
                  "r_hat", "ess_bulk", "ess_tail", "converged", "status", "reason", "warnings", "method", "strata",
                  "strata_not_estimated", "upper_estimated_strata")


def _split(data: CaptureData, columns: list[str], replicate: bool = False, strict: bool = False
           ) -> tuple[dict[tuple[Any, ...], CaptureData | str], dict[tuple[Any, ...], tuple[str, ...]],
                      dict[tuple[Any, ...], int]]:
    """Split into strata, keeping per-stratum problems (e.g. < 2 usable lists) as reason strings, and what a
    stratum's own data warn about its estimate (a list that shares nobody with the others there), which the run
    reports with the stratum's fit warnings; the other data warnings (a list with no records there) are
    summarised for the run where the strata are fitted, and the people documented in each stratum.  Strata the
    input names with only zero counts are parts too, with the reason :data:`NO_RECORDS` and 0 documented
    (``replicate``: the last column is the imputation replicate; ``strict``: a list with no records in a stratum
    makes it a problem instead of being dropped)."""
    rest = [c for c in data.strata_columns if c not in columns]
    parts: dict[tuple[Any, ...], CaptureData | str] = {}
    data_warnings: dict[tuple[Any, ...], tuple[str, ...]] = {}
    documented: dict[tuple[Any, ...], int] = {}
    for key, part, caught, people in data._split_parts(columns, strict=strict):
        documented[key] = people
        if isinstance(part, DataError):
            parts[key] = str(part)
            continue
        parts[key] = part
        data_warnings[key] = tuple(dict.fromkeys(str(w.message) for w in caught
                                                 if issubclass(w.category, UninformativeDataWarning)))
    empty = data.strata_without_records
    if empty is not None and not rest:
        fitted = {key[:-1] for key in parts} if replicate else set()
        for row in empty[columns].itertuples(index=False, name=None):
            # with replicates, a stratum that is empty in some replicates only is absent there (N = 0 in them,
            # see _pool_replicates); one empty in every replicate is reported, as a stratum is without them
            if row not in parts and not (replicate and row[:-1] in fitted):
                parts[row] = NO_RECORDS
                documented[row] = 0
    return dict(sorted(parts.items(), key=lambda item: stratum_order_key(item[0]))), data_warnings, documented


def stratum_label(key: tuple[Any, ...], columns: Sequence[str]) -> str:
    """A stratum as warnings name it: ``region=north, period=2`` (its values alone when the columns do not
    match the key; ``all records`` for the one "stratum" of a run with imputation replicates and no strata)."""
    if not key:
        return "all records"
    values = [_plain(value) for value in key]
    if len(columns) == len(key):
        return ", ".join(f"{column}={value}" for column, value in zip(columns, values, strict=True))
    return ", ".join(map(str, values))


def _with_data_warnings(outcome: StratumOutcome, data_warnings: tuple[str, ...]) -> StratumOutcome:
    """An estimated stratum's outcome with what its data warned about (first) among its warnings."""
    if outcome.status != STATUS_OK or not data_warnings:
        return outcome
    return replace(outcome, warnings=tuple(dict.fromkeys((*data_warnings, *outcome.warnings))))


def _cache_key(estimator: Any, data: CaptureData, seed: np.random.SeedSequence | None) -> str:
    # the seed enters through the stratum's SeedSequence; the thread count never changes the draws (tested)
    params = {k: v for k, v in estimator.get_params().items() if k not in ("seed", "n_threads")}
    payload = json.dumps(
        {
            "estimator": type(estimator).__name__,
            "params": {k: repr(v) for k, v in sorted(params.items())},
            "data": data.content_hash(),
            "seed": None if seed is None else [seed.entropy, list(seed.spawn_key), seed.pool_size],
            "version": _package_version(),
            "code": _code_digest(),
            "libraries": _library_versions(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _outcome_from(key: tuple[Any, ...], data: CaptureData, fitted: Result | Exception) -> StratumOutcome:
    if isinstance(fitted, Exception):
        status = STATUS_NOT_ESTIMABLE if isinstance(fitted, DataError) else STATUS_FAILED
        return StratumOutcome(key, data.observed, status, str(fitted).splitlines()[0] if str(fitted) else repr(fitted))
    draws = fitted.draws() if fitted.posterior is not None else None
    fitted.posterior = None  # draws are kept separately; the summary travels as JSON
    return StratumOutcome(key, data.observed, STATUS_OK, "", fitted, draws)


def _fit_chunk(estimator: Any, problems: list[CaptureData], seeds: list[Any]) -> list[bytes]:
    """Fit a chunk of problems (runs locally or on a dask worker); returns serialised outcomes.

    An estimator with a batched kernel (LCMCR) fits the chunk in one call, and the run summarises its warnings
    (convergence, lists dropped, two lists); any other is fitted problem by problem, as its fit_many would, so
    that each problem's warnings (an unbounded estimate, a truncated dga grid …) are kept with its outcome."""
    from estimate.estimators.base import Estimator

    seeds = seeds if estimator.takes_seed else None
    if type(estimator).fit_many is not Estimator.fit_many:
        with catch_warnings():
            warnings.simplefilter("ignore")
            fitted = estimator.fit_many(problems, seeds)
        return [_outcome_from((), d, f).to_bytes() for d, f in zip(problems, fitted, strict=True)]
    blobs = []
    for i, problem in enumerate(problems):
        with catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            [fitted] = estimator.fit_many([problem], None if seeds is None else [seeds[i]])
        outcome = _outcome_from((), problem, fitted)
        if outcome.status == STATUS_OK:  # the package's own warnings, each once, in order; convergence has its
            # own column and run-level warning, and library noise (FutureWarning …) is not about the estimate
            outcome.warnings = tuple(dict.fromkeys(
                str(w.message) for w in caught
                if issubclass(w.category, EstimateWarning) and not issubclass(w.category, ConvergenceWarning)))
        blobs.append(outcome.to_bytes())
    return blobs


def fit_strata(
    data: CaptureData | pd.DataFrame,
    by: str | Sequence[str],
    method: str | None = None,
    model: str | Path | None = None,
    *,
    estimator: Any = None,
    seed: int | np.random.SeedSequence | None = None,
    replicate: str | None = None,
    min_lists: int | None = None,
    min_records: int = 10,
    cache_dir: str | Path | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    dask_workers: int | None = None,
    chunk_size: int = 64,
    progress: Callable[[int, int], None] | None = None,
    level: float | None = None,
    strict: bool = False,
) -> StrataResult:
    """Fit ``method`` (or a preset, or a ready ``estimator``) to every stratum of ``data``.

    Parameters
    ----------
    data
        :class:`~estimate.CaptureData` built with ``strata=[...]``, or a record-level DataFrame (its ``by`` and
        ``replicate`` columns are taken as the strata, the others as lists).
    by
        Stratum columns to split on (they must be stratum columns of ``data``).
    method, model
        A method name (``"lcmcr"``, ``"chapman"`` …) and/or a preset name or TOML file, as
        :func:`~estimate.make_estimator` takes them.
    estimator
        A ready estimator object instead of ``method``/``model`` (its parameters are used as they are; its seed
        is the root seed unless ``seed`` is given).
    replicate
        Optional multiple-imputation replicate column: each replicate is fitted and the draws are pooled.
    min_lists, min_records
        Strata with fewer usable lists (default 3 for latent-class models, else 2) or records, or with no
        overlap between lists, are reported as "not estimable" with their observed count.
    seed
        Root seed (integer or ``numpy.random.SeedSequence``; default: the estimator's): each (stratum, replicate)
        gets its own SeedSequence from it and its key, so results do not depend on the order, the executor or the
        other strata.  Without one, fresh entropy is drawn and recorded in ``provenance["seed"]`` (and kept in
        ``cache_dir``, so that a resumed run continues with it).
    cache_dir
        Directory of per-stratum results; finished strata are reused (resume after an interruption).
    executor, scheduler, dask_workers
        ``"local"`` (default; batched kernels use all cores) or ``"dask"``: the ``scheduler`` address of a running
        dask.distributed cluster, or ``dask_workers`` local workers started on 127.0.0.1.  Same seed → same
        results on every executor.
    chunk_size
        Strata per task at most (one batched kernel call for LCMCR); a run of fewer than 8 × ``chunk_size`` strata
        is cut into 8 tasks, so that progress and the resume cache advance.  The results do not depend on it.
    progress
        Callback ``progress(done, total)``: once before any fitting (``done`` = the strata settled without a fit:
        not estimable, or reused from the cache), then after each chunk (the CLI draws a progress bar with it).
    level
        Credible level of every interval, per stratum and of the totals (default: the estimator's, 0.95 unless a
        preset says otherwise).  The kind of interval (equal-tailed or HDI) is the estimator's as well.
    strict
        A list with no records in a stratum is dropped from that stratum's fit (default, with one warning for the
        run), or, ``strict=True``, makes the stratum "not estimable" with that reason: its estimate would rest on
        fewer lists than the others'.  A list with no records in the whole data is refused as the data are
        read (a DataFrame given here is read with ``strict``; CaptureData built with ``strict=True`` refuses it).
    """
    from estimate import provenance
    from estimate.estimators.base import Estimator
    from estimate.presets import make_estimator

    for name, value in (("by", by), ("method", method), ("model", model)):
        if isinstance(value, Estimator):
            raise DataError(f"fit_strata got an estimator as {name}=; pass it as estimator=... and the stratum "
                            "columns as by=... (e.g. fit_strata(data, by='region', estimator=Chapman()))")
    if estimator is not None and not isinstance(estimator, Estimator):
        hint = (f"an instance, {estimator.__name__}()" if isinstance(estimator, type) else
                f"method={estimator!r}" if isinstance(estimator, str) else "an estimator such as Chapman()")
        raise DataError(f"estimator= must be an estimator object; got {estimator!r} (pass {hint})")
    started = provenance.now()
    if estimator is not None and (model is not None or (
            method is not None and str(method).strip().lower() != estimator.name)):
        raise DataError(f"fit_strata got estimator={estimator!r} and "
                        + (f"model={model!r}" if model is not None else f"method={method!r}")
                        + "; give the estimator, or the method and model to build one, not both")
    if estimator is None:
        estimator = make_estimator(method, model)
        if seed is not None and estimator.takes_seed:  # a deterministic method (loglinear, chao) ignores seed=
            estimator = estimator.clone(seed=seed)
    if seed is None and estimator.takes_seed:
        seed = estimator.get_params().get("seed")
    by = _column_name(by)  # a number names a column of a frame made from an array, as in CaptureData.from_frame
    if not (isinstance(by, str) or (isinstance(by, Iterable) and not isinstance(by, Mapping | bytes))):
        raise DataError(f"by= names the stratum columns: a column name or a list of them (e.g. by=['region']), got "
                        f"{type(by).__name__}")
    columns = [by] if isinstance(by, str) else [_column_name(column) for column in by]
    replicate = _column_name(replicate)
    if not columns and replicate is None:  # before a frame is read (its stratum columns would be taken as lists)
        raise DataError("by= names no stratum column; give at least one (e.g. by=['region'])")
    if isinstance(data, pd.DataFrame):  # as the estimators' fit: a frame is read with the by= columns as strata
        with replicate_column_named(replicate):
            data = CaptureData.from_frame(data, strata=columns + ([replicate] if replicate else []), strict=strict)
    elif not isinstance(data, CaptureData):
        raise DataError(f"fit_strata needs CaptureData (built with strata=[...]) or a DataFrame, got "
                        f"{type(data).__name__}")
    params = estimator.get_params()
    if level is None:
        level = params.get("level", 0.95)
    _check_run_options(data, columns, replicate, estimator, seed, executor, chunk_size, level)
    seed = seed_from_argument(seed)  # a seed as results record it ({"entropy", "spawn_key"}, [1, 2])
    if executor == "dask" or scheduler is not None or dask_workers is not None:
        require_dask()  # before any stratum is split off or a cache entry read
    if "level" in params and params["level"] != level:
        estimator = estimator.clone(level=level)  # per-stratum intervals at the level of the totals
    estimator.check_params()  # a bad preset stops here, not as a 'failed' row for every stratum
    interval_kind = params.get("interval", "equal-tailed")  # non-Bayesian methods: the strata's, once fitted
    split_cols = columns + ([replicate] if replicate else [])
    if min_lists is None:
        min_lists = 3 if estimator.name in ("lcmcr", "pymc-lcmcr") else 2
    if dask_workers is not None and not (is_whole(dask_workers) and dask_workers >= 1):
        raise DataError(f"dask_workers must be an integer >= 1, got {dask_workers!r}")  # -1 hung forever
    if not (is_whole(min_lists) and min_lists >= 2):
        raise DataError(f"min_lists must be an integer >= 2 (estimation needs two lists at least), got {min_lists!r}")
    if not (is_whole(min_records) and min_records >= 1):
        raise DataError(f"min_records must be an integer >= 1, got {min_records!r}")

    parts, data_warnings, documented = _split(data, split_cols, replicate=replicate is not None, strict=strict)
    outcomes: dict[tuple[Any, ...], StratumOutcome] = {}
    todo: list[tuple[tuple[Any, ...], CaptureData, np.random.SeedSequence, str]] = []
    cache = Path(cache_dir) if cache_dir is not None else None
    if cache is not None:
        _check_cache_folder(cache)
        # half-written entries of a run killed by a signal; only the cache's own: the folder may hold users' files
        remove_stale_temporaries(cache, targets=_CACHE_FILE_NAMES)
    if seed is None and estimator.takes_seed:
        seed = _fresh_run_seed(cache)
    reused = 0  # fits read back from cache_dir
    for key, part in parts.items():
        if isinstance(part, str):
            outcomes[key] = StratumOutcome(key, documented[key], STATUS_NOT_ESTIMABLE, part)
            continue
        reason = _check_estimable(part, min_lists, min_records)
        if reason:
            outcomes[key] = StratumOutcome(key, part.observed, STATUS_NOT_ESTIMABLE, reason)
            continue
        sseq = stratum_seed(seed, key)
        cache_key = _cache_key(estimator, part, sseq) if cache is not None else ""
        if cache is not None and (cache / f"{cache_key}.npz").exists():
            cached = _read_cache_entry(cache / f"{cache_key}.npz", key)
            if cached is not None:
                if cached.result is not None and isinstance(cached.result.provenance, dict):
                    # its own provenance (times, preset name and text, overrides, machine) is that of the run
                    # that fitted it: the key holds the parameters, not how they were given
                    cached.result.provenance["reused_from_cache"] = str(cache / f"{cache_key}.npz")
                outcomes[key] = cached
                reused += 1
                continue
        todo.append((key, part, sseq, cache_key))

    total = len(parts)
    done = total - len(todo)
    if progress:
        progress(done, total)
    # small runs in several chunks (at least _MIN_CHUNKS): the progress bar and the resume cache advance per chunk,
    # and twelve strata in one batch showed 0/12 for minutes and left nothing to resume (results never depend on it)
    size = max(1, min(chunk_size, math.ceil(len(todo) / _MIN_CHUNKS)))
    chunks = [todo[i : i + size] for i in range(0, len(todo), size)]
    not_kept: list[tuple[tuple[Any, ...], OSError]] = []
    for chunk, blobs in _run_chunks(estimator, chunks, executor, scheduler, dask_workers):
        for (key, _part, _sseq, cache_key), blob in zip(chunk, blobs, strict=True):
            outcome = StratumOutcome.from_bytes(blob, key)
            if cache is not None and outcome.status != STATUS_FAILED:  # a failure (a sampler error, memory) is
                # tried again by a resumed run, not kept; the entry holds its own name, checked when it is read
                try:
                    atomic_write_bytes(cache / f"{cache_key}.npz", outcome.to_bytes(cache_key))
                except OSError as exc:  # a folder of the entry's name, a full disk: the fit itself is not lost
                    not_kept.append((key, exc))
            outcomes[key] = outcome
        done += len(chunk)
        if progress:
            progress(done, total)

    if not_kept:
        key, exc = not_kept[0]
        which = ("the one fit of this run" if len(todo) == 1 else
                 f"{len(not_kept)} of the {len(todo)} fits of this run")
        where = f" ({exc.filename})" if exc.filename else ""
        warnings.warn(f"{which} could not be kept in the cache folder {str(cache)!r} (e.g. "
                      f"{stratum_label(key, split_cols)}: {exc.strerror or exc}{where}); their results are in this "
                      "run's output, and a resumed run fits them again", DataWarning, stacklevel=2)
    ordered = {key: _with_data_warnings(outcomes[key], data_warnings.get(key, ())) for key in parts}
    if not estimator.bayesian:
        interval_kind = _confidence_kind(ordered)
    fits = f"fits (stratum × {replicate})" if replicate else "strata"  # with replicates, each is fitted apart
    _warn_lists_dropped(ordered, parts, tuple(data.lists), fits, split_cols)
    _warn_latent_class_on_two_lists(ordered, estimator.name, fits, split_cols)
    _warn_strata_warned(ordered, fits, split_cols)
    method_name = estimator.name
    if replicate:
        fitted = _pool_replicates(ordered, columns, method_name, level, interval_kind, replicate)
    else:
        _warn_not_estimable(ordered, split_cols)
        fitted = StrataResult(by=columns, method=method_name, outcomes=ordered, level=level,
                              interval_kind=interval_kind)
    _warn_not_converged(fitted)
    fitted.provenance = provenance.collect(estimator=estimator, seed=seed, data=data, started=started,
                                           finished=provenance.now())
    fitted.provenance["strata"] = {"by": columns, "replicate": replicate, "min_lists": min_lists,
                                   "min_records": min_records, "level": level, "strict": strict,
                                   "reused_from_cache": reused}
    return fitted


def _check_run_options(data: CaptureData, columns: list[str], replicate: str | None, estimator: Any, seed: Any,
                       executor: str, chunk_size: int, level: float) -> None:
    """Refuse a run that cannot work before any stratum is fitted (a bad option must not cost hours); an empty
    by= is refused by fit_strata before a frame is read."""
    if len(set(columns)) != len(columns):
        raise DataError(f"by= names a column more than once: {columns}")
    if replicate is not None and replicate in columns:
        raise DataError(f"column {replicate!r} cannot be both a stratum (by=) and the replicate column")
    split_cols = columns + ([replicate] if replicate else [])
    missing = [c for c in split_cols if c not in data.strata_columns]
    if missing:
        raise DataError(f"column(s) {missing} are not stratum columns of the data {list(data.strata_columns)}")
    clashes = [c for c in split_cols if c in RESULT_COLUMNS]
    if clashes:  # a stratum column 'method' would be overwritten by the method's name in every output row
        raise DataError(f"stratum column(s) {clashes} have the name of a column of the results table "
                        f"({', '.join(RESULT_COLUMNS)}); rename them")
    unused = [c for c in data.strata_columns if c not in split_cols]
    if unused:
        raise DataError(
            f"the data is also stratified by {unused}, which by= does not name: add them to by=, name the "
            "imputation replicate column with replicate=, or drop them from the data (adding their strata together "
            "would, e.g., count every imputation replicate's people once each)"
        )
    if replicate is not None and not estimator.bayesian:
        raise DataError(
            f"replicate= pools posterior draws of N over imputation replicates, and {estimator.name!r} gives no "
            "posterior draws; use a Bayesian method (lcmcr, dga, bayes-loglinear, pymc-lcmcr)"
        )
    if executor not in ("local", "dask"):
        raise DataError(f"executor must be 'local' or 'dask', got {executor!r}")
    if not (is_whole(chunk_size) and chunk_size >= 1):
        raise DataError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")
    if not (is_real(level) and 0 < level < 1):
        raise DataError(f"level must be in (0, 1), got {level!r}")
    check_seed(seed, "fit_strata")


#: dask runs in progress in this process: the command line's Ctrl-C then lets them close their cluster (the work
#: is in the workers; nothing in this process needs waiting for) instead of ending the process at once
DASK_RUNNING = 0


def require_dask() -> None:
    """Raise :class:`MissingDependencyError` unless dask.distributed can be imported (the dask executor)."""
    try:
        import dask.distributed  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            "the dask executor needs the optional dependency dask.distributed: pip install 'estimate[dask]' "
            "(in a source checkout: pip install -e '.[dask]')") from exc


def _run_chunks(estimator, chunks, executor, scheduler, dask_workers):
    """Yield (chunk, serialised outcomes) as chunks finish, in submission order."""
    if not chunks:
        return
    if executor == "local" and scheduler is None and dask_workers is None:
        for chunk in chunks:
            yield chunk, _fit_chunk(estimator, [c[1] for c in chunk], [c[2] for c in chunk])
        return
    require_dask()
    from dask.distributed import Client, LocalCluster
    from distributed import KilledWorker

    cluster = None
    if scheduler is not None:
        try:
            client = Client(scheduler)
        except OSError as exc:  # the user's address (a typo, a scheduler not started): bad input, not a bug
            raise DataError(f"cannot reach the dask scheduler at {scheduler!r}: {exc}") from exc
    else:
        try:
            # the scheduler's HTTP server on a free port of 127.0.0.1 (None still took 8787, the port of the user's
            # own dask dashboard), and no dashboard on it (an address turns one on where bokeh is installed)
            cluster = LocalCluster(n_workers=dask_workers or 2, threads_per_worker=1, host="127.0.0.1",
                                   dashboard_address="127.0.0.1:0", scheduler_kwargs={"dashboard": False},
                                   processes=True)
        except Exception as exc:  # a worker process that could not start (killed, no memory, no ports): the machine
            raise DataError(f"the local dask cluster ({dask_workers or 2} worker processes) did not start: "
                            f"{type(exc).__name__}: {exc}") from exc
        try:
            client = Client(cluster)
        except BaseException:
            _close_within(cluster.close, "the local dask cluster")
            raise
    global DASK_RUNNING
    DASK_RUNNING += 1
    try:
        # a remote scheduler's workers may run other code: each chunk comes back with the worker's versions (a
        # local cluster's workers run this interpreter, with this code)
        task = _fit_chunk_remotely if scheduler is not None else _fit_chunk
        futures = [client.submit(task, estimator, [c[1] for c in chunk], [c[2] for c in chunk], pure=False)
                   for chunk in chunks]
        for chunk, future in zip(chunks, futures, strict=True):
            try:
                result = future.result()
                if scheduler is not None:
                    environment, worker, result = result
                    _check_worker_environment(environment, worker)
            except KilledWorker as exc:  # dask gave up after workers died on this chunk: the machine, not the data
                raise DataError(
                    f"dask workers died while fitting {len(chunk)} strata (killed, or out of memory), and dask gave "
                    f"up on them: {exc}. With a cache folder (--cache-dir, cache_dir=) the strata finished before "
                    "are kept, and --resume continues from them"
                ) from exc
            yield chunk, result
    finally:
        try:
            try:
                _close_within(client.close, "the dask client")
            finally:  # a Ctrl-C while the client closes (up to 30 s) left the cluster, its workers and ports running
                if cluster is not None:
                    _close_within(cluster.close, "the local dask cluster")
        finally:  # only now: a second Ctrl-C while closing still interrupts the close, not the process at once
            DASK_RUNNING -= 1


#: Seconds to wait for a dask client or local cluster to close: one whose workers were killed repeatedly was seen
#: to hang there, after the run had already failed
_DASK_CLOSE_SECONDS = 30


def _close_within(close: Any, what: str) -> None:
    """Call a dask ``close(timeout=...)``; a close that does not finish in time is warned about, never raised (it
    would hide the error that ended the run)."""
    try:
        close(timeout=_DASK_CLOSE_SECONDS)
    except Exception as exc:  # noqa: BLE001 - a cluster that cannot close cleanly must not mask the run's outcome
        warnings.warn(f"{what} did not close within {_DASK_CLOSE_SECONDS} s ({type(exc).__name__}: {exc}); its "
                      "worker processes may still be running", EstimateWarning, stacklevel=2)


def _warn_lists_dropped(outcomes: dict[tuple[Any, ...], StratumOutcome], parts: Mapping[tuple[Any, ...], Any],
                        lists: tuple[str, ...], fits: str, columns: Sequence[str]) -> None:
    """One DataWarning for the strata fitted without some list (it has no records there, so it is dropped, as
    CaptureData drops an empty list): their estimates rest on fewer lists than the others'.  Judged from each
    stratum's data, not from the lists its fit used: an estimator told to use some lists (``Chapman(lists=...)``)
    leaves the others out by choice, which its own warning says."""
    fewer = [(key, [name for name in lists if name not in parts[key].lists])
             for key, outcome in outcomes.items()
             if outcome.status == STATUS_OK and isinstance(parts.get(key), CaptureData)
             and len(parts[key].lists) < len(lists)]
    if fewer:
        key, missing = fewer[0]
        warnings.warn(
            f"in {len(fewer)} of {len(outcomes)} {fits} some lists have no records and were left out of the fit "
            f"(e.g. {stratum_label(key, columns)}: {', '.join(map(str, missing))}); those strata are estimated from "
            "the other lists only "
            "(the summary's lists_used column says how many), so a list that did not cover a stratum cannot help "
            "estimate it",
            DataWarning,
            stacklevel=3,
        )


def _warn_latent_class_on_two_lists(outcomes: dict[tuple[Any, ...], StratumOutcome], method: str,
                                    fits: str, columns: Sequence[str]) -> None:
    """The per-stratum fits' own warning, once for the run (fit() warns; a batch of strata silenced it): with
    min_lists=2 a latent-class model is fitted where it is not identified well."""
    two = [key for key, outcome in outcomes.items() if outcome.status == STATUS_OK and outcome.result is not None
           and outcome.result.lists and len(outcome.result.lists) < 3]
    if method in ("lcmcr", "pymc-lcmcr") and two:
        warnings.warn(
            f"{method}: {len(two)} of {len(outcomes)} {fits} were fitted with only 2 lists "
            f"(e.g. {stratum_label(two[0], columns)}); the "
            "latent-class model is not identified well there (with two lists heterogeneity and dependence cannot be "
            "separated from the data), so their posteriors of N are driven by the prior",
            UninformativeDataWarning,
            stacklevel=3,
        )


def _warn_strata_warned(outcomes: dict[tuple[Any, ...], StratumOutcome], fits: str, columns: Sequence[str]) -> None:
    """One EstimateWarning for the estimated strata whose own fit warned (the fits run with their warnings
    silenced, so that a thousand strata do not print a thousand warnings): how many, and the first one's."""
    warned = [o for o in outcomes.values() if o.status == STATUS_OK and o.warnings]
    if warned:
        first = warned[0]
        warnings.warn(
            f"{len(warned)} of {len(outcomes)} {fits} warned when fitted (e.g. {stratum_label(first.key, columns)}: "
            f"{first.warnings[0]}); "
            "the summary's warnings column gives each stratum's",
            EstimateWarning,
            stacklevel=3,
        )


def _warn_not_estimable(outcomes: dict[tuple[Any, ...], StratumOutcome], columns: Sequence[str],
                        stacklevel: int = 3) -> None:
    """Warn of strata not estimated; ``stacklevel`` is 3 when called from fit_strata, 4 from _pool_replicates."""
    bad = [o for o in outcomes.values() if o.status != STATUS_OK]
    if bad:
        warnings.warn(
            f"{len(bad)} of {len(outcomes)} strata were not estimated (e.g. {stratum_label(bad[0].key, columns)}: "
            f"{bad[0].reason}); they "
            "are reported with their observed counts and enter totals only as observed floors",
            UninformativeDataWarning,
            stacklevel=stacklevel,
        )


def _warn_not_converged(fitted: StrataResult) -> None:
    """One ConvergenceWarning for all estimated strata whose N failed R-hat or ESS (the per-stratum fits run with
    their own warnings silenced, so that a thousand strata do not print a thousand warnings)."""
    from estimate.inference_data import longer_run_advice, warn_if_some_not_converged

    failed = {stratum_label(key, fitted.by): problems for key, problems in fitted.not_converged.items()}
    warn_if_some_not_converged(fitted.method, failed, fitted.counts[STATUS_OK], "estimated strata",
                               ". The summary's r_hat, ess_bulk and ess_tail columns show which; "
                               f"{longer_run_advice(fitted.method)}.", stacklevel=3)


def _worst_replicate_diagnostics(diagnostics: list[dict[str, Any]]) -> dict[str, float]:
    """Convergence of a mixture over imputation replicates: the largest R-hat and smallest bulk/tail ESS of the
    replicates, each from that replicate's own chains.  R-hat over the pooled draws would compare different
    posteriors (the replicates differ on purpose) and say nothing about convergence.  A diagnostic that some
    replicate could not compute (too few draws: NaN, or None in a result re-read from the cache) is NaN for the
    mixture too, so that the convergence check reports it as not computed, as for one fit; constant draws (every
    draw of N the same, recorded as ``constant_draws``) are not a failure."""
    worst: dict[str, float] = {}
    # the PyMC methods' E[N | θ] checks too (a stuck replicate shows there when N's own draws look fine), and
    # divergences, summed with the transitions they are counted over
    for key, pick in (("r_hat", max), ("ess_bulk", min), ("ess_tail", min), ("r_hat_expected_N", max),
                      ("ess_bulk_expected_N", min)):
        present = [d for d in diagnostics if key in d]
        values = [float(d[key]) for d in present if is_real(d[key])]  # is_real: a finite number
        not_computed = [d for d in present if not is_real(d[key]) and not d.get("constant_draws")]
        if not_computed:
            worst[key] = math.nan
        elif values:
            worst[key] = pick(values)
    if diagnostics and all(is_real(d.get("divergences")) for d in diagnostics):
        worst["divergences"] = float(sum(d["divergences"] for d in diagnostics))
        if all(is_real(d.get("chains")) and is_real(d.get("draws_per_chain")) for d in diagnostics):
            worst["chains"] = float(diagnostics[0]["chains"])
            worst["draws_per_chain"] = float(sum(d["draws_per_chain"] for d in diagnostics))
    return worst


def _pool_replicates(
    outcomes: dict[tuple[Any, ...], StratumOutcome], columns: list[str], method: str, level: float, kind: str,
    replicate: str,
) -> StrataResult:
    """Mixture of posteriors over imputation replicates: concatenate each stratum's draws across replicates.

    Every stratum's draws are laid out replicate by replicate in the same order, so that draw i of every stratum
    comes from the same replicate and totals (sums of aligned draws) stay within one imputation.  A stratum
    absent from a replicate (the imputation put nobody there) counts as N = 0 in that replicate: its people are in
    other strata of that replicate, and the stratum's posterior is a mixture with an atom at 0.
    """
    from estimate.inference_data import interval_from_draws

    replicates = sorted({key[-1] for key in outcomes}, key=str)
    by_stratum: dict[tuple[Any, ...], dict[Any, StratumOutcome]] = {}
    for key, outcome in outcomes.items():
        by_stratum.setdefault(key[:-1], {})[key[-1]] = outcome
    shape = next((np.shape(o.draws) for o in outcomes.values() if o.status == STATUS_OK and o.draws is not None),
                 None)
    pooled: dict[tuple[Any, ...], StratumOutcome] = {}
    absent: list[tuple[tuple[Any, ...], int]] = []
    for key, present in by_stratum.items():
        reps = list(present.values())
        observed = mean_rounded_half_up(sum(r.observed for r in reps), len(replicates))
        ok = [r for r in reps if r.status == STATUS_OK and r.draws is not None]
        if len(ok) < len(reps):  # (every stratum takes this branch when no replicate gave draws: shape None)
            bad = next(r for r in reps if r not in ok)
            pooled[key] = StratumOutcome(key, observed, bad.status,
                                         f"{len(reps) - len(ok)} of {len(replicates)} replicates: {bad.reason}")
            continue
        if len(reps) < len(replicates):
            absent.append((key, len(replicates) - len(reps)))
        draws = np.concatenate(
            [np.asarray(present[r].draws) if r in present else np.zeros(shape, dtype=np.int64) for r in replicates],
            axis=-1)
        interval = interval_from_draws(draws, level=level, kind=kind)
        first = ok[0].result
        worst = _worst_replicate_diagnostics([r.result.diagnostics for r in ok])
        cut = [float(r.result.diagnostics.get("truncated_mass") or 0.0) for r in ok]
        if any(cut):  # dga: draws stop at each replicate's grid; its tail beyond is the pooled posterior's too
            worst["truncated_mass"] = max(cut)
        if any(not math.isfinite(r.result.interval.upper) for r in ok):  # unbounded in some replicate: so pooled
            interval = Interval(interval.lower, math.inf, level=interval.level, kind=interval.kind)
        result = Result(
            method=method,
            model=f"{first.model}; mixture over {len(replicates)} imputation replicates ({replicate})",
            estimate=float(np.median(draws)),
            interval=interval,
            observed=observed,
            lists=first.lists,
            estimate_kind="posterior median",
            diagnostics=worst,
            details={"replicates": len(replicates),
                     "replicates_without_this_stratum": len(replicates) - len(reps),
                     "replicate_estimates": [present[r].result.estimate if r in present else 0.0
                                             for r in replicates],
                     # which replicate each estimate is of (the draws' layout order: the labels as text, sorted)
                     "replicate_labels": list(replicates),
                     "diagnostics": "the worst replicate's (largest R-hat, smallest ESS), each replicate's own chains"},
        )
        warned = tuple(dict.fromkeys(f"replicate {r}: {w}" for r in replicates if r in present
                                     for w in present[r].warnings))
        pooled[key] = StratumOutcome(key, observed, STATUS_OK, "", result, draws, warned)
    if absent:
        warnings.warn(
            f"{len(absent)} strata are missing from some imputation replicates "
            f"(e.g. {stratum_label(absent[0][0], columns)}: absent from "
            f"{absent[0][1]} of {len(replicates)}); there they count as N = 0 — the imputation placed their people "
            "in other strata — so their pooled posterior has an atom at 0 and totals stay within one replicate",
            UninformativeDataWarning,
            stacklevel=3,  # _pool_replicates ← fit_strata ← the user's line
        )
    _warn_not_estimable(pooled, columns, stacklevel=4)
    return StrataResult(by=columns, method=method, outcomes=pooled, level=level, replicate=replicate,
                        replicate_outcomes={k: list(v.values()) for k, v in by_stratum.items()},
                        interval_kind=kind)
