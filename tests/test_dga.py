"""dga: decomposable-graph enumeration, the closed-form marginal likelihood, and R dga 2.0.2 on Kosovo.

Reference: ../shared/data/reference/kosovo_classical.json ("dga_bma", graphs4, prior 1/N, Nmissing 0..30,000); the
top-model weights (0.986 for δ = 2^-4, 0.976 for δ = 1) are from the table in ../shared/data/README.md.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln, logsumexp

import estimate
from estimate.data import CaptureData
from estimate.errors import EstimateWarning
from estimate.estimators import dga
from estimate.estimators.base import NotApplicable
from estimate.estimators.dga import DGA, DecomposableGraphBMA, credible_interval, graph_posterior, pmf_quantile
from estimate.results import Result
from estimate.samplers.graphs import clique_separator_coefficients, decomposable_graphs, is_chordal

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference" / "kosovo_classical.json"
FALLBACK = {
    "delta_0.0625": {"median": 12595, "q025": 9827, "q975": 16544, "mean": 12749},
    "delta_1": {"median": 4616, "q025": 4407, "q975": 6844, "mean": 4828},
}
TOP_MODEL_WEIGHT = {"delta_0.0625": 0.986, "delta_1": 0.976}  # rounded to 3 decimals in the reference table


def dga_reference() -> dict[str, dict[str, float]]:
    if not REFERENCE.exists():
        return FALLBACK
    return json.loads(REFERENCE.read_text())["dga_bma"]


# ---------------------------------------------------------------------------------------------- graphs
@pytest.mark.parametrize(("n_vertices", "expected"), [(1, 1), (2, 2), (3, 8), (4, 61), (5, 822)])
def test_number_of_decomposable_graphs(n_vertices: int, expected: int) -> None:
    assert len(decomposable_graphs(n_vertices)) == expected
    assert clique_separator_coefficients(n_vertices).shape == (expected, 1 << n_vertices)


def test_chordality() -> None:
    square = ((0, 1), (1, 2), (2, 3), (0, 3))
    assert not is_chordal(4, square)
    assert is_chordal(4, square + ((0, 2),))
    assert not is_chordal(5, ((0, 1), (1, 2), (2, 3), (3, 4), (0, 4)))
    # the only non-chordal graphs on 4 vertices are the three 4-cycles
    pairs = list(itertools.combinations(range(4), 2))
    non_chordal = [e for k in range(7) for e in itertools.combinations(pairs, k) if not is_chordal(4, e)]
    assert len(non_chordal) == 3 and all(len(e) == 4 for e in non_chordal)


@pytest.mark.parametrize("n_vertices", [3, 4, 5])
def test_cliques_and_separators_form_a_junction_tree(n_vertices: int) -> None:
    """For every pair of vertices: #cliques − #separators containing both is 1 if adjacent (or equal), else 0."""
    for graph in decomposable_graphs(n_vertices):
        adjacent = {frozenset(e) for e in graph.edges}
        for u, v in itertools.combinations_with_replacement(range(n_vertices), 2):
            pair = (1 << u) | (1 << v)
            count = sum(c & pair == pair for c in graph.cliques) - sum(s & pair == pair for s in graph.separators)
            assert count == (1 if u == v or frozenset((u, v)) in adjacent else 0), (graph, u, v)
        cliques = graph.clique_members()  # maximal: no clique inside another
        assert not any(set(a) < set(b) for a in cliques for b in cliques)


# ---------------------------------------------------------------------------------------------- likelihood
def _dirichlet_multinomial(counts: np.ndarray, alpha: float) -> float:
    counts = np.asarray(counts, dtype=float)
    total_alpha = alpha * counts.size
    return float(gammaln(total_alpha) - gammaln(counts.sum() + total_alpha)
                 + np.sum(gammaln(counts + alpha) - gammaln(alpha)))


