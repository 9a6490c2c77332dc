"""SparseMSE (stepwise Poisson p-values, BCa bootstrap) against R SparseMSE 2.0.1's published figures.

Reference: ../shared/data/reference/datasets_r.json ("sparsemse_stepwise_bca": estimatepopulation, pthresh 0.02,
500 bootstrap samples, BCa 95%), copied into benchmarks/reference.json for a checkout without ../shared.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from scipy.stats import norm

import estimate
from estimate.estimators.loglinear import LogLinear, full_table
from estimate.estimators.sparsemse import (
    SparseMSE,
    _bca_limits,
    poisson_p_value,
    quantiles_infinite_last,
    stepwise_fit,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "reference" / "datasets_r.json"


def sparsemse_reference() -> dict[str, dict[str, float]]:
    source = json.loads(SHARED.read_text()) if SHARED.exists() else json.loads(
        (ROOT / "benchmarks" / "reference.json").read_text())["datasets_r"]
    return {name: runs["sparsemse_stepwise_bca"] for name, runs in source.items()
            if isinstance(runs, dict) and "sparsemse_stepwise_bca" in runs}


@pytest.mark.parametrize("dataset", ["kosovo", "uk_modern_slavery_2013", "netherlands_trafficking",
                                     "new_orleans_trafficking", "western_us_trafficking"])
def test_the_stepwise_choice_reproduces_sparsemse_point_estimates(dataset: str) -> None:
    """R prints the point estimate rounded to the person: the same model must give it to ±0.5."""
    reference = sparsemse_reference()[dataset]
    result = SparseMSE(interval="log-normal").fit(estimate.datasets.load(dataset))
    assert result.estimate == pytest.approx(reference["point"], abs=0.5)


def test_pairs_nobody_is_on_together_join_at_minus_infinity() -> None:
    """The Netherlands' model takes two pairs of lists that never overlap (their patterns are left out of the fit);
    without them the stepwise choice lands on another model, 130,628 instead of SparseMSE's 111,139."""
    result = SparseMSE(interval="log-normal").fit(estimate.datasets.load("netherlands_trafficking"))
    assert result.details["empty_overlaps"] == ["K:R", "I:K"]
    assert "never together: K:R, I:K" in result.model


def test_pthresh_zero_is_the_main_effects_model_and_its_log_normal_interval() -> None:
    """pthresh = 0 adds nothing: N̂ is the independence model's; the interval is n + exp(β̂0 ± z se(β̂0))."""
    data = estimate.datasets.load("kosovo")
    result = SparseMSE(pthresh=0, interval="log-normal").fit(data)
    independence = LogLinear(terms="independence").fit(data)
    assert result.estimate == pytest.approx(independence.estimate, rel=1e-9)
    cells, y = full_table(data)
    glm = sm.GLM(y[1:], sm.add_constant(cells[1:].astype(float)), family=sm.families.Poisson()).fit()
    beta0, se = glm.params[0], glm.bse[0]
    z = norm.ppf(0.975)
    assert result.interval.lower == pytest.approx(data.observed + math.exp(beta0 - z * se), rel=1e-7)
    assert result.interval.upper == pytest.approx(data.observed + math.exp(beta0 + z * se), rel=1e-7)
    assert result.interval.kind == "log-normal" and result.details["terms"] == []


