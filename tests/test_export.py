"""Saving results (JSON, CSV, Parquet, netCDF) and loading them back into equal objects."""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from typer.testing import CliRunner

import estimate
from estimate import export
from estimate.cli import app
from estimate.estimators.lcmcr import LCMCR

FAST = {"burn_in": 300, "draws": 100, "thinning": 1, "chains": 2}


@pytest.fixture(scope="module")
def fitted(kosovo: estimate.CaptureData) -> dict[str, estimate.Result]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {
            "chapman": estimate.make_estimator("chapman").fit(kosovo.select_lists(["EXH", "ABA"])),
            "loglinear": estimate.make_estimator("loglinear").fit(kosovo),
            "lcmcr": LCMCR(seed=3, **FAST).fit(kosovo),
            "dga": estimate.make_estimator("dga", seed=1).fit(kosovo),  # numpy array in details
        }


def _no_temp_files(directory: Path) -> None:
    assert not [p.name for p in directory.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]


@pytest.mark.parametrize("method", ["chapman", "loglinear", "lcmcr", "dga"])
def test_json_round_trip_gives_an_equal_result(fitted: dict, method: str, tmp_path: Path) -> None:
    result = fitted[method]
    path = result.save(tmp_path / "r.json")
    loaded = estimate.load_result(path)
    assert isinstance(loaded, estimate.Result)
    assert loaded == result
    assert loaded.provenance == result.provenance and loaded.provenance["method"] == method
    assert loaded.interval == result.interval and loaded.estimate == result.estimate
    assert json.loads(path.read_text())["kind"] == "Result"
    _no_temp_files(tmp_path)


@pytest.mark.parametrize("method", ["lcmcr", "dga"])
def test_netcdf_round_trip_keeps_draws_and_metadata(fitted: dict, method: str, tmp_path: Path) -> None:
    result = fitted[method]
    before = dict(result.posterior.posterior.attrs)
    path = result.save(tmp_path / "r.nc")
    assert dict(result.posterior.posterior.attrs) == before  # the result's own InferenceData is untouched
    loaded = estimate.load_result(path)
    assert loaded == result and loaded.provenance == result.provenance
    assert loaded.posterior.groups() == result.posterior.groups()
    for group in result.posterior.groups():
        assert loaded.posterior[group].identical(result.posterior[group]), group
    np.testing.assert_array_equal(loaded.draws(), result.draws())
    with xr.open_dataset(path, group="posterior", engine="h5netcdf") as raw:
        assert json.loads(raw.attrs[export.RESULT_ATTR])["estimate"] == result.estimate


def test_netcdf_needs_posterior_draws(fitted: dict, tmp_path: Path) -> None:
    with pytest.raises(estimate.DataError, match="no posterior draws"):
        fitted["chapman"].save(tmp_path / "r.nc")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("method", ["chapman", "lcmcr"])
def test_summary_tables(fitted: dict, method: str, suffix: str, tmp_path: Path) -> None:
    result = fitted[method]
    path = result.save(tmp_path / f"r{suffix}")
    table = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    pd.testing.assert_frame_equal(table, result.summary(), check_dtype=False)
    with pytest.raises(estimate.DataError, match="is a table"):
        estimate.load_result(path)


def test_equality_is_nan_and_array_aware() -> None:
    make = lambda **kw: estimate.Result(  # noqa: E731
        "x", "model", 12.0, estimate.Interval(10.0, math.inf, kind="none"), observed=9, std_error=math.nan,
        diagnostics={"r_hat": math.nan, "sweeps": 10}, details={"pmf": np.array([0.5, 0.5]), "terms": ("A", "B")},
        **kw)
    a = make()
    b = estimate.Result.from_json(a.to_json())
    assert a == b and a == make()
    assert a != make(lists=("A",))
    c = make()
    c.diagnostics["r_hat"] = 1.2
    assert a != c
    assert a != "not a result"


