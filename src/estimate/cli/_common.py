"""Shared plumbing of the CLI: error handling, reading input, writing output."""

from __future__ import annotations

import functools
import io
import json
import math
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import numpy as np
import pandas as pd
import typer

from estimate.atomic import after_commit, atomic_write_text, atomic_write_with
from estimate.cli._terminal import echo, echo_data
from estimate.data import CaptureData, replicate_column_named
from estimate.errors import DataError, MissingDependencyError
from estimate.export import NETCDF_SUFFIXES, parquet_ready
from estimate.results import _jsonable

F = TypeVar("F", bound=Callable[..., Any])

#: ``console``: set by the console script (:func:`estimate.cli.main`); the app run inside another program (a test's
#: CliRunner, a notebook) must not end that program's process
STATE: dict[str, Any] = {"debug": False, "console": False}

FORMATS = ("table", "json", "csv", "parquet")
PARQUET_SUFFIXES = (".parquet", ".pq")


def format_of_suffix(output: Path | None) -> str | None:
    """The format a file name announces (.csv, .json, .parquet/.pq), or None."""
    suffix = output.suffix.lower() if output is not None else ""
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    return suffix.lstrip(".") if suffix in (".csv", ".json") else None


def resolve_format(fmt: str | None, output: Path | None) -> str:
    """The output format: ``--format`` if given, else the one ``--output``'s extension names (.csv, .json,
    .parquet), else the human-readable table.  Parquet is binary: it needs ``--output``."""
    if output is not None and output.suffix.lower() in (*NETCDF_SUFFIXES, ".zarr"):
        raise DataError(f"--output {str(output)!r}: this command writes a table (table, json, csv or parquet); "
                        "netCDF holds posterior draws: `estimate fit -o FILE.nc` for one fit, --draws-output "
                        "FILE.nc for strata")
    if fmt is None:
        fmt = format_of_suffix(output) or "table"
    fmt = fmt.lower()  # --format JSON as --format json (method names and file suffixes are case-blind too)
    if fmt not in FORMATS:
        raise DataError(f"unknown --format {fmt!r}; use one of {', '.join(FORMATS)}")
    named = format_of_suffix(output)
    if named is not None and named != fmt:  # JSON text in a .parquet file, Parquet bytes in a .csv, ...
        raise DataError(f"--format {fmt} and --output {output} disagree (that name holds {named}); change one, or "
                        "leave --format out to follow the file name")
    if fmt == "parquet" and output is None:
        raise DataError("--format parquet writes a binary file: give --output FILE.parquet")
    return fmt


def output_file(value: str) -> Path:
    """Parser of the options that name a file to write: ``results/`` names a folder, and pathlib would drop the
    slash (writing a file called ``results``), so it is refused here, while the text is still as typed."""
    if value.endswith(("/", os.sep)) or (os.altsep is not None and value.endswith(os.altsep)):
        raise typer.BadParameter(f"{value!r} names a folder; give a file name (e.g. {value}results.csv)")
    return Path(value)


def standard_output(output: Path | None) -> Path | None:
    """``-o -`` means standard output (as DATA ``-`` means standard input), not a file named '-'."""
    return None if output is not None and str(output) == "-" else output


def fail(message: str, code: int = 2) -> None:
    """Print a one-line error and exit with ``code`` (2 = bad input)."""
    echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def interrupted_message(signum: int) -> str:
    """What the command line says when Ctrl-C or SIGTERM stops it."""
    name = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C" if signum == signal.SIGINT else f"signal {signum}"
    return (f"\ninterrupted by {name} (files are written whole or not at all; a stratified run started with "
            "--resume or --cache-dir continues from the strata it finished when run again so; one started without "
            "them kept nothing to resume from)")


