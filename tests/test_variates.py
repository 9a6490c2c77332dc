"""Random variates of the compiled samplers (:mod:`estimate.samplers.variates`).

Every generator is checked against its exact distribution with a fixed seed: chi-square goodness of fit on the
pmf for the discrete ones, Kolmogorov–Smirnov for the continuous ones (100,000–400,000 draws; a correct sampler
fails a test at level 10⁻⁴ once in 10,000 seeds), plus the moments.  Parameters cover every branch: the
ziggurat's base strip, wedges and tail; Gamma shapes below 1, at 1 and large; Beta's inverse-CDF shortcuts and
its Gamma ratio; inversion and BTRS for the binomial; multiplication and PTRS for the Poisson; categorical and
conditional-binomial multinomials, sorted or in the caller's order.  Plus: :func:`uniform` reads exactly the
stream ``Generator.random()`` reads.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from numba import njit
from scipy import stats

from estimate.samplers.variates import (
    beta,
    binomial,
    multinomial,
    negative_binomial,
    order_by_decreasing,
    poisson,
    rng_handle,
    standard_gamma,
    standard_normal,
    stick_beta,
    uniform,
)

LEVEL = 1e-4


@njit
def _continuous_draws(gen, kind, a, b, size):
    rh = rng_handle(gen)
    out = np.empty(size)
    for i in range(size):
        if kind == 0:
            out[i] = standard_normal(rh)
        elif kind == 1:
            out[i] = standard_gamma(rh, a)
        else:
            out[i] = beta(rh, a, b)
    return out


@njit
def _count_draws(gen, kind, n, p, size):
    rh = rng_handle(gen)
    out = np.empty(size, dtype=np.int64)
    for i in range(size):
        if kind == 0:
            out[i] = binomial(rh, n, p)
        elif kind == 1:
            out[i] = poisson(rh, p)
        else:
            out[i] = negative_binomial(rh, n, p)
    return out


@njit
def _multinomial_draws(gen, total, w, size, sort):
    rh = rng_handle(gen)
    K = w.shape[0]
    out = np.empty((size, K), dtype=np.int64)
    seq = np.arange(K)
    sfx = np.empty(K)
    buf = np.empty(K, dtype=np.int64)
    for i in range(size):
        multinomial(rh, total, w, K, seq, sfx, buf, sort)
        out[i] = buf
    return out


@njit
def _uniforms(gen, size):
    rh = rng_handle(gen)
    out = np.empty(size)
    for i in range(size):
        out[i] = uniform(rh)
    return out


def _chi_square_p(draws: np.ndarray, pmf) -> float:
    """p-value of Pearson's chi-square over the cells with expected count > 10 (the rest pooled into one)."""
    ks = np.arange(draws.min(), draws.max() + 1)
    observed = np.bincount(draws - draws.min())
    expected = pmf(ks) * draws.size
    keep = expected > 10
    rest_observed = draws.size - observed[keep].sum()
    rest_expected = draws.size - expected[keep].sum()
    chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    dof = keep.sum() - 1
    if rest_expected > 10:
        chi2 += (rest_observed - rest_expected) ** 2 / rest_expected
        dof += 1
    return float(stats.chi2.sf(chi2, dof))


def test_uniform_is_the_generators_own_stream() -> None:
    """The handle reads the same bit generator: draws equal ``Generator.random()``'s, and interleave with it."""
    np.testing.assert_array_equal(_uniforms(np.random.default_rng(5), 1000), np.random.default_rng(5).random(1000))
    gen = np.random.default_rng(9)
    mixed = np.concatenate([_uniforms(gen, 3), gen.random(2), _uniforms(gen, 3)])
    np.testing.assert_array_equal(mixed, np.random.default_rng(9).random(8))


def test_standard_normal() -> None:
    x = _continuous_draws(np.random.default_rng(1), 0, 0.0, 0.0, 400_000)
    assert stats.kstest(x, "norm").pvalue > LEVEL
    # the ziggurat's tail beyond r = 3.654 (layer 0's exact tail sampler): count against its binomial error
    r = 3.6541528853610088
    expected = 2.0 * stats.norm.sf(r) * x.size
    tail = np.abs(x[np.abs(x) > r])
    assert abs(tail.size - expected) < 5.0 * np.sqrt(expected)
    # and its shape: E[|X| | |X| > r] = φ(r)/Φ̄(r), standard deviation of |X| there from scipy's truncated normal
    truncated = stats.truncnorm(r, np.inf)
    assert abs(tail.mean() - truncated.mean()) < 5.0 * truncated.std() / np.sqrt(tail.size)
    assert abs(np.mean(x)) < 5.0 / np.sqrt(x.size)
    assert abs(np.var(x) - 1.0) < 5.0 * np.sqrt(2.0 / x.size)


