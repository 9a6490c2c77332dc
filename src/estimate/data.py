"""Capture-history data: J named lists, the observed capture patterns and how many people share each.

Multiple-systems estimation needs, for every combination of lists, the number of people documented by exactly
that combination.  :class:`CaptureData` stores this sparsely, one row per *observed* pattern (an individual on no
list is never observed), so J = 30 lists with thousands of patterns costs memory proportional to the patterns
seen, never to the 2^J possible ones.  All input validation of the package happens here.

Constructors
------------
* :meth:`CaptureData.from_records` — one row per individual, a 0/1 or boolean column per list.
* :meth:`CaptureData.from_aggregated` — pattern columns plus a count column.
* :meth:`CaptureData.from_long` — one row per (record id, list) sighting.
* :meth:`CaptureData.from_frame`, :meth:`CaptureData.read_csv`, :meth:`CaptureData.read_parquet`,
  :meth:`CaptureData.read_json` — pick the layout from the columns (a count column means aggregated).

Optional stratum columns (region, period, victim group, imputation replicate ...) are carried along and
:meth:`CaptureData.by` splits the data into one :class:`CaptureData` per stratum.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import math
import os
import re
import shlex
import sys
import unicodedata
import warnings
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from estimate._warning_state import catch_warnings
from estimate.errors import DataError, DataWarning, UninformativeDataWarning

__all__ = ["CaptureData"]

_COUNT_CANDIDATES = ("count", "counts", "freq", "frequency", "n")  # matched without case and outer spaces
_JSON_SUFFIXES = (".json", ".jsonl", ".ndjson")
_NOT_CSV_SUFFIXES = (".xlsx", ".xls", ".ods", ".nc", ".feather", ".arrow", ".zarr")
#: the people-count column of :meth:`CaptureData.pattern_table` (so no list or stratum may take this name)
RESERVED_COUNT_NAME = "count"
#: Largest count (per pattern and in total) accepted: 10^11 — more people than have ever lived, so a larger count
#: is a misread identifier or unit.  (The log-linear profile intervals hold their resolution up to it, checked;
#: above ~10^12 they lose it, and beyond 2^53 float64 no longer holds every whole number.)
MAX_COUNT = 10**11


def _column_name(value: Any) -> Any:
    """A column name as a frame holds it once :func:`_require_frame` has made every name text: a number given for
    a column named by a number (a frame made from an array has columns 0, 1, 2 …) becomes that text, as
    pandas writes it (``1`` → ``'1'``, ``1.5`` → ``'1.5'``).  Anything else is returned as it is."""
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool | np.bool_):
        return str(value)
    return value


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    """Column names as a list; one name given as a string is one column (not its characters); numbers name the
    columns a frame made from an array has (see :func:`_column_name`)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if _column_name(value) is not value:
        return [_column_name(value)]
    if not isinstance(value, Iterable) or isinstance(value, (bytes, Mapping)):
        raise DataError(f"column names must be text or a list of texts (e.g. strata='region' or "
                        f"strata=['region', 'period']), got {value!r}")
    return [_column_name(item) for item in value]


def _unused_name(name: str, taken: Iterable[str]) -> str:
    """``name``, or ``name`` with underscores added until it is not among ``taken``."""
    taken = set(taken)
    while name in taken:
        name += "_"
    return name


#: attribute of a frame read from a CSV file with a one-line header: where to read its text again (a path and
#: encoding, or standard input's text), so that an error can name the file's line (see _row_label)
_FILE_LINES = "estimate_file_lines"
#: attribute of a frame read from a JSON file: the file line of each record (JSON lines) or None (an array)
_JSON_RECORDS = "estimate_json_records"


def _row_label(frame: pd.DataFrame, position: int) -> str:
    """Human-readable row reference: for a frame read from a CSV file with a one-line header and no blank lines
    (pandas skips those, so data rows and lines part), the line of the file, what an editor shows; otherwise the
    DataFrame index label when it is an integer (a label such as a name is left out) and the 1-based data row.
    The file is scanned for blank lines only here, when an error is being worded."""
    if _JSON_RECORDS in frame.attrs and frame.index.equals(pd.RangeIndex(len(frame))):
        lines = frame.attrs[_JSON_RECORDS]
        return f"record {position + 1}" + (f" (line {int(lines[position])} of the file)" if lines is not None else "")
    source = frame.attrs.get(_FILE_LINES)
    if source and frame.index.equals(pd.RangeIndex(len(frame))) and not _lines_and_rows_part(source):
        return f"line {position + 2} of the file (data row {position + 1})"
    label = frame.index[position]
    if isinstance(label, (int, np.integer)) and not isinstance(label, bool):
        return f"row {_plain(label)!r} (data row {position + 1})"
    # a frame indexed by something else (names, ids) could print a person's name: the position only
    return f"data row {position + 1}"


def _check_columns_exist(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    columns = list(columns)
    unnamed = [c for c in columns if not isinstance(c, str | int | float | np.integer)]
    if unnamed:  # a list given as a column name (count=["count"]) failed inside pandas as unhashable
        raise DataError(f"a {what} column is given by its name (text), got a {type(unnamed[0]).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{what} column(s) {missing} not found; the data has columns {list(map(str, frame.columns))}"
            f"{_near_names_hint(missing, frame.columns)}"
        )


def _near_names_hint(missing: Iterable[object], columns: Iterable[object]) -> str:
    """Said when a name asked for differs from a column's only in what does not show: its Unicode form (a file
    saved on macOS often writes "é" as e + accent), spaces around it, or letter case — the two lists of names
    would otherwise print alike."""
    plain = _read_alike_key
    notes = []
    for name in missing:
        for column in columns:
            if plain(column) == plain(name):
                how = ("spaces around it" if str(column).strip() == str(name).strip() else
                       "its Unicode form (an accented letter as one character or as a letter and an accent)")
            elif plain(column).casefold() == plain(name).casefold():
                how = "letter case"
            else:
                continue
            notes.append(f"{str(name)!r} differs from the column {str(column)!r} only in {how}")
            break
    return ("; " + "; ".join(notes) + ": give the name as the data writes it, or make them agree") if notes else ""


def _check_pattern_arrays(patterns: np.ndarray, counts: np.ndarray, lists: list[str]) -> None:
    """The checks of :class:`CaptureData`'s own constructor, said of its arguments (``patterns[i, j]``,
    ``counts[i]``) rather than of the file columns and CLI options the readers' messages name."""
    if counts.dtype.kind == "b":
        raise DataError("counts are True/False values; counts must be whole numbers >= 0 (the number of people "
                        "with each pattern)")
    for name, values in (("patterns", patterns), ("counts", counts)):
        if values.dtype.kind not in "biuf":
            if name == "patterns":
                continue  # text such as "yes"/"no": read as list columns are, by the checks that follow
            numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
            bad = np.flatnonzero(np.isnan(numbers) & ~pd.isna(values))
            if bad.size:
                text = str(values[bad[0]])
                grouped = " (written with thousands separators? write counts as plain digits)" if re.fullmatch(
                    r"\d{1,3}([,. \u00a0]\d{3})+", text.strip()) else ""
                raise DataError(f"counts[{bad[0]}] is {text!r}, not a number{grouped}; counts must be whole "
                                "numbers >= 0")
            values = numbers
        missing = np.isnan(values) if values.dtype.kind == "f" else np.zeros(values.shape, dtype=bool)
        if missing.any():
            where = np.argwhere(missing)[0]
            raise DataError(f"{name}[{', '.join(map(str, where))}] is missing; every pattern needs 0/1 on each "
                            "list and a count")
        if name == "patterns":
            bad = np.argwhere(~np.isin(values, (0, 1)))
            if bad.size:
                i, j = bad[0]
                raise DataError(f"patterns[{i}, {j}] (list {lists[j]!r}) is {values[i, j]:g}; patterns hold 0 or 1 "
                                "(on the list or not); the number of people with each pattern goes in counts")
        else:
            bad = np.flatnonzero((values < 0) | (values != np.round(values)) | ~np.isfinite(values))
            if bad.size:
                raise DataError(f"counts[{bad[0]}] is {values[bad[0]]:g}; counts must be whole numbers >= 0")
            huge = np.flatnonzero(values > MAX_COUNT)
            if huge.size:
                raise DataError(f"counts[{huge[0]}] is {values[huge[0]]:g}, above the largest count accepted "
                                f"({MAX_COUNT:,}, more people than have ever lived)")


def _binary_column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """Validate one list column as 0/1 (or boolean) and return it as uint8."""
    series = frame[column]
    missing = series.isna().to_numpy()
    if missing.any():
        position = int(np.flatnonzero(missing)[0])
        raise DataError(
            f"list column {column!r} has a missing value at {_row_label(frame, position)}; "
            "capture indicators must be 0 or 1 for every record"
        )
    if series.dtype == bool or pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=np.uint8)
    if getattr(series.dtype, "kind", "") == "c":  # to_numpy(float) would drop the imaginary part
        raise DataError(f"list column {column!r} holds complex numbers; capture indicators must be 0 or 1")
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=float)
        bad = ~np.isin(values, (0.0, 1.0))
    else:
        mapping = {"0": 0.0, "1": 1.0, "0.0": 0.0, "1.0": 1.0, "true": 1.0, "false": 0.0, "t": 1.0, "f": 0.0,
                   "yes": 1.0, "no": 0.0, "y": 1.0, "n": 0.0}
        normalised = series.astype(str).str.strip().str.lower()
        values = normalised.map(mapping).to_numpy(dtype=float)
        bad = np.isnan(values)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        finite = values[~np.isnan(values)]
        # 'record_id', 'date', 'age' …: not a list at all — the first fix to offer is naming the list columns
        hint = (f"; if {column!r} is not a list, name the list columns with lists=[...] (CLI: --lists "
                "A,B,C)")
        if finite.size and np.all(finite >= 0) and np.all(finite == np.round(finite)) and np.any(finite > 1):
            hint += (f"; if it holds the number of people with each pattern, name it as the count column "
                     f"(count={column!r}; CLI: --count {shell_word(column)}); if it numbers imputation replicates "
                     f"or strata, name it as a stratum column (strata=[..., {column!r}]; CLI: --strata "
                     f"{shell_word(column)}; to pool imputation replicates, estimate fit --replicate "
                     f"{shell_word(column)})")
        if str(column).startswith("Unnamed: "):  # pandas' name of a column whose header cell is empty
            hint = ("; it is a column with no header name: if it numbers the rows (an export's row names, not in "
                    "order), delete it or name the list columns with lists=[...] (CLI: --lists A,B,C); if it holds "
                    f"the number of people with each pattern, name it as the count column (count={column!r}; CLI: "
                    f"--count {shell_word(column)})")
        raise DataError(
            f"list column {column!r} is not binary: {_shown_value(series.iloc[position])} at "
            f"{_row_label(frame, position)}; use 0/1, True/False or yes/no{hint}"
        )
    return values.astype(np.uint8)


def _list_flags_or_none(frame: pd.DataFrame, column: str) -> np.ndarray | None:
    """A column that is not a chosen list, as 0/1 if it reads as a list column would (0/1, True/False, yes/no),
    else None.  Text columns with many distinct values (names, ids) are not parsed at all."""
    series = frame[column]
    if series.isna().any():
        return None
    if not (pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype)) \
            and series.nunique() > 12:
        return None
    try:
        return _binary_column(frame, column)
    except DataError:
        return None


LONG_LAYOUT_HINT = ("A table with one row per sighting (a record id and the name of its list) is the long layout: "
                    "turn it into the pattern table with `estimate widen FILE --id ID --list LIST -o patterns.csv` "
                    "(Python: CaptureData.read_long(path, id=..., list=...))")


def _refuse_long_layout(frame: pd.DataFrame, lists: list[str]) -> None:
    """A table in the long layout (one row per sighting) read as lists: a text column with a few list names
    ('A', 'B', 'C') beside an id column.  Each would be refused as "not binary" with hints (--count, --strata)
    that do not fit; say what the table is instead."""
    names = [c for c in lists if _is_text_column(frame[c]) and _list_flags_or_none(frame, c) is None
             and 2 <= frame[c].astype(str).str.strip().nunique() <= 50]
    if len(names) != 1 or len(frame) < 3:
        return
    ids = [c for c in lists if c != names[0] and _list_flags_or_none(frame, c) is None
           and frame[c].nunique() < len(frame)]
    ids.sort(key=lambda c: not _LONG_ID_NAME.search(str(c)))  # a column named as ids first ('person', not 'age')
    # by name too: a stratum column left among the lists (region) beside a repeating number (age) is no long table
    if ids and (_LONG_LIST_NAME.search(str(names[0])) or _LONG_ID_NAME.search(str(ids[0]))):
        values = frame[names[0]].astype(str).str.strip().unique()
        shown = ", ".join(map(repr, values[:5])) + (" …" if len(values) > 5 else "")
        raise DataError(f"column {names[0]!r} holds list names ({shown}) and {ids[0]!r} repeats across rows: "
                        f"this looks like the long layout, not 0/1 list columns. {LONG_LAYOUT_HINT}")


_LONG_LIST_NAME = re.compile(r"list|source|system|dataset|fuente|liste|organi[sz]ation|^org$", re.IGNORECASE)
_LONG_ID_NAME = re.compile(r"id$|^id|person|record|victim|individual|persona|name", re.IGNORECASE)


def shell_word(text: str) -> str:
    """``text`` quoted for a shell command line when it needs it (a column named ``Number of victims``)."""
    return shlex.quote(str(text))


