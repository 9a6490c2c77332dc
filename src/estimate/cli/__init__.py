"""The ``estimate`` command line: a thin shell over the Python API.

Commands live one per module (``describe``, ``fit`` ...) and register themselves on :data:`app`.
"""

from __future__ import annotations

import os
import signal
import sys
import warnings
from typing import Any

import typer
import typer.core

from estimate.cli._common import STATE, end_by_signal, interrupted_message
from estimate.cli._terminal import echo


def _flags_show_no_value() -> None:
    """typer 0.29 (with click 8.5) shows every on/off flag in ``--help`` as taking a value (``--strict  <bool>``),
    and ``--strict true`` then reads ``true`` as the data file: a flag's row shows no type, as click's own help
    does.  Only options that are flags are changed; the others keep typer's display."""
    option = getattr(typer.core, "TyperOption", None)
    shown = getattr(option, "display_type_rich", None)
    if shown is None or getattr(shown, "_flags_show_no_value", False):
        return

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) and self.metavar is None:
            return None
        return shown(self, ctx)

    display_type_rich._flags_show_no_value = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich


_flags_show_no_value()

app = typer.Typer(
    name="estimate",
    help="Multiple-systems estimation of the total number of victims from overlapping lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from estimate import __version__

        echo(f"estimate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
    version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    STATE["debug"] = debug
    if not debug:
        warnings.showwarning = _show_warning_as_one_line


def _show_warning_as_one_line(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    """Warnings on the command line: ``warning (Category): text`` on stderr, without source lines."""
    echo(f"warning ({category.__name__}): {message}", err=True)


from estimate.cli import compare as _compare  # noqa: E402,F401
from estimate.cli import describe as _describe  # noqa: E402,F401
from estimate.cli import fit as _fit  # noqa: E402,F401
from estimate.cli import link as _link  # noqa: E402,F401
from estimate.cli import report as _report  # noqa: E402,F401
from estimate.cli import reproduce as _reproduce  # noqa: E402,F401
from estimate.cli import simulate as _simulate  # noqa: E402,F401
from estimate.cli import widen as _widen  # noqa: E402,F401

#: The command's own process: a process forked from it (PyMC's chains) inherits the signal handlers below
_MAIN_PID = os.getpid()


def main() -> None:
    """Console-script entry point."""
    global _MAIN_PID
    _MAIN_PID = os.getpid()
    before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM), warnings.showwarning,
              STATE.get("console"))
    STATE["console"] = True
    replaced = []
    if before[0] is signal.default_int_handler:  # not when the shell made us ignore it
        signal.signal(signal.SIGINT, _interrupted)
        replaced.append((signal.SIGINT, before[0]))
    if before[1] is signal.SIG_DFL:  # `kill PID`, a job scheduler's time limit
        signal.signal(signal.SIGTERM, _interrupted)
        replaced.append((signal.SIGTERM, before[1]))
    stdout_before = _tolerant_stdout()
    try:
        app()
    finally:  # called from Python (a test, a notebook): a later Ctrl-C is the caller's KeyboardInterrupt again
        for signum, handler in replaced:  # only these: a handler not set from Python reads None, not settable
            signal.signal(signum, handler)
        if stdout_before is not None:
            stdout_before[0].reconfigure(**stdout_before[1])
        warnings.showwarning = before[2]
        STATE["console"] = before[3]


def _tolerant_stdout() -> tuple[Any, dict[str, str]] | None:
    """Standard output in an encoding that cannot write every character (a Windows code page such as cp1252, a C
    locale's ASCII, ``PYTHONIOENCODING=cp1252``) failed on a label in Arabic or Burmese — which lost a whole
    stratified table after every stratum had been fitted.  Redirected or piped (not a terminal), it is written as
    UTF-8, as every file ``--output`` writes is; on a terminal, a character it cannot show is written as a
    backslash escape (``\\u1019``).  An error handler named in ``PYTHONIOENCODING`` (``cp1252:strict``) is
    left as chosen; standard error escapes such characters already (Python's default).  Returns (the stream, its
    previous settings) when it was changed, to restore; None otherwise."""
    stream = sys.stdout
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
    if encoding.startswith("utf") or not hasattr(stream, "reconfigure") or ":" in os.environ.get(
            "PYTHONIOENCODING", ""):
        return None
    previous = {"encoding": stream.encoding, "errors": stream.errors}
    try:
        terminal = stream.isatty()
    except (OSError, ValueError):
        terminal = False
    stream.reconfigure(**({"errors": "backslashreplace"} if terminal else {"encoding": "utf-8"}))
    return stream, previous


def _interrupted(signum: int, frame: object) -> None:
    """Ctrl-C or SIGTERM: stop now, ended by the signal itself (a shell sees exit code 130 or 143 and stops
    its loop or script; see :func:`estimate.cli._common.end_by_signal`).

    A sampler's chains cannot be stopped inside its compiled loop, and waiting for them took as long as the rest
    of the fit; every file is written atomically (a temporary renamed into place), so nothing half-written is
    left under its name, and finished strata stay in the cache for --resume.  A dask run is interrupted as
    Python does it (KeyboardInterrupt), so that it closes its cluster and workers; the command's error handler
    then says so."""
    if os.getpid() != _MAIN_PID:  # a forked worker (a PyMC chain): end as the signal would, without a word
        end_by_signal(signum, flush=False)
    strata = sys.modules.get("estimate.strata")
    STATE["signal"] = signum
    if strata is not None and getattr(strata, "DASK_RUNNING", 0):
        raise KeyboardInterrupt  # handles_errors reports it once the cluster is closed
    try:
        sys.stdout.flush()
    except Exception:  # noqa: BLE001 - a broken stream, or a flush this signal interrupted (re-entrant call)
        pass
    echo(interrupted_message(signum), err=True)
    end_by_signal(signum)
