"""LCMCR in PyMC: smoke test, closed form at K = 1, and agreement with the compiled Gibbs sampler ``lcmcr``.

Correctness is checked two independent ways: (1) with K = 1 the model is the independence model with
λ_j ~ Beta(1, 1), whose posterior of N is known in closed form; (2) on a small simulated 4-list dataset the PyMC
posterior of N (NUTS on the marginalised model) must agree with the data-augmentation Gibbs sampler
:class:`estimate.estimators.lcmcr.LCMCR` (same model, same priors, K = 3) in the median and the 2.5%/97.5%
quantiles, within 4 combined Monte Carlo standard errors computed from each run's effective sample size.
"""

from __future__ import annotations

import importlib.util
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from _mcse import quantile_mcse
from scipy import stats
from scipy.special import gammaln

from estimate import CaptureData
from estimate.errors import ConvergenceWarning, UninformativeDataWarning
from estimate.estimators.base import get_estimator_class
from estimate.estimators.pymc_lcmcr import PyMCLCMCR
from estimate.presets import make_estimator


@pytest.fixture(scope="module")
def simulated() -> CaptureData:
    """400 people, 2 latent classes (30% highly catchable), 4 lists; people on no list dropped."""
    rng = np.random.default_rng(2024)
    size = 400
    high = rng.random(size) < 0.3
    probs = np.where(high[:, None], [0.6, 0.5, 0.55, 0.45], [0.2, 0.25, 0.15, 0.2])
    x = (rng.random((size, 4)) < probs).astype(int)
    return CaptureData.from_records(pd.DataFrame(x[x.sum(1) > 0], columns=list("ABCD")))


def test_registered_and_preset() -> None:
    assert get_estimator_class("pymc-lcmcr") is PyMCLCMCR
    est = make_estimator(model="pymc-lcmcr-default", seed=1)
    assert (est.K, est.a_alpha, est.b_alpha, est.chains, est.seed) == (10, 0.25, 0.25, 4, 1)


def test_invalid_parameters_raise(simulated: CaptureData) -> None:
    with pytest.raises(ValueError, match="K >= 1"):
        PyMCLCMCR(K=0).fit(simulated)
    with pytest.raises(ValueError, match="interval"):
        PyMCLCMCR(interval="widest").fit(simulated)
    with pytest.raises(ValueError, match="parametrization"):
        PyMCLCMCR(parametrization="sideways").fit(simulated)


@pytest.mark.parametrize("parametrization", ["non-centered", "centered"])
@pytest.mark.parametrize("alpha", [1.0, 4.0])
def test_the_built_model_has_beta_one_alpha_sticks(simulated: CaptureData, alpha: float,
                                                   parametrization: str) -> None:
    """The model's own prior of π given α (pm.do fixes α): π_1 = V_1 and π_2 / (1 − π_1) = V_2, each Beta(1, α)
    (the non-centred V = 1 − exp(−E/α) with E ~ Exponential(1) included).  Tested as 1 − V_1 ~ Beta(α, 1) and
    V_2 ~ Beta(1, α) by Kolmogorov–Smirnov on 20,000 prior draws (a wrong sign or scale of α gives p ≈ 0).  Small
    α is left out: V then rounds to 1.0 in float64, and 1 − V cannot be recovered from π."""
    import pymc as pm

    model = PyMCLCMCR(K=3, parametrization=parametrization).build_model(simulated)
    pi = pm.draw(pm.do(model, {"alpha": alpha})["pi"], draws=20_000, random_seed=1)
    assert stats.kstest(1.0 - pi[:, 0], stats.beta(alpha, 1.0).cdf).pvalue > 0.001
    assert stats.kstest(pi[:, 1] / (1.0 - pi[:, 0]), stats.beta(1.0, alpha).cdf).pvalue > 0.001


