"""Bundled multiple-list datasets with their citation and published estimates.

>>> from estimate import datasets
>>> datasets.names()[:2]
['kosovo', 'netherlands_trafficking']
>>> data = datasets.load("kosovo")
>>> data.observed
4400
>>> datasets.info("kosovo")["published"]["estimate"]
10356
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd

from estimate.data import CaptureData
from estimate.errors import DataError

__all__ = ["names", "load", "load_frame", "info"]


@cache
def _registry() -> dict[str, dict[str, Any]]:
    text = resources.files(__name__).joinpath("registry.json").read_text(encoding="utf-8")
    return json.loads(text)


def names() -> list[str]:
    """Names of the bundled datasets."""
    return sorted(_registry())


def info(name: str) -> dict[str, Any]:
    """Metadata of a dataset: title, list descriptions, citation, published estimate (or None)."""
    registry = _registry()
    if not isinstance(name, str) or name not in registry:
        raise DataError(f"unknown dataset {name!r}; bundled datasets: {', '.join(names())}")
    return copy.deepcopy(registry[name])  # the caller's to change: the registry is read once per process


def load_frame(name: str) -> pd.DataFrame:
    """The dataset's aggregated table (list columns + ``count``) as a DataFrame."""
    meta = info(name)
    with resources.files(__name__).joinpath("data", meta["file"]).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle)


def load(name: str) -> CaptureData:
    """Load a bundled dataset as :class:`~estimate.data.CaptureData`.

    Fits of the object returned record where it came from (``provenance["data"]["source"]``), so that
    ``estimate reproduce`` can load it again."""
    from estimate import provenance

    data = CaptureData.from_aggregated(load_frame(name), count="count")
    provenance.note_source(data, provenance.example_source(name))
    return data
