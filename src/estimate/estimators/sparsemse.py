"""SparseMSE: log-linear models chosen by forward stepwise Poisson p-values, with bootstrap BCa intervals.

The method of Chan, Silverman & Vincent (2021), as in the R package SparseMSE (``estimatepopulation``), used for
the UK Home Office's modern-slavery estimates.  The counts of the 2^J − 1 observable capture patterns are Poisson
with

    log μ_x = β_0 + Σ_j β_j x_j + Σ_{(j,l) ∈ T} β_jl x_j x_l,      N̂ = n + exp(β̂_0).

Model choice (``stepwisefit``): start from the main-effects model; for every pair (j, l) not yet in T, the
number of people on both lists, n*_jl, is Poisson under the current fit with mean μ*_jl = Σ_{x: x_j = x_l = 1} μ̂_x,
and its p-value is min(P(X ≤ n*_jl), P(X ≥ n*_jl)).  A pair whose model would have no maximum-likelihood estimate
or would not be identifiable (the linear-programming test of Fienberg & Rinaldo 2012, and the design's rank:
SparseMSE's ``checkident``) gets p = 1.  The pair with the smallest p-value joins T while that p-value is below
``pthresh`` (default 0.02).  A pair nobody is on together (n*_jl = 0) joins as an interaction at −∞: the patterns
holding both lists are left out of the fit (their fitted count is 0), as SparseMSE's ``buildmodel`` does.

Interval (``estimatepopulation``): the whole procedure — model choice included — is repeated on ``n_boot``
bootstrap samples of the n people (pattern counts ~ Multinomial(n, observed shares)); the bias correction
z_0 = Φ⁻¹(share of bootstrap estimates below N̂) and the acceleration â from the jackknife (one person left out
of each pattern, weighted by its count) give the BCa limits (Efron 1987; DiCiccio & Efron 1996)

    α' = Φ(z_0 + (z_0 + z_α) / (1 − â (z_0 + z_α))),   limit = quantile of the bootstrap estimates at α'

(quantiles median-unbiased, R's type 8).  Because the bootstrap repeats the model choice, the interval carries
its uncertainty, unlike an interval of the chosen model alone.  ``interval="log-normal"`` gives instead
SparseMSE's ``estimatepopulation.0`` interval of the chosen model: n + exp(β̂_0 ± z se(β̂_0)).

References: Chan, L., Silverman, B. W. & Vincent, K. (2021) Multiple systems estimation for sparse capture data:
inferential challenges when there are nonoverlapping lists, Journal of the American Statistical Association
116(535); Silverman, B. W. (2020) Model fitting in multiple systems analysis for the quantification of modern
slavery, JRSS A 183(3); Fienberg, S. E. & Rinaldo, A. (2012) Maximum likelihood estimation in log-linear models,
Ann. Statist. 40(2); DiCiccio, T. J. & Efron, B. (1996) Bootstrap confidence intervals, Statistical Science 11(3).
"""

from __future__ import annotations

import itertools
import math
import warnings
from typing import Any, ClassVar

import numpy as np
from scipy.special import ndtr, ndtri, pdtr, pdtrc

from estimate._checks import as_seed_sequence, is_real, is_whole, normalised_interval_kind
from estimate.data import CaptureData
from estimate.errors import EstimateWarning, UninformativeDataWarning
from estimate.estimators.base import Estimator, register
from estimate.estimators.loglinear import MAX_LISTS, fit_is_unbounded, full_table, mle_exists
from estimate.estimators.poisson_newton import fit_poisson_newton
from estimate.results import Interval, Result

__all__ = ["SparseMSE", "stepwise_fit"]

INTERVALS = ("bca", "log-normal")
#: the most bootstrap samples (each repeats the model search; 10**12 failed allocating 51 TB)
MAX_BOOTSTRAP = 1_000_000