def _lettered_list(frame: pd.DataFrame, column: Any) -> bool:
    """Whether ``column`` (a one-letter name such as N, a usual name of counts) stands among lists lettered in
    order, next to the letter before or after it (M, N, O): a list, as simulations with 14 lists or more name them."""
    name = str(column)
    if len(name) != 1 or not name.isalpha():
        return False
    names = [str(c) for c in frame.columns]
    at = names.index(name)
    before = names[at - 1] if at > 0 else ""
    after = names[at + 1] if at + 1 < len(names) else ""
    return before == chr(ord(name) - 1) or after == chr(ord(name) + 1)


def is_count_name(name: Any) -> bool:
    """Whether a column name is a usual name of the count column (``count``, ``N``, ``Frequency`` ...), compared
    without case and outer spaces as :meth:`CaptureData.from_frame` finds it."""
    return str(name).strip().casefold() in _COUNT_CANDIDATES


def _count_column_by_name(frame: pd.DataFrame, exclude: set[Any]) -> Any:
    """The column whose name is a usual name of the count column (``count``, ``N``, ``Frequency`` ..., compared
    without case and outer spaces; an exact ``count`` first), unless it is in ``exclude``; else None."""
    candidates = [c for c in frame.columns if c not in exclude and is_count_name(c)]
    if not candidates:
        return None
    return min(candidates, key=lambda c: (c != "count", _COUNT_CANDIDATES.index(str(c).strip().casefold())))


def _refuse_unused_replicates(frame: pd.DataFrame, used: Iterable[Any]) -> None:
    """A column named ``replicate`` that is neither a list nor a stratum numbers replicates — of a linkage
    (``estimate link --replicates`` writes it) or of an imputation — in which every person appears once each:
    read without it, everyone is counted once per replicate (a fit of 5 linkage replicates of 800 people said
    "at least 3,398 documented").  Refused, with how to pool them."""
    taken = {str(c) for c in used}
    for column in frame.columns:
        if str(column).strip().casefold() != "replicate" or str(column) in taken:
            continue
        if _list_flags_or_none(frame, column) is not None:  # 0/1: a list that happens to be called so
            continue
        values = frame[column].nunique(dropna=True)
        if values > 1:
            raise DataError(
                f"column {_plain(column)!r} numbers {values} replicates (of a linkage, as estimate link "
                "--replicates writes them, or of an imputation), each holding every person once: read without it, "
                f"everyone would be counted {values} times. Pool the replicates (estimate fit or report: --replicate "
                f"{shell_word(str(column))}; Python: add it to strata= and give fit_strata(..., replicate="
                f"{str(column)!r})), describe them apart (--strata {shell_word(str(column))}), or keep one "
                "replicate's rows (estimate compare)")


def _warn_summed_over(frame: pd.DataFrame, unused: list[Any]) -> None:
    """Aggregated data with ``lists=`` given: warn about unused columns that are not 0/1 (lists left out, whose
    rows are rightly merged): their rows are added together, which double-counts people if such a column is a
    stratum or an imputation replicate."""
    summed = [column for column in unused
              if _list_flags_or_none(frame, column) is None and frame[column].nunique(dropna=False) > 1]
    if summed:
        warnings.warn(
            f"column(s) {[_plain(c) for c in summed]} are neither lists, the count nor strata: the counts of rows that "
            "differ only there are added together. If they are strata or imputation replicates, people are counted "
            "more than once; name them as strata (CLI: --strata) or replicates (--replicate)",
            DataWarning, stacklevel=_outside_caller_stacklevel())


_PACKAGE_DIR = str(Path(__file__).resolve().parent)


def _outside_caller_stacklevel() -> int:
    """The ``stacklevel`` that points a warning issued by the caller of this function at the first frame outside
    the estimate package (the constructors call each other to different depths)."""
    frame = sys._getframe(1)  # the function that warns (stacklevel 1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
        level += 1
    return level


def other_separator(header: str) -> str | None:
    """';' or a tab when a header line without a comma holds one (a file written by a spreadsheet in a locale
    whose decimal mark is the comma), else None."""
    if "," in header:
        return None
    return next((sep for sep in (";", "\t") if sep in header), None)


#: answers and markers a 0/1 or count column may hold by mistake: shown in messages (they are not personal)
#: labels of a spreadsheet's totals rows (compared without case and outer spaces): in a stratum column a warning,
#: in a count or list column an error that says so
_TOTAL_LABELS = frozenset({"total", "totals", "grand total", "sum", "all", "overall", "subtotal"})
_ANSWER_WORDS = _TOTAL_LABELS | frozenset({
    "maybe", "unknown", "unk", "missing", "none", "null", "nan", "n/a", "na", "-", "--", "?", "??", "x", "si", "sí",
    "oui", "non", "ja", "nein", "da", "nyet", "empty", "blank", "tbd", "pending", "unsure", "not sure", "don't know",
    "dk", "vrai", "faux", "wahr", "falsch", "verdadero", "falso", "waar", "onwaar"})


def _shown_value(value: object) -> str:
    """The offending value for an error message — unless it may be personal: record-level files carry names,
    dates of birth and ID numbers beside their list columns, and an error message ends up in logs and shared
    terminals.  Only what cannot identify anyone is shown: True/False, a number or a text of at most
    :data:`_SHOWN_CHARACTERS` characters (2, 1.0, 'S1', 'x') and an answer word ('yes', 'Maybe', 'unknown');
    anything longer, however code-like ('1971-03-02', '19710302-4471'), is described."""
    plain = _plain(value)
    text = str(plain)
    if isinstance(plain, bool) or (isinstance(plain, (int, float, str)) and len(text.strip()) <= _SHOWN_CHARACTERS):
        return f"value {plain!r}"  # a short number or code
    if isinstance(plain, str) and text.strip().lower() in _ANSWER_WORDS:  # 'Maybe' in a 0/1 column: what to fix
        return f"value {plain!r}"
    if isinstance(plain, (int, float)):
        return f"a number of {len(text)} characters (not shown: it may be personal)"
    if not isinstance(plain, str):  # a date, a timestamp …
        return f"a value of type {type(plain).__name__} (not shown: it may be personal)"
    return f"a text value of {len(text)} characters (not shown: it may be personal)"


#: the longest number or text an error message shows: a code or a count, not a date or an identifier
_SHOWN_CHARACTERS = 3


def _plain(value: object) -> object:
    """A NumPy scalar as the plain Python value (so messages say 2, not np.int64(2))."""
    return value.item() if isinstance(value, np.generic) else value


def _count_column(frame: pd.DataFrame, column: str, patterns: np.ndarray | None = None) -> np.ndarray:
    """Validate the count column: present, numeric, non-negative whole numbers.  ``patterns`` (0/1, one row per
    row of ``frame``) lets a missing count in the all-zero row be named for what it is."""
    series = frame[column]
    missing = series.isna().to_numpy()
    if missing.any():
        position = int(np.flatnonzero(missing)[0])
        unseen = ""
        if patterns is not None and not patterns[position].any():  # R's dga leaves this cell NA
            unseen = ("; it is the row of people on no list, whom nobody counted: leave that row out or give it "
                      "0 (it is not used)")
        raise DataError(f"count column {column!r} has a missing value at {_row_label(frame, position)}{unseen}")
    kind = getattr(series.dtype, "kind", "")
    periods = isinstance(series.dtype, (pd.PeriodDtype, pd.IntervalDtype)) or (
        series.dtype == object and series.map(lambda v: isinstance(v, (pd.Period, pd.Interval))).any())
    if (kind in "cmM" and kind) or periods:  # complex (the imaginary part would be dropped), timedelta, datetime,
        # periods (pandas reads a year as its distance from 1970)
        raise DataError(f"count column {column!r} has values of type {series.dtype}; counts must be whole numbers "
                        ">= 0")
    if pd.api.types.is_bool_dtype(series.dtype) or (
            series.dtype == object and series.map(lambda v: isinstance(v, (bool, np.bool_))).any()):
        raise DataError(f"count column {column!r} holds True/False values, not numbers of people; is it a list? "
                        "(name the list columns with lists=[...], the count column with count=...)")
    if not pd.api.types.is_numeric_dtype(series.dtype):
        converted = pd.to_numeric(series, errors="coerce")
        if converted.isna().any():
            position = int(np.flatnonzero(converted.isna().to_numpy())[0])
            value = _plain(series.iloc[position])
            text = str(value).strip()
            hint = ""
            if re.fullmatch(r"\d{1,3}(?:[,\u00a0\u202f ]\d{3})+", text):
                digits = re.sub(r"\D", "", text)
                hint = f"; it looks like {digits} written with thousands separators: write counts as plain digits"
            elif re.fullmatch(r"\d+,\d+", text):
                hint = "; a decimal comma? counts are whole numbers, written as plain digits"
            elif text.casefold() in _TOTAL_LABELS:
                hint = "; a totals row? remove it (its people are in the other rows already)"
            raise DataError(
                f"count column {column!r} is not numeric: {_shown_value(value)} at {_row_label(frame, position)}{hint}"
            )
        series = converted
    values = series.to_numpy(dtype=float)
    negative = values < 0
    if negative.any():
        position = int(np.flatnonzero(negative)[0])
        raise DataError(
            f"count column {column!r} has a negative count {values[position]:g} at "
            f"{_row_label(frame, position)}; counts must be whole numbers >= 0"
        )
    fractional = (values != np.round(values)) | ~np.isfinite(values)
    if fractional.any():
        position = int(np.flatnonzero(fractional)[0])
        raise DataError(
            f"count column {column!r} has a non-integer count {float(values[position])!r} at "
            f"{_row_label(frame, position)}; counts must be whole numbers >= 0"
        )
    huge = values > MAX_COUNT
    if huge.any():
        position = int(np.flatnonzero(huge)[0])
        raise DataError(
            f"count column {column!r} has a count {values[position]:g} at {_row_label(frame, position)}, above "
            f"the largest count accepted ({MAX_COUNT:,}, more people than have ever lived); check the column (a "
            "misread identifier or unit?)"
        )
    return values.astype(np.int64)


def _refuse_booleans_among_numbers(series: pd.Series, what: str) -> None:
    """True/False beside numbers in one column: pandas groups True with 1 and False with 0 (they are equal), so the
    records of two different values would be counted as one, labelled by whichever comes first."""
    if series.dtype != object:
        return
    kinds = {type(value) for value in series.dropna()}
    booleans = {bool, np.bool_} & kinds
    numbers = [kind for kind in kinds if issubclass(kind, (int, float, np.integer, np.floating))
               and not issubclass(kind, (bool, np.bool_))]
    if booleans and numbers:
        raise DataError(f"{what} holds True/False beside numbers; pandas takes True for 1 and False for 0, so their "
                        "records would be merged: make the column one type (e.g. all text)")


def _read_alike_key(value: object) -> str:
    """The text of ``value`` stripped of surrounding spaces and in one Unicode form (NFC): what it reads as."""
    return unicodedata.normalize("NFC", str(value).strip())


def _pairs_that_read_alike(values: Iterable[object]) -> Iterator[tuple[object, object]]:
    """(first seen, later) pairs of distinct values whose text is the same once stripped of surrounding spaces and
    put in one Unicode form (NFC: "café" as é or as e + accent): 1 and "1", "North" and "North "."""
    seen: dict[str, object] = {}
    for value in values:
        other = seen.setdefault(_read_alike_key(value), value)
        if other is not value:
            yield other, value


def _refuse_list_names_that_read_alike(names: Iterable[str], subject: str, *, warn_case: bool = True) -> None:
    """List names (a long table's list column, or a frame's column names) that are the same text but for spaces
    around it or its Unicode form ("Café" with é as one character or as e + accent) would be two lists of the same
    source: its records' overlap with themselves lost, the estimate changed without a word (stratum values so
    written are refused alike).  Names that differ only in letter case may be two sources: a warning."""
    names = [str(name) for name in names]
    for other, value in _pairs_that_read_alike(names):
        why = ("differ only in spaces around them" if other.strip() == value.strip() else
               f"are the same text in two Unicode forms ({ascii(other)} and {ascii(value)}: an accented letter as "
               "one character or as a letter and an accent; Python: unicodedata.normalize('NFC', name))")
        raise DataError(f"{subject} {other!r} and {value!r}, which {why}: they print alike and would be taken as "
                        "two lists, so the people on both would count as recorded by two sources; make the names agree")
    if not warn_case:
        return
    by_case: dict[str, list[str]] = {}
    for name in names:
        by_case.setdefault(name.casefold(), []).append(name)
    alike = [group for group in by_case.values() if len(group) > 1]
    if alike:
        shown = ", ".join(" / ".join(repr(v) for v in group) for group in alike[:3])
        warnings.warn(f"list names differ only in letter case ({shown}{' …' if len(alike) > 3 else ''}); "
                      "they are taken as different lists — if they are one source, make their spelling agree",
                      DataWarning, stacklevel=_outside_caller_stacklevel())


def _refuse_ids_that_read_alike(ids: pd.Series, column: str) -> None:
    """Record ids 1 and "1" (two sources, one with numeric ids) would be two people who print alike: the overlap
    between the lists would be lost without a word."""
    if ids.dtype != object:
        return
    _refuse_booleans_among_numbers(ids, f"record id column {column!r}")
    for other, value in _pairs_that_read_alike(pd.unique(ids)):
        if type(other) is not type(value):
            shown = [_shown_value(v).removeprefix("value ") for v in (other, value)]  # an id may be personal
            raise DataError(f"record id column {column!r} holds {shown[0]} and {shown[1]}, which read alike but are "
                            "different values, so they would be two people; make the ids one type (e.g. "
                            f"frame[{column!r}].astype(str))")


