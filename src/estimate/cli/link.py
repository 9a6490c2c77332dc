"""``estimate link LIST.csv ...``: record linkage of victim lists into capture histories (names never leave it).

``estimate simulate-lists DIR`` writes synthetic lists with known truth for trying it out.
"""

from __future__ import annotations

import io
from pathlib import Path

import typer

from estimate.cli import app
from estimate.cli._common import (
    check_output_path,
    emit,
    handles_errors,
    output_file,
    refuse_clobbering,
    split_option,
    standard_output,
)
from estimate.cli._terminal import echo, echo_data
from estimate.errors import DataError


@app.command()
@handles_errors
def link(
    files: list[Path] = typer.Argument(..., help="One CSV per list (the list is named after the file)."),
    id_columns: str = typer.Option("name,sex,age,date,place", "--id-columns",
                                   help="Identifying fields among name,sex,age,date,place; 'role=column' when "
                                   "the column is named differently (e.g. name=full_name,date=date_of_death)."),
    strata: str = typer.Option(None, "--strata", help="Stratum columns to carry into the histories (e.g. region)."),
    output: Path = typer.Option(None, "--output", "-o", parser=output_file,
                                help="Write the histories CSV here (default: stdout)."),
    replicates: int = typer.Option(0, "--replicates",
                                   help="Write N plausible linkages with a 'replicate' column (0: one linkage)."),
    replicate_method: str = typer.Option("thresholds", "--replicate-method",
                                         help="'thresholds' (match-probability thresholds 0.5-0.95) or 'sample' "
                                         "(links drawn with their probabilities)."),
    thresholds: str = typer.Option(None, "--thresholds",
                                   help="Comma-separated thresholds of the replicate linkages (overrides N)."),
    threshold: float = typer.Option(None, "--threshold",
                                    help="Match probability of the single linkage (default 0.8; with --replicates 1 "
                                    "that linkage's)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seed of splink's u sampling and of sampled linkages."),
    encoding: str = typer.Option("utf-8", "--encoding", help="Encoding of the CSV files (e.g. cp1256, latin-1)."),
    monthfirst: bool = typer.Option(False, "--monthfirst", help="Read dates like 03/05/2012 as month/day."),
    date_format: str = typer.Option(None, "--date-format", help="strftime format of the dates, if all the same."),
) -> None:
    """Link record-level victim lists and write capture histories: 0/1 per list plus strata, one row per person
    (needs the link extra: pip install 'estimate\\[link]')."""
    from estimate.linkage import (
        DEFAULT_THRESHOLD,
        DEFAULT_THRESHOLDS,
        link_lists,
        read_lists,
        replicate_thresholds,
        require_splink,
    )

    require_splink()  # before any list is read: the linkage cannot run without it
    output = standard_output(output)
    if output is not None and output.suffix.lower() in (".nc", ".json", ".parquet", ".zarr"):
        raise DataError(f"--output {str(output)!r}: link writes capture histories as CSV; give a .csv file")
    check_output_path(output, "--output")
    if replicate_method not in ("thresholds", "sample"):
        raise DataError(f"--replicate-method must be 'thresholds' or 'sample', got {replicate_method!r}")
    try:
        chosen = [float(t) for t in split_option(thresholds)] if thresholds else None
    except ValueError as exc:
        raise DataError(f"--thresholds must be comma-separated numbers in (0, 1], got {thresholds!r}") from exc
    refuse_clobbering({"--output": output}, files)
    frames = read_lists(files, encoding=encoding)
    roles = split_option(id_columns)
    if not roles:
        raise DataError("--id-columns is empty; declare at least the name, e.g. --id-columns name,sex,age,date,place")
    if replicates < 0:
        raise DataError(f"--replicates must be 0 or more, got {replicates}")
    if replicate_method == "sample" and chosen:
        raise DataError("--thresholds sets the linkages of --replicate-method thresholds; sampled linkages "
                        "(--replicate-method sample) are drawn from the match probabilities — give --replicates N")
    if replicate_method == "sample" and not (replicates or chosen):
        raise DataError("--replicate-method sample draws --replicates N linkages; give --replicates (it was ignored)")
    if threshold is not None and replicate_method == "thresholds" and (chosen or replicates > 1):
        raise DataError("--threshold sets the single linkage; the replicate linkages are at --thresholds (default: "
                        "N evenly spaced from 0.5 to 0.95). Give the thresholds, or --replicates 1 --threshold T")
    threshold = DEFAULT_THRESHOLD if threshold is None else threshold
    if chosen:
        linkage_thresholds = chosen
    elif replicate_method == "sample" or replicates == 0:
        linkage_thresholds = list(DEFAULT_THRESHOLDS)  # unused: sampled links or the single linkage
    elif replicates == 1:
        linkage_thresholds = [threshold]  # one linkage, with a replicate column: the single linkage's threshold
    else:
        linkage_thresholds = replicate_thresholds(replicates)
    result = link_lists(frames, roles, strata=split_option(strata), threshold=threshold, seed=seed,
                        dayfirst=not monthfirst, date_format=date_format, thresholds=linkage_thresholds)
    if replicates or chosen:
        if replicate_method == "thresholds":
            histories = result.replicates(method="thresholds")
        else:
            histories = result.replicates(method=replicate_method, n=replicates or len(chosen or []), seed=seed)
    else:
        histories = result.histories(threshold)
    summary = result.summary(result.thresholds if (replicates or chosen) and replicate_method == "thresholds"
                             else [threshold])
    echo(f"linked {len(result.records)} records from {len(result.lists)} lists "
               f"({result.diagnostics['candidate_pairs']} candidate pairs, splink "
               f"{result.diagnostics['splink_version']}, {result.diagnostics['seconds']:.1f} s):", err=True)
    for row in summary.itertuples():
        echo(f"  p >= {row.threshold:g}: {row.individuals} individuals, {row.on_2plus_lists} on 2+ lists",
                   err=True)
    if (replicates or chosen) and replicate_method == "sample":
        echo("  " + _sampled_linkages_line(histories, list(result.lists)), err=True)
    buffer = io.StringIO()
    histories.to_csv(buffer, index=False, lineterminator="\n")
    text = buffer.getvalue()
    if output is None:
        echo_data(text, nl=False)
    else:
        emit(text, output)


