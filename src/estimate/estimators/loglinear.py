"""Poisson log-linear models for multiple-systems estimation (Fienberg 1972; Bishop, Fienberg & Holland 1975).

The 2^J − 1 observable cells of the J-list contingency table (every capture pattern except "on no list") are
modelled as independent Poisson counts with

    log μ_x = β_0 + Σ_j β_j x_j + Σ_{(j,l) ∈ T} β_jl x_j x_l + ...      (hierarchical interaction terms T)

fitted by maximum likelihood (statsmodels GLM).  The model's prediction for the unobservable cell x = 0 is
exp(β_0), so N̂ = n + exp(β̂_0): the highest-order interaction is assumed to be zero.  Models are chosen by AIC or
BIC over all hierarchical models with two-way interactions (J ≤ 5) or by stepwise search (J > 5): from the
independence model, each step makes the best single move (add or drop one two-way interaction) while the criterion
improves.  With ``screen=k`` (default 5) a step fits exactly only the k additions with the largest Rao score
statistic and the k drops with the smallest Wald statistic (these rank moves as their likelihood ratios would; see
:mod:`estimate.estimators.poisson_newton`); ``screen=None`` fits every move.  Candidate models and likelihood
profiles are maximised with warm-started Newton steps; the chosen model is refitted with statsmodels.

The interval is the profile-likelihood interval of Cormack (1992) as in Rcapture's ``closedpCI.t``: the full
2^J table, with the unobserved cell set to n0, is fitted for each candidate N = n + n0 and the multinomial
log-likelihood

    ℓ(N) = log N! − log n0! − Σ_x log y_x! + Σ_x y_x log(μ̂_x(N) / N)

is profiled; the 95% interval is {N : 2[ℓ(N̂) − ℓ(N)] ≤ χ²_1(0.95)}.
The reported estimate is the Poisson fit's n + exp(β̂_0) (Rcapture's ``closedp.t``); the profile's own maximum,
which the interval surrounds, can differ from it a little (Kosovo's independence model: 7,394.6 against 7,392.9;
far more in tiny tables: lists of 3 and 3 with 1 on both give 9 against 6.6) and is kept in
``details["profile_estimate"]``.

References: Fienberg, S. E. (1972) The multiple recapture census for closed populations and incomplete 2^k
contingency tables, Biometrika 59(3); Cormack, R. M. (1992) Interval estimation for mark-recapture studies of closed
populations, Biometrics 48(2); Baillargeon, S. & Rivest, L.-P. (2007) Rcapture: loglinear models for
capture-recapture in R, Journal of Statistical Software 19(5).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import gammaincinv, gammaln

from estimate._checks import check_terms, is_whole
from estimate._warning_state import catch_warnings
from estimate.data import CaptureData
from estimate.errors import DataError, UninformativeDataWarning
from estimate.estimators.base import Estimator, NotApplicable, register
from estimate.estimators.poisson_newton import (
    NewtonFit,
    fit_poisson_newton,
    score_statistics,
    wald_statistics,
)
from estimate.results import Interval, Result, level_percent

__all__ = ["LogLinear", "fit_poisson_glm", "full_table", "profile_interval"]

MAX_LISTS = 15
Term = tuple[str, ...]


def full_table(data: CaptureData) -> tuple[np.ndarray, np.ndarray]:
    """All 2^J patterns (rows, first row all-zero) and their observed counts (0 for unseen patterns)."""
    J = data.n_lists
    if J > MAX_LISTS:
        raise NotApplicable(
            f"log-linear models need all 2^J cells; J = {J} lists gives {2**J:,} cells (limit {MAX_LISTS} lists)"
        )
    codes = np.arange(2**J)
    cells = ((codes[:, None] >> np.arange(J)[::-1]) & 1).astype(np.uint8)
    weights = 1 << np.arange(J)[::-1]
    y = np.zeros(2**J)
    np.add.at(y, data.patterns.astype(np.int64) @ weights, data.counts)
    return cells, y


@dataclass(frozen=True)
class GLMFit:
    """A fitted Poisson GLM: coefficients, their covariance, fitted means and the log-likelihood."""

    params: np.ndarray
    cov: np.ndarray
    mu: np.ndarray
    llf: float
    converged: bool


def fit_poisson_glm(X: np.ndarray, y: np.ndarray, start: np.ndarray | None = None) -> GLMFit:
    """Poisson regression with log link, fitted by statsmodels' IRLS."""
    # the GLM alone: statsmodels.api also loads formulas, graphics and time series (≈ 0.3 s)
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM

    with catch_warnings():
        warnings.simplefilter("ignore")
        model = GLM(y, X, family=families.Poisson())
        # deviance change below 1e-10 absolute or 1e-13 relative: with millions of people the deviance itself is
        # large enough that its rounding exceeds any absolute tolerance, and IRLS would never "converge"
        try:
            res = model.fit(start_params=start, maxiter=100, tol=1e-10, rtol=1e-13)
        except ValueError as exc:
            # IRLS ran a coefficient off to ±∞ until its weights overflowed ("NaN, inf or invalid value detected
            # in weights"): a model without an MLE.  Newton steps with step halving stop short of that; their
            # fit is reported as not converged unless it truly is
            if "invalid value" not in str(exc):
                raise
            newton = fit_poisson_newton(X, y, start)
            return GLMFit(newton.params, newton.cov, newton.mu, newton.llf, newton.converged and mle_exists(X, y))
    mu = np.asarray(res.mu)
    llf = float(np.sum(y * np.log(np.where(mu > 0, mu, 1.0)) - mu - gammaln(y + 1)))
    converged = bool(getattr(res, "converged", True))
    if not converged:
        # a model that fits the counts exactly has deviance ≈ 0, so neither tolerance on its change can be met once
        # rounding at millions of people dominates; the score equations X'(y − μ) = 0 then hold to rounding, which
        # together with an existing MLE (the score also vanishes along a divergent direction) is convergence
        score = np.abs(X.T @ (y - mu))
        converged = bool(np.all(score <= 1e-8 * (np.abs(X).T @ y + 1.0))) and mle_exists(X, y)
    return GLMFit(np.asarray(res.params), np.asarray(res.cov_params()), mu, llf, converged)


