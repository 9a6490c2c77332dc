"""Newton fits of Poisson log-linear models against statsmodels, and the stepwise screening statistics."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest

import estimate
from estimate import simulate
from estimate.estimators.loglinear import LogLinear, design_matrix, fit_poisson_glm, full_table
from estimate.estimators.poisson_newton import fit_poisson_newton, score_statistics, wald_statistics


def _table(scenario: str, seed: int):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim = simulate.scenario(scenario, seed=seed)
    data = sim.data.without_strata() if sim.data.strata_columns else sim.data
    cells, y = full_table(data)
    return list(data.lists), cells[1:], y[1:]


@pytest.mark.parametrize("n_pairs", [0, 3, 10])
def test_newton_fit_equals_statsmodels(n_pairs: int) -> None:
    lists, cells, y = _table("independent", 1)
    pairs = list(itertools.combinations(lists, 2))[:n_pairs]
    X = design_matrix(cells, lists, pairs)
    ours, library = fit_poisson_newton(X, y), fit_poisson_glm(X, y)
    assert ours.converged
    assert ours.llf == pytest.approx(library.llf, abs=1e-8)
    np.testing.assert_allclose(ours.params, library.params, atol=1e-6)
    np.testing.assert_allclose(ours.cov, library.cov, rtol=1e-5, atol=1e-10)


def test_warm_start_reaches_the_same_maximum_in_no_more_steps() -> None:
    lists, cells, y = _table("mv2016-two-class", 2)
    pairs = list(itertools.combinations(lists, 2))
    small = fit_poisson_newton(design_matrix(cells, lists, pairs[:4]), y)
    X = design_matrix(cells, lists, pairs[:5])
    cold = fit_poisson_newton(X, y)
    warm = fit_poisson_newton(X, y, np.append(small.params, 0.0))
    assert warm.llf == pytest.approx(cold.llf, abs=1e-8)
    assert warm.iterations <= cold.iterations


def test_score_and_wald_statistics_approximate_the_likelihood_ratio() -> None:
    """Score (adding) and Wald (dropping) statistics are asymptotically the LR statistic 2Δℓ."""
    lists, cells, y = _table("mv2016-two-class", 3)
    pairs = list(itertools.combinations(lists, 2))
    base_terms = pairs[:3]
    X = design_matrix(cells, lists, base_terms)
    base = fit_poisson_newton(X, y)
    Z = design_matrix(cells, lists, pairs)[:, 1 + len(lists):][:, 3:]
    scores = score_statistics(X, y, base, Z)
    lr = np.array([2 * (fit_poisson_newton(design_matrix(cells, lists, [*base_terms, p]), y).llf - base.llf)
                   for p in pairs[3:]])
    assert np.all(scores >= 0)
    assert np.corrcoef(scores, lr)[0, 1] > 0.99
    assert int(np.argmax(scores)) == int(np.argmax(lr))
    wald = wald_statistics(base, np.arange(1 + len(lists), X.shape[1]))
    drop_lr = np.array([2 * (base.llf - fit_poisson_newton(
        design_matrix(cells, lists, [t for t in base_terms if t != d]), y).llf) for d in base_terms])
    assert int(np.argmin(wald)) == int(np.argmin(drop_lr))


def test_screened_stepwise_search_picks_the_model_of_the_exhaustive_one() -> None:
    data = estimate.datasets.load("uk_modern_slavery_2013")
    screened = LogLinear(criterion="aic", screen=3).fit(data)
    full = LogLinear(criterion="aic", screen=None).fit(data)
    assert screened.details["terms"] == full.details["terms"]
    assert screened.estimate == pytest.approx(full.estimate, rel=1e-9)
    assert screened.interval.upper == pytest.approx(full.interval.upper, rel=1e-9)


def test_bad_screen_value_is_rejected() -> None:
    data = estimate.datasets.load("uk_modern_slavery_2013")
    with pytest.raises(ValueError, match="screen"):
        LogLinear(screen=0.5).fit(data)


@pytest.mark.slow
def test_twelve_list_search_is_exact_under_screening() -> None:
    """J = 12 (4,095 cells, 66 pairs): the screened search lands on the model of the full stepwise search."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sim = simulate.scenario("many-lists", seed=3)
        screened = LogLinear().fit(sim.data)
        full = LogLinear(screen=None).fit(sim.data)
    assert screened.details["terms"] == full.details["terms"]
    assert screened.interval.lower == pytest.approx(full.interval.lower, rel=1e-9)
