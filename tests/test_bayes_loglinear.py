"""Bayesian log-linear model (PyMC): term parsing, a fast smoke test, and an exact check of N integrated out.

The exact check computes the posterior of N for a 2-list independence model by brute force — the full multinomial
of all four cells (including the unobserved one) times p(N) ∝ 1/N and the Normal priors, summed over a grid of N
and a grid of (β_1, β_2) — which does not use the negative-binomial / conditional-likelihood algebra the estimator
relies on; the sampled quantiles must agree within a Monte Carlo tolerance derived from the effective sample size.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from _mcse import quantile_mcse
from scipy import stats
from scipy.special import gammaln, logsumexp

import estimate
from estimate import CaptureData
from estimate.errors import ConvergenceWarning, DataError
from estimate.estimators.base import NotApplicable, get_estimator_class
from estimate.estimators.bayes_loglinear import BayesLogLinear, parse_terms
from estimate.presets import make_estimator

LISTS = ["EXH", "ABA", "OSCE", "HRW"]



# ------------------------------------------------------------------------------------------------- no sampling
def test_parse_terms_default_and_hierarchy() -> None:
    assert parse_terms("all-two-way", LISTS) == [
        ("EXH", "ABA"), ("EXH", "OSCE"), ("EXH", "HRW"), ("ABA", "OSCE"), ("ABA", "HRW"), ("OSCE", "HRW")]
    assert parse_terms("independence", LISTS) == []
    assert parse_terms("all-two-way", ["A", "B"]) == []  # the 2-way term of two lists is not identifiable
    assert parse_terms("HRW:EXH, OSCE:ABA", LISTS) == [("EXH", "HRW"), ("ABA", "OSCE")]
    assert parse_terms([("EXH", "ABA", "OSCE")], LISTS) == [
        ("EXH", "ABA"), ("EXH", "OSCE"), ("ABA", "OSCE"), ("EXH", "ABA", "OSCE")]


@pytest.mark.parametrize(
    ("terms", "message"),
    [("EXH:XYZ", "unknown list"), ([("EXH", "ABA", "OSCE", "HRW")], "not identifiable"), ("EXH:EXH", "two")],
)
def test_parse_terms_errors_name_the_problem(terms, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_terms(terms, LISTS)


def test_registered_with_preset_and_not_applicable_beyond_ten_lists() -> None:
    assert get_estimator_class("bayes-loglinear") is BayesLogLinear
    est = make_estimator(model="bayes-loglinear-default", seed=3)
    assert isinstance(est, BayesLogLinear)
    assert (est.sigma_main, est.sigma_interaction, est.terms, est.seed) == (5.0, 2.0, "all-two-way", 3)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, size=(300, 11))
    wide = CaptureData.from_records(pd.DataFrame(x[x.sum(1) > 0], columns=[f"L{i}" for i in range(11)]))
    with pytest.raises(NotApplicable, match="at most 10 lists"):
        BayesLogLinear().fit(wide)


def test_invalid_parameters_raise(kosovo: CaptureData) -> None:
    with pytest.raises(ValueError, match="chains"):
        BayesLogLinear(chains=0).fit(kosovo)
    with pytest.raises(ValueError, match="prior scales"):
        BayesLogLinear(sigma_interaction=-1.0).fit(kosovo)


# ------------------------------------------------------------------------------------------------- sampling
@pytest.fixture(scope="module")
def smoke(kosovo: CaptureData):
    est = BayesLogLinear(draws=150, tune=150, chains=2, cores=1, seed=11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 2 × 150 draws cannot reach ESS 400
        first = est.fit(kosovo)
        second = est.fit(kosovo)
    return first, second


def test_smoke_result_posterior_and_determinism(smoke, kosovo: CaptureData) -> None:
    result, again = smoke
    assert result.method == "bayes-loglinear"
    assert result.estimate_kind == "posterior median"
    assert result.interval.kind == "equal-tailed" and result.interval.level == 0.95
    draws = result.draws()
    assert draws.shape == (2, 150)
    assert draws.min() >= kosovo.observed
    assert result.interval.lower <= result.estimate <= result.interval.upper
    post = result.posterior.posterior
    assert list(post["beta_main"].coords["list"].values) == list(kosovo.lists)
    assert list(post["beta_interaction"].coords["term"].values) == ["EXH:ABA", "EXH:OSCE", "EXH:HRW", "ABA:OSCE",
                                                                     "ABA:HRW", "OSCE:HRW"]
    np.testing.assert_array_equal(post["n0"].values + kosovo.observed, draws)
    for key in ("r_hat", "ess_bulk", "ess_tail", "divergences", "seconds", "ess_bulk_per_second"):
        assert key in result.diagnostics
    # NUTS's own health: E-BFMI and the share of trajectories cut at the maximum tree depth (never warned before)
    assert 0.3 < result.diagnostics["e_bfmi_min"] < 3 and 0 <= result.diagnostics["max_tree_depth_share"] <= 1
    # every draw's NUTS statistics in sample_stats (az.bfmi / az.plot_energy had nothing to read)
    stats = result.posterior.sample_stats
    assert {"diverging", "energy", "tree_depth", "step_size", "lp"} <= set(stats.data_vars)
    assert stats["energy"].shape == (2, 150) and int(stats["diverging"].sum()) == result.diagnostics["divergences"]
    import arviz as az
    assert float(az.bfmi(result.posterior).min()) == pytest.approx(result.diagnostics["e_bfmi_min"])
    assert result.details["seed"] == 11
    np.testing.assert_array_equal(draws, again.draws())  # same seed, same draws
    # the posterior sits where the all-two-way maximum-likelihood fit does (N̂ = 14,402, R glm) — a sanity check
    # with a wide margin, not an accuracy test (the exact test below is)
    assert 12_000 < result.estimate < 17_000


def test_different_seed_gives_different_draws(smoke, kosovo: CaptureData) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        other = BayesLogLinear(draws=150, tune=150, chains=2, cores=1, seed=12).fit(kosovo)
    assert not np.array_equal(other.draws(), smoke[0].draws())


def _exact_two_list_posterior(y10: int, y01: int, y11: int, sigma: float, n_max: int) -> tuple[np.ndarray, np.ndarray]:
    """p(N | y) by brute force: Σ over a (β1, β2) grid of (1/N) Multinomial(n0, y | N, q(β)) Normal(β; 0, σ²)."""
    b = np.linspace(-6.0, 3.0, 361)
    b1, b2 = np.meshgrid(b, b, indexing="ij")
    log_prior = stats.norm.logpdf(b1, 0, sigma) + stats.norm.logpdf(b2, 0, sigma)
    log_z = np.logaddexp(np.logaddexp(0.0, b1), np.logaddexp(b2, b1 + b2))  # cells 00, 10, 01, 11
    log_q0, log_q10, log_q01, log_q11 = -log_z, b1 - log_z, b2 - log_z, b1 + b2 - log_z
    n = y10 + y01 + y11
    grid = np.arange(n, n_max)
    log_obs = y10 * log_q10 + y01 * log_q01 + y11 * log_q11 + log_prior
    log_post = np.empty(len(grid))
    for i, N in enumerate(grid):
        n0 = N - n
        log_mult = gammaln(N + 1) - gammaln(n0 + 1) + n0 * log_q0 + log_obs
        log_post[i] = -math.log(N) + logsumexp(log_mult)
    pmf = np.exp(log_post - log_post.max())
    return grid, pmf / pmf.sum()


# the only check of this sampler against an exact posterior: part of the default run (≈ 10 s)
def test_two_list_independence_matches_brute_force_posterior() -> None:
    y10, y01, y11 = 60, 40, 20
    data = CaptureData.from_aggregated(pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [y10, y01, y11]}))
    grid, pmf = _exact_two_list_posterior(y10, y01, y11, sigma=5.0, n_max=2_000)
    assert pmf[-1] < 1e-9  # the grid holds the whole posterior
    cdf = np.cumsum(pmf)
    fit = BayesLogLinear(terms="independence", draws=2_000, tune=1_000, chains=2, cores=1, seed=5).fit(data)
    draws = fit.draws()
    for q in (0.025, 0.5, 0.975):
        exact = grid[np.searchsorted(cdf, q)]
        tolerance = 4 * quantile_mcse(draws, q) + 1  # 4 Monte Carlo s.e. (+1 for discreteness)
        assert abs(np.quantile(draws, q) - exact) < tolerance, (q, np.quantile(draws, q), exact, tolerance)


def test_fits_through_estimate_compare_with_level(kosovo: CaptureData) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        comparison = estimate.compare(kosovo, [BayesLogLinear(draws=100, tune=100, chains=2, cores=1)], seed=4,
                                      level=0.9)
    row = comparison.table.iloc[0]
    assert row["status"] == "ok" and row["level"] == 0.9
    assert math.isfinite(row["ess_bulk"]) and row["divergences"] >= 0


def test_e_bfmi_separates_well_and_badly_explored_energies() -> None:
    """E-BFMI (Betancourt 2016) is ≈ 2 for independent energies and near 0 for a slowly wandering one."""
    from estimate.estimators._pymc_common import e_bfmi

    rng = np.random.default_rng(4)
    independent = rng.normal(size=(2, 20_000))
    assert e_bfmi(independent) == pytest.approx([2.0, 2.0], abs=0.05)
    wandering = np.cumsum(rng.normal(size=(1, 20_000)), axis=1)
    assert e_bfmi(wandering)[0] < 0.01