def _hierarchical_closure(terms: Sequence[Term]) -> list[Term]:
    """Add every lower-order term implied by the given interactions (hierarchy)."""
    closed: set[Term] = set()
    for term in terms:
        for order in range(2, len(term) + 1):
            closed.update(itertools.combinations(term, order))
    return sorted(closed, key=lambda t: (len(t), t))


def design_matrix(cells: np.ndarray, lists: Sequence[str], terms: Sequence[Term]) -> np.ndarray:
    """Columns: intercept, main effects of each list, then one product column per interaction term."""
    index = {name: j for j, name in enumerate(lists)}
    columns = [np.ones(len(cells)), *(cells[:, j].astype(float) for j in range(len(lists)))]
    for term in terms:
        columns.append(np.prod(cells[:, [index[name] for name in term]], axis=1).astype(float))
    return np.column_stack(columns)


def _information(llf: float, k: int, n_cells: int) -> tuple[float, float]:
    """AIC and BIC of a Poisson log-linear fit; the BIC's n is the number of cells modelled, as in R's glm."""
    return -2 * llf + 2 * k, -2 * llf + k * math.log(n_cells)


#: The profile is followed up to this unobserved count; beyond it the interval is reported unbounded (there
#: log N!/n0! ≈ 3e14 carries rounding errors of ≈ 0.1, too close to the 1.92 drop that sets a 95% limit).
_PROFILE_CEILING = 1e13


def outside_profile_interval(estimate: float, profile_n: float, lower: float, upper: float, n: int) -> bool:
    """Whether a fitted N lies outside its own profile-likelihood interval (beyond rounding slack): the IRLS
    coefficients ran off to a boundary and exp(β0) landed anywhere, while the profile's maximum is the MLE of N."""
    slack = 1e-6 * max(n, 1)
    return math.isfinite(profile_n) and not lower - slack <= estimate <= upper + slack


def warn_if_no_upper_limit(label: str, estimate: float, upper: float, level: float, stacklevel: int) -> None:
    """Warn when the profile likelihood bounds the estimate but not the interval: it never fell far enough
    below its maximum, up to N = 10^13 where its precision runs out, so the upper limit is reported as ∞."""
    if math.isfinite(estimate) and not math.isfinite(upper):
        warnings.warn(
            f"{label}: the profile likelihood of N does not fall far enough below its maximum (N = {estimate:,.0f}) "
            f"up to N = {_PROFILE_CEILING:.0e}: the data give no upper limit at the {level_percent(level)} level, "
            "reported as infinite",
            UninformativeDataWarning,
            stacklevel=stacklevel + 1,
        )


#: exp(β0) below this (a millionth of a person) is an unobserved count at its lower boundary, 0
NEGLIGIBLE_UNSEEN = 1e-6


