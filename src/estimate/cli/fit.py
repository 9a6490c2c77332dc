"""``estimate fit DATA --method M``: fit one estimator (per stratum with ``--strata``)."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import typer

from estimate._checks import check_interval_kind
from estimate.cli import app
from estimate.cli._common import (
    ENCODING_HELP,
    announce_drawn_seed,
    check_output_path,
    emit,
    emit_frame,
    handles_errors,
    load_input,
    output_file,
    parse_settings,
    refuse_clobbering,
    resolve_format,
    split_option,
    standard_output,
)
from estimate.cli._terminal import echo
from estimate.data import CaptureData
from estimate.errors import DataError
from estimate.export import NETCDF_SUFFIXES, result_payload
from estimate.presets import load_preset, make_estimator, preset_estimator_class, preset_names
from estimate.provenance import command_line


@app.command()
@handles_errors
def fit(
    data: str = typer.Argument(None, help="CSV/Parquet/JSON file (record-level or aggregated), '-' for stdin (CSV)."),
    method: str = typer.Option(None, "--method", "-m", help="Estimator name (see `estimate methods`); default: "
                               "lcmcr with the lcmcr-default preset."),
    model: str = typer.Option(None, "--model", help="Model preset name or TOML file (e.g. lcmcr-default)."),
    example: str = typer.Option(None, "--example", help="Use a bundled dataset, e.g. kosovo."),
    lists: str = typer.Option(None, "--lists", help="Comma-separated list columns."),
    count: str = typer.Option(None, "--count", help="Count column of aggregated data (default: auto-detect)."),
    encoding: str = typer.Option(None, "--encoding", help=ENCODING_HELP),
    strata: str = typer.Option(None, "--strata", help="Comma-separated stratum columns: fit each stratum."),
    seed: int = typer.Option(None, "--seed", help="Random seed (Bayesian methods)."),
    level: float = typer.Option(None, "--level", help="Interval level, e.g. 0.9 (default: the method's own, 0.95 "
                                "unless its preset says otherwise)."),
    interval: str = typer.Option(None, "--interval", help="Credible interval of a Bayesian method: equal-tailed "
                                 "or hdi (default: the method's own, equal-tailed unless its preset says "
                                 "otherwise)."),
    fmt: str = typer.Option(None, "--format", help="table, json, csv or parquet (default: from the --output "
                           "extension, else table)."),
    output: Path = typer.Option(None, "--output", "-o", parser=output_file,
                                help="Write results to this file (atomically)."),
    strict: bool = typer.Option(False, "--strict", help="Reject lists with no records instead of dropping them; "
                                "with --strata or --replicate, a stratum (or imputation replicate) in which a list "
                                "has none is reported not estimable."),
    replicate: str = typer.Option(None, "--replicate", help="Imputation replicate column: fit each, pool draws."),
    resume: bool = typer.Option(False, "--resume", help="Reuse finished strata from the cache: --cache-dir, or "
                                "OUTPUT.cache/ (.estimate-cache/ without --output)."),
    cache_dir: Path = typer.Option(None, "--cache-dir", help="Per-stratum result cache; finished strata found there "
                                   "are reused (with or without --resume). An unseeded run keeps its drawn seed "
                                   "there, so runs sharing the folder share it."),
    scheduler: str = typer.Option(None, "--scheduler", help="dask.distributed scheduler address for strata "
                                  "(needs the dask extra: pip install 'estimate\\[dask]')."),
    dask_workers: int = typer.Option(None, "--dask-workers", help="Start a local dask cluster with N workers "
                                     "(needs the dask extra)."),
    totals: str = typer.Option(None, "--totals", help="Also print totals by these stratum columns, or 'all' "
                               "(alone) for the overall total."),
    draws_output: Path = typer.Option(None, "--draws-output", parser=output_file,
                                      help="Write per-stratum posterior draws "
                                      "(netCDF, ArviZ InferenceData: N by chain, draw, stratum)."),
    result_output: Path = typer.Option(None, "--result-output", parser=output_file,
                                       help="Write the whole stratified result with its "
                                       "provenance (.json, or .nc with the draws), for `estimate reproduce` and "
                                       "estimate.load_result; any method."),
    chunk_size: int = typer.Option(None, "--chunk-size", help="Strata per batched kernel call (and per cache "
                                   "flush) at most; default 64 (smaller runs are cut into 8 calls)."),
    settings: list[str] = typer.Option(None, "--set", metavar="NAME=VALUE", help="Set a parameter of the method "
                                       "over its preset, e.g. --set draws=20000 --set burn_in=5000 (repeatable; "
                                       "values as in a preset TOML; an unknown NAME lists the valid ones)."),
) -> None:
    """Estimate the total population size with an interval."""
    output = standard_output(output)
    if seed is not None and seed < 0:  # refused for every method, also those that take no seed
        raise DataError(f"--seed must be a non-negative integer, got {seed}")
    stratified = bool(strata or replicate)
    if not stratified:  # these steer stratified runs only: accepting them silently hid typos and bad values
        given = [name for name, value in (("--resume", resume or None), ("--cache-dir", cache_dir),
                                          ("--scheduler", scheduler), ("--dask-workers", dask_workers),
                                          ("--chunk-size", chunk_size)) if value is not None]
        if given:
            raise DataError(f"{', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} to stratified runs; "
                            "add --strata (or --replicate), or leave "
                            f"{'it' if len(given) == 1 else 'them'} out")
    if scheduler is not None or dask_workers is not None:
        from estimate.strata import require_dask

        require_dask()  # before the data are read or a cache folder made
    netcdf = output is not None and output.suffix.lower() in NETCDF_SUFFIXES
    if netcdf:
        if stratified:
            run = "stratified" if strata else "replicate"
            raise DataError(f"-o FILE.nc: a {run} run writes its table with -o (csv, json, parquet) and its "
                            "posterior draws with --draws-output FILE.nc")
        if fmt is not None:
            raise DataError(f"--format {fmt} and --output {output}: a .nc file holds the fit as netCDF (posterior "
                            "draws included); leave --format out")
        fmt = "netcdf"
    else:
        fmt = resolve_format(fmt, output)
    chunk_size = 64 if chunk_size is None else chunk_size
    if method is None and model is None:
        method = "lcmcr" if "lcmcr-default" in preset_names() else "loglinear"
        model = "lcmcr-default" if method == "lcmcr" else None
    for option, path in (("--output", output), ("--draws-output", draws_output), ("--result-output", result_output)):
        check_output_path(path, option)
    if totals and output is not None and output.exists() and not output.is_file():
        raise DataError(f"--totals writes its table beside --output, as OUTPUT.totals; {str(output)!r} is a device or "
                        "pipe: give a file name (or leave --output out to print both tables)")
    totals_output = output.with_name(f"{output.stem}.totals{output.suffix}") if totals and output else None
    check_output_path(totals_output, "--totals (its table beside --output)")
    refuse_clobbering({"--output": output, "--totals (its table)": totals_output, "--draws-output": draws_output,
                       "--result-output": result_output, "--cache-dir": cache_dir}, [data], [model])
    if draws_output is not None and draws_output.suffix.lower() not in NETCDF_SUFFIXES:
        raise DataError(f"--draws-output {str(draws_output)!r}: the draws are written as netCDF; give a .nc file")
    if draws_output is not None and not (strata or replicate):
        raise DataError("--draws-output writes per-stratum draws; it needs --strata (or --replicate)")
    if result_output is not None and not (strata or replicate):
        raise DataError("--result-output writes a stratified result; it needs --strata (or --replicate) (a single fit "
                        "writes its full result with -o FILE.json)")
    if result_output is not None and result_output.suffix.lower() not in (".json", *NETCDF_SUFFIXES):
        raise DataError(f"--result-output {result_output}: give a .json file (per-stratum results and provenance) or "
                        ".nc (the same with the posterior draws)")
    if totals and not (strata or replicate):
        raise DataError("--totals adds strata up; it needs --strata")
    named = split_option(strata) or []
    if len(set(named)) != len(named):
        raise DataError(f"--strata names a column more than once: {named}")
    if replicate is not None and replicate in named:
        raise DataError(f"column {replicate!r} cannot be both a --strata column and the --replicate column")
    all_strata = ",".join(filter(None, [strata, replicate])) or None
    if level is not None and not 0 < level < 1:
        raise DataError(f"--level must be in (0, 1), e.g. 0.95; got {level:g}")
    interval = check_interval_kind(interval, "--interval")  # as --method: HDI, Equal-tailed
    given = parse_settings(settings)
    for name, option, value in (("seed", "--seed", seed), ("level", "--level", level),
                                ("interval", "--interval", interval)):
        if name in given and value is not None:
            raise DataError(f"{option} and --set {name}=... both set {name}; give one")
    overrides = {"seed": seed} if seed is not None else {}
    overrides = _accepted(method, model, overrides)
    if seed is not None and "seed" not in overrides:  # accepted, as compare and fit_strata do, but not in silence
        echo(f"note: --seed has no effect: {method or load_preset(model).method} draws no random numbers",
                   err=True)
    if level is not None:
        overrides["level"] = level  # every method takes one
    if interval is not None:
        if not _accepted(method, model, {"interval": interval}) or not _estimator_class(method, model).bayesian:
            # (sparsemse's own interval= chooses bca or log-normal: not a credible-interval kind)
            raise DataError(f"--interval chooses among credible intervals of Bayesian methods; "
                            f"{method or load_preset(model).method} gives a confidence interval of its own kind")
        overrides["interval"] = interval
    estimator = make_estimator(method, model, **overrides, **given)
    if given:  # a bad value stops here, naming the option, before the data are read
        try:
            estimator.check_params()
        except ValueError as exc:
            raise DataError(f"--set: {exc}") from exc
    if netcdf and not estimator.bayesian:
        raise DataError(f"-o {output}: a .nc file holds posterior draws, and {estimator.name} gives none (an "
                        "estimate with a confidence interval); write .json instead")
    if draws_output is not None and not estimator.bayesian:  # it wrote a netCDF with no draws in it
        raise DataError(f"--draws-output: {estimator.name} gives no posterior draws (an estimate with a confidence "
                        "interval); use a Bayesian method (lcmcr, dga, bayes-loglinear, pymc-lcmcr), or keep the "
                        "per-stratum results and provenance with --result-output FILE.json")
    strata_cols = [c for c in (split_option(strata) or []) if c != replicate]
    if (strata_cols or replicate) and resume and cache_dir is None:
        cache_dir = Path(f"{output}.cache") if output is not None else Path(".estimate-cache")
    if (strata_cols or replicate) and cache_dir is not None:  # a folder that cannot be written: before the read
        from estimate.strata import _check_cache_folder

        _check_cache_folder(cache_dir)
    # the data last: every option above is checked before a large file is read
    capture = load_input(data, example, lists=lists, count=count, strata=all_strata, strict=strict,
                         encoding=encoding, replicate=replicate)
    if strata_cols or replicate:  # replicates are pooled by the strata path even without strata
        from estimate.cli._strata import run_strata

        _announce_long_strata_run(estimator, capture, strata_cols + ([replicate] if replicate else []))
        run_strata(capture, strata_cols, estimator, fmt=fmt, output=output, replicate=replicate,
                   cache_dir=cache_dir, scheduler=scheduler, dask_workers=dask_workers, totals=totals,
                   draws_output=draws_output, result_output=result_output, chunk_size=chunk_size, strict=strict)
        return
    _announce_long_fit(estimator, capture)
    result = estimator.fit(capture)
    result.provenance["command"] = command_line()
    if fmt == "netcdf":  # the draws and, in its attributes, the whole result: `estimate reproduce` reads it
        result.save(output)
        echo(f"wrote {output}", err=True)
    elif fmt == "json":
        emit(json.dumps(result_payload(result), indent=2), output)  # the document Result.save writes
    elif fmt in ("csv", "parquet"):  # resolve_format: a .parquet output is fmt "parquet"
        emit_frame(result.summary(), fmt, output)
    else:
        emit(str(result) + "\n\n" + result.sentence(), output)
    announce_drawn_seed(estimator, result.provenance)


def _estimator_class(method: str | None, model: str | None) -> Any:
    from estimate.estimators.base import get_estimator_class

    return get_estimator_class(method) if method is not None else preset_estimator_class(load_preset(model))


def _accepted(method: str | None, model: str | None, overrides: dict) -> dict:
    """Drop overrides the chosen estimator does not take (e.g. --seed for a closed-form method)."""
    valid = set(_estimator_class(method, model)._param_names())
    return {k: v for k, v in overrides.items() if k in valid}


@app.command()
@handles_errors
def methods(
    name: str = typer.Argument(None, help="A method or preset: show its parameters, their defaults and meaning."),
) -> None:
    """List the available estimators and model presets; with a NAME, that one's parameters."""
    from estimate.estimators.base import get_estimator_class, method_names

    if name is not None:
        echo(_method_parameters(name))
        return
    rows = []
    for name in method_names():
        cls = get_estimator_class(name)
        # the docstring's first sentence, which may run over several lines
        paragraph = " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())
        doc = re.split(r"\.\s+(?=[A-Z])", paragraph)[0].rstrip(".") + "." if paragraph else ""
        rows.append({"method": name, "description": doc})
    width = max(len(row["method"]) for row in rows)
    echo("\n".join(f"{row['method']:<{width}}  {row['description']}" for row in rows))
    echo("\nPresets: " + ", ".join(preset_names()))


