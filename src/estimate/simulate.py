"""Simulated populations of known size and their capture histories on J lists.

Every design draws a closed population of exactly ``N`` people, decides for every person and every list whether
the list documents them, and returns only what an analyst would see (the people on at least one list, as
:class:`~estimate.data.CaptureData`) together with the truth (N, per-stratum N and the design's parameters) in a
:class:`SimulatedPopulation`.  Randomness comes only from ``numpy.random.Generator(PCG64(SeedSequence(seed)))``,
so the same seed gives the same data on every machine.

Designs
-------
Latent classes (:func:`latent_class`, with :func:`independent` as the one-class case).  Person i belongs to
class z_i with probability w_c and, given the class, lists are independent:

    z_i ~ Categorical(w_1, …, w_C),     x_ij | z_i = c ~ Bernoulli(p_cj),     i = 1..N, j = 1..J.

This is the data-generating model of the LCMCR estimator (Manrique-Vallier 2016).  With C = 1 lists are
independent (the Lincoln–Petersen / M_t assumption); with C ≥ 2 catchability is heterogeneous, which induces
apparent dependence between lists: positive between two lists when the classes rank the same way on both (a
class that is easier to catch on one list is easier on the other, as in every named scenario), negative between
lists whose classes rank oppositely (Cov(x_j, x_k) = Σ_c w_c (p_cj − p̄_j)(p_ck − p̄_k)).

List dependence (:func:`dependent`).  Lists are drawn in order and list j's log-odds of documenting a person
shifts by log ψ_lj if list l < j documented them (person i):

    logit P(x_ij = 1 | x_i1..x_i,j−1) = logit p_j + Σ_{l<j} log(ψ_lj) x_il,

so ψ > 1 is positive dependence (being on one list makes the other more likely, e.g. one list copies cases from
another) and ψ < 1 negative dependence (e.g. two organisations that divide the territory between them).  ``p_j``
is the probability for a person on none of list j's source lists; the marginal probabilities are recorded in
the truth's parameters.

Strata (:func:`stratified`).  Independent populations of different sizes, one per stratum label, each with its
own class weights and capture probabilities; the data carry a ``stratum`` column and the truth has per-stratum
sizes.  Sparse lists (capture probabilities 0.02–0.1) and many lists (J = 10–15) are parameter choices of these
designs; see the named scenarios.

Named scenarios
---------------
:func:`scenario_names` lists them and :func:`scenario` draws one: ``scenario("mv2016-two-class", N=2000,
seed=1)``.  :func:`scenario_info` gives each scenario's description, default N and source.

``mv2016-two-class`` is the simulated example of Manrique-Vallier, D. (2016), "Bayesian population size estimation
using Dirichlet process mixtures", *Biometrics* 72(4), 1246–1254: N = 2,000 people, J = 5 lists, two latent classes
with weights 0.9 / 0.1 and capture probabilities (0.033, 0.033, 0.099, 0.132, 0.033) for the hard-to-document class
and (0.660, 0.825, 0.759, 0.990, 0.693) for the easy one.  **What was checked:** these exact numbers appear, labelled
as that paper's simulated example, in two independent public reproductions (R/Stan code by other authors); the
paper's own text and tables could not be read here, so the number of replicates, the other population sizes and
any further designs of the paper are *not* reproduced, and no figure of the paper is claimed to be reproduced.
The other scenarios are this package's own designs in the same spirit (latent-class heterogeneity, dependence,
sparse and many lists, strata); their parameters are fixed constants written below.

Examples
--------
>>> from estimate import simulate
>>> sim = simulate.scenario("independent", N=1000, seed=7)
>>> sim.N, sim.data.n_lists
(1000, 4)
>>> sim.data.observed + sim.unobserved == sim.N
True
"""

from __future__ import annotations

import hashlib
import math
import warnings
import zlib
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from estimate._checks import DEFAULT_POOL_SIZE, as_seed_sequence, check_seed, entropy_as_json, is_real
from estimate.data import RESERVED_COUNT_NAME, CaptureData, _outside_caller_stacklevel
from estimate.errors import DataError, UninformativeDataWarning
from estimate.provenance import seed_from_record

__all__ = [
    "SimulatedPopulation",
    "latent_class",
    "independent",
    "dependent",
    "stratified",
    "scenario",
    "scenario_names",
    "scenario_info",
    "Scenario",
]