def end_by_signal(signum: int, *, flush: bool = True) -> NoReturn:
    """End the process as ``signum`` (SIGINT, SIGTERM) would have: killed by it, so that whatever started the
    command knows it was interrupted — a shell loop or script stops there, as after any other command stopped by
    Ctrl-C, and the shell's ``$?`` reads 128 + signum (130, 143).  Python itself ends this way on an uncaught
    KeyboardInterrupt.  An exit code of 130 alone looks like a program that handled Ctrl-C and carried on, and
    a ``for`` loop in bash goes on to its next command.  Standard streams are flushed first; no other clean-up
    runs, as with the signal's default action (``flush=False`` for a forked process, whose buffers hold its
    parent's unwritten output).  Exits with 128 + signum if the signal cannot end the process."""
    for stream in (sys.stdout, sys.stderr) if flush else ():
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed or broken stream, or a flush re-entered from a signal handler
            pass
    caches = sys.modules.get("estimate._user_caches")
    if caches is not None:
        caches.discard_temporary_folder()  # atexit, which would remove it, does not run
    if os.name == "nt":  # raise_signal with the default action ends with exit code 3 there, this CLI's "bug"
        # STATUS_CONTROL_C_EXIT (0xC000013A), as cmd shows it, given as the signed int os._exit takes
        os._exit(-1073741510 if signum == signal.SIGINT else 128 + signum)
    try:
        signal.signal(signum, signal.SIG_DFL)
        if hasattr(signal, "pthread_sigmask"):  # not on Windows
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signum})
        signal.raise_signal(signum)  # delivered to this thread before raise() returns
    except (OSError, ValueError):
        pass
    os._exit(128 + signum)


