"""Tests of estimate.simulate (populations of known size) and the ``estimate simulate`` command.

Statistical checks use fixed seeds and tolerances from the exact Monte Carlo spread: every count checked below is
Binomial(N, q) for a q the design determines, so it is compared with N·q within Z standard deviations
sqrt(N q (1 − q)).  Z = 4.5 keeps the chance of a false failure below 1e-4 over all the checks in this file.
"""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

import estimate
from estimate import simulate
from estimate.cli import app
from estimate.data import CaptureData
from estimate.errors import DataError

Z = 4.5


def within_binomial(count: float, N: int, q: float) -> bool:
    return abs(count - N * q) <= Z * math.sqrt(N * q * (1 - q)) + 1e-9


def pair_overlap(data: CaptureData, i: int, j: int) -> int:
    both = (data.patterns[:, i] == 1) & (data.patterns[:, j] == 1)
    return int(data.counts[both].sum())


# ------------------------------------------------------------------------------------------- determinism
@pytest.mark.parametrize("name", simulate.scenario_names())
def test_same_seed_same_data_other_seed_other_data(name: str) -> None:
    a = simulate.scenario(name, N=600, seed=11)
    b = simulate.scenario(name, N=600, seed=11)
    c = simulate.scenario(name, N=600, seed=12)
    assert a.data.content_hash() == b.data.content_hash()
    assert a.truth() == b.truth()
    assert a.data.content_hash() != c.data.content_hash()


def test_seed_sequence_and_int_agree() -> None:
    a = simulate.scenario("three-class", seed=5)
    b = simulate.scenario("three-class", seed=np.random.SeedSequence(5))
    assert a.data.content_hash() == b.data.content_hash()
    assert a.seed == {"entropy": 5, "spawn_key": []}
    # a Generator is refused as every fit refuses it (simulate raised TypeError, the fits ValueError)
    with pytest.raises(ValueError, match=r"simulate: seed must be .* the integer or SeedSequence the Generator"):
        simulate.scenario("three-class", seed=np.random.default_rng(5))


# ------------------------------------------------------------------------------------------- truth
@pytest.mark.parametrize("name", simulate.scenario_names())
def test_truth_fields_and_observed_rows(name: str) -> None:
    info = simulate.scenario_info(name)
    sim = simulate.scenario(name, seed=3)
    truth = sim.truth()
    assert set(truth) == {"N", "N_by_stratum", "observed", "design", "params", "seed"}
    assert truth["N"] == info["default_N"] == sim.N
    assert truth["design"] == name and truth["params"]["scenario"] == name
    assert json.loads(json.dumps(truth)) == truth  # JSON-ready
    # the people observed are exactly the record rows, each on at least one list
    records = sim.records()
    assert len(records) == sim.observed == int(sim.data.counts.sum()) == truth["observed"]
    assert (records[list(sim.data.lists)].sum(axis=1) > 0).all()
    assert sim.observed + sim.unobserved == sim.N
    assert 0 < sim.observed < sim.N


def test_scenario_default_sizes_and_lists() -> None:
    expected_lists = {"independent": 4, "mv2016-two-class": 5, "three-class": 5, "five-class": 5,
                      "positive-dependence": 4, "negative-dependence": 4, "sparse": 5, "many-lists": 12,
                      "strata": 4}
    assert set(simulate.scenario_names()) == set(expected_lists)
    for name, J in expected_lists.items():
        assert simulate.scenario(name, N=3000, seed=1).data.n_lists == J


def test_mv2016_parameters_are_the_papers() -> None:
    sim = simulate.scenario("mv2016-two-class", seed=1)
    assert sim.params["class_weights"] == [0.9, 0.1]
    assert sim.params["capture_probs"] == [[0.033, 0.033, 0.099, 0.132, 0.033], [0.660, 0.825, 0.759, 0.990, 0.693]]
    assert sum(sim.params["class_sizes"]) == 2000