def _is_text_column(series: pd.Series) -> bool:
    """Object or string dtype, or categorical with text categories (Parquet's dictionary-encoded columns): the
    stratum columns whose values are checked for spaces and case, and stripped."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.dtype.categories
        return categories.dtype == object or pd.api.types.is_string_dtype(categories.dtype)
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


@contextmanager
def replicate_column_named(replicate: str | None) -> Iterator[None]:
    """Within it, the readers' missing-value error about column ``replicate`` calls it the imputation replicate
    column (they take replicate columns as stratum columns, whose advice, "add a replicate column", would be
    wrong there).  Used by the callers that know which column holds replicates (``fit_strata(replicate=...)``,
    ``--replicate``); any other error passes unchanged."""
    try:
        yield
    except DataError as exc:
        said = f"stratum column {replicate!r} has a missing value"
        text = str(exc)
        absent = f"stratum column(s) {[replicate]} not found"
        if replicate is not None and text.startswith(absent):
            raise DataError(f"replicate column {replicate!r} not found" + text[len(absent):]) from exc
        if replicate is None or not text.startswith(said):
            raise
        text = f"replicate column {replicate!r}" + text[len(f"stratum column {replicate!r}"):]
        raise DataError(text.replace(_IMPUTE_ADVICE, "every record needs the number of the imputation it belongs "
                                     "to")) from exc


_IMPUTE_ADVICE = "drop or impute those records (for imputed replicates, add a replicate column)"


def _check_strata(frame: pd.DataFrame, strata: list[str]) -> None:
    _check_columns_exist(frame, strata, "stratum")
    for column in strata:
        missing = frame[column].isna().to_numpy()
        if missing.any():
            position = int(np.flatnonzero(missing)[0])
            where = ("In JSON a missing value is null (or a key left out of a record)" if _JSON_RECORDS in frame.attrs
                     else "In a CSV file an empty cell and the texts NA, N/A, null, None, NaN are missing values; a "
                     "code spelt so (NA for Namibia) needs another spelling, or CaptureData.read_csv(path, "
                     "keep_default_na=False, na_values=[''])")
            raise DataError(
                f"stratum column {column!r} has a missing value at {_row_label(frame, position)}; "
                f"{_IMPUTE_ADVICE}. {where}"
            )
        if _is_text_column(frame[column]):  # (every object column is one)
            values = pd.unique(frame[column])
            if any(isinstance(v, bytes | bytearray) for v in values):  # no result file could hold them
                raise DataError(f"stratum column {column!r} holds bytes, not text; decode them first (e.g. "
                                f"frame[{column!r}].str.decode('utf-8'))")
            if any(isinstance(v, str) and "\x00" in v for v in values):
                raise DataError(f"stratum column {column!r} has a value containing a NUL character (\\x00)")
            # e.g. a date beside a Timestamp (frames from two sources), or beside 0; a category's values too
            if frame[column].dtype == object or isinstance(frame[column].dtype, pd.CategoricalDtype):
                try:  # as the pattern table is sorted (by several keys: text beside numbers is ordered there)
                    pd.DataFrame({"value": pd.Series(values, dtype=object), "next": 0}).sort_values(["value", "next"])
                except TypeError:
                    kinds = sorted({type(value).__name__ for value in values})
                    shown = (", ".join(kinds) if len(kinds) > 1  # one type that cannot order itself: two values
                             else f"{kinds[0]}s such as {values[0]!r} and {values[1]!r}")
                    raise DataError(
                        f"stratum column {column!r} mixes values that cannot be ordered ({shown}); make the column "
                        "one type (e.g. all dates, or all text), or all with a time zone or all without"
                    ) from None
            # e.g. 1 and "1", or "North" and "North ": two strata that print alike in every table
            totals = [v for v in values if str(v).strip().casefold() in _TOTAL_LABELS]
            if totals and len(values) > 1:  # a spreadsheet's totals rows, fitted as one more stratum
                warnings.warn(
                    f"stratum column {column!r} has the value {totals[0]!r}: if its rows are totals of the other "
                    "strata, remove them — fitted as a stratum of its own, its people are counted a second time in "
                    "every total over strata", DataWarning, stacklevel=_outside_caller_stacklevel())
            _refuse_booleans_among_numbers(frame[column], f"stratum column {column!r}")
            for other, value in _pairs_that_read_alike(values):
                if type(other) is not type(value):
                    raise DataError(
                        f"stratum column {column!r} holds {other!r} and {value!r}, different values that read alike; "
                        "make the column one type (e.g. all text)"
                    )
                if str(other).strip() == str(value).strip():  # "North" and "North "
                    raise DataError(
                        f"stratum column {column!r} holds {other!r} and {value!r}, which differ only in spaces "
                        "around them and would be fitted as two strata; remove the spaces"
                    )
                raise DataError(
                    f"stratum column {column!r} holds {other!r} and {value!r}, the same text in two Unicode "
                    "forms (an accented letter as one character or as a letter and an accent): they print "
                    "alike and would be fitted as two strata; normalise the text (Python: "
                    "unicodedata.normalize('NFC', value))"
                )
            by_case: dict[str, list[object]] = {}
            for value in values:
                by_case.setdefault(str(value).strip().casefold(), []).append(value)
            alike = [group for group in by_case.values() if len(group) > 1]
            if alike:  # "East" and "east" may be one region typed twice, or codes where case matters: say so
                shown = ", ".join(" / ".join(repr(v) for v in group) for group in alike[:3])
                warnings.warn(
                    f"stratum column {column!r} holds values that differ only in letter case ({shown}"
                    f"{' …' if len(alike) > 3 else ''}); they are fitted as different strata — if they are the "
                    "same, make their spelling agree",
                    DataWarning, stacklevel=_outside_caller_stacklevel())


def _refuse_misaligned_indexes(**arguments: Any) -> None:
    """Rows of ``CaptureData(patterns, counts, strata=...)`` are matched by position, as numpy arrays are; two pandas
    arguments whose indexes differ (one sorted, one shuffled; a filtered Series) would pair one pattern's row with
    another's count or stratum without a word."""
    indexed = {name: value.index for name, value in arguments.items() if isinstance(value, (pd.Series, pd.DataFrame))}
    names = list(indexed)
    for name in names[1:]:
        if not indexed[name].equals(indexed[names[0]]):
            raise DataError(
                f"{names[0]} and {name} have different pandas indexes; their rows are matched by position, so "
                "they would pair rows that do not belong together. Align them first (e.g. counts.loc[patterns.index]) "
                "or pass .reset_index(drop=True) of each"
            )


def presence_table(rows: pd.Series | np.ndarray, columns: pd.Series | np.ndarray, names: Sequence[str]
                   ) -> pd.DataFrame:
    """0/1 table (uint8): one row per distinct value of ``rows`` (sorted), one column per name in ``names``, 1
    where some pair (row value, column value) occurs — the capture histories of (record id, list) sightings.
    Values of ``columns`` not in ``names`` are ignored.  Vectorised (``pd.crosstab`` counts in a Python loop over
    groups: 19 s for 1.5 million sightings, against well under a second here)."""
    row_codes, row_values = pd.factorize(rows, sort=True)
    column_codes = pd.Index(list(names)).get_indexer(np.asarray(columns))
    known = column_codes >= 0
    matrix = np.zeros((len(row_values), len(names)), dtype=np.uint8)
    matrix[row_codes[known], column_codes[known]] = 1
    return pd.DataFrame(matrix, index=pd.Index(row_values), columns=list(names))


def _same_labels(a: pd.DataFrame | None, b: pd.DataFrame | None) -> bool:
    """Stratum label tables hold the same values, whatever the columns' storage (int32 or int64, category or
    text).  Values of different kinds differ: 1 and 1.0, True and 1 (which Python alone calls equal; the content
    hash, built from CSV text, tells them apart too), and 1 and "1" (which the hash does not: both are written 1,
    and a stratum's seed, made from its label's text, is the same for both)."""
    if a is None or b is None:
        return a is b

    def typed(frame: pd.DataFrame, column: str) -> list[tuple[type, Any]]:
        return [(type(value), value) for value in frame[column].tolist()]

    return list(a.columns) == list(b.columns) and len(a) == len(b) and all(
        typed(a, column) == typed(b, column) for column in a.columns)


def _strata_named(labels: list[str], sep: str) -> str:
    """The strata a warning concerns, as :meth:`CaptureData.by` names them: ``stratum s=a`` for one, ``strata s=a,
    s=b, s=c and 17 more`` for several (``sep`` is "; " when the labels name several columns, so hold commas)."""
    if len(labels) == 1:
        return f"stratum {labels[0]}"
    more = f" and {len(labels) - 3} more" if len(labels) > 3 else ""
    return f"strata {sep.join(labels[:3])}{more}"


def _lists_without_empty(lists: list[str], empty: list[str], strict: bool, where: str = "") -> list[str]:
    """The lists left once ``empty`` ones (nobody on them ``where``: "" or " in this stratum") are dropped, with the
    warning that says so; ``strict`` refuses them instead, and fewer than 2 lists left is an error."""
    if strict:
        raise DataError(
            f"list(s) {empty} document nobody{where}; an empty list carries no information about "
            "overlaps (to drop them: CLI, leave out --strict; Python, strict=False)"
        )
    warnings.warn(
        f"list(s) {empty} document nobody and were dropped: an empty list says nothing about the overlap between lists",
        DataWarning,
        stacklevel=_outside_caller_stacklevel(),
    )
    left = [name for name in lists if name not in empty]
    if len(left) < 2:
        raise DataError(
            f"after dropping empty list(s) {empty} fewer than 2 lists remain ({left}); "
            "multiple-systems estimation needs at least 2 lists"
        )
    return left


def _labels_missing_from(labels: pd.DataFrame, present: pd.DataFrame) -> pd.DataFrame:
    """The distinct stratum label rows of ``labels`` that ``present`` lacks, in the strata's order (the strata
    the input names where nobody was documented: only zero counts, or people only on lists not chosen)."""
    seen = set(present.itertuples(index=False, name=None))
    distinct = labels.drop_duplicates()
    missing = [(position, row) for position, row in enumerate(distinct.itertuples(index=False, name=None))
               if row not in seen]
    missing.sort(key=lambda item: stratum_order_key(item[1]))
    return distinct.iloc[[position for position, _ in missing]].reset_index(drop=True)


def _read_parquet_frame(path: str | Path) -> pd.DataFrame:
    """A Parquet file as a DataFrame, columns kept in its index (``groupby(...).size()``) restored as columns."""
    if not Path(path).exists():
        raise DataError(f"file {str(path)!r} does not exist")
    if not Path(path).is_file():
        raise DataError(f"{str(path)!r} is not a file (a directory?); give the path of a Parquet file")
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types
        raise DataError(f"cannot read {str(path)!r} as Parquet: {exc}") from exc
    if any(name is not None for name in frame.index.names):
        frame = frame.reset_index()
    return frame


def _text_encoding(raw: bytes, encoding: str | None, shown: str) -> str | None:
    """The encoding to read a file's bytes with: ``encoding`` as given, with two exceptions (an unknown one, or a
    codec that is not a text encoding such as 'hex', is refused).

    - None (or UTF-16 without its byte-order mark) given: UTF-16 when the bytes say so — by a byte-order mark
      (Excel's "Unicode Text", PowerShell) or, without one, when the start holds NUL bytes (UTF-8 text has none)
      and reads as little- or big-endian UTF-16 text with a separator or line end in it; ``encoding`` otherwise.
    - A one-byte-per-character encoding (cp1252, latin-1, cp1256 …) given for bytes that are valid UTF-8 with
      letters beyond ASCII: UTF-8, with a warning, as ``estimate link`` reads its lists — such text is almost never
      meant in a one-byte encoding (read so, "é" becomes "Ã©" and every accented or non-Latin label is garbled
      without an error).  A multi-byte encoding (GBK, Shift-JIS …) is always used as given: short text in it
      can be valid UTF-8 too.
    """
    try:
        codec = None if encoding is None else codecs.lookup(encoding)
    except LookupError as exc:
        raise DataError(f"unknown encoding {encoding!r}: not a text encoding Python knows (e.g. utf-8, cp1252, "
                        "latin-1)") from exc
    if codec is not None and not getattr(codec, "_is_text_encoding", True):
        raise DataError(f"encoding {encoding!r} is not a text encoding (e.g. utf-8, cp1252, latin-1)")
    if codec is None or (codec.name == "utf-16" and raw[:2] not in (b"\xff\xfe", b"\xfe\xff")):
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return "utf-16"
        sample = raw[:512]  # (an odd end byte decodes as one replacement character)
        if b"\x00" in sample:
            for utf16 in ("utf-16-le", "utf-16-be"):
                text = sample.decode(utf16, errors="replace")
                if "\x00" not in text and any(mark in text for mark in ",;\t\n"):
                    return utf16
        return encoding
    if codec.name.startswith("utf") or raw.isascii():
        return encoding
    if len(bytes(range(128, 256)).decode(codec.name, errors="replace")) != 128:  # not one byte per character
        return encoding
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return encoding
    warnings.warn(f"{shown} is UTF-8 text, not {encoding}: it is read as UTF-8 ({encoding} would garble its "
                  "accented or non-Latin letters, e.g. 'é' as 'Ã©'); leave out the encoding for this file",
                  DataWarning, stacklevel=_outside_caller_stacklevel())
    return "utf-8-sig"


