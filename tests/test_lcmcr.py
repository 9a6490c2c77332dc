"""LCMCR: compiled Gibbs sampler and estimator.

Correctness is checked three ways: (1) with K = 1 the model is the independence model whose posterior of N is
available in closed form on a grid; (2) on Kosovo the posterior median and 2.5%/97.5% quantiles must agree with the
reference LCMCR 0.4.14 results within a Monte Carlo tolerance derived from the effective sample size; (3) the
label-switching and partially collapsed moves must leave the posterior unchanged (plain Gibbs vs the default
sampler on the same data, for N and for label-dependent quantities: π_1, α).
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from _mcse import quantile_mcse
from scipy.special import gammaln

import estimate
from estimate import CaptureData
from estimate.errors import ConvergenceWarning, UninformativeDataWarning
from estimate.estimators.lcmcr import LCMCR, SAMPLERS
from estimate.samplers.lcmcr_kernel import LCMCRSettings, sample_lcmcr, sample_lcmcr_batch

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "reference" / "lcmcr_kosovo.json"


def _generators(seed: int, chains: int) -> list[np.random.Generator]:
    return [np.random.Generator(np.random.PCG64(s)) for s in np.random.SeedSequence(seed).spawn(chains)]


@pytest.fixture(scope="module")
def kosovo() -> CaptureData:
    return estimate.datasets.load("kosovo")



@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_same_seed_same_draws_any_thread_count_and_order(kosovo: CaptureData, sampler: str) -> None:
    settings = LCMCRSettings(burn_in=200, n_draws=50, thinning=2, **SAMPLERS[sampler])
    other = estimate.datasets.load("western_us_trafficking")
    problems = [(kosovo.patterns, kosovo.counts), (other.patterns, other.counts)]
    one = sample_lcmcr_batch(problems, settings, [_generators(1, 3), _generators(2, 3)], n_threads=1)
    two = sample_lcmcr_batch(problems, settings, [_generators(1, 3), _generators(2, 3)], n_threads=2)
    swapped = sample_lcmcr_batch(problems[::-1], settings, [_generators(2, 3), _generators(1, 3)], n_threads=2)
    for a, b in ((one[0], two[0]), (one[1], two[1]), (one[0], swapped[1]), (one[1], swapped[0])):
        np.testing.assert_array_equal(a["N"], b["N"])
        np.testing.assert_array_equal(a["alpha"], b["alpha"])
    assert not np.array_equal(one[0]["N"][0], one[0]["N"][1]), "chains must get different streams"


def test_estimator_fit_many_matches_single_fits(kosovo: CaptureData) -> None:
    other = estimate.datasets.load("western_us_trafficking")
    est = LCMCR(burn_in=200, draws=50, thinning=2, chains=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        batch = est.fit_many([kosovo, other], [11, 12])
        single = est.clone(seed=12).fit(other)
    np.testing.assert_array_equal(batch[1].draws(), single.draws())
    # short chains: the batch says so once, naming how many of its problems failed
    with pytest.warns(ConvergenceWarning, match=r"of 2 problems may not have converged") as seen:
        est.fit_many([kosovo, other], [11, 12])
    assert sum(isinstance(w.message, ConvergenceWarning) for w in seen) == 1


@pytest.mark.parametrize("sampler", sorted(SAMPLERS))
def test_independence_model_matches_closed_form(kosovo: CaptureData, sampler: str) -> None:
    """K = 1: p(N | x) ∝ (1/N) N!/(N − n)! ∏_j B(1 + n_j, 1 + N − n_j) (λ_j ~ Beta(1, 1) integrated out)."""
    n = kosovo.observed
    sizes = kosovo.list_sizes.to_numpy()
    grid = np.arange(n, 12_000)
    log_post = -np.log(grid) + gammaln(grid + 1) - gammaln(grid - n + 1)
    for size in sizes:
        log_post += gammaln(1 + size) + gammaln(1 + grid - size) - gammaln(2 + grid)
    pmf = np.exp(log_post - log_post.max())
    pmf /= pmf.sum()
    cdf = np.cumsum(pmf)
    exact = {q: grid[np.searchsorted(cdf, q)] for q in (0.025, 0.5, 0.975)}
    settings = LCMCRSettings(K=1, burn_in=1_000, n_draws=5_000, thinning=2, **SAMPLERS[sampler])
    out = sample_lcmcr(kosovo.patterns, kosovo.counts, settings, _generators(5, 4))
    draws = np.asarray(out["N"])

    for q, value in exact.items():
        tolerance = 4 * quantile_mcse(draws, q) + 1  # 4 Monte Carlo s.e. (+1 for discreteness)
        assert abs(np.quantile(draws, q) - value) < tolerance, (q, np.quantile(draws, q), value, tolerance)


def test_kosovo_matches_reference_lcmcr(kosovo: CaptureData) -> None:
    """Median and 2.5%/97.5% quantiles vs R LCMCR 0.4.14 (pooled over 3 seeds, 30,000 draws).

    Tolerance: 4 × sqrt(MCSE_ours² + MCSE_ref²), with MCSE_ours ArviZ's quantile MCSE of our draws (from the
    ESS of the indicator I(N ≤ N_q), which governs a quantile's error; the bulk ESS overstates it in the tails)
    and MCSE_ref the seed-to-seed spread reported with the reference (median ±25, interval ends ±110) divided by
    √3 for the pooled figures.
    """
    import arviz as az

    reference = json.loads(REFERENCE.read_text()) if REFERENCE.exists() else {
        "median": 10402, "q025": 8867, "q975": 13942}
    fit = LCMCR(burn_in=10_000, draws=2_500, thinning=60, chains=4, seed=2024).fit(kosovo)
    draws = fit.draws()
    ess = fit.diagnostics["ess_bulk"]
    assert ess > 300, f"ESS {ess} too low for a meaningful comparison"
    for q, key, ref_mcse in ((0.5, "median", 25 / math.sqrt(3)), (0.025, "q025", 110 / math.sqrt(3)),
                             (0.975, "q975", 110 / math.sqrt(3))):
        ours = np.quantile(draws, q)
        tolerance = 4 * math.hypot(float(az.mcse(draws.astype(float), method="quantile", prob=q)), ref_mcse)
        assert abs(ours - reference[key]) < tolerance, (key, ours, reference[key], tolerance)


@pytest.mark.parametrize(
    "variant",
    [
        {"collapsed_n0": True},
        {"label_moves": 5},
        {"theta_moves": 1},
        {"theta_moves": 1, "theta_leapfrog": 6},
        SAMPLERS["collapsed"],
    ],
    ids=["collapsed-n0", "label-moves", "theta-moves", "theta-hmc", "default"],
)
def test_extra_moves_leave_posterior_unchanged(variant: dict) -> None:
    """Plain Gibbs and each extra move target the same posterior (small 4-list data, K = 3, long runs).

    N is invariant to relabelling the classes, so a wrong acceptance ratio of the label moves would not show in N:
    π_1 (the first stick), π_K (the last class, which only the last-pair swap exchanges with V_{K−1}) and α depend
    on the labels and are compared as well.
    """
    rng = np.random.default_rng(7)
    size = 600
    cls = rng.random(size) < 0.3
    probs = np.where(cls[:, None], [0.6, 0.5, 0.55, 0.4], [0.15, 0.2, 0.1, 0.25])
    x = (rng.random((size, 4)) < probs).astype(int)
    data = CaptureData.from_records(
        __import__("pandas").DataFrame(x[x.sum(1) > 0], columns=list("ABCD"))
    )

    draws: dict[bool, dict[str, np.ndarray]] = {}
    for extra in (False, True):
        # thinning 50: plain Gibbs mixes π_1 slowly (ESS ≈ 30 of 16,000 draws at thinning 10); with 10 an
        # always-accept label move was not caught, with 50 it is (its π_1 and N quantiles ≥ 6 s.e. off)
        settings = LCMCRSettings(K=3, burn_in=2_000, n_draws=4_000, thinning=50, keep_traces=True,
                                 **(variant if extra else {}))
        out = sample_lcmcr(data.patterns, data.counts, settings, _generators(3, 4))
        draws[extra] = {"N": np.asarray(out["N"], dtype=float), "pi1": np.asarray(out["pi"])[..., 0],
                        "piK": np.asarray(out["pi"])[..., -1], "alpha": np.asarray(out["alpha"])}
    for name in ("N", "pi1", "piK", "alpha"):
        for q in (0.1, 0.5, 0.9):
            pair = [draws[extra][name] for extra in (False, True)]
            se = math.hypot(*(quantile_mcse(d, q) for d in pair))
            diff = np.quantile(pair[1], q) - np.quantile(pair[0], q)
            slack = 1 if name == "N" else 0  # N is discrete
            assert abs(diff) < 4 * se + slack, (name, q, diff, se)


def test_thirty_lists_thousands_of_patterns_run_sparse() -> None:
    rng = np.random.default_rng(0)
    x = (rng.random((4_000, 30)) < 0.08).astype(np.uint8)
    x = x[x.sum(1) > 0]
    import pandas as pd

    data = CaptureData.from_records(pd.DataFrame(x, columns=[f"L{j}" for j in range(30)]))
    assert data.n_patterns > 1_000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = LCMCR(K=5, burn_in=50, draws=20, thinning=1, chains=2, seed=1).fit(data)
    assert fit.estimate >= data.observed
    assert np.isfinite(fit.interval.upper)


def test_two_lists_warn_not_identified() -> None:
    import pandas as pd

    data = CaptureData.from_aggregated(pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [30, 40, 20]}))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LCMCR(burn_in=100, draws=50, thinning=1, chains=2, seed=1).fit(data)
    assert any(issubclass(w.category, UninformativeDataWarning) and "not identified" in str(w.message)
               for w in caught)


def test_short_run_warns_about_convergence(kosovo: CaptureData) -> None:
    with pytest.warns(ConvergenceWarning, match="ESS"):
        LCMCR(burn_in=10, draws=30, thinning=1, chains=2, seed=3).fit(kosovo)


def test_result_carries_inference_data_and_diagnostics(kosovo: CaptureData) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = LCMCR(burn_in=200, draws=100, thinning=2, chains=2, seed=4, keep_traces=True).fit(kosovo)
    posterior = fit.posterior.posterior
    assert posterior["N"].dims == ("chain", "draw")
    assert posterior["N"].shape == (2, 100)
    assert posterior["lambda"].shape == (2, 100, 4, 10)
    assert posterior["pi"].shape == (2, 100, 10)
    for key in ("r_hat", "ess_bulk", "ess_tail", "us_per_sweep"):
        assert key in fit.diagnostics
    assert fit.interval.kind == "equal-tailed" and fit.interval.level == 0.95
    hdi = fit.credible_interval(kind="hdi")
    assert hdi.lower >= fit.observed and hdi.upper > hdi.lower
    default = LCMCR(burn_in=20, draws=10, thinning=1, chains=2, seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        lean = default.fit(kosovo).posterior.posterior
    assert "lambda" not in lean and "pi" not in lean


def test_invalid_parameters_raise(kosovo: CaptureData) -> None:
    with pytest.raises(ValueError, match="K"):
        LCMCR(K=0).fit(kosovo)
    with pytest.raises(ValueError, match="interval"):
        LCMCR(interval="central").fit(kosovo)



def test_draws_below_the_documented_count_are_an_error_not_a_result(kosovo: CaptureData) -> None:
    """The kernel's count of unlisted people is an int64: past 9.2e18 it wraps round to a negative number (an
    audit found the variates do so; no real fit reached it). A draw of N below the documented count can only come
    from that, and is refused rather than summarised."""
    estimator = LCMCR(burn_in=10, draws=10, thinning=1, chains=2, seed=1)
    wrapped = np.full((2, 10), kosovo.observed + 5, dtype=np.int64)
    wrapped[1, 3] = np.iinfo(np.int64).min
    with pytest.raises(FloatingPointError, match="fell below the 4,400 people documented"):
        estimator._result(kosovo, 1, {"N": wrapped})

@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"K": "10"}, ["K='10'"]),  # e.g. a quoted number in a preset file
        ({"draws": 2.5}, ["draws=2.5"]),  # not silently truncated to 2
        ({"K": True}, ["K=True"]),
        ({"keep_traces": "no"}, ["keep_traces='no'"]),  # a non-empty string is truthy: refused
        ({"a_alpha": float("nan")}, ["a_alpha=nan"]),
        # α starts at its prior mean a/b: infinite, N collapsed onto the observed count with no warning; zero, the
        # kernel raised ZeroDivisionError (an audit's finds)
        ({"a_alpha": 1e300, "b_alpha": 1e-300}, ["prior mean of α, is inf", "a_alpha=1e+300"]),
        ({"a_alpha": 1e-200, "b_alpha": 1e200}, ["prior mean of α, is 0", "b_alpha=1e+200"]),
        ({"n_threads": 0}, ["n_threads=0"]),
        ({"seed": -1}, ["seed", "-1"]),
        ({"seed": 3.0}, ["seed", "3.0"]),
        ({"seed": np.random.default_rng(1)}, ["seed", "Generator"]),
    ],
)
def test_parameters_of_the_wrong_type_are_named(kosovo: CaptureData, params: dict, words: list[str]) -> None:
    settings = {"burn_in": 10, "draws": 10, "thinning": 1, "chains": 2, "seed": 1, **params}
    with pytest.raises(ValueError) as info:
        LCMCR(**settings).fit(kosovo)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_numpy_integer_parameters_and_seeds_are_accepted(kosovo: CaptureData) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        a = LCMCR(K=np.int64(5), burn_in=20, draws=10, thinning=1, chains=2, seed=np.uint32(7)).fit(kosovo)
        b = LCMCR(K=5, burn_in=20, draws=10, thinning=1, chains=2, seed=7).fit(kosovo)
    assert np.array_equal(a.draws(), b.draws())


def test_presets_load() -> None:
    est = estimate.make_estimator(model="lcmcr-default", seed=3)
    assert isinstance(est, LCMCR) and est.K == 10 and est.a_alpha == 0.25 and est.seed == 3
    long_run = estimate.make_estimator(model="lcmcr-long")
    assert long_run.thinning == 500 and long_run.draws == 10_000


def test_a_seed_sequence_object_gives_the_same_draws_every_time_it_is_used() -> None:
    """Spawning advanced the caller's SeedSequence: a second fit with the same object gave other draws than its
    recorded (entropy, spawn key) repeats; details['seed'] dropped the spawn key."""
    data = estimate.datasets.load("kosovo")
    settings = {"burn_in": 200, "draws": 50, "thinning": 1, "chains": 2}
    sequence = np.random.SeedSequence(5)
    first, second = (LCMCR(seed=sequence, **settings).fit(data) for _ in range(2))
    again = LCMCR(seed=5, **settings).fit(data)
    for other in (second, again):
        np.testing.assert_array_equal(first.posterior.posterior["N"].values, other.posterior.posterior["N"].values)
    child = np.random.SeedSequence(123).spawn(3)[1]
    assert LCMCR(seed=child, **settings).fit(data).details["seed"] == {"entropy": 123, "spawn_key": [1]}


def test_fit_takes_a_seed_that_overrides_the_estimators_own() -> None:
    """The developers' guide asks that every fit take seed=; LCMCR().fit(data, seed=1) was a TypeError."""
    data = estimate.datasets.load("kosovo")
    settings = {"burn_in": 200, "draws": 50, "thinning": 1, "chains": 2}
    estimator = LCMCR(seed=9, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        given = estimator.fit(data, seed=1)
        constructed = LCMCR(seed=1, **settings).fit(data)
        own = estimator.fit(data)
        own_again = LCMCR(seed=9, **settings).fit(data)
    np.testing.assert_array_equal(given.draws(), constructed.draws())
    assert estimator.seed == 9 and own.provenance["seed"] == own_again.provenance["seed"]
    assert given.provenance["seed"] == constructed.provenance["seed"] != own.provenance["seed"]
    assert not np.array_equal(given.draws(), own.draws())
    # a method that draws nothing takes the seed too, unaffected; a bad seed is still named
    chapman = estimate.Chapman(lists=("EXH", "ABA"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", estimate.DataWarning)  # two of four lists
        assert chapman.fit(data, seed=1).estimate == chapman.fit(data).estimate
    with pytest.raises(ValueError, match="seed"):
        chapman.fit(data, seed=-1)
    with pytest.raises(ValueError, match="seed"):
        estimator.fit(data, seed="one")
    # fit_many's seeds are checked as fit's, by every method, before anything is fitted (Chapman took seeds=[-1]
    # and a short list of seeds failed with an IndexError)
    for method in (chapman, estimator):
        with pytest.raises(ValueError, match=r"fit_many: seed must be a non-negative integer"):
            method.fit_many([data], seeds=[-1])
        with pytest.raises(ValueError, match="seeds has 1 entries for 2 datasets"):
            method.fit_many([data, data], seeds=[1])


def test_fit_many_raises_each_problems_warnings_at_the_callers_line() -> None:
    """Estimator.fit_many raised each problem's warnings inside base.py (the line calling fit); they now point at
    the caller's line, worded as fit words them for one problem and prefixed "problem i: " for several."""
    two_nolap = CaptureData([[1, 0], [0, 1]], [30, 40], ["A", "B"])
    for datasets, prefixes in [([two_nolap, two_nolap], ["problem 0: ", "problem 1: "]), ([two_nolap], [""])]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            estimate.Chapman().fit_many(datasets)
        assert [w.filename for w in caught] == [__file__] * len(prefixes)
        assert [str(w.message) for w in caught] == [p + "chapman: lists ['A', 'B'] never overlap"
                                                    + str(caught[0].message).split("never overlap", 1)[1]
                                                    for p in prefixes]
        assert all(w.category is UninformativeDataWarning for w in caught)


def test_fit_many_leaves_other_libraries_warnings_where_they_arose(tmp_path, monkeypatch) -> None:
    """Re-raised at the caller's line, a DeprecationWarning from inside a library became the user's own (shown by
    Python's default filters in __main__, deaf to a filter by module); it keeps its file, line and module now."""
    import sys

    import estimate.estimators.two_list as two_list

    (tmp_path / "noisylib_for_test.py").write_text(
        "import warnings\n\ndef noise():\n    warnings.warn('old API', DeprecationWarning)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import noisylib_for_test

    original = two_list.Chapman._fit

    def noisy(self, data):
        noisylib_for_test.noise()
        return original(self, data)

    monkeypatch.setattr(two_list.Chapman, "_fit", noisy)
    data = CaptureData([[1, 0], [0, 1], [1, 1]], [30, 40, 50], ["A", "B"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        estimate.Chapman().fit_many([data, data])
    assert [(w.category, w.filename) for w in caught] == [(DeprecationWarning, noisylib_for_test.__file__)] * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", module="noisylib_for_test")
        estimate.Chapman().fit_many([data, data])
    assert caught == []
    sys.modules.pop("noisylib_for_test", None)


def test_fit_many_takes_any_iterable_of_datasets_and_seeds(kosovo: CaptureData) -> None:
    """A generator of datasets (or of seeds) failed with "object of type 'generator' has no len()"."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for method in (estimate.Chapman(lists=("EXH", "ABA")), LCMCR(burn_in=20, draws=20, chains=1)):
            listed = method.fit_many([kosovo, kosovo], [1, 2])
            generated = method.fit_many((d for d in (kosovo, kosovo)), iter([1, 2]))
            assert [r.estimate for r in generated] == [r.estimate for r in listed]


def test_fit_many_charges_each_problem_its_share_of_the_batch_wall_time() -> None:
    """Results are now summarised while the batch runs; their wall time (and ESS per second) is still filled in,
    from the batch's elapsed time shared by CPU time, once the batch has ended."""
    data = estimate.datasets.load("kosovo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = LCMCR(burn_in=200, draws=50, thinning=1, chains=2, seed=3).fit_many([data, data, data])
    walls = [r.diagnostics["wall_seconds"] for r in results]
    assert all(w > 0 and math.isfinite(w) for w in walls)
    for r in results:
        assert r.diagnostics["ess_bulk_per_second"] == pytest.approx(r.diagnostics["ess_bulk"]
                                                                     / r.diagnostics["wall_seconds"])


def test_fit_many_validates_like_fit_and_records_fresh_seeds() -> None:
    data = estimate.datasets.load("kosovo")
    settings = {"burn_in": 200, "draws": 50, "thinning": 1, "chains": 2}
    with pytest.raises(ValueError, match="seeds has 1 entries for 2 datasets"):
        LCMCR(**settings).fit_many([data, data], seeds=[1])
    # one invalid problem is its own outcome (it raised for the whole batch, losing the valid problems' fits)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mixed = LCMCR(**settings).fit_many([data, estimate.simulate.scenario("strata", seed=1).data, data],
                                           seeds=[1, 2, 1])
    assert isinstance(mixed[1], estimate.DataError)
    assert isinstance(mixed[0], estimate.Result) and isinstance(mixed[2], estimate.Result)
    np.testing.assert_array_equal(mixed[0].draws(), mixed[2].draws())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from_frame = LCMCR(**settings).fit_many([data.to_frame()], seeds=[3])[0]
        fresh = LCMCR(**settings).fit_many([data])[0]  # unseeded: fresh entropy, recorded
        repeated = LCMCR(seed=fresh.details["seed"], **settings).fit(data)
    assert from_frame.observed == data.observed
    np.testing.assert_array_equal(fresh.posterior.posterior["N"].values, repeated.posterior.posterior["N"].values)
    with pytest.raises(ValueError, match="sampler"):
        LCMCR(sampler=["gibbs"], **settings).fit(data)


def test_fit_settings_are_attributes_of_the_posterior_group(tmp_path: Path) -> None:
    """Method, K, seed and lists were documented on the posterior group but landed elsewhere (lost in a .nc)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = LCMCR(burn_in=100, draws=50, chains=2, seed=1).fit(estimate.datasets.load("kosovo"))
    back = estimate.load_result(result.save(tmp_path / "fit.nc"))
    for attrs in (result.posterior.posterior.attrs, back.posterior.posterior.attrs):
        assert attrs["method"] == "lcmcr" and int(attrs["K"]) == 10
        assert (int(attrs["burn_in"]), int(attrs["draws"]), attrs["sampler"]) == (100, 50, "collapsed")
        assert json.loads(attrs["seed"]) == 1 and float(attrs["a_alpha"]) == 0.25
        assert json.loads(attrs["lists"]) == ["EXH", "ABA", "OSCE", "HRW"]  # a JSON array: names may hold commas
    # the observed pattern counts say which pattern each is (they were on an anonymous dimension)
    for idata in (result.posterior, back.posterior):
        observed = idata.observed_data
        assert list(observed["pattern_counts"].dims) == ["pattern"] and observed["pattern_counts"].values.sum() == 4400
        kosovo = estimate.datasets.load("kosovo")
        first = "".join(str(int(v)) for v in kosovo.patterns[0])
        assert int(observed["pattern_counts"].sel(pattern=first)) == kosovo.counts[0]
        assert list(observed["capture_patterns"].coords["list"].values) == list(kosovo.lists)
        np.testing.assert_array_equal(observed["capture_patterns"].values, kosovo.patterns)


def test_fit_many_gives_each_problem_its_own_stream_and_flags_two_lists() -> None:
    """Without seeds, every problem used the estimator's one seed: identical data gave identical draws (common
    random numbers that correlate the problems' Monte Carlo errors); a 2-list problem lost fit()'s warning."""
    data = estimate.datasets.load("kosovo")
    two = CaptureData([[1, 1], [1, 0], [0, 1]], [50, 100, 80], ["A", "B"])
    settings = {"burn_in": 100, "draws": 50, "thinning": 1, "chains": 2, "seed": 7}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first, pair, second = LCMCR(**settings).fit_many([data, two, data])
    assert any(issubclass(w.category, estimate.UninformativeDataWarning) and "only 2 lists" in str(w.message)
               for w in caught)
    assert not np.array_equal(first.draws(), second.draws())
    assert second.details["seed"] == {"entropy": 7, "spawn_key": [2]}
    assert "not identified" in pair.details["prior_driven"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = LCMCR(**{**settings, "seed": np.random.SeedSequence(7, spawn_key=(2,))}).fit(data)
        direct = LCMCR(**settings).fit(two)
    np.testing.assert_array_equal(alone.draws(), second.draws())  # the recorded seed repeats the problem
    assert "not identified" in direct.details["prior_driven"]
    # each problem is charged its share of the batch's elapsed time, in proportion to its CPU time
    rates = [r.diagnostics["wall_seconds"] / r.diagnostics["cpu_seconds"] for r in (first, pair, second)]
    assert rates == pytest.approx([rates[0]] * 3)


def test_one_chain_gets_r_hat_from_its_halves_and_short_runs_warn_once(kosovo: CaptureData) -> None:
    """One chain had no R-hat at all (a drifting chain passed whenever its ESS was high); with fewer draws than
    chains ArviZ's own UserWarnings leaked next to the package's ConvergenceWarning."""
    from estimate.inference_data import convergence_diagnostics

    drift = np.arange(1000.0)[None, :]
    assert convergence_diagnostics(drift)["r_hat"] > 1.5
    steady = np.random.default_rng(1).normal(size=(1, 8000))  # iid: R-hat − 1 is O(1/draws)
    assert convergence_diagnostics(steady)["r_hat"] < 1.01
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LCMCR(chains=4, burn_in=50, draws=1, thinning=1, seed=1).fit(kosovo)
    assert [w.category for w in caught] == [estimate.ConvergenceWarning]


def test_posterior_seed_attribute_takes_numpy_integers(kosovo: CaptureData) -> None:
    """json.dumps of a SeedSequence built from numpy integers failed after sampling."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = LCMCR(burn_in=20, draws=10, thinning=1, chains=2,
                       seed=np.random.SeedSequence(np.int64(5), spawn_key=(np.int64(2),))).fit(kosovo)
    assert json.loads(result.posterior.posterior.attrs["seed"]) == {"entropy": 5, "spawn_key": [2]}


def test_model_descriptions_count_one_chain_in_the_singular() -> None:
    """'1 chains × 500 draws' (an audit's find), in every Bayesian model's description."""
    from estimate.estimators.bayes_loglinear import BayesLogLinear
    from estimate.estimators.pymc_lcmcr import PyMCLCMCR

    for cls in (LCMCR, PyMCLCMCR):
        assert " 1 chain × " in cls(chains=1).describe_model(), cls
        assert " 2 chains × " in cls(chains=2).describe_model(), cls
    assert " 1 chain × " in BayesLogLinear(chains=1).describe_model([("A", "B")])


def test_model_description_at_one_class_names_no_alpha_prior() -> None:
    """With K = 1 there are no stick-breaking weights, so α plays no part: the description says so instead of
    naming its prior (an audit's find)."""
    from estimate.estimators.pymc_lcmcr import PyMCLCMCR

    for cls in (LCMCR, PyMCLCMCR):
        assert "α ~ Gamma" not in cls(K=1).describe_model(), cls
        assert "one class (lists independent, no α)" in cls(K=1).describe_model(), cls
        assert "α ~ Gamma(0.25, 0.25)" in cls(K=10).describe_model(), cls


def test_hdi_is_taken_in_any_case_as_compare_takes_it(kosovo: CaptureData) -> None:
    """compare(interval="HDI") took it; LCMCR(interval="HDI") was refused at fit and credible_interval(0.9, "HDI")
    raised ValueError.  Both take it now, and record the kind as "hdi"."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator = LCMCR(interval="HDI", seed=1, burn_in=50, draws=100, chains=1)
        result = estimator.fit(kosovo)
    assert result.interval.kind == "hdi" and estimator.interval == "hdi"
    assert result.credible_interval(0.9, " HDI") == result.credible_interval(0.9, "hdi")
    assert result.credible_interval(0.9, "Equal-Tailed").kind == "equal-tailed"
    with pytest.raises(estimate.DataError, match="kind must be 'equal-tailed' or 'hdi', got 'hpd'"):
        result.credible_interval(0.9, "hpd")