def test_bad_inputs_raise_data_error() -> None:
    with pytest.raises(DataError, match="unknown scenario"):
        simulate.scenario("no-such-design")
    with pytest.raises(DataError, match="positive whole number"):
        simulate.scenario("independent", N=0)
    with pytest.raises(DataError, match="class_weights"):
        simulate.latent_class(100, [[0.2, 0.3], [0.4, 0.5]], [0.5, 0.6])
    with pytest.raises(DataError, match="source list must come before"):
        simulate.dependent(100, [0.2, 0.3, 0.4], {("C", "A"): 2.0})


# ------------------------------------------------------------------------------------------- frequencies
def test_independent_list_sizes_overlaps_and_missed_match_design() -> None:
    p = np.array([0.30, 0.20, 0.25, 0.15])
    N = 20_000
    sim = simulate.independent(N, p, seed=2024)
    sizes = sim.data.list_sizes.to_numpy()
    for j in range(4):  # each list documents Binomial(N, p_j) people
        assert within_binomial(sizes[j], N, p[j]), (j, sizes[j], N * p[j])
    for i in range(4):
        for j in range(i + 1, 4):  # independent lists: Binomial(N, p_i p_j) on both
            assert within_binomial(pair_overlap(sim.data, i, j), N, p[i] * p[j])
    assert within_binomial(sim.unobserved, N, float(np.prod(1 - p)))
    assert math.isclose(sim.params["p_missed"], float(np.prod(1 - p)))


def test_latent_class_marginals_and_induced_dependence_match_design() -> None:
    w = np.array([0.6, 0.4])
    probs = np.array([[0.05, 0.10, 0.08], [0.50, 0.40, 0.60]])
    N = 30_000
    sim = simulate.latent_class(N, probs, w, seed=77)
    sizes = sim.data.list_sizes.to_numpy()
    marginal = w @ probs
    np.testing.assert_allclose(sim.params["marginal_capture_probs"], marginal)
    for j in range(3):
        assert within_binomial(sizes[j], N, marginal[j])
    for i in range(3):
        for j in range(i + 1, 3):
            q = float(np.sum(w * probs[:, i] * probs[:, j]))  # Σ_c w_c p_ci p_cj
            assert within_binomial(pair_overlap(sim.data, i, j), N, q)
            assert q > marginal[i] * marginal[j]  # heterogeneity shows as positive apparent dependence
    assert within_binomial(sim.unobserved, N, sim.params["p_missed"])
    assert within_binomial(sim.params["class_sizes"][0], N, w[0])


@pytest.mark.parametrize("ratio", [5.0, 0.2])
def test_dependent_lists_shift_the_overlap_by_the_odds_ratio(ratio: float) -> None:
    base = [0.25, 0.20, 0.30]
    N = 30_000
    sim = simulate.dependent(N, base, {("A", "B"): ratio}, seed=9)
    odds = base[1] / (1 - base[1]) * ratio
    p_b_given_a = odds / (1 + odds)
    assert within_binomial(pair_overlap(sim.data, 0, 1), N, base[0] * p_b_given_a)
    assert within_binomial(pair_overlap(sim.data, 0, 2), N, base[0] * base[2])  # C untouched
    sizes = sim.data.list_sizes.to_numpy()
    assert within_binomial(sizes[1], N, base[0] * p_b_given_a + (1 - base[0]) * base[1])


# ------------------------------------------------------------------------------------------- strata
def test_stratified_scenario_sizes_and_labels() -> None:
    sim = simulate.scenario("strata", N=4000, seed=4)
    assert sim.N_by_stratum == {"S1": 200, "S2": 600, "S3": 1200, "S4": 2000}
    assert sum(sim.N_by_stratum.values()) == sim.N == 4000
    parts = sim.data.by("stratum")
    assert set(parts) == set(sim.N_by_stratum)
    for label, part in parts.items():
        assert 0 < part.observed <= sim.N_by_stratum[label]
        assert math.isclose(sim.params["strata"][label]["N"], sim.N_by_stratum[label])
    assert sum(p.observed for p in parts.values()) == sim.observed
    # catchability falls with stratum size, so the observed fraction does too
    fractions = [parts[s].observed / sim.N_by_stratum[s] for s in ("S1", "S2", "S3", "S4")]
    assert fractions == sorted(fractions, reverse=True)


