"""Posterior predictive checks of latent-class fits (estimate.checks)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import estimate
from estimate import DataError, posterior_predictive_check
from estimate.estimators import LCMCR

SHORT = {"burn_in": 2000, "draws": 500, "thinning": 20, "keep_traces": True}


@pytest.fixture(scope="module")
def kosovo_fits():
    data = estimate.datasets.load("kosovo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return data, LCMCR(seed=1, **SHORT).fit(data), LCMCR(seed=1, K=1, **SHORT).fit(data)


def test_independence_fails_the_overlaps_the_latent_classes_reproduce(kosovo_fits) -> None:
    """On Kosovo, one class (lists independent) cannot reproduce the overlaps of ABA, OSCE and HRW (p ≈ 0 with
    200 replicates: no replicate reaches them), while the default ten classes reproduce every statistic (all
    p > 0.5 at this seed; the resolution of a p-value is 1/200)."""
    data, ten, one = kosovo_fits
    table_ten = posterior_predictive_check(ten, data, seed=1).set_index("statistic")
    table_one = posterior_predictive_check(one, data, seed=1).set_index("statistic")
    assert table_one.loc["overlap ABA & OSCE", "p_value"] < 0.01
    assert table_one.loc["overlap OSCE & HRW", "p_value"] < 0.01
    assert (table_ten["p_value"] > 0.5).all(), table_ten
    assert table_ten.attrs["draws"] == 200 and table_ten.attrs["seed"] == 1


def test_observed_statistics_are_the_list_sizes_and_overlaps(kosovo_fits) -> None:
    data, ten, _ = kosovo_fits
    table = posterior_predictive_check(ten, data, draws=20, seed=2).set_index("statistic")
    assert table.loc["observed total", "observed"] == data.observed
    for name, size in data.list_sizes.items():
        assert table.loc[f"size {name}", "observed"] == size
    overlaps = data.overlaps()
    assert table.loc["overlap EXH & ABA", "observed"] == overlaps.loc["EXH", "ABA"]
    assert len(table) == 1 + 4 + 6
    assert (table["lower"] <= table["predictive_mean"]).all() and (table["predictive_mean"] <= table["upper"]).all()



def test_the_predictive_interval_has_the_level_asked_for(kosovo_fits, monkeypatch) -> None:
    """The interval columns are the equal-tailed quantiles of the replicated statistics at ``level`` (nothing
    checked the level: an interval fixed at 50% passed every test — an audit's find). Each replicate's
    statistics are set to its row number, so replicate r of 200 gives r for every statistic and the quantiles
    are known exactly."""
    import estimate.checks as checks

    data, ten, _ = kosovo_fits
    row = iter(range(10**6))

    def numbered(rng, n, weights, lam):
        value = next(row)
        return np.full(1 + len(data.lists) + len(data.lists) * (len(data.lists) - 1) // 2, float(value))

    monkeypatch.setattr(checks, "_replicate_statistics", numbered)
    for level in (0.5, 0.8, 0.95):
        row = iter(range(200))
        table = posterior_predictive_check(ten, data, draws=200, level=level, seed=2)
        tail = (1 - level) / 2
        np.testing.assert_allclose(table["lower"], tail * 199)
        np.testing.assert_allclose(table["upper"], (1 - tail) * 199)
        np.testing.assert_allclose(table["predictive_mean"], 99.5)
        assert table.attrs["level"] == level

def test_same_seed_same_table_and_inputs_that_cannot_be_checked(kosovo_fits) -> None:
    data, ten, _ = kosovo_fits
    a = posterior_predictive_check(ten, data, draws=30, seed=5)
    b = posterior_predictive_check(ten, data, draws=30, seed=5)
    np.testing.assert_array_equal(a.drop(columns="statistic").to_numpy(), b.drop(columns="statistic").to_numpy())
    plain = LCMCR(seed=1, burn_in=200, draws=50, thinning=2, chains=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        no_traces = plain.fit(data)
    with pytest.raises(DataError, match="keep_traces=True"):
        posterior_predictive_check(no_traces, data)
    with pytest.raises(DataError, match="keep_traces=True"):
        posterior_predictive_check(estimate.make_estimator("loglinear").fit(data), data)
    other = estimate.CaptureData([[1, 0, 0, 0], [0, 1, 0, 0], [1, 1, 1, 1]], [5, 5, 5], list(data.lists))
    with pytest.raises(DataError, match="fitted to"):
        posterior_predictive_check(ten, other)
    with pytest.raises(DataError, match="draws must be"):
        posterior_predictive_check(ten, data, draws=0)


def test_the_data_must_be_the_fitted_patterns_and_a_stratum_result_says_why_it_cannot_be_checked(
        kosovo_fits) -> None:
    data, ten, _ = kosovo_fits
    # same lists and the same total, other overlaps: refused (it had returned p = 0 for every statistic)
    moved = np.asarray(data.counts).copy()
    moved[0] -= 1
    moved[1] += 1
    other = estimate.CaptureData(data.patterns, moved, list(data.lists))
    assert other.observed == data.observed
    with pytest.raises(DataError, match="capture patterns and counts are not those the fit recorded"):
        posterior_predictive_check(ten, other, draws=5, seed=1)
    # the same data with its patterns in another order is the same data
    order = np.arange(len(data.counts))[::-1]
    same = estimate.CaptureData(np.asarray(data.patterns)[order], np.asarray(data.counts)[order], list(data.lists))
    assert len(posterior_predictive_check(ten, same, draws=5, seed=1)) == 11
    # a stratum's result keeps only N's draws: the error says so instead of asking for keep_traces=True again
    sim = estimate.simulate.latent_class(300, [[0.3, 0.4, 0.5]], [1.0], seed=2)
    frame = sim.data.pattern_table()
    frame = pd.concat([frame.assign(region="a"), frame.assign(region="b")], ignore_index=True)
    stratified = estimate.CaptureData.from_frame(frame, lists=list(sim.data.lists), count="count",
                                                 strata="region")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = estimate.fit_strata(stratified, by="region",
                                  estimator=LCMCR(seed=1, burn_in=50, draws=20, thinning=1, chains=2,
                                                  keep_traces=True))
    stratum = fit.outcomes[("a",)].result
    with pytest.raises(DataError, match="keeps only the draws of N"):
        posterior_predictive_check(stratum, sim.data)  # stratum "a" holds exactly sim.data


def test_r_argument_names_are_pointed_to_their_names_here() -> None:
    """An R user's ``burnin``, ``samples`` and ``nboot`` got the list of valid names only (an audit's find)."""
    with pytest.raises(estimate.DataError, match=r"R's 'burnin' is 'burn_in' here; R's 'samples' is 'draws' here "
                                                 r"\(per chain"):
        estimate.make_estimator("lcmcr", burnin=1000, samples=100)
    with pytest.raises(estimate.DataError, match="R's 'nboot' is 'n_boot' here"):
        estimate.make_estimator("sparsemse", nboot=10)
    with pytest.raises(ValueError, match="did you mean 'chains' for 'chain'"):
        estimate.make_estimator("lcmcr").set_params(chain=2)
    with pytest.raises(ValueError, match=r"R's 'Nmissing' is 'max_missing' here \(R's vector 0:M"):
        estimate.make_estimator("dga").clone(Nmissing=300)
    with pytest.raises(estimate.DataError, match=r"R's 'alpha' is 'level' here \(SparseMSE's alpha"):
        estimate.make_estimator("sparsemse", alpha=[0.025, 0.975])
    with pytest.raises(ValueError, match="R's 'graphs' has no counterpart here .every decomposable graph"):
        estimate.make_estimator("dga").set_params(graphs=1)
    with pytest.raises(ValueError) as caught:
        estimate.make_estimator("chao").set_params(zzz=1)
    assert "did you mean" not in str(caught.value) and "R's" not in str(caught.value)
