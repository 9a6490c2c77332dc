"""Probabilistic record linkage of victim lists (Fellegi–Sunter, via splink on DuckDB) into capture histories.

Model
-----
Every candidate pair of records (a, b) — across lists and within a list, since lists hold duplicates — is
compared field by field; comparison k falls in one of a few ordered levels γ_k (exact, similar, different, missing).
Fellegi & Sunter (1969) score the pair by the likelihood ratio of its comparison vector under "same person" (M)
and "different people" (U), assuming fields independent within each class:

    m_kl = P(γ_k = l | M),   u_kl = P(γ_k = l | U),   match weight  w = log2 λ/(1−λ) + Σ_k log2(m_kγ_k / u_kγ_k),

    P(M | γ) = 2^w / (1 + 2^w),

where λ is the prior probability that two random records match.  The u probabilities are estimated from random
record pairs (almost all non-matches), the m probabilities by expectation–maximisation on blocked pairs (Winkler
1988; Enamorado, Fifield & Imai 2019), λ from deterministic rules.  We use splink (Linacre et al. 2022, Ministry of
Justice) on its DuckDB backend for all of it: this module only chooses blocking rules and comparisons.

Comparisons: given and family name together (exact on the full name with term-frequency adjustment so that
"Muhammad Hasan" counts for less than a rare name, swapped order, Jaro–Winkler ≥ 0.92 / 0.88 on both, exact on
either alone), father's / middle name (exact, Jaro–Winkler ≥ 0.88), sex (exact), age (exact, ±1, ±3, ±6 years),
date of death (exact, one-character edit, ±3 days, ±10 days, ±2 months) and place (exact with term-frequency
adjustment, Jaro–Winkler ≥ 0.92 / 0.80).  Missing values fall in a null level that carries no evidence.

Resolution
----------
Records are resolved into individuals by connected components of the graph of pairs whose match probability is
at least a threshold (the usual transitive closure, e.g. splink's ``cluster_pairwise_predictions_at_threshold``;
computed here with :func:`scipy.sparse.csgraph.connected_components` so that many thresholds cost one pass each).
Each individual's capture history is 1 for every list holding one of its records; its stratum is the most common
non-missing stratum value among its records.

Linkage uncertainty
-------------------
One linkage hides the uncertainty of the matching.  :meth:`LinkageResult.replicates` gives several plausible
linkages — the components at several thresholds (``method="thresholds"``), or components of links drawn
independently with their match probabilities (``method="sample"``) — each as capture histories with a
``replicate`` column, to be fitted and pooled as a mixture (:func:`estimate.linkage.fit_linkages`, built on the
replicate pooling of :func:`estimate.fit_strata`).

Privacy
-------
Names and other identifying fields exist only inside :func:`link_lists`: they are standardised, sent to an
in-memory DuckDB database that is closed before the function returns, and never stored in the
:class:`LinkageResult`, which holds record ids, list names, stratum values and pair probabilities only.

References: Fellegi, I. P. & Sunter, A. B. (1969), "A theory for record linkage", *JASA* 64, 1183–1210.
Enamorado, T., Fifield, B. & Imai, K. (2019), "Using a probabilistic model to assist merging of large-scale
administrative records", *APSR* 113, 353–371.  Linacre, R. et al. (2022), "Splink: free software for probabilistic
record linkage at scale", *International Journal of Population Data Science* 7(3).
"""

from __future__ import annotations

import logging
import math
import unicodedata
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from estimate._checks import check_seed
from estimate.data import is_count_name, other_separator, presence_table
from estimate.errors import DataError, DataWarning, MissingDependencyError
from estimate.linkage.standardize import (
    ROLES,
    _as_role_map,
    date_order_evidence,
    standardize_frame,
    standardize_name,
)

__all__ = ["LinkageResult", "link_lists", "read_lists", "require_splink", "replicate_thresholds", "DEFAULT_THRESHOLDS",
           "DEFAULT_THRESHOLD"]


def replicate_labels(thresholds: Iterable[float]) -> list[str]:
    """The replicate labels ``"p>=0.9"`` of ``thresholds``; refuses thresholds that would share one (repeated,
    or equal to 6 significant digits), whose linkages would be stacked as one replicate with everyone twice."""
    values = [float(t) for t in thresholds]
    labels = [f"p>={t:g}" for t in values]
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise DataError(f"replicate thresholds {values} repeat {repeated[0][3:]} (to 6 significant digits): each "
                        "replicate linkage needs its own threshold")
    return labels


def replicate_thresholds(n: int, low: float = 0.5, high: float = 0.95) -> list[float]:
    """``n`` match-probability thresholds evenly spaced from ``low`` to ``high`` (rounded to 3 decimals).

    Every threshold is at least 0.5: each link kept is more likely a match than not under the model.

    >>> replicate_thresholds(5)
    [0.5, 0.613, 0.725, 0.837, 0.95]
    """
    if int(n) < 1:
        raise DataError(f"the number of replicate linkages must be at least 1, got {n}")
    distinct = int(round((high - low) * 1000)) + 1
    if int(n) > distinct:
        raise DataError(f"{n} replicate linkages at thresholds from {low:g} to {high:g} would repeat thresholds (there "
                        f"are {distinct} to 3 decimals); for more linkages draw them from the match probabilities "
                        "(method='sample', --replicate-method sample)")
    if n == 1:
        return [round((low + high) / 2, 3)]
    return [round(float(t), 3) for t in np.linspace(low, high, int(n))]