@pytest.mark.parametrize("a", [0.05, 0.4, 1.0, 2.5, 30.0, 4400.0])
def test_standard_gamma(a: float) -> None:
    x = _continuous_draws(np.random.default_rng(int(a * 100)), 1, a, 0.0, 200_000)
    assert np.all(x >= 0.0)
    assert stats.kstest(x, "gamma", args=(a,)).pvalue > LEVEL
    assert abs(x.mean() - a) < 5.0 * np.sqrt(a / x.size)


@pytest.mark.parametrize(("a", "b"), [(1.0, 1.0), (1.0, 7.5), (3.0, 1.0), (2.0, 5.0), (181.0, 48.0), (4.0, 0.3)])
def test_beta(a: float, b: float) -> None:
    x = _continuous_draws(np.random.default_rng(int(a * 10 + b)), 2, a, b, 200_000)
    assert np.all((x >= 0.0) & (x <= 1.0))
    assert stats.kstest(x, "beta", args=(a, b)).pvalue > LEVEL


@njit
def _stick_draws(gen, a, b, size):
    rh = rng_handle(gen)
    out = np.empty((size, 3))
    for i in range(size):
        out[i, 0], out[i, 1], out[i, 2] = stick_beta(rh, a, b)
    return out


@pytest.mark.parametrize(("a", "b"), [(1.0, 1.0), (1.0, 7.5), (3.0, 1.0), (2.0, 5.0), (4.0, 0.3), (1.0, 0.004),
                                    (40.0, 0.004), (3.0, 1e-5)])
def test_stick_beta_keeps_the_complement_and_its_logarithm_exact(a: float, b: float) -> None:
    """LCMCR's sticks: (V, 1 − V, log(1 − V)) with V ~ Beta(a, b).  1 − V ~ Beta(b, a), so log(1 − V) has mean
    ψ(b) − ψ(a + b) and, for small b, b·(−log(1 − V)) is nearly Exponential(1): with b = 1e-5, 1 − V is below
    1e-300 in about 99% of draws, which V clipped below 1 − 1e-12 had turned into log(1 − V) ≥ −27.6."""
    from scipy.special import polygamma, psi

    x = _stick_draws(np.random.default_rng(int(a * 10 + 1 / b)), a, b, 200_000)
    v, w, log_w = x.T
    assert np.all(np.isfinite(log_w)) and np.all(log_w < 0.0) and np.all((w >= 0.0) & (v <= 1.0))
    representable = w > 1e-12
    assert representable.mean() < 0.02 if b == 1e-5 else True  # the draws the clip had distorted
    np.testing.assert_allclose(v[representable] + w[representable], 1.0, rtol=0, atol=4e-16)
    np.testing.assert_allclose(np.log(w[w > 1e-290]), log_w[w > 1e-290], rtol=1e-13, atol=3e-16)
    mean, sd = psi(b) - psi(a + b), np.sqrt(polygamma(1, b) - polygamma(1, a + b))
    assert abs(log_w.mean() - mean) < 5 * sd / np.sqrt(len(log_w)), (log_w.mean(), mean)
    if b >= 0.3:  # the whole distribution (for tiny b, 1 − V below the smallest double has no other record)
        assert stats.kstest(w, "beta", args=(b, a)).pvalue > LEVEL
        assert stats.kstest(v, "beta", args=(a, b)).pvalue > LEVEL
    else:  # log(1 − V) = log of Beta(b, a): P(log(1 − V) ≤ t) compared at quantiles of its exact law
        from scipy.special import gammaln

        for q in (0.1, 0.5, 0.9):
            quantile = stats.beta.ppf(q, b, a)
            # below 1e-300 (scipy stops at the smallest normal double): P(X ≤ x) = C x^b (1 + O(x)),
            # C = Γ(a + b)/(Γ(b + 1) Γ(a))
            t = (np.log(quantile) if quantile > 1e-300
                 else (np.log(q) - gammaln(a + b) + gammaln(b + 1) + gammaln(a)) / b)
            share = (log_w <= t).mean()
            assert abs(share - q) < 5 * np.sqrt(q * (1 - q) / len(log_w)), (q, share)