def test_smoke_result_structure_and_determinism(simulated: CaptureData) -> None:
    est = PyMCLCMCR(K=3, draws=100, tune=100, chains=2, cores=1, seed=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # 2 × 100 draws cannot reach ESS 400
        result = est.fit(simulated)
        again = est.fit(simulated)
    draws = result.draws()
    assert draws.shape == (2, 100)
    assert draws.min() >= simulated.observed
    np.testing.assert_array_equal(draws, again.draws())
    post = result.posterior.posterior
    assert post["lambda"].dims == ("chain", "draw", "list", "latent_class")
    assert list(post["lambda"].coords["list"].values) == ["A", "B", "C", "D"]
    np.testing.assert_allclose(post["pi"].values.sum(axis=-1), 1.0, rtol=1e-9)
    assert np.all((post["p0"].values > 0) & (post["p0"].values < 1))
    assert result.method == "pymc-lcmcr" and result.estimate_kind == "posterior median"
    assert "divergences" in result.diagnostics and "ess_bulk" in result.diagnostics


def test_two_lists_warn_not_identified(monkeypatch: pytest.MonkeyPatch) -> None:
    class Stop(Exception):
        pass

    def stop(self, data):  # the warning comes before the model is built; skip the (slow) compilation
        raise Stop

    monkeypatch.setattr(PyMCLCMCR, "build_model", stop)
    data = CaptureData.from_aggregated(pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [30, 20, 10]}))
    with pytest.warns(UninformativeDataWarning, match="not identified"), pytest.raises(Stop):
        PyMCLCMCR(K=2).fit(data)


def test_two_lists_are_recorded_as_prior_driven(monkeypatch: pytest.MonkeyPatch) -> None:
    """The warning is gone once a result is saved; LCMCR's result said 'prior_driven', pymc-lcmcr's did not, so
    its sentence presented the priors' interval as an estimate.  (Sampling stubbed: the flag is bookkeeping.)"""
    import types

    import estimate.estimators.pymc_lcmcr as module

    captured = {}
    monkeypatch.setattr(PyMCLCMCR, "build_model", lambda self, data: None)
    monkeypatch.setattr(module, "run_nuts", lambda *args, **kwargs: types.SimpleNamespace(
        values={"p0": np.full(4, 0.5), "pi": np.ones((4, 2)) / 2, "lambda": np.full((4, 2, 2), 0.5),
                "alpha": np.ones(4)}))
    monkeypatch.setattr(module, "bayes_result", lambda **kwargs: captured.update(kwargs))
    data = CaptureData.from_aggregated(pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [30, 20, 10]}))
    with pytest.warns(UninformativeDataWarning, match="not identified"):
        PyMCLCMCR(K=2, seed=1)._fit(data)
    assert captured["details"]["prior_driven"] == "with fewer than 3 lists the latent-class model is not identified"


# the only check of this sampler against an exact posterior: part of the default run (≈ 10 s)
def test_independence_model_matches_closed_form(simulated: CaptureData) -> None:
    """K = 1: p(N | x) ∝ (1/N) N!/(N − n)! ∏_j B(1 + n_j, 1 + N − n_j) (λ_j ~ Beta(1, 1) integrated out)."""
    n = simulated.observed
    grid = np.arange(n, 20 * n)
    log_post = -np.log(grid) + gammaln(grid + 1) - gammaln(grid - n + 1)
    for size in simulated.list_sizes.to_numpy():
        log_post += gammaln(1 + size) + gammaln(1 + grid - size) - gammaln(2 + grid)
    pmf = np.exp(log_post - log_post.max())
    pmf /= pmf.sum()
    assert pmf[-1] < 1e-12
    cdf = np.cumsum(pmf)
    fit = PyMCLCMCR(K=1, draws=2_000, tune=500, chains=2, cores=1, seed=8).fit(simulated)
    draws = fit.draws()
    for q in (0.025, 0.5, 0.975):
        exact = grid[np.searchsorted(cdf, q)]
        tolerance = 4 * quantile_mcse(draws, q) + 1  # 4 Monte Carlo s.e. (+1 for discreteness)
        assert abs(np.quantile(draws, q) - exact) < tolerance, (q, np.quantile(draws, q), exact, tolerance)


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("estimate.estimators.lcmcr") is None,
                    reason="the compiled-Gibbs LCMCR estimator is not available")