class _StepwiseFit:
    """The chosen model: its interactions (pairs of list indices), the pairs at −∞, the cells fitted, the fit."""

    __slots__ = ("terms", "empty", "keep", "fit")

    def __init__(self, terms: list[tuple[int, int]], empty: list[tuple[int, int]], keep: np.ndarray, fit: Any):
        self.terms, self.empty, self.keep, self.fit = terms, empty, keep, fit

    def estimate(self, cells: np.ndarray, y: np.ndarray) -> float:
        """n + exp(β̂0), or ∞ when the data do not bound N under the model (:func:`fit_is_unbounded`: the fit
        did not converge, or exp(β̂0) is huge and the model has no MLE — e.g. lists that never overlap)."""
        observed = float(y.sum())
        beta0 = float(self.fit.params[0])
        unseen = math.exp(beta0) if beta0 < 700 else math.inf
        exists = unseen <= 1e3 * max(observed, 1.0) or mle_exists(_design(cells[self.keep], self.terms), y[self.keep])
        return math.inf if fit_is_unbounded(self.fit.converged, unseen, int(observed), exists) else observed + unseen


def _goodness_of_fit(fit: Any, y: np.ndarray) -> dict[str, float]:
    """The chosen model's deviance, residual degrees of freedom and AIC over the cells it fits (R's ``glm`` of
    SparseMSE's ``MSEfit$fit``): D = 2 Σ [y log(y/μ̂) − (y − μ̂)], df = cells − coefficients, AIC = −2ℓ + 2p."""
    mu = np.asarray(fit.mu, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)
    parameters = len(fit.params)
    return {"deviance": float(2 * terms.sum()), "df": float(len(y) - parameters),
            "aic": float(-2 * fit.llf + 2 * parameters)}


def _design(cells: np.ndarray, terms: list[tuple[int, int]]) -> np.ndarray:
    """Intercept, one column per list, one product column per interaction (SparseMSE's model matrix)."""
    columns = [np.ones(len(cells)), *cells.T.astype(float)]
    columns += [(cells[:, a] * cells[:, b]).astype(float) for a, b in terms]
    return np.column_stack(columns)


def _identifiable(X: np.ndarray, y: np.ndarray) -> bool:
    """SparseMSE's ``checkident``: the MLE exists (linear programme) and the design has full column rank."""
    return int(np.linalg.matrix_rank(X)) == X.shape[1] and mle_exists(X, y)


def poisson_p_value(observed: float, expected: float) -> float:
    """SparseMSE's p-value of an overlap of ``observed`` people where the current model expects ``expected``:
    min(P(X ≤ n*), P(X ≥ n*)) for X ~ Poisson(expected) (R: ``min(ppois(n, m), ppois(n - 1, m, FALSE))``)."""
    return min(float(pdtr(observed, expected)), float(pdtrc(observed - 1, expected)) if observed else 1.0)