@pytest.fixture(scope="module")
def three_lists() -> CaptureData:
    # Madigan & York (1997) three-list example, cells (A, B, C)
    table = {(1, 0, 0): 60, (0, 1, 0): 49, (1, 1, 0): 4, (0, 0, 1): 247, (1, 0, 1): 112, (0, 1, 1): 142,
             (1, 1, 1): 12}
    frame = [dict(A=a, B=b, C=c, count=n) for (a, b, c), n in table.items()]
    return CaptureData.from_aggregated(pd.DataFrame(frame), lists=["A", "B", "C"], count="count")


def test_saturated_independence_and_chain_likelihoods(three_lists: CaptureData) -> None:
    """Each graph's log p(y, n0 | G) against a direct computation from its definition (hyper-Dirichlet, δ)."""
    delta, n0 = 0.7, 55
    posterior = graph_posterior(three_lists, delta, max_missing=100)
    full = np.zeros((2, 2, 2))
    for pattern, count in zip(three_lists.patterns, three_lists.counts, strict=True):
        full[tuple(pattern)] = count
    full[0, 0, 0] = n0
    N = full.sum()
    base = gammaln(N + 1) - np.sum(gammaln(full + 1)) - math.log(N)  # multinomial coefficient × prior 1/N
    graphs = decomposable_graphs(3)
    index = {g.edges: i for i, g in enumerate(graphs)}

    def ours(edges: tuple[tuple[int, int], ...]) -> float:
        return float(posterior.graph_log_weights(np.array([index[edges]]), np.array([n0]))[0, 0])

    saturated = _dirichlet_multinomial(full.ravel(), delta)
    independence = sum(_dirichlet_multinomial(full.sum(axis=tuple(k for k in range(3) if k != j)), 4 * delta)
                       for j in range(3))
    # chain A – B – C: p(A, B) ~ Dir(2δ per cell) and p(C | B = b) ~ Dir(2δ, 2δ) independently for b = 0, 1
    chain = _dirichlet_multinomial(full.sum(axis=2).ravel(), 2 * delta) + sum(
        _dirichlet_multinomial(full[:, b, :].sum(axis=0), 2 * delta) for b in range(2))
    assert ours(((0, 1), (0, 2), (1, 2))) == pytest.approx(base + saturated, abs=1e-8)
    assert ours(()) == pytest.approx(base + independence, abs=1e-8)
    assert ours(((0, 1), (1, 2))) == pytest.approx(base + chain, abs=1e-8)
    assert posterior.pmf.sum() == pytest.approx(1.0)
    assert posterior.model_probability.sum() == pytest.approx(1.0)


# ---------------------------------------------------------------------------------------------- R dga reference
@pytest.mark.parametrize(("key", "delta"), [("delta_0.0625", 0.0625), ("delta_1", 1.0)])
def test_kosovo_matches_r_dga(kosovo: CaptureData, key: str, delta: float) -> None:
    reference = dga_reference()[key]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EstimateWarning)
        fit = DecomposableGraphBMA(delta=delta, max_missing=30_000, seed=1).fit(kosovo)
    # the 0..30,000 grid holds the whole posterior (no truncation warning); δ = 1 puts 97.6% on the saturated
    # graph, under which N is the prior's: that is said
    assert [str(w.message).split(";")[0] for w in caught] == (
        [] if delta != 1.0 else ["dga: the saturated model (every list dependent on every other) carries 98% of "
                                 "the posterior"])
    # exact: both are quantiles of the same discrete posterior ("smallest N whose CDF ≥ p")
    assert (fit.estimate, fit.interval.lower, fit.interval.upper) == (
        reference["median"], reference["q025"], reference["q975"])
    # R: the mean on its grid, printed to whole people
    assert fit.details["posterior_mean_grid"] == pytest.approx(reference["mean"], abs=0.5)
    # the model-averaged mean exists only if every graph's tail N^c has c < −2: not for δ = 2^-4 (saturated
    # graph: c = −1 − 15/16), so it is ∞ there (the grid's value grows with the grid), finite for δ = 1
    exists = fit.details["tail_exponent_heaviest"] < -2
    assert exists == (delta == 1.0)
    assert fit.details["posterior_mean"] == (fit.details["posterior_mean_grid"] if exists else math.inf)
    top = fit.details["top_models"][0]
    assert top["probability"] == pytest.approx(TOP_MODEL_WEIGHT[key], abs=0.0005)
    assert fit.interval.kind == "equal-tailed" and fit.estimate_kind == "posterior median"
    assert fit.diagnostics["n_graphs"] == 61 and fit.diagnostics["truncated_mass"] < 1e-6