def fit_is_unbounded(converged: bool, f0: float, observed: int, exists: bool) -> bool:
    """Whether a fit's unobserved count f0 = exp(β0) runs to infinity: the fit did not converge or f0 is huge
    without an MLE.  A fit that stopped because f0 ran to 0 instead (everyone on every one of four or more lists:
    β0 → −∞) is not unbounded: the MLE of N is the observed count, and the profile likelihood gives its interval."""
    if not math.isfinite(f0):
        return True
    if not converged:
        return f0 >= NEGLIGIBLE_UNSEEN
    return f0 > 1e3 * max(observed, 1) and not exists


def profile_interval(
    X_full: np.ndarray, y_full: np.ndarray, observed: int, level: float = 0.95,
    start: np.ndarray | None = None,
) -> tuple[float, float, float]:
    """Profile-likelihood estimate and interval of N (Cormack 1992; Rcapture ``closedpCI.t``).

    ``X_full`` is the design over all 2^J cells with row 0 the unobserved cell; its count y_full[0] is replaced by
    each candidate n0.  Returns (N at the profile maximum, lower, upper); upper is inf when ℓ does not drop enough.
    Each fit is warm-started from the fit at the nearest n0 already evaluated (``start``: coefficients for the
    first one, e.g. the model's fit to the observed cells); a value of n0 whose fit fails counts as ℓ = −∞.
    """
    from scipy import optimize

    y = y_full.astype(float).copy()
    log_fact_obs = float(gammaln(y_full[1:] + 1).sum())
    cache: dict[float, float] = {}
    starts: dict[float, np.ndarray] = {}

    def nearest_start(n0: float) -> np.ndarray | None:
        if not starts:
            return start
        keys = np.fromiter(starts, dtype=float)
        return starts[float(keys[np.argmin(np.abs(np.log1p(keys) - math.log1p(n0)))])]

    def loglik(n0: float) -> float:
        n0 = float(n0)
        if n0 in cache:
            return cache[n0]
        y[0] = n0
        fit = fit_poisson_newton(X_full, y, nearest_start(n0))
        if not np.all(np.isfinite(fit.params)) or not math.isfinite(fit.llf):
            fit = fit_poisson_newton(X_full, y)
        if math.isfinite(fit.llf) and np.all(np.isfinite(fit.params)):
            starts[n0] = fit.params
            N = observed + n0
            mu = np.maximum(fit.mu, 1e-300)
            # cell probabilities μ/Σμ rather than μ/N: at the Poisson MLE Σμ = N, but a fit stopped by its
            # tolerance misses that by ~1e-5, and ℓ is not stationary in the scale of μ — that error once moved
            # the profile maximum of Kosovo's independence model from R's 7,392.92 to 7,388.79
            value = float(gammaln(N + 1) - gammaln(n0 + 1) - log_fact_obs + np.sum(y * np.log(mu / mu.sum())))
        else:
            value = -math.inf
        cache[n0] = value
        return value

    # locate the maximum on a log scale of n0 (starting near the fitted n0, walking outwards), then refine
    # (the grid reaches n0 = 1e7, and further at the same log spacing to 1e4 × observed and to 100 × the fitted
    # n0 — a weak overlap puts a finite MLE far out: one person on both of two lists of 30,000 gives 9e8 — up to
    # the ceiling where the log-likelihood loses the precision its 1.92 drop needs; grids of small data unchanged)
    base = np.geomspace(0.5, 1e7, 60)
    ratio = base[1] / base[0]
    fitted_n0 = math.exp(start[0]) if start is not None and start[0] < 700 else 0.0
    top = min(max(1e4 * max(observed, 1), 100.0 * fitted_n0), _PROFILE_CEILING)
    extra = 1e7 * ratio ** np.arange(1, math.ceil(math.log(top / 1e7) / math.log(ratio)) + 1) if top > 1e7 else []
    grid = np.unique(np.concatenate([[0.0], base, extra]))
    if start is not None and start[0] < 700:
        centre = int(np.argmin(np.abs(np.log1p(grid) - math.log1p(math.exp(start[0])))))
        order = [centre, *range(centre + 1, len(grid)), *range(centre - 1, -1, -1)]
    else:
        order = list(range(len(grid)))
    values = np.empty(len(grid))
    for i in order:
        values[i] = loglik(grid[i])
    if not np.any(np.isfinite(values)):
        return math.nan, float(observed), math.inf
    best = int(np.argmax(values))
    lo_b = grid[max(best - 1, 0)]
    hi_b = grid[min(best + 1, len(grid) - 1)]
    opt = optimize.minimize_scalar(lambda t: -loglik(t), bounds=(lo_b, hi_b), method="bounded",
                                   options={"xatol": 1e-3})
    n0_hat = float(opt.x)
    l_max = loglik(n0_hat)
    drop = float(gammaincinv(0.5, level))  # χ²₁'s level quantile / 2 (scipy.stats' chi2.ppf(level, 1) / 2)

    def excess(n0: float) -> float:
        return l_max - loglik(n0) - drop

    lower = 0.0 if excess(0.0) <= 0 else optimize.brentq(excess, 0.0, n0_hat, xtol=1e-4)
    upper_candidates = grid[grid > n0_hat]
    upper = math.inf
    previous = n0_hat
    for candidate in upper_candidates:
        if excess(candidate) > 0:
            upper = optimize.brentq(excess, previous, candidate, xtol=1e-4)
            break
        previous = candidate
    else:  # past the grid: a weak overlap can put a finite upper limit far out (one person on both of two
        # lists of 1,400 each: ≈ 3.4e7); walk on by factors of 10 while the profile is finite
        while previous < _PROFILE_CEILING:
            candidate = previous * 10.0
            if not math.isfinite(loglik(candidate)):
                break
            if excess(candidate) > 0:
                upper = optimize.brentq(excess, previous, candidate, xtol=1e-4)
                break
            previous = candidate
    return observed + n0_hat, observed + lower, observed + upper


