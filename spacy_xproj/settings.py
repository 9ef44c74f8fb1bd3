"""One place for environment-driven settings.

``XPROJ_DATA_DIR`` points at the real datasets (see ``../shared/data/README.md``); it defaults to
``../shared/data`` beside a source checkout, then to ``../shared/data`` relative to the working
directory. The data is read from there and never copied into the repository.
"""
from __future__ import annotations

import os
from pathlib import Path

DATA_DIR_ENV = "XPROJ_DATA_DIR"
_REPO_ROOT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """Return the folder with the real datasets (may not exist; callers check)."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    beside_checkout = _REPO_ROOT.parent / "shared" / "data"
    if beside_checkout.exists():
        return beside_checkout
    return Path("..") / "shared" / "data"