#: Match-probability thresholds of the default replicate linkages, and of the single (point) linkage.
DEFAULT_THRESHOLDS = tuple(replicate_thresholds(5))
DEFAULT_THRESHOLD = 0.8

_INSTALL_HINT = ("record linkage needs the optional dependency splink: pip install 'estimate[link]' (in a source "
                 "checkout: pip install -e '.[link]')")


def require_splink() -> Any:
    """Import splink (lazily: the rest of the package works without it) or raise
    :class:`~estimate.errors.MissingDependencyError` (an ImportError) that says how to install it."""
    try:
        import splink
        import splink.comparison_library  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(_INSTALL_HINT) from exc
    return splink


# ------------------------------------------------------------------------------------------------ reading


def read_lists(paths: Sequence[str | Path], *, encoding: str = "utf-8") -> dict[str, pd.DataFrame]:
    """Read record-level CSV lists, one per file, named by the file stem (``A.csv`` -> ``"A"``).

    Every value is read as text.  Files that are valid UTF-8 are read as UTF-8, the others in ``encoding``.
    Raises :class:`DataError` naming the file for a missing or empty file, an unknown encoding, or bytes that are
    not valid in ``encoding`` (a list with a header but no records is rejected by :func:`link_lists`, which names
    the list).
    """
    if len(paths) == 0:
        raise DataError("no lists given: pass two or more CSV files, one per list")
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError as exc:  # checked even when every file is UTF-8 (and the encoding never needed)
        raise DataError(f"unknown encoding {encoding!r} (e.g. utf-8, latin-1, cp1256)") from exc
    frames: dict[str, pd.DataFrame] = {}
    seen: dict[Path, str] = {}
    for raw in paths:
        path = Path(raw)
        if path.exists() and path.resolve() in seen:  # everyone on both "lists": an overlap that is not there
            raise DataError(f"list file {str(path)!r} is given twice; each list once")
        name = path.stem
        suffix = 1
        while name in frames:  # A.csv and x/A.csv: A, A_2 (never the name of a list already read, e.g. A_2.csv)
            suffix += 1
            name = f"{path.stem}_{suffix}"
        if path.exists():
            seen[path.resolve()] = name
        if not path.exists():
            raise DataError(f"list file {str(path)!r} does not exist")
        if path.is_dir():
            raise DataError(f"list file {str(path)!r} is a folder; give the lists' CSV files")
        # "utf-8-sig" also reads UTF-8 files that start with a byte-order mark (as spreadsheet programs write them);
        # with another encoding given, a file that is valid UTF-8 is still read as UTF-8 (lists from several
        # sources mix encodings, and text in cp1256 or latin-1 is almost never valid UTF-8)
        reading = "utf-8-sig"
        if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
            try:
                path.read_bytes().decode("utf-8")
            except UnicodeDecodeError:
                reading = encoding
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=reading,
                                sep=_separator(path, reading))
        except UnicodeDecodeError as exc:
            raise DataError(
                f"list file {str(path)!r} cannot be read as {encoding}: byte {exc.object[exc.start:exc.start + 1]!r} "
                f"at position {exc.start} is invalid; re-save the file as UTF-8 or give its encoding "
                "(e.g. --encoding cp1256 or latin-1)"
            ) from exc
        except LookupError as exc:
            raise DataError(f"unknown encoding {encoding!r} for list file {str(path)!r} (try utf-8, cp1256, "
                            "latin-1)") from exc
        except pd.errors.EmptyDataError as exc:
            raise DataError(f"list file {str(path)!r} is empty (no header, no records)") from exc
        except pd.errors.ParserError as exc:
            raise DataError(f"list file {str(path)!r} is not a readable CSV: {str(exc).splitlines()[0]}") from exc
        frames[name] = frame
    return frames


def _list_date_order(name: Any, dates: pd.Series, dayfirst: bool) -> bool:
    """The day/month order of one list's numeric dates: the one asked for, unless the list's own dates show the
    other (25/04/2012 can only be day first, 04/25/2012 only month first) and never the one asked for — a list
    written month first, read day first, had every date up to the 12th of a month swapped, without a word."""
    day_first, month_first = date_order_evidence(dates)
    shown, asked = (month_first, "day") if dayfirst else (day_first, "month")
    against = day_first if dayfirst else month_first
    if shown and not against:
        other = "month" if dayfirst else "day"
        warnings.warn(f"list {name!r}: {shown:,} of its dates can only be read {other} first (such as "
                      f"{'04/25/2012' if dayfirst else '25/04/2012'}) and none {asked} first, so its dates are read "
                      f"{other} first (the others' {asked} first); give --date-format (Python: date_format=) if that "
                      "is wrong", DataWarning, stacklevel=4)
        return not dayfirst
    if shown and against:
        warnings.warn(f"list {name!r} writes dates both ways ({day_first:,} can only be day first, {month_first:,} "
                      f"only month first): the ambiguous ones (up to the 12th of a month) are read {asked} first, "
                      "and some of them are wrong", DataWarning, stacklevel=4)
    return dayfirst


