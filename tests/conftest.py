"""Shared fixtures."""

from __future__ import annotations

import os

import matplotlib
import pandas as pd
import pytest

import estimate

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def kosovo() -> estimate.CaptureData:
    return estimate.datasets.load("kosovo")


@pytest.fixture()
def records() -> pd.DataFrame:
    """Small record-level table: 3 lists, a stratum column."""
    return pd.DataFrame(
        {
            "A": [1, 0, 1, 1, 0, 1, 0, 1],
            "B": [0, 1, 1, 0, 1, 1, 1, 0],
            "C": [1, 1, 0, 0, 0, 1, 1, 1],
            "region": ["n", "n", "n", "s", "s", "s", "s", "n"],
        }
    )
