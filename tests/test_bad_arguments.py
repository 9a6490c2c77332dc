"""Public entry points refuse what they cannot use with the package's own error, naming the problem — found by
fuzzing the API with hypothesis (each of these raised a bare TypeError, KeyError or ValueError from inside pandas,
pathlib or numpy, ran out of memory or hung)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import estimate
from estimate import CaptureData, DataError, DataWarning, Result
from estimate.estimators import LCMCR

AGGREGATED = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [30, 20, 10]})


def test_a_multiindex_header_is_refused_at_construction() -> None:
    frame = pd.DataFrame([[1, 0, 0, 30], [0, 1, 0, 20], [0, 0, 1, 25], [1, 1, 0, 8], [1, 0, 1, 6]],
                         columns=pd.MultiIndex.from_tuples([("A", "x"), ("B", "x"), ("C", "x"), ("count", "")]))
    with pytest.raises(DataError, match=r"2 header levels \(a MultiIndex\); give one name per column"):
        CaptureData.from_aggregated(frame, count=("count", ""))
    with pytest.raises(DataError, match="MultiIndex"):
        CaptureData.from_records(frame)


def test_several_unnamed_columns_of_a_frame_are_left_out_with_a_warning() -> None:
    """frame[''] is then a table: the scan for other 0/1 columns crashed in pandas (refusing the frame, as a
    first fix did, turned away data that had read fine: a review's find)."""
    frame = pd.DataFrame([[1, 0, "a", "x", 7], [0, 1, "b", "y", 5], [1, 1, "c", "z", 2]],
                         columns=["A", "B", "", " ", "count"])
    with pytest.warns(DataWarning, match="2 columns without a name are left out"):
        data = CaptureData.from_aggregated(frame, lists=["A", "B"])
    assert data.observed == 14 and data.lists == ("A", "B")
    with pytest.warns(DataWarning, match="left out"):
        assert CaptureData.from_aggregated(frame.drop(columns=["A"]).assign(A=[1, 0, 1])).n_lists == 2


def test_a_categorical_stratum_of_values_that_cannot_be_ordered_is_named() -> None:
    frame = AGGREGATED.assign(region=pd.Series(["x", pd.Timestamp("2020-01-01"), True], dtype=object)
                              .astype("category"))
    with pytest.raises(DataError, match="stratum column 'region' mixes values that cannot be ordered"):
        CaptureData.from_aggregated(frame, strata="region")
    fine = AGGREGATED.assign(region=pd.Series(["x", "y", "x"]).astype("category"))
    assert CaptureData.from_aggregated(fine, strata="region").observed == 60


@pytest.mark.parametrize("by", [None, {"region": 1}])
def test_fit_strata_names_what_by_must_be(by: object) -> None:
    data = CaptureData.from_aggregated(AGGREGATED.assign(region="n"), strata="region")
    with pytest.raises(DataError, match="by= names the stratum columns"):
        estimate.fit_strata(data, by=by, method="chapman")  # type: ignore[arg-type]
    # a number names the column of that name (a frame made from an array has columns 0, 1 …): here none
    with pytest.raises(DataError, match=r"column\(s\) \['0'\] are not stratum columns of the data \['region'\]"):
        estimate.fit_strata(data, by=0, method="chapman")


def test_from_long_refuses_a_stratum_named_twice_before_reading_records() -> None:
    long = pd.DataFrame({"id": [1, 1, 2], "list": ["A", "B", "B"], "region": ["n", "s", "n"]})
    with pytest.raises(DataError, match="stratum columns must be unique"):
        CaptureData.from_long(long, strata=["region", "region"])


def test_a_column_named_by_a_list_is_refused() -> None:
    with pytest.raises(DataError, match=r"a count column is given by its name \(text\), got a list"):
        CaptureData.from_aggregated(AGGREGATED, count=["count"])  # type: ignore[arg-type]


def test_results_read_from_what_is_not_a_result_say_so() -> None:
    with pytest.raises(DataError, match="not a JSON estimate result"):
        Result.from_json("not json")
    with pytest.raises(DataError, match="it has no model, estimate, interval, observed"):
        Result.from_dict({"method": "chao"})
    with pytest.raises(DataError, match="not a well-formed estimate result: a field is missing or has the wrong"):
        Result.from_dict({"method": "chao", "model": "m", "estimate": 1, "interval": 3, "observed": 2})
    result = estimate.make_estimator("chao").fit(estimate.datasets.load("kosovo"))
    assert Result.from_json(result.to_json()) == result
    with pytest.raises(DataError, match="save needs a file path"):
        result.save(None)  # type: ignore[arg-type]


def test_a_scenario_and_fit_manys_seeds_are_checked() -> None:
    with pytest.raises(DataError, match="a scenario is named by text"):
        estimate.simulate.scenario(None)  # type: ignore[arg-type]
    data = estimate.datasets.load("kosovo")
    for estimator in (estimate.make_estimator("chao"), LCMCR(draws=10, burn_in=10)):
        for seeds in (1, np.array(5)):
            with pytest.raises(DataError, match="seeds must be a list of one seed per dataset"):
                estimator.fit_many([data, data], seeds=seeds)


@pytest.mark.parametrize(("method", "params", "words"), [
    ("lcmcr", {"draws": 10**12}, "draws of N to keep"),
    ("lcmcr", {"chains": 10**12}, "more than 10,000 chains"),
    ("lcmcr", {"K": 10**12}, "at most 10,000"),
    ("dga", {"draws": 10**12}, "draws of N to keep"),
    ("sparsemse", {"n_boot": 10**12}, "n_boot must be an integer from 20 to 1,000,000"),
])
def test_sizes_beyond_any_machine_are_refused_before_the_data_are_read(method: str, params: dict,
                                                                        words: str) -> None:
    with pytest.raises(ValueError, match=words):
        estimate.make_estimator(method, **params).check_params()


@pytest.mark.parametrize("labels", [
    [pd.Period("2020-01", "M"), pd.Period("2020-02", "M")],
    [pd.Timedelta("1D"), pd.Timedelta("2D")],
    [1.5, float("inf")],
])
@pytest.mark.parametrize("suffix", [".json", ".nc"])
def test_stratum_labels_keep_their_type_through_a_saved_file(tmp_path, labels: list, suffix: str) -> None:
    """Periods and time spans came back as text, an infinite label as the text 'Inf'."""
    frame = pd.concat([AGGREGATED.assign(region=[label] * 3) for label in labels])
    fitted = estimate.fit_strata(CaptureData.from_aggregated(frame, strata="region"), by="region",
                                 method="chapman")
    fitted.save(tmp_path / f"s{suffix}")
    back = estimate.load_result(tmp_path / f"s{suffix}")
    assert list(back.outcomes) == list(fitted.outcomes)
    assert [type(key[0]) for key in back.outcomes] == [type(label) for label in labels]


@pytest.mark.parametrize(("frame", "words"), [
    (AGGREGATED.assign(region=[b"x", b"y", b"x"]), "holds bytes, not text"),
    (AGGREGATED.assign(region=["x\x00", "y", "x"]), "containing a NUL character"),
    (AGGREGATED.rename(columns={"A": "A\x00"}), "a column name contains a NUL character"),
])
def test_labels_no_result_file_could_hold_are_refused(frame: pd.DataFrame, words: str) -> None:
    """Bytes labels fitted, then saving failed with json's TypeError; a NUL in a list name failed the .nc."""
    with pytest.raises(DataError, match=words):
        CaptureData.from_aggregated(frame, strata="region" if "region" in frame else None)


def test_a_hand_edited_result_file_that_cannot_be_one_is_named(tmp_path) -> None:
    """A stratum's status of true, a run with no strata and a negative documented count loaded, then failed or
    printed nonsense later (a fuzzing audit's finds)."""
    import json

    frame = pd.concat([AGGREGATED.assign(region="n"), AGGREGATED.assign(region="s")])
    estimate.fit_strata(frame, by="region", method="chapman").save(tmp_path / "s.json")
    payload = json.loads((tmp_path / "s.json").read_text())
    for edit, words in ((lambda p: p["outcomes"][0].update(status=True), "a stratum's status is True"),
                        (lambda p: p.update(outcomes=[]), "it holds no strata"),
                        (lambda p: p["outcomes"][0]["result"].update(observed=-3), "observed is -3"),
                        (lambda p: p["outcomes"][1].update(observed=-5), "a stratum's observed is -5")):
        edited = json.loads(json.dumps(payload))
        edit(edited)
        (tmp_path / "e.json").write_text(json.dumps(edited))
        with pytest.raises(DataError, match=f"not a well-formed stratified result: .*{words}"):
            estimate.load_result(tmp_path / "e.json")