def _method_parameters(name: str) -> str:
    """A method's (or preset's) parameters: each with its default (and the preset's value), then the docstring's
    Parameters section — what ``--set NAME=VALUE`` and the Python constructor take."""
    import inspect

    from estimate.estimators.base import get_estimator_class, method_names

    # a method's name first (a file called "chao" in the folder is no preset), then a preset's, then a file
    is_preset = name not in method_names() and (name in preset_names() or name.lower().endswith(".toml")
                                                or Path(name).is_file())
    preset = load_preset(name) if is_preset else None
    cls = get_estimator_class(preset.method if preset else name)
    signature = inspect.signature(cls.__init__)
    about = f": {preset.description}" if preset and preset.description else ""
    lines = [f"{cls.name}" + (f" (preset {preset.name}{about})" if preset else "")]
    for parameter in list(signature.parameters.values())[1:]:
        value = f"{parameter.name} = {parameter.default!r}"
        if preset and parameter.name in preset.params:
            value += f"  (preset: {preset.params[parameter.name]!r})"
        lines.append("  " + value)
    doc = inspect.cleandoc(cls.__doc__ or "")
    section = re.search(r"\nParameters\n-{3,}\n(.*?)(?=\n\S[^\n]*\n-{3,}\n|\Z)", doc, flags=re.S)
    if section:
        lines += ["", "Parameters", "----------", section[1].rstrip()]
    lines += ["", "Set any of them with --set NAME=VALUE (values read as in TOML), or in a preset file (see "
              "`estimate methods` for the presets)."]
    return "\n".join(lines)


