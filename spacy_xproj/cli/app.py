"""The ``xproj`` typer app. Each command lives in its own module that adds itself to ``app``."""
from __future__ import annotations

import errno
import gzip
import signal
import threading
import zlib
from typing import List, Optional

try:  # typer >= 0.23 vendors its own click
    from typer._click.exceptions import ClickException
except ImportError:  # pragma: no cover - older typer uses click itself
    from click.exceptions import ClickException

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
from . import align, bench, convert, europarl, evaluate, filter, label, project, report, translate, vote  # noqa: E402,F401


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM, so cleanup (temp folders, torn batches) runs."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated()


_ERRNO_FIX = {
    errno.ENOSPC: "the disk is full; free some space and rerun (long commands resume where they stopped)",
    errno.EDQUOT: "the disk quota is exceeded; free some space and rerun",
    errno.EROFS: "the file system is read-only; write to another folder",
    errno.EACCES: "permission denied; choose another path or fix its permissions",
    errno.EPERM: "operation not permitted; choose another path or fix its permissions",
    errno.ENOENT: "not found; check the path",
    errno.EISDIR: "is a folder; give a file name",
    errno.ENOTDIR: "a part of the path is not a folder; check the path",
    errno.EMFILE: "too many open files; raise the limit (ulimit -n) and rerun",
}


def error_line(err: BaseException) -> str:
    """The one ``error:`` line for an exception that ends a command (no traceback)."""
    from ..errors import MissingExtraError, XprojError

    if isinstance(err, (XprojError, MissingExtraError)):
        return f"error: {err}"
    if isinstance(err, UnicodeDecodeError):
        return (f"error: a file is not valid UTF-8 ({err.reason} at byte {err.start}); convert it to "
                "UTF-8 and rerun")
    if isinstance(err, (EOFError, zlib.error, gzip.BadGzipFile)):
        return f"error: a compressed input is damaged or truncated ({err}); download or compress it again"
    if isinstance(err, OSError):
        where = err.filename if err.filename is not None else None
        fix = _ERRNO_FIX.get(err.errno or -1, err.strerror or str(err))
        detail = err.strerror or str(err)
        return f"error: {where}: {detail}: {fix}" if where else f"error: {detail}: {fix}"
    if isinstance(err, RecursionError):
        return "error: an input value is nested too deeply to read; check the input file"
    if isinstance(err, MemoryError):
        return "error: out of memory; use smaller batches (--batch-size) or shorter inputs"
    return f"error: {type(err).__name__}: {err}"


def main(argv: Optional[List[str]] = None) -> None:
    """Console-script entry point: every user-facing failure ends in one ``error:`` line.

    Configuration and input errors, operating-system errors (full disk, permissions, missing files,
    folders where files are expected), decoding and compression errors end with one line naming
    the file and the fix and exit code 1; SIGTERM exits 143 after cleaning up, Ctrl-C 130.
    """
    from ..errors import MissingExtraError, XprojError

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        code = app(args=argv, standalone_mode=False)
    except typer.Abort as err:
        cause = err.__cause__ or err.__context__
        if isinstance(cause, EOFError):
            typer.echo(error_line(cause), err=True)
            raise SystemExit(1)
        raise SystemExit(130)
    except ClickException as err:  # usage errors and refused option values: one line too
        ctx = getattr(err, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        typer.echo(f"error: {err.format_message()}{hint}", err=True)
        raise SystemExit(err.exit_code)
    except Terminated:
        typer.echo("error: terminated (SIGTERM); rerun the same command to resume", err=True)
        raise SystemExit(143)
    except KeyboardInterrupt:
        raise SystemExit(130)
    except (XprojError, MissingExtraError, OSError, UnicodeDecodeError, EOFError, zlib.error,
            RecursionError, MemoryError) as err:
        typer.echo(error_line(err), err=True)
        raise SystemExit(1)
    raise SystemExit(code if isinstance(code, int) else 0)