def handles_errors(func: F) -> F:
    """Turn bad input, a missing optional dependency, a file the machine refuses (permissions, a full disk), memory
    it does not have (a problem too large) or a warning made an error (``PYTHONWARNINGS=error``) into one line on
    stderr and exit code 2 (``--debug`` shows the traceback); any other error (a bug) exits with 3, apart from the
    1 by which ``reproduce`` says the numbers differ."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except (DataError, ValueError, FileNotFoundError, KeyError, MissingDependencyError) as exc:
            if STATE["debug"]:
                traceback.print_exc()
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            fail(message, 2)
        except Warning as exc:  # PYTHONWARNINGS=error made a warning an exception: the user's choice, not a bug
            if STATE["debug"]:
                traceback.print_exc()
            fail(f"{type(exc).__name__} (a warning, made an error by PYTHONWARNINGS or -W): {exc}", 2)
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM during a dask run, raised once its cluster was closed
            signum = STATE.get("signal") or signal.SIGINT
            echo(interrupted_message(signum), err=True)
            if STATE.get("console"):  # the `estimate` command itself, not the app run inside another program
                end_by_signal(signum)
            raise typer.Exit(128 + signum) from None
        except BrokenPipeError:  # `estimate ... | head`: the reader left; stop quietly, as a killed writer would
            try:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except OSError:
                pass
            raise typer.Exit(141) from None
        except MemoryError as exc:  # the machine's limit, not a bug: e.g. `simulate -N 99999999999` (745 GiB)
            if STATE["debug"]:
                traceback.print_exc()
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "an allocation failed"
            fail(f"not enough memory: {detail} (the problem asked for is too large for this machine: fewer people, "
                 "strata, lists or draws)", 2)
        except OSError as exc:  # the machine's, not a bug: a folder made read-only, a full disk, a file removed
            if STATE["debug"]:
                traceback.print_exc()
            if exc.filename:
                fail(f"cannot read or write a file ({exc.filename}): {exc.strerror or exc}", 2)
            fail(f"{type(exc).__name__}: {exc.strerror or exc}", 2)
        except Exception as exc:  # pragma: no cover - last resort, still no traceback by default
            if STATE["debug"]:
                traceback.print_exc()
            fail(f"{type(exc).__name__}: {exc} (run with --debug for the traceback)", 3)

    return wrapper  # type: ignore[return-value]


def split_option(value: str | None) -> list[str] | None:
    if value is None or value.strip() == "":
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_settings(items: list[str] | None) -> dict[str, Any]:
    """``--set NAME=VALUE`` options as estimator parameters.

    VALUE is read as a TOML value, as in a preset file (``20000`` an integer, ``0.5`` a float, ``true`` a boolean,
    ``["A", "B"]`` a list); anything else is taken as text (``sampler=gibbs``, ``terms=A:B,B:C``), and ``none``
    is None.  A parameter named twice is refused, as is a NAME that is not an identifier.
    """
    import tomllib

    from estimate.presets import _CHOICE_KEYS

    settings: dict[str, Any] = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or not name or not raw:
            raise DataError(f"--set expects NAME=VALUE (e.g. --set draws=20000), got {item!r}")
        if not name.isidentifier():
            raise DataError(f"--set {item!r}: {name!r} is not a parameter name (e.g. burn_in, draws, K)")
        if name in settings:
            raise DataError(f"--set gives {name!r} more than once")
        if "\n" in raw or "\r" in raw:  # TOML would read a second key from the next line, and drop it
            raise DataError(f"--set {name}: one value on one line, got {raw!r}")
        if raw.lower() in ("none", "null"):
            settings[name] = None
            continue
        try:  # a '#' would start a TOML comment and cut the value short: such a value is text as written
            settings[name] = raw if "#" in raw else tomllib.loads(f"value = {raw}")["value"]
        except tomllib.TOMLDecodeError:
            settings[name] = raw
        if name in _CHOICE_KEYS and isinstance(settings[name], str):  # HDI, Gibbs, AIC: as a preset reads them
            settings[name] = settings[name].strip().lower()
    return settings


def load_input(
    data: str | None,
    example: str | None,
    *,
    lists: str | None = None,
    count: str | None = None,
    strata: str | None = None,
    strict: bool = False,
    encoding: str | None = None,
    replicate: str | None = None,
) -> CaptureData:
    """Read DATA (CSV/Parquet/JSON path or ``-`` for stdin) or a bundled example into CaptureData; ``encoding`` names
    a CSV file's text encoding (e.g. cp1252), UTF-8 by default.  ``replicate`` names which of the ``strata``
    columns holds imputation replicates, so that an error about it says so."""
    with replicate_column_named(replicate):
        return _load_input(data, example, lists=lists, count=count, strata=strata, strict=strict, encoding=encoding)


def _load_input(data: str | None, example: str | None, *, lists: str | None, count: str | None,
                strata: str | None, strict: bool, encoding: str | None) -> CaptureData:
    from estimate import datasets, provenance

    if example and data:
        raise DataError("give either a DATA file or --example, not both")
    if example and encoding is not None:
        raise DataError("--encoding applies to a DATA file; a bundled example needs none")
    if example:
        frame = datasets.load_frame(example)
        capture = CaptureData.from_frame(frame, lists=split_option(lists), count="count",
                                         strata=split_option(strata), strict=strict)
        source = provenance.example_source(example, lists=split_option(lists), strata=split_option(strata),
                                           strict=strict)
    elif not data:
        raise DataError("no input: give a DATA file (CSV, Parquet or JSON; '-' for CSV on stdin) or --example NAME")
    else:
        if encoding is not None:
            check_encoding(encoding, data)
        capture = CaptureData.read(data, lists=split_option(lists), count=count, strata=split_option(strata),
                                   strict=strict, **({"encoding": encoding} if encoding else {}))
        source = provenance.file_source(data, lists=split_option(lists), count=count, strata=split_option(strata),
                                        strict=strict, encoding=encoding)
    provenance.note_source(capture, source)  # fits of this data record where it came from (estimate reproduce)
    return capture


#: the --encoding option of the commands that read a data file
ENCODING_HELP = "Text encoding of a CSV file, e.g. cp1252 or latin-1 (default: UTF-8; UTF-16 is recognised)."


def check_encoding(encoding: str, data: str) -> None:
    """Refuse an --encoding Python does not know, or one given for a Parquet file."""
    import codecs

    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        raise DataError(f"--encoding {encoding!r} is not a text encoding Python knows (e.g. utf-8, cp1252, "
                        "latin-1)") from exc
    if Path(str(data)).suffix.lower() in (".parquet", ".pq"):
        raise DataError("--encoding applies to text files (CSV, JSON); a Parquet file carries its own")


def check_output_path(path: Path | None, option: str) -> None:
    """Refuse, before any fitting, an output path that cannot be written (a directory, a missing folder, a folder
    that refuses a file).  An existing device or pipe (``-o /dev/null``) is written into, as it is."""
    if path is None:
        return
    from estimate.atomic import is_device, link_target, name_limit

    if len(os.fsencode(path.name)) > name_limit(path.parent):  # first: the file system cannot look it up
        raise DataError(f"{option}: the file name is {len(os.fsencode(path.name))} bytes long; the folder's file "
                        f"system takes at most {name_limit(path.parent)}")
    if path.is_symlink() and not is_device(path):
        # the file written is the link's target: check where that lies (a link to a device or pipe, as
        # /dev/stdout, is written into as it is)
        try:
            target = link_target(path)
        except OSError as exc:
            raise DataError(f"{option} {exc}") from exc
        if not target.parent.is_dir():
            raise DataError(f"{option} {str(path)!r} links to {str(target)!r}, whose folder does not exist")
        if not target.is_dir():
            path = target
    if path.is_dir():
        raise DataError(f"{option} {str(path)!r} is a directory; give a file name")
    if path.exists() and not path.is_file():
        if not os.access(path, os.W_OK):
            raise DataError(f"{option} {str(path)!r} cannot be written")
        return
    parent = path.parent  # Path("x").parent is Path(".")
    if not parent.is_dir():
        raise DataError(f"{option} {str(path)!r}: the folder {str(parent)!r} does not exist")
    try:  # a file made and removed there: os.access says yes for root, and for /sys or some network folders
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as exc:
        raise DataError(f"{option} {str(path)!r}: the folder {str(parent)!r} is not writable "
                        f"({exc.strerror or exc})") from exc
    # a run killed by SIGTERM while writing this file left its temporary (no clean-up runs on a signal)
    from estimate.atomic import remove_stale_temporaries

    remove_stale_temporaries(parent, path.name)


def refuse_clobbering(outputs: Mapping[str, Path | None], inputs: Sequence[str | Path | None] = (),
                      presets: Sequence[str | None] = ()) -> None:
    """Refuse, before any work, an output file that is one of the input files (the data would be replaced by
    the results), a model preset file the run reads (``presets``: --model values, or the preset part of
    --methods' name:preset; bundled preset names are no files and pass), or that another output of the same run
    would overwrite."""
    from estimate.atomic import is_device, same_file

    named = [(option, Path(path)) for option, path in outputs.items() if path is not None]
    preset_files = [Path(preset).expanduser() for preset in presets
                    if preset and Path(preset).expanduser().is_file()]
    for option, path in named:
        if is_device(path):
            continue  # a device or pipe (-o /dev/null): nothing to lose
        for source in inputs:
            if source is not None and str(source) != "-" and same_file(path, Path(source)):
                raise DataError(f"{option} {str(path)!r} is the input file; writing there would replace the data")
        for preset in preset_files:
            if same_file(path, preset):
                raise DataError(f"{option} {str(path)!r} is the model preset this run reads; writing there would "
                                "replace the preset")
    for i, (option, path) in enumerate(named):
        for other, other_path in named[i + 1:]:
            if same_file(path, other_path) and not is_device(path):
                raise DataError(f"{option} and {other} both name {str(path)!r}; one would overwrite the other")


def announce_drawn_seed(estimator: Any, record: Mapping[str, Any], kept_in: Path | None = None) -> None:
    """On stderr, the seed a random method drew because none was given (or, ``kept_in``, read from the file where
    an earlier run of the same cache kept the seed it drew), so that the run can be repeated."""
    if getattr(estimator, "takes_seed", False) and estimator.get_params().get("seed") is None:
        seed = record.get("seed")
        if seed is not None:
            how = f"kept in {kept_in} by an earlier run" if kept_in is not None else "drawn"
            echo(f"seed: {seed} ({how}; give --seed {seed} to repeat this run)", err=True)


def exit_if_nothing_estimated(comparison: Any) -> None:
    """Exit 1 (after the outputs are written) when no method of a comparison or report gave an estimate — all
    not applicable or failed: a script must not read that as a success (``fit`` of one such method exits 2)."""
    table = comparison.table
    if (table["status"] == "ok").any() or table.empty:
        return
    reasons = [f"{row.method}: {row.reason}" for row in table.itertuples() if row.reason]
    echo("error: no method gave an estimate" + (f" ({reasons[0]})" if reasons else ""), err=True)
    raise typer.Exit(1)


def say_written(output: Path) -> None:
    """"wrote FILE" on stderr — when the file is in place (at the end of an :func:`estimate.atomic.atomic_batch`
    of several outputs, and not at all if a later one fails)."""
    after_commit(lambda: echo(f"wrote {output}", err=True))


def emit(text: str, output: Path | None) -> None:
    """Print, or write atomically to ``output`` (and say so on stderr)."""
    if output is None:
        echo_data(text, nl=not text.endswith("\n"))  # a CSV already ends its last row
    else:
        atomic_write_text(output, text if text.endswith("\n") else text + "\n")
        say_written(output)


def _fixed(template: str):
    def format_value(value: Any) -> str:
        if not isinstance(value, int | float | np.integer | np.floating) or isinstance(value, bool):
            return "NaN"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"  # an unbounded interval end, not a missing value
        return template.format(value) if math.isfinite(value) else "NaN"

    return format_value


# the human-readable table rounds estimates to a tenth of a person and convergence diagnostics to the digits that
# matter, and counts lists as whole numbers (CSV/JSON keep full precision)
_TABLE_FORMATS = {"estimate": _fixed("{:,.1f}"), "lower": _fixed("{:,.1f}"), "upper": _fixed("{:,.1f}"),
                  "upper_estimated_strata": _fixed("{:,.1f}"), "lists_used": _fixed("{:.0f}"),
                  "r_hat": _fixed("{:.3f}"), "ess_bulk": _fixed("{:.0f}"), "ess_tail": _fixed("{:.0f}")}


def emit_frame(frame: pd.DataFrame, fmt: str, output: Path | None, *, extra_json: Any = None) -> None:
    """Write a summary table as table / json / csv / parquet (Parquet also when ``output`` ends in .parquet)."""
    if output is not None and (fmt == "parquet" or output.suffix.lower() in PARQUET_SUFFIXES):
        atomic_write_with(output, lambda tmp: parquet_ready(frame).to_parquet(tmp, index=False))
        say_written(output)
        return
    if fmt == "json":
        # not frame.to_json: it writes ∞ as null and dates as epoch milliseconds
        payload = extra_json if extra_json is not None else _jsonable(frame.to_dict(orient="records"))
        emit(json.dumps(payload, indent=2), output)
    elif fmt == "csv":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, lineterminator="\n")
        emit(buffer.getvalue(), output)
    elif fmt == "table":
        # pandas prints a nullable column's missing value as <NA> without calling the formatter: show NaN, as for
        # the float columns beside it
        nullable = [c for c in frame.columns if isinstance(frame[c].dtype, (pd.Int64Dtype, pd.BooleanDtype))]
        if nullable:
            frame = frame.astype({c: object for c in nullable})
            for column in nullable:
                frame[column] = [math.nan if v is pd.NA else v for v in frame[column]]
        formatters = {column: _TABLE_FORMATS[column] for column in frame.columns if column in _TABLE_FORMATS}
        with pd.option_context("display.width", 200, "display.max_columns", 50):
            emit(frame.to_string(index=False, formatters=formatters), output)
    else:
        raise DataError(f"unknown --format {fmt!r}; use one of {', '.join(FORMATS)}")


def stdin_is_data(data: str | None) -> bool:
    return data == "-" and not sys.stdin.isatty()
