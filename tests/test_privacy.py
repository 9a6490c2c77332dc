"""Privacy: whatever estimate writes holds aggregates only, never record-level rows, names or free text.

The input here is record-level: one row per person with a ``name`` and a free-text ``notes`` column beside the
list columns.  Every output — results in memory as text, every saved format, every CLI output file and
printed text — is searched for every name and note, both as raw bytes and (for compressed Parquet and netCDF)
after decoding every value and attribute.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import estimate
from estimate.cli import app
from estimate.estimators.lcmcr import LCMCR

LISTS = ["A", "B", "C"]
FAST = {"K": 3, "burn_in": 300, "draws": 100, "thinning": 1, "chains": 2}
FAST_PRESET = 'method = "lcmcr"\n[model]\nK = 3\n[sampler]\nchains = 2\nburn_in = 300\ndraws = 100\nthinning = 1\n'


def _records(n: int = 900, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = (rng.random((n, 3)) < np.array([0.35, 0.3, 0.25])).astype(int)
    x = x[x.sum(axis=1) > 0]
    frame = pd.DataFrame(x, columns=LISTS)
    frame.insert(0, "name", [f"Zorbanek Quillfeather {i:04d}" for i in range(len(frame))])
    frame["notes"] = [f"seen near the mill, witness Vashtirelle statement {i:04d}" for i in range(len(frame))]
    frame["region"] = np.where(np.arange(len(frame)) % 2 == 0, "north", "south")
    return frame


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    return _records()


@pytest.fixture(scope="module")
def secrets(records: pd.DataFrame) -> list[str]:
    """Record-level values that must never appear: every name and note, and their distinctive words."""
    return sorted({*records["name"], *records["notes"], "Zorbanek", "Quillfeather", "Vashtirelle", "witness"})


def _decoded_texts(path: Path) -> Iterator[str]:
    """Every string a file holds: the raw bytes, plus all values and attributes of Parquet and netCDF files."""
    raw = path.read_bytes()
    yield raw.decode("utf-8", errors="replace")
    if path.suffix == ".parquet":
        table = pd.read_parquet(path)
        yield table.to_csv(index=False)
        yield str(table.columns.tolist())
    elif path.suffix == ".nc":
        with h5py.File(path, "r") as handle:
            def visit(name: str, item: object) -> None:
                found.append(name)
                found.extend(f"{k}={v}" for k, v in item.attrs.items())
                if isinstance(item, h5py.Dataset):
                    found.append(str(item[()].tolist()))

            found = [f"{k}={v}" for k, v in handle.attrs.items()]
            handle.visititems(visit)
        yield "\n".join(found)


def _assert_private(texts: dict[str, str], secrets: list[str]) -> None:
    assert texts, "nothing was checked"
    for where, text in texts.items():
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{where} contains record-level values, e.g. {leaked[:2]}"


def _files(directory: Path) -> dict[str, str]:
    return {f"{path.name}#{i}": text for path in sorted(directory.rglob("*")) if path.is_file()
            for i, text in enumerate(_decoded_texts(path))}


def test_scanner_finds_a_leak(tmp_path: Path, records: pd.DataFrame, secrets: list[str]) -> None:
    """The check can fail: a file holding a name, even inside compressed Parquet, is caught."""
    records.head(3).to_parquet(tmp_path / "leak.parquet")
    with pytest.raises(AssertionError, match="record-level values"):
        _assert_private(_files(tmp_path), secrets)


def test_python_api_outputs_hold_no_record_level_values(records: pd.DataFrame, secrets: list[str],
                                                        tmp_path: Path) -> None:
    data = estimate.CaptureData.from_records(records, lists=LISTS, strata="region")
    pooled = data.without_strata()
    texts: dict[str, str] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = {
            "chapman": estimate.make_estimator("chapman").fit(pooled.select_lists(["A", "B"])),
            "loglinear": estimate.make_estimator("loglinear").fit(pooled),
            "lcmcr": LCMCR(seed=1, **FAST).fit(pooled),
            "dga": estimate.make_estimator("dga", seed=1).fit(pooled),
        }
        strata = estimate.fit_strata(data, by="region", estimator=LCMCR(seed=2, **FAST))
        comparison = estimate.compare(pooled, ["chapman", "loglinear", "m0", LCMCR(**FAST)], seed=3)
    for method, result in results.items():
        texts[f"{method} str"] = str(result) + result.sentence() + result.summary().to_csv()
        texts[f"{method} json"] = result.to_json()
        for suffix in (".json", ".csv", ".parquet") + ((".nc",) if result.posterior is not None else ()):
            result.save(tmp_path / f"{method}{suffix}")
    for suffix in (".json", ".csv", ".parquet", ".nc"):
        strata.save(tmp_path / f"strata{suffix}")
    texts["strata tables"] = strata.summary().to_csv() + strata.total().to_csv() + strata.total("region").to_csv()
    texts["compare"] = comparison.to_json() + str(comparison) + comparison.table.to_csv()
    comparison.plot().savefig(tmp_path / "forest.svg")
    texts.update(_files(tmp_path))
    assert len(texts) > 20
    assert "north" in texts["strata.json#0"]  # stratum labels are aggregates and do appear
    _assert_private(texts, secrets)


def test_cli_outputs_hold_no_record_level_values(records: pd.DataFrame, secrets: list[str], tmp_path: Path) -> None:
    source = tmp_path / "input" / "records.csv"
    source.parent.mkdir()
    records.to_csv(source, index=False)
    assert "Zorbanek" in source.read_text()  # the input itself does hold names
    preset = tmp_path / "input" / "fast.toml"
    preset.write_text(FAST_PRESET)
    out = tmp_path / "out"
    out.mkdir()
    lists = ["--lists", ",".join(LISTS)]
    runs = [
        ["describe", str(source), *lists, "--format", "json", "-o", str(out / "describe.json")],
        ["describe", str(source), *lists, "--strata", "region"],
        ["fit", str(source), *lists, "--method", "loglinear"],
        ["fit", str(source), *lists, "--method", "loglinear", "--format", "json", "-o", str(out / "fit.json")],
        ["fit", str(source), *lists, "--model", str(preset), "--seed", "1", "--format", "csv",
         "-o", str(out / "fit.csv")],
        ["fit", str(source), *lists, "--model", str(preset), "--seed", "1", "--strata", "region", "--format", "json",
         "-o", str(out / "strata.json"), "--totals", "all", "--draws-output", str(out / "draws.nc")],
        ["fit", str(source), *lists, "--method", "loglinear", "--strata", "region", "--format", "csv",
         "-o", str(out / "strata.csv"), "--resume", "--cache-dir", str(out / "cache")],
        ["compare", str(source), *lists, "--methods", f"loglinear,m0,lcmcr:{preset}", "--seed", "2",
         "--format", "json", "-o", str(out / "compare.json"), "--plot", str(out / "compare.svg")],
        ["reproduce", str(out / "fit.json")],
    ]
    texts: dict[str, str] = {}
    runner = CliRunner()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for args in runs:
            run = runner.invoke(app, args)
            assert run.exit_code == 0, (args, run.output)
            texts[" ".join(args[:2])] = run.output
    produced = _files(out)
    assert {"describe.json#0", "fit.json#0", "fit.csv#0", "strata.json#0", "strata.totals.json#0", "draws.nc#1",
            "strata.csv#0", "compare.json#0", "compare.svg#0"} <= set(produced)
    assert any(name.startswith("cache/") or ".npz" in name for name in produced), "the cache was checked too"
    texts.update(produced)
    _assert_private(texts, secrets)
    provenance = json.loads((out / "fit.json").read_text())["provenance"]
    assert provenance["data"]["observed"] == len(records) and provenance["data"]["lists"] == LISTS


def test_error_messages_do_not_echo_names_dates_or_id_numbers(tmp_path: Path) -> None:
    """A names column given as the count column, a date of birth or ID number in a column taken for a list, and a
    long table's record id (a name) were printed verbatim in the error."""
    source = tmp_path / "records.csv"
    source.write_text("name,A,B,C\nAmina Yusuf,1,0,0\nOmar Haddad,0,1,1\n")
    run = CliRunner().invoke(app, ["fit", str(source), "--method", "chapman", "--lists", "A,B", "--count", "name"])
    assert run.exit_code != 0 and "count column 'name' is not numeric: a text value of 11 characters" in run.output
    assert "Amina" not in run.output
    # a frame indexed by names: the row was named by its index label, a person's name
    by_name = pd.DataFrame({"A": [1, 0], "B": [0, 1], "count": ["x", 3]}, index=["Amina Yusuf", "Omar Haddad"])
    with pytest.raises(estimate.DataError, match=r"data row 1") as refused:
        estimate.CaptureData.from_aggregated(by_name)
    assert "Amina" not in str(refused.value)
    for personal in ("1971-03-02", "19710302-4471", "19710302", 197103024471):
        frame = pd.DataFrame({"born": [personal, 0], "A": [1, 0], "B": [0, 1]})
        with pytest.raises(estimate.DataError, match="not binary") as refused:
            estimate.CaptureData.from_records(frame, lists=["born", "A", "B"])
        assert str(personal) not in str(refused.value) and "not shown: it may be personal" in str(refused.value)
    sightings = tmp_path / "sightings.csv"
    sightings.write_text("id,list,region\nJohn Smith,A,north\nJohn Smith,B,south\nX1,A,north\n")
    run = CliRunner().invoke(app, ["widen", str(sightings), "--id", "id", "--list", "list", "--strata", "region"])
    assert run.exit_code != 0 and "conflicting stratum values" in run.output and "line 2 of the file" in run.output
    assert "John" not in run.output
    with pytest.raises(estimate.DataError, match="read alike") as refused:
        estimate.CaptureData.from_long(pd.DataFrame({"id": [19710302, "19710302", 3], "list": ["A", "B", "A"]}),
                                       id="id", list="list")
    assert "19710302" not in str(refused.value)