def _sampled_linkages_line(histories, lists: list[str]) -> str:
    """What the sampled linkages (the replicates written) hold: individuals and people on 2+ lists, as ranges."""
    by_replicate = histories.groupby("replicate", sort=False)
    individuals = by_replicate.size()
    several = histories[lists].sum(axis=1).ge(2).groupby(histories["replicate"], sort=False).sum()

    def span(values) -> str:
        low, high = int(values.min()), int(values.max())
        return str(low) if low == high else f"{low}–{high}"

    return (f"{len(individuals)} sampled linkages (written; each pair kept with its match probability): "
            f"{span(individuals)} individuals, {span(several)} on 2+ lists")


@app.command("simulate-lists")
@handles_errors
def simulate_lists(
    directory: Path = typer.Argument(..., help="Directory for A.csv ... D.csv and truth.json."),
    people: int = typer.Option(5000, "--people", help="True population size."),
    seed: int = typer.Option(1, "--seed", min=0, help="Seed of the population and the lists."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace lists and truth.json already in DIRECTORY."),
) -> None:
    """Write synthetic victim lists (names, sex, age, date and place of death, region) with known truth."""
    from estimate.linkage import synthetic_lists

    sim = synthetic_lists(people, seed=seed)
    paths = sim.write(directory, overwrite=overwrite)
    sizes = ", ".join(f"{p.name}: {len(sim.lists[p.stem])} records" for p in paths)
    echo(f"wrote {sizes}; {sim.observed} of {sim.N} people are on at least one list "
               f"(truth in {Path(directory) / 'truth.json'})", err=True)  # messages on stderr, as elsewhere


__all__ = ["link", "simulate_lists"]
