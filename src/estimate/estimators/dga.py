r"""Bayesian model averaging over decomposable graphical models (Madigan & York 1997; R package dga).

Model
-----
The J lists (3 ≤ J ≤ 5) cross-classify the N people into the 2^J cells x ∈ {0,1}^J of a contingency table with
counts y_x; the count n0 = y_0 of the cell "on no list" is unobserved and N = n + n0.  For a decomposable
(chordal) graph G on the lists — an edge means the two lists may be dependent, a missing edge that they are
conditionally independent given the others — the cell probabilities factorise over the cliques C and separators S
of G, and the hyper-Dirichlet prior (Dawid & Lauritzen 1993) gives every marginal table a Dirichlet prior with
δ · 2^{J−|s|} pseudo-counts per cell (so δ per cell of the full table, total A = δ 2^J).  The marginal
likelihood of the complete table is then available in closed form:

    log p(y, n0 | G) = log[N! / (n0! ∏_{x≠0} y_x!)] + Σ_C ℓ_C(n0) − Σ_S ℓ_S(n0),

    ℓ_s(n0) = log Γ(A) − log Γ(N + A) + Σ_{cells c of the s-marginal} [log Γ(m_{s,c} + α_s) − log Γ(α_s)],
    α_s = δ 2^{J−|s|},

where m_{s,c} are the counts of the marginal table of the lists in s; only its all-zero cell m_{s,0} contains n0.
With the prior p(N) ∝ 1/N and a uniform prior over the graphs,

    p(G, n0 | y) ∝ p(y, n0 | G) / (n + n0),          n0 = 0, 1, …, n0_max,

which is evaluated exactly on every integer of the grid and normalised over graphs × grid (dga's ``bma.cr``).
Posterior model probabilities are the row sums, the model-averaged posterior of N the column sums.  The point
estimate is the posterior median and the interval the equal-tailed (or highest-density) credible interval of
that discrete posterior; quantiles are "the smallest N whose CDF ≥ p", as in dga.

Implementation: ℓ_s is computed once per subset s of lists (2^J of them) over the whole grid with
``scipy.special.gammaln``; every graph's log marginal likelihood is then one row of ``K @ ℓ`` where K (graphs ×
subsets) holds +1 for cliques and −1 for separators (:mod:`estimate.samplers.graphs` enumerates the 8 / 61 / 822
decomposable graphs on 3 / 4 / 5 lists).  The grid is processed in chunks, so the work matrix stays small; the
posterior of N itself is kept on every grid point (8 bytes each, a few copies while summarising it), so time and
memory grow with the grid — hence the automatic grid's cap of 10⁷ points.

The grid bound and truncation
-----------------------------
As n0 → ∞, log p(G, n0 | y) ≈ c_G log n0 with c_G = Σ_C (m_{C,0} + α_C − n − A) − Σ_S (…) + n − 1, so every
graph's posterior has a power-law tail.  For the saturated model c_G = −1 − δ(2^J − 1): barely proper for small
δ, and with δ(2^J − 1) ≤ 1 (e.g. dga's default δ = 2^-J) its posterior of N has no finite mean.  Every graph has
positive posterior weight, so the model-averaged posterior has a finite mean only if every c_G < −2 and a finite
variance only if every c_G < −3; otherwise ``details["posterior_mean"]`` and ``std_error`` are ∞ (the mean and
standard deviation of the grid-truncated posterior, which R's dga reports and which grow with the grid bound,
are kept as ``posterior_mean_grid`` and ``posterior_sd_grid``).  The median and the intervals are unaffected.
The mass beyond the grid is estimated per graph from the power law through the last grid point (exponent the
larger of the local slope and c_G), a rough upper bound; when it is not negligible, the joint posterior is
integrated beyond the grid instead (4,000 points spaced geometrically from the grid's end, then the power law).
With ``max_missing=None`` the grid grows, in chunks, until the power-law estimate is
below 10⁻⁵ of the total or n0 reaches 100 n (at least 10,000, at most 10⁷); with an explicit bound, or when the cap
is hit, a warning is issued if more than 10⁻⁴ of the posterior mass lies beyond the grid: the posterior mean and the
weights of heavy-tailed graphs are then understated, and a larger bound should be tried.  The quantiles then take the
tail's estimated share into account: the q-quantile is the grid's q / (1 − tail) quantile; an upper interval end
beyond the grid is reported as ∞ rather than as the grid's last values, and a median or lower end beyond it as the
grid's end (a lower bound: the estimate is then marked as one).  Where the cap of 10⁷ points binds
(10⁵ observed and more), a coarse probe of the posterior (a few thousand geometrically spaced n0) runs first: if
the posterior median of n0 lies beyond the cap the fit is refused at once as not applicable, with the approximate
median and the ``max_missing`` that would reach it, instead of spending minutes to report the observed count.

Why δ matters so much
---------------------
δ is the prior count in every cell of the 2^J table, including the unobserved one. (1) Under the saturated model —
and nearly so under dense graphs — the data say nothing about the unobserved cell: its posterior is the prior's,
approximately n0/n ~ BetaPrime(δ, A − δ). With four lists δ = 1 (A = 16) puts the median of n0 near 0.05 n, whereas
δ = 2^-4 (A = 1) leaves it so diffuse that it has no mean. (2) δ also sets the Occam penalty of every extra clique:
small δ favours sparse graphs, large δ dense ones. On Kosovo δ = 1 puts 97.6% of the posterior on the saturated
graph and gives N ≈ 4,616 (barely above the 4,400 observed), whereas dga's suggested default δ = 2^-J = 0.0625 puts
98.6% on a graph with five edges and gives N ≈ 12,595. Report the δ used, and check the sensitivity of any
conclusion to it.  Large counts push the same way as a large δ: with Kosovo's counts × 100 every dependence is
decisive and the saturated graph takes ≈ 100%.  A warning says when it carries more than half the posterior.

References: Madigan, D. & York, J. C. (1997) Bayesian methods for estimation of the size of a closed population,
*Biometrika* 84(1), 19–31; Dawid, A. P. & Lauritzen, S. L. (1993) Hyper Markov laws in the statistical analysis
of decomposable graphical models, *Annals of Statistics* 21(3), 1272–1317; Johndrow, J., Lum, K. & Ball, P.
(2015) dga: Capture-recapture estimation using Bayesian model averaging, R package; Lum, K., Price, M. E. &
Banks, D. (2013) Applications of multiple systems estimation in human rights research, *The American
Statistician* 67(4), 191–200.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import gammaln, logsumexp

from estimate._checks import as_seed_sequence, check_level, is_real, is_whole, seed_record
from estimate.data import CaptureData
from estimate.errors import EstimateWarning
from estimate.estimators.base import (
    Estimator,
    NotApplicable,
    draws_too_many,
    register,
    validate_capture_data,
)
from estimate.results import Interval, Result
from estimate.samplers.graphs import clique_separator_coefficients, decomposable_graphs

__all__ = [
    "DecomposableGraphBMA",
    "DGA",
    "GraphPosterior",
    "graph_posterior",
    "graph_pmfs",
    "graph_medians_and_means",
    "pmf_quantile",
    "pmf_hdi",
    "credible_interval",
]

#: Exhaustive enumeration of decomposable graphs, as in dga: 8, 61, 822 graphs for 3, 4, 5 lists.
MAX_LISTS = 5
#: With ``max_missing=None`` the grid grows until the estimated mass beyond it is below this share ...
AUTO_TAIL_TOLERANCE = 1e-5
#: ... or n0 reaches this many times the observed count (at least AUTO_MIN_CAP): a posterior with that much mass
#: beyond 100 n is not bounded by the data, which the truncation warning then says.
AUTO_CAP_FACTOR = 100
AUTO_MIN_CAP = 10_000
#: ... and never beyond this many grid points: every integer n0 is evaluated for every graph, so time and memory
#: grow with the grid (≈ 1 GB and a minute at 10^7 points); at 10^5 observed and more the cap is this, not 100 n,
#: and the truncation warning says how much mass lies beyond.  An explicit ``max_missing`` is not capped.
AUTO_MAX_GRID = 10_000_000
#: Past this many grid points (≈ 5 GB, 5 minutes) a refusal no longer suggests a larger ``max_missing``.
PRACTICAL_GRID = 50_000_000
#: Before an automatic grid capped at AUTO_MAX_GRID, the posterior is probed at this many points of n0 ...
PROBE_POINTS = 4000
#: ... spread geometrically up to this many times the observed count.
PROBE_REACH = 1000
#: The mass beyond a grid whose power-law estimate is not negligible is integrated numerically at this many points
#: n0 = end + d, d spaced geometrically from 1 to ``TAIL_REACH`` times N at the grid's end (dense next to the end,
#: where a posterior peak cut by the grid lies), and continued as a power law beyond.
TAIL_POINTS = 4000
TAIL_REACH = 1000
#: Warn when the estimated posterior mass beyond the grid exceeds this share.
WARN_TAIL_MASS = 1e-4
#: Warn when the saturated graph (every list dependent on every other) carries more than this posterior share: under
#: it the data say nothing about the unobserved cell, so that part of the posterior of N is the prior δ's.
WARN_SATURATED = 0.5
#: The stored pmf drops at most this much mass on either side (exact for credible levels up to 1 − 2·10⁻⁸).
PMF_TRIM = 1e-8


def _table_by_mask(data: CaptureData) -> np.ndarray:
    """Counts of the 2^J table indexed by bit mask (bit j set = on list j); the unobserved cell 0 is 0."""
    weights = np.left_shift(np.ones(data.n_lists, dtype=np.int64), np.arange(data.n_lists))
    masks = data.patterns.astype(np.int64) @ weights
    return np.bincount(masks, weights=data.counts, minlength=1 << data.n_lists).astype(float)


@dataclass(frozen=True)
class _MarginalTerms:
    """Per subset s of lists: ℓ_s(n0) = const_s + log Γ(zero_s + n0) − log Γ(n + n0 + A)."""

    const: np.ndarray  # (2^J,)
    zero: np.ndarray  # (2^J,) m_{s,0} + α_s
    exponent: np.ndarray  # (2^J,) large-n0 slope of ℓ_s in log n0: m_{s,0} + α_s − n − A
    n: float
    total_alpha: float
    log_y_factorials: float

    @classmethod
    def build(cls, table: np.ndarray, n_lists: int, delta: float) -> _MarginalTerms:
        cells = np.arange(1 << n_lists)
        n = float(table.sum())
        total_alpha = delta * (1 << n_lists)
        const = np.zeros(1 << n_lists)
        zero = np.full(1 << n_lists, n + total_alpha)  # s = ∅: one cell holding everybody, ℓ_∅ ≡ 0
        for s in range(1, 1 << n_lists):
            alpha = delta * (1 << (n_lists - s.bit_count()))
            marginal = np.bincount(cells & s, weights=table, minlength=1 << n_lists)
            observed_cells = marginal[1:][marginal[1:] > 0]  # empty cells contribute log Γ(α) − log Γ(α) = 0
            const[s] = gammaln(total_alpha) - gammaln(alpha) + np.sum(gammaln(observed_cells + alpha) - gammaln(alpha))
            zero[s] = marginal[0] + alpha
        return cls(const=const, zero=zero, exponent=zero - n - total_alpha, n=n, total_alpha=total_alpha,
                   log_y_factorials=float(np.sum(gammaln(table + 1))))

    def terms(self, n0: np.ndarray) -> np.ndarray:
        """ℓ_s(n0) for every subset (rows) and grid value (columns)."""
        values = self.const[:, None] + gammaln(self.zero[:, None] + n0[None, :]) - gammaln(
            self.n + n0 + self.total_alpha)[None, :]
        values[0] = 0.0
        return values

    def base(self, n0: np.ndarray) -> np.ndarray:
        """Multinomial coefficient N! / (n0! ∏ y_x!) times the prior 1/N, in logs."""
        total = self.n + n0
        return gammaln(total + 1) - gammaln(n0 + 1) - self.log_y_factorials - np.log(total)

    def log_joint(self, coefficients: np.ndarray, n0: np.ndarray) -> np.ndarray:
        """Unnormalised log p(G, n0 | y): one row per graph's clique/separator coefficients, one column per n0."""
        log_weights = coefficients @ self.terms(n0)
        log_weights += self.base(n0)[None, :]  # in place: a chunk's matrix is large
        return log_weights


