"""Compiled LCMCR kernel (:mod:`estimate.samplers.lcmcr_kernel`).

Checks (the variates it draws from: tests/test_variates.py): determinism (seed, thread count, problem
order); K = 1 against the closed-form posterior of N (plain and partially collapsed); Kosovo against the
R LCMCR 0.4.14 reference with a tolerance derived from the Monte Carlo error; plain vs collapsed equivalence;
J = 30 with thousands of patterns; an all-zero list.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import pytest
from _mcse import quantile_mcse
from scipy.special import gammaln

from estimate.samplers.lcmcr_kernel import (
    _GRADIENT_ONLY,
    _REFERENCE,
    _RELATIVE,
    LCMCRSettings,
    _hmc_log_density,
    _log_sticks_swap_ratio,
    _log_u_ratio,
    sample_lcmcr,
    sample_lcmcr_batch,
    spawn_generators,
)

# R LCMCR 0.4.14, K = 10, a = b = 0.25, burn-in 10,000, 10,000 draws, thinning 100, pooled over seeds 1–3
REF = {"q025": 8867.0, "median": 10402.0, "q975": 13942.0}
# Monte Carlo s.e. of those pooled figures: the seed-to-seed spread stated with them (median ±25, interval ends
# ±110, ../shared/data/README.md) over √3 for the three pooled runs
REF_MCSE = {"median": 25 / math.sqrt(3), "q025": 110 / math.sqrt(3), "q975": 110 / math.sqrt(3)}


def _kosovo() -> tuple[np.ndarray, np.ndarray]:
    from estimate import datasets

    data = datasets.load("kosovo")  # bundled with the package: these checks run on any checkout
    return np.ascontiguousarray(data.patterns, dtype=np.uint8), np.ascontiguousarray(data.counts)


def _simulated(seed: int, J: int, N: int, classes: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Heterogeneous population: 'classes' latent classes with random capture probabilities."""
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0.05, 0.5, size=(classes, J))
    z = rng.integers(0, classes, size=N)
    x = (rng.random((N, J)) < lam[z]).astype(np.uint8)
    x = x[x.any(axis=1)]
    patterns, counts = np.unique(x, axis=0, return_counts=True)
    return patterns, counts.astype(np.int64)


def _ess(draws: np.ndarray) -> float:
    import arviz as az

    return float(az.ess(np.asarray(draws, dtype=float)))


def _log_p_u(u, m, s, alpha, n):
    """log p(u | m, α) up to a constant, written out term by term (module docstring, step 2b)."""
    K, J = len(u), s.shape[0]
    nk = m + u
    value = math.lgamma(n + u.sum()) - sum(math.lgamma(x + 1) for x in u)
    for k in range(K):
        for j in range(J):
            value += (math.lgamma(1 + s[j, k]) + math.lgamma(1 + m[k] - s[j, k] + u[k])
                      - math.lgamma(2 + m[k] + u[k]))
    for k in range(K - 1):
        tail = nk[k + 1:].sum()
        value += math.lgamma(1 + nk[k]) + math.lgamma(alpha + tail) - math.lgamma(1 + alpha + nk[k] + tail)
    return value