def test_default_delta_and_automatic_grid(kosovo: CaptureData) -> None:
    fit = DGA(seed=1).fit(kosovo)
    reference = dga_reference()["delta_0.0625"]
    assert fit.details["delta"] == 2.0 ** -4
    assert fit.diagnostics["grid_bound"] == "automatic" and fit.diagnostics["max_missing"] >= 30_000
    # the posterior is exact (no Monte Carlo error): R's dga quantiles to the person
    assert (fit.estimate, fit.interval.lower, fit.interval.upper) == (
        reference["median"], reference["q025"], reference["q975"])
    # the strongly supported graph: every pair but ABA–HRW
    assert set(fit.details["top_models"][0]["edges"]) == {"EXH–ABA", "EXH–OSCE", "EXH–HRW", "ABA–OSCE", "OSCE–HRW"}


def test_list_order_invariance(kosovo: CaptureData) -> None:
    base = graph_posterior(kosovo, 0.0625, 30_000)
    for order in (["HRW", "OSCE", "ABA", "EXH"], ["ABA", "HRW", "EXH", "OSCE"]):
        permuted = graph_posterior(kosovo.select_lists(order), 0.0625, 30_000)
        np.testing.assert_allclose(permuted.pmf, base.pmf, rtol=1e-9, atol=1e-15)
        np.testing.assert_allclose(np.sort(permuted.model_probability), np.sort(base.model_probability),
                                   rtol=1e-9, atol=1e-15)
        a = DGA(max_missing=30_000, seed=0).fit(kosovo.select_lists(order))
        assert (a.estimate, a.interval.lower, a.interval.upper) == (12595, 9827, 16544)


# ---------------------------------------------------------------------------------------------- result
def test_draws_follow_the_exact_posterior(kosovo: CaptureData) -> None:
    """Draws are exact iid samples: their median is within 4 s.e. of the exact one (s.e. = 1 / (2 f(m) √n))."""
    fit = DGA(max_missing=30_000, chains=4, draws=1000, seed=11).fit(kosovo)
    draws = fit.draws()
    assert draws.shape == (4, 1000) and draws.min() >= kosovo.observed
    pmf = np.asarray(fit.details["pmf"])
    values = fit.details["pmf_first_N"] + np.arange(pmf.size)
    density = pmf[values == fit.estimate][0]
    se = 1.0 / (2.0 * density * math.sqrt(draws.size))
    assert abs(np.median(draws) - fit.estimate) < 4 * se
    graphs = np.asarray(fit.posterior.posterior["graph"].values)
    top = fit.details["top_models"][0]
    share = np.mean(graphs == top["graph"])
    assert abs(share - top["probability"]) < 4 * math.sqrt(top["probability"] * (1 - top["probability"]) / graphs.size)
    again = DGA(max_missing=30_000, chains=4, draws=1000, seed=11).fit(kosovo)
    np.testing.assert_array_equal(again.draws(), draws)


def test_intervals_from_the_pmf(kosovo: CaptureData) -> None:
    fit = DGA(delta=1.0, max_missing=30_000, interval="hdi", seed=0).fit(kosovo)
    pmf = np.asarray(fit.details["pmf"])
    values = fit.details["pmf_first_N"] + np.arange(pmf.size)
    assert fit.interval.kind == "hdi"
    inside = (values >= fit.interval.lower) & (values <= fit.interval.upper)
    assert pmf[inside].sum() >= 0.95 - 1e-9
    lower, upper = fit.details["interval_equal_tailed"]
    assert fit.interval.upper - fit.interval.lower <= upper - lower
    # the stored pmf survives JSON and gives the same intervals
    restored = Result.from_json(fit.to_json())
    assert credible_interval(restored, 0.95, "hdi") == fit.interval
    equal_tailed = credible_interval(restored, 0.95, "equal-tailed")
    assert (equal_tailed.lower, equal_tailed.upper) == (lower, upper) == (4407, 6844)
    assert pmf_quantile(values, pmf, 0.5) == fit.estimate