@dataclass(frozen=True)
class _Candidate:
    terms: tuple[Term, ...]
    fit: GLMFit | NewtonFit
    aic: float
    bic: float
    #: whether the maximum-likelihood estimate exists (:func:`mle_exists`)
    exists: bool = True

    def coefficient(self, term: Term, n_lists: int) -> float:
        return float(self.fit.params[1 + n_lists + self.terms.index(term)])


def _parse_terms(terms: Any, lists: Sequence[str]) -> list[Term] | str:
    if isinstance(terms, str):
        key = terms.strip().lower()
        if key in ("search", "independence", "all-two-way"):
            return key
        parts = [tuple(p.strip() for p in chunk.split(":")) for chunk in terms.split(",") if chunk.strip()]
        terms = parts
    if not isinstance(terms, (list, tuple)):
        raise DataError(f"terms must be 'search', 'independence', 'all-two-way', text like 'A:B,B:C' or a list of "
                        f"list-name pairs; got {terms!r}")
    parsed: list[Term] = []
    for term in terms:
        term = tuple(term) if not isinstance(term, str) else tuple(term.split(":"))
        unknown = [name for name in term if name not in lists]
        if unknown:
            raise DataError(f"interaction term {term} names unknown list(s) {unknown}; lists are {list(lists)}")
        if len(set(term)) < 2 or len(set(term)) < len(term):
            raise DataError(f"interaction term {term} must involve at least two different lists, each once")
        if len(term) >= len(lists):
            raise DataError(
                f"the {len(lists)}-way interaction {term} is not identifiable: it would absorb the unobserved cell"
            )
        parsed.append(tuple(sorted(term, key=list(lists).index)))
    return parsed


def _overlapping_pairs(cells_obs: np.ndarray, y_obs: np.ndarray, lists: list[str]) -> list[tuple[str, str]]:
    """The pairs of lists someone is on both of: the interactions a model search may offer.

    For a pair nobody is on together the interaction's MLE is −∞ (the fitted overlap goes to 0); the fit never
    converges, and a search that picks such a term reports an unbounded N for a model whose N is finite.
    """
    cells = np.asarray(cells_obs, dtype=bool)
    y = np.asarray(y_obs, dtype=float)
    index = {name: j for j, name in enumerate(lists)}
    return [(a, b) for a, b in itertools.combinations(lists, 2)
            if float(y[cells[:, index[a]] & cells[:, index[b]]].sum()) > 0]


def mle_exists(X: np.ndarray, y: np.ndarray) -> bool:
    """Whether the Poisson log-linear model with design ``X`` has a (finite) maximum-likelihood estimate for the
    counts ``y`` of the observable cells.

    It does iff the sufficient statistics t = Xᵀy lie in the relative interior of the cone spanned by the rows of
    X, i.e. iff t = Xᵀz for some z > 0 (Haberman 1974; Fienberg, S. E. & Rinaldo, A. 2012, "Maximum likelihood
    estimation in log-linear models", Ann. Statist. 40(2); SparseMSE's existence check does the same).  Decided by
    the linear programme max s subject to Xᵀz = t, z ≥ s, 0 ≤ s ≤ 1: the MLE exists iff the optimum s > 0.
    Counts without zeros always give an MLE (z = y).  Otherwise some coefficients run off to ±∞ while fitted counts
    of some patterns go to 0, and N̂ and its interval depend on where the iterations stopped.
    """
    from scipy.optimize import linprog

    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if np.all(y > 0):
        return True
    n, p = X.shape
    scale = max(float(y.max()), 1.0)
    # z = w + s·1 with w ≥ 0: only the p equations Xᵀw + s·Xᵀ1 = t remain (2^J − 1 cells need no inequality rows)
    cost = np.zeros(n + 1)
    cost[-1] = -1.0
    a_eq = np.hstack([X.T, X.sum(axis=0)[:, None]])
    solution = linprog(cost, A_eq=a_eq, b_eq=X.T @ (y / scale), bounds=[(0, None)] * n + [(0, 1)], method="highs")
    return bool(solution.status == 0 and -solution.fun > 1e-7)