def stepwise_fit(cells: np.ndarray, y: np.ndarray, pthresh: float = 0.02) -> _StepwiseFit:
    """Forward stepwise choice of two-list interactions by Poisson p-values (SparseMSE's ``stepwisefit``).

    ``cells``: the 2^J − 1 observable patterns (0/1 rows), ``y``: their counts (0 for patterns nobody has).
    Candidates are tried in order of their p-value (:func:`poisson_p_value`; ties: the earlier pair, as R's
    ``min`` of the indices); the first whose model passes the identifiability test joins if its p-value is below
    ``pthresh`` — the choice of SparseMSE, which gives failing candidates p = 1 and takes the smallest, without
    testing every candidate.  ``pthresh = 1`` fits every pair at once when that model passes the test (R's special
    case), otherwise steps as for any threshold; ``pthresh = 0`` keeps the main effects.
    """
    J = cells.shape[1]
    pairs = list(itertools.combinations(range(J), 2))
    both = {pair: (cells[:, pair[0]] == 1) & (cells[:, pair[1]] == 1) for pair in pairs}
    overlap = {pair: float(y[both[pair]].sum()) for pair in pairs}
    if pthresh == 1:  # R: the model with every pair (those nobody is on together at −∞), if identifiable
        every_terms = [pair for pair in pairs if overlap[pair] > 0]
        every_empty = [pair for pair in pairs if overlap[pair] == 0]
        every_keep = np.ones(len(y), dtype=bool)
        for pair in every_empty:
            every_keep &= ~both[pair]
        X = _design(cells[every_keep], every_terms)
        if _identifiable(X, y[every_keep]):
            return _StepwiseFit(every_terms, every_empty, every_keep, fit_poisson_newton(X, y[every_keep]))
    # a model whose MLE exists keeps it when interactions are removed (Xᵀz = Xᵀy for some z > 0 holds for any
    # subset of the columns), and a full-rank design stays full rank: when the model with every overlapping pair
    # passes, so does every model of overlapping pairs alone — one linear programme instead of one per step
    top = _design(cells, [pair for pair in pairs if overlap[pair] > 0])
    every_overlap_passes = _identifiable(top, y)
    terms: list[tuple[int, int]] = []
    empty: list[tuple[int, int]] = []
    keep = np.ones(len(y), dtype=bool)
    fit = fit_poisson_newton(_design(cells, terms), y)
    while True:
        mu = np.zeros(len(y))
        mu[keep] = fit.mu
        scored = sorted((poisson_p_value(overlap[pair], float(mu[both[pair]].sum())), index, pair)
                        for index, pair in enumerate(pairs) if pair not in terms and pair not in empty)
        chosen = None
        for p_value, _index, pair in scored:
            if p_value >= pthresh:
                break
            new_terms, new_empty = (terms + [pair], empty) if overlap[pair] > 0 else (terms, empty + [pair])
            new_keep = keep & ~both[pair] if overlap[pair] == 0 else keep
            X = _design(cells[new_keep], new_terms)
            if (every_overlap_passes and not new_empty) or _identifiable(X, y[new_keep]):
                chosen = (new_terms, new_empty, new_keep, X)
                break
        if chosen is None:
            return _StepwiseFit(terms, empty, keep, fit)
        # warm start from the current fit: a new interaction starts at 0; a pair at −∞ keeps the coefficients
        start = np.concatenate([fit.params, [0.0]]) if len(chosen[0]) > len(terms) else fit.params
        terms, empty, keep, X = chosen
        fit = fit_poisson_newton(X, y[keep], start)
        if not fit.converged:
            fit = fit_poisson_newton(X, y[keep])


def _exp(value: float) -> float:
    """exp, ∞ past the float range (a boundary fit's log-normal limit: exp(β0 + z·se) with se ≈ 1e5)."""
    return math.exp(value) if value < 700 else math.inf


#: a coefficient beyond this (a factor e^10 ≈ 22,000) makes the final model's MLE worth testing (as loglinear does)
_RUNAWAY_COEFFICIENT = 10.0


def _mle_exists(model: _StepwiseFit, cells: np.ndarray, y: np.ndarray) -> bool:
    """Whether the chosen model has a finite MLE: the linear-programming test, run only when an observable
    pattern has no one on it and the fit did not settle with moderate coefficients (a runaway towards a
    boundary: exp(β0) → 0 when one list holds everyone, which the test of an unbounded N in
    :meth:`_StepwiseFit.estimate` does not see)."""
    kept = y[model.keep]
    params = np.asarray(model.fit.params)
    if np.all(kept > 0) or (model.fit.converged and float(np.max(np.abs(params[1:]), initial=0.0))
                            <= _RUNAWAY_COEFFICIENT and abs(float(params[0])) <= 2 * _RUNAWAY_COEFFICIENT):
        return True
    return mle_exists(_design(cells[model.keep], model.terms), kept)


def _estimate(cells: np.ndarray, y: np.ndarray, pthresh: float) -> float:
    return stepwise_fit(cells, y, pthresh).estimate(cells, y)