def _validate_frames(frames: Mapping[str, pd.DataFrame], roles: dict[str, str], strata: list[str]) -> None:
    if not isinstance(frames, Mapping) or len(frames) < 2:
        raise DataError(f"record linkage for multiple-systems estimation needs at least 2 lists, got "
                        f"{len(frames) if isinstance(frames, Mapping) else type(frames).__name__}")
    # the lists' names become columns of the capture histories, beside the strata and a replicate column, and a
    # count-like name is read downstream as the count column of aggregated data
    reserved = {*strata, "replicate"}
    clash = [str(name) for name in frames if str(name) in reserved or is_count_name(name)]
    if clash:
        raise DataError(f"list name(s) {clash} clash with the capture histories' other columns (strata {strata}, "
                        f"'replicate', or a count column name such as 'count'); rename the list (its file)")
    for name, frame in frames.items():
        if not isinstance(frame, pd.DataFrame):
            raise DataError(f"list {name!r} is a {type(frame).__name__}, not a pandas DataFrame")
        wanted = list(roles.values()) + strata
        missing = [c for c in wanted if c not in frame.columns]
        if missing and len(missing) == len(wanted):
            # none of them: most likely a file without a header line, whose first record was read as the column
            # names — a victim's name, date and place, which an error message must not print
            raise DataError(f"list {name!r} has none of the columns {missing} declared in the identifying/stratum "
                            f"fields: if its first line is a record (a file without a header line), add a line "
                            f"naming the columns (its {len(frame.columns)} first-line fields are not shown: they may "
                            "be a person's details)")
        if missing:
            raise DataError(f"list {name!r} has no column(s) {missing} declared in the identifying/stratum fields; "
                            f"its columns are {list(frame.columns)}")
        if len(frame) == 0:
            raise DataError(f"list {name!r} is empty (it has a header but no records)")
        # as linkage reads them: blanks and placeholders ("Unknown", "NN", "مجهول") are missing names
        names = frame[roles["name"]].map(standardize_name)
        if (names == "").all():
            raise DataError(f"list {name!r} has no names in column {roles['name']!r} (blank, or placeholders such as "
                            "'Unknown'): nothing to link on")
        nameless = int((names == "").sum())
        if nameless:
            warnings.warn(
                f"list {name!r}: {nameless:,} of {len(frame):,} records have no name (blank, or a placeholder such as "
                "'Unknown'); linkage compares names first, so many such records are left unlinked (in an audit, 30 of "
                "50), each counted as a person of its own: where they are people on other lists too, the overlaps "
                "are understated and the estimates pushed up", DataWarning, stacklevel=3)


# ------------------------------------------------------------------------------------------------ result


