"""Fit every plausible linkage and pool them: how much the total depends on how the lists were matched.

Given capture histories of R linkages (a ``replicate`` column, see :meth:`LinkageResult.replicates`), every
(stratum, linkage) is fitted and the posterior draws of the total are pooled as an equal-weight mixture over the
linkages — the replicate pooling of :func:`estimate.fit_strata`, as for multiple imputation:

    p(N | lists) ≈ (1/R) Σ_r p(N | histories of linkage r).

The approximation holds when the linkages are draws from a posterior over linkages.  The default linkages are not:
one per match-probability threshold (0.5 … 0.95), equally weighted, so the mixture is a sensitivity analysis over
those thresholds and its interval's width depends on the range chosen; it carries no probability statement about
linkage error.  ``method="sample"`` draws each link with its match probability, which comes closer, though
joining the sampled links into groups (transitive closure) is still not a posterior over clusterings.  Either
way the mixture's interval is wider than any one linkage's when the linkages disagree, and the spread of the
per-linkage totals (range and standard deviation of their posterior medians) says how much the answer depends on
how the lists were matched.

Only aggregates leave this module: counts, estimates, intervals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from estimate.errors import DataError
from estimate.results import interval_words, level_percent

__all__ = ["LinkageFit", "fit_linkages"]


@dataclass(repr=False)
class LinkageFit:
    """Pooled total over linkages and the total of each linkage.

    Attributes
    ----------
    strata_result
        The :class:`~estimate.strata.StrataResult` of the pooled fit (per-stratum mixtures).
    by_linkage
        One row per linkage: ``replicate``, ``observed`` (resolved individuals), ``estimate`` (posterior median
        of the total), ``lower``, ``upper``, ``level``, ``interval_kind`` (those of the pooled total).
    total
        The pooled total: ``observed`` (mean over linkages), ``estimate``, ``lower``, ``upper``, ``level``,
        ``interval_kind``, ``linkages``.
    """

    strata_result: Any
    by_linkage: pd.DataFrame
    total: pd.DataFrame
    method: str
    strata: tuple[str, ...] = ()
    level: float = 0.95
    interval_kind: str = "equal-tailed"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def spread(self) -> dict[str, float]:
        """How much the total changes across linkages: min, max, range and SD of the per-linkage estimates."""
        values = self.by_linkage["estimate"].to_numpy(dtype=float)
        observed = self.by_linkage["observed"].to_numpy(dtype=float)
        return {
            "linkages": int(len(values)),
            "estimate_min": float(np.min(values)), "estimate_max": float(np.max(values)),
            "estimate_range": float(np.ptp(values)),
            "estimate_sd": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
            "observed_min": float(np.min(observed)), "observed_max": float(np.max(observed)),
        }

    def summary(self) -> pd.DataFrame:
        """Per-linkage rows followed by the pooled row (``replicate == "pooled"``)."""
        pooled = self.total.assign(replicate="pooled")[list(self.by_linkage.columns)]
        return pd.concat([self.by_linkage, pooled], ignore_index=True)

    def sentence(self) -> str:
        row = self.total.iloc[0]
        spread = self.spread
        return (f"Pooled over {spread['linkages']} linkages, the estimated total is {row['estimate']:,.0f} "
                f"({level_percent(self.level)} {interval_words(str(row['interval_kind']))} "
                f"{row['lower']:,.0f}–{row['upper']:,.0f}, "
                f"{self.method}); the linkages alone move the estimate between {spread['estimate_min']:,.0f} and "
                f"{spread['estimate_max']:,.0f} (resolved individuals {spread['observed_min']:,.0f}–"
                f"{spread['observed_max']:,.0f}).")

    def __repr__(self) -> str:
        """One line (the dataclass default printed both tables and the stratified result, ≈ 1,100 characters);
        ``str()`` gives the readable report."""
        row = self.total.iloc[0]
        return (f"LinkageFit(method={self.method!r}, linkages={len(self.by_linkage)}, strata={list(self.strata)}, "
                f"estimate={row['estimate']:,.0f}, interval=[{row['lower']:,.0f}, {row['upper']:,.0f}] "
                f"({level_percent(self.level)} {row['interval_kind']}))")

    def __str__(self) -> str:
        """The sentence, then one row per linkage and the pooled row."""
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            return f"{self.sentence()}\n{self.summary().to_string(index=False)}"

    def _repr_html_(self) -> str:
        """Jupyter's display: the readable report of ``str()``."""
        from estimate.results import preformatted_html

        return preformatted_html(str(self))

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method, "strata": list(self.strata), "level": self.level,
            "interval_kind": self.interval_kind,
            "total": _records(self.total)[0], "by_linkage": _records(self.by_linkage), "spread": self.spread,
            "details": self.details,
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dict(orient="records"):
        out.append({k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()})
    return out