@dataclass(frozen=True)
class GraphPosterior:
    """Exact joint posterior over (graph, n0) summarised: model probabilities and the model-averaged pmf of N.

    ``pmf[k]`` is the posterior probability of N = ``observed + k`` (k = 0 … ``max_missing``); ``model_probability``
    follows the order of :func:`estimate.samplers.graphs.decomposable_graphs`.
    """

    observed: int
    delta: float
    max_missing: int
    pmf: np.ndarray
    model_probability: np.ndarray
    tail_mass: float
    automatic_bound: bool
    terms: _MarginalTerms
    coefficients: np.ndarray

    @property
    def support(self) -> np.ndarray:
        return self.observed + np.arange(self.pmf.size)

    def graph_log_weights(self, graphs: np.ndarray, n0: np.ndarray) -> np.ndarray:
        """Unnormalised log p(G, n0 | y) for the given graph indices (rows) and n0 values (columns)."""
        n0 = np.asarray(n0, dtype=float)
        return self.terms.log_joint(self.coefficients[graphs], n0)


def _log_tail(log_weights: np.ndarray, end_n0: float, terms: _MarginalTerms, exponents: np.ndarray,
              previous: np.ndarray | None = None) -> float:
    """log of the estimated mass beyond the last grid point, summed over graphs (−inf if none).

    Per graph the pmf is continued as a power law w(N) = w(N_B) (N / N_B)^e beyond N_B = n + end_n0, with e the
    larger of the local slope d log w / d log N and the exact asymptotic exponent; the mass beyond is then
    w(N_B) N_B / (−e − 1), infinite if e ≥ −1 (still rising, or an improper tail).
    """
    if log_weights.shape[1] == 1 and previous is not None:  # a one-point last chunk: the slope needs a neighbour
        log_weights = np.column_stack([previous, log_weights[:, 0]])
    total = terms.n + end_n0
    width = log_weights.shape[1]
    slope = (log_weights[:, -1] - log_weights[:, -2]) * total if width > 1 else exponents
    # the neighbours' difference loses its digits once N is large (log-weights ~1e9 at N ~1e8: rounding of
    # ±1e-7 against a true difference of ~1e-8); then take the secant over the whole chunk instead
    rounding = 4.0 * np.finfo(float).eps * float(np.max(np.abs(log_weights[:, -2:]))) * total if width > 1 else 0.0
    if rounding > 0.01 and width > 2:
        start_n0 = end_n0 - (width - 1)
        slope = (log_weights[:, -1] - log_weights[:, 0]) / (math.log(total) - math.log(terms.n + start_n0))
    return _log_power_law_tail(log_weights[:, -1], total, np.maximum(slope, exponents))