def test_a_posterior_dominated_by_the_saturated_graph_is_flagged(kosovo: CaptureData) -> None:
    """Kosovo's counts × 100: the data reject every simpler graph, the saturated one takes ≈ 100% and the median
    of N sat 7 above the documented count with nothing said (under that graph the unobserved cell is the prior's)."""
    scaled = CaptureData(kosovo.patterns, kosovo.counts * 100, list(kosovo.lists))
    with pytest.warns(EstimateWarning, match=r"saturated model .* carries 100% .* the prior's \(δ = 0.0625\)"):
        fit = DGA(seed=1).fit(scaled)
    assert fit.estimate < scaled.observed + 100  # the model's answer, unchanged: the warning says what it means


def test_mass_beyond_a_grid_that_cuts_a_peak_is_integrated_not_guessed_from_a_power_law() -> None:
    """B and C independent put a sharp peak at n0 ≈ 10⁶; a grid ending on it counted the peak's far side as a
    power-law tail (98% "beyond" where 21% is), so both ends of the interval read ∞.  Checked against the exact
    sum of the joint posterior over every n0 up to 3·10⁶ (and the integral beyond)."""
    data = CaptureData(np.array([[1, 1, 1], [0, 1, 0], [0, 0, 1], [0, 1, 1]]), np.array([1, 10**5, 10**5, 10**4]),
                       ["A", "B", "C"])
    with pytest.warns(EstimateWarning, match="about 0.21 of the posterior mass of N lies beyond"):
        fit = DGA(max_missing=1_000_000, seed=1, draws=50).fit(data)
    terms = dga._MarginalTerms.build(dga._table_by_mask(data), 3, 1 / 8)
    coefficients = dga.clique_separator_coefficients(3).astype(float)
    n0 = np.arange(0, 3_000_001, dtype=float)
    log_pmf = logsumexp(coefficients @ terms.terms(n0) + terms.base(n0)[None, :], axis=0)
    far = dga._log_tail_integrated(terms, coefficients, dga._tail_exponents(coefficients, terms),
                                          3_000_000.0)
    exact = math.exp(np.logaddexp(logsumexp(log_pmf[1_000_001:]), far) - np.logaddexp(logsumexp(log_pmf), far))
    assert fit.diagnostics["truncated_mass"] == pytest.approx(exact, rel=1e-4)
    assert fit.estimate_kind == "posterior median" and math.isfinite(fit.estimate)
    assert math.isfinite(fit.interval.lower) and fit.interval.upper == math.inf
    # more than half beyond the grid: the median and the lower end are the grid's end, a lower bound (not ∞)
    with pytest.warns(EstimateWarning, match="the median is only a lower bound"):
        short = DGA(max_missing=30_000, seed=1, draws=50).fit(data)
    assert 0.5 < short.diagnostics["truncated_mass"] < 1.0
    assert (short.estimate_kind, short.estimate, short.interval.upper) == ("lower bound", 240_001.0, math.inf)


def test_truncation_warning(kosovo: CaptureData) -> None:
    with pytest.warns(EstimateWarning, match="beyond the grid"):
        fit = DGA(max_missing=5_000, seed=0).fit(kosovo)
    assert fit.diagnostics["truncated_mass"] > 1e-4


