"""``estimate reproduce``: every registered method round-trips fit → JSON → re-fit with identical numbers."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import estimate
from estimate import provenance
from estimate.cli import app
from estimate.reproduce import reproduce

# short test chains do not converge and wide posteriors hit grid ends: expected here, not under test
pytestmark = pytest.mark.filterwarnings("ignore::estimate.errors.EstimateWarning")

SLOW_METHODS = {"bayes-loglinear", "pymc-lcmcr"}
TWO_LIST_METHODS = {"lincoln-petersen", "chapman"}
#: Fast sampler settings, given as preset files so the CLI runs them (and records the preset text).
FAST_PRESETS = {
    "lcmcr": "[model]\nK = 5\n[sampler]\nchains = 2\nburn_in = 500\ndraws = 200\nthinning = 2\n",
    "bayes-loglinear": "[model]\nterms = \"independence\"\n[sampler]\nchains = 2\ntune = 200\ndraws = 200\n",
    "pymc-lcmcr": "[model]\nK = 2\n[sampler]\nchains = 2\ntune = 200\ndraws = 200\n",
}


def _method_params() -> list:
    return [pytest.param(m, marks=pytest.mark.slow) if m in SLOW_METHODS else m for m in estimate.method_names()]


def test_every_registered_method_is_covered() -> None:
    assert set(estimate.method_names()) >= SLOW_METHODS | TWO_LIST_METHODS | set(FAST_PRESETS)
    assert len(_method_params()) == len(estimate.method_names())


@pytest.fixture(scope="module")
def two_list_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("two") / "two.csv"
    pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [380, 410, 125]}).to_csv(path, index=False)
    return path


def _invoke(*args: str) -> tuple[int, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = CliRunner().invoke(app, list(args))
    return run.exit_code, run.output


def _fit_args(method: str, tmp_path: Path, two_list_csv: Path) -> list[str]:
    args = [str(two_list_csv)] if method in TWO_LIST_METHODS else ["--example", "kosovo"]
    if method in FAST_PRESETS:
        preset = tmp_path / f"{method}-fast.toml"
        preset.write_text(f'method = "{method}"\n{FAST_PRESETS[method]}')
        args += ["--model", str(preset), "--seed", "11"]
    else:
        args += ["--method", method]
    return args


def _round_trip(method: str, tmp_path: Path, two_list_csv: Path) -> None:
    out = tmp_path / f"{method}.json"
    code, output = _invoke("fit", *_fit_args(method, tmp_path, two_list_csv), "--format", "json", "--output",
                           str(out))
    assert code == 0, output
    saved = json.loads(out.read_text())
    assert saved["provenance"]["method"] == method
    code, output = _invoke("reproduce", str(out))
    assert code == 0, output
    assert output.startswith(f"reproduced: {method} estimate ")
    assert "match exactly" in output


@pytest.mark.parametrize("method", _method_params())
def test_cli_fit_then_reproduce_matches_exactly(method: str, tmp_path: Path, two_list_csv: Path) -> None:
    _round_trip(method, tmp_path, two_list_csv)


def test_changed_numbers_exit_1(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert _invoke("fit", "--example", "kosovo", "--method", "m0", "--format", "json", "-o", str(out))[0] == 0
    payload = json.loads(out.read_text())
    payload["interval"]["upper"] += 1.0
    out.write_text(json.dumps(payload))
    code, output = _invoke("reproduce", str(out))
    assert code == 1
    assert output.startswith("NOT reproduced: m0: interval.upper saved")
    # a tolerance wide enough accepts the difference
    code, output = _invoke("reproduce", str(out), "--rtol", "1e-3")
    assert code == 0 and "within a relative tolerance of 0.001" in output
    code, output = _invoke("reproduce", str(out))
    assert output.rstrip().endswith("compared exactly")  # not "tolerance exactly"


def test_edited_list_names_and_parameters_are_caught(tmp_path: Path) -> None:
    """The list names are compared too (an edited "lists" field was reported reproduced), and a parameter the
    method does not have, in a file made by this very version, is called a changed file, not a version change."""
    out = tmp_path / "r.json"
    assert _invoke("fit", "--example", "kosovo", "--method", "m0", "--format", "json", "-o", str(out))[0] == 0
    payload = json.loads(out.read_text())
    out.write_text(json.dumps({**payload, "lists": ["A", "B", "C", "D"]}))
    code, output = _invoke("reproduce", str(out))
    assert code == 1 and "lists saved [A, B, C, D], re-fitted [EXH, ABA, OSCE, HRW]" in output, output
    payload["provenance"]["params"]["foo"] = 1
    out.write_text(json.dumps(payload))
    code, output = _invoke("reproduce", str(out))
    assert code == 2 and "which 'm0' does not have" in output and "the file was changed" in output, output
    code, output = _invoke("reproduce", str(out), "--data", "x.csv", "--example", "kosovo")
    assert code == 2 and "give either --data or --example" in output


@pytest.mark.parametrize(("field", "value"), [("level", 0.9), ("kind", "wald")])
def test_a_relabelled_interval_is_not_reproduced(tmp_path: Path, field: str, value: object) -> None:
    out = tmp_path / "r.json"
    assert _invoke("fit", "--example", "kosovo", "--method", "m0", "--format", "json", "-o", str(out))[0] == 0
    payload = json.loads(out.read_text())
    payload["interval"][field] = value  # same numbers, claimed to be another interval
    out.write_text(json.dumps(payload))
    code, output = _invoke("reproduce", str(out))
    assert code == 1 and f"interval.{field} saved" in output, output


def test_changed_data_file_exits_2_with_the_reason(tmp_path: Path, two_list_csv: Path) -> None:
    source = tmp_path / "two.csv"
    source.write_bytes(two_list_csv.read_bytes())
    out = tmp_path / "r.json"
    assert _invoke("fit", str(source), "--method", "chapman", "--format", "json", "-o", str(out))[0] == 0
    pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [380, 410, 126]}).to_csv(source, index=False)
    code, output = _invoke("reproduce", str(out))
    assert code == 2
    assert "does not match the data the result was fitted to" in output
    # the original data given explicitly reproduces
    code, output = _invoke("reproduce", str(out), "--data", str(two_list_csv))
    assert code == 0, output
    source.unlink()
    code, output = _invoke("reproduce", str(out))
    assert code == 2 and "no longer exists" in output


def test_bad_input_exits_2(tmp_path: Path) -> None:
    assert _invoke("reproduce", str(tmp_path / "missing.json"))[0] == 2
    bare = tmp_path / "bare.json"
    result = estimate.Result("m0", "M0", 10.0, estimate.Interval(8.0, 12.0), observed=5)
    result.save(bare)
    code, output = _invoke("reproduce", str(bare))
    assert code == 2 and "no provenance" in output
    not_result = tmp_path / "other.json"
    not_result.write_text('{"hello": 1}')
    code, output = _invoke("reproduce", str(not_result))
    assert code == 2 and "not an estimate result" in output
    # a damaged provenance is bad input (2), not "the numbers differ" (1): it raised a TypeError, which exited 1
    fitted = tmp_path / "fitted.json"
    assert _invoke("fit", "--example", "kosovo", "--method", "m0", "--format", "json", "-o", str(fitted))[0] == 0
    payload = json.loads(fitted.read_text())
    good_hash = payload["provenance"]["data"]["content_hash"]
    payload["provenance"]["data"]["content_hash"] = 5
    fitted.write_text(json.dumps(payload))
    code, output = _invoke("reproduce", str(fitted))
    assert code == 2 and "content hash is not a hash" in output
    # hand-edited fields of the wrong shape: exit 3 (internal error) before, now 2 naming the field
    payload["provenance"]["data"]["content_hash"] = good_hash
    for edit, words in ((lambda p: p.update(provenance=None), "not a well-formed estimate result"),
                        (lambda p: p["provenance"].update(params=[1, 2]), "field 'params' should be a record"),
                        (lambda p: p["provenance"].update(method=5), "field 'method' should be text"),
                        (lambda p: p["provenance"]["data"].update(source="kosovo"), "'data.source' should be a record"),
                        (lambda p: p["provenance"].update(seed={"foo": 1}), "is not a seed record"),
                        (lambda p: p.update(estimate="abc"), "not a well-formed estimate result")):
        edited = json.loads(json.dumps(payload))
        edit(edited)
        fitted.write_text(json.dumps(edited))
        code, output = _invoke("reproduce", str(fitted))
        assert code == 2 and words in output, (words, output)


def test_a_small_difference_is_shown_with_its_digits(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert _invoke("fit", "--example", "kosovo", "--method", "m0", "--format", "json", "-o", str(out))[0] == 0
    payload = json.loads(out.read_text())
    saved = payload["estimate"] + 0.01
    payload["estimate"] = saved
    out.write_text(json.dumps(payload))
    code, output = _invoke("reproduce", str(out))
    assert code == 1
    assert f"estimate saved {saved:,.15g}, re-fitted {saved - 0.01:,.15g} (relative difference" in output, output


def test_python_api_fit_of_bundled_data_is_found_by_hash(kosovo: estimate.CaptureData, tmp_path: Path) -> None:
    result = estimate.make_estimator("lcmcr", burn_in=300, draws=100, thinning=1, chains=2).fit(kosovo)
    assert result.provenance["data"]["source"]["name"] == "kosovo"  # datasets.load records where it came from
    path = tmp_path / "lcmcr.json"
    result.save(path)
    outcome = reproduce(path)
    assert outcome.matches, outcome.verdict()
    np.testing.assert_array_equal(outcome.refit.draws(), result.draws())
    # data that is neither recorded nor bundled must be given
    subset = kosovo.select_lists(["EXH", "ABA"])
    two = estimate.make_estimator("chapman").fit(subset)
    with pytest.raises(estimate.DataError, match="does not say where its data came from"):
        reproduce(two)
    assert reproduce(two, data=subset).matches



def test_the_draws_a_netcdf_keeps_are_compared_too(kosovo: estimate.CaptureData, tmp_path: Path) -> None:
    """reproduce compared the summary numbers only: two draws swapped between chains in the .nc still gave
    "reproduced ... match exactly" (an audit's find). Draws kept in the file must be equal too."""
    result = estimate.make_estimator("lcmcr", burn_in=300, draws=100, thinning=1, chains=2, seed=4).fit(kosovo)
    path = tmp_path / "lcmcr.nc"
    result.save(path)
    outcome = reproduce(path)
    assert outcome.matches and "2 × 100 draws" in outcome.verdict(), outcome.verdict()
    saved = estimate.load_result(path)
    values = saved.posterior.posterior["N"].values
    values[0, 0], values[1, 0] = values[1, 0] + 1, values[0, 0]  # the summary barely moves; the draws differ
    outcome = reproduce(saved)
    assert not outcome.matches
    assert "draws saved 2 × 100 draws, re-fitted 2 of the 200 draws differ" in outcome.verdict(), outcome.verdict()
    assert [row["name"] for row in outcome.mismatches][-1] == "draws"
    result.save(tmp_path / "summary.json")  # a .json keeps no draws: nothing to compare
    assert "draws" not in reproduce(tmp_path / "summary.json").verdict()

def test_stratified_run_reproduces(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    frame = pd.DataFrame((rng.random((900, 3)) < 0.35).astype(int), columns=["A", "B", "C"])
    frame = frame[frame.sum(axis=1) > 0].assign(region=lambda f: np.where(np.arange(len(f)) % 3, "n", "s"))
    source = tmp_path / "records.csv"
    frame.to_csv(source, index=False)
    data = estimate.CaptureData.read(source, lists=["A", "B", "C"], strata=["region"])
    provenance.note_source(data, provenance.file_source(source, lists=["A", "B", "C"], strata=["region"]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = estimate.fit_strata(data, by="region", estimator=estimate.make_estimator(
            "lcmcr", K=3, burn_in=300, draws=100, thinning=1, chains=2, seed=5))
    path = tmp_path / "strata.json"
    fitted.save(path)
    code, output = _invoke("reproduce", str(path))
    assert code == 0, output
    assert output.startswith("reproduced: lcmcr 2 strata")


def _two_region_records(tmp_path: Path) -> Path:
    """records.csv: 3 lists, two regions (n, s), about 500 people."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame((rng.random((700, 3)) < 0.35).astype(int), columns=["A", "B", "C"])
    frame = frame[frame.sum(axis=1) > 0].assign(region=lambda f: np.where(np.arange(len(f)) % 2, "n", "s"))
    source = tmp_path / "records.csv"
    frame.to_csv(source, index=False)
    return source


def test_cli_stratified_run_reproduces_from_its_draws_file(tmp_path: Path) -> None:
    source = _two_region_records(tmp_path)
    preset = tmp_path / "fast.toml"
    preset.write_text(f'method = "lcmcr"\n{FAST_PRESETS["lcmcr"]}')
    draws = tmp_path / "draws.nc"
    code, output = _invoke("fit", str(source), "--lists", "A,B,C", "--strata", "region", "--model", str(preset),
                           "--seed", "3", "--format", "csv", "-o", str(tmp_path / "s.csv"), "--draws-output",
                           str(draws))
    assert code == 0, output
    saved = estimate.load_result(draws)
    assert saved.provenance["command"][:2] == ["estimate", "fit"]
    assert saved.provenance["preset"]["text"] == preset.read_text()
    code, output = _invoke("reproduce", str(draws))
    assert code == 0, output
    assert output.startswith("reproduced: lcmcr 2 strata (status, estimate, interval, draws)")


def test_a_fit_whose_standard_error_does_not_exist_is_reproduced(tmp_path: Path) -> None:
    """A log-linear fit without an MLE reports the profile maximum and no standard error; saved as null, it was
    re-fitted as NaN and reported 'NOT reproduced' (exit 1) although nothing had changed."""
    data = tmp_path / "nomle.csv"
    data.write_text("A,B,C,count\n1,0,0,50\n0,1,0,40\n0,0,1,30\n1,1,0,10\n1,0,1,8\n")
    preset = tmp_path / "ll2.toml"
    preset.write_text('method = "loglinear"\n[model]\nterms = "all-two-way"\n')
    out = tmp_path / "r.json"
    code, output = _invoke("fit", str(data), "--model", str(preset), "-o", str(out))
    assert code == 0, output
    assert json.loads(out.read_text())["std_error"] is None
    code, output = _invoke("reproduce", str(out))
    assert code == 0 and "reproduced" in output and "NOT" not in output, output


def test_a_stratified_classical_fit_is_reproduced_from_its_result_output(tmp_path: Path) -> None:
    """A stratified chao/loglinear run had no CLI route to a reproducible file: -o writes the summary table,
    --draws-output refuses methods without draws, and reproduce pointed from one to the other."""
    source = _two_region_records(tmp_path)
    result = tmp_path / "strata.json"
    code, output = _invoke("fit", str(source), "--strata", "region", "--method", "loglinear", "-o",
                           str(tmp_path / "s.csv"), "--result-output", str(result))
    assert code == 0, output
    assert estimate.load_result(result).provenance["command"][:2] == ["estimate", "fit"]
    code, output = _invoke("reproduce", str(result))
    assert code == 0 and output.startswith("reproduced: loglinear 2 strata"), output


def test_same_strata_read_as_other_types_are_named_not_reported_missing(tmp_path: Path) -> None:
    """Parquet keeps the months as dates, CSV reads them as text: the content hash matched, then every stratum was
    reported 'saved present, re-fitted missing' (exit 1) instead of saying what differs."""
    rng = np.random.default_rng(4)
    frame = pd.DataFrame((rng.random((700, 3)) < 0.35).astype(int), columns=["A", "B", "C"])
    frame = frame[frame.sum(axis=1) > 0]
    frame["month"] = pd.to_datetime(np.where(np.arange(len(frame)) % 2, "2020-01-01", "2020-02-01"))
    frame.to_parquet(tmp_path / "s.parquet")
    frame.to_csv(tmp_path / "s.csv", index=False)
    result = tmp_path / "r.json"
    code, output = _invoke("fit", str(tmp_path / "s.parquet"), "--strata", "month", "--method", "chao",
                           "--result-output", str(result), "-o", str(tmp_path / "t.csv"))
    assert code == 0, output
    code, output = _invoke("reproduce", str(result), "--data", str(tmp_path / "s.csv"))
    assert code == 2 and "same strata under other labels" in output, output


def test_a_seed_sequence_with_another_pool_size_is_recorded_whole(kosovo: estimate.CaptureData,
                                                                   tmp_path: Path) -> None:
    """SeedSequence(7, pool_size=8) was recorded as 7, so the fit and a stratified run were 'NOT reproduced'."""
    seed = np.random.SeedSequence(7, pool_size=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        single = estimate.make_estimator("lcmcr", K=3, burn_in=200, draws=50, thinning=1, chains=2,
                                         seed=seed).fit(kosovo)
        records = pd.read_csv(_two_region_records(tmp_path))
        stratified = estimate.fit_strata(records, by="region", estimator=estimate.make_estimator(
            "lcmcr", K=3, burn_in=200, draws=50, thinning=1, chains=2), seed=seed)
    assert single.provenance["seed"] == {"entropy": 7, "spawn_key": [], "pool_size": 8}
    assert stratified.provenance["seed"] == {"entropy": 7, "spawn_key": [], "pool_size": 8}
    assert reproduce(single).matches
    data = estimate.CaptureData.from_records(records, lists=["A", "B", "C"], strata="region")
    assert reproduce(stratified, data=data).matches


def test_cli_reproduce_reads_a_python_runs_data_with_its_recorded_lists_and_strata(tmp_path: Path) -> None:
    """The error says to give the data with --data; doing so read the stratum column as a list ('not binary')."""
    records = pd.read_csv(_two_region_records(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = estimate.fit_strata(records, by="region", estimator=estimate.make_estimator(
            "lcmcr", K=3, burn_in=200, draws=50, thinning=1, chains=2, seed=4))
    fitted.save(tmp_path / "python.json")
    code, output = _invoke("reproduce", str(tmp_path / "python.json"), "--data", str(tmp_path / "records.csv"))
    assert code == 0 and output.startswith("reproduced: lcmcr 2 strata"), output


def test_a_result_recorded_before_strata_without_records_were_hashed_still_reproduces_its_data() -> None:
    """Since 2026-12-06 a stratum with only zero counts enters the content hash; the hash recorded by earlier
    versions (without it) still identifies the same data."""
    import hashlib

    import pandas as pd

    from estimate import CaptureData

    frame = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 1], "count": [3, 2, 1, 0], "s": [1, 1, 1, 2]})
    data = CaptureData.from_aggregated(frame, strata="s")
    earlier = hashlib.sha256(data.pattern_table(include_strata=True).to_csv(index=False).encode()).hexdigest()
    assert earlier != data.content_hash()
    assert data._matches_recorded_hash(earlier) and data._matches_recorded_hash(data.content_hash())
    assert not data._matches_recorded_hash("0" * 64)