def _log_tail_integrated(terms: _MarginalTerms, coefficients: np.ndarray, exponents: np.ndarray,
                         end_n0: float) -> float:
    """log of the posterior mass beyond n0 = ``end_n0``, summed over graphs: the joint posterior evaluated at
    ``TAIL_POINTS`` values n0 = end + d (d geometric from 1 to ``TAIL_REACH`` × N_end), the trapezoid rule between
    them (exact to within a grid point's mass for a pmf smooth on that spacing: the spacing is one person next
    to the grid's end and 0.35% of the distance beyond), then each graph's power law beyond the farthest point
    (exponent the larger of the local slope and c_G, as in :func:`_log_tail`).  ∞ when a tail is improper."""
    reach = TAIL_REACH * (terms.n + end_n0)
    n0 = end_n0 + np.unique(np.round(np.geomspace(1.0, reach, TAIL_POINTS)))
    log_weights = terms.log_joint(coefficients, n0)
    log_cells = (np.logaddexp(log_weights[:, :-1], log_weights[:, 1:]) - math.log(2.0)
                 + np.log(np.diff(n0))[None, :])
    # the local slope over the last factor of two in N (neighbours this far out differ by rounding only)
    last = terms.n + n0[-1]
    before = int(np.searchsorted(terms.n + n0, last / 2.0))
    slope = (log_weights[:, -1] - log_weights[:, before]) / (math.log(last) - math.log(terms.n + n0[before]))
    log_beyond = _log_power_law_tail(log_weights[:, -1], last, np.maximum(slope, exponents))
    return float(np.logaddexp(logsumexp(log_cells), log_beyond))


def _log_power_law_tail(log_last: np.ndarray, total: float, exponent: np.ndarray) -> float:
    """log Σ_G w_G(N_B) N_B / (−e_G − 1): the mass beyond N_B = ``total`` of pmfs continued as power laws N^e_G
    from their log-weights ``log_last`` there (∞ if some e_G ≥ −1: still rising, or an improper tail)."""
    if np.any(exponent >= -1.0):
        return math.inf
    return float(logsumexp(log_last + math.log(total) - np.log(-exponent - 1.0)))


def _tail_exponents(coefficients: np.ndarray, terms: _MarginalTerms) -> np.ndarray:
    """c_G per graph: the large-n0 slope of log p(G, n0 | y) against log n0 (see the module docstring)."""
    return coefficients @ terms.exponent + terms.n - 1.0