def _read_json_frame(path: str | Path, encoding: str | None = None) -> pd.DataFrame:
    """A JSON file of records (an array of objects; one object per line for .jsonl/.ndjson) as a DataFrame."""
    if not Path(path).exists():
        raise DataError(f"file {str(path)!r} does not exist")
    if not Path(path).is_file():
        raise DataError(f"{str(path)!r} is not a file (a directory?); give the path of a JSON file")
    lines = Path(path).suffix.lower() in (".jsonl", ".ndjson")
    raw = Path(path).read_bytes()
    encoding = _text_encoding(raw, encoding, repr(str(path)))
    try:
        text = raw.decode(encoding or "utf-8-sig")
    except (UnicodeError, LookupError) as exc:
        raise DataError(f"cannot read {str(path)!r} as JSON: it is not {encoding or 'UTF-8'} text ({exc}); name its "
                        "encoding (CLI: --encoding; Python: encoding=...)") from exc
    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in pairs]
        if len(set(keys)) < len(keys):
            twice = next(key for key in keys if keys.count(key) > 1)
            raise DataError(f"{str(path)!r}: a record names {twice!r} more than once")
        return dict(pairs)

    def no_constants(name: str) -> None:  # NaN and Infinity are not JSON, though Python writes them
        raise DataError(f"{str(path)!r} holds {name}, which is not a JSON value; write a missing value as null")

    options = {"object_pairs_hook": unique_keys, "parse_constant": no_constants}

    def parsed(text: str, line: int | None = None) -> Any:
        try:
            return json.loads(text, **options)
        except json.JSONDecodeError as exc:
            raise DataError(f"cannot read {str(path)!r} as JSON: {exc.msg} (line {line or exc.lineno}, column "
                            f"{exc.colno})") from exc

    record_lines: list[int] | None = None
    if lines:  # split at newlines only: U+2028 and the like may stand inside a JSON string
        numbered = [(number, line) for number, line in enumerate(text.split("\n"), start=1) if line.strip()]
        rows = [parsed(line, number) for number, line in numbered]
        record_lines = [number for number, _ in numbered]
    else:
        rows = parsed(text)
    layout = "one object per line" if lines else "an array of objects, one per row"
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise DataError(f"{str(path)!r} is JSON but not a table of records: expected {layout}, such as "
                        '{"A": 1, "B": 0, "count": 12}')
    for number, row in enumerate(rows, start=1):
        for column, value in row.items():
            if isinstance(value, (list, dict)):
                where = f" (line {record_lines[number - 1]})" if record_lines else ""
                raise DataError(f"{str(path)!r}: record {number}{where} has a nested {type(value).__name__} in column "
                                f"{column!r}; every value must be a number, true/false, text or null")
    frame = pd.DataFrame.from_records(rows)
    if not len(frame.columns):
        raise DataError(f"{str(path)!r} holds no records")
    # errors name the record (and its line), not a "row"; an array, not a list: pandas deep-copies attrs into every
    # frame derived from this one (a list of 200,000 ints made reading such a file 80% slower)
    frame.attrs[_JSON_RECORDS] = None if record_lines is None else np.asarray(record_lines, dtype=np.int64)
    return frame


def _read_csv_frame(path: Any, text_columns: list[str], read_kwargs: dict[str, Any],
                    count: str | None = None) -> pd.DataFrame:
    """A CSV file (path, open file or buffer, ``"-"`` for standard input) as a DataFrame, ``text_columns`` read as
    text: the separator recognised by the header, spreadsheet and R export artefacts undone (see read_csv)."""
    stdin = not hasattr(path, "read") and str(path) == "-"
    # how messages name the source: the path, or what a buffer is (its repr names no file)
    shown = "standard input" if stdin else ("the buffer" if hasattr(path, "read") else str(path))
    if hasattr(path, "read") or stdin:  # an open file or buffer, as pandas takes, or standard input
        stream = (sys.stdin.buffer if hasattr(sys.stdin, "buffer") else sys.stdin) if stdin else path
        text = stream.read()
        if isinstance(text, bytes):  # a binary buffer or a file opened 'rb': decoded as read_csv(encoding=) says
            text = _decoded(text, read_kwargs.get("encoding"), "standard input" if stdin else "the buffer")
            read_kwargs = {k: v for k, v in read_kwargs.items() if k != "encoding"}  # decoded already
        if stdin and text.lstrip("\ufeff \t\r\n")[:1] in ("[", "{"):
            raise DataError("standard input holds JSON; CSV only is read from standard input: give it as a file "
                            "named .json (or .jsonl for one record per line)")
        source: Any = io.StringIO(text)
    else:
        source = Path(path)
        if not source.exists():
            raise DataError(f"file {str(path)!r} does not exist")
        if not source.is_file():
            raise DataError(f"{str(path)!r} is not a file (a directory?); give the path of a CSV file")
        # a compressed file's bytes say nothing of its text's encoding (pandas decompresses by the suffix)
        compressed = source.suffix.lower() in (".gz", ".bz2", ".zip", ".xz", ".zst", ".tar", ".tgz")
        if read_kwargs.get("encoding") is not None:  # valid UTF-8 given as cp1252 is read as UTF-8 (warned)
            raw = b"" if compressed else source.read_bytes()
            read_kwargs = {**read_kwargs, "encoding": _text_encoding(raw, read_kwargs["encoding"], repr(str(path)))}
        elif not compressed:
            with open(source, "rb") as handle:
                start = handle.read(512)
            if start.startswith(b"PAR1"):
                raise DataError(f"{str(path)!r} is a Parquet file; name it with the .parquet extension")
            if start.startswith(b"PK\x03\x04") and source.suffix.lower() != ".zip":
                raise DataError(f"{str(path)!r} is a zip archive, not text: an Excel workbook (.xlsx) renamed, "
                                "perhaps. Save the sheet as CSV (in Excel: 'CSV UTF-8'), or convert it with pandas: "
                                "pandas.read_excel(path).to_csv('lists.csv', index=False)")
            utf16 = _text_encoding(start, None, repr(str(path)))  # Excel's "Unicode Text"; without its mark too
            if utf16 is not None:
                read_kwargs = {**read_kwargs, "encoding": utf16}
    text_dtype = bool(text_columns) and "dtype" not in read_kwargs
    if text_dtype:
        read_kwargs = {**read_kwargs, "dtype": {column: str for column in text_columns}}
    try:
        if "header" not in read_kwargs and "names" not in read_kwargs:
            # the header is read as text as written: no types, no missing-value markers (the caller's apply to data)
            header_kwargs = {k: v for k, v in read_kwargs.items() if k not in ("dtype", "keep_default_na", "na_values")}
            header = pd.read_csv(source, header=None, nrows=1, dtype=str, keep_default_na=False, **header_kwargs)
            _rewind(source)
            cells = [str(v) for v in header.iloc[0]] if len(header) else []
            excel_separator = _excel_separator_line(cells)
            if excel_separator is not None and "skiprows" not in read_kwargs:
                # Excel's "sep=;" first line names the separator: skip it, and use that separator unless one is given
                named = {} if {"sep", "delimiter"} & set(read_kwargs) else {"sep": excel_separator}
                read_kwargs = {**read_kwargs, **named, "skiprows": 1}
                header_kwargs = {**header_kwargs, **named, "skiprows": 1}
                header = pd.read_csv(source, header=None, nrows=1, dtype=str, keep_default_na=False, **header_kwargs)
                _rewind(source)
                cells = [str(v) for v in header.iloc[0]] if len(header) else []
            if "sep" not in read_kwargs and "delimiter" not in read_kwargs and len(cells) == 1:
                # one column whose name holds ';' or tabs: a file written with another separator (e.g. by a
                # spreadsheet in a locale whose decimal mark is the comma)
                separator = other_separator(cells[0])
                if separator is not None:
                    read_kwargs = {**read_kwargs, "sep": separator}
                    header = pd.read_csv(source, header=None, nrows=1, dtype=str, keep_default_na=False,
                                         **header_kwargs, sep=separator)
                    _rewind(source)
                    cells = [str(v) for v in header.iloc[0]]
            _refuse_title_line(cells, shown)
            # pandas renames a repeated column name ("A", "A.1"); the header as written must name each once
            _check_unique_columns(cells, where=f"the header of {shown!r}")
            if text_dtype:  # " region " is the stratum column region (the spaces go later): read it as text too,
                # or its codes 01 and 1 become one number
                wanted = set(text_columns)
                read_kwargs["dtype"] = {**read_kwargs["dtype"],
                                        **{cell: str for cell in cells if cell.strip() in wanted}}
        if "decimal" not in read_kwargs and "thousands" not in read_kwargs:
            _refuse_ambiguous_thousands(source, read_kwargs, text_columns, shown, count)
        frame = pd.read_csv(source, **read_kwargs)
        # (pandas makes row names 1, 0 a RangeIndex too: compare with the default index, not its type)
        if "index_col" not in read_kwargs and not frame.index.equals(pd.RangeIndex(len(frame))):
            # a row has one field more than the header: pandas took the first column as row names
            frame = _one_field_more(frame, source, read_kwargs, shown)
        elif "header" not in read_kwargs and "names" not in read_kwargs and len(cells) == frame.shape[1]:
            frame = _tidy_spreadsheet_export(frame, cells, shown)
    except UnicodeError as exc:  # (a UTF-16 stream without its byte-order mark raises the base class)
        given = read_kwargs.get("encoding")
        advice = ("name its encoding (CLI: --encoding cp1252; Python: CaptureData.read_csv(path, encoding='cp1252'))"
                  if given is None else "name the encoding it is in (CLI: --encoding; Python: encoding=...)")
        raise DataError(
            f"cannot read {shown!r} as CSV: it is not {given or 'UTF-8'} text ({getattr(exc, 'reason', exc)}). "
            f"Save it as UTF-8 (in Excel: 'CSV UTF-8'), or {advice}") from exc
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot read {shown!r} as CSV: {exc}") from exc
    if not {"header", "names", "skiprows", "comment"} & set(read_kwargs):
        # data row i is line i + 1 of the file, unless blank lines or quoted line breaks part them: errors name
        # the line
        where = {"sep": read_kwargs.get("sep") or read_kwargs.get("delimiter") or ","}
        if isinstance(source, io.StringIO):
            frame.attrs[_FILE_LINES] = {"text": source.getvalue(), **where}
        elif isinstance(source, (str, Path)):
            frame.attrs[_FILE_LINES] = {"path": str(source), "encoding": read_kwargs.get("encoding"), **where}
    return frame


def _lines_and_rows_part(source: Mapping[str, Any]) -> bool:
    """Whether the data rows of the CSV text (``{"text": ...}`` or ``{"path": ..., "encoding": ...}``, with its
    ``sep``) are not the file's lines 2, 3, ...: an empty line before the last record (pandas skips it) or a quoted
    field with a line break (one record over two lines); True when the text cannot be read again."""
    import csv

    try:
        text = source["text"] if "text" in source else _source_text(Path(source["path"]),
                                                                    {"encoding": source.get("encoding")})
        reader = csv.reader(io.StringIO(text), delimiter=source.get("sep", ","))
        records, blank_seen = 0, False
        for row in reader:
            records += 1
            if reader.line_num != records:
                return True  # a record over several lines
            if not row:
                blank_seen = True
            elif blank_seen:
                return True  # a record after a skipped empty line
    except (OSError, TypeError, ValueError, KeyError, csv.Error):
        return True
    return False