def _dependent_lists(strength: float, n: int = 4_000, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Cells and counts of three lists, B more likely for people on A (odds × ``strength``), C independent."""
    rng = np.random.default_rng(seed)
    a = rng.random(n) < 0.3
    base = 0.15
    odds = base / (1 - base) * strength
    b = np.where(a, rng.random(n) < odds / (1 + odds), rng.random(n) < base)
    c = rng.random(n) < 0.25
    frame = pd.DataFrame(np.column_stack([a, b, c]).astype(np.uint8), columns=["A", "B", "C"])
    data = estimate.CaptureData.from_records(frame[frame.sum(axis=1) > 0], lists=["A", "B", "C"])
    cells, y = full_table(data)
    return cells[1:], y[1:]


def test_a_pair_joins_only_when_its_p_value_is_below_the_threshold() -> None:
    """A pair is scored by the Poisson p-value of its overlap under the current fit; it joins if p < pthresh and
    not if p = pthresh (R's `if (pvmin >= pthresh) return`), and threshold 0 keeps the main effects."""
    cells, y = _dependent_lists(1.6)
    main = stepwise_fit(cells, y, 0.0)
    assert main.terms == [] and main.empty == []
    mu = main.fit.mu
    both = (cells[:, 0] == 1) & (cells[:, 1] == 1)
    p = poisson_p_value(float(y[both].sum()), float(mu[both].sum()))
    assert 1e-6 < p < 0.5  # a moderate p-value, so the boundary is tested at a value that matters
    others = [poisson_p_value(float(y[(cells[:, i] == 1) & (cells[:, j] == 1)].sum()),
                              float(mu[(cells[:, i] == 1) & (cells[:, j] == 1)].sum())) for i, j in ((0, 2), (1, 2))]
    assert p < min(others)
    assert stepwise_fit(cells, y, p).terms == []
    assert stepwise_fit(cells, y, float(np.nextafter(p, 1.0))).terms == [(0, 1)]


def test_both_tails_count_as_SparseMSE_computes_them() -> None:
    """min(P(X ≤ n), P(X ≥ n)): an overlap far below expectation scores as low as one far above it."""
    assert poisson_p_value(5, 20.0) == pytest.approx(float(stats.poisson.cdf(5, 20.0)), rel=1e-12)
    assert poisson_p_value(40, 20.0) == pytest.approx(float(stats.poisson.sf(39, 20.0)), rel=1e-12)
    assert poisson_p_value(0, 3.0) == pytest.approx(math.exp(-3.0), rel=1e-12)
    assert poisson_p_value(0, 0.0) == 1.0


def test_a_candidate_whose_model_fails_the_identifiability_test_is_passed_over(monkeypatch) -> None:
    """R gives such a candidate p = 1; the next one in p-value order joins instead (the five datasets never
    exercised it: removing the test left their estimates unchanged)."""
    import estimate.estimators.sparsemse as module

    cells, y = _dependent_lists(3.0)
    assert stepwise_fit(cells, y, 0.5).terms[0] == (0, 1)
    checked = module._identifiable

    def refuse_a_b(X: np.ndarray, counts: np.ndarray) -> bool:
        has_a_b = any(np.array_equal(X[:, k], X[:, 1] * X[:, 2]) for k in range(4, X.shape[1]))
        return False if has_a_b else checked(X, counts)

    monkeypatch.setattr(module, "_identifiable", refuse_a_b)
    chosen = module.stepwise_fit(cells, y, 0.5)
    assert chosen.terms == [(0, 2), (1, 2)]  # the others, in p-value order (stopping at A:B gave [])


def test_pthresh_one_fits_every_pair_as_R_does() -> None:
    """R's stepwisefit with pthresh = 1 fits the model with all two-list effects when it is identifiable: on
    Kosovo, R glm's all-two-way fit, 14,402.49."""
    result = SparseMSE(pthresh=1, interval="log-normal").fit(estimate.datasets.load("kosovo"))
    assert len(result.details["terms"]) == 6
    assert result.estimate == pytest.approx(14_402.49, abs=0.01)


def test_bca_without_bias_or_acceleration_is_the_percentile_interval() -> None:
    """z0 = 0 and â = 0 give α' = α: the limits are the bootstrap quantiles (median-unbiased, R's type 8)."""
    replicates = np.arange(1.0, 1001.0)  # 500 of the 1,000 below the estimate: z0 = Φ⁻¹(0.5) = 0
    lower, upper = _bca_limits(replicates, 500.5, 0.0, np.array([0.025, 0.975]))
    expected = np.quantile(replicates, [0.025, 0.975], method="median_unbiased")
    assert lower == pytest.approx(expected[0], abs=0.01) and upper == pytest.approx(expected[1], abs=0.01)
    # unbounded replicates count above every finite one: the upper limit is infinite once they reach it
    with_infinite = np.concatenate([replicates[:900], np.full(100, np.inf)])
    assert math.isinf(_bca_limits(with_infinite, 450.0, 0.0, np.array([0.975]))[0])
    # ... also where the quantile falls between the largest finite sample and the first unbounded one (it gave
    # 6.5e307, an interpolation towards the stand-in for ∞)
    between = np.concatenate([np.arange(1.0, 976.0), np.full(25, np.inf)])
    assert math.isinf(quantiles_infinite_last(between, np.array([0.9752]))[0])
    finite_stand_in = np.where(np.isfinite(between), between, 1e300)
    assert quantiles_infinite_last(between, np.array([0.5]))[0] == np.quantile(finite_stand_in, 0.5,
                                                                                method="median_unbiased")


def test_bca_limits_with_bias_and_acceleration_match_the_formula() -> None:
    """α' = Φ(z0 + (z0 + z_α)/(1 − â(z0 + z_α))) with z0 = Φ⁻¹(share below N̂), then R's type-8 quantile."""
    rng = np.random.default_rng(1)
    replicates = np.exp(rng.normal(8.0, 0.3, 2_000))
    estimate_ = float(np.quantile(replicates, 0.3))  # 30% below: z0 = Φ⁻¹(0.3) ≈ −0.52
    acceleration = -0.09
    z0 = norm.ppf(np.mean(replicates < estimate_))
    for alpha in (0.025, 0.975):
        z = norm.ppf(alpha)
        adjusted = norm.cdf(z0 + (z0 + z) / (1 - acceleration * (z0 + z)))
        expected = np.quantile(replicates, adjusted, method="median_unbiased")
        assert _bca_limits(replicates, estimate_, acceleration, np.array([alpha]))[0] == pytest.approx(expected,
                                                                                                      rel=1e-12)
    # the sign of â matters: flipping it moves both limits
    assert not np.allclose(_bca_limits(replicates, estimate_, acceleration, np.array([0.025, 0.975])),
                           _bca_limits(replicates, estimate_, -acceleration, np.array([0.025, 0.975])))


def test_the_jackknife_acceleration_on_western_is_R_s() -> None:
    """â depends on no random number: the count-weighted jackknife over the 13 patterns.  −0.09501 is what a
    line-by-line translation of R's estimatepopulation gives (and the unweighted jackknife over the 345 people)."""
    result = SparseMSE(n_boot=20, seed=1).fit(estimate.datasets.load("western_us_trafficking"))
    assert result.details["acceleration"] == pytest.approx(-0.09501, abs=5e-6)


@pytest.mark.parametrize(("dataset", "stable"), [("kosovo", ("lower", "upper")),
                                                 ("western_us_trafficking", ("upper",))])
def test_the_bca_interval_agrees_with_sparsemse_within_monte_carlo_error(dataset: str, stable: tuple) -> None:
    """Both bootstraps draw 500 samples with their own random numbers: each limit differs from R's by the Monte
    Carlo error of two independent 500-sample quantiles, √2 × this fit's own (diagnostics['mcse_*'], from
    resampling the bootstrap estimates, z0 recomputed); 4 such errors is the tolerance.  Western's lower limit
    sits at the 0.01% point of the samples (bias correction z0 ≈ −0.5): it is the smallest sample, has no usable
    error, and is warned about instead of compared."""
    reference = sparsemse_reference()[dataset]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = SparseMSE(n_boot=500, seed=20261207).fit(estimate.datasets.load(dataset))
    for side in stable:
        limit, key = getattr(result.interval, side), {"lower": "bca_lo", "upper": "bca_hi"}[side]
        tolerance = 4 * math.sqrt(2) * result.diagnostics[f"mcse_{side}"]
        assert math.isfinite(tolerance) and abs(limit - reference[key]) <= tolerance, (key, limit, tolerance)
    unstable = [side for side in ("lower", "upper") if side not in stable]
    assert result.details.get("unstable_limits", []) == unstable
    assert bool(unstable) == any("edge of the 500 bootstrap samples" in str(w.message) for w in caught)
    assert result.interval.kind == "bootstrap-bca" and result.diagnostics["n_boot"] == 500


def test_same_seed_same_interval_and_the_seed_is_recorded() -> None:
    data = estimate.datasets.load("western_us_trafficking")
    first = SparseMSE(n_boot=50, seed=3).fit(data)
    again = SparseMSE(n_boot=50).fit(data, seed=3)
    other = SparseMSE(n_boot=50, seed=4).fit(data)
    assert (first.interval.lower, first.interval.upper) == (again.interval.lower, again.interval.upper)
    assert (first.interval.lower, first.interval.upper) != (other.interval.lower, other.interval.upper)
    assert first.estimate == other.estimate  # the bootstrap moves the interval, never the estimate
    assert first.provenance["seed"] == 3


@pytest.mark.parametrize(("params", "message"), [
    ({"pthresh": 1.5}, "pthresh"), ({"pthresh": "0.02"}, "pthresh"), ({"interval": "hdi"}, "interval"),
    ({"n_boot": 5}, "n_boot"), ({"n_boot": 100.5}, "n_boot")])
def test_bad_parameters_are_named(params: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SparseMSE(**params).fit(estimate.datasets.load("kosovo"))


def test_registered_for_the_cli_presets_and_compare() -> None:
    assert "sparsemse" in estimate.method_names()
    assert estimate.get_estimator_class("sparsemse") is SparseMSE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = estimate.compare(estimate.datasets.load("kosovo"), ["sparsemse"], models={"sparsemse": {"n_boot": 40}},
                                 seed=1).table
    assert table.loc[0, "estimate"] == pytest.approx(14_341.66, abs=0.01)


def test_a_model_without_an_mle_is_warned_about_and_its_log_normal_interval_does_not_overflow() -> None:
    """One list holding everyone: the fit runs to a boundary (se of β0 ≈ 1e5).  The log-normal interval raised
    OverflowError (exit 3 on the command line) and the BCa interval read 80 [80, 80] with no word."""
    data = estimate.CaptureData.from_aggregated(pd.DataFrame({"A": [1, 1], "B": [0, 1], "count": [40, 20]}))
    for interval in ("log-normal", "bca"):
        with pytest.warns(estimate.UninformativeDataWarning, match="maximum-likelihood estimate .* does not exist"):
            result = SparseMSE(interval=interval, n_boot=30, seed=1).fit(data)
        assert result.details["mle_exists"] is False
    assert math.isinf(SparseMSE(interval="log-normal").fit(data).interval.upper)


def test_interval_names_any_case_and_the_log_normal_interval_draws_no_seed() -> None:
    data = estimate.datasets.load("western_us_trafficking")
    assert SparseMSE(interval="BCa", n_boot=20, seed=1).fit(data).interval.kind == "bootstrap-bca"
    log_normal = SparseMSE(interval="Log-Normal").fit(data)
    assert log_normal.interval.kind == "log-normal" and log_normal.provenance["seed"] is None


def test_a_credible_interval_kind_for_a_comparison_leaves_sparsemse_its_own() -> None:
    """compare(interval="hdi") passed "hdi" to every estimator with an interval= parameter, and sparsemse's
    means bca/log-normal: the whole comparison failed; the command line said so in sparsemse's words."""
    from typer.testing import CliRunner

    from estimate.cli import app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = estimate.compare(estimate.datasets.load("kosovo"), ["chao", "sparsemse"], interval="hdi", seed=1,
                                 models={"sparsemse": {"n_boot": 30}}).table
    assert list(table["interval_kind"]) == ["log-normal", "bootstrap-bca"]
    done = CliRunner().invoke(app, ["fit", "--example", "kosovo", "--method", "sparsemse", "--interval", "hdi"])
    assert done.exit_code == 2 and "--interval chooses among credible intervals of Bayesian methods" in done.output


@pytest.mark.parametrize(("replicate", "why"), [(2_000.0, "every one of the bootstrap estimates fell below"),
                                                (math.inf, "none of the bootstrap estimates fell below")])
def test_a_bootstrap_all_on_one_side_of_the_estimate_gives_no_interval(monkeypatch, replicate: float,
                                                                      why: str) -> None:
    """Every sample below N̂ clamps z0 at 3.3 and α' rounds to 1: the warning's arithmetic divided by zero (a bare
    ZeroDivisionError), or the limits came out as [2,482, 2,482] around an estimate of 2,483.  Every sample
    unbounded gave Interval(inf, inf) with a NaN standard error."""
    import estimate.estimators.sparsemse as module

    data = estimate.datasets.load("western_us_trafficking")
    real_estimate = module._estimate
    monkeypatch.setattr(module, "_estimate", lambda cells, y, pthresh: replicate)
    with pytest.warns(estimate.UninformativeDataWarning, match=f"no BCa interval: {why}"):
        result = SparseMSE(n_boot=40, seed=1).fit(data)
    assert result.interval.kind == "none" and math.isinf(result.interval.upper)
    assert result.interval.lower == data.observed and result.details["bca_failed"].startswith(why.split(" of")[0])
    assert result.estimate == pytest.approx(2_483.4, abs=0.1)  # the point estimate is not the bootstrap's
    if math.isinf(replicate):
        assert math.isinf(result.std_error)
    monkeypatch.setattr(module, "_estimate", real_estimate)


@pytest.mark.parametrize("name", ["kosovo", "western_us_trafficking"])
def test_the_chosen_models_fit_statistics_are_the_log_linear_fits(name: str) -> None:
    """R's estimatepopulation returns the chosen glm (deviance, df, AIC); the result had none of them (an
    R-migration audit's find). The same model fitted by loglinear gives the same numbers."""
    data = estimate.datasets.load(name)
    chosen = estimate.make_estimator("sparsemse", interval="log-normal").fit(data)
    same = estimate.make_estimator("loglinear", terms=chosen.details["terms"]).fit(data)
    for key in ("deviance", "df", "aic"):
        assert chosen.diagnostics[key] == pytest.approx(same.diagnostics[key], rel=1e-9, abs=1e-9), key
    assert "goodness of fit: deviance" in str(chosen)