def test_a_truncated_grid_does_not_give_a_finite_upper_end(kosovo: CaptureData) -> None:
    """With about 20% of the posterior beyond n0 = 10,000 the interval ended at 14,232, inside the grid; the
    upper end is now ∞ (beyond the grid) and the median is the grid's 0.5 / (1 − tail) quantile, nearer the
    whole posterior's (12,595 on the 0…30,000 grid, which holds all but 1e-8 of it) than the truncated grid's."""
    with pytest.warns(EstimateWarning, match="beyond the grid"):
        fit = DGA(max_missing=10_000, seed=0).fit(kosovo)
    tail = fit.diagnostics["truncated_mass"]
    assert 0.025 < tail < 0.5
    assert fit.interval.upper == math.inf and fit.details["interval_hdi"][1] == math.inf
    full = 12_595
    values = np.arange(fit.details["pmf_first_N"], fit.details["pmf_first_N"] + len(fit.details["pmf"]))
    truncated_median = pmf_quantile(values, np.asarray(fit.details["pmf"]), 0.5)
    assert abs(fit.estimate - full) < abs(truncated_median - full)
    assert credible_interval(fit).upper == math.inf
    # a graph whose tail decays no faster than N^-2 has no mean (its grid mean grew with the grid)
    for model in fit.details["top_models"]:
        assert math.isfinite(model["posterior_mean"]) or model["posterior_mean"] == math.inf
    assert any(model["posterior_mean"] == math.inf for model in fit.details["top_models"])


def test_not_applicable_and_bad_parameters(kosovo: CaptureData) -> None:
    six = estimate.datasets.load("uk_modern_slavery_2013")
    with pytest.raises(NotApplicable, match="at most 5 lists"):
        DGA().fit(six)
    with pytest.raises(NotApplicable, match="3"):
        DGA().fit(kosovo.select_lists(["EXH", "ABA"]))
    for params, message in (({"delta": 0}, "delta"), ({"delta": -1.0}, "delta"), ({"max_missing": 0}, "max_missing"),
                            ({"interval": "central"}, "interval"), ({"level": 1.5}, "level")):
        with pytest.raises(ValueError, match=message):
            DGA(**params).fit(kosovo)


def test_registered_with_preset(kosovo: CaptureData) -> None:
    assert estimate.estimators.get_estimator_class("dga") is DecomposableGraphBMA
    estimator = estimate.make_estimator(model="dga-default", seed=2)
    assert isinstance(estimator, DecomposableGraphBMA) and estimator.delta is None
    fit = estimator.fit(kosovo.select_lists(["ABA", "OSCE", "HRW"]))
    assert fit.details["delta"] == 0.125 and fit.diagnostics["n_graphs"] == 8
    assert fit.observed < fit.estimate < fit.interval.upper


def test_tail_estimate_survives_rounding_near_a_hundred_million() -> None:
    """The tail beyond the grid was extrapolated from two neighbouring log-weights; near N = 1e8 (log-weights
    ~1e9) their difference is rounding noise, gave a rising tail and an 'unbounded' grid for a million people."""
    rows = [(1, 0, 0, 5_000_000), (0, 1, 0, 2_000_000), (0, 0, 1, 1_500_000), (1, 1, 0, 600_000),
            (1, 0, 1, 400_000), (0, 1, 1, 300_000), (1, 1, 1, 200_000)]
    data = CaptureData.from_aggregated(pd.DataFrame(rows, columns=["A", "B", "C", "count"]))
    posterior = dga.graph_posterior(data, 1 / 8, max_missing=10)
    graphs = np.arange(posterior.coefficients.shape[0])
    n0 = np.arange(1e8 - 4095, 1e8 + 1)
    exponents = posterior.coefficients @ posterior.terms.exponent + posterior.terms.n - 1.0
    log_tail = dga._log_tail(posterior.graph_log_weights(graphs, n0), float(n0[-1]), posterior.terms, exponents)
    assert math.isfinite(log_tail)


def test_other_levels_and_kinds_come_from_the_exact_pmf_and_moments_say_when_they_do_not_exist(
        kosovo: CaptureData) -> None:
    """credible_interval() used the Monte Carlo draws (95% → [9,829, 16,493] against the exact [9,827, 16,544]; HDI
    off by ~100); std_error was the sd of the grid-truncated posterior, which grows with the grid bound."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = DecomposableGraphBMA(max_missing=30_000, seed=1, draws=200).fit(kosovo)
    assert fit.credible_interval(0.95) == fit.interval
    hdi = fit.credible_interval(0.95, "hdi")
    assert [hdi.lower, hdi.upper] == fit.details["interval_hdi"]
    assert fit.std_error == math.inf and math.isfinite(fit.details["posterior_sd_grid"])


def test_the_automatic_grid_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The automatic grid ran to 100 n: at n ≈ 10^6 minutes and gigabytes, at 10^15 it never finished."""
    monkeypatch.setattr(dga, "AUTO_MAX_GRID", 20_000)
    patterns = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1]])
    data = CaptureData(patterns, np.array([40, 30, 20, 10, 7, 5]) * 10**4, ["A", "B", "C"])
    with pytest.warns(EstimateWarning, match=r"n0 at least 10,000, at most 20,000"):
        fit = DecomposableGraphBMA(seed=1, draws=50).fit(data)
    assert fit.diagnostics["max_missing"] <= 20_000