def quantiles_infinite_last(values: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Median-unbiased quantiles (R's type 8) of ``values`` in which ∞ (an unbounded replicate) sits above every
    finite value: a quantile reaching past the largest finite value is ∞ (interpolating towards a stand-in for ∞
    gave limits near 1e307)."""
    finite = np.isfinite(values)
    if np.all(finite):
        return np.quantile(values, probabilities, method="median_unbiased")
    if not np.any(finite):
        return np.full(np.shape(probabilities), math.inf)
    largest = float(values[finite].max())
    stand_in = np.where(finite, values, np.finfo(float).max)
    limits = np.quantile(stand_in, probabilities, method="median_unbiased")
    return np.where(limits > largest, math.inf, limits)


def _share_below(replicates: np.ndarray, estimate: float) -> float:
    """The share of replicates below the estimate, kept within [1/(2B), 1 − 1/(2B)]: at 0 or 1 the bias correction
    z0 = Φ⁻¹(share) would be infinite and the limits undefined (R fails there)."""
    B = len(replicates)
    return min(max(float(np.mean(replicates < estimate)), 0.5 / B), 1 - 0.5 / B)


def _bca_probabilities(z0: float, acceleration: float, alphas: np.ndarray) -> np.ndarray:
    """α' = Φ(z0 + (z0 + z_α) / (1 − â (z0 + z_α))): where the BCa limits sit among the bootstrap samples."""
    z_alpha = ndtri(alphas)
    return ndtr(z0 + (z0 + z_alpha) / (1.0 - acceleration * (z0 + z_alpha)))


def _bca_limits(replicates: np.ndarray, estimate: float, acceleration: float, alphas: np.ndarray) -> np.ndarray:
    """BCa limits at the nominal tail probabilities ``alphas`` (SparseMSE's ``bcaconfvalues``)."""
    z0 = float(ndtri(_share_below(replicates, estimate)))
    return quantiles_infinite_last(replicates, _bca_probabilities(z0, acceleration, alphas))


def _bca_failure(share: float, z0: float, acceleration: float, alphas: np.ndarray, lower: float, upper: float,
                 estimate: float) -> str:
    """Why the BCa limits mean nothing here ('' when they are usable): every bootstrap estimate on one side of
    N̂ (z0 infinite, clamped), the acceleration's denominator 1 − â(z0 + z_α) at or below 0 (α' wraps round to the
    other tail), or limits that leave out the estimate they are built around."""
    if share in (0.0, 1.0):
        return (f"{'none' if share == 0 else 'every one'} of the bootstrap estimates fell below the estimate "
                f"{estimate:,.1f} (the bias correction is infinite)")
    if np.any(1.0 - acceleration * (z0 + ndtri(alphas)) <= 0):
        return f"the acceleration {acceleration:.3f} with bias correction {z0:.2f} wraps the limits round"
    if not (lower <= estimate <= upper):
        return f"the limits [{lower:,.1f}, {upper:,.1f}] leave out the estimate {estimate:,.1f}"
    return ""


def _at_the_edge(count: int, probability: float) -> bool:
    """Whether the order statistics one binomial standard deviation, √(p(1 − p)/B), either side of the
    ``probability`` point of ``count`` samples reach past the smallest or largest: the limit is then set by the
    few most extreme samples and no error estimate is usable."""
    step = math.sqrt(probability * (1 - probability) / count)
    return math.floor(count * (probability - step)) < 0 or math.ceil(count * (probability + step)) > count - 1


def _bca_mcse(replicates: np.ndarray, estimate: float, acceleration: float, alphas: np.ndarray,
              rng: np.random.Generator, resamples: int = 500) -> np.ndarray:
    """Monte Carlo standard errors of the BCa limits: their spread over resamples of the B bootstrap estimates,
    z0 and α' recomputed each time (no model is refitted).  The noise of z0, estimated from the same samples, moves
    α' and is part of the error (the order statistics' spread alone understated Western's upper limit's error by
    a factor of 1.4); the acceleration comes from the jackknife and has none."""
    B = len(replicates)
    limits = np.array([_bca_limits(replicates[rng.integers(0, B, B)], estimate, acceleration, alphas)
                       for _ in range(resamples)])
    with np.errstate(invalid="ignore"):
        spread = np.std(limits, axis=0, ddof=1)
    return np.where(np.all(np.isfinite(limits), axis=0), spread, math.inf)


@register
class SparseMSE(Estimator):
    """Log-linear model chosen by forward stepwise Poisson p-values, with a bootstrap BCa interval (SparseMSE).

    Parameters
    ----------
    pthresh
        p-value threshold of the stepwise choice (SparseMSE's default 0.02); 0 fits the main-effects model.
    interval
        ``"bca"`` (default): the bias-corrected and accelerated bootstrap interval of the whole procedure, model
        choice included; ``"log-normal"``: n + exp(β̂_0 ± z se) of the chosen model (no bootstrap, no model
        uncertainty).
    n_boot
        Bootstrap samples for ``"bca"`` (SparseMSE's default 1,000).  The limits are quantiles of these samples:
        their Monte Carlo error shrinks as 1/√n_boot.
    level
        Confidence level.
    seed
        Seed of the bootstrap (an int, a ``numpy.random.SeedSequence`` or None).

    ``std_error`` is the bootstrap's, read robustly: half the spread between its 15.9% and 84.1% points (the
    samples' standard deviation is dominated by the few whose chosen model puts N far out); with the log-normal
    interval it is the delta method's (N̂ − n) se(β̂0).

    The point estimate and the chosen model are SparseMSE's (they reproduce its published estimates for the UK,
    Kosovo, the Netherlands, New Orleans and the Western US data); the bootstrap draws its own random numbers, so
    its limits agree with SparseMSE's within their Monte Carlo error, not digit for digit.
    """

    name = "sparsemse"
    max_lists: ClassVar[int | None] = MAX_LISTS
    interval_choices: ClassVar[tuple[str, ...]] = INTERVALS

    def __init__(self, pthresh: float = 0.02, interval: str = "bca", n_boot: int = 1000, level: float = 0.95,
                 seed: Any = None) -> None:
        self.pthresh = pthresh
        self.interval = interval
        self.n_boot = n_boot
        self.level = level
        self.seed = seed

    @property
    def takes_seed(self) -> bool:
        """Only the bootstrap draws random numbers: the log-normal interval takes no seed (none is drawn or
        recorded for it)."""
        return normalised_interval_kind(self.interval, INTERVALS) != "log-normal"

    def _check_params(self) -> None:
        if not (is_real(self.pthresh) and 0 <= self.pthresh <= 1):
            raise ValueError(f"pthresh must be a p-value threshold in [0, 1], got {self.pthresh!r}")
        if self.interval not in INTERVALS:  # ("BCa" is read as "bca" by check_params, as "HDI" is "hdi")
            raise ValueError(f"interval must be one of {list(INTERVALS)}, got {self.interval!r}")
        if not (is_whole(self.n_boot) and 20 <= self.n_boot <= MAX_BOOTSTRAP):
            raise ValueError(f"n_boot must be an integer from 20 to {MAX_BOOTSTRAP:,} (SparseMSE uses 1,000; each "
                             f"sample repeats the model search), got {self.n_boot!r}")

    def _fit(self, data: CaptureData) -> Result:
        lists = list(data.lists)
        cells, y = full_table(data)
        cells, y = cells[1:], y[1:]
        n = data.observed
        model = stepwise_fit(cells, y, float(self.pthresh))
        estimate = model.estimate(cells, y)
        terms = [f"{lists[a]}:{lists[b]}" for a, b in model.terms]
        empty = [f"{lists[a]}:{lists[b]}" for a, b in model.empty]
        fit = model.fit
        se_beta0 = math.sqrt(max(float(fit.cov[0, 0]), 0.0))
        details: dict[str, Any] = {"terms": terms, "empty_overlaps": empty, "pthresh": float(self.pthresh),
                                   "se_log_unobserved": se_beta0}
        diagnostics: dict[str, float] = _goodness_of_fit(fit, y[model.keep])
        no_mle = math.isfinite(estimate) and not _mle_exists(model, cells, y)
        if no_mle:
            details["mle_exists"] = False
            warnings.warn(
                f"sparsemse: the maximum-likelihood estimate of the chosen model ({self._describe(terms)}) does not "
                "exist for these counts: patterns nobody is on force fitted counts to 0 and coefficients to ±∞ (e.g. "
                "one list holds everyone the others hold), so the estimate is where the fit stopped "
                f"(se of log exp(β0) {se_beta0:.3g}); an interval, which every bootstrap sample would repeat, would "
                "measure no uncertainty about the people no list recorded: this model does not estimate N here, and "
                "no upper limit is claimed", UninformativeDataWarning, stacklevel=3)
        if not math.isfinite(estimate):
            boundary = n + math.exp(min(float(fit.params[0]), 700.0))
            warnings.warn(
                f"sparsemse: the data do not bound N under the chosen model ({self._describe(terms)}): its "
                f"maximum-likelihood estimate lies at infinity (the fit stopped at exp(β0) = {boundary - n:.3g}), "
                "so the estimate and the upper limit are reported as infinite",
                UninformativeDataWarning, stacklevel=3)
            details["boundary_estimate"] = boundary
            interval = Interval(float(n), math.inf, level=self.level, kind="none")
            estimate, std_error = math.inf, math.inf
        elif no_mle:
            interval, std_error = Interval(float(n), math.inf, level=self.level, kind="none"), math.inf
        elif self.interval == "log-normal":
            z = float(ndtri(0.5 + self.level / 2))
            beta0 = float(fit.params[0])
            interval = Interval(n + _exp(beta0 - z * se_beta0), n + _exp(beta0 + z * se_beta0),
                                level=self.level, kind="log-normal")
            std_error = (estimate - n) * se_beta0
        else:
            interval, std_error = self._bca(cells, y, estimate, details, diagnostics)
        model_text = ("Poisson log-linear model, stepwise by Poisson p-values (SparseMSE), "
                      + self._describe(terms) + (f"; never together: {', '.join(empty)}" if empty else ""))
        return Result(method=self.name, model=model_text, estimate=estimate, interval=interval, observed=n,
                      lists=tuple(lists), std_error=std_error, diagnostics=diagnostics, details=details)

    def _bca(self, cells: np.ndarray, y: np.ndarray, estimate: float, details: dict[str, Any],
             diagnostics: dict[str, float]) -> tuple[Interval, float]:
        """The BCa interval from ``n_boot`` multinomial resamples and the count-weighted jackknife."""
        n = int(y.sum())
        pthresh = float(self.pthresh)
        root = as_seed_sequence(self.seed)
        rng = np.random.Generator(np.random.PCG64(root))
        samples = rng.multinomial(n, y / n, size=int(self.n_boot)).astype(float)
        replicates = np.array([_estimate(cells, sample, pthresh) for sample in samples])
        observed_cells = np.flatnonzero(y > 0)
        jackknife = np.empty(len(observed_cells))
        for i, cell in enumerate(observed_cells):
            fewer = y.copy()
            fewer[cell] -= 1
            jackknife[i] = _estimate(cells, fewer, pthresh)
        weights = y[observed_cells]
        acceleration = 0.0
        if np.all(np.isfinite(jackknife)):
            residuals = np.sum(weights * jackknife) / weights.sum() - jackknife
            spread = float(np.sum(weights * residuals**2))
            acceleration = float(np.sum(weights * residuals**3) / (6 * spread**1.5)) if spread > 0 else 0.0
        else:  # R's â is NaN here and its limits fail
            details["acceleration_note"] = ("a jackknife estimate (one person left out) was unbounded: the "
                                            "acceleration is taken as 0 (a bias-corrected percentile interval)")
            warnings.warn(f"sparsemse: {details['acceleration_note']}", UninformativeDataWarning, stacklevel=4)
        tail = (1 - self.level) / 2
        alphas = np.array([tail, 1 - tail])
        share = float(np.mean(replicates < estimate))
        z0 = float(ndtri(_share_below(replicates, estimate)))
        adjusted = _bca_probabilities(z0, acceleration, alphas)
        lower, upper = quantiles_infinite_last(replicates, adjusted)  # _bca_limits, its z0 and α' kept for below
        unbounded = int(np.sum(~np.isfinite(replicates)))
        # the limits' Monte Carlo error, from resampling the bootstrap estimates (its own random stream, after the
        # samples: the limits do not depend on it); infinite for a limit at the samples' edge
        mcse = _bca_mcse(replicates, estimate, acceleration, alphas,
                         np.random.Generator(np.random.PCG64(root.spawn(1)[0])))
        unstable = [(side, float(point)) for side, point in zip(("lower", "upper"), adjusted, strict=True)
                    if _at_the_edge(len(replicates), float(point))]
        for side, _ in unstable:
            mcse[0 if side == "lower" else 1] = math.inf
        details.update({"acceleration": acceleration, "bias_correction": z0, "bootstrap_unbounded": unbounded})
        # printed with the result: how precise the limits are, and from how many samples
        diagnostics.update({"n_boot": int(self.n_boot), "mcse_lower": float(mcse[0]), "mcse_upper": float(mcse[1])})
        if share in (0.0, 1.0):
            details["bias_correction_note"] = (f"{'no' if share == 0 else 'every'} bootstrap estimate fell below "
                                               "the estimate: the share was taken as 1/(2 n_boot) from the edge")
        # the bootstrap's standard error, read robustly from its central 68% (half the 15.9–84.1% spread): the
        # samples' standard deviation is dominated by the few whose chosen model puts N far out (UK 2013: 3,232
        # beside a 95% interval 5,000 wide); infinite only when unbounded samples reach the 84.1% point
        q16, q84 = quantiles_infinite_last(replicates, np.array([ndtr(-1.0), ndtr(1.0)]))
        std_error = float(q84 - q16) / 2 if math.isfinite(q84) else math.inf
        failure = _bca_failure(share, z0, acceleration, alphas, float(lower), float(upper), estimate)
        if failure:  # the BCa construction breaks down: no interval is better than a wrong one
            details["bca_failed"] = failure
            warnings.warn(
                f"sparsemse: no BCa interval: {failure}; no upper limit is claimed (interval='log-normal' gives the "
                "chosen model's own interval)", UninformativeDataWarning, stacklevel=4)
            return Interval(float(n), math.inf, level=self.level, kind="none"), std_error
        if unstable:
            details["unstable_limits"] = [side for side, _ in unstable]
            where = " and ".join(f"the {side} at the {100 * point:.2g}% point" for side, point in unstable)
            warnings.warn(
                f"sparsemse: the bias-corrected limits fall at the edge of the {len(replicates):,} bootstrap samples "
                f"({where}; bias correction z0 = {z0:.2f}, acceleration {acceleration:.3f}): such a limit is the "
                "smallest or largest sample, moves from seed to seed by more than any precision one could report, "
                "and drifts outwards as n_boot grows; "
                f"about {math.ceil(20 / max(min(min(p, 1 - p) for _, p in unstable), 0.1 / len(replicates))):,} "
                "samples would put 20 beyond it. "
                "Read it as rough (R SparseMSE's limit there is as unstable)", EstimateWarning, stacklevel=4)
        if unbounded:
            warnings.warn(
                f"sparsemse: {unbounded} of {len(replicates)} bootstrap samples gave no finite estimate (the "
                "resampled counts do not bound N under the model chosen for them); the upper limit counts them "
                "as above every finite one", UninformativeDataWarning, stacklevel=4)
        lower = max(float(lower), float(n))
        return Interval(lower, max(float(upper), lower), level=self.level, kind="bootstrap-bca"), std_error

    @staticmethod
    def _describe(terms: list[str]) -> str:
        return "interactions " + ", ".join(terms) if terms else "independent lists"
