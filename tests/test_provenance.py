"""Provenance: every fit records versions, method and parameters, seed, preset text, data hash, times."""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import estimate
from estimate import provenance
from estimate.cli import app
from estimate.estimators.lcmcr import LCMCR

# short test chains do not converge and wide posteriors hit grid ends: expected here, not under test
pytestmark = pytest.mark.filterwarnings("ignore::estimate.errors.EstimateWarning")

FAST = {"burn_in": 200, "draws": 100, "thinning": 1, "chains": 2}
FIELDS = {"estimate", "python", "platform", "dependencies", "method", "estimator", "params", "seed", "preset",
          "data", "command", "started", "finished", "seconds"}


def test_collect_records_versions_without_importing_heavy_libraries() -> None:
    code = (
        "import sys, json; import estimate.provenance as p; r = p.collect(); "
        "print(json.dumps({'deps': r['dependencies'], 'version': r['estimate'], "
        "'imported': [m for m in ('pymc', 'numba', 'statsmodels', 'pytensor') if m in sys.modules]}))"
    )
    out = json.loads(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                                    text=True).stdout)
    assert out["imported"] == []
    assert set(out["deps"]) == set(provenance.DEPENDENCIES)
    assert {"pytensor", "llvmlite"} <= set(out["deps"])  # they compile the PyMC models and the numba kernels
    from importlib import metadata

    assert out["deps"]["numpy"] == metadata.version("numpy") == np.__version__
    assert out["deps"]["pandas"] == pd.__version__
    assert out["version"] == estimate.__version__


