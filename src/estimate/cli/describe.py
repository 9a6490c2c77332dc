"""``estimate describe DATA``: list sizes, pairwise overlaps and the pattern table."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from estimate.cli import app
from estimate.cli._common import (
    ENCODING_HELP,
    check_output_path,
    emit,
    format_of_suffix,
    handles_errors,
    load_input,
    output_file,
    refuse_clobbering,
    standard_output,
)
from estimate.cli._terminal import echo
from estimate.data import RESERVED_COUNT_NAME
from estimate.errors import DataError
from estimate.results import _jsonable

#: rows of the capture-pattern table the text output shows (JSON lists every row)
SHOWN_PATTERN_ROWS = 200


@app.command()
@handles_errors
def describe(
    data: str = typer.Argument(None, help="CSV/Parquet/JSON file (record-level or aggregated), '-' for stdin (CSV)."),
    example: str = typer.Option(None, "--example", help="Use a bundled dataset (see `estimate datasets`)."),
    lists: str = typer.Option(None, "--lists", help="Comma-separated list columns (default: all but count/strata)."),
    count: str = typer.Option(None, "--count", help="Count column of aggregated data (default: auto-detect)."),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    strata: str = typer.Option(None, "--strata", help="Comma-separated stratum columns."),
    fmt: str = typer.Option(None, "--format", help="table or json (default: json if --output ends in .json, else "
                            "table)."),
    output: Path = typer.Option(None, "--output", "-o", parser=output_file,
                                help="Write to this file instead of stdout."),
) -> None:
    """Describe capture-history data: observed total, list sizes, overlaps, patterns (the text shows the first
    200 pattern rows; JSON lists them all)."""
    output = standard_output(output)
    named = format_of_suffix(output)
    if fmt is None:
        fmt = "json" if named == "json" else "table"
    fmt = fmt.lower()  # as fit's --format: JSON and json alike
    if fmt not in ("table", "json"):
        raise DataError(f"unknown --format {fmt!r}; describe supports table or json")
    if named in ("csv", "parquet") or (output is not None and output.suffix.lower() in (".nc", ".zarr")):
        raise DataError(f"describe writes a text summary or JSON, not {output.suffix} (it is several tables); "
                        "use --output FILE.json or FILE.txt")
    if fmt == "table" and named == "json":
        raise DataError(f"--format table and --output {output} disagree; leave --format out to write JSON")
    check_output_path(output, "--output")
    refuse_clobbering({"--output": output}, [data])
    capture = load_input(data, example, lists=lists, count=count, strata=strata, encoding=encoding)
    info = capture.describe()
    if fmt == "json":
        payload = {
            "observed": info["observed"],
            "n_lists": info["n_lists"],
            "n_patterns": info["n_patterns"],
            "list_sizes": {k: int(v) for k, v in info["list_sizes"].items()},
            "overlaps": json.loads(info["overlaps"].to_json()),
            "patterns": json.loads(info["patterns"].to_json(orient="records")),
        }
        if "by_stratum" in info:
            payload["by_stratum"] = _jsonable(info["by_stratum"].to_dict(orient="records"))  # dates as text
        emit(json.dumps(payload, indent=2), output)
        return
    parts = [
        f"Observed (documented by at least one list): {info['observed']:,}",
        f"Lists: {info['n_lists']}   observed patterns: {_patterns_said(capture, info['n_patterns'])}",
        "",
        "List sizes:",
        info["list_sizes"].to_string(),
        "",
        "Pairwise overlaps (people on both lists; list sizes on the diagonal):",
        info["overlaps"].to_string(),
        "",
    ]
    if "by_stratum" in info:
        parts += ["People documented and list sizes by stratum:", info["by_stratum"].to_string(index=False), ""]
    patterns = info["patterns"]
    parts += ["Capture patterns:", patterns.head(SHOWN_PATTERN_ROWS).to_string(index=False)]
    if len(patterns) > SHOWN_PATTERN_ROWS:  # a million records in 2,000 strata made 480,000 lines of text
        hidden = patterns.iloc[SHOWN_PATTERN_ROWS:]
        parts.append(f"… and {len(hidden):,} more rows ({int(hidden[RESERVED_COUNT_NAME].sum()):,} people); "
                     "--format json lists them all")
    emit("\n".join(parts), output)


def _patterns_said(capture, rows: int) -> str:
    """The number of distinct capture patterns; with strata, also the pattern × stratum rows it counts."""
    if not capture.strata_columns:
        return f"{rows:,}"
    distinct = len({tuple(row) for row in capture.patterns.tolist()})
    return f"{distinct:,} ({rows:,} pattern × stratum rows)"


@app.command()
@handles_errors
def datasets() -> None:
    """List the bundled example datasets."""
    from estimate import datasets as bundled

    for name in bundled.names():
        meta = bundled.info(name)
        echo(f"{name:28s} {meta['title']}")
