"""CI cannot pass by skipping: optional packages are required under XPROJ_REQUIRE_ALL=1 (set by
.ci/run, which installs every extra), and no test skips on them another way."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import require_module

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def test_missing_module_skips_locally_and_fails_under_require_all(monkeypatch) -> None:
    monkeypatch.delenv("XPROJ_REQUIRE_ALL", raising=False)
    with pytest.raises(pytest.skip.Exception):
        require_module("spacy_xproj_no_such_module")
    monkeypatch.setenv("XPROJ_REQUIRE_ALL", "1")
    with pytest.raises(pytest.fail.Exception, match="spacy_xproj_no_such_module is required"):
        require_module("spacy_xproj_no_such_module")
    assert require_module("json").dumps([1]) == "[1]"  # present modules are returned either way


def test_ci_requires_everything() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf8")
    assert re.search(r"^export XPROJ_REQUIRE_ALL=1$", ci, flags=re.M)
    assert re.search(r"^export XPROJ_REQUIRE_DATA=1$", ci, flags=re.M)


def test_no_test_skips_on_an_extra_by_importorskip() -> None:
    pattern = re.compile(r"importorskip\(\s*[\"'](eflomal|torch|transformers|simalign|pulp|spacy_transformers|spacy_llm|ray)")
    offenders = [p.name for p in TESTS.glob("*.py") if pattern.search(p.read_text(encoding="utf8"))]
    assert offenders == [], f"use conftest.require_module instead of pytest.importorskip in {offenders}"