@pytest.mark.parametrize("large", [False, True], ids=["small", "large-products"])
def test_collapsed_move_ratio_matches_direct_evaluation(large: bool) -> None:
    """The telescoped O(k) log ratio of the λ- and V-collapsed move equals the difference of the full expression;
    ``large``: 30 lists, counts in the tens of thousands and steps up to ±60 (Kosovo's steps average ≈ 150)."""
    rng = np.random.default_rng(2016 + large)
    checked = 0
    while checked < 300:
        J, K = (30, int(rng.integers(2, 11))) if large else (int(rng.integers(2, 7)), int(rng.integers(1, 11)))
        scale, steps = (40_000, 61) if large else (60, 7)
        m = rng.integers(0, scale, K) * rng.integers(0, 2, K)
        s = np.array([[rng.integers(0, m[k] + 1) for k in range(K)] for _ in range(J)], dtype=np.int64)
        u = rng.integers(0, 200 * (scale // 60), K)
        alpha, k, d = float(rng.gamma(1.0)), int(rng.integers(0, K)), int(rng.integers(-steps + 1, steps))
        n = int(m.sum())
        if d == 0 or u[k] + d < 0 or n + u.sum() + min(d, 0) <= 0:
            continue
        moved = u.copy()
        moved[k] += d
        expected = _log_p_u(moved, m, s, alpha, n) - _log_p_u(u, m, s, alpha, n)
        got = _log_u_ratio(d, k, J, K, n + int(u.sum()), int(u[k]), int(m[k]), s, (m + u).astype(np.int64), alpha)
        # large: the direct expression sums hundreds of log-Gamma values up to ≈ 1e7, each rounded to ≈ 1e-9
        assert got == pytest.approx(expected, abs=1e-7 if large else 1e-9), (J, K, k, d)
        checked += 1


def _log_p_sticks(pi: np.ndarray, a: float, b: float) -> float:
    """log p(π) under truncated stick-breaking with α ~ Gamma(a, rate b) integrated out, written out in full."""
    K = len(pi)
    tails = np.cumsum(pi[::-1])[::-1]
    return float(-np.log(tails[: K - 1]).sum() - np.log(pi[-1]) - (a + K - 1) * np.log(b - np.log(pi[-1])))


def test_weight_swap_ratio_matches_direct_evaluation() -> None:
    """The weight-swap move's log ratio, from the changed tail sums only, equals the difference of the full log
    densities (label move (iii)); its V are the new weights' stick-breaking coordinates."""
    rng = np.random.default_rng(2008)
    for _ in range(300):
        K = int(rng.integers(2, 11))
        pi = rng.dirichlet(np.full(K, 0.7))
        j, l = (int(x) for x in rng.choice(K, 2, replace=False))
        swapped = pi.copy()
        swapped[[j, l]] = pi[[l, j]]
        a, b = float(rng.gamma(1.0)), float(rng.gamma(1.0))
        work = [np.empty(K) for _ in range(4)]
        got, valid = _log_sticks_swap_ratio(pi, swapped, K, j, l, a, b, *work)
        expected = _log_p_sticks(swapped, a, b) - _log_p_sticks(pi, a, b)
        assert got == pytest.approx(expected, abs=1e-9), (K, j, l)
        tails = np.cumsum(swapped[::-1])[::-1]
        np.testing.assert_allclose(work[3][: K - 1], swapped[: K - 1] / tails[: K - 1], rtol=1e-12)
        assert valid == bool(np.all(pi[:-1] > 0) and np.all(swapped[:-1] / tails[:-1] <= 1 - 1e-12))


def _hmc_full_log_density(eta: np.ndarray, problem: tuple) -> float:
    """Σ_p c_p log P_p − n log(1 − p0) + Σ_{k∈A, j} [η − 2 log(1 + e^η)], written out in full (module docstring)."""
    patterns, counts, pi, active, rest_p, p0_rest = problem
    lam = 1 / (1 + np.exp(-eta))
    q = np.prod(1 - lam, axis=1)
    odds = lam / (1 - lam)
    W = rest_p + np.array([np.sum(pi[active] * q * np.prod(odds[:, x == 1], axis=1)) for x in patterns])
    p0 = p0_rest + np.sum(pi[active] * q)
    return float(counts @ np.log(W) - counts.sum() * np.log1p(-p0) + np.sum(eta - 2 * np.log1p(np.exp(eta))))


def test_hmc_density_ratio_matches_direct_evaluation() -> None:
    """The HMC move's log density at the end of a trajectory, relative to its start, equals the difference of the
    full log densities Σ c_p log P_p − n log(1 − p0) + Σ [η − 2 log(1 + e^η)]; its gradient matches finite
    differences of the same expression."""
    rng = np.random.default_rng(2011)
    for _ in range(100):
        J, K, P = int(rng.integers(2, 7)), int(rng.integers(1, 8)), int(rng.integers(1, 12))
        patterns = rng.integers(0, 2, (P, J))
        patterns[patterns.sum(1) == 0, 0] = 1
        on_idx = np.concatenate([np.flatnonzero(x) for x in patterns]).astype(np.int64)
        on_ptr = np.concatenate([[0], np.cumsum(patterns.sum(1))]).astype(np.int64)
        counts = rng.integers(1, 200, P).astype(np.int64)
        n = int(counts.sum())
        pi = rng.dirichlet(np.ones(K))
        active = np.flatnonzero(rng.random(K) < 0.7).astype(np.int64)
        if active.size == 0:
            continue
        rest = np.setdiff1d(np.arange(K), active)
        lam_rest = rng.uniform(0.02, 0.6, (len(rest), J))
        q_rest = np.prod(1 - lam_rest, axis=1)
        p0_rest = float(np.sum(pi[rest] * q_rest))
        rest_p = np.array([np.sum(pi[rest] * q_rest * np.prod((lam_rest / (1 - lam_rest))[:, x == 1], axis=1))
                           for x in patterns])

        problem = (patterns, counts, pi, active, rest_p, p0_rest)
        A = active.size
        eta1, eta2 = rng.normal(-1.0, 0.8, (A, J)), rng.normal(-1.0, 0.8, (A, J))
        work = {"odds": np.exp(eta1).T.copy(), "lam": np.empty((A, J)), "grad": np.empty((J, A))}  # list-major
        g_a, share, q_ref, W_ref, w_a = np.empty(A), np.empty(A), np.empty(A), np.empty(P), np.empty((P, A))
        args = (J, P, n, counts, on_ptr, on_idx, pi, rest_p, p0_rest, work["odds"], work["lam"], g_a, w_a, share,
                np.empty(A), work["grad"])
        start, p0_start = _hmc_log_density(eta1.copy(), active, A, *args, _REFERENCE, W_ref, q_ref, 0.0)
        end, _ = _hmc_log_density(eta2.copy(), active, A, *args, _RELATIVE, W_ref, q_ref, p0_start)
        expected = _hmc_full_log_density(eta2, problem) - _hmc_full_log_density(eta1, problem)
        assert end - start == pytest.approx(expected, abs=1e-8)
        _hmc_log_density(eta2.copy(), active, A, *args, _GRADIENT_ONLY, W_ref, q_ref, 0.0)
        a, j, h = int(rng.integers(A)), int(rng.integers(J)), 1e-6
        up, down = eta2.copy(), eta2.copy()
        up[a, j] += h
        down[a, j] -= h
        numeric = (_hmc_full_log_density(up, problem) - _hmc_full_log_density(down, problem)) / (2 * h)
        assert work["grad"][j, a] == pytest.approx(numeric, rel=1e-5, abs=1e-5)


# ---------------------------------------------------------------------------------------------- determinism


def test_same_seed_same_draws_any_thread_count_and_order() -> None:
    X, c = _kosovo()
    problems = [(X, c), _simulated(3, 5, 2000)]
    settings = LCMCRSettings(burn_in=300, n_draws=50, thinning=3, keep_traces=True, collapsed_n0=True)
    one = sample_lcmcr_batch(problems, settings, spawn_generators(11, 2, 3), n_threads=1)
    two = sample_lcmcr_batch(problems, settings, spawn_generators(11, 2, 3), n_threads=2)
    gens = spawn_generators(11, 2, 3)
    swapped = sample_lcmcr_batch(problems[::-1], settings, gens[::-1], n_threads=2)[::-1]
    for a, b, s in zip(one, two, swapped, strict=True):
        for key in ("N", "alpha", "pi", "lambda"):
            np.testing.assert_array_equal(a[key], b[key])
            np.testing.assert_array_equal(a[key], s[key])
    assert one[0]["N"].shape == (3, 50) and one[0]["lambda"].shape == (3, 50, 4, 10)
    assert not np.array_equal(one[0]["N"][0], one[0]["N"][1]), "chains must get different streams"
    again = sample_lcmcr(X, c, settings, spawn_generators(11, 2, 3)[0], n_threads=2)
    np.testing.assert_array_equal(again["N"], one[0]["N"])


# ---------------------------------------------------------------------------------------------- closed form


def _mt_posterior(X: np.ndarray, c: np.ndarray, upper: int) -> tuple[np.ndarray, np.ndarray]:
    """Model Mt (K = 1) with λ_j ~ Beta(1, 1), p(N) ∝ 1/N: grid N = n..upper − 1 and its exact pmf."""
    n = int(c.sum())
    n_j = (X.astype(np.int64) * c[:, None]).sum(axis=0)
    grid = np.arange(n, upper)
    log_post = -np.log(grid) + gammaln(grid + 1) - gammaln(grid - n + 1)
    for size in n_j:
        log_post += gammaln(1 + size) + gammaln(1 + grid - size) - gammaln(2 + grid)
    pmf = np.exp(log_post - log_post.max())
    return grid, pmf / pmf.sum()


@pytest.mark.parametrize(("collapsed", "theta_moves", "leapfrog"),
                         [(False, 0, 0), (True, 0, 0), (False, 1, 0), (False, 1, 6)],
                         ids=["gibbs", "collapsed-n0", "theta-moves", "theta-hmc"])
def test_independence_model_matches_closed_form(collapsed: bool, theta_moves: int, leapfrog: int) -> None:
    """K = 1 is model Mt: p(N | x) ∝ (1/N) N!/(N − n)! ∏_j B(1 + n_j, 1 + N − n_j) (λ_j ~ Beta(1,1) out).

    Tolerance: 4 Monte Carlo standard errors of each sample quantile, sqrt(q(1−q)/ESS)/f(x_q), with f the
    exact posterior pmf (the grid is in unit steps so the pmf is the density).
    """
    X, c = _kosovo()
    n = int(c.sum())
    grid, pmf = _mt_posterior(X, c, 12_000)
    cdf = np.cumsum(pmf)
    settings = LCMCRSettings(K=1, burn_in=500, n_draws=4000, thinning=2, collapsed_n0=collapsed,
                             theta_moves=theta_moves, theta_leapfrog=leapfrog)
    res = sample_lcmcr(X, c, settings, spawn_generators(5, 1, 4)[0], n_threads=2)
    draws = res["N"]
    ess = _ess(draws)
    assert ess > 2000
    for q in (0.025, 0.5, 0.975):
        exact_q = grid[np.searchsorted(cdf, q)]
        mcse = math.sqrt(q * (1 - q) / ess) / pmf[exact_q - n]
        assert abs(np.quantile(draws, q) - exact_q) < 4 * mcse + 1, (q, np.quantile(draws, q), exact_q, mcse)
    # posterior mode of Mt ≈ the conditional MLE 7,394.6 (flat prior on λ, 1/N prior: mode within a few units)
    assert abs(grid[np.argmax(pmf)] - 7394.6) < 15


@pytest.mark.parametrize(("theta_moves", "leapfrog"), [(0, 0), (1, 0), (1, 4)],
                         ids=["gibbs", "theta-shift", "theta-hmc"])
def test_small_data_closed_form_is_sensitive_to_the_capture_prior(theta_moves: int, leapfrog: int) -> None:
    """K = 1 on 3 lists and 94 observed: here the Beta(1, 1) prior of λ matters (Kosovo's 4,400 records swamp it),
    so a θ move whose target gets the prior's Jacobian wrong is caught (checked: with the HMC's log prior, or the
    shift move's Jacobian term, halved, a quantile moves by 2 against tolerances of 1.4 and 2.0, its Monte Carlo
    s.e. being 0.1–0.25).  Tolerance 4 Monte Carlo s.e. of each quantile + 1 (N is discrete), as above.
    """
    rng = np.random.default_rng(2)
    x = (rng.random((150, 3)) < [0.25, 0.3, 0.2]).astype(np.uint8)
    patterns, counts = np.unique(x[x.sum(1) > 0], axis=0, return_counts=True)
    n = int(counts.sum())
    grid, pmf = _mt_posterior(patterns, counts, 20 * n)
    cdf = np.cumsum(pmf)
    settings = LCMCRSettings(K=1, burn_in=1_000, n_draws=10_000, thinning=2, theta_moves=theta_moves,
                             theta_leapfrog=leapfrog)
    draws = sample_lcmcr(patterns, counts, settings, spawn_generators(8, 1, 4)[0], n_threads=2)["N"]
    ess = _ess(draws)
    for q in (0.1, 0.5, 0.9):
        exact_q = grid[np.searchsorted(cdf, q)]
        mcse = math.sqrt(q * (1 - q) / ess) / pmf[exact_q - n]
        assert abs(np.quantile(draws, q) - exact_q) < 4 * mcse + 1, (q, np.quantile(draws, q), exact_q, mcse)


# -------------------------------------------------------------------------------- K = 2: exact by enumeration

# 3 lists; patterns 100, 010, 001, 110, 101, 011, 111 with counts 3, 3, 3, 1, 1, 1, 4 (n = 16): enough on all three
# lists to suggest a second class, few enough to enumerate every allocation to two classes (2,560)
_K2_PATTERNS = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]], dtype=np.uint8)
_K2_COUNTS = np.array([3, 3, 3, 1, 1, 1, 4], dtype=np.int64)