class CaptureData:
    """Observed capture patterns of J named lists, with counts and optional stratum labels.

    Parameters
    ----------
    patterns
        Array of shape (P, J) with 0/1 entries: row p says which lists documented the people of pattern p.
    counts
        Array of shape (P,) of non-negative whole numbers: how many people have pattern p.
    lists
        The J list names, in column order.
    strata
        Optional DataFrame with P rows giving the stratum labels of each pattern row.
    strict
        If True, a list that documents nobody raises :class:`~estimate.errors.DataError`; otherwise it is
        dropped with a :class:`~estimate.errors.DataWarning`.

    Rows with a zero count are discarded and repeated (stratum, pattern) rows are merged, so the stored table
    is always one row per observed pattern (per stratum); a stratum whose rows all have count 0 is kept in
    :attr:`strata_without_records`.  A row that puts people on no list at all is an error: nobody can be observed
    without being on a list.

    Examples
    --------
    >>> import pandas as pd
    >>> from estimate import CaptureData
    >>> table = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [30, 20, 10]})
    >>> data = CaptureData.from_aggregated(table)
    >>> data.observed
    60
    >>> data.list_sizes.to_dict()
    {'A': 40, 'B': 30}
    """

    def __init__(
        self,
        patterns: np.ndarray | Sequence[Sequence[int]],
        counts: np.ndarray | Sequence[int],
        lists: Sequence[str],
        strata: pd.DataFrame | None = None,
        *,
        strict: bool = False,
    ) -> None:
        lists = [str(name) for name in _as_list(lists)]
        _refuse_misaligned_indexes(patterns=patterns, counts=counts, strata=strata)
        try:
            array = np.asarray(patterns)
        except ValueError as exc:  # ragged rows
            raise DataError(f"patterns must be a rectangular (P, J) array of 0/1 values: {exc}") from exc
        if array.ndim != 2:
            raise DataError(f"patterns must be a (P, J) array, one row per pattern and one column per list; "
                            f"got {array.ndim} dimension(s)")
        frame = pd.DataFrame(array, columns=lists if len(lists) == array.shape[1] else None)
        if len(lists) == 0 or frame.shape[1] != len(lists):
            raise DataError(
                f"patterns have {frame.shape[1]} columns but {len(lists)} list names were given"
            )
        counts = np.asarray(counts)
        if counts.ndim != 1 or len(counts) != len(frame):
            raise DataError(f"counts must be one number per pattern row: got shape {counts.shape} for "
                            f"{len(frame)} pattern rows")
        _check_pattern_arrays(array, counts, lists)
        stratum_names: list[str] = []
        if strata is not None:
            if not isinstance(strata, (pd.DataFrame, pd.Series)) or (isinstance(strata, pd.Series)
                                                                    and strata.name is None):
                raise DataError("strata must be a DataFrame with one named column per stratum variable (or a "
                                f"named Series), one row per pattern; got {type(strata).__name__}"
                                + (" without a name" if isinstance(strata, pd.Series) else ""))
            strata = pd.DataFrame(strata).reset_index(drop=True)
            strata.columns = [str(c) for c in strata.columns]
            if len(strata) != len(frame):
                raise DataError(f"strata has {len(strata)} rows but patterns has {len(frame)}")
            stratum_names = [str(c) for c in strata.columns]
            for column in stratum_names:
                frame[column] = strata[column].to_numpy()
        count = _unused_name("__count__", lists + stratum_names)
        frame[count] = counts
        self._init_from_validated_frame(frame, lists, count, stratum_names, strict=strict, warn_duplicates=False)

    # ------------------------------------------------------------------ construction helpers
    def _init_from_validated_frame(
        self,
        frame: pd.DataFrame,
        lists: list[str],
        count: str,
        strata: list[str],
        *,
        strict: bool,
        warn_duplicates: bool,
        warn_complete: bool = True,
    ) -> None:
        if len(set(lists)) != len(lists):
            raise DataError(f"list names must be unique; got {lists}")
        _refuse_list_names_that_read_alike(lists, "the data has lists named")
        if len(set(strata)) != len(strata):
            raise DataError(f"stratum columns must be unique; got {strata}")
        overlap = set(lists) & set(strata)
        if overlap:
            raise DataError(f"column(s) {sorted(overlap)} cannot be both a list and a stratum")
        if count in lists or count in strata:
            raise DataError(f"column {count!r} cannot be both the count column and a "
                            f"{'list' if count in lists else 'stratum'}")
        reserved = [name for name in (*lists, *strata) if name == RESERVED_COUNT_NAME]
        if reserved:
            given = (f" (the count column here is {count!r}; if {RESERVED_COUNT_NAME!r} holds the counts, name it: "
                     f"count={RESERVED_COUNT_NAME!r}; CLI: --count {RESERVED_COUNT_NAME})"
                     if count in frame.columns and not count.startswith("__") else "")
            raise DataError(f"a {'list' if reserved[0] in lists else 'stratum'} cannot be named "
                            f"{RESERVED_COUNT_NAME!r}: pattern tables use that name for the number of people "
                            f"with each pattern; rename the column{given}")
        if len(lists) < 2:
            long = (f". {LONG_LAYOUT_HINT}" if len(lists) == 1 and not pd.api.types.is_numeric_dtype(frame[lists[0]])
                    and frame[lists[0]].astype(str).str.strip().str.lower().nunique() > 2 else "")
            raise DataError(
                f"multiple-systems estimation needs at least 2 lists; got {len(lists)} ({lists}). "
                f"Pass the list columns with lists=[...] (CLI: --lists A,B,C){long}"
            )
        if len(frame) == 0:
            raise DataError("the data has zero records; there is nothing to estimate from")
        _check_strata(frame, strata)
        _refuse_long_layout(frame, lists)
        patterns = np.column_stack([_binary_column(frame, c) for c in lists])
        counts = _count_column(frame, count, patterns)

        empty_rows = (patterns.sum(axis=1) == 0) & (counts > 0)
        # people on none of the chosen lists but on another 0/1 column of the data (a chosen subset of its lists)
        flags = {c: _list_flags_or_none(frame, c) for c in frame.columns
                 if c not in lists and c not in strata and c != count}
        others = [c for c, values in flags.items() if values is not None]
        on_other = (np.column_stack([flags[c] == 1 for c in others]).any(axis=1) if others
                    else np.zeros(len(frame), dtype=bool))
        if (empty_rows & ~on_other).any():
            position = int(np.flatnonzero(empty_rows & ~on_other)[0])
            raise DataError(
                f"{_row_label(frame, position)} records people on none of the lists {lists}; an individual "
                "on no list cannot be observed. Remove all-zero patterns (their count is what we estimate)"
            )
        if empty_rows.any():  # a chosen subset of the lists: the others' people are not observed by these lists
            warnings.warn(
                f"{int(counts[empty_rows].sum()):,} people are on none of the chosen lists {lists}, only on other "
                f"lists of the data ({others}); they are left out, and the estimate is of the population as these "
                "lists alone see it",
                DataWarning,
                stacklevel=_outside_caller_stacklevel(),
            )
        keep = (counts > 0) & ~empty_rows
        table = pd.DataFrame(patterns[keep], columns=lists)
        n = _unused_name("__count__", lists + strata)  # the count column of the merged table
        labels = pd.DataFrame(index=range(len(frame)))
        for column in strata:
            values = frame[column].to_numpy()
            # "East " is "East" (values that differ only in spaces were refused by _check_strata)
            if _is_text_column(frame[column]):  # every text value, whatever else the column holds (np.array would
                # make a column of tuples two-dimensional)
                values = pd.Series(values, dtype=object).map(
                    lambda v: v.strip() if isinstance(v, str) else v).to_numpy(dtype=object)
            labels[column] = values
            table[column] = values[keep]
        table[n] = counts[keep]
        if counts.sum() == 0:
            raise DataError("the data has zero records (all counts are 0); there is nothing to estimate from")
        if float(counts.astype(float).sum()) > MAX_COUNT:
            raise DataError(f"the counts add up to more than {MAX_COUNT:,} people (more than have ever lived); "
                            "check the count column")

        keys = strata + lists
        duplicated = table.duplicated(subset=keys, keep=False)
        if duplicated.any():
            if warn_duplicates and not others:  # with a subset of the lists chosen, patterns merge by design
                n_dup = int(table.duplicated(subset=keys).sum())
                warnings.warn(
                    f"{n_dup} duplicate capture pattern row(s) in aggregated input were merged by adding "
                    "their counts",
                    DataWarning,
                    stacklevel=_outside_caller_stacklevel(),
                )
            table = table.groupby(keys, sort=False, as_index=False, dropna=False)[n].sum()

        sizes = (table[lists].to_numpy(dtype=np.int64) * table[n].to_numpy()[:, None]).sum(axis=0)
        empty_lists = [name for name, size in zip(lists, sizes, strict=True) if size == 0]
        if empty_lists:
            lists = _lists_without_empty(lists, empty_lists, strict)
            keep_rows = table[lists].to_numpy().sum(axis=1) > 0
            table = table.loc[keep_rows].groupby(strata + lists, sort=False, as_index=False)[n].sum()

        table = table.sort_values(
            strata + lists, ascending=[True] * len(strata) + [False] * len(lists), kind="stable"
        ).reset_index(drop=True)
        self._lists: tuple[str, ...] = tuple(lists)
        self._patterns = np.ascontiguousarray(table[lists].to_numpy(dtype=np.uint8))
        self._counts = table[n].to_numpy(dtype=np.int64)
        self._strata = table[strata].reset_index(drop=True) if strata else None
        self._empty_strata = _labels_missing_from(labels, self._strata) if strata else None
        self._patterns.setflags(write=False)
        self._counts.setflags(write=False)
        self._warn_isolated_lists()
        if warn_complete:  # not for the package's own subsets (select_lists, without_strata): said when read
            self._warn_complete_lists()

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickling and ``copy.deepcopy`` rebuild the arrays writeable: make them read-only again, as the
        constructor does (a process pool or dask worker must not get a CaptureData whose counts can change)."""
        self.__dict__.update(state)
        self.__dict__.setdefault("_empty_strata", None if self.__dict__.get("_strata") is None
                                 else self.__dict__["_strata"].iloc[:0])
        for name in ("_patterns", "_counts"):
            array = self.__dict__.get(name)
            if isinstance(array, np.ndarray):
                array.setflags(write=False)

    def _warn_isolated_lists(self) -> None:
        """With 3 or more lists, some overlapping: warn about a list that shares nobody with any other list."""
        if len(self._lists) < 3:
            return
        shared = (self._patterns.sum(axis=1) >= 2) & (self._counts > 0)
        if not shared.any():
            return  # no overlaps at all: each estimator says what that means for its estimate
        isolated = [name for j, name in enumerate(self._lists) if not (shared & (self._patterns[:, j] == 1)).any()]
        if isolated:
            warnings.warn(
                f"list(s) {isolated} share nobody with any other list. Either record linkage missed their matches, or "
                "they cover people the other lists never reach; the overlaps say nothing about how many such a list "
                "missed, so estimates for it rest on the model's assumptions (a latent-class model can treat it as "
                "catching a separate group, a log-linear model as independent of the others). Check the linkage "
                "before trusting the estimate",
                UninformativeDataWarning,
                stacklevel=_outside_caller_stacklevel(),
            )

    def _warn_complete_lists(self) -> None:
        """Warn about a list that records every person observed (an all-1 column such as a 'valid' flag is one)."""
        seen = self._counts > 0
        if len(self._lists) < 2 or not seen.any():
            return
        complete = [name for j, name in enumerate(self._lists) if (self._patterns[seen, j] == 1).all()]
        if complete:
            where = " (in every stratum)" if self._strata is not None else ""
            warnings.warn(
                f"list(s) {complete} record every person observed{where}: the other lists add nobody to it, so "
                "every estimator that reads the overlaps takes it as (nearly) complete and puts N at or near the "
                "observed count. If it is a flag or a constant column rather than a list, leave it out with "
                "lists=[...] (CLI: --lists)",
                DataWarning,
                stacklevel=_outside_caller_stacklevel(),
            )

    @classmethod
    def _from_frame(
        cls,
        frame: pd.DataFrame,
        lists: list[str],
        count: str,
        strata: list[str],
        *,
        strict: bool,
        warn_duplicates: bool,
        warn_complete: bool = True,
    ) -> CaptureData:
        obj = cls.__new__(cls)
        obj._init_from_validated_frame(
            frame, lists, count, strata, strict=strict, warn_duplicates=warn_duplicates, warn_complete=warn_complete
        )
        return obj

    @classmethod
    def from_aggregated(
        cls,
        frame: pd.DataFrame,
        lists: Sequence[str] | None = None,
        count: str = "count",
        strata: str | Sequence[str] | None = None,
        *,
        strict: bool = False,
    ) -> CaptureData:
        """Build from an aggregated table: one 0/1 column per list plus a count column.

        ``lists`` defaults to every column that is neither the count nor a stratum.  Duplicate patterns are merged (with
        a :class:`~estimate.errors.DataWarning`).  ``strata`` names stratum column(s) (region, period …), kept beside
        the lists for :meth:`by` and :func:`~estimate.fit_strata`; ``strict=True`` refuses a list with no records
        instead of dropping it with a warning.
        """
        frame = _require_frame(frame)
        strata_cols = _as_list(strata)
        count = _column_name(count)
        _check_columns_exist(frame, [count], "count")
        list_cols = (
            _as_list(lists) if lists is not None
            else [c for c in frame.columns if c != count and c not in strata_cols]
        )
        _refuse_unused_replicates(frame, [*(list_cols if lists is not None else []), *strata_cols, count])
        _check_columns_exist(frame, list_cols, "list")
        if lists is not None:
            _warn_summed_over(frame, [c for c in frame.columns if c != count and c not in list_cols
                                      and c not in strata_cols])
        return cls._from_frame(frame, list_cols, count, strata_cols, strict=strict, warn_duplicates=True)

    @classmethod
    def from_records(
        cls,
        frame: pd.DataFrame,
        lists: Sequence[str] | None = None,
        strata: str | Sequence[str] | None = None,
        *,
        strict: bool = False,
    ) -> CaptureData:
        """Build from record-level data: one row per individual, one 0/1 or boolean column per list.

        ``lists`` defaults to every column that is not a stratum.  Individuals on no list are an error; with ``lists`` a
        subset, people on none of them but on another 0/1 column are left out with a warning (as for aggregated data).
        ``strata`` names stratum column(s) (region, period …), kept beside the lists for :meth:`by` and
        :func:`~estimate.fit_strata`; ``strict=True`` refuses a list with no records instead of dropping it with a
        warning.
        """
        frame = _require_frame(frame)
        strata_cols = _as_list(strata)
        _check_columns_exist(frame, strata_cols, "stratum")
        list_cols = _as_list(lists) if lists is not None else [c for c in frame.columns if c not in strata_cols]
        _refuse_unused_replicates(frame, [*(list_cols if lists is not None else []), *strata_cols])
        _check_columns_exist(frame, list_cols, "list")
        # the other columns travel along (unused) so that people on other lists only are recognised as such
        others = [c for c in frame.columns if c not in list_cols and c not in strata_cols]
        work = frame[list_cols + strata_cols + others].copy()
        count = _unused_name("__count__", list_cols + strata_cols)
        work[count] = 1
        return cls._from_frame(work, list_cols, count, strata_cols, strict=strict, warn_duplicates=False)

    @classmethod
    def from_long(
        cls,
        frame: pd.DataFrame,
        id: str = "id",
        list: str = "list",
        strata: str | Sequence[str] | None = None,
        *,
        lists: Sequence[str] | None = None,
        strict: bool = False,
    ) -> CaptureData:
        """Build from a long table: one row per (record id, list name) sighting.

        Stratum columns must take one value per record id.  ``lists`` fixes the list names and their order
        (and allows lists with no sightings, which are then dropped or rejected as usual); without it the lists
        are taken in the order of their names (numbers in numeric order), whatever the order of the rows.
        ``strata`` names stratum column(s) (region, period …), kept beside the lists for :meth:`by` and
        :func:`~estimate.fit_strata`; ``strict=True`` refuses a list with no records instead of dropping it with a
        warning.
        """
        frame = _require_frame(frame)
        strata_cols = _as_list(strata)
        id, list = _column_name(id), _column_name(list)
        _check_columns_exist(frame, [id, list], "id/list")
        if id == list or id in strata_cols or list in strata_cols:
            raise DataError(f"the record id ({id!r}), the list ({list!r}) and the strata ({strata_cols}) must be "
                            "different columns")
        if len(set(strata_cols)) < len(strata_cols):  # before the per-record checks, which select each column once
            raise DataError(f"stratum columns must be unique; got {strata_cols}")
        with catch_warnings():  # its refusals name rows of this table; its warnings come once, from the wide one
            warnings.simplefilter("ignore", DataWarning)
            _check_strata(frame, strata_cols)
        for column in (id, list):
            missing = frame[column].isna().to_numpy()
            if missing.any():
                position = int(np.flatnonzero(missing)[0])
                raise DataError(f"column {column!r} has a missing value at {_row_label(frame, position)}")
        _refuse_ids_that_read_alike(frame[id], id)
        if strata_cols:
            per_id = frame.groupby(id)[strata_cols].nunique()
            inconsistent = per_id[(per_id > 1).any(axis=1)]
            if len(inconsistent):
                # the id is said by where it first appears: an id may be a name or an identity number
                position = int(np.flatnonzero((frame[id] == inconsistent.index[0]).to_numpy())[0])
                raise DataError(
                    f"the record id at {_row_label(frame, position)} ({_shown_value(inconsistent.index[0])}) has "
                    f"conflicting stratum values in {[c for c in strata_cols if inconsistent.iloc[0][c] > 1]}; "
                    "each record needs one stratum"
                )
        # without lists=, in the order of their names (numbers in numeric order): in the order they first appear,
        # the same sightings in another row order gave other list columns, hence other LCMCR draws
        # said of this table's column (the wide table's check below would call them list columns)
        _refuse_list_names_that_read_alike(pd.unique(frame[list].astype(str)), f"column {list!r} names lists",
                                           warn_case=False)
        names = ([str(x) for x in _as_list(lists)] if lists is not None
                 else sorted(pd.unique(frame[list].astype(str)), key=lambda name: stratum_order_key((name,))))
        unknown = sorted(set(frame[list].astype(str)) - set(names))
        if unknown:
            raise DataError(f"column {list!r} names lists {unknown} that are not among lists={names}")
        if len(set(names)) != len(names):
            raise DataError(f"list names must be unique; got {names}")
        wide = presence_table(frame[id], frame[list].astype(str), names)
        if strata_cols:
            wide = wide.join(frame.drop_duplicates(id).set_index(id)[strata_cols])
        count = _unused_name("__count__", names + strata_cols)
        wide[count] = 1
        return cls._from_frame(
            wide.reset_index(drop=True), names, count, strata_cols, strict=strict, warn_duplicates=False
        )

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        lists: Sequence[str] | None = None,
        count: str | None = None,
        strata: str | Sequence[str] | None = None,
        *,
        strict: bool = False,
    ) -> CaptureData:
        """Build from a DataFrame, aggregated if it has a count column (``count`` or a usual name), else records.

        A column found by its name (``count``, ``counts``, ``freq``, ``frequency`` or ``n``, in any case and with
        outer spaces: ``Count``, ``N``, ``Frequency`` ...) is not taken as the counts if ``lists`` names it; one
        other than ``count`` whose values are all 0 or 1 could as well be a list, and without ``lists=`` is refused
        as ambiguous, and one that numbers the rows 1, 2, … is refused as a row number (pass ``count=`` or
        ``lists=``).  ``strata`` names stratum column(s) (region, period …), kept beside the lists for :meth:`by` and
        :func:`~estimate.fit_strata`; ``strict=True`` refuses a list with no records instead of dropping it with a
        warning."""
        frame = _require_frame(frame)
        if count is None:
            named = set(lists) if lists is not None and not isinstance(lists, str) else {lists}
            count = _count_column_by_name(frame, named)
            if count is not None and count != "count" and lists is None and _lettered_list(frame, count) and \
                    pd.to_numeric(frame[count], errors="coerce").isin([0, 1]).all():
                count = None  # list N between lists M and O (lists named A, B, C …): no count column
            if count is not None and count != "count":
                values = pd.to_numeric(frame[count], errors="coerce")
                if lists is None and values.notna().all() and values.isin([0, 1]).all():
                    raise DataError(
                        f"column {count!r} holds only 0 and 1: it could be a list or the count column. Say which: "
                        f"count={count!r} (CLI: --count {shell_word(count)}) for aggregated data, or lists=[...] "
                        "naming the list columns (CLI: --lists)")
                say_which = (f"Say which: count={count!r} (CLI: --count {shell_word(count)}) for aggregated data, "
                             "or " + ("rename or drop that column for one row per person" if lists is not None else
                                      "lists=[...] naming the list columns (CLI: --lists)"))
                if len(values) > 2 and values.notna().all() and np.array_equal(values.to_numpy(dtype=float),
                                                                               np.arange(1.0, len(values) + 1)):
                    raise DataError(
                        f"column {count!r} numbers the rows 1, 2, …, {len(values)}: it looks like a row number, not "
                        f"the number of people with each pattern. {say_which}")
                repeated = int(frame.drop(columns=[count]).duplicated().sum())  # rows repeating an earlier pattern
                # identifiers: distinct, rising down the file, and rows repeat patterns (not a table with a row
                # repeated, nor tables stacked one under another, whose counts do not rise row by row)
                if len(values) > 2 and values.notna().all() and values.is_monotonic_increasing and \
                        values.is_unique and repeated >= max(2, 0.25 * len(values)):
                    raise DataError(
                        f"column {count!r} holds a different value on every row while rows repeat the same capture "
                        "pattern: it looks like record identifiers (one row per person), not the number of people "
                        f"with each pattern. {say_which}")
        if count is not None:
            return cls.from_aggregated(frame, lists=lists, count=count, strata=strata, strict=strict)
        return cls.from_records(frame, lists=lists, strata=strata, strict=strict)

    @classmethod
    def read_csv(
        cls,
        path: str | Path | IO[str] | IO[bytes],
        lists: Sequence[str] | None = None,
        count: str | None = None,
        strata: str | Sequence[str] | None = None,
        *,
        strict: bool = False,
        **read_kwargs: Any,
    ) -> CaptureData:
        """Read a CSV file (a path, an open file or buffer; ``"-"`` reads standard input) in record-level or
        aggregated layout.

        Stratum columns are read as text, so codes keep their spelling (``"01"`` and ``"1"`` stay different
        strata); empty cells and the usual missing-value markers (``NA``, as R writes them) are missing values.
        A file separated by semicolons or tabs is recognised by its header, UTF-16 by its byte-order mark.
        Spreadsheet artefacts are undone (spaces around header names, trailing empty columns and rows, R's row
        names); numbers that may carry a thousands separator (``2.000`` beside plain ``30``, or any in a
        ';'-separated file), a comment or title line above the header, and stratum labels that differ only in
        spaces are refused with a message saying what to fix, rather than read one way by guess.

        Parameters
        ----------
        lists, count, strata, strict
            As for :meth:`from_frame`: the list columns (default: every column that is neither the count nor a
            stratum), the count column of an aggregated table (default: a column named count, n, freq …, if
            any), the stratum columns, and whether a list with no records is refused (``strict=True``) or
            dropped with a warning.
        **read_kwargs
            Passed to :func:`pandas.read_csv`, e.g. ``encoding="cp1252"`` for a file that is not UTF-8 (the only
            one ``estimate reproduce`` can repeat: with others a fit records no file to read again).
        """
        strata_cols = _as_list(strata)
        frame = _read_csv_frame(path, strata_cols, read_kwargs, count)
        data = cls.from_frame(frame, lists=lists, count=count, strata=strata, strict=strict)
        if set(read_kwargs) <= {"encoding"}:  # a file `estimate reproduce` can read again: fits record it
            _note_file_source(data, path, lists=lists, count=count, strata=strata_cols, strict=strict,
                              encoding=read_kwargs.get("encoding"))
        return data

    @classmethod
    def read_parquet(
        cls,
        path: str | Path,
        lists: Sequence[str] | None = None,
        count: str | None = None,
        strata: str | Sequence[str] | None = None,
        *,
        strict: bool = False,
    ) -> CaptureData:
        """Read a Parquet file in record-level or aggregated layout (columns kept in its index are restored).

        Parameters
        ----------
        lists, count, strata, strict
            As for :meth:`read_csv`.
        """
        data = cls.from_frame(_read_parquet_frame(path), lists=lists, count=count, strata=strata, strict=strict)
        _note_file_source(data, path, lists=lists, count=count, strata=_as_list(strata), strict=strict)
        return data

    @classmethod
    def read_json(
        cls,
        path: str | Path,
        lists: Sequence[str] | None = None,
        count: str | None = None,
        strata: str | Sequence[str] | None = None,
        *,
        strict: bool = False,
        encoding: str | None = None,
    ) -> CaptureData:
        """Read a JSON file of records in record-level or aggregated layout: an array of objects, one per row
        (``[{"A": 1, "B": 0, "count": 12}, ...]``, as ``estimate widen --format json`` and pandas'
        ``to_json(orient="records")`` write it), or one object per line for ``.jsonl`` / ``.ndjson``.  Values
        must be numbers, booleans, text or null (a missing value); nested arrays or objects are refused.

        Parameters
        ----------
        lists, count, strata, strict
            As for :meth:`read_csv`.
        encoding
            The file's text encoding (default UTF-8, a byte-order mark allowed; UTF-16 is recognised by its
            byte-order mark).
        """
        frame = _read_json_frame(path, encoding)
        data = cls.from_frame(frame, lists=lists, count=count, strata=strata, strict=strict)
        _note_file_source(data, path, lists=lists, count=count, strata=_as_list(strata), strict=strict,
                          encoding=encoding)
        return data

    @classmethod
    def read_long(
        cls,
        path: str | Path,
        id: str = "id",
        list: str = "list",
        strata: str | Sequence[str] | None = None,
        *,
        lists: Sequence[str] | None = None,
        strict: bool = False,
        **read_kwargs: Any,
    ) -> CaptureData:
        """Read a long table — one row per sighting: a record (person) id and the name of the list that has it —
        from CSV (``"-"``: standard input) or Parquet, as :meth:`from_long` builds it.  The id, list and stratum
        columns are read as text (ids ``"007"`` and ``"7"`` stay different people).  ``strata``, ``lists`` and
        ``strict`` are :meth:`from_long`'s; other keyword arguments go to the CSV reader (e.g. ``sep=";"``)."""
        suffix = Path(str(path)).suffix.lower()
        if suffix in (".parquet", ".pq"):
            frame = _read_parquet_frame(path)
            for column in [id, list, *_as_list(strata)]:  # as the CSV reader reads them: text
                if column in frame.columns and not frame[column].isna().any():
                    frame[column] = frame[column].astype(str)
        elif suffix in _NOT_CSV_SUFFIXES:
            raise DataError(f"cannot read {str(path)!r}: {suffix} files are not supported as input; give a CSV or "
                            "Parquet file")
        else:
            frame = _read_csv_frame(path, [id, list, *_as_list(strata)], read_kwargs)
        return cls.from_long(frame, id=id, list=list, strata=strata, lists=lists, strict=strict)

    @classmethod
    def read(cls, path: str | Path | IO[str] | IO[bytes], **kwargs: Any) -> CaptureData:
        """Read CSV, Parquet or JSON records, chosen by the file extension (.parquet/.pq, .json/.jsonl/.ndjson;
        any other is read as CSV, except the formats that are clearly not CSV: spreadsheets, netCDF, Feather —
        refused with a DataError).  An open file or buffer is read as CSV.  ``kwargs`` go to the reader chosen
        (:meth:`read_csv`, :meth:`read_parquet` or :meth:`read_json`): ``lists``, ``count``, ``strata``,
        ``strict``, and ``encoding`` for a CSV or JSON file."""
        if not isinstance(path, (str, os.PathLike)):
            return cls.read_csv(path, **kwargs)
        suffix = Path(path).suffix.lower()
        if suffix in (".parquet", ".pq"):
            return cls.read_parquet(path, **kwargs)
        if suffix in _JSON_SUFFIXES:
            return cls.read_json(path, **kwargs)
        if suffix in _NOT_CSV_SUFFIXES:
            raise DataError(f"cannot read {str(path)!r}: {suffix} files are not supported as input; give a CSV, "
                            "Parquet or JSON file (e.g. convert it with pandas: "
                            "pandas.read_excel(path).to_csv('lists.csv', index=False))")
        return cls.read_csv(path, **kwargs)

    # ------------------------------------------------------------------ basic properties
    @property
    def lists(self) -> tuple[str, ...]:
        """Names of the J lists, in column order."""
        return self._lists

    @property
    def n_lists(self) -> int:
        """J, the number of lists."""
        return len(self._lists)

    @property
    def patterns(self) -> np.ndarray:
        """Read-only (P, J) uint8 array of observed capture patterns."""
        return self._patterns

    @property
    def counts(self) -> np.ndarray:
        """Read-only (P,) int64 array: people per observed pattern."""
        return self._counts

    @property
    def n_patterns(self) -> int:
        """P, the number of observed (stratum, pattern) rows."""
        return len(self._counts)

    @property
    def observed(self) -> int:
        """n, the number of distinct people documented by at least one list (the "at least" count)."""
        return int(self._counts.sum())

    @property
    def strata_columns(self) -> tuple[str, ...]:
        """Names of the stratum columns (empty if the data is not stratified)."""
        return tuple(self._strata.columns) if self._strata is not None else ()

    @property
    def strata(self) -> pd.DataFrame | None:
        """Stratum labels of each pattern row, or None."""
        return None if self._strata is None else self._strata.copy()

    @property
    def strata_without_records(self) -> pd.DataFrame | None:
        """Strata the input names where nobody was documented (their rows have count 0, or their people are only
        on lists left out), one row of labels each; None if the data is not stratified.

        They have no pattern rows, so :meth:`by` has no part for them; :func:`~estimate.fit_strata` reports them
        as not estimable with 0 observed, and :meth:`describe` lists them with zeros.
        """
        return None if self._empty_strata is None else self._empty_strata.copy()

    def __repr__(self) -> str:
        strata = f", strata={list(self.strata_columns)}" if self._strata is not None else ""
        return (
            f"CaptureData(lists={list(self._lists)}, patterns={self.n_patterns}, "
            f"observed={self.observed}{strata})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CaptureData):
            return NotImplemented
        return (self._lists == other._lists and np.array_equal(self._patterns, other._patterns)
                and np.array_equal(self._counts, other._counts) and _same_labels(self._strata, other._strata)
                and _same_labels(self._empty_strata, other._empty_strata))

    __hash__ = None  # type: ignore[assignment]

    # ------------------------------------------------------------------ descriptives
    @property
    def list_sizes(self) -> pd.Series:
        """People documented by each list."""
        sizes = (self._patterns.astype(np.int64) * self._counts[:, None]).sum(axis=0)
        return pd.Series(sizes, index=list(self._lists), name="size")

    @property
    def lists_overlap(self) -> bool:
        """Whether anybody is on two or more lists; without that, the data cannot bound the total."""
        return bool((self._patterns.sum(axis=1) >= 2).any())

    def overlaps(self) -> pd.DataFrame:
        """J×J table: people on both list i and list j (list sizes on the diagonal)."""
        x = self._patterns.astype(np.int64)
        matrix = (x * self._counts[:, None]).T @ x
        return pd.DataFrame(matrix, index=list(self._lists), columns=list(self._lists))

    def pattern_table(self, include_strata: bool | None = None) -> pd.DataFrame:
        """The observed patterns as a DataFrame (list columns, then ``count``).

        For stratified data, by default one row per (stratum, pattern) with the stratum columns first;
        ``include_strata=False`` pools the strata (one row per pattern, counts added up).  Without strata the two
        are the same table.
        """
        table = pd.DataFrame(self._patterns.astype(np.int64), columns=list(self._lists))
        table[RESERVED_COUNT_NAME] = self._counts
        if self._strata is None:
            return table
        if include_strata is False:  # rows of different strata with the same pattern were unlabelled repeats
            pooled = table.groupby(list(self._lists), sort=False)[RESERVED_COUNT_NAME].sum().reset_index()
            return pooled.sort_values(list(self._lists), ascending=False, kind="stable").reset_index(drop=True)
        return pd.concat([self._strata.reset_index(drop=True), table], axis=1)

    def describe(self) -> dict[str, Any]:
        """Descriptive summary: observed total, list sizes, pairwise overlaps, number of patterns, and with strata
        the documented count and list sizes of each stratum (``by_stratum``, strata in the order of their values)."""
        summary = {
            "observed": self.observed,
            "n_lists": self.n_lists,
            "n_patterns": self.n_patterns,
            "list_sizes": self.list_sizes,
            "overlaps": self.overlaps(),
            "patterns": self.pattern_table(include_strata=True),
        }
        if self.strata_columns:
            summary["by_stratum"] = self._by_stratum()
        return summary

    def _by_stratum(self) -> pd.DataFrame:
        """One row per stratum: its labels, the people documented and each list's size there."""
        columns = list(self.strata_columns)
        table = self.pattern_table(include_strata=True)
        lists = list(self._lists)
        weighted = table[lists].mul(table[RESERVED_COUNT_NAME], axis=0)
        weighted.insert(0, _unused_name("observed", lists + columns), table[RESERVED_COUNT_NAME])  # (may be taken)
        grouped = pd.concat([table[columns], weighted], axis=1).groupby(columns, sort=False).sum().reset_index()
        if self._empty_strata is not None and len(self._empty_strata):  # named by the input, nobody documented
            zeros = self._empty_strata.reset_index(drop=True).copy()
            for column in grouped.columns[len(columns):]:
                zeros[column] = np.zeros(len(zeros), dtype=grouped[column].dtype)
            grouped = pd.concat([grouped, zeros], ignore_index=True)
        labels = list(grouped[columns].itertuples(index=False, name=None))  # (a .loc per stratum took seconds)
        order = sorted(range(len(grouped)), key=lambda i: stratum_order_key(labels[i]))
        return grouped.iloc[order].reset_index(drop=True)

    def to_records(self) -> pd.DataFrame:
        """Expand to record-level rows (one per person), list columns as 0/1 plus any stratum columns."""
        table = self.pattern_table(include_strata=True)
        repeated = table.loc[table.index.repeat(table[RESERVED_COUNT_NAME])].drop(columns=RESERVED_COUNT_NAME)
        return repeated.reset_index(drop=True)

    def content_hash(self) -> str:
        """SHA-256 of the canonical pattern table (for caching and provenance)."""
        buffer = self._pattern_csv()
        if self._empty_strata is not None and len(self._empty_strata):  # (absent: the hash of earlier versions)
            buffer += b"strata without records\n" + self._empty_strata.to_csv(index=False, lineterminator="\n").encode()
        return hashlib.sha256(buffer).hexdigest()

    def _pattern_csv(self) -> bytes:
        # "\n" on every platform: pandas ends lines with os.linesep, and a hash of Windows' "\r\n" would differ
        return self.pattern_table(include_strata=True).to_csv(index=False, lineterminator="\n").encode()

    def _matches_recorded_hash(self, recorded: str) -> bool:
        """Whether a content hash recorded with a result is this data's: :meth:`content_hash`, or the hash versions
        before 2026-12-06 gave data with :attr:`strata_without_records` (they were left out of it)."""
        return recorded in (self.content_hash(), hashlib.sha256(self._pattern_csv()).hexdigest())

    # ------------------------------------------------------------------ transformations
    def select_lists(self, lists: Sequence[str], *, strict: bool = False) -> CaptureData:
        """Keep (and reorder to) the given lists; people on none of them disappear from the data.  ``strict=True``
        refuses a kept list that documents nobody (in the data or in a stratum) instead of dropping it."""
        lists = _as_list(lists)
        unknown = [name for name in lists if name not in self._lists]
        if unknown:
            raise DataError(f"unknown list(s) {unknown}; the data has lists {list(self._lists)}"
                            f"{_near_names_hint(unknown, self._lists)}")
        table = self.pattern_table(include_strata=True)
        table = table[table[list(lists)].sum(axis=1) > 0]
        selected = CaptureData._from_frame(
            table, list(lists), RESERVED_COUNT_NAME, list(self.strata_columns), strict=strict, warn_duplicates=False,
            warn_complete=False,
        )
        if self._strata is not None:  # strata documented only by the lists left out have nobody now
            labels = pd.concat([self._strata, self._empty_strata], ignore_index=True)
            selected._empty_strata = _labels_missing_from(labels, selected._strata)
        return selected

    def without_strata(self) -> CaptureData:
        """Collapse all strata into one table (patterns merged across strata)."""
        table = self.pattern_table(include_strata=False)
        return CaptureData._from_frame(table, list(self._lists), RESERVED_COUNT_NAME, [], strict=False,
                                       warn_duplicates=False, warn_complete=False)

    def by(self, columns: str | Sequence[str] | None = None, *, strict: bool = False) -> dict[Hashable, CaptureData]:
        """Split by stratum columns: mapping stratum key → CaptureData of that stratum.

        Keys are scalars when splitting by one column, tuples otherwise (plain Python values: 2020, not a NumPy
        integer).  Stratum columns not used for splitting are kept on each part.  Lists that document nobody *in a
        stratum* are dropped from that stratum (with a warning) or, with ``strict=True``, raise.  A part's warnings
        and errors begin with the stratum they concern (``stratum region=north: …``); a warning that several strata
        give alike is given once, naming how many and up to three of them (``strata region=a, region=b, region=c
        and 17 more: …``).  A ``message=`` warning filter must allow for that beginning, e.g.
        ``message=r".*document nobody"``.  Strata without records have no part (:attr:`strata_without_records`).
        """
        columns = _as_list(columns) if columns is not None else list(self.strata_columns)
        if not columns:
            raise DataError("no stratum columns to split by; construct the data with strata=[...]")
        unknown = [c for c in columns if c not in self.strata_columns]
        if unknown:
            raise DataError(
                f"unknown stratum column(s) {unknown}; " + (f"the data has stratum columns {list(self.strata_columns)}"
                                             if self.strata_columns else "the data has no stratum columns")
            )
        parts: dict[Hashable, CaptureData] = {}
        # each warning said again, naming its strata: once for all the strata that give it alike (twenty strata
        # without list C gave twenty warnings), in the order first given
        alike: dict[tuple[type[Warning], str], list[str]] = {}
        try:
            for key, part, caught, _documented in self._split_parts(columns, strict=strict):
                label = ", ".join(f"{column}={_plain(value)}" for column, value in zip(columns, key, strict=True))
                if isinstance(part, DataError):
                    raise DataError(f"stratum {label}: {part}") from part
                for caught_warning in caught:
                    labels = alike.setdefault((caught_warning.category, str(caught_warning.message)), [])
                    if label not in labels:
                        labels.append(label)
                parts[key if len(columns) > 1 else key[0]] = part
        finally:  # the strata split before one is refused warn as they did
            for (category, text), labels in alike.items():
                warnings.warn(f"{_strata_named(labels, ', ' if len(columns) == 1 else '; ')}: {text}", category,
                              stacklevel=2)
        return parts

    def _split_parts(self, columns: list[str], *, strict: bool = False
                    ) -> Iterator[tuple[tuple[Any, ...], CaptureData | DataError, list[warnings.WarningMessage], int]]:
        """(stratum key as a tuple, its CaptureData or the DataError that refuses it, the warnings it gave, the
        people documented there), for every stratum of ``columns`` with records, in the strata's order (:meth:`by`
        and ``fit_strata`` build on it).

        The table is valid already, so a part is cut from its arrays without validating it again (a few
        hundred µs, not the constructor's 5 ms): a stratum's rows keep the stored order, which is the order the
        constructor sorts them into.  A list that documents nobody in the stratum is dropped (or, ``strict``,
        refused) with the constructor's warning.
        """
        rest = [c for c in self.strata_columns if c not in columns]
        if len(columns) == 1:  # by the column itself: its values are the keys, tuples among them (a label may be one)
            groups = {(key,): rows for key, rows in self._strata.groupby(columns[0], sort=False).indices.items()}
        else:
            groups = self._strata.groupby(columns, sort=False).indices
        keys = {tuple(_plain(value) for value in key): rows for key, rows in groups.items()}  # 2020, not np.int64
        empty = self._empty_strata
        empty_by_key = {}
        if rest and empty is not None and len(empty):
            for key, group in empty.groupby(columns if len(columns) > 1 else columns[0], sort=False):
                key = key if len(columns) > 1 else (key,)
                empty_by_key[tuple(_plain(value) for value in key)] = group[rest].reset_index(drop=True)
        for key in sorted(keys, key=stratum_order_key):
            with catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    part: CaptureData | DataError = self._part(keys[key], rest, strict)
                except DataError as exc:
                    part = exc
            if rest and isinstance(part, CaptureData):  # the stratum's own strata without records, if any
                part._empty_strata = empty_by_key.get(key, self._strata[rest].iloc[:0])
            yield key, part, list(caught), int(self._counts[keys[key]].sum())

    def _part(self, rows: np.ndarray, rest: list[str], strict: bool) -> CaptureData:
        patterns = self._patterns[rows]
        counts = self._counts[rows]
        strata = self._strata[rest].iloc[rows].reset_index(drop=True) if rest else None
        lists = list(self._lists)
        empty = (patterns.astype(np.int64) * counts[:, None]).sum(axis=0) == 0
        if empty.any():
            # a list with nobody in this stratum is dropped (or refused), as the constructor does.  Every row has 0
            # there, so the rows stay distinct and in the constructor's order without it
            lists = _lists_without_empty(lists, [name for name, e in zip(lists, empty, strict=True) if e], strict,
                                         " in this stratum")
            patterns = patterns[:, ~empty]
        part = CaptureData.__new__(CaptureData)
        part._lists = tuple(lists)
        part._patterns = np.ascontiguousarray(patterns)
        part._counts = np.ascontiguousarray(counts)
        part._patterns.setflags(write=False)
        part._counts.setflags(write=False)
        part._strata = strata
        part._empty_strata = strata.iloc[:0] if rest else None
        part._warn_isolated_lists()
        return part

    def to_frame(self) -> pd.DataFrame:
        """:meth:`pattern_table` with stratum columns (aggregated layout, ready for ``from_frame``), plus a row with
        count 0 for each of :attr:`strata_without_records`, so that reading it back gives equal data."""
        table = self.pattern_table(include_strata=True)
        empty = self._empty_strata
        if empty is None or not len(empty):
            return table
        zeros = empty.reset_index(drop=True).copy()
        for j, name in enumerate(self._lists):  # a pattern on the first list: one nobody has here
            zeros[name] = np.full(len(zeros), 1 if j == 0 else 0, dtype=table[name].dtype)
        zeros[RESERVED_COUNT_NAME] = np.zeros(len(zeros), dtype=table[RESERVED_COUNT_NAME].dtype)
        return pd.concat([table, zeros[table.columns]], ignore_index=True)


def _one_field_more(frame: pd.DataFrame, source: Any, read_kwargs: dict[str, Any], path: str) -> pd.DataFrame:
    """The rows of a CSV file have one more field than its header.  Rows ending in a separator (a trailing comma,
    as some exports write) leave the last column empty: read again without row names, or every value would sit
    one column to the left.  Unique row names (R's ``write.csv`` writes them, with no header field) stay the
    index; anything else is refused rather than shifted."""
    if frame.index.nlevels > 1:  # pandas made row names of the first fields: every value would sit shifted
        raise DataError(f"cannot read {path!r} as CSV: its rows have {frame.index.nlevels} more fields than the "
                        f"header names ({frame.shape[1]} columns); check the header and the separators")
    if frame.shape[1] and frame.iloc[:, -1].isna().all():
        _rewind(source)
        return pd.read_csv(source, **{**read_kwargs, "index_col": False})
    _refuse_some_rows_one_field_more(source, read_kwargs, path, frame.shape[1])
    if frame.index.is_unique:
        return frame
    raise DataError(f"cannot read {path!r} as CSV: its rows have one more field than the header names "
                    f"({frame.shape[1]} columns); check the separators")


def _refuse_some_rows_one_field_more(source: Any, read_kwargs: dict[str, Any], path: str, columns: int) -> None:
    """Refuse a file where some rows, not all, have one field more than the header: pandas then takes the first
    column as row names and every value of every row moves one column to the left (an error would blame the
    wrong column, or the data be read shifted).  R's row names give every row the extra field."""
    import csv

    try:
        text = _source_text(source, read_kwargs)
    except (OSError, TypeError, ValueError):  # a source that cannot be scanned twice: pandas' reading stands
        return
    finally:
        _rewind(source)
    separator = read_kwargs.get("sep") or read_kwargs.get("delimiter") or ","
    if len(separator) != 1:
        return
    lengths = [(number, len(row)) for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=separator),
                                                                start=1) if row and any(cell.strip() for cell in row)]
    body = lengths[1:]  # below the header
    longer = [number for number, length in body if length == columns + 1]
    plain = [number for number, length in body if length <= columns]
    if longer and plain:
        raise DataError(f"cannot read {path!r} as CSV: line {longer[0]} has {columns + 1} fields where the header "
                        f"names {columns} (line {plain[0]} has {columns}); remove the extra field (a stray "
                        "separator?)")