def missing_cell_identified(X_full: np.ndarray, y: np.ndarray) -> bool:
    """Whether the model determines the count of the unobserved pattern (row 0 of ``X_full``) when the observable
    cells' counts ``y`` have no MLE.

    Without an MLE the fit converges to the face of the model on which some cells' fitted counts are 0: the facial
    set F of the complete table (the unobserved cell given any positive count), the cells that are positive in
    some z ≥ 0 with Xᵀz = Xᵀy (Fienberg & Rinaldo 2012; found by the linear programme max Σ s_i subject to
    Xᵀz = Xᵀy, z_i ≥ s_i, 0 ≤ s_i ≤ 1 over the zero cells).  On that face the unobserved cell's fitted count is
    determined by the others only if its design row lies in the span of the other rows of F; otherwise it is a
    free parameter, any N ≥ n fits the counts equally well, and the profile likelihood of N falls only through
    the multinomial coefficient (by about ½ log(2πn) in all), which gave narrow, data-free intervals such as
    [n, n + 7] for any scale of the counts.
    """
    from scipy.optimize import linprog

    X = np.asarray(X_full, dtype=float)
    complete = np.concatenate([[1.0], np.asarray(y, dtype=float)])
    face = complete > 0
    zero = np.flatnonzero(~face)
    if zero.size:
        rows, m = X.shape[0], zero.size
        cost = np.concatenate([np.zeros(rows), -np.ones(m)])
        a_eq = np.hstack([X.T, np.zeros((X.shape[1], m))])
        a_ub = np.zeros((m, rows + m))  # s_i − z_i ≤ 0 for the zero cells
        a_ub[np.arange(m), zero] = -1.0
        a_ub[np.arange(m), rows + np.arange(m)] = 1.0
        scale = max(float(complete.max()), 1.0)
        solution = linprog(cost, A_ub=a_ub, b_ub=np.zeros(m), A_eq=a_eq, b_eq=X.T @ (complete / scale),
                           bounds=[(0, None)] * rows + [(0, 1)] * m, method="highs")
        if solution.status != 0:  # cannot tell: keep the model's answer
            return True
        face[zero[solution.x[rows:] > 1e-9]] = True
    others = X[1:][face[1:]]
    rank = np.linalg.matrix_rank(others) if others.size else 0
    return int(np.linalg.matrix_rank(np.vstack([others, X[:1]]))) == int(rank)


# a fit with a coefficient beyond this size (a factor e^10 ≈ 22,000 in a list effect or odds ratio) is checked with
# mle_exists: without an MLE Newton drives some coefficients off towards ±∞ (±20 to ±30 where it stops), while
# sparse data with an MLE keep them moderate even when many fitted counts are tiny
_RUNAWAY_COEFFICIENT = 10.0


def _check_existence(X: np.ndarray, y: np.ndarray, fit: Any) -> bool:
    if not np.any(y == 0):
        return True
    if fit.converged and float(np.max(np.abs(np.asarray(fit.params)[1:]), initial=0.0)) <= _RUNAWAY_COEFFICIENT:
        return True
    return mle_exists(X, y)


#: What a searched model's interval leaves out (measured by simulation: 3 independent lists, N = 1,000: 87%
#: coverage of the 95% interval, 94% with the true model fixed; 4 lists with two interactions: 85% against 96%)
SELECTION_NOTE = ("the interval is the chosen model's, as if it had been fixed in advance: it leaves out the "
                  "uncertainty of choosing the model, and in simulations a nominal 95% interval after the search "
                  "covered 85–90% of the time (measured at the 95% level); compare the candidate models "
                  "(details['candidates']) or average over models (dga)")


