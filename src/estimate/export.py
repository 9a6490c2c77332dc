"""Saving results to files and loading them back.

:meth:`Result.save <estimate.results.Result.save>` and :meth:`StrataResult.save <estimate.strata.StrataResult.save>`
choose the format by the file's suffix; every write is atomic (:mod:`estimate.atomic`):

``.json``
    The full result: estimate, interval, diagnostics, details and provenance (posterior draws are not included).
``.csv``, ``.parquet``
    The summary table (:meth:`Result.summary`, one row; :meth:`StrataResult.summary`, one row per stratum).
``.nc``
    netCDF: the posterior draws as ArviZ ``InferenceData`` (for a :class:`StrataResult`, ``posterior.N`` with
    dims (chain, draw, stratum) and ``constant_data.observed``) with the full JSON result in the posterior
    group's attribute ``estimate_result`` or ``estimate_strata_result`` (files written before the strata's were
    InferenceData kept the latter at the root, and still load).

:func:`load_result` reads ``.json`` and ``.nc`` back into an equal object (the same estimate, interval,
diagnostics, details and provenance; for ``.nc`` also the same posterior draws).  Summary tables are for other
programs and cannot be loaded back into a result.

Only aggregates are written: the results carry pattern-level counts at most, never record-level rows.
"""

from __future__ import annotations

import io
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from estimate.atomic import atomic_write_text, atomic_write_with, same_file
from estimate.errors import DataError
from estimate.results import Result, _jsonable, malformed_field

if TYPE_CHECKING:  # pragma: no cover
    from estimate.compare import Comparison
    from estimate.strata import StrataResult

__all__ = ["save_result", "save_strata_result", "load_result", "RESULT_ATTR", "STRATA_ATTR"]

#: Attribute of the posterior group holding the JSON result in a saved ``.nc`` file.
RESULT_ATTR = "estimate_result"
#: Attribute of the posterior group holding the JSON stratified result in a saved ``.nc`` file (at the root in
#: files written before the strata's were InferenceData).
STRATA_ATTR = "estimate_strata_result"

_JSON = (".json",)
_CSV = (".csv",)
_PARQUET = (".parquet", ".pq")
#: file suffixes read and written as netCDF (the command line follows them too)
NETCDF_SUFFIXES = _NETCDF = (".nc", ".netcdf", ".nc4")
_SUFFIXES = ".json, .csv, .parquet or .nc"


def _suffix(path: str | Path) -> str:
    return Path(path).suffix.lower()


def _format(path: Path, fmt: str | None) -> str:
    """The format as a suffix (``".json"`` ...): ``fmt`` if given, else the file's suffix."""
    if fmt is None:
        return _suffix(path)
    suffix = "." + fmt.lower().lstrip(".")
    if suffix not in _JSON + _CSV + _PARQUET + _NETCDF:
        raise DataError(f"unknown result format {fmt!r}; use json, csv, parquet or nc")
    return suffix


def parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every column Parquet can store: a column of mixed Python types (strata 1 and "a", which
    pandas holds as objects) is written as text, as a CSV file would hold it; missing values stay missing."""
    def text_and_other(column: pd.Series) -> bool:
        kinds = {isinstance(v, str) for v in column if not _missing(v)}
        return len(kinds) > 1  # numbers of several types (1 and 2.5) Parquet stores as numbers itself

    mixed = [column for column in frame.columns if frame[column].dtype == object and text_and_other(frame[column])]
    if not mixed:
        return frame
    frame = frame.copy()
    for column in mixed:
        frame[column] = [None if _missing(v) else str(v) for v in frame[column]]
    return frame


def _missing(value: Any) -> bool:
    """None, NaN, NaT or pd.NA (``pd.isna`` of one value; a list or array is not missing)."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _write_table(frame: pd.DataFrame, path: Path, suffix: str) -> None:
    if suffix in _CSV:
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, lineterminator="\n")
        atomic_write_text(path, buffer.getvalue())
    else:
        atomic_write_with(path, lambda tmp: parquet_ready(frame).to_parquet(tmp, index=False))