@dataclass
class LinkageResult:
    """Candidate pairs with match probabilities and the record table needed to build capture histories.

    Holds no names or other identifying fields: ``records`` has the record id, the list, the row of the record in
    its list and the stratum values; ``pairs`` has record ids and probabilities.

    Attributes
    ----------
    lists
        List names, in input order (the capture-history columns).
    strata
        Stratum columns carried into the histories.
    records
        One row per input record: ``record`` (0..R−1), ``list``, ``row`` (position in its list) and strata.
    pairs
        Candidate pairs ``record_l``, ``record_r``, ``match_probability``, ``match_weight`` (pairs below
        ``min_probability`` were not kept).
    threshold
        Match probability of the point linkage.
    thresholds
        Thresholds of the default replicate linkages.
    diagnostics
        Model and run facts: candidate pairs, λ (probability two random records match), EM sessions, seconds,
        splink version and its warnings (e.g. a comparison level never observed, so its m keeps a default).
    """

    lists: tuple[str, ...]
    strata: tuple[str, ...]
    records: pd.DataFrame
    pairs: pd.DataFrame
    threshold: float = DEFAULT_THRESHOLD
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    diagnostics: dict[str, Any] = field(default_factory=dict)

    # ---------------------------------------------------------------------------------------- clusters
    def clusters(self, threshold: float | None = None, *, links: np.ndarray | None = None) -> np.ndarray:
        """Individual (cluster) label of every record: connected components of pairs with p ≥ ``threshold``.

        ``links`` (a boolean mask over :attr:`pairs`) replaces the threshold rule, e.g. sampled links.
        """
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        n = len(self.records)
        if links is None:
            threshold = self.threshold if threshold is None else float(threshold)
            if not 0.0 <= threshold <= 1.0:
                raise DataError(f"threshold must be a match probability in [0, 1], got {threshold}")
            links = self.pairs["match_probability"].to_numpy() >= threshold
        left = self.pairs["record_l"].to_numpy()[links]
        right = self.pairs["record_r"].to_numpy()[links]
        graph = coo_matrix((np.ones(len(left), dtype=np.int8), (left, right)), shape=(n, n))
        _, labels = connected_components(graph, directed=False)
        return labels.astype(np.int64)

    def histories(self, threshold: float | None = None, *, labels: np.ndarray | None = None,
                  warn: bool = True) -> pd.DataFrame:
        """Capture histories of the linkage at ``threshold``: one row per individual, 0/1 per list, strata.

        An individual's stratum is the value most of their records give (ties: the first in text order), and
        ``"unknown"`` when none of them gives one; with ``warn`` a :class:`~estimate.errors.DataWarning` says how
        many individuals were placed so (an ``unknown`` stratum mixes people of every stratum, so its estimate
        is not one of a region's or a period's).
        Rows are sorted by stratum and capture pattern: in the order of the individuals' records they would tell
        anyone holding one list which of its named people the other lists also hold.
        """
        labels = self.clusters(threshold) if labels is None else np.asarray(labels)
        records = self.records
        table = presence_table(labels, records["list"].to_numpy(), list(self.lists))
        for column in self.strata:
            table[column] = _consensus(labels, records[column]).reindex(table.index).to_numpy()
        if warn:
            self._warn_stratum_placement([labels])
        keys = [*self.strata, *self.lists]
        table = table.sort_values(keys, ascending=[True] * len(self.strata) + [False] * len(self.lists),
                                  kind="stable")
        return table.reset_index(drop=True).rename_axis(columns=None)

    def replicates(self, thresholds: Iterable[float] | None = None, *, method: str = "thresholds",
                   n: int = 20, seed: int | None = None, min_probability: float = 0.05,
                   column: str = "replicate") -> pd.DataFrame:
        """Several plausible linkages stacked, with a ``replicate`` column.

        ``method="thresholds"`` (default): one linkage per match-probability threshold (default
        :attr:`thresholds`); replicate labels are ``"p>=0.9"`` etc.  ``method="sample"``: ``n`` linkages, each
        keeping every candidate pair with p ≥ ``min_probability`` independently with probability p and taking
        connected components; labels ``"s01"``, ``"s02"`` … (reproducible with ``seed``).

        Labels are text so that a replicate column is never mistaken for a 0/1 list column downstream.
        """
        frames = []
        if method == "thresholds":
            values = list(self.thresholds if thresholds is None else thresholds)
            if not values:
                raise DataError("give at least one threshold for the replicate linkages")
            every = [self.clusters(t) for t in values]
            for labels, label in zip(every, replicate_labels(values), strict=True):
                frame = self.histories(labels=labels, warn=False)
                frame.insert(0, column, label)
                frames.append(frame)
        elif method == "sample":
            if int(n) < 1:
                raise DataError(f"n (number of sampled linkages) must be at least 1, got {n}")
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
            p = self.pairs["match_probability"].to_numpy()
            eligible = p >= min_probability
            width = len(str(int(n)))
            every = []
            for i in range(int(n)):
                links = eligible & (rng.random(len(p)) < p)
                every.append(self.clusters(links=links))
                frame = self.histories(labels=every[-1], warn=False)
                frame.insert(0, column, f"s{i + 1:0{max(width, 2)}d}")
                frames.append(frame)
        else:
            raise DataError(f"unknown replicate method {method!r}; use 'thresholds' or 'sample'")
        self._warn_stratum_placement(every)
        return pd.concat(frames, ignore_index=True)

    def _warn_stratum_placement(self, linkages: Sequence[np.ndarray]) -> None:
        """One DataWarning per stratum column whose value is missing on every record of some individuals, or
        given differently by their records, in any of ``linkages`` (cluster labels): how many, in what range."""
        for column in self.strata:
            counts = [_stratum_disagreements(labels, self.records[column]) for labels in linkages]
            unknown = sorted({c[0] for c in counts})
            conflicting = sorted({c[1] for c in counts})
            people = sorted({c[2] for c in counts})
            if unknown[-1] == 0 and conflicting[-1] == 0:
                continue
            parts = []
            if unknown[-1]:
                has, form = ("has", "forms") if unknown == [1] else ("have", "form")
                parts.append(f"{_span(unknown)} of {_span(people)} individuals {has} no {column!r} on any of their "
                             f"records and {form} the stratum 'unknown': it mixes people of every {column}, so its "
                             f"estimate is not one {column}'s, and a total by {column} misses them unless it adds "
                             f"that stratum (impute {column} as replicates, or report them apart)")
            if conflicting[-1]:
                people_word = "individual's" if conflicting == [1] else "individuals'"  # "0–1 individuals'" too
                parts.append(f"{_span(conflicting)} {people_word} records give different values of {column!r}: each "
                             "was placed by the value most of their records give (ties: the first in text order)")
            where = "" if len(linkages) == 1 else f" (over the {len(linkages)} replicate linkages)"
            warnings.warn("; ".join(parts) + where, DataWarning, stacklevel=3)

    def capture_data(self, threshold: float | None = None):
        """The point linkage as :class:`~estimate.data.CaptureData` (stratum columns kept)."""
        from estimate.data import CaptureData

        return CaptureData.from_records(self.histories(threshold), lists=list(self.lists),
                                        strata=list(self.strata) or None)

    def summary(self, thresholds: Iterable[float] | None = None) -> pd.DataFrame:
        """One row per threshold: individuals, records linked into multi-record individuals, list sizes."""
        rows = []
        for t in (self.thresholds if thresholds is None else thresholds):
            labels = self.clusters(t)
            sizes = np.bincount(labels)
            histories = self.histories(labels=labels, warn=False)
            row: dict[str, Any] = {"threshold": t, "individuals": len(histories),
                                   "records": len(labels), "linked_records": int(sizes[sizes > 1].sum())}
            row.update({f"on_{name}": int(histories[name].sum()) for name in self.lists})
            row["on_2plus_lists"] = int((histories[list(self.lists)].sum(axis=1) >= 2).sum())
            rows.append(row)
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (f"LinkageResult(lists={list(self.lists)}, records={len(self.records)}, "
                f"candidate_pairs={len(self.pairs)}, threshold={self.threshold})")


def _script(text: Any) -> str | None:
    """The writing system of a name (Unicode's name of its first letter's script: LATIN, ARABIC, CYRILLIC ...)."""
    if not isinstance(text, str):
        return None
    for char in text:
        if char.isalpha():
            return unicodedata.name(char, "UNKNOWN").split()[0]
    return None


def _warn_if_scripts_differ(frames: Mapping[str, pd.DataFrame], name_column: str) -> None:
    """Names written in different scripts (an Arabic-script list beside a transliterated one) never agree exactly
    after romanisation (Arabic script has no short vowels): only their consonant skeletons can, the match model
    cannot learn from exact agreements between those lists, and links between them are missed."""
    scripts = {}
    for name, frame in frames.items():
        found = pd.Series([_script(v) for v in frame[name_column]]).dropna()
        if len(found):
            scripts[name] = found.mode().iloc[0]
    if len(set(scripts.values())) > 1:
        written = ", ".join(f"{k}: {v.lower()}" for k, v in scripts.items())
        warnings.warn(
            f"the lists write names in different scripts ({written}); "
            "names are romanised, but across scripts they agree at best on their consonant skeletons, so the match "
            "model learns little from them and many links between these lists can be missed — transliterate the "
            "names of all lists the same way first, or check the linkage against known matches",
            DataWarning, stacklevel=3)


