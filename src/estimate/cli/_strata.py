"""The stratified branch of ``estimate fit --strata``: progress bar, summary, totals, draws."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd
import typer

from estimate.atomic import atomic_batch
from estimate.cli._common import announce_drawn_seed, check_output_path, emit_frame, say_written, split_option
from estimate.cli._terminal import echo, messages_above
from estimate.data import CaptureData
from estimate.provenance import command_line


def run_strata(
    capture: CaptureData,
    strata_cols: list[str],
    estimator: Any,
    *,
    fmt: str,
    output: Path | None,
    replicate: str | None,
    cache_dir: Path | None,
    scheduler: str | None,
    dask_workers: int | None,
    totals: str | None,
    draws_output: Path | None,
    result_output: Path | None = None,
    chunk_size: int = 64,
    strict: bool = False,
) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from estimate.errors import DataError
    from estimate.strata import fit_strata

    totals_by = None
    if totals:
        totals_by = None if totals.strip().lower() in _OVERALL else split_option(totals)
        unknown = [c for c in totals_by or [] if c not in strata_cols]
        if unknown and {c.lower() for c in unknown} & set(_OVERALL):
            raise DataError(f"--totals {totals}: 'all' stands alone (one table of the overall total); give either "
                            "stratum columns or all (a second run with --resume reuses every fit for the other)")
        if unknown:
            raise DataError(f"--totals names {unknown}, which are not among the --strata columns {strata_cols}")
        if output is not None:  # checked (and a killed run's temporary of it removed) like --output
            check_output_path(output.with_name(f"{output.stem}.totals{output.suffix}"), "--totals output")
        if output is None and fmt in ("json", "csv"):  # two documents back to back on stdout: json.load rejects
            # them, and a CSV reader takes the totals' header for one more stratum
            raise DataError(f"--totals with --format {fmt} needs --output FILE.{fmt}: the strata and the totals are "
                            f"two tables (FILE.{fmt} and FILE.totals.{fmt})")
    # with imputation replicates every (stratum, replicate) is a fit: the bar counts those, the final line strata
    label = "fits (stratum × replicate)" if replicate else "strata"
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    # the bar appears with the first progress report, i.e. once fit_strata has checked its options
    console = _stderr_console()
    bar = Progress(*columns, transient=False, console=console)
    task = bar.add_task("fit", total=None, rate="")
    # without a terminal (nohup, a job scheduler's log, 2>file) the bar shows only when the run ends: a plain
    # line then says how far it is, at most every _LOG_EVERY seconds
    last_line = [time.monotonic()]

    def report(done: int, total: int) -> None:
        if not bar.live.is_started:
            bar.start()
        elapsed = bar.tasks[0].elapsed or 0.0
        rate = _rate(done, elapsed)
        bar.update(task, completed=done, total=total, rate=rate)
        if not console.is_terminal and 0 < done < total and time.monotonic() - last_line[0] >= _LOG_EVERY:
            last_line[0] = time.monotonic()
            left = (total - done) * elapsed / done
            echo(f"{label}: {done:,}/{total:,} done ({100 * done / total:.0f}%), {rate}, elapsed "
                       f"{_clock(elapsed)}, about {_clock(left)} left", err=True)

    executor = "dask" if (scheduler or dask_workers) else "local"
    from estimate.strata import _RUN_SEED_FILE, kept_run_seed

    seed_kept = kept_run_seed(cache_dir)  # an earlier unseeded run's, which this one reuses if it is unseeded too
    entries_before = len(list(cache_dir.glob("*.npz"))) if cache_dir is not None and cache_dir.is_dir() else 0
    try:
        with messages_above(console):
            fitted = fit_strata(capture, by=strata_cols, estimator=estimator, replicate=replicate,
                                cache_dir=cache_dir, executor=executor, scheduler=scheduler,
                                dask_workers=dask_workers, progress=report, chunk_size=chunk_size, strict=strict)
    finally:
        if bar.live.is_started:
            bar.stop()
    fitted.provenance["command"] = command_line()
    summary = _without_plain_estimate_kind(fitted.summary(), fmt)
    if fmt == "table":  # methods without MCMC diagnostics: columns of NaN only say nothing on screen
        empty = [c for c in ("r_hat", "ess_bulk", "ess_tail", "converged") if summary[c].isna().all()]
        if (summary["warnings"] == "").all():
            empty.append("warnings")
        else:  # on screen the start of each (a dga message runs to 400 characters); files keep them whole
            summary["warnings"] = summary["warnings"].map(lambda text: text if len(text) <= 60 else text[:59] + "…")
        summary = summary.drop(columns=empty)
    table = _without_plain_estimate_kind(fitted.total(by=totals_by), fmt) if totals else None
    if table is not None and fmt == "table":  # as the summary: no draws, no diagnostics to show on screen
        table = table.drop(columns=[c for c in ("r_hat", "ess_bulk", "ess_tail") if table[c].isna().all()])
    # all or nothing: each file goes to a temporary, renamed into place only when every one is written, so a run
    # that fails while writing (a full disk at the last file) leaves the earlier run's files as they were
    with atomic_batch():
        if draws_output is not None:
            fitted.to_netcdf(draws_output)
            say_written(draws_output)
        if result_output is not None:  # what `estimate reproduce` and estimate.load_result read, for every method
            fitted.save(result_output)
            say_written(result_output)
        emit_frame(summary, fmt, output)
        if table is not None:
            total_path = None if output is None else output.with_name(f"{output.stem}.totals{output.suffix}")
            emit_frame(table, fmt, total_path)
    seed_reused = seed_kept is not None and fitted.provenance.get("seed") == seed_kept
    kept = cache_dir / _RUN_SEED_FILE if seed_reused and cache_dir is not None else None
    announce_drawn_seed(estimator, fitted.provenance, kept)
    counts = fitted.counts
    unconverged = len(fitted.not_converged)
    reused = fitted.provenance["strata"].get("reused_from_cache", 0)
    echo(f"done: {counts['ok']}  not estimable: {counts['not estimable']}  failed: {counts['failed']}"
               + (f"  (not converged: {unconverged} of the {counts['ok']} done)" if unconverged else "")
               + (f"  ({reused} {label} reused from {cache_dir}{_others(entries_before - reused)})"
                  if cache_dir is not None else ""), err=True)
    if counts["ok"] == 0 and counts["not estimable"] + counts["failed"] > 0:
        # the table (written) says why for each stratum; a script must not read a run that estimated nothing as
        # a success (a fit of the same data without --strata exits 2)
        reasons = sorted({outcome.reason for outcome in fitted.outcomes.values() if outcome.reason})
        echo(f"error: no stratum could be estimated (e.g. {reasons[0]})" if reasons
                   else "error: no stratum could be estimated", err=True)
        raise typer.Exit(1)


def _rate(done: int, elapsed: float) -> str:
    """Fits per second, or seconds per fit when that is under one: 3 strata in 130 s read '0.0/s'."""
    if elapsed <= 0 or done <= 0:
        return ""
    per_second = done / elapsed
    return f"{per_second:.1f}/s" if per_second >= 1 else f"{elapsed / done:.1f} s each"


def _without_plain_estimate_kind(frame: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """On screen the estimate_kind column shows only when it matters (lower bounds); CSV, JSON and Parquet keep it."""
    if fmt == "table" and "estimate_kind" in frame and set(frame["estimate_kind"]) <= {"posterior median", "mle", ""}:
        return frame.drop(columns="estimate_kind")
    return frame


def _others(entries: int) -> str:
    """Why cache entries found were not reused: each is keyed by the data, model, seed and package version."""
    if entries <= 0:
        return ""
    return (f"; {entries:,} other {'entry' if entries == 1 else 'entries'} there did not match: written for other "
            "data, model, seed or package version, for strata this run does not fit (e.g. refused by --strict), "
            "or damaged (each named in a warning above, and written again)")


#: --totals words for the overall total (alone, not beside stratum columns)
_OVERALL = ("all", "overall", "total")


#: seconds between the plain progress lines of a run whose stderr is not a terminal
_LOG_EVERY = 60.0


def _clock(seconds: float) -> str:
    """h:mm:ss, as the progress bar shows times."""
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _stderr_console():
    """The progress bar's console: live (redrawn in place) only when standard error is a terminal.  rich takes
    ``FORCE_COLOR`` to mean one, and Jupyter sets it for every command a notebook runs, so a stratified run
    started from a notebook (or a CI job that forces colour) wrote its bar's redraws — kilobytes of cursor
    movements — into the captured output or log instead of the plain progress lines a log gets."""
    import sys

    from rich.console import Console

    try:
        terminal = sys.stderr.isatty()
    except (AttributeError, ValueError, OSError):  # replaced or closed stderr
        terminal = False
    return Console(stderr=True, force_terminal=terminal)
