"""Option checks shared by the commands: a refused value is one ``error:`` line with the fix."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

import typer

from ..errors import ConfigError

# ``--overwrite``: the resumable commands (translate, label, align, project) refuse to continue an
# output made with other settings or from another input unless told to start afresh.
OVERWRITE_HELP = (
    "Start afresh: delete OUT (and its run record) first. Without it an existing OUT is resumed, "
    "and refused when it was made with other settings or from another input."
)


def overwrite_option() -> bool:
    return typer.Option(False, "--overwrite", help=OVERWRITE_HELP)


RESTART_HELP = (
    "Resume OUT when it was made with the same settings from the same input, else start afresh "
    "(for workflows that rerun a step after an interruption or after a change)."
)


def restart_option() -> bool:
    return typer.Option(False, "--restart-on-change", help=RESTART_HELP)


def positive_int(value: Optional[int], option: str) -> None:
    """Refuse 0 and negative values (``None`` means the option was not given)."""
    if value is not None and value < 1:
        raise ConfigError(f"{option} must be at least 1, got {value}")


def non_negative_int(value: Optional[int], option: str) -> None:
    if value is not None and value < 0:
        raise ConfigError(f"{option} must be 0 or more, got {value}")


def finite_float(value: Optional[float], option: str) -> None:
    if value is not None and not math.isfinite(value):
        raise ConfigError(f"{option} must be a finite number, got {value!r}")


def not_a_folder(path: Optional[Path], option: str) -> None:
    if path is not None and Path(path).is_dir():
        raise ConfigError(f"{option} {path} is a folder; give a file name (e.g. {Path(path) / 'cache.sqlite'})")