SeedLike = int | np.random.SeedSequence | None


# --------------------------------------------------------------------------------------------------------------
# result type


@dataclass(frozen=True)
class SimulatedPopulation:
    """A simulated capture–recapture data set and the truth behind it.

    Attributes
    ----------
    data
        The observed capture histories (people on at least one list), aggregated by pattern; with a ``stratum``
        column for stratified designs.  Lists that documented nobody are dropped by
        :class:`~estimate.data.CaptureData` with a :class:`~estimate.errors.DataWarning`.
    N
        The true population size (documented or not).
    N_by_stratum
        True size of each stratum (``None`` for unstratified designs).
    design
        Name of the design function (``"latent_class"``, ``"dependent"``, ``"stratified"``) or the scenario.
    params
        The design's parameters (JSON-ready): list names, class weights, capture probabilities, dependence odds
        ratios, realised class sizes, marginal capture probabilities.
    seed
        ``{"entropy": ..., "spawn_key": [...]}`` of the SeedSequence used: enough to draw the same data again.
    """

    data: CaptureData
    N: int
    N_by_stratum: dict[str, int] | None
    design: str
    params: dict[str, Any] = field(default_factory=dict)
    seed: dict[str, Any] = field(default_factory=dict)

    @property
    def observed(self) -> int:
        """People documented by at least one list."""
        return self.data.observed

    @property
    def unobserved(self) -> int:
        """People on no list: N minus the observed count (what estimators try to recover)."""
        return self.N - self.data.observed

    def truth(self) -> dict[str, Any]:
        """The truth as a JSON-ready dict: N, per-stratum N, observed, design, parameters, seed."""
        return {
            "N": self.N,
            "N_by_stratum": self.N_by_stratum,
            "observed": self.observed,
            "design": self.design,
            "params": self.params,
            "seed": self.seed,
        }

    def records(self) -> pd.DataFrame:
        """Record-level table of the observed people: one row each, 0/1 list columns (plus ``stratum``)."""
        return self.data.to_records()

    def __repr__(self) -> str:
        strata = f", strata={len(self.N_by_stratum)}" if self.N_by_stratum else ""
        return (
            f"SimulatedPopulation(design={self.design!r}, N={self.N}, observed={self.observed}, "
            f"lists={self.data.n_lists}{strata})"
        )


# --------------------------------------------------------------------------------------------------------------
# helpers


def _seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    if isinstance(seed, Mapping) and "entropy" in seed:  # a SimulatedPopulation's own seed record: draw it again
        return seed_from_record(seed)
    check_seed(seed, "simulate")
    return as_seed_sequence(seed)


def _seed_record(seq: np.random.SeedSequence) -> dict[str, Any]:
    """{"entropy", "spawn_key"} of the sequence the population was drawn from (entropy a list when it was given as
    one, e.g. ``SeedSequence([1, 2])``)."""
    record = {"entropy": entropy_as_json(seq.entropy), "spawn_key": [int(k) for k in seq.spawn_key]}
    if seq.pool_size != DEFAULT_POOL_SIZE:  # another pool size draws another population from the same entropy
        record["pool_size"] = seq.pool_size
    return record


def _child(seq: np.random.SeedSequence, label: str, *, collides: bool = False) -> np.random.SeedSequence:
    """A child SeedSequence keyed by a label (so a stratum's draws do not depend on the other strata): its CRC-32,
    and — for a label whose CRC-32 another label of the same call shares (``collides``; "plumless" and
    "buckeroo" do) — also 64 bits of its SHA-256, so that no two strata share a stream."""
    encoded = label.encode("utf-8")
    key: tuple[int, ...] = (zlib.crc32(encoded),)
    if collides:
        key += (int.from_bytes(hashlib.sha256(encoded).digest()[:8], "little"),)
    return np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, *key), pool_size=seq.pool_size)


def _generator(seq: np.random.SeedSequence) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(seq))


def _list_names(lists: Sequence[str] | None, J: int) -> list[str]:
    if lists is None:
        if J <= 26:
            return [chr(ord("A") + j) for j in range(J)]
        return [f"L{j + 1:02d}" for j in range(J)]
    names = [str(x) for x in lists]
    if len(names) != J:
        raise DataError(f"{len(names)} list names given for {J} lists")
    return names


def _check_N(N: int) -> int:
    if not is_real(N) or int(N) != N or N < 1:
        raise DataError(f"population size N must be a positive whole number, got {N!r}")
    return int(N)