_THOUSANDS_WITH_POINTS = r"\d{1,3}(?:\.\d{3})+"


def _refuse_ambiguous_thousands(source: Any, read_kwargs: dict[str, Any], strata: list[str], path: str,
                                count: str | None = None) -> None:
    """Numbers like 2.000 or 1.131 where the point may group thousands (two thousand) or mark decimals (two):
    refuse rather than guess.  In a ';'-separated file (as spreadsheets write where the decimal mark is the comma)
    any such number is refused; with another separator, one in the count column (``count``, or named like one)
    that also holds whole numbers written without a point (30 beside 2.000: the pattern of thousands
    separators, small numbers having none) — other columns (a measurement with three decimals) are no counts."""
    semicolon = read_kwargs.get("sep") == ";"
    header = list(pd.read_csv(source, **{**read_kwargs, "nrows": 0}).columns)
    _rewind(source)
    columns = [c for c in header if str(c).strip() not in strata and (
        semicolon or str(c).strip() == count or (count is None and is_count_name(c)))]
    try:
        text = _source_text(source, read_kwargs) if columns else ""
    except ValueError:  # an archive the scan does not open
        text = ""
    if not columns or not re.search(r"\d\.\d{3}(?!\d)", text):
        return  # no column to check, or nothing that looks like it: the file is not read a second time
    raw = pd.read_csv(source, **{**read_kwargs, "dtype": str, "keep_default_na": False, "usecols": columns})
    _rewind(source)
    for column in columns:
        text = raw[column].astype(str).str.strip()
        hits = text.str.fullmatch(_THOUSANDS_WITH_POINTS)
        filled = text != ""
        if not semicolon and filled.any() and hits[filled].all() and text[filled].str.endswith(".000").all():
            # 30.000, 20.000, 5.000: three decimal zeros throughout, or every count a multiple of a thousand
            example = text[filled].iloc[0]
            warnings.warn(
                f"every count in column {str(column)!r} of {path!r} is written with three decimals ({example!r}): "
                "they are read as decimals; if the point groups thousands there, the counts are a thousand times "
                "larger — write them without the point", DataWarning, stacklevel=_outside_caller_stacklevel())
            continue
        if hits.any() and (semicolon or text.str.fullmatch(r"\d+").any()):
            value = text[hits].iloc[0]
            written = "files written with ';'" if semicolon else "a column whose other numbers have no point"
            raise DataError(
                f"column {str(column)!r} of {path!r} holds {value!r}: in {written} the point often groups "
                f"thousands ({value} = {value.replace('.', '')}), but it would be read as a decimal mark; write the "
                "numbers without thousands separators (or read the file with pandas and pass the DataFrame)")