def _k2_exact_posterior(X: np.ndarray, c: np.ndarray, upper: int, a: float, b: float,
                        n_nodes: int = 150) -> tuple[np.ndarray, np.ndarray]:
    """Exact posterior pmf of N (grid n..upper) for LCMCR with K = 2, λ ~ Beta(1, 1), V_1 ~ Beta(1, α),
    α ~ Gamma(a, rate b), p(N) ∝ 1/N.

    Expanding the likelihood N!/(n0! ∏ c_p!) p0^{n0} ∏_p P_p^{c_p} over the classes of every person, with m_pk
    the people of pattern p in class k, u_k the unseen ones, n_k = Σ_p m_pk + u_k and s_jk = Σ_p m_pk x_pj, and
    integrating λ and V_1 out:

        p(N, m, u | c) ∝ (1/N) · N!/(∏ m_pk! ∏ u_k!) · ∏_{j,k} B(1 + s_jk, 1 + n_k − s_jk) · E_α[α B(1 + n_1, α + n_2)]

    summed here over all m (grouped by class 1's count and list totals) and all u_1 + u_2 = N − n.  E_α is
    Gauss–Legendre in w = α^a (smooth at α = 0).  The pmf beyond ``upper`` decays like N^-4.8 for the data here;
    its mass past n + 184 is about 1e-5.  Written and checked for this package (the K = 1 reduction equals the
    closed form of Mt to 3e-13, and brute-force Monte Carlo over the prior agrees) by a reviewing session.
    """
    import itertools

    from scipy.special import betaln, logsumexp, roots_legendre

    n = int(c.sum())
    n_j = X.T.astype(np.int64) @ c
    grids = np.array(list(itertools.product(*[range(int(k) + 1) for k in c])), dtype=np.int64)
    log_w = -(gammaln(grids + 1) + gammaln(c - grids + 1)).sum(axis=1)
    keys, group = np.unique(np.column_stack([grids.sum(axis=1), grids @ X.astype(np.int64)]), axis=0,
                            return_inverse=True)
    group = group.ravel()
    log_group = np.array([logsumexp(log_w[group == g]) for g in range(len(keys))])
    totals = np.arange(upper + 1)[None, :]

    def class_term(M: np.ndarray, s: np.ndarray) -> np.ndarray:  # −log u_k! + Σ_j log B(...), n_k = 0..upper
        unseen = totals - M[:, None]
        term = -gammaln(np.maximum(unseen, 0) + 1.0)
        for j in range(s.shape[1]):
            term = term + betaln(1.0 + s[:, j][:, None], 1.0 + totals - s[:, j][:, None])
        return np.where(unseen >= 0, term, -np.inf)

    A1 = class_term(keys[:, 0], keys[:, 1:]) + log_group[:, None]
    A2 = class_term(n - keys[:, 0], n_j[None, :] - keys[:, 1:])
    m1, m2 = A1.max(axis=0), A2.max(axis=0)
    with np.errstate(divide="ignore"):
        F = np.log(np.exp(A1 - m1).T @ np.exp(A2 - m2)) + m1[:, None] + m2[None, :]  # F[n_1, n_2]
    x, weight = roots_legendre(n_nodes)
    w_max = (250.0 / b) ** a
    alpha = (0.5 * w_max * (x + 1.0)) ** (1.0 / a)
    log_weight = np.log(0.5 * w_max * weight) + a * np.log(b) - gammaln(a + 1.0) - b * alpha
    n1, n2 = np.meshgrid(np.arange(upper + 1), np.arange(upper + 1), indexing="ij")
    inside = (n1 + n2 <= upper) & np.isfinite(F)
    F[inside] += logsumexp(np.log(alpha) + betaln(1.0 + n1[inside][:, None], alpha + n2[inside][:, None])
                           + log_weight, axis=1)
    grid = np.arange(n, upper + 1)
    log_post = np.array([logsumexp(F[inside & (n1 + n2 == N)]) for N in grid]) + gammaln(grid + 1.0) - np.log(grid)
    pmf = np.exp(log_post - logsumexp(log_post))
    return grid, pmf