def test_tail_estimate_does_not_depend_on_where_the_last_chunk_ends(kosovo: CaptureData) -> None:
    """A last chunk of one grid point lost the local slope: 65,536 gave "about 0.27" beyond the grid where
    65,535 and 65,537 gave an unbounded share."""
    scaled = CaptureData(kosovo.patterns, kosovo.counts * 10, list(kosovo.lists))
    tails = [graph_posterior(scaled, 1 / 16, bound).tail_mass for bound in (65_535, 65_536, 65_537)]
    # one grid point more moves the mass beyond by that point's share only (the pmf there is ≈ 1e-9 per point)
    assert tails[0] >= tails[1] >= tails[2] and tails[0] == pytest.approx(tails[2], rel=1e-6)


def test_parameters_accept_numpy_numbers_and_refuse_booleans() -> None:
    import numpy as np

    from estimate.estimators.dga import DecomposableGraphBMA
    from estimate.estimators.loglinear import LogLinear

    for bad in ({"delta": True}, {"top_models": True}, {"max_missing": True}):
        with pytest.raises(ValueError, match="must be"):
            DecomposableGraphBMA(**bad).check_params()  # delta=True was read as 1.0
    DecomposableGraphBMA(delta=np.float32(0.5), top_models=np.int64(3), max_missing=np.int64(100)).check_params()
    LogLinear(screen=np.int64(3)).check_params()  # was refused
    with pytest.raises(ValueError, match="screen"):
        LogLinear(screen=True).check_params()


def test_fit_many_without_seeds_gives_each_problem_its_own_stream_and_an_unbounded_tail_is_a_lower_bound(
        kosovo: CaptureData) -> None:
    first, second = DecomposableGraphBMA(seed=3, draws=50).fit_many([kosovo, kosovo])
    assert not np.array_equal(first.draws(), second.draws())
    assert second.details["seed"] == {"entropy": 3, "spawn_key": [1]}
    with pytest.warns(EstimateWarning, match="only a lower bound"):
        cut = DecomposableGraphBMA(max_missing=3_000, seed=1, draws=50).fit(kosovo)
    assert cut.estimate_kind == "lower bound" and cut.interval.upper == math.inf


def test_posterior_seed_attribute_is_json_for_spawned_seeds(kosovo) -> None:
    """A spawned seed was written as Python's repr ("{'entropy': 1, ...}"), which json.loads rejects."""
    import json

    result = DGA(seed=1).fit_many([kosovo])[0]
    assert json.loads(result.posterior.posterior.attrs["seed"]) == {"entropy": 1, "spawn_key": [0]}


def test_model_probabilities_never_exceed_one() -> None:
    """A data set whose posterior sits on one graph reported its probability as 1.0000000000000284."""
    from estimate.estimators.dga import graph_posterior

    rng = np.random.default_rng(5)
    patterns: set[tuple[int, ...]] = set()
    while len(patterns) < 20:
        row = tuple(int(v) for v in rng.integers(0, 2, 5))
        if sum(row):
            patterns.add(row)
    data = CaptureData(list(patterns), rng.integers(1, 40, 20), list("ABCDE"))  # (set order: deterministic)
    probability = graph_posterior(data, 2.0**-5).model_probability
    assert probability.max() <= 1.0 and probability.sum() == pytest.approx(1.0, abs=1e-12)