def _note_file_source(data: CaptureData, path: Any, *, lists: Any, count: str | None, strata: list[str],
                      strict: bool, encoding: str | None = None) -> None:
    """Remember the file ``data`` was read from, with the options, so that its fits record it (provenance) and
    ``estimate reproduce`` reads it again; not for standard input or an open file."""
    if not isinstance(path, (str, Path)) or str(path) == "-":
        return
    from estimate import provenance

    names = [lists] if isinstance(lists, str) else (list(lists) if lists is not None else None)
    provenance.note_source(data, provenance.file_source(path, lists=names, count=count, strata=strata or None,
                                                        strict=strict, encoding=encoding))


def _decoded(raw: bytes, encoding: str | None, what: str) -> str:
    """Bytes of a CSV (a binary buffer, standard input) as text: UTF-8 (a byte-order mark dropped) unless
    ``encoding`` names another, UTF-16 when its byte-order mark says so; a DataError naming the problem else."""
    if raw.startswith(b"PAR1"):
        raise DataError(f"{what} holds a Parquet file; give it as a file named .parquet (CSV only is read from "
                        f"{what})")
    encoding = _text_encoding(raw, encoding, what) or "UTF-8"
    try:
        return raw.decode("utf-8-sig" if encoding.replace("_", "-").lower() in ("utf-8", "utf8") else encoding)
    except UnicodeError as exc:
        how = ("name its encoding (--encoding cp1252)" if what == "standard input"
               else "in Python name its encoding, e.g. CaptureData.read_csv(buffer, encoding='cp1252')")
        raise DataError(f"cannot read {what} as CSV: it is not {encoding} text ({getattr(exc, 'reason', exc)}); save "
                        f"it as UTF-8 (in Excel: 'CSV UTF-8'), or {how}") from exc