__all__ = ["fit", "methods"]


#: a single fit expected to take longer than this many seconds is announced on stderr (it shows no progress)
LONG_FIT_SECONDS = 30.0


#: strata timed (evenly spread over the run's strata) to say how long a stratified LCMCR run will take
_TIMED_STRATA = 12


def _announce_long_strata_run(estimator: Any, capture: CaptureData, columns: list[str]) -> None:
    """On stderr, how long a stratified LCMCR run will take when that is long (the progress bar moves only when a
    chunk of strata ends, which can take many minutes): the mean cost of a few strata's fits, timed as
    :meth:`LCMCR.expected_seconds` times one, × the strata / the cores.  A run resumed from a cache is quicker."""
    import os

    if getattr(estimator, "name", None) != "lcmcr" or not columns:
        return
    from estimate._warning_state import catch_warnings

    with catch_warnings():  # the run itself says what the strata's data warn about
        warnings.simplefilter("ignore")
        # (as fit_strata splits: a stratum the split refuses, e.g. with one list left, is not estimable there)
        parts = [part for _key, part, _caught, _documented in capture._split_parts(columns)
                 if not isinstance(part, Exception) and part.n_lists >= 2]
        if not parts:
            return
        step = max(1, len(parts) // _TIMED_STRATA)
        one_thread = estimator.clone(n_threads=1)
        # 2,000 pilot sweeps: the first few hundred of a chain cost more than the rest (30 read 2-3x too long)
        timed = [one_thread.expected_seconds(part, pilot_sweeps=2000) for part in parts[::step][:_TIMED_STRATA]]
    seconds = sum(timed) / len(timed) * len(parts) / max(1, os.cpu_count() or 1)
    if seconds > LONG_FIT_SECONDS:
        when = f"{seconds / 3600:.1f} h" if seconds >= 5400 else (f"{seconds / 60:.0f} min" if seconds >= 90
                                                                   else f"{seconds:.0f} s")
        echo(f"lcmcr: this run will take about {when} ({len(parts):,} fits of {estimator.chains} chains × "
                   f"{estimator._settings().sweeps_per_chain:,} sweeps on {os.cpu_count() or 1} cores, less for "
                   "strata reused from a cache; the progress bar moves as each chunk of strata ends. Fewer draws or "
                   "a smaller thinning (e.g. --set thinning=20) run faster, and --resume keeps finished strata if it "
                   "is stopped)", err=True)


def _announce_long_fit(estimator: Any, capture: CaptureData, *, label: str = "lcmcr",
                       faster: str = "e.g. --set thinning=20") -> None:
    """On stderr, how long an LCMCR fit will take when that is long: its cost per sweep grows with the observed
    patterns, and a fit of many lists can take minutes with nothing on the screen."""
    if getattr(estimator, "name", None) != "lcmcr":
        return
    seconds = estimator.expected_seconds(capture)
    if seconds > LONG_FIT_SECONDS:
        when = f"{seconds / 60:.0f} min" if seconds >= 90 else f"{seconds:.0f} s"
        settings = estimator.get_params()
        chains = settings["chains"]
        echo(f"{label}: this fit will take about {when} ({chains} chain{'s' if chains != 1 else ''} × "
                   f"{estimator._settings().sweeps_per_chain:,} sweeps on {capture.n_patterns:,} observed patterns; "
                   f"fewer draws or a smaller thinning, {faster}, run faster)", err=True)


def announce_long_method_fits(methods: list[str], capture: CaptureData, *, level: float | None,
                              interval: str | None) -> None:
    """``compare`` and ``report``: the time of each long LCMCR row (as ``fit`` says it), before any method runs.
    A method or preset that cannot be built is skipped here: :func:`estimate.compare` then names the problem."""
    from estimate.compare import _configure, _parse_method

    data = capture.without_strata() if capture.strata_columns else capture
    for spec in methods:
        try:
            label, name, preset = _parse_method(spec, None)
            if name != "lcmcr":
                continue
            estimator = _configure(name, preset, 0, level, interval)
            estimator.check_params()
        except (DataError, ValueError, OSError):
            continue
        _announce_long_fit(estimator, data, label=label,
                           faster="e.g. a preset of your own with thinning = 20 (--methods lcmcr:FILE.toml)")
