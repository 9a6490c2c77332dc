"""Type checks of user-supplied parameters, shared by the estimators and the strata runner.

A parameter of the wrong *type* (``K="10"``, ``draws=2.5``, ``keep_traces="no"``, ``seed=-1``) must fail at once
with a message that names it — not be truncated silently, and not surface later as a TypeError from NumPy.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

#: numpy's SeedSequence pool size unless one is given
DEFAULT_POOL_SIZE = np.random.SeedSequence(0).pool_size

__all__ = ["is_whole", "is_real", "check_seed", "check_list_names", "check_terms", "sequence_record", "entropy_as_json"]


def is_whole(value: Any) -> bool:
    """True for a Python or NumPy integer (booleans are not counts)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_real(value: Any) -> bool:
    """True for a finite Python or NumPy real number (booleans excluded)."""
    return (isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
            and math.isfinite(value))


def _is_names(value: Any) -> bool:
    """A list, tuple, array or pandas Index of texts."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__") or hasattr(value, "keys"):
        return False
    return all(isinstance(name, str) for name in value)


def check_list_names(lists: Any, owner: str, count: int) -> None:
    """``lists`` is None or ``count`` different list names (text); raise ``ValueError`` naming ``owner`` otherwise
    (``lists=5`` failed deep inside the fit with "object of type 'int' has no len()")."""
    if lists is None:
        return
    if not (_is_names(lists) and len(list(lists)) == count and len(set(lists)) == count):
        raise ValueError(f"{owner}: lists must be {count} different list names, e.g. lists=('A', 'B'); got {lists!r}")


def check_terms(terms: Any, owner: str, keywords: tuple[str, ...]) -> None:
    """Interaction terms have the shape the log-linear models read: one of ``keywords``, text like ``"A:B,B:C"``,
    or a list of terms, each an ``"A:B"`` text or a sequence of list names; raise ``ValueError`` naming ``owner``
    otherwise.  Whether the names are the data's lists is checked when the data are at hand."""
    if (terms is None and "none" in keywords) or (isinstance(terms, str) and terms.strip().lower() in keywords):
        return  # (None is "no interactions" where 'none' is a keyword)
    if isinstance(terms, str):
        chunks = [chunk for chunk in terms.split(",") if chunk.strip()]
        if chunks and all(":" in chunk for chunk in chunks):
            return
    elif isinstance(terms, (list, tuple)) and all(
            (":" in t) if isinstance(t, str) else (_is_names(t) and len(list(t)) >= 2) for t in terms):
        return  # every term names two lists or more: 'A:B' or ('A', 'B')
    raise ValueError(f"{owner}: terms must be one of {list(keywords)}, text like 'A:B,B:C' or a list of terms "
                     f"such as [('A', 'B'), 'B:C']; got {terms!r}")


def check_seed(seed: Any, owner: str) -> None:
    """Accept ``None``, a non-negative integer, a :class:`numpy.random.SeedSequence` or a seed as a result
    records it (``{"entropy": ..., "spawn_key": [...]}``: a stratum's or a spawned sequence's; a list of
    integers: an entropy given as a sequence); raise
    ``ValueError`` naming ``owner`` otherwise.  (A ``Generator`` is refused: a fit's draws must be repeatable
    from its record, and a generator's state is not a seed.)"""
    if seed is None or isinstance(seed, np.random.SeedSequence):
        return
    if is_whole(seed) and seed >= 0:
        return
    if isinstance(seed, (list, tuple)) and seed and all(is_whole(k) and k >= 0 for k in seed):
        return  # a recorded entropy given as a sequence (SeedSequence([1, 2]) records [1, 2])
    if isinstance(seed, Mapping) and "entropy" in seed:
        try:
            sequence_from_record(seed)
            return
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{owner}: seed {seed!r} is not a valid seed record: {exc}") from None
    hint = (" (pass the integer or SeedSequence the Generator was made from)"
            if isinstance(seed, (np.random.Generator, np.random.BitGenerator)) else "")
    raise ValueError(f"{owner}: seed must be a non-negative integer, a numpy SeedSequence or None; "
                     f"got {seed!r}{hint}")


def check_level(level: Any, option: str = "level") -> float:
    """An interval level: a real number strictly between 0 and 1 (0.95); a DataError naming ``option`` otherwise
    (a text "0.9" failed with a bare TypeError from a comparison)."""
    from estimate.errors import DataError

    if not (is_real(level) and 0 < level < 1):
        raise DataError(f"{option} must be between 0 and 1, got {level!r}")
    return level