def test_a_posterior_beyond_the_automatic_grid_is_refused_at_once() -> None:
    """About 10^7 missing people: the automatic grid (capped at 10^7 values of n0) took minutes and then reported
    the observed count, [n, ∞], as the estimate; a coarse probe now says at once that it cannot reach."""
    p = 0.3
    patterns = np.array([x for x in itertools.product([0, 1], repeat=3) if any(x)])
    expected = 30_000_000 * np.prod(np.where(patterns == 1, p, 1 - p), axis=1)
    data = CaptureData(patterns, np.round(expected).astype(np.int64), ["A", "B", "C"])
    missing = 30_000_000 - int(data.counts.sum())  # 10,290,000
    with pytest.raises(NotApplicable, match=r"median of n0 lies about 10,\d{3},\d{3} .*max_missing of at least about"):
        DecomposableGraphBMA(seed=1).fit(data)
    assert missing > dga.AUTO_MAX_GRID
    # a heavier tail: the grid that would reach it is not suggested (following "about 400,000,000" took 19 GB
    # before it was stopped), the cost is named instead
    heavy = CaptureData(np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 1]]),
                        np.array([1, 10**6, 10**6, 10**5]), ["A", "B", "C"])
    with pytest.raises(NotApplicable, match=r"would take max_missing of about 400,000,000, which needs about 40 GB"
                                            r" of memory and 40 minutes; use a method whose cost does not grow"):
        DecomposableGraphBMA(seed=1).fit(heavy)


def test_the_coarse_probe_agrees_with_the_exact_grid(kosovo: CaptureData) -> None:
    """The probe's quantiles of n0 (geometric grid, trapezoid rule) against the exact pmf on Kosovo × 10."""
    scaled = CaptureData(kosovo.patterns, kosovo.counts * 10, list(kosovo.lists))
    posterior = graph_posterior(scaled, 1 / 16)
    exact = pmf_quantile(np.arange(posterior.pmf.size), posterior.pmf, [0.5, 0.975])
    exponents = dga._tail_exponents(posterior.coefficients, posterior.terms)
    probed = dga._probe_missing_quantiles(posterior.terms, posterior.coefficients, exponents, np.array([0.5, 0.975]))
    np.testing.assert_allclose(probed, exact, rtol=0.01)


def test_dga_takes_hdi_in_any_case(kosovo: CaptureData) -> None:
    """DGA(interval="HDI") was refused at fit, and credible_interval(0.9, "HDI") raised ValueError."""
    result = estimate.make_estimator("dga", interval="HDI").fit(kosovo)
    assert result.interval.kind == "hdi"
    assert result.credible_interval(0.9, "HDI") == result.credible_interval(0.9, "hdi")


def test_dga_credible_interval_refuses_a_bad_level_naming_it(kosovo: CaptureData) -> None:
    """dga's own credible_interval raised a bare TypeError for level "0.9" and a plain ValueError for 1.5."""
    result = estimate.make_estimator("dga").fit(kosovo)
    for level in ("0.9", 1.5):
        with pytest.raises(estimate.DataError, match=f"level must be between 0 and 1, got {level!r}"):
            result.credible_interval(level)


def test_hdi_at_small_levels_is_the_mode_not_an_inverted_or_low_interval(kosovo: CaptureData) -> None:
    """Below a level of 1e-12 the shortest-interval search gave an end before its start (an "Interval: lower must
    not exceed upper" error, every stratum of a stratified run not estimable); at 1e-6 a one-point "HDI" at the
    lowest N holding the level, not at the mode (an audit's find)."""
    values = np.arange(100, 110)
    pmf = np.array([1, 2, 3, 5, 9, 6, 4, 2, 1, 1], dtype=float)
    for level in (1e-13, 1e-6, 0.05):
        assert dga.pmf_hdi(values, pmf, level) == (104.0, 104.0)
    assert dga.pmf_hdi(values, pmf, 0.999) == (100.0, 109.0)
    fit = estimate.make_estimator("dga", seed=1).fit(kosovo)
    mode = fit.details["pmf_first_N"] + int(np.argmax(fit.details["pmf"]))  # 12,267 (the audit's 1e-6 gave 7,046)
    for level in (1e-13, 1e-6, 1e-4):
        interval = fit.credible_interval(level, kind="hdi")
        assert interval.lower == interval.upper == mode