def test_closed_form_strata_do_not_import_arviz_and_its_import_warning_stays_hidden() -> None:
    """ArviZ (about a second to import: it compiles numba code) is imported when draws need it, not for a
    closed-form stratified fit; its FutureWarning about ArviZ 1.0 stays hidden when a Bayesian fit imports it."""
    code = (
        "import sys, warnings; warnings.simplefilter('error', FutureWarning); import estimate; "
        "sim = estimate.simulate.stratified({'a': 300, 'b': 300}, [0.3, 0.4, 0.5], seed=1); "
        "estimate.fit_strata(sim.data, 'stratum', method='chao', seed=1); before = 'arviz' in sys.modules; "
        "r = estimate.make_estimator('lcmcr', burn_in=50, draws=20, thinning=1, chains=2, seed=1)"
        ".fit(estimate.datasets.load('kosovo')); "
        "print(before, 'arviz' in sys.modules, r.diagnostics['r_hat'] > 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    assert out == ["False", "True", "True"]


def test_first_uses_in_several_threads_leave_warning_filters_and_log_levels_as_they_were() -> None:
    """Two threads' first fits imported ArviZ each inside warnings.catch_warnings, which is not thread-safe: the
    'ignore FutureWarning' filter stayed for good; overlapping PyMC fits left PyMC's loggers at ERROR."""
    code = """
import logging, threading, warnings
from concurrent.futures import ThreadPoolExecutor
import estimate
from estimate.estimators import _pymc_common
from estimate.inference_data import _arviz
filters = list(warnings.filters)
names = ("pymc", "pymc.sampling", "pymc.sampling.mcmc", "pytensor.tensor.blas")
levels = [logging.getLogger(n).level for n in names]
start, quiet = threading.Barrier(4), threading.Barrier(4)
def first_use(i):
    start.wait()
    _arviz()
    with _pymc_common._quiet_pymc():
        quiet.wait()
with ThreadPoolExecutor(4) as pool:
    list(pool.map(first_use, range(4)))
print(list(warnings.filters) == filters, [logging.getLogger(n).level for n in names] == levels)
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.split()
    assert out == ["True", "True"]


def test_every_fit_records_method_params_data_and_times(kosovo: estimate.CaptureData) -> None:
    result = estimate.make_estimator("loglinear").fit(kosovo)
    record = result.provenance
    assert FIELDS <= set(record)
    assert record["method"] == "loglinear" and record["estimator"] == "LogLinear"
    assert record["params"] == {"terms": "search", "criterion": "aic", "level": 0.95, "screen": 5}
    assert record["data"]["content_hash"] == kosovo.content_hash()
    assert record["data"]["lists"] == list(kosovo.lists)
    assert record["data"]["observed"] == kosovo.observed == 4400
    assert record["seed"] is None and record["preset"] is None and record["command"] is None
    # timings in the diagnostics depend on the machine: its CPU and core count are recorded, no host name
    assert record["machine"]["cores"] == os.cpu_count() and record["machine"]["cpu"]
    assert set(record["machine"]) == {"cpu", "cores"}
    started, finished = (dt.datetime.fromisoformat(record[k]) for k in ("started", "finished"))
    assert started.tzinfo is not None and started <= finished
    assert record["seconds"] == pytest.approx((finished - started).total_seconds(), abs=1e-3)
    json.dumps(record)  # plain JSON


def test_seed_recorded_and_none_becomes_a_repeatable_seed(kosovo: estimate.CaptureData) -> None:
    seeded = LCMCR(seed=7, **FAST).fit(kosovo)
    assert seeded.provenance["seed"] == 7 and seeded.provenance["params"]["seed"] == 7

    unseeded = LCMCR(**FAST).fit(kosovo)
    seed = unseeded.provenance["seed"]
    assert isinstance(seed, int) and seed > 0
    again = LCMCR(seed=provenance.seed_from_record(seed), **FAST).fit(kosovo)
    np.testing.assert_array_equal(again.draws(), unseeded.draws())
    assert LCMCR(**FAST).fit(kosovo).provenance["seed"] != seed  # fresh entropy each time


def test_seed_sequence_round_trips_with_its_spawn_key() -> None:
    sequence = np.random.SeedSequence(12345, spawn_key=(3, 9))
    record = provenance.seed_record(sequence)
    assert record == {"entropy": 12345, "spawn_key": [3, 9]}
    restored = provenance.seed_from_record(json.loads(json.dumps(record)))
    np.testing.assert_array_equal(restored.generate_state(4), sequence.generate_state(4))
    assert provenance.seed_record(np.random.SeedSequence(5)) == 5
    assert provenance.seed_from_record(5) == 5
    with pytest.raises(TypeError, match="cannot record seed"):
        provenance.seed_record(1.5)


def test_preset_name_and_full_text_are_recorded(tmp_path: Path, kosovo: estimate.CaptureData) -> None:
    text = ('# a fast preset for tests\nname = "quick"\nmethod = "lcmcr"\n[model]\nK = 3\n'
            '[sampler]\nchains = 2\nburn_in = 200\ndraws = 100\nthinning = 1\n')
    path = tmp_path / "quick.toml"
    path.write_text(text)
    estimator = estimate.make_estimator(model=path, seed=1)
    result = estimator.fit(kosovo)
    assert result.provenance["preset"] == {"name": "quick", "path": str(path), "text": text, "overrides": {"seed": 1}}
    assert result.provenance["params"]["K"] == 3
    # a clone (compare, strata) still knows the preset it came from
    assert estimator.clone(seed=2).fit(kosovo).provenance["preset"]["text"] == text
    # and so does scikit-learn's clone (sklearn.base.clone calls __sklearn_clone__; from get_params alone the
    # copy had the preset's values but recorded no preset)
    sklearn_copy = estimator.__sklearn_clone__()
    assert sklearn_copy is not estimator and sklearn_copy.get_params() == estimator.get_params()
    assert sklearn_copy.fit(kosovo).provenance["preset"] == result.provenance["preset"]
    bundled = estimate.make_estimator(model="loglinear-aic").fit(kosovo).provenance["preset"]
    assert bundled["name"] == "loglinear-aic"
    assert bundled["text"] == estimate.load_preset("loglinear-aic").text


def test_dga_which_overrides_fit_records_provenance(kosovo: estimate.CaptureData) -> None:
    small = kosovo.select_lists(list(kosovo.lists[:3]))
    result = estimate.make_estimator("dga", seed=3).fit(small)
    assert result.provenance["method"] == "dga" and result.provenance["seed"] == 3
    assert result.provenance["data"]["content_hash"] == small.content_hash()


def test_compare_results_carry_provenance(kosovo: estimate.CaptureData) -> None:
    comparison = estimate.compare(kosovo, ["loglinear", "m0"], seed=1)
    for label, result in comparison.results.items():
        assert result.provenance["method"] == label
        assert result.provenance["data"]["content_hash"] == kosovo.content_hash()


def test_note_source_is_found_for_that_object_only_and_forgotten_with_it(kosovo: estimate.CaptureData) -> None:
    data = kosovo.select_lists(list(kosovo.lists))
    provenance.note_source(data, provenance.example_source("kosovo"))
    assert provenance.source_of(data)["name"] == "kosovo"
    assert provenance.source_of(kosovo.select_lists(["EXH", "ABA"])) is None  # a derived object has none
    assert provenance.source_of(kosovo)["name"] == "kosovo"  # datasets.load notes where its object came from
    assert estimate.make_estimator("m0").fit(data).provenance["data"]["source"]["kind"] == "example"
    key = id(data)
    del data
    gc.collect()
    assert key not in provenance._SOURCES


def test_fit_strata_records_run_level_provenance() -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.random((600, 3)) < 0.4, columns=["A", "B", "C"]).astype(int)
    frame = frame[frame.sum(axis=1) > 0].assign(region=lambda f: np.where(np.arange(len(f)) % 2, "n", "s"))
    data = estimate.CaptureData.from_records(frame, lists=["A", "B", "C"], strata="region")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = estimate.fit_strata(data, by="region", method="loglinear")
        seeded = estimate.fit_strata(data, by="region", estimator=LCMCR(seed=4, **FAST))
    assert seeded.provenance["seed"] == 4 and seeded.provenance["method"] == "lcmcr"
    record = result.provenance
    assert FIELDS <= set(record)
    assert record["method"] == "loglinear" and record["seed"] is None
    assert record["data"]["content_hash"] == data.content_hash()
    assert record["data"]["strata_columns"] == ["region"]
    assert record["strata"] == {"by": ["region"], "replicate": None, "min_lists": 2, "min_records": 10,
                                "level": 0.95, "strict": False, "reused_from_cache": 0}
    assert "started" not in result.summary().columns  # tables stay byte-identical across runs


def test_cli_fit_records_command_line_and_source(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    run = CliRunner().invoke(app, ["fit", "--example", "kosovo", "--method", "m0", "--format", "json",
                                   "--output", str(out)])
    assert run.exit_code == 0, run.output
    record = json.loads(out.read_text())["provenance"]
    assert record["command"][:2] == ["estimate", "fit"]
    assert "--example=kosovo" in record["command"] and "--method=m0" in record["command"]
    assert record["data"]["source"] == {"kind": "example", "name": "kosovo", "lists": None, "count": "count",
                                        "strata": None, "strict": False}


def test_cli_program_records_its_argv(tmp_path: Path) -> None:
    source = tmp_path / "k.csv"
    estimate.datasets.load_frame("kosovo").to_csv(source, index=False)
    out = tmp_path / "r.json"
    args = [str(source), "--method", "m0", "--lists", "HRW,EXH,ABA,OSCE", "--format", "json", "--output", str(out)]
    subprocess.run([str(Path(sys.executable).with_name("estimate")), "fit", *args], check=True, capture_output=True)
    record = json.loads(out.read_text())["provenance"]
    assert record["command"] == ["estimate", "fit", *args]
    assert record["data"]["source"] == {"kind": "file", "path": str(source.resolve()),
                                        "lists": ["HRW", "EXH", "ABA", "OSCE"], "count": None, "strata": None,
                                        "strict": False}
    assert record["data"]["lists"] == ["HRW", "EXH", "ABA", "OSCE"]


def test_in_process_command_line_is_runnable(tmp_path: Path) -> None:
    """Rebuilt from the click context it read ['estimate', 'fit', '--fmt=json', '--data=x.csv']: Python parameter
    names, not options, and the positional data path as an option (`No such option: --fmt`)."""
    import subprocess

    from typer.testing import CliRunner

    from estimate.cli import app

    data = tmp_path / "two.csv"
    data.write_text("A,B,count\n1,0,30\n0,1,20\n1,1,10\n")
    out = tmp_path / "r.json"
    assert CliRunner().invoke(app, ["fit", str(data), "-m", "chao", "--format", "json", "-o", str(out)]).exit_code == 0
    command = json.loads(out.read_text())["provenance"]["command"]
    assert command[:3] == ["estimate", "fit", str(data)] and "--format=json" in command
    again = tmp_path / "again.json"
    rerun = [sys.executable, "-m", "estimate", *command[1:-1], f"--output={again}"]
    assert subprocess.run(rerun, capture_output=True, text=True).returncode == 0
    assert json.loads(again.read_text())["estimate"] == json.loads(out.read_text())["estimate"]


def test_the_preset_record_says_which_values_were_overridden() -> None:
    """Provenance held the preset's text (level 0.95, no max_missing) beside the values used, with nothing saying
    which of them the user changed."""
    import warnings

    import estimate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = estimate.make_estimator(model="loglinear-aic").fit(estimate.datasets.load("kosovo"))
        changed = estimate.make_estimator(model="dga-default", seed=3, max_missing=40_000, level=0.9).fit(
            estimate.datasets.load("kosovo"))
    assert plain.provenance["preset"]["overrides"] == {}
    assert changed.provenance["preset"]["overrides"] == {"level": 0.9, "max_missing": 40_000, "seed": 3}
    # the printed result names the preset and what was changed (the text said neither: only the model line)
    assert "  preset: loglinear-aic\n" in str(plain)
    assert "  preset: dga-default (overridden: max_missing=40000, level=0.9, seed=3)" in str(changed)
    assert "preset:" not in str(estimate.make_estimator("chao").fit(estimate.datasets.load("kosovo")))