@pytest.mark.parametrize("sampler", ["gibbs", "collapsed"])
def test_two_classes_match_the_exact_posterior(sampler: str) -> None:
    """K = 2 against the exact posterior by enumeration, at the default prior a_α = b_α = 0.25: the check where
    label swaps and stick moves matter (K = 1 has neither).

    It caught a bias of both samplers: V was clipped below 1 − 1e-12, which capped each log(1 − V) of the α update
    at −27.6, while a small α makes an empty class's 1 − V ~ Beta(α, 1) far smaller; α came out too large and N
    too high (P(N ≤ n + 5) 0.808 and 0.810 against 0.821, E[min(N, 60)] too high, z ≈ 7 for both samplers).
    Tolerance: 4.5 Monte Carlo s.e. (ArviZ's, from the ESS of each quantity; 10 checks at once).
    """
    n = int(_K2_COUNTS.sum())
    _assert_sampler_matches_exact(2, sampler, *_k2_exact_posterior(_K2_PATTERNS, _K2_COUNTS, n + 184, 0.25, 0.25))


def _assert_sampler_matches_exact(K: int, sampler: str, grid: np.ndarray, pmf: np.ndarray) -> None:
    """The sampler's draws of N on the K = 2 test's data (4 chains, seed 31, a_α = b_α = 0.25) against an exact
    posterior pmf on ``grid``: P(N ≤ n + t) and E[min(N, cap)] within 4.5 of ArviZ's Monte Carlo s.e."""
    import arviz as az

    from estimate.estimators.lcmcr import SAMPLERS

    n = int(_K2_COUNTS.sum())
    cdf = np.cumsum(pmf)
    settings = LCMCRSettings(K=K, a_alpha=0.25, b_alpha=0.25, burn_in=2_000, n_draws=20_000, thinning=5,
                             **SAMPLERS[sampler])
    draws = sample_lcmcr(_K2_PATTERNS, _K2_COUNTS, settings, spawn_generators(31, 1, 4)[0],
                         n_threads=2)["N"].astype(float)
    checks = {f"P(N <= n + {t})": (draws <= n + t, cdf[t]) for t in (0, 2, 5, 10, 20)}
    for cap in (20, 30, 60):
        checks[f"E[min(N, {cap})]"] = (np.minimum(draws, cap), float(np.dot(np.minimum(grid, cap), pmf)))
    for name, (values, exact) in checks.items():
        values = np.asarray(values, dtype=float)
        mcse = float(np.ravel(az.mcse(values))[0])
        assert abs(values.mean() - exact) < 4.5 * mcse, (name, values.mean(), exact, mcse)


