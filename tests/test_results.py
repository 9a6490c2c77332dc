"""The shared Result / Interval types: validation, summary, sentence, JSON round trip."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from estimate import DataError, Interval, Result, datasets
from estimate.estimators.lcmcr import LCMCR


def make_result(**changes: object) -> Result:
    fields = dict(method="chapman", model="two lists", estimate=10_321.4, interval=Interval(9_104.2, 12_013.0,
                  kind="log-normal"), observed=4_400, lists=("A", "B"), estimate_kind="mle", std_error=700.0,
                  diagnostics={"iterations": 3}, details={"n1": 1})
    fields.update(changes)
    return Result(**fields)  # type: ignore[arg-type]


def test_interval_validates_level_and_kind() -> None:
    with pytest.raises(ValueError, match="level"):
        Interval(1, 2, level=95)
    with pytest.raises(ValueError, match="kind"):
        Interval(1, 2, kind="widest")
    assert Interval(1, 2, kind="hdi").describe() == "95% credible interval (hdi)"
    assert Interval(1, 2, kind="wald").describe() == "95% confidence interval (wald)"


def test_interval_refuses_a_text_level_and_bounds_in_the_wrong_order_with_a_clear_error() -> None:
    """Interval(1.0, 2.0, level="0.9") failed with a bare TypeError from a comparison; lower > upper was taken."""
    with pytest.raises(DataError, match=r"Interval: level must be between 0 and 1, got '0.9'"):
        Interval(1.0, 2.0, level="0.9")  # type: ignore[arg-type]
    with pytest.raises(DataError, match=r"Interval: lower must not exceed upper, got lower=3.0, upper=2.0"):
        Interval(3.0, 2.0)
    with pytest.raises(DataError, match="Interval: lower and upper must be numbers"):
        Interval("1", 2.0)  # type: ignore[arg-type]
    assert math.isnan(Interval(math.nan, 2.0).lower) and Interval(2, math.inf).upper == math.inf


def test_credible_interval_refuses_a_bad_level_naming_it() -> None:
    """credible_interval("0.9") raised a bare TypeError ('<' not supported), credible_interval(1.5) a plain
    ValueError; both are DataErrors naming level, as everywhere else."""
    result = LCMCR(burn_in=50, draws=50, chains=1, seed=3).fit(datasets.load("kosovo"))
    for level in ("0.9", 1.5):
        with pytest.raises(DataError, match=f"level must be between 0 and 1, got {level!r}"):
            result.credible_interval(level)  # type: ignore[arg-type]


def test_summary_is_one_row_with_interval_and_undocumented_share() -> None:
    frame = make_result().summary()
    assert frame.shape[0] == 1
    row = frame.iloc[0]
    assert row["lower"] == 9_104.2 and row["interval_kind"] == "log-normal" and row["iterations"] == 3
    assert row["undocumented_fraction"] == pytest.approx((10_321.4 - 4_400) / 10_321.4)


def test_a_single_result_gives_its_inference_data_as_a_stratified_one_does() -> None:
    fit = LCMCR(burn_in=100, draws=50, thinning=1, chains=2, seed=1).fit(datasets.load("kosovo"))
    idata = fit.to_inference_data()
    assert idata is fit.posterior and idata.posterior["N"].dims == ("chain", "draw")
    with pytest.raises(ValueError, match="no posterior draws"):
        make_result().to_inference_data()


def test_summary_of_an_mcmc_fit_says_whether_n_converged() -> None:
    """A single fit's CSV/Parquet row carried R-hat and ESS but not the verdict that fit_strata's rows carry."""
    good = {"r_hat": 1.001, "ess_bulk": 4_000.0, "ess_tail": 3_000.0, "chains": 4}
    row = make_result(diagnostics=good).summary()
    assert list(row.columns[-3:]) == ["ess_tail", "converged", "chains"] and bool(row.loc[0, "converged"])
    assert not make_result(diagnostics={**good, "ess_tail": 120.0}).summary().loc[0, "converged"]
    # NUTS divergences are a failed check too: a PyMC fit with 19 of them read converged=True (an audit's find)
    assert bool(make_result(diagnostics={**good, "divergences": 0}).summary().loc[0, "converged"])
    diverged = make_result(diagnostics={**good, "divergences": 19, "draws_per_chain": 600})
    assert not diverged.summary().loc[0, "converged"]
    from estimate.inference_data import convergence_problems

    assert convergence_problems(diverged.diagnostics)[0].startswith("19 of 2,400 NUTS transitions diverged")
    assert "converged" not in make_result().summary()  # no MCMC diagnostics, no verdict


def test_sentence_says_documented_estimate_interval_kind_and_share() -> None:
    text = make_result().sentence()
    assert text.startswith("Documented: at least 4,400. Estimated total: ")
    assert "95% confidence interval" in text and "undocumented" in text and "57%" in text


def test_printed_diagnostics_keep_the_digits_that_matter() -> None:
    """R-hat 1.0004 and 1.0049 must not both print as "1" (the warning threshold is 1.01); ESS in whole draws."""
    text = str(make_result(diagnostics={"r_hat": 1.0049, "ess_bulk": 4458.3, "mh_accept_rate": 0.34841,
                                        "us_per_sweep": 15.684, "sweeps": 1_040_000}))
    assert "r_hat: 1.005" in text and "ess_bulk: 4,458" in text and "mh_accept_rate: 0.348" in text
    assert "us_per_sweep: 15.68" in text and "sweeps: 1040000" in text
    assert "r_hat: 1.000" in str(make_result(diagnostics={"r_hat": 1.0004}))


def test_json_round_trip_including_infinite_upper_limit() -> None:
    result = make_result(interval=Interval(4_400, math.inf, kind="none"))
    payload = json.loads(result.to_json())  # strict JSON: no bare Infinity tokens in the text
    assert Result.from_dict(payload) == result
    assert Result.from_json(result.to_json()) == result


@pytest.mark.filterwarnings("ignore::estimate.ConvergenceWarning")
def test_bayesian_result_has_draws_and_recomputes_intervals() -> None:
    result = LCMCR(burn_in=500, draws=400, thinning=2, chains=2, seed=3).fit(datasets.load("kosovo"))
    draws = result.draws()
    assert draws.shape == (2, 400) and np.all(draws >= result.observed)
    et = result.credible_interval(0.9, "equal-tailed")
    assert et.lower == pytest.approx(np.quantile(draws, 0.05)) and et.upper == pytest.approx(np.quantile(draws, 0.95))
    hdi = result.credible_interval(0.9, "hdi")
    # the HDI is the shortest interval between two draws that holds floor(0.9 n) + 1 of them; the equal-tailed one
    # between draws (not interpolated quantiles, which can be a fraction narrower) is one of its candidates
    ordered = np.sort(draws.ravel())
    inside = int(np.floor(0.9 * ordered.size))
    start = int(np.floor(0.05 * ordered.size))
    assert hdi.kind == "hdi" and hdi.upper - hdi.lower <= ordered[start + inside] - ordered[start] + 1e-9
    # without arguments: the fit's own level and kind (was always 95% equal-tailed, whatever the fit reported)
    assert result.credible_interval() == result.interval
    own = LCMCR(burn_in=500, draws=400, thinning=2, chains=2, seed=3, level=0.8, interval="hdi").fit(
        datasets.load("kosovo"))
    assert own.credible_interval() == own.interval and own.interval.level == 0.8 and own.interval.kind == "hdi"
    assert own.credible_interval(kind="equal-tailed").level == 0.8
    assert own.credible_interval(0.95).kind == "hdi"



def _shortest_window(values: np.ndarray, level: float) -> tuple[float, float]:
    """The shortest interval between two draws holding more than ``level`` of them (brute force; ArviZ's
    convention: floor(level n) + 1 draws, one more than needed when level·n is whole)."""
    ordered = np.sort(values.ravel())
    size = int(np.floor(level * ordered.size)) + 1  # draws inside, ends included
    widths = ordered[size - 1:] - ordered[:ordered.size - size + 1]
    start = int(np.argmin(widths))
    return float(ordered[start]), float(ordered[start + size - 1])


@pytest.mark.parametrize("level", [0.5, 0.9, 0.95])
def test_the_hdi_holds_its_level_of_the_draws_and_is_the_shortest_such_interval(level: float) -> None:
    """An HDI computed at half its level (a "95% HDI" holding 50% of the draws) passed every test: they checked
    only that it was no wider than the equal-tailed one (an audit's find). Skewed, discrete and bimodal draws."""
    from estimate.inference_data import interval_from_draws

    rng = np.random.default_rng(7)
    samples = {"skewed": rng.gamma(2.0, 1_000.0, size=(4, 1_000)),
               "discrete": 4_400 + rng.negative_binomial(5, 0.001, size=(4, 1_000)).astype(float),
               "unimodal": rng.normal(10_000, 1_000, size=(2, 2_001))}
    for name, draws in samples.items():
        hdi = interval_from_draws(draws, level=level, kind="hdi")
        inside = np.mean((draws >= hdi.lower) & (draws <= hdi.upper))
        assert level <= inside <= level + 2 / draws.size + 1e-12, (name, inside)
        low, high = _shortest_window(draws, level)
        assert hdi.upper - hdi.lower <= high - low + 1e-9, name
        equal_tailed = interval_from_draws(draws, level=level)
        if name == "skewed":  # the HDI of a right-skewed posterior sits to the left of the equal-tailed one
            assert hdi.lower < equal_tailed.lower and hdi.upper < equal_tailed.upper

def test_sentence_of_a_lower_bound_and_of_an_hdi_says_what_they_are() -> None:
    """Chao's lower bound read "Estimated total: 10,300 …; about 57% … undocumented"; an HDI read like an
    equal-tailed interval."""
    bound = make_result(method="chao", estimate_kind="lower bound").sentence()
    assert "Estimated lower bound of the total: 10,300" in bound and "at least about 57%" in bound
    # its interval is one for the bound: the upper end is no upper limit for the total (it read as one)
    assert "confidence interval of the bound" in bound and "no upper limit for the total" in bound
    # a bootstrap limit at the samples' edge is said to be unstable in the sentence too, not in a warning only
    edge = make_result(details={"unstable_limits": ["lower"]}).sentence()
    assert ", its lower limit unstable)" in edge
    hdi = make_result(estimate_kind="posterior median", interval=Interval(9_104.2, 12_013.0, kind="hdi")).sentence()
    assert "95% highest-density credible interval" in hdi
    assert Interval(4_400, math.inf, kind="none").describe() == "95% interval (none: the data give no upper limit)"


def test_diagnostics_that_cannot_be_computed_are_not_a_pass() -> None:
    """With 3 draws per chain R-hat and ESS were NaN and no warning was given (a short PyMC run returned 6,980
    where the converged answer is about 14,300, silently)."""
    from estimate import ConvergenceWarning
    from estimate.inference_data import convergence_diagnostics, convergence_problems

    few = convergence_diagnostics(np.arange(6.0).reshape(2, 3))
    assert convergence_problems(few) == ["the ESS of N could not be computed (too few draws per chain)"]
    assert convergence_problems(convergence_diagnostics(np.full((2, 50), 7.0))) == []  # a point mass: nothing to say
    assert convergence_problems({}) == []  # non-Bayesian methods have no diagnostics
    with pytest.warns(ConvergenceWarning, match="could not be computed"):
        LCMCR(burn_in=100, draws=3, thinning=1, chains=2, seed=1).fit(datasets.load("kosovo"))


def test_sentence_never_says_about_100_percent_undocumented() -> None:
    result = Result(method="m", model="m", estimate=900_000_000.0, interval=Interval(1.76e8, 4.6e9), observed=60_001)
    assert "more than 99% of the total is undocumented" in result.sentence()
    assert "about 100%" not in result.sentence()


def test_sentence_of_a_tiny_lower_bound_share_and_of_an_unbounded_prior_driven_fit() -> None:
    """A lower bound with under 0.5% undocumented read "at least less than 1%"; an unbounded dga fit on lists
    that never overlap (prior_driven recorded) dropped the caveat and stated "about 6% … undocumented"."""
    bound = Result(method="m", model="m", estimate=1_003_000.0, interval=Interval(1_000_000, math.inf),
                   observed=1_000_000, estimate_kind="lower bound").sentence()
    assert "at least 0.30% of the total is undocumented" in bound and "less than" not in bound
    unbounded = Result(method="dga", model="m", estimate=181.0, interval=Interval(170, math.inf), observed=170,
                       details={"prior_driven": "the lists never overlap"}).sentence()
    assert unbounded.endswith("— but the lists never overlap, so the estimate comes from the model's priors, not "
                              "the data.")
    assert "undocumented" not in unbounded


def test_convergence_advice_names_parameters_the_method_has() -> None:
    """The PyMC estimators were told to add 'thinning', which they do not take."""
    import estimate
    from estimate.inference_data import longer_run_advice

    for name in estimate.method_names():
        params = estimate.get_estimator_class(name)().get_params()
        advice = longer_run_advice(name)
        if "tune" in params:
            assert "tune" in advice and "thinning" not in advice, name
        elif "thinning" in params:
            assert "burn-in" in advice and "thinning" in advice, name


def test_a_sampled_posterior_reports_both_interval_kinds() -> None:
    """LCMCR kept only the requested interval kind; the other one (HDI or equal-tailed) is in details and printed."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = LCMCR(burn_in=300, draws=200, thinning=1, chains=2, seed=1).fit(datasets.load("kosovo"))
    hdi = fitted.credible_interval(kind="hdi")
    assert fitted.details["interval_hdi"] == [hdi.lower, hdi.upper]
    assert fitted.details["interval_equal_tailed"] == [fitted.interval.lower, fitted.interval.upper]
    assert f"95% credible interval (hdi): {hdi.lower:,.0f} – {hdi.upper:,.0f}" in str(fitted)


def test_reported_numbers_read_as_printed_and_round_halves_up() -> None:
    """The report printed ESS per second as 3.771e+04 and a deviance as -5.107e-15; sentences rounded 12,345 to
    12,340 and 5,145 to 5,140 (halves to even) beside tables showing 12,345."""
    from estimate import Interval, Result
    from estimate.report import _key_values
    from estimate.results import _format_diagnostic

    assert _format_diagnostic("ess_bulk_per_second", 37714.2) == "37,714"
    assert _format_diagnostic("deviance", -5.107e-15) == "0" and _format_diagnostic("aic", 161.27) == "161.3"
    assert _format_diagnostic("r_hat", 1.0104) == "1.010"
    html = _key_values([("ess_bulk", 23603.4), ("r_hat", 1.0), ("ess_tail", 9999.6)])
    assert "23,603" in html and "1.000" in html and "10,000" in html and "e+0" not in html
    assert "Estimated total: 12,350 (95% credible interval 12,230–12,460)" in Result(
        "x", "m", 12345, Interval(12225, 12455), 4000).sentence()


@pytest.mark.filterwarnings("ignore::estimate.ConvergenceWarning")
def test_draws_are_read_only_and_a_replaced_interval_drops_the_stored_other_kind() -> None:
    """result.draws() was a writeable view of the posterior (writing into it changed credible_interval()), and a
    result whose interval was replaced printed the fit's stored 95% pair labelled with the new level."""
    import dataclasses

    result = LCMCR(burn_in=200, draws=100, thinning=2, chains=2, seed=1).fit(datasets.load("kosovo"))
    draws = result.draws()
    with pytest.raises(ValueError, match="read-only"):
        draws[0, 0] = -5
    assert "95% credible interval (hdi)" in str(result)  # the other kind, stored at the fit's level
    replaced = dataclasses.replace(result, interval=Interval(1.0, 2.0, level=0.9, kind="hdi"))
    assert "(equal-tailed)" not in str(replaced) and "90% credible interval (hdi): 1 – 2" in str(replaced)


def test_capture_data_stays_read_only_through_pickle_and_deepcopy() -> None:
    import copy
    import pickle

    data = datasets.load("kosovo")
    for copied in (pickle.loads(pickle.dumps(data)), copy.deepcopy(data)):
        assert copied == data
        with pytest.raises(ValueError, match="read-only"):
            copied.counts[0] = 10**6


def test_a_bad_parameter_is_named_before_the_data_are_judged() -> None:
    """fit validated the data first: dga(delta=-1) on two lists said only that dga needs three lists."""
    from estimate import CaptureData, make_estimator

    two = CaptureData([[1, 0], [0, 1], [1, 1]], [30, 20, 5], ["A", "B"])
    with pytest.raises(ValueError, match="delta"):
        make_estimator("dga", delta=-1).fit(two)
    with pytest.raises(ValueError, match="^m0: "):
        make_estimator("m0", list_effects="yes").fit(datasets.load("kosovo"))


def test_outcome_draws_stay_read_only_through_copies_and_a_null_stored_bound_prints(tmp_path) -> None:
    import copy
    import math
    import pickle

    from estimate import load_result
    from estimate.strata import StratumOutcome

    outcome = StratumOutcome(("a",), 5, "ok", draws=np.arange(6).reshape(2, 3))
    for copied in (pickle.loads(pickle.dumps(outcome)), copy.deepcopy(outcome)):
        assert not copied.draws.flags.writeable
    result = Result(method="lcmcr", model="m", estimate=60.0, interval=Interval(50, math.nan), observed=40,
                    lists=("A", "B"), estimate_kind="posterior median",
                    details={"interval_equal_tailed": [50, math.nan], "interval_hdi": [45, 140]})
    back = load_result(result.save(tmp_path / "r.json"))  # NaN is null in JSON: str() raised TypeError
    assert "95% credible interval (hdi): 45 – 140" in str(back)


def test_a_one_chain_r_hat_says_it_compares_the_chain_s_halves() -> None:
    """With one chain R-hat is the split R-hat of its halves, not ArviZ's between-chain R-hat: the printout says so."""
    import warnings

    import estimate
    from estimate.estimators import LCMCR

    data = estimate.datasets.load("kosovo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = LCMCR(seed=1, chains=1, burn_in=100, draws=50, thinning=1).fit(data)
        two = LCMCR(seed=1, chains=2, burn_in=100, draws=50, thinning=1).fit(data)
    assert "(one chain: its two halves compared)" in str(one)
    assert "r_hat: " in str(two) and "halves" not in str(two)


def test_repr_is_one_short_line_even_for_results_read_back_from_json(tmp_path) -> None:
    """The dataclass repr printed every detail: a log-linear fit's candidate models (4,400 characters) and dga's
    posterior pmf once read back from JSON (690,000), on the last line of a notebook cell."""
    import estimate

    data = datasets.load("kosovo")
    fitted = estimate.make_estimator("dga", seed=1).fit(data)
    fitted.save(tmp_path / "d.json")
    for result in (estimate.make_estimator("loglinear").fit(data), fitted, estimate.load_result(tmp_path / "d.json")):
        text = repr(result)
        assert len(text) < 200 and "\n" not in text and text.startswith(f"Result(method={result.method!r}")


def test_jupyter_shows_the_readable_summary_escaped() -> None:
    """A notebook cell ending in a result showed the one-line repr; it shows ``str()``, as HTML-safe text."""
    result = make_result(lists=("A<1>", "B & C"), model="two lists <A<1>, B & C>")
    shown = result._repr_html_()
    assert shown.startswith("<pre>") and shown.endswith("</pre>")
    assert shown == "<pre>" + str(result).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + "</pre>"
    assert "two lists &lt;A&lt;1&gt;, B &amp; C&gt;" in shown and "  observed (at least): 4,400" in shown


def test_a_posteriors_spread_is_called_its_posterior_sd() -> None:
    """Beside a credible interval the spread of a posterior was labelled "standard error" (an audit's find)."""
    frequentist = str(make_result())
    bayesian = str(make_result(estimate_kind="posterior median", interval=Interval(9_104.2, 12_013.0)))
    assert "  standard error: 700.0" in frequentist and "posterior SD" not in frequentist
    assert "  posterior SD: 700.0" in bayesian and "standard error" not in bayesian


def test_a_likelihood_fit_says_whether_the_observed_patterns_reject_it() -> None:
    """Deviance and df were printed without their meaning: Kosovo's Mt fit (deviance 245.9 on 10 df) read like
    a good one beside its narrow interval (a statistical-wording audit's find)."""
    from scipy.stats import chi2

    rejected = make_result(diagnostics={"deviance": 245.94, "df": 10})
    line = str(rejected).splitlines()[-1]
    assert line.startswith("  goodness of fit: deviance 245.9 on 10 df, p = ")
    assert f"p = {chi2.sf(245.94, 10):.2g}" in line and "reject this model" in line
    assert "its interval then understates the uncertainty" in line
    fine = str(make_result(diagnostics={"deviance": 6.2, "df": 5})).splitlines()[-1]
    assert f"p = {chi2.sf(6.2, 5):.2g} (χ² approximation" in fine and "reject" not in fine
    # a bootstrap over people already sees variation beyond Poisson counts' (sparsemse's BCa)
    bca = str(make_result(diagnostics={"deviance": 245.94, "df": 10},
                          interval=Interval(9_104.2, 12_013.0, kind="bootstrap-bca"))).splitlines()[-1]
    assert "reject this model" in bca and "understates" not in bca
    # no degrees of freedom left (a saturated fit), or no deviance: nothing to test
    assert "goodness" not in str(make_result(diagnostics={"deviance": 0.0, "df": 0}))
    assert "goodness" not in str(make_result())


def test_an_estimate_below_the_documented_count_reads_as_none_undocumented() -> None:
    """A mixture over imputation replicates can put its median below their mean documented count; the sentence
    said "about -2% of the total is undocumented"."""
    below = Result(method="lcmcr", model="m", estimate=98.0, interval=Interval(95.0, 104.0), observed=100,
                   estimate_kind="posterior median")
    assert "about 0% of the total is undocumented" in below.sentence() and "-" not in below.sentence().split(";")[-1]