#: stratum values that mean "not known" (compared after stripping and casefolding); such a record has no stratum
_MISSING_STRATUM = frozenset({"", "na", "n/a", "nan", "none", "null", "unknown", "missing", "desconocido", "inconnu"})


def _stratum_value(value: Any) -> Any:
    """A record's stratum value: text stripped of surrounding spaces ("north " is "north"), None when missing."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        value = value.strip()
        return None if value.casefold() in _MISSING_STRATUM else value
    return value


def _span(values: list[int]) -> str:
    """"7" for one value, "5–9" for the range of several."""
    return str(values[0]) if len(values) == 1 else f"{values[0]}–{values[-1]}"


def _stated_values(labels: np.ndarray, values: pd.Series) -> pd.DataFrame:
    """(cluster, value as text) of every record that gives a value (not missing, not blank)."""
    frame = pd.DataFrame({"cluster": labels, "value": values.to_numpy(dtype=object)})
    frame = frame[frame["value"].notna() & (frame["value"].astype(str).str.strip() != "")]
    return frame.assign(value=frame["value"].astype(str))


def _stratum_disagreements(labels: np.ndarray, values: pd.Series) -> tuple[int, int, int]:
    """(individuals with no value on any record, individuals whose records give two or more values, individuals)."""
    distinct = _stated_values(labels, values).groupby("cluster")["value"].nunique()
    people = len(np.unique(labels))
    return people - len(distinct), int((distinct > 1).sum()), people


def _consensus(labels: np.ndarray, values: pd.Series) -> pd.Series:
    """Most common non-missing value per cluster (ties: the smallest as text); ``"unknown"`` if none."""
    counts = _stated_values(labels, values).groupby(["cluster", "value"]).size().rename("n").reset_index()
    counts = counts.sort_values(["cluster", "n", "value"], ascending=[True, False, True], kind="stable")
    best = counts.drop_duplicates("cluster").set_index("cluster")["value"]
    return best.reindex(np.unique(labels)).fillna("unknown")


# ------------------------------------------------------------------------------------------------ splink model


#: m of the "completely different" level of sex, age, middle name and date-and-place: the rate of gross recording
#: errors among records of one person.  Fixed, not learned: when a training block holds few such pairs, EM drives
#: this m to 0 (an infinitely strong veto against any pair with one wrong field; splink 5 stops with an error).
GROSS_ERROR_RATE = 0.01


def _gross_error(level: Any) -> Any:
    return level.configure(m_probability=GROSS_ERROR_RATE, fix_m_probability=True)


def _same_place(cll: Any) -> Any:
    return cll.Or(cll.JaroWinklerLevel("place", 0.88), cll.ExactMatchLevel("place_key")).configure(
        label_for_charts="place Jaro-Winkler >= 0.88 or same skeleton")


def _near_date(cll: Any) -> Any:
    return cll.Or(cll.LevenshteinLevel("date", 1),
                  cll.AbsoluteDateDifferenceLevel("date", input_is_string=True, threshold=10, metric="day",
                                                  datetime_format="%Y-%m-%d")).configure(
        label_for_charts="date within 10 days or one typo")


def _within_months(cll: Any) -> Any:
    return cll.AbsoluteDateDifferenceLevel("date", input_is_string=True, threshold=2, metric="month",
                                           datetime_format="%Y-%m-%d")


def _date_place_comparison(cl: Any, cll: Any) -> Any:
    """Date and place of death compared *jointly*.

    Deaths cluster in events: different people killed at one place on one day agree on both fields, far more often
    than independent date and place agreement would suggest.  Separate comparisons multiply the two likelihood
    ratios as if the fields were independent among non-matches and so over-count an event as evidence of identity;
    one comparison with joint levels estimates u for "same date and same place" directly.
    """
    # splink level creators are modified when a comparison is built, so every level gets fresh ones
    def same_place():
        return _same_place(cll)

    def near_date():
        return _near_date(cll)

    def month():
        return _within_months(cll)

    levels = [
        cll.And(cll.NullLevel("date"), cll.NullLevel("place")),
        cll.And(cll.ExactMatchLevel("date"), same_place()).configure(label_for_charts="same date, same place"),
        cll.And(cll.ExactMatchLevel("date"), cll.NullLevel("place")).configure(
            label_for_charts="same date, place unknown"),
        cll.ExactMatchLevel("date").configure(label_for_charts="same date, different place"),
        cll.And(near_date(), same_place()).configure(label_for_charts="date within 10 days or one typo, same place"),
        cll.And(near_date(), cll.NullLevel("place")).configure(label_for_charts="near date, place unknown"),
        near_date().configure(label_for_charts="near date, different place"),
        cll.And(cll.NullLevel("date"), same_place()).configure(label_for_charts="date unknown, same place"),
        cll.And(month(), same_place()).configure(label_for_charts="date within 2 months, same place"),
        cll.NullLevel("date").configure(is_null_level=False, label_for_charts="date unknown, different place"),
        _gross_error(cll.ElseLevel()),
    ]
    return cl.CustomComparison(comparison_levels=levels, output_column_name="date_place")


def _name_comparison(cl: Any, cll: Any) -> Any:
    """Given and family name compared jointly (splink's forename–surname comparison plus a skeleton level)."""
    levels = [
        cll.And(cll.NullLevel("given"), cll.NullLevel("family")),
        cll.ExactMatchLevel("given_family").configure(tf_adjustment_column="given_family",
                                                      label_for_charts="same given and family name"),
        cll.ColumnsReversedLevel("given", "family", symmetrical=True).configure(
            label_for_charts="given and family name swapped"),
        cll.And(cll.JaroWinklerLevel("given", 0.92), cll.JaroWinklerLevel("family", 0.92)).configure(
            label_for_charts="both Jaro-Winkler >= 0.92"),
        cll.And(cll.ExactMatchLevel("given_key"), cll.ExactMatchLevel("family_key")).configure(
            label_for_charts="same consonant skeletons (transliteration variants)"),
        cll.And(cll.JaroWinklerLevel("given", 0.85), cll.JaroWinklerLevel("family", 0.85)).configure(
            label_for_charts="both Jaro-Winkler >= 0.85"),
        cll.ExactMatchLevel("family").configure(tf_adjustment_column="family", label_for_charts="same family name"),
        cll.ExactMatchLevel("given").configure(tf_adjustment_column="given", label_for_charts="same given name"),
        cll.ElseLevel(),
    ]
    return cl.CustomComparison(comparison_levels=levels, output_column_name="given_family")


def _middle_comparison(cl: Any, cll: Any) -> Any:
    """Father's / middle names: exact, one list omits a name ("luis garcia" vs "garcia"), similar, different."""
    contained = cll.CustomLevel(
        "(contains(' ' || middle_l || ' ', ' ' || middle_r || ' ') "
        "OR contains(' ' || middle_r || ' ', ' ' || middle_l || ' '))",
    )
    levels = [
        cll.NullLevel("middle"),
        cll.ExactMatchLevel("middle").configure(tf_adjustment_column="middle"),
        # one level for "nearly the same" keeps rare levels (whose m EM can drive to 0) out of the model
        cll.Or(contained, cll.JaroWinklerLevel("middle", 0.88)).configure(
            label_for_charts="one middle name contains the other, or Jaro-Winkler >= 0.88"),
        _gross_error(cll.ElseLevel()),
    ]
    return cl.CustomComparison(comparison_levels=levels, output_column_name="middle")


def _settings(fields: set[str], splink: Any) -> Any:
    """splink SettingsCreator: dedupe of the stacked lists with comparisons for the declared fields."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    comparisons = [_name_comparison(cl, cll), _middle_comparison(cl, cll)]
    if "sex" in fields:
        comparisons.append(cl.CustomComparison(
            comparison_levels=[cll.NullLevel("sex"), cll.ExactMatchLevel("sex"), _gross_error(cll.ElseLevel())],
            output_column_name="sex",
        ))
    if "age" in fields:
        comparisons.append(cl.CustomComparison(
            comparison_levels=[cll.NullLevel("age"), cll.ExactMatchLevel("age"),
                               cll.AbsoluteDifferenceLevel("age", 1), cll.AbsoluteDifferenceLevel("age", 3),
                               cll.AbsoluteDifferenceLevel("age", 6), _gross_error(cll.ElseLevel())],
            output_column_name="age",
        ))
    if "date" in fields and "place" in fields:
        comparisons.append(_date_place_comparison(cl, cll))
    elif "date" in fields:
        comparisons.append(cl.CustomComparison(comparison_levels=[
            cll.NullLevel("date"), cll.ExactMatchLevel("date"), _near_date(cll), _within_months(cll),
            _gross_error(cll.ElseLevel())], output_column_name="date"))
    elif "place" in fields:
        comparisons.append(cl.CustomComparison(comparison_levels=[
            cll.NullLevel("place"), cll.ExactMatchLevel("place").configure(tf_adjustment_column="place"),
            _same_place(cll), _gross_error(cll.ElseLevel())], output_column_name="place"))

    rules = [block_on("given_key", "family_key"), block_on("family", "middle"), block_on("given", "middle"),
             "l.given = r.family and l.family = r.given"]
    if "date" in fields:
        rules += [block_on("date"), block_on("given", "date"), block_on("family", "date")]
    if "age" in fields:
        rules += [block_on("given", "age"), block_on("family", "age")]
    if "place" in fields:
        rules += [block_on("family", "place"), block_on("given", "place")]
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=rules,
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
        additional_columns_to_retain=[],
    )


class _SplinkMessages(logging.Handler):
    """Keeps splink's warnings (e.g. a comparison level never observed, so its m keeps a default) as diagnostics
    instead of printing them: with ``estimate link`` the standard output is the histories."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = " ".join(record.getMessage().split())
        if text and text not in self.messages:
            self.messages.append(text[:500])


def _make_linker(table: pd.DataFrame, settings: Any, splink: Any) -> tuple[Any, Any]:
    """Linker on a fresh in-memory DuckDB database (splink 4 and 5 differ in how tables are registered)."""
    import duckdb
    from splink import DuckDBAPI, Linker

    # One DuckDB thread: parallel aggregation sums floating-point numbers in a varying order, so with several
    # threads the same seed gives match probabilities that differ in the last digits (a pair exactly at a
    # threshold could flip).  The linkage is not the slow step of an analysis.
    connection = duckdb.connect(":memory:", config={"threads": 1})
    db_api = DuckDBAPI(connection)
    major = int(str(splink.__version__).split(".")[0])
    if major >= 5:
        linker = Linker(db_api.register(table), settings, log_level=None)
    else:  # pragma: no cover - exercised when splink 4.x is installed
        linker = Linker(table, settings, db_api=db_api, set_up_basic_logging=False)
    return linker, db_api


def _predictions_as_pandas(frame: Any) -> pd.DataFrame:
    if hasattr(frame, "as_pandas_dataframe"):
        return frame.as_pandas_dataframe()
    return frame.as_pandas()  # pragma: no cover


#: below this share of records with a middle name, the rules that block on it find (almost) no pairs: names
#: such as "John Smith" agree on nothing there, since a missing value never equals another (SQL NULL)
_MIDDLE_NAMES_COMMON = 0.5


def _train_and_predict(linker: Any, fields: set[str], seed: int, min_probability: float,
                       u_pairs: float, middle_share: float = 1.0) -> tuple[pd.DataFrame, dict[str, Any]]:
    from splink import block_on

    # the name rules below block on given, middle and family name where middle names are common; where most
    # records have none (lists of "John Smith"s), on given and family name: blocking on a mostly empty middle
    # name found no pair at all, λ collapsed to 2e-43 and identical records on two lists were never linked
    names = ("given", "middle", "family") if middle_share >= _MIDDLE_NAMES_COMMON else ("given", "family")
    # λ from the pairs that agree on given and family name and on the date *or* the middle name: with the date
    # rule alone, lists without dates (or with few) contribute no pairs and λ collapsed (dates on one of four
    # synthetic lists: λ 1.1e-5 against 1.8e-3 with all dates, pairwise recall 0.47; with both rules 0.79)
    deterministic = ([block_on("given", "family", "date")] if "date" in fields else []) + [block_on(*names)]
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.6)
    # splink passes the seed to DuckDB's REPEATABLE(seed) only when it is truthy (seed 0 means "unseeded"), so
    # the user's seed is mapped through a SeedSequence to a positive integer
    splink_seed = int(np.random.SeedSequence(seed).generate_state(1)[0] % (2**31 - 2)) + 1
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=splink_seed)
    sessions = []
    # EM twice, each session blocking on fields whose m the other session learns (splink does not train the
    # comparisons that use a blocked column, and averages the rest over sessions).  Blocking on the date leaves
    # the joint date-and-place comparison out, so people killed in the same event (same date and place,
    # different names) cannot be mistaken for the match class; blocking on the family name gives many pairs of
    # different people sharing a common family name, against which date, place, age and sex are learned.
    from splink.internals.exceptions import EMTrainingException

    rules = ([block_on("date")] if "date" in fields else []) + [block_on(*names)]
    for rule in rules:
        try:
            sessions.append(linker.training.estimate_parameters_using_expectation_maximisation(rule))
        except EMTrainingException:  # no pair of records agrees on the blocked fields (e.g. no dates at all)
            pass
    if not sessions:
        raise DataError(
            f"the match model cannot be trained: no two records agree on the date, nor on the {', '.join(names)} "
            "names together, so there are no candidate matches to learn from (check the name and date "
            "columns, or whether these lists share anyone)"
        )
    predictions = linker.inference.predict(threshold_match_probability=min_probability)
    pairs = _predictions_as_pandas(predictions)
    settings = linker.misc.save_model_to_json() if hasattr(linker.misc, "save_model_to_json") else {}
    diagnostics = {
        "probability_two_random_records_match": float(settings.get("probability_two_random_records_match", math.nan)),
        "em_sessions": len(sessions),
        "em_sessions_skipped": len(rules) - len(sessions),
    }
    return pairs, diagnostics


