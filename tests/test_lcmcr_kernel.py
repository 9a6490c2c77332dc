"""Compiled LCMCR kernel (:mod:`estimate.samplers.lcmcr_kernel`).

Checks (the variates it draws from: tests/test_variates.py): determinism (seed, thread count, problem
order); K = 1 against the closed-form posterior of N (plain and partially collapsed); Kosovo against the
R LCMCR 0.4.14 reference with a tolerance derived from the Monte Carlo error; plain vs collapsed equivalence;
J = 30 with thousands of patterns; an all-zero list.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
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


# --------------------------------------------------------------------------------------------------- Kosovo


def _quantile_mcse_arviz(draws: np.ndarray, q: float) -> float:
    """ArviZ's Monte Carlo s.e. of the q-quantile of draws shaped (chain, draw): from the ESS of the indicator
    I(x ≤ x_q), which is what governs a quantile's error (bulk ESS overstates it in the tails)."""
    import arviz as az

    return float(az.mcse(np.asarray(draws, dtype=float), method="quantile", prob=q))


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
            se = _quantile_mcse_arviz(draws, q)
            diff = np.quantile(draws, q) - REF[key]
            assert abs(diff) < 4 * math.hypot(se, REF_MCSE[key]), (collapsed, key, diff, se, ess)
        out[collapsed] = draws
    for q in (0.025, 0.5, 0.975):
        se = math.hypot(_quantile_mcse_arviz(out[False], q), _quantile_mcse_arviz(out[True], q))
        assert abs(np.quantile(out[False], q) - np.quantile(out[True], q)) < 4 * se
    return out


def test_kosovo_matches_reference_and_collapsed_equals_plain() -> None:
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
def test_alpha_rate_uses_the_log_of_the_stick_product_without_underflow(K: int) -> None:
    """Step 5's rate b_α − Σ log(1 − V_k), taken as the logarithm of the product, equals the sum of log1p's, also
    when the product of K − 1 factors near 1 − _V_MAX would underflow (K = 60: down to 1e-708)."""
    from numba import njit

    from estimate.samplers.lcmcr_kernel import _V_MAX, _alpha_given_sticks
    from estimate.samplers.variates import rng_handle, standard_gamma

    @njit
    def both(gen_a, gen_b, V, K, a, b):
        return _alpha_given_sticks(rng_handle(gen_a), V, K, a, b), standard_gamma(rng_handle(gen_b), a + K - 1.0)

    rng = np.random.default_rng(5)
    V = np.concatenate([rng.uniform(0.0, 1.0, K - 1), [1.0]])
    if K == 60:
        V[: K - 1] = _V_MAX
    alpha, gamma = both(np.random.default_rng(9), np.random.default_rng(9), V, K, 0.25, 0.25)
    expected = gamma / (0.25 - np.sum(np.log1p(-V[: K - 1])))
    assert math.isfinite(alpha)
    assert alpha == pytest.approx(expected, rel=1e-12)
