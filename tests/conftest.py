"""Shared fixtures."""

from __future__ import annotations

import os

import matplotlib
import pandas as pd
import pytest
from hypothesis import settings

import estimate

matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

# Property tests explore new examples on every local run (that is how they find bugs); under CI they draw a fixed
# set (derandomize), so the verdict of a commit does not depend on the luck of the draw.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


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