def test_agrees_with_compiled_gibbs_lcmcr(simulated: CaptureData) -> None:
    """Same model (K = 3, a_α = b_α = 0.25), two samplers: quantiles of N agree within 4 combined MC s.e."""
    from estimate.estimators.lcmcr import LCMCR

    gibbs = LCMCR(K=3, a_alpha=0.25, b_alpha=0.25, burn_in=5_000, draws=5_000, thinning=10, chains=4,
                  seed=31).fit(simulated)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # divergences are reported; the comparison decides
        nuts = PyMCLCMCR(K=3, a_alpha=0.25, b_alpha=0.25, draws=1_000, tune=1_000, chains=2, cores=1,
                         seed=32).fit(simulated)
    ess = {"gibbs": gibbs.diagnostics["ess_bulk"], "nuts": nuts.diagnostics["ess_bulk"]}
    assert min(ess.values()) > 300, f"ESS {ess} too low for a meaningful comparison"
    for q in (0.025, 0.5, 0.975):
        a, b = gibbs.draws(), nuts.draws()
        se = math.hypot(quantile_mcse(a, q), quantile_mcse(b, q))
        diff = np.quantile(b, q) - np.quantile(a, q)
        assert abs(diff) < 4 * se + 1, (q, np.quantile(a, q), np.quantile(b, q), se)


@pytest.mark.slow
def test_centered_parametrization_runs_and_agrees_roughly(simulated: CaptureData) -> None:
    """The textbook centred form samples the same model (a smoke test: medians within 10%)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        centred = PyMCLCMCR(K=2, parametrization="centered", draws=300, tune=300, chains=2, cores=1,
                            seed=4).fit(simulated)
        non_centred = PyMCLCMCR(K=2, draws=300, tune=300, chains=2, cores=1, seed=4).fit(simulated)
    assert "V" not in non_centred.posterior.posterior and centred.draws().min() >= simulated.observed
    assert abs(centred.estimate - non_centred.estimate) < 0.1 * non_centred.estimate


def test_unseen_draws_survive_p0_rounding_to_one() -> None:
    """NumPy's negative_binomial refused p0 = 1 ("n too large or p too small") after sampling had finished;
    ordinary p0 still give NumPy's own negative-binomial draws."""
    from estimate.estimators._pymc_common import draw_unobserved

    n0 = draw_unobserved(np.array([1.0, 1 - 1e-14, 0.5, 0.0]), 100, np.random.default_rng(1))
    assert n0[0] > 1e17 and n0[1] > 1e15 and n0[3] == 0
    usual = draw_unobserved(np.full(10, 0.3), 100, np.random.default_rng(2))
    np.testing.assert_array_equal(usual, np.random.default_rng(2).negative_binomial(100, np.full(10, 0.7)))


@pytest.mark.slow
def test_numpy_overflow_inside_nuts_adaptation_is_not_passed_on(kosovo: CaptureData) -> None:
    """Kosovo's counts × 100 made PyMC's mass-matrix adaptation emit numpy's "overflow encountered in dot", a
    traceback from inside PyMC under PYTHONWARNINGS=error; the convergence warnings say what matters."""
    scaled = CaptureData(kosovo.patterns, kosovo.counts * 100, list(kosovo.lists))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = PyMCLCMCR(chains=1, tune=200, draws=200, seed=1).fit(scaled)
    assert fit.estimate > scaled.observed


def test_a_stuck_sampler_is_caught_by_the_parameters_diagnostics() -> None:
    """N = n + n0 with n0 drawn afresh at each draw given θ: a sampler that never moved (every NUTS transition
    diverged, p0 constant in each chain) gave N an R-hat of 1.005 and an ESS near the number of draws (an audit's
    find). E[N | θ] = n/(1 − p0) is diagnosed too, and its failure warned about."""
    import estimate
    from estimate.inference_data import convergence_problems

    data = estimate.datasets.load("kosovo")
    with pytest.warns(ConvergenceWarning, match=r"R-hat of E\[N \| θ\] = n/\(1 − p0\) is \d"):
        stuck = PyMCLCMCR(K=3, a_alpha=1e-300, draws=100, tune=100, chains=2, cores=1, seed=1).fit(data)
    assert stuck.diagnostics["r_hat"] < 1.05 and stuck.diagnostics["r_hat_expected_N"] > 1.5
    assert stuck.diagnostics["ess_bulk_expected_N"] < 10 and not stuck.summary().loc[0, "converged"]
    assert convergence_problems({"r_hat": 1.0, "ess_bulk": 900, "ess_tail": 900, "r_hat_expected_N": 1.002,
                                 "ess_bulk_expected_N": 850}) == []