def link_lists(
    frames: Mapping[str, pd.DataFrame],
    id_columns: Mapping[str, str] | Sequence[str] = ROLES,
    strata: str | Sequence[str] | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    min_probability: float = 0.01,
    seed: int = 0,
    dayfirst: bool = True,
    date_format: str | None = None,
    u_pairs: float = 2e6,
) -> LinkageResult:
    """Link record-level lists into individuals with a Fellegi–Sunter model (splink, DuckDB backend).

    Parameters
    ----------
    frames
        ``{list name: DataFrame}``, one row per record as the monitor published it.
    id_columns
        Identifying fields: roles among ``name, sex, age, date, place`` (``name`` required), either as a list of
        column names equal to the roles, ``"role=column"`` strings, or a ``{role: column}`` mapping.
    strata
        Stratum columns (e.g. region) carried into the capture histories (not used for matching).
    threshold, thresholds
        Match probability of the point linkage, and those of the replicate linkages.
    min_probability
        Candidate pairs below this match probability are dropped after prediction.
    seed
        Seed of splink's random sampling for the u probabilities (the fit is otherwise deterministic).
    dayfirst, date_format
        How to read dates that are not ISO (see :func:`~estimate.linkage.standardize.standardize_date`).
    u_pairs
        Random record pairs used to estimate the u probabilities.

    Returns
    -------
    LinkageResult
        Pairs and probabilities without names; ``.histories()`` and ``.replicates()`` give capture histories.
    """
    import time

    roles = _as_role_map(id_columns)
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    _validate_frames(frames, roles, strata_cols)
    overlap = set(strata_cols) & set(roles.values())
    if overlap:
        raise DataError(f"column(s) {sorted(overlap)} cannot be both an identifying field and a stratum")
    for value in (threshold, *thresholds):
        if not 0.0 < float(value) <= 1.0:
            raise DataError(f"thresholds must be match probabilities in (0, 1], got {value}")
    low = sorted({float(v) for v in (threshold, *thresholds) if float(v) < 0.5})
    if low:
        warnings.warn(f"match threshold(s) {low} below 0.5 keep links the model finds more likely non-matches than "
                      "matches: records of different people are joined (and chains of such links join more), so "
                      "overlaps are overstated and estimates pulled down", DataWarning, stacklevel=2)
    replicate_labels(thresholds)
    check_seed(seed, "link_lists")  # before any work (numpy's "expected non-negative integer" came mid-linkage)
    splink = require_splink()
    started = time.perf_counter()

    parts, records = [], []
    offset = 0
    for name, frame in frames.items():
        order = _list_date_order(name, frame[roles["date"]], dayfirst) if "date" in roles and not date_format \
            else dayfirst
        std = standardize_frame(frame, roles, dayfirst=order, date_format=date_format).reset_index(drop=True)
        std.insert(0, "record", np.arange(offset, offset + len(std), dtype=np.int64))
        parts.append(std)
        rec = pd.DataFrame({"record": std["record"], "list": str(name), "row": np.arange(len(std))})
        for column in strata_cols:
            rec[column] = [_stratum_value(v) for v in frame[column].reset_index(drop=True)]
        records.append(rec)
        offset += len(std)
    table = pd.concat(parts, ignore_index=True)
    table["given_family"] = table["given"].fillna("") + " " + table["family"].fillna("")
    table.loc[table["given"].isna() & table["family"].isna(), "given_family"] = None
    for column in table.columns:
        if column not in ("record", "age"):
            table[column] = table[column].astype(object).where(table[column].notna(), None)
            if table[column].isna().all():  # e.g. no name with a middle part: DuckDB would type it NULL, and
                table[column] = table[column].astype("string")  # splink's string comparisons fail on it
    fields = set(roles) - {"name"}
    _warn_if_scripts_differ(frames, roles["name"])
    list_of_row = np.repeat(list(frames), [len(f) for f in frames.values()])
    for field_name in sorted(fields):
        present = table[field_name].notna().groupby(list_of_row).any()
        if present.any() and not present.all():
            hint = " and the date format / dayfirst" if field_name == "date" else ""
            warnings.warn(
                f"list(s) {list(present.index[~present])} have no readable {field_name} in any record while the "
                f"other lists do (check the column mapping{hint}); their records are linked without it",
                DataWarning, stacklevel=2)
    empty = sorted(f for f in fields if table[f].isna().all())
    if empty:
        # a comparison whose field is missing in every record carries no evidence, and a blocking or training rule
        # on it finds no pairs; the model is built as if the field had not been declared
        warnings.warn(
            f"no record has a readable {' or '.join(empty)} (declared for every list, but empty or unreadable "
            f"everywhere; check the column mapping{' and the date format / dayfirst' if 'date' in empty else ''}): "
            "linking without it", DataWarning, stacklevel=2)
        fields -= set(empty)
    if not fields:
        raise DataError(
            "names alone cannot be linked: the match model learns how much a name agreement is worth from fields "
            "that vary independently of it, and no record has a readable sex, age, date or place (declare at least "
            "one with --id-columns / id_columns, or check that column)")

    collector = _SplinkMessages()
    logger = logging.getLogger("splink")
    saved = (logger.level, logger.propagate, list(logger.handlers))
    logger.handlers, logger.propagate = [collector], False
    logger.setLevel(logging.WARNING)
    linker = db_api = None
    try:
        linker, db_api = _make_linker(table, _settings(fields, splink), splink)
        try:
            middle_share = float(table["middle"].notna().mean()) if "middle" in table.columns else 0.0
            raw, diagnostics = _train_and_predict(linker, fields, seed, min_probability, u_pairs, middle_share)
        except ValueError as exc:
            if "below the minimum allowed" not in str(exc):
                raise
            raise RuntimeError(
                f"splink {splink.__version__} stopped EM training because an m probability underflowed to 0 (a "
                "comparison level seen only among non-matches in a training block, typical of small lists); "
                "splink 4.x keeps such values: pip install 'splink>=4.0.17,<5'"
            ) from exc
    finally:
        logger.setLevel(saved[0])
        logger.propagate, logger.handlers = saved[1], saved[2]
        if db_api is not None:
            con = getattr(db_api, "_con", None) or getattr(db_api, "duckdb_con", None)
            if con is not None:
                con.close()
        del linker, db_api, table
    diagnostics["splink_messages"] = collector.messages

    pairs = pd.DataFrame({
        "record_l": raw["record_l"].to_numpy(dtype=np.int64),
        "record_r": raw["record_r"].to_numpy(dtype=np.int64),
        "match_probability": raw["match_probability"].to_numpy(dtype=float),
        "match_weight": raw["match_weight"].to_numpy(dtype=float),
    })
    diagnostics.update({
        "fields_without_values": empty,
        "candidate_pairs": len(pairs),
        "min_probability": min_probability,
        "records": offset,
        "seconds": round(time.perf_counter() - started, 3),
        "splink_version": str(splink.__version__),
        "id_columns": roles,
    })
    return LinkageResult(
        lists=tuple(str(k) for k in frames), strata=tuple(strata_cols),
        records=pd.concat(records, ignore_index=True), pairs=pairs, threshold=float(threshold),
        thresholds=tuple(float(t) for t in thresholds), diagnostics=diagnostics,
    )


def _separator(path: Path, encoding: str) -> str:
    """',' unless the header line has none but has ';' or tabs, as :meth:`estimate.CaptureData.read_csv`
    recognises them."""
    try:
        with path.open(encoding=encoding, errors="replace") as handle:
            header = handle.readline()
    except (LookupError, OSError):
        return ","  # read_csv reports the problem
    return other_separator(header) or ","