def test_a_strata_draws_do_not_depend_on_the_other_strata() -> None:
    probs = [0.3, 0.4, 0.5]
    both = simulate.stratified({"a": 500, "b": 800}, probs, seed=21)
    alone = simulate.stratified({"a": 500}, probs, seed=21)
    assert both.data.by("stratum")["a"].content_hash() == alone.data.by("stratum")["a"].content_hash()


def test_dependent_lists_record_the_designed_share_on_no_list() -> None:
    p = [0.3, 0.2, 0.4]
    sim = simulate.dependent(200_000, p, {(0, 1): 4.0, (1, 2): 0.3}, seed=8)
    expected = 0.7 * 0.8 * 0.6  # dependence acts only on people already on a list
    assert sim.params["p_missed"] == pytest.approx(expected)
    missed = 1 - sim.observed / sim.N  # binomial MCSE ≈ 0.0011: 5 of them
    assert abs(missed - expected) < 5 * math.sqrt(expected * (1 - expected) / sim.N)


def test_strata_keyed_by_numbers_and_mappings_that_do_not_fit() -> None:
    # keys 1, 2 (not text) raised KeyError: the labels became "1", "2" before capture_probs was looked up
    probs = {1: [0.3, 0.4, 0.5], 2: [0.5, 0.4, 0.3]}
    sim = simulate.stratified({1: 300, 2: 400}, probs, class_weights={2: [1.0]}, seed=4)
    assert sim.N_by_stratum == {"1": 300, "2": 400}
    assert sim.params["strata"]["2"]["capture_probs"] == [[0.5, 0.4, 0.3]]
    with pytest.raises(DataError, match="no capture probabilities for \\['2'\\]"):
        simulate.stratified({1: 300, 2: 400}, {1: [0.3, 0.4, 0.5]}, seed=4)
    with pytest.raises(DataError, match="keyed by strata that sizes does not have"):
        simulate.stratified({1: 300}, [0.3, 0.4, 0.5], class_weights={3: [1.0]}, seed=4)
    with pytest.raises(DataError, match="must differ as text"):
        simulate.stratified({1: 300, "1": 400}, [0.3, 0.4, 0.5], seed=4)


# ------------------------------------------------------------------------------------------- CLI
runner = CliRunner()


def test_cli_lists_scenarios() -> None:
    out = runner.invoke(app, ["simulate", "--list"])
    assert out.exit_code == 0
    for name in simulate.scenario_names():
        assert name in out.output


@pytest.mark.parametrize("fmt", ["records", "aggregated"])
def test_cli_simulate_then_fit_round_trip(tmp_path, fmt: str) -> None:
    csv, truth_file = tmp_path / "sim.csv", tmp_path / "truth.json"
    out = runner.invoke(app, ["simulate", "independent", "--N", "3000", "--seed", "8", "--format", fmt,
                              "--output", str(csv), "--truth", str(truth_file)])
    assert out.exit_code == 0, out.output
    truth = json.loads(truth_file.read_text())
    expected = simulate.scenario("independent", N=3000, seed=8)
    assert truth == expected.truth()
    assert CaptureData.read(csv).content_hash() == expected.data.content_hash()
    fitted = runner.invoke(app, ["fit", str(csv), "--method", "mt", "--format", "json"])
    assert fitted.exit_code == 0, fitted.output
    result = json.loads(fitted.stdout)
    assert result["observed"] == truth["observed"]
    # M_t is the true model here: its 95% interval should hold N = 3,000 (checked for this fixed seed)
    assert result["interval"]["lower"] <= truth["N"] <= result["interval"]["upper"]


def test_cli_stratified_output_fits_by_stratum(tmp_path) -> None:
    csv = tmp_path / "strata.csv"
    out = runner.invoke(app, ["simulate", "strata", "--seed", "1", "--output", str(csv)])
    assert out.exit_code == 0, out.output
    fitted = runner.invoke(app, ["fit", str(csv), "--method", "mt", "--strata", "stratum", "--format", "csv"])
    assert fitted.exit_code == 0, fitted.output
    assert all(label in fitted.stdout for label in ("S1", "S2", "S3", "S4"))


