"""The ``xproj`` typer app. Each command lives in its own module that adds itself to ``app``."""
from __future__ import annotations

from typing import Optional

import typer

from ..about import __version__

app = typer.Typer(
    name="xproj",
    help="spacy-xproj: move NER labels across translations (projection-based cross-lingual NER).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"spacy-xproj {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(
        None, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """spacy-xproj command line."""


# Commands register themselves on import (one module per command, one owner per module).
from . import align, bench, convert, europarl, evaluate, filter, label, project, report, translate  # noqa: E402,F401


def main() -> None:
    """Console-script entry point; user-facing errors print one clear line, not a traceback."""
    from ..errors import MissingExtraError, XprojError

    try:
        app()
    except (XprojError, MissingExtraError) as err:
        typer.echo(f"error: {err}", err=True)
        raise SystemExit(1)
