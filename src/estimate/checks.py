"""Posterior predictive checks of the latent-class model: does data replicated from the fit look like the lists?

For a posterior draw d of (N, π, λ), replicate the whole population — class counts ~ Multinomial(N_d, π_d), then
each person on list j independently with probability λ_jk of their class k — and compute, on the people of the
replicate who are on at least one list, the statistics T: the number documented, each list's size and each
pairwise overlap.  The posterior predictive p-value of a statistic (Gelman, Meng & Stern 1996; Gelman et al.,
*Bayesian Data Analysis*, 3rd ed., ch. 6) is

    p = 2 · min{ P(T_rep ≥ T_obs | data), P(T_rep ≤ T_obs | data) }   (two-sided, capped at 1),

estimated over the draws used.  A p-value near 0 says the model does not reproduce that feature of the lists
(e.g. an overlap far larger than any replicate has: dependence between two lists that the classes do not
capture).  Posterior predictive p-values are conservative — the data were used to fit the model, so the
replicates resemble the data more than fresh data would: for a model that fits, these two-sided p-values gather
near 1 (one-sided ones near 0.5) rather than spreading uniformly — and with many statistics a few small values
arise by chance: read them as a screen, not as tests at a level.  A p-value of 0 means no replicate reached the
observed value: p < 1/draws, the check's resolution.  Ties count on both sides (conservative).  With two lists the
statistics are the observed counts themselves, recoded, so the check cannot find a misfit.

Available for fits that keep the class parameters: ``LCMCR(keep_traces=True)`` and ``pymc-lcmcr``.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from estimate._checks import as_seed_sequence, check_seed, is_whole, seed_record
from estimate.data import CaptureData
from estimate.errors import DataError
from estimate.results import Result

__all__ = ["posterior_predictive_check"]

#: people simulated per block: replicates of large populations are drawn in pieces of bounded memory
_BLOCK = 200_000


def posterior_predictive_check(result: Result, data: CaptureData, *, draws: int = 200,
                               level: float = 0.95, seed: Any = None) -> pd.DataFrame:
    """Posterior predictive check of a latent-class fit on the data it was fitted to.

    Parameters
    ----------
    result
        A fit with posterior draws of N, π and λ: ``LCMCR(keep_traces=True).fit(data)`` or a ``pymc-lcmcr`` fit.
    data
        The (unstratified) data of the fit, lists in the same order.
    draws
        How many posterior draws to replicate from (chosen at random without replacement; all if fewer).
    level
        Level of the predictive interval of each statistic (equal-tailed).
    seed
        Seed of the draw choice and the replications (an integer, a ``SeedSequence`` or None for fresh entropy,
        recorded in ``table.attrs["seed"]``).

    Returns
    -------
    DataFrame with one row per statistic (``observed total``, ``size <list>``, ``overlap <list> & <list>``):
    ``observed`` (its value in the data), ``predictive_mean``, ``lower`` and ``upper`` (the predictive interval),
    ``p_value`` (two-sided).  ``attrs`` hold ``draws``, ``level`` and ``seed``.
    """
    if not isinstance(result, Result):
        raise DataError(f"posterior_predictive_check needs a fitted Result, got {type(result).__name__}")
    if not isinstance(data, CaptureData):
        raise DataError(f"posterior_predictive_check needs the CaptureData of the fit, got {type(data).__name__}")
    if data.strata_columns:
        raise DataError("the data is stratified: check one stratum's fit against that stratum's data "
                        "(data.by(...)), as it was fitted")
    if not (is_whole(draws) and draws >= 1):
        raise DataError(f"draws must be an integer >= 1, got {draws!r}")
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise DataError(f"level must be in (0, 1), got {level!r}")
    try:
        check_seed(seed, "posterior_predictive_check")
    except ValueError as exc:
        raise DataError(str(exc)) from exc
    if result.posterior is None and result.method in ("lcmcr", "pymc-lcmcr"):
        raise DataError(
            f"the {result.method!r} result carries no posterior: a result read from .json keeps summaries only "
            "(its .nc keeps the draws), and a stratum's result from fit_strata or estimate fit --strata keeps "
            "only the draws of N on its outcome, whatever keep_traces says. Fit that data alone with "
            "LCMCR(keep_traces=True) to check it")
    posterior = result.posterior.posterior if result.posterior is not None else None
    if posterior is None or not {"N", "pi", "lambda"} <= set(posterior.data_vars):
        raise DataError(
            f"the {result.method!r} result has no posterior draws of the class weights π and list probabilities λ; "
            "a posterior predictive check needs them: fit LCMCR(keep_traces=True) (or pymc-lcmcr)")
    if tuple(result.lists) != tuple(data.lists):
        raise DataError(f"the data's lists {list(data.lists)} are not the fit's {list(result.lists)}: check a fit "
                        "against the data it was fitted to")
    if int(data.observed) != int(result.observed):
        raise DataError(f"the data document {data.observed:,} people, the fit {result.observed:,}: check a fit "
                        "against the data it was fitted to")
    if not _same_patterns(result, data):
        raise DataError("the data's capture patterns and counts are not those the fit recorded (same lists and "
                        "total, other overlaps): check a fit against the data it was fitted to")

    n_all = np.asarray(posterior["N"].values, dtype=np.int64).reshape(-1)
    pi_all = np.asarray(posterior["pi"].transpose("chain", "draw", "latent_class").values, dtype=float)
    pi_all = pi_all.reshape(n_all.size, -1)
    lam_all = np.asarray(posterior["lambda"].transpose("chain", "draw", "list", "latent_class").values, dtype=float)
    lam_all = lam_all.reshape(n_all.size, len(data.lists), -1)

    sequence = as_seed_sequence(seed)
    choose, replicate = (np.random.default_rng(child) for child in sequence.spawn(2))
    chosen = np.sort(choose.choice(n_all.size, size=min(int(draws), n_all.size), replace=False))
    names, observed = _statistics_of_data(data)
    replicated = np.empty((chosen.size, observed.size))
    for row, d in enumerate(chosen):
        weights = np.clip(pi_all[d], 0.0, None)
        replicated[row] = _replicate_statistics(replicate, int(n_all[d]), weights / weights.sum(), lam_all[d])

    tail = (1.0 - level) / 2
    above = (replicated >= observed).mean(axis=0)
    below = (replicated <= observed).mean(axis=0)
    table = pd.DataFrame({
        "statistic": names,
        "observed": observed,
        "predictive_mean": replicated.mean(axis=0),
        "lower": np.quantile(replicated, tail, axis=0),
        "upper": np.quantile(replicated, 1 - tail, axis=0),
        "p_value": np.minimum(1.0, 2 * np.minimum(above, below)),
    })
    table.attrs.update({"draws": int(chosen.size), "level": float(level),
                        "seed": seed_record(seed, sequence), "method": result.method})
    return table


def _same_patterns(result: Result, data: CaptureData) -> bool:
    """Whether ``data`` has the pattern counts the fit recorded in its ``observed_data`` (True when it recorded
    none)."""
    observed = getattr(result.posterior, "observed_data", None)
    if observed is None or "pattern_counts" not in observed or "capture_patterns" not in observed:
        return True
    recorded = np.asarray(observed["capture_patterns"].values, dtype=np.int64)
    recorded_counts = np.asarray(observed["pattern_counts"].values, dtype=np.int64)

    def by_pattern(patterns: np.ndarray, counts: np.ndarray) -> dict[tuple[int, ...], int]:
        table: dict[tuple[int, ...], int] = {}
        for row, count in zip(map(tuple, patterns.tolist()), counts.tolist(), strict=True):
            if count:
                table[row] = table.get(row, 0) + int(count)
        return table

    return by_pattern(recorded, recorded_counts) == by_pattern(np.asarray(data.patterns, dtype=np.int64),
                                                               np.asarray(data.counts, dtype=np.int64))


def _statistic_names(lists: tuple[str, ...]) -> list[str]:
    return (["observed total"] + [f"size {name}" for name in lists]
            + [f"overlap {a} & {b}" for a, b in itertools.combinations(lists, 2)])


def _statistics_of_data(data: CaptureData) -> tuple[list[str], np.ndarray]:
    patterns = np.asarray(data.patterns, dtype=np.int64)
    counts = np.asarray(data.counts, dtype=np.int64)
    sizes = counts @ patterns
    joint = patterns.T @ (patterns * counts[:, None])
    return _statistic_names(tuple(data.lists)), _flatten(int(counts.sum()), sizes, joint)


def _flatten(total: int, sizes: np.ndarray, joint: np.ndarray) -> np.ndarray:
    upper = np.triu_indices(len(sizes), k=1)
    return np.concatenate([[total], sizes, joint[upper]]).astype(float)


def _replicate_statistics(rng: np.random.Generator, n: int, pi: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The statistics of one replicate: N people, classes ~ π, list j with probability λ_jk; those on no list are
    unobserved (they change no statistic: every statistic counts people on some list)."""
    J = lam.shape[0]
    class_counts = rng.multinomial(n, pi)
    total, sizes, joint = 0, np.zeros(J, dtype=np.int64), np.zeros((J, J), dtype=np.int64)
    for k in np.flatnonzero(class_counts):
        remaining = int(class_counts[k])
        while remaining > 0:
            block = min(remaining, _BLOCK)
            on = (rng.random((block, J)) < lam[:, k]).astype(np.int64)
            total += int(np.count_nonzero(on.any(axis=1)))
            sizes += on.sum(axis=0)
            joint += on.T @ on
            remaining -= block
    return _flatten(total, sizes, joint)