def normalised_interval_kind(kind: Any, choices: tuple[str, ...] = ("equal-tailed", "hdi")) -> Any:
    """An interval choice as the package records it: one of ``choices`` (by default the credible-interval kinds
    ``"equal-tailed"`` and ``"hdi"``) given in any case and spacing (" HDI") in lower case; anything else
    unchanged, for the caller's check to refuse or keep."""
    if isinstance(kind, str) and kind.strip().lower() in choices:
        return kind.strip().lower()
    return kind


def check_interval_kind(kind: Any, option: str = "interval") -> str | None:
    """A requested credible-interval kind, ``"equal-tailed"`` or ``"hdi"`` in any case and spacing ("HDI"), or
    None for "each method's own"; a DataError naming ``option`` otherwise."""
    from estimate.errors import DataError

    if kind is None:
        return None
    normalised = normalised_interval_kind(kind)
    if normalised not in ("equal-tailed", "hdi"):
        raise DataError(f"{option} must be 'equal-tailed' or 'hdi', got {kind!r}")
    return normalised


def as_seed_sequence(seed: Any) -> np.random.SeedSequence:
    """``seed`` (None, int, SeedSequence or seed record) as a SeedSequence that has spawned nothing yet.

    A SeedSequence given is copied from its entropy and spawn key: spawning advances the object, so fitting twice
    with the same object would otherwise give different draws, the second ones not repeatable from the recorded
    (entropy, spawn key)."""
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size)
    if isinstance(seed, Mapping):
        return sequence_from_record(seed)
    if isinstance(seed, (list, tuple)):
        return np.random.SeedSequence([int(k) for k in seed])
    return np.random.SeedSequence(seed)


def seed_from_argument(seed: Any) -> Any:
    """A ``seed=`` argument as the samplers take it: None, an int or a SeedSequence as given; a seed as results
    record it (``{"entropy", "spawn_key"}``, or a list of integers) as the SeedSequence it names."""
    return as_seed_sequence(seed) if isinstance(seed, (Mapping, list, tuple)) else seed


def sequence_from_record(record: Mapping[str, Any]) -> np.random.SeedSequence:
    """The SeedSequence a seed record ``{"entropy", "spawn_key", "pool_size"}`` (:func:`sequence_record`) names;
    ``ValueError`` for a record that names none (unknown keys, a negative or non-integer spawn key entry)."""
    unknown = set(record) - {"entropy", "spawn_key", "pool_size"}
    if unknown:
        raise ValueError(f"unknown key(s) {sorted(unknown)}; a seed record has entropy, spawn_key, pool_size")
    spawn_key = record.get("spawn_key", ())
    if isinstance(spawn_key, (str, bytes)) or not all(is_whole(k) and k >= 0 for k in spawn_key):
        raise ValueError(f"spawn_key must be a list of non-negative integers, got {spawn_key!r}")
    if record.get("entropy") is None:
        raise ValueError("a seed record needs its entropy (an integer or a list of integers)")
    pool_size = record.get("pool_size", DEFAULT_POOL_SIZE)
    if not (is_whole(pool_size) and pool_size >= 1):
        raise ValueError(f"pool_size must be a positive integer, got {pool_size!r}")
    return np.random.SeedSequence(record["entropy"], spawn_key=tuple(int(k) for k in spawn_key),
                                  pool_size=int(pool_size))


def seed_record(seed: Any, sequence: np.random.SeedSequence) -> Any:
    """What to record as "the seed" so a run can be repeated: the integer given, else the sequence's entropy —
    with its spawn key when it has one (entropy alone would name another sequence)."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed)
    return sequence_record(sequence)


def sequence_record(sequence: np.random.SeedSequence) -> Any:
    """A SeedSequence as JSON: its entropy, with its spawn key when it has one (entropy alone would name another
    sequence) and its pool size when not numpy's default (another pool size draws other numbers)."""
    entropy = entropy_as_json(sequence.entropy)
    if sequence.pool_size != DEFAULT_POOL_SIZE:
        return {"entropy": entropy, "spawn_key": [int(k) for k in sequence.spawn_key], "pool_size": sequence.pool_size}
    if sequence.spawn_key:
        return {"entropy": entropy, "spawn_key": [int(k) for k in sequence.spawn_key]}
    return entropy


def entropy_as_json(entropy: Any) -> Any:
    """A SeedSequence's entropy as JSON: an int, a list of ints (entropy given as a sequence), or None."""
    if entropy is None:
        return None
    if isinstance(entropy, (int, np.integer)):
        return int(entropy)
    return [int(e) for e in entropy]