@pytest.mark.parametrize(("n", "p"), [(12, 0.3), (40, 0.9), (1131, 0.37), (500, 0.02), (30, 0.5), (1000, 0.0099),
                                    (50, 0.004), (1, 0.3), (7, 0.97), (100, 0.85), (4400, 0.5)])
def test_binomial_matches_pmf(n: int, p: float) -> None:
    """Inversion below mean 10, BTRS above: (30, 0.5) and (100, 0.85) (mirrored) decide every rejection within
    BTRS_RECURSION_STEPS of the mode by the product of pmf ratios; (1131, 0.37) and (4400, 0.5) (σ ≈ 16 and 33)
    also by the logarithmic bound beyond it."""
    x = _count_draws(np.random.default_rng(n), 0, n, p, 100_000)
    assert _chi_square_p(x, lambda k: stats.binom.pmf(k, n, p)) > LEVEL


@pytest.mark.parametrize("mu", [0.3, 3.0, 9.99, 10.0, 57.5, 6000.0])
def test_poisson_matches_pmf(mu: float) -> None:
    x = _count_draws(np.random.default_rng(int(mu * 100)), 1, 0, mu, 200_000)
    assert _chi_square_p(x, lambda k: stats.poisson.pmf(k, mu)) > LEVEL
    assert abs(x.mean() - mu) < 5.0 * np.sqrt(mu / x.size)
    assert abs(x.var() - mu) < 5.0 * mu * np.sqrt((2.0 + 1.0 / mu) / x.size)


@pytest.mark.parametrize(("n", "p"), [(3, 0.5), (30, 0.8), (4400, 0.42), (5, 1.0)])
def test_negative_binomial_matches_pmf(n: int, p: float) -> None:
    """Failures before the n-th success (numpy's and scipy's convention): the unseen count of the sweep."""
    x = _count_draws(np.random.default_rng(n), 2, n, p, 200_000)
    if p == 1.0:
        assert np.all(x == 0)
        return
    assert _chi_square_p(x, lambda k: stats.nbinom.pmf(k, n, p)) > LEVEL


@pytest.mark.parametrize(("total", "sort"), [(3, True), (7, True), (9, True), (9, False), (40, True), (40, False)])
def test_multinomial_matches_pmf(total: int, sort: bool) -> None:
    """Exact pmf (chi-square) for totals 3 and 7 (one uniform per individual, K = 4 classes: totals < 2K) and 9
    (conditional binomials, then one uniform per individual once fewer are left than classes); moments for 40.
    ``sort=False`` visits the classes in the caller's order (0, 1, 2, 3 here: not by weight)."""
    w = np.array([0.5, 0.05, 0.3, 0.15])
    x = _multinomial_draws(np.random.default_rng(total + sort), total, w * 7.0, 100_000, sort)  # unnormalised
    assert np.all(x.sum(axis=1) == total)
    if total < 10:
        cells = [c for c in itertools.product(range(total + 1), repeat=4) if sum(c) == total]
        index = {c: i for i, c in enumerate(cells)}
        observed = np.bincount([index[tuple(r)] for r in x], minlength=len(cells))
        expected = np.array([stats.multinomial.pmf(c, total, w) for c in cells]) * x.shape[0]
        keep = expected > 5
        chi2 = ((observed[keep] - expected[keep]) ** 2 / expected[keep]).sum()
        assert observed[~keep].sum() < 5 * max(expected[~keep].sum(), 1.0)
        assert stats.chi2.sf(chi2, keep.sum() - 1) > LEVEL
    else:
        se = np.sqrt(total * w * (1 - w) / x.shape[0])
        assert np.all(np.abs(x.mean(axis=0) - total * w) < 5 * se)
        # each class count is Binomial(total, w): the sample variance has relative standard error
        # √[(2 + (1 − 6pq)/(total·pq)) / draws] (kurtosis of the binomial), ≈ 0.5% for w = 0.05; 5 of them
        variance = total * w * (1 - w)
        relative_se = np.sqrt((2 + (1 - 6 * w * (1 - w)) / variance) / x.shape[0])
        assert np.all(np.abs(x.var(axis=0) / variance - 1) < 5 * relative_se)


@njit
def _order(values):
    seq = np.empty(values.shape[0], dtype=np.int64)
    order_by_decreasing(values, values.shape[0], seq)
    return seq


def test_order_by_decreasing_is_a_stable_descending_argsort() -> None:
    rng = np.random.default_rng(3)
    for size in (1, 2, 10, 30):
        for values in (rng.random(size), rng.integers(0, 3, size).astype(float)):  # ties in the second
            np.testing.assert_array_equal(_order(values), np.argsort(-values, kind="stable"))
