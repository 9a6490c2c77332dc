"""``estimate widen SIGHTINGS.csv --id record_id --list source``: a long table (one row per sighting) as the
aggregated pattern table every other command reads."""

from __future__ import annotations

from pathlib import Path

import typer

from estimate.cli import app
from estimate.cli._common import (
    ENCODING_HELP,
    check_encoding,
    check_output_path,
    emit_frame,
    handles_errors,
    output_file,
    refuse_clobbering,
    resolve_format,
    split_option,
    standard_output,
)
from estimate.cli._terminal import echo
from estimate.data import CaptureData


@app.command()
@handles_errors
def widen(
    data: str = typer.Argument(..., help="CSV/Parquet file with one row per sighting, '-' for stdin."),
    id: str = typer.Option(..., "--id", help="Column of the record (person) id; one id is one person."),
    list_column: str = typer.Option(..., "--list", help="Column naming the list each sighting comes from."),
    lists: str = typer.Option(None, "--lists", help="The list names, in this order (default: every list named, "
                                "in the order of the names)."),
    strata: str = typer.Option(None, "--strata", help="Comma-separated stratum columns (one value per id)."),
    fmt: str = typer.Option(None, "--format", help="table, csv, json or parquet (default: from the --output "
                            "extension, else table)."),
    output: Path = typer.Option(None, "--output", "-o", parser=output_file,
                                help="Write the pattern table to this file (atomically)."),
    strict: bool = typer.Option(False, "--strict", help="Reject lists with no records instead of dropping them."),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """Turn one row per sighting into the pattern table (one 0/1 column per list, the strata and the number of
    people with each pattern): `estimate widen s.csv --id record_id --list source -o patterns.csv`, then
    `estimate fit patterns.csv`.  The output holds counts only, no ids."""
    output = standard_output(output)
    fmt = resolve_format(fmt, output)
    check_output_path(output, "--output")
    refuse_clobbering({"--output": output}, [data])
    if encoding is not None:
        check_encoding(encoding, data)
    capture = CaptureData.read_long(data, id=id, list=list_column, strata=split_option(strata),
                                    lists=split_option(lists), strict=strict,
                                    **({"encoding": encoding} if encoding else {}))
    table = capture.pattern_table(include_strata=True)
    emit_frame(table, fmt, output)  # lists, strata and the count column, as fit reads it
    echo(f"{capture.observed:,} people on {capture.n_lists} lists, {capture.n_patterns} patterns", err=True)


__all__ = ["widen"]
