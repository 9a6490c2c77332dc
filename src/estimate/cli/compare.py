"""``estimate compare DATA --methods chapman,loglinear,lcmcr``: fit several methods and show them side by side."""

from __future__ import annotations

from pathlib import Path

import typer

from estimate._checks import check_interval_kind
from estimate.cli import app
from estimate.cli._common import (
    ENCODING_HELP,
    check_output_path,
    emit,
    emit_frame,
    exit_if_nothing_estimated,
    handles_errors,
    load_input,
    output_file,
    refuse_clobbering,
    resolve_format,
    say_written,
    split_option,
    standard_output,
)
from estimate.cli._terminal import echo
from estimate.errors import DataError
from estimate.provenance import command_line

DEFAULT_METHODS = "chapman,loglinear,dga,lcmcr"  # the report's (estimate.report.DEFAULT_METHODS), as they apply


@app.command()
@handles_errors
def compare(
    data: str = typer.Argument(None, help="CSV/Parquet/JSON file (record-level or aggregated), '-' for stdin (CSV)."),
    methods: str = typer.Option(None, "--methods", "-m",
                                help="Comma-separated methods, each a name or name:preset "
                                     "(e.g. chapman,loglinear,dga,lcmcr:lcmcr-long,bayes-loglinear); default: "
                                     f"those of {DEFAULT_METHODS} that apply to the data's number of lists."),
    example: str = typer.Option(None, "--example", help="Use a bundled dataset, e.g. kosovo."),
    lists: str = typer.Option(None, "--lists", help="Comma-separated list columns."),
    count: str = typer.Option(None, "--count", help="Count column of aggregated data (default: auto-detect)."),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    seed: int = typer.Option(None, "--seed", help="Root random seed; each method gets its own seed from it (a "
                             "preset's own seed = … is kept)."),
    level: float = typer.Option(None, "--level", help="Interval level for every method (default: each method's "
                                "own, 0.95 unless its preset says otherwise)."),
    interval: str = typer.Option(None, "--interval", help="Credible interval of every Bayesian method: "
                                 "equal-tailed or hdi (default: each method's own; frequentist methods keep "
                                 "their own kind)."),
    fmt: str = typer.Option(None, "--format", help="table, json, csv or parquet (default: from the --output "
                           "extension, else table)."),
    output: Path = typer.Option(None, "--output", "-o", parser=output_file,
                                help="Write the comparison to this file (atomically)."),
    plot: Path = typer.Option(None, "--plot", parser=output_file,
                              help="Save a forest plot of the estimates (PNG, SVG or PDF)."),
    strict: bool = typer.Option(False, "--strict", help="Reject lists with no records instead of dropping them."),
) -> None:
    """Fit several methods to the same data; methods that do not apply say why."""
    from estimate.atomic import atomic_batch, atomic_write_with
    from estimate.cli.fit import announce_long_method_fits
    from estimate.compare import compare as run_compare

    output = standard_output(output)
    fmt = resolve_format(fmt, output)
    chosen = split_option(methods)
    if methods is not None and not chosen:
        raise DataError("--methods is empty; give e.g. --methods chapman,loglinear,lcmcr")
    check_output_path(output, "--output")
    check_output_path(plot, "--plot")
    refuse_clobbering({"--output": output, "--plot": plot}, [data], [m.partition(":")[2] for m in chosen or []])
    if plot is not None and plot.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise DataError(f"--plot {str(plot)!r}: give a .png, .svg or .pdf file")
    interval = check_interval_kind(interval, "--interval")
    capture = load_input(data, example, lists=lists, count=count, strict=strict, encoding=encoding)
    if methods is None:  # chapman never applies to 3+ lists, nor a latent-class model to 2: the report's choice
        from estimate.report import default_methods

        chosen = default_methods(capture)
        if not chosen:
            raise DataError(f"none of the default methods applies to {capture.n_lists} lists; give --methods")
    announce_long_method_fits(chosen, capture, level=level, interval=interval)
    comparison = run_compare(capture, chosen, seed=seed, level=level, interval=interval)
    for result in comparison.results.values():  # as `estimate fit` records it
        result.provenance["command"] = command_line()
    # a drawn root seed matters only when some method drew random numbers (not for chapman, loglinear ...)
    seeded = any(isinstance(result.provenance, dict) and result.provenance.get("seed") is not None
                 for result in comparison.results.values())
    with atomic_batch():  # the plot and the table both, or neither (a failure leaves an earlier run's files)
        if plot is not None:
            figure = comparison.plot()
            suffix = plot.suffix.lower().lstrip(".")
            atomic_write_with(plot, lambda tmp: figure.savefig(tmp, format=suffix, dpi=150))
            say_written(plot)
        if fmt == "parquet":  # resolve_format: a .parquet output is fmt "parquet"
            emit_frame(comparison.table, "parquet", output)
        elif fmt == "json":
            emit(comparison.to_json(), output)
        elif fmt == "csv":
            emit_frame(comparison.table, "csv", output)
        else:
            emit(str(comparison) + (f"\nSeed: {comparison.seed}" if seed is None and seeded else ""), output)
    if seed is None and seeded and fmt in ("csv", "parquet"):  # the table holds no seed: say which repeats the run
        echo(f"seed: {comparison.seed}", err=True)
    exit_if_nothing_estimated(comparison)

__all__ = ["compare"]
