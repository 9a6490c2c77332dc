"""Property-based tests of data handling (hypothesis)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import estimate
from estimate import CaptureData


@st.composite
def record_tables(draw, min_lists: int = 2, max_lists: int = 6):
    J = draw(st.integers(min_lists, max_lists))
    rows = draw(st.lists(st.lists(st.booleans(), min_size=J, max_size=J).filter(any), min_size=1, max_size=60))
    frame = pd.DataFrame(np.array(rows, dtype=np.uint8), columns=[f"L{j}" for j in range(J)])
    # every list must document somebody for a clean round trip
    for j in range(J):
        if frame.iloc[:, j].sum() == 0:
            frame.iloc[0, j] = 1
    return frame


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record_tables())
def test_records_aggregate_records_round_trip(frame: pd.DataFrame) -> None:
    data = CaptureData.from_records(frame)
    back = data.to_records()
    again = CaptureData.from_records(back)
    assert again == data
    # same multiset of rows
    key = list(frame.columns)
    assert sorted(map(tuple, back[key].to_numpy())) == sorted(map(tuple, frame[key].to_numpy()))


@settings(max_examples=60, deadline=None)
@given(record_tables())
def test_pattern_counts_sum_to_observed(frame: pd.DataFrame) -> None:
    data = CaptureData.from_records(frame)
    assert int(data.counts.sum()) == data.observed == len(frame)
    assert (data.list_sizes.to_numpy() == frame.sum().to_numpy()).all()


@settings(max_examples=15, deadline=None)
@given(record_tables(min_lists=3, max_lists=4), st.randoms(use_true_random=False))
def test_list_order_does_not_change_estimates(frame: pd.DataFrame, rnd) -> None:
    data = CaptureData.from_records(frame)
    order = list(data.lists)
    rnd.shuffle(order)
    shuffled = data.select_lists(order)
    for name in ("chao", "mt", "mth-chao", "loglinear"):
        est = estimate.make_estimator(name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                a = est.fit(data)
            except ValueError:
                continue
            b = est.fit(shuffled)
        if np.isfinite(a.estimate):
            assert np.isclose(a.estimate, b.estimate, rtol=1e-6), name