# ---------------------------------------------------------------------------------------------------- Result
def result_payload(result: Result) -> dict[str, Any]:
    """The JSON document of a saved result: :meth:`Result.to_dict` tagged with ``"kind": "Result"``."""
    return {"kind": "Result", **result.to_dict()}


def refuse_writing_over_data(provenance: Any, path: Path) -> None:
    """Refuse to write a result onto the data file it was fitted from (``result.save("lists.csv")`` replaced the
    lists with a summary row; the CLI refuses the same for ``-o``), as the provenance records that file."""
    record = provenance.get("data") if isinstance(provenance, dict) else None
    source = record.get("source") if isinstance(record, dict) else None
    if not isinstance(source, dict) or source.get("kind") != "file" or not source.get("path"):
        return
    if same_file(path, Path(source["path"])):
        raise DataError(f"{str(path)!r} is the data file this result was fitted from; writing there would replace "
                        "the data: give another file name")


def output_path(path: Any) -> Path:
    """``path`` as a Path, or a :class:`DataError` for what is not one (None gave pathlib's bare TypeError)."""
    if not isinstance(path, (str, os.PathLike)):
        raise DataError(f"save needs a file path (a str or pathlib.Path ending .json, .csv, .parquet or .nc), got "
                        f"{type(path).__name__}")
    return Path(path)