def test_cli_stdout_and_errors() -> None:
    out = runner.invoke(app, ["simulate", "sparse", "--N", "2000", "--seed", "1"])
    assert out.exit_code == 0
    header = out.stdout.splitlines()[0]
    assert header == "A,B,C,D,E"
    assert len(out.stdout.strip().splitlines()) - 1 == simulate.scenario("sparse", N=2000, seed=1).observed
    bad = runner.invoke(app, ["simulate", "nope"])
    assert bad.exit_code == 2 and "unknown scenario" in bad.output
    bad = runner.invoke(app, ["simulate", "independent", "--format", "xml"])
    assert bad.exit_code == 2 and "--format" in bad.output
    missing = runner.invoke(app, ["simulate"])
    assert missing.exit_code == 2


def test_seed_sequence_with_list_entropy_is_recorded_and_repeats() -> None:
    # SeedSequence([1, 2]) has list entropy; recording it used to raise a TypeError from int()
    a = simulate.independent(300, [0.3, 0.3, 0.3], seed=np.random.SeedSequence([1, 2]))
    assert a.seed == {"entropy": [1, 2], "spawn_key": []}
    b = simulate.independent(300, [0.3, 0.3, 0.3], seed=np.random.SeedSequence(a.seed["entropy"]))
    assert a.data.content_hash() == b.data.content_hash()


def test_dependent_design_records_the_design_marginals_not_one_population_s() -> None:
    """marginal_capture_probs of a dependent design were the rates of the one population drawn (they moved with
    the seed); they are now the design's, which the list sizes of a large population match."""
    design = ([0.25, 0.3, 0.2, 0.35], {("A", "B"): 5.0, ("A", "C"): 0.2, ("B", "D"): 3.0})
    a = simulate.dependent(40_000, *design, seed=1)
    b = simulate.dependent(40_000, *design, seed=2)
    assert a.params["marginal_capture_probs"] == b.params["marginal_capture_probs"]
    marginal = np.array(a.params["marginal_capture_probs"])
    # C: baseline 0.2, odds × 0.2 for the quarter on A
    assert marginal[0] == pytest.approx(0.25)
    assert marginal[2] == pytest.approx(0.75 * 0.2 + 0.25 * (0.2 * 0.2 / (0.8 + 0.2 * 0.2)))
    for j, size in enumerate(a.data.list_sizes.to_numpy()):
        assert within_binomial(size, 40_000, marginal[j])


def test_strata_whose_labels_share_a_crc32_get_their_own_streams_and_bad_designs_are_data_errors() -> None:
    sim = simulate.stratified({"plumless": 500, "buckeroo": 500}, [0.3, 0.3, 0.3], seed=1)  # same CRC-32
    table = sim.data.pattern_table(include_strata=True)
    first, second = (table[table["stratum"] == s].drop(columns="stratum").reset_index(drop=True)
                     for s in ("plumless", "buckeroo"))
    assert not first.equals(second)
    alone = simulate.stratified({"x": 500}, [0.3, 0.3, 0.3], seed=1)
    both = simulate.stratified({"x": 500, "plumless": 500}, [0.3, 0.3, 0.3], seed=1)
    assert both.data.by("stratum")["x"].content_hash() == alone.data.by("stratum")["x"].content_hash()
    with pytest.warns(estimate.UninformativeDataWarning, match=r"nobody in stratum\(s\) \['b'\]"):
        simulate.stratified({"a": 1000, "b": 2}, [0.05, 0.05], seed=1)
    for bad in (lambda: simulate.independent(float("nan"), [0.3, 0.3]),
                lambda: simulate.independent(float("inf"), [0.3, 0.3]),
                lambda: simulate.dependent(100, [0.3, 0.3], {("A", "Z"): 2}),
                lambda: simulate.dependent(100, [0.3, 0.3], {(0.7, 1): 2}),
                lambda: simulate.dependent(100, [0.3, 0.3], {(0, 1): "2"}),
                lambda: simulate.latent_class(100, [[0.3, 0.3], [0.2]], [0.5, 0.5]),
                lambda: simulate.latent_class(100, [[0.3, 0.3], [0.2, 0.2]], [[0.5, 0.5]]),
                lambda: simulate.stratified([10, 20], [0.3, 0.3])):
        with pytest.raises(estimate.DataError):
            bad()


