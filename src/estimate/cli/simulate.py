"""``estimate simulate SCENARIO``: draw a population of known size and write its capture histories (and the truth).

A thin shell over :func:`estimate.simulate.scenario`; the CSV it writes is read back by ``estimate fit FILE.csv``
(add ``--strata stratum`` for the stratified scenario).
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from estimate.atomic import atomic_batch
from estimate.cli import app
from estimate.cli._common import (
    check_output_path,
    emit,
    emit_frame,
    handles_errors,
    output_file,
    refuse_clobbering,
    standard_output,
)
from estimate.cli._terminal import echo
from estimate.errors import DataError

SIM_FORMATS = ("records", "aggregated")


@app.command()
@handles_errors
def simulate(
    scenario: str = typer.Argument(None, help="Scenario name (see --list), e.g. mv2016-two-class."),
    population: int = typer.Option(None, "--N", "-N", help="True population size (default: the scenario's)."),
    seed: int = typer.Option(None, "--seed", help="Random seed (same seed, same data on every machine)."),
    output: Path = typer.Option(None, "--output", "-o", parser=output_file,
                                help="Write the CSV here (atomically) instead of stdout."),
    truth: Path = typer.Option(None, "--truth", parser=output_file,
                               help="Write the truth (N, strata sizes, parameters, seed) as JSON."),
    fmt: str = typer.Option("records", "--format", help="records (one row per person) or aggregated (patterns "
                            "with a count column)."),
    list_scenarios: bool = typer.Option(False, "--list", help="List the scenarios and exit."),
) -> None:
    """Simulate capture histories of a population of known size on J lists (named scenarios)."""
    from estimate import simulate as sim_module

    if list_scenarios:
        lines = []
        for name in sim_module.scenario_names():
            info = sim_module.scenario_info(name)
            lines.append(f"{name} (default N = {info['default_N']:,})\n    {info['description']}")
        emit("\n".join(lines), None)
        return
    if not scenario:
        raise DataError("give a SCENARIO name (list them with `estimate simulate --list`)")
    if fmt not in SIM_FORMATS:
        raise DataError(f"unknown --format {fmt!r}; use one of {', '.join(SIM_FORMATS)}")
    if output is not None and output.suffix.lower() not in ("", ".csv", ".txt", ".parquet", ".pq"):
        raise DataError(f"--output {str(output)!r}: simulate writes CSV (.csv) or Parquet (.parquet); --format "
                        "chooses records or aggregated patterns")
    output = standard_output(output)  # -o - is standard output (it wrote a file called '-')
    truth_to_stdout = truth is not None and str(truth) == "-"  # as -o -: standard output, not a file named '-'
    if truth_to_stdout:
        if output is None:
            raise DataError("--truth - and the data both on standard output: give one of them a file "
                            "(-o FILE.csv or --truth FILE.json)")
        truth = None
    check_output_path(output, "--output")
    check_output_path(truth, "--truth")
    refuse_clobbering({"--output": output, "--truth": truth})
    sim = sim_module.scenario(scenario, N=population, seed=seed)
    frame = sim.records() if fmt == "records" else sim.data.pattern_table(include_strata=True)
    with atomic_batch():  # the data and the truth both, or neither
        emit_frame(frame, "csv", output)
        if truth is not None or truth_to_stdout:
            emit(json.dumps(sim.truth(), indent=2), truth)
    if output is not None:
        hint = " (fit with --strata stratum)" if sim.N_by_stratum else ""
        echo(f"{sim.design}: N = {sim.N:,}, observed {sim.observed:,} on {sim.data.n_lists} lists{hint}",
                   err=True)  # emit_frame said "wrote OUTPUT"


__all__ = ["simulate"]