@register
class LogLinear(Estimator):
    """Poisson log-linear model with hierarchical interactions; N̂ = n + exp(β̂_0), profile-likelihood interval.

    Parameters
    ----------
    terms
        ``"search"`` (default: best model by ``criterion`` over hierarchical two-way models; pairs of lists that
        nobody is on together get no interaction, whose MLE would be −∞, as SparseMSE excludes models whose MLE
        does not exist), ``"independence"``,
        ``"all-two-way"``, or explicit interactions such as ``[("EXH", "ABA"), ("OSCE", "HRW")]`` or the string
        ``"EXH:ABA,OSCE:HRW"``; lower-order terms implied by a higher-order one are added (hierarchy).
    criterion
        ``"aic"`` or ``"bic"`` for the search.  BIC = −2 ℓ + k log(2^J − 1): its sample size is the number of
        observable cells (the Poisson observations), as R's ``glm`` counts it, not the number of people.
    screen
        Stepwise search only (J > 5): per step, fit exactly the ``screen`` most promising additions (Rao score) and
        drops (Wald); ``None`` or ``False`` fits all of them.
    level
        Confidence level of the profile-likelihood interval.  After a search the interval is the chosen model's,
        conditional on the choice: it leaves out the uncertainty of choosing the model and covers less often than
        its level (85–90% for 95% in simulations of 3–4 lists, against 94–96% with the true model fixed); the
        result says so in ``details["interval_note"]``.
    """

    name = "loglinear"
    max_lists: ClassVar[int | None] = MAX_LISTS

    def __init__(self, terms: Any = "search", criterion: str = "aic", level: float = 0.95,
                 screen: int | None = 5) -> None:
        self.terms = terms
        self.criterion = criterion
        self.level = level
        self.screen = screen

    # ------------------------------------------------------------------
    def _candidate(self, cells_obs: np.ndarray, y_obs: np.ndarray, lists: Sequence[str],
                   terms: Sequence[Term], near: _Candidate | None = None, X: np.ndarray | None = None) -> _Candidate:
        """Fit one model by Newton steps, warm-started from the coefficients of ``near`` (0 for new terms).
        ``X``: its design matrix, if the caller has it (columns as :func:`design_matrix` lays them out)."""
        terms = tuple(terms)
        if X is None:
            X = design_matrix(cells_obs, lists, terms)
        start = None
        if near is not None and np.all(np.isfinite(near.fit.params)):
            J = len(lists)
            start = np.concatenate([near.fit.params[: 1 + J],
                                    [near.coefficient(t, J) if t in near.terms else 0.0 for t in terms]])
        fit = fit_poisson_newton(X, y_obs, start)
        if not fit.converged and start is not None:
            fit = fit_poisson_newton(X, y_obs)
        aic, bic = _information(fit.llf, X.shape[1], len(y_obs))
        return _Candidate(terms, fit, aic, bic, _check_existence(X, y_obs, fit))

    def _rank(self, candidate: _Candidate) -> tuple[bool, float]:
        """Search order: models with an MLE first (one without only if no model has one), then by the criterion."""
        return (not candidate.exists, candidate.aic if self.criterion == "aic" else candidate.bic)

    def _search(self, cells_obs, y_obs, lists) -> tuple[_Candidate, list[_Candidate]]:
        pairs = _overlapping_pairs(cells_obs, y_obs, lists)
        key = self._rank

        candidates: list[_Candidate] = []
        if len(lists) <= 5:
            # every model's design is columns of the one with every pair (built once: building each of the 1,024
            # of five lists took a third of a stratum's search)
            J = len(lists)
            every_pair = design_matrix(cells_obs, lists, pairs)
            for r in range(len(pairs) + 1):
                for chosen in itertools.combinations(range(len(pairs)), r):
                    if J == 2 and chosen:
                        continue  # the 2-way term of 2 lists is not identifiable
                    X = every_pair[:, [*range(1 + J), *(1 + J + i for i in chosen)]]
                    candidates.append(self._candidate(cells_obs, y_obs, lists, [pairs[i] for i in chosen], X=X))
            return min(candidates, key=key), candidates
        screen = None if self.screen is None or self.screen is False else self.screen  # checked by _check_params
        J = len(lists)
        pair_columns = design_matrix(cells_obs, lists, pairs)[:, 1 + J:]
        current = self._candidate(cells_obs, y_obs, lists, ())
        candidates.append(current)
        while True:
            absent = [i for i, pair in enumerate(pairs) if pair not in current.terms]
            present = [i for i, pair in enumerate(pairs) if pair in current.terms]
            if screen is not None:
                X = design_matrix(cells_obs, lists, current.terms)
                gain = score_statistics(X, y_obs, current.fit, pair_columns[:, absent])
                absent = [absent[i] for i in np.argsort(-gain, kind="stable")[:screen]]
                loss = wald_statistics(current.fit, np.array([1 + J + current.terms.index(pairs[i])
                                                              for i in present], dtype=int))
                present = [present[i] for i in np.argsort(loss, kind="stable")[:screen]]
            trials = []
            for i in sorted(absent + present):
                terms = set(current.terms) ^ {pairs[i]}  # add or drop one pair (forward/backward)
                trials.append(self._candidate(cells_obs, y_obs, lists, sorted(terms, key=pairs.index), current))
            candidates.extend(trials)
            if not trials:
                break
            best = min(trials, key=key)
            (best_lacks, best_ic), (current_lacks, current_ic) = key(best), key(current)
            if best_lacks < current_lacks or (best_lacks == current_lacks and best_ic < current_ic - 1e-9):
                current = best
            else:
                break
        return current, candidates

    def _library_fit(self, cells_obs: np.ndarray, y_obs: np.ndarray, lists: Sequence[str],
                     chosen: _Candidate) -> _Candidate:
        """Refit the chosen model with statsmodels' GLM (coefficients and covariance as reported).

        Cold-started on purpose: when the data do not bound a coefficient (it runs off to −∞) the point where IRLS
        stops depends on its starting point, and only a start that does not depend on the search path keeps such
        unbounded fits invariant to the order of the lists.
        """
        X = design_matrix(cells_obs, lists, chosen.terms)
        fit = fit_poisson_glm(X, y_obs)
        aic, bic = _information(fit.llf, X.shape[1], len(y_obs))
        return _Candidate(chosen.terms, fit, aic, bic, chosen.exists)

    def _check_params(self) -> None:
        check_terms(self.terms, self.name, ("search", "independence", "all-two-way"))
        if self.criterion not in ("aic", "bic"):
            raise ValueError(f"criterion must be 'aic' or 'bic', got {self.criterion!r}")
        screen = self.screen
        if screen is not None and screen is not False and not (is_whole(screen) and screen >= 1):
            raise ValueError(f"screen must be a positive integer, or None/False to fit every move, got {screen!r}")

    def _fit(self, data: CaptureData) -> Result:
        lists = list(data.lists)
        cells, y = full_table(data)
        cells_obs, y_obs = cells[1:], y[1:]
        spec = _parse_terms(self.terms, lists)
        candidates: list[_Candidate] = []
        if spec == "search":
            chosen, candidates = self._search(cells_obs, y_obs, lists)
        elif spec == "independence":
            chosen = self._candidate(cells_obs, y_obs, lists, ())
        elif spec == "all-two-way":
            pairs = list(itertools.combinations(lists, 2)) if len(lists) > 2 else []
            chosen = self._candidate(cells_obs, y_obs, lists, pairs)
        else:
            chosen = self._candidate(cells_obs, y_obs, lists, _hierarchical_closure(spec))
        chosen = self._library_fit(cells_obs, y_obs, lists, chosen)
        return self._result(data, lists, cells, y, chosen, candidates)

    def _result(self, data, lists, cells, y, chosen: _Candidate, candidates: list[_Candidate]) -> Result:
        n = data.observed
        beta0 = chosen.fit.params[0]
        f0 = math.exp(beta0) if beta0 < 700 else math.inf
        estimate = n + f0
        var_beta0 = chosen.fit.cov[0, 0]
        # delta method for f0 = exp(β0), plus the multinomial variance of N given f0 (Rcapture's convention)
        std_error = math.sqrt(f0**2 * var_beta0 + f0) if math.isfinite(f0) else math.inf
        X_full = design_matrix(cells, lists, chosen.terms)
        # a fit reported converged can still be drifting towards an MLE at infinity (β0 grows while the deviance
        # settles); a large exp(β0) means that only when the MLE does not exist — with one person on both of two
        # lists of 3,000, N̂ ≈ 9e6 is a genuine, finite MLE
        boundary_estimate = None
        boundary_profile: list[float] | None = None
        unbounded = fit_is_unbounded(chosen.fit.converged, f0, n, chosen.exists)
        if not chosen.exists and not unbounded:
            warnings.warn(
                f"{self._warning_prefix(chosen.terms)}: the maximum-likelihood estimate does not exist "
                "for these counts (patterns with no one on them force fitted counts to 0 and coefficients to ±∞), "
                "so the estimate and its interval depend on where the iterations stopped; "
                + ("choose a model with fewer interactions" + (" — no model of the search has an MLE" if candidates
                                                               else "")
                   if chosen.terms else
                   "the independence model has no interactions to drop: its fit runs to the boundary (a list "
                   "that catches everyone, or no one, of the others'), and the estimate is that limit"),
                UninformativeDataWarning,
                stacklevel=4,
            )
        if unbounded:
            warnings.warn(
                f"{self._warning_prefix(chosen.terms)}: the estimate of the unobserved count is "
                f"unstable (exp(β0) = {f0:.3g}); the data do not bound N under this model (the maximum-likelihood "
                "estimate lies at infinity), so the estimate and the upper limit are reported as infinite",
                UninformativeDataWarning,
                stacklevel=4,
            )
            interval = Interval(float(n), math.inf, level=self.level, kind="none")
            profile_n = math.nan
            # where the iterations stopped is an artefact of the stopping rule (it even depends on the order of
            # the lists), not an estimate: keep it in the details only
            boundary_estimate, estimate, std_error = estimate, math.inf, math.inf
        else:
            profile_n, lower, upper = profile_interval(X_full, y, n, self.level, start=chosen.fit.params)
            interval = Interval(lower, upper, level=self.level, kind="profile-likelihood")
            identified = chosen.exists or missing_cell_identified(X_full, y[1:])
            if not identified:
                warnings.warn(
                    f"{self._warning_prefix(chosen.terms)}: these counts leave the number of people on "
                    "no list undetermined under this model (the patterns with no one on them force the fit to a "
                    "boundary on which the unobserved cell is a free parameter, e.g. two lists that never overlap "
                    "under an interaction between them): any N from the observed count up fits them equally well, "
                    "so no upper limit is claimed and the estimate is only the documented count (the boundary "
                    f"fit's profile interval, [{lower:,.1f}, {upper:,.1f}], comes from the multinomial coefficient "
                    "alone and is kept in details). Choose a model without the interactions the data cannot "
                    "support (e.g. the default search)",
                    UninformativeDataWarning,
                    stacklevel=4,
                )
                boundary_profile = [lower, upper]
                if outside_profile_interval(estimate, profile_n, lower, upper, n):
                    boundary_estimate = estimate
                estimate, std_error = profile_n, None
                interval = Interval(float(n), math.inf, level=self.level, kind="none")
            elif outside_profile_interval(estimate, profile_n, lower, upper, n):
                warnings.warn(
                    f"{self._warning_prefix(chosen.terms)}: N = {estimate:,.1f} from where the fit "
                    f"stopped lies outside its own profile-likelihood interval; reporting the profile maximum "
                    f"{profile_n:,.1f}",
                    UninformativeDataWarning,
                    stacklevel=4,
                )
                boundary_estimate, estimate, std_error = estimate, profile_n, None
            if identified:
                warn_if_no_upper_limit(f"{self._warning_prefix(chosen.terms)}", estimate, upper,
                                       self.level, stacklevel=4)
        deviance = 2 * float(np.sum(np.where(y[1:] > 0, y[1:] * np.log(np.where(y[1:] > 0, y[1:], 1)
                                                                        / chosen.fit.mu), 0) - (y[1:] - chosen.fit.mu)))
        df = len(y) - 1 - X_full.shape[1]
        names = ["(Intercept)", *lists, *(":".join(t) for t in chosen.terms)]
        details: dict[str, Any] = {
            "terms": [":".join(t) for t in chosen.terms],
            "coefficients": dict(zip(names, map(float, chosen.fit.params), strict=True)),
            "profile_estimate": profile_n,
            "criterion": self.criterion,
        }
        if unbounded or boundary_estimate is not None:
            details["boundary_estimate"] = boundary_estimate
        if boundary_profile is not None:
            details["boundary_profile_interval"] = boundary_profile
        if len(candidates) > 1 and math.isfinite(interval.upper):  # a choice was made
            details["interval_note"] = SELECTION_NOTE
        if candidates:
            table = sorted(candidates, key=self._rank)[:20]
            details["candidates"] = [
                {"terms": [":".join(t) for t in c.terms], "N": n + math.exp(min(c.fit.params[0], 700)),
                 "aic": c.aic, "bic": c.bic, "mle_exists": c.exists}
                for c in table
            ]
        return Result(
            method=self.name,
            model=self._describe(chosen.terms),
            estimate=estimate,
            interval=interval,
            observed=n,
            lists=tuple(lists),
            std_error=std_error,
            diagnostics={"deviance": deviance, "df": df, "aic": chosen.aic, "bic": chosen.bic},
            details=details,
        )

    @staticmethod
    def _describe(terms: Sequence[Term]) -> str:
        if not terms:
            return "Poisson log-linear model, independent lists"
        return "Poisson log-linear model with interactions " + ", ".join(":".join(t) for t in terms)

    @staticmethod
    def _warning_prefix(terms: Sequence[Term]) -> str:
        """How a warning names the model: "log-linear model (independent lists)", "log-linear model (A:B, B:C)"."""
        return f"log-linear model ({', '.join(':'.join(t) for t in terms) if terms else 'independent lists'})"


def candidates_frame(result: Result) -> pd.DataFrame:
    """The model-search table of a log-linear result (best first)."""
    return pd.DataFrame(result.details.get("candidates", []))
