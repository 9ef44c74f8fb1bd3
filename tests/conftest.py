"""Shared fixtures. Real data is read from XPROJ_DATA_DIR (default ../shared/data).

Tests that need the data skip when it is absent, unless XPROJ_REQUIRE_DATA=1 (set by CI), in which
case a missing dataset is an error rather than a silent skip.

Tests that need an optional package (eflomal, torch, transformers, simalign, ...) call
:func:`require_module` instead of ``pytest.importorskip``: it skips on a developer machine without
the extra, and fails when XPROJ_REQUIRE_ALL=1 (set by CI, which installs every extra), so CI never
passes by skipping what it claims to test.
"""
from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest

from spacy_xproj.settings import data_dir

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def require_module(name: str, minversion: str | None = None) -> ModuleType:
    """``pytest.importorskip(name)``, except that under XPROJ_REQUIRE_ALL=1 a missing module fails."""
    if os.environ.get("XPROJ_REQUIRE_ALL") == "1":
        import importlib

        try:
            module = importlib.import_module(name)
        except ImportError as err:
            pytest.fail(f"{name} is required (XPROJ_REQUIRE_ALL=1) but cannot be imported: {err}")
        if minversion is not None:
            return pytest.importorskip(name, minversion=minversion)
        return module
    return pytest.importorskip(name, minversion=minversion)


def _need(path: Path) -> Path:
    if not path.exists():
        msg = f"real data not found at {path} (set XPROJ_DATA_DIR)"
        if os.environ.get("XPROJ_REQUIRE_DATA") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The real-data folder (``../shared/data``); skips or fails when absent (see module doc)."""
    return _need(data_dir())


@pytest.fixture(scope="session")
def europarl_dir(data_root: Path) -> Path:
    return _need(data_root / "europarl_ner")


@pytest.fixture(scope="session")
def masakhaner_dir(data_root: Path) -> Path:
    return _need(data_root / "masakhaner2")


@pytest.fixture(scope="session")
def mafand_dir(data_root: Path) -> Path:
    return _need(data_root / "mafand_mt")


@pytest.fixture(scope="session")
def conll_dir(data_root: Path) -> Path:
    return _need(data_root / "conll2003_en")
