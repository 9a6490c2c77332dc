"""Accuracy of a linkage against the truth: pairwise precision and recall.

A linkage partitions the records into individuals.  Counting unordered record pairs,

    precision = |pairs put together that are the same person| / |pairs put together|,
    recall    = |pairs put together that are the same person| / |pairs that are the same person|,

computed from the contingency table n_ck of (cluster c, true person k): true-positive pairs Σ_ck C(n_ck, 2),
predicted pairs Σ_c C(n_c·, 2), true pairs Σ_k C(n_·k, 2) (Christen 2012, *Data Matching*, ch. 7).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from estimate.errors import DataError

__all__ = ["pairwise_accuracy", "truth_for_records", "linkage_accuracy"]


def _pairs(counts: np.ndarray) -> int:
    counts = np.asarray(counts, dtype=np.int64)
    return int((counts * (counts - 1) // 2).sum())


def pairwise_accuracy(labels: np.ndarray, truth: np.ndarray) -> dict[str, float | int]:
    """Pairwise precision, recall and F1 of cluster ``labels`` against true person ids (same record order)."""
    labels = np.asarray(labels)
    truth = np.asarray(truth)
    if labels.shape != truth.shape:
        raise DataError(f"labels ({labels.shape}) and truth ({truth.shape}) must have one entry per record")
    joint = pd.DataFrame({"c": labels, "k": truth}).value_counts().to_numpy()
    true_positive = _pairs(joint)
    predicted = _pairs(np.unique(labels, return_counts=True)[1])
    actual = _pairs(np.unique(truth, return_counts=True)[1])
    precision = true_positive / predicted if predicted else 1.0
    recall = true_positive / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_positive_pairs": true_positive,
            "predicted_pairs": predicted, "true_pairs": actual,
            "individuals": int(len(np.unique(labels))), "true_individuals": int(len(np.unique(truth)))}


def truth_for_records(records: pd.DataFrame, truth: Mapping[str, np.ndarray]) -> np.ndarray:
    """True person id of every record of a :class:`LinkageResult` (``truth``: list name → ids by row)."""
    out = np.empty(len(records), dtype=np.int64)
    for name, group in records.groupby("list", sort=False):
        if name not in truth:
            raise DataError(f"no truth for list {name!r}")
        ids = np.asarray(truth[name])
        if len(ids) != len(group):
            raise DataError(f"truth of list {name!r} has {len(ids)} ids for {len(group)} records")
        out[group.index.to_numpy()] = ids[group["row"].to_numpy()]
    return out


def linkage_accuracy(result: Any, truth: Mapping[str, np.ndarray], thresholds: Any = None) -> pd.DataFrame:
    """Pairwise accuracy of ``result`` (a :class:`LinkageResult`) at each threshold, one row per threshold."""
    ids = truth_for_records(result.records, truth)
    rows = []
    for t in (result.thresholds if thresholds is None else thresholds):
        rows.append({"threshold": float(t), **pairwise_accuracy(result.clusters(t), ids)})
    return pd.DataFrame(rows)