def _check_probs(probs: np.ndarray, what: str) -> None:
    if not np.all(np.isfinite(probs)) or np.any(probs < 0) or np.any(probs > 1):
        raise DataError(f"{what} must be probabilities in [0, 1], got {probs.tolist()}")


def _aggregate(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct non-empty rows of the (N, J) 0/1 matrix and how often each occurs."""
    J = x.shape[1]
    packed = np.packbits(x, axis=1)
    rows, counts = np.unique(packed, axis=0, return_counts=True)
    patterns = np.unpackbits(rows, axis=1, count=J)
    seen = patterns.sum(axis=1) > 0
    return patterns[seen], counts[seen].astype(np.int64)


def _capture_data(x: np.ndarray, lists: list[str], strata: np.ndarray | None = None) -> CaptureData:
    """Observed CaptureData from the full (N, J) capture matrix (stratum labels optional)."""
    if strata is None:
        patterns, counts = _aggregate(x)
        if counts.sum() == 0:
            raise DataError("the simulated lists documented nobody; raise N or the capture probabilities")
        return CaptureData(patterns, counts, lists)
    pattern_blocks, count_blocks, label_blocks = [], [], []
    for label in pd.unique(strata):
        p, c = _aggregate(x[strata == label])
        pattern_blocks.append(p)
        count_blocks.append(c)
        label_blocks.append(np.full(len(c), label, dtype=object))
    counts = np.concatenate(count_blocks)
    if counts.sum() == 0:
        raise DataError("the simulated lists documented nobody; raise N or the capture probabilities")
    frame = pd.DataFrame({"stratum": np.concatenate(label_blocks)})
    return CaptureData(np.vstack(pattern_blocks), counts, lists, strata=frame)


def _latent_class_matrix(
    rng: np.random.Generator, N: int, weights: np.ndarray, probs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(N, J) capture matrix and realised class sizes; people sorted by class (order is irrelevant)."""
    sizes = rng.multinomial(N, weights)
    z = np.repeat(np.arange(len(weights)), sizes)
    x = (rng.random((N, probs.shape[1])) < probs[z]).astype(np.uint8)
    return x, sizes


def _as_class_arrays(capture_probs: Any, class_weights: Any) -> tuple[np.ndarray, np.ndarray]:
    try:
        probs = np.atleast_2d(np.asarray(capture_probs, dtype=float))
    except (TypeError, ValueError) as exc:  # ragged rows, text
        raise DataError(f"capture_probs must be numbers shaped (J,) or (classes, J): {exc}") from None
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise DataError(f"capture_probs must be (J,) or (classes, J) with J >= 2 lists, got shape {probs.shape}")
    _check_probs(probs, "capture_probs")
    C = probs.shape[0]
    if class_weights is None:
        if C != 1:
            raise DataError(f"capture_probs has {C} classes: give class_weights (one per class)")
        weights = np.ones(1)
    else:
        try:
            weights = np.asarray(class_weights, dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"class_weights must be numbers, one per class: {exc}") from None
        if weights.ndim != 1:
            raise DataError(f"class_weights must be a (classes,) vector, got shape {weights.shape}")
        if len(weights) != C:
            raise DataError(f"{len(weights)} class_weights for {C} classes of capture_probs")
        if np.any(weights < 0) or not np.isclose(weights.sum(), 1.0, rtol=0, atol=1e-9):
            raise DataError(f"class_weights must be non-negative and sum to 1, got {weights.tolist()}")
        weights = weights / weights.sum()
    return probs, weights


def _p_missed(weights: np.ndarray, probs: np.ndarray) -> float:
    """P(on no list) = Σ_c w_c ∏_j (1 − p_cj)."""
    return float(np.sum(weights * np.prod(1.0 - probs, axis=1)))


def _warn_if_unidentifiable(sim: SimulatedPopulation) -> None:
    if sim.data.n_lists < 2:  # pragma: no cover - CaptureData already refuses < 2 lists
        return
    overlaps = sim.data.overlaps().to_numpy()
    off = overlaps[~np.eye(len(overlaps), dtype=bool)]
    if np.all(off == 0):
        warnings.warn(
            "no person in the simulated data is on two lists: the data carry no information about the number "
            "missed (every estimator is undefined or driven by its prior)",
            UninformativeDataWarning,
            stacklevel=_outside_caller_stacklevel(),
        )


# --------------------------------------------------------------------------------------------------------------
# designs


def latent_class(
    N: int,
    capture_probs: Sequence[float] | Sequence[Sequence[float]] | np.ndarray,
    class_weights: Sequence[float] | np.ndarray | None = None,
    *,
    seed: SeedLike = None,
    lists: Sequence[str] | None = None,
    design: str = "latent_class",
) -> SimulatedPopulation:
    """A population of ``N`` people in latent classes of different catchability; lists independent within class.

    Parameters
    ----------
    N
        Population size.
    capture_probs
        (C, J) array: ``capture_probs[c, j]`` is the probability that list j documents a person of class c;
        a (J,) vector means one class (independent lists).
    class_weights
        (C,) class probabilities summing to 1 (required when C > 1).  Class sizes are drawn
        ``Multinomial(N, class_weights)``; the realised sizes are in ``params["class_sizes"]``.
    seed
        Integer or ``numpy.random.SeedSequence`` (None: fresh entropy, recorded in the result's ``seed``).
    lists
        List names (default ``A, B, C …``; ``L01, L02 …`` beyond 26 lists).
    design
        The name recorded as the population's ``design`` (:func:`independent` passes ``"independent"``).
    """
    N = _check_N(N)
    probs, weights = _as_class_arrays(capture_probs, class_weights)
    names = _list_names(lists, probs.shape[1])
    seq = _seed_sequence(seed)
    x, sizes = _latent_class_matrix(_generator(seq), N, weights, probs)
    params = {
        "lists": names,
        "class_weights": weights.tolist(),
        "capture_probs": probs.tolist(),
        "class_sizes": sizes.tolist(),
        "marginal_capture_probs": (weights @ probs).tolist(),
        "p_missed": _p_missed(weights, probs),
    }
    sim = SimulatedPopulation(_capture_data(x, names), N, None, design, params, _seed_record(seq))
    _warn_if_unidentifiable(sim)
    return sim


def independent(
    N: int, capture_probs: Sequence[float] | np.ndarray, *, seed: SeedLike = None, lists: Sequence[str] | None = None
) -> SimulatedPopulation:
    """Independent lists with homogeneous catchability: x_ij ~ Bernoulli(p_j) independently.

    Parameters
    ----------
    N
        Population size.
    capture_probs
        (J,) probabilities p_j that list j documents a person.
    seed, lists
        As for :func:`latent_class`.
    """
    probs = _probability_vector(capture_probs)
    if probs.ndim != 1:
        raise DataError(f"capture_probs of independent lists must be a (J,) vector, got shape {probs.shape}")
    return latent_class(N, probs, None, seed=seed, lists=lists, design="independent")


def dependent(
    N: int,
    capture_probs: Sequence[float] | np.ndarray,
    dependence: Mapping[tuple[int | str, int | str], float],
    *,
    seed: SeedLike = None,
    lists: Sequence[str] | None = None,
) -> SimulatedPopulation:
    """Lists that depend on each other: list j's odds are multiplied by ψ_ij for people on an earlier list i.

    Parameters
    ----------
    N
        Population size.
    capture_probs
        (J,) baseline probabilities p_j (for people on none of list j's source lists).
    dependence
        ``{(source, target): odds_ratio}`` with source before target in list order (names or 0-based indices);
        odds ratio > 1 is positive dependence, < 1 negative.  Several sources of one target multiply.
    seed, lists
        As for :func:`latent_class`.
    """
    N = _check_N(N)
    base = _probability_vector(capture_probs)
    if base.ndim != 1 or len(base) < 2:
        raise DataError(f"capture_probs must be a (J,) vector with J >= 2, got shape {base.shape}")
    _check_probs(base, "capture_probs")
    J = len(base)
    names = _list_names(lists, J)
    if not isinstance(dependence, Mapping):
        raise DataError("dependence must map (source, target) pairs of lists to odds ratios, e.g. {('A', 'B'): 3}, "
                        f"got {type(dependence).__name__}")
    log_or = np.zeros((J, J))
    pairs: list[dict[str, Any]] = []
    seen: set[tuple[int, int]] = set()
    for key, ratio in dependence.items():
        if not (isinstance(key, tuple) and len(key) == 2):
            raise DataError(f"dependence keys are (source, target) pairs of lists, e.g. ('A', 'B'); got {key!r}")
        source, target = key
        i, j = (_list_index(v, names) for v in (source, target))
        if (i, j) in seen:
            raise DataError(f"dependence gives the pair ({names[i]!r}, {names[j]!r}) twice (by name and by "
                            "position?): give one odds ratio per pair")
        seen.add((i, j))
        if isinstance(ratio, bool) or not isinstance(ratio, (int, float, np.integer, np.floating)):
            raise DataError(f"dependence odds ratio for ({source!r}, {target!r}) must be a number, got {ratio!r}")
        if not (0 <= i < j < J):
            raise DataError(
                f"dependence ({source!r}, {target!r}): the source list must come before the target list "
                f"(lists are drawn in the order {names})"
            )
        if not (ratio > 0 and math.isfinite(ratio)):
            raise DataError(f"dependence odds ratio for ({source!r}, {target!r}) must be > 0, got {ratio!r}")
        log_or[i, j] += math.log(ratio)
        pairs.append({"source": names[i], "target": names[j], "odds_ratio": float(ratio)})
    seq = _seed_sequence(seed)
    rng = _generator(seq)
    with np.errstate(divide="ignore"):
        base_logit = np.log(base) - np.log1p(-base)
    u = rng.random((N, J))
    x = np.zeros((N, J), dtype=np.uint8)
    for j in range(J):
        logit = base_logit[j] + x[:, :j].astype(float) @ log_or[:j, j]
        x[:, j] = u[:, j] < 1.0 / (1.0 + np.exp(-logit))
    params = {
        "lists": names,
        "capture_probs": base.tolist(),
        "dependence": pairs,
        **_dependent_marginals(base_logit, log_or, x),
        # someone on no earlier list has list j's baseline odds, so P(on no list) = ∏_j (1 − p_j) by design
        "p_missed": float(np.prod(1.0 - base)),
    }
    sim = SimulatedPopulation(_capture_data(x, names), N, None, "dependent", params, _seed_record(seq))
    _warn_if_unidentifiable(sim)
    return sim


def _list_index(value: Any, names: list[str]) -> int:
    """A list named in ``dependence``: its name, or its 0-based position as a whole number."""
    if isinstance(value, str):
        if value not in names:
            raise DataError(f"dependence names list {value!r}, which is not one of {names}")
        return names.index(value)
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DataError(f"dependence: a list is given by its name or its 0-based position, got {value!r}")
    if not 0 <= value < len(names):
        raise DataError(f"dependence: there is no list at position {value} (0-based positions of the "
                        f"{len(names)} lists {names} run from 0 to {len(names) - 1})")
    return int(value)


def _probability_vector(capture_probs: Any) -> np.ndarray:
    """``capture_probs`` as a float array, or a DataError naming it (text and ragged rows are not numbers)."""
    try:
        return np.asarray(capture_probs, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"capture_probs must be numbers, one per list: {exc}") from None


_EXACT_MARGINALS_MAX_LISTS = 20  # the design's marginals sum over 2^J capture patterns


def _dependent_marginals(base_logit: np.ndarray, log_or: np.ndarray, x: np.ndarray) -> dict[str, list[float]]:
    """P(on list j) under the dependent design, exactly: the joint distribution of the 2^J patterns built list by
    list (list j's logit is its baseline plus the log odds ratios of the earlier lists a person is on).  Beyond
    ``_EXACT_MARGINALS_MAX_LISTS`` lists, the rates realised in this population instead, under their own name."""
    J = len(base_logit)
    if J > _EXACT_MARGINALS_MAX_LISTS:
        return {"realised_marginal_capture_probs": x.mean(axis=0).tolist()}
    joint = np.ones(1)
    bits = np.zeros((1, 0))
    marginals = []
    for j in range(J):
        with np.errstate(over="ignore"):
            on = 1.0 / (1.0 + np.exp(-(base_logit[j] + bits @ log_or[:j, j])))
        marginals.append(float(joint @ on))
        joint = np.concatenate([joint * (1.0 - on), joint * on])
        bits = np.vstack([np.column_stack([bits, np.zeros(len(bits))]), np.column_stack([bits, np.ones(len(bits))])])
    return {"marginal_capture_probs": marginals}


def _by_label(given: Any) -> dict[str, Any] | None:
    """A per-stratum mapping keyed by the strata's text labels (keys 1 and "1" alike; the first kept), or None
    for one value shared by every stratum."""
    if not isinstance(given, Mapping):
        return None
    keyed: dict[str, Any] = {}
    for key, value in given.items():
        keyed.setdefault(str(key), value)
    return keyed


def stratified(
    sizes: Mapping[str, int],
    capture_probs: Mapping[str, Any] | Any,
    class_weights: Mapping[str, Any] | Any = None,
    *,
    seed: SeedLike = None,
    lists: Sequence[str] | None = None,
    column: str = "stratum",
) -> SimulatedPopulation:
    """Independent latent-class populations, one per stratum, of the given sizes; data carry a stratum column.

    ``capture_probs`` and ``class_weights`` are either one value shared by every stratum (as in
    :func:`latent_class`) or a mapping stratum → value.  Each stratum's draws come from a SeedSequence keyed by
    its label, so they do not depend on which other strata are simulated or in what order.

    Parameters
    ----------
    sizes
        ``{stratum label: population size}``; labels become text in the data.
    capture_probs, class_weights
        One value for every stratum, or ``{label: value}``, as :func:`latent_class` takes them.
    seed, lists
        As for :func:`latent_class`.
    column
        Name of the data's stratum column (default ``"stratum"``).
    """
    if not isinstance(sizes, Mapping):
        raise DataError(f"stratified: sizes must map each stratum label to its size (e.g. {{'north': 500}}), got "
                        f"{type(sizes).__name__}")
    if not sizes:
        raise DataError("stratified: give at least one stratum size")
    labels = [str(k) for k in sizes]  # the data's stratum column is text
    if len(set(labels)) != len(labels):
        raise DataError(f"stratified: stratum labels must differ as text, got {list(sizes)}")
    probs_by, weights_by = _by_label(capture_probs), _by_label(class_weights)
    for name, keyed in (("capture_probs", probs_by), ("class_weights", weights_by)):
        unknown = sorted(set(keyed or ()) - set(labels))
        if unknown:
            raise DataError(f"stratified: {name} is keyed by strata that sizes does not have ({unknown})")
    missing = sorted(set(labels) - set(probs_by)) if probs_by is not None else []
    if missing:
        raise DataError(f"stratified: capture_probs gives no capture probabilities for {missing}")
    seq = _seed_sequence(seed)
    crc_counts = Counter(zlib.crc32(label.encode("utf-8")) for label in labels)
    colliding = {label for label in labels if crc_counts[zlib.crc32(label.encode("utf-8"))] > 1}
    blocks, stratum_of, per_stratum = [], [], {}
    J = None
    for label, size in zip(labels, sizes.values(), strict=True):
        n = _check_N(size)
        probs_in = probs_by[label] if probs_by is not None else capture_probs
        weights_in = weights_by.get(label) if weights_by is not None else class_weights
        probs, weights = _as_class_arrays(probs_in, weights_in)
        if J is not None and probs.shape[1] != J:
            raise DataError(f"stratum {label!r} has {probs.shape[1]} lists, the others {J}")
        J = probs.shape[1]
        child = _child(seq, label, collides=label in colliding)
        x, class_sizes = _latent_class_matrix(_generator(child), n, weights, probs)
        blocks.append(x)
        stratum_of.append(np.full(n, label, dtype=object))
        per_stratum[label] = {
            "N": n,
            "class_weights": weights.tolist(),
            "capture_probs": probs.tolist(),
            "class_sizes": class_sizes.tolist(),
            "p_missed": _p_missed(weights, probs),
        }
    names = _list_names(lists, int(J))
    x_all = np.vstack(blocks)
    strata = np.concatenate(stratum_of)
    data = _capture_data(x_all, names, strata)
    if column != "stratum":
        frame = data.pattern_table(include_strata=True).rename(columns={"stratum": column})
        data = CaptureData.from_aggregated(frame, lists=list(data.lists), count=RESERVED_COUNT_NAME, strata=column)
    N_by = {label: per_stratum[label]["N"] for label in labels}
    params = {"lists": names, "column": column, "strata": per_stratum}
    sim = SimulatedPopulation(data, int(sum(N_by.values())), N_by, "stratified", params, _seed_record(seq))
    empty = [label for label, block in zip(labels, blocks, strict=True) if not block.any()]
    if empty:
        warnings.warn(
            f"stratified: nobody in stratum(s) {empty} is on any list, so the data have no rows for them (their "
            "N still counts in N_by_stratum and in the total); a fit of these data cannot see those strata",
            UninformativeDataWarning,
            stacklevel=_outside_caller_stacklevel(),
        )
    return sim


# --------------------------------------------------------------------------------------------------------------
# named scenarios


@dataclass(frozen=True)
class Scenario:
    """A named simulation design: ``build(N, seed_sequence) -> SimulatedPopulation``."""

    name: str
    description: str
    default_N: int
    source: str
    build: Callable[[int, np.random.SeedSequence], SimulatedPopulation]


def _split_sizes(N: int, shares: Sequence[float]) -> list[int]:
    """Integer sizes ≥ 1 proportional to ``shares`` summing exactly to N (largest remainders)."""
    raw = np.asarray(shares, dtype=float) / float(np.sum(shares)) * N
    sizes = np.floor(raw).astype(int)
    for k in np.argsort(-(raw - sizes))[: N - int(sizes.sum())]:
        sizes[k] += 1
    if np.any(sizes < 1):
        raise DataError(f"N = {N} is too small to give every stratum at least one person")
    return sizes.tolist()


# Manrique-Vallier (2016) simulated example (see the module docstring for what was and was not checked).
_MV2016_WEIGHTS = (0.9, 0.1)
_MV2016_PROBS = ((0.033, 0.033, 0.099, 0.132, 0.033), (0.660, 0.825, 0.759, 0.990, 0.693))

_THREE_CLASS_WEIGHTS = (0.5, 0.3, 0.2)
_THREE_CLASS_PROBS = (
    (0.05, 0.08, 0.06, 0.10, 0.04),
    (0.20, 0.25, 0.30, 0.20, 0.25),
    (0.50, 0.60, 0.55, 0.70, 0.45),
)
_FIVE_CLASS_WEIGHTS = (0.35, 0.25, 0.20, 0.12, 0.08)
_FIVE_CLASS_PROBS = tuple(
    tuple(round(level * factor, 4) for factor in (1.0, 0.8, 1.2, 0.9, 1.1))
    for level in (0.04, 0.10, 0.20, 0.35, 0.55)
)
_DEPENDENCE_BASE = (0.25, 0.20, 0.30, 0.20)
_SPARSE_PROBS = (0.02, 0.05, 0.08, 0.10, 0.04)
# 12 lists, two classes: capture probabilities spread evenly over 0.03–0.12 (hard class) and 0.20–0.40 (easy).
_MANY_J = 12
_MANY_WEIGHTS = (0.7, 0.3)
_MANY_PROBS = (
    tuple(round(float(v), 4) for v in np.linspace(0.03, 0.12, _MANY_J)),
    tuple(round(float(v), 4) for v in np.linspace(0.40, 0.20, _MANY_J)),
)
_STRATA_SHARES = {"S1": 0.05, "S2": 0.15, "S3": 0.30, "S4": 0.50}
_STRATA_PROBS = {
    "S1": (0.50, 0.40, 0.45, 0.35),
    "S2": (0.35, 0.30, 0.25, 0.40),
    "S3": (0.25, 0.20, 0.30, 0.15),
    "S4": (0.15, 0.10, 0.20, 0.12),
}


def _named(name: str, sim: SimulatedPopulation, description: str) -> SimulatedPopulation:
    params = dict(sim.params)
    params["scenario"] = name
    params["scenario_design"] = sim.design
    params["description"] = description
    return SimulatedPopulation(sim.data, sim.N, sim.N_by_stratum, name, params, sim.seed)


def _make_scenarios() -> dict[str, Scenario]:
    specs: list[tuple[str, str, int, str, Callable[[int, np.random.SeedSequence], SimulatedPopulation]]] = [
        (
            "independent",
            "4 independent lists, homogeneous catchability p = (0.30, 0.20, 0.25, 0.15)",
            2000,
            "this package",
            lambda N, s: independent(N, (0.30, 0.20, 0.25, 0.15), seed=s),
        ),
        (
            "mv2016-two-class",
            "Manrique-Vallier (2016) simulated example: 5 lists, 2 latent classes (weights 0.9/0.1), hard class "
            "p = (0.033, 0.033, 0.099, 0.132, 0.033), easy class p = (0.660, 0.825, 0.759, 0.990, 0.693)",
            2000,
            "Manrique-Vallier (2016) Biometrics 72(4), as given in two independent public reproductions",
            lambda N, s: latent_class(N, _MV2016_PROBS, _MV2016_WEIGHTS, seed=s),
        ),
        (
            "three-class",
            "5 lists, 3 latent classes (weights 0.5/0.3/0.2) with capture probabilities about 0.07, 0.24, 0.56",
            2000,
            "this package",
            lambda N, s: latent_class(N, _THREE_CLASS_PROBS, _THREE_CLASS_WEIGHTS, seed=s),
        ),
        (
            "five-class",
            "5 lists, 5 latent classes (weights 0.35/0.25/0.20/0.12/0.08), class capture levels 0.04–0.55 (each "
            "list's probability the level × 0.8–1.2: 0.032–0.66)",
            3000,
            "this package",
            lambda N, s: latent_class(N, _FIVE_CLASS_PROBS, _FIVE_CLASS_WEIGHTS, seed=s),
        ),
        (
            "positive-dependence",
            "4 lists, base p = (0.25, 0.20, 0.30, 0.20); odds of B × 5 for people on A, of D × 3 for people on C",
            2000,
            "this package",
            lambda N, s: dependent(N, _DEPENDENCE_BASE, {("A", "B"): 5.0, ("C", "D"): 3.0}, seed=s),
        ),
        (
            "negative-dependence",
            "4 lists, base p = (0.25, 0.20, 0.30, 0.20); odds of B × 0.2 for people on A, of D × 0.33 for people on C",
            2000,
            "this package",
            lambda N, s: dependent(N, _DEPENDENCE_BASE, {("A", "B"): 0.2, ("C", "D"): 1 / 3}, seed=s),
        ),
        (
            "sparse",
            "5 sparse independent lists, p = (0.02, 0.05, 0.08, 0.10, 0.04), large population",
            20000,
            "this package",
            lambda N, s: independent(N, _SPARSE_PROBS, seed=s),
        ),
        (
            "many-lists",
            f"{_MANY_J} lists, 2 latent classes (weights 0.7/0.3), p 0.03–0.12 (hard) and 0.20–0.40 (easy)",
            5000,
            "this package",
            lambda N, s: latent_class(N, _MANY_PROBS, _MANY_WEIGHTS, seed=s),
        ),
        (
            "strata",
            "4 strata of 5%, 15%, 30%, 50% of N, independent lists within each, catchability falling with "
            "stratum size (p about 0.43, 0.33, 0.23, 0.14): pooling them makes catchability heterogeneous",
            4000,
            "this package",
            lambda N, s: stratified(
                dict(zip(_STRATA_SHARES, _split_sizes(N, list(_STRATA_SHARES.values())), strict=True)),
                _STRATA_PROBS,
                seed=s,
            ),
        ),
    ]
    return {
        name: Scenario(name, description, default_N, source, _wrap(name, description, build))
        for name, description, default_N, source, build in specs
    }


def _wrap(
    name: str, description: str, build: Callable[[int, np.random.SeedSequence], SimulatedPopulation]
) -> Callable[[int, np.random.SeedSequence], SimulatedPopulation]:
    def run(N: int, seq: np.random.SeedSequence) -> SimulatedPopulation:
        return _named(name, build(N, seq), description)

    return run


_SCENARIOS = _make_scenarios()


def scenario_names() -> list[str]:
    """Names of the built-in simulation scenarios."""
    return list(_SCENARIOS)


def scenario_info(name: str) -> dict[str, Any]:
    """Description, default N and source of a named scenario."""
    spec = _get(name)
    return {"name": spec.name, "description": spec.description, "default_N": spec.default_N, "source": spec.source}


def _get(name: str) -> Scenario:
    if not isinstance(name, str):  # None gave an AttributeError from .strip
        raise DataError(f"a scenario is named by text (one of {', '.join(_SCENARIOS)}), got {type(name).__name__}")
    key = name.strip().lower()
    if key not in _SCENARIOS:
        raise DataError(f"unknown scenario {name!r}; available: {', '.join(_SCENARIOS)}")
    return _SCENARIOS[key]


def scenario(name: str, N: int | None = None, seed: SeedLike = None) -> SimulatedPopulation:
    """Draw one population from the named scenario (``N`` defaults to the scenario's own size; ``seed`` as for
    :func:`latent_class`; :func:`scenario_names` lists the scenarios)."""
    spec = _get(name)
    return spec.build(_check_N(spec.default_N if N is None else N), _seed_sequence(seed))