def fit_linkages(
    histories: pd.DataFrame,
    lists: Sequence[str],
    *,
    strata: str | Sequence[str] | None = None,
    replicate: str = "replicate",
    method: str | None = None,
    model: str | None = None,
    estimator: Any = None,
    seed: int | None = None,
    level: float | None = None,
    **kwargs: Any,
) -> LinkageFit:
    """Fit each linkage (per stratum when ``strata`` is given) and pool the posterior draws over linkages.

    Parameters
    ----------
    histories
        Capture histories with a ``replicate`` column (:meth:`LinkageResult.replicates`), 0/1 list columns and
        the stratum columns.
    lists
        The list columns.
    strata
        Stratum columns: each stratum is fitted separately and the total sums aligned draws over strata.
    method, model, estimator
        As for :func:`estimate.fit_strata` (none of them given: ``lcmcr``); the method needs posterior draws
        (``lcmcr``, ``dga``, ``bayes-loglinear``, ``pymc-lcmcr``) for the pooled interval.
    seed
        Seed of the fits (per stratum and linkage, derived as in :func:`estimate.fit_strata`).
    level
        Interval level of every interval (per linkage and pooled); default: the estimator's (preset's) own.
        The interval kind (equal-tailed or HDI) is the estimator's.
    **kwargs
        Passed on to :func:`estimate.fit_strata` (``min_records``, ``cache_dir``, ``executor`` ...).
    """
    from estimate.data import CaptureData
    from estimate.inference_data import interval_from_draws
    from estimate.strata import STATUS_OK, fit_strata

    if replicate not in histories.columns:
        raise DataError(f"the histories have no replicate column {replicate!r}; make them with "
                        "LinkageResult.replicates() (or `estimate link --replicates N`)")
    by = [strata] if isinstance(strata, str) else list(strata or [])
    data = CaptureData.from_records(histories, lists=list(lists), strata=by + [replicate])
    if method is None and model is None and estimator is None:
        method = "lcmcr"
    fitted = fit_strata(data, by=by, method=method, model=model, estimator=estimator, seed=seed,
                        replicate=replicate, level=level, **kwargs)
    if all(o.draws is None for reps in fitted.replicate_outcomes.values() for o in reps):
        reasons = sorted({o.reason for reps in fitted.replicate_outcomes.values() for o in reps
                          if o.status != STATUS_OK and o.reason})
        if reasons:  # e.g. lcmcr with 2 lists: not a method without draws, but strata it cannot estimate
            raise DataError(f"no linkage could be estimated with {fitted.method!r}: {reasons[0]}")
        raise DataError(f"method {fitted.method!r} gives no posterior draws, so linkages cannot be pooled as a "
                        "mixture; use a Bayesian method (lcmcr, dga, bayes-loglinear)")

    level, kind = fitted.level, fitted.interval_kind
    # per-linkage totals: sum aligned draws over strata within each linkage
    per_linkage: dict[str, list[Any]] = {}
    for reps in fitted.replicate_outcomes.values():
        for outcome in reps:
            per_linkage.setdefault(str(outcome.key[-1]), []).append(outcome)
    rows = []
    for label, outcomes in per_linkage.items():
        floor = sum(o.observed for o in outcomes if o.status != STATUS_OK or o.draws is None)
        ok = [np.asarray(o.draws, dtype=np.int64).ravel() for o in outcomes if o.status == STATUS_OK
              and o.draws is not None]
        observed = sum(o.observed for o in outcomes)
        if ok:
            draws = np.sum(ok, axis=0) + floor
            interval = interval_from_draws(draws, level=level, kind=kind)
            rows.append({"replicate": label, "observed": observed, "estimate": float(np.median(draws)),
                         "lower": interval.lower, "upper": interval.upper, "level": level, "interval_kind": kind})
        else:
            rows.append({"replicate": label, "observed": observed, "estimate": math.nan, "lower": math.nan,
                         "upper": math.nan, "level": level, "interval_kind": kind})
    by_linkage = pd.DataFrame(rows)
    total = fitted.total(level=level, kind=kind)
    total = total.assign(linkages=len(by_linkage))
    return LinkageFit(strata_result=fitted, by_linkage=by_linkage, total=total, method=fitted.method,
                      strata=tuple(by), level=level, interval_kind=kind,
                      details={"not_estimated": fitted.counts})
