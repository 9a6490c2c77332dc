"""``estimate reproduce RESULT.json``: fit again from a saved result's provenance and check the numbers match.

Exit status: 0 when the estimate and interval ends match, 1 when they do not, 2 for bad input (no provenance,
missing data file, data whose content hash differs from the recorded one), 3 for an unexpected error.
"""

from __future__ import annotations

from pathlib import Path

import typer

from estimate.cli import app
from estimate.cli._common import handles_errors, load_input
from estimate.cli._terminal import echo
from estimate.errors import DataError


@app.command()
@handles_errors
def reproduce(
    result_file: Path = typer.Argument(..., help="Result saved as JSON (`estimate fit --format json -o r.json`, "
                                       "Result.save) or netCDF (.nc)."),
    rtol: float = typer.Option(0.0, "--rtol", help="Relative tolerance for the estimate and interval ends; 0 (the "
                               "default) demands exact equality, which the same seed gives on the same machine."),
    data: str = typer.Option(None, "--data", help="Data file to use instead of the recorded source (read with "
                             "the recorded --lists/--count/--strata; its content hash must match)."),
    example: str = typer.Option(None, "--example", help="Bundled dataset to use instead of the recorded source."),
) -> None:
    """Re-run a saved result (method, parameters, seed, data) and check that the numbers match."""
    from estimate.export import load_result
    from estimate.reproduce import reproduce as run

    saved = load_result(result_file)
    if not hasattr(saved, "provenance"):  # a comparison: reproduce() says what to do instead
        run(saved)
    capture = None
    if data is not None and example is not None:
        raise DataError("give either --data or --example, not both")
    if data is not None or example is not None:
        record = (saved.provenance or {}).get("data") or {}
        source = record.get("source") or {}
        # a run from Python records no source (no file, no options): its data record still names the lists and the
        # stratum columns, which is what reading the file again needs
        lists = source.get("lists") or (record.get("lists") if not source else None)
        strata = source.get("strata") or (record.get("strata_columns") if not source else None)
        capture = load_input(data, example, lists=",".join(lists) if lists else None,
                             count=source.get("count") if data is not None else None,
                             strata=",".join(strata) if strata else None, strict=bool(source.get("strict")),
                             encoding=source.get("encoding") if data is not None else None)
    outcome = run(saved, data=capture, rtol=rtol)
    echo(outcome.verdict())
    if not outcome.matches:
        raise typer.Exit(1)


__all__ = ["reproduce"]
