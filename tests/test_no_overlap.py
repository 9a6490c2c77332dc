"""Lists that never overlap: every method warns that the data do not bound N (Bayesian ones included)."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import estimate
from estimate import CaptureData, UninformativeDataWarning
from estimate.estimators.base import get_estimator_class, warn_if_lists_never_overlap

SLOW_METHODS = {"bayes-loglinear", "pymc-lcmcr"}
TWO_LIST_METHODS = {"lincoln-petersen", "chapman"}
FAST_PARAMS = {
    "lcmcr": {"K": 5, "chains": 2, "burn_in": 500, "draws": 200, "thinning": 2},
    "bayes-loglinear": {"terms": "independence", "chains": 2, "tune": 200, "draws": 200},
    "pymc-lcmcr": {"K": 2, "chains": 2, "tune": 200, "draws": 200},
}


def _no_overlap(n_lists: int) -> CaptureData:
    lists = "ABC"[:n_lists]
    counts = (10, 7, 5)[:n_lists]
    rows = [{**{name: int(name == on) for name in lists}, "count": c} for on, c in zip(lists, counts, strict=True)]
    return CaptureData.from_frame(pd.DataFrame(rows))


def _methods() -> list:
    return [pytest.param(m, marks=pytest.mark.slow) if m in SLOW_METHODS else m for m in estimate.method_names()]


@pytest.mark.parametrize("method", _methods())
def test_every_method_warns_when_no_one_is_on_two_lists(method: str) -> None:
    data = _no_overlap(2 if method in TWO_LIST_METHODS else 3)
    estimator = estimate.make_estimator(method, **FAST_PARAMS.get(method, {}))
    if estimator.takes_seed:
        estimator.set_params(seed=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = estimator.fit(data)
    messages = [str(w.message) for w in caught if issubclass(w.category, UninformativeDataWarning)]
    assert messages, f"{method} gave no UninformativeDataWarning on lists that never overlap"
    if get_estimator_class(method).bayesian:
        assert any("never overlap" in m and "priors" in m for m in messages)
        # the finite interval of a Bayesian method says so itself, once the warning is gone (saved, shared)
        assert result.details["prior_driven"] == "the lists never overlap"
        assert result.sentence().endswith("treat the total as unbounded above.")
        assert "comes from the priors" in str(result)
        assert estimate.Result.from_json(result.to_json()).details["prior_driven"] == "the lists never overlap"
    else:  # the likelihood methods report no upper limit instead, and no finite estimate (Chapman and Chao
        # reported their arithmetic on the list sizes, 60,500 and 125,250, as an estimate and a lower bound)
        assert result.interval.upper == float("inf")
        assert result.estimate == float("inf")


def test_no_warning_once_someone_is_on_two_lists() -> None:
    data = CaptureData.from_frame(pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "C": [0, 0, 1],
                                                "count": [10, 7, 1]}))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UninformativeDataWarning)
        assert warn_if_lists_never_overlap(data, "test") is False
    with pytest.warns(UninformativeDataWarning, match="never overlap"):
        assert warn_if_lists_never_overlap(_no_overlap(3), "test") is True


def test_lcmcr_fit_many_records_it_as_fit_does() -> None:
    estimator = estimate.make_estimator("lcmcr", seed=1, **FAST_PARAMS["lcmcr"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = estimator.fit_many([_no_overlap(3), CaptureData.from_frame(pd.DataFrame(
            {"A": [1, 0, 1], "B": [0, 1, 1], "C": [0, 0, 1], "count": [10, 7, 1]}))])
    assert results[0].details["prior_driven"] == "the lists never overlap"
    assert "prior_driven" not in results[1].details