def save_result(result: Result, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``result`` to ``path`` (format ``fmt`` or by suffix: json, csv, parquet, nc); returns the path."""
    path = output_path(path)
    suffix = _format(path, fmt)
    refuse_writing_over_data(result.provenance, path)
    if suffix in _JSON:
        atomic_write_text(path, json.dumps(result_payload(result), indent=2) + "\n")
    elif suffix in _CSV + _PARQUET:
        _write_table(result.summary(), path, suffix)
    elif suffix in _NETCDF:
        if result.posterior is None:
            raise DataError(
                f"the {result.method!r} result has no posterior draws to write as netCDF; save it as .json "
                "(full result) or .csv/.parquet (summary)"
            )
        from estimate.inference_data import write_netcdf

        write_netcdf(result.posterior, path, posterior_attrs={RESULT_ATTR: json.dumps(result_payload(result))})
    else:
        raise DataError(f"cannot save a result as {path.name!r}: use a file ending in {_SUFFIXES}")
    return path


# ---------------------------------------------------------------------------------------------------- StrataResult
def _outcome_payload(outcome: Any) -> dict[str, Any]:
    return _jsonable(
        {
            "key": list(outcome.key),
            "observed": outcome.observed,
            "status": outcome.status,
            "reason": outcome.reason,
            "warnings": list(outcome.warnings),
            "result": None if outcome.result is None else outcome.result.to_dict(),
            "draws_shape": None if outcome.draws is None else list(np.shape(outcome.draws)),
        }
    )


def _key_types(keys: list[tuple[Any, ...]], width: int) -> list[str | None]:
    """Per stratum column, "timestamp" or "date" if every key holds one there (JSON writes them as ISO text)."""
    import datetime

    import pandas as pd

    types: list[str | None] = []
    for i in range(width):
        values = [key[i] for key in keys if i < len(key)]
        frequencies = {v.freqstr for v in values if isinstance(v, pd.Period)}
        if values and all(isinstance(v, pd.Timestamp) for v in values):
            types.append("timestamp")
        elif values and all(isinstance(v, datetime.date) and not isinstance(v, datetime.datetime) for v in values):
            types.append("date")
        elif values and all(isinstance(v, pd.Period) for v in values) and len(frequencies) == 1:
            types.append(f"period:{frequencies.pop()}")  # "2020-01" alone does not say it is a month
        elif values and all(isinstance(v, pd.Timedelta) for v in values):
            types.append("timedelta")
        elif values and all(isinstance(v, float) for v in values) and not all(math.isfinite(v) for v in values):
            types.append("float")  # JSON writes an infinite label as "Inf"
        else:
            types.append(None)
    return types


def _restore_key(key: list[Any], types: list[str | None]) -> tuple[Any, ...]:
    """A stratum key read from JSON with its dates back as Timestamps / dates (as they were when saved)."""
    import datetime

    import pandas as pd

    out = []
    for i, value in enumerate(key):
        kind = types[i] if i < len(types) else None
        if kind == "timestamp" and isinstance(value, str):
            value = pd.Timestamp(value)
        elif kind == "date" and isinstance(value, str):
            value = datetime.date.fromisoformat(value)
        elif kind and kind.startswith("period:") and isinstance(value, str):
            value = pd.Period(value, freq=kind.removeprefix("period:"))
        elif kind == "timedelta" and isinstance(value, str):
            value = pd.Timedelta(value)
        elif kind == "float" and isinstance(value, str):
            value = float(value)  # "Inf", "-Inf", "NaN"
        out.append(value)
    return tuple(out)


def strata_payload(strata: StrataResult) -> dict[str, Any]:
    """The JSON document of a saved stratified result (per-stratum results, no draws)."""
    # the replicates' own keys end with the replicate value (a date too, sometimes): one more column of types
    replicate_keys = [o.key for reps in strata.replicate_outcomes.values() for o in reps]
    keys = [*strata.outcomes, *strata.replicate_outcomes, *replicate_keys]
    return _jsonable(
        {
            "kind": "StrataResult",
            "by": list(strata.by),
            "key_types": _key_types(keys, len(strata.by) + (1 if replicate_keys else 0)),
            "method": strata.method,
            "level": strata.level,
            "interval_kind": strata.interval_kind,
            "replicate": strata.replicate,
            "outcomes": [_outcome_payload(o) for o in strata.outcomes.values()],
            "replicate_outcomes": [
                {"key": list(key), "replicates": [_outcome_payload(o) for o in reps]}
                for key, reps in strata.replicate_outcomes.items()
            ],
            "provenance": getattr(strata, "provenance", {}),
        }
    )


def save_strata_result(strata: StrataResult, path: str | Path, fmt: str | None = None) -> Path:
    """Write a :class:`StrataResult` (format ``fmt`` or by suffix: json, csv, parquet, nc); returns the path."""
    path = output_path(path)
    suffix = _format(path, fmt)
    refuse_writing_over_data(strata.provenance, path)
    if suffix in _JSON:
        atomic_write_text(path, json.dumps(strata_payload(strata), indent=2) + "\n")
    elif suffix in _CSV + _PARQUET:
        _write_table(strata.summary(), path, suffix)
    elif suffix in _NETCDF:
        from estimate.inference_data import write_netcdf

        idata = strata.to_inference_data()
        posterior = idata.posterior
        for name in list(posterior.coords):  # numbers, booleans and dates as they are (a year selects as a
            # number); other values (text, mixed types, pandas Periods) as text, which netCDF can store
            if name not in ("stratum", "chain", "draw") and posterior[name].dtype.kind not in "biufM":
                posterior[name] = posterior[name].astype(str)
        write_netcdf(idata, path, posterior_attrs={STRATA_ATTR: json.dumps(strata_payload(strata))})
    else:
        raise DataError(f"cannot save a stratified result as {path.name!r}: use a file ending in {_SUFFIXES}")
    return path


# ---------------------------------------------------------------------------------------------------- loading
def load_result(path: str | Path) -> Result | StrataResult | Comparison:
    """Read a result saved as ``.json`` or ``.nc`` (by :meth:`Result.save`, ``estimate fit --format json``,
    :meth:`StrataResult.save`, or as ``.json`` by :meth:`Comparison.save` and ``estimate compare -o x.json``);
    returns a :class:`Result`, :class:`StrataResult` or :class:`~estimate.compare.Comparison` equal to the one
    saved (a comparison's results without their posterior draws)."""
    if not isinstance(path, (str, os.PathLike)):  # None gave a bare TypeError from pathlib
        raise DataError(f"load_result needs the path of a saved result (a str or pathlib.Path to a .json or .nc "
                        f"file), got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise DataError(f"result file {str(path)!r} does not exist")
    suffix = _suffix(path)
    if suffix in _JSON:
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DataError(f"{str(path)!r} is not a JSON result file: {exc}") from exc
        return _from_payload(payload, path)
    if suffix in _NETCDF:
        return _load_netcdf(path)
    if suffix in _CSV + _PARQUET:
        raise DataError(
            f"{path.name!r} is a table (input data or a result's summary table); results are loaded back from "
            "the .json or .nc files written by Result.save / StrataResult.save, `estimate fit --output "
            "RESULT.json`, or for a stratified run `estimate fit --strata ... --result-output RESULT.json`"
        )
    raise DataError(f"cannot load {path.name!r}: results are loaded from .json or .nc files")


def _from_payload(payload: Any, path: Path) -> Result | StrataResult | Comparison:
    if isinstance(payload, list) and payload and all(isinstance(row, dict) and "status" in row for row in payload):
        raise DataError(
            f"{str(path)!r} is a per-stratum summary table (what `estimate fit --strata` or `--replicate` with "
            "`--output x.json` writes: one row per stratum, readable with pandas.read_json); the full stratified "
            "result with its provenance is "
            "the file of --result-output (or the .nc file of --draws-output, or StrataResult.save('x.json' / "
            "'x.nc'))")
    if not isinstance(payload, dict):
        raise DataError(f"{str(path)!r} does not hold an estimate result (expected a JSON object)")
    if payload.get("kind") == "Comparison" or ("methods" in payload and "observed" in payload
                                               and "method" not in payload):  # also files written before "kind"
        from estimate.compare import Comparison

        try:
            return Comparison.from_dict(payload)
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{str(path)!r} is not a readable comparison: {exc}") from exc
    stratified = payload.get("kind") == "StrataResult"
    if not stratified:
        missing = [k for k in ("method", "model", "estimate", "interval", "observed") if k not in payload]
        if missing:
            raise DataError(f"{str(path)!r} is not an estimate result: it has no {', '.join(missing)}")
    try:
        return _strata_from_payload(payload, {}) if stratified else Result._from_dict_unchecked(payload)
    except DataError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # e.g. a file edited by hand
        raise _malformed(exc, "stratified result" if stratified else "estimate result", path) from exc


def _load_netcdf(path: Path) -> Result | StrataResult:
    import xarray as xr

    try:
        with xr.open_dataset(path, engine="h5netcdf") as root:
            root = root.load()
    except (OSError, ValueError) as exc:
        raise DataError(f"{str(path)!r} is not a netCDF file written by estimate: {exc}") from exc
    if STRATA_ATTR in root.attrs:  # written before the file was InferenceData: N (stratum, sample) at its root
        return _strata_from_netcdf(root, path)
    from estimate.inference_data import read_netcdf

    idata = read_netcdf(path)
    posterior = getattr(idata, "posterior", None)
    if posterior is not None and STRATA_ATTR in posterior.attrs:
        return _strata_from_netcdf(posterior, path)
    if posterior is None or RESULT_ATTR not in posterior.attrs:
        raise DataError(f"{str(path)!r} has no '{RESULT_ATTR}' attribute: it was not written by Result.save")
    payload = _attribute_json(posterior.attrs.pop(RESULT_ATTR), RESULT_ATTR, path)
    if not isinstance(payload, dict) or payload.get("kind") in ("StrataResult", "Comparison"):
        raise DataError(f"{str(path)!r}: its '{RESULT_ATTR}' attribute does not hold one estimate result")
    result = _from_payload(payload, path)  # checked as a .json result is: a damaged one is named, not a KeyError
    result.posterior = idata
    return result


def _attribute_json(text: Any, name: str, path: Path) -> Any:
    """A netCDF attribute holding JSON, parsed; a DataError naming the file and the attribute if it is not."""
    try:
        return json.loads(text)
    except (TypeError, json.JSONDecodeError) as exc:
        raise DataError(f"{str(path)!r}: its '{name}' attribute is not the JSON estimate writes ({exc})") from exc


def _outcome_from_payload(item: dict[str, Any], draws: np.ndarray | None, types: list[str | None]) -> Any:
    from estimate.strata import STATUS_FAILED, STATUS_NOT_ESTIMABLE, STATUS_OK, StratumOutcome

    if item["status"] not in (STATUS_OK, STATUS_NOT_ESTIMABLE, STATUS_FAILED):  # e.g. true, from a hand edit
        raise ValueError(f"a stratum's status is {item['status']!r}, not one of 'ok', 'not estimable', 'failed'")
    if int(item["observed"]) < 0:
        raise ValueError(f"a stratum's observed is {item['observed']!r}: a number of people is not negative")
    result = None if item["result"] is None else Result._from_dict_unchecked(item["result"])
    return StratumOutcome(_restore_key(item["key"], types), int(item["observed"]), item["status"], item["reason"],
                          result, draws, tuple(item.get("warnings", ())))


def _strata_from_payload(payload: dict[str, Any], draws: dict[tuple[Any, ...], np.ndarray]) -> StrataResult:
    from estimate.strata import StrataResult

    types = payload.get("key_types") or []
    outcomes = {}
    if not payload["outcomes"]:  # every run has at least one stratum
        raise ValueError("it holds no strata")
    for item in payload["outcomes"]:
        key = _restore_key(item["key"], types)
        outcome = _outcome_from_payload(item, draws.get(key), types)
        outcomes[outcome.key] = outcome
    replicate_outcomes = {
        _restore_key(group["key"], types): [_outcome_from_payload(item, None, types) for item in group["replicates"]]
        for group in payload.get("replicate_outcomes", [])
    }
    strata = StrataResult(
        by=list(payload["by"]),
        method=payload["method"],
        outcomes=outcomes,
        level=float(payload["level"]) if payload.get("level") is not None else math.nan,
        replicate=payload.get("replicate"),
        replicate_outcomes=replicate_outcomes,
        interval_kind=payload.get("interval_kind", "equal-tailed"),
    )
    if hasattr(strata, "provenance"):
        strata.provenance = dict(payload.get("provenance") or {})
    return strata


def _strata_from_netcdf(root: Any, path: Path) -> StrataResult:
    payload = _attribute_json(root.attrs[STRATA_ATTR], STRATA_ATTR, path)
    try:
        return _strata_from_arrays(root, payload)
    except DataError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # e.g. an attribute edited by hand
        raise _malformed(exc, "stratified result", path) from exc


def _malformed(exc: Exception, what: str, path: Path) -> DataError:
    """The error for a saved result whose fields do not read back (a file edited by hand, or damaged)."""
    return DataError(f"{str(path)!r} is not a well-formed {what}: {malformed_field(exc)}")


def _strata_from_arrays(root: Any, payload: Any) -> StrataResult:
    from estimate.strata import stratum_labels

    types = payload.get("key_types") or []
    shapes = {_restore_key(item["key"], types): item["draws_shape"] for item in payload["outcomes"]
              if item["draws_shape"]}
    draws: dict[tuple[Any, ...], np.ndarray] = {}
    if "N" in root and root.sizes.get("stratum", 0):
        labels = [str(label) for label in root["stratum"].values]
        by_label = dict(zip(stratum_labels(list(shapes)), shapes, strict=True))
        values = root["N"].transpose("stratum", ...).values  # (stratum, chain, draw), or (stratum, sample)
        for i, label in enumerate(labels):
            key = by_label[label]
            draws[key] = np.asarray(values[i]).reshape(shapes[key])
    return _strata_from_payload(payload, draws)