def graph_posterior(data: CaptureData, delta: float, max_missing: int | None = None) -> GraphPosterior:
    """Posterior over the decomposable graphs of ``data``'s lists and over n0 (see the module docstring)."""
    J = data.n_lists
    terms = _MarginalTerms.build(_table_by_mask(data), J, float(delta))
    coefficients = clique_separator_coefficients(J).astype(float)
    exponents = _tail_exponents(coefficients, terms)
    automatic = max_missing is None
    bound = (min(max(AUTO_CAP_FACTOR * int(terms.n), AUTO_MIN_CAP), AUTO_MAX_GRID) if automatic
             else int(max_missing))
    if automatic and bound == AUTO_MAX_GRID:
        _refuse_out_of_reach(terms, coefficients, exponents)
    column_lse: list[np.ndarray] = []  # per chunk: log Σ_G p(G, n0 | y) for every n0
    row_lse: list[np.ndarray] = []  # per chunk: log Σ_n0 p(G, n0 | y) over the chunk for every graph
    log_total = -math.inf
    log_tail = math.inf
    previous = None  # the last column of the previous chunk
    for start, stop in _chunks(bound, coefficients.shape[0]):
        n0 = np.arange(start, stop, dtype=float)
        log_weights = terms.log_joint(coefficients, n0)
        columns, rows = _log_sums(log_weights)
        column_lse.append(columns)
        row_lse.append(rows)
        log_total = float(np.logaddexp(log_total, logsumexp(columns)))
        log_tail = _log_tail(log_weights, stop - 1.0, terms, exponents, previous)
        previous = log_weights[:, -1].copy()
        if automatic and log_tail - log_total < math.log(AUTO_TAIL_TOLERANCE):
            break
    if log_tail - log_total > math.log(WARN_TAIL_MASS):  # below it the summaries ignore the tail: no need
        # the power law from the last point is a rough upper bound (a posterior peak that the grid cuts, decaying
        # fast beyond it, counted as a power-law tail: 98% "beyond" where 21% was; a pmf still rising at the end
        # counted as an unbounded tail); integrate instead
        end_n0 = float(sum(chunk.size for chunk in column_lse) - 1)
        log_tail = min(log_tail, _log_tail_integrated(terms, coefficients, exponents, end_n0))
    log_pmf = np.concatenate(column_lse)
    pmf = np.exp(log_pmf - log_total)
    log_model = logsumexp(np.stack(row_lse, axis=1), axis=1)
    # normalised by their own total (the column sums give the same one up to rounding, which put a sole graph's
    # probability at 1 + 3e-14)
    model_probability = np.exp(log_model - logsumexp(log_model))
    tail = 1.0 if math.isinf(log_tail) else math.exp(log_tail - np.logaddexp(log_tail, log_total))
    return GraphPosterior(observed=int(terms.n), delta=float(delta), max_missing=pmf.size - 1, pmf=pmf,
                          model_probability=model_probability, tail_mass=tail, automatic_bound=automatic,
                          terms=terms, coefficients=coefficients)


def _probe_missing_quantiles(terms: _MarginalTerms, coefficients: np.ndarray, exponents: np.ndarray,
                             probabilities: np.ndarray) -> np.ndarray:
    """Approximate quantiles of n0 from the joint posterior on a coarse geometric grid (inf where out of reach).

    ``PROBE_POINTS`` values of n0 spaced evenly in log from 1 to ``PROBE_REACH`` times the observed count (and
    0), the mass between neighbours by the trapezoid rule, the mass beyond the last point by each graph's power
    law.  Cheap (a few thousand columns instead of millions): it only decides whether
    the exact grid can reach the posterior at all.
    """
    top = max(PROBE_REACH * terms.n, 10.0 * AUTO_MAX_GRID)
    n0 = np.unique(np.concatenate([[0.0], np.round(np.geomspace(1.0, top, PROBE_POINTS))]))
    log_weights = terms.log_joint(coefficients, n0)
    log_columns = logsumexp(log_weights, axis=0)
    log_mass = np.logaddexp(log_columns[:-1], log_columns[1:]) - math.log(2.0) + np.log(np.diff(n0))
    # beyond the last point each graph's pmf continues as a power law N^e (as in _log_tail, with the local slope
    # taken between the last two points, geometrically spaced here)
    last, before = terms.n + n0[-1], terms.n + n0[-2]
    slope = (log_weights[:, -1] - log_weights[:, -2]) / (math.log(last) - math.log(before))
    log_beyond = _log_power_law_tail(log_weights[:, -1], last, np.maximum(slope, exponents))
    log_cells = np.append(log_mass, log_beyond)
    cumulative = np.exp(np.logaddexp.accumulate(log_cells) - np.logaddexp.reduce(log_cells)) \
        if math.isfinite(log_beyond) else np.zeros(log_cells.size)
    ends = np.append(n0[1:], math.inf)
    return ends[np.minimum(np.searchsorted(cumulative, probabilities), ends.size - 1)]


def _refuse_out_of_reach(terms: _MarginalTerms, coefficients: np.ndarray, exponents: np.ndarray) -> None:
    """NotApplicable when the automatic grid's cap (``AUTO_MAX_GRID``) stops short of the posterior's median.

    With that many people missing the exact grid would take minutes and then report only the observed count
    (every grid value lies below the posterior's bulk), so say so at once, with an approximate location.
    """
    median, upper = _probe_missing_quantiles(terms, coefficients, exponents, np.array([0.5, 0.999]))
    if median <= AUTO_MAX_GRID:
        return
    where = ("beyond any grid (the posterior's tail decays no faster than 1/N)" if math.isinf(median)
             else f"about {median:,.0f}")
    if not math.isfinite(upper):
        advice = "the data do not bound N;"
    else:
        needed = _round_up(1.1 * upper)
        cost = needed / AUTO_MAX_GRID  # about a minute and 1 GB of memory per AUTO_MAX_GRID grid points
        advice = (f"give max_missing of at least about {needed:,} (every integer n0 up to it is evaluated: about "
                  f"{max(cost, 1):,.0f} minute(s) and {max(cost, 1):,.0f} GB of memory), or" if needed <= PRACTICAL_GRID
                  else f"reaching it would take max_missing of about {needed:,}, which needs about {cost:,.0f} GB "
                       f"of memory and {cost:,.0f} minutes;")
    raise NotApplicable(
        f"dga evaluates the posterior at every integer number of missing people n0, and its automatic grid "
        f"stops at n0 = {AUTO_MAX_GRID:,}; here the posterior median of n0 lies {where} ({terms.n:,.0f} "
        f"observed), so the grid cannot reach it: {advice} use a method whose cost does not grow with N "
        "(loglinear, lcmcr)"
    )