def test_a_populations_seed_record_draws_it_again() -> None:
    """SimulatedPopulation.seed is documented as enough to draw the same data again; passing it raised."""
    from estimate import simulate

    for name in ("independent", "strata"):
        sim = simulate.scenario(name, seed=3)
        again = simulate.scenario(name, seed=sim.seed)
        assert again.seed == sim.seed and again.N == sim.N
        assert again.data.pattern_table(include_strata=True).equals(sim.data.pattern_table(include_strata=True))


def test_a_population_seed_with_another_pool_size_is_recorded_with_it() -> None:
    seed = np.random.SeedSequence(7, pool_size=8)
    population = estimate.simulate.scenario("independent", seed=seed)
    assert population.seed["pool_size"] == 8
    again = estimate.simulate.scenario("independent", seed=population.seed)
    assert again.data.content_hash() == population.data.content_hash()


def test_malformed_designs_raise_data_errors_that_name_the_problem() -> None:
    """Raw TypeError/ValueError/AttributeError came from deep inside, an out-of-range position was blamed on list
    order, and the same pair given by name and by position silently multiplied its odds ratios."""
    three = [0.3, 0.3, 0.3]
    for bad, words in ((lambda: simulate.dependent(100, three, {(0, 7): 2}), "no list at position 7"),
                       (lambda: simulate.dependent(100, three, {(-1, 2): 2}), "no list at position -1"),
                       (lambda: simulate.dependent(100, three, {(0, 1): 2, ("A", "B"): 3}), "pair .* twice"),
                       (lambda: simulate.dependent(100, three, {0: 2}), "keys are \\(source, target\\) pairs"),
                       (lambda: simulate.dependent(100, three, {(0, 1, 2): 2}), "keys are"),
                       (lambda: simulate.dependent(100, three, [(0, 1)]), "must map"),
                       (lambda: simulate.dependent(100, "abc", {}), "capture_probs must be numbers"),
                       (lambda: simulate.independent(100, "abc"), "capture_probs must be numbers"),
                       (lambda: simulate.independent(100, [0.3, [0.3]]), "capture_probs must be numbers")):
        with pytest.raises(DataError, match=words):
            bad()


def test_strata_draw_from_the_seed_sequences_own_pool_size() -> None:
    """The strata's child sequences dropped the pool size: SeedSequence(7, pool_size=8) drew the same strata as
    SeedSequence(7) while its record said otherwise."""
    sizes = {"north": 300, "south": 200}
    default = simulate.stratified(sizes, [0.3, 0.4], seed=np.random.SeedSequence(7))
    other = simulate.stratified(sizes, [0.3, 0.4], seed=np.random.SeedSequence(7, pool_size=8))
    assert other.seed["pool_size"] == 8
    assert default.data.content_hash() != other.data.content_hash()
    again = simulate.stratified(sizes, [0.3, 0.4], seed=other.seed)
    assert again.data.content_hash() == other.data.content_hash()


def test_no_overlap_warning_is_uninformative_data_and_points_at_the_caller() -> None:
    """As every other 'the data cannot tell' warning: an UninformativeDataWarning, reported at the user's line
    (it pointed inside simulate.py when reached through independent())."""
    for seed in range(50):  # a seed whose lists all document someone and never overlap
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            estimate.simulate.independent(60, [0.03, 0.03, 0.03], seed=seed)
        if caught and all("no person in the simulated data" in str(w.message) for w in caught):
            break
    else:
        pytest.fail("no seed gave lists without overlaps")
    [warning] = caught
    assert issubclass(warning.category, estimate.UninformativeDataWarning)
    assert warning.filename == __file__
