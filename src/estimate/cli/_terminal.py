"""What the command line writes to stdout and stderr: text from the data (stratum values, list and column names,
in tables, warnings and errors) is shown with its control characters escaped, so that a value cannot clear the
screen, move the cursor or retitle the terminal (``\\x1b]0;…\\x07``).  A result written to stdout (a CSV or
JSON table, :func:`echo_data`) is escaped only when stdout is a terminal: piped or redirected, it is the same bytes
as the file ``-o`` writes, which keeps the values as they are."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer

#: C0 and C1 control characters and DEL, except the tab and the line ends the CLI writes itself (a lone carriage
#: return, which would let a value overwrite the line, is escaped)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)")


def terminal_safe(text: str) -> str:
    r"""``text`` with each control character written out as its escape (``\x1b``), as Python's repr writes it."""
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def _require_stdout() -> None:
    """Standard output closed (``estimate … >&-``; Python then has no ``sys.stdout``): click writes nothing without
    a word, and the command exited 0 having delivered no result.  An OSError instead, which the command's error
    handler reports (exit 2), as it does a full disk."""
    import errno
    import sys

    if sys.stdout is None:
        raise OSError(errno.EBADF, "standard output is closed, so the result cannot be written; leave it open (or, "
                      "where the command has one, write to a file with -o FILE)")


#: the rich console of a progress bar live on a terminal (set by :func:`messages_above`), which messages to stderr
#: go through while it runs
_LIVE_CONSOLE: list = []


@contextmanager
def messages_above(console: Any) -> Iterator[None]:
    """Within this block, if ``console`` is a terminal, messages to stderr (warnings, notes) are printed through
    it, so that while its progress bar is live they stand on lines of their own above the bar: written directly
    they were glued to the end of the bar's line (``ETA 0:00:26warning (DataWarning): …``) and the bar's next redraw
    erased part of them.  Before the bar starts they print as they would anyway."""
    live = bool(getattr(console, "is_terminal", False))
    if live:
        _LIVE_CONSOLE.append(console)
    try:
        yield
    finally:
        if live:
            _LIVE_CONSOLE.remove(console)


def echo(message: object = "", *, err: bool = False, nl: bool = True) -> None:
    """:func:`typer.echo` of :func:`terminal_safe` text: every message the CLI prints goes through here (a result
    on stdout goes through :func:`echo_data`)."""
    if not err:
        _require_stdout()
    else:
        live = _LIVE_CONSOLE[-1:]  # one read: a worker thread's warning may come as the main thread leaves
        if live:  # a line of its own even with nl=False: text left open would be glued to the bar's line
            live[0].print(terminal_safe(str(message)), markup=False, highlight=False, emoji=False, soft_wrap=True)
            return
    typer.echo(terminal_safe(str(message)), err=err, nl=nl)


def _stdout_is_terminal() -> bool:
    import sys

    return bool(getattr(sys.stdout, "isatty", lambda: False)())


def echo_data(text: str, *, nl: bool = True) -> None:
    """A result on stdout: escaped on a terminal, unchanged when piped (``estimate link … > out.csv`` must hold
    what ``-o out.csv`` holds)."""
    _require_stdout()
    typer.echo(terminal_safe(text) if _stdout_is_terminal() else text, nl=nl)