def _round_up(value: float) -> int:
    """``value`` rounded up to two significant figures (a bound to suggest, not a result)."""
    scale = 10 ** max(int(math.floor(math.log10(value))) - 1, 0)
    return int(math.ceil(value / scale) * scale)


def _log_sums(log_weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log Σ over rows (per column) and over columns (per row), with a single exp of the matrix."""
    column_max = log_weights.max(axis=0)
    scaled = np.exp(log_weights - column_max[None, :])
    overall = column_max.max()
    with np.errstate(divide="ignore"):  # a graph negligible over the whole chunk gives log 0 = −inf
        columns = column_max + np.log(scaled.sum(axis=0))
        rows = overall + np.log(scaled @ np.exp(column_max - overall))
    return columns, rows


def graph_pmfs(posterior: GraphPosterior, graphs: np.ndarray) -> np.ndarray:
    """Within-model posterior pmf of n0 on the grid for each graph index in ``graphs`` (rows sum to 1)."""
    graphs = np.asarray(graphs, dtype=np.int64)
    rows = np.empty((graphs.size, posterior.max_missing + 1))
    for start, stop in _chunks(posterior.max_missing, graphs.size):
        rows[:, start:stop] = posterior.graph_log_weights(graphs, np.arange(start, stop, dtype=float))
    rows = np.exp(rows - rows.max(axis=1, keepdims=True))
    return rows / rows.sum(axis=1, keepdims=True)


def graph_medians_and_means(posterior: GraphPosterior, graphs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Within-model posterior median (smallest N with CDF ≥ ½) and mean of N for each graph index in ``graphs``.

    Two passes over the grid, one chunk at a time, so memory stays at one chunk whatever the grid's length
    (:func:`graph_pmfs` holds graphs × grid values: gigabytes when a hundred thousand people are observed).
    """
    graphs = np.asarray(graphs, dtype=np.int64)
    blocks = list(_chunks(posterior.max_missing, graphs.size))
    log_norm = np.full(graphs.size, -np.inf)
    log_first_moment = np.full(graphs.size, -np.inf)
    for start, stop in blocks:
        n0 = np.arange(start, stop, dtype=float)
        log_weights = posterior.graph_log_weights(graphs, n0)
        log_norm = np.logaddexp(log_norm, logsumexp(log_weights, axis=1))
        log_n = np.log(posterior.observed + n0)  # observed ≥ 1: data hold at least one person
        log_first_moment = np.logaddexp(log_first_moment, logsumexp(log_weights + log_n[None, :], axis=1))
    means = np.exp(log_first_moment - log_norm)
    medians = np.full(graphs.size, float(posterior.observed + posterior.max_missing))
    found = np.zeros(graphs.size, dtype=bool)
    cumulative = np.zeros(graphs.size)
    for start, stop in blocks:
        cdf = cumulative[:, None] + np.cumsum(
            np.exp(posterior.graph_log_weights(graphs, np.arange(start, stop, dtype=float)) - log_norm[:, None]),
            axis=1)
        for row in np.flatnonzero(~found & (cdf[:, -1] >= 0.5)):
            medians[row] = posterior.observed + start + int(np.searchsorted(cdf[row], 0.5, side="left"))
            found[row] = True
        cumulative = cdf[:, -1]
        if found.all():
            break
    return medians, means


def _chunks(bound: int, n_rows: int):
    """(start, stop) blocks covering n0 = 0 … bound, about 4 million log-weights (32 MB) each."""
    size = int(np.clip((1 << 22) // max(n_rows, 1), 4096, 65536))
    for start in range(0, bound + 1, size):
        yield start, min(start + size, bound + 1)


# ---------------------------------------------------------------------------------------------- pmf summaries
def pmf_quantile(values: np.ndarray, pmf: np.ndarray, probabilities: Any) -> np.ndarray:
    """Quantiles of a discrete distribution: the smallest value whose CDF is ≥ p (as R's dga reports them)."""
    cdf = np.cumsum(pmf) / np.sum(pmf)
    index = np.searchsorted(cdf, np.asarray(probabilities, dtype=float), side="left")
    return np.asarray(values)[np.minimum(index, len(cdf) - 1)]


def pmf_hdi(values: np.ndarray, pmf: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Shortest interval [a, b] of consecutive grid values holding at least ``level`` of the mass."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    cdf = np.cumsum(pmf) / np.sum(pmf)
    before = np.concatenate(([0.0], cdf[:-1]))
    # (an interval ends no earlier than it starts: with the slack for rounding, a level below 1e-12 made ends
    # before starts, a "shortest" interval of negative width)
    ends = np.maximum(np.searchsorted(cdf, before + level - 1e-12, side="left"), np.arange(len(cdf)))
    valid = ends < len(cdf)
    starts = np.flatnonzero(valid)
    widths = ends[valid] - starts
    shortest = starts[widths == widths.min()]
    # of equally short intervals the one holding the most mass (at a small level, the mode's one point; the
    # first start was the lowest N holding the level)
    best = shortest[np.argmax(cdf[ends[shortest]] - before[shortest])]
    values = np.asarray(values)
    return float(values[best]), float(values[ends[best]])


def _summaries(values: np.ndarray, pmf: np.ndarray, level: float,
               tail_mass: float) -> tuple[float, float, float, tuple[float, float]]:
    """Median, equal-tailed interval and HDI of N from the grid's pmf, given the share ``tail_mass`` of the
    posterior estimated to lie beyond the grid.

    Up to :data:`WARN_TAIL_MASS` the grid is taken as the whole posterior (as R's dga does).  Beyond it, the
    grid's pmf holds only 1 − tail_mass of the posterior: the q-quantile is the grid's q / (1 − tail_mass)
    quantile, and ∞ (somewhere beyond the grid) when that exceeds 1; the HDI holds level / (1 − tail_mass) of
    the grid's mass (the tail, decreasing as a power law, is less dense than the grid's end), with an upper end
    of ∞ when it reaches the grid's end (and the grid's first value as its lower end when even the whole grid
    holds less than ``level``).  A median or lower end beyond the grid is given as the grid's end, a lower bound
    of the posterior's.  When the tail's share is unbounded (1), the grid's median and lower end are
    kept as lower bounds and the upper ends are ∞."""
    if tail_mass <= WARN_TAIL_MASS:
        median, lower, upper = pmf_quantile(values, pmf, [0.5, (1 - level) / 2, (1 + level) / 2])
        return float(median), float(lower), float(upper), pmf_hdi(values, pmf, level)
    on_grid = 1.0 - tail_mass
    if on_grid <= 0.0:  # the tail's share could not be bounded (still rising at the grid's end): the grid's
        # median and lower end are lower bounds of the posterior's, and nothing is known above the grid
        median, lower = pmf_quantile(values, pmf, [0.5, (1 - level) / 2])
        return float(median), float(lower), math.inf, (float(values[0]), math.inf)

    def quantile(q: float, beyond: float) -> float:
        return float(pmf_quantile(values, pmf, q / on_grid)) if q < on_grid else beyond

    grid_level = level / on_grid
    if grid_level < 1.0:
        hdi_lower, hdi_upper = pmf_hdi(values, pmf, grid_level)
        if hdi_upper >= float(values[-1]):
            hdi_upper = math.inf
    else:  # the HDI reaches past the grid, where its density threshold is not known: its lower end can be
        # anywhere below the grid's end, so the interval given is the whole grid onwards (wide, not wrong)
        hdi_lower = float(values[0])
        hdi_upper = math.inf
    # a median or lower end beyond the grid is only known to exceed its end: that end is given (a lower bound;
    # the interval is then wider than the posterior's, not narrower); an upper end beyond the grid is ∞
    end = float(values[-1])
    return (quantile(0.5, end), quantile((1 - level) / 2, end), quantile((1 + level) / 2, math.inf),
            (hdi_lower, hdi_upper))


def credible_interval(result: Result, level: float = 0.95, kind: str = "equal-tailed") -> Interval:
    """Exact credible interval of N from a ``dga`` result's stored pmf (``Result.credible_interval`` uses draws)."""
    details = result.details
    if "pmf" not in details:
        raise ValueError(f"the {result.method!r} result carries no posterior pmf of N")
    pmf = np.asarray(details["pmf"], dtype=float)
    values = int(details["pmf_first_N"]) + np.arange(pmf.size)
    if kind not in ("equal-tailed", "hdi"):
        raise ValueError(f"unknown credible interval kind {kind!r}; use 'equal-tailed' or 'hdi'")
    check_level(level)
    tail = result.diagnostics.get("truncated_mass", 0.0)
    _median, lower, upper, hdi = _summaries(values, pmf, level, float(tail) if is_real(tail) else 0.0)
    if kind == "equal-tailed":
        return Interval(lower, upper, level=level, kind=kind)
    return Interval(*hdi, level=level, kind=kind)


# ---------------------------------------------------------------------------------------------- estimator
@register
class DecomposableGraphBMA(Estimator):
    r"""Bayesian model averaging over all decomposable graphical models of 3–5 lists (Madigan & York 1997).

    The posterior over (graph, N) is computed exactly on a grid of the unobserved count n0 — no MCMC — with a
    hyper-Dirichlet prior of δ pseudo-counts per cell, p(N) ∝ 1/N and a uniform prior over the graphs; its
    posterior on the grid is R's ``dga::bma.cr``'s (same weights, same grid-truncated mean).  Where the grid
    binds (posterior mass beyond it) the two differ on purpose: R normalises over the grid, so its prior ends
    there and its quantiles are the grid's; here the grid truncates a prior that goes on, the mass beyond it is
    estimated, the quantiles allow for it and an upper end past the grid is ∞ (Kosovo's three lists EXH, ABA, OSCE,
    δ = 0.125, grid n0 ≤ 40,000: bma.cr's formula, re-implemented for the check, 4,111 [4,094, 17,823], here
    4,114 [4,094, 31,092]).  Give a ``max_missing`` large enough that nothing is cut (the default grid does so)
    and the two agree.  See the module docstring for the equations, the grid bound and why the estimate depends
    strongly on δ.

    Parameters
    ----------
    delta
        Hyper-Dirichlet prior count per cell of the 2^J table.  ``None`` (default) uses 2^-J, dga's suggested
        default (0.0625 for four lists).  Results are very sensitive to it: compare a few values.
    max_missing
        Largest n0 on the grid (n0 = 0 … max_missing); R's dga takes the grid as ``Nmissing`` (but as the prior's
        support: see above).  ``None`` (default) extends the
        grid until the estimated posterior mass beyond it is below 10⁻⁵, at most to n0 = 100 n (n observed; at least
        10,000, and never beyond 10⁷ grid points).  A warning says when the grid truncates more than 10⁻⁴ of the
        posterior.
    top_models
        How many of the most probable graphs to describe in ``details["top_models"]`` (default 10).
    level, interval
        Credible level (default 0.95) and kind (``"equal-tailed"`` or ``"hdi"``) of the reported interval,
        computed exactly from the discrete posterior.
    chains, draws
        Shape of the posterior draws of N (sampled exactly from the pmf, for ArviZ plots and comparisons;
        default 4 × 1,000).  They do not affect the estimate or the interval.
    seed
        Integer or ``numpy.random.SeedSequence`` for those draws.

    Examples
    --------
    >>> import estimate
    >>> from estimate.estimators.dga import DecomposableGraphBMA
    >>> result = DecomposableGraphBMA(max_missing=30_000, seed=1).fit(estimate.datasets.load("kosovo"))
    >>> round(result.estimate), round(result.interval.lower), round(result.interval.upper)
    (12595, 9827, 16544)
    >>> round(result.details["top_models"][0]["probability"], 3)
    0.986
    """

    name = "dga"
    bayesian = True
    min_lists: ClassVar[int] = 3
    max_lists: ClassVar[int | None] = MAX_LISTS

    def __init__(
        self,
        delta: float | None = None,
        max_missing: int | None = None,
        top_models: int = 10,
        level: float = 0.95,
        interval: str = "equal-tailed",
        chains: int = 4,
        draws: int = 1000,
        seed: int | np.random.SeedSequence | None = None,
    ) -> None:
        self.delta = delta
        self.max_missing = max_missing
        self.top_models = top_models
        self.level = level
        self.interval = interval
        self.chains = chains
        self.draws = draws
        self.seed = seed

    def _validated(self, data: CaptureData | pd.DataFrame) -> CaptureData:
        """``data`` validated, with 3 to ``MAX_LISTS`` lists (the graphs are enumerated exhaustively)."""
        checked = validate_capture_data(data, min_lists=self.min_lists, max_lists=None, method=self.name)
        if checked.n_lists > MAX_LISTS:
            raise NotApplicable(
                f"{self.name} averages over every decomposable graph of the lists, enumerated exhaustively as in R's "
                f"dga for 3 to {MAX_LISTS} lists (822 graphs on 5 lists; 18,154 on 6 and 617,675 on 7, each with a "
                f"2^J table); the data has {checked.n_lists} lists. Select at most {MAX_LISTS} lists with "
                "data.select_lists([...]) or use a method that scales with the number of lists (lcmcr, loglinear)"
            )
        return checked

    def _check_params(self) -> None:
        problems = []
        # is_real / is_whole: NumPy numbers accepted, booleans refused (delta=True was read as 1.0)
        if self.delta is not None and not (is_real(self.delta) and self.delta > 0):
            problems.append(f"delta must be a positive number or None, got {self.delta!r}")
        if self.max_missing is not None and not (is_whole(self.max_missing) and self.max_missing >= 1):
            problems.append(f"max_missing must be an integer ≥ 1 or None, got {self.max_missing!r}")
        if not (is_whole(self.top_models) and self.top_models >= 1):
            problems.append(f"top_models must be an integer ≥ 1, got {self.top_models!r}")
        if not (is_real(self.level) and 0 < self.level < 1):
            problems.append(f"level must be in (0, 1), got {self.level!r}")
        if self.interval not in ("equal-tailed", "hdi"):
            problems.append(f"interval must be 'equal-tailed' or 'hdi', got {self.interval!r}")
        if not (is_whole(self.chains) and self.chains >= 1 and is_whole(self.draws) and self.draws >= 1):
            problems.append(f"chains and draws must be ≥ 1, got chains={self.chains!r}, draws={self.draws!r}")
        elif too_many := draws_too_many(int(self.chains), int(self.draws)):
            problems.append(too_many)
        if problems:
            raise ValueError(f"{self.name}: " + "; ".join(problems))

    def describe_model(self, n_lists: int, delta: float, n_graphs: int, max_missing: int) -> str:
        return (
            f"Bayesian model averaging over the {n_graphs} decomposable graphical models of {n_lists} lists "
            f"(Madigan & York 1997); hyper-Dirichlet δ = {delta:g} per cell, p(N) ∝ 1/N, uniform prior over graphs, "
            f"n0 = 0…{max_missing:,}"
        )

    def _fit(self, data: CaptureData) -> Result:
        from estimate.inference_data import to_inference_data

        J = data.n_lists
        delta = float(self.delta) if self.delta is not None else 2.0 ** -J
        started = time.perf_counter()
        posterior = graph_posterior(data, delta, self.max_missing)
        values = posterior.support
        pmf = posterior.pmf
        median, lower, upper, hdi = _summaries(values, pmf, self.level, posterior.tail_mass)
        mean = float(values @ pmf)
        sd = float(math.sqrt(max(((values - mean) ** 2) @ pmf, 0.0)))
        # every graph's posterior of N has a power-law tail N^c_G and every graph has positive weight: the model-
        # averaged mean exists only if every c_G < −2, the variance only if every c_G < −3 (not so for dga's
        # default δ = 2^-J, where the saturated graph has c = −1 − δ(2^J − 1) > −2).  Otherwise the grid's values
        # are artefacts of where the grid stops (they grow with max_missing): report ∞, keep the grid's in details
        heaviest = float(np.max(_tail_exponents(posterior.coefficients, posterior.terms)))
        grid_mean, grid_sd = mean, sd
        if heaviest >= -2.0:
            mean = math.inf
        if heaviest >= -3.0:
            sd = math.inf
        self._warn_truncation(posterior)
        self._warn_saturated(posterior, delta, J)

        sequence = as_seed_sequence(self.seed)
        seed_value = seed_record(self.seed, sequence)
        rng = np.random.Generator(np.random.PCG64(sequence))
        n0_draws, graph_draws = _draw(posterior, rng, (self.chains, self.draws))

        graphs = decomposable_graphs(J)
        order = np.argsort(-posterior.model_probability, kind="stable")[: int(self.top_models)]
        top = _describe_graphs(posterior, order, data.lists)
        first, last = _trim(pmf)
        interval = Interval(float(lower), float(upper), level=self.level, kind="equal-tailed")
        hdi_interval = Interval(hdi[0], hdi[1], level=self.level, kind="hdi")
        idata = to_inference_data(
            {"N": data.observed + n0_draws, "n0": n0_draws, "graph": graph_draws},
            data=data,
            attrs={"method": self.name, "delta": delta,
                   "max_missing": posterior.max_missing, "seed": json.dumps(seed_value, default=int),
                   "graph_index": "position in estimate.samplers.graphs.decomposable_graphs(J)"},
        )
        return Result(
            method=self.name,
            model=self.describe_model(J, delta, len(graphs), posterior.max_missing),
            estimate=float(median),
            interval=interval if self.interval == "equal-tailed" else hdi_interval,
            observed=data.observed,
            lists=data.lists,
            # a tail beyond the grid of unknown size: the grid's median only bounds the posterior's from below
            # (or the median lies beyond the grid, where only the grid's end is known to be below it)
            estimate_kind="lower bound" if posterior.tail_mass >= 0.5 else "posterior median",
            std_error=sd,
            diagnostics={
                "seconds": time.perf_counter() - started,
                "n_graphs": len(graphs),
                "delta": delta,
                "max_missing": posterior.max_missing,
                "grid_bound": "automatic" if posterior.automatic_bound else "given",
                "truncated_mass": posterior.tail_mass,
                "top_model_probability": float(posterior.model_probability[order[0]]),
            },
            details={
                "posterior_mean": mean,
                "posterior_mean_grid": grid_mean,
                "posterior_sd_grid": grid_sd,
                "tail_exponent_heaviest": heaviest,
                "delta": delta,
                "interval_equal_tailed": [interval.lower, interval.upper],
                "interval_hdi": [hdi_interval.lower, hdi_interval.upper],
                "top_models": top,
                "pmf_first_N": int(values[first]),
                "pmf": pmf[first:last + 1],
                "seed": seed_value,
            },
            posterior=idata,
        )

    def _warn_truncation(self, posterior: GraphPosterior) -> None:
        if posterior.tail_mass <= WARN_TAIL_MASS:
            return
        bound = posterior.observed + posterior.max_missing
        advice = ("raise max_missing" if not posterior.automatic_bound
                  else f"the automatic grid stops at {AUTO_CAP_FACTOR} times the observed count (n0 at least "
                       f"{AUTO_MIN_CAP:,}, at most {AUTO_MAX_GRID:,}): the data hardly bound N from above; give a "
                       "larger max_missing to see how far the tail reaches")
        share = ("an unbounded share (the tail is still rising or decays no faster than 1/N)"
                 if posterior.tail_mass >= 1.0 else f"about {posterior.tail_mass:.2g}")
        warnings.warn(
            f"{self.name}: {share} of the posterior mass of N lies beyond the grid's upper end N = {bound:,} "
            f"(n0 = {posterior.max_missing:,}); the posterior is truncated there: the posterior mean, the model "
            "probabilities and the draws (which come from the grid) are understated or distorted, the quantiles "
            "allow for the estimated tail, an upper interval end beyond the grid is given as ∞ and a lower end "
            "beyond it as the grid's end"
            + (", and with half the posterior or more beyond the grid the median is only a lower bound"
               if posterior.tail_mass >= 0.5 else "") + f". {advice[0].upper()}{advice[1:]}.",
            EstimateWarning,
            stacklevel=4,
        )


    def _warn_saturated(self, posterior: GraphPosterior, delta: float, n_lists: int) -> None:
        complete = ((1 << n_lists) - 1,)  # the saturated graph's one clique: every list
        share = float(sum(posterior.model_probability[g] for g, graph in enumerate(decomposable_graphs(n_lists))
                          if graph.cliques == complete))
        if share <= WARN_SATURATED:
            return
        warnings.warn(
            f"{self.name}: the saturated model (every list dependent on every other) carries {share:.0%} of the "
            "posterior; under it the data say nothing about how many people no list recorded, so that part of the "
            f"posterior of N is the prior's (δ = {delta:.3g}), not the data's (large counts, which make any "
            "dependence between lists decisive, or a large δ favour this model). Check how the estimate moves "
            "with delta, and compare with a method that models dependence with fewer parameters (lcmcr, loglinear)",
            EstimateWarning,
            stacklevel=4,
        )


#: Short alias, after the R package.
DGA = DecomposableGraphBMA


def _trim(pmf: np.ndarray) -> tuple[int, int]:
    cdf = np.cumsum(pmf)
    first = int(np.searchsorted(cdf, PMF_TRIM, side="left"))
    last = int(min(np.searchsorted(cdf, 1.0 - PMF_TRIM, side="left"), pmf.size - 1))
    return first, max(first, last)


_DRAW_BLOCK = 512  # distinct n0 values per block when drawing graphs


def _draw(posterior: GraphPosterior, rng: np.random.Generator, shape: tuple[int, int]) -> tuple[np.ndarray,
                                                                                                 np.ndarray]:
    """Exact draws of (n0, graph): n0 from the model-averaged pmf, then the graph from p(G | n0, y)."""
    cdf = np.cumsum(posterior.pmf)
    n0 = np.minimum(np.searchsorted(cdf, rng.random(shape) * cdf[-1], side="right"), cdf.size - 1)
    unique, inverse = np.unique(n0, return_inverse=True)
    inverse = inverse.ravel()
    u = rng.random(n0.size)
    graph = np.empty(n0.size, dtype=np.int64)
    all_graphs = np.arange(posterior.coefficients.shape[0])
    # p(G | n0, y) for a block of distinct n0 values at a time: memory graphs × block, not graphs × draws
    block = _DRAW_BLOCK
    for start in range(0, unique.size, block):
        log_weights = posterior.graph_log_weights(all_graphs, unique[start : start + block])
        conditional = np.exp(log_weights - log_weights.max(axis=0, keepdims=True))
        cumulative = np.cumsum(conditional, axis=0)
        cumulative /= cumulative[-1]
        chosen = np.flatnonzero((inverse >= start) & (inverse < start + block))
        graph[chosen] = (cumulative[:, inverse[chosen] - start] < u[None, chosen]).sum(axis=0)
    return n0.astype(np.int64), graph.reshape(shape)


def _describe_graphs(posterior: GraphPosterior, order: np.ndarray, lists: tuple[str, ...]) -> list[dict[str, Any]]:
    """Edges, cliques and the within-model posterior of N for the given graphs."""
    graphs = decomposable_graphs(len(lists))
    medians, means = graph_medians_and_means(posterior, order)
    # a graph whose tail N^c_G decays no faster than N^-2 has no mean: its grid mean grows with the grid bound
    exponents = _tail_exponents(posterior.coefficients, posterior.terms)
    means = [math.inf if exponents[int(g)] >= -2.0 else mean for g, mean in zip(order, means, strict=True)]
    described = []
    for rank, (g, median, mean) in enumerate(zip(order, medians, means, strict=True), start=1):
        graph = graphs[int(g)]
        described.append({
            "rank": rank,
            "graph": int(g),
            "probability": float(posterior.model_probability[g]),
            "edges": [f"{lists[a]}–{lists[b]}" for a, b in graph.edges],
            "cliques": [[lists[j] for j in members] for members in graph.clique_members()],
            "posterior_median": float(median),
            "posterior_mean": float(mean),
        })
    return described