def test_overwrite_is_atomic(fitted: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.json"
    fitted["loglinear"].save(path)
    before = path.read_bytes()

    def broken(frame: pd.DataFrame, target: Path, **kwargs: object) -> None:
        Path(target).write_bytes(b"half a file")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(OSError, match="disk full"):
        fitted["loglinear"].save(tmp_path / "r.parquet")
    assert not (tmp_path / "r.parquet").exists()
    assert path.read_bytes() == before
    _no_temp_files(tmp_path)


def test_bad_paths_and_files(fitted: dict, tmp_path: Path) -> None:
    with pytest.raises(estimate.DataError, match=r"\.json, \.csv, \.parquet or \.nc"):
        fitted["chapman"].save(tmp_path / "r.xlsx")
    with pytest.raises(estimate.DataError, match="does not exist"):
        estimate.load_result(tmp_path / "missing.json")
    for not_a_path in (None, 3):  # None gave a bare TypeError from pathlib
        with pytest.raises(estimate.DataError, match=r"load_result needs the path of a saved result .* got "):
            estimate.load_result(not_a_path)  # type: ignore[arg-type]
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(estimate.DataError, match="not a JSON result file"):
        estimate.load_result(tmp_path / "broken.json")
    (tmp_path / "list.json").write_text("[1, 2]")
    with pytest.raises(estimate.DataError, match="expected a JSON object"):
        estimate.load_result(tmp_path / "list.json")
    xr.Dataset({"x": ("a", [1, 2])}).to_netcdf(tmp_path / "other.nc", engine="h5netcdf")
    with pytest.raises(estimate.DataError, match="not written by"):
        estimate.load_result(tmp_path / "other.nc")
    (tmp_path / "text.nc").write_text("not netcdf")
    with pytest.raises(estimate.DataError, match="not a netCDF file"):
        estimate.load_result(tmp_path / "text.nc")


# ---------------------------------------------------------------------------------------------------- strata
def _strata_data(seed: int = 1, replicates: int = 1) -> estimate.CaptureData:
    rng = np.random.default_rng(seed)
    frames = []
    for r in range(replicates):
        frame = pd.DataFrame((rng.random((800, 3)) < 0.35).astype(int), columns=["A", "B", "C"])
        frame = frame[frame.sum(axis=1) > 0].copy()
        frame["region"] = np.where(np.arange(len(frame)) % 3 == 0, "east", "west")
        frame["replicate"] = r
        frames.append(frame)
    strata = ["region", "replicate"] if replicates > 1 else ["region"]
    records = pd.concat(frames, ignore_index=True)
    return estimate.CaptureData.from_records(records, lists=["A", "B", "C"], strata=strata)


@pytest.fixture(scope="module")
def strata_fit() -> estimate.StrataResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimate.fit_strata(_strata_data(), by="region", estimator=LCMCR(K=3, seed=2, **FAST))


def _assert_same_strata(loaded: estimate.StrataResult, original: estimate.StrataResult, draws: bool) -> None:
    assert isinstance(loaded, estimate.StrataResult)
    assert loaded.by == original.by and loaded.method == original.method and loaded.level == original.level
    pd.testing.assert_frame_equal(loaded.summary(), original.summary())
    assert loaded.provenance == original.provenance
    for key, outcome in original.outcomes.items():
        assert loaded.outcomes[key].result == outcome.result
        if draws:
            np.testing.assert_array_equal(loaded.outcomes[key].draws, outcome.draws)
    if draws:
        pd.testing.assert_frame_equal(loaded.total(), original.total())


def test_strata_json_and_netcdf_round_trips(strata_fit: estimate.StrataResult, tmp_path: Path) -> None:
    _assert_same_strata(estimate.load_result(strata_fit.save(tmp_path / "s.json")), strata_fit, draws=False)
    _assert_same_strata(estimate.load_result(strata_fit.save(tmp_path / "s.nc")), strata_fit, draws=True)
    strata_fit.to_netcdf(tmp_path / "draws.nc")  # the CLI's --draws-output: also loadable
    _assert_same_strata(estimate.load_result(tmp_path / "draws.nc"), strata_fit, draws=True)
    for suffix in (".csv", ".parquet"):
        path = strata_fit.save(tmp_path / f"s{suffix}")
        table = (pd.read_csv(path, dtype={"reason": "str", "warnings": "str"}) if suffix == ".csv"
                 else pd.read_parquet(path))
        for column in ("reason", "warnings"):  # CSV reads the empty text of an ok stratum as missing
            table[column] = table[column].fillna("")
        pd.testing.assert_frame_equal(table, strata_fit.summary(), check_dtype=False)
    _no_temp_files(tmp_path)


def test_strata_netcdf_is_arviz_inference_data_per_stratum(strata_fit: estimate.StrataResult, tmp_path: Path) -> None:
    """--draws-output wrote N (stratum, sample) at the file's root: az.from_netcdf read an empty InferenceData and
    the chains were gone, so R-hat per stratum could not be checked from the file."""
    import arviz as az

    strata_fit.to_netcdf(tmp_path / "draws.nc")
    idata = az.from_netcdf(tmp_path / "draws.nc")
    N = idata.posterior["N"]
    keys = [k for k, o in strata_fit.outcomes.items() if o.draws is not None]
    assert N.dims == ("chain", "draw", "stratum") and N.sizes["stratum"] == len(keys)
    for i, key in enumerate(keys):
        np.testing.assert_array_equal(N.isel(stratum=i).values, strata_fit.outcomes[key].draws)
    assert list(N["region"].values) == [k[0] for k in keys]
    assert az.rhat(idata, var_names=["N"])["N"].sizes["stratum"] == len(keys)


def test_strata_netcdf_of_the_earlier_layout_still_loads(strata_fit: estimate.StrataResult, tmp_path: Path) -> None:
    from estimate.export import STRATA_ATTR, strata_payload

    legacy = strata_fit.draws_dataset()
    for name in list(legacy.coords):
        if name != "stratum":
            legacy[name] = legacy[name].astype(str)
    legacy.assign_attrs({STRATA_ATTR: json.dumps(strata_payload(strata_fit))}).to_netcdf(
        tmp_path / "old.nc", engine="h5netcdf")
    _assert_same_strata(estimate.load_result(tmp_path / "old.nc"), strata_fit, draws=True)


def test_strata_with_replicates_round_trip(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = estimate.fit_strata(_strata_data(replicates=2), by="region", replicate="replicate",
                                     estimator=LCMCR(K=3, seed=2, **FAST))
    loaded = estimate.load_result(fitted.save(tmp_path / "s.nc"))
    _assert_same_strata(loaded, fitted, draws=True)
    assert {k: len(v) for k, v in loaded.replicate_outcomes.items()} == {("east",): 2, ("west",): 2}


def test_strata_draws_file_says_replicates_documented_counts_and_strata_left_out(tmp_path: Path) -> None:
    """The draws file pooled replicates along draw with nothing saying which draw is which (ArviZ's R-hat over them
    read 1.34 where each replicate's is 1.01), held no documented counts, did not name the strata without draws
    (a total summed from it lacked them), lacked ArviZ's created_at attribute, and stored a year as text."""
    import arviz as az

    data = _strata_data(replicates=2).to_frame()
    data["year"] = 2020
    tiny = pd.DataFrame({"A": [1, 0], "B": [0, 1], "C": [0, 0], "count": [2, 1], "region": ["north"] * 2,
                         "replicate": [0, 1], "year": [2020] * 2})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = estimate.fit_strata(pd.concat([data, tiny]), by=["region", "year"], replicate="replicate",
                                     estimator=LCMCR(K=3, seed=2, **FAST))
    idata = az.from_netcdf(fitted.save(tmp_path / "s.nc"))
    posterior = idata.posterior
    draws = FAST["draws"]
    assert posterior["replicate"].dims == ("draw",)
    assert list(posterior["replicate"].values) == [0] * draws + [1] * draws
    east = fitted.outcomes[("east", 2020)]
    np.testing.assert_array_equal(posterior["N"].sel(draw=posterior["replicate"] == 1).isel(stratum=0).values,
                                  east.draws[:, draws:])
    assert list(idata.constant_data["observed"].values) == [east.observed, fitted.outcomes[("west", 2020)].observed]
    assert json.loads(posterior.attrs["strata_without_draws"]) == [
        {"stratum": "region=north, year=2020", "values": {"region": "north", "year": 2020},
         "status": "not estimable", "observed": 2}]  # the values too: two labels can read alike (an audit's find)
    assert posterior["year"].dtype.kind == "i" and posterior["N"].where(posterior["year"] == 2020).notnull().all()
    assert posterior.attrs["inference_library"] == "estimate" and "created_at" in posterior.attrs


# ---------------------------------------------------------------------------------------------------- CLI
def test_cli_json_output_loads_as_the_python_result(fitted: dict, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    run = CliRunner().invoke(app, ["fit", "--example", "kosovo", "--method", "loglinear", "--format", "json",
                                   "--output", str(out)])
    assert run.exit_code == 0, run.output
    loaded = estimate.load_result(out)
    assert loaded == fitted["loglinear"]
    assert loaded.provenance["command"][:2] == ["estimate", "fit"]


def test_date_strata_round_trip_and_results_compare_equal(tmp_path: Path) -> None:
    """A .nc of date strata saved but could not be loaded (labels rebuilt from ISO text did not match), date keys
    came back from .json as text, and comparing two StrataResults raised (ambiguous truth value of the draws)."""
    data = estimate.simulate.scenario("strata", seed=3).data
    frame = data.pattern_table(include_strata=True)
    months = {value: pd.Timestamp(2020, 1 + i, 1) for i, value in enumerate(sorted(frame["stratum"].unique()))}
    frame["stratum"] = frame["stratum"].map(months)
    dated = estimate.CaptureData.from_aggregated(frame, lists=list(data.lists), count="count", strata=["stratum"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        strata = estimate.fit_strata(dated, by="stratum", method="dga", seed=2)
    assert all(isinstance(key[0], pd.Timestamp) for key in strata.outcomes)
    for suffix in (".nc", ".json"):
        loaded = estimate.load_result(strata.save(tmp_path / f"s{suffix}"))
        assert list(loaded.outcomes) == list(strata.outcomes)  # Timestamps again, not ISO text
        assert loaded == strata
        if suffix == ".nc":
            for key, outcome in strata.outcomes.items():
                np.testing.assert_array_equal(loaded.outcomes[key].draws, outcome.draws)
    # a day is written as the CSV tables write it, "2020-01-01" (it was "2020-01-01T00:00:00" in JSON only)
    assert json.loads((tmp_path / "s.json").read_text())["outcomes"][0]["key"] == ["2020-01-01"]
    other = estimate.load_result(tmp_path / "s.nc")
    first = next(iter(other.outcomes))
    other.outcomes[first].observed += 1
    assert other != strata


def test_date_replicate_values_round_trip(tmp_path: Path) -> None:
    """Replicates labelled by a date (e.g. the imputation run's day) came back from .json/.nc as ISO text."""
    data = estimate.simulate.scenario("strata", seed=3).data
    frame = data.pattern_table(include_strata=True)
    both = pd.concat([frame.assign(run=pd.Timestamp(2024, 1, 1)), frame.assign(run=pd.Timestamp(2024, 2, 1))])
    replicated = estimate.CaptureData.from_aggregated(both, lists=list(data.lists), count="count",
                                                      strata=["stratum", "run"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        strata = estimate.fit_strata(replicated, by="stratum", replicate="run", method="dga", seed=2)
    for suffix in (".nc", ".json"):
        loaded = estimate.load_result(strata.save(tmp_path / f"r{suffix}"))
        assert loaded == strata, suffix


def test_non_finite_diagnostics_and_details_survive_a_round_trip(fitted: dict, tmp_path: Path) -> None:
    """NaN came back as None and inf as the text "inf"; convergence_problems then raised a TypeError."""
    from estimate.inference_data import convergence_problems

    result = fitted["lcmcr"]
    result.diagnostics.update(r_hat_test=math.nan, ess_tail_test=math.inf)
    result.details["non_finite"] = [1.0, math.nan, math.inf, -math.inf]
    try:
        for suffix in (".json", ".nc"):
            loaded = estimate.load_result(result.save(tmp_path / f"r{suffix}"))
            assert math.isnan(loaded.diagnostics["r_hat_test"]) and loaded.diagnostics["ess_tail_test"] == math.inf
            assert loaded.details["non_finite"][2:] == [math.inf, -math.inf]
            convergence_problems({**loaded.diagnostics, "r_hat": "inf", "ess_bulk": None})
    finally:
        del result.diagnostics["r_hat_test"], result.diagnostics["ess_tail_test"], result.details["non_finite"]


def test_a_hand_edited_stratified_json_is_a_data_error(tmp_path) -> None:
    """A StrataResult JSON with a field removed or of the wrong type gave 'unexpected error' (exit 3) or a bare
    key name instead of saying that the file is not a well-formed result."""
    import json

    import estimate

    sim = estimate.simulate.scenario("strata", seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = estimate.fit_strata(sim.data, by="stratum", method="chao")
    path = tmp_path / "s.json"
    fitted.save(path)
    payload = json.loads(path.read_text())
    for edit in (lambda p: p.pop("outcomes"), lambda p: p["outcomes"][0]["result"]["interval"].update(level=None)):
        broken = json.loads(json.dumps(payload))
        edit(broken)
        path.write_text(json.dumps(broken))
        with pytest.raises(estimate.DataError, match="not a well-formed stratified result"):
            estimate.load_result(path)


def test_a_result_is_not_saved_over_its_data_file(tmp_path) -> None:
    """result.save("lists.csv") replaced the data it was fitted from with a summary row (the CLI refuses -o onto
    its input; the Python API did not)."""
    import estimate

    path = tmp_path / "lists.csv"
    path.write_text("region,A,B,C,count\n" + "".join(f"{r},{row}\n" for r in "ns" for row in (
        "1,0,0,30", "0,1,0,20", "0,0,1,25", "1,1,0,8", "1,0,1,6", "0,1,1,5", "1,1,1,2")))
    data = estimate.CaptureData.read(path, lists=["A", "B", "C"], count="count")  # pooled over the regions
    result = estimate.make_estimator("chao").fit(data)
    strata = estimate.fit_strata(estimate.CaptureData.read(path, strata=["region"]), by="region", method="chao")
    comparison = estimate.compare(data, ["chao"], seed=1)
    for saved in (result, strata, comparison):
        with pytest.raises(estimate.DataError, match="is the data file"):
            saved.save(path)
    assert path.read_text().startswith("region,A,B,C,count")
    assert result.save(tmp_path / "result.csv").exists()


def test_period_and_mixed_type_strata_are_saved_in_every_format(tmp_path: Path) -> None:
    """Strata of pandas Periods (months) fitted fine but .json/.nc saving raised a TypeError; strata 1 and "a" (a
    frame built in Python) made .parquet raise ArrowInvalid.  Periods are written as their text ("2021-01"),
    mixed columns as text in Parquet."""
    import warnings

    cells = {(1, 0, 0): 30, (0, 1, 0): 25, (0, 0, 1): 20, (1, 1, 0): 10, (1, 0, 1): 8, (0, 1, 1): 6, (1, 1, 1): 4}
    rows = [dict(A=a, B=b, C=c, count=n, month=m) for m in pd.period_range("2021-01", periods=2, freq="M")
            for (a, b, c), n in cells.items()]
    frame = pd.DataFrame(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        months = estimate.fit_strata(frame, by="month", method="loglinear")
        mixed = estimate.fit_strata(frame.assign(month=[1] * 7 + ["a"] * 7), by="month", method="loglinear")
    for name in ("m.json", "m.nc"):
        months.save(tmp_path / name)
        # back as the months they were (they came back as text before)
        assert estimate.load_result(tmp_path / name).summary()["month"].tolist() == list(
            pd.period_range("2021-01", periods=2, freq="M"))
    mixed.save(tmp_path / "x.parquet")
    assert pd.read_parquet(tmp_path / "x.parquet")["month"].tolist() == ["1", "a"]


def test_a_missing_field_of_a_hand_edited_result_is_named(tmp_path: Path) -> None:
    """'KeyError: 'kind'' named neither the problem nor a field a user would recognise as such."""
    import json

    result = estimate.make_estimator("chao").fit(estimate.datasets.load("kosovo"))
    result.save(tmp_path / "r.json")
    payload = json.loads((tmp_path / "r.json").read_text())
    del payload["interval"]["kind"]
    (tmp_path / "r.json").write_text(json.dumps(payload))
    with pytest.raises(estimate.DataError, match=r"not a well-formed estimate result: the field 'kind' is missing"):
        estimate.load_result(tmp_path / "r.json")


def test_parquet_ready_converts_only_text_mixed_with_other_values() -> None:
    """Numbers of several Python types stay numbers (they had become text); pd.NA no longer raises."""
    from estimate.export import parquet_ready

    frame = pd.DataFrame({"numbers": [1, 2.5, None], "mixed": [1, "a", pd.NA], "text": ["x", "y", None]},
                         dtype=object)
    ready = parquet_ready(frame)
    assert ready["numbers"].tolist()[:2] == [1, 2.5]
    assert ready["mixed"].tolist()[:2] == ["1", "a"] and pd.isna(ready["mixed"].iloc[2])
    assert ready["text"].tolist()[:2] == ["x", "y"]


def test_a_damaged_netcdf_result_is_named_not_a_key_error(fitted: dict, tmp_path: Path) -> None:
    """A .nc whose embedded result lacked a field raised a bare KeyError ('error: interval' on the CLI), and one
    whose attribute was not JSON a JSONDecodeError without the file's name (an audit's find); a damaged .json
    was already named."""
    import arviz as az

    path = fitted["lcmcr"].save(tmp_path / "r.nc")
    idata = az.from_netcdf(path)
    payload = json.loads(idata.posterior.attrs[export.RESULT_ATTR])
    del payload["interval"]
    for name, text, said in (("no_interval.nc", json.dumps(payload), "is not an estimate result: it has no interval"),
                             ("not_json.nc", "{method: lcmcr", "its 'estimate_result' attribute is not the JSON")):
        idata.posterior.attrs[export.RESULT_ATTR] = text
        idata.to_netcdf(tmp_path / name, engine="h5netcdf")
        with pytest.raises(estimate.DataError, match=rf"'{tmp_path / name}'.*{said}"):
            estimate.load_result(tmp_path / name)


def test_an_empty_json_array_is_not_called_a_summary_table(tmp_path: Path) -> None:
    """`[]` was reported as "a per-stratum summary table" (all() of nothing is True): an audit's find."""
    (tmp_path / "empty.json").write_text("[]")
    with pytest.raises(estimate.DataError, match=r"does not hold an estimate result \(expected a JSON object\)"):
        estimate.load_result(tmp_path / "empty.json")


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE and SIGXFSZ are POSIX")
def test_a_netcdf_write_that_runs_out_of_room_is_an_oserror_not_a_crash(tmp_path: Path) -> None:
    """A full disk while HDF5 wrote the .nc made h5py crash the interpreter (SIGSEGV, exit 139) after raising the
    OSError: a Python session lost every result it held, the CLI exited 139 instead of 2 (a fault-injection
    audit's find, on a small tmpfs). The same failure without root: a file-size limit (RLIMIT_FSIZE, with SIGXFSZ
    ignored) makes the write fail with EFBIG part-way. The file is now built in memory and written as bytes."""
    import subprocess

    target = tmp_path / "draws.nc"
    target.write_bytes(b"the earlier file")
    code = (
        "import resource, signal, sys, warnings\n"
        "import estimate\n"
        "warnings.simplefilter('ignore')\n"
        "fit = estimate.make_estimator('lcmcr', K=2, burn_in=20, draws=2000, thinning=1, chains=2, seed=1)"
        ".fit(estimate.datasets.load('kosovo'))\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))\n"
        "try:\n"
        "    fit.save(sys.argv[1])\n"
        "except OSError as error:\n"
        "    print('OSError', error.errno)\n"
        "print('alive')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(target)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["OSError", "27", "alive"], proc.stdout
    assert "h5py" not in proc.stderr, proc.stderr[-2000:]
    assert target.read_bytes() == b"the earlier file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["draws.nc"]