def _excel_separator_line(cells: list[str]) -> str | None:
    """The separator an Excel "sep=;" (or "sep=,", "sep=\\t") first line names, read as a one- or two-cell header;
    None for any other first line."""
    first = cells[0].lstrip() if cells else ""
    if len(cells) > 2 or not first.lower().startswith("sep=") or (len(cells) == 2 and cells[1].strip()):
        return None
    named = first[4:5]
    return named if named and not named.isalnum() else ("," if len(cells) == 2 else None)


def _refuse_title_line(cells: list[str], path: str) -> None:
    """A first line that cannot be the header: a comment (``# exported …``), a title over the table (one
    named cell, the rest empty), or a line of data (0/1 values, perhaps a count last: a file without a header
    line), which would be read as column names."""
    values = [cell.strip() for cell in cells]
    # (lists numbered in order, 0, 1, 2 … or 1, 2, 3 …, are a header: pandas writes a numpy array's columns so)
    numbered = [str(i) for i in range(len(values))] in (values, [str(i + 1) for i in range(len(values))])
    if (len(values) >= 2 and not numbered and all(v in ("0", "1") for v in values[:-1])
            and re.fullmatch(r"\d+(\.0*)?", values[-1]) and "0" in values):
        raise DataError(f"the first line of {path!r} ({','.join(values)[:60]}) is data, not column names: the file "
                        "has no header line. Add one naming the lists, and the count column if there is one (e.g. "
                        "A,B,C,count); every line of the file is then read as data")
    named = [cell for cell in cells if cell.strip()]
    first = named[0].strip() if named else ""
    # "# exported 2024-01-01": a comment; a bare "#" (or "#id") heading a column of row numbers is a name
    if first.startswith("#") and (" " in first or len(named) == 1) and first.strip("#"):
        raise DataError(f"the first line of {path!r} starts with '#' ({first[:40]!r}): a comment, not the column "
                        "names; remove it so the first line names the columns (Python: "
                        "CaptureData.read_csv(path, skiprows=1))")
    if len(cells) > 2 and len(named) == 1:
        raise DataError(f"the first line of {path!r} names one column only ({named[0].strip()[:40]!r}, the other "
                        f"{len(cells) - 1} cells empty): a title over the table? remove it so the first line names "
                        "the columns (Python: CaptureData.read_csv(path, skiprows=1))")


def _source_text(source: Any, read_kwargs: dict[str, Any]) -> str:
    """The text of a CSV source (standard input or a buffer read into memory, or a file), for a quick scan."""
    if isinstance(source, io.StringIO):
        return source.getvalue()
    encoding = read_kwargs.get("encoding") or "utf-8"
    suffix = Path(source).suffix.lower()
    if suffix in (".gz", ".bz2", ".xz"):  # compressed as pandas reads them (compression="infer")
        import bz2
        import gzip
        import lzma

        opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}[suffix]
        with opener(source, "rt", encoding=encoding, errors="replace") as handle:
            return handle.read()
    if suffix in (".zip", ".zst", ".tar"):
        raise ValueError(f"{suffix} archive: not scanned")  # the callers then leave the check to pandas' reading
    return Path(source).read_text(encoding=encoding, errors="replace")


def _tidy_spreadsheet_export(frame: pd.DataFrame, cells: list[str], path: str) -> pd.DataFrame:
    """Undo what spreadsheets and exporters add around a table: spaces around header names (``A, B, count``), a
    first column with an empty header and distinct values (row names, as R's ``write.csv`` and pandas'
    ``to_csv`` write them), columns with an empty header and no values (a trailing separator on the header line),
    and trailing rows with no values (rows of separators at the end of an Excel export)."""
    empty_header = [i for i, cell in enumerate(cells) if not cell.strip()]
    drop = []
    for i in empty_header:
        column = frame.columns[i]
        values = frame[column]
        if values.isna().all() or (i == 0 and values.notna().all() and values.is_unique and frame.shape[1] > 1
                                   and _look_like_row_names(values, list(frame.columns))):
            drop.append(column)
    if drop:
        frame = frame.drop(columns=drop)
    renamed = {c: c.strip() for c in frame.columns if isinstance(c, str) and c != c.strip()}
    if renamed:
        _check_unique_columns([renamed.get(c, c) for c in frame.columns], where=f"the header of {path!r}")
        frame = frame.rename(columns=renamed)
    filled = frame.notna().any(axis=1).to_numpy()
    if len(filled) and not filled[-1]:
        last = int(np.flatnonzero(filled)[-1]) + 1 if filled.any() else 0
        frame = frame.iloc[:last]
    return frame


def _look_like_row_names(values: pd.Series, names: Sequence[Any]) -> bool:
    """Distinct values of a first column with an empty header that an exporter writes as row names: text labels;
    row numbers in increasing order (pandas' index, R's row names, also of a filtered or sorted-back table:
    3, 7, 12 …); or any whole numbers beside a column named as counts (``count``, ``freq`` …), which these then
    cannot be.  Other numbers (300, 250, 200 …, no count column) may be a count column whose header cell was left
    empty: kept, so that the file is refused with the way to name it (dropping them read every row as one person;
    the rows of a shuffled export are refused too, and the message offers both readings)."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().any():
        return True
    array = numbers.to_numpy(dtype=float)
    whole = bool(np.all(array == np.round(array)) and np.all(array >= 0))
    if whole and (len(array) < 2 or np.all(np.diff(array) > 0)):
        return True
    return whole and any(is_count_name(name) for name in names)


def _rewind(source: Any) -> None:
    """Back to the start of standard input read into memory (a path is simply opened again)."""
    if isinstance(source, io.StringIO):
        source.seek(0)


def _require_frame(frame: Any) -> pd.DataFrame:
    """``frame`` as a DataFrame with string column names, each used once."""
    if isinstance(frame, Mapping):
        try:
            frame = pd.DataFrame(frame)
        except ValueError as exc:
            raise DataError(f"cannot make a table of the mapping given: {exc}") from exc
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if isinstance(frame.columns, pd.MultiIndex):  # names would stay tuples, and a name's part would select columns
        raise DataError(f"the data's columns have {frame.columns.nlevels} header levels (a MultiIndex); give one "
                        "name per column, e.g. frame.columns = [' '.join(map(str, c)).strip() for c in "
                        "frame.columns]")
    frame = frame.rename(columns=str)
    names = list(frame.columns)
    if any("\x00" in name for name in names):  # netCDF (the draws' file) cannot store it, nor many tools show it
        raise DataError("a column name contains a NUL character (\\x00); rename the column")
    _check_unique_columns(names)
    blank = [position for position, name in enumerate(names) if not name.strip()]
    if len(blank) > 1:  # frame[''] would be a table of them: no list, count or stratum can be one; as a file's
        # empty header cells, they are left out
        warnings.warn(f"{len(blank)} columns without a name are left out (no list, count or stratum can be named "
                      "so); name them to use them", DataWarning, stacklevel=_outside_caller_stacklevel())
        frame = frame.iloc[:, [i for i in range(len(names)) if i not in blank]]
    return frame


def _check_unique_columns(names: list[str], where: str = "the data") -> None:
    # empty header cells (trailing separators of a spreadsheet export) are not names: empty columns are dropped
    duplicated = sorted({name for name in names if names.count(name) > 1 and str(name).strip()})
    if duplicated:
        raise DataError(f"{where} has more than one column named {duplicated}; every list, count and stratum "
                        "column needs its own name")


def _label_order(value: Any) -> tuple[int, float, str]:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        number = float(value)
    else:
        try:
            number = float(value) if isinstance(value, str) else math.nan
        except ValueError:
            number = math.nan
    if math.isfinite(number):
        return (0, number, str(value))
    return (1, 0.0, str(value))


def stratum_order_key(key: Sequence[Any]) -> tuple[tuple[int, float, str], ...]:
    """Sort key of a stratum's labels: numbers, and text that reads as a number (a CSV's '1' … '10', read as
    text), in numeric order (1, 2, …, 10, not 1, 10, 2), before other labels in the order of their text (ISO
    dates chronologically).  Only the order of the output rows depends on it, never a stratum's seed."""
    return tuple(_label_order(value) for value in key)