# -------------------------------------------------------------------------------- K = 3: exact by enumeration
# (the same data: 405,000 allocations to three classes)


def _k3_exact_posterior(X: np.ndarray, c: np.ndarray, upper: int, a: float, b: float,
                        n_nodes: int = 150) -> tuple[np.ndarray, np.ndarray]:
    """Exact posterior pmf of N (grid n..upper) for LCMCR with K = 3, λ ~ Beta(1, 1), V_1, V_2 ~ Beta(1, α),
    V_3 = 1, α ~ Gamma(a, rate b), p(N) ∝ 1/N.

    As for K = 2 (m_pk the people of pattern p in class k, u_k the unseen, n_k = Σ_p m_pk + u_k, s_jk = Σ_p m_pk x_pj),
    with π = (V_1, (1 − V_1) V_2, (1 − V_1)(1 − V_2)) integrated against α²(1 − V_1)^(α−1)(1 − V_2)^(α−1):

        p(N, m, u | c) ∝ (1/N) · N!/(∏ m_pk! ∏ u_k!) · ∏_{j,k} B(1 + s_jk, 1 + n_k − s_jk)
                         · E_α[α² B(1 + n_1, α + n_2 + n_3) B(1 + n_2, α + n_3)],

    and B(1 + n_1, α + n_2 + n_3) B(1 + n_2, α + n_3) = n_1! n_2! Γ(α + n_3) / ((α + n_2 + n_3) Γ(1 + α + N)).
    The 405,000 allocations m are grouped by the (count, list totals) key of classes 1 and 2 (class 3's follows);
    F[n_1, n_2, n_3] is a contraction over those keys, then each N sums F · E_α over n_1 + n_2 + n_3 = N.  E_α is
    Gauss–Legendre in w = α^a as in the K = 2 helper.  The pmf decays like N^-5.06 here: the mass past n + 184 is
    about 4e-6.  Checked by a reviewing session: Monte Carlo over the prior (2e7 draws of α, V, λ; conditional
    P(N ≤ n + t | N ≤ n + 30) agrees within 6e-4, |z| ≤ 2.1, at a = b = 0.25 and 1), the stick factor against
    numerical quadrature over V at fixed α (1e-14), the same code at K = 2 against ``_k2_exact_posterior`` (1e-15),
    and 150 against 300 nodes (1e-13).
    """
    from scipy.special import betaln, logsumexp, roots_legendre

    n = int(c.sum())
    Xi = X.astype(np.int64)
    n_j = Xi.T @ c
    radix = np.cumprod(np.r_[1, n + 1, n_j + 1])  # key code = m + (n + 1)·s_1 + (n + 1)(n_1 + 1)·s_2 + ...
    codes = [np.zeros(1, dtype=np.int64) for _ in range(3)]
    log_w = np.zeros(1)
    for p, cp in enumerate(c):  # all allocations of pattern p's cp people to the 3 classes, as an outer product
        m12 = np.array([(i, j) for i in range(cp + 1) for j in range(cp + 1 - i)], dtype=np.int64).T
        m = np.vstack([m12, cp - m12.sum(axis=0)])
        unit = int(radix[: Xi.shape[1] + 1] @ np.r_[1, Xi[p]])
        codes = [(code[:, None] + m[k][None, :] * unit).ravel() for k, code in enumerate(codes)]
        log_w = (log_w[:, None] - gammaln(m + 1.0).sum(axis=0)[None, :]).ravel()
    keys = np.unique(np.concatenate(codes))
    idx = [np.searchsorted(keys, code) for code in codes]
    pairs, first, inverse = np.unique(idx[0] * len(keys) + idx[1], return_index=True, return_inverse=True)
    W = np.bincount(inverse.ravel(), weights=np.exp(log_w))
    k1, k2, k3 = pairs // len(keys), pairs % len(keys), idx[2][first]
    M = keys % (n + 1)
    totals = np.arange(upper + 1)[None, :]
    unseen = totals - M[:, None]
    A = -gammaln(np.maximum(unseen, 0) + 1.0)
    for j in range(Xi.shape[1]):
        s = (keys // radix[j + 1]) % (n_j[j] + 1)
        A = A + betaln(1.0 + s[:, None], 1.0 + totals - s[:, None])
    A = np.where(unseen >= 0, A, -np.inf)
    col_max = A.max(axis=0)
    E = np.exp(A - col_max)  # class term of each key at n_k = 0..upper, scaled per n_k
    U1 = upper + 1
    F = np.zeros((U1, U1 * U1))
    starts = np.flatnonzero(np.r_[True, k1[1:] != k1[:-1]])  # pairs are sorted by k1
    ends = np.r_[starts[1:], len(k1)]
    for c0 in range(0, len(starts), 256):
        groups = range(c0, min(c0 + 256, len(starts)))
        H = np.stack([((E[k2[starts[g]:ends[g]]].T * W[starts[g]:ends[g]]) @ E[k3[starts[g]:ends[g]]]).ravel()
                      for g in groups])
        F += E[k1[starts[groups.start:groups.stop]]].T @ H
    with np.errstate(divide="ignore"):
        log_F = np.log(F.reshape(U1, U1, U1)) + col_max[:, None, None] + col_max[None, :, None] + col_max[None, None, :]
    x, weight = roots_legendre(n_nodes)
    w_max = (250.0 / b) ** a
    alpha = (0.5 * w_max * (x + 1.0)) ** (1.0 / a)
    log_weight = np.log(0.5 * w_max * weight) + a * np.log(b) - gammaln(a + 1.0) - b * alpha
    log_fact = gammaln(np.arange(U1) + 1.0)
    grid = np.arange(n, upper + 1)
    log_post = np.empty(len(grid))
    for i, N in enumerate(grid):
        # log Σ_α weight α² Γ(α + n_3) / ((α + n_2 + n_3) Γ(1 + α + N)), as S[n_3, n_2 + n_3]
        L = (log_weight + 2.0 * np.log(alpha) - gammaln(1.0 + alpha + N))[:, None] + gammaln(alpha[:, None]
                                                                                         + np.arange(N + 1))
        L_max = L.max(axis=0)
        S = np.log(np.exp(L - L_max).T @ (1.0 / (alpha[:, None] + np.arange(N + 1)))) + L_max[:, None]
        n2, n3 = np.triu_indices(N + 1)
        n2, n3 = n3 - n2, n2  # all n_2 + n_3 ≤ N
        n1 = N - n2 - n3
        log_post[i] = logsumexp(log_F[n1, n2, n3] + log_fact[n1] + log_fact[n2] + S[n3, n2 + n3])
    log_post += gammaln(grid + 1.0) - np.log(grid)
    return grid, np.exp(log_post - logsumexp(log_post))


@functools.cache
def _k3_reference() -> tuple[np.ndarray, np.ndarray]:
    return _k3_exact_posterior(_K2_PATTERNS, _K2_COUNTS, int(_K2_COUNTS.sum()) + 184, 0.25, 0.25)


@pytest.mark.parametrize("sampler", ["gibbs", "collapsed"])
def test_three_classes_match_the_exact_posterior(sampler: str) -> None:
    """K = 3 against the exact posterior by enumeration, at a_α = b_α = 0.25: exercises what K = 2 cannot (the
    collapsed sampler's swap of adjacent sticks, two sticks in the α update and in the weight swap).

    The K = 3 posterior differs from the K = 2 one on the same data by 0.010 in P(N ≤ n + 2) (0.5008 against 0.5106)
    and 0.031 in E[min(N, 20)], 5–6 Monte Carlo s.e. here, and from the K = 3 posterior at a = b = 1 by 0.019 in
    P(N ≤ n + 2) and P(N ≤ n + 5) (about 10–13 s.e.).  A reviewing session ran both samplers 10 times longer (two
    seeds, a = b = 0.25 and 1, and the collapsed moves toggled one at a time): every |z| ≤ 2.8.  Tolerance: 4.5
    Monte Carlo s.e. (ArviZ's, 8 checks at once).
    """
    _assert_sampler_matches_exact(3, sampler, *_k3_reference())


# --------------------------------------------------------------------------------------------------- Kosovo




def _kosovo_vs_reference(sweeps: int, chains: int, seed: int) -> dict[bool, np.ndarray]:
    """Run plain and collapsed chains; compare each with the R reference and with each other.

    Tolerance for the q-quantile: 4·sqrt(se_ours² + se_ref²), se_ours ArviZ's quantile MCSE of our draws and
    se_ref the reference's seed-to-seed spread over √3 (:data:`REF_MCSE`).  At 300,000 sweeps × 4 chains (seed
    2016) this is ±95 people for the median and ±450–650 for the interval ends, whose quantile ESS is only
    550–900: 4 s.e., so it fails by chance about once in 16,000 runs, and it still catches a wrong conditional
    (the K = 1 model is off by 3,000).  A quantile ESS below 400 would make the comparison meaningless and fails
    the test.
    """
    import arviz as az

    X, c = _kosovo()
    out = {}
    for collapsed in (False, True):
        thinning = 20
        settings = LCMCRSettings(
            burn_in=5000, n_draws=sweeps // thinning, thinning=thinning, collapsed_n0=collapsed
        )
        draws = sample_lcmcr(X, c, settings, spawn_generators(seed, 1, chains)[0], n_threads=2)["N"]
        for q, key in ((0.025, "q025"), (0.5, "median"), (0.975, "q975")):
            ess = float(az.ess(np.asarray(draws, dtype=float), method="quantile", prob=q))
            assert ess >= 400, (collapsed, key, ess)
            se = quantile_mcse(draws, q)
            diff = np.quantile(draws, q) - REF[key]
            assert abs(diff) < 4 * math.hypot(se, REF_MCSE[key]), (collapsed, key, diff, se, ess)
        out[collapsed] = draws
    for q in (0.025, 0.5, 0.975):
        se = math.hypot(quantile_mcse(out[False], q), quantile_mcse(out[True], q))
        assert abs(np.quantile(out[False], q) - np.quantile(out[True], q)) < 4 * se
    return out


@pytest.mark.slow
def test_kosovo_matches_reference_and_collapsed_equals_plain() -> None:
    """30–100 s: in the slow suite. The fast suite checks the default sampler against the R reference on Kosovo
    (test_lcmcr.py::test_kosovo_matches_reference_lcmcr), plain Gibbs against the exact posterior on small data
    (the K = 2 and K = 3 enumerations above) and every extra move against plain Gibbs
    (test_lcmcr.py::test_extra_moves_leave_posterior_unchanged)."""
    _kosovo_vs_reference(sweeps=300_000, chains=4, seed=2016)


@pytest.mark.slow
def test_kosovo_matches_reference_long() -> None:
    _kosovo_vs_reference(sweeps=1_000_000, chains=4, seed=72)


# ----------------------------------------------------------------------------------------------- edge cases


def test_thirty_lists_thousands_of_patterns() -> None:
    """J = 30: cost is in the observed patterns only (2^30 cells would need 8 GiB just for a float array)."""
    patterns, counts = _simulated(7, 30, 6000, classes=3)
    assert patterns.shape[0] > 2000
    # a few patterns captured on almost every list exercise the log-space fallback of the pattern weights
    dense = np.ones((3, 30), dtype=np.uint8)
    dense[1, 0] = 0
    dense[2, :2] = 0
    patterns = np.vstack([patterns, dense])
    counts = np.concatenate([counts, [1, 2, 1]])
    settings = LCMCRSettings(burn_in=100, n_draws=20, thinning=2, keep_traces=True, collapsed_n0=True)
    res = sample_lcmcr(patterns, counts, settings, spawn_generators(1, 1, 2)[0])
    assert res["N"].shape == (2, 20) and res["lambda"].shape == (2, 20, 30, 10)
    assert np.all(res["N"] >= counts.sum())
    assert np.all(np.isfinite(res["lambda"])) and np.all(np.isfinite(res["alpha"]))
    np.testing.assert_allclose(res["pi"].sum(axis=-1), 1.0, rtol=1e-9)


def test_all_zero_list_does_not_crash() -> None:
    X, c = _kosovo()
    X0 = np.hstack([X, np.zeros((X.shape[0], 1), dtype=np.uint8)])
    settings = LCMCRSettings(burn_in=200, n_draws=50, thinning=2, keep_traces=True, collapsed_n0=True)
    res = sample_lcmcr(X0, c, settings, spawn_generators(3, 1, 1)[0])
    assert np.all(res["N"] >= c.sum()) and np.all(np.isfinite(res["lambda"]))


def test_bad_input_rejected() -> None:
    settings = LCMCRSettings(burn_in=1, n_draws=1, thinning=1)
    with pytest.raises(ValueError, match="0/1"):
        sample_lcmcr(np.array([[2, 0]]), np.array([3]), settings, spawn_generators(0, 1, 1)[0])
    with pytest.raises(ValueError, match="positive total"):
        sample_lcmcr(np.array([[1, 0]]), np.array([0]), settings, spawn_generators(0, 1, 1)[0])
    with pytest.raises(ValueError, match="K must be"):
        LCMCRSettings(K=0)


def test_batch_reports_its_elapsed_sampling_time() -> None:
    """``batch_wall_seconds`` is the batch's elapsed time after the kernel is compiled or loaded (the estimator's
    ``wall_seconds`` and ESS per second come from it), shared by every problem of the batch."""
    X, c = _kosovo()
    settings = LCMCRSettings(burn_in=200, n_draws=50, thinning=2)
    start = time.perf_counter()
    out = sample_lcmcr_batch([(X, c), (X, c)], settings, spawn_generators(3, 2, 2), n_threads=2)
    elapsed = time.perf_counter() - start
    assert out[0]["batch_wall_seconds"] == out[1]["batch_wall_seconds"]
    assert 0 < out[0]["batch_wall_seconds"] <= elapsed


def test_finished_problems_are_reported_while_the_batch_runs() -> None:
    """``on_problem`` gets each problem once, as soon as its chains end (the estimator summarises it then, while the
    other chains run), with what the batch returns for it; the draws do not depend on it."""
    X, c = _kosovo()
    small = (X[:8], c[:8])
    settings = LCMCRSettings(burn_in=200, n_draws=50, thinning=2)
    problems = [(X, c), small, (X, c), small, small]
    seen: dict[int, dict] = {}

    def record(i: int, output: dict) -> None:
        assert i not in seen and "batch_wall_seconds" not in output
        seen[i] = output

    out = sample_lcmcr_batch(problems, settings, spawn_generators(4, 5, 3), n_threads=2, on_problem=record)
    plain = sample_lcmcr_batch(problems, settings, spawn_generators(4, 5, 3), n_threads=1)
    assert sorted(seen) == list(range(5))
    for i in range(5):
        assert seen[i] is out[i]  # one copy of the draws: the reported dict is the one returned (traces can be large)
        np.testing.assert_array_equal(out[i]["N"], plain[i]["N"])
        assert out[i]["batch_wall_seconds"] == out[0]["batch_wall_seconds"] > 0


def test_low_level_input_checks_and_seed_sequence_copy() -> None:
    """pack_patterns took an all-zero row (people on no list) as observed, sending N to the int64 limit, and cut
    fractional counts silently; spawn_generators advanced a SeedSequence passed to it."""
    from estimate.samplers.lcmcr_kernel import pack_patterns

    X = np.array([[1, 0], [0, 1], [0, 0]])
    with pytest.raises(ValueError, match="nobody on any list"):
        pack_patterns(X, np.array([2, 1, 5]))
    assert pack_patterns(X, np.array([2, 1, 0]))[2].tolist() == [2, 1]  # a zero count is only dropped
    with pytest.raises(ValueError, match="whole numbers"):
        pack_patterns(X[:2], np.array([2.7, 1.2]))
    assert pack_patterns(X[:2], np.array([2.0, 1.0]))[2].tolist() == [2, 1]
    sequence = np.random.SeedSequence(3)
    first, again = (spawn_generators(sequence, 1, 2)[0][0].integers(1 << 60) for _ in range(2))
    assert first == again


@pytest.mark.parametrize("K", [3, 10, 60])
def test_alpha_rate_uses_the_carried_logarithms_of_the_sticks(K: int) -> None:
    """Step 5's rate b_α − Σ_{k<K} log(1 − V_k) comes from the logarithms carried with the sticks, also where 1 − V_k
    underflows (log(1 − V_k) = −10⁵ for K = 60: no double holds such a 1 − V).  The product ∏ (1 − V_k) it used to
    take the logarithm of had its factors clipped at 1e-12."""
    from numba import njit

    from estimate.samplers.lcmcr_kernel import _alpha_given_sticks
    from estimate.samplers.variates import rng_handle, standard_gamma

    @njit
    def both(gen_a, gen_b, log1m_V, K, a, b):
        return (_alpha_given_sticks(rng_handle(gen_a), log1m_V, K, a, b),
                standard_gamma(rng_handle(gen_b), a + K - 1.0))

    rng = np.random.default_rng(5)
    log1m_V = np.concatenate([np.log1p(-rng.uniform(0.0, 1.0, K - 1)), [-np.inf]])  # V_K = 1 is not summed
    if K == 60:
        log1m_V[: K - 1] = -1e5
    alpha, gamma = both(np.random.default_rng(9), np.random.default_rng(9), log1m_V, K, 0.25, 0.25)
    expected = gamma / (0.25 - np.sum(log1m_V[: K - 1]))
    assert math.isfinite(alpha) and alpha > 0
    assert alpha == pytest.approx(expected, rel=1e-12)
