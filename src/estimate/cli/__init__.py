"""The ``estimate`` command line: a thin shell over the Python API.

Commands live one per module (``describe``, ``fit`` ...) and register themselves on :data:`app`.
"""

from __future__ import annotations

import typer

from estimate.cli._common import STATE

app = typer.Typer(
    name="estimate",
    help="Multiple-systems estimation of the total number of victims from overlapping lists.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    STATE["debug"] = debug


from estimate.cli import compare as _compare  # noqa: E402,F401
from estimate.cli import describe as _describe  # noqa: E402,F401
from estimate.cli import fit as _fit  # noqa: E402,F401


def main() -> None:
    """Console-script entry point."""
    app()
