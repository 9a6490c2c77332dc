"""``estimate report DATA --methods loglinear,dga,lcmcr --output report.html``: one self-contained HTML report."""

from __future__ import annotations

from pathlib import Path

import typer

from estimate._checks import check_interval_kind
from estimate.cli import app
from estimate.cli._common import (
    ENCODING_HELP,
    check_output_path,
    exit_if_nothing_estimated,
    handles_errors,
    load_input,
    output_file,
    refuse_clobbering,
    split_option,
)
from estimate.cli._terminal import echo
from estimate.errors import DataError


@app.command()
@handles_errors
def report(
    data: str = typer.Argument(None, help="CSV/Parquet/JSON file (record-level or aggregated), '-' for stdin (CSV)."),
    output: Path = typer.Option(..., "--output", "-o", parser=output_file, help="The HTML file to write (atomically)."),
    methods: str = typer.Option(None, "--methods", "-m",
                                help="Comma-separated methods, each a name or name:preset (default: those of "
                                     "chapman, loglinear, dga, lcmcr that apply to the data)."),
    example: str = typer.Option(None, "--example", help="Use a bundled dataset, e.g. kosovo."),
    lists: str = typer.Option(None, "--lists", help="Comma-separated list columns."),
    count: str = typer.Option(None, "--count", help="Count column of aggregated data (default: auto-detect)."),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    strata: str = typer.Option(None, "--strata", help="Stratum columns of the input (pooled in the report)."),
    replicate: str = typer.Option(None, "--replicate",
                                  help="Column of multiple-imputation replicates (differing only in imputed "
                                       "stratum fields): the report uses one; summing them would count everyone "
                                       "once per replicate."),
    seed: int = typer.Option(None, "--seed", help="Root random seed; each method gets its own seed from it (a "
                             "preset's own seed = … is kept)."),
    level: float = typer.Option(None, "--level", help="Interval level for every method (default: each "
                                "method's or preset's own, 0.95 unless a preset says otherwise)."),
    interval: str = typer.Option(None, "--interval", help="Credible interval of every Bayesian method: "
                                 "equal-tailed or hdi (default: each method's own; frequentist methods keep "
                                 "their own kind)."),
    title: str = typer.Option(None, "--title", help="Report title (default: the dataset's title)."),
    population: str = typer.Option(None, "--population",
                                   help="Who is counted, for the sentences (e.g. 'deaths', 'victims')."),
    strict: bool = typer.Option(False, "--strict", help="Reject lists with no records instead of dropping them."),
) -> None:
    """Write an HTML report: data summary, overlaps, each model's estimate and diagnostics, comparison,
    assumptions in plain words, provenance."""
    from estimate.provenance import command_line
    from estimate.report import _fit_and_render

    chosen = split_option(methods) if methods is not None else None
    if methods is not None and not chosen:
        raise DataError("--methods is empty; give e.g. --methods loglinear,dga,lcmcr or leave it out")
    if output.suffix.lower() not in (".html", ".htm"):
        raise DataError(f"--output must be an .html file, got {output}")
    check_output_path(output, "--output")
    refuse_clobbering({"--output": output}, [data])
    if replicate is not None and replicate in (split_option(strata) or []):
        raise DataError(f"column {replicate!r} cannot be both a --strata column and the --replicate column")
    all_strata = ",".join(filter(None, [strata, replicate])) or None
    interval = check_interval_kind(interval, "--interval")
    from estimate.report import reading_warnings

    with reading_warnings() as said:  # shown on stderr as usual, and in the report's data summary
        capture = load_input(data, example, lists=lists, count=count, strata=all_strata, strict=strict,
                             encoding=encoding, replicate=replicate)
    from estimate.cli.fit import announce_long_method_fits
    from estimate.report import default_methods

    pooled = capture.without_strata() if capture.strata_columns else capture  # the report pools strata
    announce_long_method_fits(chosen if chosen is not None else default_methods(pooled), pooled, level=level,
                              interval=interval)
    _page, comparison = _fit_and_render(capture, chosen, seed=seed, level=level, interval=interval, title=title,
                                        population=population, command=command_line(), output=output,
                                        replicate=replicate, data_warnings=said)
    echo(f"wrote {output}", err=True)
    exit_if_nothing_estimated(comparison)  # the report (written) says why for each method


__all__ = ["report"]
